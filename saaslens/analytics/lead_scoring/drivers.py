"""Scoring open leads, with the features that pushed each one most.

For the logistic model a feature's contribution is its coefficients times
the lead's transformed value less the training mean (standardised numbers,
one-hot categories), in log-odds: exact for a linear model, and zero for a
lead that looks like the average. Boosting has no such decomposition, so
its contribution is the change in calibrated probability when that one
feature is set to its training median (numbers) or mode (categories): one
extra prediction per feature, cheap enough to run on every open lead.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from saaslens.analytics.lead_scoring.training import LOGISTIC, Scorer

TOP_DRIVERS = 3


@dataclass(frozen=True)
class Driver:
    feature: str
    value: str
    contribution: float


@dataclass(frozen=True)
class ScoredLead:
    lead_id: str
    probability: float
    drivers: list[Driver]


def score(scorer: Scorer, frame: pd.DataFrame) -> list[ScoredLead]:
    """Each lead's probability of being won and its strongest drivers by absolute
    contribution, most likely first (ties by id)."""
    matrix = scorer.design.matrix(frame)
    if matrix.empty:
        return []
    probability = scorer.probabilities(matrix)
    if scorer.algorithm == LOGISTIC:
        effects = _linear_effects(scorer, matrix)
    else:
        effects = _replacement_effects(scorer, matrix, probability)
    ids = frame["id"].astype(str).tolist()
    order = sorted(range(len(ids)), key=lambda row: (-probability[row], ids[row]))
    return [
        ScoredLead(
            ids[row], float(probability[row]), _top(matrix.iloc[row], effects[row], matrix.columns)
        )
        for row in order
    ]


def _linear_effects(scorer: Scorer, matrix: pd.DataFrame) -> Any:
    pipeline = scorer.model.calibrated_classifiers_[0].estimator
    encode, model = pipeline[0], pipeline[-1]
    transformed = np.asarray(encode.transform(matrix)) - scorer.reference
    weighted = transformed * model.coef_[0]
    # One-hot columns come first, a block per categorical feature, then one per number.
    widths = [len(c) for c in encode.named_transformers_["categorical"].categories_]
    widths += [1] * len(scorer.design.numeric)
    edges = np.concatenate([[0], np.cumsum(widths)])
    return np.column_stack(
        [weighted[:, start:end].sum(axis=1) for start, end in itertools.pairwise(edges)]
    )


def _replacement_effects(scorer: Scorer, matrix: pd.DataFrame, probability: Any) -> Any:
    effects = np.empty((len(matrix), matrix.shape[1]))
    for index, column in enumerate(matrix.columns):
        replaced = matrix.copy()
        replaced[column] = scorer.reference[column]
        effects[:, index] = probability - scorer.probabilities(replaced)
    return effects


def _top(row: pd.Series, effects: Any, columns: pd.Index) -> list[Driver]:
    strongest = np.argsort(-np.abs(effects), kind="stable")[:TOP_DRIVERS]
    return [
        Driver(columns[i], _shown(columns[i], row.iloc[i]), float(effects[i])) for i in strongest
    ]


def _shown(column: str, value: Any) -> str:
    if column == "company_size":
        return str(round(float(np.expm1(value))))
    if isinstance(value, float):
        return "" if np.isnan(value) else f"{value:g}"
    return str(value)
