"""``llm.v1``: ask a chat model about the call, and keep its answer only if its quotes are real.

Off by default: an item with this detector is n.a. unless the rubric says
``enabled: true`` or the environment sets ``QA_LLM_ENABLED=1``, and an
endpoint is given (``base_url`` in the rubric or ``QA_LLM_BASE_URL``). Any
OpenAI-compatible ``/chat/completions`` endpoint works: a hosted API, or a
local server (vLLM, llama.cpp, Ollama). The API key is read from the
environment variable the rubric names in ``api_key_env``, never from the rubric.

One request per item and call. The model must answer JSON::

    {"verdict": "pass" | "fail" | "na", "quotes": ["…", …], "reason": "…"}

Every quote must be found, word for word after normalisation (case,
punctuation, width, traditional/simplified), in the utterances the item looks
at. One invented quote and the whole answer is rejected: the item is n.a. with
the reason, never a pass on evidence nobody said. A pass needs at least one
quote. An unreachable endpoint, an HTTP error, a timeout or an answer that is
not JSON also makes the item n.a. with the reason; scoring goes on.

Transcripts carry personal data: redact them before they reach an endpoint you
do not run yourself.
"""

from __future__ import annotations

import json
import logging
import os
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from pydantic import Field, field_validator

from qa_toolkit.nlp.text import find_phrase, normalize, shorten
from qa_toolkit.rubric.schema import LocalText, Strict, local_text
from qa_toolkit.scoring.types import Evidence, Status
from qa_toolkit.types import Utterance, clock

from .base import Detection, View, evidence_of, register, searched

logger = logging.getLogger(__name__)

ENV_ENABLED = "QA_LLM_ENABLED"
ENV_BASE_URL = "QA_LLM_BASE_URL"
ENV_MODEL = "QA_LLM_MODEL"
_TRUE = ("1", "true", "yes", "on")
_VERDICTS: dict[str, Status] = {"pass": "pass", "fail": "fail", "na": "na", "n/a": "na"}
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$", re.IGNORECASE)

SYSTEM_PROMPT = (
    "You are a quality reviewer of customer-service calls. You get one question about a "
    "call and the call's transcript, one utterance per line as [id] speaker (mm:ss): text. "
    'Answer with one JSON object and nothing else: {"verdict": "pass" or "fail" or "na", '
    '"quotes": [exact text copied from the transcript], "reason": "one sentence"}. '
    '"pass": the answer to the question is yes; "fail": no; "na": the question does not '
    "apply to this call. Quotes must be copied word for word from the transcript lines "
    "(the text after the colon), each from a single line; a pass needs at least one quote."
)


