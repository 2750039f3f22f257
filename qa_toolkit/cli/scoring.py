"""Click commands for scoring: ``qa score`` and ``qa rubric validate|test|explain``.

Defined as standalone click objects (``score_command``, ``rubric_group``) that
the main ``qa`` group registers. Data goes to stdout; problems go to stderr as
one clear line each; a rubric error exits 1, ``--fail-on-flag`` exits 3 when
any call was flagged.
"""

from __future__ import annotations

import json
from typing import Any

import click

from qa_toolkit.cli.errors import cli_errors, report_error
from qa_toolkit.errors import QAToolkitError, RubricError
from qa_toolkit.rubric import Rubric, load_rubric, local_text
from qa_toolkit.rubric.detectors import resolve_detector
from qa_toolkit.scoring import score_call
from qa_toolkit.scoring.types import CallScore
from qa_toolkit.types import Transcript

EXIT_FLAGGED = 3
_MARK = {"pass": "✓", "fail": "✗", "na": "–"}


def _load_rubric_or_exit(path: str) -> Rubric:
    with cli_errors():
        return load_rubric(path)


def _load_calls(
    inputs: tuple[str, ...], *, audio: bool = True
) -> list[tuple[str, Transcript | QAToolkitError]]:
    """Each input as a transcript (audio is transcribed first, or skipped), or its error."""
    from qa_toolkit.io.discover import find_calls
    from qa_toolkit.io.transcripts import load_transcript

    loaded: list[tuple[str, Transcript | QAToolkitError]] = []
    for call in find_calls(inputs):
        name = str(call.path or call.files[0])
        if not audio and not call.is_transcript:
            continue
        try:
            if call.is_transcript:
                loaded.append((name, load_transcript(call.files[0])))
            else:
                from qa_toolkit.speech.transcribe import transcribe

                found = transcribe(
                    call.path, agent=call.agent, customer=call.customer, call_id=call.call_id
                )
                loaded.append((name, found))
        except QAToolkitError as exc:
            loaded.append((name, exc))
    return loaded


@click.command("score")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True))
@click.option(
    "--rubric", "-r", "rubric_path", required=True, type=click.Path(), help="Rubric YAML."
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option("--fail-on-flag", is_flag=True, help=f"Exit {EXIT_FLAGGED} when any call is flagged.")
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, writable=True),
    help="Also write a Markdown report (lowest scores first, evidence of flagged calls).",
)
def score_command(
    inputs: tuple[str, ...], rubric_path: str, fmt: str, fail_on_flag: bool, report_path: str | None
) -> None:
    """Score calls (transcript JSON, text transcripts or audio) against a rubric."""
    rubric = _load_rubric_or_exit(rubric_path)
    calls = _load_calls(inputs)
    failed = False
    results: list[CallScore] = []
    for name, transcript in calls:
        if isinstance(transcript, QAToolkitError):
            report_error(transcript)
            failed = True
            continue
        result = score_call(transcript, rubric)
        results.append(result)
        if fmt == "json":
            indent = 2 if len(calls) == 1 else None
            click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=indent))
        else:
            click.echo(render_score(result, rubric, name))
    flagged = any(result.flags for result in results)
    if len(calls) > 1:
        _echo_summary(results, failures=sum(1 for _, t in calls if isinstance(t, Exception)))
    if report_path:
        from pathlib import Path

        from qa_toolkit.report import markdown_report

        Path(report_path).write_text(markdown_report(results), "utf-8")
        click.echo(f"report written to {report_path}", err=True)
    if failed:
        raise SystemExit(1)
    if fail_on_flag and flagged:
        raise SystemExit(EXIT_FLAGGED)


def _echo_summary(results: list[CallScore], *, failures: int) -> None:
    """A table of the scored calls on stderr, lowest score first, and the headline numbers."""
    from qa_toolkit.report import summarise

    summary = summarise(results)
    click.echo("", err=True)
    click.echo(f"{'call':<24} {'score':>6}  {'band':<18} flags", err=True)
    for result in sorted(results, key=lambda r: r.score):
        flags = ", ".join(flag.kind for flag in result.flags) or "-"
        click.echo(
            f"{result.call_id:<24} {result.score:>6.1f}  {result.band:<18} {flags}", err=True
        )
    most = ", ".join(f"{item} ({n})" for item, n in summary.most_failed) or "none"
    click.echo(
        f"{summary.calls} scored, mean {summary.mean_score:.1f}, {summary.flagged} flagged, "
        f"{failures} failed; items failed most: {most}",
        err=True,
    )


