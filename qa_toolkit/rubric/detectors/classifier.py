"""``classifier.v1``: a trained model's probability that the item passes.

The model file, its format and its inference are in
:mod:`qa_toolkit.models.classifier`; this detector feeds it a call's inputs
(items, events, features, phrases said in scope, sentiment) and explains the
verdict with the inputs that weighed most.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, PrivateAttr, ValidationInfo, field_validator, model_validator

from qa_toolkit.models.classifier import (
    ClassifierFileError,
    ClassifierModel,
    Contribution,
    load_classifier,
)
from qa_toolkit.models.files import resolve_model_path
from qa_toolkit.nlp.sentiment import polarity
from qa_toolkit.rubric.schema import Strict
from qa_toolkit.scoring.types import Evidence

from .base import Detection, View, register
from .matching import first_hit
from .phrase import DEFAULT_THRESHOLD as PHRASE_THRESHOLD


class ClassifierOptions(Strict):
    """Options of ``classifier.v1``: the model file and, optionally, a threshold and top-N."""

    model: str
    threshold: float | None = Field(default=None, gt=0, lt=1)
    top: int = Field(default=3, ge=1, le=10)
    _loaded: ClassifierModel | None = PrivateAttr(default=None)

    @field_validator("model")
    @classmethod
    def _readable(cls, value: str, info: ValidationInfo) -> str:
        # Checked here so that a bad file is reported at the rubric's model: line.
        try:
            load_classifier(resolve_model_path(value, info))
        except ClassifierFileError as exc:
            raise ValueError(str(exc)) from None
        return value

    @model_validator(mode="after")
    def _load(self, info: ValidationInfo) -> ClassifierOptions:
        self._loaded = load_classifier(resolve_model_path(self.model, info))
        return self

    @property
    def loaded(self) -> ClassifierModel:
        """The model read from ``model`` when the rubric was loaded."""
        assert self._loaded is not None  # set by the validator
        return self._loaded

    def rubric_references(self) -> tuple[str, tuple[tuple[str, str], ...]]:
        """The items and events the model reads, checked and ordered by the rubric builder."""
        return "model", self.loaded.references()


@register("classifier", 1, ClassifierOptions, "a trained model's pass probability (JSON file)")
def detect_classifier(view: View, options: ClassifierOptions) -> Detection:
    """Pass when the model's p(pass) reaches the threshold; evidence names the top inputs."""
    model = options.loaded
    values, quotes = _input_values(model, view)
    label = model.name or Path(options.model).stem
    if all(v is None for v in values.values()):
        why = f"{label}: none of the model's {len(values)} inputs is known for this call"
        return Detection("na", (Evidence("", "", 0.0, 0.0, "", why),))
    prob, parts = model.predict(values)
    threshold = options.threshold if options.threshold is not None else model.threshold
    passed = prob >= threshold
    top = sorted(parts, key=lambda c: -abs(c.effect))[: options.top]
    shown = ", ".join(f"{c.name} = {_shown(c)} ({c.effect:+.2f})" for c in top)
    reason = (
        f"{label}: p(pass) = {prob:.2f} {'≥' if passed else '<'} {threshold:.2f}; "
        f"top inputs: {shown}"
    )
    summary = Evidence("", "", 0.0, view.features.get("duration_s", 0.0), "", reason)
    quoted = tuple(quotes[c.name] for c in top if c.name in quotes)
    return Detection("pass" if passed else "fail", (summary, *quoted))


def _shown(part: Contribution) -> str:
    if part.value is None:
        return "unknown"
    kind = part.name.partition(":")[0]
    if kind == "item":
        return "pass" if part.value >= 0.5 else "fail"
    if kind == "event":
        return "happened" if part.value >= 0.5 else "did not happen"
    if kind == "phrase":
        return "said" if part.value >= 0.5 else "not said"
    return f"{part.value:.3g}"


def _input_values(
    model: ClassifierModel, view: View
) -> tuple[dict[str, float | None], dict[str, Evidence]]:
    """Each input's value on this call, and evidence for the phrases found."""
    values: dict[str, float | None] = {}
    quotes: dict[str, Evidence] = {}
    for spec in model.inputs:
        if spec.kind == "feature":
            values[spec.name] = view.features.get(spec.what)
        elif spec.kind in ("item", "event"):
            status = view.results.get(spec.what)
            values[spec.name] = None if status in (None, "na") else float(status == "pass")
        elif spec.kind == "phrase":
            hit = first_hit((spec.what,), view.utterances, PHRASE_THRESHOLD)
            values[spec.name] = 1.0 if hit else 0.0
            if hit:
                quotes[spec.name] = hit.evidence(f"{spec.name}: said")
        else:
            values[spec.name] = _sentiment(view, spec.what)
    return values, quotes


def _sentiment(view: View, what: str) -> float | None:
    speaker, _, part = what.partition("_")
    turns = [u for u in view.transcript.utterances if u.speaker == speaker and u.text.strip()]
    # Two turns, like sentiment.v1's default: one short "ok" says little.
    chosen = {"first": turns[:2], "last": turns[-2:], "mean": turns}[part]
    if not chosen:
        return None
    return sum(polarity(u.text) for u in chosen) / len(chosen)
