"""``call_model.v1``: a calibrated call model's predicted rating, as a rubric item.

The item passes when the model (:mod:`qa_toolkit.calibrate.call_model`)
predicts at least ``pass_at`` for the call (the model file's own ``pass_at``
unless the rubric gives one). Like ``metric``, it reads the whole call, so
``speaker`` and ``window`` do not apply. Its evidence gives the prediction,
the scalar inputs that weighed most, and quotes the turns that pulled the
prediction the way it went: the customer's closing complaint behind a
predicted low satisfaction, say.

Importing this module registers the detector; ``qa_toolkit.calibrate`` does so.
:func:`flag_low_prediction` adds the same verdict to a scored call as a flag.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from pydantic import Field, PrivateAttr, ValidationInfo, field_validator, model_validator

from qa_toolkit.calibrate.call_model import CallModel, Prediction, load_call_model
from qa_toolkit.calibrate.inputs import Encoder
from qa_toolkit.errors import CallModelFileError
from qa_toolkit.models.files import resolve_model_path
from qa_toolkit.rubric.detectors import Detection, View, register
from qa_toolkit.rubric.detectors.base import evidence_of
from qa_toolkit.rubric.schema import Strict
from qa_toolkit.scoring.types import LOW_PREDICTION_KIND, CallScore, Evidence, Flag
from qa_toolkit.types import Transcript

FLAG_KIND = LOW_PREDICTION_KIND


class CallModelOptions(Strict):
    """Options of ``call_model.v1``: the model file, and optionally ``pass_at`` and ``top``."""

    model: str
    pass_at: float | None = None
    top: int = Field(default=2, ge=1, le=10)
    _loaded: CallModel | None = PrivateAttr(default=None)

    @field_validator("model")
    @classmethod
    def _readable(cls, value: str, info: ValidationInfo) -> str:
        # Checked here so that a bad file is reported at the rubric's model: line.
        try:
            load_call_model(resolve_model_path(value, info))
        except CallModelFileError as exc:
            raise ValueError(str(exc)) from None
        return value

    @model_validator(mode="after")
    def _load(self, info: ValidationInfo) -> CallModelOptions:
        model = load_call_model(resolve_model_path(self.model, info))
        target = model.target
        if self.pass_at is not None and not target.low <= self.pass_at <= target.high:
            raise ValueError(
                f"pass_at {self.pass_at} is outside the model's range [{target.low}, {target.high}]"
            )
        self._loaded = model
        return self

    @property
    def loaded(self) -> CallModel:
        """The model read when the rubric was loaded."""
        assert self._loaded is not None  # set by the validator
        return self._loaded

    def rubric_references(self) -> tuple[str, tuple[tuple[str, str], ...]]:
        """The items the model reads, checked and scored first by the rubric builder."""
        return "model", self.loaded.references()


@register("call_model", 1, CallModelOptions, "a calibrated model's predicted rating (JSON file)")
def detect_call_model(view: View, options: CallModelOptions) -> Detection:
    """Pass when the predicted rating reaches ``pass_at``; evidence explains the prediction."""
    model = options.loaded
    statuses = {k: v for k, v in view.results.items() if ("item", k) in model.references()}
    prediction = model.predict(view.transcript, statuses, view.features)
    pass_at = options.pass_at if options.pass_at is not None else model.target.pass_at
    passed = prediction.value >= pass_at
    label = model.name or Path(options.model).stem
    summary = Evidence(
        "",
        "",
        0.0,
        view.features.get("duration_s", 0.0),
        "",
        explain(prediction, model, pass_at, label, options.top),
    )
    return Detection(
        "pass" if passed else "fail",
        (summary, *_quoted(prediction, passed, options.top)),
        value=prediction.value,
        confidence=_confidence(prediction.value, pass_at, model),
    )


def _confidence(value: float, pass_at: float, model: CallModel) -> float:
    """How far the prediction sits from ``pass_at``, toward the end of the scale it is on (0–1)."""
    target = model.target
    end = target.low if value < pass_at else target.high
    room = abs(pass_at - end)
    return 1.0 if room == 0 else min(1.0, abs(value - pass_at) / room)


def explain(prediction: Prediction, model: CallModel, pass_at: float, label: str, top: int) -> str:
    """One line: the prediction against ``pass_at``, and the scalar inputs that weighed most."""
    target = model.target
    sign = "≥" if prediction.value >= pass_at else "<"
    head = (
        f"{label}: predicted {target.name} {prediction.value:+.2f} {sign} {pass_at:+.2f} "
        f"(scale {target.low:.3g} to {target.high:.3g})"
    )
    weighty = sorted(prediction.scalars, key=lambda s: -abs(s[2]))[:top]
    if not weighty:
        return head
    shown = ", ".join(f"{n} = {_shown(n, v)} ({e:+.2f})" for n, v, e in weighty)
    return f"{head}; inputs that weighed most: {shown}"


def _shown(name: str, value: float | None) -> str:
    kind = name.partition(":")[0]
    if value is None:
        return "n.a." if kind == "item" else "unknown"
    if kind == "item":
        return "pass" if value >= 0.5 else "fail"
    if kind == "applies":
        return "applies" if value >= 0.5 else "n.a."
    return f"{value:.3g}"


def _quoted(prediction: Prediction, passed: bool, top: int) -> tuple[Evidence, ...]:
    """The turns that pushed the prediction the way it went, strongest first."""
    direction = 1.0 if passed else -1.0
    moving = [(u, e) for u, e in prediction.utterances if e * direction > 0]
    moving.sort(key=lambda pair: -abs(pair[1]))
    word = "raised" if passed else "lowered"
    reason = "this turn {} the prediction by {:.2f} against a typical turn in its place"
    return tuple(evidence_of(u, reason.format(word, abs(e))) for u, e in moving[:top])


def flag_low_prediction(
    score: CallScore,
    transcript: Transcript,
    model: CallModel,
    *,
    pass_at: float | None = None,
    encoder: Encoder | None = None,
) -> CallScore:
    """Flag a scored call (``low_predicted_rating``) when the model predicts below ``pass_at``.

    Args:
        score: the call's score (its item statuses and features feed the model).
        transcript: the call.
        model: a calibrated call model.
        pass_at: the cut; the model's own ``pass_at`` when ``None``.
        encoder: the sentence encoder (loaded from the model's name when ``None``).

    Returns:
        The same score, with the flag added when the prediction is low.
    """
    statuses = {item.item_id: item.status for item in score.items}
    prediction = model.predict(transcript, statuses, dict(score.features), encoder)
    cut = model.target.pass_at if pass_at is None else pass_at
    if prediction.value >= cut:
        return score
    reason = explain(prediction, model, cut, model.name or "call model", 2)
    strength = _confidence(prediction.value, cut, model)
    return replace(score, flags=(*score.flags, Flag(FLAG_KIND, reason, strength)))
