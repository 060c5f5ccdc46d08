"""Scalars beyond GraphQL's own, mapped from plain Python types.

GraphQL's Int is 32 bits; an amount in cents passes 2**31 at about 21 million,
so money and counts that can grow use Long.
"""

from __future__ import annotations

from typing import NewType

import strawberry
from strawberry.types.scalar import ScalarDefinition

Long = NewType("Long", int)

SCALARS: dict[object, ScalarDefinition] = {
    Long: strawberry.scalar(
        name="Long",
        description="A 64-bit integer, such as an amount in minor currency units.",
        serialize=int,
        parse_value=int,
    ),
}
