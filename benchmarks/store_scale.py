"""The store and the web app at scale: synthetic calls on SQLite and PostgreSQL (issue 17).

For each backend and size: bulk-loads most of the calls (the rows the Store API writes:
``executemany`` on SQLite, ``COPY`` on PostgreSQL, then ``ANALYZE`` there as autovacuum
would), then writes the rest through the Store API (call, transcript, score with items and
flags, run record; one writer process, then four at once) and prints calls per second;
ranks the review queue and fills the search index (one-off costs, printed); serves the store
with waitress in its own process and has 1, then 20 client threads (keep-alive, signed in)
request the queue and the search over HTTP, printing p50 and p95, then the queue again with
the most clients for ``--writing-seconds`` while another process writes calls at
``--trickle`` a second (each write makes the next page count and render again); writes the
daily report of the newest day and exports the newest week's scores as CSV. A benchmark, not
a test.

The calls: 12 teams, 240 agents, 60 days, one in ten in Mandarin; six rubric items (one
critical, failed on 2% of calls), an outcome estimate, flags (below threshold, risk events,
likely dissatisfied, failed critical item) on about two calls in three, review statuses on
2% and review-rule sample flags on 3%.

PostgreSQL: ``--postgres URL`` names a server (a fresh database is made on it per size), or,
when absent, a throwaway server is started from ``tests/postgres_server.py``.

Usage:
    .venv/bin/python -m benchmarks.store_scale [--calls 100000 1000000]
        [--backend sqlite postgresql] [--postgres URL] [--write-calls 2000]
        [--requests 200] [--seconds 60] [--clients 1 20] [--trickle 2] [--writing-seconds 30]
        [--threads 8] [--folder DIR] [--json FILE]
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import logging
import multiprocessing
import socket
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from benchmarks.web_latency import PASSWORD, Client
from qa_toolkit.io.metadata import CallMetadata
from qa_toolkit.scoring.types import (
    CallScore,
    Evidence,
    Flag,
    ItemResult,
    Outcome,
    ScoreTerms,
    SectionScore,
)
from qa_toolkit.store import CallRecord, Filters, Store
from qa_toolkit.types import Transcript, Utterance

TEAMS = tuple(f"team{n:02d}" for n in range(12))
AGENTS, DAYS, LAST_DAY = 240, 60, date(2026, 11, 21)
TERMS = ScoreTerms((("excellent", 90.0), ("good", 75.0), ("needs_improvement", 60.0)), 70.0)
PAGES = (
    ("queue", "/"),
    ("queue p20", "/?page=20"),
    ("search", "/search"),
    ("search words", "/search?" + urlencode({"text": "supervisor"})),
)
_LINES = {
    "en": (
        ("agent", "Thank you for calling Acme, this is Sam, how can I help?"),
        ("customer", "My order arrived broken and I was charged twice, call me on 415-555-0134."),
        ("agent", "I am sorry about that. Can you confirm your date of birth?"),
        ("customer", "It is the third of May. I want this fixed today."),
        ("agent", "I have refunded the second charge and sent a replacement."),
        ("customer", "If it happens again I will ask for a supervisor."),
        ("agent", "Understood. Is there anything else I can do for you?"),
        ("customer", "No, thank you."),
    ),
    "zh": (
        ("agent", "您好，欢迎致电，我是小王，请问有什么可以帮您？"),
        ("customer", "我的订单到货就坏了，还扣了两次款，请打 13800138000 回我电话。"),
        ("agent", "非常抱歉。请您核对一下出生日期。"),
        ("customer", "五月三号。今天必须给我解决。"),
        ("agent", "第二笔扣款已经退回，补发的商品也寄出了。"),
        ("customer", "再这样我就找你们经理。"),
        ("agent", "明白。还有其他可以帮您的吗？"),
        ("customer", "没有了，谢谢。"),
    ),
}
_ITEMS = (("greeting", "opening", 5.0, False), ("verify_identity", "compliance", 10.0, True),
          ("empathy", "attitude", 10.0, False), ("no_blame", "attitude", 10.0, False),
          ("resolution", "solving", 15.0, False), ("closing", "closing", 5.0, False))  # fmt: skip


# ------------------------------------------------------------------ synthetic calls


def _mix(n: int, salt: int) -> int:
    """A well-spread number from a call's index (the same on every run)."""
    return int.from_bytes(hashlib.blake2b(f"{salt}:{n}".encode(), digest_size=4).digest(), "big")


