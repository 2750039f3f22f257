"""``qa serve``: the supervisor's web app over a store, on this machine by default."""

from __future__ import annotations

from pathlib import Path

import click

from qa_toolkit.web.security import LOOPBACK, token_problem


@click.command("serve")
@click.option(
    "--store",
    "store_path",
    default="qa.db",
    show_default=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The results store.",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to bind; anything but loopback needs --token or --users.",
)
@click.option("--port", default=8700, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--token",
    envvar="QA_WEB_TOKEN",
    default=None,
    help="Shared secret (16+ chars) every browser must present once [env QA_WEB_TOKEN].",
)
@click.option(
    "--users",
    "users_file",
    default=None,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="File of 'name:token' lines; the name is recorded as the reviewer.",
)
@click.option("--raw-text", is_flag=True, help="Show transcripts without PII masking.")
def serve(store_path: Path, host: str, port: int, token: str | None, users_file: Path | None,
          raw_text: bool) -> None:  # fmt: skip
    """Serve the flagged queue, call pages, review and appeals in a browser."""
    if host not in LOOPBACK and not (token or users_file):
        raise click.UsageError(f"--host {host} exposes the app: pass --token or --users")
    problem = None if token is None else token_problem(token)
    if problem:
        raise click.UsageError(f"--token is too weak: {problem}")
    if not store_path.is_file():
        raise click.UsageError(f"{store_path}: no such store (run qa batch --store FILE first)")
    from qa_toolkit.web import create_app

    app = create_app(store_path, token=token, users_file=users_file, raw_text_allowed=raw_text)
    # The token is a secret: it is not printed (anyone reading the terminal or its log
    # would have it); the browser asks for it once.
    guard = ""
    if token or users_file:
        guard = " (sign in with the token)" if token else " (sign in with a users-file token)"
    click.echo(f"serving {store_path} on http://{host}:{port}/{guard}", err=True)
    app.run(host=host, port=port, debug=False, use_reloader=False)
