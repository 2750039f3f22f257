"""Throughput of ``qa batch`` against a plain sequential faster-whisper loop, in one run.

Both sides get the same recordings, the same model and the same decoding
options (language, beam size, VAD, word timestamps), on the same cores. The
plain loop only transcribes; the batch also hashes, decodes channels, extracts
features (pitch and energy included), scores, flags, stores and writes the
HTML report. Reported: hours of audio per hour of wall time for each, their
ratio, and the peak memory of each process.

    .venv/bin/python benchmarks/batch_throughput.py --cores 2 --workers 2 --copies 3

The recordings are the English stereo and two-file samples, plus the 4-minute
call in ../shared/data/calls when present; ``--copies`` repeats them, each
copy with one sample's lowest bit flipped (inaudible) so that the batch does
not set them aside as duplicates.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
SHARED_CALL = ROOT.parent / "shared" / "data" / "calls" / "auto_repairs_40"
_SAMPLE_FILES = ("polite_resolved.wav", "long_hold.wav", "rude_unresolved.agent.wav",
                 "rude_unresolved.customer.wav")  # fmt: skip

_PLAIN = """
import json, os, resource, sys, time
from faster_whisper import WhisperModel
from qa_toolkit.speech.asr.base import AsrOptions
from qa_toolkit.speech.asr.faster_whisper import _library_options
from qa_toolkit.speech.asr.models import resolve_model

files, model_name, threads = json.loads(sys.argv[1]), sys.argv[2], int(sys.argv[3])
started = time.perf_counter()
model = WhisperModel(resolve_model(model_name).ref, device="cpu", compute_type="int8",
                     cpu_threads=threads)
options = _library_options(AsrOptions(language="en"))
for path in files:
    segments, info = model.transcribe(path, **options)
    list(segments)
wall = time.perf_counter() - started
print(json.dumps({"wall_s": wall,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def make_day(folder: Path, copies: int, shared: bool) -> tuple[list[Path], float]:
    """Copy the recordings ``copies`` times with distinct content; return files and call seconds."""
    import soundfile

    sources = [SAMPLES / name for name in _SAMPLE_FILES]
    if shared and SHARED_CALL.is_dir():
        sources += [SHARED_CALL / "agent.wav", SHARED_CALL / "caller.wav"]
    folder.mkdir(parents=True)
    files, seconds = [], 0.0
    for copy in range(copies):
        for source in sources:
            name = source.name if source.parent == SAMPLES else f"auto_repairs.{source.name}"
            name = name.replace("caller.wav", "customer.wav")
            target = folder / f"k{copy}_{name}"
            data = bytearray(source.read_bytes())
            data[-1 - copy] ^= 1  # an inaudible change, so each copy is a new call
            target.write_bytes(bytes(data))
            files.append(target)
            # Two files of one call count once (the call's length).
            if ".customer." not in name:
                seconds += soundfile.info(str(target)).duration
    return files, seconds


def run_plain(files: list[Path], model: str, threads: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", _PLAIN, json.dumps([str(f) for f in files]), model, str(threads)],
        check=True, capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def run_batch(folder: Path, work: Path, model: str, workers: int) -> dict[str, object]:
    from qa_toolkit.batch import BatchOptions
    from qa_toolkit.batch import run_batch as batch
    from qa_toolkit.batch.tasks import AsrSettings
    from qa_toolkit.report import write_report
    from qa_toolkit.store import Store

    options = BatchOptions(asr=AsrSettings(model=model, language="en"), workers=workers)
    started = time.perf_counter()
    result = batch([folder], ROOT / "rubrics" / "default.yaml", store=work / "qa.db",
                   options=options)  # fmt: skip
    with Store(work / "qa.db") as store:
        write_report(store, work / "report", run_id=result.run_id)
    wall = time.perf_counter() - started
    from qa_toolkit.batch.tasks import peak_rss_mb

    return {
        "wall_s": wall,
        "parent_peak_mb": peak_rss_mb(),
        "calls": len(result.outcomes),
        "failed": len(result.failures),
        "workers_peak_mb": dict(result.worker_peak_mb),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="tiny.en")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cores", type=int, default=2, help="CPU cores to run on (taskset)")
    parser.add_argument("--copies", type=int, default=3)
    parser.add_argument("--no-shared", action="store_true", help="samples only")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[: args.cores]))
    work = Path(tempfile.mkdtemp(prefix="qa-bench-"))
    try:
        files, seconds = make_day(work / "day", args.copies, shared=not args.no_shared)
        plain = run_plain(files, args.model, args.cores)
        batch = run_batch(work / "day", work, args.model, args.workers)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    hours = seconds / 3600
    plain_rate = hours / (float(plain["wall_s"]) / 3600)
    batch_rate = hours / (float(batch["wall_s"]) / 3600)  # type: ignore[arg-type]
    report = {
        "model": args.model, "cores": args.cores, "workers": args.workers,
        "calls": batch["calls"], "failed": batch["failed"], "audio_h": round(hours, 3),
        "plain_wall_s": round(float(plain["wall_s"]), 1),
        "batch_wall_s": round(float(batch["wall_s"]), 1),  # type: ignore[arg-type]
        "plain_audio_h_per_h": round(plain_rate, 1), "batch_audio_h_per_h": round(batch_rate, 1),
        "ratio_batch_over_plain": round(batch_rate / plain_rate, 2),
        "plain_peak_mb": round(float(plain["peak_mb"])),
        "batch_parent_peak_mb": round(float(batch["parent_peak_mb"])),  # type: ignore[arg-type]
        "batch_workers_peak_mb": {k: round(v) for k, v in batch["workers_peak_mb"].items()},  # type: ignore[attr-defined]
    }  # fmt: skip
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
