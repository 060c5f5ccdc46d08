"""Scalars beyond GraphQL's own, mapped from plain Python types.

GraphQL's Int is 32 bits; an amount in cents passes 2**31 at about 21 million,
so money and counts that can grow use Long.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NewType

import strawberry
from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.types.scalar import ScalarDefinition

Long = NewType("Long", int)


def _parse_datetime(value: object) -> datetime:
    try:
        moment = datetime.fromisoformat(value)  # type: ignore[arg-type]
        # A time without an offset is read as UTC, as ingestion reads one; a
        # naive time cannot be stored or compared with the aware ones.
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (TypeError, ValueError):
        # The error Strawberry raises for client input, reported as BAD_USER_INPUT.
        raise StrawberryInputCoercionError(
            f"Value cannot represent a DateTime: {value!r}; expected ISO 8601"
        ) from None
    except OverflowError:
        raise StrawberryInputCoercionError(
            f"Value cannot represent a DateTime: {value!r}; it falls outside the years 1 to "
            "9999 in UTC"
        ) from None


SCALARS: dict[object, ScalarDefinition] = {
    # Strawberry's own DateTime parses with dateutil, several microseconds per
    # value, which an ingestion of thousands of records pays on every one. The
    # standard library reads the same ISO 8601 forms; the SDL is unchanged.
    datetime: strawberry.scalar(
        name="DateTime",
        description="Date with time (ISO 8601); a time without an offset is read as UTC.",
        serialize=datetime.isoformat,
        parse_value=_parse_datetime,
    ),
    Long: strawberry.scalar(
        name="Long",
        description="A 64-bit integer, such as an amount in minor currency units.",
        serialize=int,
        parse_value=int,
    ),
}
