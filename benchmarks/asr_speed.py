"""The toolkit's transcription against plain faster-whisper, in one run, on the same files.

Each configuration runs in its own worker process (its models loaded once), and
the configurations take turns call by call, round after round, so that a busy
machine slows them alike. The first round warms up (model loads, the base
model's one-off join); the next ``--repeat`` rounds are timed, and the median
is reported.

- plain faster-whisper: ``WhisperModel.transcribe`` with the toolkit's options
  (beam 5, VAD, word timestamps, language detected) on each side of a call:
  each file of a two-file call, each channel of a stereo one, a mono file
  whole, with no roles and no diarization;
- the toolkit: ``qa_toolkit.transcribe`` (language detected once, decoding,
  bleed removal, turns, and for mono calls diarization and roles), by default
  (``model="auto"``, batched decoding) and with one model forced, batched or
  sequential;
- with ``--baseline PATH``, the toolkit of another checkout (an earlier
  version) with ``model="base"``, for before/after figures in one run.

Reported: wall-clock seconds, real-time factors (processing seconds per audio
second), CPU seconds, ratios to plain faster-whisper, each worker's peak
memory; word error (English) and character error (Mandarin) on the clips with
references; role accuracy; diarization error.

Run: ``.venv/bin/python -m benchmarks.asr_speed [--repeat 3] [--data ../shared/data]
[--baseline ../old-checkout]``
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ZH_REFERENCES = {
    "aishell-BAC009S0724W0121.wav": "广州市房地产中介协会分析",
    "magicdata_cs_400001.wav": "如果是购买四G加六十四G的话，它的参考价格是在两千四百九十九左右。",
}
FRAME_S = 0.01


# ---------------------------------------------------------------- calls and configurations


@dataclass(frozen=True)
class Call:
    """One call as the benchmark feeds it: files, layout, and what to check it against."""

    name: str
    files: tuple[str, ...]
    layout: str  # two_files | stereo | mono
    language: str  # what is spoken (the runs detect it)
    timed: bool = True
    # For a call mixed from two files: those files, whose own speech is the reference.
    sides: tuple[str, ...] = ()


@dataclass(frozen=True)
class Config:
    """One worker: plain faster-whisper with a model, or the toolkit with its arguments."""

    label: str
    kind: str  # plain | toolkit
    model: str = "base"
    kwargs: dict[str, Any] = field(default_factory=dict)
    tree: str = str(ROOT)


def _calls(data: Path, scratch: Path) -> list[Call]:
    calls = []
    real = data / "calls" / "auto_repairs_40"
    if real.exists():
        sides = (str(real / "agent.wav"), str(real / "caller.wav"))
        calls.append(Call("auto_repairs_40 (two files)", sides, "two_files", "en", sides=sides))
        mono = (_mixed(sides, scratch),)
        calls.append(Call("auto_repairs_40 (mixed to mono)", mono, "mono", "en", sides=sides))
    clip = data / "asr" / "en" / "sample.wav"
    if clip.exists():
        calls.append(Call("pyannote sample (mono)", (str(clip),), "mono", "en"))
    for truth_file in sorted((ROOT / "samples").glob("*.truth.json")):
        truth = json.loads(truth_file.read_text("utf-8"))
        call, layout = truth["call_id"], truth["layout"]
        files = (
            (f"samples/{call}.agent.wav", f"samples/{call}.customer.wav")
            if layout == "two_files"
            else (f"samples/{call}.wav",)
        )
        calls.append(Call(call, tuple(str(ROOT / f) for f in files), layout, truth["language"]))
    for name in ZH_REFERENCES:
        path = data / "asr" / "zh" / name
        if path.exists():
            calls.append(Call(name, (str(path),), "clip", "zh", timed=False))
    return calls


def _mixed(files: Sequence[str], scratch: Path) -> str:
    """The two sides of a call summed into one mono file (outside the project)."""
    import numpy as np
    import soundfile

    sides = [soundfile.read(f, dtype="float32") for f in files]
    length = min(len(audio) for audio, _ in sides)
    mixed = np.sum([audio[:length] for audio, _ in sides], axis=0)
    target = scratch / "auto_repairs_40.mono.wav"
    soundfile.write(target, mixed, sides[0][1], subtype="FLOAT")
    return str(target)


def _configs(baseline: str | None) -> list[Config]:
    configs = [
        Config("plain faster-whisper base", "plain", "base"),
        Config("plain faster-whisper tiny.en", "plain", "tiny.en"),
        Config("toolkit default (auto, batched)", "toolkit", "auto", {"model": "auto"}),
        Config("toolkit base batched", "toolkit", "base", {"model": "base"}),
        Config(
            "toolkit base sequential",
            "toolkit",
            "base",
            {"model": "base", "decoding": "sequential"},
        ),
    ]
    if baseline:
        configs.append(
            Config("baseline toolkit base", "toolkit", "base", {"model": "base"}, baseline)
        )
    return configs


# ---------------------------------------------------------------- the worker


def _serve(config: Config) -> None:
    """Answer jobs (one JSON object a line on stdin) until stdin closes."""
    runner = _Runner(config)
    for line in sys.stdin:
        job = json.loads(line)
        print(json.dumps(runner.run(job), ensure_ascii=False), flush=True)


class _Runner:
    def __init__(self, config: Config) -> None:
        self.config = config
        self._plain: Any = None

    def run(self, job: dict[str, Any]) -> dict[str, Any]:
        import resource
        import time

        before = resource.getrusage(resource.RUSAGE_SELF)
        started = time.perf_counter()
        if job["job"] == "diarize":
            result: dict[str, Any] = {"turns": self._diarize(job["file"])}
        elif self.config.kind == "plain":
            result = {"segments": self._plain_segments(job)}
        else:
            result = self._toolkit(job)
        after = resource.getrusage(resource.RUSAGE_SELF)
        result["wall_s"] = time.perf_counter() - started
        result["cpu_s"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        result["peak_mb"] = after.ru_maxrss / 1024
        return result

    def _plain_segments(self, job: dict[str, Any]) -> list[list[Any]]:
        """[start_s, text] of every segment of every side, in time order."""
        from faster_whisper import WhisperModel, decode_audio

        from qa_toolkit.speech.asr.models import resolve_model

        if self._plain is None:
            ref = resolve_model(self.config.model).ref
            self._plain = WhisperModel(ref, device="cpu", compute_type="int8", cpu_threads=2)
        signals = []
        for file in job["files"]:
            audio = decode_audio(file, split_stereo=job["layout"] == "stereo")
            signals.extend(audio if isinstance(audio, tuple) else [audio])
        found = []
        for samples in signals:
            segments, _ = self._plain.transcribe(
                samples, beam_size=5, vad_filter=True, word_timestamps=True
            )
            found.extend([float(s.start), s.text.strip()] for s in segments)
        return sorted(found, key=lambda pair: pair[0])

    def _toolkit(self, job: dict[str, Any]) -> dict[str, Any]:
        from qa_toolkit.speech.transcribe import transcribe

        files = job["files"]
        if len(files) == 2:
            t = transcribe(agent=files[0], customer=files[1], **self.config.kwargs)
        else:
            t = transcribe(files[0], **self.config.kwargs)
        lines = [[u.speaker, u.start_s, u.end_s, u.text] for u in t.utterances]
        model = t.engine.model if t.engine else ""
        return {"language": t.language, "model": model, "utterances": lines}

    def _diarize(self, file: str) -> list[list[float]]:
        import soundfile

        from qa_toolkit.speech.diarize import diarize

        audio, rate = soundfile.read(file, dtype="float32", always_2d=True)
        turns = diarize(audio.mean(axis=1), sample_rate_hz=rate)
        return [[t.start_s, t.end_s, t.speaker] for t in turns]


class _Worker:
    """A configuration's worker process."""

    def __init__(self, config: Config) -> None:
        env = dict(os.environ, PYTHONPATH=config.tree)
        command = [sys.executable, __file__, "--worker", json.dumps(config.__dict__)]
        self.config = config
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env
        )

    def ask(self, job: dict[str, Any]) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(job) + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        if not answer:
            raise RuntimeError(f"worker '{self.config.label}' stopped on {job}")
        return dict(json.loads(answer))

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait()


