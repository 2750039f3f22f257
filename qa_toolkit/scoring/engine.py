"""Score a call against a rubric: detectors → items with evidence → sections → call.

Items that do not apply (``applies_if`` unmet, or their ``after`` anchor never
happened) are n.a. and left out of both the points and the maximum. A section
scores the percentage of its applicable points; the call is the weighted mean
of the sections that have any applicable item, 0–100. A graded item (its
detector gives a credit, as ``outcome.v1`` with ``graded: true`` does) earns
that share of its points. A failed critical item fails the call: its score
becomes 0 and it is flagged. Besides ``below_threshold`` and
``critical_failed``, a call is flagged ``likely_dissatisfied`` when the outcome
estimate falls below the rubric's ``flag_dissatisfied_below``, and
``low_predicted_rating`` when a calibrated call model's item fails; these two
carry a strength (how sure) for the review queue.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from qa_toolkit.rubric.detectors import Detection, View, resolve_detector
from qa_toolkit.rubric.schema import Event, Item, Rubric, local_text
from qa_toolkit.rubric.scope import select
from qa_toolkit.scoring.features import compute_features, has_timing
from qa_toolkit.scoring.totals import totals, verdict_flags
from qa_toolkit.scoring.types import (
    DISSATISFIED_KIND,
    LOW_PREDICTION_KIND,
    CallScore,
    Evidence,
    Flag,
    ItemResult,
    Outcome,
    Predicted,
    SectionScore,
)
from qa_toolkit.types import Transcript, Utterance

logger = logging.getLogger(__name__)


def score_call(
    transcript: Transcript, rubric: Rubric, features: Mapping[str, float] | None = None
) -> CallScore:
    """Score one call against a rubric.

    Args:
        transcript: the call, from audio or text.
        rubric: a rubric from :func:`qa_toolkit.rubric.load_rubric`.
        features: call features computed elsewhere (the analytics stage); they
            override the simple ones computed here from utterance timing.

    Returns:
        The call's score with every item's status, points and evidence.

    Example:
        >>> score = score_call(transcript, load_rubric("rubrics/default.yaml"))
        >>> score.to_dict()["score"]
        87.5
    """
    feats = compute_features(transcript)
    feats.update(features or {})
    run = Evaluation(transcript, rubric, feats).run()
    items = tuple(run.items[item.id] for item in rubric.items)
    frames = ((s.id, local_text(s.title, run.language, s.id), s.weight) for s in rubric.sections)
    total = totals(frames, items)
    outcome = _outcome(transcript, feats)
    flags = (
        *_flags(transcript, rubric, items, total.sections, total.score),
        *_estimate_flags(rubric, run.detections, outcome),
    )
    return CallScore(
        call_id=transcript.call_id,
        rubric_id=rubric.id,
        rubric_version=rubric.version,
        score=total.score,
        raw_score=total.raw_score,
        band=rubric.band_for(total.score),
        auto_failed=total.auto_failed,
        items=items,
        sections=total.sections,
        features=tuple(sorted(feats.items())),
        flags=flags,
        outcome=outcome,
        predicted=_predicted(rubric, run.detections),
        flag_below=rubric.flag_below,
    )


def _outcome(transcript: Transcript, features: Mapping[str, float]) -> Outcome | None:
    """The call's estimated outcome; ``None`` when the behaviour model cannot load here."""
    from qa_toolkit.nlp.behaviour import BehaviourModelError, load_behaviour_model
    from qa_toolkit.nlp.outcome import estimate_outcome

    try:
        model = load_behaviour_model()
    except BehaviourModelError as exc:
        logger.warning("no outcome estimate: %s", exc)
        return None
    return estimate_outcome(transcript, model, features)


