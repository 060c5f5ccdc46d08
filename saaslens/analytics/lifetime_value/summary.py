"""The per-customer purchase summary the lifetime value models are fitted on.

Each customer is described by four numbers: `frequency`, the count of repeat
purchase days (every day after the first); `recency`, the time from the first
to the last purchase; `age`, the time from the first purchase to the end of
observation; and `monetary_value`, the mean amount of the repeat purchase
days (zero without repeats). Times are in units of `unit_days` days.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from saaslens.errors import InvalidInput

COLUMNS = ("frequency", "recency", "age", "monetary_value")
PURCHASE_COLUMNS = ("customer_id", "occurred_at", "amount")
EPOCH = pd.Timestamp("1970-01-01")


def purchase_summary(
    purchases: pd.DataFrame, observed_until: datetime, unit_days: float = 7.0
) -> pd.DataFrame:
    """Summarise (customer_id, occurred_at, amount) rows into one row per customer.

    Several purchases on one day count as one purchase of their total, because
    the models describe purchase occasions, not line items.
    """
    missing = sorted(set(PURCHASE_COLUMNS) - set(purchases.columns))
    if missing:
        raise InvalidInput(f"purchases need the columns {', '.join(missing)}")
    if unit_days <= 0:
        raise InvalidInput("the time unit must be a positive number of days")
    days = _purchase_days(purchases)
    end = _day_number(pd.Series([pd.Timestamp(observed_until)]))[0]
    if not days.empty and days["day"].max() > end:
        raise InvalidInput("purchases occur after the end of observation")
    return _summarise(days, end, unit_days)


def _day_number(moments: pd.Series) -> NDArray[np.int64]:
    utc = pd.to_datetime(moments, utc=True).dt.tz_localize(None)
    return np.asarray((utc.dt.floor("D") - EPOCH).dt.days, dtype=np.int64)


def _purchase_days(purchases: pd.DataFrame) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "customer_id": purchases["customer_id"].to_numpy(),
            "day": _day_number(purchases["occurred_at"]),
            "amount": purchases["amount"].astype(float).to_numpy(),
        }
    )
    return frame.groupby(["customer_id", "day"])["amount"].sum().reset_index()


def _summarise(days: pd.DataFrame, end: int, unit_days: float) -> pd.DataFrame:
    grouped = days.groupby("customer_id")
    first = grouped["day"].min()
    last = grouped["day"].max()
    count = grouped["day"].size()
    first_amount = grouped["amount"].first()
    frequency = (count - 1).astype(int)
    repeat_total = grouped["amount"].sum() - first_amount
    summary = pd.DataFrame(
        {
            "frequency": frequency,
            "recency": (last - first) / unit_days,
            "age": (end - first) / unit_days,
            "monetary_value": (repeat_total / frequency.where(frequency > 0)).fillna(0.0),
        }
    )
    summary.index.name = "customer_id"
    return summary


def checked_summary(summary: pd.DataFrame) -> pd.DataFrame:
    """Validate a summary built elsewhere (for instance aggregated in SQL)."""
    missing = sorted(set(COLUMNS) - set(summary.columns))
    if missing:
        raise InvalidInput(f"the purchase summary needs the columns {', '.join(missing)}")
    frame = summary.loc[:, list(COLUMNS)].astype(float)
    if not np.isfinite(frame.to_numpy()).all():
        raise InvalidInput("the purchase summary holds missing or infinite values")
    frequency = frame["frequency"]
    if (frequency < 0).any() or (frequency != np.floor(frequency)).any():
        raise InvalidInput("frequency must be a whole number of repeat purchases, at least 0")
    if (frame["recency"] < 0).any() or (frame["recency"] > frame["age"]).any():
        raise InvalidInput("recency must lie between 0 and the customer's age")
    if ((frequency == 0) & (frame["recency"] > 0)).any():
        raise InvalidInput("a customer without repeat purchases has a recency of 0")
    return frame
