"""Model files a rubric names: found relative to the rubric, read with errors that name them.

Both model formats (:mod:`qa_toolkit.models.classifier`, and the calibrated call
model of :mod:`qa_toolkit.calibrate.call_model`) are JSON, never pickles.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationInfo

from qa_toolkit.errors import JSON_TOO_DEEP


def read_model_json(path: str | Path, error: Callable[[object, str], Exception]) -> Any:
    """A model file's JSON; ``error(path, problem)`` is raised when it is unreadable or not JSON."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise error(path, f"cannot read the model: {why}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        problem = f"not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        raise error(path, problem) from None
    except RecursionError:
        raise error(path, f"JSON {JSON_TOO_DEEP}") from None


def resolve_model_path(value: str, info: ValidationInfo) -> Path:
    """A model path as written in a rubric, relative to the rubric's folder."""
    path = Path(value).expanduser()
    base = (info.context or {}).get("rubric_dir")
    return path if path.is_absolute() or base is None else Path(base) / path
