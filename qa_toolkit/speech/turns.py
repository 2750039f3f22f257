"""From recognised segments per side to the call's turns.

Two jobs:
- drop *bleed*: on a two-channel call each side's microphone picks up the
  other side faintly (echo, crosstalk), and Whisper transcribes it, so the same
  words would appear twice; a segment much quieter than the other side at the
  same moment is that echo.
- merge a side's consecutive segments into one utterance per turn, since
  Whisper splits long turns at arbitrary pauses and rubrics count turns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from qa_toolkit.io.audio import loudness_dbfs
from qa_toolkit.speech.asr.base import AsrSegment
from qa_toolkit.speech.asr.chinese import has_cjk
from qa_toolkit.types import Speaker, Utterance, Word

# A segment this much quieter than the other side at the same time is the other
# side's voice leaking in; real overtalk has both sides near their own level.
BLEED_MARGIN_DB = 15.0
# Pauses shorter than this inside one speaker's run stay inside one turn.
MAX_TURN_GAP_S = 1.2
# With VAD, Whisper decodes speech chunks glued together, so one segment can
# straddle a long silence (the other side talking); its words keep true times.
MAX_WORD_GAP_S = 1.0


@dataclass(frozen=True, slots=True)
class Side:
    """One speaker's signal and what was recognised on it."""

    role: Speaker
    samples: np.ndarray
    segments: tuple[AsrSegment, ...]


def split_at_pauses(
    segments: Sequence[AsrSegment], max_gap_s: float = MAX_WORD_GAP_S
) -> tuple[AsrSegment, ...]:
    """Cut segments wherever two consecutive words are more than ``max_gap_s`` apart."""
    out: list[AsrSegment] = []
    for seg in segments:
        runs: list[list[Word]] = []
        for word in seg.words:
            if runs and word.start_s - runs[-1][-1].end_s <= max_gap_s:
                runs[-1].append(word)
            else:
                runs.append([word])
        if len(runs) <= 1:
            out.append(seg)
            continue
        cjk = has_cjk(seg.text)
        out.extend(
            AsrSegment(
                run[0].start_s,
                run[-1].end_s,
                join_words(run, cjk=cjk),
                tuple(run),
                seg.confidence,
                seg.no_speech_prob,
            )
            for run in runs
        )
    return tuple(out)


def join_words(words: Sequence[Word], *, cjk: bool) -> str:
    """Text from words: no spaces in Chinese, the words' own spaces otherwise."""
    if cjk:
        return "".join(w.text.strip() for w in words)
    # faster-whisper words carry their leading space (" world"); words from
    # engines that strip it are joined with single spaces instead.
    if any(w.text[:1].isspace() for w in words[1:]):
        return "".join(w.text for w in words).strip()
    return " ".join(w.text.strip() for w in words)


def drop_bleed(sides: Sequence[Side], sample_rate_hz: int) -> list[Side]:
    """Remove segments that are the other side's voice leaking into this channel."""
    if len(sides) != 2:
        return list(sides)
    kept = []
    for index, side in enumerate(sides):
        other = sides[1 - index]
        segments = tuple(
            seg for seg in side.segments if not _is_bleed(seg, side.samples, other, sample_rate_hz)
        )
        kept.append(Side(side.role, side.samples, segments))
    return kept


def merge_turns(sides: Sequence[Side]) -> tuple[Utterance, ...]:
    """Join each side's consecutive segments into turns and number them in time order."""
    labelled = sorted(
        ((seg, side.role) for side in sides for seg in side.segments),
        key=lambda pair: (pair[0].start_s, pair[0].end_s),
    )
    groups: list[tuple[Speaker, list[AsrSegment]]] = []
    for seg, role in labelled:
        if groups and groups[-1][0] == role and _continues(groups[-1][1][-1], seg):
            groups[-1][1].append(seg)
        else:
            groups.append((role, [seg]))
    return tuple(_utterance(f"u{i:04d}", role, segs) for i, (role, segs) in enumerate(groups, 1))


def _is_bleed(seg: AsrSegment, own: np.ndarray, other: Side, rate: int) -> bool:
    overlapping = [s for s in other.segments if s.start_s < seg.end_s and seg.start_s < s.end_s]
    if not overlapping:
        return False
    lo, hi = int(seg.start_s * rate), max(int(seg.end_s * rate), int(seg.start_s * rate) + 1)
    return loudness_dbfs(own[lo:hi]) + BLEED_MARGIN_DB < loudness_dbfs(other.samples[lo:hi])


def _continues(last: AsrSegment, seg: AsrSegment) -> bool:
    # Segments are sorted, so another speaker's turn in between already starts a
    # new group; only the pause length is left to decide.
    return seg.start_s - last.end_s <= MAX_TURN_GAP_S


def _utterance(uid: str, role: Speaker, segments: list[AsrSegment]) -> Utterance:
    words: tuple[Word, ...] = tuple(w for seg in segments for w in seg.words)
    joiner = "" if all(_ends_cjk(s.text) for s in segments[:-1]) else " "
    text = joiner.join(s.text.strip() for s in segments)
    weights = [max(s.end_s - s.start_s, 0.01) for s in segments]
    confidence = float(np.average([s.confidence for s in segments], weights=weights))
    return Utterance(
        id=uid,
        speaker=role,
        start_s=segments[0].start_s,
        end_s=max(s.end_s for s in segments),
        text=text,
        confidence=round(confidence, 4),
        words=words,
    )


def _ends_cjk(text: str) -> bool:
    stripped = text.strip()
    return bool(stripped) and ("\u3000" <= stripped[-1] <= "\u9fff" or stripped[-1] in "，。？！")
