"""Estimators that learn a rubric's thresholds and weights from human labels.

Both follow the scikit-learn contract: ``__init__`` only stores parameters,
``fit`` validates its input and returns ``self``, learned state ends in ``_``,
and ``predict`` before ``fit`` raises ``NotFittedError``; so ``clone``,
``get_params`` and the model-selection tools work on them.

- :class:`ThresholdTuner` picks the threshold on one detector strength (a
  phrase's fuzzy-match similarity, a semantic similarity, a feature value)
  that best reproduces a reviewer's pass/fail.
- :class:`ItemWeightRegressor` fits item points and section weights so that
  the rubric's own formula (each section the share of its applicable points,
  the call the weighted mean of its sections) tracks a reviewer's overall score.

scikit-learn is imported by this module, never by ``import qa_toolkit``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from scipy.optimize import minimize
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from qa_toolkit.calibrate.metrics import FloatArray

logger = logging.getLogger(__name__)

Criterion = Literal["kappa", "accuracy", "balanced_accuracy"]


class ThresholdTuner(ClassifierMixin, BaseEstimator):
    """Learn the threshold on a detector strength that best matches human pass/fail.

    The item passes when the strength in ``column`` reaches ``threshold_``.
    Candidates are the observed strengths and the midpoints between them, kept
    within ``[low, high]`` (a detector's valid range); among equally good ones,
    the one closest to ``prior`` (the threshold in use) wins, so a threshold
    moves only when the labels say it should, and only as far as they say:
    a phrase threshold of 0.99 that misses a reviewer's pass at 0.97 drops to
    0.97, not to the middle of a gap down to the best non-match, where it
    would let through near-misses no reviewer has judged. Without a prior, the
    middle of the best candidates wins (the widest margin).

    Args:
        criterion: what to maximise: Cohen's ``kappa`` (default; robust to an
            item that nearly always passes), ``accuracy`` or ``balanced_accuracy``.
        low: the lowest threshold allowed.
        high: the highest threshold allowed.
        prior: the threshold in use, preferred among ties.
        column: the column of ``X`` holding the strength.

    Attributes:
        threshold_: the learned threshold.
        classes_: the two labels; ``classes_[1]`` means pass (``"pass"`` sorts
            after ``"fail"``, 1 after 0).
        score_: the criterion on the training data at ``threshold_``.

    Example:
        >>> tuner = ThresholdTuner(low=0.5, high=1.0, prior=0.9)
        >>> tuner.fit([[0.95], [0.88], [0.6]], ["pass", "pass", "fail"]).threshold_
        0.88
    """

    def __init__(
        self,
        criterion: Criterion = "kappa",
        low: float | None = None,
        high: float | None = None,
        prior: float | None = None,
        column: int = 0,
    ) -> None:
        self.criterion = criterion
        self.low = low
        self.high = high
        self.prior = prior
        self.column = column

    def fit(self, X: Any, y: Any) -> ThresholdTuner:
        """Choose the threshold.

        Args:
            X: strengths, shape (n_calls, n_columns).
            y: the human label of each call, two distinct values.

        Returns:
            self.

        Raises:
            ValueError: for labels of fewer or more than two classes, or a
                ``column`` outside ``X``.
        """
        X, y = validate_data(self, X, y)
        check_classification_targets(y)
        self.classes_, encoded = np.unique(y, return_inverse=True)
        if len(self.classes_) == 1:
            raise ValueError("the labels hold 1 class; a threshold needs both pass and fail")
        if len(self.classes_) > 2:
            raise ValueError(
                f"Only binary classification is supported (pass/fail); got {len(self.classes_)}"
                " classes"
            )
        if not 0 <= self.column < X.shape[1]:
            raise ValueError(f"column {self.column} is outside X's {X.shape[1]} columns")
        strength = X[:, self.column].astype(float)
        candidates = self._candidates(strength)
        scores = np.array([_criterion(self.criterion, encoded, strength >= t) for t in candidates])
        best = np.flatnonzero(scores >= scores.max() - 1e-12)
        anchor = self.prior if self.prior is not None else float(np.median(candidates[best]))
        pick = best[np.argmin(np.abs(candidates[best] - anchor))]
        self.threshold_ = float(candidates[pick])
        self.score_ = float(scores[pick])
        return self

    def _candidates(self, strength: FloatArray) -> FloatArray:
        values = np.unique(strength)
        mids = (values[:-1] + values[1:]) / 2 if len(values) > 1 else values
        # Just above the top and at the bottom: "nothing passes", "everything passes".
        found = np.concatenate([values, mids, [np.nextafter(values[-1], np.inf)]])
        if self.prior is not None:
            found = np.append(found, self.prior)
        low = -np.inf if self.low is None else self.low
        high = np.inf if self.high is None else self.high
        return np.unique(np.clip(found, low, high))

    def decision_function(self, X: Any) -> FloatArray:
        """Strength minus threshold: positive means pass."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return np.asarray(X[:, self.column] - self.threshold_, dtype=float)

    def predict(self, X: Any) -> Any:
        """``classes_[1]`` (pass) where the strength reaches the threshold, else ``classes_[0]``."""
        check_is_fitted(self)
        return self.classes_[(self.decision_function(X) >= 0).astype(int)]

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        # One column, pass when it is high: generic test data has no such direction.
        tags.classifier_tags.poor_score = True
        return tags


