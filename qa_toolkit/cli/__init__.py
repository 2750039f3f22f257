"""The ``qa`` command line: one module per group of commands, one error boundary.

:mod:`~qa_toolkit.cli.main` builds the ``qa`` group from the command modules
(scoring, batch, review, analytics, calibrate, web) and is the console entry
point (``qa = "qa_toolkit.cli:main"``).
"""

from qa_toolkit.cli.main import main, qa

__all__ = ["main", "qa"]
