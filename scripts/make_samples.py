"""Synthesise the project's sample calls into ``samples/``.

The toolkit's real-model tests, its docs and ``qa rubric test`` need call recordings whose every
line is known: who said what, and when. Real calls carry personal data and cannot be committed, so
this script builds them from scripted dialogues with espeak-ng (one voice per speaker, far apart in
pitch so that speaker-embedding diarization can tell them apart), resamples them to telephone
rates with soxr and lays them out the way call-centre systems store calls: stereo (agent on
channel 0), one file per side, or mono. ``polite_resolved`` is 16-bit PCM; the others are G.711
mu-law, the usual telephone encoding, which also halves their size (samples/ stays near 3 MB).
The espeak-ng variants and speeds below are the ones Whisper tiny.en / base understood best.

For each audio call it writes ``<call_id>.truth.json`` with the measured start and end of every
line in the produced audio, and it writes two text transcripts (chat) in the plain-line format the
toolkit reads. The output is deterministic: espeak-ng and soxr have no randomness and the faint
line noise comes from a generator seeded by the call id, so re-running the script reproduces the
same bytes (with the same espeak-ng and soxr versions).

Usage (from the repository root)::

    .venv/bin/python scripts/make_samples.py [--out samples] [--only CALL_ID ...]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
import soundfile as sf
import soxr

Signal = npt.NDArray[np.float32]
Role = Literal["agent", "customer"]
Layout = Literal["stereo", "two_files", "mono"]

ESPEAK_RATE_HZ = 22050
# Samples quieter than this (after peak normalisation) count as the silence espeak-ng pads a
# clip with; trimming it makes each utterance's start_s/end_s the audible speech.
TRIM_THRESHOLD = 0.01
TRIM_MARGIN_S = 0.02
# Faint line noise (about -66 dBFS RMS): real recordings are never digital zero, and a dead-air
# detector should rely on a level threshold, not on exact zeros.
NOISE_STD = 5e-4
LEAD_IN_S = 0.5
TAIL_S = 0.8


@dataclass(frozen=True, slots=True)
class Voice:
    """An espeak-ng voice with its settings."""

    name: str  # language+variant, e.g. "en-us+steph"
    pitch: int  # espeak-ng -p, 0-99
    speed_wpm: int  # espeak-ng -s
    peak: float = 0.6  # peak amplitude of each clip after normalisation


@dataclass(frozen=True, slots=True)
class Line:
    """One utterance of the script, preceded by ``gap_s`` seconds of silence."""

    speaker: Role
    text: str
    gap_s: float = 0.6


@dataclass(frozen=True, slots=True)
class Call:
    """A scripted call and how to store it."""

    call_id: str
    language: Literal["en", "zh"]
    layout: Layout
    agent: Voice
    customer: Voice
    lines: tuple[Line, ...]
    sample_rate_hz: int = 8000
    subtype: str = "PCM_16"


@dataclass(frozen=True, slots=True)
class Placed:
    """A synthesised line placed on the call's timeline (sample offsets)."""

    line: Line
    start: int
    samples: Signal


def agent(text: str, gap_s: float = 0.6) -> Line:
    """A line said by the agent."""
    return Line("agent", text, gap_s)


def customer(text: str, gap_s: float = 0.6) -> Line:
    """A line said by the customer."""
    return Line("customer", text, gap_s)


# The plain "cmn" voice reads the pinyin its dictionary gives for many characters as English
# letters and digits ("nin2" -> "nin two"); the pinyin voice reads the same hanzi correctly.
ZH = "cmn-latn-pinyin"

