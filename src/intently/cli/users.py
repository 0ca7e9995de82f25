"""``intently user``: local accounts for the dashboard of ``intently serve``."""

from __future__ import annotations

import getpass
import sys
from typing import Annotated

import typer

from intently.cli.common import DbOption
from intently.errors import IntentlyError

user_app = typer.Typer(
    help="Dashboard accounts for intently serve (passwords are stored as argon2 hashes only).",
    no_args_is_help=True,
    rich_markup_mode="rich",
)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `intently` app."""
    app.add_typer(user_app, name="user")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    second = getpass.getpass("Password (again): ")
    if first != second:
        raise IntentlyError("the two passwords differ: nothing was changed")
    return first


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="The login name")],
    role: Annotated[str, typer.Option("--role", help="viewer (read the dashboard) or admin (also change policy)")] = (
        "viewer"
    ),
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from the first line of stdin (no prompt)")
    ] = False,
    db: DbOption = None,
) -> None:
    """Add a dashboard account. Without --password-stdin the password is asked twice, without echo."""
    from intently.cli.common import err, open_store
    from intently.web.access.accounts import ROLES, add_account, check_name, check_password

    if role not in ROLES:
        raise typer.BadParameter("use viewer or admin", param_hint="--role")
    check_name(name)
    store = open_store(db, create=True)
    password = _read_password(password_stdin)
    check_password(password)
    account = add_account(store, name, role, password)
    err.print(f"User {account.name!r} ({account.role}) added.")


@user_app.command("remove")
def user_remove(name: Annotated[str, typer.Argument(help="The login name")], db: DbOption = None) -> None:
    """Remove a dashboard account: its sessions end and its API tokens are revoked."""
    from intently.cli.common import err, open_store
    from intently.web.access.accounts import remove_account

    revoked = remove_account(open_store(db), name)
    if revoked is None:
        raise IntentlyError(f"no user named {name!r} (see intently user list)")
    tokens = f"; {revoked:,} API token{'' if revoked == 1 else 's'} revoked" if revoked else ""
    err.print(f"User {name!r} removed{tokens}.", markup=False)


@user_app.command("list")
def user_list(db: DbOption = None) -> None:
    """List dashboard accounts: name, role and when each was added (never passwords)."""
    from intently.cli.common import open_store, out
    from intently.web.access.accounts import accounts

    found = accounts(open_store(db))
    if not found:
        out.print("No users. Add one with: intently user add NAME --role admin")
        return
    for account in found:
        out.print(f"{account.name}\t{account.role}\t{account.created_at:%Y-%m-%d %H:%M} UTC", highlight=False)


@user_app.command("passwd")
def user_passwd(
    name: Annotated[str, typer.Argument(help="The login name")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the new password from the first line of stdin (no prompt)")
    ] = False,
    db: DbOption = None,
) -> None:
    """Set a dashboard account's password; its sessions end (it logs in again). Without --password-stdin the new
    password is asked twice, without echo."""
    from intently.cli.common import err, open_store
    from intently.web.access.accounts import account, check_password, set_password

    store = open_store(db)
    if account(store, name) is None:
        raise IntentlyError(f"no user named {name!r} (see intently user list)")
    password = _read_password(password_stdin)
    check_password(password)
    ended = set_password(store, name, password)
    if ended is None:
        raise IntentlyError(f"no user named {name!r} (see intently user list)")
    sessions = f"; {ended:,} session{'' if ended == 1 else 's'} ended" if ended else ""
    err.print(f"Password of {name!r} changed{sessions}.", markup=False)
