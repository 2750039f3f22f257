"""The ``--store`` option every command shares: a SQLite file or a PostgreSQL URL.

Its text is checked before the command starts: a URL of another kind of database
(``mysql://…``) is a usage error, never a file name, and a command that reads an
existing store says so when the file is missing. ``QA_STORE`` stands in for the
option when it is not given, so a site sets its server once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from qa_toolkit.errors import StoreError
from qa_toolkit.store.location import DEFAULT, ENV_VAR, parse_location

F = TypeVar("F", bound=Callable[..., Any])
HELP = f"Store: a SQLite file or postgresql://user@host:port/db (or ${ENV_VAR})."


class StoreLocationType(click.ParamType):
    """``--store`` text, checked; the command receives the text as given."""

    name = "store"

    def __init__(self, *, exists: bool = False) -> None:
        self.exists = exists

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        try:
            location = parse_location(str(value))
        except StoreError as error:
            self.fail(f"{error.message}; {error.fix}", param, ctx)
        if self.exists and location.path is not None and not location.path.is_file():
            self.fail(
                f"{location.path}: no such store (run qa batch --store FILE first)", param, ctx
            )
        return str(value)


def store_option(
    *, exists: bool = False, required: bool = False, default: str | None = DEFAULT,
    help: str = HELP, env: bool = True,
) -> Callable[[F], F]:  # fmt: skip
    """``--store``/``-s`` into ``store_path``.

    Args:
        exists: the command reads a store, so a SQLite file must exist.
        required: no default; the option (or ``QA_STORE``) must be given.
        default: the store when neither the option nor ``QA_STORE`` is given.
        env: read ``QA_STORE`` when the option is not given.
    """
    return click.option(
        "--store", "-s", "store_path",
        default=None if required else default,
        required=required,
        show_default=default is not None and not required,
        envvar=ENV_VAR if env else None,
        show_envvar=env,
        type=StoreLocationType(exists=exists),
        help=help,
    )  # fmt: skip
