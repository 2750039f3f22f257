"""``qa topics``: find the contact reasons of stored (or given) calls, store them, link repeats.

One run reads the calls of a day or a period, assigns the taxonomy's topics when one is given,
discovers the rest against the topics found on earlier days (:mod:`qa_toolkit.topics.discover`),
and, with a store, saves every call's topic and evidence, the topics and their embedding space,
the calls' hashed contact keys, and a ``repeat_contact`` flag on each call the same customer
called back about within the window (:mod:`qa_toolkit.topics.fcr`).

Example:
    >>> result = run_topics("qa.db", since="2026-11-15", taxonomy="taxonomies/contact_reasons.yaml")
    >>> result.run.to_dict()["topics"][0]["name"]  # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from qa_toolkit.errors import UsageError
from qa_toolkit.progress import Progress
from qa_toolkit.review.workflow import StoreLike, opened
from qa_toolkit.store import Filters, Store, StoredTranscript
from qa_toolkit.store import reviews as review_sql
from qa_toolkit.store import topics as topic_sql
from qa_toolkit.store.connection import transaction, utc_now
from qa_toolkit.topics.assign import TopicAssigner
from qa_toolkit.topics.contacts import (
    ContactKey,
    contact_salt,
    metadata_keys,
    transcript_keys,
    unique,
)
from qa_toolkit.topics.discover import (
    DEFAULT_OPTIONS,
    DiscoveryOptions,
    FoundTopic,
    KnownTopic,
    TopicRun,
    TopicSpace,
    find_topics,
)
from qa_toolkit.topics.fcr import DEFAULT_WINDOW_DAYS, RepeatLink, link_repeats
from qa_toolkit.topics.kpi import contact_call
from qa_toolkit.topics.period import period
from qa_toolkit.topics.taxonomy import Taxonomy, load_taxonomy
from qa_toolkit.topics.text import opening
from qa_toolkit.types import Transcript

logger = logging.getLogger(__name__)

REPEAT_KIND = "repeat_contact"
PRODUCER = "qa_toolkit.topics"


@dataclass(frozen=True, slots=True)
class TopicsResult:
    """What a run found and, with a store, what it saved."""

    run: TopicRun
    since: str = ""
    until: str = ""
    saved: int = 0
    not_in_store: tuple[str, ...] = ()
    keys: int = 0
    repeats: tuple[RepeatLink, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, object]:
        """The ``qa topics --format json`` object."""
        out = self.run.to_dict()
        out["period"] = {"since": self.since, "until": self.until}
        out["repeats"] = [
            {"call_id": r.call_id, "repeat_call_id": r.repeat_call_id,
             "gap_hours": round(r.gap_s / 3600, 1), "topic": r.topic_id}
            for r in self.repeats
        ]  # fmt: skip
        return out


def _taxonomy(taxonomy: Taxonomy | str | Path | None) -> Taxonomy | None:
    if taxonomy is None or isinstance(taxonomy, Taxonomy):
        return taxonomy
    return load_taxonomy(taxonomy)


def topics_of(
    transcripts: Sequence[Transcript],
    *,
    taxonomy: Taxonomy | str | Path | None = None,
    threshold: float | None = None,
    options: DiscoveryOptions = DEFAULT_OPTIONS,
) -> TopicRun:
    """The topics of some calls, without a store (nothing is remembered between runs).

    Example:
        >>> run = topics_of([load_transcript(p) for p in paths])  # doctest: +SKIP
    """
    chosen = _taxonomy(taxonomy)
    assigner = TopicAssigner(chosen, threshold=threshold, model=options.model) if chosen else None
    ignore = chosen.ignore if chosen else ()
    return find_topics([opening(t, ignore=ignore) for t in transcripts], assigner=assigner,
                       options=options)  # fmt: skip


def run_topics(
    store: StoreLike,
    *,
    since: str | None = None,
    until: str | None = None,
    taxonomy: Taxonomy | str | Path | None = None,
    threshold: float | None = None,
    options: DiscoveryOptions = DEFAULT_OPTIONS,
    transcripts: Sequence[Transcript] = (),
    window_days: float = DEFAULT_WINDOW_DAYS,
    save: bool = True,
    progress: Progress | None = None,
) -> TopicsResult:
    """Find, store and link the contact reasons of stored calls.

    Args:
        store: the store or its path.
        since: the first day (default: the last day with calls).
        until: the last day (default: the last day with calls).
        taxonomy: a taxonomy (or its file) to assign first.
        threshold: the taxonomy's similarity threshold, overridden.
        options: discovery settings.
        transcripts: read these instead of the stored transcripts (raw text transcripts:
            numbers the customer says become contact keys before anything is redacted).
            Calls not in the store are reported, not saved.
        window_days: the repeat-contact window.
        save: store the results (False: report only).
        progress: called as ``progress("topics", done, total)``.

    Raises:
        UsageError: a bad day, or no calls to read.
    """
    chosen = _taxonomy(taxonomy)
    with opened(store) as st:
        span = period(since, until, topic_sql.last_call_day(st.conn), 1)
        calls = list(transcripts) or [
            s.transcript for s in st.stored_transcripts(Filters(since=span.since, until=span.until))
        ]
        if not calls:
            raise UsageError(f"no calls to read from {span}",
                             fix="give --since/--until days with calls, or INPUTS")  # fmt: skip
        if progress:
            progress("topics", 0, len(calls))
        run = _find(st, calls, chosen, threshold, options)
        if progress:
            progress("topics", len(calls), len(calls))
        if not save:
            return TopicsResult(run, span.since, span.until)
        known = set(topic_sql.call_metadata_rows(st.conn, [c.call_id for c in calls]))
        saved = _save(st, run, chosen, threshold, options, known, span.since)
        keys = _save_keys(st, calls, known, raw=bool(transcripts))
        repeats = flag_repeats(st, span.since, span.until, window_days=window_days)
    missing = tuple(sorted({c.call_id for c in calls} - known))
    return TopicsResult(run, span.since, span.until, saved, missing, keys, tuple(repeats))


def _find(
    st: Store,
    calls: Sequence[Transcript],
    taxonomy: Taxonomy | None,
    threshold: float | None,
    options: DiscoveryOptions,
) -> TopicRun:
    space_row = topic_sql.load_space(st.conn)
    space = None
    if space_row is not None:
        space = TopicSpace(space_row[0], {k: tuple(v) for k, v in space_row[1].items()})
    known = [
        KnownTopic(t.topic_id, t.centroid, t.radius or 0.0, t.name, t.status)
        for t in topic_sql.topic_rows(st.conn, "discovered")
        if t.centroid is not None
    ]
    numbers = [int(t.topic_id[1:]) for t in known if t.topic_id[1:].isdigit()]
    assigner = TopicAssigner(taxonomy, threshold=threshold, model=options.model) if taxonomy \
        else None  # fmt: skip
    ignore = taxonomy.ignore if taxonomy else ()
    openings = [opening(t, ignore=ignore) for t in calls]
    return find_topics(openings, known=known, space=space, assigner=assigner, options=options,
                       next_number=max(numbers, default=0) + 1)  # fmt: skip


def _producer(taxonomy: Taxonomy | None, threshold: float | None, options: DiscoveryOptions
              ) -> dict[str, Any]:  # fmt: skip
    from qa_toolkit import __version__

    return {
        "stage": "topics", "module": PRODUCER, "model": options.model, "seed": options.seed,
        "taxonomy": taxonomy.identity() if taxonomy else None,
        "threshold": threshold if threshold is not None else (
            taxonomy.threshold if taxonomy else None),
        "toolkit": __version__,
    }  # fmt: skip


def _redacted(text: str) -> str:
    """Quotes kept with topics are redacted whatever the stored transcript was."""
    from qa_toolkit.privacy import redact_text

    return redact_text(text)


def _save(
    st: Store,
    run: TopicRun,
    taxonomy: Taxonomy | None,
    threshold: float | None,
    options: DiscoveryOptions,
    known: set[str],
    first_day: str,
) -> int:
    producer = _producer(taxonomy, threshold, options)
    keys = _stored(st, known)
    rows = []
    for call in run.calls:
        if call.call_id not in known:
            continue
        evidence = call.evidence.to_dict() if call.evidence else {}
        if evidence:
            evidence["quote"] = _redacted(evidence["quote"])
        stored = keys.get(call.call_id)
        rows.append(topic_sql.CallTopicRow(
            call.call_id, call.topic_id or "", call.source, call.similarity, evidence, producer,
            stored.transcript_key if stored else "",
        ))  # fmt: skip
    tag = f"{taxonomy.id}@{taxonomy.version}" if taxonomy else ""
    with transaction(st.conn, st.where) as conn:
        topic_sql.save_space(conn, run.space.model, run.space.means)
        topic_sql.save_topics(conn, [_topic_row(t, tag, first_day) for t in run.topics])
        topic_sql.save_call_topics(conn, rows)
    return len(rows)


def _stored(st: Store, call_ids: set[str]) -> dict[str, StoredTranscript]:
    """The stored transcripts of these calls (none for no calls: an empty filter means all)."""
    if not call_ids:
        return {}
    chosen = Filters(call_ids=tuple(sorted(call_ids)))
    return {s.call_id: s for s in st.stored_transcripts(chosen)}


def _topic_row(topic: FoundTopic, taxonomy: str, first_day: str) -> topic_sql.TopicRow:
    return topic_sql.TopicRow(
        topic.topic_id, topic.source, topic.status, dict(topic.name),
        {k: list(v) for k, v in topic.key_phrases.items()},
        [{"call_id": c, "quote": _redacted(q)} for c, q in topic.examples],
        topic.centroid, topic.radius, taxonomy if topic.source == "taxonomy" else "", first_day,
    )  # fmt: skip


def _save_keys(st: Store, calls: Sequence[Transcript], known: set[str], *, raw: bool) -> int:
    """Hash the customer's keys of each stored call: from its metadata, and from what the
    customer says when the text is raw (given, or stored without redaction)."""
    if not known:
        return 0
    salt = contact_salt(None if st.is_server else st.path)
    meta = topic_sql.call_metadata_rows(st.conn, sorted(known))
    stored = _stored(st, known)
    rows = []
    for call in calls:
        if call.call_id not in known:
            continue
        found: list[ContactKey] = []
        info = meta[call.call_id]
        extra = (info.get("metadata") or {}).get("extra") or {}
        found += metadata_keys(salt, str(info.get("customer_id") or ""), extra)
        text_is_raw = raw or (call.call_id in stored and stored[call.call_id].redaction == "none")
        if text_is_raw:
            found += transcript_keys(salt, call)
        rows += [(call.call_id, k.key, k.kind, k.source) for k in unique(found)]
    with transaction(st.conn, st.where) as conn:
        topic_sql.save_contact_keys(conn, rows)
    return len(rows)


def flag_repeats(
    store: StoreLike, since: str, until: str, *, window_days: float = DEFAULT_WINDOW_DAYS
) -> list[RepeatLink]:
    """Flag ``repeat_contact`` on each call of the period the customer called back about.

    The calls of the period are linked with those up to a window after it; a flag already
    raised stays as it was.
    """
    with opened(store) as st:
        end = (datetime.fromisoformat(until) + timedelta(days=window_days + 1)).date()
        rows = topic_sql.contact_rows(st.conn, since, end.isoformat())
        calls = [c for c in (contact_call(r) for r in rows) if c is not None]
        links = link_repeats(calls, window_days=window_days)
        days = {r.call_id: r.call_date for r in rows}
        chosen = [links[c] for c in sorted(links) if since <= days[c] <= until]
        scored = {c: _latest_score(st, c) for c in (link.call_id for link in chosen)}
        flags = [(scored[link.call_id], REPEAT_KIND, link.reason()) for link in chosen
                 if scored[link.call_id]]  # fmt: skip
        if flags:
            _record(st, flags, window_days, len(rows))
    return chosen


def _latest_score(st: Store, call_id: str) -> str:
    row = review_sql.latest_score_row(st.conn, call_id)
    return str(row["score_key"]) if row is not None else ""


def _record(st: Store, flags: list[tuple[str, str, str]], window_days: float, calls: int) -> None:
    raised = {(r["score_key"], r["kind"]) for r in
              review_sql.score_flag_rows(st.conn, [f[0] for f in flags])}  # fmt: skip
    flags = [f for f in flags if (f[0], f[1]) not in raised]
    if not flags:
        return  # every one is flagged already: no empty flagging pass on record
    rules = {"rule": REPEAT_KIND, "window_days": window_days, "same_topic": True}
    run = {"flag_run_id": f"fr-{uuid.uuid4().hex[:10]}", "rules": json.dumps(rules),
           "sample_rate": 0.0, "seed": 0, "calls": calls, "flagged": len(flags), "sampled": 0,
           "created_at": utc_now()}  # fmt: skip
    with transaction(st.conn, st.where) as conn:
        review_sql.record_flag_run(conn, run, flags)


def stored_topics(store: StoreLike) -> list[topic_sql.TopicRow]:
    """Every stored topic."""
    with opened(store) as st:
        return topic_sql.topic_rows(st.conn)


def topic_of_calls(store: StoreLike, call_ids: Sequence[str]) -> Mapping[str, str]:
    """Call id → its stored topic id ('' when unassigned; absent when never read)."""
    with opened(store) as st:
        return {k: v.topic_id for k, v in topic_sql.call_topic_rows(st.conn, call_ids).items()}


__all__ = [
    "REPEAT_KIND",
    "TopicsResult",
    "flag_repeats",
    "run_topics",
    "stored_topics",
    "topic_of_calls",
    "topics_of",
]
