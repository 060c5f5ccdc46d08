"""How numbers appear inside the sentences that explain a result."""

from __future__ import annotations

import math

SIGNIFICANCE = 0.05


def p_value(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.2g}"


def number(value: float) -> str:
    """Four significant digits, never in scientific notation."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    decimals = max(0, 3 - math.floor(math.log10(abs(value))))
    return f"{value:,.{decimals}f}"


def percent(level: float) -> str:
    return f"{level * 100:.3g}%"


def significant(p: float) -> bool:
    return p < SIGNIFICANCE
