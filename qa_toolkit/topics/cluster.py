"""Seeded clustering of unit vectors: spherical k-means, with k chosen by silhouette.

numpy only, so topic discovery needs nothing beyond the toolkit's core. Every random choice
comes from one ``numpy.random.Generator`` built from the seed, and the callers sort their calls
by id first, so the same calls give the same clusters on every machine and run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qa_toolkit.nlp.embeddings import Vectors

_ITERATIONS = 60
_RESTARTS = 4
# Silhouette is quadratic in the calls: above this many it is computed on a seeded sample.
_SILHOUETTE_SAMPLE = 1500


@dataclass(frozen=True, slots=True)
class Clustering:
    """Cluster labels (0..k-1) of each vector, the unit centroids and the silhouette."""

    labels: np.ndarray
    centroids: Vectors
    silhouette: float

    @property
    def k(self) -> int:
        """The number of clusters."""
        return int(self.centroids.shape[0])


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def _plus_plus(vectors: Vectors, k: int, rng: np.random.Generator) -> Vectors:
    """k-means++ seeding on cosine distance."""
    chosen = [int(rng.integers(len(vectors)))]
    distance = 1.0 - vectors @ vectors[chosen[0]]
    for _ in range(1, k):
        weights = np.clip(distance, 0.0, None) ** 2
        total = float(weights.sum())
        pick = int(rng.choice(len(vectors), p=weights / total)) if total > 0 else int(
            rng.integers(len(vectors)))  # fmt: skip
        chosen.append(pick)
        distance = np.minimum(distance, 1.0 - vectors @ vectors[pick])
    return vectors[chosen].copy()


def spherical_kmeans(vectors: Vectors, k: int, *, seed: int = 0) -> tuple[np.ndarray, Vectors]:
    """Labels and unit centroids of ``k`` clusters by cosine similarity (best of a few starts).

    Raises:
        ValueError: ``k`` is not between 1 and the number of vectors.
    """
    if not 1 <= k <= len(vectors):
        raise ValueError(f"cannot make {k} clusters of {len(vectors)} vectors")
    rng = np.random.default_rng(seed)
    best: tuple[float, np.ndarray, Vectors] | None = None
    for _ in range(_RESTARTS):
        centroids = _plus_plus(vectors, k, rng)
        labels = np.zeros(len(vectors), dtype=int)
        for step in range(_ITERATIONS):
            new = np.argmax(vectors @ centroids.T, axis=1)
            if step and np.array_equal(new, labels):
                break
            labels = new
            for c in range(k):
                members = vectors[labels == c]
                # An emptied cluster restarts on the vector its centroid fits worst.
                centroids[c] = members.sum(axis=0) if len(members) else vectors[
                    int(np.argmin(np.max(vectors @ centroids.T, axis=1)))]  # fmt: skip
            centroids = _unit(centroids)
        cohesion = float(np.sum(vectors * centroids[labels]))
        if best is None or cohesion > best[0]:
            best = (cohesion, labels.copy(), centroids.copy())
    assert best is not None
    return best[1], best[2]


def silhouette(vectors: Vectors, labels: np.ndarray, *, seed: int = 0) -> float:
    """Mean silhouette on cosine distance (-1..1); a seeded sample above 1,500 vectors."""
    if len(set(labels.tolist())) < 2:
        return -1.0
    index = np.arange(len(vectors))
    if len(vectors) > _SILHOUETTE_SAMPLE:
        index = np.sort(np.random.default_rng(seed).choice(index, _SILHOUETTE_SAMPLE, False))
    sample, own = vectors[index], labels[index]
    distance = 1.0 - sample @ sample.T
    names = np.unique(own)
    member = (own[:, None] == names[None, :]).astype(np.float64)
    sums, counts = distance @ member, member.sum(axis=0)
    mine = np.searchsorted(names, own)
    rows = np.arange(len(sample))
    a = sums[rows, mine] / np.maximum(counts[mine] - 1, 1)
    others = sums / counts
    others[rows, mine] = np.inf
    b = others.min(axis=1)
    values = np.where(counts[mine] > 1, (b - a) / np.maximum(np.maximum(a, b), 1e-12), 0.0)
    return float(values.mean())


def cluster(
    vectors: Vectors, *, max_k: int, min_size: int, seed: int = 0, k: int | None = None
) -> Clustering:
    """Cluster unit vectors, trying every k from 2 up to ``max_k`` (or the ``k`` given).

    k is the one with the best silhouette among those whose clusters are mostly (80% of the
    calls) at least ``min_size`` calls: a split into many tiny clusters is no set of topics.

    Raises:
        ValueError: fewer than two vectors.
    """
    n = len(vectors)
    if n < 2:
        raise ValueError("need at least two calls to cluster")
    candidates = (
        [k] if k is not None else list(range(2, max(2, min(max_k, n // max(min_size, 1))) + 1))
    )
    best: Clustering | None = None
    for trial in candidates:
        labels, centroids = spherical_kmeans(vectors, min(trial, n), seed=seed)
        sizes = np.bincount(labels, minlength=len(centroids))
        in_real = sizes[sizes >= min_size].sum() / n
        score = silhouette(vectors, labels, seed=seed)
        if k is None and in_real < 0.8 and best is not None:
            continue
        if best is None or score > best.silhouette or k is not None:
            best = Clustering(labels, centroids, score)
    assert best is not None
    return best


__all__ = ["Clustering", "cluster", "silhouette", "spherical_kmeans"]
