"""``outcome.v1``: the call's estimated outcome (resolved, satisfaction) at least a value.

The estimate (:mod:`qa_toolkit.nlp.outcome`) reads how the customer ended and
what the agent did, without labels; this detector turns it into an item, so a
rubric's resolution section can judge "resolved" from the customer's side. The
evidence gives the estimate and the signals that moved it most, each with its
utterance.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from qa_toolkit.nlp.behaviour import load_behaviour_model
from qa_toolkit.nlp.outcome import estimate_outcome
from qa_toolkit.rubric.schema import Strict
from qa_toolkit.scoring_types import Evidence

from .base import Detection, View, register


class OutcomeOptions(Strict):
    """Options of ``outcome.v1``."""

    measure: Literal["resolved", "satisfaction"] = "resolved"
    min: float = Field(ge=-2, le=2)


@register(
    "outcome", 1, OutcomeOptions, "the estimated outcome (resolved, satisfaction) at least a value"
)
def detect_outcome(view: View, options: OutcomeOptions) -> Detection:
    """Pass when the estimate reaches ``min`` (a probability, or −2..2 for satisfaction)."""
    outcome = estimate_outcome(view.transcript, load_behaviour_model(), view.features)
    value = outcome.resolved if options.measure == "resolved" else outcome.satisfaction
    passed = value >= options.min
    shown = f"{value:.0%}" if options.measure == "resolved" else f"{value:+.1f} (−2..2)"
    bound = f"{options.min:.0%}" if options.measure == "resolved" else f"{options.min:+.1f}"
    reason = f"estimated {options.measure} {shown} {'≥' if passed else '<'} {bound}"
    summary = Evidence("", "", 0.0, 0.0, "", reason)
    return Detection("pass" if passed else "fail", (summary, *outcome.evidence))
