"""Agreement metrics between the toolkit and human reviewers, in plain numpy.

Written out rather than taken from scikit-learn so that the agreement report
works without it and each number can be checked by hand: Cohen's kappa,
accuracy and the confusion matrix for item statuses; Spearman's rho and the
mean absolute error for scores; the ROC AUC for a flag.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def ranks(values: Sequence[float] | FloatArray) -> FloatArray:
    """Ranks from 1, tied values sharing the mean of their ranks.

    Args:
        values: the numbers to rank.

    Returns:
        One rank per value, in input order.
    """
    data = np.asarray(values, dtype=float)
    order = np.argsort(data, kind="mergesort")
    ranked = np.empty(len(data))
    ranked[order] = np.arange(1, len(data) + 1)
    _, inverse, counts = np.unique(data, return_inverse=True, return_counts=True)
    # Average the ranks of each group of ties in one pass.
    sums = np.bincount(inverse, weights=ranked)
    return np.asarray(sums[inverse] / counts[inverse], dtype=float)


def spearman(x: Sequence[float] | FloatArray, y: Sequence[float] | FloatArray) -> float:
    """Spearman's rho: Pearson's r of the tie-averaged ranks.

    Returns:
        rho in [-1, 1]; NaN when either side is constant or has fewer than two values.
    """
    if len(x) != len(y):
        raise ValueError(f"x has {len(x)} values but y has {len(y)}")
    if len(x) < 2:
        return float("nan")
    rx, ry = ranks(x), ranks(y)
    if rx.std() == 0 or ry.std() == 0:
        return float("nan")
    return float(np.corrcoef(rx, ry)[0, 1])


def mean_absolute_error(
    truth: Sequence[float] | FloatArray, predicted: Sequence[float] | FloatArray
) -> float:
    """The mean of |truth - predicted|; NaN for no values."""
    t, p = np.asarray(truth, dtype=float), np.asarray(predicted, dtype=float)
    if t.shape != p.shape:
        raise ValueError(f"truth has {t.shape} values but predicted has {p.shape}")
    return float(np.abs(t - p).mean()) if t.size else float("nan")


def roc_auc(scores: Sequence[float] | FloatArray, positive: Sequence[bool]) -> float:
    """Area under the ROC curve: P(a positive outscores a negative), ties counting half.

    Returns:
        The AUC; NaN when there are no positives or no negatives.
    """
    pos = np.asarray(positive, dtype=bool)
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    r = ranks(scores)
    return float((r[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def confusion_matrix(
    truth: Sequence[str], predicted: Sequence[str], labels: Sequence[str]
) -> tuple[tuple[int, ...], ...]:
    """Counts of (human label, toolkit label) pairs.

    Args:
        truth: the human labels.
        predicted: the toolkit's labels, one per human label.
        labels: the categories, in the order of the rows and columns.

    Returns:
        ``matrix[i][j]``: calls labelled ``labels[i]`` by the human and
        ``labels[j]`` by the toolkit.
    """
    if len(truth) != len(predicted):
        raise ValueError(f"{len(truth)} human labels but {len(predicted)} predictions")
    index = {label: i for i, label in enumerate(labels)}
    unknown = sorted({v for v in (*truth, *predicted) if v not in index})
    if unknown:
        raise ValueError(f"labels {unknown} are not among {list(labels)}")
    counts = np.zeros((len(labels), len(labels)), dtype=int)
    for t, p in zip(truth, predicted, strict=True):
        counts[index[t], index[p]] += 1
    return tuple(tuple(int(c) for c in row) for row in counts)


def accuracy(truth: Sequence[str], predicted: Sequence[str]) -> float:
    """The share of calls where the toolkit gave the human's label; NaN for none."""
    if len(truth) != len(predicted):
        raise ValueError(f"{len(truth)} human labels but {len(predicted)} predictions")
    if not truth:
        return float("nan")
    return sum(t == p for t, p in zip(truth, predicted, strict=True)) / len(truth)


def cohen_kappa(truth: Sequence[str], predicted: Sequence[str], labels: Sequence[str]) -> float:
    """Cohen's kappa: agreement beyond what the two label shares give by chance.

    kappa = (p_observed - p_chance) / (1 - p_chance), where p_chance sums, over
    the categories, the product of the human's and the toolkit's share of it.

    Returns:
        kappa (1 perfect, 0 chance, below 0 worse than chance); NaN when there
        are no labels or chance agreement is already perfect (both always gave
        the same single label), where kappa is undefined.
    """
    matrix = np.asarray(confusion_matrix(truth, predicted, labels), dtype=float)
    total = matrix.sum()
    if total == 0:
        return float("nan")
    observed = np.trace(matrix) / total
    chance = float((matrix.sum(axis=1) * matrix.sum(axis=0)).sum() / total**2)
    if chance >= 1.0:
        return float("nan")
    return float((observed - chance) / (1.0 - chance))
