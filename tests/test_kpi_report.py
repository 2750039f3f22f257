"""The KPI section: computed from the store, drawn in the daily report and on the web KPI page."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from qa_toolkit.io.metadata import CallMetadata
from qa_toolkit.io.transcripts import parse_text_transcript
from qa_toolkit.report.daily import write_report
from qa_toolkit.rubric import parse_rubric
from qa_toolkit.scoring import score_call
from qa_toolkit.store import CallRecord, Store
from qa_toolkit.topics.contacts import SALT_ENV
from qa_toolkit.topics.hotspots import hotspots
from qa_toolkit.topics.kpi import kpi_report
from qa_toolkit.topics.service import run_topics
from qa_toolkit.web import create_app

from .conftest import ROOT

TAXONOMY = ROOT / "taxonomies" / "contact_reasons.yaml"
RUBRIC = parse_rubric("""\
schema: qa-toolkit/rubric@1
id: tiny
version: 1
sections:
  - id: s
    items:
      - {id: apology, detector: phrase.v1, speaker: agent, any: [sorry, 抱歉], points: 5}
""", "tiny.yaml")  # fmt: skip
SAID = {
    "billing": "customer: I was charged twice on my bill.\nagent: Sorry, I will refund it.",
    "network": "customer: 我家宽带从早上开始就断网了。\nagent: 抱歉。",
}
# (call, day, hour, reason, customer, escalated, duration s, first response s, hold s)
CALLS = [
    ("p0", 20, 9, "billing", "C1", True, 300.0, 4.0, 0.0),
    ("p1", 20, 10, "network", "C2", False, 200.0, 2.0, 60.0),
    ("p2", 20, 11, "network", "C3", False, 100.0, 2.0, 0.0),
    ("p3", 20, 14, "billing", "C4", False, 400.0, 4.0, 0.0),
    ("n0", 21, 9, "billing", "C1", True, 600.0, 8.0, 120.0),  # C1 again: p0 was not resolved
    ("n1", 21, 9, "billing", "C5", True, 300.0, 6.0, 0.0),
    ("n2", 21, 15, "network", "C6", False, 300.0, 2.0, 0.0),
    ("n3", 21, 16, "network", "C7", False, 200.0, 4.0, 0.0),
]


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    patch = pytest.MonkeyPatch()
    patch.setenv(SALT_ENV, "test-salt")
    path = tmp_path_factory.mktemp("kpi") / "qa.db"
    with Store(path) as store:
        for call_id, day, hour, reason, customer, escalated, length, first, hold in CALLS:
            run = store.start_run("test", ["x"], {})
            start = datetime(2026, 11, day, hour)
            meta = CallMetadata(
                call_id,
                agent_id="a1",
                team="care",
                start_time=start,
                customer_id=customer,
                call_date=start.date().isoformat(),
            )
            call = CallRecord(call_id, f"h-{call_id}", "text", ("x.txt",), meta)
            transcript = parse_text_transcript(SAID[reason], call_id=call_id)
            store.save_call(run, call)
            store.save_transcript(run, f"t-{call_id}", call, transcript, producer={},
                                  redaction="none")  # fmt: skip
            values = {"risk_escalation_count": int(escalated), "duration_s": length,
                      "first_response_latency_s": first, "hold_s": hold}  # fmt: skip
            store.save_score(
                run, {"transcript": f"t-{call_id}", "features": f"f-{call_id}",
                      "score": f"s-{call_id}"}, call_id, score_call(transcript, RUBRIC),
                features={"values": values, "details": {}},
                producers={"features": {}, "score": {}, "rubric_hash": "h"}, terms=RUBRIC.terms,
            )  # fmt: skip
        run_topics(store, since="2026-11-20", until="2026-11-21", taxonomy=TAXONOMY)
    yield path
    patch.undo()


def test_kpi_report_figures_against_the_previous_day(store_path: Path) -> None:
    report = kpi_report(store_path, since="2026-11-21", until="2026-11-21")
    assert (report.calls, report.previous_calls) == (4, 4)
    assert str(report.previous) == "2026-11-20"
    fcr = report.kpi("fcr")
    assert fcr.value == 1.0 and fcr.previous == pytest.approx(0.75) and fcr.improved
    escalation = report.kpi("escalation")
    assert escalation.value == 0.5 and escalation.previous == 0.25 and escalation.improved is False
    assert report.kpi("handle").value == pytest.approx(350.0)
    assert report.kpi("handle").previous == pytest.approx(250.0)
    assert report.kpi("first_response").value == pytest.approx(5.0)
    assert report.kpi("hold").value == pytest.approx(30.0)
    assert dict(report.kpi("calls").daily) == {"2026-11-20": 4.0, "2026-11-21": 4.0}
    assert report.by_hour[9] == (2, 1) and report.by_hour[15] == (1, 0)
    assert report.by_channel == (("text", 4, 4),)
    topics = {h.topic_id: h for h in report.topics}
    assert topics["billing"].calls == 2 and topics["billing"].escalation_rate == 1.0
    assert topics["network"].escalation_rate == 0.0
    assert report.fcr_open == 4  # the day's windows are all still open
    spots = hotspots(store_path, since="2026-11-21", until="2026-11-21")
    assert spots.rows == report.topics and spots.previous_calls == 4
    assert [r.call_id for r in report.repeats] == []  # n0 repeats p0, a call of the day before


def test_kpi_report_section_in_the_daily_report(store_path: Path, tmp_path: Path) -> None:
    with Store(store_path) as store:
        index = write_report(store, tmp_path / "report", date="2026-11-21")
    html = index.read_text("utf-8")
    section = html[html.index('<section class="card" id="kpi">') :]
    assert "Service KPIs: 2026-11-21 (4 calls) against 2026-11-20 (4 calls)" in section
    assert re.search(r'id="kpi-fcr"><b>100\.0%</b>.*?\+25\.0 pts vs before', section)
    assert re.search(r'id="kpi-escalation"><b>50\.0%</b>.*?status-fail">\+25\.0 pts', section)
    assert re.search(r'id="kpi-handle"><b>350 s</b>', section)
    for chart in (
        "kpi-fcr",
        "kpi-escalation",
        "kpi-satisfaction",
        "kpi-handle",
        "kpi-first_response",
        "kpi-hold",
        "kpi-by-hour",
        "kpi-by-channel",
    ):
        assert f'data-chart="{chart}"' in section, chart
    row = re.search(r'<tr id="topic-billing">(.*?)</tr>', section)
    assert row is not None and "Bills, charges and payments" in row.group(1)
    assert "100.0%" in row.group(1)  # both billing calls of the day escalated


def test_kpi_report_web_page(store_path: Path, tmp_path: Path) -> None:
    client = create_app(store_path).test_client()
    page = client.get("/kpi?since=2026-11-21&until=2026-11-21")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="kpi-escalation"><b>50.0%</b>' in html and 'id="topic-network"' in html
    assert 'data-chart="kpi-fcr"' in html and "default-src 'self'" in page.headers[
        "Content-Security-Policy"]  # fmt: skip
    assert client.get("/kpi").status_code == 200  # the last week with calls
    assert client.get("/kpi?since=2026-99-01").status_code == 400
    assert client.get("/kpi?days=0").status_code == 400
    empty = tmp_path / "empty.db"
    Store(empty).close()
    blank = create_app(empty).test_client().get("/kpi")
    assert blank.status_code == 200 and "No calls yet." in blank.get_data(as_text=True)
    with client.session_transaction() as session:
        session.update(user="ann", role="agent", agent="a1")
    assert client.get("/kpi").status_code == 403


def test_kpi_report_commands_and_export(store_path: Path, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from qa_toolkit.cli.main import qa

    runner = CliRunner()
    shown = runner.invoke(qa, ["kpi", "--store", str(store_path), "--since", "2026-11-21",
                               "--until", "2026-11-21", "--format", "json"])  # fmt: skip
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.stdout)
    kpis = {k["key"]: k for k in data["kpis"]}
    assert kpis["escalation"]["value"] == 0.5 and kpis["escalation"]["previous"] == 0.25
    assert {t["topic_id"] for t in data["topics"]} == {"billing", "network"}
    text = runner.invoke(qa, ["kpi", "--store", str(store_path), "--days", "1"])
    assert text.exit_code == 0 and "Escalation rate" in text.stdout and "billing" in text.stdout
    drivers = runner.invoke(qa, ["drivers", "--store", str(store_path), "--by", "topic"])
    assert drivers.exit_code == 0 and "calls by topic" in drivers.stdout
    assert "billing" in drivers.stdout and "network" in drivers.stdout
    out = tmp_path / "scores.csv"
    exported = runner.invoke(qa, ["export", "--store", str(store_path), "--format", "csv",
                                  "--out", str(out)])  # fmt: skip
    assert exported.exit_code == 0, exported.output
    rows = {r["call_id"]: r for r in csv.DictReader(out.open(encoding="utf-8"))}
    assert rows["n0"]["topic"] == "billing" and rows["p1"]["topic"] == "network"
