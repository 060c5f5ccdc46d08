"""Cached parsing and validation, and the encoder of responses, change no answer."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from saaslens.schema.router import encode
from tests import factories
from tests.api import Api

FIRST = "{ customers(first: %d) { edges { node { id attributes } } } }"


async def test_a_refused_document_is_refused_again_when_sent_again(api: Api) -> None:
    document = "{ customers(first: 1) { edges { node { nickname } } } }"

    first = await api.post_graphql(document)
    second = await api.post_graphql(document)

    assert first == second
    assert first["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "nickname" in first["errors"][0]["message"]


async def test_a_document_that_does_not_parse_is_refused_with_its_code_each_time(
    api: Api,
) -> None:
    first = await api.post_graphql("{ customers { totalCount ")
    second = await api.post_graphql("{ customers { totalCount ")

    assert first == second
    assert first["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert first["errors"][0]["message"].startswith("Syntax Error")


async def test_documents_apart_by_one_literal_get_their_own_answers(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with sessions() as session:
        await factories.add_all(session, factories.customer("c1"), factories.customer("c2"))

    one = await api.data(FIRST % 1)
    two = await api.data(FIRST % 2)
    one_again = await api.data(FIRST % 1)

    assert [edge["node"]["id"] for edge in one["customers"]["edges"]] == ["c1"]
    assert [edge["node"]["id"] for edge in two["customers"]["edges"]] == ["c1", "c2"]
    assert one_again == one


async def test_attributes_come_back_as_stored_whatever_they_hold(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    attributes = {"city": "Zürich ☃", "seats": 12, "ratio": 0.1, "id": 2**70, "tags": [None]}
    async with sessions() as session:
        await factories.add_all(session, factories.customer("c1", attributes=attributes))

    data = await api.data(FIRST % 1)

    assert data["customers"]["edges"][0]["node"]["attributes"] == attributes


def test_encoding_writes_what_the_standard_encoder_writes() -> None:
    """Byte for byte, but for exponents: orjson writes 1e-7 where json writes 1e-07."""
    payloads: list[Any] = [
        {"data": {"me": {"email": "a@example.com", "role": "ADMIN"}}},
        {"data": None, "errors": [{"message": "no", "path": ["a", 0], "extensions": {}}]},
        {"data": {"rates": [0.1, 1.5, -2.25, 123456.789, 1 / 3], "flags": [True, False]}},
        {"data": {"name": 'Zürich ☃ "quoted" \\ \n', "big": 2**70}},
    ]

    for payload in payloads:
        standard = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
        assert encode(payload).decode() == standard
    tiny = {"data": {"rate": 1e-7, "huge": 1.5e300}}
    assert json.loads(encode(tiny)) == tiny
