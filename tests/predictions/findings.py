"""A year of a small business built to hold each kind of finding, or none of them.

Customers sign up every month of 2024, pay monthly on their signup day and use
the product once a week until they cancel; a fixed share of each cohort never
comes back after its first month. The eventful year adds, one per kind:

- December churn six times the usual rate;
- new business falling every month from June;
- a November cohort of which most never come back;
- valuable customers who stop paying in July, keep their subscription, and
  stop using the product in December.

Everything is decided by counts and customer numbers, not chance, except the
amounts of single payments, so the calm year holds no finding.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from tests.metrics.book import Book

YEAR_END = datetime(2025, 1, 1, tzinfo=UTC)
CALM_SIGNUPS = [40, 41] * 6
FALLING_SIGNUPS = [60] * 5 + [60, 52, 44, 36, 28, 20, 12]
AT_RISK = 6


@dataclass
class World:
    book: Book
    # customer id -> the moment its subscription is cancelled, for those that churn
    churned: dict[str, datetime] = field(default_factory=dict)


@dataclass(frozen=True)
class Member:
    id: str
    joined: datetime
    mrr: int
    # Uses the product only in the month it signed up in.
    quitting: bool


def month_start(month: int) -> datetime:
    return datetime(2024, month, 1, tzinfo=UTC)


def build(eventful: bool) -> World:
    book = Book()
    world = World(book)
    rng = random.Random(3)
    signups = FALLING_SIGNUPS if eventful else CALM_SIGNUPS
    members: list[Member] = []
    for month, count in enumerate(signups, start=1):
        for index in range(count):
            quitting = index % 5 in ((0, 1, 2) if eventful and month == 11 else (0,))
            member = Member(
                f"c{month:02d}{index:02d}",
                month_start(month) + timedelta(days=index % 27, hours=9),
                3000 + 500 * (index % 5),
                quitting,
            )
            book.customer(member.id, member.joined)
            book.change(f"s-{member.id}", member.id, member.joined, "active", member.mrr)
            members.append(member)
    _churn(world, members, eventful)
    for member in members:
        ends = world.churned.get(member.id, YEAR_END)
        _pay(book, rng, member.id, member.joined, ends, member.mrr)
        last_use = _next_month(member.joined).replace(day=1, hour=0) if member.quitting else ends
        _use(book, member.id, member.joined, last_use)
    if eventful:
        _valuable_customers_drifting_away(book, rng)
    return world


def _churn(world: World, members: list[Member], eventful: bool) -> None:
    """From February, a fixed share of the customers paying at a month's start cancel on
    its fifteenth: 3%, or 18% in an eventful December."""
    for month in range(2, 13):
        start = month_start(month)
        paying = [m.id for m in members if m.joined < start and m.id not in world.churned]
        share = 0.18 if eventful and month == 12 else 0.03
        leaving = paying[:: max(1, round(1 / share))][: round(share * len(paying))]
        moment = start + timedelta(days=14, hours=12)
        for customer in leaving:
            world.churned[customer] = moment
            world.book.change(f"s-{customer}", customer, moment, "canceled", 0)


def _pay(
    book: Book, rng: random.Random, customer: str, joined: datetime, ends: datetime, mrr: int
) -> None:
    moment = joined
    while moment < ends:
        book.payment(customer, moment, mrr + rng.randint(-400, 400))
        moment = _next_month(moment)


def _use(book: Book, customer: str, joined: datetime, ends: datetime) -> None:
    moment = joined
    while moment < min(ends, YEAR_END):
        book.event(customer, f"{customer}-u", moment)
        moment += timedelta(days=7)


def _valuable_customers_drifting_away(book: Book, rng: random.Random) -> None:
    for number in range(AT_RISK):
        customer = f"v{number}"
        joined = datetime(2024, 1, 3 + number, 9, tzinfo=UTC)
        book.customer(customer, joined)
        book.change(f"s-{customer}", customer, joined, "active", 20000)
        _pay(book, rng, customer, joined, datetime(2024, 7, 20, tzinfo=UTC), 20000)
        _use(book, customer, joined, datetime(2024, 12, 1, tzinfo=UTC))


def _next_month(moment: datetime) -> datetime:
    year, month = divmod(moment.year * 12 + moment.month, 12)
    return moment.replace(year=year, month=month + 1, day=min(moment.day, 28))
