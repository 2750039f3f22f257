"""Reports over scored calls: a Markdown summary, and the HTML daily report with its call pages.

The Markdown report lists the lowest scores first; each flagged call lists its
failed items with the quoted, timestamped evidence behind them. The HTML
report's table of calls puts the flagged calls most worth hearing first (the
review priority of ``qa flagged``), with each call's estimated outcome.

The HTML report (:func:`write_report`) reads the store and writes one folder:
``index.html`` (the day: score distribution, scores by team and agent, the
items failed most, flags by reason, sentiment curves, calls by hour, failures)
and ``calls/<call>.html`` (see :mod:`qa_toolkit.report.call`). Its KPI section
(:mod:`qa_toolkit.report.kpi`) sets the day's FCR, escalation, satisfaction, handle time,
latency, hold and contact reasons beside the day before. Every page is
self-contained: styles, script and SVG charts are inline, nothing is fetched.
"""

from __future__ import annotations

import base64
import hashlib
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from pathlib import Path
from string import Template
from typing import TYPE_CHECKING, Any

from qa_toolkit.scoring.types import CallScore

if TYPE_CHECKING:
    from qa_toolkit.review.priority import Priority
    from qa_toolkit.store import FailureRow, ItemRow, ScoreRow, Store

# Calls outside these hours (local time of the recording) are marked off-hours.
OFFICE_HOURS = (8, 20)
# Sentiment curves drawn one by one; more would be a grey smear, the mean says the rest.
_CURVES_DRAWN = 40


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
            at = f"[{ev.where(score.timed)} {ev.speaker}] " if ev.utterance_id else ""
            quote = f" “{ev.quote}”" if ev.quote else ""
            lines.append(f"  - {at}{ev.reason}{quote}")
        if item.hint:
            lines.append(f"  - how to pass: {item.hint}")
    return lines


# ---------------------------------------------------------------- HTML daily report


def write_report(
    store: Store,
    out_dir: str | Path,
    *,
    date: str | None = None,
    run_id: str | None = None,
) -> Path:
    """Write the HTML daily report and one page per call.

    Args:
        store: an open store.
        out_dir: the report folder (created; pages in it are replaced).
        date: report the calls of this day (``2026-11-21``).
        run_id: report the calls of this run; the latest run when neither is given.

    Returns:
        The path of ``index.html``.

    Example:
        >>> write_report(Store("qa.db"), "out/report", date="2026-11-21")  # doctest: +SKIP
        PosixPath('out/report/index.html')
    """
    from qa_toolkit.report.call import page_name, write_call_page
    from qa_toolkit.store import Filters

    folder = Path(out_dir)
    (folder / "calls").mkdir(parents=True, exist_ok=True)
    if date is None and run_id is None:
        run_id = store.latest_run_id()
    filters = Filters(date=date) if date else Filters(run_id=run_id)
    rows = store.score_rows(filters)
    curves: dict[str, list[tuple[float, float]]] = {}
    scores = []
    for row in rows:
        _, curves[row.call_id], score = write_call_page(
            store, row, folder / "calls", back="../index.html", page=_page
        )
        scores.append(score)
    failures = store.failure_rows(run_id or store.latest_run_id("batch"))
    links = {row.call_id: f"calls/{page_name(row.call_id)}" for row in rows}
    subtitle = _rubrics(rows) + (f" · run {run_id}" if run_id else "")
    html = _page(
        "daily.html",
        title=escape(_title(rows, date, run_id)),
        subtitle=escape(subtitle),
        tiles=_day_tiles(rows, failures),
        charts=_day_charts(rows, store.item_rows(filters), curves, scores),
        calls_table=_calls_table(rows, links, _priorities(store, rows)),
        kpi=_kpi(store, rows, date),
        failures_table=_failures_table(failures),
    )
    index = folder / "index.html"
    index.write_text(html, "utf-8")
    return index


def _kpi(store: Store, rows: Sequence[ScoreRow], date: str | None) -> str:
    """The KPI section over the report's days, against as many days before them."""
    from qa_toolkit.report.kpi import kpi_section
    from qa_toolkit.topics.kpi import kpi_report

    days = sorted({r.call_date for r in rows if r.call_date})
    if date is None and not days:
        return "<h2>Service KPIs</h2><p>No scored calls.</p>"
    return kpi_section(kpi_report(store, since=date or days[0], until=date or days[-1]))


def _page(name: str, **fields: str) -> str:
    """A template from ``qa_toolkit/report/templates`` filled, with the shared style and script."""
    from importlib.resources import files

    from qa_toolkit import __version__

    templates = files("qa_toolkit.report") / "templates"
    text = (templates / name).read_text("utf-8")
    made = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    js = (templates / "report.js").read_text("utf-8")
    # The page's own script is allowed by its hash and nothing else runs: no inline handler,
    # no injected <script>, even if a value ever escaped escaping.
    digest = base64.b64encode(hashlib.sha256(js.encode("utf-8")).digest()).decode("ascii")
    return Template(text).substitute(
        css=(templates / "report.css").read_text("utf-8"),
        js=js,
        script_src=f"'sha256-{digest}'",
        footer=escape(f"qa-toolkit {__version__} · written {made}"),
        **fields,
    )


