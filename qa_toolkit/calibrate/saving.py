"""Write a calibration: the calibrated rubric, the call models and the agreement report."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from qa_toolkit.calibrate.calibration import Calibration
from qa_toolkit.calibrate.call_model import save_call_model
from qa_toolkit.calibrate.rubric_out import write_calibrated
from qa_toolkit.errors import CalibrationError
from qa_toolkit.models.classifier import save_classifier

logger = logging.getLogger(__name__)


def save_calibration(
    calibration: Calibration,
    out_dir: str | Path,
    name: str,
    *,
    model_item: str | None = None,
) -> tuple[Path, ...]:
    """Write the calibrated rubric, the call models and the agreement report.

    Files: ``<name>.rubric.yaml``, ``<name>.<rating>.json`` per call model,
    ``<name>.<rating>.classifier.json`` per ``classifier.v1`` model and
    ``<name>.agreement.json``, all in ``out_dir``.

    Args:
        calibration: from :func:`calibrate`.
        out_dir: the folder (created).
        name: the files' stem; also the calibrated rubric's version suffix.
        model_item: a rating whose call model becomes an item of the
            calibrated rubric (weight 0: shown with evidence, not scored).

    Returns:
        The paths written.
    """
    out = Path(out_dir)
    fitted = calibration.fitted
    written = [save_call_model(m, out / f"{name}.{t}.json") for t, m in fitted.models.items()]
    written += [
        save_classifier(c, out / f"{name}.{t}.classifier.json")
        for t, c in fitted.classifiers.items()
    ]
    item = None
    if model_item is not None:
        if model_item not in fitted.models:
            raise CalibrationError(f"no call model was fitted for {model_item!r}")
        item = (
            f"predicted_{model_item}",
            str((out / f"{name}.{model_item}.json").resolve()),
            f"Predicted {model_item}",
        )
    rubric = calibration.rubric
    changes = fitted.changes(version=f"{rubric.version}-calibrated-{name}", model_item=item)
    source = _relative(calibration.rubric_path, out)
    header = (
        f"Calibrated from {source} on {calibration.report.calls} labelled calls "
        f"({calibration.labels_origin}) by qa calibrate.\nSee {name}.agreement.json for the "
        "cross-validated agreement behind it."
    )
    written.append(
        write_calibrated(calibration.rubric_path, changes, out / f"{name}.rubric.yaml", header)
    )
    report = {**calibration.report.to_dict(), "calibration": fitted.to_dict()}
    report["rubric"] = {
        "source": source,
        "id": rubric.id,
        "version": rubric.version,
    }
    path = out / f"{name}.agreement.json"
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", "utf-8")
    written.append(path)
    logger.info("calibration %r written to %s (%d files)", name, out, len(written))
    return tuple(written)


def _relative(path: Path, out: Path) -> str:
    """``path`` as seen from ``out`` (files written there stay valid when the folder moves)."""
    try:
        return Path(os.path.relpath(path.resolve(), out.resolve())).as_posix()
    except ValueError:  # another drive on Windows
        return str(path)
