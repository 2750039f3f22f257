"""Accounts and roles: sign-in from a users file, what each role may do (checked on the server),
sessions that end when an account changes, and the ``qa users`` and ``qa serve`` commands."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

pytest.importorskip("flask", reason="pip install qa-toolkit[web]")

from qa_toolkit.cli.main import qa  # noqa: E402
from qa_toolkit.errors import UsageError  # noqa: E402
from qa_toolkit.review import coaching, workflow  # noqa: E402
from qa_toolkit.store.accounts import (  # noqa: E402
    add_account,
    check_password,
    load_accounts,
    remove_account,
    set_role,
)
from qa_toolkit.web import create_app  # noqa: E402
from qa_toolkit.web.demo import seed_store, write_tone  # noqa: E402

PASSWORDS = {"mei": "mei-password-1", "wu": "wu-password-22", "agent0": "agent0-password",
             "agent1": "agent1-password"}  # fmt: skip
ROLES = {"mei": "reviewer", "wu": "supervisor", "agent0": "agent", "agent1": "agent"}


@pytest.fixture()
def site(tmp_path: Path) -> tuple[Any, Path, Path]:
    """(app, store, users file): 12 demo calls (agent0 has call-00000, agent1 call-00001)."""
    seed_store(tmp_path / "qa.db", 12, audio=write_tone(tmp_path / "call.wav", seconds=1.0))
    users = tmp_path / "users.json"
    for name, role in ROLES.items():
        add_account(users, name, role, password=PASSWORDS[name])
    return create_app(tmp_path / "qa.db", users_file=users), tmp_path / "qa.db", users


def _csrf(client: Any, url: str = "/login") -> str:
    html = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def _sign_in(app: Any, name: str, password: str | None = None, address: str = "127.0.0.1") -> Any:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    form = {"csrf": _csrf(client), "name": name, "password": password or PASSWORDS[name]}
    assert client.post("/login", data=form).status_code == 302
    return client


def _post(client: Any, url: str, **form: str) -> int:
    page = "/call/call-00001" if "call-00001" in form.values() else "/call/call-00000"
    found = client.get(page).get_data(as_text=True)
    token = re.search(r'name="csrf" value="([^"]+)"', found)
    csrf = token.group(1) if token else _csrf(client, "/")
    return int(client.post(url, data={"csrf": csrf, **form}).status_code)


def test_accounts_file_keeps_hashes_never_passwords(tmp_path: Path) -> None:
    users = tmp_path / "users.json"
    account = add_account(users, "mei", "reviewer", password="a long passphrase")
    text = users.read_text("utf-8")
    assert "a long passphrase" not in text and json.loads(text)["schema"] == "qa-toolkit/users@1"
    assert stat.S_IMODE(users.stat().st_mode) == 0o600
    assert check_password("a long passphrase", account.password_hash)
    assert not check_password("a long passphrasE", account.password_hash)
    found = load_accounts(users)
    assert found.verify("mei", "a long passphrase") == account
    assert found.verify("mei", "wrong password") is None and found.verify("nobody", "x") is None
    for bad in (("me i", "reviewer", "long enough pw"), ("mei", "boss", "long enough pw"),
                ("mei", "reviewer", "short")):  # fmt: skip
        with pytest.raises(UsageError):
            add_account(users, bad[0], bad[1], password=bad[2])
    users.write_text('{"schema": "qa-toolkit/users@1", "users": [{"name": "x", "role": "agent", '
                     '"password": "plain"}]}', "utf-8")  # fmt: skip
    with pytest.raises(UsageError, match=r"users\[0\]\.password"):
        load_accounts(users)


def test_accounts_sign_in_required_and_wrong_passwords_lock_out(
    site: tuple[Any, Path, Path],
) -> None:
    app, _, _ = site
    client = app.test_client()
    assert client.get("/", headers={"Accept": "text/html"}).status_code == 302
    assert client.get("/call/call-00000", headers={"Accept": "application/json"}).status_code == 401
    assert client.get("/audio/call-00000/0").status_code in (302, 401)
    csrf = _csrf(client)
    codes = [client.post("/login", data={"csrf": csrf, "name": "mei", "password": f"guess-{n}"}
                         ).status_code for n in range(11)]  # fmt: skip
    assert codes[:10] == [401] * 10 and codes[10] == 429
    # Even the right password waits now, from that address; another address signs in.
    right = {"csrf": csrf, "name": "mei", "password": PASSWORDS["mei"]}
    assert client.post("/login", data=right).status_code == 429
    assert _sign_in(app, "mei", address="10.0.0.2").get("/").status_code == 200


def test_accounts_login_keeps_csrf(site: tuple[Any, Path, Path]) -> None:
    app, _, _ = site
    client = app.test_client()
    form = {"name": "mei", "password": PASSWORDS["mei"]}
    assert client.post("/login", data=form).status_code == 400  # no CSRF token
    signed = _sign_in(app, "mei")
    assert signed.post("/action/status", data={"call_id": "call-00000", "status": "in_review"}
                       ).status_code == 400  # fmt: skip


def test_accounts_the_signed_in_user_is_the_reviewer(site: tuple[Any, Path, Path]) -> None:
    app, store, _ = site
    mei = _sign_in(app, "mei")
    # A typed name is ignored: the history records who is signed in.
    assert _post(mei, "/action/status", call_id="call-00000", status="in_review",
                 reviewer="someone-else") == 302  # fmt: skip
    assert workflow.review_state(store, "call-00000").reviewer == "mei"
    assert '<b translate="no">mei</b> (reviewer)' in mei.get("/").get_data(as_text=True)


def test_accounts_an_agent_sees_only_their_own_calls(site: tuple[Any, Path, Path]) -> None:
    app, store, _ = site
    agent = _sign_in(app, "agent0")
    assert agent.get("/").headers["Location"].endswith("/agent/agent0")
    assert agent.get("/call/call-00000").status_code == 200
    assert agent.get("/audio/call-00000/0").status_code == 200
    for url in ("/call/call-00001", "/audio/call-00001/0", "/agent/agent1", "/team/sales",
                "/cases", "/assigned", "/calibration", "/users"):  # fmt: skip
        response = agent.get(url)
        assert response.status_code == 403, url
        assert b'id="go-back"' in response.data  # a styled page with a way back
    listed = agent.get("/search").get_data(as_text=True)
    assert "call-00000" in listed and "call-00001" not in listed  # search: own calls only
    assert "call-00001" not in agent.get("/search?agent=agent1").get_data(as_text=True)


def test_accounts_an_agent_is_read_only_but_appeals_and_acknowledges(
    site: tuple[Any, Path, Path],
) -> None:
    app, store, _ = site
    agent = _sign_in(app, "agent0")
    assert _post(agent, "/action/status", call_id="call-00000", status="confirmed") == 403
    assert _post(agent, "/action/override", call_id="call-00000", item_id="no_blame",
                 status="pass", reason="mine") == 403  # fmt: skip
    assert _post(agent, "/action/comment", call_id="call-00000", body="hi") == 403
    assert _post(agent, "/action/case", call_id="call-00000", example="good", tag="x") == 403
    assert _post(agent, "/action/appeal", call_id="call-00001", reason="not mine") == 403
    assert _post(agent, "/action/appeal", call_id="call-00000", item_id="no_blame",
                 reason="I did not blame anyone") == 302  # fmt: skip
    (appeal,) = workflow.appeals(store, call_id="call-00000")
    assert appeal.agent_id == "agent0" and appeal.item_id == "no_blame"
    assert _post(agent, "/action/decide", call_id="call-00000", appeal_id=appeal.appeal_id,
                 decision="upheld", comment="me") == 403  # fmt: skip
    assert workflow.appeals(store, call_id="call-00000")[0].status == "open"
    mine = coaching.add_coaching_note(store, "agent0", "slow down", author="mei")
    theirs = coaching.add_coaching_note(store, "agent1", "speak up", author="mei")
    assert _post(agent, "/action/acknowledge", note_id=theirs.note_id) == 409
    assert _post(agent, "/action/acknowledge", note_id=mine.note_id, reply="ok") == 302
    assert coaching.coaching_note(store, mine.note_id).acknowledged
    assert not coaching.coaching_note(store, theirs.note_id).acknowledged
    assert _post(agent, "/action/acknowledge", note_id=mine.note_id) == 409  # once


def test_accounts_only_a_supervisor_decides_and_assigns_to_others(
    site: tuple[Any, Path, Path],
) -> None:
    app, store, _ = site
    appeal = workflow.file_appeal(store, "call-00001", reason="the IVR verified me")
    mei, wu = _sign_in(app, "mei"), _sign_in(app, "wu")
    decide = {"call_id": "call-00001", "appeal_id": appeal.appeal_id, "decision": "rejected",
              "comment": "no"}  # fmt: skip
    assert _post(mei, "/action/decide", **decide) == 403
    assert _post(mei, "/action/assign", call_id="call-00001", reviewer="wu") == 403
    assert _post(mei, "/action/assign", call_id="call-00001") == 302  # to herself
    assert coaching.assignment(store, "call-00001").reviewer == "mei"  # type: ignore[union-attr]
    assert _post(mei, "/acknowledge", note_id="x") in (404, 405)
    assert mei.get("/users").status_code == 403
    assert _post(wu, "/action/decide", **decide) == 302
    assert workflow.appeals(store, call_id="call-00001")[0].reviewer == "wu"
    assert _post(wu, "/action/assign", call_id="call-00001", reviewer="agent1") == 302
    assert coaching.assignment(store, "call-00001").assigned_by == "wu"  # type: ignore[union-attr]


def test_accounts_a_changed_or_removed_account_ends_its_sessions(
    site: tuple[Any, Path, Path],
) -> None:
    app, _, users = site
    mei, wu = _sign_in(app, "mei"), _sign_in(app, "wu")
    add_account(users, "mei", "reviewer", password="a new password for mei")
    assert mei.get("/", headers={"Accept": "text/html"}).status_code == 302  # signed out
    mei = _sign_in(app, "mei", "a new password for mei")
    set_role(users, "wu", "reviewer")
    assert wu.get("/users").status_code in (302, 401)  # the old session is gone
    assert _sign_in(app, "wu").get("/users").status_code == 403  # and the role moved
    remove_account(users, "mei")
    assert mei.get("/", headers={"Accept": "application/json"}).status_code == 401


def test_accounts_supervisor_manages_users_in_the_app(site: tuple[Any, Path, Path]) -> None:
    app, _, users = site
    wu = _sign_in(app, "wu")
    csrf = _csrf(wu, "/users")
    added = {"csrf": csrf, "name": "li", "role": "agent", "password": "li-password-1",
             "agent_id": "agent3"}  # fmt: skip
    assert wu.post("/action/user", data=added).status_code == 302
    assert load_accounts(users).get("li").agent_id == "agent3"  # type: ignore[union-attr]
    li = _sign_in(app, "li", "li-password-1")
    assert li.get("/agent/agent3").status_code == 200 and li.get("/agent/li").status_code == 403
    weak = {**added, "name": "ko", "password": "short"}
    assert wu.post("/action/user", data=weak).status_code == 400
    assert wu.post("/action/user/remove", data={"csrf": csrf, "name": "wu"}).status_code == 409
    assert wu.post("/action/user/remove", data={"csrf": csrf, "name": "li"}).status_code == 302
    assert load_accounts(users).get("li") is None


def test_accounts_cli_users_add_list_role_remove(tmp_path: Path) -> None:
    users = tmp_path / "users.json"
    runner = CliRunner()
    done = runner.invoke(qa, ["users", "add", "mei", "--role", "reviewer", "--password-stdin",
                              "--users", str(users)], input="mei-password-1\n")  # fmt: skip
    assert done.exit_code == 0, done.output
    env = {"QA_PASSWORD": "agent0-password"}
    done = runner.invoke(qa, ["users", "add", "zhang", "--role", "agent", "--agent-id", "agent0",
                              "--users", str(users)], env=env)  # fmt: skip
    assert done.exit_code == 0 and "agent id agent0" in done.output
    twice = "wu-password-22\nwu-password-22\n"
    prompted = runner.invoke(
        qa, ["users", "add", "wu", "--role", "supervisor", "--users", str(users)], input=twice
    )
    assert prompted.exit_code == 0, prompted.output
    listed = runner.invoke(qa, ["users", "list", "--users", str(users)]).output.splitlines()
    assert listed == ["mei\treviewer", "wu\tsupervisor", "zhang\tagent\tagent0"]
    assert load_accounts(users).verify("zhang", "agent0-password") is not None
    weak = runner.invoke(qa, ["users", "add", "ko", "--role", "agent", "--password-stdin",
                              "--users", str(users)], input="short\n")  # fmt: skip
    assert weak.exit_code == 2 and "too weak" in weak.output
    assert runner.invoke(qa, ["users", "role", "mei", "supervisor", "--users", str(users)]
                         ).exit_code == 0  # fmt: skip
    assert load_accounts(users).get("mei").role == "supervisor"  # type: ignore[union-attr]
    assert runner.invoke(qa, ["users", "remove", "nobody", "--users", str(users)]).exit_code == 2
    assert runner.invoke(qa, ["users", "remove", "mei", "--users", str(users)]).exit_code == 0
    assert load_accounts(users).get("mei") is None


def test_accounts_serve_refuses_to_expose_without_sign_in(tmp_path: Path) -> None:
    seed_store(tmp_path / "qa.db", 1)
    runner = CliRunner()
    exposed = runner.invoke(qa, ["serve", "--store", str(tmp_path / "qa.db"), "--host", "0.0.0.0"])
    assert exposed.exit_code == 2 and "--users" in exposed.output
    broken = tmp_path / "users.json"
    broken.write_text('{"schema": "qa-toolkit/users@1", "users": [{"name": "x"}]}', "utf-8")
    bad = runner.invoke(qa, ["serve", "--store", str(tmp_path / "qa.db"), "--users", str(broken)])
    assert bad.exit_code == 2 and "users[0].role" in bad.output


def test_accounts_single_user_modes_act_as_the_named_supervisor(tmp_path: Path) -> None:
    seed_store(tmp_path / "qa.db", 2)
    client = create_app(tmp_path / "qa.db", user="li").test_client()  # open, on loopback
    assert _post(client, "/action/status", call_id="call-00000", status="in_review") == 302
    assert workflow.review_state(tmp_path / "qa.db", "call-00000").reviewer == "li"
    token = "a-very-long-test-token"
    guarded = create_app(tmp_path / "qa.db", token=token, user="li").test_client()
    assert guarded.get(f"/?token={token}").status_code == 200
    assert b"(supervisor)" in guarded.get("/").data


def test_accounts_serve_runs_waitress_behind_a_proxy(tmp_path: Path, monkeypatch: Any) -> None:
    import waitress

    seed_store(tmp_path / "qa.db", 1)
    users = tmp_path / "users.json"
    add_account(users, "wu", "supervisor", password=PASSWORDS["wu"])
    served: dict[str, Any] = {}
    monkeypatch.setattr(waitress, "serve", lambda app, **kw: served.update(app=app, **kw))
    done = CliRunner().invoke(qa, ["serve", "--store", str(tmp_path / "qa.db"), "--users",
                                   str(users), "--behind-proxy", "--threads", "4"])  # fmt: skip
    assert done.exit_code == 0, done.output
    assert (served["host"], served["port"], served["threads"]) == ("127.0.0.1", 8700, 4)
    app = served["app"]
    assert app.config["SESSION_COOKIE_SECURE"] is True
    # The proxy's X-Forwarded-For is the client: lockouts count the real addresses.
    client = app.test_client()
    csrf = _csrf(client)
    wrong = {"csrf": csrf, "name": "wu", "password": "not-the-password"}
    far = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    codes = [client.post("/login", data=wrong, headers=far).status_code for _ in range(11)]
    assert codes[-1] == 429
    near = {"X-Forwarded-For": "198.51.100.4", "X-Forwarded-Proto": "https"}
    right = {**wrong, "password": PASSWORDS["wu"]}
    signed = client.post("/login", data=right, headers=near)
    assert signed.status_code == 302 and "Secure" in signed.headers["Set-Cookie"]
