"""Load a rubric YAML file, reporting every problem at once with its line and column.

:mod:`~qa_toolkit.rubric.problems` composes the YAML with positions and collects
the problems; :mod:`~qa_toolkit.rubric.builder` validates the pieces into a
:class:`~qa_toolkit.rubric.schema.Rubric`.
"""

from __future__ import annotations

import logging
from pathlib import Path

from qa_toolkit.errors import RubricError, RubricProblem
from qa_toolkit.rubric.builder import build_rubric
from qa_toolkit.rubric.problems import Problems, compose
from qa_toolkit.rubric.schema import Rubric

logger = logging.getLogger(__name__)


def parse_rubric(text: str, origin: str = "<string>", base_dir: str | Path | None = None) -> Rubric:
    """Parse and validate rubric YAML text.

    Args:
        text: the YAML.
        origin: the name used in error messages (usually the file path).
        base_dir: where files the rubric names (classifier models) are looked
            up; the current directory when not given.

    Returns:
        The validated :class:`~qa_toolkit.rubric.schema.Rubric`.

    Raises:
        RubricError: listing every problem found, each with line and column.
    """
    data, marks = compose(text, origin)
    problems = Problems(origin, data, marks, Path(base_dir) if base_dir is not None else None)
    rubric = build_rubric(data, problems)
    problems.raise_if_any()
    assert rubric is not None  # build_rubric returns None only with problems
    return rubric


def load_rubric(path: str | Path) -> Rubric:
    """Load and validate a rubric YAML file.

    Args:
        path: the rubric file.

    Returns:
        The validated :class:`~qa_toolkit.rubric.schema.Rubric`.

    Raises:
        RubricError: when the file cannot be read or is invalid; every problem
            is listed as ``file:line:col: path: message``.

    Example:
        >>> rubric = load_rubric("rubrics/default.yaml")
        >>> [s.id for s in rubric.sections]
        ['script', 'empathy', 'resolution', 'outcome']
    """
    origin = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise RubricError(
            [RubricProblem(origin, 1, 1, "", f"cannot read the rubric: {why}")]
        ) from None
    rubric = parse_rubric(text, origin, Path(path).parent)
    logger.debug("loaded rubric %s v%s from %s", rubric.id, rubric.version, origin)
    return rubric