# ---------------------------------------------------------------- measuring


def _applies(config: Config, call: Call) -> bool:
    return config.model != "tiny.en" or call.language == "en"


def _job(call: Call) -> dict[str, Any]:
    return {"job": "transcribe", "files": list(call.files), "layout": call.layout}


def measure(
    workers: list[_Worker], calls: list[Call], repeat: int
) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Every (configuration, call) run 1 + ``repeat`` times, configurations taking turns."""
    runs: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for round_index in range(1 + repeat):
        for call in calls:
            if round_index > 0 and not call.timed:
                continue
            took = []
            for worker in workers:
                if _applies(worker.config, call):
                    answer = worker.ask(_job(call))
                    runs.setdefault((worker.config.label, call.name), []).append(answer)
                    took.append(f"{worker.config.label} {answer['wall_s']:.1f}s")
            # Progress, and the raw times should the run be cut short.
            print(f"   round {round_index}, {call.name}: {'; '.join(took)}", file=sys.stderr)
    return runs


def speed_rows(
    runs: dict[tuple[str, str], list[dict[str, Any]]], calls: list[Call], configs: list[Config]
) -> list[dict[str, Any]]:
    rows = []
    for call in (c for c in calls if c.timed):
        audio_s = _duration(call)
        timed = {
            cfg.label: runs[(cfg.label, call.name)][1:]
            for cfg in configs
            if (cfg.label, call.name) in runs
        }
        wall = {label: statistics.median(r["wall_s"] for r in rs) for label, rs in timed.items()}
        cpu = {label: statistics.median(r["cpu_s"] for r in rs) for label, rs in timed.items()}
        plain = wall[configs[0].label]
        for cfg in configs:
            if cfg.label not in wall:
                continue
            row = {
                "call": call.name,
                "audio_s": round(audio_s, 1),
                "config": cfg.label,
                "model": _model_used(runs[(cfg.label, call.name)][-1], cfg),
                "wall_s": round(wall[cfg.label], 2),
                "cpu_s": round(cpu[cfg.label], 2),
                "rtf": round(wall[cfg.label] / audio_s, 4),
                "ratio_to_plain_base": round(wall[cfg.label] / plain, 3),
            }
            same = f"plain faster-whisper {row['model']}"
            if same in wall and cfg.kind == "toolkit":
                row["ratio_to_plain_same_model"] = round(wall[cfg.label] / wall[same], 3)
            rows.append(row)
    return rows


def _model_used(answer: dict[str, Any], config: Config) -> str:
    return str(answer.get("model") or config.model)


def _duration(call: Call) -> float:
    import soundfile

    return max(soundfile.info(f).duration for f in call.files)


# ---------------------------------------------------------------- accuracy


def _reference(call: Call, data: Path) -> tuple[str, str] | None:
    """(metric, reference text) for calls with one; None otherwise."""
    if call.name in ZH_REFERENCES:
        return "cer", ZH_REFERENCES[call.name]
    if call.name.startswith("pyannote"):
        stm = (data / "asr/en/sample.stm").read_text().splitlines()
        parts = sorted((ln.split(maxsplit=5) for ln in stm), key=lambda p: float(p[3]))
        return "wer", " ".join(p[5] for p in parts)
    truth_file = ROOT / "samples" / f"{call.name}.truth.json"
    if truth_file.exists():
        truth = json.loads(truth_file.read_text("utf-8"))
        zh = truth["language"] == "zh"
        return ("cer" if zh else "wer"), ("" if zh else " ").join(
            u["text"] for u in truth["utterances"]
        )
    return None


def _hypothesis(answer: dict[str, Any], zh: bool) -> str:
    joiner = "" if zh else " "
    if "segments" in answer:
        return joiner.join(text for _, text in answer["segments"])
    return joiner.join(line[3] for line in answer["utterances"])


def accuracy_rows(
    runs: dict[tuple[str, str], list[dict[str, Any]]],
    calls: list[Call],
    configs: list[Config],
    data: Path,
) -> list[dict[str, Any]]:
    from benchmarks._text_metrics import cer, wer

    rows = []
    for call in calls:
        reference = _reference(call, data)
        if reference is None:
            continue
        metric, text = reference
        row: dict[str, Any] = {"clip": call.name, "metric": metric}
        for cfg in configs:
            if (cfg.label, call.name) in runs:
                said = _hypothesis(runs[(cfg.label, call.name)][-1], metric == "cer")
                score = cer(text, said) if metric == "cer" else wer(text, said)
                row[cfg.label] = round(score, 4)
        rows.append(row)
    return rows


def agreement_rows(
    runs: dict[tuple[str, str], list[dict[str, Any]]], calls: list[Call], configs: list[Config]
) -> list[dict[str, Any]]:
    """Calls without a reference text: word difference from plain faster-whisper, same model.

    Not an accuracy figure; words a decoding mode loses show up here and in the counts.
    """
    from benchmarks._text_metrics import wer

    rows = []
    for call in calls:
        if not call.sides:
            continue
        for cfg in configs:
            if cfg.kind != "toolkit" or (cfg.label, call.name) not in runs:
                continue
            answer = runs[(cfg.label, call.name)][-1]
            plain_label = f"plain faster-whisper {_model_used(answer, cfg)}"
            if (plain_label, call.name) not in runs:
                continue
            plain = _hypothesis(runs[(plain_label, call.name)][-1], zh=False)
            said = _hypothesis(answer, zh=False)
            rows.append(
                {
                    "call": call.name,
                    "config": cfg.label,
                    "against": plain_label,
                    "word_difference": round(wer(plain, said), 4),
                    "words": len(said.split()),
                    "plain_words": len(plain.split()),
                }
            )
    return rows


# ---------------------------------------------------------------- roles and diarization


def _truth_spans(call: Call) -> list[tuple[float, float, str]]:
    """Reference speech (start_s, end_s, role) of a call, for role accuracy."""
    truth_file = ROOT / "samples" / f"{call.name}.truth.json"
    if truth_file.exists():
        truth = json.loads(truth_file.read_text("utf-8"))
        return [(u["start_s"], u["end_s"], u["speaker"]) for u in truth["utterances"]]
    return _side_speech(call) if call.sides else []


def _side_speech(call: Call) -> list[tuple[float, float, str]]:
    """Each side's own speech (VAD on its own file): the reference for its mixed call."""
    import soundfile
    import soxr

    from qa_toolkit.speech.asr.vad_chunks import find_speech

    spans = []
    for file, role in zip(call.sides, ("agent", "customer"), strict=True):
        audio, rate = soundfile.read(file, dtype="float32")
        audio = soxr.resample(audio, rate, 16000).astype("float32")
        spans += [(s / 16000, e / 16000, role) for s, e in find_speech(audio)]
    return spans


