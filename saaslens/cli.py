"""The `saaslens` command."""

from __future__ import annotations

from pathlib import Path

import typer
import uvicorn

from saaslens.config import SettingsError, get_settings
from saaslens.data.migrate import upgrade
from saaslens.logs import configure_logging

app = typer.Typer(help="A GraphQL analytics API for a SaaS business's own data.")
db = typer.Typer(help="The store: migrations.")
schema_commands = typer.Typer(help="The GraphQL schema as SDL.")
app.add_typer(db, name="db")
app.add_typer(schema_commands, name="schema")

SCHEMA_FILE = Path("docs/schema.graphql")


@app.callback()
def check_settings() -> None:
    """Read the settings before any command, so a bad one stops it with its name."""
    try:
        get_settings()
    except SettingsError as error:
        typer.secho(f"Bad settings:\n{error}", fg="red", err=True)
        raise typer.Exit(2) from None


@app.command()
def serve(
    host: str | None = typer.Option(None, help="Defaults to SAASLENS_HOST."),
    port: int | None = typer.Option(None, help="Defaults to SAASLENS_PORT."),
    workers: int = typer.Option(1, min=1, help="Processes; share a PostgreSQL store."),
) -> None:
    """Serve the API with uvicorn."""
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    uvicorn.run(
        "saaslens.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        log_config=None,
    )


@db.command("upgrade")
def db_upgrade() -> None:
    """Create the store or bring its schema to the newest migration."""
    upgrade(get_settings().database_url)
    typer.echo("The store is at the newest migration.")


@schema_commands.command("export")
def schema_export(
    path: Path = typer.Option(SCHEMA_FILE, help="Where to write the SDL."),
) -> None:
    """Write the GraphQL schema as SDL, the API's published contract."""
    from saaslens.schema import schema

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(schema.as_str() + "\n")
    typer.echo(f"Wrote {path}")


def main() -> None:
    app()
