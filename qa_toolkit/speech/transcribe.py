"""Turn a recorded call into a speaker-labelled transcript.

Three layouts, three ways to know who spoke:
- two files, one per side (many PBX systems record this way): roles are given
  by the files;
- stereo, one side per channel: roles are given by the channel;
- mono (or fake stereo, the same signal on both channels): voice activity,
  speaker embeddings and clustering find the speakers, and what they say tells
  the agent from the customer.

Each signal goes through the VAD once (:func:`~qa_toolkit.speech.asr.vad_chunks.find_speech`);
its speech serves language detection, decoding and, for mono calls, diarization.
The language is detected once per call, then the model for that language
decodes it (``model="auto"``): the speech windows of every side together, in
batches, unless ``decoding="sequential"``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa_toolkit.errors import AudioError, UsageError
from qa_toolkit.io.audio import Audio, is_silent, load_audio
from qa_toolkit.speech.asr import load_engine
from qa_toolkit.speech.asr.base import (
    DECODINGS,
    SAMPLE_RATE_HZ,
    AsrEngine,
    AsrOptions,
    AsrSegment,
    BatchedAsrEngine,
    Decoding,
    Progress,
    SpeechSignal,
)
from qa_toolkit.speech.asr.chinese import clean_mandarin
from qa_toolkit.speech.asr.routing import AUTO, RoutedEngine, decoder_for, is_auto
from qa_toolkit.speech.asr.vad_chunks import decode_ranges, find_speech, join
from qa_toolkit.speech.turns import Side, drop_bleed, merge_turns, split_at_pauses
from qa_toolkit.types import (
    SPEAKERS,
    AudioSource,
    EngineInfo,
    Speaker,
    SpeakerSource,
    Transcript,
    Utterance,
    Word,
)

logger = logging.getLogger(__name__)

_FIX_SILENT = "check that the recording holds the call (not only silence or hold music)"
# Speech given to language detection: the library looks at two 30 s windows at most.
_DETECT_S = 60.0


@dataclass(frozen=True, slots=True)
class _Request:
    engine: AsrEngine
    options: AsrOptions
    decoding: Decoding
    progress: Progress | None


@dataclass(frozen=True, slots=True)
class _Decoded:
    """What one call's audio became, and what decoded it."""

    utterances: tuple[Utterance, ...]
    speaker_source: SpeakerSource
    confidence: float
    language: str
    engine: AsrEngine
    decoding: Decoding