class Evaluation:
    """One call evaluated against a rubric: every event's and item's detection, in order.

    :func:`score_call` builds one and turns it into a :class:`CallScore`; calibration and the
    benchmarks use it for what a score does not record: the events' verdicts, and the scope
    (:meth:`view`) each detector read, so a threshold can be tuned on exactly that scope.

    Example:
        >>> ev = Evaluation(transcript, rubric, {}).run()
        >>> ev.events["complaint"].status, ev.items["apology"].status
        ('pass', 'fail')
    """

    def __init__(
        self, transcript: Transcript, rubric: Rubric, features: Mapping[str, float]
    ) -> None:
        self.rubric = rubric
        self.transcript = transcript
        self.features = dict(features)
        self.language = transcript.language or (rubric.languages[0] if rubric.languages else "en")
        self.events: dict[str, Detection] = {}
        self.items: dict[str, ItemResult] = {}
        self.detections: dict[str, Detection] = {}
        self._event_specs = {e.id: e for e in rubric.events}
        self._item_specs = {i.id: i for i in rubric.items}
        self._by_id = {u.id: u for u in transcript.utterances}
        self._topics: dict[str, Detection] = {}

    def run(self) -> Evaluation:
        """Evaluate every event and item of the rubric, in dependency order."""
        for node_id in self.rubric.order:
            self.evaluate(node_id)
        return self

    def evaluate(self, node_id: str) -> None:
        """Evaluate one event or item (those it refers to must be evaluated first)."""
        if node_id in self._event_specs:
            event = self._event_specs[node_id]
            self.events[node_id] = self._detect(event) or _anchor_missing(event.window.after)
        elif node_id in self._item_specs:
            self.items[node_id] = self._score_item(self._item_specs[node_id])

    def _score_item(self, item: Item) -> ItemResult:
        detection = self._not_applicable(item) or self._detect(item)
        detection = detection or _anchor_missing(item.window.after)
        self.detections[item.id] = detection
        if detection.credit is not None and detection.status != "na":
            # Tenths of a point: enough for a ranking, and readable on a scorecard.
            points = round(item.points * min(1.0, max(0.0, detection.credit)), 1)
        else:
            points = item.points if detection.status == "pass" else 0.0
        return ItemResult(
            item_id=item.id,
            section_id=item.section_id,
            title=local_text(item.title, self.language, item.id),
            detector=item.detector,
            status=detection.status,
            points=points,
            max_points=item.points,
            critical=item.critical,
            evidence=detection.evidence,
            category=item.category,
            hint=local_text(item.hint, self.language),
            value=detection.value,
        )

    def _not_applicable(self, item: Item) -> Detection | None:
        cond = item.applies_if
        if cond is None:
            return None
        if cond.event is not None:
            found = self.events[cond.event]
            if found.status == "pass":
                return None
            why = f"applies only when {cond.event!r} happens, and it did not"
            return Detection("na", (Evidence("", "", 0.0, 0.0, "", why), *found.evidence[:1]))
        if cond.topic is not None:
            return self._off_topic(cond.topic)
        assert cond.item is not None  # the schema requires event, item or topic
        other = self.items[cond.item]
        if other.status == cond.status:
            return None
        why = f"applies only when {cond.item!r} is {cond.status}; it was {other.status}"
        return Detection("na", (Evidence("", "", 0.0, 0.0, "", why),))

    def _off_topic(self, topic: str) -> Detection | None:
        """None when the call's contact reason is ``topic`` (``topic.v1`` on the rubric's
        taxonomy), else an n.a. verdict quoting what the customer came about."""
        if topic not in self._topics:
            info = resolve_detector("topic")
            options = info.options.model_validate({"taxonomy": self.rubric.taxonomy,
                                                   "topic": topic})  # fmt: skip
            whole = View(self.transcript, self.transcript.utterances, "the customer's opening",
                         self.features, "customer")  # fmt: skip
            self._topics[topic] = info.detect(whole, options)
        found = self._topics[topic]
        if found.status == "pass":
            return None
        why = f"applies only when the contact reason is {topic!r}"
        return Detection("na", (Evidence("", "", 0.0, 0.0, "", why), *found.evidence[:1]))

    def view(self, node: Item | Event) -> View | None:
        """What a node's detector reads: its scope and the verdicts so far.

        ``None`` when the node looks only after an event or item that did not happen.
        """
        anchor = None
        if node.window.after is not None:
            anchor = self.anchor(node.window.after)
            if anchor is None:
                return None
        utts, description = select(self.transcript, node.speaker, node.window, anchor)
        results = {key: found.status for key, found in self.events.items()}
        results.update((key, found.status) for key, found in self.items.items())
        return View(self.transcript, utts, description, self.features, node.speaker, results)

    def _detect(self, node: Item | Event) -> Detection | None:
        """Run a node's detector on its scope; ``None`` when its anchor did not happen."""
        view = self.view(node)
        return None if view is None else resolve_detector(node.detector).detect(view, node.options)

    def anchor(self, target: str) -> Utterance | None:
        """The first utterance that proves an event happened or an item passed."""
        found = self.events.get(target) or self.items.get(target)
        if found is None or found.status != "pass":
            return None
        return next(
            (self._by_id[e.utterance_id] for e in found.evidence if e.utterance_id in self._by_id),
            None,
        )


def _anchor_missing(target: str | None) -> Detection:
    why = f"looks only after {target!r}, which did not happen"
    return Detection("na", (Evidence("", "", 0.0, 0.0, "", why),))


def _flags(
    transcript: Transcript,
    rubric: Rubric,
    items: tuple[ItemResult, ...],
    sections: tuple[SectionScore, ...],
    score: float,
) -> tuple[Flag, ...]:
    flags = list(verdict_flags(items, sections, score, rubric.flag_below, has_timing(transcript)))
    speakers = {u.speaker for u in transcript.utterances if u.text.strip()}
    if not transcript.utterances:
        flags.append(Flag("empty_transcript", "the transcript has no utterances"))
    elif not {"agent", "customer"} <= speakers:
        heard = ", ".join(sorted(speakers)) or "nobody"
        flags.append(Flag("one_speaker", f"only {heard} heard; roles may be wrong"))
    return tuple(flags)


def _estimate_flags(
    rubric: Rubric, detections: Mapping[str, Detection], outcome: Outcome | None
) -> tuple[Flag, ...]:
    """Flags read from estimates: a likely dissatisfied customer, a low predicted rating.

    Each carries its strength (how sure), which the review queue ranks by.
    """
    flags = []
    cut = rubric.flag_dissatisfied_below
    if outcome is not None and cut is not None and outcome.satisfaction < cut:
        strength = (2.0 - outcome.satisfaction) / 4.0
        reason = (
            f"estimated satisfaction {outcome.satisfaction:+.1f} is below {cut:+g} (−2..2); "
            f"resolved {outcome.resolved:.0%}"
        )
        flags.append(Flag(DISSATISFIED_KIND, reason, strength))
    for item in rubric.items:
        found = detections.get(item.id)
        if item.detector.startswith("call_model.") and found and found.status == "fail":
            reason = found.evidence[0].reason if found.evidence else "low predicted rating"
            flags.append(Flag(LOW_PREDICTION_KIND, f"{item.id}: {reason}", found.confidence))
    return tuple(flags)


def _predicted(rubric: Rubric, detections: Mapping[str, Detection]) -> Predicted | None:
    """The first call-model item's prediction, with how likely the rating is low."""
    for item in rubric.items:
        found = detections.get(item.id)
        if not item.detector.startswith("call_model.") or found is None:
            continue
        if found.value is None or found.confidence is None:
            continue
        half = 0.5 * found.confidence
        return Predicted(item.id, found.value, 0.5 + half if found.status == "fail" else 0.5 - half)
    return None
