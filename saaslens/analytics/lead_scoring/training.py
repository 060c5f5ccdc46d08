"""Fitting, choosing and evaluating the lead conversion model.

Two candidates compete by stratified cross-validated ROC AUC on the training
part: an L2-regularised logistic regression over one-hot categories and
standardised numbers, and histogram gradient boosting, which finds
interactions the linear model cannot. The winner's probabilities are
calibrated, and everything reported is measured on a held-out quarter that
neither the choice nor the calibration saw.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_score, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

from saaslens.analytics.lead_scoring.design import Design
from saaslens.errors import InvalidInput

MIN_PER_OUTCOME = 50
HELD_OUT = 0.25
FOLDS = 3
# Isotonic calibration needs enough points per step to not overfit.
ISOTONIC_FROM = 1000
CALIBRATION_BINS = 10
# Choosing between two candidates needs far fewer leads than fitting the winner:
# past these counts the cross-validation and the importances work on a
# stratified sample, which keeps 200,000 leads within half a minute.
CHOICE_SAMPLE = 20_000
IMPORTANCE_SAMPLE = 10_000
LOGISTIC = "logistic_regression"
BOOSTING = "gradient_boosting"


@dataclass(frozen=True)
class Scorer:
    """A trained model with what scoring and attribution need to read it."""

    algorithm: str
    design: Design
    model: CalibratedClassifierCV
    # Logistic: the mean of each transformed training column, so contributions are
    # measured from an average lead. Boosting: each feature's median or mode.
    reference: Any

    def probabilities(self, matrix: pd.DataFrame) -> np.ndarray[Any, np.dtype[np.float64]]:
        return self.model.predict_proba(matrix)[:, 1]  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Training:
    scorer: Scorer
    scores: dict[str, Any]


def train(frame: pd.DataFrame, seed: int = 0) -> Training:
    """Train on the won and lost leads of the lead feature frame."""
    closed = frame[frame["outcome"].isin(["won", "lost"])]
    won = int((closed["outcome"] == "won").sum())
    lost = len(closed) - won
    if min(won, lost) < MIN_PER_OUTCOME:
        raise InvalidInput(
            f"training needs at least {MIN_PER_OUTCOME} won and {MIN_PER_OUTCOME} lost leads; "
            f"the store has {won} won and {lost} lost"
        )
    design = Design.of(closed)
    x = design.matrix(closed)
    y = (closed["outcome"] == "won").to_numpy(dtype=int)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=HELD_OUT, stratify=y, random_state=seed
    )
    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=seed)
    candidates = {LOGISTIC: _logistic(design), BOOSTING: _boosting(design, seed)}
    x_choice, y_choice = _sample(x_train, y_train, CHOICE_SAMPLE, seed)
    cv_auc = {
        name: float(
            np.mean(cross_val_score(model, x_choice, y_choice, cv=folds, scoring="roc_auc"))
        )
        for name, model in candidates.items()
    }
    algorithm = max(cv_auc, key=lambda name: cv_auc[name])
    method = "isotonic" if len(x_train) >= ISOTONIC_FROM else "sigmoid"
    model = CalibratedClassifierCV(candidates[algorithm], method=method, cv=folds, ensemble=False)
    model.fit(x_train, y_train)
    scorer = Scorer(algorithm, design, model, _reference(algorithm, model, x_train))
    scores = _evaluate(scorer, x_test, y_test, float(y_train.mean()), seed)
    scores.update(
        algorithm=algorithm,
        cross_validated_auc=cv_auc,
        calibration_method=method,
        won=won,
        lost=lost,
        train_size=len(x_train),
        test_size=len(x_test),
    )
    return Training(scorer, scores)


def _sample(x: pd.DataFrame, y: Any, size: int, seed: int) -> tuple[pd.DataFrame, Any]:
    if len(x) <= size:
        return x, y
    x_part, _, y_part, _ = train_test_split(x, y, train_size=size, stratify=y, random_state=seed)
    return x_part, y_part


def _logistic(design: Design) -> Pipeline:
    encode = ColumnTransformer(
        [
            (
                "categorical",
                OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                list(design.categorical),
            ),
            (
                "numeric",
                Pipeline(
                    [("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]
                ),
                list(design.numeric),
            ),
        ]
    )
    return Pipeline([("encode", encode), ("model", LogisticRegression(C=1.0, max_iter=2000))])


def _boosting(design: Design, seed: int) -> Pipeline:
    encode = ColumnTransformer(
        [
            (
                "categorical",
                OrdinalEncoder(
                    handle_unknown="use_encoded_value", unknown_value=np.nan, max_categories=250
                ),
                list(design.categorical),
            ),
            ("numeric", "passthrough", list(design.numeric)),
        ]
    )
    model = HistGradientBoostingClassifier(
        categorical_features=list(range(len(design.categorical))),
        learning_rate=0.1,
        max_iter=150,
        l2_regularization=1.0,
        random_state=seed,
    )
    return Pipeline([("encode", encode), ("model", model)])


def _reference(algorithm: str, model: CalibratedClassifierCV, x_train: pd.DataFrame) -> Any:
    if algorithm == LOGISTIC:
        pipeline = model.calibrated_classifiers_[0].estimator
        return np.asarray(pipeline[0].transform(x_train)).mean(axis=0)
    return {
        column: (
            x_train[column].median()
            if x_train[column].dtype.kind == "f"
            else x_train[column].mode().iloc[0]
        )
        for column in x_train.columns
    }


def _evaluate(
    scorer: Scorer, x_test: pd.DataFrame, y_test: Any, base_rate: float, seed: int
) -> dict[str, Any]:
    predicted = scorer.probabilities(x_test)
    x_part, y_part = _sample(x_test, y_test, IMPORTANCE_SAMPLE, seed)
    importances = permutation_importance(
        scorer.model, x_part, y_part, scoring="roc_auc", n_repeats=5, random_state=seed
    )
    return {
        "auc": float(roc_auc_score(y_test, predicted)),
        "brier": float(brier_score_loss(y_test, predicted)),
        "base_rate": base_rate,
        "base_rate_brier": float(brier_score_loss(y_test, np.full(len(y_test), base_rate))),
        "calibration": calibration_table(predicted, np.asarray(y_test)),
        "importances": sorted(
            (
                {"feature": feature, "mean": float(mean), "std": float(std)}
                for feature, mean, std in zip(
                    x_test.columns,
                    importances.importances_mean,
                    importances.importances_std,
                    strict=True,
                )
            ),
            key=lambda row: -row["mean"],
        ),
    }


def calibration_table(predicted: Any, observed: Any) -> list[dict[str, Any]]:
    """Deciles of equal count by predicted probability: mean predicted against observed."""
    order = np.argsort(np.argsort(predicted, kind="stable"), kind="stable")
    bins = order * CALIBRATION_BINS // len(predicted)
    frame = pd.DataFrame({"bin": bins, "predicted": predicted, "observed": observed})
    grouped = frame.groupby("bin").agg(
        mean_predicted=("predicted", "mean"),
        observed=("observed", "mean"),
        count=("observed", "size"),
    )
    return [
        {
            "decile": index + 1,
            "mean_predicted": float(row["mean_predicted"]),
            "observed": float(row["observed"]),
            "count": int(row["count"]),
        }
        for index, (_, row) in enumerate(grouped.iterrows())
    ]
