"""The classifier model file (``qa-toolkit/classifier@1``): format, loading, saving, inference.

The ``classifier.v1`` detector (:mod:`qa_toolkit.rubric.detectors.classifier`)
reads these models; calibration (:mod:`qa_toolkit.calibrate`) writes them.

The model is a JSON file (``qa-toolkit/classifier@1``), not a pickle: a pickle
runs arbitrary code when loaded, cannot be read or reviewed, and breaks across
scikit-learn versions. The file holds a binary logistic regression written out
in full, one entry per input::

    {
      "schema": "qa-toolkit/classifier@1",
      "kind": "logistic_regression",
      "name": "resolution-v1",
      "intercept": -0.4,
      "threshold": 0.5,
      "inputs": [
        {"name": "item:solution_offered", "coef": 1.3, "mean": 0.6, "scale": 0.49},
        {"name": "feature:longest_silence_s", "coef": -0.7, "mean": 4.2, "scale": 3.1},
        {"name": "phrase:thank you so much", "coef": 0.8}
      ],
      "training": {"samples": 1200, "target": "mean S >= 0", "metrics": {"auc": 0.71}}
    }

p(pass) = sigmoid(intercept + Σ coef · (x − mean) / scale); the item passes when
p ≥ threshold. An input the call does not have (an n.a. item, a timing feature
of a chat) takes its ``fill`` value, the training mean by default, so it pushes
neither way. Inputs are named ``kind:what``:

- ``feature:<name>``: a call feature (:data:`~qa_toolkit.scoring.features.FEATURE_NAMES`);
- ``item:<id>`` / ``event:<id>``: 1 when it passed (happened), 0 when it failed;
- ``phrase:<text>``: 1 when the phrase is said in the item's scope, else 0;
- ``sentiment:<agent|customer>_<first|last|mean>``: mean polarity (-1..1) of
  that speaker's first or last two turns, or of all of them.

:func:`classifier_from_sklearn` turns a fitted ``LogisticRegression`` (alone or
after a ``StandardScaler`` in a ``Pipeline``, trained with 1 = pass) into a
:class:`ClassifierModel`; :func:`save_classifier` writes it.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import ConfigDict, Field, ValidationError, field_validator, model_validator

from qa_toolkit.errors import QAToolkitError, did_you_mean
from qa_toolkit.models.files import read_model_json
from qa_toolkit.rubric.schema import Strict
from qa_toolkit.scoring.features import FEATURE_NAMES

CLASSIFIER_SCHEMA = "qa-toolkit/classifier@1"
INPUT_KINDS = ("feature", "item", "event", "phrase", "sentiment")
_SENTIMENT_INPUT = re.compile(r"^(agent|customer)_(first|last|mean)$")


class ClassifierFileError(QAToolkitError):
    """A classifier model file is missing, not JSON, or not a valid model."""

    def __init__(self, path: object, problem: str) -> None:
        self.path = str(path)
        fix = f"see {CLASSIFIER_SCHEMA} in rubrics/README.md"
        super().__init__(f"{path}: {problem}", fix=fix)


def check_input_name(name: str) -> str:
    """Validate an input name (``feature:longest_silence_s``); return it unchanged.

    Raises:
        ValueError: naming what is wrong and the closest valid name.
    """
    kind, sep, what = name.partition(":")
    if not sep or kind not in INPUT_KINDS:
        raise ValueError(
            f"input {name!r} should be kind:what with kind one of {', '.join(INPUT_KINDS)}"
            + did_you_mean(kind, INPUT_KINDS)
        )
    if not what.strip():
        raise ValueError(f"input {name!r} names no {kind}")
    if kind == "feature" and what not in FEATURE_NAMES:
        raise ValueError(f"unknown feature in {name!r}{did_you_mean(what, FEATURE_NAMES)}")
    if kind == "sentiment" and not _SENTIMENT_INPUT.match(what):
        raise ValueError(f"{name!r}: use sentiment:<agent|customer>_<first|last|mean>")
    return name


class _FileStrict(Strict):
    # Infinity and NaN would silently turn every probability into NaN.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class _InputSpec(_FileStrict):
    name: str
    coef: float
    mean: float = 0.0
    scale: float = Field(default=1.0, gt=0)
    fill: float | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return check_input_name(value)


class _TrainingSpec(_FileStrict):
    trained_at: str = ""
    samples: int = Field(default=0, ge=0)
    target: str = ""
    source: str = ""
    sklearn_version: str = ""
    metrics: dict[str, float] = Field(default_factory=dict)
    notes: str = ""


class _FileSpec(_FileStrict):
    schema_: Literal["qa-toolkit/classifier@1"] = Field(alias="schema")
    kind: Literal["logistic_regression"]
    name: str = ""
    intercept: float
    threshold: float = Field(default=0.5, gt=0, lt=1)
    inputs: list[_InputSpec] = Field(min_length=1)
    training: _TrainingSpec = Field(default_factory=_TrainingSpec)

    @model_validator(mode="after")
    def _unique(self) -> _FileSpec:
        names = [i.name for i in self.inputs]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"inputs named more than once: {', '.join(repeated)}")
        return self


@dataclass(frozen=True, slots=True)
class ClassifierInput:
    """One input of a model: its name, weight and standardisation."""

    name: str
    coef: float
    mean: float = 0.0
    scale: float = 1.0
    fill: float | None = None

    @property
    def kind(self) -> str:
        """``feature``, ``item``, ``event``, ``phrase`` or ``sentiment``."""
        return self.name.partition(":")[0]

    @property
    def what(self) -> str:
        """The part after the kind: a feature name, an id, a phrase."""
        return self.name.partition(":")[2]


@dataclass(frozen=True, slots=True)
class TrainingInfo:
    """Where a model came from: when, on what, aiming at what, how well it did."""

    trained_at: str = ""
    samples: int = 0
    target: str = ""
    source: str = ""
    sklearn_version: str = ""
    metrics: tuple[tuple[str, float], ...] = ()
    notes: str = ""


@dataclass(frozen=True, slots=True)
class Contribution:
    """How much one input moved a call's log-odds; ``value`` is ``None`` when filled."""

    name: str
    value: float | None
    effect: float


