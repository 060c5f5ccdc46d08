from __future__ import annotations

from pathlib import Path

from saaslens.schema import schema

EXPORTED = Path(__file__).parents[1] / "docs" / "schema.graphql"


def test_exported_schema_is_current() -> None:
    assert EXPORTED.read_text() == schema.as_str() + "\n", (
        "docs/schema.graphql is stale; run `saaslens schema export`"
    )
