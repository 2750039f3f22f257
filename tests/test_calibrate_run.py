"""End-to-end calibration on a small hand-built labelled set: agreement improves, files load."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import pytest

pytest.importorskip("sklearn")

from qa_toolkit.calibrate import (  # noqa: E402
    CalibrationOptions,
    calibrate,
    labels_from_rows,
    save_calibration,
)
from qa_toolkit.calibrate.calibration import assign_folds  # noqa: E402
from qa_toolkit.errors import CalibrationError, LabelFileError  # noqa: E402
from qa_toolkit.rubric import load_rubric, parse_rubric  # noqa: E402
from qa_toolkit.scoring import score_call  # noqa: E402
from tests.test_calibrate_support import (  # noqa: E402
    RUBRIC,
    HashEncoder,
    labelled_calls,
    lexicon_features,
    make_call,
    write_rubric,
)


def _run(tmp_path: Path, rows: list[dict[str, object]] | None = None, **options: object):  # type: ignore[no-untyped-def]
    calls, default_rows = labelled_calls(40)
    labels = labels_from_rows(
        rows or default_rows, origin="labels.csv", item_ids=["greeting", "solution"]
    )
    opts = CalibrationOptions(folds=4, **options)  # type: ignore[arg-type]
    return calibrate(
        calls,
        labels,
        write_rubric(tmp_path),
        opts,
        features=lexicon_features,
        encoder=HashEncoder(),
    )


def test_calibrate_run_improves_agreement_over_the_rubric_as_written(tmp_path: Path) -> None:
    result = _run(tmp_path)
    report = result.report
    greeting = next(i for i in report.items if i.item_id == "greeting")
    # The reviewer hears misrecognised greetings as greetings; 0.99 missed them.
    assert greeting.labels == 40
    assert greeting.kappa > greeting.kappa_before + 0.3
    assert greeting.accuracy == pytest.approx(1.0)
    assert greeting.threshold is not None and greeting.threshold[2] < 0.99
    assert sum(map(sum, greeting.confusion)) == 40
    assert greeting.calibrated
    score = {t.predictor: t for t in report.targets if t.target == "score"}
    assert score["calibrated rubric"].mae is not None and score["rubric as written"].mae is not None
    assert score["calibrated rubric"].mae < score["rubric as written"].mae
    assert score["calibrated rubric"].spearman > score["rubric as written"].spearman
    satisfaction = {t.predictor: t for t in report.targets if t.target == "satisfaction"}
    assert satisfaction["call model"].spearman > 0.8 > satisfaction["rubric as written"].spearman
    # The reviewers' score follows the solution alone, so resolution gains weight.
    weights = result.fitted.section_weights
    assert weights["resolution"] > weights["script"]
    assert sum(weights.values()) == pytest.approx(100.0)


def test_calibrate_run_marks_items_below_the_floor(tmp_path: Path) -> None:
    _, rows = labelled_calls(40)
    rng = random.Random(0)
    for row in rows:  # a reviewer who judges `solution` by coin toss
        row["solution"] = rng.choice(["pass", "fail"])
    report = _run(tmp_path, rows).report
    solution = next(i for i in report.items if i.item_id == "solution")
    assert not solution.calibrated and "kappa" in solution.note
    assert "solution" in report.not_calibrated
    assert "NOT CALIBRATED" in report.to_text()
    assert report.to_dict()["not_calibrated"] == list(report.not_calibrated)


def test_calibrate_run_saves_a_rubric_that_scores_with_the_model(tmp_path: Path) -> None:
    result = _run(tmp_path, embedding=None)
    out = tmp_path / "models"
    written = save_calibration(result, out, "team", model_item="satisfaction")
    names = sorted(p.name for p in written)
    assert names == [
        "team.agreement.json",
        "team.rubric.yaml",
        "team.satisfaction.classifier.json",
        "team.satisfaction.json",
        "team.score.classifier.json",
        "team.score.json",
    ]
    assert all(p.stat().st_size < 1_000_000 for p in written)
    rubric = load_rubric(out / "team.rubric.yaml")
    assert rubric.version == "1-calibrated-team"
    unhappy = score_call(make_call("x", "hello", solved=False, happy=False), rubric)
    item = unhappy.item("predicted_satisfaction")
    assert item.status == "fail" and "predicted satisfaction" in item.evidence[0].reason
    # The low prediction flags the call, and its number reaches the Score JSON.
    flag = next(f for f in unhappy.flags if f.kind == "low_predicted_rating")
    assert flag.reason.startswith("predicted_satisfaction: ") and 0 < (flag.strength or 0) <= 1
    assert unhappy.predicted is not None and unhappy.predicted.item_id == "predicted_satisfaction"
    assert unhappy.predicted.value == item.value and unhappy.predicted.low > 0.5
    assert unhappy.to_dict()["predicted"]["low"] == round(unhappy.predicted.low, 4)
    happy = score_call(make_call("y", "hello", solved=True, happy=True), rubric)
    assert happy.item("predicted_satisfaction").status == "pass"
    assert happy.predicted is not None and happy.predicted.low < 0.5
    assert not [f for f in happy.flags if f.kind == "low_predicted_rating"]
    model = json.loads((out / "team.satisfaction.json").read_text(encoding="utf-8"))
    assert model["training"]["samples"] == 40
    assert model["training"]["metrics"]["spearman_cv"] > 0.8
    report = json.loads((out / "team.agreement.json").read_text(encoding="utf-8"))
    assert report["schema"] == "qa-toolkit/agreement@1"
    assert report["calibration"]["thresholds"]["greeting"]["before"] == 0.99


def test_calibrate_run_refuses_too_few_or_unknown_labels(tmp_path: Path) -> None:
    calls, rows = labelled_calls(40)
    path = write_rubric(tmp_path)
    few = labels_from_rows(rows[:5])
    with pytest.raises(CalibrationError, match="only 5 labelled calls"):
        calibrate(calls, few, path, CalibrationOptions(embedding=None), features=lexicon_features)
    odd = labels_from_rows([{**r, "closing": "pass"} for r in rows])
    with pytest.raises(LabelFileError, match="no item 'closing'"):
        calibrate(calls, odd, path, CalibrationOptions(embedding=None), features=lexicon_features)


def test_calibrate_folds_keep_groups_together() -> None:
    ids = [f"{lang}:{n}" for n in range(20) for lang in ("en", "zh")]
    groups = {c: c.partition(":")[2] for c in ids}
    folds = assign_folds(ids, groups, 5)
    assert set(folds) == set(range(5))
    for n in range(20):
        assert folds[ids.index(f"en:{n}")] == folds[ids.index(f"zh:{n}")]


def test_calibrate_held_out_predictions_cover_every_call(tmp_path: Path) -> None:
    result = _run(tmp_path, embedding=None)
    predictions = result.held_out["satisfaction"]
    assert len(predictions) == len(result.call_ids) == 40
    assert all(p is not None and not math.isnan(p) for p in predictions)


def test_calibrate_run_writes_a_classifier_the_rubric_detector_reads(tmp_path: Path) -> None:
    result = _run(tmp_path, embedding=None)
    rows = {(t.target, t.predictor): t for t in result.report.targets}
    assert rows[("satisfaction", "classifier.v1")].auc > 0.9
    save_calibration(result, tmp_path, "team")
    # The classifier reads the rubric's items, so it joins the rubric it was fitted with.
    extra = (
        "  - id: model\n    weight: 0\n    items:\n"
        "      - {id: happy, detector: classifier, model: team.satisfaction.classifier.json,"
        " points: 1}\n"
    )
    rubric = parse_rubric(RUBRIC + extra, "c.yaml", tmp_path)
    happy = score_call(make_call("h", "hello", solved=True, happy=True), rubric)
    unhappy = score_call(make_call("u", "hello", solved=True, happy=False), rubric)
    assert (happy.item("happy").status, unhappy.item("happy").status) == ("pass", "fail")
    saved = json.loads((tmp_path / "team.satisfaction.classifier.json").read_text("utf-8"))
    assert saved["training"]["target"] == "satisfaction >= 0"
    assert saved["training"]["metrics"]["auc_cv"] > 0.9
