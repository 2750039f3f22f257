"""The toolkit's transcription against plain faster-whisper, in one run.

Speed: the same audio and model through ``qa_toolkit.transcribe`` (decoding,
language detection, VAD, word timestamps, turn building, Chinese clean-up) and
through ``faster_whisper.WhisperModel.transcribe`` with the same options;
prints real-time factors (processing seconds per audio second) and their ratio.

Accuracy: word error (English) and character error (Mandarin) of both on the
clips with references in ``../shared/data/asr``, plus the project's samples.

Run: ``.venv/bin/python -m benchmarks.asr_speed [--repeat 3] [--data ../shared/data]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks._text_metrics import cer, wer
from qa_toolkit.io.audio import load_audio
from qa_toolkit.speech.asr import load_engine
from qa_toolkit.speech.asr.models import resolve_model
from qa_toolkit.speech.transcribe import transcribe

ROOT = Path(__file__).resolve().parents[1]
ZH_REFERENCES = {
    "aishell-BAC009S0724W0121.wav": "广州市房地产中介协会分析",
    "magicdata_cs_400001.wav": "如果是购买四G加六十四G的话，它的参考价格是在两千四百九十九左右。",
}


def _plain_model(name: str) -> Any:
    from faster_whisper import WhisperModel

    return WhisperModel(resolve_model(name).ref, device="cpu", compute_type="int8", cpu_threads=2)


def _plain_text(model: Any, path: Path, language: str | None) -> str:
    segments, _ = model.transcribe(
        str(path), language=language, beam_size=5, vad_filter=True, word_timestamps=True
    )
    return " ".join(s.text.strip() for s in segments)


def _timed(func: Callable[[], object], repeat: int) -> tuple[float, object]:
    func()  # warm-up: caches, thread pools, the base model's one-off join
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def speed(calls: list[tuple[Path, ...]], model: str, repeat: int) -> list[dict[str, object]]:
    """Real-time factors of plain faster-whisper and the toolkit on each call.

    A call is one file (mono: the toolkit also diarizes it) or two files, one per
    side (plain faster-whisper transcribes each; the toolkit adds decoding,
    bleed removal and turn building, the work it does on every two-sided call).
    """
    plain = _plain_model(model)
    engine = load_engine("faster-whisper", model)
    rows = []
    for files in calls:
        seconds = load_audio(files[0]).duration_s

        def run_plain(files: tuple[Path, ...] = files) -> object:
            return [_plain_text(plain, f, "en") for f in files]

        def run_kit(files: tuple[Path, ...] = files) -> object:
            if len(files) == 2:
                return transcribe(agent=files[0], customer=files[1], language="en", asr=engine)
            return transcribe(files[0], language="en", asr=engine)

        plain_s, _ = _timed(run_plain, repeat)
        kit_s, _ = _timed(run_kit, repeat)
        rows.append(
            {
                "call": "+".join(f.name for f in files),
                "audio_s": round(seconds, 1),
                "model": model,
                "toolkit_does": "diarization" if len(files) == 1 else "two sides",
                "plain_rtf": round(plain_s / seconds, 4),
                "toolkit_rtf": round(kit_s / seconds, 4),
                "ratio": round(kit_s / plain_s, 3),
            }
        )
    return rows


def accuracy_en(data: Path, model: str) -> dict[str, object]:
    """WER of both on the two-speaker telephone sample with its STM reference."""
    clip = data / "asr" / "en" / "sample.wav"
    lines = [ln.split(maxsplit=5) for ln in (data / "asr/en/sample.stm").read_text().splitlines()]
    reference = " ".join(parts[5] for parts in sorted(lines, key=lambda p: float(p[3])))
    plain = _plain_text(_plain_model(model), clip, "en")
    kit = transcribe(clip, language="en", asr=load_engine("faster-whisper", model))
    kit_text = " ".join(u.text for u in kit.utterances)
    return {
        "clip": clip.name,
        "model": model,
        "plain_wer": round(wer(reference, plain), 4),
        "toolkit_wer": round(wer(reference, kit_text), 4),
    }


def accuracy_zh(data: Path, model: str, language: str | None) -> list[dict[str, object]]:
    """CER of both on the Mandarin clips; ``language`` None means both auto-detect."""
    plain = _plain_model(model)
    engine = load_engine("faster-whisper", model)
    rows = []
    for name, reference in ZH_REFERENCES.items():
        clip = data / "asr" / "zh" / name
        plain_text = _plain_text(plain, clip, language)
        kit = transcribe(clip, language=language, asr=engine)
        kit_text = "".join(u.text for u in kit.utterances)
        rows.append(
            {
                "clip": name,
                "language": language or "auto",
                "plain": plain_text,
                "toolkit": kit_text,
                "plain_cer": round(cer(reference, plain_text), 4),
                "toolkit_cer": round(cer(reference, kit_text), 4),
            }
        )
    return rows


def accuracy_samples(model_en: str, model_zh: str) -> list[dict[str, object]]:
    """WER/CER of the toolkit on the project's synthetic samples against their scripts."""
    rows = []
    for truth_file in sorted((ROOT / "samples").glob("*.truth.json")):
        truth = json.loads(truth_file.read_text("utf-8"))
        call = truth["call_id"]
        zh = truth["language"] == "zh"
        kwargs: dict[str, Any] = {
            "language": truth["language"],
            "asr": load_engine("faster-whisper", model_zh if zh else model_en),
        }
        if truth["layout"] == "two_files":
            t = transcribe(
                agent=ROOT / f"samples/{call}.agent.wav",
                customer=ROOT / f"samples/{call}.customer.wav",
                **kwargs,
            )
        else:
            t = transcribe(ROOT / f"samples/{call}.wav", **kwargs)
        reference = (" " if not zh else "").join(u["text"] for u in truth["utterances"])
        hypothesis = (" " if not zh else "").join(u.text for u in t.utterances)
        error = cer(reference, hypothesis) if zh else wer(reference, hypothesis)
        rows.append({"call": call, "metric": "cer" if zh else "wer", "error": round(error, 4)})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--models", nargs="+", default=["tiny.en", "base"])
    args = parser.parse_args()
    calls: list[tuple[Path, ...]] = [
        (ROOT / "samples/rude_unresolved.agent.wav", ROOT / "samples/rude_unresolved.customer.wav"),
        (ROOT / "samples/escalation_mono.wav",),
    ]
    real = args.data / "calls" / "auto_repairs_40"
    if real.exists():
        calls.insert(0, (real / "agent.wav", real / "caller.wav"))
    print("== speed (median of", args.repeat, "runs, 2 CPU threads, int8)")
    for model in args.models:
        for row in speed(calls, model, args.repeat):
            print(json.dumps(row))
    if (args.data / "asr").exists():
        print("== accuracy, English (WER)")
        for model in args.models:
            print(json.dumps(accuracy_en(args.data, model)))
        print("== accuracy, Mandarin (CER), model base")
        for language in (None, "zh"):
            for row in accuracy_zh(args.data, "base", language):
                print(json.dumps(row, ensure_ascii=False))
    else:
        print(f"(no shared data at {args.data}: accuracy on references skipped)")
    print("== accuracy on samples/ (toolkit; tiny.en for English, base for Mandarin)")
    for row in accuracy_samples("tiny.en", "base"):
        print(json.dumps(row))


if __name__ == "__main__":
    main()