@dataclass(frozen=True, slots=True)
class ClassifierModel:
    """A binary logistic regression over named call inputs (see the module docstring)."""

    inputs: tuple[ClassifierInput, ...]
    intercept: float
    threshold: float = 0.5
    name: str = ""
    training: TrainingInfo = field(default_factory=TrainingInfo)

    def predict(self, values: Mapping[str, float | None]) -> tuple[float, tuple[Contribution, ...]]:
        """The probability of pass and each input's contribution to the log-odds.

        Args:
            values: input name → value; a missing name or ``None`` takes the
                input's fill value (its training mean unless the file says).

        Returns:
            (p(pass), contributions in input order).
        """
        parts = []
        for spec in self.inputs:
            value = values.get(spec.name)
            x = value if value is not None else (spec.fill if spec.fill is not None else spec.mean)
            parts.append(Contribution(spec.name, value, spec.coef * (x - spec.mean) / spec.scale))
        logit = self.intercept + sum(p.effect for p in parts)
        return _sigmoid(logit), tuple(parts)

    def references(self) -> tuple[tuple[str, str], ...]:
        """(``item`` or ``event``, id) for every rubric node the model reads."""
        return tuple((i.kind, i.what) for i in self.inputs if i.kind in ("item", "event"))

    def to_dict(self) -> dict[str, Any]:
        """The model as the JSON-ready dict of ``qa-toolkit/classifier@1``."""
        t = self.training
        return {
            "schema": CLASSIFIER_SCHEMA,
            "kind": "logistic_regression",
            "name": self.name,
            "intercept": self.intercept,
            "threshold": self.threshold,
            "inputs": [_input_dict(i) for i in self.inputs],
            "training": {**asdict(t), "metrics": dict(t.metrics)},
        }

    @classmethod
    def from_dict(cls, data: Any, origin: str = "<dict>") -> ClassifierModel:
        """Validate a model's JSON dict.

        Raises:
            ClassifierFileError: listing every problem as ``path: message``.
        """
        try:
            spec = _FileSpec.model_validate(data)
        except ValidationError as exc:
            raise ClassifierFileError(origin, validation_problems(exc)) from None
        t = spec.training
        training = TrainingInfo(**{**t.model_dump(), "metrics": tuple(sorted(t.metrics.items()))})
        inputs = tuple(
            ClassifierInput(i.name, i.coef, i.mean, i.scale, i.fill) for i in spec.inputs
        )
        return cls(inputs, spec.intercept, spec.threshold, spec.name, training)


