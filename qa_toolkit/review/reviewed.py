"""The reviewed score: the call as its reviewers judged it, the machine's score kept beside.

A reviewer's verdict on an item (``qa override``) and an agent's item appeal
that a reviewer upholds replace the machine's verdict on that item; the call is
then re-totalled by the scoring engine's own arithmetic
(:func:`qa_toolkit.scoring.totals.with_verdicts`) with the rubric's points,
weights, bands and ``flag_below``. That reviewed score is the score everywhere
(``qa show``, exports, ``Store.scores()``, the queue, reports, the web app);
the machine's stays in ``auto_score`` and in the store's ``scores`` row.

Which verdicts are in force is read from the audit log, oldest first: the
newest applied override of an item wins over older ones; an upheld item appeal
passes the item; a later decision of the same appeal (an interim ``upheld``
turned ``rejected``) takes its verdict back, leaving whatever held before it.
Conflicting entries (a writer who lost a race) are never in force. An appeal of
the whole result carries no item verdict and leaves the score as it is.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable
from pathlib import Path

from qa_toolkit.review.records import AuditEntry
from qa_toolkit.rubric.schema import Rubric
from qa_toolkit.scoring.totals import Verdict, with_verdicts
from qa_toolkit.scoring.types import ScoreTerms
from qa_toolkit.store import Store
from qa_toolkit.store.reviews import review_rows, save_reviewed, score_run
from qa_toolkit.store.reviews import score_terms as stored_terms

# Used only when neither the caller, the store nor the scoring run's rubric gives a threshold.
DEFAULT_THRESHOLD = 70.0


def verdicts_in_force(entries: Iterable[AuditEntry], score_key: str) -> dict[str, Verdict]:
    """Item id → the reviewer's verdict in force on a score, oldest given first.

    Args:
        entries: the call's audit log, oldest first (conflicts are skipped).
        score_key: the score the verdicts must be about (a re-score starts afresh).
    """
    stacks: dict[str, list[tuple[int, str, Verdict]]] = {}
    for n, e in enumerate(entries):
        if e.conflict or e.score_key != score_key or not e.item_id:
            continue
        stack = stacks.setdefault(e.item_id, [])
        if e.action == "override":
            by = f"override of {e.item_id} by {e.reviewer}"
            stack.append((n, "", Verdict(e.item_id, e.status, by, e.comment)))  # type: ignore[arg-type]
        elif e.action == "appeal_decided":
            appeal_id = str(json.loads(dict(e.detail).get("appeal_id", '""')))
            stack[:] = [x for x in stack if x[1] != appeal_id]
            if e.status == "upheld":
                by = f"upheld appeal {appeal_id} on {e.item_id} by {e.reviewer}"
                stack.append((n, appeal_id, Verdict(e.item_id, "pass", by, e.comment)))
    newest = sorted((stack[-1] for stack in stacks.values() if stack), key=lambda x: x[0])
    return {verdict.item_id: verdict for _, _, verdict in newest}


def retotaller(
    store: Store, call_id: str, score_key: str, rubric: Rubric | None = None
) -> Callable[[sqlite3.Connection, AuditEntry], None]:
    """What re-totals a call's score after a review action, inside that action's transaction.

    The machine's score and the rubric's terms are read first (they never change); the
    verdicts in force are read inside the transaction, the action just appended included,
    and the reviewed score is written there (or removed, when no verdict changes an item).
    """
    machine, _ = store.call_score(score_key, reviewed=False)
    terms = score_terms(store, score_key, rubric)

    def retotal(conn: sqlite3.Connection, entry: AuditEntry) -> None:
        log = [AuditEntry.from_row(r) for r in review_rows(conn, call_id)]
        reviewed = with_verdicts(machine, verdicts_in_force(log, score_key), terms)
        save_reviewed(conn, score_key, reviewed, review_id=entry.review_id, when=entry.created_at)

    return retotal


def score_terms(store: Store, score_key: str, rubric: Rubric | None = None) -> ScoreTerms:
    """The bands and ``flag_below`` a stored score is judged by.

    The terms stored with the score; for a score stored before they were kept, the
    reviewer's ``rubric`` (already checked to be the score's), else the scoring run's rubric
    file when it is still the same id and version, else the default bands and threshold 70.
    """
    found = stored_terms(store.conn, score_key)
    if found is not None:
        return found
    used = rubric or run_rubric(store, score_key)
    if used is not None:
        return used.terms
    from qa_toolkit.rubric.builder import DEFAULT_BANDS

    bands = tuple(sorted(DEFAULT_BANDS.items(), key=lambda kv: -kv[1]))
    return ScoreTerms(bands, DEFAULT_THRESHOLD)


def run_rubric(store: Store, score_key: str) -> Rubric | None:
    """The rubric file the scoring run used, if it is still there with the score's id and
    version (an edited or moved file is no source)."""
    row = score_run(store.conn, score_key)
    path = row[0].get("rubric") if row else None
    if not path or not Path(path).is_file():
        return None
    from qa_toolkit.rubric import load_rubric

    try:
        used = load_rubric(path)
    except Exception:  # a rubric edited since may no longer load; it is then no source
        return None
    return used if row and (used.id, str(used.version)) == row[1:] else None
