"""The customer feature frame: one row per customer, assembled from aggregated inputs.

Recency is in days since the last event (NaN for a customer never active);
frequency counts active days and events in the recent window; monetary
value is net payments to date and current MRR; the engagement trend is the
least-squares slope of events per week over the last weeks (events per week,
per week). `churned` is 1 for a customer who has had a subscription and has
none trialing or paying now, 0 for one who has, and NaN for a customer who
never subscribed, since they cannot have churned. Attributes become columns
named `attribute.<key>`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

PAYING = ("active", "past_due")
LIVE = ("trialing", *PAYING)


def engagement_trend(weekly: pd.DataFrame, customer_ids: pd.Index, weeks: int) -> pd.Series:
    """Slope of events per week across weeks 0..weeks-1, weeks without events counting 0."""
    counts = (
        weekly.pivot_table(index="customer_id", columns="week", values="events", aggfunc="sum")
        .reindex(index=customer_ids, columns=range(weeks))
        .fillna(0.0)
        .to_numpy(dtype=float)
    )
    x = np.arange(weeks, dtype=float) - (weeks - 1) / 2
    denominator = float((x * x).sum())
    if denominator == 0 or len(customer_ids) == 0:
        return pd.Series(0.0, index=customer_ids)
    centred = counts - counts.mean(axis=1, keepdims=True)
    return pd.Series(centred @ x / denominator, index=customer_ids)


def current_plans(states: pd.DataFrame) -> pd.DataFrame:
    """Per customer: MRR summed over paying subscriptions and the plan paying the most."""
    paying = states[states["status"].isin(PAYING)].copy()
    paying["mrr"] = paying["mrr"].astype("int64")
    mrr = paying.groupby("customer_id")["mrr"].sum()
    top = paying.sort_values(["mrr", "plan"], ascending=[False, True]).drop_duplicates(
        "customer_id"
    )
    return pd.DataFrame({"mrr": mrr, "plan": top.set_index("customer_id")["plan"]})


def churn_flags(states: pd.DataFrame, customer_ids: pd.Index) -> pd.Series:
    """1.0 for a customer without a live subscription, 0.0 with one, NaN with none ever."""
    live = states["status"].isin(LIVE).groupby(states["customer_id"]).any()
    return (~live).astype(float).reindex(customer_ids)


def feature_frame(
    as_of: int,
    profiles: pd.DataFrame,
    activity: pd.DataFrame,
    weekly: pd.DataFrame,
    payments: pd.DataFrame,
    states: pd.DataFrame,
    weeks: int,
) -> pd.DataFrame:
    frame = profiles.set_index("customer_id").sort_index()
    ids = frame.index
    active = activity.set_index("customer_id").reindex(ids)
    plans = current_plans(states).reindex(ids)
    attributes = pd.DataFrame(
        [dict(document or {}) for document in frame["attributes"]], index=ids
    ).add_prefix("attribute.")
    result = pd.DataFrame(
        {
            "tenure_days": as_of - frame["signup_day"].astype("int64"),
            "recency_days": as_of - active["last_active_day"].astype(float),
            "active_days": active["active_days"].fillna(0).astype("int64"),
            "events": active["events"].fillna(0).astype("int64"),
            "revenue": payments.set_index("customer_id")["revenue"]
            .reindex(ids)
            .fillna(0)
            .astype("int64"),
            "mrr": plans["mrr"].fillna(0).astype("int64"),
            "engagement_trend": engagement_trend(weekly, ids, weeks),
            "churned": churn_flags(states, ids),
            "plan": plans["plan"],
            "country": frame["country"],
            "segment": frame["segment"],
        },
        index=ids,
    )
    return result.join(attributes)
