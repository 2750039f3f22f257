"""One HTML page per call: the drill-down a supervisor opens from the daily report.

The page shows the score card (each item, its points and the quoted evidence),
the transcript in two lanes (agent left, customer right) with the utterances
that decided an item highlighted, a timeline, the sentiment curve, the
features, and an audio player that jumps to any utterance or evidence clicked.
The audio is linked by a relative path, not copied, so the page stays small.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Mapping
from html import escape
from pathlib import Path
from typing import Any

from qa_toolkit.io.names import safe_stem
from qa_toolkit.report import charts
from qa_toolkit.scoring.types import CallScore
from qa_toolkit.store import ScoreRow, Store
from qa_toolkit.types import Transcript, clock

_MARK = {"pass": "✓", "fail": "✗", "na": "–"}


def page_name(call_id: str) -> str:
    """A file name for a call's page, safe on every file system and unique per id."""
    return f"{safe_stem(call_id)}.html"


def write_call_page(
    store: Store, row: ScoreRow, folder: Path, *, back: str, page: Any
) -> tuple[Path, list[tuple[float, float]], CallScore]:
    """Write one call's page into ``folder``.

    Args:
        store: the store the call is in.
        row: the call's score row.
        folder: where call pages go.
        back: the relative link to the daily report.
        page: a callable filling a template (``page(name, **fields) -> str``).

    Returns:
        The page's path, the customer's sentiment curve (share of call, polarity) for the
        daily chart, and the call's score.
    """
    score, features = store.call_score(row.score_key)
    found = store.load_transcript(row.transcript_key)
    transcript = found[0] if found else None
    files = json.loads(store.call_metadata(row.call_id)["files"])
    path = folder / page_name(row.call_id)
    evidence = evidence_by_utterance(score)
    curve = curve_points(features, transcript)
    html = page(
        "call.html",
        lang="zh" if (row.language or "").startswith("zh") else "en",
        title=escape(f"{row.call_id}: {score.score:.1f} ({score.band})"),
        subtitle=_subtitle(row),
        back=back,
        tiles=_tiles(row, score),
        audio=_players(files, folder),
        timeline=timeline_svg(transcript, evidence),
        scorecard=_scorecard(score),
        emotion=emotion_svg(curve),
        transcript=_transcript(transcript, evidence),
        features=features_table(features),
    )
    path.write_text(html, "utf-8")
    customer = [(x, y) for who, x, y in curve if who == "customer"]
    return path, customer, score


def _subtitle(row: ScoreRow) -> str:
    parts = [
        f"{label} {value}"
        for label, value in (
            ("date", row.start_time or row.call_date), ("agent", row.agent_id),
            ("team", row.team), ("queue", row.queue), ("customer", row.customer_id),
            ("rubric", f"{row.rubric_id} v{row.rubric_version}"),
        )
        if value
    ]  # fmt: skip
    return escape(" · ".join(parts))


def _tiles(row: ScoreRow, score: CallScore) -> str:
    flags = ", ".join(f.kind for f in score.flags) or "none"
    auto = " (auto-failed)" if score.auto_failed else ""
    minutes = f"{(row.duration_s or 0) / 60:.1f} min" if row.kind != "text" else "text"
    outcome = score.outcome
    estimate = (
        ()
        if outcome is None
        else (
            (f"{outcome.resolved:.0%}", "resolved (estimated)"),
            (f"{outcome.satisfaction:+.1f}", "satisfaction, −2..2 (estimated)"),
        )
    )
    tiles = (
        (f"{score.score:.1f}", f"score{auto}, {score.band}"),
        (f"{sum(1 for i in score.items if i.status == 'fail')}", "items failed"),
        *estimate,
        (escape(flags), "flags"),
        (minutes, row.language or ""),
    )
    return "".join(f'<div class="tile"><b>{v}</b><span>{escape(k)}</span></div>' for v, k in tiles)


def _players(files: list[str], folder: Path) -> str:
    audio = [f for f in files if not f.lower().endswith((".txt", ".json"))]
    if not audio:
        return "<p>A text transcript: there is no recording.</p>"
    out = []
    for file in audio:
        # Relative to the page, so the report folder and recordings can move together.
        link = os.path.relpath(Path(file).resolve(), folder.resolve())
        out.append(
            f'<p class="meta">{escape(Path(file).name)}</p>'
            f'<audio controls preload="none" src="{escape(Path(link).as_posix())}"></audio>'
        )
    return "".join(out)


def evidence_by_utterance(score: CallScore) -> dict[str, list[tuple[str, str]]]:
    """Each utterance's evidence: (item id, status) per item that quotes it."""
    found: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for item in score.items:
        for ev in item.evidence:
            if ev.utterance_id and item.status != "na":
                found[ev.utterance_id].append((item.item_id, item.status))
    return found


