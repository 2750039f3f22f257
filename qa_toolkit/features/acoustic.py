"""Agitation from the voice: pitch and energy per utterance against the speaker's own baseline.

A raised voice is louder and higher than the same person's usual speech, and
people differ far more from each other than from themselves, so each
utterance is compared with its speaker's median over the call, not with a
population norm. Pitch is measured in semitones (a ratio, so a deep and a high
voice move alike) with YIN, which is fast enough for a batch (pYIN is about
50x slower and buys little for a median); frames quieter than the utterance's
speech are dropped first, since YIN returns a pitch for noise too.

YIN is computed here in NumPy rather than with ``librosa.yin``: librosa's
numba-compiled helper keeps an on-disk cache that two batch workers compiling
at once can corrupt, after which every process that loads it crashes (seen in
a fresh environment). librosa still measures the energy; it is imported inside
:func:`utterance_acoustics`, so the module loads without it (``features`` extra).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from qa_toolkit.features.options import FeatureOptions
from qa_toolkit.io.audio import Audio
from qa_toolkit.types import Transcript, Utterance

logger = logging.getLogger(__name__)

_FMIN_HZ, _FMAX_HZ = 65.0, 450.0
_FRAME, _HOP = 1024, 256
# Frames more than this below the utterance's loudest are pauses or line noise.
_GATE_DB = 20.0
# Robust spread never below these: a speaker this steady is not agitated by
# a quarter tone or half a decibel.
_MIN_SPREAD_ST, _MIN_SPREAD_DB = 0.5, 1.0
# A median and a spread from fewer utterances are not a baseline.
MIN_BASELINE_TURNS = 3


@dataclass(frozen=True, slots=True)
class UtteranceAcoustics:
    """Pitch and energy of one utterance and how far they sit above its speaker's baseline.

    ``pitch_hz`` is ``None`` when no voiced frame was found; the z-scores are
    ``None`` when the speaker has fewer than ``MIN_BASELINE_TURNS`` measured
    utterances.
    """

    utterance_id: str
    speaker: str
    start_s: float
    end_s: float
    pitch_hz: float | None
    energy_dbfs: float
    pitch_z: float | None = None
    energy_z: float | None = None
    agitated: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The measurement as a JSON-ready dict."""

        def r(value: float | None) -> float | None:
            return None if value is None else round(value, 3)

        return {
            "utterance_id": self.utterance_id,
            "speaker": self.speaker,
            "start_s": round(self.start_s, 3),
            "end_s": round(self.end_s, 3),
            "pitch_hz": r(self.pitch_hz),
            "energy_dbfs": r(self.energy_dbfs),
            "pitch_z": r(self.pitch_z),
            "energy_z": r(self.energy_z),
            "agitated": self.agitated,
        }


def utterance_acoustics(
    transcript: Transcript, audio: Audio, options: FeatureOptions | None = None
) -> tuple[UtteranceAcoustics, ...]:
    """Measure every timed agent and customer utterance and score it against its speaker.

    On a recording with a channel per side, each utterance is read from the
    channel that is loudest during it, which also survives swapped roles; on
    mono audio from the single (or averaged) channel.

    Args:
        transcript: the call, with measured timing.
        audio: its decoded audio (:func:`qa_toolkit.io.audio.load_audio`).
        options: thresholds; ``agitation_z`` decides the flag.

    Returns:
        One measurement per utterance that has audio under it, in call order.
    """
    import librosa

    opts = options or FeatureOptions()
    rate = audio.sample_rate_hz
    channels = [audio.channel(i) for i in range(audio.channels)] if audio.channels else []
    measured = []
    for utt in transcript.utterances:
        if utt.speaker not in ("agent", "customer") or utt.end_s <= utt.start_s or not channels:
            continue
        lo, hi = int(utt.start_s * rate), int(utt.end_s * rate)
        clips = [c[lo:hi] for c in channels]
        clip = max(clips, key=lambda c: float(np.mean(c * c)) if len(c) else 0.0)
        if len(clip) < _FRAME:
            continue
        measured.append(_measure(librosa, utt, clip, rate))
    return _against_baseline(measured, opts.agitation_z)


# YIN's absolute threshold on the normalised difference: below it a lag is
# periodic enough to be the pitch period (de Cheveigné and Kawahara use 0.1-0.15).
_YIN_THRESHOLD = 0.15


