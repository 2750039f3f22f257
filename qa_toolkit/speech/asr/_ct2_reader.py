"""Reading CTranslate2's ``model.bin``: the weights faster-whisper runs.

The file is a small header (binary version, spec name, spec revision), then each
variable as name, rank, dimensions, type id, byte count and raw little-endian
data, then a list of aliases (one variable stored under two names).
"""

from __future__ import annotations

import logging
import mmap
import struct
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from qa_toolkit.errors import EngineError, ModelNotFoundError

logger = logging.getLogger(__name__)

Tensors = dict[str, npt.NDArray[Any]]

# The layout read here is binary version 6, the one ctranslate2 4.x writes.
_BINARY_VERSION = 6
# Indexed by the type id stored with each variable.
_DTYPES = ("float32", "int8", "int16", "int32", "float16", "bfloat16")


class _Reader:
    """Sequential little-endian reader over the bytes of a ``model.bin``."""

    def __init__(self, data: mmap.mmap, path: Path) -> None:
        self.data = data
        self.path = path
        self.pos = 0

    def take(self, size: int) -> memoryview:
        if self.pos + size > len(self.data):
            raise EngineError(
                f"{self.path}: truncated CTranslate2 model (wanted {size} bytes at offset "
                f"{self.pos}, file has {len(self.data)})",
                fix="copy or re-assemble the model file again; it is incomplete",
            )
        view = memoryview(self.data)[self.pos : self.pos + size]
        self.pos += size
        return view

    def uint(self, fmt: str) -> int:
        (value,) = struct.unpack("<" + fmt, self.take(struct.calcsize(fmt)))
        return int(value)

    def string(self) -> str:
        # Strings are a uint16 length that counts a trailing NUL byte.
        size = self.uint("H")
        return bytes(self.take(size)[:-1]).decode("utf-8")


def read_ct2_model(model_dir: str | Path) -> Tensors:
    """Read every variable of a CTranslate2 ``model.bin``, aliases resolved.

    Float16 and float32 tensors are returned as stored (read-only views of the
    memory-mapped file); bfloat16 ones are widened to float32, which is exact.
    Scalars (head counts, flags) come back as 0-d arrays.

    Args:
        model_dir: a CTranslate2 model folder, or its ``model.bin``.

    Returns:
        Variable name (``encoder/layer_0/ffn/linear_0/weight``…) to array.

    Raises:
        ModelNotFoundError: there is no ``model.bin`` there.
        EngineError: the file is truncated or written by an unsupported version.
    """
    return read_ct2(Path(model_dir))[1]


def read_ct2(model_dir: Path) -> tuple[str, Tensors]:
    """The spec name (``WhisperSpec``…) and the variables of a ``model.bin``."""
    path = model_bin(model_dir)
    if path.stat().st_size == 0:
        raise EngineError(f"{path} is empty", fix="copy or re-assemble the model file again")
    with open(path, "rb") as handle:
        # Mapped, not read: the arrays are views of the file, so a 3 GB model
        # is not held twice while it is converted.
        data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    reader = _Reader(data, path)
    version = reader.uint("I")
    if version != _BINARY_VERSION:
        raise EngineError(
            f"{path}: CTranslate2 binary version {version} is not supported "
            f"(this reader knows version {_BINARY_VERSION})",
            fix="convert the model again with a current ctranslate2 (ct2-transformers-converter)",
        )
    spec, revision = reader.string(), reader.uint("I")
    logger.debug("reading %s: %s revision %d", path, spec, revision)
    tensors: Tensors = {}
    for _ in range(reader.uint("I")):
        name, array = _read_variable(reader)
        tensors[name] = array
    for _ in range(reader.uint("I")):
        alias, target = reader.string(), reader.string()
        tensors[alias] = tensors[target]
    return spec, tensors


def _read_variable(reader: _Reader) -> tuple[str, npt.NDArray[Any]]:
    name = reader.string()
    rank = reader.uint("B")
    shape = tuple(reader.uint("I") for _ in range(rank))
    type_id = reader.uint("B")
    dtype = _DTYPES[type_id] if type_id < len(_DTYPES) else None
    if dtype is None:
        raise EngineError(
            f"{reader.path}: variable {name} has unknown type id {type_id}",
            fix="convert the model again with a current ctranslate2",
        )
    raw = reader.take(reader.uint("I"))
    if dtype == "bfloat16":
        # bfloat16 is the top half of a float32: shifting the bits back is exact.
        wide = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
        return name, wide.view(np.float32).reshape(shape)
    return name, np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder("<")).reshape(shape)


def model_bin(path: Path) -> Path:
    candidate = path if path.name == "model.bin" else path / "model.bin"
    if not candidate.is_file():
        raise ModelNotFoundError(
            f"no CTranslate2 model.bin in {path}",
            fix="pass a faster-whisper model folder (model.bin, config.json, tokenizer.json); "
            "a model split in parts must be joined first (cat part1 part2 > model.bin)",
        )
    return candidate
