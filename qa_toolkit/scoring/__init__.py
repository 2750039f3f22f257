"""Scoring: a call against a rubric, item by item, with evidence.

- :mod:`~qa_toolkit.scoring.engine`: :func:`score_call` and the evaluation API
  (:class:`~qa_toolkit.scoring.engine.Evaluation`) that calibration reuses;
- :mod:`~qa_toolkit.scoring.types`: the score records (``CallScore``,
  ``ItemResult``, ``Evidence``, ``Flag``, ``Outcome``, ``Predicted``);
- :mod:`~qa_toolkit.scoring.features`: the call features the detectors read.

The rubric format and its detectors live in :mod:`qa_toolkit.rubric`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qa_toolkit.lazy import lazy_names

if TYPE_CHECKING:
    from qa_toolkit.scoring.engine import score_call

__all__ = ["score_call"]

__getattr__ = lazy_names(
    __name__,
    {
        "score_call": "qa_toolkit.scoring.engine",
    },
)