def render_score(result: CallScore, rubric: Rubric, name: str = "") -> str:
    """A call's score as readable text: the total, then each item with its first reason."""
    head = f"{result.call_id}: {result.score:.1f} ({result.band})"
    if result.auto_failed:
        head += f" AUTO-FAILED (would be {result.raw_score:.1f})"
    lines = [head + (f"  [{name}]" if name else "")]
    for item in result.items:
        points = f"{item.points:g}/{item.max_points:g}" if item.status != "na" else "n.a."
        name = f"{item.section_id}.{item.item_id}"
        lines.append(f"  {_MARK[item.status]} {name:<40} {points:>7}")
        for ev in item.evidence[:2]:
            at = f"[{ev.where(result.timed)}] " if ev.utterance_id else ""
            quote = f' "{ev.quote}"' if ev.quote else ""
            lines.append(f"      {at}{ev.reason}{quote}")
        if item.status == "fail" and item.hint:
            lines.append(f"      how to pass: {item.hint}")
    if result.outcome is not None:
        o = result.outcome
        lines.append(
            f"  outcome: resolved {o.resolved:.0%}, satisfaction {o.satisfaction:+.1f} (−2..2)"
        )
        for ev in o.evidence[:2]:
            at = f"[{ev.where(result.timed)}] " if ev.utterance_id else ""
            quote = f' "{ev.quote}"' if ev.quote else ""
            lines.append(f"      {at}{ev.reason}{quote}")
    for flag in result.flags:
        lines.append(f"  flag {flag.kind}: {flag.reason}")
    return "\n".join(lines)


@click.group("rubric")
def rubric_group() -> None:
    """Check, try and explain rubric files."""


@rubric_group.command("validate")
@click.argument("rubrics", nargs=-1, required=True, type=click.Path())
def validate_command(rubrics: tuple[str, ...]) -> None:
    """Validate rubric files; list every problem with its line and column."""
    bad = False
    for path in rubrics:
        try:
            rubric = load_rubric(path)
        except RubricError as exc:
            bad = True
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            continue
        counts = f"{len(rubric.sections)} sections, {len(rubric.items)} items"
        click.echo(
            f"{path}: ok ({rubric.id} v{rubric.version}: {counts}, {len(rubric.events)} events)"
        )
    if bad:
        raise SystemExit(1)


