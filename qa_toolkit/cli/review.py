"""Review commands: ``flagged``, ``show``, ``review``, ``override``, ``appeal``, ``drivers``,
``cases``.

Standalone click objects (``flagged_command``, ``show_command``, ``review_command``,
``override_command``, ``appeal_group``, ``drivers_command``, ``cases_group``) that the ``qa``
group registers. Data goes to stdout; errors are one line with the toolkit's
exit code (1 error, 2 usage or unknown id).
"""

from __future__ import annotations

import json
from typing import Any

import click

from qa_toolkit.cli.errors import cli_errors
from qa_toolkit.cli.store_option import store_option

_STORE = store_option()
_RUBRIC = click.option("-r", "--rubric", type=click.Path(exists=True, dir_okay=False),
                       help="Rubric the reviewer works with (its version must match).")  # fmt: skip
_FORMAT = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")


def _rubric(path: str | None) -> Any:
    if path is None:
        return None
    from qa_toolkit.rubric import load_rubric

    return load_rubric(path)


@click.command("flagged")
@_STORE
@click.option("--date", help="Calls of one day (YYYY-MM-DD).")
@click.option("--since", help="Calls on or after this day.")
@click.option("--team", help="One team.")
@click.option("--agent", "agent_id", help="One agent.")
@click.option("--status", type=click.Choice(["open", "in_review", "confirmed", "dismissed"]))
@click.option("--kind", "kinds", multiple=True, help="Only flags of this kind; repeatable.")
@click.option(
    "--sample-rate",
    type=float,
    default=None,
    help="Run the review flag rules first, sampling this share of unflagged calls.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="The sample's seed.")
@click.option(
    "--review-budget",
    "budget",
    type=float,
    default=None,
    help="Calls the team can review: a count (25) or a share of the scored calls (0.2); "
    "the highest priorities fill it, the random sample comes on top.",
)
@_FORMAT
def flagged_command(store_path: str, date: str | None, since: str | None, team: str | None,
                    agent_id: str | None, status: str | None, kinds: tuple[str, ...],
                    sample_rate: float | None, seed: int, budget: float | None,
                    fmt: str) -> None:  # fmt: skip
    """List flagged calls, most worth a review first, with why, their flags and review status."""
    from qa_toolkit.review import FlagRules, flag_calls, review_queue

    with cli_errors():
        if sample_rate is not None:
            run = flag_calls(store_path, FlagRules(sample_rate=sample_rate, seed=seed))
            click.echo(f"flag run {run.flag_run_id}: {run.calls} calls, {run.flagged} flagged, "
                       f"{run.sampled} sampled (seed {seed})", err=True)  # fmt: skip
        entries = review_queue(store_path, date=date, since=since, team=team,
                               agent_id=agent_id, status=status, kinds=kinds,
                               budget=budget)  # fmt: skip
    if fmt == "json":
        for entry in entries:
            click.echo(json.dumps(entry.to_dict(), ensure_ascii=False))
        return
    click.echo(f"{'call':<24} {'prio':>4} {'date':<10} {'team':<10} {'agent':<8} {'score':>5}  "
               f"{'status':<10} why")  # fmt: skip
    for e in entries:
        click.echo(f"{e.call_id:<24} {e.priority:>4.2f} {e.call_date:<10} {e.team:<10} "
                   f"{e.agent_id:<8} {e.score:>5.1f}  {e.status:<10} "
                   f"{e.priority_reason}")  # fmt: skip
    click.echo(f"{len(entries)} flagged call(s)", err=True)


@click.command("show")
@click.argument("call_id")
@_STORE
@_RUBRIC
@click.option("--threshold", type=float, help="Score the call must reach (default: flag_below).")
@_FORMAT
def show_command(call_id: str, store_path: str, rubric: str | None, threshold: float | None,
                 fmt: str) -> None:  # fmt: skip
    """Drill into one call: flags, failed items with evidence, counterfactual, causes."""
    from qa_toolkit.review.show import call_detail

    with cli_errors():
        detail = call_detail(store_path, call_id, rubric=_rubric(rubric), threshold=threshold)
    if fmt == "json":
        click.echo(json.dumps(detail.to_dict(), ensure_ascii=False, indent=2))
        return
    for line, style in detail.lines():
        click.echo(click.style(line, **style))


@click.command("review")
@click.argument("call_id")
@_STORE
@_RUBRIC
@click.option(
    "--status", required=True, type=click.Choice(["open", "in_review", "confirmed", "dismissed"])
)
@click.option("--reviewer", required=True, envvar="QA_REVIEWER", help="Who decides ($QA_REVIEWER).")
@click.option("--note", default="", help="Why.")
@click.option("--expect-version", type=int, help="The version you read (refuses if it moved).")
def review_command(call_id: str, store_path: str, rubric: str | None, status: str,
                   reviewer: str, note: str, expect_version: int | None) -> None:  # fmt: skip
    """Set a flagged call's review status."""
    from qa_toolkit.review import set_status

    with cli_errors():
        state = set_status(store_path, call_id, status, reviewer=reviewer, note=note,  # type: ignore[arg-type]
                           expected_version=expect_version, rubric=_rubric(rubric))  # fmt: skip
    click.echo(f"{call_id}: {state.status} by {state.reviewer} (version {state.version})")


@click.command("override")
@click.argument("call_id")
@click.argument("item_id")
@_STORE
@_RUBRIC
@click.option("--status", required=True, type=click.Choice(["pass", "fail", "na"]))
@click.option("--reason", required=True, help="Why the automatic result is wrong.")
@click.option("--reviewer", required=True, envvar="QA_REVIEWER", help="Who overrides.")
@click.option("--expect-version", type=int, help="The version you read (refuses if it moved).")
def override_command(call_id: str, item_id: str, store_path: str, rubric: str | None,
                     status: str, reason: str, reviewer: str,
                     expect_version: int | None) -> None:  # fmt: skip
    """Override one item's result; the automatic result is kept beside it."""
    from qa_toolkit.review import override_item

    with cli_errors():
        done = override_item(store_path, call_id, item_id, status, reviewer=reviewer,
                             reason=reason, expected_version=expect_version,
                             rubric=_rubric(rubric))  # fmt: skip
    click.echo(f"{call_id} {item_id}: {done.auto_status} (automatic) → {done.status} "
               f"by {done.reviewer}")  # fmt: skip


class _AppealGroup(click.Group):
    """``qa appeal CALL_ID …`` files an appeal; ``qa appeal decide …`` decides one."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["file", *args]
        return super().parse_args(ctx, args)


@click.group("appeal", cls=_AppealGroup)
def appeal_group() -> None:
    """File an agent's appeal (qa appeal CALL_ID --reason …) or decide one (qa appeal decide)."""


@appeal_group.command("file")
@click.argument("call_id")
@_STORE
@click.option("--item", "item_id", help="The contested item (default: the whole result).")
@click.option("--reason", required=True, help="The agent's reason.")
@click.option("--agent", "agent_id", help="Who appeals (default: the call's agent).")
def appeal_file_command(call_id: str, store_path: str, item_id: str | None, reason: str,
                        agent_id: str | None) -> None:  # fmt: skip
    """File an appeal."""
    from qa_toolkit.review import file_appeal

    with cli_errors():
        done = file_appeal(store_path, call_id, reason=reason, item_id=item_id, agent_id=agent_id)
    click.echo(f"appeal {done.appeal_id} filed on {call_id} by {done.agent_id}")


@appeal_group.command("decide")
@click.argument("appeal_id")
@_STORE
@click.option("--decision", required=True, type=click.Choice(["upheld", "rejected"]))
@click.option("--reason", required=True)
@click.option("--reviewer", required=True, envvar="QA_REVIEWER")
@click.option("--final/--interim", default=True, show_default=True,
              help="A final judgement locks the appeal.")  # fmt: skip
def appeal_decide_command(appeal_id: str, store_path: str, decision: str, reason: str,
                          reviewer: str, final: bool) -> None:  # fmt: skip
    """Decide an appeal."""
    from qa_toolkit.review import decide_appeal

    with cli_errors():
        done = decide_appeal(store_path, appeal_id, decision, reviewer=reviewer, reason=reason,
                             final=final)  # fmt: skip
    lock = " (final)" if done.final else ""
    click.echo(f"appeal {done.appeal_id}: {done.status}{lock} by {done.reviewer}")


@click.command("drivers")
@_STORE
@click.option(
    "--by", type=click.Choice(["team", "agent", "queue", "hour", "topic"]), default="team"
)
@click.option("--since", help="Calls on or after this day.")
@click.option("--until", help="Calls on or before this day.")
@click.option("--seed", type=int, default=0, help="Bootstrap seed.")
@_FORMAT
def drivers_command(store_path: str, by: str, since: str | None, until: str | None, seed: int,
                    fmt: str) -> None:  # fmt: skip
    """What goes with low scores and dissatisfaction (association, not cause)."""
    from dataclasses import asdict

    from qa_toolkit.review.drivers import analyse_drivers

    with cli_errors():
        report = analyse_drivers(store_path, by=by, since=since, until=until, seed=seed)
    if fmt == "json":
        click.echo(json.dumps(asdict(report), ensure_ascii=False, indent=2))
        return
    click.echo(f"{report.calls} calls by {by}; {report.note}")
    for g in report.groups:
        share = "-" if g.dissatisfied_share is None else f"{g.dissatisfied_share:.0%}"
        click.echo(f"  {g.group:<16} {g.calls:>5} calls  mean {g.mean_score:5.1f}  unhappy {share}")
    click.echo("effects on score (with − without) [95% CI]  adjusted for duration")
    for e in report.effects:
        adj = "-" if e.adjusted is None else f"{e.adjusted:+.1f}"
        click.echo(f"  {e.factor:<32} {e.diff:+6.1f} [{e.ci_low:+.1f}, {e.ci_high:+.1f}]  "
                   f"adj {adj}  n={e.n_with}/{e.n_without}")  # fmt: skip
    click.echo("Pareto of points lost")
    for item, points, cumulative in report.pareto:
        click.echo(f"  {item:<32} {points:7.1f}  {cumulative:5.0%}")


@click.group("cases")
def cases_group() -> None:
    """The case library (案例库): calls kept as good or bad examples for training."""


@cases_group.command("export")
@_STORE
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="jsonl",
              show_default=True)  # fmt: skip
@click.option("--tag", help="Only cases with this tag.")
@click.option("--example", type=click.Choice(["good", "bad"]), help="Only good or bad examples.")
@click.option("--out", type=click.Path(dir_okay=False), help="Write to this file (else stdout).")
def cases_export_command(store_path: str, fmt: str, tag: str | None, example: str | None,
                         out: str | None) -> None:  # fmt: skip
    """Export the case library with each call's (redacted) transcript, for training."""
    from pathlib import Path

    from qa_toolkit.review.coaching import export_cases

    with cli_errors():
        body = export_cases(store_path, fmt, tag=tag.lower() if tag else None, example=example)
    if out:
        Path(out).write_text(body, "utf-8")
        click.echo(f"wrote {out}", err=True)
    else:
        click.echo(body, nl=False)


COMMANDS = (flagged_command, show_command, review_command, override_command, appeal_group,
            drivers_command, cases_group)  # fmt: skip
