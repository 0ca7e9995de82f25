"""One label for a user everywhere: their name, ``nobody``, or ``user 123``."""

from __future__ import annotations

from intently.engine.explain import _name as explain_name
from intently.model import Directory, User, user_name

USERS = {7: User(id=7, name="Ana Lee", role="agent"), 8: User(id=8, name="", role="agent")}


def test_a_known_user_is_named() -> None:
    assert user_name(USERS, 7) == "Ana Lee"


def test_no_user_is_nobody() -> None:
    assert user_name(USERS, None) == "nobody"


def test_an_unknown_or_nameless_user_is_named_by_id() -> None:
    assert user_name(USERS, 9) == "user 9"
    assert user_name(USERS, "abc") == "user abc"
    assert user_name(USERS, 8) == "user 8"


def test_the_directory_names_the_same_way() -> None:
    directory = Directory(users=dict(USERS))
    assert [directory.name_of(u) for u in (7, None, 9)] == ["Ana Lee", "nobody", "user 9"]


def test_explain_marks_the_unknown() -> None:
    assert [explain_name(USERS, u) for u in (7, None, 9, -1)] == ["Ana Lee", "nobody", "user 9 (unknown)", "system"]