def role_accuracy(utterances: list[list[Any]], spans: list[tuple[float, float, str]]) -> float:
    """Share of reference speech time whose overlapping transcript speech has the right role."""
    right = total = 0.0
    for start, end, role in spans:
        for speaker, u_start, u_end, _ in utterances:
            shared = min(end, u_end) - max(start, u_start)
            if shared > 0:
                total += shared
                right += shared if speaker == role else 0.0
    return right / total if total else 0.0


def role_rows(
    runs: dict[tuple[str, str], list[dict[str, Any]]], calls: list[Call], configs: list[Config]
) -> list[dict[str, Any]]:
    rows = []
    for call in calls:
        spans = _truth_spans(call)
        if not spans or call.layout == "clip":
            continue
        row: dict[str, Any] = {"call": call.name, "layout": call.layout}
        for cfg in configs:
            if cfg.kind == "toolkit" and (cfg.label, call.name) in runs:
                answer = runs[(cfg.label, call.name)][-1]
                row[cfg.label] = round(role_accuracy(answer["utterances"], spans), 4)
        rows.append(row)
    return rows


def diarization_error(
    reference: Sequence[tuple[float, float, str]],
    turns: Sequence[Sequence[float]],
    duration_s: float,
) -> float:
    """Frame-level (miss + false alarm + confusion) / reference speech, best speaker mapping.

    Frames where the reference has two speakers at once are left out; no collar.
    """
    n = round(duration_s / FRAME_S)
    ref = _frames([(s, e, who) for s, e, who in reference], n)
    hyp = _frames([(t[0], t[1], int(t[2])) for t in turns], n)
    kept = [(r, h) for r, h in zip(ref, hyp, strict=True) if len(r) <= 1]
    names = sorted({who for r, _ in kept for who in r}, key=str)
    clusters = sorted({c for _, h in kept for c in h}, key=str)
    speech = sum(1 for r, _ in kept if r)
    best = len(kept)
    for mapping in itertools.permutations(names + [None] * len(clusters), len(clusters)):
        to_ref = dict(zip(clusters, mapping, strict=True))
        errors = sum(1 for r, h in kept if (r or h) and {to_ref[c] for c in h} != r)
        best = min(best, errors)
    return best / max(speech, 1)


