"""Errors the toolkit raises on purpose.

Each carries a message that says what went wrong, where, and how to fix it, and
the exit code the command line uses for it. Anything else that escapes is a bug.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass


class QAToolkitError(Exception):
    """Base of every error the toolkit raises on purpose."""

    exit_code = 1

    def __init__(self, message: str, *, fix: str = "") -> None:
        self.message = message
        self.fix = fix
        super().__init__(f"{message}; {fix}" if fix else message)


class AudioError(QAToolkitError):
    """An audio file is missing, empty, silent, corrupt or in a codec we cannot decode."""

    def __init__(self, path: object, problem: str, *, fix: str = "") -> None:
        self.path = str(path)
        super().__init__(f"{path}: {problem}", fix=fix)


class TranscriptFormatError(QAToolkitError):
    """A text or JSON transcript could not be read."""

    def __init__(self, origin: object, problem: str, *, fix: str = "") -> None:
        self.origin = str(origin)
        super().__init__(f"{origin}: {problem}", fix=fix)


class ModelNotFoundError(QAToolkitError):
    """A Whisper model could not be found locally or fetched."""


class EngineError(QAToolkitError):
    """An ASR engine is not installed or failed on its input."""


class UsageError(QAToolkitError):
    """Arguments that contradict each other or name something that does not exist."""

    exit_code = 2


@dataclass(frozen=True, slots=True)
class RubricProblem:
    """One problem in a rubric file, with where it is.

    Attributes:
        file: the rubric's path (or ``<string>``).
        line: 1-based line.
        column: 1-based column.
        path: the dotted path of the offending node (``sections[1].items[0].detector``).
        message: what is wrong, and the closest valid name when there is one.
    """

    file: str
    line: int
    column: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class RubricError(QAToolkitError):
    """A rubric file is malformed; every problem is listed, one per line."""

    def __init__(self, problems: list[RubricProblem] | tuple[RubricProblem, ...]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class StoreError(QAToolkitError):
    """The results store cannot be opened, read or written."""


class SchemaVersionError(StoreError):
    """A store was written with a schema this version cannot migrate (newer or unknown)."""


class MetadataError(QAToolkitError):
    """Call metadata (a sidecar file or a filename pattern) cannot be used."""


class LabelFileError(QAToolkitError):
    """A file of human QA labels is missing, malformed, or does not fit the rubric."""

    def __init__(
        self, origin: object, problems: list[str] | tuple[str, ...], *, fix: str = ""
    ) -> None:
        self.origin = str(origin)
        self.problems = tuple(problems)
        super().__init__(f"{origin}: " + "; ".join(self.problems), fix=fix)


class CalibrationError(QAToolkitError):
    """Calibration cannot run: too few labels, no labelled call found, nothing to fit."""


class CallModelFileError(QAToolkitError):
    """A calibrated call-model file is missing, not JSON, or not a valid model."""

    def __init__(self, path: object, problem: str) -> None:
        self.path = str(path)
        super().__init__(
            f"{path}: {problem}", fix="see qa-toolkit/call-model@1 in docs/calibration.md"
        )


class ReviewError(QAToolkitError):
    """A review action cannot be done: unknown call or item, stale rubric, bad transition."""


class UnknownCallError(ReviewError):
    """No scored call has this id in the store."""

    exit_code = 2


class UnknownItemError(ReviewError):
    """An item id that the call's rubric does not have."""

    exit_code = 2


class StaleRubricError(ReviewError):
    """The call was scored with another version of the rubric than the one given."""


class InvalidTransitionError(ReviewError):
    """A workflow step that is not allowed from the current state (or a locked appeal)."""


class ReviewConflictError(ReviewError):
    """Someone changed the call's review after it was read; the attempt is kept in the history.

    Attributes:
        expected_version: the version the caller had read.
        current_version: the version the store is at.
    """

    def __init__(self, message: str, *, expected_version: int, current_version: int) -> None:
        self.expected_version = expected_version
        self.current_version = current_version
        super().__init__(message, fix="reload the call, look at its history, and decide again")


def did_you_mean(word: str, candidates: Sequence[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest candidate, or ``""`` when none is close."""
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


# Python's JSON reader recurses once per level; a file of 100,000 "[" would crash it.
JSON_TOO_DEEP = "is nested too deeply to read (more than about 1,000 levels)"
