"""Reports over scored calls: a Markdown summary a QA lead can read or paste.

Lowest scores first, because those are the calls to review; each flagged call
lists its failed items with the quoted, timestamped evidence behind them. (The
daily HTML report with charts builds on the same records.)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from qa_toolkit.scoring_types import CallScore


@dataclass(frozen=True, slots=True)
class ScoreSummary:
    """Headline numbers over a set of scored calls."""

    calls: int
    mean_score: float
    flagged: int
    by_band: tuple[tuple[str, int], ...]
    most_failed: tuple[tuple[str, int], ...]


def summarise(scores: Sequence[CallScore], *, top: int = 5) -> ScoreSummary:
    """Count calls, flags, bands and the items failed most often."""
    failed = Counter(
        f"{item.section_id}.{item.item_id}"
        for score in scores
        for item in score.items
        if item.status == "fail"
    )
    bands = Counter(score.band for score in scores)
    mean = sum(s.score for s in scores) / len(scores) if scores else 0.0
    return ScoreSummary(
        calls=len(scores),
        mean_score=round(mean, 1),
        flagged=sum(1 for s in scores if s.flags),
        by_band=tuple(sorted(bands.items(), key=lambda kv: -kv[1])),
        most_failed=tuple(failed.most_common(top)),
    )


def markdown_report(scores: Sequence[CallScore], *, title: str = "QA report") -> str:
    """A Markdown report: the summary, a table of calls, then each flagged call's evidence."""
    summary = summarise(scores)
    lines = [f"# {title}", ""]
    lines.append(
        f"{summary.calls} calls, mean score {summary.mean_score:.1f}, {summary.flagged} flagged."
    )
    if summary.most_failed:
        failed = ", ".join(f"`{item}` ({n})" for item, n in summary.most_failed)
        lines += ["", f"Items failed most: {failed}."]
    lines += ["", "| call | score | band | flags |", "| --- | ---: | --- | --- |"]
    ordered = sorted(scores, key=lambda s: s.score)
    for s in ordered:
        flags = ", ".join(f.kind for f in s.flags) or "–"
        lines.append(f"| {s.call_id} | {s.score:.1f} | {s.band} | {flags} |")
    for s in (s for s in ordered if s.flags):
        lines += ["", *_flagged_call(s)]
    return "\n".join(lines) + "\n"


def _flagged_call(score: CallScore) -> list[str]:
    lines = [f"## {score.call_id}: {score.score:.1f} ({score.band})", ""]
    lines += [f"- **flag** {flag.kind}: {flag.reason}" for flag in score.flags]
    for item in score.items:
        if item.status != "fail":
            continue
        lost = item.max_points - item.points
        critical = " (critical)" if item.critical else ""
        lines.append(f"- **{item.section_id}.{item.item_id}**{critical}: −{lost:g} points")
        for ev in item.evidence[:2]:
            at = f"[{_clock(ev.start_s)} {ev.speaker}] " if ev.utterance_id else ""
            quote = f" “{ev.quote}”" if ev.quote else ""
            lines.append(f"  - {at}{ev.reason}{quote}")
    return lines


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes:02d}:{secs:02d}"
