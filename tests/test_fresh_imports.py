"""Every module imports on its own in a fresh interpreter, as a worker process would load it.

A batch worker starts with nothing imported and loads the stage it runs first; an import cycle
that the main process never trips (because it imported another module first) fails there. The
static import graph (``test_architecture.py``) finds cycles by reading the source; this runs
them, including imports made by name (``importlib``) and lazy package attributes.
"""

from __future__ import annotations

import subprocess
import sys

from .conftest import ROOT


def _modules() -> list[str]:
    out = []
    for path in sorted((ROOT / "qa_toolkit").rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        out.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return out


def test_every_module_imports_first_in_a_fresh_interpreter() -> None:
    modules = _modules()
    assert len(modules) > 100
    failures = []
    for module in modules:  # one interpreter per module: each sees only its own imports
        done = subprocess.run(
            [sys.executable, "-c", f"import {module}"], capture_output=True, text=True, timeout=120
        )
        if done.returncode != 0:
            last = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "?"
            failures.append(f"{module}: {last}")
    assert failures == []
