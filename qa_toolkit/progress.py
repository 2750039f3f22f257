"""Progress of long work: the one callback shape the library reports through, and a bar.

Every long operation (transcription, diarization, encoding calls, calibration,
training the behaviour model) takes an optional :data:`Progress` callback,
``progress(step, done, total)``: what it is doing, and how far (seconds of audio,
calls, folds). The batch reports richer events (:class:`~qa_toolkit.batch.types.BatchProgress`:
stage, call, throughput) because its display needs them. :class:`ProgressDisplay`
turns the callbacks into a rich progress bar when stderr is a terminal and does
nothing otherwise, so logs and CI output stay clean.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import TracebackType
from typing import IO, Any

Progress = Callable[[str, float, float], None]
"""``progress(step, done, total)``: a step's name, and how much of it is done out of how much."""


class ProgressDisplay:
    """Calls done out of calls total, plus the current call's step and position.

    Args:
        enabled: False turns every method into a no-op.
        calls: how many calls the run will process.
        stream: where to draw (stderr by default); drawn only if it is a terminal,
            unless ``force`` is set (tests pass a StringIO and ``force=True``).
    """

    def __init__(
        self, *, enabled: bool, calls: int, stream: IO[str] | None = None, force: bool = False
    ) -> None:
        stream = stream or sys.stderr
        self.enabled = enabled and (force or stream.isatty())
        self.calls = calls
        self._stream = stream
        self._progress: Any = None
        self._overall: Any = None
        self._current: Any = None

    def __enter__(self) -> ProgressDisplay:
        if self.enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            console = Console(file=self._stream, force_terminal=True)
            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=console,
                transient=True,
            )
            self._progress.start()
            self._overall = self._progress.add_task("calls", total=self.calls)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()

    def start_call(self, call_id: str) -> None:
        if self._progress is None:
            return
        if self._current is not None:
            self._progress.remove_task(self._current)
        self._current = self._progress.add_task(f"  {call_id}", total=1.0)

    def callback(self, step: str, done: float, total: float) -> None:
        """The ``progress`` callback the library calls."""
        if self._progress is None or self._current is None:
            return
        self._progress.update(
            self._current, description=f"  {step}", completed=done, total=max(total, 1e-9)
        )

    def done_call(self) -> None:
        if self._progress is not None:
            self._progress.advance(self._overall)

    def error(self, message: str) -> None:
        """Show a failed call above the bar (or on stderr when there is no bar)."""
        if self._progress is not None:
            self._progress.console.print(f"[red]failed[/red] {message}", highlight=False)
            self._progress.advance(self._overall)
        else:
            self._stream.write(f"failed: {message}\n")
