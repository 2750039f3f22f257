"""The command line's one error boundary: how a toolkit error reaches the user.

Every command runs its work inside :func:`cli_errors`. A toolkit error becomes
one line, ``error: <what went wrong>; <the fix>``, on stderr, and the process
exits with the error's code (1 for a failure, 2 for a usage error); a rubric
error lists every problem, one ``file:line:col: path: message`` per line. With
``qa --debug`` the error is raised instead, so the traceback shows. Per-call
failures inside a loop that goes on (a batch, a folder of transcripts) are
reported with :func:`report_error` in the same shape.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

import click

from qa_toolkit.errors import QAToolkitError, RubricError


class ToolkitFailure(click.ClickException):
    """A toolkit error as click shows an error: ``error: …`` and the toolkit's exit code."""

    def __init__(self, error: QAToolkitError) -> None:
        super().__init__(str(error))
        self.error = error
        # click declares exit_code on the class; ours varies with the error.
        self.exit_code = error.exit_code  # type: ignore[misc]

    def show(self, file: IO[Any] | None = None) -> None:
        """``error: …``; a rubric's problems one per line as ``file:line:col: path: message``."""
        if isinstance(self.error, RubricError):
            for problem in self.error.problems:
                click.echo(str(problem), err=True, file=file)
        else:
            click.echo(f"error: {self.format_message()}", err=True, file=file)


def root_flag(name: str) -> bool:
    """``--quiet`` / ``--debug`` of the ``qa`` group, when a command runs under it."""
    ctx = click.get_current_context(silent=True)
    return bool(ctx is not None and getattr(ctx.find_root().obj, name, False))


@contextmanager
def cli_errors() -> Iterator[None]:
    """Run a command's work; a toolkit error ends it as one clear message (see the module)."""
    try:
        yield
    except QAToolkitError as error:
        if root_flag("debug"):
            raise
        raise ToolkitFailure(error) from error


def report_error(error: QAToolkitError | str) -> None:
    """Report one failure the command goes on after, in the boundary's shape."""
    click.echo(f"error: {error}", err=True)
