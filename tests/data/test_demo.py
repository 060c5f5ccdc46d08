"""The demo generator: deterministic, valid records, and the traits a user relies on.

Each trait is measured on the generated records with pandas, the way an
analyst would find it, never read back from the generator's own internals.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sqlalchemy import func, select

from saaslens.data.demo import Scenario, simulate
from saaslens.data.engine import create_engine
from saaslens.data.ingestion.records import RECORDS, Kind
from saaslens.data.models import (
    Customer,
    Event,
    ExchangeRate,
    Lead,
    LeadStageChange,
    Payment,
    SubscriptionChange,
)

END = date(2026, 1, 1)
DAY = pd.Timedelta(days=1)
Frames = dict[Kind, pd.DataFrame]


def records(scenario: Scenario, batch_size: int = 5_000) -> dict[Kind, list[dict[str, Any]]]:
    found: dict[Kind, list[dict[str, Any]]] = {kind: [] for kind in Kind}
    for kind, rows in simulate(scenario).batches(batch_size):
        found[kind].extend(rows)
    return found


def frames_of(scenario: Scenario) -> Frames:
    frames = {kind: pd.DataFrame(rows) for kind, rows in records(scenario).items()}
    for frame in frames.values():
        for column in ("created_at", "effective_at", "occurred_at"):
            if column in frame:
                frame[column] = pd.to_datetime(frame[column])
    return frames


@pytest.fixture(scope="module")
def business() -> Frames:
    return frames_of(Scenario(customers=4_000, seed=11, end=END))


def test_the_same_seed_gives_the_same_records() -> None:
    scenario = Scenario(customers=150, seed=5, end=END)
    assert records(scenario) == records(scenario)


def test_the_records_do_not_depend_on_the_batch_size() -> None:
    scenario = Scenario(customers=150, seed=5, end=END)
    assert records(scenario, batch_size=7) == records(scenario, batch_size=50_000)


def test_another_seed_gives_other_records() -> None:
    first = records(Scenario(customers=150, seed=5, end=END))
    second = records(Scenario(customers=150, seed=6, end=END))
    for kind in Kind:
        assert first[kind] != second[kind], kind


def test_every_record_validates_and_ids_are_unique() -> None:
    found = records(Scenario(customers=400, seed=2, end=END))
    for kind, rows in found.items():
        assert rows, kind
        for row in rows:
            RECORDS[kind].model_validate(row)
        keys = [row.get("id", (row.get("day"), row.get("currency"))) for row in rows]
        assert len(set(keys)) == len(keys), kind


def test_totals_count_what_the_batches_yield() -> None:
    scenario = Scenario(customers=300, seed=4, end=END)
    found = records(scenario)
    assert simulate(scenario).totals == {kind: len(rows) for kind, rows in found.items()}


def test_kinds_come_in_an_order_that_satisfies_their_references() -> None:
    kinds = [kind for kind, _ in simulate(Scenario(customers=300, seed=4, end=END)).batches(500)]
    order = [kind for index, kind in enumerate(kinds) if kinds.index(kind) == index]
    assert order == [
        Kind.EXCHANGE_RATES,
        Kind.CUSTOMERS,
        Kind.SUBSCRIPTION_CHANGES,
        Kind.PAYMENTS,
        Kind.LEADS,
        Kind.LEAD_STAGE_CHANGES,
        Kind.EVENTS,
    ]
    assert sorted(kinds, key=order.index) == kinds


def test_history_spans_whole_months_up_to_the_end(business: Frames) -> None:
    moments = pd.concat([business[Kind.CUSTOMERS].created_at, business[Kind.EVENTS].occurred_at])
    assert moments.max() < pd.Timestamp(END, tz="UTC")
    assert moments.min() >= pd.Timestamp("2023-07-01", tz="UTC")
    assert moments.max() > pd.Timestamp("2025-12-24", tz="UTC")


@pytest.mark.parametrize("base", ["USD", "EUR"])
def test_every_foreign_currency_has_a_rate_for_every_day(base: str) -> None:
    frames = frames_of(Scenario(customers=200, seed=3, end=END, months=6, base_currency=base))
    rates = frames[Kind.EXCHANGE_RATES]
    days = pd.date_range("2025-07-01", "2025-12-31").strftime("%Y-%m-%d")
    expected = {(day, c) for day in days for c in {"USD", "EUR", "GBP", "JPY"} - {base}}
    assert set(zip(rates.day, rates.currency, strict=True)) == expected
    assert len(rates) == len(expected)
    for kind, column in [
        (Kind.SUBSCRIPTION_CHANGES, "effective_at"),
        (Kind.PAYMENTS, "occurred_at"),
    ]:
        money = frames[kind]
        foreign = money[money.currency != base]
        needed = set(zip(foreign[column].dt.strftime("%Y-%m-%d"), foreign.currency, strict=True))
        assert needed <= expected
        assert set(money.currency) == {"USD", "EUR", "GBP", "JPY"}


def test_rates_walk_smoothly_near_their_levels() -> None:
    rates = frames_of(Scenario(customers=50, seed=3, end=END))[Kind.EXCHANGE_RATES]
    for currency, low, high in [("EUR", 0.8, 1.4), ("GBP", 0.95, 1.6), ("JPY", 0.005, 0.009)]:
        walk = rates[rates.currency == currency].rate
        assert walk.between(low, high).all()
        assert np.log(walk).diff().abs().max() < 0.03


def test_about_half_of_trials_convert(business: Frames) -> None:
    changes = business[Kind.SUBSCRIPTION_CHANGES].sort_values(["effective_at", "id"])
    trials = changes[changes.status == "trialing"].subscription_id
    outcomes = (
        changes[changes.subscription_id.isin(trials) & (changes.status != "trialing")]
        .groupby("subscription_id")
        .status.first()
    )
    assert len(outcomes) > 1_000
    assert set(outcomes) == {"active", "canceled"}
    assert 0.4 < (outcomes == "active").mean() < 0.7


def _paid_lives(business: Frames) -> pd.DataFrame:
    """Per main subscription: when it first went active, when it ended, if it churned."""
    changes = business[Kind.SUBSCRIPTION_CHANGES]
    main = changes[changes.plan != "insights_addon"].sort_values("effective_at")
    active = (
        main[main.status == "active"]
        .groupby("subscription_id")
        .agg(customer_id=("customer_id", "first"), paid=("effective_at", "first"))
    )
    canceled = main[main.status == "canceled"].groupby("subscription_id").effective_at.max()
    lives = active.join(canceled.rename("canceled"))
    lives["churned"] = lives.canceled.notna()
    lives["ended"] = lives.canceled.fillna(pd.Timestamp(END, tz="UTC"))
    return lives


def test_low_engagement_customers_churn_more(business: Frames) -> None:
    customers = business[Kind.CUSTOMERS].set_index("id")
    events = business[Kind.EVENTS].join(customers.created_at, on="customer_id")
    early = events[events.occurred_at < events.created_at + 60 * DAY]
    per_user = early.groupby("customer_id").size() / early.groupby("customer_id").user_id.nunique()
    lives = _paid_lives(business)
    lives = lives[lives.paid < pd.Timestamp(END, tz="UTC") - 180 * DAY]
    lives["months"] = (lives.ended - lives.paid) / (30.4375 * DAY)
    lives["quartile"] = pd.qcut(lives.customer_id.map(per_user), 4, labels=False)
    by_quartile = lives.groupby("quartile")[["churned", "months"]].sum()
    hazard = by_quartile.churned / by_quartile.months
    assert hazard[0] > 2.5 * hazard[3]
    assert hazard.is_monotonic_decreasing


def test_activity_falls_before_churn(business: Frames) -> None:
    lives = _paid_lives(business)
    churned = lives[lives.churned & (lives.ended - lives.paid > 150 * DAY)]
    events = business[Kind.EVENTS].join(churned.set_index("customer_id").ended, on="customer_id")
    before = (events.ended - events.occurred_at) / DAY
    last_month = ((before > 0) & (before <= 30)).sum()
    months_before = ((before > 90) & (before <= 120)).sum()
    assert last_month < 0.7 * months_before


def test_weekdays_are_busier_than_weekends(business: Frames) -> None:
    events = business[Kind.EVENTS]
    per_day = events.groupby(events.occurred_at.dt.floor("D")).size()
    per_day = per_day.reindex(
        pd.date_range(per_day.index.min(), per_day.index.max()), fill_value=0
    )
    weekend = per_day.index.day_of_week >= 5
    assert per_day[~weekend].mean() > 2.5 * per_day[weekend].mean()


def test_events_come_from_several_users_per_customer_with_realistic_names(
    business: Frames,
) -> None:
    events = business[Kind.EVENTS]
    users = events.groupby("customer_id").user_id.nunique()
    assert users.median() >= 2
    assert users.max() >= 10
    shares = events.name.value_counts(normalize=True)
    assert shares.index[0] == "report_viewed"
    assert 0.25 < shares["login"] < 0.35
    assert shares["invite_sent"] < 0.05
    assert 80 < len(events) / len(business[Kind.CUSTOMERS]) < 130


def test_some_churned_customers_come_back(business: Frames) -> None:
    lives = _paid_lives(business).sort_values("paid")
    churned = lives[lives.churned]
    later = lives.merge(churned[["customer_id", "canceled"]], on="customer_id", suffixes=("", "_"))
    returns = later[later.paid > later.canceled_]
    assert returns.customer_id.nunique() >= 0.05 * churned.customer_id.nunique()
    assert ((returns.paid - returns.canceled_) >= 45 * DAY).all()


def test_some_customers_hold_several_subscriptions_at_once(business: Frames) -> None:
    changes = business[Kind.SUBSCRIPTION_CHANGES]
    state = changes.sort_values("effective_at").groupby("subscription_id").last()
    live = state[state.status == "active"]
    several = live.groupby("customer_id").size()
    assert (several >= 2).sum() >= 0.03 * len(business[Kind.CUSTOMERS])


def test_subscriptions_move_up_and_down(business: Frames) -> None:
    changes = business[Kind.SUBSCRIPTION_CHANGES].sort_values(["effective_at", "id"])
    paid = changes[changes.status == "active"].copy()
    paid["step"] = paid.groupby("subscription_id").mrr.diff()
    assert (paid.step > 0).sum() > 100
    assert (paid.step < 0).sum() > 30
    moved = paid[paid.step.notna() & (paid.step != 0)]
    previous = paid.groupby("subscription_id").plan.shift().loc[moved.index]
    assert (moved.plan != previous).any()
    assert (moved.plan == previous).any()
    assert set(changes.plan) == {"starter", "growth", "scale", "insights_addon"}


def test_failed_payments_go_past_due_then_recover_or_cancel(business: Frames) -> None:
    changes = business[Kind.SUBSCRIPTION_CHANGES].sort_values(["effective_at", "id"])
    changes["after"] = changes.groupby("subscription_id").status.shift(-1)
    changes["wait"] = changes.groupby("subscription_id").effective_at.shift(-1)
    changes["wait"] -= changes.effective_at
    past_due = changes[(changes.status == "past_due") & changes.after.notna()]
    assert len(past_due) > 30
    assert (past_due.mrr > 0).all()
    outcome = past_due.groupby("after").wait.agg(["size", "max"])
    assert set(outcome.index) == {"active", "canceled"}
    assert outcome.loc["active", "size"] > outcome.loc["canceled", "size"]
    assert outcome.loc["canceled", "max"] <= 8 * DAY


def test_charges_match_the_mrr_of_an_active_subscription(business: Frames) -> None:
    changes = business[Kind.SUBSCRIPTION_CHANGES]
    payments = business[Kind.PAYMENTS]
    charges = payments[payments.kind == "charge"].reset_index(drop=True)
    charges["charge"] = charges.index
    sample = charges[charges.customer_id.isin(charges.customer_id.unique()[:400])]
    paired = sample.merge(changes, on="customer_id", suffixes=("", "_change"))
    paired = paired[paired.effective_at <= paired.occurred_at]
    latest = paired.sort_values("effective_at").groupby(["charge", "subscription_id"]).last()
    live = latest[latest.status == "active"]
    matched = live[live.mrr == live.amount].reset_index().charge.unique()
    assert len(matched) == len(sample)
    refunds = payments[payments.kind == "refund"]
    assert 0.005 < len(refunds) / len(charges) < 0.03


def test_sign_ups_follow_the_seasons(business: Frames) -> None:
    customers = business[Kind.CUSTOMERS]
    per_month = customers.groupby(customers.created_at.dt.strftime("%Y-%m")).size()
    assert per_month["2025-09"] > 1.3 * per_month["2025-08"]
    assert per_month["2025-01"] > 1.3 * per_month["2024-12"]
    # Beneath the seasons, the business grows.
    assert per_month["2025-07":"2025-12"].sum() > 1.5 * per_month["2023-07":"2023-12"].sum()


def test_customers_carry_segments_countries_and_attributes(business: Frames) -> None:
    customers = business[Kind.CUSTOMERS]
    assert set(customers.segment) == {"smb", "mid-market", "enterprise"}
    assert customers.country.nunique() >= 8
    attributes = pd.DataFrame(list(customers.attributes))
    assert set(attributes.columns) == {"industry", "seats", "acquisition_channel"}
    seats = attributes.groupby(customers.segment.to_numpy()).seats.median()
    assert seats["smb"] < seats["mid-market"] < seats["enterprise"]


def _lead_outcomes(business: Frames) -> pd.DataFrame:
    """Leads old enough to have closed, with whether each was won."""
    leads = business[Kind.LEADS]
    won = business[Kind.LEAD_STAGE_CHANGES].query("stage == 'won'").lead_id
    closed = leads[leads.created_at < pd.Timestamp(END, tz="UTC") - 150 * DAY].copy()
    closed["won"] = closed.id.isin(won)
    return closed


def test_lead_conversion_is_learnable_from_attributes(business: Frames) -> None:
    leads = _lead_outcomes(business)
    attributes = pd.DataFrame(list(leads.attributes), index=leads.index)
    features = pd.get_dummies(
        pd.concat(
            [leads[["source", "campaign", "country", "industry"]], attributes.job_title], axis=1
        )
    ).assign(size=np.log(leads.company_size), pages=np.log1p(attributes.pages_viewed))
    train_x, test_x, train_y, test_y = train_test_split(
        features.to_numpy(float), leads.won.to_numpy(), test_size=0.3, random_state=0
    )
    model = LogisticRegression(max_iter=2_000).fit(train_x, train_y)
    auc = roc_auc_score(test_y, model.predict_proba(test_x)[:, 1])
    assert 0.1 < leads.won.mean() < 0.35
    assert auc >= 0.75


def test_won_leads_become_customers_with_a_value(business: Frames) -> None:
    leads = business[Kind.LEADS]
    customers = business[Kind.CUSTOMERS].set_index("id")
    won_at = business[Kind.LEAD_STAGE_CHANGES].query("stage == 'won'").set_index("lead_id")
    converted = leads[leads.converted_customer_id.notna()].set_index("id")
    assert set(converted.index) == set(won_at.index)
    customer = customers.loc[converted.converted_customer_id]
    assert converted.converted_customer_id.is_unique
    assert (customer.created_at.to_numpy() == won_at.occurred_at[converted.index].to_numpy()).all()
    assert (customer.country.to_numpy() == converted.country.to_numpy()).all()
    assert (converted.value > 0).all()
    assert converted.currency.notna().all()
    assert leads[leads.converted_customer_id.isna()].value.isna().all()


def test_lead_stages_follow_the_pipeline(business: Frames) -> None:
    stages = business[Kind.LEAD_STAGE_CHANGES].sort_values(["occurred_at", "id"])
    paths = stages.groupby("lead_id").stage.agg(" > ".join)
    pipeline = ["qualified", "demo", "proposal"]
    allowed = {" > ".join(pipeline[:n]) for n in range(1, 4)}
    allowed |= {" > ".join([*pipeline[:n], "lost"]) for n in range(4)}
    allowed |= {" > ".join([*pipeline, "won"])}
    assert set(paths) <= allowed
    assert {"qualified", "lost", "qualified > demo > proposal > won"} <= set(paths)


TABLES = {
    Kind.EXCHANGE_RATES: ExchangeRate,
    Kind.CUSTOMERS: Customer,
    Kind.SUBSCRIPTION_CHANGES: SubscriptionChange,
    Kind.PAYMENTS: Payment,
    Kind.LEADS: Lead,
    Kind.LEAD_STAGE_CHANGES: LeadStageChange,
    Kind.EVENTS: Event,
}


async def stored_counts(url: str) -> dict[Kind, int]:
    engine = create_engine(url)
    async with engine.connect() as connection:
        counts = {
            kind: await connection.scalar(select(func.count()).select_from(model)) or 0
            for kind, model in TABLES.items()
        }
    await engine.dispose()
    return counts


def test_the_demo_command_writes_what_the_generator_makes(store_url: str) -> None:
    arguments = ["--customers", "300", "--seed", "8", "--months", "6", "--end", "2026-01-01"]
    environment = {**os.environ, "SAASLENS_DATABASE_URL": store_url}
    command = [sys.executable, "-m", "saaslens", "demo", *arguments]
    totals = simulate(Scenario(customers=300, seed=8, end=END, months=6)).totals
    everything = f"{sum(totals.values()):,}"
    finished = subprocess.run(command, env=environment, capture_output=True, text=True)
    assert finished.returncode == 0, finished.stderr
    assert f"{everything} rows: {everything} inserted, 0 unchanged" in finished.stdout
    assert asyncio.run(stored_counts(store_url)) == totals

    again = subprocess.run(command, env=environment, capture_output=True, text=True)
    assert again.returncode == 1
    assert "already holds 300 customers" in again.stdout
    assert asyncio.run(stored_counts(store_url)) == totals

    forced = subprocess.run([*command, "--force"], env=environment, capture_output=True, text=True)
    assert forced.returncode == 0, forced.stderr
    assert f"{everything} rows: 0 inserted, {everything} unchanged" in forced.stdout
    assert asyncio.run(stored_counts(store_url)) == totals


def test_the_demo_command_refuses_a_base_currency_it_cannot_price_in(tmp_path: Path) -> None:
    environment = {
        **os.environ,
        "SAASLENS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'store.db'}",
        "SAASLENS_BASE_CURRENCY": "CHF",
    }
    command = [sys.executable, "-m", "saaslens", "demo", "--customers", "10"]
    finished = subprocess.run(command, env=environment, capture_output=True, text=True)
    assert finished.returncode == 2
    assert "base currency CHF is not one of them" in finished.stderr
    assert not (tmp_path / "store.db").exists()


def test_the_demo_command_asks_for_a_migrated_store(tmp_path: Path) -> None:
    store = tmp_path / "store.db"
    environment = {**os.environ, "SAASLENS_DATABASE_URL": f"sqlite+aiosqlite:///{store}"}
    command = [sys.executable, "-m", "saaslens", "demo", "--customers", "10"]
    finished = subprocess.run(command, env=environment, capture_output=True, text=True)
    assert finished.returncode == 1
    assert "run `saaslens db upgrade` first" in finished.stdout


def test_more_events_per_user_changes_only_the_events() -> None:
    usual = simulate(Scenario(customers=500, seed=9, end=END))
    busier = simulate(Scenario(customers=500, seed=9, end=END, events_per_user=5.6))
    assert 1.8 < busier.totals[Kind.EVENTS] / usual.totals[Kind.EVENTS] < 2.2
    for kind in set(Kind) - {Kind.EVENTS}:
        assert busier.tables[kind].rows() == usual.tables[kind].rows(), kind
