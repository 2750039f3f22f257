"""Who spoke when in a mono recording, and helpers around it.

A mono call goes through voice activity detection (the Silero model that
faster-whisper carries; transcription hands over the regions it found for
decoding), speaker embeddings of short windows inside speech (resemblyzer's
d-vector encoder, run on batches of windows), and clustering into one or more
speakers. Turn boundaries come from a frame grid on which every window votes for
the speaker its embedding resembles. :func:`split_by_speaker` then gives each ASR
segment a speaker, and :func:`assign_roles` tells the agent from the customer
by what they say (both live in :mod:`qa_toolkit.speech.roles` and are re-exported).

Torch is imported only when :func:`diarize` first runs; the encoder is loaded
once per process.
"""

from __future__ import annotations

import functools
import logging
import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from qa_toolkit.progress import Progress
from qa_toolkit.speech.asr.base import SAMPLE_RATE_HZ, Samples
from qa_toolkit.speech.asr.vad_chunks import find_speech
from qa_toolkit.speech.roles import RoleAssignment, SpeakerTurn, assign_roles, split_by_speaker

__all__ = [
    "RoleAssignment",
    "SpeakerTurn",
    "assign_roles",
    "diarize",
    "is_fake_stereo",
    "split_by_speaker",
]

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]

# Windows of 1.5 s every 0.25 s: resemblyzer was trained on 1.6 s partials and
# shorter windows give noisy embeddings; the dense hop gives frame voting enough
# windows to place a speaker change (0.5 s raised the sample's error from 14 to 17%).
_WINDOW_S = 1.5
_HOP_S = 0.25
# The dense hop runs the encoder over each second of speech six times. It is
# kept for long stretches of unbroken speech, where one speaker can take over
# from the other without a pause (the telephone sample's single 22 s region
# holds eight changes of speaker). Shorter regions are tiled with barely
# overlapping windows, each second embedded about once: there a change of
# speaker nearly always comes with a pause, where the VAD already split. On the
# 8 kHz call mixed to mono this embeds 340 windows instead of 488, with the
# same turns and the same error on the telephone sample.
_DENSE_FROM_S = 6.0
# Speech regions shorter than this get no embedding of their own; their speaker
# is taken from the nearest window (a 0.3 s "yes" carries little voice).
_MIN_EMBED_S = 0.5
_FRAME_S = 0.05
# A speaker run shorter than this inside one speech region is a flip of the
# vote, not a turn: real interjections that short are rarely separable.
_MIN_TURN_S = 0.6
_EMBED_BATCH = 64
_MAX_LINKAGE_POINTS = 2000
# Resemblyzer normalises its training audio to -30 dBFS; match it on speech.
_TARGET_DBFS = -30.0

# When is a second cluster a second voice? Measured with this encoder on these
# windows: 60 s stretches of one speaker (each side of the auto_repairs call in
# ../shared/data, cut every 30 s) split into two clusters whose centroids lie
# 0.07-0.09 apart in cosine distance when the smaller cluster holds 10+ s of
# speech, and up to 0.19 apart when it holds only 3-5 s (a noisier centroid).
# Two voices lay 0.12 apart (the pyannote telephone sample, 13 s in its smaller
# cluster) and 0.22-0.31 apart (the two call sides mixed, from 4.7 s). The line
# distance = _DIST_BASE + _DIST_PER_S / seconds, floored at _DIST_FLOOR, runs
# between the two groups; the margin is thin for similar voices. A cluster with
# under _MIN_SPEAKER_S of speech (a laugh, a cough, a noise) is never a speaker.
_MIN_SPEAKER_S = 2.5
_DIST_BASE = 0.03
_DIST_PER_S = 0.87
_DIST_FLOOR = 0.095


