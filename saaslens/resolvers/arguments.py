"""Arguments as the client sent them, turned into what the store takes."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.scalars import JSON

from saaslens.errors import InvalidInput

# Row ids are 64-bit signed integers on both stores.
LARGEST_ID = 2**63 - 1


def stored_id(id: strawberry.ID) -> int:
    """The row id an ID names, refused unless it is one this API could have issued."""
    text = str(id)
    # str.isdigit() also passes digits such as "¹" that int() refuses, and the
    # length check spares int() a string of thousands of digits.
    digits = text.isascii() and text.isdigit() and len(text) <= len(str(LARGEST_ID))
    if not digits or int(text) > LARGEST_ID:
        raise InvalidInput(f"{id!r} is not an id this API issued")
    return int(text)


def json_object(value: JSON | None, name: str) -> dict[str, Any] | None:
    """A JSON argument that must be an object when given."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidInput(f"`{name}` must be a JSON object")
    return value
