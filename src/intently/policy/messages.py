"""Validation problems in plain words: each names the key, says what was expected and what was given.

Pydantic's own messages speak of its types ("Input should be a valid tuple"); a support-operations person
writing YAML reads "expected a list of tags, got 'needs_collab' (text)" instead, and for a misspelt key the
key that was probably meant.
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Iterable, Mapping
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import ErrorDetails

_DATE = "a date such as 2026-08-03 or a time such as 2026-08-03T14:00:00Z"
_AGENT = "an agent id or e-mail address"

# What a value of each key is, in words (the last named key of the location decides).
_WHAT = {
    "tags": "a list of tags",
    "members": "a list of agent ids or e-mail addresses",
    "days": "a list of weekdays (mon, tue, wed, thu, fri, sat, sun)",
    "business_days": "a list of weekdays (mon, tue, wed, thu, fri, sat, sun)",
    "aliases": "a list of names",
    "fields": "a list of field names",
    "all_regions": "a list of field values",
    "principles": "a list of sentences",
    "out_of_office": "a list of periods, each with agent, start and end",
    "agent": _AGENT,
    "start": _DATE,
    "end": _DATE,
    "window": "a duration such as 30m, 4h or 1h30m",
    "first": "a duration such as 30m, 4h or 1h30m",
    "next": "a duration such as 30m, 4h or 1h30m",
}
# Element of a list, by the list's key.
_ITEM = {"members": _AGENT, "tags": "a tag", "days": "a weekday", "business_days": "a weekday"}
_BRANCHES = {
    "int": "a whole number",
    "str": "text",
    "float": "a number",
    "bool": "true or false",
    "datetime": _DATE,
    "date": _DATE,
}
_BY_TYPE = {
    "tuple_type": "a list, such as [a, b]",
    "list_type": "a list, such as [a, b]",
    "string_type": "text",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "dict_type": "a mapping of keys",
    "model_type": "a mapping of keys",
    "model_attributes_type": "a mapping of keys",
    "datetime_type": _DATE,
    "datetime_parsing": _DATE,
    "datetime_from_date_parsing": _DATE,
    "timezone_aware": "a time with its zone, such as 2026-08-03T14:00:00Z",
    "date_type": _DATE,
    "date_parsing": _DATE,
    "date_from_datetime_parsing": _DATE,
}


BOUNDS = {
    "greater_than_equal": "at least",
    "less_than_equal": "at most",
    "greater_than": "more than",
    "less_than": "less than",
}
"""A pydantic bound error's type, in words: ``must be at least 1``."""


def type_words(kind: str) -> str | None:
    """What a value should have been, for a pydantic error of type ``kind``, in words (``a whole number``); None
    when there are none for it. The neutral format's reader says its errors in the same words."""
    return _BY_TYPE.get(kind)


def plain_problems(errors: Iterable[ErrorDetails], model: type[BaseModel]) -> list[str]:
    """One line per problem (the several errors pydantic gives for one value of a union become one)."""
    grouped: dict[str, list[ErrorDetails]] = {}
    for error in errors:
        grouped.setdefault(location(_named(error["loc"])), []).append(error)
    return [f"{where}: {_sentence(group, model)}" for where, group in grouped.items()]


def location(loc: Iterable[Any]) -> str:
    """``rules.ownership.window``, ``organisation.out_of_office[0].end``."""
    parts: list[str] = []
    for item in loc:
        parts.append(f"[{item}]" if isinstance(item, int) else ("." if parts else "") + str(item))
    return "".join(parts) or "(top level)"


def _named(loc: tuple[int | str, ...]) -> tuple[int | str, ...]:
    """The location without pydantic's own steps (union branches, validator names)."""
    return tuple(
        item
        for item in loc
        if isinstance(item, int) or not (item in _BRANCHES or "[" in item or item.startswith("function-"))
    )


def _sentence(group: list[ErrorDetails], model: type[BaseModel]) -> str:
    first = group[0]
    kind = first["type"]
    loc = _named(first["loc"])
    if kind == "extra_forbidden":
        return _unknown_key(loc, model)
    if kind == "missing":
        return "required key is missing"
    if kind in ("value_error", "assertion_error"):
        return first["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if kind == "literal_error":
        return f"must be {first.get('ctx', {}).get('expected', 'one of the allowed values')}{_given(first)}"
    if kind in BOUNDS:
        bound = next(iter(first.get("ctx", {}).values()), "")
        return f"must be {BOUNDS[kind]} {bound}{_given(first)}"
    return f"expected {_expected(group, loc)}{_given(first)}"


def _expected(group: list[ErrorDetails], loc: tuple[int | str, ...]) -> str:
    names = [item for item in loc if isinstance(item, str)]
    last = names[-1] if names else ""
    if loc and isinstance(loc[-1], int) and last in _ITEM:
        return _ITEM[last]
    if last in _WHAT:
        return _WHAT[last]
    branches = [item for e in group for item in e["loc"] if isinstance(item, str) and item in _BRANCHES]
    if len(set(branches)) > 1:
        return " or ".join(dict.fromkeys(_BRANCHES[b] for b in branches))
    return _BY_TYPE.get(group[0]["type"], group[0]["msg"].lower().removeprefix("input should be "))


def _given(error: ErrorDetails) -> str:
    if "input" not in error:
        return ""
    value = error["input"]
    if isinstance(value, Mapping):
        return ", got a mapping of keys"
    if value is None:
        return ", got nothing"
    kind = {bool: "true/false", int: "a number", float: "a number", str: "text", list: "a list"}.get(type(value))
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f", got {shown}" + (f" ({kind})" if kind else "")


def closest(name: str, known: Iterable[str]) -> str | None:
    """The known name ``name`` was probably meant to be (a misspelling), or None: for "did you mean ...?"."""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return close[0] if close else None


def _unknown_key(loc: tuple[int | str, ...], model: type[BaseModel]) -> str:
    known = _keys_at(loc[:-1], model)
    key = str(loc[-1]) if loc else ""
    close = closest(key, known)
    if close:
        return f"unknown key: did you mean {close!r}?"
    if known:
        return f"unknown key (known here: {', '.join(sorted(known))})"
    return "unknown key (check its spelling)"


def _keys_at(loc: tuple[int | str, ...], model: type[BaseModel]) -> list[str]:
    """The keys the policy allows at ``loc`` (by walking the model's field types)."""
    current: Any = model
    for item in loc:
        current = _step(current, item)
        if current is None:
            return []
    current = _model_in(current)
    return list(current.model_fields) if current is not None else []


def _step(annotation: Any, item: int | str) -> Any:
    model = _model_in(annotation)
    if model is not None:
        field = model.model_fields.get(str(item))
        return field.annotation if field is not None else None
    origin, args = get_origin(annotation), get_args(annotation)
    if origin in (dict, Mapping) and len(args) == 2:
        return args[1]
    if origin in (tuple, list) and args:
        return args[0]
    return None


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (Union, types.UnionType):
        for arg in get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None
