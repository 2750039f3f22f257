"""Hand-built calls, labels and a fake sentence encoder shared by the calibration tests."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from qa_toolkit.scoring.features import compute_features
from qa_toolkit.types import AudioSource, Transcript, Utterance

RUBRIC = """\
schema: qa-toolkit/rubric@1
id: cal
version: 1
flag_below: 60
sections:
  - id: script
    weight: 50
    items:
      - id: greeting
        detector: phrase
        speaker: agent
        window: {first_turns: 1}
        any: ["thank you for calling acme support"]
        threshold: 0.99
        points: 5
  - id: resolution
    weight: 50
    items:
      - id: solution
        detector: regex
        speaker: agent
        pattern: "\\\\b(i|we) will \\\\w+"
        points: 5
"""

# What an ASR makes of the greeting: a reviewer hears each as the greeting.
HEARD_AS_GREETING = (
    "thank you for calling acme support",
    "thank you for calling acne support",
    "thank you for caling acme support",
    "thank you for calling acme suport",
    "thank you for calling acme supports",
)
NOT_A_GREETING = ("what do you want", "yes", "go on then")
HAPPY = ("great, thank you so much, that fixes it", "perfect, thanks a lot")
UNHAPPY = ("this is unacceptable, i am really angry", "still not fixed, terrible service")


def write_rubric(folder: Path, text: str = RUBRIC) -> Path:
    """The test rubric as a file (calibration reads the YAML it rewrites)."""
    path = folder / "rubric.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def make_call(call_id: str, greeting: str, solved: bool, happy: bool) -> Transcript:
    """A short chat: the agent opens, the customer asks, the agent answers, the customer ends."""
    answer = "i will send a replacement today" if solved else "please check our website"
    end = HAPPY[len(call_id) % 2] if happy else UNHAPPY[len(call_id) % 2]
    turns = [
        ("agent", greeting),
        ("customer", "my router stopped working yesterday"),
        ("agent", answer),
        ("customer", end),
    ]
    utts = tuple(Utterance(f"u{i}", s, 0.0, 0.0, t) for i, (s, t) in enumerate(turns))  # type: ignore[arg-type]
    return Transcript(call_id, utts, "en", source=AudioSource(kind="text"))


def labelled_calls(n: int = 40) -> tuple[list[Transcript], list[dict[str, object]]]:
    """Calls and label rows: a reviewer passes every heard greeting; the score follows the solution.

    The reviewer's score is 90 with a solution and 30 without, whatever the
    greeting; satisfaction is 2 for a happy ending, -2 for an unhappy one.
    """
    calls, rows = [], []
    for i in range(n):
        greeted = i % 4 != 3
        greeting = HEARD_AS_GREETING[i % 5] if greeted else NOT_A_GREETING[i % 3]
        solved, happy = i % 3 != 0, i % 2 == 0
        call_id = f"c{i:02d}"
        calls.append(make_call(call_id, greeting, solved, happy))
        rows.append({
            "call_id": call_id,
            "greeting": "pass" if greeted else "fail",
            "solution": "pass" if solved else "fail",
            "score": 90.0 if solved else 30.0,
            "satisfaction": 2.0 if happy else -2.0,
        })  # fmt: skip
    return calls, rows


class HashEncoder:
    """A fake sentence encoder: words hashed into 16 dimensions, unit length.

    Deterministic and instant; texts sharing words land close, which is all
    the call model needs to learn something in a test.
    """

    dims = 16

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dims))
        for row, text in enumerate(texts):
            for word in text.lower().split():
                digest = hashlib.md5(word.strip(".,!?").encode()).digest()
                out[row, digest[0] % self.dims] += 1.0 if digest[1] % 2 else -1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)


def lexicon_features(transcript: Transcript) -> dict[str, float]:
    """The scorer's own fast features (no sentence model), for quick tests."""
    return compute_features(transcript)


def test_support_calls_are_labelled_consistently() -> None:
    calls, rows = labelled_calls(12)
    assert [c.call_id for c in calls] == [r["call_id"] for r in rows]
    assert {r["greeting"] for r in rows} == {"pass", "fail"}


def test_support_encoder_gives_unit_vectors() -> None:
    vectors = HashEncoder().encode(["thank you", "thank you", "terrible service"])
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    assert np.allclose(vectors[0], vectors[1])
