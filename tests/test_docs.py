"""Every GraphQL example in the guides answers on demo data, through the real app.

The examples are the ```graphql fenced blocks of docs/*.md and README.md.
Each runs, as an admin with a Bearer session, against a SQLite store holding
what `saaslens demo --customers 300 --seed 1` writes (history up to
2026-01-01) and the user `make run` adds, demo@example.com with the password
saaslens-demo, so a sign-in example can sign in. Conventions for writers:

- A ```json block that is the next fenced block after a ```graphql block
  holds that example's variables; any other ```json block must not follow a
  ```graphql block directly.
- Each guide's examples run in document order in a store of that guide's
  own, so an example may use what an earlier one of the same guide made
  (the first script a guide creates has id 1).
- An example must answer without errors and must not come back as a problem
  member of a result union: nothing in its data may carry a `message`,
  the field every problem type has and no other type does.
- Blocks that are SDL, variables, or meant to fail use another fence
  (```text).
- Every root query and mutation field of docs/schema.graphql appears in a
  runnable example, except those in SHOWN_NOT_RUN, each with its reason.
  Subscriptions need a websocket and are shown in ```text blocks.
- The app stops between examples only once the runs an example queued
  have finished.

Shell lines in code blocks that start with `saaslens` must name a real
command of the typer app. Data file examples are fenced with their format
and the name they are saved as (```csv customers.csv); the guide's
`saaslens import` lines that name those files run, in order, as real
commands on a copy of the demo store, and must all succeed.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import typer
from graphql import FieldNode, OperationDefinitionNode, build_schema, parse
from typer.core import TyperGroup

from saaslens.auth.clock import system_clock
from saaslens.auth.roles import Role
from saaslens.auth.users import create_user
from saaslens.auth.viewers import session_scheme
from saaslens.cli import app as cli_app
from saaslens.config import load_settings
from saaslens.data.demo import Scenario, simulate
from saaslens.data.demo.loading import write
from saaslens.data.engine import create_engine, create_session_factory
from saaslens.data.migrate import upgrade
from tests.api import Api, add_person, running_api
from tests.conftest import sqlite_url

ROOT = Path(__file__).parents[1]
GUIDES = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
DEMO = Scenario(customers=300, seed=1, end=date(2026, 1, 1))
DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "saaslens-demo"
# A fence's language, and the file name a data file example is saved as.
FENCE = re.compile(r"^```(\w*)[ \t]*(\S*)")
COMMAND = re.compile(r"^\s*(?:\$\s+)?saaslens\s+([a-z][\w-]*)(?:\s+([a-z][\w-]*))?")


@dataclass(frozen=True)
class Block:
    language: str
    file_name: str
    text: str
    line: int


@dataclass(frozen=True)
class Example:
    guide: str
    number: int
    document: str
    variables: dict[str, Any] | None
    line: int

    @property
    def name(self) -> str:
        return f"{self.guide}:{self.number}"


def fenced_blocks(path: Path) -> list[Block]:
    """The fenced code blocks of a Markdown file, with the line each opens on."""
    blocks: list[Block] = []
    opened: tuple[str, str, int] | None = None
    lines: list[str] = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        match = FENCE.match(line)
        if opened is None and match:
            opened, lines = (match.group(1), match.group(2), number), []
        elif opened is not None and line.startswith("```"):
            language, file_name, start = opened
            blocks.append(Block(language, file_name, "\n".join(lines) + "\n", start))
            opened = None
        elif opened is not None:
            lines.append(line)
    assert opened is None, f"{path}: the block opened on line {opened[2]} never closes"
    return blocks


def examples(path: Path) -> list[Example]:
    blocks = fenced_blocks(path)
    found: list[Example] = []
    for index, block in enumerate(blocks):
        if block.language != "graphql":
            continue
        following = blocks[index + 1] if index + 1 < len(blocks) else None
        variables = None
        if following is not None and following.language == "json":
            variables = _json_object(following.text)
        guide = str(path.relative_to(ROOT))
        found.append(Example(guide, len(found) + 1, block.text, variables, block.line))
    return found


def _json_object(text: str) -> dict[str, Any]:
    loaded = json.loads(text)
    assert isinstance(loaded, dict), "variables must be a JSON object"
    return loaded


EXAMPLES = [example for guide in GUIDES for example in examples(guide)]


@dataclass(frozen=True)
class Store:
    url: str
    admin_id: str


async def new_session(store: Store) -> str:
    """A fresh admin session: a sign-in or sign-out example may end the one it was sent with."""
    settings = load_settings(database_url=store.url)
    engine = create_engine(store.url)
    try:
        async with create_session_factory(engine)() as db:
            issued = await session_scheme(settings).create(db, store.admin_id, system_clock())
            await db.commit()
    finally:
        await engine.dispose()
    return issued.token


@pytest.fixture(scope="session")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The demo business with both users, built once; returns the file and the admin's id."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    url = sqlite_url(path)
    upgrade(url)
    return path, asyncio.run(_fill(url))


async def _fill(url: str) -> str:
    settings = load_settings(database_url=url)
    engine = create_engine(url)
    sessions = create_session_factory(engine)
    try:
        await write(
            simulate(DEMO), sessions, settings, batch_size=10_000, progress=lambda *_: None
        )
        async with sessions() as db:
            await create_user(db, DEMO_EMAIL, DEMO_PASSWORD, Role.ADMIN, system_clock())
            await db.commit()
    finally:
        await engine.dispose()
    admin = await add_person(settings, "admin@example.com", Role.ADMIN)
    return admin.id


class GuideStores(dict[str, Store]):
    """One copy of the demo store per guide, made when the guide's first example runs."""

    def __init__(self, demo: Path, admin_id: str, folder: Path) -> None:
        super().__init__()
        self.demo, self.admin_id, self.folder = demo, admin_id, folder

    def __missing__(self, guide: str) -> Store:
        copy = self.folder / f"{guide.replace('/', '-')}.db"
        shutil.copyfile(self.demo, copy)
        self[guide] = Store(sqlite_url(copy), self.admin_id)
        return self[guide]


