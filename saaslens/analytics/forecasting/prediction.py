"""What every forecasting method promises: fit on a history, predict with intervals."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

Vector = NDArray[np.float64]


@dataclass(frozen=True)
class Prediction:
    """Point forecasts for steps 1..h and, per level, the lower and upper bounds."""

    point: Vector
    bounds: Mapping[float, tuple[Vector, Vector]]


class Fitted(Protocol):
    @property
    def parameters(self) -> Mapping[str, float]: ...

    def predict(self, horizon: int, levels: Sequence[float]) -> Prediction: ...


class Method(Protocol):
    @property
    def name(self) -> str: ...

    def fit(self, history: Vector) -> Fitted: ...