def call_id_of(n: int) -> str:
    return f"call-{n:07d}"


def _record(n: int) -> CallRecord:
    day = LAST_DAY - timedelta(days=n % DAYS)
    start = datetime.combine(day, datetime.min.time()) + timedelta(
        hours=8, seconds=_mix(n, 1) % 36000
    )
    meta = CallMetadata(call_id_of(n), agent_id=f"agent{n % AGENTS:03d}",
                        team=TEAMS[(n % AGENTS) % len(TEAMS)], queue=f"q{n % 4}",
                        customer_id=f"cust{_mix(n, 2) % 200000:06d}", start_time=start,
                        call_date=day.isoformat())  # fmt: skip
    files = (f"/calls/{day.isoformat()}/{call_id_of(n)}.wav",)
    return CallRecord(call_id_of(n), hashlib.sha1(f"in{n}".encode()).hexdigest(), "audio",
                      files, meta)  # fmt: skip


def _language(n: int) -> str:
    return "zh" if n % 10 == 9 else "en"


def _transcript(n: int) -> Transcript:
    utts = tuple(
        Utterance(f"u{k}", speaker, 4.0 * k + 1.0, 4.0 * k + 4.0, text)  # type: ignore[arg-type]
        for k, (speaker, text) in enumerate(_LINES[_language(n)])
    )
    return Transcript(call_id_of(n), utts, language=_language(n), duration_s=34.0)


def _score(n: int) -> CallScore:
    lines, bits = _LINES[_language(n)], _mix(n, 3)
    critical_fail = bits % 50 == 0
    items = []
    for k, (item_id, section, points, critical) in enumerate(_ITEMS):
        failed = (critical and critical_fail) or (not critical and (bits >> (k + 6)) % 3 == 0)
        quote = Evidence(f"u{k}", lines[k][0], 4.0 * k + 1.0, 4.0 * k + 4.0, lines[k][1],
                         "not said" if failed else "said")  # fmt: skip
        items.append(ItemResult(item_id, section, item_id.replace("_", " ").title(), "phrase.v1",
                                "fail" if failed else "pass", 0.0 if failed else points, points,
                                critical, (quote,), "agent_skill"))  # fmt: skip
    raw = 100.0 * sum(i.points for i in items) / sum(i.max_points for i in items)
    value = 0.0 if critical_fail else raw
    resolved, satisfaction = (_mix(n, 4) % 1000) / 1000, (_mix(n, 5) % 400) / 100 - 2.0
    flags: list[Flag] = []
    if critical_fail:
        flags.append(Flag("critical_failed", "verify identity failed"))
    if value < (TERMS.flag_below or 70.0):
        flags.append(Flag("below_threshold", f"score {value:.1f} is below 70"))
    if bits % 12 == 0:
        flags.append(Flag("risk_escalation", "at 00:21: asks for a supervisor"))
    if satisfaction < -1.0:
        flags.append(Flag("likely_dissatisfied", "ends upset", round(-satisfaction / 2, 3)))
    outcome = Outcome(resolved, satisfaction, (("thanks", 1.0),), ())
    sections = tuple(SectionScore(i.section_id, i.section_id, i.max_points, i.points,
                                  i.max_points, 100.0 * i.points / i.max_points)
                     for i in items)  # fmt: skip
    return CallScore(call_id_of(n), "default", "3", value, raw, TERMS.band_for(value),
                     critical_fail, tuple(items), sections, (("talk_share_agent", 0.5),),
                     tuple(flags), outcome, flag_below=TERMS.flag_below)  # fmt: skip


def _features(n: int) -> dict[str, Any]:
    return {"values": {"talk_share_agent": 0.5, "dead_air_share": (n % 20) / 100,
                       "customer_sentiment_end": ((_mix(n, 5) % 400) / 200) - 1.0},
            "details": {"risk_events": []}}  # fmt: skip


