"""Every root field refuses strangers, except those deliberately public."""

from __future__ import annotations

import logging

import pytest

from tests.api import Api
from tests.schema.walk import root_fields

# Fields anyone may call; every other root field needs credentials.
PUBLIC = {"signIn"}


@pytest.mark.parametrize("operation", ["query", "mutation"])
async def test_every_root_field_without_credentials_is_unauthenticated(
    anonymous: Api, operation: str
) -> None:
    fields = root_fields(operation)
    answers = {name: await anonymous.post_graphql(document) for name, document in fields.items()}

    codes = {
        name: [error["extensions"]["code"] for error in body.get("errors", [])]
        for name, body in answers.items()
    }
    assert fields, f"the schema has {operation} fields"
    for name, found in codes.items():
        expected = [] if name in PUBLIC else ["UNAUTHENTICATED"]
        assert found == expected, f"{operation} {name}: {answers[name]}"


def test_the_public_fields_still_exist() -> None:
    assert set(root_fields("query")) | set(root_fields("mutation")) >= PUBLIC


async def test_a_refused_stranger_is_not_logged_as_a_fault(
    anonymous: Api, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        body = await anonymous.post_graphql("{ me { email } }")

    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert [record.getMessage() for record in caplog.records] == []