def _yin(clip: npt.NDArray[np.float32], rate: int) -> npt.NDArray[np.float64]:
    """Pitch per frame in Hz (NaN where no period is found), YIN's difference method."""
    frames = np.lib.stride_tricks.sliding_window_view(clip.astype(np.float64), _FRAME)[::_HOP]
    min_lag = max(2, int(rate / _FMAX_HZ))
    max_lag = min(int(rate / _FMIN_HZ), _FRAME // 2)
    width = _FRAME - max_lag
    n_fft = 1 << int(np.ceil(np.log2(2 * _FRAME)))
    head = np.fft.rfft(frames[:, :width], n_fft, axis=1)
    whole = np.fft.rfft(frames, n_fft, axis=1)
    cross = np.fft.irfft(np.conj(head) * whole, n_fft, axis=1)[:, : max_lag + 1]
    squares = np.cumsum(np.pad(frames**2, ((0, 0), (1, 0))), axis=1)
    lags = np.arange(max_lag + 1)
    energy = squares[:, lags + width] - squares[:, lags]
    diff = np.maximum(energy[:, :1] + energy - 2.0 * cross, 0.0)
    running = np.cumsum(diff[:, 1:], axis=1)
    norm = np.ones_like(diff)
    norm[:, 1:] = diff[:, 1:] * lags[1:] / np.maximum(running, 1e-12)
    window = norm[:, min_lag:]
    below = window < _YIN_THRESHOLD
    first = np.where(below.any(axis=1), below.argmax(axis=1), window.argmin(axis=1))
    f0 = np.full(len(window), np.nan)
    for row, start in enumerate(first):
        curve = window[row]
        lag = int(start)
        while lag + 1 < len(curve) and curve[lag + 1] < curve[lag]:
            lag += 1  # the dip goes on below the threshold: its bottom is the period
        if curve[lag] > 2 * _YIN_THRESHOLD:
            continue  # nothing periodic: noise or an unvoiced sound
        f0[row] = rate / (min_lag + lag + _vertex(curve, lag))
    return f0


def _vertex(curve: npt.NDArray[np.float64], i: int) -> float:
    """Offset of the parabola through three points around ``i``: sub-sample precision."""
    if i == 0 or i + 1 >= len(curve):
        return 0.0
    left, mid, right = curve[i - 1], curve[i], curve[i + 1]
    bend = left - 2 * mid + right
    return float(0.5 * (left - right) / bend) if bend > 0 else 0.0


def _measure(librosa: Any, utt: Utterance, clip: npt.NDArray[np.float32], rate: int) -> Any:
    rms = librosa.feature.rms(y=clip, frame_length=_FRAME, hop_length=_HOP)[0]
    db = 20.0 * np.log10(np.maximum(rms, 1e-10))
    loud = db >= db.max() - _GATE_DB
    f0 = _yin(clip, rate)
    n = min(len(f0), len(loud))
    # YIN pins unvoiced frames to the ends of its range; those are not pitch.
    voiced = f0[:n][loud[:n] & (f0[:n] > _FMIN_HZ * 1.05) & (f0[:n] < _FMAX_HZ * 0.95)]
    pitch = float(np.median(voiced)) if len(voiced) >= 3 else None
    energy = float(20.0 * np.log10(max(float(np.sqrt(np.mean(rms[loud] ** 2))), 1e-10)))
    return UtteranceAcoustics(utt.id, utt.speaker, utt.start_s, utt.end_s, pitch, energy)


def _against_baseline(
    measured: list[UtteranceAcoustics], threshold: float
) -> tuple[UtteranceAcoustics, ...]:
    scored: dict[str, UtteranceAcoustics] = {}
    for speaker in ("agent", "customer"):
        mine = [m for m in measured if m.speaker == speaker]
        if len(mine) < MIN_BASELINE_TURNS:
            continue
        semis = [_semitones(m.pitch_hz) for m in mine]
        pitch_z = _robust_z(semis, _MIN_SPREAD_ST)
        energy_z = _robust_z([m.energy_dbfs for m in mine], _MIN_SPREAD_DB)
        for m, pz, ez in zip(mine, pitch_z, energy_z, strict=True):
            scored[m.utterance_id] = UtteranceAcoustics(
                m.utterance_id,
                m.speaker,
                m.start_s,
                m.end_s,
                m.pitch_hz,
                m.energy_dbfs,
                pz,
                ez,
                _agitated(pz, ez, threshold),
            )
    return tuple(scored.get(m.utterance_id, m) for m in measured)


def _agitated(pitch_z: float | None, energy_z: float | None, threshold: float) -> bool:
    # One far above the baseline while the other is not below it: a raised
    # voice lifts both, a single loud cough or a squeak lifts only one and
    # often drops the other.
    p = pitch_z if pitch_z is not None else 0.0
    e = energy_z if energy_z is not None else 0.0
    return (p >= threshold and e >= 0.0) or (e >= threshold and p >= 0.0)


def _semitones(pitch_hz: float | None) -> float | None:
    return None if pitch_hz is None else 12.0 * float(np.log2(pitch_hz / 100.0))


def _robust_z(values: list[float | None], min_spread: float) -> list[float | None]:
    known = np.array([v for v in values if v is not None], dtype=float)
    if len(known) < MIN_BASELINE_TURNS:
        return [None] * len(values)
    median = float(np.median(known))
    # 1.4826 × MAD estimates the standard deviation of normal data, and unlike
    # the standard deviation it is not dragged up by the agitated turns themselves.
    spread = max(1.4826 * float(np.median(np.abs(known - median))), min_spread)
    return [None if v is None else (v - median) / spread for v in values]