CALLS: tuple[Call, ...] = (
    Call(
        call_id="polite_resolved",
        language="en",
        layout="stereo",
        agent=Voice("en-us+steph", pitch=50, speed_wpm=160),
        customer=Voice("en-us+Diogo", pitch=25, speed_wpm=165),
        lines=(
            agent(
                "Thank you for calling Acme Telecom, my name is Sarah, how can I help you today?"
            ),
            customer("Hi Sarah. My internet keeps cutting out every evening."),
            agent("I'm sorry about that. Could you confirm your full name and address, please?"),
            customer("John Carter, Park Road, Oxford.", 0.5),
            agent("Thank you, you are verified. So your connection drops every evening?"),
            customer("Yes, that is right.", 0.4),
            agent("I found a fault on your line, and I have fixed it. Please check it now.", 0.9),
            customer("Yes, it is working again.", 1.0),
            agent("Great. Thank you for calling Acme Telecom. Have a lovely day."),
        ),
    ),
    Call(
        call_id="rude_unresolved",
        language="en",
        layout="two_files",
        agent=Voice("en-us+m8", pitch=30, speed_wpm=160),
        customer=Voice("en-us+f3", pitch=75, speed_wpm=155),
        subtype="ULAW",
        lines=(
            agent("Yeah. What is it?"),
            customer("Hello, I was charged twice for my phone bill this month."),
            agent("That's not our department."),
            customer("But this is the number printed on my bill.", 0.4),
            agent("You should have read the contract."),
            customer("I did read it, and it does not say I pay twice."),
            agent("Well, there is nothing I can do about it.", 0.9),
            customer("So what am I supposed to do now?"),
            agent("Call back another time.", 1.2),
        ),
    ),
    Call(
        call_id="escalation_mono",
        language="en",
        layout="mono",
        agent=Voice("en-us+steph", pitch=65, speed_wpm=150),
        customer=Voice("en-us+robert", pitch=20, speed_wpm=165, peak=0.7),
        subtype="ULAW",
        lines=(
            agent("Good morning, Acme Telecom, this is Emma. How can I help you?"),
            customer("This is the third time I am calling about the same problem!"),
            agent("I am very sorry for the trouble. What is happening?"),
            customer("My phone has had no signal for five days. I want to speak to your manager."),
            agent("I understand how frustrating this is.", 0.8),
            customer("If this is not fixed today, I will cancel my contract.", 0.4),
            agent("I apologise. I am escalating your case to my supervisor right now."),
            customer("Fine. But I am not waiting all week.", 0.5),
        ),
    ),
    Call(
        call_id="long_hold",
        language="en",
        layout="stereo",
        agent=Voice("en-us+steph", pitch=60, speed_wpm=150),
        customer=Voice("en-us+michel", pitch=30, speed_wpm=160),
        subtype="ULAW",
        lines=(
            agent("Thank you for calling Acme Telecom, this is Lisa. How can I help you?"),
            customer("Hi. My mobile data stopped working this morning."),
            agent("Please hold while I check your account."),
            agent("Thank you for holding. You have used all of your data this month.", 25.0),
            agent("I have added extra data for free.", 0.4),
            customer("That is great, thank you."),
            agent("You're welcome. Have a nice day."),
        ),
    ),
    Call(
        call_id="zh_billing",
        language="zh",
        layout="stereo",
        agent=Voice(f"{ZH}+f4", pitch=65, speed_wpm=160),
        customer=Voice(f"{ZH}+Diogo", pitch=30, speed_wpm=160),
        subtype="ULAW",
        lines=(
            agent("您好，欢迎致电安科电信，我是小王，请问有什么可以帮您？"),
            customer("我这个月的话费多扣了五十块钱，我很生气。"),
            agent("理解您的心情，给您带来不便，非常抱歉。"),
            agent("您是说话费多扣了对吗？", 0.4),
            customer("对，就是多扣了五十块。"),
            agent("查到了，是重复扣费，我马上为您退还。", 0.9),
            customer("好的，谢谢。"),
            agent("感谢您的来电，祝您生活愉快。"),
        ),
    ),
    Call(
        call_id="zh_escalation_mono",
        language="zh",
        layout="mono",
        agent=Voice(f"{ZH}+m8", pitch=30, speed_wpm=150),
        customer=Voice(f"{ZH}+f3", pitch=75, speed_wpm=150, peak=0.7),
        subtype="ULAW",
        lines=(
            customer("喂，我要投诉！我的手机三天都没有信号了！"),
            agent("这个不归我们管。"),
            customer("不归你们管归谁管？", 0.4),
            agent("你去找别的部门吧。"),
            customer("那你找你们领导来！", 0.4),
            agent("领导不在。", 0.9),
            customer("我要投诉你！", 0.4),
        ),
    ),
)

