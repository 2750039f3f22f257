"""Decode call recordings into float32 samples at 16 kHz, keeping every channel.

Telephone systems hand us 8 kHz µ-law and 8-bit WAV as often as FLAC, MP3, Ogg/Opus
or M4A. libsndfile (through soundfile) reads the WAV family, FLAC and Ogg without
a subprocess; anything it refuses goes through FFmpeg's libraries (PyAV). Every
failure names the file and says what to do about it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from qa_toolkit.errors import AudioError

logger = logging.getLogger(__name__)

TARGET_RATE_HZ = 16_000
AUDIO_SUFFIXES = frozenset(
    {".wav", ".flac", ".mp3", ".ogg", ".opus", ".m4a", ".aac", ".wma", ".webm", ".au", ".aiff"}
)
# Below this RMS level (dBFS) a recording carries nothing Whisper can use; a
# quiet telephone line still sits around -45 dBFS, line noise near -70.
SILENCE_DBFS = -60.0

_FIX_DECODE = "check that it is a complete audio file (wav, flac, mp3, ogg/opus or m4a)"


@dataclass(frozen=True, slots=True)
class Audio:
    """Decoded audio: ``samples`` has shape (channels, frames) at ``sample_rate_hz``.

    ``original_rate_hz`` and ``codec`` describe the file before decoding.
    """

    path: str
    samples: npt.NDArray[np.float32]
    sample_rate_hz: int
    original_rate_hz: int
    codec: str

    @property
    def channels(self) -> int:
        return int(self.samples.shape[0])

    @property
    def duration_s(self) -> float:
        return self.samples.shape[1] / self.sample_rate_hz if self.sample_rate_hz else 0.0

    def channel(self, index: int) -> npt.NDArray[np.float32]:
        """One channel as a contiguous 1-D array."""
        if not 0 <= index < self.channels:
            raise AudioError(
                self.path,
                f"has {self.channels} channel(s); channel {index} does not exist",
                fix="pass --agent-channel 0 or 1 for a stereo recording",
            )
        return np.ascontiguousarray(self.samples[index])

    def mono(self) -> npt.NDArray[np.float32]:
        """All channels averaged into one."""
        if self.channels == 1:
            return self.channel(0)
        return np.ascontiguousarray(self.samples.mean(axis=0, dtype=np.float32))


def load_audio(path: str | Path, *, sample_rate_hz: int = TARGET_RATE_HZ) -> Audio:
    """Decode an audio file, keep its channels and resample to ``sample_rate_hz``.

    Args:
        path: a wav, flac, mp3, ogg/opus, m4a (or other FFmpeg-readable) file.
        sample_rate_hz: the rate to resample to; Whisper needs 16 kHz.

    Returns:
        The decoded :class:`Audio`.

    Raises:
        AudioError: the file is missing, empty, corrupt, in an unsupported codec,
            or holds no samples.

    Example:
        >>> audio = load_audio("samples/polite_resolved.wav")  # doctest: +SKIP
        >>> audio.channels, audio.sample_rate_hz
        (2, 16000)
    """
    file = Path(path)
    _check_file(file)
    samples, rate, codec = _decode(file)
    if samples.shape[1] == 0:
        raise AudioError(
            file, "holds no audio samples (zero length)", fix="re-export the recording"
        )
    if rate < MIN_RATE_HZ:
        raise AudioError(
            file,
            f"says its sample rate is {rate} Hz, too low to hold speech: the header is wrong",
            fix=f"re-export the recording at {MIN_RATE_HZ} Hz or more (telephone audio is 8000)",
        )
    _warn_if_truncated(file, rate, samples.shape[1])
    if rate != sample_rate_hz:
        samples = _resample(samples, rate, sample_rate_hz)
    logger.debug("decoded %s: %s, %d Hz, %d ch", file, codec, rate, samples.shape[0])
    return Audio(str(file), samples, sample_rate_hz, rate, codec)


# Telephone audio is 8 kHz; nothing below 4 kHz carries intelligible speech.
MIN_RATE_HZ = 4000


def _warn_if_truncated(file: Path, rate: int, frames: int) -> None:
    """Log a warning when a WAV's header promises more audio than the file holds."""
    promised = _wav_data_bytes(file)
    if promised is None:
        return
    data_bytes, bytes_per_frame = promised
    if bytes_per_frame and data_bytes // bytes_per_frame > frames * 1.01 + rate * 0.1:
        logger.warning(
            "%s: the header promises %.1f s of audio but the file holds %.1f s: it is "
            "truncated (an interrupted copy or recording?); only what is there is used",
            file, data_bytes / bytes_per_frame / rate, frames / rate,
        )  # fmt: skip


def _wav_data_bytes(file: Path) -> tuple[int, int] | None:
    """(the data chunk's declared size, bytes per frame) of a RIFF/WAVE file, else None."""
    try:
        with file.open("rb") as handle:
            head = handle.read(1 << 16)
    except OSError:
        return None
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
    at, block = 12, 0
    while at + 8 <= len(head):
        name, size = head[at : at + 4], int.from_bytes(head[at + 4 : at + 8], "little")
        if name == b"fmt " and at + 22 <= len(head):
            block = int.from_bytes(head[at + 20 : at + 22], "little")
        if name == b"data":
            return (size, block) if size not in (0, 0xFFFFFFFF) else None
        at += 8 + size + (size & 1)
    return None


def loudness_dbfs(samples: npt.NDArray[np.float32]) -> float:
    """RMS level in dB relative to full scale (-inf for digital silence)."""
    if samples.size == 0:
        return float("-inf")
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
    return 20.0 * np.log10(rms) if rms > 0 else float("-inf")


def is_silent(samples: npt.NDArray[np.float32]) -> bool:
    """True when a signal is too quiet to hold speech (see ``SILENCE_DBFS``)."""
    return loudness_dbfs(samples) < SILENCE_DBFS


def _check_file(file: Path) -> None:
    if not file.exists():
        raise AudioError(file, "no such file", fix="check the path")
    if file.is_dir():
        raise AudioError(file, "is a directory, not an audio file", fix="pass a file")
    if file.stat().st_size == 0:
        raise AudioError(file, "is empty (0 bytes)", fix="re-export or re-download the recording")


def _decode(file: Path) -> tuple[npt.NDArray[np.float32], int, str]:
    try:
        return _decode_soundfile(file)
    except Exception as sf_error:  # any libsndfile refusal falls back to FFmpeg
        logger.debug("soundfile could not read %s (%s); trying FFmpeg", file, sf_error)
    try:
        return _decode_av(file)
    except AudioError:
        raise
    except Exception as av_error:  # report FFmpeg's reason to the user
        reason = str(av_error).splitlines()[0] if str(av_error) else type(av_error).__name__
        raise AudioError(
            file, f"cannot be decoded: corrupt or unsupported codec ({reason})", fix=_FIX_DECODE
        ) from av_error


def _decode_soundfile(file: Path) -> tuple[npt.NDArray[np.float32], int, str]:
    import soundfile as sf

    with sf.SoundFile(str(file)) as handle:
        data = handle.read(dtype="float32", always_2d=True)
        codec = f"{handle.format}/{handle.subtype}".lower()
        rate = int(handle.samplerate)
    return np.ascontiguousarray(data.T), rate, codec


def _decode_av(file: Path) -> tuple[npt.NDArray[np.float32], int, str]:
    import av

    with av.open(str(file)) as container:
        if not container.streams.audio:
            raise AudioError(file, "has no audio stream", fix=_FIX_DECODE)
        stream = container.streams.audio[0]
        rate = int(stream.rate or stream.codec_context.sample_rate)
        layout = stream.layout.name if stream.layout else "mono"
        resampler = av.AudioResampler(format="fltp", layout=layout, rate=rate)
        chunks = []
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray())
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray())
        codec = str(stream.codec_context.name)
    if not chunks:
        return np.zeros((1, 0), dtype=np.float32), rate, codec
    return np.ascontiguousarray(np.concatenate(chunks, axis=1), dtype=np.float32), rate, codec


def _resample(
    samples: npt.NDArray[np.float32], from_hz: int, to_hz: int
) -> npt.NDArray[np.float32]:
    import soxr

    # soxr takes (frames, channels); "HQ" is transparent for speech and fast.
    out = soxr.resample(samples.T, from_hz, to_hz, quality="HQ")
    out = out.reshape(-1, samples.shape[0]) if out.ndim == 1 else out
    return np.ascontiguousarray(out.T, dtype=np.float32)
