"""The results store: every call's transcript, features, score and flags, and every run.

Each stage's output is kept under a key made of the content hash of its input
and the identity of what produced it (see :mod:`qa_toolkit.batch`), so a run
that stops halfway and starts again finds what is done and does only the rest.
Writes are one transaction per call and stage.
"""

from __future__ import annotations

import json
import logging
import socket
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from qa_toolkit.errors import StoreError
from qa_toolkit.io.metadata import CallMetadata
from qa_toolkit.scoring.types import CallScore, ScoreTerms
from qa_toolkit.store import coaching, records, search
from qa_toolkit.store.connection import connect, current_version, transaction, utc_now
from qa_toolkit.store.location import StoreLocation, parse_location
from qa_toolkit.store.records import FailureRow, Filters, FlagRow, ItemRow, RunRow, ScoreRow
from qa_toolkit.store.scrub import ScrubCounts, scrub_store
from qa_toolkit.store.scrub import compact as compact_store
from qa_toolkit.types import Transcript

if TYPE_CHECKING:
    import sqlite3

    import pandas as pd

logger = logging.getLogger(__name__)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True, slots=True)
class CallRecord:
    """A call as the store keeps it: its input, the hash of that input, and its metadata."""

    call_id: str
    input_hash: str
    kind: str
    files: tuple[str, ...]
    metadata: CallMetadata


@dataclass(frozen=True, slots=True)
class StoredTranscript:
    """A call's current transcript and the key it is stored under."""

    call_id: str
    transcript_key: str
    redaction: str
    files: tuple[str, ...]
    transcript: Transcript
    team: str = ""
    agent_id: str = ""


