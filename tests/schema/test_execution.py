"""Plain records completed in one loop answer as graphql-core's own execution does."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum
from typing import Any

import pytest
import strawberry
from strawberry.scalars import JSON
from strawberry.schema.config import StrawberryConfig

from saaslens.schema.execution import PlainRecordExecution
from saaslens.schema.types.scalars import SCALARS, Long


@strawberry.enum
class Tier(Enum):
    FREE = "free"
    PAID = "paid"


@strawberry.type
class Record:
    id: strawberry.ID
    name: str
    seats: int | None
    amount: Long
    tier: Tier
    attributes: JSON
    created_at: datetime
    # Declared non-null but holding None in one record: an error either way.
    label: str

    @strawberry.field
    def shout(self) -> str:
        return self.name.upper()


@strawberry.type
class Edge:
    cursor: str
    node: Record


@strawberry.type
class Query:
    @strawberry.field
    def edges(self, broken: bool = False) -> list[Edge]:
        records = [
            Record(
                id=strawberry.ID(str(number)),
                name=f"record {number}",
                seats=None if number % 2 else number,
                amount=Long(2**40 + number),
                tier=Tier.PAID if number % 3 else Tier.FREE,
                attributes=JSON({"n": number, "city": "Zürich"}),
                created_at=datetime(2024, 1, number + 1, tzinfo=UTC),
                label=None if broken and number == 2 else f"#{number}",  # type: ignore[arg-type]
            )
            for number in range(5)
        ]
        return [Edge(cursor=f"c{record.id}", node=record) for record in records]


def schemas() -> tuple[strawberry.Schema, strawberry.Schema]:
    config = StrawberryConfig(scalar_map=SCALARS)
    standard = strawberry.Schema(query=Query, config=config)
    plain = strawberry.Schema(
        query=Query, config=config, execution_context_class=PlainRecordExecution
    )
    return standard, plain


DOCUMENTS = [
    "{ edges { cursor node { id name seats amount tier attributes createdAt label } } }",
    "{ edges { node { ...Parts renamed: name shout } } } fragment Parts on Record { id tier }",
    "query ($skip: Boolean!) { edges { node { id seats @skip(if: $skip) label } } }",
    "{ edges(broken: true) { node { id label } } }",
    "{ edges(broken: true) { node { id name } } }",
    "{ edges { node { __typename id } } }",
]


@pytest.mark.parametrize("document", DOCUMENTS)
def test_an_answer_is_the_same_with_and_without_the_plain_loop(document: str) -> None:
    standard, plain = schemas()
    variables: dict[str, Any] = {"skip": True}

    expected = standard.execute_sync(document, variable_values=variables)
    answered = plain.execute_sync(document, variable_values=variables)

    assert answered.data == expected.data
    assert [(error.message, error.path) for error in answered.errors or []] == [
        (error.message, error.path) for error in expected.errors or []
    ]


def test_a_null_in_a_non_null_field_is_the_same_error() -> None:
    _, plain = schemas()

    result = plain.execute_sync("{ edges(broken: true) { node { id label } } }")

    assert result.data is None
    assert result.errors is not None
    assert result.errors[0].path == ["edges", 2, "node", "label"]