def _keys(n: int) -> dict[str, str]:
    return {k: hashlib.sha256(f"{k}{n}".encode()).hexdigest()
            for k in ("transcript", "features", "score")}  # fmt: skip


PRODUCERS = {"features": {"module": "bench"}, "score": {"module": "bench"}, "rubric_hash": "r3"}


def write_calls(location: str, first: int, count: int) -> tuple[float, float]:
    """Write calls ``first`` … through the Store API, as a batch does; (start, end) times."""
    began = time.time()
    with Store(location) as store:
        run_id = store.start_run("batch", [f"/calls/{first}"], {"bench": True})
        for n in range(first, first + count):
            _write_call(store, run_id, n)
        store.finish_run(run_id, status="done", calls=count, failures=0)
    return began, time.time()


def _write_call(store: Store, run_id: str, n: int) -> None:
    record, keys = _record(n), _keys(n)
    store.save_call(run_id, record)
    store.save_transcript(run_id, keys["transcript"], record, _transcript(n),
                          producer={"engine": "bench"}, redaction="none")  # fmt: skip
    store.save_score(run_id, keys, record.call_id, _score(n), features=_features(n),
                     producers=PRODUCERS, terms=TERMS)  # fmt: skip
    store.record_call(run_id, record.call_id, "done", files=record.files,
                      transcript_key=keys["transcript"], score_key=keys["score"])  # fmt: skip


def trickle(location: str, first: int, per_s: float, stop: Any, written: Any) -> None:
    """Write calls ``first`` … at ``per_s`` a second until ``stop`` is set, as a batch of a
    busy day does while supervisors work; counts them in ``written``."""
    with Store(location) as store:
        run_id = store.start_run("batch", [f"/calls/{first}"], {"bench": True})
        n, began = first, time.monotonic()
        while not stop.is_set():
            _write_call(store, run_id, n)
            n += 1
            written.value = n - first
            stop.wait(max(0.0, began + (n - first) / per_s - time.monotonic()))
        store.finish_run(run_id, status="done", calls=n - first, failures=0)


# ------------------------------------------------------------------ bulk rows


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


class Rows:
    """The rows the Store API would write for calls, built fast: the JSON bodies that differ
    only in the call id are rendered once per kind of call and copied."""

    def __init__(self, run_id: str, now: str) -> None:
        from qa_toolkit.web.search_index import searchable

        self.run_id, self.now = run_id, now
        self.transcripts = {lang: _dumps(_transcript(9 if lang == "zh" else 0).to_dict())
                            for lang in _LINES}  # fmt: skip
        self.texts = {lang: searchable(json.loads(body), "none")
                      for lang, body in self.transcripts.items()}  # fmt: skip

    def of(self, n: int) -> dict[str, list[tuple[Any, ...]]]:
        record, keys, score, lang = _record(n), _keys(n), _score(n), _language(n)
        call_id, meta, now, run = record.call_id, record.metadata, self.now, self.run_id
        start = meta.start_time.isoformat() if meta.start_time else None
        body = self.transcripts[lang].replace(call_id_of(9 if lang == "zh" else 0), call_id)
        return {
            "calls": [(call_id, record.input_hash, record.kind, _dumps(list(record.files)),
                       meta.agent_id, meta.team, meta.queue, meta.customer_id, start,
                       meta.call_date, _dumps(meta.to_dict()), 34.0, lang, keys["transcript"],
                       run, now)],
            "transcripts": [(keys["transcript"], call_id, record.input_hash, "bench", "",
                             _dumps({"engine": "bench"}), "none", lang, 34.0, body, run, now)],
            "features": [(keys["features"], call_id, keys["transcript"],
                          _dumps({"module": "bench"}), _dumps(_features(n)), run, now)],
            "scores": [(keys["score"], call_id, keys["transcript"], keys["features"], "default",
                        "3", "r3", _dumps({"module": "bench"}), score.score, score.raw_score,
                        score.band, int(score.auto_failed), int(bool(score.flags)),
                        _dumps(score.to_dict()), run, now, _dumps(TERMS.to_dict()))],
            "item_results": [(keys["score"], i.item_id, i.section_id, i.title, i.detector,
                              i.status, i.points, i.max_points, int(i.critical), i.category,
                              _dumps([e.to_dict() for e in i.evidence])) for i in score.items],
            "flags": [(keys["score"], k, f.kind, f.reason, f.strength)
                      for k, f in enumerate(score.flags)],
            "run_calls": [(run, call_id, "done", "", "", "", _dumps(list(record.files)),
                           keys["transcript"], keys["score"], now)],
            "call_text": [(call_id, keys["transcript"], self.texts[lang])],
            "reviews": self._reviews(n, call_id, keys["score"]),
            "review_flags": [(keys["score"], "sample", "random sample of unflagged calls "
                              "(rate 0.03, seed 7)", "fr-bench", now)] if _mix(n, 7) % 100 < 3
            else [],
        }  # fmt: skip

    def _reviews(self, n: int, call_id: str, score_key: str) -> list[tuple[Any, ...]]:
        if _mix(n, 6) % 100 >= 2:
            return []
        status = ("in_review", "confirmed", "dismissed")[n % 3]
        return [(uuid.uuid4().hex, call_id, score_key, None, "sup01", "status", status, "",
                 self.now, 1, 0, 0, "{}")]  # fmt: skip


