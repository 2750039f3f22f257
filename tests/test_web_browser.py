"""The web app end to end in headless Chromium, signed in with real accounts.

One server (waitress-free: werkzeug's threaded server on a free port) over a store of 40
synthetic calls (every fifth in Mandarin), one browser; each test opens its own signed-in
context for the role it plays: mei (reviewer), wu (supervisor), agent0 (agent).
"""

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

from qa_toolkit.review import coaching, workflow  # noqa: E402
from qa_toolkit.store.accounts import add_account  # noqa: E402
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
PASSWORDS = {"mei": "mei-password-1", "wu": "wu-password-22", "agent0": "agent0-password"}
# Every fifth call is in Mandarin: call-00004, call-00009, … (call-00009 fails two items).
CHINESE_CALL = "call-00009"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """The app on a free loopback port with a users file, over 40 synthetic calls, with its
    store in a SQLite file and then in a PostgreSQL database."""
    from werkzeug.serving import make_server

    from .postgres_server import new_database

    folder = tmp_path_factory.mktemp("web")
    db = str(folder / "qa.db")
    if request.param == "postgresql":
        db = new_database(request.getfixturevalue("postgres_server"))
    seed_store(db, 40, audio=write_tone(folder / "call.wav", seconds=30.0),
               chinese_every=5)  # fmt: skip
    users = folder / "users.json"
    add_account(users, "mei", "reviewer", password=PASSWORDS["mei"])
    add_account(users, "wu", "supervisor", password=PASSWORDS["wu"])
    add_account(users, "agent0", "agent", password=PASSWORDS["agent0"])
    app = create_app(db, users_file=users)
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}", db
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


class Pages:
    """Signed-in pages, one browser context per user; every request stays on the server."""

    def __init__(self, browser: Any, base: str) -> None:
        self.browser, self.base = browser, base
        self.contexts: list[Any] = []
        self.requests: list[str] = []

    def fresh(self) -> Any:
        context = self.browser.new_context(viewport={"width": 1280, "height": 900})
        context.on("request", lambda r: self.requests.append(r.url))
        self.contexts.append(context)
        return context.new_page()

    def as_user(self, name: str) -> Any:
        page = self.fresh()
        page.goto(self.base + "/")  # sent to the sign-in form
        page.fill("input[name=name]", name)
        page.fill("input[name=password]", PASSWORDS[name])
        page.click("#login-form button")
        page.wait_for_selector("#who")
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture()
def pages(browser: Any, server: tuple[str, str]) -> Iterator[Pages]:
    found = Pages(browser, server[0])
    yield found
    found.close()
    assert all(u.startswith((server[0], "data:")) for u in found.requests), found.requests


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


def _override(page: Any, item_id: str, status: str, reason: str) -> None:
    """Change an item's verdict with the form beside the item."""
    page.locator(f"#item-{item_id} ~ tr.controls details.item-review").first.locator(
        "summary"
    ).click()
    form = page.locator(f'form.override-form[data-item="{item_id}"]')
    form.locator("select[name=status]").select_option(status)
    form.locator("input[name=reason]").fill(reason)
    form.locator("button").click()


def test_web_browser_sign_in_roles_and_error_pages(pages: Pages, server: tuple[str, str]) -> None:
    page = pages.fresh()
    page.goto(server[0] + "/call/call-00001")
    assert "/login" in page.url
    page.fill("input[name=name]", "mei")
    page.fill("input[name=password]", "not her password")
    page.click("#login-form button")
    page.wait_for_selector("#refused")
    page.fill("input[name=name]", "mei")
    page.fill("input[name=password]", PASSWORDS["mei"])
    page.click("#login-form button")
    page.wait_for_selector("#scorecard")  # back where she was going
    assert page.url.endswith("/call/call-00001")
    assert "mei" in page.locator("#who").inner_text()
    page.click("#sign-out")
    page.wait_for_selector("#login-form")
    page.goto(server[0] + "/")
    assert "/login" in page.url  # signed out for real
    # An agent lands on their own page, and another agent's call is a styled 403 with a way back.
    agent = pages.as_user("agent0")
    assert "/agent/agent0" in agent.url
    agent.goto(server[0] + "/call/call-00001")  # agent1's
    assert agent.locator("#error").get_attribute("data-code") == "403"
    agent.click("#go-home")
    assert "/agent/agent0" in agent.url


def test_web_browser_queue_filters_and_pages(pages: Pages, server: tuple[str, str]) -> None:
    page = pages.as_user("mei")
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


