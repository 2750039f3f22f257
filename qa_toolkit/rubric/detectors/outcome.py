"""``outcome.v1``: the call's estimated outcome (resolved, satisfaction) at least a value.

The estimate (:mod:`qa_toolkit.nlp.outcome`) reads how the customer ended and
what the agent did, without labels; this detector turns it into an item, so a
rubric's resolution section can judge "resolved" from the customer's side. The
evidence gives the estimate and the signals that moved it most, each with its
utterance.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from qa_toolkit.nlp.behaviour import load_behaviour_model
from qa_toolkit.nlp.outcome import estimate_outcome
from qa_toolkit.rubric.schema import Strict
from qa_toolkit.scoring.types import Evidence

from .base import Detection, View, register


class OutcomeOptions(Strict):
    """Options of ``outcome.v1``: the measure, its pass mark, and whether points are graded."""

    measure: Literal["resolved", "satisfaction"] = "resolved"
    min: float = Field(ge=-2, le=2)
    graded: bool = False
    full: float | None = Field(default=None, ge=-2, le=2)

    @model_validator(mode="after")
    def _full_above_bottom(self) -> OutcomeOptions:
        bottom = 0.0 if self.measure == "resolved" else -2.0
        if self.full is not None and (not self.graded or self.full <= bottom):
            raise ValueError(
                f"full needs graded: true and a value above the scale's bottom ({bottom:g})"
            )
        return self


@register(
    "outcome", 1, OutcomeOptions, "the estimated outcome (resolved, satisfaction) at least a value"
)
def detect_outcome(view: View, options: OutcomeOptions) -> Detection:
    """Pass when the estimate reaches ``min`` (a probability, or −2..2 for satisfaction).

    Graded, the item earns the estimate's share of its scale, from the bottom
    (resolved 0, satisfaction −2) to ``full`` (the scale's top unless given):
    resolved 70 % with ``full: 0.8`` earns 7/8 of the points, whatever the
    verdict, so a score moves with how the call ended, not only across the pass
    mark.
    """
    outcome = estimate_outcome(view.transcript, load_behaviour_model(), view.features)
    resolved = options.measure == "resolved"
    value = outcome.resolved if resolved else outcome.satisfaction
    passed = value >= options.min
    shown = f"{value:.0%}" if resolved else f"{value:+.1f} (−2..2)"
    bound = f"{options.min:.0%}" if resolved else f"{options.min:+.1f}"
    reason = f"estimated {options.measure} {shown} {'≥' if passed else '<'} {bound}"
    credit = None
    if options.graded:
        bottom, top = (0.0, 1.0) if resolved else (-2.0, 2.0)
        full = top if options.full is None else options.full
        credit = min(1.0, (value - bottom) / (full - bottom))
        reason += f"; graded: {credit:.0%} of the points"
    summary = Evidence("", "", 0.0, 0.0, "", reason)
    return Detection(
        "pass" if passed else "fail", (summary, *outcome.evidence), value=value, credit=credit
    )
