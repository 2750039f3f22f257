"""``behaviour.v1``: what an utterance does, read from its meaning.

The behaviour model (:mod:`qa_toolkit.nlp.behaviour`) gives every sentence of
the call a probability for each behaviour of its speaker (an apology, a
restatement of the need, a concrete next step, a deflection, a customer saying
it is still not solved…), reading the other party's previous turn as context.
An item asks for behaviours in its scope:

- ``any``: pass on the first utterance that shows one of them;
- ``none``: fail on each utterance that shows one of them (blaming);
- ``steps``: behaviours in order (the three-step soothing), a step may share
  the previous step's utterance;
- ``unless``: with ``any``, an utterance that shows one of these more strongly
  does not count (an "action" that is really a deflection);
- ``pattern`` / ``exclude``: with ``any``, the utterance must also match one of
  these regular expressions and none of the exclusions: meaning and form
  together ("an action taken *on the account*": a refund, a cancellation);
- ``or_feature``: with ``any``, a call feature that also proves it
  (``{name: hold_count, min: 1}``: a hold seen in the timing), so an event and
  the analytics never disagree;
- ``settled_by``: with ``none``, read the scope from its last utterance back:
  the first that shows a ``none`` behaviour fails the item, the first that
  shows a ``settled_by`` one passes it, and a toneless one ("ok", "no", 嗯)
  hands the decision to the one before it. This is how a customer's closing
  mood is read: "No." after "I'm moving my accounts elsewhere" is still upset.

The evidence quotes the deciding sentence, names the behaviour and gives its
probability; a failure quotes the closest utterance and how far it fell short.
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import Field, field_validator, model_validator

from qa_toolkit.errors import did_you_mean
from qa_toolkit.nlp.behaviour import (
    BEHAVIOUR_IDS,
    Finding,
    UtteranceBehaviours,
    behaviour,
    load_behaviour_model,
)
from qa_toolkit.nlp.text import fold, shorten
from qa_toolkit.rubric.schema import PhraseList, Strict
from qa_toolkit.scoring.features import locate_feature
from qa_toolkit.scoring.types import Evidence

from .base import Detection, View, evidence_of, register, searched
from .metric import known_feature
from .regex import checked_patterns, compile_pattern, first_match, patterns_of

BehaviourList = list[str]
Threshold = Callable[[str], float]


def _check_ids(value: BehaviourList | None) -> BehaviourList | None:
    if value is None:
        return None
    if not value:
        raise ValueError("the behaviour list is empty")
    for b in value:
        if b not in BEHAVIOUR_IDS:
            raise ValueError(
                f"unknown behaviour {b!r}{did_you_mean(b, BEHAVIOUR_IDS)}; valid: "
                + ", ".join(BEHAVIOUR_IDS)
            )
    return value


class BehaviourStep(Strict):
    """One step of a behaviour sequence."""

    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_\-]*$")
    any: BehaviourList

    @field_validator("any")
    @classmethod
    def _known(cls, value: BehaviourList) -> BehaviourList | None:
        return _check_ids(value)


class FeatureAtLeast(Strict):
    """A call feature at or above a value."""

    name: str
    min: float

    @field_validator("name")
    @classmethod
    def _known_feature(cls, value: str) -> str:
        return known_feature(value)


class BehaviourOptions(Strict):
    """Options of ``behaviour.v1``; give one of ``any``, ``none`` or ``steps``."""

    any: BehaviourList | None = None
    none: BehaviourList | None = None
    steps: list[BehaviourStep] | None = Field(default=None, min_length=2)
    unless: BehaviourList | None = None
    pattern: str | PhraseList | None = None
    exclude: str | PhraseList | None = None
    or_feature: FeatureAtLeast | None = None
    settled_by: BehaviourList | None = None
    threshold: float | None = Field(default=None, gt=0, lt=1)
    model: str | None = None

    @field_validator("any", "none", "unless", "settled_by")
    @classmethod
    def _known(cls, value: BehaviourList | None) -> BehaviourList | None:
        return _check_ids(value)

    @field_validator("pattern", "exclude")
    @classmethod
    def _compiles(cls, value: str | PhraseList | None) -> str | PhraseList | None:
        return checked_patterns(value)

    @model_validator(mode="after")
    def _one_way(self) -> BehaviourOptions:
        given = [k for k in ("any", "none", "steps") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of any, none, steps")
        for key in ("unless", "pattern", "exclude", "or_feature"):
            if getattr(self, key) is not None and self.any is None:
                raise ValueError(f"{key} goes with any")
        if self.settled_by is not None and self.none is None:
            raise ValueError("settled_by goes with none")
        return self


@register("behaviour", 1, BehaviourOptions, "behaviours read from meaning (model, in context)")
def detect_behaviour(view: View, options: BehaviourOptions) -> Detection:
    """Pass or fail on the behaviours shown in scope; evidence quotes the deciding sentence."""
    model = load_behaviour_model(options.model)
    wanted = {u.id for u in view.utterances}
    found = [b for b in model.classify(view.transcript) if b.utterance.id in wanted]

    def threshold(b: str) -> float:
        return options.threshold if options.threshold is not None else model.threshold(b)

    def strict(b: str) -> float:
        return options.threshold if options.threshold is not None else model.strict_threshold(b)

    if options.none is not None and options.settled_by is not None:
        return _from_the_end(view, found, options.none, options.settled_by, strict, threshold)
    if options.none is not None:
        # One sentence among dozens fails the item, so absence checks take the stricter threshold.
        return _none(view, found, options.none, strict)
    if options.steps is not None:
        return _steps(view, found, options.steps, threshold)
    assert options.any is not None
    if options.pattern is not None:
        # What it acts on is read in the sentence that does it: "I've cancelled your contract",
        # not a look-up in one sentence and "cancel" in an explanation two sentences on.
        found = [b for b in found if _acts_on(b, options.any, options)]
    said = _any(view, found, options.any, options.unless or [], threshold)
    if said.status == "fail" and options.or_feature is not None:
        return _by_feature(view, options.or_feature) or said
    return said


def _by_feature(view: View, condition: FeatureAtLeast) -> Detection | None:
    value = view.features.get(condition.name)
    if value is None or value < condition.min:
        return None
    reason = f"{condition.name} = {value:g} (at least {condition.min:g})"
    located = locate_feature(condition.name, view.transcript)
    return Detection("pass", (Evidence("", "", 0.0, 0.0, "", reason), *located))


def _matches(text: str, options: BehaviourOptions) -> bool:
    excludes = tuple(compile_pattern(p) for p in patterns_of(options.exclude))
    return first_match(fold(text), patterns_of(options.pattern), excludes) is not None


def _acts_on(ub: UtteranceBehaviours, ids: list[str], options: BehaviourOptions) -> bool:
    """Whether a sentence showing one of ``ids`` matches the pattern (and no exclusion)."""
    return any((f := ub.finding(b)) is not None and _matches(f.sentence, options) for b in ids)


def _named(b: str) -> str:
    return f"{b} ({behaviour(b).en})"


def _said(finding: Finding, utt_text: str, threshold: float) -> str:
    where = "" if finding.sentence == utt_text.strip() else f": {shorten(finding.sentence, 90)!r}"
    return f"{_named(finding.behaviour)}, p={finding.probability:.2f} ≥ {threshold:.2f}{where}"


def _strongest(
    found: list[UtteranceBehaviours], ids: list[str]
) -> tuple[UtteranceBehaviours, Finding] | None:
    best: tuple[UtteranceBehaviours, Finding] | None = None
    for ub in found:
        for b in ids:
            f = ub.finding(b)
            if f is not None and (best is None or f.probability > best[1].probability):
                best = (ub, f)
    return best


def _shows(ub: UtteranceBehaviours, ids: list[str], threshold: Threshold) -> Finding | None:
    hits = [f for b in ids if (f := ub.finding(b)) is not None and f.probability >= threshold(b)]
    return max(hits, key=lambda f: f.probability) if hits else None


def _any(
    view: View,
    found: list[UtteranceBehaviours],
    ids: list[str],
    unless: list[str],
    threshold: Threshold,
) -> Detection:
    overruled: list[Evidence] = []
    for ub in found:
        hit = _shows(ub, ids, threshold)
        if hit is None:
            continue
        veto = _shows(ub, unless, threshold)
        if veto is not None and veto.probability > hit.probability:
            reason = (
                f"not counted: reads as {_named(veto.behaviour)} "
                f"(p={veto.probability:.2f}) more than {hit.behaviour} (p={hit.probability:.2f})"
            )
            overruled.append(evidence_of(ub.utterance, reason))
            continue
        return Detection(
            "pass",
            (evidence_of(ub.utterance, _said(hit, ub.utterance.text, threshold(hit.behaviour))),),
        )
    what = " or ".join(_named(b) for b in ids)
    evidence = [searched(view, f"no utterance showing {what}"), *overruled[:2]]
    closest = _strongest(found, ids)
    if closest is not None and not overruled:
        ub, f = closest
        reason = (
            f"closest: {f.behaviour} p={f.probability:.2f} < {threshold(f.behaviour):.2f}"
            f" in {shorten(f.sentence, 90)!r}"
        )
        evidence.append(evidence_of(ub.utterance, reason))
    return Detection("fail", tuple(evidence))


def _none(
    view: View, found: list[UtteranceBehaviours], ids: list[str], threshold: Threshold
) -> Detection:
    hits = [(ub, f) for ub in found if (f := _shows(ub, ids, threshold)) is not None]
    if hits:
        return Detection(
            "fail",
            tuple(
                evidence_of(ub.utterance, _said(f, ub.utterance.text, threshold(f.behaviour)))
                for ub, f in hits[:3]
            ),
        )
    what = " or ".join(_named(b) for b in ids)
    closest = _strongest(found, ids)
    if closest is None:
        return Detection(
            "pass", (Evidence("", "", 0.0, 0.0, "", f"no {what} in {view.description}"),)
        )
    ub, f = closest
    reason = f"no {what} in {view.description}; the likeliest was p={f.probability:.2f}"
    return Detection("pass", (evidence_of(ub.utterance, reason),))


def _from_the_end(
    view: View,
    found: list[UtteranceBehaviours],
    ids: list[str],
    settled_by: list[str],
    strict: Threshold,
    threshold: Threshold,
) -> Detection:
    """The last utterance with a tone decides: upset fails, settled passes, toneless looks back.

    Failing takes the strict thresholds, as every absence check does; settling the
    ordinary ones.
    """
    for ub in reversed(found):
        upset = _shows(ub, ids, strict)
        settled = _shows(ub, settled_by, threshold)
        if upset is not None and (settled is None or upset.probability >= settled.probability):
            reason = _said(upset, ub.utterance.text, strict(upset.behaviour))
            return Detection("fail", (evidence_of(ub.utterance, f"ends {reason}"),))
        if settled is not None:
            reason = _said(settled, ub.utterance.text, threshold(settled.behaviour))
            return Detection("pass", (evidence_of(ub.utterance, f"ends {reason}"),))
    what = " or ".join(_named(b) for b in ids)
    if not found:
        return Detection("pass", (searched(view, f"no {what}"),))
    last = found[-1].utterance
    return Detection("pass", (evidence_of(last, f"no {what} in {view.description}"),))


def _steps(
    view: View,
    found: list[UtteranceBehaviours],
    steps: list[BehaviourStep],
    threshold: Threshold,
) -> Detection:
    evidence: list[Evidence] = []
    start = 0
    for step in steps:
        hit_at = next(
            (
                (i, f)
                for i in range(start, len(found))
                if (f := _shows(found[i], step.any, threshold)) is not None
            ),
            None,
        )
        if hit_at is None:
            what = " or ".join(_named(b) for b in step.any)
            gap = f"step {step.id} ({what}) missing"
            if evidence:
                gap += " after the steps found"
            return Detection("fail", (*evidence, searched(view, gap)))
        i, f = hit_at
        utt = found[i].utterance
        reason = f"step {step.id}: " + _said(f, utt.text, threshold(f.behaviour))
        evidence.append(evidence_of(utt, reason))
        start = i  # the next step may share this utterance
    return Detection("pass", tuple(evidence))
