"""Which customers put churn at risk, and why: plain signals, each with a fixed weight.

A customer is listed for the strongest of four signals, read from the
customer feature frame and subscription states:

- cancelled (1.0): paying the day before the period began, paying nothing now;
- past due (0.8): a subscription is past due now;
- inactive (0.6): paying now, with no event in the last `inactive_days` days;
- engagement falling (0.4): paying now, with fewer events week after week.

The weights rank the signals; they are not probabilities. Customers with no
signal are left out.
"""

from __future__ import annotations

import pandas as pd

from saaslens.analytics.customer_features import current_plans

SIGNALS = {
    "cancelled": 1.0,
    "past due": 0.8,
    "inactive": 0.6,
    "engagement falling": 0.4,
}
COLUMNS = ["customer_id", "name", "risk", "reasons", "mrr"]


def churn_risk(
    features: pd.DataFrame,
    names: pd.Series,
    states_before: pd.DataFrame,
    states_now: pd.DataFrame,
    inactive_days: int,
) -> pd.DataFrame:
    """One row per customer of `features` with a signal, riskiest first (then by MRR, id).

    `mrr` is the MRR at stake: what a cancelled customer paid before, what
    the others pay now, in minor units of the base currency.
    """
    ids = features.index
    paid_before = current_plans(states_before)["mrr"].reindex(ids).fillna(0)
    paying_now = features["mrr"] > 0
    past_due = states_now.loc[states_now["status"] == "past_due", "customer_id"]
    signals = pd.DataFrame(
        {
            "cancelled": (paid_before > 0) & ~paying_now,
            "past due": ids.isin(past_due),
            "inactive": paying_now & ~(features["recency_days"] <= inactive_days),
            "engagement falling": paying_now & (features["engagement_trend"] < 0),
        },
        index=ids,
    )
    flagged = signals[signals.any(axis=1)]
    at_stake = features["mrr"].where(paying_now, paid_before)
    reasons = [[name for name in SIGNALS if row[name]] for _, row in flagged.iterrows()]
    frame = pd.DataFrame(
        {
            "customer_id": flagged.index.astype(str),
            "name": names.reindex(flagged.index).to_numpy(),
            "risk": [SIGNALS[found[0]] for found in reasons],
            "reasons": reasons,
            "mrr": at_stake.reindex(flagged.index).to_numpy(),
        },
        columns=COLUMNS,
    )
    frame["mrr"] = frame["mrr"].astype("int64")
    ordered = frame.sort_values(["risk", "mrr", "customer_id"], ascending=[False, False, True])
    return ordered.reset_index(drop=True)