def timeline_svg(transcript: Transcript | None, evidence: Mapping[str, Any]) -> str:
    """The call's utterances by speaker as an SVG timeline; failed items' quotes marked."""
    if transcript is None:
        return "<p>No transcript stored.</p>"
    spans = [
        (u.speaker, u.start_s, max(u.end_s, u.start_s + 0.5), u.id,
         any(status == "fail" for _, status in evidence.get(u.id, ())))
        for u in transcript.utterances
    ]  # fmt: skip
    end = max([transcript.duration_s] + [s[2] for s in spans])
    return charts.lanes("timeline", spans, duration_s=end, label="utterances by speaker")


def _scorecard(score: CallScore) -> str:
    rows = []
    sections = {s.section_id: s for s in score.sections}
    for item in score.items:
        section = sections.pop(item.section_id, None)
        if section is not None:  # the section's subtotal heads its items
            subtotal = "n.a." if section.score is None else f"{section.score:.0f}%"
            rows.append(
                f'<tr class="section"><th colspan="2">{escape(section.title)} '
                f'<span class="weight">weight {section.weight:g}</span></th>'
                f'<th class="num">{subtotal}</th></tr>'
            )
        points = "n.a." if item.status == "na" else f"{item.points:g}/{item.max_points:g}"
        critical = " <b>critical</b>" if item.critical else ""
        rows.append(
            f'<tr class="item-{item.status}"><td class="status-{item.status}">'
            f"{_MARK[item.status]}</td><td>{escape(item.section_id)}.{escape(item.title)}"
            f'{critical}</td><td class="num">{points}</td></tr>'
        )
        # An n.a. item needs only the first reason (why it did not apply).
        for ev in item.evidence[: 1 if item.status == "na" else 3]:
            at = ""
            if ev.utterance_id:
                utt = escape(ev.utterance_id)
                at = (f'<a data-start="{ev.start_s:.2f}" data-utt="{utt}" '
                      f'href="#u-{utt}">[{ev.where(score.timed)}]</a> ')  # fmt: skip
            quote = f" “{escape(ev.quote)}”" if ev.quote else ""
            rows.append(f'<tr><td></td><td colspan="2" class="evq">{at}{escape(ev.reason)}'
                        f"{quote}</td></tr>")  # fmt: skip
        if item.status == "fail" and item.hint:
            rows.append(f'<tr><td></td><td colspan="2" class="evq hint">how to pass: '
                        f"{escape(item.hint)}</td></tr>")  # fmt: skip
    flags = "".join(
        f'<p class="flag">flag {escape(f.kind)}: {escape(f.reason)}</p>' for f in score.flags
    )
    return f"{flags}<table><tbody>{''.join(rows)}</tbody></table>"


def curve_points(
    features: Mapping[str, Any], transcript: Transcript | None
) -> list[tuple[str, float, float]]:
    """(speaker, share of the call, smoothed polarity) from the stored emotion curve."""
    points = (features.get("details") or {}).get("emotion_curve") or []
    if not points:
        return []
    end = max([p["end_s"] for p in points] + [transcript.duration_s if transcript else 0.0])
    end = max(end, 1e-6)
    return [(p["speaker"], p["start_s"] / end, float(p["smoothed"])) for p in points]


def emotion_svg(curve: list[tuple[str, float, float]]) -> str:
    """The sentiment curves as an SVG line chart."""
    # Agent first: the chart's first two colours are those of the agent's and customer's lanes.
    series = [(who, [(x, y) for w, x, y in curve if w == who]) for who in ("agent", "customer")]
    return charts.lines("emotion", series, label="sentiment of each side over the call",
                        strong=("customer", "agent"))  # fmt: skip


def _transcript(transcript: Transcript | None, evidence: Mapping[str, Any]) -> str:
    if transcript is None:
        return "<p>No transcript stored.</p>"
    out = []
    for u in transcript.utterances:
        hits = evidence.get(u.id, [])
        classes = ["utt", u.speaker]
        if hits:
            classes.append("evidence")
            if all(status == "pass" for _, status in hits):
                classes.append("pass-only")
        tags = "".join(
            f'<span class="status-{status}">{_MARK[status]} {escape(item)}</span>'
            for item, status in hits
        )
        out.append(
            f'<div id="u-{escape(u.id)}" class="{" ".join(classes)}" data-start="{u.start_s:.2f}">'
            f'<div class="meta">[{clock(u.start_s)}] {u.speaker}</div>{escape(u.text)}'
            f"{f'<div class=tags>{tags}</div>' if tags else ''}</div>"
        )
    return "".join(out)


def features_table(features: Mapping[str, Any]) -> str:
    """The call's features as an HTML table."""
    values = features.get("values") or {}
    rows = "".join(
        f'<tr><td>{escape(str(name))}</td><td class="num">{_value(value)}</td></tr>'
        for name, value in values.items()
    )
    return f"<table><tbody>{rows}</tbody></table>" if rows else "<p>No features stored.</p>"


def _value(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3g}"
    return escape(str(value))
