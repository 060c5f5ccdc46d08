"""Hand-made and generated customers for the cohort tests."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from tests.metrics.book import Book


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def busy_book(seed: int) -> Book:
    """Customers signing up over half a year; users with gaps, payments, two event names."""
    rng = random.Random(seed)
    book = Book(zone="America/New_York")
    start = utc(2024, 1, 1, 0)
    for number in range(30):
        customer = book.customer(
            f"c{number:02d}",
            start + timedelta(hours=rng.randint(0, 180 * 24)),
            country=rng.choice(["US", "DE"]),
            segment=rng.choice(["smb", "enterprise"]),
        )
        for user in range(rng.randint(0, 3)):
            for _ in range(rng.randint(1, 10)):
                moment = start + timedelta(minutes=rng.randint(0, 200 * 24 * 60))
                book.event(customer, f"{customer}-u{user}", moment, rng.choice(["open", "share"]))
        if rng.random() < 0.6:
            book.payment(customer, start + timedelta(days=rng.randint(0, 170)), 5000)
    return book


def new_york() -> Book:
    """Three customers in New York time whose activity has gaps and crosses midnight UTC."""
    book = Book(zone="America/New_York")
    # Signs up on 31 January at 23:30 in New York (February in UTC): a January member.
    book.customer("late", utc(2024, 2, 1, 4, 30))
    # Active on 29 February at 22:00 in New York (1 March in UTC): offset 1.
    book.event("late", "u1", utc(2024, 3, 1, 3))
    # A gap: active again in April (offset 3), not in March.
    book.event("late", "u1", utc(2024, 4, 10, 15))
    # Only ever active in its own cohort's period.
    book.customer("once", utc(2024, 1, 5, 15))
    book.event("once", "u2", utc(2024, 1, 6, 15))
    # A February member.
    book.customer("feb", utc(2024, 2, 10, 15))
    book.event("feb", "u3", utc(2024, 3, 2, 15))
    return book
