"""The call-model file, its predictions and the ``call_model`` detector, on hand-built calls."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from qa_toolkit.calibrate.call_model import (
    CallModel,
    Target,
    call_model_from_estimator,
    load_call_model,
    save_call_model,
)
from qa_toolkit.calibrate.detector import FLAG_KIND, flag_low_prediction
from qa_toolkit.calibrate.inputs import BLOCKS
from qa_toolkit.errors import CallModelFileError, RubricError
from qa_toolkit.rubric import parse_rubric
from qa_toolkit.scoring import score_call
from tests.test_calibrate_support import HashEncoder, make_call

MODEL = {
    "schema": "qa-toolkit/call-model@1",
    "kind": "ridge",
    "name": "csat",
    "target": {"name": "satisfaction", "low": -2, "high": 2, "pass_at": 0},
    "intercept": 0.0,
    "inputs": [
        {"name": "item:solution", "coef": 1.0, "mean": 0.5, "scale": 0.5},
        {"name": "sentiment:customer_last", "coef": 1.0, "mean": 0.0, "scale": 0.5},
    ],
}

RUBRIC = """\
schema: qa-toolkit/rubric@1
id: m
version: 1
sections:
  - id: s
    items:
      - id: predicted
        detector: call_model
        model: csat.json
        points: 5
      - id: solution
        detector: regex
        speaker: agent
        pattern: "\\\\bi will \\\\w+"
        points: 5
"""


@pytest.fixture()
def model_dir(tmp_path: Path) -> Path:
    (tmp_path / "csat.json").write_text(json.dumps(MODEL), encoding="utf-8")
    return tmp_path


def test_calibrate_model_file_round_trips(tmp_path: Path) -> None:
    model = CallModel.from_dict(MODEL)
    path = save_call_model(model, tmp_path / "sub" / "m.json")
    again = load_call_model(path)
    assert again.to_dict() == model.to_dict()
    assert again.references() == (("item", "solution"),)


def test_calibrate_model_file_errors_name_every_problem(tmp_path: Path) -> None:
    bad = {
        **MODEL,
        "kind": "forest",
        "extra": 1,
        "inputs": [{"name": "colour:red", "coef": 1}],
        "embedding": {"model": "usem3", "dims": 3, "blocks": {"customer_last": [1, 2]}},
    }
    with pytest.raises(CallModelFileError) as caught:
        CallModel.from_dict(bad, "m.json")
    message = str(caught.value)
    for part in ("kind", "extra: unknown field", "colour:red", "has 2 weights, dims is 3"):
        assert part in message
    (tmp_path / "x.json").write_text("{", encoding="utf-8")
    with pytest.raises(CallModelFileError, match="not JSON"):
        load_call_model(tmp_path / "x.json")


def test_calibrate_model_prediction_splits_into_inputs_and_turns() -> None:
    rng = np.random.default_rng(0)
    coefs = rng.normal(size=(len(BLOCKS), HashEncoder.dims))
    model = CallModel(
        Target("satisfaction", -2, 2, 0),
        0.3,
        CallModel.from_dict(MODEL).inputs,
        "usem3",
        BLOCKS,
        coefs,
        rng.normal(size=len(BLOCKS)),
    )
    call = make_call("c1", "hello", solved=True, happy=False)
    found = model.predict(call, {"solution": "pass"}, {}, encoder=HashEncoder())
    # The pooled blocks by hand: customer mean/first/last, agent mean/last.
    vectors = HashEncoder().encode([u.text for u in call.utterances])
    agent, customer = vectors[[0, 2]], vectors[[1, 3]]
    pooled = [customer.mean(0), customer[0], customer[-1], agent.mean(0), agent[-1]]
    scalars = sum(effect for _, _, effect in found.scalars)
    expected = 0.3 + scalars + sum(c @ p for c, p in zip(coefs, pooled, strict=True))
    assert found.value == pytest.approx(float(np.clip(expected, -2, 2)))
    offsets = model.block_offsets.sum()
    assert 0.3 + offsets + scalars + sum(e for _, e in found.utterances) == pytest.approx(expected)


def test_calibrate_detector_scores_and_explains(model_dir: Path) -> None:
    rubric = parse_rubric(RUBRIC, "r.yaml", model_dir)
    # The model reads `solution`, so the builder scores it first.
    assert rubric.order.index("solution") < rubric.order.index("predicted")
    good = score_call(make_call("g", "hello", solved=True, happy=True), rubric)
    bad = score_call(make_call("b", "hello", solved=False, happy=False), rubric)
    assert good.item("predicted").status == "pass"
    assert bad.item("predicted").status == "fail"
    reasons = [e.reason for e in bad.item("predicted").evidence]
    assert reasons[0].startswith("csat: predicted satisfaction -")
    assert "item:solution = fail (-1.00)" in reasons[0]


def test_calibrate_detector_reports_a_bad_model_at_its_line(tmp_path: Path) -> None:
    with pytest.raises(RubricError) as caught:
        parse_rubric(RUBRIC, "r.yaml", tmp_path)
    problem = caught.value.problems[0]
    assert problem.line == 9 and problem.path == "sections[0].items[0].model"
    assert "cannot read the model" in problem.message


def test_calibrate_flag_low_prediction(model_dir: Path) -> None:
    rubric = parse_rubric(RUBRIC, "r.yaml", model_dir)
    model = load_call_model(model_dir / "csat.json")
    call = make_call("b", "hello", solved=False, happy=False)
    flagged = flag_low_prediction(score_call(call, rubric), call, model)
    assert FLAG_KIND in [f.kind for f in flagged.flags]
    happy = make_call("g", "hello", solved=True, happy=True)
    score = score_call(happy, rubric)
    assert flag_low_prediction(score, happy, model) is score


def test_calibrate_model_from_estimator_predicts_like_it() -> None:
    from qa_toolkit.calibrate.ridge import CallQualityRegressor

    rng = np.random.default_rng(3)
    X = np.hstack([rng.normal(size=(50, 2 * 4)), rng.normal(size=(50, 2))])
    y = X[:, 0] - X[:, -1] + rng.normal(0, 0.1, 50)
    estimator = CallQualityRegressor(alpha=1.0, raw_columns=8).fit(X, y)
    model = call_model_from_estimator(
        estimator,
        ["feature:turn_count", "sentiment:agent_mean"],
        target=Target("score", -10, 10, 0),
        blocks=BLOCKS[:2],
        embedding_model="usem3",
        block_means=X[:, :8].mean(0),
    )
    assert np.allclose(model.predict_matrix(X), estimator.predict(X))
