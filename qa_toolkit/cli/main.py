"""The ``qa`` command line. The only module that prints or exits.

Data goes to stdout (JSON, JSONL, text, tables); progress, summaries and errors
go to stderr. Exit codes: 0 ok, 1 error (or some inputs failed), 2 usage,
3 ``--fail-on-flag`` found flags.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import click

from qa_toolkit.cli.errors import ToolkitFailure, cli_errors
from qa_toolkit.errors import QAToolkitError
from qa_toolkit.io.names import safe_stem

F = TypeVar("F", bound=Callable[..., Any])
_FORMATS = ("json", "text", "srt")
_SUFFIX = {"json": ".json", "text": ".txt", "srt": ".srt"}


@dataclass
class _State:
    debug: bool = False
    quiet: bool = False
    failures: list[str] = field(default_factory=list)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logs.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar or summary.")
@click.version_option(package_name="qa-toolkit", prog_name="qa")
@click.pass_context
def qa(ctx: click.Context, debug: bool, quiet: bool) -> None:
    """Transcribe, score and flag customer-service calls, offline, in English and Mandarin."""
    ctx.obj = _State(debug=debug, quiet=quiet)
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def main() -> None:
    """Console-script entry point: turns toolkit errors into one clear line."""
    debug = "--debug" in sys.argv
    try:
        # Outside standalone mode click returns ctx.exit()'s code instead of exiting.
        code = qa.main(standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except QAToolkitError as error:
        if debug:
            raise
        ToolkitFailure(error).show()
        sys.exit(error.exit_code)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)


# ---------------------------------------------------------------- transcribe


def _transcribe_options(func: F) -> F:
    options = [
        click.option("--agent", type=click.Path(path_type=Path), help="Agent's side as a file."),
        click.option("--customer", type=click.Path(path_type=Path), help="Customer's side."),
        click.option(
            "--engine",
            default="faster-whisper",
            show_default=True,
            type=click.Choice(["faster-whisper", "openai-whisper", "transformers"]),
        ),
        click.option(
            "--model",
            "-m",
            default="auto",
            show_default=True,
            help="auto: tiny.en for English, base for other languages (as installed); "
            "or a model name or path for every call (see `qa models`).",
        ),
        click.option(
            "--language",
            "-l",
            default="auto",
            show_default=True,
            help="auto, en, zh (any Whisper language code).",
        ),
        click.option(
            "--agent-channel",
            default=0,
            show_default=True,
            type=click.IntRange(0, 1),
            help="Agent's channel in a stereo recording.",
        ),
        click.option(
            "--vad/--no-vad",
            default=True,
            show_default=True,
            help="Drop silence and music before recognition.",
        ),
        click.option(
            "--hotword",
            "-w",
            "hotwords",
            multiple=True,
            help="Domain word to favour (product, company); repeatable.",
        ),
        click.option("--device", default="cpu", show_default=True, help="cpu or cuda."),
        click.option(
            "--decoding",
            default="batched",
            show_default=True,
            type=click.Choice(["batched", "sequential"]),
            help="batched: a call's speech windows decoded together (faster on CPU); "
            "sequential: the engine's window-by-window loop.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@qa.command()
@click.argument("inputs", nargs=-1, type=click.Path(path_type=Path))
@_transcribe_options
@click.option(
    "--format", "-f", "fmt", default="json", show_default=True, type=click.Choice(_FORMATS)
)
@click.option(
    "--out",
    "-o",
    default="-",
    show_default=True,
    help="'-' for stdout; a file for one call; a folder for several.",
)
@click.pass_obj
def transcribe(state: _State, inputs: tuple[Path, ...], fmt: str, out: str, **opts: Any) -> None:
    """Transcribe calls into speaker-labelled transcripts.

    INPUTS are recordings, folders of recordings (searched recursively; files
    named CALL.agent.wav + CALL.customer.wav are paired) or text transcripts.
    Give --agent and --customer instead for one call recorded as two files.
    """
    from qa_toolkit.io.discover import CallInput, find_calls

    if opts["agent"] or opts["customer"]:
        if inputs or not (opts["agent"] and opts["customer"]):
            raise click.UsageError("give both --agent and --customer, and no other inputs")
        calls = [CallInput(_pair_id(opts["agent"]), agent=opts["agent"], customer=opts["customer"])]
    elif inputs:
        calls = find_calls(inputs)
    else:
        raise click.UsageError("give a recording, a folder, or --agent and --customer")
    if not calls:
        raise click.UsageError(f"no audio or transcripts found in {', '.join(map(str, inputs))}")
    writer = _Writer(out, fmt, several=len(calls) > 1 or any(p.is_dir() for p in inputs))
    results = _run_calls(state, calls, opts, writer)
    if len(calls) == 1 and state.failures:
        raise click.ClickException(state.failures[0])
    if not state.quiet and len(calls) > 1:
        _print_summary(results, state.failures)
    if state.failures:
        sys.exit(1)


def _pair_id(agent: Path) -> str:
    from qa_toolkit.speech.transcribe import call_id_for

    return call_id_for((str(agent),))


def _run_calls(state: _State, calls: list[Any], opts: dict[str, Any], writer: _Writer) -> list[Any]:
    from qa_toolkit.progress import ProgressDisplay

    results = []
    with ProgressDisplay(enabled=not state.quiet, calls=len(calls)) as display:
        for call in calls:
            display.start_call(call.call_id)
            started = time.perf_counter()
            try:
                with cli_errors():
                    transcript = _transcribe_call(call, opts, display.callback)
            except click.ClickException as error:
                state.failures.append(error.format_message())
                if len(calls) > 1:
                    display.error(error.format_message())
                continue
            writer.write(transcript)
            results.append((transcript, time.perf_counter() - started))
            display.done_call()
    return results


def _transcribe_call(call: Any, opts: dict[str, Any], progress: Any) -> Any:
    from qa_toolkit.io.transcripts import load_transcript
    from qa_toolkit.speech.transcribe import transcribe as run

    if call.is_transcript:
        return load_transcript(call.path)
    return run(
        call.path,
        agent=call.agent,
        customer=call.customer,
        engine=opts["engine"],
        model=opts["model"],
        language=opts["language"],
        agent_channel=opts["agent_channel"],
        vad=opts["vad"],
        hotwords=opts["hotwords"],
        call_id=call.call_id,
        device=opts["device"],
        decoding=opts["decoding"],
        progress=progress,
    )


class _Writer:
    """Sends each transcript to stdout, one file, or one file per call in a folder."""

    def __init__(self, out: str, fmt: str, *, several: bool) -> None:
        self.fmt, self.out, self.several = fmt, out, several
        if out != "-" and several:
            Path(out).mkdir(parents=True, exist_ok=True)

    def write(self, transcript: Any) -> None:
        text = _render(transcript, self.fmt, compact=self.several and self.out == "-")
        if self.out == "-":
            click.echo(text.rstrip("\n"))
            return
        target = Path(self.out)
        if self.several:
            # The id may come from a transcript someone else wrote: a name, never a path.
            target = target / f"{safe_stem(transcript.call_id)}{_SUFFIX[self.fmt]}"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text if text.endswith("\n") else text + "\n", "utf-8")


def _render(transcript: Any, fmt: str, *, compact: bool) -> str:
    from qa_toolkit.io.transcripts import to_srt, to_text

    if fmt == "text":
        return to_text(transcript)
    if fmt == "srt":
        return to_srt(transcript)
    indent = None if compact else 2
    return json.dumps(transcript.to_dict(), ensure_ascii=False, indent=indent)


def _print_summary(results: list[Any], failures: list[str]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(stderr=True)
    table = Table(title="Transcribed calls", title_justify="left")
    for name in ("call", "lang", "length", "roles from", "agent", "customer", "other", "took"):
        table.add_column(name, justify="right" if name in ("length", "took") else "left")
    for t, took in results:
        counts = {s: len(t.by_speaker(s)) for s in ("agent", "customer", "unknown")}
        table.add_row(
            t.call_id,
            t.language,
            f"{t.duration_s:.0f} s",
            _roles_from(t),
            str(counts["agent"]),
            str(counts["customer"]),
            str(counts["unknown"]),
            f"{took:.1f} s",
        )
    console.print(table)
    audio_s = sum(t.duration_s for t, _ in results)
    took_s = sum(took for _, took in results)
    console.print(
        f"{len(results)} call(s), {audio_s / 60:.1f} min of audio in {took_s:.0f} s; "
        f"{len(failures)} failed"
    )


def _roles_from(t: Any) -> str:
    if t.speaker_source == "diarization":
        return f"diarization ({t.role_confidence:.2f})"
    return str(t.speaker_source)


# ---------------------------------------------------------------- models


@qa.command()
@click.option("--format", "-f", "fmt", default="table", type=click.Choice(["table", "json"]))
def models(fmt: str) -> None:
    """List the Whisper models available on this machine, and where they are."""
    from qa_toolkit.speech.asr.models import list_models

    found = list_models()
    if fmt == "json":
        rows = [
            {"name": m.name, "origin": m.origin, "format": m.format, "path": str(m.path)}
            for m in found
        ]
        click.echo(json.dumps(rows, indent=2))
        return
    if not found:
        click.echo("no local Whisper models; install them with: pip install 'qa-toolkit[models]'")
        return
    width = max(len(m.name) for m in found)
    for m in found:
        click.echo(f"{m.name:<{width}}  {m.origin:<8}  {m.format:<12}  {m.path}")


def _register() -> None:
    """Add the commands that live in their own modules."""
    from qa_toolkit.cli.analytics import analyze_command, redact_command
    from qa_toolkit.cli.batch import (
        batch_command,
        export_command,
        purge_command,
        report_command,
        rescore_command,
    )
    from qa_toolkit.cli.calibrate import calibrate_command
    from qa_toolkit.cli.review import (
        appeal_group,
        cases_group,
        drivers_command,
        flagged_command,
        override_command,
        review_command,
        show_command,
    )
    from qa_toolkit.cli.scoring import rubric_group, score_command
    from qa_toolkit.cli.topics import kpi_command, taxonomy_group, topics_command
    from qa_toolkit.cli.web import serve, users_group

    qa.add_command(score_command, "score")
    qa.add_command(rubric_group, "rubric")
    qa.add_command(analyze_command, "analyze")
    qa.add_command(redact_command, "redact")
    qa.add_command(batch_command, "batch")
    qa.add_command(rescore_command, "rescore")
    qa.add_command(export_command, "export")
    qa.add_command(report_command, "report")
    qa.add_command(purge_command, "purge")
    qa.add_command(flagged_command, "flagged")
    qa.add_command(show_command, "show")
    qa.add_command(review_command, "review")
    qa.add_command(override_command, "override")
    qa.add_command(appeal_group, "appeal")
    qa.add_command(drivers_command, "drivers")
    qa.add_command(serve, "serve")
    qa.add_command(users_group, "users")
    qa.add_command(cases_group, "cases")
    qa.add_command(calibrate_command, "calibrate")
    qa.add_command(topics_command, "topics")
    qa.add_command(kpi_command, "kpi")
    qa.add_command(taxonomy_group, "taxonomy")


_register()
