"""Hand-made customers whose MRR history exercises each movement rule."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from tests.metrics.book import Book


def at(year: int, month: int, day: int, hour: int = 12) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def hand_made(zone: str = "UTC") -> Book:
    """Seven customers over January to June 2024 (monthly totals in the tests)."""
    book = Book(zone=zone, rates={"USD": 1.0, "EUR": 1.1})
    start = at(2024, 1, 1)

    # a: two subscriptions; on one day one is upgraded and the other cancelled.
    book.customer("a", start, country="DE", segment="smb", attributes={"tier": "gold", "seats": 5})
    book.change("a1", "a", at(2024, 1, 10), "active", 10000)
    book.change("a2", "a", at(2024, 1, 10), "active", 5000, plan="addon")
    book.change("a1", "a", at(2024, 3, 10, 9), "active", 20000, plan="pro")
    book.change("a2", "a", at(2024, 3, 10, 17), "canceled", 0, plan="addon")

    # b: upgraded and cancelled on the same day, the cancellation last.
    book.customer("b", start, country="US", segment="smb", attributes={"tier": "silver"})
    book.change("b1", "b", at(2024, 1, 5), "active", 3000)
    book.change("b1", "b", at(2024, 4, 2, 8), "active", 9000, plan="pro")
    book.change("b1", "b", at(2024, 4, 2, 20), "canceled", 0, plan="pro")

    # c: pays, churns, and comes back months later on a new subscription.
    book.customer("c", start, country="US", segment="enterprise")
    book.change("c1", "c", at(2024, 1, 20), "active", 4000)
    book.change("c1", "c", at(2024, 2, 15), "canceled", 0)
    book.change("c2", "c", at(2024, 5, 3), "active", 5000)

    # d: two subscriptions; ending one is contraction, ending the last is churn.
    book.customer("d", start, country="FR", segment="enterprise", attributes={"tier": "gold"})
    book.change("d1", "d", at(2024, 2, 3), "active", 6000)
    book.change("d2", "d", at(2024, 2, 3), "active", 2000, plan="addon")
    book.change("d2", "d", at(2024, 4, 10), "canceled", 0, plan="addon")
    book.change("d1", "d", at(2024, 5, 20), "canceled", 0)

    # e: billed in euros, converted to the base currency at 1.1.
    book.customer("e", start, country="DE", segment="smb")
    book.change("e1", "e", at(2024, 2, 1), "active", 10000, currency="EUR")

    # f: a trial that never pays; g: a trial that converts.
    book.customer("f", start, country="US", segment="smb")
    book.change("f1", "f", at(2024, 2, 1), "trialing", 0)
    book.change("f1", "f", at(2024, 2, 15), "canceled", 0)
    book.customer("g", start, country="US", segment="smb")
    book.change("g1", "g", at(2024, 3, 1), "trialing", 0)
    book.change("g1", "g", at(2024, 3, 15), "active", 2500)

    # h: past due still counts as MRR until the subscription is cancelled.
    book.customer("h", start, country="FR", segment="smb")
    book.change("h1", "h", at(2024, 1, 8), "active", 8000)
    book.change("h1", "h", at(2024, 3, 8), "past_due", 8000)
    book.change("h1", "h", at(2024, 6, 8), "canceled", 0)

    book.payment("a", at(2024, 1, 10), 15000)
    book.payment("a", at(2024, 2, 10), 15000)
    book.payment("a", at(2024, 2, 12), 5000, kind="refund")
    book.payment("e", at(2024, 3, 1), 11000)
    return book


def generated(seed: int, customers: int = 24, zone: str = "America/New_York") -> Book:
    """Random histories over 2024: trials, upgrades, cancellations, returns, events."""
    rng = random.Random(seed)
    book = Book(zone=zone)
    countries = ["US", "DE", "JP"]
    for number in range(customers):
        customer = book.customer(
            f"c{number:03d}",
            at(2024, 1, 1),
            country=rng.choice(countries),
            segment=rng.choice(["smb", "enterprise"]),
            attributes={"tier": rng.choice(["gold", "silver"])},
        )
        for index in range(rng.randint(1, 3)):
            _subscription(book, rng, customer, f"{customer}-s{index}")
        for user in range(rng.randint(0, 3)):
            for _ in range(rng.randint(1, 12)):
                moment = at(2024, 1, 1, 0) + timedelta(minutes=rng.randint(0, 150 * 24 * 60))
                book.event(customer, f"{customer}-u{user}", moment, rng.choice(["open", "share"]))
        if rng.random() < 0.5:
            book.payment(customer, at(2024, 1, 1) + timedelta(days=rng.randint(0, 300)), 5000)
    return book


def _subscription(book: Book, rng: random.Random, customer: str, subscription: str) -> None:
    moment = at(2024, 1, 1, 0) + timedelta(hours=rng.randint(0, 200 * 24))
    if rng.random() < 0.4:
        book.change(subscription, customer, moment, "trialing", 0)
        moment += timedelta(days=rng.randint(1, 20))
    for _ in range(rng.randint(1, 5)):
        status = rng.choice(["active", "active", "past_due", "canceled"])
        mrr = 0 if status == "canceled" else rng.choice([1000, 2500, 4000, 9900])
        book.change(subscription, customer, moment, status, mrr, plan=rng.choice(["basic", "pro"]))
        # Changes a few hours apart often share a local day, or straddle midnight.
        moment += timedelta(hours=rng.choice([3, 20, 24 * 9, 24 * 40]))