COLUMNS = {
    "calls": "call_id, input_hash, kind, files, agent_id, team, queue, customer_id, start_time, "
    "call_date, metadata, duration_s, language, transcript_key, first_run_id, updated_at",
    "transcripts": "transcript_key, call_id, input_hash, engine, model, producer, redaction, "
    "language, duration_s, body, run_id, created_at",
    "features": "features_key, call_id, transcript_key, producer, body, run_id, created_at",
    "scores": "score_key, call_id, transcript_key, features_key, rubric_id, rubric_version, "
    "rubric_hash, producer, score, raw_score, band, auto_failed, flagged, body, run_id, "
    "created_at, terms",
    "item_results": "score_key, item_id, section_id, title, detector, status, points, "
    "max_points, critical, category, evidence",
    "flags": "score_key, position, kind, reason, strength",
    "run_calls": "run_id, call_id, status, stage, error_type, reason, files, transcript_key, "
    "score_key, updated_at",
    "call_text": "call_id, transcript_key, text",
    "reviews": "review_id, call_id, score_key, item_id, reviewer, action, status, comment, "
    "created_at, version, expected_version, conflict, detail",
    "review_flags": "score_key, kind, reason, flag_run_id, created_at",
}


_BULK = 5000


def _bulk_rows(run_id: str, now: str, start: int, stop: int) -> dict[str, list[tuple[Any, ...]]]:
    """The rows of calls ``start`` … ``stop`` - 1, table by table (built in a helper process)."""
    rows = Rows(run_id, now)
    batch: dict[str, list[tuple[Any, ...]]] = {t: [] for t in COLUMNS}
    for n in range(start, stop):
        for table, found in rows.of(n).items():
            batch[table] += found
    return batch


def bulk_load(location: str, first: int, count: int, progress: bool = True) -> float:
    """Insert calls ``first`` … as one bulk run; seconds taken. One process builds the rows
    while this one writes them."""
    from qa_toolkit.store.connection import utc_now

    began = time.perf_counter()
    with Store(location) as store:
        run_id = store.start_run("batch", ["/calls"], {"bulk": True})
        server = store.location.is_server
    now = utc_now()
    spans = [(run_id, now, n, min(n + _BULK, first + count))
             for n in range(first, first + count, _BULK)]  # fmt: skip
    writer = _PgWriter(location) if server else _SqliteWriter(location)
    with writer, multiprocessing.get_context("spawn").Pool(1) as pool:
        writer.put("flag_runs", "flag_run_id, rules, sample_rate, seed, calls, flagged, sampled, "
                   "created_at", [("fr-bench", "{}", 0.03, 7, count, 0, 0, now)])  # fmt: skip
        for (_, _, start, _), batch in zip(spans, pool.imap(_star_rows, spans), strict=True):
            for table, found in batch.items():
                writer.put(table, COLUMNS[table], found)
            writer.commit()
            if progress and (start - first) % 100_000 == 0:
                print(f"  loaded {start - first:,} calls ({time.perf_counter() - began:.0f} s)",
                      flush=True)  # fmt: skip
        writer.finish()
    with Store(location) as store:
        store.finish_run(run_id, status="done", calls=count, failures=0)
    return time.perf_counter() - began


