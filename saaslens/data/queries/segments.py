"""Segment filters and breakdowns, as conditions and columns on the customers table.

A customer attribute is read from the JSON `attributes` document as text,
through json_extract on SQLite and ->> on PostgreSQL; booleans read as
`true`/`false` on both, so one filter value matches either store.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, FromClause, String, func, literal, literal_column, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from saaslens.data.models import Customer
from saaslens.errors import InvalidInput

customers = Customer.__table__
ATTRIBUTE_KEY = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
NO_VALUE = ""


class Dimension(StrEnum):
    PLAN = "plan"
    COUNTRY = "country"
    SEGMENT = "segment"
    ATTRIBUTE = "attribute"


@dataclass(frozen=True)
class Segment:
    """Which customers (and, for `plan`, which subscriptions) a metric covers."""

    plan: str | None = None
    country: str | None = None
    segment: str | None = None
    attributes: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        for key, _ in self.attributes:
            check_attribute_key(key)

    @property
    def filters_customers(self) -> bool:
        # The same tests as customer_conditions: an empty country is a filter
        # (matching no one), and a condition on customers needs them joined.
        return self.country is not None or self.segment is not None or bool(self.attributes)

    def customer_conditions(self) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if self.country is not None:
            conditions.append(customers.c.country == self.country.upper())
        if self.segment is not None:
            conditions.append(customers.c.segment == self.segment)
        for key, value in self.attributes:
            conditions.append(attribute_text(key) == value)
        return conditions or [true()]


@dataclass(frozen=True)
class Breakdown:
    """One series per value of a dimension; `attribute` names the JSON key."""

    dimension: Dimension
    attribute: str | None = None

    def __post_init__(self) -> None:
        if (self.dimension is Dimension.ATTRIBUTE) != (self.attribute is not None):
            raise InvalidInput("a breakdown names an attribute key exactly when it is ATTRIBUTE")
        if self.attribute is not None:
            check_attribute_key(self.attribute)

    def customer_column(self) -> ColumnElement[str]:
        """The value of a customer-level dimension, '' where the customer has none."""
        if self.dimension is Dimension.COUNTRY:
            column: ColumnElement[str] = customers.c.country
        elif self.dimension is Dimension.SEGMENT:
            column = customers.c.segment
        elif self.attribute is not None:
            column = attribute_text(self.attribute)
        else:
            raise ValueError("plan is not a customer column")
        return func.coalesce(column, NO_VALUE)


def with_customers(
    records: FromClause, segment: Segment, breakdown: Breakdown | None
) -> FromClause:
    """`records` joined to their customers when the segment or breakdown reads them."""
    reads_customers = segment.filters_customers or (
        breakdown is not None and breakdown.dimension is not Dimension.PLAN
    )
    if not reads_customers:
        return records
    return records.join(customers, customers.c.id == records.c.customer_id)


NO_GROUP: ColumnElement[str] = literal_column("''", String)
"""The group column of a query without a breakdown: one constant group."""


def grouping(group: ColumnElement[str]) -> list[ColumnElement[str]]:
    """GROUP BY terms for a group column; PostgreSQL refuses to group by a constant."""
    return [] if group is NO_GROUP else [group]


def check_attribute_key(key: str) -> None:
    if not ATTRIBUTE_KEY.match(key):
        raise InvalidInput(
            f"attribute key {key!r} must be 1 to 100 letters, digits, '_', '.' or '-'"
        )


class _AttributeText(FunctionElement[str]):
    """The text of one top-level key of customers.attributes."""

    type = String()
    inherit_cache = True


@compiles(_AttributeText, "sqlite")
def _sqlite_attribute(element: _AttributeText, compiler: SQLCompiler, **kw: Any) -> str:
    document_column, _, path_value = element.clauses.clauses
    document = compiler.process(document_column, **kw)
    path = compiler.process(path_value, **kw)
    return (
        f"CASE json_type({document}, {path}) WHEN 'true' THEN 'true' "
        f"WHEN 'false' THEN 'false' ELSE CAST(json_extract({document}, {path}) AS TEXT) END"
    )


@compiles(_AttributeText, "postgresql")
def _postgres_attribute(element: _AttributeText, compiler: SQLCompiler, **kw: Any) -> str:
    # Only the arguments this dialect uses are compiled, so no bind goes untyped.
    document, key, _ = element.clauses.clauses
    return f"({compiler.process(document, **kw)} ->> {compiler.process(key, **kw)})"


def attribute_text(key: str) -> ColumnElement[str]:
    """The attribute as text; the key was checked, so it needs no escaping in the path."""
    path = f'$."{key}"'
    return _AttributeText(customers.c.attributes, literal(key, String), literal(path, String))
