"""A store of synthetic scored calls, for trying the web app, its tests and its benchmark.

The calls are built by hand (no ASR, no rubric run) so that ten thousand of them
take seconds; each has a transcript with a phone number in it (to show
redaction), failed items with evidence, flags, features and an emotion curve.
"""

from __future__ import annotations

import math
import struct
import wave
from datetime import date, datetime, timedelta
from pathlib import Path

from qa_toolkit.io.metadata import CallMetadata
from qa_toolkit.scoring.types import (
    CallScore,
    Evidence,
    Flag,
    ItemResult,
    ScoreTerms,
    SectionScore,
)
from qa_toolkit.store import CallRecord, Store
from qa_toolkit.types import Transcript, Utterance

_LINES = (
    ("agent", "Thank you for calling Acme, how can I help?"),
    ("customer", "My order arrived broken, call me back on 415-555-0134."),
    ("agent", "That is not our department."),
    ("customer", "I want to speak to your manager."),
    ("agent", "I will send a replacement today."),
    ("customer", "Fine, thank you."),
)
# The same call in Mandarin, with the rubric's Chinese titles and hints, for the Chinese pages.
_LINES_ZH = (
    ("agent", "您好，欢迎致电，请问有什么可以帮您？"),
    ("customer", "我的订单到货就坏了，请打 13800138000 回我电话。"),
    ("agent", "这个不归我们部门管。"),
    ("customer", "我要找你们经理。"),
    ("agent", "我今天给您补发一件。"),
    ("customer", "好吧，谢谢。"),
)
_TITLES = {"en": ("Greeting", "No blaming", "Resolution"), "zh": ("开场问候", "不推诿", "问题解决")}
_HINTS = {
    "en": ("", "Own the problem instead of passing the customer on.",
           "End with a concrete next step and when it happens."),
    "zh": ("", "主动承担问题，不要把客户推给其他部门。",
           "结束前说明具体的下一步和时间。"),
}  # fmt: skip
_TEAMS = ("billing", "sales", "support")
# The default rubric's bands and threshold, which a reviewer's verdicts re-total the calls by.
TERMS = ScoreTerms((("excellent", 90.0), ("good", 75.0), ("needs_improvement", 60.0)), 70.0)


def write_tone(path: Path, seconds: float = 30.0, rate_hz: int = 8000) -> Path:
    """Write a quiet mono WAV tone (a stand-in recording the browser can play and seek)."""
    frames = b"".join(
        struct.pack("<h", int(3000 * math.sin(2 * math.pi * 220 * n / rate_hz)))
        for n in range(int(seconds * rate_hz))
    )
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate_hz)
        out.writeframes(frames)
    return path


def _transcript(call_id: str, language: str = "en") -> Transcript:
    lines = _LINES_ZH if language == "zh" else _LINES
    utts = tuple(
        Utterance(f"u{n}", speaker, 4.0 * n + 1.0, 4.0 * n + 4.0, text)  # type: ignore[arg-type]
        for n, (speaker, text) in enumerate(lines)
    )
    return Transcript(call_id, utts, language=language, duration_s=26.0)


def _score(call_id: str, n: int, language: str = "en") -> CallScore:
    bad = n % 3 == 0
    lines, titles, hints = (
        _LINES_ZH if language == "zh" else _LINES,
        _TITLES[language],
        _HINTS[language],
    )
    blame = Evidence("u2", "agent", 9.0, 12.0, lines[2][1], "passes the customer on")
    greet = Evidence("u0", "agent", 1.0, 4.0, lines[0][1], "greeting said")
    items = (
        ItemResult("greeting", "script", titles[0], "phrase", "pass", 5, 5, False, (greet,)),
        ItemResult("no_blame", "attitude", titles[1], "phrase", "fail" if bad else "pass",
                   0 if bad else 10, 10, False, (blame,), "agent_skill", hints[1]),
        ItemResult("resolution", "solving", titles[2], "phrase", "fail" if n % 2 else "pass",
                   0 if n % 2 else 10, 10, False,
                   (Evidence("u4", "agent", 17.0, 20.0, lines[4][1], "no clear next step"),),
                   "process", hints[2]),
    )  # fmt: skip
    value = sum(i.points for i in items) / 25 * 100
    flags: tuple[Flag, ...] = (
        (Flag("below_threshold", f"score {value:.1f} is below 70"),) if value < 70 else ()
    )
    if bad:
        flags += (Flag("escalation", "customer asked for a manager"),)
    band = TERMS.band_for(value)
    # One section per item, weighted by its points, so the sections add up to the score.
    sections = tuple(
        SectionScore(i.section_id, i.section_id, i.max_points, i.points, i.max_points,
                     100.0 * i.points / i.max_points)
        for i in items
    )  # fmt: skip
    return CallScore(call_id, "default", "3", value, value, band, False, items, sections,
                     (("talk_share_agent", 0.5),), flags)  # fmt: skip


def _features(n: int) -> dict[str, object]:
    curve = [
        {"speaker": s, "start_s": 4.0 * k + 1.0, "end_s": 4.0 * k + 4.0,
         "smoothed": math.sin(k + n) * 0.6}
        for k, (s, _) in enumerate(_LINES)
    ]  # fmt: skip
    return {"values": {"talk_share_agent": 0.5, "dead_air_share": 0.1 + (n % 5) / 50},
            "details": {"emotion_curve": curve}}  # fmt: skip


def seed_store(
    path: str | Path,
    calls: int,
    *,
    audio: Path | None = None,
    day: str = "2026-11-21",
    chinese_every: int = 0,
) -> list[str]:
    """Fill a store with ``calls`` synthetic scored calls spread over a week.

    Args:
        path: the store file (created if missing).
        calls: how many calls.
        audio: a recording every call points to (the web app serves it); none if not given.
        day: the last day of the week the calls fall on.
        chinese_every: every n-th call (the n-th, 2n-th, …; call-00004 for 5) is in Mandarin,
            scored with Chinese titles; 0 for none.

    Returns:
        The call ids, in order.
    """
    last = date.fromisoformat(day)
    ids: list[str] = []
    files = (str(audio),) if audio else (f"/missing/{day}.txt",)
    with Store(path) as store:
        run_id = store.start_run("demo", [], {})
        for n in range(calls):
            call_id = f"call-{n:05d}"
            when = datetime.combine(last - timedelta(days=n % 7), datetime.min.time())
            meta = CallMetadata(call_id, agent_id=f"agent{n % 12}", team=_TEAMS[n % 3],
                                queue="q1", start_time=when + timedelta(minutes=n % 600),
                                call_date=(last - timedelta(days=n % 7)).isoformat())  # fmt: skip
            record = CallRecord(call_id, f"h{n}", "audio" if audio else "text", files, meta)
            store.save_call(run_id, record)
            keys = {"transcript": f"t{n}", "features": f"f{n}", "score": f"s{n}"}
            language = "zh" if chinese_every and (n + 1) % chinese_every == 0 else "en"
            store.save_transcript(run_id, keys["transcript"], record,
                                  _transcript(call_id, language), producer={"demo": 1},
                                  redaction="none")  # fmt: skip
            producers = {"features": {}, "score": {}, "rubric_hash": "demo"}
            store.save_score(run_id, keys, call_id, _score(call_id, n, language),
                             features=_features(n), producers=producers, terms=TERMS)  # fmt: skip
            ids.append(call_id)
        store.finish_run(run_id, status="done", calls=calls, failures=0)
    return ids
