"""Product usage: events from each customer's users while it has a live subscription.

The number of events falls in cells of one customer and one calendar month:
a Poisson count whose mean grows with the customer's users and engagement,
and fades in the weeks before the customer churns. Counts are drawn up
front, so the total is known before any event exists; the events themselves
are made a block of customers at a time, each block from its own random
stream, so memory stays flat and the result does not depend on batch sizes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from saaslens.data.demo.customers import Customers
from saaslens.data.demo.markets import UTC_OFFSET
from saaslens.data.demo.subscriptions import Lives
from saaslens.data.demo.tables import Table, id_pattern, optional
from saaslens.data.demo.timeline import (
    BILLING_MONTH_DAYS,
    DAY,
    Bools,
    Floats,
    Ints,
    Timeline,
    weekday_activity,
    working_time,
)

# event name: its share of all events
EVENT_NAMES = {
    "login": 0.3,
    "report_viewed": 0.36,
    "dashboard_created": 0.05,
    "export": 0.14,
    "alert_created": 0.04,
    "invite_sent": 0.03,
    "dashboard_shared": 0.08,
}
NAMES = np.array(list(EVENT_NAMES))
NAME_SHARE = np.array(list(EVENT_NAMES.values()))
REPORT_VIEWED, EXPORT = list(EVENT_NAMES).index("report_viewed"), list(EVENT_NAMES).index("export")
REPORTS = np.array(["mrr", "churn", "cohorts", "funnel", "forecast", "ltv"])
FORMATS = np.array(["csv", "xlsx", "pdf"])

# Events per user and month for a customer of average engagement.
EVENTS_PER_USER = 2.8
ACTIVITY_ENGAGEMENT = 0.8
# Activity at the moment of churn, as a share of usual, and how many days
# before churn it starts to fade.
FADE_FLOOR, FADE_DAYS = 0.25, 45.0
CUSTOMERS_PER_BLOCK = 1_000
STREAM = 7


@dataclass(frozen=True)
class Activity:
    """Month cells of every life, each with its number of events."""

    seed: int
    timeline: Timeline
    customer: Ints
    begin: Ints
    finish: Ints
    count: Ints
    users: Ints
    utc_offset: Ints
    customers_total: int

    @property
    def total(self) -> int:
        return int(self.count.sum())

    def blocks(self) -> Iterator[Table]:
        """The events, a block of customers at a time, in customer and time order."""
        block_of_cell = self.customer // CUSTOMERS_PER_BLOCK
        blocks = self.customers_total // CUSTOMERS_PER_BLOCK + 1
        starts = np.searchsorted(block_of_cell, np.arange(blocks + 1))
        first_id = 1 + np.concatenate([[0], self.count.cumsum()])[starts]
        user_base = np.concatenate([[0], self.users.cumsum()])
        for block in range(blocks):
            cells = np.arange(starts[block], starts[block + 1])
            if self.count[cells].sum() == 0:
                continue
            rng = np.random.default_rng([self.seed, STREAM, block])
            yield self._events(rng, cells, int(first_id[block]), user_base)

    def _events(
        self, rng: np.random.Generator, cells: Ints, first_id: int, user_base: Ints
    ) -> Table:
        cell = np.repeat(cells, self.count[cells])
        customer = self.customer[cell]
        time = self._moments(rng, cell, self.utc_offset[customer])
        user = user_base[customer] + (self.users[customer] * rng.random(len(cell)) ** 2).astype(
            np.int64
        )
        name = rng.choice(len(NAMES), size=len(cell), p=NAME_SHARE / NAME_SHARE.sum())
        report = REPORTS[rng.integers(len(REPORTS), size=len(cell))]
        export = FORMATS[rng.integers(len(FORMATS), size=len(cell))]
        order = np.lexsort((time, customer))
        name = name[order]
        return Table(
            {
                "id": first_id + np.arange(len(cell)),
                "customer_id": customer[order] + 1,
                "user_id": user[order] + 1,
                "name": NAMES[name],
                "occurred_at": time[order].astype("datetime64[s]"),
                "report": optional(report[order], name == REPORT_VIEWED),
                "format": optional(export[order], name == EXPORT),
            },
            ids={
                "id": id_pattern("evt", self.total, 9),
                "customer_id": id_pattern("cus", self.customers_total),
                "user_id": id_pattern("usr", int(self.users.sum()), 7),
            },
            documents={"properties": ("report", "format")},
        )

    def _moments(self, rng: np.random.Generator, cell: Ints, offset: Ints) -> Ints:
        """Moments inside each event's cell: busier weekdays, office hours, local time."""
        begin, finish = self.begin[cell], self.finish[cell]
        first_day = self.timeline.first_day - 1
        days = np.arange(first_day, self.timeline.last_day + 2)
        cumulative = np.concatenate([[0.0], weekday_activity(days).cumsum()])
        low = (begin + offset) // DAY - first_day
        high = (finish - 1 + offset) // DAY - first_day + 1
        draw = cumulative[low] + rng.random(len(cell)) * (cumulative[high] - cumulative[low])
        day = np.searchsorted(cumulative, draw, side="right") - 1 + first_day
        time = day * DAY + working_time(rng, len(cell)) - offset
        # A cell may start or end mid-day; an event outside it moves inside.
        outside = (time < begin) | (time >= finish)
        spread = rng.random(len(cell)) * (finish - begin)
        return np.where(outside, begin + spread.astype(np.int64), time)


def activity(
    rng: np.random.Generator,
    seed: int,
    timeline: Timeline,
    customers: Customers,
    lives: Lives,
    events_per_user: float,
) -> Activity:
    """Split every life into month cells and draw how many events each holds."""
    order = np.lexsort((lives.begin, lives.customer))
    customer, begin, finish = lives.customer[order], lives.begin[order], lives.finish[order]
    churned = lives.churned[order]
    bounds = timeline.month_starts() * DAY
    first = np.searchsorted(bounds, begin, side="right") - 1
    last = np.searchsorted(bounds, finish - 1, side="right") - 1
    spans = np.where(finish > begin, last - first + 1, 0)
    life = np.repeat(np.arange(len(customer)), spans)
    month = first[life] + np.arange(len(life)) - np.repeat(spans.cumsum() - spans, spans)
    cell_begin = np.maximum(begin[life], bounds[month])
    cell_finish = np.minimum(finish[life], bounds[month + 1])
    who = customer[life]
    mean = (
        events_per_user
        * customers.users[who]
        * np.exp(ACTIVITY_ENGAGEMENT * customers.engagement[who] - ACTIVITY_ENGAGEMENT**2 / 2)
        * (cell_finish - cell_begin)
        / (BILLING_MONTH_DAYS * DAY)
        * _fade(finish[life], (cell_begin + cell_finish) // 2, churned[life])
    )
    return Activity(
        seed=seed,
        timeline=timeline,
        customer=who,
        begin=cell_begin,
        finish=cell_finish,
        count=rng.poisson(mean),
        users=customers.users,
        utc_offset=UTC_OFFSET[customers.country],
        customers_total=len(customers.created),
    )


def _fade(finish: Ints, moment: Ints, churned: Bools) -> Floats:
    """Usage thins out before a churn: the closer to it, the less is done."""
    days_left = (finish - moment) / DAY
    fade = 1 - (1 - FADE_FLOOR) * np.exp(-days_left / FADE_DAYS)
    return np.where(churned, fade, 1.0)
