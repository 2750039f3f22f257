"""The daily batch: discover calls, transcribe, analyse, score and flag, resumable.

- :mod:`~qa_toolkit.batch.run`: :func:`run_batch` and :func:`rescore`;
- :mod:`~qa_toolkit.batch.stages`: the run loop: claim, transcribe, score, store;
- :mod:`~qa_toolkit.batch.tasks`: one call's work, as a worker process runs it;
- :mod:`~qa_toolkit.batch.remote`: the same tasks storing their own results (Ray workers);
- :mod:`~qa_toolkit.batch.types`: options, progress and outcome records;
- :mod:`~qa_toolkit.batch.executors`: in-process, process pool and Ray.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qa_toolkit.lazy import lazy_names

if TYPE_CHECKING:
    from qa_toolkit.batch.run import BatchOptions, BatchProgress, rescore, run_batch, summary_lines

__all__ = ["BatchOptions", "BatchProgress", "rescore", "run_batch", "summary_lines"]

__getattr__ = lazy_names(
    __name__,
    {
        "run_batch": "qa_toolkit.batch.run",
        "rescore": "qa_toolkit.batch.run",
        "BatchOptions": "qa_toolkit.batch.run",
        "BatchProgress": "qa_toolkit.batch.run",
        "summary_lines": "qa_toolkit.batch.run",
    },
)
