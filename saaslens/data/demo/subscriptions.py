"""Subscription lives: trials, renewals, plan changes, churn and comebacks.

Every customer's main subscription is stepped one billing month at a time,
all customers at once. At each renewal an active subscription may churn
(more likely the less engaged its customer is), move up or down a plan or
change its seats, or simply renew and be charged. A churned customer may
come back after a gap on a new subscription. Some customers also buy an
add-on, a second subscription that ends at the latest with their first life.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from saaslens.data.demo.customers import Customers
from saaslens.data.demo.markets import CURRENCIES
from saaslens.data.demo.plans import ADDON, PLANS, SCALE, STARTER, first_plans, mrr
from saaslens.data.demo.tables import Table, id_pattern
from saaslens.data.demo.timeline import DAY, Bools, Floats, Ints, Timeline, renewal

STATUSES = np.array(["trialing", "active", "past_due", "canceled"])
TRIALING, ACTIVE, PAST_DUE, CANCELED = range(4)

# Where a customer's main subscription stands between steps.
GONE, LIVE, AWAY = range(3)

TRIAL_DAYS = 14
# Which self-serve sign-ups start with a trial, per segment; sales deals do not.
TRIAL_SHARE = np.array([0.8, 0.6, 0.3])
# log-odds of a trial converting: a base and an effect per unit of engagement
TRIAL_BASE, TRIAL_ENGAGEMENT = 0.2, 0.9
# chance of churning at a renewal, per segment, scaled by exp(-0.7 * engagement)
CHURN_BASE = np.array([0.04, 0.02, 0.01])
CHURN_ENGAGEMENT = 0.7
CHURN_PLAN = np.array([1.25, 1.0, 0.8])
# chances of moving up or down at a renewal, scaled by engagement
EXPANSION, CONTRACTION = 0.035, 0.015
# chance a churned customer ever comes back, scaled by sigmoid(engagement),
# and the days it stays away: a floor plus an exponential mean
COMEBACK = 0.35
COMEBACK_DAYS = (45, 120)
# A renewal's charge fails now and then: the subscription goes past due and
# is either paid on a retry or canceled when the grace period ends.
PAYMENT_FAILURE, RECOVERY = 0.03, 0.6
RETRY_DAYS, GRACE_DAYS = 3, 8
ADDON_SHARE = np.array([0.08, 0.3, 0.45])
# a subscription's key is customer * SLOTS + slot; main lives count up from
# 0 and the add-on takes the last slot
SLOTS = 64
ADDON_SLOT = SLOTS - 1


@dataclass(frozen=True)
class Lives:
    """Spans when a customer had a live main subscription (trial or paid)."""

    customer: Ints
    begin: Ints
    finish: Ints
    churned: Bools


@dataclass(frozen=True)
class Charges:
    customer: Ints
    time: Ints
    amount: Ints


@dataclass(frozen=True)
class Subscriptions:
    changes: Table
    charges: Charges
    lives: Lives
    first_mrr: Ints


@dataclass
class _Journal:
    """What the simulation records, appended one step at a time."""

    changes: list[Ints] = field(default_factory=list)
    charges: list[Ints] = field(default_factory=list)
    lives: list[Ints] = field(default_factory=list)

    def change(self, who: Bools, state: _State, time: Ints, status: int) -> None:
        paying = status in (ACTIVE, PAST_DUE)
        mrr_now = state.mrr() if paying else np.zeros_like(time)
        rows = (state.slot, time, state.plan, state.quantity, np.full_like(time, status), mrr_now)
        self.changes.append(np.stack([np.flatnonzero(who), *(c[who] for c in rows)]))

    def charge(self, who: Bools, state: _State, time: Ints) -> None:
        rows = (time, state.mrr())
        self.charges.append(np.stack([np.flatnonzero(who), *(c[who] for c in rows)]))

    def life(self, who: Bools, begin: Ints, finish: Ints, churned: bool) -> None:
        columns = (begin, finish, np.full_like(begin, churned))
        self.lives.append(np.stack([np.flatnonzero(who), *(c[who] for c in columns)]))


@dataclass
class _State:
    """Each customer's main subscription at the current step."""

    currency: Ints
    plan: Ints
    quantity: Ints
    slot: Ints
    phase: Ints
    anchor: Ints
    period: Ints
    next: Ints
    life_begin: Ints

    def mrr(self) -> Ints:
        return mrr(self.plan, self.quantity, self.currency)


def subscriptions(
    rng: np.random.Generator, timeline: Timeline, customers: Customers
) -> Subscriptions:
    journal = _Journal()
    state, first_mrr = _starts(rng, timeline, customers, journal)
    paid_start = np.where(state.phase == LIVE, state.anchor, -1)
    first_life_end = _renewals(rng, timeline, customers, state, journal)
    _addons(rng, timeline, customers, paid_start, first_life_end, journal)
    return _assemble(journal, customers, first_mrr)