@pytest.fixture(scope="session")
def guide_stores(
    demo_file: tuple[Path, str], tmp_path_factory: pytest.TempPathFactory
) -> GuideStores:
    return GuideStores(*demo_file, tmp_path_factory.mktemp("guides"))


@pytest.mark.parametrize("example", EXAMPLES, ids=[example.name for example in EXAMPLES])
async def test_documented_example_answers_on_demo_data(
    example: Example, guide_stores: GuideStores
) -> None:
    store = guide_stores[example.guide]
    token = await new_session(store)
    async with running_api(load_settings(database_url=store.url)) as anonymous:
        body = await anonymous.as_bearer(token).post_graphql(example.document, example.variables)
        # The example may have signed its session out.
        await _executions_settled(anonymous.as_bearer(await new_session(store)))
    where = f"{example.guide} line {example.line}"
    assert "errors" not in body, f"{where}: {body['errors']}"
    problems = list(_problems(body["data"]))
    assert not problems, f"{where} came back as a problem: {problems}"


UNFINISHED = "{ executions(filter: {states: [QUEUED, RUNNING]}) { totalCount } }"


async def _executions_settled(admin: Api) -> None:
    """Wait for runs an example queued, so the app stops with none in flight.

    Stopping mid-run is the engine tests' subject; here it would only make a
    later example of the same guide depend on how a cancelled run ended.
    """
    for _ in range(300):
        found = await admin.data(UNFINISHED)
        if found["executions"]["totalCount"] == 0:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("an execution an example queued did not finish in 30 s")


def _problems(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        if "message" in value:
            yield str(value["message"])
        for item in value.values():
            yield from _problems(item)
    elif isinstance(value, list):
        for item in value:
            yield from _problems(item)


def test_every_guide_has_an_example_or_says_why_not() -> None:
    """A guide with no runnable example is a guide whose examples nobody checks."""
    without = {str(guide.relative_to(ROOT)) for guide in GUIDES} - {
        example.guide for example in EXAMPLES
    }
    # The index, and the sandboxes, whose scripts the automation examples run.
    assert without <= {"docs/README.md", "docs/sandboxes.md"}, without


def _code_lines(path: Path) -> Iterator[tuple[int, str]]:
    """Lines of fenced blocks and of indented code blocks."""
    inside = False
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if line.startswith("```"):
            inside = not inside
        elif inside or line.startswith("    "):
            yield number, line


def test_shell_examples_name_real_commands() -> None:
    app = typer.main.get_command(cli_app)
    assert isinstance(app, TyperGroup)
    unknown = [
        f"{guide.relative_to(ROOT)}:{number}: {line.strip()}"
        for guide in GUIDES
        for number, line in _code_lines(guide)
        if (match := COMMAND.match(line)) and not _is_command(app, match.group(1), match.group(2))
    ]
    assert not unknown, unknown


def _is_command(app: TyperGroup, name: str, subcommand: str | None) -> bool:
    command = app.commands.get(name)
    if isinstance(command, TyperGroup):
        return subcommand in command.commands
    return command is not None


def test_documented_files_import_with_the_documented_commands(
    demo_file: tuple[Path, str], tmp_path: Path
) -> None:
    guide = ROOT / "docs" / "ingestion.md"
    files = {block.file_name: block.text for block in fenced_blocks(guide) if block.file_name}
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    commands = [
        shlex.split(line)[1:]
        for _, line in _code_lines(guide)
        if line.strip().startswith("saaslens import") and shlex.split(line)[3] in files
    ]
    assert len(commands) == len(files), "every documented file is imported once"
    store = tmp_path / "store.db"
    shutil.copyfile(demo_file[0], store)
    environment = os.environ | {"SAASLENS_DATABASE_URL": sqlite_url(store)}
    for command in commands:
        done = subprocess.run(
            [sys.executable, "-m", "saaslens", *command],
            cwd=tmp_path,
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, (command, done.stdout, done.stderr)
        assert "rejected" not in done.stdout.lower(), (command, done.stdout)


# Root fields the guides show only in ```text blocks, and why.
SHOWN_NOT_RUN = {
    "changePassword": "needs the caller's current password",
    "setRole": "needs the id createUser returned",
    "disableUser": "needs the id createUser returned",
    "revokeApiToken": "needs the id createApiToken returned",
}


def test_every_root_field_has_a_runnable_example() -> None:
    contract = build_schema((ROOT / "docs" / "schema.graphql").read_text())
    used = {
        selection.name.value
        for example in EXAMPLES
        for definition in parse(example.document).definitions
        if isinstance(definition, OperationDefinitionNode)
        for selection in definition.selection_set.selections
        if isinstance(selection, FieldNode)
    }
    roots = [contract.query_type, contract.mutation_type, contract.subscription_type]
    fields = {name for root in roots if root for name in root.fields}
    subscriptions = set(contract.subscription_type.fields) if contract.subscription_type else set()
    missing = fields - used - subscriptions - set(SHOWN_NOT_RUN)
    assert not missing, f"no runnable example uses {sorted(missing)}"
