"""A time budget per call and stage: a call that runs past it fails alone, and the batch goes on.

Transcription and scoring run in a process's main thread (a pool worker's, or this process's
with one worker), where a timer signal can interrupt Python code: the call then fails with
:class:`CallTimeout`, which names the budget and the fix, like any other failed call. Work that
never returns to Python (a single long native call) is interrupted when it does; code run in
another thread (a Ray task) has no budget.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from qa_toolkit.errors import QAToolkitError

# Generous: a long recording on a slow core takes minutes, not half an hour.
DEFAULT_CALL_BUDGET_S = 1800.0


class CallTimeout(QAToolkitError):
    """One call's stage ran past the batch's per-call time budget."""


@contextmanager
def time_budget(seconds: float | None, what: str) -> Iterator[None]:
    """Raise :class:`CallTimeout` inside the block when it runs longer than ``seconds``.

    Args:
        seconds: the budget; ``None`` or 0 for none.
        what: what is running, for the message (``"transcribing call c1"``).
    """
    usable = (
        seconds
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )
    if not usable:
        yield
        return
    assert seconds is not None

    def ring(signum: int, frame: FrameType | None) -> None:
        raise CallTimeout(
            f"{what} took longer than the per-call budget of {seconds:g} s",
            fix="check the file (a corrupt or hours-long recording?), or raise --call-timeout",
        )

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
