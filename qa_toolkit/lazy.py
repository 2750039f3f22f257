"""Names a package offers that load their module on first use.

A package's ``__init__`` that imported its stages eagerly would pull the whole
stack (and models) into ``import qa_toolkit.scoring.types``, and would close
import cycles: the rubric's detectors need the score records, the scorer needs
the detectors. With :func:`lazy_names` the package names its public functions,
and each module loads when a name is first read.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_names(package: str, names: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports ``names[name]`` (a module path) on first access.

    Args:
        package: the package's ``__name__``, for the error message.
        names: public name → the module that defines it.

    Returns:
        The ``__getattr__`` to assign in the package's ``__init__``.
    """

    def load(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(module), name)

    return load
