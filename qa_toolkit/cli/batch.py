"""Click commands for the daily batch: ``qa batch``, ``qa rescore``, ``qa export``, ``qa report``.

Standalone click objects (``batch_command``, ``rescore_command``,
``export_command``, ``report_command``) that the main ``qa`` group registers.
Progress and the summary go to stderr; exports go to stdout or a file. Exit
codes: 0 every call done, 1 some call failed (or an error), 2 usage.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, TypeVar

import click

from qa_toolkit.batch.budget import DEFAULT_CALL_BUDGET_S
from qa_toolkit.batch.types import BatchOptions, BatchProgress, BatchResult, summary_lines
from qa_toolkit.cli.errors import cli_errors, root_flag
from qa_toolkit.cli.store_option import store_option
from qa_toolkit.store.location import parse_location

F = TypeVar("F", bound=Callable[..., Any])
_STAGES = ("transcribe", "score")


class BatchDisplay:
    """A progress bar per stage (calls done, throughput, ETA) on a terminal; nothing elsewhere.

    Args:
        enabled: False draws nothing (``--quiet``).
        stream: where to draw; stderr by default.
        force: draw even when the stream is not a terminal (tests).
    """

    def __init__(self, *, enabled: bool, stream: IO[str] | None = None, force: bool = False):
        self._stream = stream or sys.stderr
        self.enabled = enabled and (force or self._stream.isatty())
        self._progress: Any = None
        self._tasks: dict[str, Any] = {}
        self._started: dict[str, float] = {}

    def __enter__(self) -> BatchDisplay:
        if self.enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._progress = Progress(
                TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TextColumn("ETA"),
                TimeRemainingColumn(),
                console=Console(file=self._stream, force_terminal=True), transient=False,
            )  # fmt: skip
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def __call__(self, event: BatchProgress) -> None:
        """The batch's progress callback."""
        if event.status == "failed":
            self._print(f"failed {event.call_id} ({event.stage}): {event.reason}")
        if self._progress is None:
            return
        if event.stage not in self._tasks:
            self._started[event.stage] = time.perf_counter()
            self._tasks[event.stage] = self._progress.add_task(
                event.stage, total=event.total, rate=""
            )
        self._progress.update(
            self._tasks[event.stage], completed=event.done, rate=self._rate(event)
        )

    def _rate(self, event: BatchProgress) -> str:
        took = max(time.perf_counter() - self._started[event.stage], 1e-6)
        calls = f"{event.done / took * 60:.1f} calls/min"
        if event.audio_s > 0:
            return f"{calls}, {event.audio_s / took:.1f}× real time"
        return calls

    def _print(self, line: str) -> None:
        if self._progress is not None:
            self._progress.console.print(f"[red]{line}[/red]", highlight=False)
        else:
            click.echo(line, err=True)


def _asr_options(func: F) -> F:
    options = [
        click.option("--engine", default="faster-whisper", show_default=True,
                     type=click.Choice(["faster-whisper", "openai-whisper", "transformers"])),
        click.option("--model", "-m", default=None, help="Model name or path (see `qa models`)."),
        click.option("--language", "-l", default="auto", show_default=True, help="auto, en, zh."),
        click.option("--vad/--no-vad", default=True, show_default=True),
        click.option("--hotword", "-w", "hotwords", multiple=True, help="Domain word; repeatable."),
        click.option("--agent-channel", default=0, show_default=True, type=click.IntRange(0, 1)),
        click.option("--device", default="cpu", show_default=True, help="cpu or cuda."),
    ]  # fmt: skip
    for option in reversed(options):
        func = option(func)
    return func


def _run_options(func: F) -> F:
    options = [
        click.option("--rubric", "-r", required=True, type=click.Path(), help="Rubric YAML."),
        store_option(),
        click.option("--report", "report_dir", type=click.Path(file_okay=False),
                     help="Write the HTML report of this run into this folder."),
        click.option("--workers", "-j", default=1, show_default=True, type=click.IntRange(1),
                     help="Worker processes (1 = in this process)."),
        click.option("--call-timeout", "call_timeout", default=DEFAULT_CALL_BUDGET_S,
                     show_default=True, type=click.FloatRange(0),
                     help="Seconds one call may take per stage; past it the call fails alone "
                          "(0 = no limit)."),
        click.option("--executor", default="local", show_default=True,
                     type=click.Choice(["local", "ray"])),
        click.option("--address", default=None,
                     help="Ray cluster to run on (with --executor ray): the head's HOST:PORT, "
                          "ray://HOST:10001 or auto. Its workers write to --store, so give "
                          "them one they reach (PostgreSQL)."),
        click.option("--format", "fmt", default="text", show_default=True,
                     type=click.Choice(["text", "json"]), help="json: the result on stdout."),
    ]  # fmt: skip
    for option in reversed(options):
        func = option(func)
    return func


