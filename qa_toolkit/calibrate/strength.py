"""The continuous strength behind a detector's pass/fail, for threshold tuning.

A tunable item passes when its strength reaches a threshold, so a reviewer's
labels can move the threshold without re-running the detector per candidate:

- ``phrase`` (one ``any`` / ``all`` / ``n_of`` / ``none`` condition, fuzzy):
  the fuzzy-match similarity of the best phrase (the weakest needed phrase for
  ``all``, the n-th best for ``n_of``, minus the best for ``none``); option
  ``threshold`` in 0.5–1;
- ``semantic``: the best clause-to-example cosine similarity; ``threshold``;
- ``metric`` with one bound: the feature (``min``) or minus it (``max``);
- ``sentiment`` ``no_negative_end``: the customer's closing mood; ``negative_below``;
- ``behaviour`` with ``any`` or ``none`` (and no ``unless``, ``pattern`` or
  ``or_feature``): the highest probability of the named behaviours in scope
  (minus it for ``none``); option ``threshold``.

Strengths are computed on the item's own scope (speaker, window, anchor), the
same view the detector sees during scoring.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from qa_toolkit.nlp.sentiment import polarity
from qa_toolkit.nlp.text import clauses, find_phrase, normalize
from qa_toolkit.rubric.detectors import View
from qa_toolkit.rubric.detectors.behaviour import BehaviourOptions
from qa_toolkit.rubric.detectors.metric import MetricOptions
from qa_toolkit.rubric.detectors.phrase import PhraseOptions
from qa_toolkit.rubric.detectors.semantic import SemanticOptions
from qa_toolkit.rubric.detectors.sentiment import SentimentOptions
from qa_toolkit.rubric.schema import Item, Rubric, flatten_phrases
from qa_toolkit.scoring.features import compute_features
from qa_toolkit.types import Transcript

logger = logging.getLogger(__name__)

# phrase.v1 accepts thresholds from 0.5; nothing weaker than that is a match.
PHRASE_FLOOR = 0.5
# A `none` threshold of exactly 1.0 would also forbid exact hits the strength
# cannot tell apart from it; stop just short.
_NEARLY_ONE = 1.0 - 1e-6


@dataclass(frozen=True, slots=True)
class Knob:
    """A tunable item: which option holds its threshold, and the strength's direction.

    The item passes when ``strength >= sign * threshold``: ``sign`` is -1 where
    a higher raw value means fail (a forbidden phrase, a ``max`` bound).

    Attributes:
        item_id: the rubric item.
        detector: its versioned detector name.
        option: the option to rewrite (``threshold``, ``max``, ``min``, ``negative_below``).
        current: the option's value in the rubric.
        low: the lowest strength threshold allowed.
        high: the highest strength threshold allowed.
        sign: +1 or -1 (see above).
    """

    item_id: str
    detector: str
    option: str
    current: float
    low: float | None
    high: float | None
    sign: float = 1.0

    @property
    def prior(self) -> float:
        """The current option value on the strength's scale."""
        return self.sign * self.current

    def option_value(self, threshold: float) -> float:
        """The option value for a threshold on the strength's scale."""
        return self.sign * threshold


def tunable_knobs(rubric: Rubric) -> tuple[Knob, ...]:
    """The items of a rubric whose threshold can be tuned, one knob each.

    Items with fuzzy matching switched off, several phrase conditions, or a
    two-sided metric bound are left as written.
    """
    knobs = []
    for item in rubric.items:
        knob = _knob(item)
        if knob is not None:
            knobs.append(knob)
    return tuple(knobs)


def _knob(item: Item) -> Knob | None:
    options = item.options
    if isinstance(options, PhraseOptions):
        conditions = [c for c in ("any", "all", "n_of", "none") if getattr(options, c) is not None]
        if not options.fuzzy or len(conditions) != 1:
            return None
        if conditions[0] == "none":
            return Knob(
                item.id, item.detector, "threshold", options.threshold, -_NEARLY_ONE, -0.5, -1
            )
        return Knob(item.id, item.detector, "threshold", options.threshold, PHRASE_FLOOR, 1.0)
    if isinstance(options, SemanticOptions):
        return Knob(item.id, item.detector, "threshold", options.threshold, 1e-3, 1.0)
    if isinstance(options, MetricOptions) and (options.min is None) != (options.max is None):
        if options.max is not None:
            return Knob(item.id, item.detector, "max", options.max, None, None, -1)
        assert options.min is not None
        return Knob(item.id, item.detector, "min", options.min, None, None)
    if isinstance(options, SentimentOptions) and options.mode == "no_negative_end":
        return Knob(item.id, item.detector, "negative_below", options.negative_below, -1.0, 1.0)
    if isinstance(options, BehaviourOptions):
        return _behaviour_knob(item, options)
    return None