CHAT_EN = """\
[00:00] customer: Hi, the router I ordered last week still has not arrived.
[00:14] agent: Hello, thank you for contacting Acme Telecom, my name is Priya. \
I am sorry it is late.
agent: Could you give me your order number and the email address on your account?
[00:52] customer: Order 58213, anna.lee@example.com. My phone is 555-0142 if you need it.
agent: Thank you, Anna, your account is verified.
agent: So you ordered a router last week and it has not been delivered yet, is that right?
[01:31] customer: Yes. I need it for work and this is really annoying.
agent: I completely understand how frustrating that is.
[01:58] agent: The courier lost the parcel. I have sent a replacement by express delivery, it will \
arrive tomorrow before noon, and I have refunded the shipping fee.
customer: OK. Please refund it to my card 4111 1111 1111 1111, not to store credit.
agent: Of course, the refund goes back to your card within three working days.
[02:40] customer: Thanks, that's all.
agent: Thank you for contacting Acme Telecom. Have a great day!
"""

CHAT_ZH = """\
[00:00] 客户：你好，我家的宽带已经两天不能上网了。
[00:09] 客服：您好，很高兴为您服务，我是小李。请问您的手机号码是多少？
[00:25] 客户：13800138000，身份证号是11010519491231002X。
客服：好的，已经为您核实身份。请问安装地址是北京市朝阳区建国路88号吗？
客户：对。我在家办公，没网真的很着急。
[01:02] 客服：非常理解您的心情，给您带来不便，真的很抱歉。
客服：您是说宽带两天都连不上网，对吗？
客户：是的。
[01:30] 客服：我马上为您安排师傅上门维修，今天下午六点前到，这两天的费用也会为您减免。
客户：好的，谢谢。
客服：请问还有其他可以帮您的吗？
[02:05] 客户：没有了。
客服：感谢您的耐心，祝您生活愉快，再见。
"""

CHATS: dict[str, str] = {"chat_en.txt": CHAT_EN, "chat_zh.txt": CHAT_ZH}


def synthesise(text: str, voice: Voice, sample_rate_hz: int, workdir: Path) -> Signal:
    """Speak ``text`` with espeak-ng; return trimmed, peak-normalised audio at the given rate."""
    wav = workdir / "line.wav"
    command = ["espeak-ng", "-v", voice.name, "-p", str(voice.pitch), "-s", str(voice.speed_wpm)]
    subprocess.run([*command, "-w", str(wav), text], check=True, capture_output=True)
    raw, rate = sf.read(str(wav), dtype="float32")
    if rate != ESPEAK_RATE_HZ:
        raise RuntimeError(f"espeak-ng wrote {rate} Hz, expected {ESPEAK_RATE_HZ} Hz")
    audio = soxr.resample(raw, rate, sample_rate_hz, quality="VHQ").astype(np.float32)
    audio = trim(audio, sample_rate_hz)
    return (audio * (voice.peak / float(np.max(np.abs(audio))))).astype(np.float32)


def trim(audio: Signal, sample_rate_hz: int) -> Signal:
    """Drop the near-silent padding at both ends, keeping a short margin."""
    loud = np.flatnonzero(np.abs(audio) > TRIM_THRESHOLD * float(np.max(np.abs(audio))))
    if loud.size == 0:
        raise RuntimeError("espeak-ng produced silence")
    margin = round(TRIM_MARGIN_S * sample_rate_hz)
    first = max(int(loud[0]) - margin, 0)
    last = min(int(loud[-1]) + margin + 1, audio.size)
    return audio[first:last]


