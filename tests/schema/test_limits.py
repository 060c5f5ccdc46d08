"""The limits on one operation, through the real application: each refuses a
document just over it with a clear error and lets one at it through."""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, closing
from datetime import date
from typing import Any

import pytest
from gql.transport.exceptions import TransportQueryError
from graphql import get_introspection_query

from saaslens.auth.roles import Role
from saaslens.config import PRODUCTION_DEFAULTS, Profile, SettingsError, load_settings
from saaslens.data.demo import Scenario, simulate
from saaslens.data.demo.loading import write
from saaslens.data.engine import create_engine, create_session_factory
from tests.api import Api, add_person, running_api
from tests.schema.test_subscription_auth import first_results, serving, transport

PRODUCTION_SECRET = "a-production-secret-of-enough-length"

# Depth 4, but only once the fragment is expanded: the operation alone is 2 deep.
DEEP_THROUGH_A_FRAGMENT = """
{ customers(first: 1) { ...Page } }
fragment Page on CustomerConnection { edges { node { id } } }
"""

# Seven aliases are written, but the fragments spread them to 3 * (1 + 2 * (1 + 2)) = 21:
# each of the three connections holds Names, whose two aliased nodes each hold Labels.
ALIASES_THROUGH_SPREADS = """
{
  a: customers(first: 1) { ...Names }
  b: customers(first: 1) { ...Names }
  c: customers(first: 1) { ...Names }
}
fragment Names on CustomerConnection { edges { one: node { ...Labels } two: node { ...Labels } } }
fragment Labels on Customer { label: name code: id }
"""

PAGE_OF_NAMES = "query ($n: Int!) { customers(first: $n) { edges { node { id name } } } }"

CIRCULAR = """
{ customers { ...Counts } }
fragment Counts on CustomerConnection { totalCount ...Pages }
fragment Pages on CustomerConnection { pageInfo { hasNextPage } ...Counts }
"""


def page_cost(n: int) -> int:
    """customers (1) + edges (1) + n nodes of three fields each (node, id, name)."""
    return 1 + 1 + n * 3


@asynccontextmanager
async def admin_api(store_url: str, **settings: Any) -> AsyncIterator[Api]:
    """The application with these settings, signed in as an admin."""
    configured = load_settings(database_url=store_url, **settings)
    async with running_api(configured) as api:
        admin = await add_person(configured, f"{secrets.token_hex(4)}@example.com", Role.ADMIN)
        yield api.as_bearer(admin.token)


def refusal(body: dict[str, Any]) -> dict[str, Any]:
    """The single error of a refused document, which ran no field."""
    assert body["data"] is None, body
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    refused: dict[str, Any] = error
    return refused


async def test_depth_counts_the_fields_fragments_expand_to(sqlite_store: str) -> None:
    async with admin_api(sqlite_store, max_query_depth=4) as api:
        accepted = await api.post_graphql(DEEP_THROUGH_A_FRAGMENT)
    async with admin_api(sqlite_store, max_query_depth=3) as api:
        refused = refusal(await api.post_graphql(DEEP_THROUGH_A_FRAGMENT))

    assert accepted == {"data": {"customers": {"edges": []}}}
    assert refused["extensions"] | {"code": "-"} == {
        "code": "-",
        "limit": "depth",
        "actual": 4,
        "maximum": 3,
    }
    assert "depth limit" in refused["message"]


async def test_aliases_multiplied_through_fragment_spreads_are_counted(
    sqlite_store: str,
) -> None:
    async with admin_api(sqlite_store, max_aliases=21) as api:
        accepted = await api.post_graphql(ALIASES_THROUGH_SPREADS)
    async with admin_api(sqlite_store, max_aliases=20) as api:
        refused = refusal(await api.post_graphql(ALIASES_THROUGH_SPREADS))

    assert "errors" not in accepted
    assert set(accepted["data"]) == {"a", "b", "c"}
    assert (refused["extensions"]["limit"], refused["extensions"]["actual"]) == ("aliases", 21)
    assert "21 aliases" in refused["message"]


def doubling_fragments(levels: int) -> str:
    """Each level spreads the one below twice, under two aliases: 2^levels copies of the last."""
    fragments = ["fragment L0 on __Type { a: name b: name }"]
    fragments += [
        f"fragment L{n} on __Type {{ x: ofType {{ ...L{n - 1} }} y: ofType {{ ...L{n - 1} }} }}"
        for n in range(1, levels + 1)
    ]
    return f'{{ __type(name: "Query") {{ ...L{levels} }} }}\n' + "\n".join(fragments)