def _behaviour_knob(item: Item, options: BehaviourOptions) -> Knob | None:
    extras = (options.steps, options.unless, options.pattern, options.or_feature)
    if any(extra is not None for extra in extras):
        return None
    named = options.any or options.none or []
    current = options.threshold
    if current is None:
        from qa_toolkit.nlp.behaviour import load_behaviour_model

        model = load_behaviour_model(options.model)
        pick = model.strict_threshold if options.none is not None else model.threshold
        current = float(np.mean([pick(b) for b in named]))
    if options.none is not None:
        return Knob(item.id, item.detector, "threshold", current, -0.99, -0.01, -1)
    return Knob(item.id, item.detector, "threshold", current, 0.01, 0.99)


def item_strengths(
    transcript: Transcript,
    rubric: Rubric,
    knobs: tuple[Knob, ...],
    features: Mapping[str, float] | None = None,
) -> dict[str, float | None]:
    """Each tunable item's strength on one call; ``None`` where the item is n.a.

    Args:
        transcript: the call.
        rubric: the rubric the knobs come from.
        knobs: from :func:`tunable_knobs`.
        features: extra call features, as given to ``score_call``.

    Returns:
        Item id → strength (``None`` when the item does not apply to the call).
    """
    from qa_toolkit.scoring.engine import Evaluation

    feats = compute_features(transcript)
    feats.update(features or {})
    # The scorer's own evaluation decides events, anchors and applies_if exactly as scoring
    # does, and gives each item's scope.
    evaluation = Evaluation(transcript, rubric, feats).run()
    items = {item.id: item for item in rubric.items}
    strengths: dict[str, float | None] = {}
    for knob in knobs:
        item = items[knob.item_id]
        view = evaluation.view(item)
        if evaluation.items[item.id].status == "na" or view is None:
            strengths[item.id] = None
            continue
        strengths[item.id] = _strength(view, item, knob)
    return strengths


def _strength(view: View, item: Item, knob: Knob) -> float | None:
    options = item.options
    if isinstance(options, PhraseOptions):
        return _phrase_strength(view, options)
    if isinstance(options, SemanticOptions):
        return _semantic_strength(view, options)
    if isinstance(options, MetricOptions):
        value = view.features.get(options.feature)
        return None if value is None else knob.sign * value
    if isinstance(options, BehaviourOptions):
        return _behaviour_strength(view, options)
    if isinstance(options, SentimentOptions):
        utts = view.utterances
        if view.speaker == "any":
            utts = tuple(u for u in utts if u.speaker == "customer")
        end = utts[-options.turns :]
        return sum(polarity(u.text) for u in end) / len(end) if end else None
    return None


def _phrase_strength(view: View, options: PhraseOptions) -> float:
    texts = [normalize(u.text) for u in view.utterances]

    def best(phrase: str) -> float:
        target = normalize(phrase)
        found = [find_phrase(target, text, threshold=PHRASE_FLOOR) for text in texts]
        return max((m.score for m in found if m is not None), default=0.0)

    if options.any is not None:
        return max(best(p) for p in flatten_phrases(options.any))
    if options.all is not None:
        return min(best(p) for p in flatten_phrases(options.all))
    if options.n_of is not None:
        sims = sorted((best(p) for p in flatten_phrases(options.n_of.phrases)), reverse=True)
        return sims[options.n_of.n - 1]
    assert options.none is not None  # _knob admits one condition
    return -max(best(p) for p in flatten_phrases(options.none))


def _behaviour_strength(view: View, options: BehaviourOptions) -> float:
    from qa_toolkit.nlp.behaviour import load_behaviour_model

    model = load_behaviour_model(options.model)
    wanted = {u.id for u in view.utterances}
    named = options.any or options.none or []
    best = max(
        (
            found.probability(b)
            for found in model.classify(view.transcript)
            if found.utterance.id in wanted
            for b in named
        ),
        default=0.0,
    )
    return best if options.any is not None else -best


def _semantic_strength(view: View, options: SemanticOptions) -> float:
    from qa_toolkit.nlp.embeddings import get_encoder

    if not view.utterances:
        return -1.0
    encoder = get_encoder(options.model)
    targets = encoder.encode(list(flatten_phrases(options.examples)))
    pieces = [c for u in view.utterances for c in clauses(u.text)]
    return float(np.max(encoder.encode(pieces) @ targets.T))
