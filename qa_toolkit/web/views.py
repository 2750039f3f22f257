"""What a call page shows, gathered from the store into plain values for the template.

The emotion chart is drawn by the static report's chart helper
(:func:`qa_toolkit.report.charts.lines`) and the timeline by :mod:`qa_toolkit.web.svg`,
both with the page's words, so a Chinese page has no English label in its charts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from qa_toolkit.report import call as report_call
from qa_toolkit.report import charts
from qa_toolkit.review.flags import call_flags
from qa_toolkit.review.priority import Priority, review_priority
from qa_toolkit.scoring.types import CallScore, Evidence
from qa_toolkit.store import Store
from qa_toolkit.types import Transcript
from qa_toolkit.web import svg
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
    evidence: dict[str, list[tuple[str, str]]]
    audio: tuple[tuple[int, str, bool], ...]
    timeline_svg: str
    emotion_svg: str
    features: tuple[tuple[str, Any], ...]
    causes: tuple[dict[str, Any], ...]
    counterfactual: dict[str, Any]
    titles: dict[str, str]  # item id → its title, to show titles where the toolkit says ids
    priority: Priority | None = None  # None when the call carries no flag


def audio_files(store: Store, call_id: str) -> list[str]:
    """The call's recordings as stored (text inputs left out), in their stored order."""
    files = json.loads(store.call_metadata(call_id)["files"])
    return [str(f) for f in files if not str(f).lower().endswith(_TEXT_SUFFIXES)]


def _text(
    store: Store, meta: dict[str, Any], raw_allowed: bool
) -> tuple[Transcript | None, Transcript | None, bool]:
    """(transcript to show, the stored one when it is shown masked, whether shown redacted)."""
    key = meta.get("transcript_key")
    found = store.load_transcript(str(key)) if key else None
    if found is None:
        return None, None, False
    transcript, redaction = found
    if redaction not in ("", "none") or raw_allowed:
        # Scores are computed on the stored transcript, so their quotes are as redacted as it.
        return transcript, None, redaction not in ("", "none")
    # Stored unredacted (the batch ran with redaction off): masked for display, and the
    # score's quotes (taken from the raw text) with it.
    from qa_toolkit.privacy import redact

    return redact(transcript), transcript, True


def call_view(
    store: Store,
    call_id: str,
    *,
    raw_allowed: bool,
    words: Mapping[str, str],
    comments: Sequence[Any] = (),
) -> CallView | None:
    """The call page's content, or None when the call has no score.

    Args:
        store: the store.
        call_id: the call.
        raw_allowed: show a transcript stored unredacted as it is.
        words: the page's words for the charts (speakers, moment kinds, labels).
        comments: the call's comments (``at_s``, ``author``, ``body``), marked on the timeline.

    Raises:
        StoreError: the call is not in the store.
    """
    meta = store.call_metadata(call_id)
    key = latest_score_key(store, call_id)
    if key is None:
        return None
    score, features = store.call_score(key)
    transcript, raw, redacted = _text(store, meta, raw_allowed)
    if raw is not None:
        score = _masked_quotes(score, raw, transcript)
    evidence = dict(report_call.evidence_by_utterance(score))
    causes, counterfactual = _causes(store, call_id)
    flags = call_flags(store, key)
    audio = tuple(
        (n, Path(f).name, Path(f).is_file()) for n, f in enumerate(audio_files(store, call_id))
    )
    titles = {i.item_id: i.title for i in score.items if i.title}
    moments = _moments(score, features, transcript, comments, titles, words)
    failed = frozenset(u for u, hits in evidence.items() if any(s == "fail" for _, s in hits))
    return CallView(
        call_id=call_id, meta=meta, score=score, transcript=transcript, redacted=redacted,
        evidence=evidence, audio=audio,
        timeline_svg=svg.timeline(transcript, moments, words=words, failed_utterances=failed),
        emotion_svg=_emotion(features, transcript, words),
        features=tuple((features.get("values") or {}).items()),
        causes=tuple(causes), counterfactual=counterfactual, titles=titles,
        priority=review_priority(score, flags) if flags else None,
    )  # fmt: skip


def _emotion(
    features: Mapping[str, Any], transcript: Transcript | None, words: Mapping[str, str]
) -> str:
    curve = report_call.curve_points(features, transcript)
    names = {"agent": words["agent"], "customer": words["customer"]}
    series = [(names[who], [(x, y) for w, x, y in curve if w == who]) for who in names]
    return charts.lines("emotion", series, label=words["emotion"], x_label=words["share_of_call"],
                        strong=(names["customer"], names["agent"]))  # fmt: skip


def _moments(
    score: CallScore,
    features: Mapping[str, Any],
    transcript: Transcript | None,
    comments: Sequence[Any],
    titles: Mapping[str, str],
    words: Mapping[str, str],
) -> list[svg.Moment]:
    found = svg.timing_moments(transcript, words)
    risks = (features.get("details") or {}).get("risk_events")
    if risks is None and transcript is not None:
        from qa_toolkit.features.risk import find_risk_events

        risks = [e.to_dict() for e in find_risk_events(transcript)]
    for event in risks or ():
        start = float(event.get("start_s") or 0.0)
        kind = str(event.get("kind"))
        end = float(event.get("end_s") or start)
        found.append(svg.Moment("risk", start, end, words.get(f"risk_{kind}", kind)))
    for item in score.items:
        if item.status != "fail":
            continue
        for ev in item.evidence:
            if ev.utterance_id or ev.end_s > 0:
                found.append(svg.Moment("evidence", ev.start_s, ev.end_s,
                                        titles.get(item.item_id, item.item_id)))  # fmt: skip
    for c in comments:
        if c.at_s is not None:
            found.append(svg.Moment("comment_mark", c.at_s, c.at_s, f"{c.author}: {c.body[:80]}"))
    return found


def _masked_quotes(score: CallScore, raw: Transcript, shown: Transcript | None) -> CallScore:
    """The score with each quote masked as the transcript is shown: a quote of an utterance
    without personal data stays; one of an utterance with some is redacted on its own."""
    clean = {u.id for u, m in zip(raw.utterances, shown.utterances if shown else (), strict=False)
             if u.text == m.text}  # fmt: skip

    def mask(ev: Evidence) -> Evidence:
        if not ev.quote or ev.utterance_id in clean:
            return ev
        from qa_toolkit.privacy import redact_text

        return replace(ev, quote=redact_text(ev.quote))

    items = tuple(replace(i, evidence=tuple(mask(e) for e in i.evidence)) for i in score.items)
    outcome = score.outcome
    if outcome is not None:
        outcome = replace(outcome, evidence=tuple(mask(e) for e in outcome.evidence))
    return replace(score, items=items, outcome=outcome)


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