def _input_dict(spec: ClassifierInput) -> dict[str, Any]:
    out: dict[str, Any] = {"name": spec.name, "coef": spec.coef}
    if spec.mean != 0.0 or spec.scale != 1.0:
        out.update(mean=spec.mean, scale=spec.scale)
    if spec.fill is not None:
        out["fill"] = spec.fill
    return out


def _sigmoid(z: float) -> float:
    # Written both ways so that a large |z| never overflows exp().
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def validation_problems(exc: ValidationError) -> str:
    """A model file's schema errors as ``path: message`` phrases, joined by semicolons."""
    lines = []
    for error in exc.errors(include_url=False):
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown field"
        lines.append(f"{where.lstrip('.') or '(top)'}: {message}")
    return "; ".join(lines)


def load_classifier(path: str | Path) -> ClassifierModel:
    """Load and validate a classifier model file.

    Args:
        path: a ``qa-toolkit/classifier@1`` JSON file.

    Returns:
        The model.

    Raises:
        ClassifierFileError: when the file cannot be read, is not JSON or is
            not a valid model; the message names every problem.

    Example:
        >>> model = load_classifier("models/resolution.json")
        >>> model.predict({"item:solution_offered": 1.0})[0]
        0.71
    """
    return ClassifierModel.from_dict(read_model_json(path, ClassifierFileError), str(path))


def save_classifier(model: ClassifierModel, path: str | Path) -> Path:
    """Write a model as ``qa-toolkit/classifier@1`` JSON (readable, diff-able).

    Args:
        model: the model, e.g. from :func:`classifier_from_sklearn`.
        path: the file to write; its folder is created.

    Returns:
        The path written.
    """
    # Validate what we write, so a file we produce always loads again.
    ClassifierModel.from_dict(model.to_dict(), str(path))
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(model.to_dict(), indent=2, ensure_ascii=False) + "\n", "utf-8")
    return out


def classifier_from_sklearn(
    estimator: Any,
    inputs: Sequence[str],
    *,
    threshold: float = 0.5,
    name: str = "",
    training: TrainingInfo | None = None,
) -> ClassifierModel:
    """Turn a fitted scikit-learn logistic regression into a :class:`ClassifierModel`.

    Args:
        estimator: a fitted binary ``LogisticRegression``, or a ``Pipeline`` of
            an optional ``StandardScaler`` and a ``LogisticRegression``. Its
            second class (``classes_[1]``, i.e. 1 with 0/1 labels) means pass.
        inputs: the input names, in the order of the training matrix columns.
        threshold: p(pass) from which the item passes.
        name: a name shown in the evidence.
        training: what it was trained on, stored with the model.

    Returns:
        The model, ready for :func:`save_classifier`.

    Raises:
        ValueError: for another kind of estimator, a multi-class model, or
            inputs that do not match its columns.
    """
    steps = [step for _, step in getattr(estimator, "steps", [("model", estimator)])]
    final, scalers = steps[-1], steps[:-1]
    coef = getattr(final, "coef_", None)
    classes = getattr(final, "classes_", ())
    if coef is None or len(coef) != 1 or len(classes) != 2:
        raise ValueError("only a fitted binary logistic regression (coef_ of one row) is supported")
    weights = [float(c) for c in coef[0]]
    if len(weights) != len(inputs):
        raise ValueError(f"the model has {len(weights)} columns but {len(inputs)} input names")
    for input_name in inputs:
        check_input_name(input_name)
    means, scales = _scaler(scalers, len(weights))
    specs = tuple(
        ClassifierInput(n, w, m, s)
        for n, w, m, s in zip(inputs, weights, means, scales, strict=True)
    )
    intercept = float(getattr(final, "intercept_", [0.0])[0])
    return ClassifierModel(specs, intercept, threshold, name, training or TrainingInfo())


def _scaler(steps: list[Any], n: int) -> tuple[list[float], list[float]]:
    """Means and scales of at most one ``StandardScaler`` before the model."""
    if len(steps) > 1 or (steps and not hasattr(steps[0], "scale_")):
        raise ValueError("only one StandardScaler may come before the logistic regression")
    if not steps:
        return [0.0] * n, [1.0] * n
    scaler = steps[0]
    means = scaler.mean_ if getattr(scaler, "with_mean", True) else None
    scales = scaler.scale_ if getattr(scaler, "with_std", True) else None
    return (
        [float(m) for m in means] if means is not None else [0.0] * n,
        [float(s) for s in scales] if scales is not None else [1.0] * n,
    )
