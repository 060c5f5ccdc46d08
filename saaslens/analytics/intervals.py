"""Confidence intervals for proportions."""

from __future__ import annotations

import math

Z_95 = 1.959963984540054


def wilson(proportion: float, n: float, z: float = Z_95) -> tuple[float, float] | None:
    """The Wilson score interval of an observed proportion over `n` trials.

    Unlike the normal approximation it stays inside [0, 1] and behaves near 0
    and 1. None when there is nothing to estimate from (n <= 0) or the value
    is not a proportion.
    """
    if n <= 0 or not 0.0 <= proportion <= 1.0:
        return None
    z2 = z * z
    centre = (proportion + z2 / (2 * n)) / (1 + z2 / n)
    spread = z / (1 + z2 / n) * math.sqrt(proportion * (1 - proportion) / n + z2 / (4 * n * n))
    return max(0.0, centre - spread), min(1.0, centre + spread)
