"""``llm.v1`` against a stand-in chat-completions server on 127.0.0.1, never the network."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from qa_toolkit.rubric import parse_rubric
from qa_toolkit.rubric.detectors.llm import parse_answer
from qa_toolkit.scoring import score_call
from qa_toolkit.scoring.types import ItemResult
from qa_toolkit.types import Transcript, Utterance

CALL = Transcript(
    "c1",
    (
        Utterance("u0", "agent", 0.0, 3.0, "Thank you for calling Acme, this is Priya."),
        Utterance("u1", "customer", 3.5, 7.0, "My router still has not arrived, I'm upset."),
        Utterance(
            "u2", "agent", 7.5, 11.0, "I'm so sorry about that, I will send a new one today."
        ),
        Utterance("u3", "customer", 11.5, 13.0, "OK, thanks."),
    ),
    language="en",
)


@dataclass
class StandIn:
    """What the stand-in server answers, and what it was asked.

    ``reply`` is the assistant's message (text, or an object sent as JSON text);
    ``raw`` replaces the whole response body when set.
    """

    reply: Any = None
    raw: str | None = None
    status: int = 200
    stall: bool = False
    release: threading.Event = field(default_factory=threading.Event)
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[StandIn]:
    """A chat-completions stand-in on an ephemeral local port, answering ``reply``."""
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    for name in ("QA_LLM_ENABLED", "QA_LLM_BASE_URL", "QA_LLM_MODEL"):
        monkeypatch.delenv(name, raising=False)
    state = StandIn()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802  (http.server's naming)
            length = int(self.headers["Content-Length"])
            state.requests.append(json.loads(self.rfile.read(length)))
            state.headers.append(dict(self.headers))
            if state.stall:
                state.release.wait(10)
            body = state.raw if state.raw is not None else _completion(state.reply)
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body.encode("utf-8"))

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    # A short poll interval so that shutdown() at the end of each test is quick.
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    yield state
    state.release.set()
    httpd.shutdown()
    httpd.server_close()


def _completion(answer: Any) -> str:
    content = answer if isinstance(answer, str) else json.dumps(answer)
    return json.dumps(
        {"choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]}
    )


def run_llm(options: str) -> ItemResult:
    text = (
        "schema: qa-toolkit/rubric@1\nid: t\nversion: 1\nsections:\n  - id: s\n    items:\n"
        "      - {id: apology, detector: llm, points: 5, "
        f"question: 'Did the agent apologise?', {options}}}\n"
    )
    return score_call(CALL, parse_rubric(text)).item("apology")


def test_rubric_llm_pass_with_verified_quote(
    server: StandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_LLM_KEY", "sk-test")
    server.reply = {"verdict": "pass", "quotes": ["i'm so sorry about that"], "reason": "said"}
    result = run_llm(
        f"enabled: true, base_url: '{server.url}', model: judge, api_key_env: TEST_LLM_KEY"
    )
    assert result.status == "pass" and result.points == 5
    (evidence,) = result.evidence
    assert (evidence.utterance_id, evidence.speaker, evidence.start_s) == ("u2", "agent", 7.5)
    assert evidence.reason == 'llm (judge): pass, quoting "i\'m so sorry about that"; said'
    (request,) = server.requests
    assert request["model"] == "judge" and request["temperature"] == 0.0
    assert request["messages"][1]["content"].startswith("Question: Did the agent apologise?")
    assert "[u2] agent (00:07): I'm so sorry about that" in request["messages"][1]["content"]
    assert server.headers[0]["Authorization"] == "Bearer sk-test"


def test_rubric_llm_fail_quotes_what_it_found(server: StandIn) -> None:
    server.reply = (
        '```json\n{"verdict": "fail", "quotes": ["Thank you for calling Acme"], '
        '"reason": "only a greeting"}\n```'
    )
    result = run_llm(f"enabled: true, base_url: '{server.url}', model: judge")
    assert result.status == "fail"
    assert result.evidence[0].utterance_id == "u0"
    assert "only a greeting" in result.evidence[0].reason
    assert "Authorization" not in server.headers[0]


def test_rubric_llm_invented_quote_rejects_the_answer(server: StandIn) -> None:
    server.reply = {
        "verdict": "pass",
        "quotes": ["I'm so sorry about that", "we apologise for the delay"],
        "reason": "apologised twice",
    }
    result = run_llm(f"enabled: true, base_url: '{server.url}', model: judge")
    assert result.status == "na" and result.points == 0
    assert result.evidence[0].reason == (
        "llm answer rejected (judge said pass): the quote 'we apologise for the delay' "
        "is not in the whole call; not scored on invented evidence"
    )


def test_rubric_llm_pass_without_quote_is_rejected(server: StandIn) -> None:
    server.reply = {"verdict": "pass", "quotes": [], "reason": "trust me"}
    result = run_llm(f"enabled: true, base_url: '{server.url}', model: judge")
    assert result.status == "na"
    assert result.evidence[0].reason.startswith("llm answer rejected (judge said pass): no quote")


def test_rubric_llm_server_down_is_na_with_reason(server: StandIn) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Nothing listens on the port now, so the connection is refused at once.
    result = run_llm(f"enabled: true, base_url: 'http://127.0.0.1:{port}/v1', model: judge")
    assert result.status == "na"
    reason = result.evidence[0].reason
    assert reason.startswith(
        f"no usable answer from the llm (judge): cannot reach http://127.0.0.1:{port}/v1/"
        "chat/completions: "
    )
    assert "refused" in reason.lower()


def test_rubric_llm_timeout_is_na_with_reason(server: StandIn) -> None:
    server.stall = True
    result = run_llm(f"enabled: true, base_url: '{server.url}', model: judge, timeout_s: 0.2")
    assert result.status == "na"
    assert result.evidence[0].reason.endswith("/v1/chat/completions did not answer within 0.2 s")


def test_rubric_llm_http_error_and_bad_answers_are_na(server: StandIn) -> None:
    server.status, server.raw = 401, '{"error": {"message": "bad key"}}'
    result = run_llm(f"enabled: true, base_url: '{server.url}', model: judge")
    assert result.status == "na" and "answered HTTP 401: " in result.evidence[0].reason
    assert "bad key" in result.evidence[0].reason
    server.status, server.raw, server.reply = 200, None, "I think the agent did apologise."
    result = run_llm(f"enabled: true, base_url: '{server.url}', model: judge")
    assert result.status == "na" and "the answer is not JSON" in result.evidence[0].reason
    server.raw = "<html>gateway</html>"
    result = run_llm(f"enabled: true, base_url: '{server.url}', model: judge")
    assert "did not return a chat completion: '<html>gateway</html>'" in result.evidence[0].reason


def test_rubric_llm_is_off_by_default_and_env_turns_it_on(
    server: StandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.reply = {"verdict": "pass", "quotes": ["so sorry"], "reason": "ok"}
    off = run_llm(f"base_url: '{server.url}', model: judge")
    assert off.status == "na" and not server.requests
    assert off.evidence[0].reason.startswith("the llm detector is off; enable it with")
    monkeypatch.setenv("QA_LLM_ENABLED", "1")
    no_url = run_llm("model: judge")
    assert no_url.status == "na" and "QA_LLM_BASE_URL" in no_url.evidence[0].reason
    monkeypatch.setenv("QA_LLM_BASE_URL", server.url)
    monkeypatch.setenv("QA_LLM_MODEL", "env-model")
    on = run_llm("api_key_env: UNSET_TEST_KEY")
    assert on.status == "na" and "UNSET_TEST_KEY" in on.evidence[0].reason
    assert run_llm("timeout_s: 5").status == "pass"
    assert server.requests[-1]["model"] == "env-model"


def test_rubric_llm_parse_answer_rejects_bad_shapes() -> None:
    assert parse_answer('{"verdict": "N/A", "quotes": "x", "reason": "r"}') == ("na", ("x",), "r")
    for bad, why in [
        ('["pass"]', "not an object"),
        ('{"verdict": "maybe"}', "is not pass, fail or na"),
        ('{"verdict": "pass", "quotes": [1]}', "list of strings"),
    ]:
        with pytest.raises(Exception, match=why):
            parse_answer(bad)


def test_rubric_llm_options_are_checked_when_the_rubric_loads() -> None:
    from qa_toolkit.errors import RubricError

    text = (
        "schema: qa-toolkit/rubric@1\nid: t\nversion: 1\nsections:\n  - id: s\n    items:\n"
        "      - {id: a, detector: llm, points: 5, question: ' ', base_url: localhost:8000,\n"
        "         api_key_env: sk-123}\n"
    )
    with pytest.raises(RubricError) as caught:
        parse_rubric(text, "r.yaml")
    assert [str(p) for p in caught.value.problems] == [
        "r.yaml:7:53: sections[0].items[0].question: the question is empty",
        "r.yaml:7:68: sections[0].items[0].base_url: "
        "base_url 'localhost:8000' should start with http:// or https://",
        "r.yaml:8:23: sections[0].items[0].api_key_env: "
        "api_key_env names an environment variable (like OPENAI_API_KEY), got 'sk-123'",
    ]