class LlmOptions(Strict):
    """Options of ``llm.v1``; unset endpoint fields fall back to ``QA_LLM_*`` variables."""

    question: LocalText
    enabled: bool = False
    base_url: str | None = None
    model: str | None = None
    api_key_env: str | None = None
    timeout_s: float = Field(default=60.0, gt=0, le=600)
    temperature: float = Field(default=0.0, ge=0, le=2)
    max_tokens: int = Field(default=400, gt=0)
    json_mode: bool = False

    @field_validator("question")
    @classmethod
    def _asked(cls, value: LocalText) -> LocalText:
        texts = [value] if isinstance(value, str) else list(value.values())
        if not texts or any(not t.strip() for t in texts):
            raise ValueError("the question is empty")
        return value

    @field_validator("api_key_env")
    @classmethod
    def _variable_name(cls, value: str | None) -> str | None:
        # The name of a variable, not the key itself: keys must stay out of rubric files.
        if value is not None and not _ENV_NAME.match(value):
            raise ValueError(
                f"api_key_env names an environment variable (like OPENAI_API_KEY), got {value!r}"
            )
        return value

    @field_validator("base_url")
    @classmethod
    def _http(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(f"base_url {value!r} should start with http:// or https://")
        return value


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where and how to ask: the chat-completions URL, model and headers."""

    url: str
    model: str
    headers: tuple[tuple[str, str], ...]


class LlmCallError(Exception):
    """The endpoint could not be asked or gave an unusable answer (the item becomes n.a.)."""


def _na(reason: str) -> Detection:
    return Detection("na", (Evidence("", "", 0.0, 0.0, "", reason),))


def resolve_endpoint(options: LlmOptions) -> Endpoint | str:
    """The endpoint to ask, or why the detector is off or cannot run."""
    enabled = options.enabled or os.environ.get(ENV_ENABLED, "").strip().lower() in _TRUE
    if not enabled:
        return (
            f"the llm detector is off; enable it with 'enabled: true' in the rubric "
            f"or {ENV_ENABLED}=1"
        )
    base_url = options.base_url or os.environ.get(ENV_BASE_URL, "").strip()
    if not base_url:
        return f"the llm detector has no endpoint; give base_url in the rubric or {ENV_BASE_URL}"
    model = options.model or os.environ.get(ENV_MODEL, "").strip()
    if not model:
        return f"the llm detector has no model; give model in the rubric or {ENV_MODEL}"
    headers = [("Content-Type", "application/json")]
    if options.api_key_env:
        key = os.environ.get(options.api_key_env, "")
        if not key:
            return f"the API key variable {options.api_key_env} named by api_key_env is not set"
        headers.append(("Authorization", f"Bearer {key}"))
    url = base_url.rstrip("/") + "/chat/completions"
    return Endpoint(url, model, tuple(headers))


@register("llm", 1, LlmOptions, "a chat model's verdict, kept only if its quotes are in the call")
def detect_llm(view: View, options: LlmOptions) -> Detection:
    """Ask the endpoint the item's question; verify its quotes against the scope."""
    endpoint = resolve_endpoint(options)
    if isinstance(endpoint, str):
        return _na(endpoint)
    if not view.utterances:
        return _na(f"nothing to ask about: nothing was said in {view.description}")
    question = local_text(options.question, view.transcript.language or "en")
    payload = _payload(endpoint, options, question, view)
    try:
        answer = ask(endpoint, payload, options.timeout_s)
        verdict, quotes, reason = parse_answer(answer)
    except LlmCallError as exc:
        return _na(f"no usable answer from the llm ({endpoint.model}): {exc}")
    return _judge(view, verdict, quotes, reason, endpoint.model)


def _payload(endpoint: Endpoint, options: LlmOptions, question: str, view: View) -> dict[str, Any]:
    lines = "\n".join(
        f"[{u.id}] {u.speaker} ({clock(u.start_s)}): {u.text}" for u in view.utterances
    )
    payload: dict[str, Any] = {
        "model": endpoint.model,
        "messages": [
            {"role": "system", "content": SYSTEM_PROMPT},
            {
                "role": "user",
                "content": f"Question: {question}\n\nTranscript ({view.description}):\n{lines}",
            },
        ],
        "temperature": options.temperature,
        "max_tokens": options.max_tokens,
    }
    if options.json_mode:
        # Not every OpenAI-compatible server knows response_format, hence opt-in.
        payload["response_format"] = {"type": "json_object"}
    return payload


def ask(endpoint: Endpoint, payload: dict[str, Any], timeout_s: float) -> str:
    """POST a chat-completions request; return the first choice's message text.

    Raises:
        LlmCallError: unreachable endpoint, HTTP error, timeout, or a response
            that is not a chat completion.
    """
    request = urllib.request.Request(
        endpoint.url,
        data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
        headers=dict(endpoint.headers),
        method="POST",
    )
    logger.debug("asking %s (model %s)", endpoint.url, endpoint.model)
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace").strip()
        raise LlmCallError(
            f"{endpoint.url} answered HTTP {exc.code}: {shorten(detail, 200)}"
        ) from None
    except urllib.error.URLError as exc:
        raise LlmCallError(f"cannot reach {endpoint.url}: {exc.reason}") from None
    except TimeoutError:
        raise LlmCallError(f"{endpoint.url} did not answer within {timeout_s:g} s") from None
    except OSError as exc:
        raise LlmCallError(f"connection to {endpoint.url} failed: {exc}") from None
    try:
        data = json.loads(body)
        content = data["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        shown = shorten(body.decode("utf-8", "replace"), 200)
        raise LlmCallError(f"{endpoint.url} did not return a chat completion: {shown!r}") from None
    if not isinstance(content, str):
        raise LlmCallError("the chat completion has no text content")
    return content


def parse_answer(content: str) -> tuple[Status, tuple[str, ...], str]:
    """The verdict, quotes and reason of a model's JSON answer.

    Tolerates a Markdown code fence around the JSON, nothing else.

    Raises:
        LlmCallError: when the answer is not the JSON object asked for.
    """
    text = _FENCE.sub("", content.strip())
    try:
        data = json.loads(text)
    except ValueError:
        raise LlmCallError(f"the answer is not JSON: {shorten(content, 120)!r}") from None
    if not isinstance(data, dict):
        raise LlmCallError("the answer is JSON but not an object")
    verdict = _VERDICTS.get(str(data.get("verdict", "")).strip().lower())
    if verdict is None:
        raise LlmCallError(f"verdict {data.get('verdict')!r} is not pass, fail or na")
    quotes = data.get("quotes", [])
    if isinstance(quotes, str):
        quotes = [quotes]
    if not isinstance(quotes, list) or not all(isinstance(q, str) for q in quotes):
        raise LlmCallError("quotes should be a list of strings")
    reason = data.get("reason", "")
    return verdict, tuple(q for q in quotes if q.strip()), str(reason).strip()


def find_quote(quote: str, utterances: tuple[Utterance, ...]) -> Utterance | None:
    """The utterance that says ``quote`` word for word (after normalisation), or ``None``."""
    wanted = normalize(quote)
    if not wanted:
        return None
    for utt in utterances:
        if find_phrase(wanted, normalize(utt.text), threshold=1.0):
            return utt
    return None


def _judge(
    view: View, verdict: Status, quotes: tuple[str, ...], reason: str, model: str
) -> Detection:
    """Check every quote against the scope, then turn the answer into a detection."""
    found: list[Evidence] = []
    for quote in quotes:
        utt = find_quote(quote, view.utterances)
        if utt is None:
            return _na(
                f"llm answer rejected ({model} said {verdict}): the quote {shorten(quote, 80)!r} "
                f"is not in {view.description}; not scored on invented evidence"
            )
        found.append(evidence_of(utt, f"llm ({model}): {verdict}, quoting {quote!r}; {reason}"))
    if verdict == "na":
        return _na(f"llm ({model}): does not apply; {reason}")
    if verdict == "pass" and not found:
        return _na(f"llm answer rejected ({model} said pass): no quote backs it; {reason}")
    if verdict == "fail" and not found:
        found.append(searched(view, f"llm ({model}) found nothing that answers yes ({reason})"))
    return Detection(verdict, tuple(found))