class Store:
    """A results store, created and migrated on open: a SQLite file (WAL mode) or a
    PostgreSQL database.

    A ``Store`` holds one connection: use one per thread or process. Several
    processes (on several machines, with PostgreSQL) may write one store at once;
    each write waits its turn.

    Args:
        path: the store file (created if missing), a ``postgresql://`` URL, or None
            for ``$QA_STORE`` (else ``qa.db``).
        timeout_s: how long a write waits for another writer before failing.

    Raises:
        StoreError: the file cannot be opened as a store; the server cannot be
            reached or refuses the login; a URL of another kind of database.
        SchemaVersionError: the store is from a newer toolkit, or not a store.

    Example:
        >>> store = Store("qa.db")  # doctest: +SKIP
        >>> store.scores(date="2026-11-21", team="billing")[["call_id", "score"]]
    """

    def __init__(
        self,
        path: str | Path | StoreLocation | None = None,
        *,
        timeout_s: float = 60.0,
        create: bool = True,
    ) -> None:
        self.location = parse_location(path)
        self._conn: sqlite3.Connection | None = connect(
            self.location, timeout_s=timeout_s, create=create
        )

    @property
    def path(self) -> Path:
        """The SQLite file; on PostgreSQL, the URL (password masked) as a name only."""
        return self.location.path or Path(self.location.display)

    @property
    def where(self) -> str:
        """What messages name this store by: the file, or the URL with the password masked."""
        return self.location.display

    @property
    def is_server(self) -> bool:
        """True on PostgreSQL."""
        return self.location.is_server

    # ------------------------------------------------------------ lifecycle

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError(f"{self.where}: the store is closed", fix="open a new Store")
        return self._conn

    def close(self) -> None:
        """Close the connection (the file stays consistent at every point anyway)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        """The schema version of the open store."""
        return current_version(self.conn, self.where)

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with transaction(self.conn, self.where) as conn:
            yield conn

    # ------------------------------------------------------------ runs

    def start_run(
        self,
        command: str,
        inputs: Sequence[str],
        options: Mapping[str, Any],
        *,
        rubric_id: str | None = None,
        rubric_version: str | None = None,
    ) -> str:
        """Record the start of a run and return its id."""
        from qa_toolkit import __version__

        started = utc_now()
        run_id = f"{started[:19].replace('-', '').replace(':', '')}-{uuid.uuid4().hex[:6]}"
        with self._write() as conn:
            conn.execute(
                "INSERT INTO runs (run_id, command, started_at, status, inputs, rubric_id, "
                "rubric_version, toolkit_version, options, host) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (run_id, command, started, "running", _json(list(inputs)), rubric_id,
                 rubric_version, __version__, _json(dict(options)), socket.gethostname()),
            )  # fmt: skip
        return run_id

    def finish_run(self, run_id: str, *, status: str, calls: int, failures: int) -> None:
        """Record how a run ended (``done``, ``failed`` or ``interrupted``)."""
        with self._write() as conn:
            conn.execute(
                "UPDATE runs SET finished_at = ?, status = ?, calls = ?, failures = ? "
                "WHERE run_id = ?",
                (utc_now(), status, calls, failures, run_id),
            )

    def record_call(
        self,
        run_id: str,
        call_id: str,
        status: str,
        *,
        stage: str = "",
        error_type: str = "",
        reason: str = "",
        files: Sequence[str] = (),
        transcript_key: str | None = None,
        score_key: str | None = None,
    ) -> None:
        """Record what a run did with a call: ``done``, ``reused``, ``failed`` or ``duplicate``."""
        with self._write() as conn:
            conn.execute(
                "INSERT INTO run_calls (run_id, call_id, status, stage, error_type, reason, files, "
                "transcript_key, score_key, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?) "
                "ON CONFLICT (run_id, call_id) DO UPDATE SET status = excluded.status, "
                "stage = excluded.stage, error_type = excluded.error_type, "
                "reason = excluded.reason, transcript_key = excluded.transcript_key, "
                "score_key = excluded.score_key, updated_at = excluded.updated_at",
                (run_id, call_id, status, stage, error_type, reason, _json(list(files)),
                 transcript_key, score_key, utc_now()),
            )  # fmt: skip

    # ------------------------------------------------------------ calls and stages

    def save_call(self, run_id: str, call: CallRecord) -> None:
        """Insert or update a call and its metadata."""
        meta = call.metadata
        start = meta.start_time.isoformat() if meta.start_time else None
        with self._write() as conn:
            conn.execute(
                "INSERT INTO calls (call_id, input_hash, kind, files, agent_id, team, queue, "
                "customer_id, start_time, call_date, metadata, first_run_id, updated_at) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (call_id) DO UPDATE SET "
                "input_hash = excluded.input_hash, kind = excluded.kind, files = excluded.files, "
                "agent_id = excluded.agent_id, team = excluded.team, queue = excluded.queue, "
                "customer_id = excluded.customer_id, start_time = excluded.start_time, "
                "call_date = excluded.call_date, metadata = excluded.metadata, "
                "updated_at = excluded.updated_at",
                (call.call_id, call.input_hash, call.kind, _json(list(call.files)), meta.agent_id,
                 meta.team, meta.queue, meta.customer_id, start, meta.call_date,
                 _json(meta.to_dict()), run_id, utc_now()),
            )  # fmt: skip

    def has(self, table: str, key: str) -> bool:
        """Whether a stage output is stored: ``table`` is transcripts, features or scores."""
        column = {"transcripts": "transcript_key", "features": "features_key",
                  "scores": "score_key"}[table]  # fmt: skip
        sql = f"SELECT 1 FROM {table} WHERE {column} = ?"
        return self.conn.execute(sql, (key,)).fetchone() is not None

    def load_transcript(self, transcript_key: str) -> tuple[Transcript, str] | None:
        """A stored transcript and its redaction, by key; None when absent."""
        row = self.conn.execute(
            "SELECT body, redaction FROM transcripts WHERE transcript_key = ?", (transcript_key,)
        ).fetchone()
        if row is None:
            return None
        return Transcript.from_dict(json.loads(row["body"]), origin=self.where), row["redaction"]

    def save_transcript(
        self,
        run_id: str,
        transcript_key: str,
        call: CallRecord,
        transcript: Transcript,
        *,
        producer: Mapping[str, Any],
        redaction: str,
    ) -> None:
        """Store a call's transcript (replacing an unredacted one under the same key)."""
        engine = transcript.engine
        with self._write() as conn:
            conn.execute(
                "INSERT INTO transcripts (transcript_key, call_id, input_hash, engine, model, "
                "producer, redaction, language, duration_s, body, run_id, created_at) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (transcript_key) DO UPDATE SET "
                "body = excluded.body, redaction = excluded.redaction",
                (transcript_key, call.call_id, call.input_hash, engine.name if engine else "text",
                 engine.model if engine else "", _json(dict(producer)), redaction,
                 transcript.language, transcript.duration_s, _json(transcript.to_dict()), run_id,
                 utc_now()),
            )  # fmt: skip
            search.forget_transcript(conn, transcript_key)  # a replaced body is indexed again
            self._point_call(conn, call.call_id, transcript_key, transcript)

    def scrub(
        self,
        *,
        transcript_fn: Callable[[dict[str, Any]], dict[str, Any]],
        text_fn: Callable[[str], str],
        redaction: str,
        call_ids: Sequence[str] | None = None,
        compact: bool = False,
    ) -> ScrubCounts:
        """Redact every stored copy of the calls' text (see :mod:`qa_toolkit.store.scrub`).

        Args:
            transcript_fn: redacts a Transcript JSON body.
            text_fn: redacts one free text (a quote, a reason, a comment).
            redaction: the name recorded for the transcripts it redacts.
            call_ids: only these calls; all when None.
            compact: also rewrite the file so no old text stays in its free pages.
        """
        counts = scrub_store(self.conn, self.where, transcript_fn=transcript_fn, text_fn=text_fn,
                             redaction=redaction, call_ids=call_ids)  # fmt: skip
        with self._write() as conn:  # comments, coaching and case notes; the search index
            extra = coaching.scrub_free_text(conn, text_fn, call_ids)
        counts = replace(counts, rows=counts.rows + extra)
        if compact:
            compact_store(self.conn)
        return counts

    def use_transcript(self, call_id: str, transcript_key: str, transcript: Transcript) -> None:
        """Make a stored transcript the call's current one (a resumed or repeated run)."""
        with self._write() as conn:
            self._point_call(conn, call_id, transcript_key, transcript)

    @staticmethod
    def _point_call(
        conn: sqlite3.Connection, call_id: str, key: str, transcript: Transcript
    ) -> None:
        conn.execute(
            "UPDATE calls SET transcript_key = ?, duration_s = ?, language = ?, updated_at = ? "
            "WHERE call_id = ?",
            (key, transcript.duration_s, transcript.language, utc_now(), call_id),
        )

    def save_score(
        self,
        run_id: str,
        keys: Mapping[str, str],
        call_id: str,
        score: CallScore,
        *,
        features: Mapping[str, Any],
        producers: Mapping[str, Any],
        terms: ScoreTerms | None = None,
    ) -> None:
        """Store a call's features and score, its items and flags, in one transaction.

        Args:
            run_id: the run that computed them.
            keys: ``transcript``, ``features`` and ``score`` keys.
            call_id: the call.
            score: the score.
            features: the features, JSON-ready.
            producers: ``features`` and ``score`` producer identities, plus ``rubric_hash``.
            terms: the rubric's bands and ``flag_below`` (``Rubric.terms``), by which a
                reviewer's verdicts re-band and re-flag the call later.
        """
        now = utc_now()
        with self._write() as conn:
            conn.execute(
                "INSERT INTO features (features_key, call_id, transcript_key, producer, body, "
                "run_id, created_at) VALUES (?,?,?,?,?,?,?) ON CONFLICT (features_key) DO NOTHING",
                (keys["features"], call_id, keys["transcript"], _json(producers["features"]),
                 _json(dict(features)), run_id, now),
            )  # fmt: skip
            inserted = conn.execute(
                "INSERT INTO scores (score_key, call_id, transcript_key, features_key, rubric_id, "
                "rubric_version, rubric_hash, producer, score, raw_score, band, auto_failed, "
                "flagged, body, run_id, created_at, terms) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (score_key) DO NOTHING",
                (keys["score"], call_id, keys["transcript"], keys["features"], score.rubric_id,
                 str(score.rubric_version), producers["rubric_hash"], _json(producers["score"]),
                 score.score, score.raw_score, score.band, int(score.auto_failed),
                 int(bool(score.flags)), _json(score.to_dict()), run_id, now,
                 _json(terms.to_dict() if terms else {})),
            ).rowcount  # fmt: skip
            if inserted:
                self._save_details(conn, keys["score"], score)

    @staticmethod
    def _save_details(conn: sqlite3.Connection, score_key: str, score: CallScore) -> None:
        conn.executemany(
            "INSERT INTO item_results (score_key, item_id, section_id, title, detector, status, "
            "points, max_points, critical, category, evidence) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            [(score_key, i.item_id, i.section_id, i.title, i.detector, i.status, i.points,
              i.max_points, int(i.critical), i.category,
              _json([e.to_dict() for e in i.evidence])) for i in score.items],
        )  # fmt: skip
        conn.executemany(
            "INSERT INTO flags (score_key, position, kind, reason, strength) VALUES (?,?,?,?,?)",
            [(score_key, n, f.kind, f.reason, f.strength) for n, f in enumerate(score.flags)],
        )

    # ------------------------------------------------------------ typed reads

    def score_rows(self, filters: Filters | None = None) -> list[ScoreRow]:
        """The scored calls that pass ``filters`` (each call's newest score by default)."""
        where, params = (filters or Filters()).where()
        rows = [records.build(ScoreRow, r) for r in self._query(records.SCORE_SQL, where, params)]
        kinds: dict[str, list[str]] = defaultdict(list)
        for flag in self.flag_rows(filters):
            kinds[flag.score_key].append(flag.kind)
        return [replace(r, flags="; ".join(kinds.get(r.score_key, ()))) for r in rows]

    def item_rows(self, filters: Filters | None = None) -> list[ItemRow]:
        """Item results of the scored calls that pass ``filters``."""
        where, params = (filters or Filters()).where()
        return [records.build(ItemRow, r) for r in self._query(records.ITEM_SQL, where, params)]

    def flag_rows(self, filters: Filters | None = None) -> list[FlagRow]:
        """Flags of the scored calls that pass ``filters``."""
        where, params = (filters or Filters()).where()
        return [records.build(FlagRow, r) for r in self._query(records.FLAG_SQL, where, params)]

    def failure_rows(self, run_id: str | None = None) -> list[FailureRow]:
        """Calls that failed in a run (the latest run when not given)."""
        run = run_id or self.latest_run_id()
        rows = self.conn.execute(
            "SELECT run_id, call_id, stage, error_type, reason, files, updated_at FROM run_calls "
            "WHERE run_id = ? AND status = 'failed' ORDER BY call_id",
            (run,),
        )
        return [records.build(FailureRow, r) for r in rows]

    def run_rows(self) -> list[RunRow]:
        """Every run, oldest first."""
        rows = self.conn.execute("SELECT * FROM runs ORDER BY started_at")
        return [records.build(RunRow, r) for r in rows]

    def latest_run_id(self, command: str | None = None) -> str | None:
        """The id of the newest run (of one command when given)."""
        sql = "SELECT run_id FROM runs" + (" WHERE command = ?" if command else "")
        row = self.conn.execute(
            sql + " ORDER BY started_at DESC LIMIT 1", (command,) if command else ()
        ).fetchone()
        return None if row is None else str(row[0])

    def run_call_status(self, run_id: str) -> dict[str, str]:
        """Call id → what a run did with it (done, reused, failed, duplicate)."""
        rows = self.conn.execute(
            "SELECT call_id, status FROM run_calls WHERE run_id = ?", (run_id,)
        )
        return {str(r[0]): str(r[1]) for r in rows}

    def call_metadata(self, call_id: str) -> dict[str, Any]:
        """A call's row (metadata, files, current transcript key) as a dict."""
        row = self.conn.execute("SELECT * FROM calls WHERE call_id = ?", (call_id,)).fetchone()
        if row is None:
            raise StoreError(f"{self.where}: no call {call_id!r}", fix="check the call id")
        return dict(row)

    def stored_transcripts(self, filters: Filters | None = None) -> list[StoredTranscript]:
        """The current transcript of every call that passes the call filters."""
        chosen = filters or Filters()
        call_only = Filters.of(**{k: v for k, v in asdict(chosen).items() if k in _CALL_FILTERS})
        where, params = replace(call_only, latest=False).where()
        rows = self.conn.execute(
            "SELECT c.call_id, c.files, c.team, c.agent_id, t.transcript_key, t.redaction, t.body "
            "FROM calls c "
            f"JOIN transcripts t ON t.transcript_key = c.transcript_key WHERE {where} "
            "ORDER BY c.call_id",
            params,
        )
        return [
            StoredTranscript(
                r["call_id"], r["transcript_key"], r["redaction"], tuple(json.loads(r["files"])),
                Transcript.from_dict(json.loads(r["body"]), origin=self.where),
                r["team"], r["agent_id"],
            )
            for r in rows
        ]  # fmt: skip

    def call_score(
        self, score_key: str, *, reviewed: bool = True
    ) -> tuple[CallScore, dict[str, Any]]:
        """A stored score and its features: as reviewed (``auto_score`` holds the machine's),
        or with ``reviewed=False`` the machine's as stored."""
        row = self.conn.execute(
            "SELECT s.body, r.body AS reviewed, f.body AS features FROM scores s JOIN features f "
            "ON f.features_key = s.features_key LEFT JOIN reviewed_scores r "
            "ON r.score_key = s.score_key WHERE s.score_key = ?",
            (score_key,),
        ).fetchone()
        if row is None:
            raise StoreError(f"{self.where}: no score {score_key!r}", fix="check the key")
        categories = dict(
            self.conn.execute(
                "SELECT item_id, category FROM item_results WHERE score_key = ?", (score_key,)
            ).fetchall()
        )
        body = row["reviewed"] if reviewed and row["reviewed"] else row["body"]
        score = records.score_from_body(json.loads(body), categories)
        if score.auto_score is None:
            score = replace(score, auto_score=score.score)
        return score, json.loads(row["features"])

    def score_brief(self, score_key: str) -> tuple[float, tuple[str, ...]]:
        """A stored score's value (as reviewed) and its flags' kinds."""
        row = self.conn.execute(
            "SELECT score FROM effective_scores WHERE score_key = ?", (score_key,)
        )
        value = float(row.fetchone()[0])
        kinds = self.conn.execute(
            "SELECT kind FROM effective_flags WHERE score_key = ? ORDER BY position", (score_key,)
        )
        return value, tuple(str(k[0]) for k in kinds)

    def _query(self, sql: str, where: str, params: list[Any]) -> list[Any]:
        return self.conn.execute(sql.format(where=where), params).fetchall()

    # ------------------------------------------------------------ DataFrames

    def scores(self, **filters: Any) -> pd.DataFrame:
        """Scored calls as a DataFrame, one row per call (its newest score).

        Args:
            **filters: any field of :class:`~qa_toolkit.store.records.Filters`:
                ``date``, ``since``, ``until``, ``team``, ``agent_id``, ``queue``,
                ``rubric_id``, ``run_id``, ``flagged``, ``call_ids``, ``latest``.

        Returns:
            Columns of :class:`~qa_toolkit.store.records.ScoreRow`.
        """
        return records.frame(ScoreRow, self.score_rows(Filters.of(**filters)))

    def items(self, **filters: Any) -> pd.DataFrame:
        """Item results as a DataFrame (one row per call and item); filters as in :meth:`scores`."""
        return records.frame(ItemRow, self.item_rows(Filters.of(**filters)))

    def flags(self, **filters: Any) -> pd.DataFrame:
        """Flags as a DataFrame (one row per flag); filters as in :meth:`scores`."""
        return records.frame(FlagRow, self.flag_rows(Filters.of(**filters)))

    def failures(self, run_id: str | None = None) -> pd.DataFrame:
        """Failed calls of a run (the latest by default) as a DataFrame."""
        return records.frame(FailureRow, self.failure_rows(run_id))

    def runs(self) -> pd.DataFrame:
        """Every run as a DataFrame."""
        return records.frame(RunRow, self.run_rows())

    def transcript(self, call_id: str) -> Transcript:
        """A call's current (redacted, unless stored otherwise) transcript."""
        key = self.call_metadata(call_id).get("transcript_key")
        found = self.load_transcript(str(key)) if key else None
        if found is None:
            raise StoreError(f"{self.where}: call {call_id!r} has no transcript",
                             fix="run qa batch")  # fmt: skip
        return found[0]


_CALL_FILTERS = ("date", "since", "until", "team", "agent_id", "queue", "run_id", "call_ids")
