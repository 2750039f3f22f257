"""Reports: the Markdown summary, the HTML daily report and its call pages.

- :mod:`~qa_toolkit.report.daily`: :func:`write_report`, :func:`markdown_report`;
- :mod:`~qa_toolkit.report.call`: one call's page, and the view helpers the web app shares;
- :mod:`~qa_toolkit.report.charts`: the inline SVG charts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qa_toolkit.lazy import lazy_names

if TYPE_CHECKING:
    from qa_toolkit.report.daily import markdown_report, summarise, write_report

__all__ = ["markdown_report", "summarise", "write_report"]

__getattr__ = lazy_names(
    __name__,
    {
        "write_report": "qa_toolkit.report.daily",
        "markdown_report": "qa_toolkit.report.daily",
        "summarise": "qa_toolkit.report.daily",
    },
)
