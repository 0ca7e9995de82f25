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

import yaml
from pydantic import BaseModel
from pydantic_core import ErrorDetails

DATE_WORDS = "a date as YYYY-MM-DD (such as 2026-08-03) or a time such as 2026-08-03T14:00:00Z"
_DATE = DATE_WORDS
_AGENT = "an agent id or e-mail address"
DURATION_WORDS = "a duration such as 30m, 4h, 1h30m or 2d"
NOT_A_NUMBER = ".nan (not a number), which is not allowed"
"""What a value of ``.nan`` is said to be (YAML's "not a number": it compares as neither more nor less than any
bound)."""

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
    "window": DURATION_WORDS,
    "within": DURATION_WORDS,
    "first": DURATION_WORDS,
    "next": DURATION_WORDS,
    "share": "a number such as 0.75 (a share of the reply target)",
    "at_least": "a whole number",
    "at_most": "a whole number",
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
    "finite_number": "a number",
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


def counted(count: int, one: str, many: str | None = None) -> str:
    """A number of things in words: ``1 contributor``, ``0 contributors``, ``3,000 tickets`` (``many`` where the
    plural is not ``one`` + ``s``)."""
    return f"{count:,} {one if count == 1 else many or one + 's'}"


BOUNDS = {
    "greater_than_equal": "at least",
    "less_than_equal": "at most",
    "greater_than": "more than",
    "less_than": "less than",
}
"""A pydantic bound error's type, in words: ``must be at least 1``."""


_YAML = {
    "found character '\\t' that cannot start any token": "a tab: indent with spaces, not tabs",
    "mapping values are not allowed here": (
        "a second ': ' on one line: put a value that holds ': ' in quotes (title: \"Note: read this\"), or check "
        "this line's indentation"
    ),
    "expected <block end>, but found '<block mapping start>'": (
        "this line is indented differently from the keys above it: line up keys of one mapping with spaces"
    ),
}
"""PyYAML's problems, in words, with how to fix them (the others are said as PyYAML says them)."""


def yaml_problem(exc: yaml.YAMLError) -> str:
    """A YAML error as one problem: where (line and column, counted from 1) and what, in words where there are."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = str(getattr(exc, "problem", None) or exc)
    words = _YAML.get(problem, problem)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    if isinstance(exc, yaml.constructor.ConstructorError):
        return f"cannot read the value{where}: {words}"
    return f"not valid YAML{where}: {words}"


def type_words(kind: str) -> str | None:
    """What a value should have been, for a pydantic error of type ``kind``, in words (``a whole number``); None
    when there are none for it. The neutral format's reader says its errors in the same words."""
    return _BY_TYPE.get(kind)


def plain_problems(
    errors: Iterable[ErrorDetails], model: type[BaseModel], written: Mapping[str, str] | None = None
) -> list[str]:
    """One line per problem (the several errors pydantic gives for one value of a union become one). ``written``:
    the numbers of the policy's text as they were written, by location (``version`` → ``2026.10``), to quote the
    text a number should have been."""
    grouped: dict[str, list[ErrorDetails]] = {}
    for error in errors:
        grouped.setdefault(location(_named(error["loc"])), []).append(error)
    problems: list[str] = []
    for where, group in grouped.items():
        # a validator's message may hold several problems, a line each, each naming its own key already
        for line in _sentence(group, model, (written or {}).get(where)).split("\n"):
            problems.append(line if _names_its_key(line, where, model) else f"{where}: {line}")
    return problems


def _names_its_key(problem: str, where: str, model: type[BaseModel]) -> bool:
    """Whether a validator's ``problem`` at ``where`` starts with its own key (``rules.coverage.wait_fraction:
    ...`` at ``rules``), so that the key is not said twice."""
    if where == "(top level)":
        first = problem.split(":", 1)[0].split(" ", 1)[0]
        return first.split(".", 1)[0].split("[", 1)[0] in model.model_fields
    return problem.startswith(where) and problem[len(where) : len(where) + 1] in (".", "[", ":", " ")


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


def problem_words(errors: list[ErrorDetails], model: type[BaseModel]) -> str:
    """What is wrong with the value the first of ``errors`` is about, in words, without its key (a condition's
    parameter says it under the condition's key)."""
    where = _named(errors[0]["loc"])
    return _sentence([e for e in errors if _named(e["loc"]) == where], model)


def _sentence(group: list[ErrorDetails], model: type[BaseModel], written: str | None = None) -> str:
    first = group[0]
    kind = first["type"]
    loc = _named(first["loc"])
    value = first.get("input")
    if kind == "string_type" and isinstance(value, int | float) and not isinstance(value, bool):
        text = written if written is not None else repr(value)
        return f'expected text: put it in quotes, "{text}"' + (
            f" (without them YAML reads the number {value!r})" if text != repr(value) else ""
        )
    if kind == "finite_number":
        return f"expected {_expected(group, loc)}{_given(first)}, which is not allowed"
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
        if isinstance(bound, float) and bound.is_integer():
            bound = int(bound)  # 10, as the handbook says it, not 10.0
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
    if isinstance(value, float) and value != value:
        return ", got .nan (not a number)"
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        return f", got {'' if value > 0 else '-'}.inf (infinity)"
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
