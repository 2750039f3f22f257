"""The reviewer's workspace through Flask's test client: error pages, Chinese reasons, the
timeline's moments, quotes masked (not hidden) on a store kept unredacted, the agent page."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("flask", reason="pip install qa-toolkit[web]")

from qa_toolkit.scoring.types import Evidence  # noqa: E402
from qa_toolkit.types import Transcript, Utterance  # noqa: E402
from qa_toolkit.web import create_app, svg, views  # noqa: E402
from qa_toolkit.web.demo import seed_store  # noqa: E402
from qa_toolkit.web.i18n import chart_words, reason  # noqa: E402


@pytest.fixture()
def client(store_location: str) -> Any:
    seed_store(store_location, 12, chinese_every=5)
    return create_app(store_location, user="mei").test_client()


def _csrf(client: Any, url: str) -> tuple[str, str]:
    html = client.get(url).get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    version = re.search(r'name="version" value="(\d*)"', html).group(1)  # type: ignore[union-attr]
    return csrf, version


def test_web_workspace_error_pages_are_styled_with_a_way_back(
    client: Any, monkeypatch: Any
) -> None:
    missing = client.get("/call/no-such-call", headers={"Referer": "http://localhost/search"})
    html = missing.get_data(as_text=True)
    assert missing.status_code == 404 and 'data-code="404"' in html
    assert 'href="http://localhost/search"' in html and 'id="go-home"' in html
    assert '<link rel="stylesheet" href="/report.css">' in html
    bad = client.get("/?band=gold").get_data(as_text=True)
    assert 'data-code="400"' in bad and "bad value for band" in bad
    # A stale form: 409, said plainly, with a link to the call to see what changed.
    csrf, version = _csrf(client, "/call/call-00001")
    form = {"csrf": csrf, "call_id": "call-00001", "version": version}
    assert client.post("/action/status", data={**form, "status": "in_review"}).status_code == 302
    stale = client.post("/action/override", data={**form, "item_id": "greeting", "status": "fail",
                                                  "reason": "late"})  # fmt: skip
    page = stale.get_data(as_text=True)
    assert stale.status_code == 409 and 'id="reload-call" href="/call/call-00001"' in page
    client.get("/lang/zh")
    again = {**form, "item_id": "greeting", "status": "fail", "reason": "late"}
    assert "内容已被他人修改" in client.post("/action/override", data=again).get_data(as_text=True)

    def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(views, "call_view", broken)
    crash = client.get("/call/call-00002")
    assert crash.status_code == 500 and b"secret internals" not in crash.data
    assert 'data-code="500"' in crash.get_data(as_text=True)


def test_web_workspace_reasons_in_chinese() -> None:
    titles = {"resolution": "问题解决", "identity_verified": "身份核实"}
    assert reason("zh", "score 55.0 is below 70") == "得分 55.0 低于 70"
    resolved = reason("zh", "reviewed score 100.0 ≥ 70 after override of resolution by mei",
                      titles)  # fmt: skip
    assert resolved == "复核后得分 100.0 ≥ 70，因mei 改判 问题解决"
    assert reason("zh", "identity_verified failed at 00:12: no utterance showing identity_check "
                  "(asks for or confirms identifying details) in the agent's turns", titles) == (
        "身份核实 不通过（00:12）：没有体现核实身份（坐席话轮内）"
    )  # fmt: skip
    risk = "at 00:13: the customer asks for a supervisor or to escalate: 'manager'"
    assert reason("zh", risk) == (
        "00:13：客户要求找主管或升级处理: 'manager'"
    )  # fmt: skip
    assert reason("zh", "greeting (greets or welcomes the customer), p=1.00 ≥ 0.25: 'Hello,'") == (
        "问候、欢迎, 概率 1.00 ≥ 0.25: 'Hello,'"
    )  # fmt: skip
    assert reason("zh", "an unforeseen sentence") == "an unforeseen sentence"  # kept as written
    assert reason("en", "score 55.0 is below 70") == "score 55.0 is below 70"


def test_web_workspace_timeline_marks_holds_overtalk_and_comments() -> None:
    said = (
        Utterance("u0", "agent", 0.0, 3.0, "Please hold while I check that for you."),
        Utterance("u1", "agent", 45.0, 50.0, "Thanks for waiting, it is fixed."),
        Utterance("u2", "customer", 48.0, 52.0, "Wait, and the other charge?"),
    )
    transcript = Transcript("c", said, language="en", duration_s=55.0)
    words = chart_words("zh")
    moments = svg.timing_moments(transcript, words)
    assert [(m.kind, m.start_s) for m in moments] == [("hold", 3.0), ("overtalk", 48.0)]
    moments.append(svg.Moment("comment_mark", 20.0, 20.0, "mei: listen"))
    drawn = svg.timeline(transcript, moments, words=words, failed_utterances=frozenset({"u2"}))
    assert drawn.count('class="moment moment-') == 3
    assert 'data-start="3.00"' in drawn and 'data-start="20.00"' in drawn
    assert ">保持等待</text>" in drawn and ">抢话</text>" in drawn and ">评论</text>" in drawn
    assert "agent" not in re.sub(r"<[^>]+>", "", drawn)  # every visible word in Chinese


def test_web_workspace_quotes_are_masked_not_hidden(tmp_path: Path) -> None:
    from qa_toolkit.privacy import redact
    from qa_toolkit.web.demo import _score, _transcript

    raw = _transcript("c")
    score = _score("c", 0)
    leaky = Evidence("u1", "customer", 5.0, 8.0, raw.utterances[1].text, "the customer's number")
    score = replace(score, items=(replace(score.items[0], evidence=(leaky,)), *score.items[1:]))
    shown = views._masked_quotes(score, raw, redact(raw))
    assert "415-555-0134" not in shown.items[0].evidence[0].quote
    assert "[PHONE]" in shown.items[0].evidence[0].quote
    assert shown.items[1].evidence[0].quote == "That is not our department."  # no PII: as is
    seed_store(tmp_path / "qa.db", 2)  # stored unredacted, served masked
    page = (
        create_app(tmp_path / "qa.db").test_client().get("/call/call-00000").get_data(as_text=True)
    )
    assert '<q class="quote" translate="no">That is not our department.</q>' in page


def test_web_workspace_agent_page_trend_items_flags(client: Any) -> None:
    page = client.get("/agent/agent0").get_data(as_text=True)
    assert page.count('class="dot"') == 1  # agent0 has one call among 12
    assert 'class="threshold"' in page
    failed = re.findall(r'<td translate="no">([^<]+)</td><td class="num">1</td>', page)
    assert failed == ["No blaming"]  # call-00000 passes its resolution
    assert re.search(r"<td>below threshold</td><td class=\"num\">1</td>", page)


def test_web_workspace_queue_priorities_follow_new_flags(tmp_path: Path) -> None:
    from qa_toolkit.store import Store
    from qa_toolkit.store.connection import transaction
    from qa_toolkit.store.reviews import record_flag_run
    from qa_toolkit.web import queries

    seed_store(tmp_path / "qa.db", 12)
    with Store(tmp_path / "qa.db") as store:

        def priority(call_id: str) -> float:
            rows = queries.queue(store, queries.QueueQuery()).rows
            return next(r.priority for r in rows if r.call_id == call_id)

        before = priority("call-00001")  # a low score only
        key = store.conn.execute(
            "SELECT score_key FROM scores WHERE call_id = 'call-00001'"
        ).fetchone()[0]
        run = {"flag_run_id": "fr-1", "rules": "{}", "sample_rate": 0.0, "seed": 0, "calls": 1,
               "flagged": 1, "sampled": 0, "created_at": "2030-01-01T00:00:00+00:00"}  # fmt: skip
        with transaction(store.conn, store.path) as conn:
            record_flag_run(conn, run, [(key, "risk_escalation", "at 00:13: a manager")])
        after = priority("call-00001")  # kept priorities are dropped when flags change
    assert before < 0.5 < after