@click.command("batch")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@_run_options
@_asr_options
@click.option(
    "--metadata",
    "metadata_files",
    multiple=True,
    type=click.Path(exists=True),
    help="A metadata CSV/JSON table (besides metadata.csv|json found in INPUTS).",
)
@click.option(
    "--name-pattern",
    default=None,
    help="Read metadata from file names, e.g. '{agent_id}_{date}_{time}_{call_id}'.",
)
@click.option(
    "--store-unredacted",
    is_flag=True,
    help="Keep personal data (phone, card, ID numbers) in stored transcripts.",
)
@click.option("--no-acoustics", is_flag=True, help="Skip pitch and energy (faster).")
@click.pass_context
def batch_command(ctx: click.Context, inputs: tuple[Path, ...], **opts: Any) -> None:
    """Transcribe, score, flag and store every call in INPUTS; resumable.

    Rerunning on the same folder redoes nothing that finished. A call that
    fails is listed with its reason, and the exit code is 1.
    """  # fmt: skip
    from qa_toolkit.batch import run_batch
    from qa_toolkit.batch.tasks import AsrSettings

    language = None if opts["language"] in ("", "auto") else opts["language"]
    asr = AsrSettings(opts["engine"], opts["model"], language, opts["vad"],
                      tuple(opts["hotwords"]), opts["agent_channel"], opts["device"])  # fmt: skip
    options = BatchOptions(
        asr=asr, workers=opts["workers"], executor=opts["executor"], address=opts["address"],
        store_unredacted=opts["store_unredacted"], acoustics=not opts["no_acoustics"],
        name_pattern=opts["name_pattern"], metadata_files=tuple(opts["metadata_files"]),
        call_budget_s=opts["call_timeout"] or None,
    )  # fmt: skip
    quiet = root_flag("quiet")
    with cli_errors(), BatchDisplay(enabled=not quiet) as display:
        result = run_batch(list(inputs), opts["rubric"], store=opts["store_path"],
                           options=options, progress=display)  # fmt: skip
    _finish(ctx, result, opts, quiet)


@click.command("rescore")
@_run_options
@click.option("--date", default=None, help="Only calls of this day (YYYY-MM-DD).")
@click.option("--team", default=None, help="Only this team's calls.")
@click.option("--agent", "agent_id", default=None, help="Only this agent's calls.")
@click.pass_context
def rescore_command(ctx: click.Context, **opts: Any) -> None:
    """Score stored transcripts against a rubric, without transcribing again."""
    from qa_toolkit.batch import rescore
    from qa_toolkit.store import Filters

    filters = Filters.of(date=opts["date"], team=opts["team"], agent_id=opts["agent_id"])
    options = BatchOptions(
        workers=opts["workers"],
        executor=opts["executor"],
        address=opts["address"],
        call_budget_s=opts["call_timeout"] or None,
    )
    quiet = root_flag("quiet")
    with cli_errors(), BatchDisplay(enabled=not quiet) as display:
        result = rescore(opts["rubric"], store=opts["store_path"], filters=filters,
                         options=options, progress=display)  # fmt: skip
    _finish(ctx, result, opts, quiet)


def _finish(ctx: click.Context, result: BatchResult, opts: dict[str, Any], quiet: bool) -> None:
    report = None
    if opts.get("report_dir"):
        from qa_toolkit.report import write_report
        from qa_toolkit.store import Store

        with cli_errors(), Store(opts["store_path"]) as store:
            report = write_report(store, opts["report_dir"], run_id=result.run_id)
    if opts["fmt"] == "json":
        click.echo(json.dumps(_result_dict(result, report), ensure_ascii=False))
    if not quiet:
        _echo_summary(result, report)
    if result.failures:
        raise SystemExit(1)