def transcribe(
    path: str | Path | None = None,
    *,
    agent: str | Path | None = None,
    customer: str | Path | None = None,
    engine: str = "faster-whisper",
    model: str | None = None,
    language: str | None = None,
    agent_channel: int = 0,
    vad: bool = True,
    hotwords: Sequence[str] = (),
    call_id: str | None = None,
    device: str = "cpu",
    decoding: Decoding = "batched",
    progress: Progress | None = None,
    asr: AsrEngine | None = None,
) -> Transcript:
    """Transcribe one call into speaker-labelled utterances.

    Args:
        path: one recording (stereo: one side per channel; mono: diarized).
        agent: the agent's side as its own file (with ``customer``, instead of ``path``).
        customer: the customer's side as its own file.
        engine: ``faster-whisper`` (default), ``openai-whisper`` or ``transformers``.
        model: ``auto`` or None (English-only model for English, multilingual
            for other languages, as installed), or a model name or path that
            decodes every call (see ``qa models``).
        language: ``en``, ``zh`` or None / ``auto`` to detect it.
        agent_channel: the agent's channel in a stereo file (0 or 1).
        vad: drop non-speech before decoding (keeps Whisper from inventing text).
        hotwords: domain vocabulary, e.g. product and company names.
        call_id: defaults to the file name without extension.
        device: ``cpu`` or ``cuda``.
        decoding: ``batched`` (the speech windows of all sides decoded together;
            faster-whisper with VAD) or ``sequential`` (the engine's own loop).
        progress: ``progress(step, done_s, total_s)`` callback.
        asr: an already loaded engine (overrides ``engine``, ``model``, ``device``).

    Returns:
        The :class:`Transcript`, utterances in time order; ``engine.model`` names
        the model that decoded it.

    Raises:
        AudioError: a file is missing, corrupt, or holds no speech.
        UsageError: contradictory arguments.
        ModelNotFoundError: the model cannot be found.

    Example:
        >>> t = transcribe("samples/polite_resolved.wav", language="en")  # doctest: +SKIP
        >>> t.utterances[0].speaker
        'agent'
    """
    files = _check_inputs(path, agent, customer)
    if decoding not in DECODINGS:
        raise UsageError(f"unknown decoding '{decoding}'", fix="pass batched or sequential")
    lang = None if language in (None, "", "auto") else language
    loaded = asr or load_engine(engine, AUTO if is_auto(model) else model, device=device)
    _check_language(loaded, lang)
    options = AsrOptions(language=lang, vad=vad, hotwords=tuple(hotwords))
    request = _Request(loaded, options, decoding, progress)
    if agent is not None and customer is not None:
        sides = (load_audio(agent), load_audio(customer))
        result = _two_sides(request, sides[0].mono(), sides[1].mono(), str(agent))
        source = _source(sides)
    else:
        audio = load_audio(files[0])
        result = _one_file(request, audio, agent_channel)
        source = _source((audio,))
    if not result.utterances:
        raise AudioError(
            ", ".join(files), "holds no speech (silence or noise only)", fix=_FIX_SILENT
        )
    made = Transcript(
        call_id=call_id or call_id_for(files),
        utterances=result.utterances,
        language=result.language,
        duration_s=source.duration_s,
        source=source,
        engine=_engine_info(result, request.options),
        speaker_source=result.speaker_source,
        role_confidence=result.confidence,
    )
    # Hand back exactly what the Transcript JSON keeps (times to the millisecond, probabilities
    # to four places), so a transcript equals itself read back from its file.
    return Transcript.from_dict(made.to_dict())


def _one_file(request: _Request, audio: Audio, agent_channel: int) -> _Decoded:
    if audio.channels >= 2:
        from qa_toolkit.speech.diarize import is_fake_stereo

        if not is_fake_stereo(audio.samples[:2]):
            agent = audio.channel(agent_channel)
            customer = audio.channel(1 - agent_channel if agent_channel in (0, 1) else 0)
            return _two_sides(request, agent, customer, audio.path)
        logger.info("%s: both channels carry the same signal; treating it as mono", audio.path)
    return _mono(request, audio.mono(), audio.path)


def _two_sides(request: _Request, agent: np.ndarray, customer: np.ndarray, origin: str) -> _Decoded:
    if is_silent(agent) and is_silent(customer):
        raise AudioError(origin, "is silent on both sides", fix=_FIX_SILENT)
    wanted = _wants_speech(request)
    speech = tuple(_speech(samples, wanted) for samples in (agent, customer))
    language = request.options.language or _detect(request.engine, speech)
    decoder = decoder_for(request.engine, language)
    options = _with_language(request.options, language)
    decoding, results = _recognise(request, decoder, speech, options, ("agent", "customer"))
    roles: tuple[Speaker, Speaker] = ("agent", "customer")
    sides = [
        Side(role, signal.samples, _clean(segments, language))
        for role, signal, segments in zip(roles, speech, results, strict=True)
    ]
    kept = drop_bleed(sides, SAMPLE_RATE_HZ)
    return _Decoded(merge_turns(kept), "channel", 1.0, language, decoder, decoding)


