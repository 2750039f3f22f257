"""Train the behaviour model that ships in the package (``qa_toolkit/nlp/data/behaviour.v1.json``).

It learns only from ``training/behaviour/*.jsonl``: sentences written for this
project (its own licence), never from STC-3 or other research-only data. Prints
the out-of-fold precision, recall and F1 of every behaviour.

    .venv/bin/python scripts/train_behaviour.py [--out PATH] [--c 2.0]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from qa_toolkit.nlp.behaviour import DEFAULT_MODEL
from qa_toolkit.nlp.behaviour_fit import fit_behaviour_model, load_corpus

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "training" / "behaviour"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--c", type=float, default=2.0, help="inverse L2 strength of the heads")
    parser.add_argument("--corpus", type=Path, nargs="*", default=None)

    args = parser.parse_args()
    files = args.corpus or sorted(CORPUS.glob("*.jsonl"))
    examples = load_corpus(files)
    start = time.perf_counter()
    model = fit_behaviour_model(
        examples,
        c=args.c,
        meta={
            "corpus": [
                str(f.relative_to(ROOT)) if f.is_relative_to(ROOT) else str(f) for f in files
            ],
            "licence": "written for qa-toolkit; same licence as the project",
        },
        progress=lambda _, done, total: print(f"\r{done}/{total} heads", end="", file=sys.stderr),
    )
    print(file=sys.stderr)
    model.save(args.out)
    print(f"{len(examples)} sentences, {time.perf_counter() - start:.1f} s → {args.out}")
    print("out of fold, at the presence threshold (best F1) and the strict one (best F0.5):")
    print(f"{'behaviour':<15} {'thr':>5} {'prec':>6} {'recall':>6} {'F1':>6} {'strict':>6} "
          f"{'prec':>6} {'recall':>6} {'n':>5}")  # fmt: skip
    for b, f in model.meta["out_of_fold"].items():
        print(
            f"{b:<15} {model.threshold(b):>5.2f} {f['precision']:>6.3f} {f['recall']:>6.3f} "
            f"{f['f1']:>6.3f} {model.strict_threshold(b):>6.2f} {f['strict_precision']:>6.3f} "
            f"{f['strict_recall']:>6.3f} {f['support']:>5}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
