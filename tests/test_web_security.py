"""The web app's safety and input checks, through Flask's test client (no browser)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

pytest.importorskip("flask", reason="pip install qa-toolkit[web]")

import qa_toolkit  # noqa: E402
from qa_toolkit.web import create_app  # noqa: E402
from qa_toolkit.web.demo import seed_store, write_tone  # noqa: E402

TOKEN = "a-very-long-test-token"


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("web")
    (folder / "secret.txt").write_text("do not serve me", "utf-8")
    seed_store(folder / "qa.db", 12, audio=write_tone(folder / "call.wav", seconds=2.0))
    return folder / "qa.db"


def _csrf(client: Any, call_id: str = "call-00000") -> str:
    html = client.get(f"/call/{call_id}").get_data(as_text=True)
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def test_web_security_audio_is_served_only_by_index(store_path: Path) -> None:
    client = create_app(store_path).test_client()
    ok = client.get("/audio/call-00000/0")
    assert ok.status_code == 200 and ok.data[:4] == b"RIFF"
    partial = client.get("/audio/call-00000/0", headers={"Range": "bytes=0-99"})
    assert partial.status_code == 206 and len(partial.data) == 100
    for url in (
        "/audio/call-00000/1",
        "/audio/../secret.txt/0",
        "/audio/..%2Fsecret.txt/0",
        "/audio/call-00000/../../secret.txt",
        "/audio/nope/0",
        "/audio/call-00000/-1",
    ):
        response = client.get(url)
        assert response.status_code in (400, 404), url
        assert b"do not serve me" not in response.data


def test_web_security_missing_audio_keeps_the_page(tmp_path: Path) -> None:
    wav = write_tone(tmp_path / "gone.wav", seconds=1.0)
    seed_store(tmp_path / "qa.db", 2, audio=wav)
    wav.unlink()
    client = create_app(tmp_path / "qa.db").test_client()
    page = client.get("/call/call-00000")
    assert page.status_code == 200 and b"gone.wav" in page.data and b"<audio" not in page.data
    assert client.get("/audio/call-00000/0").status_code == 404


def test_web_security_token_required_when_set(store_path: Path) -> None:
    client = create_app(store_path, token=TOKEN).test_client()
    assert client.get("/", headers={"Accept": "application/json"}).status_code == 401
    assert client.get("/audio/call-00000/0").status_code in (302, 401)
    browser = {"Accept": "text/html"}
    assert client.get("/", headers=browser).status_code == 302  # sent to the login form
    assert client.get("/?token=wrong", headers={"Accept": "application/json"}).status_code == 401
    assert client.get("/", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert client.get(f"/?token={TOKEN}").status_code == 200
    assert client.get("/call/call-00000").status_code == 200  # the session remembers


def test_web_security_users_file_names_the_reviewer(store_path: Path, tmp_path: Path) -> None:
    users = tmp_path / "users.txt"
    users.write_text("# reviewers\nmei:token-of-mei-0123456789\n", "utf-8")
    client = create_app(store_path, users_file=users).test_client()
    assert client.get("/?token=token-of-mei-0123456789").status_code == 200
    assert "mei" in client.get("/").get_data(as_text=True)


def test_web_security_post_without_csrf_is_refused(store_path: Path) -> None:
    client = create_app(store_path).test_client()
    form = {"call_id": "call-00000", "status": "in_review", "reviewer": "mei"}
    assert client.post("/action/status", data=form).status_code == 400
    assert client.post("/action/status", data={**form, "csrf": "forged"}).status_code == 400
    _csrf(client)
    other = create_app(store_path).test_client()  # a token from another session is no good
    assert other.post("/action/status", data={**form, "csrf": _csrf(client)}).status_code == 400


@pytest.mark.parametrize(
    ("field", "value"),
    [("call_id", "../etc/passwd"), ("call_id", "a\x00b"), ("status", "deleted"),
     ("version", "x1"), ("status", ""), ("call_id", "x" * 300)],
)  # fmt: skip
def test_web_security_malformed_form_fields(store_path: Path, field: str, value: str) -> None:
    client = create_app(store_path).test_client()
    form = {"call_id": "call-00001", "status": "in_review", "csrf": _csrf(client)}
    assert client.post("/action/status", data={**form, field: value}).status_code == 400


def test_web_security_malformed_ids_and_filters(store_path: Path) -> None:
    client = create_app(store_path).test_client()
    assert client.get("/call/no-such-call").status_code == 404
    assert client.get("/call/a%00b").status_code == 400
    for query in ("since=yesterday", "team=nope", "band=gold", "page=0", "page=x", "sort=;drop"):
        assert client.get(f"/?{query}").status_code == 400, query
    assert client.get("/lang/fr").status_code == 400
    assert client.get("/agent/nobody").status_code == 404


def test_web_security_pages_send_csp_and_load_nothing_remote(store_path: Path) -> None:
    client = create_app(store_path).test_client()
    page = client.get("/call/call-00003")
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert not re.search(r'(src|href)="(https?:)?//', page.get_data(as_text=True))


def test_web_security_serve_refuses_to_expose_without_token(store_path: Path) -> None:
    from qa_toolkit.cli.web import serve

    result = CliRunner().invoke(serve, ["--store", str(store_path), "--host", "0.0.0.0"])
    assert result.exit_code == 2 and "--token" in result.output
    short = ["--store", str(store_path), "--host", "0.0.0.0", "--token", "short"]
    assert CliRunner().invoke(serve, short).exit_code == 2


def test_web_security_import_qa_toolkit_does_not_import_flask() -> None:
    code = "import sys, qa_toolkit, qa_toolkit.web; assert 'flask' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_web_security_report_stylesheet_is_the_reports_own(tmp_path: Path) -> None:
    """The pages use the static report's stylesheet, served from the package, not a copy."""
    seed_store(tmp_path / "w.db", 2)
    client = create_app(tmp_path / "w.db").test_client()
    css = client.get("/report.css")
    shipped = Path(qa_toolkit.__file__).parent / "report" / "templates" / "report.css"
    assert css.status_code == 200 and css.data == shipped.read_bytes()
    assert b'href="/report.css"' in client.get("/").data


