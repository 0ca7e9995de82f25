"""``intently token list`` shows the role each token carries now: a user's token follows its user's role, and
removing the user revokes its tokens (a later account of the same name does not inherit them)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from intently.cli import app as cli_app
from intently.store import Store
from intently.store import schema as tables

ROW = re.compile(r"^(\S+)\s+(none \(user removed\)|\S+)\s+(\S*)\s+\d{4}-\d\d-\d\d \d\d:\d\d$")


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    store = Store.open(store_url)
    yield store
    store.close()


def _run(*args: str, stdin: str = "") -> str:
    """The command's stdout; it must succeed."""
    result = CliRunner().invoke(cli_app, list(args), input=stdin)
    assert result.exit_code == 0, (args, result.output, result.exception)
    return result.stdout


def _listed(store: Store) -> dict[str, tuple[str, str]]:
    """``token list`` as {name: (role, user)}."""
    rows: dict[str, tuple[str, str]] = {}
    for line in _run("token", "list", "--db", store.url).splitlines()[1:]:
        found = ROW.match(line.strip())
        assert found, f"unexpected line: {line!r}"
        rows[found.group(1)] = (found.group(2), found.group(3))
    return rows


def test_token_list_shows_the_role_a_token_carries_now(store: Store) -> None:
    _run("user", "add", "val", "--role", "viewer", "--password-stdin", "--db", store.url, stdin="long-enough\n")
    side = _run("token", "create", "side", "--user", "val", "--role", "admin", "--db", store.url).strip()
    script = _run("token", "create", "script", "--role", "admin", "--db", store.url).strip()
    assert _listed(store) == {"side": ("viewer", "val"), "script": ("admin", "")}

    # No command changes a role yet: change it in the store, as an edit there (or a future command) would.
    with store.engine.begin() as conn:
        conn.execute(update(tables.web_accounts).where(tables.web_accounts.c.name == "val").values(role="admin"))
    assert _listed(store) == {"side": ("admin", "val"), "script": ("admin", "")}
    assert store.token_owner(side) == ("side", "admin")  # what the API decides, too

    removed = CliRunner().invoke(cli_app, ["user", "remove", "val", "--db", store.url])
    assert removed.exit_code == 0 and "1 API token revoked" in removed.stderr
    assert _listed(store) == {"script": ("admin", "")}
    assert store.token_owner(side) is None and store.token_owner(script) == ("script", "admin")

    # a new account that happens to get the same name does not inherit the old account's tokens
    _run("user", "add", "val", "--role", "admin", "--password-stdin", "--db", store.url, stdin="long-enough\n")
    assert store.token_owner(side) is None and "side" not in _listed(store)


def test_listed_tokens_agree_with_authentication(store: Store) -> None:
    """Every listed role is the role the API gives the token; a void token is refused."""
    for name, role in (("ada", "admin"), ("val", "viewer"), ("gone", "viewer")):
        _run("user", "add", name, "--role", role, "--password-stdin", "--db", store.url, stdin="long-enough\n")
    made = {
        name: _run("token", "create", name, *args, "--db", store.url).strip()
        for name, args in (
            ("ada-tool", ("--user", "ada")),
            ("val-tool", ("--user", "val", "--role", "admin")),
            ("gone-tool", ("--user", "gone")),
            ("plain", ("--role", "viewer")),
        )
    }
    _run("user", "remove", "gone", "--db", store.url)
    listed = _listed(store)
    assert set(listed) == set(made) - {"gone-tool"}
    for name, token in made.items():
        owner = store.token_owner(token)
        assert owner == ((name, listed[name][0]) if name in listed else None), name
