"""The files of a Hugging Face Whisper folder, built from converted tensors.

Kept apart from :mod:`qa_toolkit.speech.asr.convert` because it needs transformers,
safetensors and tokenizers, which the openai-whisper route does not.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from qa_toolkit.errors import ModelNotFoundError

if TYPE_CHECKING:
    from qa_toolkit.speech.asr.convert import WhisperDims

Tensors = dict[str, npt.NDArray[Any]]

# openai-whisper name pieces and their transformers counterparts, applied in order.
_BLOCK_PARTS: tuple[tuple[str, str], ...] = (
    ("cross_attn_ln.", "encoder_attn_layer_norm."),
    ("cross_attn.", "encoder_attn."),
    ("attn_ln.", "self_attn_layer_norm."),
    ("attn.", "self_attn."),
    ("mlp_ln.", "final_layer_norm."),
    ("mlp.0.", "fc1."),
    ("mlp.2.", "fc2."),
)
_PROJECTIONS = {"query": "q_proj", "key": "k_proj", "value": "v_proj", "out": "out_proj"}
_TOP_LEVEL = {
    "encoder.positional_embedding": "model.encoder.embed_positions.weight",
    "decoder.positional_embedding": "model.decoder.embed_positions.weight",
    "decoder.token_embedding.weight": "model.decoder.embed_tokens.weight",
}
_SPECIAL_NAMES = {
    "eot": "<|endoftext|>",
    "sot": "<|startoftranscript|>",
    "translate": "<|translate|>",
    "transcribe": "<|transcribe|>",
    "sot_prev": "<|startofprev|>",
    "no_timestamps": "<|notimestamps|>",
}
_TIMESTAMP_COUNT = 1501  # <|0.00|> … <|30.00|> in 20 ms steps


def hf_name(name: str) -> str:
    """The transformers state-dict name of an openai-whisper one."""
    if name in _TOP_LEVEL:
        return _TOP_LEVEL[name]
    match = re.fullmatch(r"(encoder|decoder)\.blocks\.(\d+)\.(.+)", name)
    if match is None:
        stack, rest = name.split(".", 1)
        rest = rest.replace("ln_post.", "layer_norm.").replace("ln.", "layer_norm.")
        return f"model.{stack}.{rest}"
    stack, index, rest = match.groups()
    for old, new in _BLOCK_PARTS:
        if rest.startswith(old):
            rest = new + rest[len(old) :]
            break
    parts = rest.split(".")
    if len(parts) == 3 and parts[1] in _PROJECTIONS:
        parts[1] = _PROJECTIONS[parts[1]]
    return f"model.{stack}.layers.{index}.{'.'.join(parts)}"


def write_folder(
    folder: Path,
    *,
    tensors: Tensors,
    projection: npt.NDArray[Any] | None,
    dims: WhisperDims,
    config: dict[str, Any],
    alignment_heads: list[list[int]],
    tokenizer_json: Path,
) -> None:
    """Write weights, configs, tokenizer and feature extractor into ``folder``.

    Args:
        folder: an existing empty folder.
        tensors: the state dict under openai-whisper names.
        projection: the output projection when it is not tied to the embedding.
        dims: the model's :class:`~qa_toolkit.speech.asr.convert.WhisperDims`.
        config: the CTranslate2 ``config.json`` (suppressed tokens).
        alignment_heads: [layer, head] pairs for word timestamps.
        tokenizer_json: the CTranslate2 folder's ``tokenizer.json``.
    """
    from safetensors.numpy import save_file

    if not tokenizer_json.is_file():
        raise ModelNotFoundError(
            f"no tokenizer.json beside {tokenizer_json.parent / 'model.bin'}",
            fix="copy the model's tokenizer.json into its folder",
        )
    weights = {hf_name(k): np.ascontiguousarray(v) for k, v in tensors.items()}
    if projection is not None:
        weights["proj_out.weight"] = np.ascontiguousarray(projection)
    # transformers only loads safetensors files whose metadata says "pt".
    save_file(weights, str(folder / "model.safetensors"), metadata={"format": "pt"})
    ids = _write_tokenizer(folder, tokenizer_json)
    dtype = str(tensors["decoder.token_embedding.weight"].dtype)
    _write_model_config(folder, dims, config, ids, dtype, tied=projection is None)
    _write_generation_config(folder, dims, config, ids, alignment_heads)
    _write_feature_extractor(folder, dims.n_mels)


def _write_tokenizer(folder: Path, tokenizer_json: Path) -> dict[str, Any]:
    """Copy the tokenizer, add the timestamp tokens, and return the special ids."""
    from tokenizers import AddedToken, Tokenizer

    tokenizer = Tokenizer.from_file(str(tokenizer_json))
    specials = {
        token.content: int(index)
        for index, token in tokenizer.get_added_tokens_decoder().items()
        if token.special
    }
    missing = [token for token in _SPECIAL_NAMES.values() if token not in specials]
    if missing:
        raise ModelNotFoundError(
            f"{tokenizer_json} lacks Whisper's special tokens {missing}",
            fix="use the tokenizer.json shipped with the Whisper model",
        )
    ids: dict[str, Any] = {key: specials[token] for key, token in _SPECIAL_NAMES.items()}
    # Language tokens sit between <|startoftranscript|> and <|translate|>.
    ids["languages"] = {
        token: index for token, index in specials.items() if ids["sot"] < index < ids["translate"]
    }
    # Hugging Face's Whisper tokenizers carry <|0.00|>…<|30.00|> right after
    # <|notimestamps|>; the CTranslate2 copy stops before them.
    if tokenizer.token_to_id("<|0.00|>") is None:
        stamps = [f"<|{i * 0.02:.2f}|>" for i in range(_TIMESTAMP_COUNT)]
        tokenizer.add_tokens([AddedToken(s, normalized=False, special=False) for s in stamps])
    tokenizer.save(str(folder / "tokenizer.json"))
    eot = _SPECIAL_NAMES["eot"]
    tokenizer_config = {
        "tokenizer_class": "WhisperTokenizer",
        "bos_token": eot,
        "eos_token": eot,
        "unk_token": eot,
        "pad_token": eot,
        "add_prefix_space": False,
        "errors": "replace",
        "model_max_length": 1024,
        # The tokenizer finds the first timestamp id as "last special id + 1".
        "additional_special_tokens": sorted(specials, key=specials.__getitem__),
    }
    _write_json(folder / "tokenizer_config.json", tokenizer_config)
    return ids


def _write_model_config(
    folder: Path,
    dims: WhisperDims,
    config: dict[str, Any],
    ids: dict[str, Any],
    dtype: str,
    *,
    tied: bool,
) -> None:
    from transformers import WhisperConfig

    fc1 = 4 * dims.n_audio_state  # Whisper's MLP width; checked by the strict load in tests.
    WhisperConfig(
        vocab_size=dims.n_vocab,
        num_mel_bins=dims.n_mels,
        d_model=dims.n_audio_state,
        encoder_layers=dims.n_audio_layer,
        encoder_attention_heads=dims.n_audio_head,
        decoder_layers=dims.n_text_layer,
        decoder_attention_heads=dims.n_text_head,
        encoder_ffn_dim=fc1,
        decoder_ffn_dim=4 * dims.n_text_state,
        max_source_positions=dims.n_audio_ctx,
        max_target_positions=dims.n_text_ctx,
        pad_token_id=ids["eot"],
        bos_token_id=ids["eot"],
        eos_token_id=ids["eot"],
        decoder_start_token_id=ids["sot"],
        # Token suppression lives in generation_config.json only: transformers
        # warns when the model config carries it too.
        suppress_tokens=None,
        begin_suppress_tokens=None,
        tie_word_embeddings=tied,
        dtype=dtype,
    ).save_pretrained(str(folder))


def _write_generation_config(
    folder: Path,
    dims: WhisperDims,
    config: dict[str, Any],
    ids: dict[str, Any],
    alignment_heads: list[list[int]],
) -> None:
    from transformers import GenerationConfig

    extra: dict[str, Any] = {}
    if dims.multilingual:
        extra["lang_to_id"] = ids["languages"]
        extra["task_to_id"] = {"translate": ids["translate"], "transcribe": ids["transcribe"]}
    GenerationConfig(
        decoder_start_token_id=ids["sot"],
        bos_token_id=ids["eot"],
        eos_token_id=ids["eot"],
        pad_token_id=ids["eot"],
        max_length=dims.n_text_ctx,
        suppress_tokens=list(config.get("suppress_ids", [])),
        begin_suppress_tokens=list(config.get("suppress_ids_begin", [220, ids["eot"]])),
        alignment_heads=alignment_heads,
        no_timestamps_token_id=ids["no_timestamps"],
        prev_sot_token_id=ids["sot_prev"],
        # OpenAI's decoder lets the first timestamp be at most 1 s (50 × 20 ms).
        max_initial_timestamp_index=50,
        is_multilingual=dims.multilingual,
        return_timestamps=False,
        **extra,
    ).save_pretrained(str(folder))


def _write_feature_extractor(folder: Path, n_mels: int) -> None:
    from transformers import WhisperFeatureExtractor

    WhisperFeatureExtractor(
        feature_size=n_mels, sampling_rate=16_000, hop_length=160, chunk_length=30, n_fft=400
    ).save_pretrained(str(folder))


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