def _criterion(name: str, truth: Any, passed: Any) -> float:
    """Kappa, accuracy or balanced accuracy of a pass/fail split (truth 1 = pass)."""
    truth = truth.astype(bool)
    tp = float(np.sum(truth & passed))
    tn = float(np.sum(~truth & ~passed))
    n = float(len(truth))
    observed = (tp + tn) / n
    if name == "accuracy":
        return observed
    if name == "balanced_accuracy":
        pos, neg = float(truth.sum()), n - float(truth.sum())
        return 0.5 * (tp / pos if pos else 1.0) + 0.5 * (tn / neg if neg else 1.0)
    if name != "kappa":
        raise ValueError(f"criterion {name!r} is not one of kappa, accuracy, balanced_accuracy")
    chance = (truth.sum() * passed.sum() + (~truth).sum() * (~passed).sum()) / n**2
    return float((observed - chance) / (1 - chance)) if chance < 1 else 0.0


class ItemWeightRegressor(RegressorMixin, BaseEstimator):
    """Fit item points and section weights so the rubric score tracks a human score.

    The prediction is the rubric's own formula: a section scores the share of
    its applicable points earned, the call is 100 × the weighted mean of the
    sections with an applicable item. Points and weights stay positive and are
    pulled toward the starting ones (``regularization`` on their log-ratio), so
    a few labels only nudge the rubric and an item nobody saw keeps its points.

    Args:
        sections: the section index of each column (one section when ``None``).
        initial_points: the rubric's points per column (all 1 when ``None``).
        initial_weights: the rubric's weight per section (all 1 when ``None``).
        regularization: how strongly points and weights stay near the start.
        max_iter: the optimiser's iteration limit.

    Attributes:
        points_: fitted points, one per column, scaled to the initial total per section.
        section_weights_: fitted section weights, scaled to the initial total.
        loss_: the final value of the objective.

    Example:
        >>> X = [[1, 0, np.nan], [1, 1, 0], [0, 1, 1]]  # pass 1, fail 0, n.a. NaN
        >>> ItemWeightRegressor(sections=[0, 0, 1]).fit(X, [40, 80, 60]).predict(X)
    """

    def __init__(
        self,
        sections: Sequence[int] | None = None,
        initial_points: Sequence[float] | None = None,
        initial_weights: Sequence[float] | None = None,
        regularization: float = 1.0,
        max_iter: int = 500,
    ) -> None:
        self.sections = sections
        self.initial_points = initial_points
        self.initial_weights = initial_weights
        self.regularization = regularization
        self.max_iter = max_iter

    def fit(self, X: Any, y: Any) -> ItemWeightRegressor:
        """Fit points and weights by penalised least squares.

        Args:
            X: item outcomes, shape (n_calls, n_items): 1 pass, 0 fail, NaN n.a.
            y: the human score of each call, on the rubric's 0–100 scale.

        Returns:
            self.
        """
        X, y = validate_data(self, X, y, ensure_all_finite="allow-nan", y_numeric=True)
        sections, points0, weights0 = self._start(X.shape[1])
        usable = ~np.all(np.isnan(X), axis=1)
        Xu, yu = X[usable], np.asarray(y, dtype=float)[usable]
        spread = float(np.var(yu)) if len(yu) > 1 and np.var(yu) > 0 else 1.0
        m = X.shape[1]

        def objective(theta: FloatArray) -> float:
            pred = _rubric_formula(
                Xu, sections, points0 * np.exp(theta[:m]), weights0 * np.exp(theta[m:])
            )
            return float(np.sum((pred - yu) ** 2) / spread + self.regularization * np.sum(theta**2))

        theta0 = np.zeros(m + len(weights0))
        found = minimize(objective, theta0, method="L-BFGS-B", options={"maxiter": self.max_iter})
        theta = np.clip(found.x, -20, 20)
        self.points_ = _rescale(points0 * np.exp(theta[:m]), points0, sections)
        weights = weights0 * np.exp(theta[m:])
        self.section_weights_ = weights * weights0.sum() / weights.sum()
        self.sections_ = sections
        self.loss_ = float(found.fun)
        self.n_iter_ = int(found.nit)
        return self

    def _start(self, m: int) -> tuple[Any, FloatArray, FloatArray]:
        sections = np.zeros(m, dtype=int) if self.sections is None else np.asarray(self.sections)
        if sections.shape != (m,) or (m and sections.min() < 0):
            raise ValueError(f"sections needs one index >= 0 per column ({m}), got {sections}")
        n_sections = int(sections.max()) + 1 if m else 1
        points = (
            np.ones(m) if self.initial_points is None else np.asarray(self.initial_points, float)
        )
        weights = (
            np.ones(n_sections)
            if self.initial_weights is None
            else np.asarray(self.initial_weights, float)
        )
        if points.shape != (m,) or np.any(points <= 0):
            raise ValueError(f"initial_points needs {m} positive values")
        if weights.shape != (n_sections,) or np.any(weights <= 0):
            raise ValueError(f"initial_weights needs {n_sections} positive values")
        return sections, points, weights

    def predict(self, X: Any) -> FloatArray:
        """The rubric score (0–100) with the fitted points and weights; 0 when nothing applies."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, ensure_all_finite="allow-nan")
        return _rubric_formula(X, self.sections_, self.points_, self.section_weights_)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        # The output is the rubric's 0-100 formula, not a free fit to any target.
        tags.regressor_tags.poor_score = True
        return tags


def _rubric_formula(X: Any, sections: Any, points: FloatArray, weights: FloatArray) -> FloatArray:
    """The rubric's score for each row: weighted mean of section shares, × 100."""
    applicable = ~np.isnan(X)
    earned_items = np.where(applicable, X, 0.0) * points
    possible_items = applicable * points
    onehot = np.eye(len(weights))[sections]  # item -> section
    earned = earned_items @ onehot
    possible = possible_items @ onehot
    scorable = possible > 0
    share = np.divide(earned, possible, out=np.zeros_like(earned), where=scorable)
    total = (scorable * weights).sum(axis=1)
    score = np.divide((share * weights).sum(axis=1), total, out=np.zeros(len(X)), where=total > 0)
    return np.asarray(100.0 * score, dtype=float)


def _rescale(points: FloatArray, start: FloatArray, sections: Any) -> FloatArray:
    """Scale each section's points back to the section's starting total (the formula ignores it)."""
    out = points.copy()
    for s in np.unique(sections):
        mask = sections == s
        out[mask] *= start[mask].sum() / points[mask].sum()
    return out
