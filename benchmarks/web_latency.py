"""Response time of the web app with 10,000 calls in the store (a benchmark, not a test).

Seeds a store of synthetic scored calls (``qa_toolkit.web.demo``), then times
requests through Flask's test client (the app's own work: SQL, rendering; no
network) and prints the median and 95th percentile per page. The target in
issue 8 is under 200 ms.

Usage:
    .venv/bin/python benchmarks/web_latency.py [--calls 10000] [--repeat 40] [--store FILE]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from qa_toolkit.web import create_app
from qa_toolkit.web.demo import seed_store, write_tone

PAGES = (
    ("queue", "/"),
    ("queue filtered", "/?team=billing&kind=escalation&band=needs_improvement&sort=date&desc=1"),
    ("queue status", "/?status=open&page=20"),
    ("call page", "/call/call-04242"),
    ("agent page", "/agent/agent3"),
)


def _time(client: object, url: str, repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url)  # type: ignore[attr-defined]
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(0.95 * len(times)))]


def main() -> None:
    """Seed (unless the store exists), then print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--store", type=Path, default=None)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="qa-web-bench-"))
    store = args.store or folder / "qa.db"
    if not store.exists():
        start = time.perf_counter()
        seed_store(store, args.calls, audio=write_tone(folder / "call.wav", seconds=2.0))
        print(f"seeded {args.calls} calls in {time.perf_counter() - start:.1f} s")
    client = create_app(store).test_client()
    print(f"{'page':<16} {'median ms':>10} {'p95 ms':>8}   ({args.repeat} requests each)")
    for name, url in PAGES:
        median, p95 = _time(client, url, args.repeat)
        print(f"{name:<16} {median:>10.1f} {p95:>8.1f}")


if __name__ == "__main__":
    main()
