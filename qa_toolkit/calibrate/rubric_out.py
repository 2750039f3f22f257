"""Write a calibrated copy of a rubric: tuned thresholds, fitted points and weights.

The copy is the original YAML with only the calibrated values changed (a tuned
``threshold`` / ``max`` / ``min`` / ``negative_below``, each item's ``points``,
each section's ``weight``), a new ``version`` so stored scores say which
rubric produced them, model paths rewritten for the copy's folder, and,
optionally, one more section of weight 0 holding a ``call_model`` item: it
shows the calibrated prediction with its evidence on every call without
moving the score. Comments of the original are not carried over; the header
says where the copy came from.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from qa_toolkit.rubric import Rubric, parse_rubric

logger = logging.getLogger(__name__)

MODEL_SECTION = "calibrated"
WEIGHT_TOTAL = 100.0


@dataclass(frozen=True, slots=True)
class RubricChanges:
    """What calibration changes in a rubric.

    Attributes:
        thresholds: item id → (option name, new value).
        points: item id → new points.
        section_weights: section id → new weight (they sum to 100).
        model_item: (item id, model file path, title) of a ``call_model`` item to add.
        version: the copy's version.
    """

    thresholds: Mapping[str, tuple[str, float]] = field(default_factory=dict)
    points: Mapping[str, float] = field(default_factory=dict)
    section_weights: Mapping[str, float] = field(default_factory=dict)
    model_item: tuple[str, str, str] | None = None
    version: str = ""


def _load_data(source: Path) -> dict[str, Any]:
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{source}: not a rubric mapping")
    return data


def calibrated_data(source: Path, changes: RubricChanges, out_dir: Path) -> dict[str, Any]:
    """The original rubric's data with the changes applied, for a file in ``out_dir``.

    Args:
        source: the original rubric file.
        changes: what to change.
        out_dir: where the copy will live (model paths are made relative to it).

    Returns:
        The rubric as plain data, ready to dump as YAML.
    """
    data = _load_data(source)
    if changes.version:
        data["version"] = changes.version
    for section in data.get("sections") or []:
        if section.get("id") in changes.section_weights:
            section["weight"] = float(changes.section_weights[section["id"]])
        for item in section.get("items") or []:
            _change_item(item, changes, source.parent, out_dir)
    for event in (data.get("events") or {}).values():
        if isinstance(event, dict):
            _relocate_model(event, source.parent, out_dir)
    if changes.model_item is not None:
        if not any(s.get("weight") is not None for s in data.get("sections") or []):
            # Weights were implicit (each section's points); a weight-0 section needs them explicit.
            _explicit_weights(data)
        data.setdefault("sections", []).append(_model_section(changes.model_item, out_dir))
    return data


def _change_item(item: dict[str, Any], changes: RubricChanges, src: Path, out: Path) -> None:
    item_id = str(item.get("id"))
    if item_id in changes.thresholds:
        option, value = changes.thresholds[item_id]
        item[option] = float(value)  # already rounded, in the safe direction, by the fit
    if item_id in changes.points:
        item["points"] = round(float(changes.points[item_id]), 2)
    _relocate_model(item, src, out)


def _relocate_model(node: dict[str, Any], src: Path, out: Path) -> None:
    """Rewrite a relative ``model:`` path so it still names the same file from ``out``."""
    model = node.get("model")
    if isinstance(model, str) and not Path(model).expanduser().is_absolute():
        target = (src / model).resolve()
        node["model"] = Path(os.path.relpath(target, out.resolve())).as_posix()


def _explicit_weights(data: dict[str, Any]) -> None:
    sections = data.get("sections") or []
    points = [sum(float(i.get("points", 0)) for i in s.get("items") or []) for s in sections]
    total = sum(points) or 1.0
    for section, weight in zip(sections, rounded_weights(points, total), strict=True):
        section["weight"] = weight


def rounded_weights(values: list[float], total: float | None = None) -> list[float]:
    """Weights scaled to sum to exactly 100 after rounding to two decimals."""
    whole = total if total is not None else (sum(values) or 1.0)
    out = [round(float(WEIGHT_TOTAL * v / whole), 2) for v in values]
    if out:
        # Put the rounding remainder on the largest weight, where it matters least.
        largest = max(range(len(out)), key=lambda i: out[i])
        out[largest] = round(out[largest] + WEIGHT_TOTAL - sum(out), 2)
    return out


def _model_section(model_item: tuple[str, str, str], out_dir: Path) -> dict[str, Any]:
    item_id, model_path, title = model_item
    path = Path(model_path)
    relative = (
        os.path.relpath(path.resolve(), out_dir.resolve()) if path.is_absolute() else model_path
    )
    return {
        "id": MODEL_SECTION,
        "title": {"en": "Calibrated prediction", "zh": "校准模型预测"},
        "weight": 0,
        "items": [
            {
                "id": item_id,
                "title": title,
                "detector": "call_model",
                "model": Path(relative).as_posix(),
                "points": 0,
                "category": "",
            }
        ],
    }


class _NoAliases(yaml.SafeDumper):
    # Shared lists (YAML anchors in the original) are written out in full.
    def ignore_aliases(self, data: Any) -> bool:
        return True


def dump_rubric(data: Mapping[str, Any], header: str = "") -> str:
    """Rubric data as YAML text, with ``header`` as comment lines on top."""
    body = yaml.dump(
        dict(data),
        Dumper=_NoAliases,
        allow_unicode=True,
        sort_keys=False,
        width=100,
        default_flow_style=None,
    )
    comments = "".join(f"# {line}\n" for line in header.splitlines())
    return comments + body


def build_calibrated(source: Path, changes: RubricChanges) -> Rubric:
    """The calibrated rubric in memory, its files resolved from the original's folder.

    Raises:
        RubricError: when the changes make the rubric invalid (a bug: calibration
            only writes values each option accepts).
    """
    data = calibrated_data(source, changes, source.parent)
    return parse_rubric(dump_rubric(data), f"{source} (calibrated)", source.parent)


def write_calibrated(source: Path, changes: RubricChanges, path: Path, header: str = "") -> Path:
    """Write the calibrated rubric to ``path`` and check that it loads.

    Returns:
        The path written.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    text = dump_rubric(calibrated_data(source, changes, path.parent), header)
    parse_rubric(text, str(path), path.parent)
    path.write_text(text, encoding="utf-8")
    logger.debug("calibrated rubric written to %s", path)
    return path
