"""The web app's own charts: a call's timeline with its moments marked, and a score trend.

Inline SVG in the style of :mod:`qa_toolkit.report.charts` (its width, palette
conventions and ``data-chart`` names), with every visible word passed in by the
caller so the charts follow the page's language. Every marked moment carries
``data-start``: a click seeks the recording there (``static/web.js``).

The timeline draws each speaker's utterances in a lane and, in a lane of
moments under them: holds (from the call's timing, as the features measure
them), overtalk (turns started while the other side spoke), risk events, the
evidence of failed items, and reviewers' timed comments.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

from qa_toolkit.features.options import FeatureOptions
from qa_toolkit.features.timing import has_timing, holds, interruptions, silences, speech_runs
from qa_toolkit.report.charts import WIDTH
from qa_toolkit.types import Transcript, clock

_FONT = 'font-family="system-ui, sans-serif" font-size="11"'
_LANE = {"agent": "#2f6fb0", "customer": "#d9822b", "unknown": "#7d5ba6"}
# Moment kinds, drawn in this order (later on top) and colour.
MOMENT_COLOURS = {"hold": "#9aa5b1", "overtalk": "#f0b429", "risk": "#7d1d1d",
                  "evidence": "#c2413b", "comment_mark": "#3a9d5d"}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Moment:
    """A marked moment of a call: what kind, when, and what its tooltip says."""

    kind: str  # hold | overtalk | risk | evidence | comment_mark
    start_s: float
    end_s: float
    label: str


def timing_moments(transcript: Transcript | None, words: Mapping[str, str]) -> list[Moment]:
    """Holds and overtalk measured from the transcript's timing (none without timing);
    ``words`` names the speakers in the tooltips."""
    if transcript is None or not transcript.utterances or not has_timing(transcript):
        return []
    options = FeatureOptions()
    runs = speech_runs(transcript.utterances, options.run_gap_s)
    found = [Moment("hold", h.start_s, h.end_s, f"{h.end_s - h.start_s:.0f} s")
             for h in holds(runs, silences(runs), options)]  # fmt: skip
    found += [Moment("overtalk", i.run.start_s, i.run.start_s + i.overlap_s,
                     f"{words.get(i.run.speaker, i.run.speaker)} {i.overlap_s:.1f} s")
              for i in interruptions(runs, options.overtalk_min_s)]  # fmt: skip
    return found


def timeline(
    transcript: Transcript | None,
    moments: Sequence[Moment],
    *,
    words: Mapping[str, str],
    failed_utterances: frozenset[str] = frozenset(),
) -> str:
    """The call's timeline: a lane per speaker, a lane of moments, a legend.

    Args:
        transcript: the call (its utterances' times); None draws nothing.
        moments: the moments to mark.
        words: the visible words: each speaker and moment kind, ``no_data`` and ``label``.
        failed_utterances: utterances quoted by a failed item, drawn in the alert colour.
    """
    label = escape(words.get("label", "timeline"))
    if transcript is None or not transcript.utterances:
        return f'<p class="meta">{escape(words.get("no_data", ""))}</p>'
    spans = [(u.speaker, u.start_s, max(u.end_s, u.start_s + 0.5), u.id, u.text)
             for u in transcript.utterances]  # fmt: skip
    end = max([transcript.duration_s, *(s[2] for s in spans), *(m.end_s for m in moments)])
    end = max(end, 1.0)
    speakers = [s for s in ("agent", "customer", "unknown") if any(x[0] == s for x in spans)]
    left, lane_h = 70, 22
    rows = len(speakers) + 1
    height = 10 + lane_h * rows + 40
    scale = (WIDTH - left - 10) / end
    body = []
    for row, speaker in enumerate(speakers):
        body.append(f'<text x="4" y="{10 + row * lane_h + 15}">{escape(words[speaker])}</text>')
    for speaker, start, stop, utt_id, _ in spans:
        row = speakers.index(speaker)
        colour = MOMENT_COLOURS["evidence"] if utt_id in failed_utterances else _LANE[speaker]
        body.append(
            f'<rect class="span" data-start="{start:.2f}" data-utt="{escape(utt_id)}" '
            f'x="{left + start * scale:.1f}" y="{10 + row * lane_h + 3}" '
            f'width="{max((stop - start) * scale, 1.5):.1f}" height="{lane_h - 6}" '
            f'fill="{colour}"><title>{clock(start)}–{clock(stop)}</title></rect>'
        )
    y = 10 + len(speakers) * lane_h
    body.append(f'<text x="4" y="{y + 15}">{escape(words.get("moments", ""))}</text>')
    for kind in MOMENT_COLOURS:
        for m in (m for m in moments if m.kind == kind):
            body.append(_moment(m, left, scale, y, lane_h, words[kind]))
    body += _ticks(end, left, scale, y + lane_h + 12)
    body += _legend(words, y + lane_h + 30, {m.kind for m in moments})
    return _svg("call-timeline", height, body, label)


def _moment(m: Moment, left: float, scale: float, y: float, lane_h: float, name: str) -> str:
    x = left + m.start_s * scale
    tip = f"<title>{escape(name)} {clock(m.start_s)}: {escape(m.label)}</title>"
    colour = MOMENT_COLOURS[m.kind]
    attrs = f'class="moment moment-{m.kind}" data-start="{m.start_s:.2f}"'
    if m.kind in ("hold", "overtalk"):
        width = max((m.end_s - m.start_s) * scale, 3.0)
        return (f'<rect {attrs} x="{x:.1f}" y="{y + 4}" width="{width:.1f}" '
                f'height="{lane_h - 8}" fill="{colour}" opacity="0.8">{tip}</rect>')  # fmt: skip
    if m.kind == "comment_mark":
        centre = f'cx="{x:.1f}" cy="{y + lane_h / 2}"'
        return f'<circle {attrs} {centre} r="5" fill="{colour}">{tip}</circle>'
    top, bottom = y + 3, y + lane_h - 3
    points = f"{x:.1f},{top} {x + 5:.1f},{bottom} {x - 5:.1f},{bottom}"
    if m.kind == "evidence":
        mid = (top + bottom) / 2
        points = f"{x:.1f},{top} {x + 5:.1f},{mid} {x:.1f},{bottom} {x - 5:.1f},{mid}"
    return f'<polygon {attrs} points="{points}" fill="{colour}">{tip}</polygon>'


def _ticks(end: float, left: float, scale: float, y: float) -> list[str]:
    step = next((s for s in (5, 10, 15, 30, 60, 120, 300, 600, 900, 1800) if end / s <= 7), 3600)
    return [f'<text x="{left + t * scale:.1f}" y="{y}" text-anchor="middle">{clock(t)}</text>'
            for t in range(0, int(end) + 1, step)]  # fmt: skip


def _legend(words: Mapping[str, str], y: float, present: set[str]) -> list[str]:
    out, x = [], 4.0
    for kind, colour in MOMENT_COLOURS.items():
        if kind not in present:
            continue
        name = escape(words[kind])
        out.append(f'<rect x="{x:.0f}" y="{y - 9}" width="10" height="10" fill="{colour}"/>'
                   f'<text x="{x + 14:.0f}" y="{y}">{name}</text>')  # fmt: skip
        x += 24 + 7 * len(words[kind]) * (2 if not words[kind].isascii() else 1)
    return out


def score_trend(
    points: Sequence[tuple[str, float]],
    days: Sequence[tuple[str, float, int]],
    *,
    threshold: float | None,
    label: str,
    no_data: str,
) -> str:
    """Each call's score as a dot over its day, the mean per day as a line, the threshold
    dashed: a trend that says something with one day or with ninety.

    Args:
        points: (day, score) per call.
        days: (day, mean score, calls) per day, in order.
        threshold: the score a call must reach (a dashed line), or None.
        label: the chart's accessible name.
        no_data: the words shown when there is nothing to draw.
    """
    if not days:
        return f'<p class="meta">{escape(no_data)}</p>'
    height, top, bottom, left, right = 200, 10, 26, 34, 10
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    order = {d: n for n, (d, _, _) in enumerate(days)}
    step = plot_w / max(len(days), 1)

    def x_of(day: str) -> float:
        return left + step * (order[day] + 0.5)

    def y_of(score: float) -> float:
        return top + plot_h * (1 - max(0.0, min(score, 100.0)) / 100)

    base = y_of(0)
    body = [f'<line x1="{left}" x2="{WIDTH - right}" y1="{base}" y2="{base}" stroke="#9aa5b1"/>',
            f'<text x="4" y="{y_of(100) + 4}">100</text><text x="4" y="{y_of(50) + 4}">50</text>'
            f'<text x="4" y="{y_of(0)}">0</text>']  # fmt: skip
    if threshold is not None:
        y = y_of(threshold)
        body.append(f'<line class="threshold" x1="{left}" x2="{WIDTH - right}" y1="{y:.1f}" '
                    f'y2="{y:.1f}" stroke="#c2413b" stroke-dasharray="4 3"/>')  # fmt: skip
    for n, (day, score) in enumerate(points):
        if day not in order:
            continue
        jitter = ((n * 37) % 11 - 5) / 11 * step * 0.6  # spread a day's dots sideways
        colour = "#c2413b" if threshold is not None and score < threshold else "#2f6fb0"
        body.append(f'<circle class="dot" cx="{x_of(day) + jitter:.1f}" cy="{y_of(score):.1f}" '
                    f'r="2.5" fill="{colour}" opacity="0.55"><title>{escape(day)} '
                    f'{score:.1f}</title></circle>')  # fmt: skip
    path = " ".join(f"{x_of(d):.1f},{y_of(m):.1f}" for d, m, _ in days)
    body.append(f'<polyline class="line" points="{path}" fill="none" stroke="#243b53" '
                f'stroke-width="2"><title>{escape(label)}</title></polyline>')  # fmt: skip
    every = max(1, len(days) // 7)
    for n, (day, mean, calls) in enumerate(days):
        body.append(f'<circle cx="{x_of(day):.1f}" cy="{y_of(mean):.1f}" r="3.5" fill="#243b53">'
                    f"<title>{escape(day)}: {mean:.1f} ({calls})</title></circle>")  # fmt: skip
        if n % every == 0:
            body.append(f'<text x="{x_of(day):.1f}" y="{height - 8}" text-anchor="middle">'
                        f"{escape(day[5:])}</text>")  # fmt: skip
    return _svg("score-trend", height, body, label)


def _svg(name: str, height: float, body: list[str], label: str) -> str:
    return (
        f'<svg data-chart="{escape(name)}" role="img" aria-label="{escape(label)}" '
        f'viewBox="0 0 {WIDTH} {height:.0f}" width="100%" preserveAspectRatio="xMidYMid meet" '
        f'xmlns="http://www.w3.org/2000/svg" {_FONT}>' + "".join(body) + "</svg>"
    )
