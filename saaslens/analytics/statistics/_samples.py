"""Turning what a caller passes into clean numbers, or a clear refusal."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from saaslens.analytics.statistics.periods import label
from saaslens.errors import InvalidInput

Values = npt.NDArray[np.float64]
Numbers = Sequence[float] | Values | pd.Series
# Kurtosis raises deviations to the fourth power; beyond this they overflow.
MAGNITUDE = 1e15


def sample(values: Numbers, *, minimum: int, purpose: str) -> Values:
    """The values as a float array, refused when empty, missing, infinite or too few."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise InvalidInput(f"{purpose} needs numbers: {error}") from error
    if array.ndim != 1:
        raise InvalidInput(f"{purpose} needs a flat list of numbers")
    if array.size == 0:
        raise InvalidInput(f"{purpose} got no values: the range is empty")
    missing = np.flatnonzero(~np.isfinite(array))
    if missing.size:
        positions = ", ".join(str(position + 1) for position in missing[:5])
        raise InvalidInput(f"{purpose} got missing or infinite values at positions {positions}")
    if np.abs(array).max() > MAGNITUDE:
        raise InvalidInput(f"{purpose} takes values between -{MAGNITUDE:g} and {MAGNITUDE:g}")
    if array.size < minimum:
        raise InvalidInput(f"{purpose} needs at least {minimum} values; got {array.size}")
    return array


def series(values: pd.Series, *, minimum: int, purpose: str) -> pd.Series:
    """The series in period order, with unique periods and clean numbers."""
    duplicated = values.index[values.index.duplicated()]
    if len(duplicated):
        raise InvalidInput(f"{purpose} got period {label(duplicated[0])} more than once")
    ordered = values.sort_index()
    return pd.Series(
        sample(ordered.to_numpy(), minimum=minimum, purpose=purpose), index=ordered.index
    )


def varying(values: Values, *, purpose: str) -> Values:
    """The values, refused when they are all equal (nothing to measure)."""
    if np.ptp(values) == 0:
        raise InvalidInput(
            f"{purpose} needs values that vary; all {values.size} values equal {values[0]:g}"
        )
    return values


def aligned(
    first: pd.Series, second: pd.Series, *, minimum: int, purpose: str
) -> tuple[Values, Values]:
    """Both series on the periods (or customer and lead ids) they share, an inner join,
    in their order."""
    left = series(first, minimum=1, purpose=purpose)
    right = series(second, minimum=1, purpose=purpose)
    joined = pd.concat([left.rename("first"), right.rename("second")], axis=1, join="inner")
    if joined.empty:
        raise InvalidInput(f"{purpose} found no period or id common to both series")
    if len(joined) < minimum:
        raise InvalidInput(
            f"{purpose} needs at least {minimum} pairs; the series share {len(joined)} "
            "periods or ids"
        )
    return joined["first"].to_numpy(np.float64), joined["second"].to_numpy(np.float64)
