"""A shape checks rows exactly as its record model does, and fingerprints the same content."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import ValidationError

from saaslens.data.ingestion.records import RECORDS, SHAPES, Kind, _plain_event


def event(**changes: Any) -> dict[str, Any]:
    return {
        "id": "e9",
        "customer_id": "c1",
        "user_id": "u1",
        "name": "search",
        "occurred_at": "2024-02-01T12:00:00Z",
        **changes,
    }


# Events in the shapes nearly all arrive in: they take the plain path.
PLAIN_EVENTS = [
    event(),
    event(occurred_at="2024-02-29T23:59:59.123+05:30", properties=""),
    event(occurred_at="0999-12-31T00:00:00.000001-11:00", properties='{"b": {"d": 1, "c": []}}'),
    event(occurred_at="2024-02-01T12:00:00", properties={"z": None, "a": [{"y": 1, "x": 2}]}),
    event(occurred_at=datetime(2024, 3, 31, 1, 30, tzinfo=timezone(timedelta(hours=-3)))),
    event(occurred_at=datetime(2024, 3, 31, 1, 30), properties=None),
    event(id="x" * 128, name="n" * 200, properties="{}"),
]

# Rows the plain path leaves to the record model, whose verdict must not change.
UNUSUAL_EVENT_CHANGES: list[dict[str, Any]] = [
    {"id": " e9"},
    {"user_id": "u1\t"},
    {"id": "x" * 129},
    {"name": "n" * 201},
    {"name": ""},
    {"customer_id": "Ünïcode"},
    {"customer_id": 17},
    {"occurred_at": "2024-02-01t12:00:00z"},
    {"occurred_at": "2024-02-01T12:00:00.12+00:00"},
    {"occurred_at": "2024-13-01T12:00:00Z"},
    {"occurred_at": "2024-02-01T23:59:60Z"},
    {"occurred_at": "2024-02-01T12:00:00+24:00"},
    {"occurred_at": "2024-02-01"},
    {"occurred_at": 1706788800},
    {"occurred_at": datetime(2024, 2, 1).date()},
    {"properties": "null"},
    {"properties": "[]"},
    {"properties": '{"a": 1'},
    {"properties": '{"ключ": 1}'},
    {"properties": {1: "a"}},
    {"name": "sea\x00rch"},
    {"properties": {"k\x00": 1}},
    {"properties": '{"k": ["\\u0000"]}'},
    {"colour": "blue"},
]

ROWS: dict[Kind, list[dict[str, Any]]] = {
    Kind.CUSTOMERS: [
        {"id": " c1 ", "name": "Acme", "country": "de", "created_at": "2024-01-05T10:00:00"},
        {
            "id": "c2",
            "name": "Ünïcode GmbH\u2028",
            "email": "",
            "segment": "smb",
            "attributes": '{"b": [1.5, 1e300, null], "a": {"z": 1, "y": "é"}}',
            "created_at": "2024-03-31T23:30:00-02:00",
        },
        {"id": "c3", "name": "x", "created_at": "2024-01-05", "extra": 1},
        {"id": "", "name": "x" * 201, "country": "DEU", "attributes": "{oops"},
        {
            "id": "c\x004",
            "name": "x\x00",
            "email": "a\x00@example.com",
            "attributes": {"k\x00": 1, "list": ["\x00"]},
            "created_at": "2024-01-05",
        },
        {"id": "c5", "name": "x", "attributes": '{"nested": {"a": "\\u0000"}}'},
    ],
    Kind.SUBSCRIPTION_CHANGES: [
        {
            "id": "s1-1",
            "subscription_id": "s1",
            "customer_id": "c1",
            "plan": "growth",
            "mrr": "4900",
            "currency": "eur",
            "status": "active",
            "effective_at": "2024-02-01T00:00:00+01:00",
        },
        {"id": "s1-2", "quantity": -1, "mrr": "4.5", "status": "paused", "currency": "EURO"},
    ],
    Kind.PAYMENTS: [
        {
            "id": "p1",
            "customer_id": "c1",
            "amount": 1200,
            "currency": "JPY",
            "occurred_at": "2024-02-01T12:00:00Z",
        },
        {"id": "p2", "customer_id": "c1", "amount": 0, "kind": "gift", "occurred_at": "never"},
    ],
    Kind.EVENTS: [
        {
            "id": "e1",
            "customer_id": "c1",
            "user_id": "u1",
            "name": "report.viewed",
            "occurred_at": "2024-02-01T12:00:00.123456+05:30",
            "properties": '{"page": 3, "plan": "pro"}',
        },
        {
            "id": "e2",
            "customer_id": "c1",
            "user_id": "u1",
            "name": "search",
            "occurred_at": "2024-02-01 12:00",
        },
        {"id": "e3", "customer_id": "c1", "user_id": "  ", "properties": "[1, 2]"},
        *PLAIN_EVENTS,
        *(event(**change) for change in UNUSUAL_EVENT_CHANGES),
    ],
    Kind.LEADS: [
        {"id": "l1", "created_at": "2024-01-01T00:00:00Z", "value": "5000", "currency": "usd"},
        {"id": "l2", "created_at": "2024-01-01T00:00:00Z", "company_size": "", "source": "ads"},
        {"id": "l3", "created_at": "2024-01-01T00:00:00Z", "value": "5000"},
        {"id": "l4", "company_size": "-3"},
    ],
    Kind.LEAD_STAGE_CHANGES: [
        {"id": "ls1", "lead_id": "l1", "stage": " Qualified ", "occurred_at": "2024-01-02"},
        {"id": "ls2", "lead_id": "l1", "stage": ""},
    ],
    Kind.EXCHANGE_RATES: [
        {"day": "2024-01-01", "currency": "eur", "rate": "1.0921"},
        {"day": "2024-01-01", "currency": "EUR", "rate": 0.1},
        {"day": "2024-02-30", "currency": "EUR", "rate": "nan"},
    ],
}

CASES = [(kind, row) for kind, rows in ROWS.items() for row in rows]


def _model_outcome(kind: Kind, row: dict[str, Any]) -> tuple[dict[str, Any], int] | list[Any]:
    """What the record model itself makes of a row: its fields and the digest of its
    JSON, or its errors."""
    try:
        record = RECORDS[kind].model_validate(row)
    except ValidationError as error:
        return error.errors(include_url=False, include_context=False)
    digest = hashlib.blake2b(record.model_dump_json().encode(), digest_size=8).digest()
    return dict(record), int.from_bytes(digest, "big", signed=True)


def _shape_outcome(kind: Kind, row: dict[str, Any]) -> tuple[dict[str, Any], int] | list[Any]:
    shape = SHAPES[kind]
    try:
        fields = shape.validate(row)
    except ValidationError as error:
        return error.errors(include_url=False, include_context=False)
    return fields, shape.fingerprint(fields)


@pytest.mark.parametrize(("kind", "row"), CASES)
def test_a_shape_agrees_with_its_record_model(kind: Kind, row: dict[str, Any]) -> None:
    assert _shape_outcome(kind, row) == _model_outcome(kind, row)


def test_the_cases_cover_valid_and_invalid_rows_of_every_kind() -> None:
    for kind in Kind:
        outcomes = [_model_outcome(kind, row) for row in ROWS[kind]]
        assert any(isinstance(outcome, tuple) for outcome in outcomes), kind
        assert any(isinstance(outcome, list) for outcome in outcomes), kind


def test_a_shape_keeps_the_fields_in_declaration_order() -> None:
    fields = SHAPES[Kind.EVENTS].validate(ROWS[Kind.EVENTS][1])
    assert list(fields) == list(RECORDS[Kind.EVENTS].model_fields)
    assert fields["properties"] == {}


def test_usual_event_rows_take_the_plain_path_and_unusual_ones_do_not() -> None:
    assert all(_plain_event(row) is not None for row in PLAIN_EVENTS)
    unusual = [event(**change) for change in UNUSUAL_EVENT_CHANGES]
    assert [row for row in unusual if _plain_event(row) is not None] == []


def test_the_plain_path_gives_utc_times() -> None:
    fields = _plain_event(event(occurred_at="2024-02-01T01:00:00+02:00"))
    assert fields is not None
    assert fields["occurred_at"] == datetime(2024, 1, 31, 23, tzinfo=UTC)
    assert fields["occurred_at"].tzinfo is UTC
