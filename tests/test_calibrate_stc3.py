"""Calibration on real labelled dialogues (STC-3), when ``../shared/data`` is present."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import pytest

pytest.importorskip("sklearn")

from qa_toolkit.calibrate import CalibrationOptions, calibrate, labels_from_rows  # noqa: E402
from qa_toolkit.types import AudioSource, Transcript, Utterance  # noqa: E402
from tests.test_calibrate_support import lexicon_features  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
STC3 = ROOT.parent / "shared" / "data" / "stc3" / "dev_en.json"
RUBRIC = ROOT / "rubrics" / "default.yaml"

pytestmark = pytest.mark.skipif(not STC3.is_file(), reason=f"STC-3 not found at {STC3}")


def _dialogues(n: int) -> tuple[list[Transcript], list[dict[str, object]]]:
    data = json.loads(STC3.read_text(encoding="utf-8"))[:n]
    role = {"customer": "customer", "helpdesk": "agent"}
    calls, rows = [], []
    for d in data:
        utts = tuple(
            Utterance(f"u{i}", role[t["sender"]], 0.0, 0.0, " ".join(t["utterances"]))  # type: ignore[arg-type]
            for i, t in enumerate(d["turns"])
        )
        calls.append(Transcript(str(d["id"]), utts, "en", source=AudioSource(kind="text")))
        s = statistics.fmean(a["quality"]["S"] for a in d["annotations"])
        rows.append({"call_id": str(d["id"]), "satisfaction": s})
    return calls, rows


def test_calibrate_stc3_call_model_beats_the_rubric_as_written() -> None:
    calls, rows = _dialogues(120)
    options = CalibrationOptions(embedding=None, pass_at={"satisfaction": 0.0})
    result = calibrate(calls, labels_from_rows(rows), RUBRIC, options, features=lexicon_features)
    found = {t.predictor: t for t in result.report.targets}
    # As written the default rubric barely tracks satisfaction (rho ≈ 0.07 on all 808).
    assert found["call model"].spearman > found["rubric as written"].spearman + 0.25
    assert found["call model"].auc > 0.75
    assert found["call model"].labels == 120
