"""The HTML report and call pages rendered in headless Chromium: charts, links, no network."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pytest

from qa_toolkit.batch import BatchOptions, run_batch
from qa_toolkit.batch.tasks import AsrSettings
from qa_toolkit.report import write_report
from qa_toolkit.report.call import page_name
from qa_toolkit.store import Store

from .batch_helpers import RUBRIC, copy_samples, make_day

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]  # fmt: skip
CHARTS = ("score-distribution", "score-by-section", "score-by-team", "score-by-agent",
          "failed-items", "flags-by-reason", "sentiment-curves", "calls-by-hour")  # fmt: skip


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A day of text calls (some off-hours), one two-file recording and a corrupt file."""
    folder = tmp_path_factory.mktemp("report")
    day = folder / "day"
    make_day(day, 8, hour=5)
    copy_samples(day, "rude_unresolved.agent.wav", "rude_unresolved.customer.wav")
    (day / "corrupt.wav").write_bytes(b"not audio at all" * 20)
    options = BatchOptions(asr=AsrSettings(model="tiny.en", language="en"))
    result = run_batch([day], RUBRIC, store=folder / "qa.db", options=options)
    with Store(folder / "qa.db") as store:
        return write_report(store, folder / "report", run_id=result.run_id)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium not installed (Debian package: chromium)")
    with sync_api.sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _open(browser: Any, path: Path) -> tuple[Any, list[str]]:
    page = browser.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())
    return page, requests


def test_report_html_daily_page_has_every_chart_and_no_network(browser: Any, report: Path) -> None:
    page, requests = _open(browser, report)
    for name in CHARTS:
        chart = page.locator(f'svg[data-chart="{name}"]')
        assert chart.count() == 1, name
        marks = chart.locator("rect.bar, polyline.line").count()
        assert marks > 0, f"chart {name} is empty"
    # Calls at 05:15-07:15 are off-hours: drawn in the alert colour.
    assert page.locator('svg[data-chart="calls-by-hour"] rect[fill="#c2413b"]').count() >= 3
    assert page.locator("#calls tbody tr").count() == 9
    failures = page.locator("#failures").inner_text()
    assert "corrupt" in failures and "transcribe" in failures
    assert all(url.startswith(("file:", "data:")) for url in requests), requests
    page.close()


def test_report_html_daily_page_names_its_day_threshold_sections_and_items(
    browser: Any, report: Path
) -> None:
    page, _ = _open(browser, report)
    # Chosen by run, the page is still named by the day of its calls.
    assert "2026-11-21" in page.title() and "run" not in page.title()
    assert "run " in page.locator("header").inner_text()
    threshold = page.locator('svg[data-chart="score-distribution"] line.mark')
    assert threshold.count() == 1 and "flagged below 70" in (threshold.text_content() or "")
    sections = page.locator('svg[data-chart="score-by-section"]').text_content() or ""
    for title in ("Script compliance", "Empathy", "Resolution", "Customer outcome"):
        assert title in sections
    # Items are named by their titles, as a supervisor reads them, not by their ids.
    pareto = page.locator('svg[data-chart="failed-items"] rect.bar title').all_text_contents()
    assert pareto and not any(re.match(r"^[a-z_]+:", label) for label in pareto), pareto
    page.close()
    call = report.parent / "calls" / page_name("rude_unresolved")
    page, _ = _open(browser, call)
    subtotals = page.locator("#scorecard tr.section").all_inner_texts()
    assert len(subtotals) == 4 and all(re.search(r"weight \d+\s+(\d+%|n\.a\.)$", s)
                                       for s in subtotals), subtotals  # fmt: skip
    page.close()


def test_report_html_links_to_every_call_page(browser: Any, report: Path) -> None:
    page, _ = _open(browser, report)
    page.locator("#calls a", has_text="rude_unresolved").click()
    page.wait_for_load_state()
    assert page.url.endswith("/calls/" + page_name("rude_unresolved"))
    assert page.title().startswith("rude_unresolved:")
    links = page.evaluate("Array.from(document.querySelectorAll('a')).map(a => a.href)")
    assert all(not re.match(r"https?:", link) for link in links)
    page.close()


def test_report_html_call_page_drills_down_with_audio(browser: Any, report: Path) -> None:
    page, requests = _open(browser, report.parent / "calls" / page_name("rude_unresolved"))
    sources = page.evaluate("Array.from(document.querySelectorAll('audio')).map(a => a.src)")
    assert len(sources) == 2  # one player per side of a two-file call
    assert all(Path(unquote(urlparse(src).path)).is_file() for src in sources)
    utterances = page.locator("#transcript .utt")
    assert utterances.count() == page.locator('svg[data-chart="timeline"] rect.span').count() > 0
    assert page.locator("#transcript .utt.agent").count() > 0
    assert page.locator("#transcript .utt.customer").count() > 0
    evidence = page.locator("#transcript .utt.evidence")
    assert evidence.count() > 0 and page.locator(".status-fail").count() > 0
    assert page.locator('svg[data-chart="emotion"] polyline.line').count() >= 1
    assert "agent_talk_share" in page.locator("#features").inner_text()
    # An evidence link moves the players to the quoted moment.
    link = page.locator("#scorecard a[data-start]").last
    start = float(link.get_attribute("data-start") or "0")
    link.click()
    times = page.evaluate("Array.from(document.querySelectorAll('audio')).map(a => a.currentTime)")
    assert times == pytest.approx([start, start], abs=0.05)
    assert all(url.startswith(("file:", "data:")) for url in requests), requests
    page.close()


def test_report_html_text_call_page_has_no_player(browser: Any, report: Path) -> None:
    page, _ = _open(browser, report.parent / "calls" / page_name("c000"))
    assert page.locator("audio").count() == 0
    assert "no recording" in page.locator("#player").inner_text()
    assert page.locator('svg[data-chart="timeline"]').count() == 1
    page.close()


def test_report_html_page_names_are_safe() -> None:
    assert page_name("c001") == "c001.html"
    odd = page_name("东区/通话 7")
    assert odd.endswith(".html") and "/" not in odd and odd != page_name("东区/通话 8")


def test_report_html_a_hostile_call_id_stays_text(browser: Any, tmp_path: Path) -> None:
    from .review_helpers import add_call

    hostile = '<svg onload=alert(6)>"x'
    with Store(tmp_path / "qa.db") as store:
        add_call(store, hostile)
        index = write_report(store, tmp_path / "report", date="2026-11-21")
    call_page = tmp_path / "report" / "calls" / page_name(hostile)
    assert call_page.parent == tmp_path / "report" / "calls" and call_page.is_file()
    html = call_page.read_text("utf-8")
    assert "<svg onload" not in html and "&lt;svg onload=alert(6)&gt;" in html
    # Only the page's own script may run: it is allowed by its hash, inline handlers are not.
    assert "script-src 'sha256-" in html and "'unsafe-inline'; img-src" not in html
    dialogs: list[str] = []
    for path in (index, call_page):
        page = browser.new_page()
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(path.as_uri())
        page.wait_for_timeout(300)
        page.close()
    assert dialogs == []
    page = browser.new_page()
    page.goto(call_page.as_uri())
    assert page.title().startswith(hostile)
    page.close()
