"""The store on a PostgreSQL server: where it is named, what goes wrong and how it says so.

The tests share one throwaway server (tests/postgres_server.py); each gets a fresh database.
Behaviour common to both backends is tested in test_store.py, test_batch.py and the review
tests, parametrized over SQLite and PostgreSQL (the ``store_location`` fixture).
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa_toolkit.cli import qa as main
from qa_toolkit.errors import SchemaVersionError, StoreError
from qa_toolkit.store import Store
from qa_toolkit.store.location import parse_location
from qa_toolkit.store.postgres import translate
from qa_toolkit.store.schema import SCHEMA_VERSION

from .postgres_server import free_port

ROOT = Path(__file__).resolve().parents[1]
RUBRIC = str(ROOT / "rubrics" / "default.yaml")


def _day(folder: Path) -> Path:
    folder.mkdir()
    for name in ("chat_en.txt", "chat_zh.txt"):
        (folder / name).write_text((ROOT / "samples" / name).read_text("utf-8"), "utf-8")
    return folder


# ---------------------------------------------------------------- naming a store


def test_a_url_of_another_database_is_an_error_not_a_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(StoreError, match=r"not mysql://.*postgresql://"):
        parse_location("mysql://qa@db:3306/qa")
    monkeypatch.chdir(tmp_path)
    day = _day(tmp_path / "day")
    result = CliRunner().invoke(
        main, ["batch", str(day), "--rubric", RUBRIC, "--store", "mysql://qa@db/qa"]
    )
    assert result.exit_code == 2
    assert "not mysql://" in result.output
    assert not (tmp_path / "mysql:").exists()


def test_locations_read_files_urls_and_mask_passwords() -> None:
    assert parse_location("out/qa.db").path == Path("out/qa.db")
    assert parse_location(r"C:\calls\qa.db").kind == "sqlite"
    url = parse_location("postgresql://qa:s3cret@db.example:5433/qa")
    assert url.is_server and url.display == "postgresql://qa:***@db.example:5433/qa"
    with pytest.raises(StoreError, match="names no database"):
        parse_location("postgresql://qa@db.example:5432/")


def test_qa_store_names_the_store_when_no_option_does(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("QA_STORE", str(tmp_path / "site.db"))
    with Store() as store:
        assert store.path == tmp_path / "site.db"
    monkeypatch.delenv("QA_STORE")
    monkeypatch.chdir(tmp_path)
    with Store() as store:
        assert store.path == Path("qa.db")


# ---------------------------------------------------------------- a server that says no


def test_an_unreachable_server_is_one_line_naming_host_and_fix() -> None:
    port = free_port()
    with pytest.raises(StoreError) as raised:
        Store(f"postgresql://qa@127.0.0.1:{port}/qa", timeout_s=2)
    text = str(raised.value)
    assert f"127.0.0.1:{port} cannot be reached" in text and "server is running" in text
    result = CliRunner().invoke(
        main, ["export", "--store", f"postgresql://qa@127.0.0.1:{port}/qa", "--format", "csv"]
    )
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: PostgreSQL at 127.0.0.1")


def test_a_missing_database_or_role_names_the_fix(postgres_server: str) -> None:
    base = postgres_server.rsplit("/", 1)[0]
    with pytest.raises(StoreError, match=r"has no database 'nowhere'.*createdb .* nowhere"):
        Store(f"{base}/nowhere")
    stranger = base.replace("qa@", "stranger@")
    with pytest.raises(StoreError, match="has no role stranger"):
        Store(f"{stranger}/postgres")


def test_a_wrong_password_is_one_line_naming_host_and_fix(postgres_server: str) -> None:
    import psycopg

    # The throwaway server trusts its own user; this role alone must give a password.
    role = f"pw_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        hba = Path(str(conn.execute("SHOW hba_file").fetchone()[0]))
        conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'the-right-one'")
        before = hba.read_text("utf-8")
        hba.write_text(f"host all {role} 127.0.0.1/32 scram-sha-256\n{before}", "utf-8")
        conn.execute("SELECT pg_reload_conf()")
    try:
        server = postgres_server.rsplit("/", 1)[0].split("@", 1)[1]
        right = f"postgresql://{role}:the-right-one@{server}/postgres"
        # The role and its password work; it has no rights on the database's schema.
        with pytest.raises(StoreError, match=r"permission denied.*GRANT ALL ON SCHEMA public"):
            Store(right, timeout_s=5)
        wrong = right.replace("the-right-one", "not-this-one")
        with pytest.raises(StoreError) as raised:
            Store(wrong, timeout_s=5)
        text = str(raised.value)
        assert f"refused user {role}" in text and "127.0.0.1" in text and "not-this-one" not in text
        assert "password" in (raised.value.fix or "")
        result = CliRunner().invoke(main, ["export", "--store", wrong, "--format", "csv"])
        assert result.exit_code == 1
        lines = [line for line in result.output.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: PostgreSQL at 127.0.0.1")
        assert "not-this-one" not in result.output
    finally:
        hba.write_text(before, "utf-8")
        with psycopg.connect(postgres_server, autocommit=True) as conn:
            conn.execute("SELECT pg_reload_conf()")


def test_an_empty_database_is_not_read_as_a_store(postgres_url: str) -> None:
    with pytest.raises(StoreError, match="holds no qa-toolkit store"):
        Store(postgres_url, create=False)
    with Store(postgres_url) as store:  # a batch may create it
        assert store.schema_version == SCHEMA_VERSION


def test_a_newer_schema_on_the_server_is_refused(postgres_url: str) -> None:
    with Store(postgres_url) as store:
        store.conn.execute(
            "INSERT INTO schema_version VALUES (?, '2030-01-01', '9.0', 'from the future')",
            (SCHEMA_VERSION + 5,),
        )
    with pytest.raises(SchemaVersionError, match=r"newer than this qa-toolkit.*upgrade"):
        Store(postgres_url)


def test_a_database_of_other_tables_is_not_a_store(postgres_url: str) -> None:
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE customers (id INTEGER)")
    with pytest.raises(SchemaVersionError, match="not a qa-toolkit store"):
        Store(postgres_url)


# ---------------------------------------------------------------- the same SQL on both


def test_the_shared_sql_is_translated_for_postgresql() -> None:
    sql = "SELECT x FROM t WHERE a = ? AND b LIKE ? ESCAPE '\\' AND c = '50% ?'"
    assert translate(sql) == (
        "SELECT x FROM t WHERE a = %s AND b ILIKE %s ESCAPE '\\' AND c = '50%% ?'"
    )
    read = translate("SELECT json_extract(s.body, '$.outcome.resolved') FROM scores s")
    assert "#> '{outcome,resolved}'" in read and "json_extract" not in read


def test_rows_read_alike_on_both_backends(store_location: str) -> None:
    with Store(store_location) as store:
        row = store.conn.execute(
            "SELECT COUNT(*) AS n, AVG(version) AS mean, MAX(json_extract(j.body, '$.a.b')) AS yes "
            'FROM schema_version, (SELECT \'{"a": {"b": true}}\' AS body) AS j'
        ).fetchone()
        assert row["n"] == row[0] == SCHEMA_VERSION
        assert isinstance(row["mean"], float) and row["yes"] == 1
        assert dict(zip(row.keys(), row, strict=True))["n"] == SCHEMA_VERSION


def test_a_failed_write_on_the_server_keeps_nothing(postgres_url: str) -> None:
    with Store(postgres_url) as store:
        run = store.start_run("test", [], {})
        with pytest.raises(sqlite3.IntegrityError), store._write() as conn:  # noqa: SLF001
            conn.execute("UPDATE runs SET command = 'changed' WHERE run_id = ?", (run,))
            conn.execute("INSERT INTO runs (run_id) VALUES (?)", (run,))  # NOT NULL fails
        assert store.conn.execute("SELECT command FROM runs").fetchone()[0] == "test"
        with pytest.raises(sqlite3.OperationalError, match="no_such_table"):
            store.conn.execute("SELECT * FROM no_such_table")


# ---------------------------------------------------------------- the commands on a server


def test_batch_flagged_export_and_report_on_a_server(postgres_url: str, tmp_path: Path) -> None:
    day = _day(tmp_path / "day")
    runner = CliRunner()
    env = {"QA_STORE": postgres_url}
    done = runner.invoke(main, ["batch", str(day), "--rubric", RUBRIC, "--report",
                                str(tmp_path / "rep")], env=env)  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "2 processed" in done.output and postgres_url in done.output
    again = runner.invoke(main, ["batch", str(day), "--rubric", RUBRIC], env=env)
    assert "2 already done" in again.output
    exported = runner.invoke(main, ["export", "--format", "csv", "--out", "-"], env=env)
    assert exported.exit_code == 0
    rows = exported.output.strip().splitlines()
    assert rows[0].startswith("call_id,") and sorted(r.split(",")[0] for r in rows[1:]) == [
        "chat_en",
        "chat_zh",
    ]
    report = runner.invoke(main, ["report", "--out", str(tmp_path / "rep2")], env=env)
    assert report.exit_code == 0, report.output
    assert (tmp_path / "rep2" / "index.html").is_file()
    assert not any(p.name.startswith("postgresql") for p in Path(os.getcwd()).iterdir())
