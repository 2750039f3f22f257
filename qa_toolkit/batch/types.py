"""The batch's records: its options, progress events, per-call outcomes and result.

Kept apart from :mod:`qa_toolkit.batch` so that a display (the CLI's progress
bar, a notebook) can use them without importing the machinery.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from qa_toolkit.batch.budget import DEFAULT_CALL_BUDGET_S
from qa_toolkit.batch.tasks import AsrSettings
from qa_toolkit.store.claims import DEFAULT_LEASE_S

# A call another batch is working on: this run leaves it to that one (see qa_toolkit.store.claims).
CLAIMED_ELSEWHERE = "claimed_elsewhere"


@dataclass(frozen=True, slots=True)
class BatchOptions:
    """How a batch runs.

    Attributes:
        asr: engine, model, language and decoding options.
        workers: worker processes (1 runs in this process).
        executor: ``local`` or ``ray``.
        address: the Ray cluster's address (``ray`` only).
        store_unredacted: keep transcripts with their personal data (phone,
            card and ID numbers…) instead of masking them before they are stored.
        acoustics: read the audio again for pitch and energy features.
        name_pattern: a filename pattern for metadata (``{agent_id}_{date}_{call_id}``).
        metadata_files: metadata tables named explicitly.
        call_budget_s: the most one call may take in one stage (transcription, then scoring);
            a call past it fails alone. ``None`` for no limit.
        claim_lease_s: how long a claim on a call holds without renewal; the run renews its
            claims every third of it, so only a batch that died lets them lapse.
    """

    asr: AsrSettings = field(default_factory=AsrSettings)
    workers: int = 1
    executor: str = "local"
    address: str | None = None
    store_unredacted: bool = False
    acoustics: bool = True
    name_pattern: str | None = None
    metadata_files: tuple[str, ...] = ()
    call_budget_s: float | None = DEFAULT_CALL_BUDGET_S
    claim_lease_s: float = DEFAULT_LEASE_S


@dataclass(frozen=True, slots=True)
class BatchProgress:
    """One step of a batch, for a progress display.

    Attributes:
        stage: ``transcribe`` or ``score``.
        done: calls finished in this stage (reused and failed included).
        total: calls this stage handles.
        failed: calls that failed in this stage so far.
        call_id: the call just finished.
        status: ``done``, ``reused``, ``failed`` or ``claimed_elsewhere`` (``started`` once,
            before the first call).
        audio_s: seconds of audio processed (not reused) in this stage so far.
        reason: why the call failed.
    """

    stage: str
    done: int
    total: int
    failed: int
    call_id: str
    status: str
    audio_s: float = 0.0
    reason: str = ""


@dataclass(frozen=True, slots=True)
class CallOutcome:
    """What a run did with one call: ``done``, ``reused``, ``failed``, ``duplicate``, or
    ``claimed_elsewhere`` (another batch was working on it; its reason names that run)."""

    call_id: str
    status: str
    stage: str = ""
    reason: str = ""
    team: str = ""
    agent_id: str = ""
    audio_s: float = 0.0
    score: float | None = None
    flags: tuple[str, ...] = ()
    transcript_reused: bool = False  # a stored transcript served (no speech recognition)


@dataclass(frozen=True, slots=True)
class BatchResult:
    """The outcome of a batch or rescore run."""

    run_id: str
    store: str
    outcomes: tuple[CallOutcome, ...]
    wall_s: float
    worker_peak_mb: tuple[tuple[str, float], ...] = ()
    metadata_problems: tuple[str, ...] = ()

    @property
    def failures(self) -> tuple[CallOutcome, ...]:
        return tuple(o for o in self.outcomes if o.status == "failed")

    @property
    def scored(self) -> tuple[CallOutcome, ...]:
        return tuple(o for o in self.outcomes if o.score is not None)

    @property
    def audio_hours(self) -> float:
        return sum(o.audio_s for o in self.outcomes if o.status != "failed") / 3600.0

    @property
    def flagged(self) -> int:
        return sum(1 for o in self.scored if o.flags)

    def flag_counts(self) -> tuple[tuple[str, int], ...]:
        """Flag kind → calls, most frequent first."""
        counts = Counter(kind for o in self.scored for kind in set(o.flags))
        return tuple(counts.most_common())

    def mean_score_by_team(self) -> tuple[tuple[str, float, int], ...]:
        """(team, mean score, calls) for each team, ``""`` for calls without one."""
        by_team: dict[str, list[float]] = defaultdict(list)
        for o in self.scored:
            assert o.score is not None
            by_team[o.team].append(o.score)
        return tuple((team, sum(v) / len(v), len(v)) for team, v in sorted(by_team.items()))


def summary_lines(result: BatchResult) -> Iterable[str]:
    """The run's headline numbers as short lines (what ``qa batch`` prints at the end)."""
    statuses = Counter(o.status for o in result.outcomes)
    # A resumed call whose transcript was stored but whose score was not is "processed", and
    # says so: its speech was not recognised again.
    resumed = sum(1 for o in result.outcomes if o.status == "done" and o.transcript_reused)
    from_stored = f" ({resumed} from stored transcripts)" if resumed else ""
    yield (
        f"{len(result.outcomes)} calls: {statuses['done']} processed{from_stored}, "
        f"{statuses['reused']} already done, {statuses['failed']} failed, "
        f"{statuses['duplicate']} duplicate{_elsewhere(statuses[CLAIMED_ELSEWHERE])}; "
        f"{result.audio_hours:.2f} h of audio in {result.wall_s:.0f} s"
    )
    kinds = ", ".join(f"{kind} {n}" for kind, n in result.flag_counts()) or "none"
    yield f"{result.flagged} flagged ({kinds})"
    for team, mean, n in result.mean_score_by_team():
        yield f"  team {team or '(none)'}: mean score {mean:.1f} over {n} call(s)"
    flagged = sorted((o for o in result.scored if o.flags), key=lambda o: o.score or 0.0)
    for o in flagged[:10]:
        yield f"  flagged {o.call_id}: {o.score:.1f} ({', '.join(o.flags)})"
    if len(flagged) > 10:
        yield f"  … and {len(flagged) - 10} more flagged call(s) (see the report)"


def _elsewhere(count: int) -> str:
    return f", {count} claimed elsewhere (another batch has them)" if count else ""