def diarize(
    samples: Samples,
    *,
    sample_rate_hz: int = SAMPLE_RATE_HZ,
    max_speakers: int = 2,
    speech: Sequence[tuple[float, float]] | None = None,
    progress: Progress | None = None,
) -> tuple[SpeakerTurn, ...]:
    """Find who spoke when in a mono recording.

    Args:
        samples: mono float32 audio in [-1, 1].
        sample_rate_hz: its sample rate; other rates than 16 kHz are resampled.
        max_speakers: the most speakers to find; fewer are returned when the
            voices do not differ enough (a one-speaker recording gives one).
        speech: the speech regions ``(start_s, end_s)`` already found by
            :func:`~qa_toolkit.speech.asr.vad_chunks.find_speech` (transcription
            runs it once for decoding and diarization); None runs it here.
        progress: called as ``progress(step, completed_s, total_s)`` with step
            ``"vad"``, ``"embed"`` or ``"cluster"``.

    Returns:
        Speaker turns in time order, ``()`` when there is no speech.

    Raises:
        ImportError: the diarization extra (torch, resemblyzer, scikit-learn) is
            not installed; the message says how to install it.

    Example:
        >>> turns = diarize(samples)  # doctest: +SKIP
        >>> [(t.start_s, t.speaker) for t in turns][:2]  # doctest: +SKIP
        [(0.42, 0), (3.1, 1)]
    """
    report: Progress = progress or (lambda step, completed, total: None)
    audio = _to_16k(np.asarray(samples, dtype=np.float32).reshape(-1), sample_rate_hz)
    total_s = len(audio) / SAMPLE_RATE_HZ
    regions = list(speech) if speech is not None else _speech_regions(audio)
    report("vad", total_s, total_s)
    windows = _windows(regions)
    if not windows:
        logger.debug("no speech long enough to diarize in %.1f s", total_s)
        return ()
    embeddings = _embed(_normalise(audio, regions), windows, total_s, report)
    full = np.array([end - start >= _WINDOW_S - 1e-6 for start, end in windows])
    centroids = _speaker_centroids(embeddings, full, windows, max(1, max_speakers))
    turns = _turns(regions, windows, embeddings @ centroids.T)
    report("cluster", total_s, total_s)
    logger.debug("diarized %.1f s: %d speaker(s), %d turns", total_s, len(centroids), len(turns))
    return turns


def _to_16k(audio: npt.NDArray[np.float32], sample_rate_hz: int) -> npt.NDArray[np.float32]:
    """Resample to 16 kHz, the rate both the VAD and the encoder expect."""
    if sample_rate_hz == SAMPLE_RATE_HZ or len(audio) == 0:
        return audio
    import soxr

    return np.asarray(soxr.resample(audio, sample_rate_hz, SAMPLE_RATE_HZ), dtype=np.float32)


def _speech_regions(audio: npt.NDArray[np.float32]) -> list[tuple[float, float]]:
    """Speech regions in seconds, split at 300 ms pauses (where a speaker change usually is)."""
    return [(start / SAMPLE_RATE_HZ, end / SAMPLE_RATE_HZ) for start, end in find_speech(audio)]