def _frames(spans: Sequence[tuple[float, float, object]], n: int) -> list[set[object]]:
    frames: list[set[object]] = [set() for _ in range(n)]
    for start, end, who in spans:
        for i in range(round(start / FRAME_S), min(n, round(end / FRAME_S))):
            frames[i].add(who)
    return frames


def diarization_rows(workers: list[_Worker], calls: list[Call], data: Path) -> list[dict[str, Any]]:
    """Diarization error and time of each toolkit version's ``diarize`` on the mono calls."""
    targets = []
    rttm = data / "asr/en/sample.rttm"
    for call in calls:
        if call.name.startswith("pyannote") and rttm.exists():
            rows = [ln.split() for ln in rttm.read_text().splitlines() if ln.startswith("SPEAKER")]
            ref = [(float(r[3]), float(r[3]) + float(r[4]), r[7]) for r in rows]
            targets.append((call, ref))
        elif call.sides and call.layout == "mono":
            targets.append((call, _side_speech(call)))
    # One worker per source tree: diarization does not depend on the model.
    trees = {w.config.tree: w for w in workers if w.config.kind == "toolkit"}
    out = []
    for call, ref in targets:
        for tree, worker in trees.items():
            worker.ask({"job": "diarize", "file": call.files[0]})  # warm-up
            answer = worker.ask({"job": "diarize", "file": call.files[0]})
            out.append(
                {
                    "call": call.name,
                    "toolkit": "baseline" if tree != str(ROOT) else "this checkout",
                    "der": round(diarization_error(ref, answer["turns"], _duration(call)), 4),
                    "speakers": len({t[2] for t in answer["turns"]}),
                    "wall_s": round(answer["wall_s"], 2),
                    "cpu_s": round(answer["cpu_s"], 2),
                }
            )
    return out


