"""Payments: a charge for every billing month of every paid subscription, at
its MRR, and the occasional refund a few days after a charge."""

from __future__ import annotations

import numpy as np

from saaslens.data.demo.markets import CURRENCIES
from saaslens.data.demo.subscriptions import Charges
from saaslens.data.demo.tables import Table, id_pattern
from saaslens.data.demo.timeline import DAY, Ints, Timeline

REFUND_SHARE = 0.015
# Most refunds return the whole charge; the rest return half of it.
FULL_REFUND_SHARE = 0.6
KINDS = np.array(["charge", "refund"])


def payments(
    rng: np.random.Generator, timeline: Timeline, charges: Charges, currency: Ints
) -> Table:
    """Charges and refunds in time order; `currency` is each customer's."""
    count = len(charges.time)
    refunded = rng.random(count) < REFUND_SHARE
    full = rng.random(count) < FULL_REFUND_SHARE
    delay = (rng.uniform(1, 10, size=count) * DAY).astype(np.int64)
    refund_time = charges.time + delay
    refunded &= refund_time < timeline.end_second
    refund_amount = np.where(full, charges.amount, np.maximum(charges.amount // 2, 1))
    customer = np.concatenate([charges.customer, charges.customer[refunded]])
    time = np.concatenate([charges.time, refund_time[refunded]])
    amount = np.concatenate([charges.amount, refund_amount[refunded]])
    kind = np.concatenate([np.zeros(count, np.int64), np.ones(int(refunded.sum()), np.int64)])
    order = np.lexsort((kind, customer, time))
    return Table(
        {
            "id": np.arange(1, len(order) + 1),
            "customer_id": customer[order] + 1,
            "amount": amount[order],
            "currency": np.array(CURRENCIES)[currency[customer[order]]],
            "kind": KINDS[kind[order]],
            "occurred_at": time[order].astype("datetime64[s]"),
        },
        ids={
            "id": id_pattern("pay", len(order), 8),
            "customer_id": id_pattern("cus", len(currency)),
        },
    )
