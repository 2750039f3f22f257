"""The supervisor's web app (``qa serve``): flagged queue, call drill-down, review and appeals.

Flask is imported only when the app is created, so ``import qa_toolkit`` stays light.

Example:
    >>> from qa_toolkit.web import create_app
    >>> create_app("qa.db").run()  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

__all__ = ["create_app"]


def create_app(store_path: Any, **options: Any) -> Flask:
    """Create the app; see :func:`qa_toolkit.web.app.create_app` for the arguments."""
    from qa_toolkit.web.app import create_app as _create

    return _create(store_path, **options)
