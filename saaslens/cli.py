"""The `saaslens` command."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from sqlalchemy.exc import DBAPIError

from saaslens.auth.roles import Role
from saaslens.config import SettingsError, get_settings
from saaslens.data.demo.events import EVENTS_PER_USER
from saaslens.data.engine import create_engine, create_session_factory
from saaslens.data.faults import refusal
from saaslens.data.ingestion.files import Format, detect_format
from saaslens.data.ingestion.records import Kind
from saaslens.errors import DatabaseUnavailable, InvalidInput
from saaslens.heap import settle
from saaslens.logs import logging_config

if TYPE_CHECKING:
    from saaslens.data.models import User

app = typer.Typer(help="A GraphQL analytics API for a SaaS business's own data.")
db = typer.Typer(help="The store: migrations.")
schema_commands = typer.Typer(help="The GraphQL schema as SDL.")
users_commands = typer.Typer(help="People who sign in.")
app.add_typer(db, name="db")
app.add_typer(schema_commands, name="schema")
app.add_typer(users_commands, name="users")

SCHEMA_FILE = Path("docs/schema.graphql")


@app.callback()
def check_settings() -> None:
    """Read the settings before any command, so a bad one stops it with its name."""
    try:
        get_settings()
    except SettingsError as error:
        typer.secho(f"Bad settings:\n{error}", fg="red", err=True)
        raise typer.Exit(2) from None


@contextmanager
def refused_by_store(what: str) -> Iterator[None]:
    """Tell of a store that refuses `what` in a line instead of a traceback, and exit 1."""
    try:
        yield
    except (DBAPIError, DatabaseUnavailable) as error:
        refused = refusal(error, what)
        if refused is None:
            raise
        typer.secho(refused, fg="red", err=True)
        raise typer.Exit(1) from None


@app.command()
def serve(
    host: str | None = typer.Option(None, help="Defaults to SAASLENS_HOST."),
    port: int | None = typer.Option(None, help="Defaults to SAASLENS_PORT."),
    workers: int = typer.Option(1, min=1, help="Processes; share a PostgreSQL store."),
) -> None:
    """Serve the API with uvicorn."""
    # Each command imports what only it needs, so an import starts in less time.
    import uvicorn

    settings = get_settings()
    # The application's modules are loaded first, so settling freezes them too.
    # Extra worker processes start afresh and keep the collector's defaults.
    import_module("saaslens.app")
    settle()
    uvicorn.run(
        "saaslens.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        log_config=logging_config(settings.log_level, settings.log_json),
        # uvloop's subprocess support refuses the user and group a sandboxed run needs.
        loop="asyncio",
    )


@db.command("upgrade")
def db_upgrade() -> None:
    """Create the store or bring its schema to the newest migration."""
    from saaslens.data.migrate import upgrade

    with refused_by_store("the migration"):
        upgrade(get_settings().database_url)
    typer.echo("The store is at the newest migration.")


@app.command()
def demo(
    customers: int = typer.Option(1000, min=1, help="How many customers to simulate."),
    seed: int = typer.Option(0, help="The same seed always gives the same records."),
    months: int = typer.Option(30, min=1, max=120, help="Whole months of history."),
    end: datetime | None = typer.Option(
        None,
        formats=["%Y-%m-%d"],
        help="History runs up to the first day of this date's month (exclusive). "
        "Defaults to the first day of the current month.",
    ),
    events_per_user: float = typer.Option(
        EVENTS_PER_USER,
        min=0,
        help="Product events per user and month for a customer of average engagement; "
        "the default gives about 100 events per customer.",
    ),
    batch_size: int = typer.Option(10_000, min=1, help="Rows per committed batch."),
    force: bool = typer.Option(
        False,
        help="Write even when the store already holds customers. Rows already stored "
        "identically are left alone, so re-running an interrupted demo with the same "
        "options resumes it; a stored record that differs stops the demo.",
    ),
) -> None:
    """Fill the store with a simulated SaaS business: customers, subscriptions,
    payments, exchange rates, leads and product events.

    Refuses a store that already holds customers unless --force is given; to
    start afresh, use a new store (for SQLite, remove the file and run
    `saaslens db upgrade`).
    """
    from saaslens.data.demo import Scenario
    from saaslens.demo import run_demo

    settings = get_settings()
    try:
        scenario = Scenario(
            customers=customers,
            seed=seed,
            end=(end.date() if end else date.today()),
            months=months,
            events_per_user=events_per_user,
            base_currency=settings.base_currency,
        )
    except ValueError as error:
        typer.secho(str(error), fg="red", err=True)
        raise typer.Exit(2) from None
    with refused_by_store("the demo"):
        written = run_demo(settings, scenario, batch_size=batch_size, force=force)
    if not written:
        raise typer.Exit(1)


@schema_commands.command("export")
def schema_export(
    path: Path = typer.Option(SCHEMA_FILE, help="Where to write the SDL."),
) -> None:
    """Write the GraphQL schema as SDL, the API's published contract."""
    from saaslens.schema import schema

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(schema.as_str() + "\n")
    typer.echo(f"Wrote {path}")


@app.command("import")
def import_records(
    kind: Kind = typer.Argument(..., help="What the file holds."),
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="A .csv or .jsonl file."),
    format: Format | None = typer.Option(None, help="Defaults to the file's extension."),
    batch_size: int = typer.Option(5000, min=1, help="Rows per committed batch."),
    check: bool = typer.Option(False, help="Check the whole file and write nothing."),
) -> None:
    """Import records from a file, each batch validated whole and committed on its own."""
    from saaslens.imports import run_import

    try:
        chosen = format or detect_format(file)
    except InvalidInput as error:
        typer.secho(error.message, fg="red", err=True)
        raise typer.Exit(2) from None
    settle()
    accepted = run_import(get_settings(), kind, file, chosen, batch_size, check=check)
    if not accepted:
        raise typer.Exit(1)


async def _add_user(
    database_url: str, email: str, password: str, role: Role, user_id: str | None
) -> User:
    from saaslens.auth.clock import system_clock
    from saaslens.auth.users import create_user

    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            user = await create_user(session, email, password, role, system_clock(), user_id)
            await session.commit()
            return user
    finally:
        await engine.dispose()


@users_commands.command("create")
def users_create(
    email: str = typer.Option(..., help="Their sign-in email; unique in any letter case."),
    role: Role = typer.Option(..., help="What they may do; each role includes those before it."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input, for scripts."
    ),
    user_id: str | None = typer.Option(
        None, "--id", help="The same person's user id in a Lucia application sharing the store."
    ),
) -> None:
    """Add a user; the password is asked for twice unless given on standard input."""
    from saaslens.auth.users import EmailTaken

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with refused_by_store("the new user"):
            user = asyncio.run(
                _add_user(get_settings().database_url, email, password, role, user_id)
            )
    except InvalidInput as error:
        typer.secho(error.message, fg="red", err=True)
        raise typer.Exit(1) from None
    except EmailTaken:
        typer.secho(f"A user with the email {email} exists already", fg="red", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"Created {user.email} as {user.role}, id {user.id}")


def main() -> None:
    app()
