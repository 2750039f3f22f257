"""Calibration sessions: blind verdicts, agreement by Cohen's and Fleiss' kappa, and who sees
what in the web app."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pytest

from qa_toolkit.errors import InvalidTransitionError, ReviewError, UnknownItemError, UsageError
from qa_toolkit.review import calibration as cal
from qa_toolkit.review.calibration import fleiss_kappa

pytest.importorskip("flask", reason="pip install qa-toolkit[web]")

from qa_toolkit.store.accounts import add_account  # noqa: E402
from qa_toolkit.web import create_app  # noqa: E402
from qa_toolkit.web.demo import seed_store  # noqa: E402

# Fleiss (1971) as the usual worked example gives it: 10 subjects, 14 raters, 5 categories,
# ratings per category; kappa 0.210.
_FLEISS_TABLE = (
    (0, 0, 0, 0, 14), (0, 2, 6, 4, 2), (0, 0, 3, 5, 6), (0, 3, 9, 2, 0), (2, 2, 8, 1, 1),
    (7, 7, 0, 0, 0), (3, 2, 6, 3, 0), (2, 5, 3, 2, 2), (6, 5, 2, 1, 0), (0, 2, 2, 3, 7),
)  # fmt: skip


def test_calibration_fleiss_kappa_matches_the_worked_example() -> None:
    labels = "abcde"
    ratings = [[labels[j] for j, n in enumerate(row) for _ in range(n)] for row in _FLEISS_TABLE]
    assert fleiss_kappa(ratings, labels) == pytest.approx(0.2099, abs=5e-4)
    assert fleiss_kappa([["a", "a", "a"], ["b", "b", "a"]], "ab") == pytest.approx(0.25)
    assert math.isnan(fleiss_kappa([["a", "a", "a"]] * 3, "ab"))  # chance agreement is total
    with pytest.raises(ValueError):
        fleiss_kappa([["a", "a"], ["a"]], "ab")


@pytest.fixture()
def store(tmp_path: Path) -> Path:
    seed_store(tmp_path / "qa.db", 8)
    return tmp_path / "qa.db"


def _score(store: Path, sid: str, reviewer: str, verdicts: dict[str, tuple[str, ...]]) -> None:
    """verdicts: item → one status per call of the session, in order."""
    calls = cal.session(store, sid).call_ids
    for n, call_id in enumerate(calls):
        cal.record_verdicts(store, sid, call_id, reviewer, {i: v[n] for i, v in verdicts.items()})


def test_calibration_two_reviewers_cohen_and_the_machine(store: Path) -> None:
    # Machine on call-00000..03: no_blame fail/pass/pass/fail, resolution pass/fail/pass/fail.
    s = cal.create_session(store, "June", [f"call-{n:05d}" for n in range(4)], ["mei", "li"],
                           by="wu")  # fmt: skip
    _score(store, s.session_id, "mei", {"greeting": ("pass",) * 4,
                                        "no_blame": ("fail", "pass", "pass", "fail"),
                                        "resolution": ("pass", "fail", "pass", "fail")}
           )  # fmt: skip
    _score(store, s.session_id, "li", {"greeting": ("pass",) * 4,
                                       "no_blame": ("fail", "pass", "fail", "fail"),
                                       "resolution": ("pass", "fail", "pass", "fail")})  # fmt: skip
    found = cal.agreement(store, s.session_id)
    items = {i.item_id: i for i in found.items}
    assert items["resolution"].method == "cohen" and items["resolution"].kappa == pytest.approx(1.0)
    # no_blame: mei f p p f, li f p f f: observed 3/4; chance .5*.75 + .5*.25 = .5 → kappa .5
    assert items["no_blame"].kappa == pytest.approx(0.5)
    assert items["no_blame"].agreement == pytest.approx(0.75)
    assert items["no_blame"].machine_agreement == pytest.approx(7 / 8)
    assert items["no_blame"].machine_fail == 2
    assert math.isnan(items["greeting"].kappa) and items["greeting"].agreement == 1.0
    reviewers = {r.reviewer: r for r in found.reviewers}
    assert reviewers["mei"].machine_agreement == 1.0 and reviewers["li"].verdicts == 12
    assert reviewers["li"].machine_agreement == pytest.approx(11 / 12)
    assert found.session.done == (("li", 4), ("mei", 4))
    assert found.to_dict()["items"][0]["kappa"] is None  # NaN is JSON null


def test_calibration_three_reviewers_use_fleiss(store: Path) -> None:
    s = cal.create_session(store, "July", ["call-00000", "call-00001"], ["a", "b", "c"], by="wu")
    for who, second in (("a", "fail"), ("b", "fail"), ("c", "pass")):
        _score(store, s.session_id, who, {"no_blame": ("pass", second)})
    (item,) = [i for i in cal.agreement(store, s.session_id).items if i.item_id == "no_blame"]
    assert item.method == "fleiss" and item.calls == 2
    assert item.kappa == pytest.approx(fleiss_kappa([["pass"] * 3, ["fail", "fail", "pass"]],
                                                    ("pass", "fail", "na")))  # fmt: skip


def test_calibration_rules(store: Path) -> None:
    with pytest.raises(UsageError):
        cal.create_session(store, "x", ["call-00000"], ["mei"], by="wu")  # one reviewer
    with pytest.raises(UsageError):
        cal.create_session(store, " ", ["call-00000"], ["mei", "li"], by="wu")
    s = cal.create_session(store, "x", ["call-00000"], ["mei", "li"], by="wu")
    with pytest.raises(ReviewError, match="not a member"):
        cal.record_verdicts(store, s.session_id, "call-00000", "zhao", {"greeting": "pass"})
    with pytest.raises(ReviewError, match="not in session"):
        cal.record_verdicts(store, s.session_id, "call-00001", "mei", {"greeting": "pass"})
    with pytest.raises(UnknownItemError):
        cal.record_verdicts(store, s.session_id, "call-00000", "mei", {"nope": "pass"})
    with pytest.raises(UsageError):
        cal.record_verdicts(store, s.session_id, "call-00000", "mei", {"greeting": "maybe"})
    cal.record_verdicts(store, s.session_id, "call-00000", "mei", {"greeting": "fail"})
    cal.record_verdicts(store, s.session_id, "call-00000", "mei", {"greeting": "pass"})  # again
    assert cal.my_verdicts(store, s.session_id, "mei") == {"call-00000": {"greeting": "pass"}}
    assert cal.my_verdicts(store, s.session_id, "li") == {}
    cal.close_session(store, s.session_id)
    with pytest.raises(InvalidTransitionError):
        cal.record_verdicts(store, s.session_id, "call-00000", "li", {"greeting": "pass"})
    with pytest.raises(InvalidTransitionError):
        cal.close_session(store, s.session_id)


def _client(app: Any, name: str) -> Any:
    client = app.test_client()
    html = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    client.post("/login", data={"csrf": csrf, "name": name, "password": f"{name}-password-1"})
    return client


def test_calibration_in_the_web_app_is_blind_until_closed(store: Path, tmp_path: Path) -> None:
    users = tmp_path / "users.json"
    for name, role in (("wu", "supervisor"), ("mei", "reviewer"), ("li", "reviewer"),
                       ("zhao", "reviewer")):  # fmt: skip
        add_account(users, name, role, password=f"{name}-password-1")
    app = create_app(store, users_file=users)
    wu, mei, li, zhao = (_client(app, n) for n in ("wu", "mei", "li", "zhao"))
    csrf = re.search(r'name="csrf" value="([^"]+)"', wu.get("/calibration").get_data(as_text=True))
    form = {"csrf": csrf.group(1), "title": "Week 2", "members": "mei, li",  # type: ignore[union-attr]
            "call_ids": "call-00000\ncall-00001"}  # fmt: skip
    mine = re.search(r'name="csrf" value="([^"]+)"', mei.get("/").get_data(as_text=True))
    own = {**form, "csrf": mine.group(1)}  # type: ignore[union-attr]
    assert mei.post("/action/calibration/create", data=own).status_code == 403  # supervisors
    created = wu.post("/action/calibration/create", data=form)
    sid = created.headers["Location"].rsplit("/", 1)[1]
    assert zhao.get(f"/calibration/{sid}").status_code == 403
    page = mei.get(f"/calibration/{sid}/call/call-00000").get_data(as_text=True)
    assert 'name="item:no_blame"' in page and "status-fail" not in page  # no machine verdict
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    verdicts = {"csrf": token, "session_id": sid, "call_id": "call-00000",
                "item:greeting": "pass", "item:no_blame": "pass",
                "item:resolution": "fail"}  # fmt: skip
    assert mei.post("/action/calibration/record", data=verdicts).status_code == 302
    li_page = li.get(f"/calibration/{sid}/call/call-00000").get_data(as_text=True)
    assert " checked" not in li_page  # mei's verdicts are not shown to li
    assert 'id="results"' not in mei.get(f"/calibration/{sid}").get_data(as_text=True)
    assert 'id="results"' in wu.get(f"/calibration/{sid}").get_data(as_text=True)
    assert mei.post("/action/calibration/close", data={"csrf": token, "session_id": sid}
                    ).status_code == 403  # fmt: skip
    wu_token = re.search(r'name="csrf" value="([^"]+)"',
                         wu.get(f"/calibration/{sid}").get_data(as_text=True)).group(1)  # type: ignore[union-attr]  # fmt: skip
    assert wu.post("/action/calibration/close", data={"csrf": wu_token, "session_id": sid}
                   ).status_code == 302  # fmt: skip
    closed = mei.get(f"/calibration/{sid}").get_data(as_text=True)
    assert 'id="results"' in closed and 'data-item="no_blame"' in closed
    assert mei.post("/action/calibration/record", data=verdicts).status_code == 409
