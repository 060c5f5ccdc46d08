"""A whole simulated SaaS business, ready to be written kind by kind.

`simulate` draws everything but the product events up front; the events are
made lazily a block of customers at a time. The same scenario always gives
the same records.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from saaslens.data.demo.customers import Customers, customers
from saaslens.data.demo.events import EVENTS_PER_USER, Activity, activity
from saaslens.data.demo.leads import Pipeline, pipeline
from saaslens.data.demo.markets import CURRENCIES
from saaslens.data.demo.payments import payments
from saaslens.data.demo.rates import exchange_rates
from saaslens.data.demo.subscriptions import Subscriptions, subscriptions
from saaslens.data.demo.tables import Table
from saaslens.data.demo.timeline import Timeline
from saaslens.data.ingestion.records import Kind

Batch = tuple[Kind, list[dict[str, Any]]]

# Leads arrive as often as customers do; about a fifth of them are won.
LEADS_PER_CUSTOMER = 1.0


@dataclass(frozen=True)
class Scenario:
    """What to simulate: `months` whole months ending at the first day of `end`'s month."""

    customers: int
    seed: int
    end: date
    months: int = 30
    events_per_user: float = EVENTS_PER_USER
    base_currency: str = "USD"

    def __post_init__(self) -> None:
        if self.customers < 1:
            raise ValueError("the demo needs at least one customer")
        if not 1 <= self.months <= 120:
            raise ValueError("the demo spans 1 to 120 months")
        if self.events_per_user < 0:
            raise ValueError("events per user cannot be negative")
        if self.base_currency not in CURRENCIES:
            raise ValueError(
                f"the demo prices in {', '.join(CURRENCIES)}; "
                f"base currency {self.base_currency} is not one of them"
            )


@dataclass(frozen=True)
class Business:
    """Every record of the simulated business, as tables, and its events to come."""

    tables: dict[Kind, Table]
    activity: Activity

    @property
    def totals(self) -> dict[Kind, int]:
        """How many records of each kind `batches` yields, in the order it yields them."""
        counts = {kind: len(table) for kind, table in self.tables.items()}
        return {**counts, Kind.EVENTS: self.activity.total}

    def batches(self, size: int) -> Iterator[Batch]:
        """Records in batches of at most `size`, kinds in an order that satisfies
        every reference: rates, customers, subscription changes, payments,
        leads, lead stage changes, then events."""
        for kind, table in self.tables.items():
            yield from _slices(kind, table, size)
        for block in self.activity.blocks():
            yield from _slices(Kind.EVENTS, block, size)


def _slices(kind: Kind, table: Table, size: int) -> Iterator[Batch]:
    for start in range(0, len(table), size):
        yield kind, table.rows(start, start + size)


def simulate(scenario: Scenario) -> Business:
    """Draw the business; the same scenario always gives the same records."""
    rng = np.random.default_rng(scenario.seed)
    timeline = Timeline.ending(scenario.end, scenario.months)
    rates = exchange_rates(rng, timeline, scenario.base_currency)
    leads = pipeline(rng, timeline, round(scenario.customers * LEADS_PER_CUSTOMER))
    won = leads.winners(timeline)
    people = customers(rng, timeline, scenario.customers, leads, won)
    lives = subscriptions(rng, timeline, people)
    return Business(
        tables={
            Kind.EXCHANGE_RATES: rates,
            Kind.CUSTOMERS: people.table(),
            Kind.SUBSCRIPTION_CHANGES: lives.changes,
            Kind.PAYMENTS: payments(rng, timeline, lives.charges, people.currency),
            Kind.LEADS: _leads(leads, people, lives),
            Kind.LEAD_STAGE_CHANGES: leads.stage_changes(timeline),
        },
        activity=activity(
            rng, scenario.seed, timeline, people, lives.lives, scenario.events_per_user
        ),
    )


def _leads(leads: Pipeline, people: Customers, lives: Subscriptions) -> Table:
    """Won leads name their customer and are worth a year of its first MRR."""
    customer_of_lead = np.full(len(leads.created), -1)
    sold = np.flatnonzero(people.lead >= 0)
    customer_of_lead[people.lead[sold]] = sold + 1
    value = np.full(len(leads.created), -1)
    value[people.lead[sold]] = 12 * lives.first_mrr[sold]
    currency = np.zeros(len(leads.created), dtype=np.int64)
    currency[people.lead[sold]] = people.currency[sold]
    return leads.leads(customer_of_lead, value, currency, len(people.created))