def test_web_browser_search_finds_unflagged_calls_by_words(
    pages: Pages, server: tuple[str, str]
) -> None:
    page = pages.as_user("mei")
    page.click("#nav-search")
    everything = int(page.locator("#total b").inner_text())
    assert everything == 40  # every call, not only the flagged ones
    page.fill("#said", "经理")  # said only in the Mandarin calls
    page.click("#apply")
    page.wait_for_url("**text=**")
    ids = page.locator("#queue tbody tr td:first-child").all_inner_texts()
    assert ids and set(ids) == {f"call-{n:05d}" for n in range(4, 40, 5)}
    assert "call-00004" in ids  # scores 100: never in the flagged queue
    page.fill("#said", "")
    page.fill("input[name=q]", "call-0001")
    page.select_option("select[name=band]", "excellent")
    page.click("#apply")
    page.wait_for_url("**q=call-0001**")
    found = page.locator("#queue tbody tr td:first-child").all_inner_texts()
    assert found and all(i.startswith("call-0001") for i in found)
    assert page.locator("#queue tbody tr td:nth-child(7)").all_inner_texts() == ["excellent"] * len(
        found
    )


def test_web_browser_evidence_click_seeks_audio(pages: Pages, server: tuple[str, str]) -> None:
    page = pages.as_user("mei")
    page.locator("#queue a", has_text="call-00000").click()
    page.wait_for_selector("audio")
    assert "No blaming" in page.locator("#counterfactual").inner_text()
    assert "[PHONE]" in page.locator("#transcript").inner_text()  # masked for display
    # The failed item's evidence quote is on the page.
    quoted = page.locator("#item-no_blame ~ tr.ev-row").first.inner_text()
    assert "That is not our department." in quoted
    assert page.locator("#features").get_attribute("open") is None  # collapsed
    risks = page.locator('svg[data-chart="call-timeline"] .moment-risk title').evaluate_all(
        "titles => titles.map(t => t.textContent)"
    )
    assert risks == ["risk event 00:09: agent deflects", "risk event 00:13: escalation"]
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


def test_web_browser_review_appeal_and_decision_by_role(
    pages: Pages, server: tuple[str, str]
) -> None:
    base, store = server
    page = pages.as_user("mei")
    page.goto(base + "/call/call-00003")
    form = page.locator("#status-form")
    form.locator("select[name=status]").select_option("confirmed")
    form.locator("button").click()
    page.wait_for_selector("#status[data-status=confirmed]")
    assert workflow.review_state(store, "call-00003").reviewer == "mei"
    page.locator("#appeal-form input[name=reason]").fill("the customer hung up first")
    page.locator("#appeal-form button").click()
    page.wait_for_selector(".decide-form")
    assert page.locator(".decide-form button").count() == 0  # a reviewer does not decide
    boss = pages.as_user("wu")
    boss.goto(base + "/call/call-00003#appeals")
    decide = boss.locator(".decide-form").first
    decide.locator("select[name=decision]").select_option("upheld")
    decide.locator("input[name=comment]").fill("agreed")
    decide.locator("button").click()
    boss.wait_for_selector(".appeal-status[data-status=upheld]")
    (appeal,) = workflow.appeals(store, call_id="call-00003")
    assert (appeal.status, appeal.reviewer) == ("upheld", "wu")
    actions = boss.locator("#history tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.action)"
    )
    assert actions == ["status", "appeal_filed", "appeal_decided"]


def test_web_browser_override_moves_the_score_on_queue_and_call_page(
    pages: Pages, server: tuple[str, str]
) -> None:
    # call-00001 scores 60 (its 'resolution' item fails) with only below_threshold: passing
    # the item with the form beside it lifts the call to 100, out of the queue.
    base, store = server
    page = pages.as_user("mei")
    row = page.locator("#queue tbody tr").filter(has=page.locator("a", has_text="call-00001"))
    assert row.locator("td.score").inner_text().startswith("60.0")
    row.locator("a", has_text="call-00001").click()
    page.wait_for_selector("#scorecard")
    assert page.locator("#score").inner_text() == "60.0"
    _override(page, "resolution", "pass", "the fix was sent by mail")
    page.wait_for_selector("#auto-score")
    assert page.locator("#score").inner_text() == "100.0"
    assert page.locator("#auto-score").inner_text() == "machine score 60.0"
    assert "reviewed score 100.0 ≥ 70" in page.locator(".flag.resolved").inner_text()
    assert workflow.item_overrides(store, "call-00001")[0].reviewer == "mei"
    page.goto(base + "/")
    assert page.locator("#queue a", has_text="call-00001").count() == 0