# ---------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline", default=None, help="another checkout to compare with")
    parser.add_argument("--only", nargs="+", default=(), help="calls whose name holds one of these")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        calls = _calls(args.data, Path(scratch))
        if args.only:
            calls = [c for c in calls if any(part in c.name for part in args.only)]
        configs = _configs(args.baseline)
        workers = [_Worker(cfg) for cfg in configs]
        try:
            runs = measure(workers, calls, args.repeat)
            diarization = diarization_rows(workers, calls, args.data)
        finally:
            for worker in workers:
                worker.close()
        _report(runs, calls, configs, args, diarization)


def _report(
    runs: dict[tuple[str, str], list[dict[str, Any]]],
    calls: list[Call],
    configs: list[Config],
    args: argparse.Namespace,
    diarization: list[dict[str, Any]],
) -> None:
    print(f"== speed (median of {args.repeat} runs after a warm-up; 2 CPU threads, int8)")
    for row in speed_rows(runs, calls, configs):
        print(json.dumps(row, ensure_ascii=False))
    print("== peak memory of each worker (MiB, the whole run)")
    for cfg in configs:
        peaks = [r["peak_mb"] for (label, _), rs in runs.items() if label == cfg.label for r in rs]
        print(json.dumps({"config": cfg.label, "peak_mb": round(max(peaks), 1)}))
    print("== accuracy: WER (English) / CER (Mandarin) against references")
    for row in accuracy_rows(runs, calls, configs, args.data):
        print(json.dumps(row, ensure_ascii=False))
    print("== agreement with plain faster-whisper, same model (no reference text; not accuracy)")
    for row in agreement_rows(runs, calls, configs):
        print(json.dumps(row, ensure_ascii=False))
    print("== roles: share of reference speech time on the right role")
    for row in role_rows(runs, calls, configs):
        print(json.dumps(row, ensure_ascii=False))
    print("== diarization error (frames; the module's own VAD), and its time")
    for row in diarization:
        print(json.dumps(row, ensure_ascii=False))


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--worker":
        _serve(Config(**json.loads(sys.argv[2])))
    else:
        main()
