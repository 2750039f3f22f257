"""Response time of the web app as served: waitress on localhost, 1 and 20 clients at once.

Seeds a store of synthetic scored calls (``qa_toolkit.web.demo``; every tenth in Mandarin),
serves it with waitress (as ``qa serve`` does) with a users file, signs each client in,
then has 1 and then 20 client threads request each page over HTTP (keep-alive) and prints
the median, 95th percentile and throughput per page. The search index is built before
timing (its one-off cost is printed). A benchmark, not a test.

Usage:
    .venv/bin/python -m benchmarks.web_latency [--calls 10000] [--requests 200]
        [--clients 1,20] [--threads 8] [--store FILE] [--pages "queue,search by words"]
"""

from __future__ import annotations

import argparse
import http.client
import logging
import re
import statistics
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

from qa_toolkit.store import Store
from qa_toolkit.store.accounts import add_account
from qa_toolkit.web import create_app, search_index
from qa_toolkit.web.demo import seed_store, write_tone

PASSWORD = "benchmark-password"
PAGES = (
    ("queue", "/"),
    ("queue filtered", "/?team=billing&kind=escalation&band=needs_improvement&sort=date&desc=1"),
    ("queue status p20", "/?status=open&page=20"),
    ("search (all calls)", "/search"),
    ("search by words", "/search?" + urlencode({"text": "经理"})),
    ("search words+team", "/search?" + urlencode({"text": "manager", "team": "sales"})),
    ("search call id", "/search?q=call-0424"),
    ("call page", "/call/call-04242"),
    ("agent page", "/agent/agent3"),
)


class Client:
    """One signed-in browser: a keep-alive connection and a session cookie."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        self.cookie = ""
        page = self.get("/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page)
        assert csrf, "no sign-in form"
        body = urlencode({"csrf": csrf.group(1), "name": "bench", "password": PASSWORD})
        status, _ = self._send("POST", "/login", body)
        assert status == 302, f"sign-in failed: {status}"

    def _send(self, method: str, url: str, body: str | None = None) -> tuple[int, str]:
        headers = {"Accept": "text/html"}
        if self.cookie:
            headers["Cookie"] = self.cookie
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, url, body=body, headers=headers)
        response = self.conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        found = response.getheader("Set-Cookie")
        if found:
            self.cookie = found.split(";", 1)[0]
        return response.status, text

    def get(self, url: str) -> str:
        status, text = self._send("GET", url)
        assert status == 200, (url, status)
        return text


def _run(port: int, url: str, clients: list[Client], requests: int) -> tuple[list[float], float]:
    """``requests`` requests of ``url`` shared among the clients' threads: (ms each, seconds)."""
    times: list[float] = []
    lock = threading.Lock()
    share = [requests // len(clients) + (n < requests % len(clients)) for n in range(len(clients))]

    def work(client: Client, count: int) -> None:
        for _ in range(count):
            start = time.perf_counter()
            client.get(url)
            with lock:
                times.append((time.perf_counter() - start) * 1000)

    threads = [
        threading.Thread(target=work, args=(c, n)) for c, n in zip(clients, share, strict=True)
    ]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return times, time.perf_counter() - began


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def main() -> None:
    """Seed (unless the store exists), serve, and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200, help="per page and concurrency")
    parser.add_argument("--clients", default="1,20", help="concurrent clients, comma-separated")
    parser.add_argument("--threads", type=int, default=8, help="waitress threads (qa serve's)")
    parser.add_argument("--store", type=Path, default=None)
    parser.add_argument("--pages", default="", help="only these pages, by name, comma-separated")
    args = parser.parse_args()
    import waitress

    # 20 clients on a few threads queue by design; waitress would warn about each.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)

    folder = Path(tempfile.mkdtemp(prefix="qa-web-bench-"))
    store = args.store or folder / "qa.db"
    if not store.exists():
        start = time.perf_counter()
        seed_store(store, args.calls, audio=write_tone(folder / "call.wav", seconds=2.0),
                   chinese_every=10)  # fmt: skip
        print(f"seeded {args.calls} calls in {time.perf_counter() - start:.1f} s")
    users = folder / "users.json"
    add_account(users, "bench", "supervisor", password=PASSWORD)
    with Store(store) as st:
        start = time.perf_counter()
        indexed = search_index.refresh(st, search_index.IndexState(), force=True)
        print(f"search index: {indexed} calls indexed in {time.perf_counter() - start:.1f} s")
    app = create_app(store, users_file=users)
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=args.threads)
    port = server.effective_port  # type: ignore[union-attr]
    threading.Thread(target=server.run, daemon=True).start()
    levels = [int(n) for n in args.clients.split(",")]
    pool = [Client(port) for _ in range(max(levels))]
    print(f"waitress, {args.threads} threads; {args.requests} requests per page and level")
    print(
        f"{'page':<20}" + "".join(f" {f'{n} client(s): p50 / p95 ms, req/s':>36}" for n in levels)
    )
    wanted = tuple(p for p in args.pages.split(",") if p)
    for name, url in (p for p in PAGES if not wanted or p[0] in wanted):
        pool[0].get(url)  # warm: the first request pays for templates and caches
        cells = []
        for n in levels:
            times, seconds = _run(port, url, pool[:n], args.requests)
            cells.append(f"{statistics.median(times):>12.0f} / {_p95(times):>6.0f}, "
                         f"{len(times) / seconds:>8.1f}")  # fmt: skip
        print(f"{name:<20}" + "".join(f" {c:>36}" for c in cells))
    server.close()


if __name__ == "__main__":
    main()
