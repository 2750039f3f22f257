"""The web app shows the reviewed score: an override through the form moves the queue, the
call page and the day's numbers; a conflicting action is shown apart in the history."""

from __future__ import annotations

import re
from typing import Any

import pytest

pytest.importorskip("flask", reason="pip install qa-toolkit[web]")

from qa_toolkit.web import create_app  # noqa: E402
from qa_toolkit.web.demo import seed_store  # noqa: E402

# In the demo store call-00001 scores 60 (its 'resolution' item fails) and carries only
# below_threshold; passing that item lifts it to 100.
CALL = "call-00001"


@pytest.fixture()
def client(store_location: str) -> Any:
    seed_store(store_location, 12)
    return create_app(store_location, user="mei").test_client()


def _form(client: Any, **fields: str) -> dict[str, str]:
    html = client.get(f"/call/{CALL}").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    version = re.search(r'name="version" value="(\d*)"', html).group(1)  # type: ignore[union-attr]
    return {"csrf": csrf, "call_id": CALL, "version": version, **fields}


def _queue_row(client: Any) -> str | None:
    html = client.get("/").get_data(as_text=True)
    found = re.search(rf'<tr>\s*<td translate="no"><a href="/call/{CALL}">.*?</tr>', html, re.S)
    return None if found is None else found.group(0)


def test_web_review_override_moves_queue_call_page_and_day(client: Any) -> None:
    row = _queue_row(client)
    assert row is not None and ">60.0<" in row
    before = client.get(f"/call/{CALL}").get_data(as_text=True)
    assert '<span id="score">60.0</span> (<span id="band">needs improvement</span>)' in before

    form = _form(client, item_id="resolution", status="pass", reason="the fix was sent by mail")
    assert client.post("/action/override", data=form).status_code == 302

    assert _queue_row(client) is None  # cleared the threshold, no other flag: left the queue
    page = client.get(f"/call/{CALL}").get_data(as_text=True)
    assert '<span id="score">100.0</span> (<span id="band">excellent</span>)' in page
    assert '<small id="auto-score">machine score 60.0</small>' in page
    assert (
        'below threshold resolved: <span class="why">reviewed score 100.0 ≥ 70 after override '
        "of resolution by mei</span>"
    ) in page
    assert (
        'fail → pass (<span class="why">override of resolution by mei: the fix was sent by '
        "mail</span>)"
    ) in page
    assert '<p class="flag" data-kind="below_threshold">' in before
    assert '<p class="flag" ' not in page


def test_web_review_conflict_is_shown_apart_in_the_history(client: Any) -> None:
    stale = _form(client, item_id="greeting", status="fail", reason="late greeting")
    fresh = _form(client, status="in_review", comment="listening")
    assert client.post("/action/status", data=fresh).status_code == 302
    assert client.post("/action/override", data=stale).status_code == 409  # read version 0
    page = client.get(f"/call/{CALL}").get_data(as_text=True)
    rows = re.findall(r'<tr( class="conflict"[^>]*)? data-action="(\w+)"><td>[^<]*</td>'
                      r'<td translate="no">mei</td>', page)  # fmt: skip
    assert [(bool(cls), action) for cls, action in rows] == [(False, "status"), (True, "override")]
    assert "(conflict, not applied)" in page
    # The conflicting override did not apply: the score and the item are the machine's.
    assert '<span id="score">60.0</span>' in page and "fail → pass" not in page