def _star_rows(span: tuple[str, str, int, int]) -> dict[str, list[tuple[Any, ...]]]:
    return _bulk_rows(*span)


class _SqliteWriter:
    def __init__(self, path: str) -> None:
        import sqlite3

        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("BEGIN")

    def __enter__(self) -> _SqliteWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.conn.close()

    def put(self, table: str, columns: str, rows: list[tuple[Any, ...]]) -> None:
        marks = ",".join("?" * len(columns.split(",")))
        self.conn.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)

    def commit(self) -> None:
        self.conn.execute("COMMIT")
        self.conn.execute("BEGIN")

    def finish(self) -> None:
        self.conn.execute("COMMIT")


class _PgWriter:
    def __init__(self, url: str) -> None:
        import psycopg

        self.conn = psycopg.connect(url)

    def __enter__(self) -> _PgWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.conn.close()

    def put(self, table: str, columns: str, rows: list[tuple[Any, ...]]) -> None:
        with (
            self.conn.cursor() as cursor,
            cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)

    def commit(self) -> None:
        self.conn.commit()

    def finish(self) -> None:
        self.conn.commit()
        self.conn.autocommit = True
        self.conn.execute("ANALYZE")  # what autovacuum does after a load this size


# ------------------------------------------------------------------ measuring


def write_throughput(location: str, first: int, count: int, writers: int) -> float:
    """Calls per second written by ``writers`` processes at once, ``count`` calls in all."""
    share = count // writers
    spawn = multiprocessing.get_context("spawn")
    with spawn.Pool(writers) as pool:
        spans = pool.starmap(write_calls, [(location, first + w * share, share)
                                           for w in range(writers)])  # fmt: skip
    began, ended = min(s for s, _ in spans), max(e for _, e in spans)
    return share * writers / (ended - began)


def _serve(location: str, users: str, port: int, threads: int) -> None:
    import waitress  # type: ignore[import-untyped]

    from qa_toolkit.web import create_app

    # 20 clients on a few threads queue by design; waitress would warn about each.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    waitress.serve(create_app(location, users_file=users), host="127.0.0.1", port=port,
                   threads=threads, _quiet=True)  # fmt: skip


@contextlib.contextmanager
def served(location: str, folder: Path, threads: int) -> Iterator[int]:
    """The web app over the store, in its own process (as ``qa serve``); yields its port."""
    from qa_toolkit.store.accounts import add_account

    users = folder / "users.json"
    add_account(users, "bench", "supervisor", password=PASSWORD)
    from tests.postgres_server import free_port

    port = free_port()
    process = multiprocessing.get_context("spawn").Process(
        target=_serve, args=(location, str(users), port, threads), daemon=True
    )
    process.start()
    deadline = time.monotonic() + 120
    while True:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            break
        if time.monotonic() > deadline or not process.is_alive():
            raise RuntimeError("the web app did not start")
        time.sleep(0.2)
    try:
        yield port
    finally:
        process.terminate()
        process.join(10)


