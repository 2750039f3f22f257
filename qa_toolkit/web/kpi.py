"""The KPI page (``/kpi``): FCR, escalation, satisfaction, handle time, latency, hold, volume
and the contact-reason table, each beside the period before.

The page draws the same section as the daily report (:func:`qa_toolkit.report.kpi.kpi_section`),
so both read alike. ``?since=…&until=…`` choose the period (days, ``YYYY-MM-DD``); without them
it is the ``days`` (7 by default, 1–92) up to the last day with calls. Reviewers and
supervisors see it; an agent does not (it covers every team).
"""

from __future__ import annotations

import re
from datetime import date

from flask import Flask, abort, render_template, request, session

from qa_toolkit.errors import UsageError
from qa_toolkit.web import access
from qa_toolkit.web.context import store

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_HEADINGS = {"en": ("Service KPIs", "Show"), "zh": ("服务指标", "查看")}


def register(app: Flask) -> None:
    """Add the KPI page to the app."""
    app.add_url_rule("/kpi", "kpi_page", kpi_page, methods=["GET"])


def _day(name: str) -> str | None:
    value = request.args.get(name, "").strip()
    if not value:
        return None
    try:
        if not _DAY.match(value):
            raise ValueError(value)
        date.fromisoformat(value)
    except ValueError:
        abort(400, f"{name} must be a day, YYYY-MM-DD")
    return value


def _days() -> int:
    value = request.args.get("days", "7").strip()
    if not (value.isascii() and value.isdigit() and 1 <= int(value) <= 92):
        abort(400, "days must be a whole number from 1 to 92")
    return int(value)


def kpi_page() -> str:
    """The KPIs of a period against the one before."""
    from qa_toolkit.report.kpi import kpi_section
    from qa_toolkit.topics.kpi import kpi_report

    access.require(*access.STAFF)
    since, until, days = _day("since"), _day("until"), _days()
    heading, show = _HEADINGS.get(session.get("lang", "en"), _HEADINGS["en"])
    try:
        report = kpi_report(store(), since=since, until=until, days=days)
    except UsageError as error:
        if since or until:
            abort(400, str(error))
        # A store without calls yet: the page says so rather than failing.
        return render_template("kpi.html", section="<p>No calls yet.</p>", report=None,
                               heading=heading, show=show, days=days)  # fmt: skip
    return render_template("kpi.html", section=kpi_section(report), report=report,
                           heading=heading, show=show, days=days)  # fmt: skip


__all__ = ["kpi_page", "register"]
