"""The web app end to end in headless Chromium: queue, filters, call page, audio, review."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("flask", reason="pip install qa-toolkit[web]")

from qa_toolkit.review import workflow  # noqa: E402
from qa_toolkit.web import create_app  # noqa: E402
from qa_toolkit.web.demo import seed_store, write_tone  # noqa: E402

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run",
                 "--autoplay-policy=no-user-gesture-required"]  # fmt: skip
# Screenshots go to a temporary folder; QA_UPDATE_SCREENSHOTS=1 refreshes the ones in docs/img.
DOCS_IMG = (
    Path(__file__).resolve().parents[1] / "docs" / "img"
    if os.environ.get("QA_UPDATE_SCREENSHOTS") == "1"
    else Path(tempfile.mkdtemp(prefix="qa-web-shots-"))
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The app on a free loopback port, over a store of 40 synthetic calls with a recording."""
    from werkzeug.serving import make_server

    folder = tmp_path_factory.mktemp("web")
    seed_store(folder / "qa.db", 40, audio=write_tone(folder / "call.wav", seconds=30.0))
    httpd = make_server("127.0.0.1", 0, create_app(folder / "qa.db"), threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}", folder / "qa.db"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium not installed (Debian package: chromium)")
    with sync_api.sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser: Any, server: tuple[str, Path]) -> Iterator[Any]:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    yield page
    assert all(u.startswith((server[0], "data:")) for u in requests), requests
    page.close()


def _wait_until(page: Any, expression: str, timeout_s: float = 10.0) -> None:
    """Poll a page condition with ``evaluate``.

    Playwright's ``wait_for_function`` polls by evaluating a string inside the
    page, which the app's Content-Security-Policy (script-src 'self') forbids;
    ``evaluate`` goes through the debugger protocol, which CSP does not cover.
    """
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for: {expression}"
        page.wait_for_timeout(50)


def test_web_browser_queue_filters_and_pages(page: Any, server: tuple[str, Path]) -> None:
    page.goto(server[0] + "/")
    assert page.locator("#queue tbody tr").count() > 0
    everything = int(page.locator("#total b").inner_text())
    page.select_option("select[name=team]", "billing")
    page.select_option("select[name=kind]", "escalation")
    page.click("#apply")
    page.wait_for_url("**team=billing**")
    narrowed = int(page.locator("#total b").inner_text())
    assert 0 < narrowed < everything
    teams = page.locator("#queue tbody tr td:nth-child(4)").all_inner_texts()
    assert set(teams) == {"billing"}
    DOCS_IMG.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1100, "height": 640})
    page.goto(server[0] + "/")
    page.screenshot(path=str(DOCS_IMG / "web-queue.png"))


def test_web_browser_evidence_click_seeks_audio(page: Any, server: tuple[str, Path]) -> None:
    page.goto(server[0] + "/")
    page.locator("#queue a", has_text="call-00000").click()
    page.wait_for_selector("audio")
    assert "no_blame" in page.locator("#counterfactual").inner_text()
    assert "[PHONE]" in page.locator("#transcript").inner_text()  # masked for display
    _wait_until(page, "document.querySelector('audio').readyState >= 1")
    assert page.evaluate("document.querySelector('audio').currentTime") == 0
    evidence = page.locator("a.ev").first
    expected = float(evidence.get_attribute("data-start"))
    evidence.click()
    _wait_until(page, f"document.querySelector('audio').currentTime >= {expected - 0.01}")
    page.locator("#u-u0").click()
    _wait_until(page, "document.querySelector('audio').currentTime < 5")
    page.set_viewport_size({"width": 1100, "height": 640})
    page.screenshot(path=str(DOCS_IMG / "web-call.png"))


def test_web_browser_review_actions_reach_the_store(page: Any, server: tuple[str, Path]) -> None:
    base, store = server
    page.goto(base + "/call/call-00003")
    form = page.locator("#status-form")
    form.locator("input[name=reviewer]").fill("mei")
    form.locator("select[name=status]").select_option("confirmed")
    form.locator("button").click()
    page.wait_for_selector("#status:has-text('confirmed')")
    assert workflow.review_state(store, "call-00003").status == "confirmed"

    form = page.locator("#override-form")
    form.locator("select[name=item_id]").select_option("no_blame")
    form.locator("select[name=status]").select_option("pass")
    form.locator("input[name=reason]").fill("sarcasm, not blame")
    form.locator("button").click()
    page.wait_for_selector(".override")
    (override,) = workflow.item_overrides(store, "call-00003")
    assert (override.item_id, override.status, override.reviewer) == ("no_blame", "pass", "mei")

    page.locator("#appeal-form input[name=reason]").fill("the customer hung up first")
    page.locator("#appeal-form button").click()
    page.wait_for_selector(".decide-form")
    decide = page.locator(".decide-form").first
    decide.locator("select[name=decision]").select_option("upheld")
    decide.locator("input[name=comment]").fill("agreed")
    decide.locator("button").click()
    page.wait_for_selector(".appeal-status:has-text('upheld')")
    (appeal,) = workflow.appeals(store, call_id="call-00003")
    assert (appeal.status, appeal.reviewer) == ("upheld", "mei")
    actions = page.locator("#history tbody tr td:nth-child(3)").all_inner_texts()
    assert actions == ["status", "override", "appeal_filed", "appeal_decided"]


def test_web_browser_language_switch_and_person_pages(page: Any, server: tuple[str, Path]) -> None:
    page.goto(server[0] + "/")
    page.click("#lang-zh")
    page.wait_for_selector("text=待复核通话")
    page.click("#lang-en")
    page.locator("#queue a", has_text="agent0").first.click()
    assert page.locator('svg[data-chart="scores-over-time"]').count() == 1
    assert page.locator("#failed-items td").count() > 0