def _starts(
    rng: np.random.Generator, timeline: Timeline, customers: Customers, journal: _Journal
) -> tuple[_State, Ints]:
    """Trials that convert or lapse, and the first paid month of the others."""
    count, end = len(customers.created), timeline.end_second
    sales = customers.lead >= 0
    trial = ~sales & (rng.random(count) < TRIAL_SHARE[customers.segment])
    odds = TRIAL_BASE + TRIAL_ENGAGEMENT * customers.engagement
    converts = rng.random(count) < 1 / (1 + np.exp(-odds))
    trial_end = customers.created + TRIAL_DAYS * DAY
    decided = trial & (trial_end < end)
    paid = ~trial | (decided & converts)
    start = np.where(trial, trial_end, customers.created)
    state = _State(
        currency=customers.currency,
        plan=first_plans(rng, customers.segment),
        quantity=customers.seats.copy(),
        slot=np.zeros(count, dtype=np.int64),
        phase=np.where(paid, LIVE, GONE),
        anchor=start,
        period=np.zeros(count, dtype=np.int64),
        next=start.copy(),
        life_begin=customers.created.copy(),
    )
    journal.change(trial, state, customers.created, TRIALING)
    journal.change(decided & ~converts, state, trial_end, CANCELED)
    journal.life(decided & ~converts, customers.created, trial_end, churned=True)
    journal.life(trial & ~decided, customers.created, np.full(count, end), churned=False)
    journal.change(paid, state, start, ACTIVE)
    return state, np.where(paid, state.mrr(), -1)


def _renewals(
    rng: np.random.Generator,
    timeline: Timeline,
    customers: Customers,
    state: _State,
    journal: _Journal,
) -> Ints:
    """Step every main subscription to the span's end; return each first life's end."""
    end = timeline.end_second
    first_life_end = np.full(len(state.plan), end)
    while True:
        due = (state.phase != GONE) & (state.next < end)
        if not due.any():
            break
        returning = due & (state.phase == AWAY)
        live = due & (state.phase == LIVE)
        renewing = live & (state.period > 0)
        churn = renewing & (rng.random(len(due)) < _hazard(customers, state))
        failing = renewing & ~churn & (rng.random(len(due)) < PAYMENT_FAILURE)
        recovering = rng.random(len(due)) < RECOVERY
        # A retry or a grace period running past the span's end has not happened yet.
        retry = state.next + RETRY_DAYS * DAY
        recovered = failing & recovering & (retry < end)
        grace_end = state.next + GRACE_DAYS * DAY
        lapsed = failing & ~recovering & (grace_end < end)
        journal.change(failing, state, state.next, PAST_DUE)
        journal.change(recovered, state, retry, ACTIVE)
        journal.charge(recovered, state, retry)
        _churn(rng, customers, state, journal, churn, state.next, first_life_end)
        _churn(rng, customers, state, journal, lapsed, grace_end, first_life_end)
        _move(rng, customers, state, journal, renewing & ~churn & ~failing)
        journal.charge(live & ~churn & ~failing, state, state.next)
        advancing = live & ~churn & ~lapsed
        state.period[advancing] += 1
        state.next[advancing] = renewal(state.anchor, state.period)[advancing]
        _come_back(rng, customers, state, journal, returning)
    live = state.phase == LIVE
    journal.life(live, state.life_begin, np.full(len(live), end), churned=False)
    return first_life_end


def _hazard(customers: Customers, state: _State) -> Floats:
    scale = np.exp(-CHURN_ENGAGEMENT * customers.engagement)
    plan = CHURN_PLAN[np.minimum(state.plan, SCALE)]
    return CHURN_BASE[customers.segment] * scale * plan  # type: ignore[no-any-return]


def _churn(
    rng: np.random.Generator,
    customers: Customers,
    state: _State,
    journal: _Journal,
    churn: Bools,
    time: Ints,
    first_life_end: Ints,
) -> None:
    """Cancel at `time`; some customers will come back after a gap."""
    journal.change(churn, state, time, CANCELED)
    journal.life(churn, state.life_begin, time, churned=True)
    first = churn & (state.slot == 0)
    first_life_end[first] = time[first]
    chance = COMEBACK / (1 + np.exp(-customers.engagement))
    back = churn & (rng.random(len(churn)) < chance)
    floor, mean = COMEBACK_DAYS
    gap = ((floor + rng.exponential(mean, size=len(churn))) * DAY).astype(np.int64)
    state.phase[churn] = GONE
    state.phase[back] = AWAY
    state.next[back] = time[back] + gap[back]