def latencies(clients: Sequence[Client], url: str, requests: int, seconds: float) -> list[float]:
    """``requests`` requests of ``url`` shared among the clients, each on its own thread (ms);
    a client starts no more after ``seconds`` (a page that takes seconds at a million calls)."""
    times: list[float] = []
    lock = threading.Lock()
    share = [requests // len(clients) + (n < requests % len(clients)) for n in range(len(clients))]
    deadline = time.monotonic() + seconds

    def work(client: Client, count: int) -> None:
        for _ in range(count):
            if time.monotonic() > deadline:
                return
            start = time.perf_counter()
            client.get(url)
            with lock:
                times.append((time.perf_counter() - start) * 1000)

    threads = [
        threading.Thread(target=work, args=pair) for pair in zip(clients, share, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return times


def p95(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def web_figures(port: int, levels: Sequence[int], requests: int, seconds: float) -> dict[str, Any]:
    pool = [Client(port) for _ in range(max(levels))]
    out: dict[str, Any] = {}
    for name, url in PAGES:
        # The first request computes the page (its counts, rows and rendering); the others
        # reuse them until a write.
        start = time.perf_counter()
        pool[0].get(url)
        out[f"{name} first_ms"] = first = (time.perf_counter() - start) * 1000
        print(f"  {name:<13} first request {first:7.0f} ms", flush=True)
        for n in levels:
            times = latencies(pool[:n], url, requests, seconds)
            out[f"{name} c{n}"] = {"p50_ms": statistics.median(times), "p95_ms": p95(times),
                                   "requests": len(times)}  # fmt: skip
            print(f"  {name:<13} {n:>2} client(s): p50 {statistics.median(times):7.0f} ms, "
                  f"p95 {p95(times):7.0f} ms ({len(times)} requests)", flush=True)  # fmt: skip
    return out


def writing_figures(
    port: int, location: str, first: int, clients: int, args: argparse.Namespace
) -> dict[str, Any]:
    """The queue's latency with ``clients`` clients for ``--writing-seconds`` while a writer
    adds calls at ``--trickle`` a second: each write makes the next page count and render
    again."""
    spawn = multiprocessing.get_context("spawn")
    stop, written = spawn.Event(), spawn.Value("i", 0)
    writer = spawn.Process(target=trickle, args=(location, first, args.trickle, stop, written))
    pool = [Client(port) for _ in range(clients)]
    writer.start()
    try:
        time.sleep(2.0)  # the writer's store is open and writing
        times = latencies(pool, "/", 10**6, args.writing_seconds)
    finally:
        stop.set()
        writer.join(60)
    out = {"p50_ms": statistics.median(times), "p95_ms": p95(times), "requests": len(times),
           "calls_written": written.value, "per_s": args.trickle}  # fmt: skip
    print(f"  queue while writing ({args.trickle:g} calls/s, {written.value} written), "
          f"{clients} clients: p50 {out['p50_ms']:.0f} ms, p95 {out['p95_ms']:.0f} ms "
          f"({len(times)} requests)", flush=True)  # fmt: skip
    return out


def one_off(location: str) -> dict[str, float]:
    """The queue's ranking and the search index, built as the first page would."""
    from qa_toolkit.web import queries, search_index

    out = {}
    with Store(location) as store:
        began = time.perf_counter()
        ranked = queries.refresh_ranks(store, force=True)
        out["rank_s"] = time.perf_counter() - began
        began = time.perf_counter()
        indexed = search_index.refresh(store, search_index.IndexState(), force=True)
        out["index_s"] = time.perf_counter() - began
    print(f"  queue ranked ({ranked:,} calls) in {out['rank_s']:.1f} s; search index "
          f"({indexed:,} more calls) in {out['index_s']:.1f} s", flush=True)  # fmt: skip
    return out


def report_and_export(location: str, folder: Path) -> dict[str, float]:
    from qa_toolkit.io.export import export
    from qa_toolkit.report import write_report

    out: dict[str, float] = {}
    with Store(location) as store:
        began = time.perf_counter()
        write_report(store, folder / "report", date=LAST_DAY.isoformat())
        out["report_s"] = time.perf_counter() - began
        # A week of calls, as an export for another system would take them.
        week = Filters(since=(LAST_DAY - timedelta(days=6)).isoformat())
        began = time.perf_counter()
        rows = export(store, folder / "scores.csv", fmt="csv", table="scores", filters=week)
        out["export_calls_per_s"] = rows / (time.perf_counter() - began)
    print(f"  daily report ({LAST_DAY}) {out['report_s']:.1f} s; export of a week "
          f"({rows:,} calls) {out['export_calls_per_s']:,.0f} calls/s", flush=True)  # fmt: skip
    return out


def measure(location: str, calls: int, args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    """Every figure for one store of ``calls`` calls."""
    written = min(args.write_calls, calls // 4)
    out: dict[str, Any] = {"calls": calls}
    out["load_s"] = bulk_load(location, 0, calls - 2 * written)
    print(f"  bulk-loaded {calls - 2 * written:,} calls in {out['load_s']:.0f} s", flush=True)
    for writers, first in ((1, calls - 2 * written), (4, calls - written)):
        rate = write_throughput(location, first, written, writers)
        out[f"write_w{writers}_calls_per_s"] = rate
        print(f"  {writers} writer(s): {rate:,.0f} calls/s ({written:,} calls)", flush=True)
    out |= one_off(location)
    with served(location, folder, args.threads) as port:
        out["web"] = web_figures(port, args.clients, args.requests, args.seconds)
        if args.trickle > 0:
            out["web_writing"] = writing_figures(port, location, calls, max(args.clients), args)
    out |= report_and_export(location, folder)
    return out


@contextlib.contextmanager
def postgres(url: str | None) -> Iterator[str]:
    if url:
        yield url
        return
    from tests.postgres_server import server

    with server() as found:
        yield found


def _table(results: list[dict[str, Any]], levels: Sequence[int]) -> str:
    heads = ["backend", "calls", "write 1w/s", "write 4w/s"]
    for name, _ in PAGES:
        heads += [f"{name} p95 {n}c ms" for n in levels]
    heads += ["queue p95 writing ms", "report s", "export/s"]
    lines = [" | ".join(heads), " | ".join("---" for _ in heads)]
    for r in results:
        cells = [r["backend"], f"{r['calls']:,}", f"{r['write_w1_calls_per_s']:.0f}",
                 f"{r['write_w4_calls_per_s']:.0f}"]  # fmt: skip
        for name, _ in PAGES:
            cells += [f"{r['web'][f'{name} c{n}']['p95_ms']:.0f}" for n in levels]
        writing = r.get("web_writing")
        cells.append(f"{writing['p95_ms']:.0f}" if writing else "-")
        cells += [f"{r['report_s']:.1f}", f"{r['export_calls_per_s']:.0f}"]
        lines.append(" | ".join(cells))
    return "\n".join(f"| {line} |" for line in lines)


def main() -> None:
    """Measure every backend and size asked for, and print the table."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--calls", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--backend", nargs="+", choices=("sqlite", "postgresql"),
                        default=["sqlite", "postgresql"])  # fmt: skip
    parser.add_argument("--postgres", default=None, help="server URL (default: a throwaway one)")
    parser.add_argument("--write-calls", type=int, default=2000,
                        help="calls written through the API per writer setting")  # fmt: skip
    parser.add_argument("--requests", type=int, default=200, help="per page and client count")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 20])
    parser.add_argument("--seconds", type=float, default=60.0,
                        help="most seconds of requests per page and client count")  # fmt: skip
    parser.add_argument(
        "--trickle",
        type=float,
        default=2.0,
        help="calls a second written while the queue is timed again (0: not)",
    )
    parser.add_argument(
        "--writing-seconds",
        type=float,
        default=30.0,
        help="how long the queue is timed while calls are written",
    )
    parser.add_argument("--threads", type=int, default=8, help="waitress threads (qa serve's)")
    parser.add_argument("--folder", type=Path, default=None, help="where the stores go")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    folder = args.folder or Path(tempfile.mkdtemp(prefix="qa-scale-"))
    folder.mkdir(parents=True, exist_ok=True)
    results = []
    with contextlib.ExitStack() as stack:
        for backend in args.backend:
            for calls in args.calls:
                print(f"{backend}, {calls:,} calls", flush=True)
                if backend == "postgresql":
                    from tests.postgres_server import new_database

                    server = stack.enter_context(postgres(args.postgres))
                    location = new_database(server, prefix="scale")
                else:
                    location = str(folder / f"scale-{calls}.db")
                    Path(location).unlink(missing_ok=True)
                found = measure(location, calls, args, folder / f"{backend}-{calls}")
                results.append({"backend": backend, **found})
    print(_table(results, args.clients))
    if args.json:
        stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
        args.json.write_text(json.dumps({"at": stamp, "results": results}, indent=2), "utf-8")


if __name__ == "__main__":
    main()
