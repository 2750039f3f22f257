"""Rubrics: the YAML schema, the loader with line-numbered errors, and the detectors.

``load_rubric`` and ``parse_rubric`` load the loader (and with it the detectors)
on first use, so a module that needs only the schema (``rubric.schema``: the
model files, the detectors themselves) does not pull the detectors in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qa_toolkit.lazy import lazy_names
from qa_toolkit.rubric.schema import Event, Item, Rubric, Section, local_text

if TYPE_CHECKING:
    from qa_toolkit.rubric.loader import load_rubric, parse_rubric

__all__ = ["Event", "Item", "Rubric", "Section", "load_rubric", "local_text", "parse_rubric"]

__getattr__ = lazy_names(
    __name__,
    {"load_rubric": "qa_toolkit.rubric.loader", "parse_rubric": "qa_toolkit.rubric.loader"},
)
