"""``qa serve``: the supervisor's web app over a store; ``qa users``: who may sign in to it."""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

import click

from qa_toolkit.cli.errors import cli_errors
from qa_toolkit.cli.store_option import store_option
from qa_toolkit.store.location import ENV_VAR, parse_location
from qa_toolkit.web.security import LOOPBACK, token_problem

_PASSWORD_ENV = "QA_PASSWORD"


@click.command("serve")
@store_option(exists=True, help=f"The results store: a file or a PostgreSQL URL (or ${ENV_VAR}).")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to bind; anything but loopback needs --users or --token.",
)
@click.option("--port", default=8700, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--users",
    "users_file",
    default=None,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Users file (qa users add): sign-in with name and password, a role per user.",
)
@click.option(
    "--token",
    envvar="QA_WEB_TOKEN",
    default=None,
    help="Instead of users: one shared secret (16+ chars) for a single user [env QA_WEB_TOKEN].",
)
@click.option(
    "--user",
    "single_user",
    default=None,
    help="Without --users: the one user's name, recorded as the reviewer (default: your login).",
)
@click.option(
    "--behind-proxy",
    is_flag=True,
    help="Served behind a reverse proxy that terminates HTTPS: trust its X-Forwarded-* "
    "headers and send the session cookie only over HTTPS.",
)
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64),
              help="Requests served at once.")  # fmt: skip
@click.option("--raw-text", is_flag=True, help="Show transcripts without PII masking.")
def serve(store_path: str, host: str, port: int, users_file: Path | None, token: str | None,
          single_user: str | None, behind_proxy: bool, threads: int,
          raw_text: bool) -> None:  # fmt: skip
    """Serve the flagged queue, search, call pages, review, coaching and calibration."""
    if host not in LOOPBACK and not (token or users_file):
        raise click.UsageError(f"--host {host} exposes the app: pass --users (or --token)")
    problem = None if token is None else token_problem(token)
    if problem:
        raise click.UsageError(f"--token is too weak: {problem}")
    try:
        waitress = importlib.import_module("waitress")
    except ImportError:
        raise click.UsageError(
            "qa serve needs the web extra: pip install 'qa-toolkit[web]'"
        ) from None
    from qa_toolkit.web import create_app

    with cli_errors():
        app = create_app(store_path, token=token, users_file=users_file,
                         raw_text_allowed=raw_text, user=single_user,
                         behind_proxy=behind_proxy)  # fmt: skip
    # The token is a secret: it is not printed (anyone reading the terminal or its log
    # would have it); the browser asks for it once.
    guard = " (sign in with your name and password)" if users_file else ""
    if token and not users_file:
        guard = " (sign in with the token)"
    click.echo(f"serving {parse_location(store_path)} on http://{host}:{port}/{guard}", err=True)
    waitress.serve(app, host=host, port=port, threads=threads, ident="qa-toolkit",
                   clear_untrusted_proxy_headers=not behind_proxy)  # fmt: skip


@click.group("users")
def users_group() -> None:
    """Who may sign in to the web app: add, list, change or remove users of a users file."""


_USERS_FILE = click.option(
    "--users",
    "users_file",
    default="qa-users.json",
    show_default=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The users file (qa serve --users FILE).",
)


def _password(from_stdin: bool) -> str:
    """The password: from stdin (--password-stdin), $QA_PASSWORD, or asked for twice."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if os.environ.get(_PASSWORD_ENV):
        return os.environ[_PASSWORD_ENV]
    return str(click.prompt("password", hide_input=True, confirmation_prompt=True, err=True))


@users_group.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(["agent", "reviewer", "supervisor"]))
@click.option("--agent-id", default="", help="For an agent: the agent id their calls carry "
              "(default: NAME).")  # fmt: skip
@click.option("--password-stdin", is_flag=True,
              help=f"Read the password from the first line of stdin (else ${_PASSWORD_ENV}, "
              "else a prompt).")  # fmt: skip
@_USERS_FILE
def users_add_command(name: str, role: str, agent_id: str, password_stdin: bool,
                      users_file: Path) -> None:  # fmt: skip
    """Add a user (or replace a user's role and password). Passwords are stored as scrypt
    hashes, never as written."""
    from qa_toolkit.store.accounts import add_account

    password = _password(password_stdin)
    with cli_errors():
        account = add_account(users_file, name, role, password=password, agent_id=agent_id)
    link = f", agent id {account.agent_id or account.name}" if account.role == "agent" else ""
    click.echo(f"{users_file}: {account.name} ({account.role}{link})")


@users_group.command("list")
@_USERS_FILE
def users_list_command(users_file: Path) -> None:
    """List the users: name, role and (agents) agent id."""
    from qa_toolkit.store.accounts import load_accounts

    with cli_errors():
        accounts = load_accounts(users_file)
    for account in sorted(accounts.by_name.values(), key=lambda a: a.name):
        agent = (account.agent_id or account.name) if account.role == "agent" else ""
        click.echo(f"{account.name}\t{account.role}\t{agent}".rstrip())


@users_group.command("role")
@click.argument("name")
@click.argument("role", type=click.Choice(["agent", "reviewer", "supervisor"]))
@_USERS_FILE
def users_role_command(name: str, role: str, users_file: Path) -> None:
    """Change a user's role (their sessions end at their next request)."""
    from qa_toolkit.store.accounts import set_role

    with cli_errors():
        account = set_role(users_file, name, role)
    click.echo(f"{users_file}: {account.name} is now {account.role}")


@users_group.command("remove")
@click.argument("name")
@_USERS_FILE
def users_remove_command(name: str, users_file: Path) -> None:
    """Remove a user (their sessions end at their next request)."""
    from qa_toolkit.store.accounts import remove_account

    with cli_errors():
        remove_account(users_file, name)
    click.echo(f"{users_file}: removed {name}")