def test_web_browser_assignment_and_timed_comment(pages: Pages, server: tuple[str, str]) -> None:
    base, store = server
    boss = pages.as_user("wu")
    boss.goto(base + "/call/call-00006")
    boss.fill("#assign-form input[name=reviewer]", "mei")
    boss.click("#assign-form button")
    boss.wait_for_selector("#assignee:has-text('mei')")
    page = pages.as_user("mei")
    page.click("#nav-assigned")
    page.locator("#assigned-calls a", has_text="call-00006").click()
    page.wait_for_selector("#comment-form")
    page.fill("#comment-form input[name=at]", "0:09")
    page.fill("#comment-form input[name=body]", "listen to the hand-off here")
    page.click("#comment-form button[type=submit]")
    page.wait_for_selector(".comment-body:has-text('hand-off')")
    (found,) = coaching.comments(store, "call-00006")
    assert (found.author, found.at_s) == ("mei", 9.0)
    assert page.locator('svg[data-chart="call-timeline"] .moment-comment_mark').count() == 1
    _wait_until(page, "document.querySelector('audio').readyState >= 1")
    page.locator(".comment a.ev").click()
    _wait_until(page, "document.querySelector('audio').currentTime >= 8.99")


def test_web_browser_coaching_note_acknowledged_by_the_agent(
    pages: Pages, server: tuple[str, str]
) -> None:
    base, store = server
    page = pages.as_user("mei")
    page.goto(base + "/call/call-00000")  # agent0's call
    page.select_option("#note-form select[name=item_id]", "no_blame")
    page.fill("#note-form input[name=body]", "Own the refund instead of passing it on")
    page.click("#note-form button")
    page.wait_for_selector(".note .ack.pending")
    agent = pages.as_user("agent0")
    assert agent.locator("#open-notes").inner_text() == "1"
    note = agent.locator(".note", has_text="Own the refund")
    note.locator("input[name=reply]").fill("understood")
    note.locator("button").click()
    agent.wait_for_selector(".note.acked")
    assert agent.locator("#open-notes").inner_text() == "0"
    (done,) = coaching.coaching_notes(store, agent_id="agent0")
    assert done.acknowledged and done.reply == "understood" and done.item_id == "no_blame"


def test_web_browser_case_library_add_browse_export(pages: Pages, server: tuple[str, str]) -> None:
    base, _ = server
    page = pages.as_user("mei")
    page.goto(base + "/call/call-00012")
    page.select_option("#case-form select[name=example]", "bad")
    page.fill("#case-form input[name=tag]", "Blame")
    page.fill("#case-form input[name=note]", "passes the customer to another department")
    page.click("#case-form button[type=submit]")
    page.wait_for_selector(".case .tag:has-text('blame')")
    page.click("#nav-cases")
    page.select_option("#case-filters select[name=tag]", "blame")
    page.click("#case-filters button")
    rows = page.locator("#case-table tbody tr.case")
    assert rows.count() == 1 and "call-00012" in rows.first.inner_text()
    exported = page.request.get(base + page.locator("#export-jsonl").get_attribute("href"))
    assert exported.ok
    (line,) = exported.text().splitlines()
    assert '"tag": "blame"' in line and '"example": "bad"' in line and "[PHONE]" in line


def test_web_browser_chinese_call_page_has_no_english_labels(
    pages: Pages, server: tuple[str, str]
) -> None:
    page = pages.as_user("wu")
    page.goto(server[0] + f"/call/{CHINESE_CALL}")
    page.click("#lang-zh")
    page.wait_for_selector("text=评分卡")
    # Every visible word outside data (translate="no": ids, names, quotes, transcript text,
    # rubric titles) and the SVG text: no word of two or more Latin letters may remain.
    english = page.evaluate(
        """() => {
        const out = [];
        const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
        while (walker.nextNode()) {
            const node = walker.currentNode, parent = node.parentElement;
            if (!parent || parent.closest('[translate="no"], script, style')) continue;
            for (const word of node.textContent.match(/[A-Za-z]{2,}/g) || []) out.push(word);
        }
        for (const el of document.querySelectorAll('[placeholder]')) {
            for (const word of el.placeholder.match(/[A-Za-z]{2,}/g) || []) out.push(word);
        }
        return out;
    }"""
    )
    assert english == [], english
    assert "低于" in page.locator('.flag[data-kind="below_threshold"]').inner_text()
    assert page.locator("#band").inner_text() == "较差"
    page.click("#lang-en")
    page.wait_for_selector("text=Score card")


def test_web_browser_person_pages(pages: Pages, server: tuple[str, str]) -> None:
    page = pages.as_user("mei")
    page.locator("#queue a", has_text="agent0").first.click()
    assert page.locator('svg[data-chart="score-trend"] circle.dot').count() >= 3
    assert page.locator("#failed-items td").count() > 0
    assert page.locator("#flag-kinds td").count() > 0
