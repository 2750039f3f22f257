"""The calibration estimators honour the scikit-learn contract and learn what they should."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.base import clone  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.linear_model import Ridge  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from qa_toolkit.calibrate.estimators import ItemWeightRegressor, ThresholdTuner  # noqa: E402
from qa_toolkit.calibrate.ridge import CallQualityRegressor  # noqa: E402
from qa_toolkit.rubric import parse_rubric  # noqa: E402
from qa_toolkit.scoring import score_call  # noqa: E402
from qa_toolkit.types import AudioSource, Transcript, Utterance  # noqa: E402

ESTIMATORS = [
    ThresholdTuner(),
    ItemWeightRegressor(),
    CallQualityRegressor(),
    CallQualityRegressor(alpha=1.0, raw_columns=1),
]


@parametrize_with_checks(ESTIMATORS)
def test_calibrate_estimator_passes_sklearn_checks(estimator: object, check: object) -> None:
    check(estimator)  # type: ignore[operator]


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_calibrate_estimator_contract(estimator: object) -> None:
    params = estimator.get_params()  # type: ignore[attr-defined]
    copy = clone(estimator)
    assert copy.get_params() == params and copy is not estimator
    with pytest.raises(NotFittedError):
        copy.predict(np.zeros((2, 3)))
    X = np.array([[0.1, 1.0, 0.0], [0.9, 0.0, 1.0], [0.8, 1.0, 1.0], [0.2, 0.0, 0.0]] * 5)
    y = np.array([0, 1, 1, 0] * 5)
    assert copy.fit(X, y) is copy
    learned = [k for k in vars(copy) if k.endswith("_") and not k.startswith("_")]
    assert learned, "fit stores learned state in attributes ending in _"
    assert copy.get_params() == params, "fit must not change the parameters"


def test_calibrate_threshold_tuner_finds_the_reviewers_cut() -> None:
    strengths = [[0.95], [0.88], [0.86], [0.6], [0.55]]
    labels = ["pass", "pass", "pass", "fail", "fail"]
    tuner = ThresholdTuner(low=0.5, high=1.0, prior=0.9).fit(strengths, labels)
    # 0.9 misses a reviewer's pass; it moves down to the weakest pass, no further.
    assert tuner.threshold_ == pytest.approx(0.86)
    # Without a prior, the middle of the perfect cuts (0.6, 0.86]: the widest margin.
    assert ThresholdTuner().fit(strengths, labels).threshold_ == pytest.approx(0.73)
    assert tuner.score_ == pytest.approx(1.0)
    assert list(tuner.predict([[0.87], [0.5]])) == ["pass", "fail"]


def test_calibrate_threshold_tuner_prefers_the_prior_among_ties() -> None:
    # Cutting at 0.9 or at 0.7 each gets three of four right (kappa 0.5 both).
    strengths = [[0.95], [0.85], [0.75], [0.65]]
    labels = ["pass", "fail", "pass", "fail"]
    # A prior as good as the best stays put; a worse one moves to the nearest best.
    assert ThresholdTuner(prior=0.92).fit(strengths, labels).threshold_ == pytest.approx(0.92)
    assert ThresholdTuner(prior=0.6).fit(strengths, labels).threshold_ == pytest.approx(0.7)
    assert ThresholdTuner(prior=0.99).fit(strengths, labels).threshold_ == pytest.approx(0.95)


def test_calibrate_threshold_tuner_respects_bounds_and_needs_two_classes() -> None:
    tuner = ThresholdTuner(low=0.7, high=1.0).fit([[0.2], [0.3], [0.9]], [0, 1, 1])
    assert tuner.threshold_ >= 0.7
    with pytest.raises(ValueError, match="1 class"):
        ThresholdTuner().fit([[0.2], [0.3]], ["pass", "pass"])


def test_calibrate_weights_reproduce_the_rubric_formula() -> None:
    rubric = parse_rubric(
        """\
schema: qa-toolkit/rubric@1
id: w
version: 1
sections:
  - id: a
    weight: 30
    items:
      - {id: hello, detector: phrase, speaker: agent, any: [hello], points: 2}
      - {id: name, detector: phrase, speaker: agent, any: [my name is], points: 6}
  - id: b
    weight: 70
    items:
      - {id: fix, detector: phrase, speaker: agent, any: [i will fix], points: 4}
"""
    )
    texts = ["hello my name is ann i will fix it", "hello", "my name is ann", "i will fix it", "ok"]
    model = ItemWeightRegressor(
        sections=[0, 0, 1], initial_points=[2, 6, 4], initial_weights=[30, 70], regularization=1e9
    ).fit([[1, 1, 1], [0, 0, 0]], [100, 0])
    for text in texts:
        call = Transcript(
            "c", (Utterance("u0", "agent", 0, 0, text),), "en", source=AudioSource(kind="text")
        )
        score = score_call(call, rubric)
        outcome = [
            [1.0 if score.item(i).status == "pass" else 0.0 for i in ("hello", "name", "fix")]
        ]
        assert model.predict(outcome)[0] == pytest.approx(score.raw_score)


def test_calibrate_weights_recover_what_drives_the_human_score() -> None:
    rng = np.random.default_rng(0)
    X = (rng.random((200, 3)) < 0.6).astype(float)
    X[rng.random((200, 3)) < 0.2] = np.nan  # n.a.
    # A huge regularization keeps the given points: the rubric formula with points 1, 4, 1.
    truth = ItemWeightRegressor(
        sections=[0, 0, 1], initial_points=[1, 4, 1], initial_weights=[20, 80], regularization=1e9
    )
    y = truth.fit(X, np.zeros(200)).predict(X)
    fitted = ItemWeightRegressor(
        sections=[0, 0, 1], initial_points=[5, 5, 5], initial_weights=[50, 50], regularization=0.01
    ).fit(X, y + rng.normal(0, 2, 200))
    assert fitted.points_[1] / fitted.points_[0] == pytest.approx(4, rel=0.25)
    assert fitted.section_weights_[1] == pytest.approx(80, abs=5)


def test_calibrate_call_regressor_is_a_ridge_on_scaled_inputs() -> None:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 5))
    y = X @ [1.0, -2.0, 0.5, 0.0, 3.0] + rng.normal(0, 0.1, 60)
    model = CallQualityRegressor(alpha=2.0, raw_columns=2).fit(X, y)
    # The same ridge by hand: raw columns as they are, scalars standardised / sqrt(3).
    Z = X.copy()
    Z[:, 2:] = (X[:, 2:] - X[:, 2:].mean(0)) / (X[:, 2:].std(0) * np.sqrt(3))
    reference = Ridge(alpha=2.0).fit(Z, y)
    assert np.allclose(model.predict(X), reference.predict(Z))


def test_calibrate_call_regressor_chooses_alpha_and_fills_missing() -> None:
    rng = np.random.default_rng(2)
    X = rng.normal(size=(80, 4))
    y = X[:, 0] + rng.normal(0, 0.5, 80)
    model = CallQualityRegressor(alphas=(0.1, 10.0, 1000.0)).fit(X, y)
    assert model.alpha_ in (0.1, 10.0, 1000.0)
    assert len(model.cv_scores_) == 3
    row = np.array([[np.nan, np.nan, np.nan, np.nan]])
    # Every input missing: each takes its training mean, so the prediction is the mean's.
    assert model.predict(row)[0] == pytest.approx(model.predict(X.mean(axis=0, keepdims=True))[0])


def test_calibrate_import_loads_no_sklearn_or_torch() -> None:
    code = (
        "import sys, qa_toolkit, qa_toolkit.calibrate; "
        "print('sklearn' in sys.modules, 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