def _mono(request: _Request, samples: np.ndarray, origin: str) -> _Decoded:
    if is_silent(samples):
        raise AudioError(origin, "is silent", fix=_FIX_SILENT)
    # Diarization needs the speech regions even when decoding goes without VAD.
    regions = find_speech(samples)
    signal = SpeechSignal(samples, regions if request.options.vad else ())
    language = request.options.language or _detect(request.engine, (signal,))
    decoder = decoder_for(request.engine, language)
    options = _with_language(request.options, language)
    decoding, results = _recognise(request, decoder, (signal,), options, ("",))
    segments = _clean(results[0], language)
    labelled, confidence = _diarized_roles(samples, regions, segments, language, request.progress)
    sides = [
        Side(role, samples, tuple(seg for r, seg in labelled if r == role)) for role in SPEAKERS
    ]
    return _Decoded(merge_turns(sides), "diarization", confidence, language, decoder, decoding)


def _wants_speech(request: _Request) -> bool:
    """Whether a two-sided call needs its speech found here: to detect or to batch."""
    if not request.options.vad:
        return False
    language = request.options.language
    return language is None or _batches(request, decoder_for(request.engine, language))


def _speech(samples: np.ndarray, wanted: bool) -> SpeechSignal:
    """A side's signal with its speech regions (none for a silent side or when not wanted)."""
    if is_silent(samples) or not wanted:
        return SpeechSignal(samples, ())
    return SpeechSignal(samples, find_speech(samples))


def _batches(request: _Request, decoder: AsrEngine) -> bool:
    return (
        request.decoding == "batched"
        and request.options.vad
        and isinstance(decoder, BatchedAsrEngine)
    )


def _recognise(
    request: _Request,
    decoder: AsrEngine,
    signals: Sequence[SpeechSignal],
    options: AsrOptions,
    names: Sequence[str],
) -> tuple[Decoding, list[tuple[AsrSegment, ...]]]:
    """Decode every signal: batched when the engine can and VAD found the speech."""
    if _batches(request, decoder):
        assert isinstance(decoder, BatchedAsrEngine)
        regions = [
            SpeechSignal(s.samples, tuple(decode_ranges(s.ranges, len(s.samples)))) for s in signals
        ]
        step = _step(request.progress, "transcribe")
        results = decoder.transcribe_batch(regions, options, step)
        return "batched", [r.segments for r in results]
    out: list[tuple[AsrSegment, ...]] = []
    for signal, name in zip(signals, names, strict=True):
        if is_silent(signal.samples):
            out.append(())
            continue
        step = _step(request.progress, f"transcribe {name}".strip())
        out.append(decoder.transcribe(signal.samples, options, step).segments)
    return "sequential", out


def _diarized_roles(
    samples: np.ndarray,
    regions: Sequence[tuple[int, int]],
    segments: tuple[AsrSegment, ...],
    language: str,
    progress: Progress | None,
) -> tuple[list[tuple[Speaker, AsrSegment]], float]:
    try:
        from qa_toolkit.speech.diarize import assign_roles, diarize, split_by_speaker

        speech_s = [(start / SAMPLE_RATE_HZ, end / SAMPLE_RATE_HZ) for start, end in regions]
        turns = diarize(samples, speech=speech_s, progress=_step(progress, "diarize"))
    except ImportError as error:
        logger.warning(
            "speaker diarization is not installed (%s); speakers left 'unknown'. "
            "Install it with: pip install 'qa-toolkit[diarization]'",
            error,
        )
        return [("unknown", seg) for seg in segments], 0.0
    pieces = split_by_speaker(segments, turns)
    lines = [(cluster, seg.start_s, seg.text) for cluster, seg in pieces]
    assignment = assign_roles(lines, language=language)
    roles = assignment.roles_dict()
    labelled = [(roles.get(cluster, "unknown"), seg) for cluster, seg in pieces]
    return labelled, assignment.confidence


def _detect(engine: AsrEngine, signals: Sequence[SpeechSignal]) -> str:
    """Detect the call's language once, from the first side with speech (its first minute)."""
    for signal in signals:
        if signal.ranges:
            samples = join(signal.samples, _first(signal.ranges, _DETECT_S)).samples
        elif not is_silent(signal.samples):
            samples = signal.samples
        else:
            continue
        language, prob = engine.detect_language(samples)
        logger.info("detected language %s (p=%.2f)", language, prob)
        return language
    return "en"