def _windows(regions: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """Windows inside speech: a short region tiled, a long one with a window every hop."""
    out: list[tuple[float, float]] = []
    for start, end in regions:
        length = end - start
        if length < _MIN_EMBED_S:
            continue
        if length < _WINDOW_S:
            out.append((start, end))
        elif length < _DENSE_FROM_S:
            out.extend(_tiles(start, end))
        else:
            out.extend(_sliding(start, end))
    return out


def _tiles(start: float, end: float) -> list[tuple[float, float]]:
    """As few full windows as cover ``[start, end)``, spread evenly (they overlap a little)."""
    count = math.ceil((end - start - _WINDOW_S) / _WINDOW_S - 1e-9) + 1
    step = (end - start - _WINDOW_S) / (count - 1) if count > 1 else 0.0
    return [(start + i * step, start + i * step + _WINDOW_S) for i in range(count)]


def _sliding(start: float, end: float) -> list[tuple[float, float]]:
    """A window every hop from ``start``, and one that ends at ``end``."""
    starts = [float(s) for s in np.arange(start, end - _WINDOW_S + 1e-6, _HOP_S)]
    # The last hop rarely lands on the region's end; add a window that does.
    if starts[-1] + _WINDOW_S < end - 0.1:
        starts.append(end - _WINDOW_S)
    return [(s, s + _WINDOW_S) for s in starts]


def _normalise(
    audio: npt.NDArray[np.float32], regions: Sequence[tuple[float, float]]
) -> npt.NDArray[np.float32]:
    """Scale the signal so that its speech sits at the encoder's training loudness."""
    speech = np.concatenate(
        [audio[int(s * SAMPLE_RATE_HZ) : int(e * SAMPLE_RATE_HZ)] for s, e in regions]
    )
    rms = float(np.sqrt(np.mean(np.square(speech, dtype=np.float64))))
    if rms <= 0.0:
        return audio
    gain = 10 ** (_TARGET_DBFS / 20) / rms
    return (audio * gain).astype(np.float32)


@functools.lru_cache(maxsize=1)
def _load_encoder() -> Any:
    """Resemblyzer's voice encoder on CPU, loaded once per process (weights ship in its wheel)."""
    try:
        # resemblyzer imports a SciPy namespace deprecated since SciPy 1.8; the
        # warning is theirs to fix and would only alarm our users.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            from resemblyzer import VoiceEncoder
    except ImportError as error:
        # An ImportError (not a QAToolkitError) so callers can fall back to
        # unlabelled speakers when the optional extra is absent.
        raise ImportError(
            "speaker diarization needs torch and resemblyzer; "
            "install them with: pip install 'qa-toolkit[diarization]'"
        ) from error
    logger.debug("loading the resemblyzer voice encoder")
    return VoiceEncoder("cpu", verbose=False)


def _embed(
    audio: npt.NDArray[np.float32],
    windows: Sequence[tuple[float, float]],
    total_s: float,
    report: Progress,
) -> FloatArray:
    """One L2-normalised embedding per window, shape (len(windows), 256)."""
    encoder = _load_encoder()
    import torch
    from resemblyzer.audio import wav_to_mel_spectrogram

    # One mel spectrogram for the whole call (10 ms frames), sliced per window.
    mel = wav_to_mel_spectrogram(audio)
    frames = [(round(s * 100), max(round(s * 100) + 1, round(e * 100))) for s, e in windows]
    out = np.zeros((len(windows), 256), dtype=np.float64)
    # Windows of equal length run as one batch; short regions form small groups.
    by_length: dict[int, list[int]] = {}
    for index, (first, last) in enumerate(frames):
        by_length.setdefault(last - first, []).append(index)
    for length, indices in by_length.items():
        for offset in range(0, len(indices), _EMBED_BATCH):
            batch = indices[offset : offset + _EMBED_BATCH]
            mels = np.stack([_mel_slice(mel, frames[i][0], length) for i in batch])
            with torch.no_grad():
                out[batch] = encoder(torch.from_numpy(mels)).numpy()
            report("embed", min(total_s, windows[batch[-1]][1]), total_s)
    return out


def _mel_slice(mel: npt.NDArray[np.float32], first: int, length: int) -> npt.NDArray[np.float32]:
    """``length`` mel frames from ``first``, zero-padded past the end of the call."""
    piece = mel[first : first + length]
    if len(piece) < length:
        piece = np.pad(piece, ((0, length - len(piece)), (0, 0)))
    return piece


def _speaker_centroids(
    embeddings: FloatArray,
    full: npt.NDArray[np.bool_],
    windows: Sequence[tuple[float, float]],
    max_speakers: int,
) -> FloatArray:
    """Cluster the full-length windows; return one unit centroid per speaker, in speaking order."""
    # Short windows give noisy embeddings: they are labelled but do not shape clusters.
    use = full if full.sum() >= 2 else np.ones(len(embeddings), dtype=bool)
    points = embeddings[use]
    spans = [w for w, keep in zip(windows, use, strict=True) if keep]
    centroids = _unit(points.mean(axis=0, keepdims=True))
    for k in range(min(max_speakers, len(points)), 1, -1):
        labels = _cluster(points, k)
        if _distinct_speakers(points, labels, spans, k):
            centroids = _centroids(points, labels, k)
            break
    # Number speakers by who talks first, so speaker 0 opens the call.
    first_window = (embeddings @ centroids.T).argmax(axis=1)
    order = list(dict.fromkeys(int(c) for c in first_window))
    order += [c for c in range(len(centroids)) if c not in order]
    return centroids[order]


def _cluster(points: FloatArray, k: int) -> npt.NDArray[np.int_]:
    """Average-linkage cosine clustering, refined by reassigning to the nearest centroid."""
    from sklearn.cluster import AgglomerativeClustering

    # Average linkage holds all pairwise distances (n² memory and time); a long
    # call seeds it with every stride-th window and assigns the rest below.
    stride = -(-len(points) // _MAX_LINKAGE_POINTS)
    seed = AgglomerativeClustering(n_clusters=k, metric="cosine", linkage="average")
    seed_labels = seed.fit_predict(points[::stride])
    labels = (points @ _centroids(points[::stride], seed_labels, k).T).argmax(axis=1)
    # Average linkage leaves windows that straddle a turn change in the wrong
    # cluster; a few nearest-centroid passes (spherical k-means) settle them.
    for _ in range(10):
        if len(np.unique(labels)) < k:
            break
        new = (points @ _centroids(points, labels, k).T).argmax(axis=1)
        if len(np.unique(new)) < k or np.array_equal(new, labels):
            break
        labels = new
    return np.asarray(labels, dtype=np.int_)


def _centroids(points: FloatArray, labels: npt.NDArray[np.int_], k: int) -> FloatArray:
    """Unit mean vector of each of the ``k`` clusters (all present)."""
    return _unit(np.stack([points[labels == c].mean(axis=0) for c in range(k)]))


def _distinct_speakers(
    points: FloatArray,
    labels: npt.NDArray[np.int_],
    spans: Sequence[tuple[float, float]],
    k: int,
) -> bool:
    """Whether each of the ``k`` clusters is a voice of its own (see _DIST_BASE)."""
    seconds = [
        _covered_s([s for s, label in zip(spans, labels, strict=True) if label == c])
        for c in range(k)
    ]
    if min(seconds) < _MIN_SPEAKER_S:
        return False
    centroids = _centroids(points, labels, k)
    for a in range(k):
        for b in range(a + 1, k):
            distance = 1.0 - float(centroids[a] @ centroids[b])
            needed = max(_DIST_FLOOR, _DIST_BASE + _DIST_PER_S / min(seconds[a], seconds[b]))
            logger.debug("clusters %d/%d: distance %.3f, needed %.3f", a, b, distance, needed)
            if distance < needed:
                return False
    return True


def _covered_s(spans: Sequence[tuple[float, float]]) -> float:
    """Seconds covered by the union of possibly overlapping spans."""
    total, reach = 0.0, -np.inf
    for start, end in sorted(spans):
        if end > reach:
            total += end - max(start, reach)
            reach = end
    return total


def _unit(vectors: FloatArray) -> FloatArray:
    """Rows scaled to unit length."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)


def _turns(
    regions: Sequence[tuple[float, float]],
    windows: Sequence[tuple[float, float]],
    scores: FloatArray,
) -> tuple[SpeakerTurn, ...]:
    """Label a frame grid inside each speech region by window votes; runs become turns."""
    centres = np.array([(s + e) / 2 for s, e in windows])
    halves = np.array([(e - s) / 2 for s, e in windows])
    turns: list[SpeakerTurn] = []
    for start, end in regions:
        times = np.arange(start, end, _FRAME_S) + _FRAME_S / 2
        labels = np.array([_frame_label(t, centres, halves, scores) for t in times])
        labels = _smooth(labels, round(_MIN_TURN_S / _FRAME_S))
        edges = np.flatnonzero(np.diff(labels)) + 1
        for first, last in zip(
            np.concatenate([[0], edges]), np.concatenate([edges, [len(labels)]]), strict=True
        ):
            turn_start = start + first * _FRAME_S
            turn_end = min(end, start + last * _FRAME_S)
            turns.append(SpeakerTurn(round(turn_start, 3), round(turn_end, 3), int(labels[first])))
    return tuple(turns)


def _frame_label(time_s: float, centres: FloatArray, halves: FloatArray, scores: FloatArray) -> int:
    """The speaker whose centroid the windows covering ``time_s`` resemble most."""
    # Windows vote with a triangular weight: a window's middle is where its
    # embedding is surest to describe the speaker at that instant.
    weights = 1.0 - np.abs(centres - time_s) / halves
    covering = weights > 0
    if not covering.any():
        return int(scores[int(np.argmin(np.abs(centres - time_s)))].argmax())
    return int((weights[covering] @ scores[covering]).argmax())


def _smooth(labels: npt.NDArray[np.int_], min_frames: int) -> npt.NDArray[np.int_]:
    """Give runs shorter than ``min_frames`` to their longer neighbour, shortest first."""
    labels = labels.copy()
    while True:
        edges = np.flatnonzero(np.diff(labels)) + 1
        starts = np.concatenate([[0], edges])
        ends = np.concatenate([edges, [len(labels)]])
        if len(starts) < 2:
            return labels
        lengths = ends - starts
        shortest = int(np.argmin(lengths))
        if lengths[shortest] >= min_frames:
            return labels
        sides = [i for i in (shortest - 1, shortest + 1) if 0 <= i < len(starts)]
        neighbour = max(sides, key=lambda i: lengths[i])
        labels[starts[shortest] : ends[shortest]] = labels[starts[neighbour]]


def is_fake_stereo(channels: npt.NDArray[Any]) -> bool:
    """Whether a multi-channel recording carries one signal (so it is really mono).

    Some recorders write a mono call into both channels, sometimes at different
    gains or inverted; splitting such a file by channel would give every line
    twice. A silent channel is not a copy: the layout still says whose side is
    whose (that side said nothing), so it gives False.

    Args:
        channels: array of shape (n_channels, n_samples); one row or a 1-D array
            is mono.

    Returns:
        True when every channel is a scaled, possibly inverted copy of the
        loudest one (correlation of at least 0.95, at any level), or when all
        are silent; False as soon as one channel carries something else.
    """
    data = np.asarray(channels, dtype=np.float64)
    if data.ndim == 1 or data.shape[0] < 2 or data.shape[1] == 0:
        return True
    data = data - data.mean(axis=1, keepdims=True)
    rms = np.sqrt(np.mean(np.square(data), axis=1))
    loudest = int(np.argmax(rms))
    if rms[loudest] == 0.0:
        return True
    for index, row in enumerate(data):
        if index == loudest:
            continue
        if rms[index] == 0.0:
            return False
        correlation = float(row @ data[loudest]) / (len(row) * rms[index] * rms[loudest])
        # Codecs and resampling leave a true copy at 0.99+; two different
        # voices sit near 0 (0.00003 between the two auto_repairs sides).
        if abs(correlation) < 0.95:
            return False
    return True
