from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from statsmodels.tsa.filters.filtertools import convolution_filter

from saaslens.analytics.statistics.smoothing import (
    centred_moving_average,
    exponential_moving_average,
    rolling_statistics,
    simple_moving_average,
)
from saaslens.errors import InvalidInput

WEEKS = pd.period_range("2024-01-01", periods=20, freq="W")
ACTIVE = pd.Series(np.random.default_rng(9).poisson(300, 20).astype(float), index=WEEKS)


def test_simple_moving_average_is_the_trailing_window_mean() -> None:
    values = ACTIVE.to_numpy()
    expected = [np.nan] * 3 + [values[i - 3 : i + 1].mean() for i in range(3, 20)]

    result = simple_moving_average(ACTIVE, 4)

    assert result.values.to_numpy() == pytest.approx(np.array(expected), nan_ok=True)
    assert result.reading.startswith("The 4-period simple moving average goes from")


@pytest.mark.parametrize("window", [3, 4, 12])
def test_centred_moving_average_equals_statsmodels_centred_filter(window: int) -> None:
    # statsmodels' own decomposition uses these 2 x m weights for an even period.
    weights = (
        np.repeat(1.0 / window, window)
        if window % 2
        else np.array([0.5, *[1.0] * (window - 1), 0.5]) / window
    )
    expected = convolution_filter(ACTIVE.to_numpy(), weights, nsides=2)

    result = centred_moving_average(ACTIVE, window)

    assert result.values.to_numpy() == pytest.approx(expected, nan_ok=True)


def test_exponential_moving_average_follows_the_recursion() -> None:
    expected = [ACTIVE.iloc[0]]
    for value in ACTIVE.iloc[1:]:
        expected.append(0.3 * value + 0.7 * expected[-1])

    result = exponential_moving_average(ACTIVE, 0.3)

    assert result.values.to_numpy() == pytest.approx(expected)
    assert "exponential (alpha = 0.3) moving average" in result.reading


def test_rolling_statistics_equal_numpy_over_each_window() -> None:
    values = ACTIVE.to_numpy()

    result = rolling_statistics(ACTIVE, 5)

    windows = [values[i - 4 : i + 1] for i in range(4, 20)]
    frame = result.frame.iloc[4:]
    assert frame["mean"].to_numpy() == pytest.approx([w.mean() for w in windows])
    assert frame["std"].to_numpy() == pytest.approx([w.std(ddof=1) for w in windows])
    assert frame["min"].to_numpy() == pytest.approx([w.min() for w in windows])
    assert frame["max"].to_numpy() == pytest.approx([w.max() for w in windows])
    assert result.frame.iloc[:4].isna().all().all()


def test_a_window_longer_than_the_series_is_refused() -> None:
    with pytest.raises(InvalidInput, match="over 30 periods needs at least 30 values; got 20"):
        simple_moving_average(ACTIVE, 30)
    with pytest.raises(InvalidInput, match="needs at least 21 values; got 20"):
        centred_moving_average(ACTIVE, 20)


def test_bad_smoothing_parameters_are_refused() -> None:
    with pytest.raises(InvalidInput, match=re.escape("0 < alpha <= 1; got 1.5")):
        exponential_moving_average(ACTIVE, 1.5)
    with pytest.raises(InvalidInput, match="window of at least 2; got 1"):
        rolling_statistics(ACTIVE, 1)
