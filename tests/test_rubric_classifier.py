"""``classifier.v1`` and its model file: a hand-written model on hand-built calls."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from qa_toolkit.errors import RubricError
from qa_toolkit.models.classifier import (
    ClassifierFileError,
    ClassifierModel,
    TrainingInfo,
    classifier_from_sklearn,
    load_classifier,
    save_classifier,
)
from qa_toolkit.nlp.sentiment import polarity
from qa_toolkit.rubric import parse_rubric
from qa_toolkit.scoring import score_call
from qa_toolkit.scoring.types import CallScore
from qa_toolkit.types import AudioSource, Transcript, Utterance

DATA = Path(__file__).resolve().parent / "data"
MODEL = DATA / "classifier_resolution.json"

RUBRIC = """\
schema: qa-toolkit/rubric@1
id: clf
version: 1
events:
  complaint: {detector: phrase, speaker: customer, any: [frustrated]}
sections:
  - id: s
    items:
      - id: resolved
        detector: classifier
        model: classifier_resolution.json
        speaker: customer
        points: 10
      - id: solution
        detector: regex
        speaker: agent
        pattern: "\\\\b(i|we) will \\\\w+"
        points: 5
"""


def make_call(*turns: tuple[str, str], timed: bool = True) -> Transcript:
    """(speaker, text) turns, three seconds each with half a second between them."""
    utts = tuple(
        Utterance(f"u{i}", s, 3.5 * i, 3.5 * i + 3.0, t)  # type: ignore[arg-type]
        for i, (s, t) in enumerate(turns)
    )
    return Transcript("c", utts, source=AudioSource(kind="audio" if timed else "text"))


GOOD = make_call(
    ("agent", "Hello, thank you for calling."),
    ("customer", "My parcel is late and I am frustrated."),
    ("agent", "I will send a replacement today."),
    ("customer", "Thank you so much!"),
)
BAD = make_call(
    ("agent", "Hello."),
    ("customer", "My parcel is late and I am frustrated."),
    ("agent", "There is nothing to do."),
    ("customer", "This is useless."),
)


def score(call: Transcript, rubric_text: str = RUBRIC) -> CallScore:
    return score_call(call, parse_rubric(rubric_text, base_dir=DATA))


def _sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def test_rubric_classifier_pass_with_probability_and_top_inputs() -> None:
    result = score(GOOD).item("resolved")
    # The file's weights by hand: solution +2, complaint -0.5, the phrase +1.5,
    # 0.5 s of longest silence -0.1 * (0.5 - 5) / 2, the last two customer turns' mood.
    mood = (polarity(GOOD.utterances[1].text) + polarity(GOOD.utterances[3].text)) / 2
    expected = _sigmoid(-1 + 2 - 0.5 + 1.5 + 0.225 + mood)
    assert result.status == "pass"
    summary, quote = result.evidence
    assert summary.reason.startswith(f"resolution-hand: p(pass) = {expected:.2f} ≥ 0.50")
    assert "item:solution = pass (+2.00)" in summary.reason
    assert "phrase:thank you so much = said (+1.50)" in summary.reason
    # Only the top three inputs are named.
    assert summary.reason.split("top inputs: ")[1].count(" = ") == 3
    assert "event:complaint = happened (-0.50)" in summary.reason
    assert quote.utterance_id == "u3" and quote.quote == "Thank you so much!"


def test_rubric_classifier_fail_and_missing_inputs_take_the_training_mean() -> None:
    result = score(BAD).item("resolved")
    assert result.status == "fail"
    assert "p(pass) = " in result.evidence[0].reason and " < 0.50" in result.evidence[0].reason
    # A failed item adds nothing (its mean is 0), so the mood and the complaint lead.
    mood = (polarity(BAD.utterances[1].text) + polarity(BAD.utterances[3].text)) / 2
    assert f"top inputs: sentiment:customer_last = {mood:.3g} ({mood:+.2f})" in (
        result.evidence[0].reason
    )
    assert len(result.evidence) == 1
    chat = make_call(*[(u.speaker, u.text) for u in GOOD.utterances], timed=False)
    model = load_classifier(MODEL)
    p_chat, parts = model.predict(
        {"item:solution": 1.0, "event:complaint": 1.0, "phrase:thank you so much": 1.0}
    )
    silence = next(p for p in parts if p.name == "feature:longest_silence_s")
    assert silence.value is None and silence.effect == 0.0
    assert score(chat).item("resolved").status == "pass"
    assert p_chat == pytest.approx(_sigmoid(2.0))


def test_rubric_classifier_na_when_no_input_is_known(tmp_path: Path) -> None:
    model = ClassifierModel.from_dict(
        {
            "schema": "qa-toolkit/classifier@1",
            "kind": "logistic_regression",
            "intercept": 0.0,
            "inputs": [{"name": "feature:longest_silence_s", "coef": -1.0}],
        }
    )
    save_classifier(model, tmp_path / "silence.json")
    text = (
        "schema: qa-toolkit/rubric@1\nid: t\nversion: 1\nsections:\n  - id: s\n    items:\n"
        "      - {id: quiet, detector: classifier, model: silence.json, points: 1}\n"
    )
    chat = make_call(("agent", "hello"), ("customer", "hi"), timed=False)
    result = score_call(chat, parse_rubric(text, base_dir=tmp_path)).item("quiet")
    assert result.status == "na"
    assert (
        result.evidence[0].reason == "silence: none of the model's 1 inputs is known for this call"
    )


def test_rubric_classifier_rubric_errors_point_at_the_model_line(tmp_path: Path) -> None:
    bad = RUBRIC.replace("item:solution", "x").replace(
        "model: classifier_resolution.json", "model: missing.json"
    )
    with pytest.raises(RubricError) as caught:
        parse_rubric(bad, "r.yaml", base_dir=DATA)
    (problem,) = caught.value.problems
    assert (problem.line, problem.column, problem.path) == (11, 16, "sections[0].items[0].model")
    assert "missing.json: cannot read the model: No such file or directory" in problem.message
    model = json.loads(MODEL.read_text("utf-8"))
    model["inputs"][0]["name"] = "item:solutoin"
    (tmp_path / "m.json").write_text(json.dumps(model), "utf-8")
    renamed = RUBRIC.replace("classifier_resolution.json", "m.json")
    with pytest.raises(RubricError) as caught:
        parse_rubric(renamed, "r.yaml", base_dir=tmp_path)
    assert [str(p) for p in caught.value.problems] == [
        "r.yaml:11:16: sections[0].items[0].model: model reads item 'solutoin', "
        "which this rubric does not have; did you mean 'solution'?"
    ]


def test_rubric_classifier_file_problems_are_all_named(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(
        json.dumps(
            {
                "schema": "qa-toolkit/classifier@1",
                "kind": "logistic_regression",
                "intercept": 0.0,
                "threshold": 1.5,
                "inputs": [
                    {"name": "feature:longest_silense_s", "coef": 1.0},
                    {"name": "words:sorry", "coef": 1.0, "scale": 0},
                ],
                "pickle": "no",
            }
        ),
        "utf-8",
    )
    with pytest.raises(ClassifierFileError) as caught:
        load_classifier(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert "threshold: Input should be less than 1" in message
    assert "did you mean 'longest_silence_s'?" in message
    assert "input 'words:sorry' should be kind:what" in message
    assert "inputs[1].scale: Input should be greater than 0" in message
    assert "pickle: unknown field" in message
    path.write_text('{"schema": "qa-toolkit/classifier@1", "coef": NaN', "utf-8")
    with pytest.raises(ClassifierFileError, match="not JSON: Expecting ',' delimiter"):
        load_classifier(path)


def test_rubric_classifier_from_sklearn_round_trip(tmp_path: Path) -> None:
    np = pytest.importorskip("numpy")
    pytest.importorskip("sklearn")
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(0)
    x = np.column_stack([rng.integers(0, 2, 200), rng.normal(6.0, 3.0, 200)])
    y = (x[:, 0] - 0.2 * x[:, 1] + rng.normal(0, 0.5, 200) > -0.5).astype(int)
    pipe = make_pipeline(StandardScaler(), LogisticRegression()).fit(x, y)
    names = ["item:solution", "feature:longest_silence_s"]
    info = TrainingInfo(samples=200, target="synthetic", metrics=(("accuracy", 0.9),))
    model = classifier_from_sklearn(pipe, names, threshold=0.6, name="synthetic", training=info)
    path = save_classifier(model, tmp_path / "out" / "model.json")
    loaded = load_classifier(path)
    assert loaded == model
    for row in x[:20]:
        p, _ = loaded.predict(dict(zip(names, map(float, row), strict=True)))
        assert p == pytest.approx(pipe.predict_proba(row.reshape(1, -1))[0, 1], abs=1e-9)
    with pytest.raises(ValueError, match="2 columns but 1 input names"):
        classifier_from_sklearn(pipe, names[:1])


def test_rubric_classifier_model_path_is_relative_to_the_rubric_file(tmp_path: Path) -> None:
    from qa_toolkit.rubric import load_rubric

    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "m.json").write_text(MODEL.read_text("utf-8"), "utf-8")
    path = tmp_path / "r.yaml"
    path.write_text(RUBRIC.replace("classifier_resolution.json", "models/m.json"), "utf-8")
    rubric = load_rubric(path)
    assert score_call(GOOD, rubric).item("resolved").status == "pass"
    # The model's item input is scored before the classifier that reads it.
    assert rubric.order.index("solution") < rubric.order.index("resolved")
