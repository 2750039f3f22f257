"""Contact-reason commands: ``qa topics``, ``qa kpi`` and ``qa taxonomy validate|calibrate``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from qa_toolkit.cli.errors import cli_errors, report_error, root_flag
from qa_toolkit.cli.store_option import store_option
from qa_toolkit.errors import QAToolkitError

_FORMAT = click.option("--format", "-f", "fmt", type=click.Choice(["text", "json"]),
                       default="text", show_default=True)  # fmt: skip
_TAXONOMY = click.option(
    "--taxonomy",
    "-t",
    type=click.Path(dir_okay=False),
    help="Topic taxonomy to assign first (taxonomies/contact_reasons.yaml).",
)


def _read_inputs(inputs: tuple[Path, ...]) -> list[Any]:
    """Text and JSON transcripts among the inputs; recordings are skipped with a note."""
    from qa_toolkit.io.discover import find_calls
    from qa_toolkit.io.transcripts import load_transcript

    found = []
    for call in find_calls(inputs):
        if not call.is_transcript:
            report_error(f"{call.call_id}: a recording; run qa batch --store S, then "
                         "qa topics --store S")  # fmt: skip
            continue
        assert call.path is not None  # a transcript is one file
        try:
            found.append(load_transcript(call.path, call_id=call.call_id))
        except QAToolkitError as error:
            report_error(error)
    return found


@click.command("topics")
@click.argument("inputs", nargs=-1, type=click.Path(exists=True, path_type=Path))
@store_option(
    default=None,
    env=False,
    help="Store: read its calls, keep topics from day to day, save each call's topic.",
)
@click.option("--since", help="First day (default: the store's last day with calls).")
@click.option("--until", help="Last day (default: the store's last day with calls).")
@_TAXONOMY
@click.option(
    "--threshold",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    help="Similarity a call needs for a taxonomy topic (default: the taxonomy's).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Clustering seed.")
@click.option("--min-size", type=click.IntRange(2), help="Fewest calls for a new topic.")
@click.option("--max-topics", type=click.IntRange(2, 100), default=20, show_default=True)
@click.option(
    "--window",
    "window_days",
    type=click.FloatRange(0, min_open=True),
    default=7.0,
    show_default=True,
    help="Days after a call in which a contact is a repeat.",
)
@click.option(
    "--save/--no-save", default=True, show_default=True, help="Store the topics (with --store)."
)
@click.option(
    "--promote",
    "promote",
    metavar="TOPIC",
    help="Add a discovered topic to the --taxonomy file instead.",
)
@click.option("--as", "new_id", metavar="ID", help="The promoted topic's id in the taxonomy.")
@_FORMAT
def topics_command(inputs: tuple[Path, ...], store_path: str | None, since: str | None,
                   until: str | None, taxonomy: str | None, threshold: float | None, seed: int,
                   min_size: int | None, max_topics: int, window_days: float, save: bool,
                   promote: str | None, new_id: str | None, fmt: str) -> None:  # fmt: skip
    """Why customers called: contact reasons of a day's or a week's calls.

    Reads INPUTS (text or JSON transcripts), or the calls of --store from --since to
    --until. Topics are named in English and Chinese, with key phrases and example calls;
    with --store they stay from day to day, each call's topic is saved, and a call the same
    customer called back about within --window days is flagged repeat_contact.
    """
    from qa_toolkit.topics.discover import DiscoveryOptions

    if promote:
        _promote(store_path, promote, taxonomy, new_id)
        return
    if not inputs and not store_path:
        raise click.UsageError("give transcripts, or --store")
    options = DiscoveryOptions(seed=seed, min_size=min_size, max_topics=max_topics)
    with cli_errors():
        transcripts = _read_inputs(inputs) if inputs else []
        if inputs and not transcripts:
            raise click.UsageError("no transcripts among the inputs")
        if store_path:
            from qa_toolkit.topics.service import run_topics

            result = run_topics(store_path, since=since, until=until, taxonomy=taxonomy,
                                threshold=threshold, options=options, transcripts=transcripts,
                                window_days=window_days, save=save)  # fmt: skip
            data = result.to_dict()
        else:
            from qa_toolkit.topics.service import topics_of

            run = topics_of(transcripts, taxonomy=taxonomy, threshold=threshold, options=options)
            data, result = run.to_dict(), None
    if fmt == "json":
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    _print_topics(data)
    if result is not None and not root_flag("quiet"):
        missing = f"; {len(result.not_in_store)} not in the store" if result.not_in_store else ""
        click.echo(f"saved {result.saved} calls' topics{missing}; {result.keys} contact keys; "
                   f"{len(result.repeats)} repeat contacts flagged", err=True)  # fmt: skip


def _print_topics(data: dict[str, Any]) -> None:
    calls = len(data["calls"])
    click.echo(f"{calls} calls, {len(data['topics'])} topics, {data['unassigned']} unassigned")
    for t in data["topics"]:
        mark = " (new)" if t["new"] else ""
        click.echo(f"{t['id']:<18} {t['calls']:>5} {t['share']:>6.1%}  {t['name']['en']} / "
                   f"{t['name']['zh']}{mark}")  # fmt: skip
        if t["key_phrases"]:
            click.echo(f"{'':<18} key phrases: {', '.join(t['key_phrases'][:8])}")
        for example in t["examples"][:2]:
            click.echo(f"{'':<18} e.g. {example['call_id']}: {example['quote']}")


def _promote(store_path: str | None, topic: str, taxonomy: str | None, new_id: str | None) -> None:
    if not store_path or not taxonomy:
        raise click.UsageError("--promote needs --store and --taxonomy")
    from qa_toolkit.topics.promote import promote_topic

    with cli_errors():
        written = promote_topic(store_path, topic, taxonomy, new_id=new_id)
    click.echo(
        f"{taxonomy}: added {new_id or topic}; now {written.id} v{written.version} with "
        f"{len(written.topics)} topics. Edit its title and examples before it goes live."
    )


@click.command("kpi")
@store_option()
@click.option("--since", help="First day (default: --days up to the last day with calls).")
@click.option("--until", help="Last day (default: the last day with calls).")
@click.option("--days", type=click.IntRange(1, 366), default=7, show_default=True)
@click.option(
    "--window",
    "window_days",
    type=click.FloatRange(0, min_open=True),
    default=7.0,
    show_default=True,
    help="Repeat-contact window, days.",
)
@_FORMAT
def kpi_command(store_path: str, since: str | None, until: str | None, days: int,
                window_days: float, fmt: str) -> None:  # fmt: skip
    """FCR, escalation, satisfaction, handle time, latency, hold and the topic table, each
    beside the period before."""
    from qa_toolkit.topics.kpi import kpi_report

    with cli_errors():
        report = kpi_report(store_path, since=since, until=until, days=days,
                            window_days=window_days)  # fmt: skip
    if fmt == "json":
        click.echo(json.dumps(_kpi_json(report), ensure_ascii=False, indent=2))
        return
    click.echo(f"{report.period} ({report.calls} calls) against {report.previous} "
               f"({report.previous_calls} calls)")  # fmt: skip
    for k in report.kpis:
        click.echo(f"  {k.label:<34} {_shown(k.value, k.unit):>9}  before "
                   f"{_shown(k.previous, k.unit):>9}")  # fmt: skip
    if report.fcr_open:
        click.echo(f"  FCR is provisional: {report.fcr_open} calls are within {window_days:g} "
                   "days of the last call seen")  # fmt: skip
    click.echo("topics (calls, share, change, dissatisfied, mean score, escalation)")
    for h in report.topics:
        rising = "  RISING" if h.rising else ""
        click.echo(
            f"  {h.topic_id:<18} {h.calls:>5} {h.share:>6.1%} {h.change:+5d} "
            f"{_shown(h.dissatisfied_share, '%'):>6} {_shown(h.mean_score, ''):>6} "
            f"{_shown(h.escalation_rate, '%'):>6}  {h.name.get('en', '')}{rising}"
        )


def _shown(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    if unit == "%":
        return f"{value:.1%}"
    return f"{value:.1f} s" if unit == "s" else f"{value:.2f}"


def _kpi_json(report: Any) -> dict[str, Any]:
    from dataclasses import asdict

    return {
        "period": asdict(report.period), "previous": asdict(report.previous),
        "calls": report.calls, "previous_calls": report.previous_calls,
        "kpis": [{"key": k.key, "label": k.label, "value": k.value, "previous": k.previous,
                  "change": k.change, "unit": k.unit, "better": k.better,
                  "daily": [list(d) for d in k.daily]} for k in report.kpis],
        "fcr_open": report.fcr_open,
        "fcr_by_team": [asdict(g) | {"rate": g.rate} for g in report.fcr_by_team],
        "fcr_by_agent": [asdict(g) | {"rate": g.rate} for g in report.fcr_by_agent],
        "fcr_by_topic": [asdict(g) | {"rate": g.rate} for g in report.fcr_by_topic],
        "by_hour": [list(h) for h in report.by_hour],
        "by_channel": [list(c) for c in report.by_channel],
        "topics": [asdict(h) | {"change": h.change} for h in report.topics],
    }  # fmt: skip


@click.group("taxonomy")
def taxonomy_group() -> None:
    """Check and tune topic taxonomy files."""


@taxonomy_group.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path())
def taxonomy_validate(files: tuple[str, ...]) -> None:
    """Validate taxonomy files; list every problem with its line and column."""
    from qa_toolkit.topics.taxonomy import TaxonomyError, load_taxonomy

    bad = False
    for path in files:
        try:
            found = load_taxonomy(path)
        except TaxonomyError as error:
            bad = True
            for problem in error.problems:
                click.echo(str(problem), err=True)
            continue
        click.echo(f"{path}: ok ({found.id} v{found.version}: {len(found.topics)} topics, "
                   f"threshold {found.threshold:g})")  # fmt: skip
    if bad:
        raise SystemExit(1)


@taxonomy_group.command("calibrate")
@click.argument("taxonomy_path", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--labels",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="CSV with call_id,topic (other: none of the topics).",
)
@store_option(
    exists=True,
    default=None,
    env=False,
    help="Read the labelled calls' transcripts from this store.",
)
@click.option(
    "--calls",
    "calls_dir",
    type=click.Path(exists=True, path_type=Path),
    help="Or from these transcripts.",
)
@click.option("--folds", type=click.IntRange(2, 20), default=5, show_default=True)
@click.option("--write", is_flag=True, help="Write the tuned threshold into the taxonomy file.")
@_FORMAT
def taxonomy_calibrate(
    taxonomy_path: str,
    labels: str,
    store_path: str | None,
    calls_dir: Path | None,
    folds: int,
    write: bool,
    fmt: str,
) -> None:
    """Tune the taxonomy's threshold on calls a team labelled (cross-validated accuracy)."""
    from qa_toolkit.topics.assign import TopicAssigner
    from qa_toolkit.topics.promote import set_threshold
    from qa_toolkit.topics.taxonomy import load_taxonomy
    from qa_toolkit.topics.tuning import load_labels, tune_threshold

    if (store_path is None) == (calls_dir is None):
        raise click.UsageError("give exactly one of --store and --calls")
    with cli_errors():
        taxonomy = load_taxonomy(taxonomy_path)
        wanted = load_labels(labels, taxonomy.ids)
        if store_path:
            from qa_toolkit.store import Filters, Store

            with Store(store_path, create=False) as store:
                chosen = Filters(call_ids=tuple(wanted), latest=False)
                calls = [s.transcript for s in store.stored_transcripts(chosen)]
        else:
            assert calls_dir is not None
            calls = _read_inputs((calls_dir,))
        fit = tune_threshold(TopicAssigner(taxonomy), calls, wanted, folds=folds)
        if write:
            set_threshold(taxonomy_path, fit.threshold)
    if fmt == "json":
        click.echo(json.dumps(fit.to_dict(), indent=2))
        return
    click.echo(f"{fit.calls} labelled calls, {fit.folds}-fold cross-validation")
    click.echo(f"  tuned threshold {fit.threshold:.2f}: accuracy {fit.accuracy:.1%} out of fold, "
               f"coverage {fit.coverage:.1%}")  # fmt: skip
    click.echo(f"  current threshold {fit.current_threshold:.2f}: accuracy "
               f"{fit.current_accuracy:.1%}; majority label {fit.majority:.1%}")  # fmt: skip
    if write:
        click.echo(f"  written to {taxonomy_path} (version raised)")


COMMANDS = (topics_command, kpi_command, taxonomy_group)
