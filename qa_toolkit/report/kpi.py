"""The KPI section: FCR, escalation, satisfaction, handle time, latency, hold, volume, topics.

Rendered once, as HTML, for the daily report (:mod:`qa_toolkit.report.daily`) and the web
app's KPI page (:mod:`qa_toolkit.web.kpi`): tiles with each figure and its change against
the period before (in the good or the bad colour), a chart of each figure per day over both
periods (a dashed line where this period starts), calls by hour and by channel, FCR by team,
and the topic table with the rising contact reasons marked. Inline SVG only
(:mod:`qa_toolkit.report.charts`): nothing is fetched, and no style attribute is needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from qa_toolkit.report import charts
from qa_toolkit.topics.fcr import FcrGroup
from qa_toolkit.topics.hotspots import Hotspot
from qa_toolkit.topics.kpi import Kpi, KpiReport


def shown(value: float | None, unit: str) -> str:
    """A KPI value as read: 84.2%, 312 s, +0.41; – when unknown."""
    if value is None:
        return "–"
    if unit == "%":
        return f"{100 * value:.1f}%"
    if unit == "s":
        return f"{value:.0f} s"
    return f"{value:.2f}" if abs(value) < 10 else f"{value:.1f}"


def _change(kpi: Kpi) -> str:
    change = kpi.change
    if change is None:
        return '<small class="change">no earlier figure</small>'
    if kpi.unit == "%":
        text = f"{100 * change:+.1f} pts"
    elif kpi.unit == "s":
        text = f"{change:+.0f} s"
    else:
        text = f"{change:+.2f}" if abs(change) < 10 else f"{change:+.0f}"
    verdict = {True: "status-pass", False: "status-fail", None: "status-na"}[kpi.improved]
    return f'<small class="change {verdict}">{escape(text)} vs before</small>'


def _tiles(report: KpiReport) -> str:
    out = []
    for kpi in report.kpis:
        out.append(
            f'<div class="tile kpi" id="kpi-{kpi.key}"><b>{shown(kpi.value, kpi.unit)}</b>'
            f"<span>{escape(kpi.label)}</span><br>{_change(kpi)}</div>"
        )
    return f'<div class="tiles">{"".join(out)}</div>'


def _figure(chart: str, caption: str, note: str = "") -> str:
    extra = f'<p class="note">{escape(note)}</p>' if note else ""
    return (
        f'<figure class="chart"><figcaption>{escape(caption)}</figcaption>{chart}{extra}</figure>'
    )


def _trend(kpi: Kpi, report: KpiReport) -> str:
    known = [(day, value) for day, value in kpi.daily if value is not None]
    scale = 100.0 if kpi.unit == "%" else 1.0
    before = sum(1 for day, _ in known if day < report.period.since)
    mark = (float(before), "this period") if 0 < before < len(known) else None
    unit = "%" if kpi.unit == "%" else " s" if kpi.unit == "s" else ""
    chart = charts.columns(f"kpi-{kpi.key}", [d[5:] for d, _ in known],
                           [max(0.0, scale * v) for _, v in known],
                           label=f"{kpi.label} per day", unit=unit, mark=mark)  # fmt: skip
    note = "satisfaction below 0 drawn as 0" if kpi.key == "satisfaction" else ""
    return _figure(chart, f"{kpi.label} per day", note)


def _fcr_bars(groups: Sequence[FcrGroup], name: str, caption: str) -> str:
    rated = [g for g in groups if g.rate is not None][:15]
    chart = charts.bars(name, [g.group for g in rated], [100 * (g.rate or 0.0) for g in rated],
                        label=caption, scale_max=100, fmt="{:.0f}%")  # fmt: skip
    return _figure(chart, caption)


def _topic_table(rows: Sequence[Hotspot]) -> str:
    if not rows:
        return "<p>No calls in this period.</p>"
    head = (
        '<thead><tr><th data-sort="text">topic</th><th>name</th>'
        '<th class="num" data-sort="num">calls</th><th class="num" data-sort="num">share</th>'
        '<th class="num" data-sort="num">change</th>'
        '<th class="num" data-sort="num">dissatisfied</th>'
        '<th class="num" data-sort="num">mean score</th>'
        '<th class="num" data-sort="num">escalation</th><th>trend</th></tr></thead>'
    )
    body = []
    for h in rows:
        name = " / ".join(dict.fromkeys(v for v in (h.name.get("en"), h.name.get("zh")) if v))
        rising = '<span class="flag">rising</span>' if h.rising else ""
        body.append(
            f'<tr id="topic-{escape(h.topic_id)}"><td>{escape(h.topic_id)}</td>'
            f"<td>{escape(name)}</td>"
            f'<td class="num" data-value="{h.calls}">{h.calls}</td>'
            f'<td class="num" data-value="{h.share:.4f}">{100 * h.share:.1f}%</td>'
            f'<td class="num" data-value="{h.change}">{h.change:+d} '
            f"({100 * h.share_change:+.1f} pts)</td>"
            f'<td class="num">{shown(h.dissatisfied_share, "%")}</td>'
            f'<td class="num">{shown(h.mean_score, "")}</td>'
            f'<td class="num">{shown(h.escalation_rate, "%")}</td><td>{rising}</td></tr>'
        )
    return f'<table id="topic-table">{head}<tbody>{"".join(body)}</tbody></table>'


def kpi_section(report: KpiReport) -> str:
    """The KPI section's HTML (a heading, tiles, charts and the topic table)."""
    hours = [f"{h:02d}" for h in range(24)]
    channels = [c for c, _, _ in report.by_channel]
    provisional = (
        f"provisional: {report.fcr_open} call(s) are within the repeat window of the last call seen"
        if report.fcr_open
        else ""
    )
    figures = [_trend(k, report) for k in report.kpis]
    figures += [
        _figure(charts.columns("kpi-by-hour", hours, [n for n, _ in report.by_hour],
                               label="calls by hour", unit=" calls"), "Calls by hour"),
        _figure(charts.bars("kpi-by-channel", channels, [float(n) for _, n, _ in report.by_channel],
                            label="calls by channel", fmt="{:.0f}"), "Calls by channel"),
        _fcr_bars(report.fcr_by_team, "kpi-fcr-team", "FCR by team"),
        _fcr_bars(report.fcr_by_topic, "kpi-fcr-topic", "FCR by contact reason"),
    ]  # fmt: skip
    return (
        f"<h2>Service KPIs: {escape(str(report.period))} ({report.calls} calls) against "
        f"{escape(str(report.previous))} ({report.previous_calls} calls)</h2>"
        f"{_tiles(report)}"
        + (f'<p class="note" id="fcr-note">FCR {escape(provisional)}</p>' if provisional else "")
        + f'<div class="grid">{"".join(figures)}</div>'
        f"<h2>Contact reasons</h2>{_topic_table(report.topics)}"
    )


__all__ = ["kpi_section", "shown"]