def _first(ranges: Sequence[tuple[int, int]], seconds: float) -> list[tuple[int, int]]:
    """The leading ranges that hold ``seconds`` of speech (the last one cut short)."""
    left = int(seconds * SAMPLE_RATE_HZ)
    out = []
    for start, end in ranges:
        if left <= 0:
            break
        out.append((start, min(end, start + left)))
        left -= end - start
    return out


def _clean(segments: tuple[AsrSegment, ...], language: str) -> tuple[AsrSegment, ...]:
    """Drop empty segments; give Mandarin simplified script and Chinese punctuation."""
    out = []
    for seg in segments:
        text = clean_mandarin(seg.text) if language == "zh" else seg.text.strip()
        if not text:
            continue
        words = seg.words
        if language == "zh":
            words = tuple(
                Word(clean_mandarin(w.text), w.start_s, w.end_s, w.prob) for w in seg.words
            )
        out.append(
            AsrSegment(seg.start_s, seg.end_s, text, words, seg.confidence, seg.no_speech_prob)
        )
    return split_at_pauses(out)


def _check_inputs(
    path: str | Path | None, agent: str | Path | None, customer: str | Path | None
) -> tuple[str, ...]:
    if path is not None and (agent is not None or customer is not None):
        raise UsageError(
            "give either one recording or --agent and --customer files, not both",
            fix="drop the positional file, or drop --agent/--customer",
        )
    if path is None and (agent is None or customer is None):
        raise UsageError(
            "a two-file call needs both --agent and --customer",
            fix="pass the other side's file too, or pass one stereo/mono recording",
        )
    return (str(path),) if path is not None else (str(agent), str(customer))


def _check_language(engine: AsrEngine, language: str | None) -> None:
    model = engine.route.model_for(language) if isinstance(engine, RoutedEngine) else engine.model
    english_only = Path(model).name.endswith(".en") or model.endswith(".en")
    if english_only and language not in (None, "en"):
        raise UsageError(
            f"model {model} only knows English; it cannot transcribe '{language}'",
            fix="pass --model base (multilingual) for Mandarin",
        )


def _with_language(options: AsrOptions, language: str) -> AsrOptions:
    return AsrOptions(
        language, options.vad, options.word_timestamps, options.hotwords, options.beam_size
    )


def _step(progress: Progress | None, name: str) -> Progress | None:
    if progress is None:
        return None
    return lambda _step, done, total: progress(name, done, total)


def call_id_for(files: tuple[str, ...]) -> str:
    """A call's id from its files: the stem without an agent/customer suffix, else the folder."""
    stem = Path(files[0]).stem
    for suffix in (".agent", "_agent", "-agent", ".customer", "_customer", "-customer"):
        stem = stem.removesuffix(suffix)
    if stem in ("", "agent", "customer", "caller"):
        return Path(files[0]).resolve().parent.name
    return stem


def _source(audios: tuple[Audio, ...]) -> AudioSource:
    return AudioSource(
        files=tuple(a.path for a in audios),
        channels=sum(a.channels for a in audios),
        sample_rate_hz=audios[0].original_rate_hz,
        duration_s=round(max(a.duration_s for a in audios), 3),
        kind="audio",
    )


def _engine_info(result: _Decoded, options: AsrOptions) -> EngineInfo:
    opts = (
        ("beam_size", str(options.beam_size)),
        ("decoding", result.decoding),
        ("hotwords", ",".join(options.hotwords)),
        ("language", options.language or "auto"),
        ("vad", str(options.vad).lower()),
    )
    engine = result.engine
    model = Path(engine.model).name if Path(engine.model).exists() else engine.model
    return EngineInfo(engine.name, model, engine.compute_type, opts)
