"""The detector contract and the registry of versioned detector names.

A detector is a function ``detect(view, options) -> Detection``. ``view`` holds
the utterances in the item's scope (speaker and window already applied) and a
description of that scope for the evidence; ``options`` is the detector's own
pydantic model, validated when the rubric was loaded. Names carry a version
(``phrase.v1``) so a rubric written today keeps its meaning when ``phrase.v2``
arrives; a bare name (``phrase``) means the highest version.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from qa_toolkit.errors import did_you_mean
from qa_toolkit.nlp.text import shorten
from qa_toolkit.scoring.types import Evidence, Status
from qa_toolkit.types import Transcript, Utterance


@dataclass(frozen=True, slots=True)
class View:
    """What a detector sees of a call.

    Attributes:
        transcript: the whole call.
        utterances: the utterances in the item's scope, in time order.
        description: the scope in words ("the agent's first 30 s").
        features: the call's features (see ``qa_toolkit.scoring.features``).
        speaker: the scoped speaker (``agent``, ``customer`` or ``any``).
        results: the status of every event and item decided before this one
            (the rubric orders nodes so that those a detector reads come first).
    """

    transcript: Transcript
    utterances: tuple[Utterance, ...]
    description: str
    features: Mapping[str, float]
    speaker: str = "any"
    results: Mapping[str, Status] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Detection:
    """A detector's verdict and the evidence behind it.

    ``value`` is the number the verdict was read from, when there is one (an
    outcome estimate, a predicted rating); it reaches the Score JSON. ``credit``
    is the share of the item's points earned (0–1) for a graded item; ``None``
    means all or nothing by ``status``. ``confidence`` (0–1) says how sure a
    verdict read from an estimate is; a failed call-model item passes it to its
    ``low_predicted_rating`` flag, which the review queue ranks by.
    """

    status: Status
    evidence: tuple[Evidence, ...]
    value: float | None = None
    credit: float | None = None
    confidence: float | None = None


DetectFn = Callable[[View, Any], Detection]


@dataclass(frozen=True, slots=True)
class DetectorInfo:
    """A registered detector: name, version, options model, function and a summary."""

    name: str
    version: int
    options: type[BaseModel]
    detect: DetectFn
    summary: str

    @property
    def key(self) -> str:
        """The versioned name (``phrase.v1``)."""
        return f"{self.name}.v{self.version}"


_REGISTRY: dict[str, DetectorInfo] = {}

# Detectors defined in other packages, imported when a name is first resolved: the calibrated
# call model (``call_model.v1``) lives with calibration, which itself scores calls, so importing
# it here at load time would close an import cycle.
_PLUGINS: tuple[str, ...] = ("qa_toolkit.calibrate.detector", "qa_toolkit.topics.detector")
_plugins_loaded = False


def _load_plugins() -> None:
    global _plugins_loaded
    if not _plugins_loaded:
        _plugins_loaded = True
        for module in _PLUGINS:
            importlib.import_module(module)


def register(
    name: str, version: int, options: type[BaseModel], summary: str
) -> Callable[[DetectFn], DetectFn]:
    """Register a detector function under ``name.v<version>``.

    Args:
        name: the detector's name as rubrics write it (``phrase``).
        version: bump it when a change would alter existing rubrics' results.
        options: the pydantic model (``extra="forbid"``) of its options.
        summary: one line for ``qa rubric explain`` and the docs.

    Returns:
        A decorator that registers the function and returns it unchanged.
    """

    def decorate(fn: DetectFn) -> DetectFn:
        info = DetectorInfo(name, version, options, fn, summary)
        _REGISTRY[info.key] = info
        return fn

    return decorate


def detector_names() -> list[str]:
    """Every accepted detector name: bare names and versioned names, sorted."""
    _load_plugins()
    bare = {info.name for info in _REGISTRY.values()}
    return sorted(bare | set(_REGISTRY))


def resolve_detector(name: str) -> DetectorInfo:
    """The detector a rubric names; a bare name means its highest version.

    Raises:
        KeyError: with a message that suggests the closest known name.
    """
    if name not in _REGISTRY:
        _load_plugins()
    if name in _REGISTRY:
        return _REGISTRY[name]
    versions = [info for info in _REGISTRY.values() if info.name == name]
    if versions:
        return max(versions, key=lambda info: info.version)
    raise KeyError(f"unknown detector {name!r}{did_you_mean(name, detector_names())}")


def evidence_of(utt: Utterance, reason: str) -> Evidence:
    """Evidence that quotes one utterance."""
    return Evidence(utt.id, utt.speaker, utt.start_s, utt.end_s, shorten(utt.text), reason)


def searched(view: View, what: str) -> Evidence:
    """Evidence for a failure to find something: the window searched.

    The reason names what was missing and where it was looked for; the
    evidence points at the first utterance searched, or at nothing when the
    scope was empty.
    """
    if not view.utterances:
        return Evidence(
            "", "", 0.0, 0.0, "", f"{what} in {view.description}: nothing was said there"
        )
    first = view.utterances[0]
    who = "utterance" if view.speaker == "any" else f"{view.speaker} utterance"
    reason = f"{what} in {view.description}; the first {who} there was this"
    return evidence_of(first, reason)


def quote_list(phrases: tuple[str, ...], limit: int = 3) -> str:
    """A few phrases quoted for a reason: ``'a', 'b', 'c' (+4 more)``."""
    shown = ", ".join(repr(p) for p in phrases[:limit])
    more = len(phrases) - limit
    return f"{shown} (+{more} more)" if more > 0 else shown
