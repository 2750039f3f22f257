"""``metric.v1``: a call feature (dead air, talk share, overtalk…) within bounds.

Features describe the whole call, so ``speaker`` and ``window`` do not apply.
Timing features are n.a. on a transcript without timing.
"""

from __future__ import annotations

from pydantic import field_validator, model_validator

from qa_toolkit.errors import did_you_mean
from qa_toolkit.rubric.schema import Strict
from qa_toolkit.scoring.features import FEATURE_NAMES, TIMING_FEATURES, locate_feature
from qa_toolkit.scoring.types import Evidence, Status

from .base import Detection, View, register


def known_feature(value: str) -> str:
    """A feature name a rubric may use; otherwise an error with "did you mean"."""
    if value not in FEATURE_NAMES:
        raise ValueError(f"unknown feature {value!r}{did_you_mean(value, FEATURE_NAMES)}")
    return value


class MetricOptions(Strict):
    """Options of ``metric.v1``: a feature name and ``min`` and/or ``max``."""

    feature: str
    min: float | None = None
    max: float | None = None

    @field_validator("feature")
    @classmethod
    def _known(cls, value: str) -> str:
        return known_feature(value)

    @model_validator(mode="after")
    def _some_bound(self) -> MetricOptions:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        return self

    def describe(self) -> str:
        """The bounds in words ("at most 10")."""
        if self.min is not None and self.max is not None:
            return f"between {self.min:g} and {self.max:g}"
        return f"at least {self.min:g}" if self.min is not None else f"at most {self.max:g}"


@register("metric", 1, MetricOptions, "a call feature (silence, talk share, overtalk…) in bounds")
def detect_metric(view: View, options: MetricOptions) -> Detection:
    """Pass when the feature is within bounds; evidence says where its value comes from."""
    name = options.feature
    value = view.features.get(name)
    end_s = view.features.get("duration_s", 0.0)
    if value is None:
        why = (
            "the transcript has no measured timing (text transcripts have none)"
            if name in TIMING_FEATURES
            else "it was not computed"
        )
        return Detection("na", (Evidence("", "", 0.0, 0.0, "", f"{name} unknown: {why}"),))
    low_ok = options.min is None or value >= options.min
    high_ok = options.max is None or value <= options.max
    status: Status = "pass" if low_ok and high_ok else "fail"
    verdict = "within" if status == "pass" else "outside"
    summary = Evidence(
        "", "", 0.0, end_s, "", f"{name} = {value:.3g}, {verdict} {options.describe()}"
    )
    return Detection(status, (summary, *locate_feature(name, view.transcript)))
