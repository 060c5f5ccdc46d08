"""Customers' purchase days: what the lifetime value models are fitted on."""

from __future__ import annotations

from sqlalchemy import func, select

from saaslens.data.buckets import day_number
from saaslens.data.models import Payment
from saaslens.data.queries.frames import Statement
from saaslens.data.queries.periods import DateRange


def purchase_days(range: DateRange) -> Statement:
    """One row per customer and local day with a charge inside `range`: the day number
    and the day's total. Refunds are left out: they return money, not a purchase."""
    return (
        select(
            Payment.customer_id,
            Payment.day,
            func.sum(Payment.amount).label("amount"),
        )
        .where(
            Payment.kind == "charge",
            Payment.day.between(day_number(range.start), day_number(range.end)),
        )
        .group_by(Payment.customer_id, Payment.day)
        .order_by(Payment.customer_id, Payment.day)
    )