def test_web_security_weak_tokens_are_refused(tmp_path: Path) -> None:
    from qa_toolkit.errors import UsageError

    seed_store(tmp_path / "w.db", 1)
    for weak in (" " * 16, "a" * 40, "short"):
        with pytest.raises(UsageError, match="too weak"):
            create_app(tmp_path / "w.db", token=weak)
    users = tmp_path / "users.txt"
    users.write_text("mei:" + "ab" * 10 + "\n", "utf-8")  # 20 chars, 2 different
    with pytest.raises(qa_toolkit.UsageError):
        create_app(tmp_path / "w.db", users_file=users)


def test_web_security_wrong_tokens_lock_the_address_out(tmp_path: Path) -> None:
    seed_store(tmp_path / "w.db", 1)
    client = create_app(tmp_path / "w.db", token=TOKEN).test_client()
    json_only = {"Accept": "application/json"}
    codes = [client.get(f"/?token=guess-{n:02d}-abcdefgh", headers=json_only).status_code
             for n in range(12)]  # fmt: skip
    assert codes[:10] == [401] * 10 and codes[10:] == [429, 429]
    # Even the right token waits now, from that address.
    assert client.get(f"/?token={TOKEN}").status_code == 429
    other = create_app(tmp_path / "w.db", token=TOKEN).test_client()
    assert other.get(f"/?token={TOKEN}").status_code == 200


def test_web_security_headers_and_bad_numbers(store_path: Path) -> None:
    client = create_app(store_path).test_client()
    page = client.get("/call/call-00000")
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Server"] == "qa-toolkit"
    for bad in ("²", "0", "99999999999", "-1", "1e3"):
        assert client.get(f"/?page={bad}").status_code == 400, bad
    csrf = _csrf(client)
    huge = client.post("/action/status", data={"csrf": csrf, "call_id": "call-00000",
                                        "status": "in_review", "reviewer": "mei",
                                        "version": "9" * 40})  # fmt: skip
    assert huge.status_code == 400


def test_web_security_the_token_stays_out_of_the_request_log(caplog: Any) -> None:
    import logging

    from qa_toolkit.web.security import HideToken

    record = logging.LogRecord("werkzeug", logging.INFO, "", 0, '%s - "%s" %s',
                               ("127.0.0.1", f"GET /?token={TOKEN}&page=2 HTTP/1.1", "200"),
                               None)  # fmt: skip
    assert HideToken().filter(record)
    assert TOKEN not in record.getMessage() and "token=***&page=2" in record.getMessage()