async def test_aliases_doubling_through_nested_fragments_are_counted_in_full(
    sqlite_store: str,
) -> None:
    levels = 15
    aliases = 2
    for _ in range(levels):
        aliases = 2 + 2 * aliases

    async with admin_api(sqlite_store) as api:
        body = await api.post_graphql(doubling_fragments(levels))

    assert body["data"] is None
    refused = {error["extensions"]["limit"]: error for error in body["errors"]}
    assert refused["aliases"]["extensions"]["actual"] == aliases == 2 ** (levels + 2) - 2
    assert "depth" not in refused


async def test_graphiqls_introspection_query_passes_the_development_limits(
    sqlite_store: str,
) -> None:
    async with admin_api(sqlite_store) as api:
        body = await api.post_graphql(get_introspection_query(descriptions=True))

    assert "errors" not in body
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_cost_multiplies_by_the_page_asked_for_in_a_variable(sqlite_store: str) -> None:
    async with admin_api(sqlite_store, max_query_cost=page_cost(10)) as api:
        accepted = await api.post_graphql(PAGE_OF_NAMES, {"n": 10})
        refused = refusal(await api.post_graphql(PAGE_OF_NAMES, {"n": 11}))

    assert accepted == {"data": {"customers": {"edges": []}}}
    assert refused["extensions"]["limit"] == "cost"
    assert refused["extensions"]["actual"] == page_cost(11)
    assert refused["extensions"]["maximum"] == page_cost(10)


async def test_cost_counts_a_page_beyond_the_cap_at_the_cap(sqlite_store: str) -> None:
    """The resolver refuses such a page itself; the cost limit must not hide that answer."""
    settings = {"max_query_cost": page_cost(10), "max_page_size": 10}
    async with admin_api(sqlite_store, **settings) as api:
        body = await api.post_graphql(PAGE_OF_NAMES, {"n": 1000})

    [error] = body["errors"]
    assert error["message"] == "`first` may be at most 10"
    assert "limit" not in error["extensions"]


async def test_cost_takes_the_default_page_of_twenty_and_an_unpaged_list_at_ten(
    sqlite_store: str,
) -> None:
    defaulted = "{ customers { edges { node { id name } } } }"
    unpaged = '{ customer(id: "cus_1") { payments { kind } } }'
    async with admin_api(sqlite_store, max_query_cost=page_cost(20) - 1) as api:
        by_default = refusal(await api.post_graphql(defaulted))
    async with admin_api(sqlite_store, max_query_cost=11) as api:
        by_list = refusal(await api.post_graphql(unpaged))

    assert by_default["extensions"]["actual"] == page_cost(20)
    # customer, payments, and ten payments of one field.
    assert by_list["extensions"]["actual"] == 1 + 1 + 10 * 1


async def test_a_document_over_the_token_limit_is_refused_before_it_is_parsed(
    sqlite_store: str,
) -> None:
    six_tokens = "{ customers { totalCount } }"
    async with admin_api(sqlite_store, max_tokens=6) as api:
        accepted = await api.post_graphql(six_tokens)
    async with admin_api(sqlite_store, max_tokens=5) as api:
        refused = refusal(await api.post_graphql(six_tokens))

    assert accepted == {"data": {"customers": {"totalCount": 0}}}
    assert "more than 5 tokens" in refused["message"]


@pytest.mark.parametrize(
    "document",
    [
        CIRCULAR,
        "{ customers { ...Again } }\n"
        "fragment Again on CustomerConnection { edges { node { id } } ...Again }",
    ],
    ids=["through another fragment", "through itself"],
)
async def test_circular_fragments_are_refused_clearly(sqlite_store: str, document: str) -> None:
    async with admin_api(sqlite_store) as api:
        response = await api.post(document)

    assert response.status_code == 200
    errors = response.json()["errors"]
    assert errors
    assert all(error["extensions"]["code"] == "BAD_USER_INPUT" for error in errors)
    assert any("within itself" in error["message"] for error in errors)


async def test_introspection_can_be_switched_off(sqlite_store: str) -> None:
    introspection = "{ __schema { queryType { name } } }"
    async with admin_api(sqlite_store) as api:
        allowed = await api.post_graphql(introspection)
    async with admin_api(sqlite_store, introspection=False) as api:
        refused = await api.post_graphql(introspection)
        typename = await api.post_graphql("{ __typename }")

    assert allowed == {"data": {"__schema": {"queryType": {"name": "Query"}}}}
    assert refused["data"] is None
    assert "introspection has been disabled" in refused["errors"][0]["message"]
    assert {error["extensions"]["code"] for error in refused["errors"]} == {"BAD_USER_INPUT"}
    assert typename == {"data": {"__typename": "Query"}}


