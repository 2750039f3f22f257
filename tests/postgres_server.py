"""A throwaway PostgreSQL server for the tests and benchmarks: initdb in a folder, started on a
free loopback port, trust authentication, stopped and deleted at the end.

The Debian package (``postgresql``) provides the programs; ``scripts/install_system_deps.sh``
installs it. PostgreSQL refuses to run as root, so under root the server runs as the
``postgres`` user the package creates.

Run by hand for a server to try things against::

    .venv/bin/python -m tests.postgres_server /tmp/pg   # prints the URL; Ctrl-C stops it
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

USER = "qa"


def programs() -> Path | None:
    """The folder holding initdb and pg_ctl, or None when PostgreSQL is not installed."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(versions[-1]).parent if versions else None


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _run(command: list[str]) -> None:
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")


@contextlib.contextmanager
def server(folder: Path | None = None) -> Iterator[str]:
    """Start a server; yield its URL (``postgresql://qa@127.0.0.1:PORT/postgres``)."""
    bin_dir = programs()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL is not installed (scripts/install_system_deps.sh)")
    owned = folder is None
    root = Path(tempfile.mkdtemp(prefix="qa-pg-")) if folder is None else folder
    root.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        os.chmod(root, 0o755)
    data, port = root / "data", free_port()
    _run([str(bin_dir / "initdb"), "-D", str(data), "-U", USER, "--auth=trust", "-E", "UTF8",
          "--no-locale", "--no-sync"])  # fmt: skip
    # Durability is not the point of a throwaway server: fsync off keeps the tests quick.
    settings = (
        f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    )
    _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-o", settings, "-l", str(root / "log"),
          "-w", "start"])  # fmt: skip
    try:
        yield f"postgresql://{USER}@127.0.0.1:{port}/postgres"
    finally:
        _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"])
        if owned:
            shutil.rmtree(root, ignore_errors=True)


def new_database(server_url: str, prefix: str = "t") -> str:
    """A fresh, empty database on the server; its URL."""
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return server_url.rsplit("/", 1)[0] + f"/{name}"


if __name__ == "__main__":
    where = Path(sys.argv[1]) if len(sys.argv) > 1 else None
    with server(where) as url:
        print(url, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            signal_wait = __import__("signal").pause
            signal_wait()