def _echo_summary(result: BatchResult, report: Path | None) -> None:
    for line in summary_lines(result):
        click.echo(line, err=True)
    for failure in result.failures:
        click.echo(f"  failed {failure.call_id} ({failure.stage}): {failure.reason}", err=True)
    for problem in result.metadata_problems[:10]:
        click.echo(f"  metadata: {problem}", err=True)
    click.echo(f"store: {result.store} (run {result.run_id})", err=True)
    if report is not None:
        click.echo(f"report: {report}", err=True)


def _result_dict(result: BatchResult, report: Path | None) -> dict[str, Any]:
    from dataclasses import asdict

    return {
        "run_id": result.run_id,
        "store": result.store,
        "report": str(report) if report else None,
        "calls": len(result.outcomes),
        "failed": len(result.failures),
        "flagged": result.flagged,
        "audio_hours": round(result.audio_hours, 4),
        "wall_s": round(result.wall_s, 2),
        "mean_score_by_team": {t: round(m, 2) for t, m, _ in result.mean_score_by_team()},
        "outcomes": [asdict(o) for o in result.outcomes],
    }


@click.command("export")
@click.option("--format", "fmt", required=True, type=click.Choice(["csv", "parquet", "jsonl"]))
@store_option(exists=True)
@click.option("--out", "-o", default="-", show_default=True, help="File, or '-' for stdout.")
@click.option("--table", default="scores", show_default=True,
              type=click.Choice(["scores", "items", "flags"]))  # fmt: skip
@click.option("--date", default=None, help="YYYY-MM-DD.")
@click.option("--since", default=None, help="From this day on (YYYY-MM-DD).")
@click.option("--until", default=None, help="Up to this day (YYYY-MM-DD).")
@click.option("--team", default=None)
@click.option("--agent", "agent_id", default=None)
@click.option("--queue", default=None)
@click.option("--rubric", "rubric_id", default=None, help="Scores of this rubric id only.")
@click.option("--run", "run_id", default=None, help="Calls of this run only.")
@click.option("--flagged/--unflagged", default=None, help="Only flagged (or unflagged) calls.")
@click.option("--history", is_flag=True, help="Every score of each call, not only the newest.")
@click.pass_context
def export_command(ctx: click.Context, fmt: str, store_path: str, out: str, table: str,
                   history: bool, **filters: Any) -> None:  # fmt: skip
    """Export stored scores, item results or flags as CSV, Parquet or JSON Lines."""
    from qa_toolkit.io.export import export
    from qa_toolkit.store import Filters, Store

    with cli_errors(), Store(store_path, create=False) as store:
        rows = export(store, out, fmt=fmt, table=table,
                      filters=Filters.of(latest=not history, **filters))  # fmt: skip
    if out != "-":
        click.echo(f"{rows} row(s) written to {out}", err=True)


@click.command("report")
@store_option(exists=True)
@click.option("--out", "-o", "out_dir", required=True, type=click.Path(file_okay=False))
@click.option("--date", default=None, help="The calls of this day (YYYY-MM-DD).")
@click.option("--run", "run_id", default=None, help="The calls of this run (default: latest).")
@click.pass_context
def report_command(
    ctx: click.Context, store_path: str, out_dir: str, date: str | None, run_id: str | None
) -> None:
    """Write the HTML daily report and a page per call from the store."""
    from qa_toolkit.report import write_report
    from qa_toolkit.store import Store

    with cli_errors(), Store(store_path, create=False) as store:
        index = write_report(store, out_dir, date=date, run_id=run_id)
    click.echo(str(index))


__all__ = ["BatchDisplay", "batch_command", "export_command", "report_command", "rescore_command"]


@click.command("purge")
@store_option(exists=True, required=True, help="The store to clean (a file or a URL).")
def purge_command(store_path: str) -> None:
    """Redact personal data in every stored copy and compact the store.

    For a store written with --store-unredacted: transcripts, score evidence and item history,
    risk-event quotes, flag reasons, reviewers' comments and appeals all get the same tags as a
    redacted run; the file is then rewritten so the old text does not stay in its free pages.
    """
    from qa_toolkit.batch.tasks import redaction_identity
    from qa_toolkit.privacy import redact_text, redact_transcript_json
    from qa_toolkit.store import Store

    with cli_errors(), Store(store_path, create=False) as store:
        counts = store.scrub(transcript_fn=redact_transcript_json, text_fn=redact_text,
                             redaction=redaction_identity(True), compact=True)  # fmt: skip
    click.echo(
        f"{parse_location(store_path)}: {counts.transcripts} transcript(s) and "
        f"{counts.rows} other row(s) redacted; store compacted",
        err=True,
    )