def _title(rows: Sequence[ScoreRow], date: str | None, run_id: str | None) -> str:
    """The report is named by the day its calls were made, whichever way they were chosen."""
    days = sorted({r.call_date for r in rows if r.call_date})
    if date or len(days) == 1:
        return f"QA daily report — {date or days[0]}"
    if days:
        return f"QA report — {days[0]} to {days[-1]}"
    return f"QA report — run {run_id}"


def _rubrics(rows: Sequence[ScoreRow]) -> str:
    used = sorted({f"{r.rubric_id} v{r.rubric_version}" for r in rows})
    return "rubric " + ", ".join(used) if used else "no scored calls"


def _day_tiles(rows: Sequence[ScoreRow], failures: Sequence[FailureRow]) -> str:
    scores = [r.score for r in rows]
    flagged = sum(1 for r in rows if r.flagged)
    hours = sum((r.duration_s or 0.0) for r in rows if r.kind != "text") / 3600
    tiles = (
        (f"{len(rows)}", "calls scored"),
        (f"{hours:.2f}", "hours of audio"),
        (f"{sum(scores) / len(scores):.1f}" if scores else "–", "mean score"),
        (f"{flagged}", f"flagged ({100 * flagged / len(rows):.0f}%)" if rows else "flagged"),
        (f"{sum(1 for r in rows if r.auto_failed)}", "auto-failed"),
        (f"{len(failures)}", "failed to process"),
    )
    return "".join(f'<div class="tile"><b>{v}</b><span>{escape(k)}</span></div>' for v, k in tiles)


def _figure(chart: str, caption: str, note: str = "") -> str:
    extra = f'<p class="note">{escape(note)}</p>' if note else ""
    return (
        f'<figure class="chart"><figcaption>{escape(caption)}</figcaption>{chart}{extra}</figure>'
    )