@rubric_group.command("test")
@click.argument("rubric_path", type=click.Path())
@click.option(
    "--calls", "calls_dir", required=True, type=click.Path(exists=True), help="Sample calls."
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def test_command(rubric_path: str, calls_dir: str, fmt: str) -> None:
    """Run a rubric on sample transcripts (JSON or text) and show each item's result per call.

    Audio files in the folder are skipped: transcribe them once with
    ``qa transcribe --format json``.
    """
    rubric = _load_rubric_or_exit(rubric_path)
    results: list[CallScore] = []
    # Transcripts only: a rubric is tried many times while it is written, and
    # transcribing a folder of audio each time would take minutes.
    for name, transcript in _load_calls((calls_dir,), audio=False):
        if isinstance(transcript, QAToolkitError):
            click.echo(f"skipped {name}: {transcript}", err=True)
        else:
            results.append(score_call(transcript, rubric))
    if fmt == "json":
        for result in results:
            click.echo(json.dumps(result.to_dict(), ensure_ascii=False))
        return
    click.echo(render_matrix(rubric, results))
    for result in results:
        click.echo("\n" + render_reasons(result))


def render_reasons(result: CallScore) -> str:
    """Why each item came out as it did on one call: the first reason, quoted where it can be."""
    lines = [f"{result.call_id}: {result.score:.0f} ({result.band})"]
    for item in result.items:
        ev = item.evidence[0] if item.evidence else None
        why = ev.reason if ev is not None else "no evidence"
        if ev is not None and ev.quote:
            quote = ev.quote if len(ev.quote) <= 60 else ev.quote[:59] + "…"
            at = f" [{ev.where(result.timed)}]" if ev.utterance_id else ""
            why += f'{at} "{quote}"'
        lines.append(f"  {_MARK[item.status]} {item.item_id:<28} {why}")
    return "\n".join(lines)


def render_matrix(rubric: Rubric, results: list[CallScore]) -> str:
    """Items down, calls across: ✓ pass, ✗ fail, – n.a.; totals at the bottom."""
    width = max([len(r.call_id) for r in results] + [len(r.band) for r in results] + [5])
    lines = [" " * 28 + " ".join(r.call_id[:width].rjust(width) for r in results)]
    for item in rubric.items:
        cells = [_MARK[r.item(item.id).status].rjust(width) for r in results]
        hits = sum(1 for r in results if r.item(item.id).status == "pass")
        lines.append(f"{item.id[:27]:<28}" + " ".join(cells) + f"  {hits}/{len(results)} pass")
    lines.append(f"{'score':<28}" + " ".join(f"{r.score:.0f}".rjust(width) for r in results))
    lines.append(f"{'band':<28}" + " ".join(r.band.rjust(width) for r in results))
    return "\n".join(lines)


@rubric_group.command("explain")
@click.argument("rubric_path", type=click.Path())
@click.option("--language", "-l", default="en", show_default=True, help="en or zh titles.")
def explain_command(rubric_path: str, language: str) -> None:
    """Print a rubric as a readable checklist."""
    rubric = _load_rubric_or_exit(rubric_path)
    click.echo(render_checklist(rubric, language))


def render_checklist(rubric: Rubric, language: str = "en") -> str:
    """The rubric as a checklist: sections with weights, items with points and rules."""
    title = local_text(rubric.title, language, rubric.id)
    lines = [f"{title} ({rubric.id} v{rubric.version})"]
    bands = ", ".join(f"{name} ≥ {low:g}" for name, low in rubric.bands)
    lines.append(
        f"bands: {bands}" + (f"; flagged below {rubric.flag_below:g}" if rubric.flag_below else "")
    )
    for section in rubric.sections:
        lines.append(
            f"\n{local_text(section.title, language, section.id)} (weight {section.weight:g})"
        )
        for item in section.items:
            lines.append(_checklist_line(item, language))
    return "\n".join(lines)


def _checklist_line(item: Any, language: str) -> str:
    critical = " CRITICAL" if item.critical else ""
    applies = ""
    if item.applies_if is not None:
        cond = item.applies_if
        applies = f"; only if {cond.event or cond.item or f'the contact reason is {cond.topic}'}"
    summary = resolve_detector(item.detector).summary
    line = f"  [ ] {local_text(item.title, language, item.id)} — {item.points:g} pts{critical}"
    line += f"\n      {item.detector}: {summary}{_own_rule(item.options)}{applies}"
    hint = local_text(item.hint, language)
    return line + (f"\n      how to pass: {hint}" if hint else "")


def _own_rule(options: Any) -> str:
    """What this item itself asks for, beyond its detector's summary: its steps, behaviours,
    feature bounds or rating."""
    steps = getattr(options, "steps", None)
    if steps:
        return " (" + " → ".join(step.id for step in steps) + ")"
    parts = []
    for key, word in (("any", "any of"), ("none", "none of"), ("unless", "unless")):
        value = getattr(options, key, None)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            parts.append(f"{word} {', '.join(value)}")
    feature = getattr(options, "feature", None)
    if isinstance(feature, str):
        bounds = [f"≥ {options.min:g}" if options.min is not None else "",
                  f"≤ {options.max:g}" if options.max is not None else ""]  # fmt: skip
        parts.append(f"{feature} {' and '.join(b for b in bounds if b)}")
    measure = getattr(options, "measure", None)
    if isinstance(measure, str):
        parts.append(f"{measure} ≥ {options.min:g}" if getattr(options, "min", None) is not None
                     else measure)  # fmt: skip
    return f" ({'; '.join(parts)})" if parts else ""


__all__ = [
    "render_checklist",
    "render_matrix",
    "render_reasons",
    "render_score",
    "rubric_group",
    "score_command",
]