async def test_a_subscription_over_a_limit_is_refused_on_the_socket(sqlite_store: str) -> None:
    settings = load_settings(database_url=sqlite_store, max_aliases=0)
    viewer = await add_person(settings, "ada@example.com", Role.VIEWER)
    credentials = {"authorization": f"Bearer {viewer.token}"}

    async with serving(settings) as address:
        with pytest.raises(TransportQueryError) as refused:
            await first_results(
                transport(address, init_payload=credentials),
                "subscription { version: dataVersion }",
            )

    assert refused.value.errors is not None
    [error] = refused.value.errors
    assert error["extensions"] == {
        "code": "BAD_USER_INPUT",
        "limit": "aliases",
        "actual": 1,
        "maximum": 0,
    }


async def test_a_batch_of_operations_is_refused(api: Api) -> None:
    response = await api.client.post(
        "/graphql",
        json=[{"query": "{ __typename }"}, {"query": "{ __typename }"}],
        headers=api.headers,
    )

    # Refused like every other malformed request body: 400 with a plain-text reason.
    assert response.status_code == 400
    assert response.text == "Batching is not enabled"


async def demo_store(store_url: str) -> None:
    scenario = Scenario(customers=200, seed=3, end=date(2025, 1, 1), months=8, events_per_user=2)
    engine = create_engine(store_url)
    await write(
        simulate(scenario),
        create_session_factory(engine),
        load_settings(database_url=store_url),
        batch_size=5000,
        progress=lambda *_: None,
    )
    await engine.dispose()


MRR_SERIES = """
{
  metricSeries(metric: MRR, range: {start: "2024-05-01", end: "2024-12-31"}, granularity: DAY) {
    series { points { start value } }
  }
}
"""


async def test_an_operation_past_the_time_limit_ends_with_a_timeout_error(
    store_url: str,
) -> None:
    await demo_store(store_url)
    async with admin_api(store_url) as api:
        answered = await api.post_graphql(MRR_SERIES)
    async with admin_api(store_url, request_timeout_seconds=0.001) as api:
        response = await api.post(MRR_SERIES)
        pool = await api.client.get("/metrics")

    assert "errors" not in answered
    body = response.json()
    assert response.status_code == 200
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"] == {"code": "TIMEOUT", "seconds": 0.001}
    assert "0.001 s" in error["message"]
    # The stopped operation handed its database connection back.
    assert "\nsaaslens_db_pool_checked_out 0.0\n" in pool.text


async def test_an_unexpected_error_is_masked_with_the_request_id(sqlite_store: str) -> None:
    # A store that lost a table: every read of customers fails inside the database.
    with closing(sqlite3.connect(sqlite_store.split(":///", 1)[1])) as store:
        store.execute("DROP TABLE customers")

    async with admin_api(sqlite_store) as api:
        response = await api.post("{ customers { totalCount } }")

    [error] = response.json()["errors"]
    request_id = response.headers["x-request-id"]
    assert error["extensions"] == {"code": "INTERNAL", "requestId": request_id}
    assert error["message"] == f"Internal error; quote request id {request_id} to an operator"


async def test_production_switches_everything_on_with_tighter_limits(
    sqlite_store: str,
) -> None:
    thirty_one_aliases = "{ " + " ".join(f"a{i}: __typename" for i in range(31)) + " }"
    async with admin_api(sqlite_store) as api:
        in_development = await api.post_graphql(thirty_one_aliases)
    async with admin_api(
        sqlite_store, profile=Profile.PRODUCTION, secret_key=PRODUCTION_SECRET
    ) as api:
        settings = api.settings
        aliases = refusal(await api.post_graphql(thirty_one_aliases))
        introspection = refusal(await api.post_graphql('{ __type(name: "Query") { name } }'))
        graphiql = await api.client.get("/graphql", headers={"accept": "text/html"})

    assert "errors" not in in_development
    assert aliases["extensions"]["maximum"] == PRODUCTION_DEFAULTS["max_aliases"] == 30
    assert "introspection" in introspection["message"]
    assert graphiql.status_code == 404
    assert {name: getattr(settings, name) for name in PRODUCTION_DEFAULTS} == PRODUCTION_DEFAULTS
    assert settings.max_query_depth < load_settings().max_query_depth


def test_production_refuses_the_development_secret_key() -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(profile=Profile.PRODUCTION)

    assert "SAASLENS_SECRET_KEY must be set in production" in str(refused.value)


def test_production_refuses_a_short_secret_key() -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(profile=Profile.PRODUCTION, secret_key="short")

    assert "at least 32 characters" in str(refused.value)


def test_an_explicit_limit_overrides_the_production_default() -> None:
    settings = load_settings(
        profile=Profile.PRODUCTION, secret_key=PRODUCTION_SECRET, max_query_depth=12
    )

    assert settings.max_query_depth == 12
    assert settings.max_aliases == PRODUCTION_DEFAULTS["max_aliases"]