def _day_charts(
    rows: Sequence[ScoreRow],
    items: Sequence[ItemRow],
    curves: dict[str, list[tuple[float, float]]],
    scores: Sequence[CallScore],
) -> str:
    from qa_toolkit.report import charts

    bins = [0] * 10
    for r in rows:
        bins[min(int(r.score // 10), 9)] += 1
    labels = [f"{10 * i}–{10 * i + 10}" for i in range(10)]
    teams = _means(rows, lambda r: r.team or "(no team)")
    agents = _means(rows, lambda r: r.agent_id or "(no agent)")[:15]
    failed = Counter(i.item_id for i in items if i.status == "fail")
    top = failed.most_common(12)
    titles = {i.item_id: i.title or i.item_id for i in items}
    thresholds = {s.flag_below for s in scores if s.flag_below is not None}
    # One rubric's threshold is drawn; with several the line would mislead.
    mark = None
    if len(thresholds) == 1:
        below = thresholds.pop()
        mark = (below / 10, f"flagged below {below:g}")
    sections = _section_means(scores)
    flags = Counter(kind for r in rows for kind in r.flags.split("; ") if kind)
    hours, unknown = _by_hour(rows)
    off = [h < OFFICE_HOURS[0] or h >= OFFICE_HOURS[1] for h in range(24)]
    return "".join((
        _figure(charts.columns("score-distribution", labels, bins, label="calls by score",
                               mark=mark), "Score distribution"),
        _figure(charts.bars("score-by-section", [t for t, _ in sections],
                            [m for _, m in sections], label="mean score by section",
                            scale_max=100, fmt="{:.0f}%"),
                "Mean score by section (% of its applicable points)"),
        _figure(charts.bars("score-by-team", [t for t, _ in teams], [m for _, m in teams],
                            label="mean score by team", scale_max=100), "Mean score by team"),
        _figure(charts.bars("score-by-agent", [a for a, _ in agents], [m for _, m in agents],
                            label="mean score by agent", scale_max=100),
                "Mean score by agent (lowest 15)"),
        _figure(charts.pareto("failed-items", [titles[k] for k, _ in top], [n for _, n in top],
                              label="items failed most"), "Items failed most (Pareto)"),
        _figure(charts.bars("flags-by-reason", list(flags), list(flags.values()),
                            label="flags by reason", fmt="{:.0f}"), "Flags by reason"),
        _figure(_sentiment_chart(rows, curves), "Customer sentiment over the call",
                "thin: the lowest-scoring calls; bold: the mean of all calls"),
        _figure(charts.columns("calls-by-hour", [f"{h:02d}" for h in range(24)], hours,
                               label="calls by hour", highlight=off, unit=" calls"),
                "Calls by hour (red: off-hours)",
                f"{unknown} call(s) without a start time" if unknown else ""),
    ))  # fmt: skip


def _section_means(scores: Sequence[CallScore]) -> list[tuple[str, float]]:
    """Each section's mean score over the calls it applied to, in the rubric's order."""
    found: dict[str, list[float]] = {}
    for score in scores:
        for s in score.sections:
            if s.score is not None:
                found.setdefault(f"{s.title} (weight {s.weight:g})", []).append(s.score)
    return [(name, sum(v) / len(v)) for name, v in found.items()]


def _means(rows: Sequence[ScoreRow], key: Any) -> list[tuple[str, float]]:
    groups: dict[str, list[float]] = defaultdict(list)
    for r in rows:
        groups[key(r)].append(r.score)
    return sorted(((k, sum(v) / len(v)) for k, v in groups.items()), key=lambda kv: kv[1])


def _by_hour(rows: Sequence[ScoreRow]) -> tuple[list[int], int]:
    hours, unknown = [0] * 24, 0
    for r in rows:
        try:
            hours[datetime.fromisoformat(r.start_time or "").hour] += 1
        except ValueError:
            unknown += 1
    return hours, unknown


def _sentiment_chart(rows: Sequence[ScoreRow], curves: dict[str, list[tuple[float, float]]]) -> str:
    from qa_toolkit.report import charts

    lowest = sorted(rows, key=lambda r: r.score)[:_CURVES_DRAWN]
    series: list[tuple[str, Sequence[tuple[float, float]]]] = [
        (r.call_id, curves.get(r.call_id, [])) for r in lowest
    ]
    # The mean curve, over tenths of the call, from every call that has one.
    tenths: dict[int, list[float]] = defaultdict(list)
    for points in curves.values():
        for x, y in points:
            tenths[min(int(x * 10), 9)].append(y)
    mean = [((k + 0.5) / 10, sum(v) / len(v)) for k, v in sorted(tenths.items())]
    series.append(("mean of all calls", mean))
    return charts.lines("sentiment-curves", series, label="customer sentiment over the call",
                        strong=("mean of all calls",))  # fmt: skip


def _priorities(store: Store, rows: Sequence[ScoreRow]) -> dict[str, Priority]:
    from qa_toolkit.review.priority import stored_priorities

    calls = [
        (r.score_key, r.score, r.outcome_resolved, r.outcome_satisfaction, r.predicted_low)
        for r in rows
    ]
    return stored_priorities(store.conn, calls)


def _calls_table(
    rows: Sequence[ScoreRow], links: dict[str, str], ranks: Mapping[str, Priority]
) -> str:
    """Every call, the flagged ones most worth hearing first (as ``qa flagged`` ranks them)."""
    if not rows:
        return "<p>No scored calls.</p>"
    head = (
        '<thead><tr><th data-sort="text">call</th><th data-sort="text">start</th>'
        '<th data-sort="text">agent</th><th data-sort="text">team</th>'
        '<th class="num" data-sort="num">priority</th>'
        '<th class="num" data-sort="num">score</th><th>band</th>'
        '<th class="num" data-sort="num">resolved</th>'
        '<th class="num" data-sort="num">satisfaction</th><th>flags</th></tr></thead>'
    )
    body = []
    order = sorted(rows, key=lambda r: (not r.flagged, -ranks[r.score_key].value, r.score))
    for r in order:
        rank = ranks[r.score_key]
        shown = f"{rank.value:.2f}" if r.flagged else "–"
        body.append(
            f'<tr><td><a href="{escape(links[r.call_id])}">{escape(r.call_id)}</a></td>'
            f"<td>{escape(r.start_time or r.call_date)}</td><td>{escape(r.agent_id)}</td>"
            f'<td>{escape(r.team)}</td><td class="num" data-value="{rank.value:.3f}" '
            f'title="{escape(rank.reason)}">{shown}</td>'
            f'<td class="num" data-value="{r.score:.2f}">{r.score:.1f}'
            f'</td><td><span class="band">{escape(r.band)}</span></td>'
            f"{_outcome_cells(r)}"
            f'<td class="flag">{escape(r.flags)}</td></tr>'
        )
    return f"<table>{head}<tbody>{''.join(body)}</tbody></table>"


def _outcome_cells(row: ScoreRow) -> str:
    resolved, satisfaction = row.outcome_resolved, row.outcome_satisfaction
    if resolved is None or satisfaction is None:
        return '<td class="num" data-value="-1">–</td><td class="num" data-value="-3">–</td>'
    return (
        f'<td class="num" data-value="{resolved:.3f}">{resolved:.0%}</td>'
        f'<td class="num" data-value="{satisfaction:.2f}">{satisfaction:+.1f}</td>'
    )


def _failures_table(failures: Sequence[FailureRow]) -> str:
    if not failures:
        return "<p>None: every call was processed.</p>"
    body = "".join(
        f"<tr><td>{escape(f.call_id)}</td><td>{escape(f.stage)}</td>"
        f"<td>{escape(f.reason)}</td></tr>"
        for f in failures
    )
    return (
        "<table><thead><tr><th>call</th><th>stage</th><th>reason</th></tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )
