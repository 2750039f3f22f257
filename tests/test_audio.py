"""Decoding: every container and telephone encoding we promise, and every bad file."""

from __future__ import annotations

import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from qa_toolkit.errors import AudioError
from qa_toolkit.io.audio import is_silent, load_audio, loudness_dbfs

from .conftest import tone

needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")


@pytest.fixture(scope="module")
def stereo_8k(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two seconds of stereo at 8 kHz: 300 Hz left, 600 Hz right."""
    rate = 8000
    left = tone(2.0, hz=300, rate=rate)
    right = tone(2.0, hz=600, level=0.1, rate=rate)
    path = tmp_path_factory.mktemp("audio") / "stereo.wav"
    sf.write(path, np.stack([left, right], axis=1), rate, subtype="PCM_16")
    return path


def _convert(src: Path, dst: Path, *args: str) -> Path:
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-i", str(src), *args, str(dst)], check=True
    )
    return dst


def test_audio_wav_keeps_channels_and_resamples(stereo_8k: Path) -> None:
    audio = load_audio(stereo_8k)
    assert audio.channels == 2
    assert audio.sample_rate_hz == 16000 and audio.original_rate_hz == 8000
    assert audio.duration_s == pytest.approx(2.0, abs=0.01)
    # The louder channel stays the louder one: channels are not mixed.
    assert loudness_dbfs(audio.channel(0)) > loudness_dbfs(audio.channel(1)) + 6


@pytest.mark.parametrize("subtype", ["PCM_U8", "ULAW", "ALAW", "FLOAT"])
def test_audio_telephone_encodings(tmp_path: Path, subtype: str) -> None:
    path = tmp_path / f"call_{subtype}.wav"
    sf.write(path, tone(1.0, rate=8000)[:, None], 8000, subtype=subtype)
    audio = load_audio(path)
    assert audio.channels == 1 and audio.original_rate_hz == 8000
    assert audio.duration_s == pytest.approx(1.0, abs=0.01)
    assert subtype.lower().replace("pcm_", "pcm_") in audio.codec


def test_audio_flac(tmp_path: Path) -> None:
    path = tmp_path / "call.flac"
    sf.write(path, tone(1.5, rate=16000), 16000, format="FLAC")
    audio = load_audio(path)
    assert audio.codec.startswith("flac") and audio.duration_s == pytest.approx(1.5, abs=0.01)


@needs_ffmpeg
@pytest.mark.parametrize(
    ("suffix", "args"),
    [(".mp3", ()), (".ogg", ("-c:a", "libopus")), (".opus", ()), (".m4a", ("-c:a", "aac"))],
)
def test_audio_compressed_containers(
    stereo_8k: Path, tmp_path: Path, suffix: str, args: tuple[str, ...]
) -> None:
    path = _convert(stereo_8k, tmp_path / f"call{suffix}", *args)
    audio = load_audio(path)
    assert audio.channels == 2
    assert audio.sample_rate_hz == 16000
    # Encoders pad a few milliseconds; the length must still be right.
    assert audio.duration_s == pytest.approx(2.0, abs=0.1)
    assert loudness_dbfs(audio.channel(0)) > loudness_dbfs(audio.channel(1)) + 6


def test_audio_missing_file(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match=r"nope\.wav: no such file; check the path"):
        load_audio(tmp_path / "nope.wav")


def test_audio_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    with pytest.raises(AudioError, match=r"empty\.wav: is empty \(0 bytes\)"):
        load_audio(path)


def test_audio_zero_length(tmp_path: Path) -> None:
    path = tmp_path / "zero.wav"
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(8000)
    with pytest.raises(AudioError, match=r"zero\.wav: holds no audio samples"):
        load_audio(path)


def test_audio_corrupt_header(stereo_8k: Path, tmp_path: Path) -> None:
    path = tmp_path / "corrupt.wav"
    data = bytearray(stereo_8k.read_bytes())
    data[:44] = b"\x13" * 44  # header destroyed, samples intact
    path.write_bytes(bytes(data))
    with pytest.raises(AudioError, match=r"corrupt\.wav: cannot be decoded.*wav, flac, mp3"):
        load_audio(path)


def test_audio_not_audio(tmp_path: Path) -> None:
    path = tmp_path / "notes.mp3"
    path.write_text("these are meeting notes, not a recording\n" * 20)
    with pytest.raises(AudioError, match=r"notes\.mp3: cannot be decoded"):
        load_audio(path)


def test_audio_directory_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="is a directory"):
        load_audio(tmp_path)


def test_audio_missing_channel(stereo_8k: Path) -> None:
    with pytest.raises(AudioError, match="channel 2 does not exist"):
        load_audio(stereo_8k).channel(2)


def test_audio_silence_detection() -> None:
    assert is_silent(np.zeros(16000, dtype=np.float32))
    assert is_silent((np.random.default_rng(0).normal(0, 1e-4, 16000)).astype(np.float32))
    assert not is_silent(tone(1.0))
    assert loudness_dbfs(np.zeros(0, dtype=np.float32)) == float("-inf")
