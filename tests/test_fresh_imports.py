"""Each stage imports on its own in a fresh interpreter, as a worker process does.

A batch worker starts with nothing imported and loads the stage it runs first; an import cycle
that the main process never trips (because it imported another module first) fails there.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

MODULES = (
    "qa_toolkit.scoring",
    "qa_toolkit.rubric.detectors",
    "qa_toolkit.calibrate.detector",
    "qa_toolkit.review.priority",
    "qa_toolkit.batch.tasks",
    "qa_toolkit.report",
)


@pytest.mark.parametrize("module", MODULES)
def test_module_imports_first_in_a_fresh_interpreter(module: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", f"import {module}"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