def _move(
    rng: np.random.Generator,
    customers: Customers,
    state: _State,
    journal: _Journal,
    staying: Bools,
) -> None:
    """Upgrades and downgrades: a plan step or a change of seats, at a renewal."""
    count = len(staying)
    engagement = customers.engagement
    up = staying & (rng.random(count) < EXPANSION * np.exp(0.5 * engagement))
    down = staying & ~up & (rng.random(count) < CONTRACTION * np.exp(-0.4 * engagement))
    by_plan = rng.random(count) < 0.4
    factor = np.where(up, rng.uniform(1.1, 1.6, count), rng.uniform(0.55, 0.9, count))
    seats = np.where(up, np.ceil(state.quantity * factor), np.floor(state.quantity * factor))
    plan = np.where(by_plan, state.plan + np.where(up, 1, -1), state.plan).clip(STARTER, SCALE)
    quantity = np.where(by_plan, state.quantity, seats.astype(np.int64)).clip(min=1)
    moved = (up | down) & ((plan != state.plan) | (quantity != state.quantity))
    state.plan[moved] = plan[moved]
    state.quantity[moved] = quantity[moved]
    journal.change(moved, state, state.next, ACTIVE)


def _come_back(
    rng: np.random.Generator,
    customers: Customers,
    state: _State,
    journal: _Journal,
    returning: Bools,
) -> None:
    """A churned customer returns on a new subscription, choosing a plan afresh."""
    count = len(returning)
    plan = first_plans(rng, customers.segment)
    seats = np.maximum(customers.seats * rng.uniform(0.6, 1.1, count), 1).astype(np.int64)
    state.slot[returning] += 1
    state.plan[returning] = plan[returning]
    state.quantity[returning] = seats[returning]
    state.phase[returning] = LIVE
    state.anchor[returning] = state.next[returning]
    state.period[returning] = 0
    state.life_begin[returning] = state.next[returning]
    journal.change(returning, state, state.next, ACTIVE)


def _addons(
    rng: np.random.Generator,
    timeline: Timeline,
    customers: Customers,
    paid_start: Ints,
    first_life_end: Ints,
    journal: _Journal,
) -> None:
    """The add-on starts a few months into a first life and ends with it at the latest."""
    count, end = len(customers.created), timeline.end_second
    chance = ADDON_SHARE[customers.segment] * np.exp(0.3 * customers.engagement)
    wanted = (paid_start >= 0) & (rng.random(count) < chance)
    start = renewal(paid_start, rng.geometric(0.3, size=count))
    own_end = renewal(start, rng.geometric(0.035, size=count))
    finish = np.minimum(own_end, first_life_end)
    buys = wanted & (start < finish) & (start < end)
    state = _State(
        currency=customers.currency,
        plan=np.full(count, ADDON),
        quantity=np.ones(count, dtype=np.int64),
        slot=np.full(count, ADDON_SLOT),
        phase=np.full(count, LIVE),
        anchor=start,
        period=np.zeros(count, dtype=np.int64),
        next=start.copy(),
        life_begin=start,
    )
    journal.change(buys, state, start, ACTIVE)
    journal.change(buys & (finish < end), state, finish, CANCELED)
    while (running := buys & (state.next < np.minimum(finish, end))).any():
        journal.charge(running, state, state.next)
        state.period += 1
        state.next = renewal(start, state.period)


def _assemble(journal: _Journal, customers: Customers, first_mrr: Ints) -> Subscriptions:
    count = len(customers.created)
    customer, slot, time, plan, quantity, status, amount = np.concatenate(journal.changes, axis=1)
    subscription = np.unique(customer * SLOTS + slot, return_inverse=True)[1]
    order = np.lexsort((subscription, time))
    changes = Table(
        {
            "id": np.arange(1, len(order) + 1),
            "subscription_id": subscription[order] + 1,
            "customer_id": customer[order] + 1,
            "plan": PLANS[plan[order]],
            "quantity": quantity[order],
            "mrr": amount[order],
            "currency": np.array(CURRENCIES)[customers.currency[customer[order]]],
            "status": STATUSES[status[order]],
            "effective_at": time[order].astype("datetime64[s]"),
        },
        ids={
            "id": id_pattern("sc", len(order), 8),
            "subscription_id": id_pattern("sub", int(subscription.max(initial=0)) + 1, 7),
            "customer_id": id_pattern("cus", count),
        },
    )
    charged, charge_time, charge_amount = np.concatenate(journal.charges, axis=1)
    lived, begin, finish, churned = np.concatenate(journal.lives, axis=1)
    return Subscriptions(
        changes=changes,
        charges=Charges(charged, charge_time, charge_amount),
        lives=Lives(lived, begin, finish, churned.astype(bool)),
        first_mrr=first_mrr,
    )
