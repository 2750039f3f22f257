"""Agreement metrics against values worked out by hand."""

from __future__ import annotations

import math

import pytest

from qa_toolkit.calibrate.metrics import (
    accuracy,
    cohen_kappa,
    confusion_matrix,
    mean_absolute_error,
    ranks,
    roc_auc,
    spearman,
)

LABELS = ("pass", "fail", "na")


def test_calibrate_kappa_matches_hand_computation() -> None:
    # 20 agree on pass, 15 on fail, 15 disagree: p_o = 35/50 = 0.7;
    # human 25 pass / 25 fail, toolkit 30 / 20: p_e = (25·30 + 25·20) / 50² = 0.5.
    human = ["pass"] * 25 + ["fail"] * 25
    toolkit = ["pass"] * 20 + ["fail"] * 5 + ["pass"] * 10 + ["fail"] * 15
    assert cohen_kappa(human, toolkit, LABELS) == pytest.approx((0.7 - 0.5) / (1 - 0.5))
    assert accuracy(human, toolkit) == pytest.approx(0.7)
    assert confusion_matrix(human, toolkit, LABELS) == ((20, 5, 0), (10, 15, 0), (0, 0, 0))


def test_calibrate_kappa_three_categories() -> None:
    human = ["pass", "pass", "fail", "na"]
    toolkit = ["pass", "fail", "fail", "na"]
    # p_o = 3/4; shares human (2, 1, 1)/4, toolkit (1, 2, 1)/4: p_e = (2 + 2 + 1)/16.
    expected = (0.75 - 5 / 16) / (1 - 5 / 16)
    assert cohen_kappa(human, toolkit, LABELS) == pytest.approx(expected)


def test_calibrate_kappa_is_undefined_for_one_shared_label() -> None:
    assert math.isnan(cohen_kappa(["pass"] * 3, ["pass"] * 3, LABELS))
    assert math.isnan(cohen_kappa([], [], LABELS))


def test_calibrate_confusion_rejects_unknown_labels() -> None:
    with pytest.raises(ValueError, match="maybe"):
        confusion_matrix(["pass"], ["maybe"], LABELS)


def test_calibrate_spearman_and_ties() -> None:
    # One swapped pair of four: 1 - 6·Σd²/(n(n²-1)) = 1 - 6·2/60 = 0.8.
    assert spearman([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(0.8)
    assert list(ranks([10, 20, 20, 30])) == [1.0, 2.5, 2.5, 4.0]
    assert math.isnan(spearman([1, 1, 1], [1, 2, 3]))


def test_calibrate_mae_and_auc() -> None:
    assert mean_absolute_error([1.0, 2.0, 4.0], [2.0, 2.0, 1.0]) == pytest.approx(4 / 3)
    # Positives 0.35 and 0.8 against negatives 0.1 and 0.4: 3 of 4 pairs ordered.
    assert roc_auc([0.1, 0.4, 0.35, 0.8], [False, False, True, True]) == pytest.approx(0.75)
    assert roc_auc([0.5, 0.5], [True, False]) == pytest.approx(0.5)
    assert math.isnan(roc_auc([0.1, 0.2], [True, True]))