def place_lines(call: Call, workdir: Path) -> tuple[list[Placed], int]:
    """Synthesise every line and lay them end to end; return them and the total length."""
    rate = call.sample_rate_hz
    cursor = round(LEAD_IN_S * rate)
    placed: list[Placed] = []
    for line in call.lines:
        voice = call.agent if line.speaker == "agent" else call.customer
        samples = synthesise(line.text, voice, rate, workdir)
        cursor += 0 if not placed else round(line.gap_s * rate)
        placed.append(Placed(line, cursor, samples))
        cursor += samples.size
    return placed, cursor + round(TAIL_S * rate)


def render_tracks(call: Call, placed: Sequence[Placed], length: int) -> dict[Role, Signal]:
    """One track per speaker: each line on its speaker's track, faint noise on both."""
    rng = np.random.default_rng(zlib.crc32(call.call_id.encode()))
    roles: tuple[Role, ...] = ("agent", "customer")
    tracks = {role: (rng.standard_normal(length) * NOISE_STD).astype(np.float32) for role in roles}
    for item in placed:
        tracks[item.line.speaker][item.start : item.start + item.samples.size] += item.samples
    return tracks


def write_audio(call: Call, tracks: dict[Role, Signal], out: Path) -> list[Path]:
    """Store the tracks in the call's layout; return the files written."""
    rate, subtype = call.sample_rate_hz, call.subtype
    if call.layout == "stereo":
        files = {out / f"{call.call_id}.wav": np.stack([tracks["agent"], tracks["customer"]], 1)}
    elif call.layout == "two_files":
        files = {out / f"{call.call_id}.{role}.wav": track for role, track in tracks.items()}
    elif call.layout == "mono":
        files = {out / f"{call.call_id}.wav": tracks["agent"] + tracks["customer"]}
    else:
        raise ValueError(f"{call.call_id}: unknown layout {call.layout!r}")
    for path, data in files.items():
        sf.write(str(path), np.clip(data, -1.0, 1.0), rate, subtype=subtype, format="WAV")
    return list(files)


def truth(call: Call, placed: Sequence[Placed]) -> dict[str, object]:
    """The ground truth for a call: layout and the real timing of every line."""
    rate = call.sample_rate_hz
    record: dict[str, object] = {
        "call_id": call.call_id,
        "language": call.language,
        "layout": call.layout,
    }
    if call.layout == "stereo":
        record["agent_channel"] = 0
    record["utterances"] = [
        {
            "speaker": item.line.speaker,
            "start_s": round(item.start / rate, 3),
            "end_s": round((item.start + item.samples.size) / rate, 3),
            "text": item.line.text,
        }
        for item in placed
    ]
    return record


def write_json(path: Path, record: dict[str, object]) -> None:
    path.write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def make_call(call: Call, out: Path) -> list[Path]:
    """Synthesise one call and write its audio and truth files."""
    with tempfile.TemporaryDirectory(prefix="qa-samples-") as tmp:
        placed, length = place_lines(call, Path(tmp))
    files = write_audio(call, render_tracks(call, placed, length), out)
    truth_path = out / f"{call.call_id}.truth.json"
    write_json(truth_path, truth(call, placed))
    return [*files, truth_path]


def write_chats(out: Path) -> list[Path]:
    """Write the text-only (chat) transcripts."""
    paths = [out / name for name in CHATS]
    for path in paths:
        path.write_text(CHATS[path.name], encoding="utf-8")
    return paths


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=Path("samples"), help="output folder")
    parser.add_argument("--only", nargs="+", metavar="CALL_ID", help="make only these calls")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if shutil.which("espeak-ng") is None:
        raise SystemExit("espeak-ng not found: install it (apt-get install espeak-ng)")
    known = {call.call_id for call in CALLS}
    unknown = sorted(set(args.only or ()) - known)
    if unknown:
        raise SystemExit(f"unknown call id(s) {unknown}; known: {sorted(known)}")
    args.out.mkdir(parents=True, exist_ok=True)
    written = write_chats(args.out) if not args.only else []
    for call in CALLS:
        if not args.only or call.call_id in args.only:
            written += make_call(call, args.out)
    for path in written:
        print(f"{path}  {path.stat().st_size:>9,d} bytes")


if __name__ == "__main__":
    main()
