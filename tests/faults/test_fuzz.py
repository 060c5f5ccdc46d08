"""Documents generated from our own schema, sent through the real application.

hypothesis-graphql builds valid queries and mutations with arbitrary
arguments; each goes over HTTP with an admin's Bearer session to one
application on a store holding a small simulated business, on SQLite and on
PostgreSQL, which refuses text SQLite takes. Whatever the
arguments, the answer must be data or an error with a code other than
INTERNAL, and never a 5xx: a bad argument is BAD_USER_INPUT, not a crash.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from contextlib import AsyncExitStack
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import graphql
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import nodes
from hypothesis_graphql import strategies as gql

from saaslens.auth.roles import Role
from saaslens.config import load_settings
from saaslens.data.demo import Scenario, simulate
from saaslens.data.demo.loading import write
from saaslens.data.engine import create_engine, create_session_factory
from saaslens.schema import schema
from tests.api import Api, add_person, running_api
from tests.schema.walk import is_one_of

GRAPHQL_SCHEMA = schema._schema
EXAMPLES = 500
SCENARIO = Scenario(customers=40, seed=8, end=date(2025, 1, 1), months=6, events_per_user=2)

# These end the very session the fuzzing runs on; every later document would
# only be refused as UNAUTHENTICATED.
SESSION_ENDING = {"signOut", "signOutEverywhere"}
QUERIES = list(GRAPHQL_SCHEMA.query_type.fields)
MUTATIONS = [name for name in GRAPHQL_SCHEMA.mutation_type.fields if name not in SESSION_ENDING]


def json_node(value: Any) -> graphql.ValueNode:
    """A JSON value as a GraphQL literal."""
    if value is None:
        return graphql.NullValueNode()
    if isinstance(value, bool):
        return nodes.Boolean(value)
    if isinstance(value, int):
        return nodes.Int(value)
    if isinstance(value, str):
        return nodes.String(value)
    if isinstance(value, list):
        return nodes.List([json_node(item) for item in value])
    fields = [
        graphql.ObjectFieldNode(name=graphql.NameNode(value=key), value=json_node(item))
        for key, item in value.items()
    ]
    return nodes.Object(fields)


# A JSON argument is never null itself: the schema says where null may go.
JSON_VALUES = st.recursive(
    st.booleans() | st.integers(-(2**31), 2**31 - 1) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner | st.none(), max_size=3)
        | st.dictionaries(st.from_regex(r"[a-z_]{1,6}", fullmatch=True), inner, max_size=3)
    ),
    max_leaves=6,
)

# Most days fall inside the simulated business, so the analytics run on data
# rather than stop at the range checks; the rest roam the whole calendar.
DAYS = st.dates(date(2024, 6, 1), date(2025, 2, 1)) | st.dates()
MOMENTS = st.datetimes(datetime(2024, 6, 1), datetime(2025, 2, 1)) | st.datetimes()

OFFSETS = st.integers(-1439, 1439).map(lambda minutes: timezone(timedelta(minutes=minutes)))

SCALARS = {
    "DateTime": st.tuples(MOMENTS, st.none() | st.just(UTC) | OFFSETS).map(
        lambda pair: nodes.String(pair[0].replace(tzinfo=pair[1]).isoformat())
    ),
    "Date": DAYS.map(lambda day: nodes.String(day.isoformat())),
    "Long": st.integers(-(2**63), 2**63 - 1).map(nodes.Int),
    "JSON": JSON_VALUES.map(json_node),
}


class OneOfTrimmer(graphql.Visitor):
    """Keeps one field of each @oneOf input value, which hypothesis-graphql does not know of.

    Without it most documents calling a field that takes a series would be
    refused whole by validation, before any resolver ran.
    """

    def __init__(self, types: graphql.TypeInfo) -> None:
        super().__init__()
        self.types = types

    def enter_object_value(self, node: graphql.ObjectValueNode, *_: Any) -> Any:
        kind = graphql.get_named_type(self.types.get_input_type())
        if not isinstance(kind, graphql.GraphQLInputObjectType) or not is_one_of(kind):
            return None
        given = [
            field for field in node.fields if not isinstance(field.value, graphql.NullValueNode)
        ]
        return graphql.ObjectValueNode(fields=tuple((given or list(node.fields))[:1]))


def printed(document: graphql.DocumentNode) -> str:
    types = graphql.TypeInfo(GRAPHQL_SCHEMA)
    trimmed = graphql.visit(document, graphql.TypeInfoVisitor(types, OneOfTrimmer(types)))
    return graphql.print_ast(trimmed)


def documents(operation: str, fields: list[str]) -> st.SearchStrategy[str]:
    """Documents of one root field each: a refused argument then hides no other field."""
    build = gql.queries if operation == "query" else gql.mutations
    return st.sampled_from(sorted(fields)).flatmap(
        lambda field: build(
            GRAPHQL_SCHEMA, fields=[field], custom_scalars=SCALARS, print_ast=printed
        )
    )


DOCUMENTS = documents("query", QUERIES) | documents("mutation", MUTATIONS)


class Client:
    """One application on one event loop, shared by every generated document."""

    def __init__(self, runner: asyncio.Runner, api: Api) -> None:
        self.runner = runner
        self.api = api
        self.sent = 0

    def send(self, document: str) -> tuple[int, dict[str, Any]]:
        self.sent += 1
        response = self.runner.run(self.api.post(document))
        return response.status_code, response.json()


async def _fill(url: str) -> None:
    engine = create_engine(url)
    settings = load_settings(database_url=url)
    await write(
        simulate(SCENARIO),
        create_session_factory(engine),
        settings,
        batch_size=5000,
        progress=lambda *_: None,
    )
    await engine.dispose()


@pytest.fixture
def client(store_url: str) -> Iterator[Client]:
    """The application over a small simulated business, with an admin signed in.

    The test is synchronous, as Hypothesis's examples are, so the application
    lives on an event loop of the fixture's own.
    """
    settings = load_settings(database_url=store_url)
    with asyncio.Runner() as runner:
        runner.run(_fill(store_url))
        admin = runner.run(add_person(settings, "admin@example.com", Role.ADMIN))
        stack = AsyncExitStack()
        anonymous = runner.run(stack.enter_async_context(running_api(settings)))
        try:
            yield Client(runner, anonymous.as_bearer(admin.token))
        finally:
            runner.run(stack.aclose())


def internal_errors(body: dict[str, Any]) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = body.get("errors") or []
    return [error for error in errors if error["extensions"]["code"] == "INTERNAL"]


def test_generated_documents_never_fail_internally(
    client: Client, record_property: Callable[[str, object], None]
) -> None:
    started = time.monotonic()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        # Documents drawn from a schema this large are slow to build and big.
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(document=DOCUMENTS)
    def answers_cleanly(document: str) -> None:
        status, body = client.send(document)
        assert status < 500, (status, body)
        assert not internal_errors(body), (document, body)

    answers_cleanly()
    seconds = time.monotonic() - started
    record_property("generated_documents", client.sent)
    print(f"{client.sent} generated documents in {seconds:.1f} s")
    assert client.sent >= 500
