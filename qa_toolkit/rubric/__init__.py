"""Rubrics: the YAML schema, the loader with line-numbered errors, and the detectors."""

from qa_toolkit.rubric.loader import load_rubric, parse_rubric
from qa_toolkit.rubric.schema import Event, Item, Rubric, Section, local_text

__all__ = ["Event", "Item", "Rubric", "Section", "load_rubric", "local_text", "parse_rubric"]
