"""Charts for the HTML reports, drawn as inline SVG so a report opens with no network at all.

Each function returns one ``<svg>`` element as text, with a ``<title>`` on every
bar or point so the value shows on hover, and ``data-chart`` naming the chart
so tests (and people reading the source) can find it.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from qa_toolkit.types import clock

WIDTH = 560
_PALETTE = ("#2f6fb0", "#d9822b", "#3a9d5d", "#c2413b", "#7d5ba6", "#8c6d31")
_MUTED = "#9aa5b1"
_ALERT = "#c2413b"
_FONT = 'font-family="system-ui, sans-serif" font-size="11"'


def _svg(name: str, height: int, body: list[str], label: str) -> str:
    return (
        f'<svg data-chart="{escape(name)}" role="img" aria-label="{escape(label)}" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" preserveAspectRatio="xMidYMid meet" '
        f'xmlns="http://www.w3.org/2000/svg" {_FONT}>' + "".join(body) + "</svg>"
    )


def _empty(name: str, label: str) -> str:
    body = [f'<text x="{WIDTH / 2}" y="40" text-anchor="middle" fill="{_MUTED}">no data</text>']
    return _svg(name, 60, body, label)


def columns(
    name: str,
    labels: Sequence[str],
    values: Sequence[float],
    *,
    label: str,
    highlight: Sequence[bool] = (),
    unit: str = "",
    mark: tuple[float, str] | None = None,
) -> str:
    """Vertical bars, one per label (a histogram, calls by hour).

    Args:
        name: the chart's ``data-chart`` name.
        labels: one per bar, shown under it.
        values: bar heights.
        label: what the chart shows (its accessible name).
        highlight: bars to draw in the alert colour (off-hours).
        unit: appended to the values in the hover text.
        mark: a dashed vertical line at a position counted in bars from the left edge
            (2.5 is half-way through the third bar), with its label (a threshold).
    """
    if not values or max(values) <= 0:
        return _empty(name, label)
    height, top, bottom, left = 200, 12, 28, 34
    span = max(values)
    step = (WIDTH - left - 8) / len(values)
    body = _y_axis(span, top, height - bottom, left)
    for i, (text, value) in enumerate(zip(labels, values, strict=True)):
        bar_h = (height - top - bottom) * value / span
        x = left + i * step
        colour = _ALERT if i < len(highlight) and highlight[i] else _PALETTE[0]
        body.append(
            f'<rect class="bar" x="{x + 1:.1f}" y="{height - bottom - bar_h:.1f}" '
            f'width="{max(step - 2, 1):.1f}" height="{bar_h:.1f}" fill="{colour}">'
            f"<title>{escape(text)}: {value:g}{escape(unit)}</title></rect>"
        )
        if len(values) <= 12 or i % 2 == 0:
            body.append(
                f'<text x="{x + step / 2:.1f}" y="{height - bottom + 14}" '
                f'text-anchor="middle">{escape(text)}</text>'
            )
    if mark is not None:
        x = left + mark[0] * step
        body.append(
            f'<line class="mark" x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{height - bottom}" '
            f'stroke="{_ALERT}" stroke-width="1.5" stroke-dasharray="4 3">'
            f"<title>{escape(mark[1])}</title></line>"
            f'<text x="{x + 4:.1f}" y="{top + 10}" fill="{_ALERT}">{escape(mark[1])}</text>'
        )
    return _svg(name, height, body, label)


def bars(
    name: str,
    labels: Sequence[str],
    values: Sequence[float],
    *,
    label: str,
    scale_max: float | None = None,
    fmt: str = "{:.1f}",
) -> str:
    """Horizontal bars with their values (mean score by team or agent, flags by kind)."""
    if not values:
        return _empty(name, label)
    row, left, top = 20, 150, 6
    height = top * 2 + row * len(values)
    span = scale_max or max(max(values), 1e-9)
    body = []
    for i, (text, value) in enumerate(zip(labels, values, strict=True)):
        y = top + i * row
        length = (WIDTH - left - 60) * max(value, 0.0) / span
        shown = fmt.format(value)
        body.append(
            f'<text x="{left - 6}" y="{y + 13}" text-anchor="end">{escape(text[:24])}</text>'
            f'<rect class="bar" x="{left}" y="{y + 3}" width="{length:.1f}" height="{row - 6}" '
            f'fill="{_PALETTE[i % len(_PALETTE)]}"><title>{escape(text)}: {shown}</title></rect>'
            f'<text x="{left + length + 4:.1f}" y="{y + 13}">{shown}</text>'
        )
    return _svg(name, height, body, label)


def pareto(name: str, labels: Sequence[str], counts: Sequence[int], *, label: str) -> str:
    """Bars sorted from the most frequent, with the cumulative share as a line (80/20)."""
    if not counts or sum(counts) == 0:
        return _empty(name, label)
    height, top, bottom, left, right = 250, 12, 96, 34, 34
    total = sum(counts)
    span = max(counts)
    step = (WIDTH - left - right) / len(counts)
    plot_h = height - top - bottom
    body = _y_axis(span, top, height - bottom, left)
    points, running = [], 0
    for i, (text, count) in enumerate(zip(labels, counts, strict=True)):
        x = left + i * step
        bar_h = plot_h * count / span
        running += count
        body.append(
            f'<rect class="bar" x="{x + 2:.1f}" y="{height - bottom - bar_h:.1f}" '
            f'width="{max(step - 4, 1):.1f}" height="{bar_h:.1f}" fill="{_PALETTE[0]}">'
            f"<title>{escape(text)}: failed on {count} call(s)</title></rect>"
            f'<text transform="translate({x + step / 2:.1f},{height - bottom + 10}) rotate(35)">'
            f"{escape(text if len(text) <= 28 else text[:27] + '…')}</text>"
        )
        points.append((x + step / 2, top + plot_h * (1 - running / total)))
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    body.append(
        f'<polyline class="line" points="{path}" fill="none" stroke="{_ALERT}" '
        'stroke-width="2"><title>cumulative share of failures</title></polyline>'
    )
    body.append(f'<text x="{WIDTH - right + 4}" y="{top + 8}" fill="{_ALERT}">100%</text>')
    return _svg(name, height, body, label)


def lines(
    name: str,
    series: Sequence[tuple[str, Sequence[tuple[float, float]]]],
    *,
    label: str,
    x_max: float = 1.0,
    x_label: str = "share of the call",
    strong: Sequence[str] = (),
) -> str:
    """Lines on a -1..1 scale (sentiment curves); series named in ``strong`` are drawn bold."""
    drawn = [(n, pts) for n, pts in series if len(pts) >= 1]
    if not drawn:
        return _empty(name, label)
    height, top, bottom, left = 220, 10, 30, 34
    plot_w, plot_h = WIDTH - left - 10, height - top - bottom

    def at(x: float, y: float) -> str:
        return f"{left + plot_w * x / max(x_max, 1e-9):.1f},{top + plot_h * (1 - y) / 2:.1f}"

    body = [
        f'<line x1="{left}" x2="{WIDTH - 10}" y1="{top + plot_h / 2}" y2="{top + plot_h / 2}" '
        f'stroke="{_MUTED}" stroke-dasharray="3 3"/>',
        f'<text x="4" y="{top + 8}">+1</text><text x="4" y="{top + plot_h / 2 + 4}">0</text>'
        f'<text x="4" y="{top + plot_h}">−1</text>',
        f'<text x="{WIDTH / 2}" y="{height - 6}" text-anchor="middle">{escape(x_label)}</text>',
    ]
    legend = 0
    for i, (series_name, pts) in enumerate(drawn):
        bold = series_name in strong
        colour = _PALETTE[i % len(_PALETTE)] if bold or len(drawn) <= 6 else _MUTED
        width = 2.5 if bold else 1.0
        path = " ".join(at(x, max(-1.0, min(1.0, y))) for x, y in pts)
        body.append(
            f'<polyline class="line" points="{path}" fill="none" stroke="{colour}" '
            f'stroke-width="{width}" opacity="{1 if bold else 0.6}">'
            f"<title>{escape(series_name)}</title></polyline>"
        )
        if bold:
            body.append(
                f'<text x="{WIDTH - 12}" y="{top + 12 + 14 * legend}" text-anchor="end" '
                f'fill="{colour}">{escape(series_name)}</text>'
            )
            legend += 1
    return _svg(name, height, body, label)


def lanes(
    name: str,
    spans: Sequence[tuple[str, float, float, str, bool]],
    *,
    duration_s: float,
    label: str,
) -> str:
    """A call's timeline: one lane per speaker, a block per utterance, evidence in red.

    ``spans`` are (speaker, start_s, end_s, utterance_id, is_evidence); a block
    carries ``data-start`` so a click can seek the audio player there.
    """
    if not spans or duration_s <= 0:
        return _empty(name, label)
    speakers = ("agent", "customer", "unknown")
    used = [s for s in speakers if any(sp[0] == s for sp in spans)]
    left, lane_h = 70, 22
    height = 10 + lane_h * len(used) + 20
    scale = (WIDTH - left - 10) / duration_s
    body = []
    for row, speaker in enumerate(used):
        body.append(f'<text x="4" y="{10 + row * lane_h + 15}">{speaker}</text>')
    for speaker, start, end, utt_id, evidence in spans:
        row = used.index(speaker)
        colour = _ALERT if evidence else _PALETTE[row]
        body.append(
            f'<rect class="span" data-start="{start:.2f}" data-utt="{escape(utt_id)}" '
            f'x="{left + start * scale:.1f}" y="{10 + row * lane_h + 3}" '
            f'width="{max((end - start) * scale, 1.5):.1f}" height="{lane_h - 6}" '
            f'fill="{colour}"><title>{escape(utt_id)} {start:.1f}–{end:.1f} s</title></rect>'
        )
    for t in range(0, int(duration_s) + 1, _tick_step(duration_s)):
        body.append(
            f'<text x="{left + t * scale:.1f}" y="{height - 4}" text-anchor="middle">'
            f"{clock(t)}</text>"
        )
    return _svg(name, height, body, label)


def _tick_step(duration_s: float) -> int:
    """Seconds between time labels: a round step giving about six labels."""
    for step in (5, 10, 15, 30, 60, 120, 300, 600, 900, 1800):
        if duration_s / step <= 7:
            return step
    return 3600


def _y_axis(span: float, top: float, base: float, left: float) -> list[str]:
    return [
        f'<line x1="{left}" x2="{WIDTH - 8}" y1="{base}" y2="{base}" stroke="{_MUTED}"/>',
        f'<text x="{left - 4}" y="{top + 8}" text-anchor="end">{span:g}</text>',
        f'<text x="{left - 4}" y="{base}" text-anchor="end">0</text>',
    ]
