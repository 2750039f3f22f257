"""What a call page shows, gathered from the store into plain values for the template.

The timeline, the emotion chart and the features table are the static call
report's own (:mod:`qa_toolkit.report.call`, :mod:`qa_toolkit.report.charts`),
so the web page and the report draw the same call the same way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa_toolkit.report import call as report_call
from qa_toolkit.review.flags import call_flags
from qa_toolkit.review.priority import Priority, review_priority
from qa_toolkit.scoring.types import CallScore
from qa_toolkit.store import Store
from qa_toolkit.types import Transcript
from qa_toolkit.web.queries import latest_score_key

_TEXT_SUFFIXES = (".txt", ".json")


@dataclass(frozen=True, slots=True)
class CallView:
    """Everything the call page renders."""

    call_id: str
    meta: dict[str, Any]
    score: CallScore
    transcript: Transcript | None
    redacted: bool
    quotes_hidden: bool  # the score's quotes are raw text the viewer may not see
    evidence: dict[str, list[tuple[str, str]]]
    audio: tuple[tuple[int, str, bool], ...]
    timeline_svg: str
    emotion_svg: str
    features_html: str
    causes: tuple[dict[str, Any], ...]
    counterfactual: dict[str, Any]
    priority: Priority | None = None  # None when the call carries no flag


def audio_files(store: Store, call_id: str) -> list[str]:
    """The call's recordings as stored (text inputs left out), in their stored order."""
    files = json.loads(store.call_metadata(call_id)["files"])
    return [str(f) for f in files if not str(f).lower().endswith(_TEXT_SUFFIXES)]


def _text(
    store: Store, meta: dict[str, Any], raw_allowed: bool
) -> tuple[Transcript | None, bool, bool]:
    """(transcript to show, whether it is redacted, whether the score's quotes must be hidden)."""
    key = meta.get("transcript_key")
    found = store.load_transcript(str(key)) if key else None
    if found is None:
        return None, False, not raw_allowed
    transcript, redaction = found
    if redaction not in ("", "none") or raw_allowed:
        # Scores are computed on the stored transcript, so their quotes are as redacted as it.
        return transcript, redaction not in ("", "none"), False
    # Stored unredacted (the batch ran with redaction off): mask it for display, and the
    # score's quotes (taken from the raw text) with it.
    from qa_toolkit.privacy import redact

    return redact(transcript), True, True


def call_view(store: Store, call_id: str, *, raw_allowed: bool) -> CallView | None:
    """The call page's content, or None when the call has no score.

    Raises:
        StoreError: the call is not in the store.
    """
    meta = store.call_metadata(call_id)
    key = latest_score_key(store, call_id)
    if key is None:
        return None
    score, features = store.call_score(key)
    transcript, redacted, quotes_hidden = _text(store, meta, raw_allowed)
    evidence = dict(report_call.evidence_by_utterance(score))
    curve = report_call.curve_points(features, transcript)
    causes, counterfactual = _causes(store, call_id)
    flags = call_flags(store, key)
    audio = tuple(
        (n, Path(f).name, Path(f).is_file()) for n, f in enumerate(audio_files(store, call_id))
    )
    return CallView(
        call_id=call_id, meta=meta, score=score, transcript=transcript, redacted=redacted,
        quotes_hidden=quotes_hidden,
        evidence=evidence, audio=audio,
        timeline_svg=report_call.timeline_svg(transcript, evidence),
        emotion_svg=report_call.emotion_svg(curve),
        features_html=report_call.features_table(features),
        causes=tuple(causes), counterfactual=counterfactual,
        priority=review_priority(score, flags) if flags else None,
    )  # fmt: skip


def _causes(store: Store, call_id: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Root causes and the counterfactual from issue 6's drill-down (empty if unavailable)."""
    from dataclasses import asdict

    from qa_toolkit.errors import QAToolkitError

    try:
        from qa_toolkit.review.show import call_detail

        detail = call_detail(store, call_id)
    except (ImportError, QAToolkitError):
        return [], {}
    causes = [{k: v for k, v in asdict(c).items() if k != "evidence"} for c in detail.causes]
    return causes, asdict(detail.counterfactual)
