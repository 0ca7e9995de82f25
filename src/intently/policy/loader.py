"""Loading a policy: the shipped default, with a user's override file merged over it, validated."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import orjson
import yaml
from pydantic import ValidationError

from intently.errors import PolicyError
from intently.policy.messages import location, plain_problems, yaml_problem
from intently.policy.schema import Policy, patched_rules

DEFAULT_POLICY_FILE = "default.yaml"


def default_policy_data() -> dict[str, Any]:
    text = resources.files("intently.policy").joinpath(DEFAULT_POLICY_FILE).read_text(encoding="utf-8")
    return parse_policy(text, "default policy")


class _PolicyYaml(yaml.SafeLoader):
    """YAML as ``yaml.safe_load`` reads it, except that a key written twice in one mapping is a problem (YAML
    itself keeps the last one silently), and a date that does not exist is said as one (not a ValueError)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[str] = []
        self.numbers: dict[str, str] = {}
        self.lines: dict[str, int] = {}
        self._paths: dict[int, tuple[Any, ...]] = {}

    def construct_document(self, node: yaml.Node) -> Any:
        self._walk(node, (), set())
        return super().construct_document(node)

    def _walk(self, node: yaml.Node, path: tuple[Any, ...], seen: set[int]) -> None:
        """Each node's place in the document (``organisation.regions``), for the problems found in it; and how each
        number was written. A rule in a list of rules is also found by its id (``rules.pod_voice``), as the
        policy's problems name it. Each node is visited once (an alias does not repeat what it points to)."""
        if id(node) in seen:
            return
        seen.add(id(node))
        self._paths.setdefault(id(node), path)
        if isinstance(node, yaml.ScalarNode):
            if node.tag in (_INT, _FLOAT):
                self.numbers[location(path)] = node.value
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                inner = (*path, key.value if isinstance(key, yaml.ScalarNode) else "?")
                self.lines.setdefault(location(inner), key.start_mark.line + 1)
                self._walk(value, inner, seen)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self.lines.setdefault(location((*path, index)), item.start_mark.line + 1)
                self._walk(item, (*path, index), seen)
                rule_id = _rule_id(item) if path == ("rules",) else None
                if rule_id is not None:
                    self.lines.setdefault(location(("rules", rule_id)), item.start_mark.line + 1)
                    self._walk(item, ("rules", rule_id), set())

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, list[tuple[int, int]]] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                continue  # a merge (<<) may repeat keys: the mapping's own win, as YAML means
            key = self.construct_object(key_node)
            seen.setdefault(key if _hashable(key) else repr(key), []).append(
                (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            )
        for key, marks in seen.items():
            if len(marks) > 1:
                where = location((*self._paths.get(id(node), ()), key))
                times = "twice" if len(marks) == 2 else f"{len(marks)} times"
                self.duplicates.append(
                    f"{where}: written {times}, at {_places(marks)}: write each key once (YAML would keep only the "
                    "last and drop the others without a word)"
                )
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"{node.value} is not a date ({exc}): write a date as YYYY-MM-DD", node.start_mark
            ) from None


_PolicyYaml.add_constructor("tag:yaml.org,2002:timestamp", _PolicyYaml.construct_yaml_timestamp)


def _places(marks: list[tuple[int, int]]) -> str:
    """``lines 2 and 5``; ``line 3, columns 12 and 31`` when on one line."""
    lines = [line for line, _ in marks]
    if len(set(lines)) == len(lines):
        return "lines " + _and([str(line) for line in lines])
    if len(set(lines)) == 1:
        return f"line {lines[0]}, columns " + _and([str(column) for _, column in marks])
    return _and([f"line {line} column {column}" for line, column in marks])


def _and(items: list[str]) -> str:
    return ", ".join(items[:-1]) + f" and {items[-1]}"


_INT, _FLOAT = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"


def _rule_id(node: yaml.Node) -> str | None:
    """The id a rule of a list of rules is written with (``- id: pod_voice``), if any."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == "id" and isinstance(value, yaml.ScalarNode):
                return str(value.value)
    return None


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


@dataclass(frozen=True)
class PolicyText:
    """What a policy's text holds (``data``), and how it was written: each number's text by its key's location
    (``version`` → ``2026.10``, which YAML reads as the number 2026.1), and the line of each key (a rule of a list
    of rules by its index and by its id)."""

    data: dict[str, Any]
    numbers: dict[str, str] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)

    def line_of(self, problem: str) -> int | None:
        """The line of the key a problem names (``rules.pod.when: any[0].author_in_pod: ...``), or of the nearest
        key around it the text has; None when the text has none of them."""
        parts = []
        for part in problem.split(": "):
            word = part.split(" ", 1)[0]
            if not _LOCATION.fullmatch(word):
                break
            parts.append(word)
            if word != part:
                break  # "rules.internal_note cannot be disabled"
        where = ".".join(parts)
        while where:
            if where in self.lines:
                return self.lines[where]
            where = _OUTER.sub("", where)
        return None

    def with_lines(self, problems: list[str]) -> list[str]:
        """Each problem with the line of its key, where the text has it: ``... (line 4)``."""
        lines = [self.line_of(problem) for problem in problems]
        return [
            problem if line is None else f"{problem} (line {line})"
            for problem, line in zip(problems, lines, strict=True)
        ]


_LOCATION = re.compile(r"[A-Za-z_][\w-]*(?:\.[\w-]+|\[\d+\])*")
"""A key's location as problems name it: ``organisation.out_of_office[0].end``."""
_OUTER = re.compile(r"(?:\.[\w-]+|\[\d+\])$")


def read_policy_text(text: str, source: str) -> PolicyText:
    """The mapping a policy's text (YAML or JSON) holds; a :class:`PolicyError` naming ``source`` for text that is
    not YAML, writes a key twice, or is not a mapping of keys. Files and the dashboard's proposals read alike."""
    loader = _PolicyYaml(text)
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        raise PolicyError(source, [yaml_problem(exc)]) from None
    finally:
        loader.dispose()
    if loader.duplicates:
        raise PolicyError(source, loader.duplicates)
    if data is None:
        return PolicyText({})
    if not isinstance(data, dict):
        raise PolicyError(source, [f"the top level must be a mapping of keys, got {type(data).__name__}"])
    return PolicyText(data, loader.numbers, loader.lines)


def parse_policy(text: str, source: str) -> dict[str, Any]:
    """The mapping a policy's text holds (:func:`read_policy_text`)."""
    return read_policy_text(text, source).data


def read_policy(path: str | Path) -> PolicyText:
    """A YAML (or JSON) policy file, read (:func:`read_policy_text`)."""
    path = Path(path)
    if path.is_dir():
        raise PolicyError(str(path), ["a folder, not a policy file (a YAML file such as team.yaml)"])
    if not path.is_file():
        raise PolicyError(str(path), ["file not found"])
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise PolicyError(str(path), ["not a UTF-8 text file"]) from exc
    return read_policy_text(text, str(path))


def read_policy_file(path: str | Path) -> dict[str, Any]:
    """The raw mapping in a YAML (or JSON) policy file."""
    return read_policy(path).data


def merge(base: Any, override: Any, problems: list[str] | None = None) -> Any:
    """Merge ``override`` over ``base``: mappings key by key, everything else replaced; except that ``rules`` given
    as a mapping changes the base's list of rules by id (a list replaces it). A change to a rule that cannot be
    made is left out and said in ``problems``; without that list, it raises a ValueError naming them all."""
    found: list[str] = [] if problems is None else problems
    result = _merge(base, override, found)
    if problems is None and found:
        raise ValueError("\n".join(found))
    return result


def _merge(base: Any, override: Any, problems: list[str]) -> Any:
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            if key == "rules" and isinstance(base.get(key), list) and isinstance(value, dict):
                merged[key], found = patched_rules(base[key], value)
                problems.extend(found)
            else:
                merged[key] = _merge(base[key], value, problems) if key in base else value
        return merged
    return override


def validate_policy(data: dict[str, Any], source: str = "policy", written: PolicyText | None = None) -> Policy:
    """``data`` as a policy; a :class:`PolicyError` naming ``source`` with every problem. ``written``: the text it
    was read from, to say a problem as the text has it."""
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        numbers = written.numbers if written is not None else None
        raise PolicyError(source, plain_problems(exc.errors(), Policy, numbers)) from None


def merged(base: dict[str, Any], override: dict[str, Any], source: str) -> dict[str, Any]:
    """:func:`merge`, with the changes to the rules by id that cannot be made named as the policy's (``source``)."""
    problems: list[str] = []
    result: dict[str, Any] = merge(base, override, problems)
    if problems:
        raise PolicyError(source, problems)
    return result


def _merged_and_validated(base: dict[str, Any], override: dict[str, Any] | PolicyText, source: str) -> Policy:
    """``override`` merged over ``base`` and validated, with every problem of both steps named as ``source``'s at
    once (a rule change that cannot be made does not hide a wrong value elsewhere in the file)."""
    written = override if isinstance(override, PolicyText) else None
    problems: list[str] = []
    data = merge(base, written.data if written is not None else override, problems)
    try:
        policy = validate_policy(data, source, written)
    except PolicyError as exc:
        problems.extend(exc.problems)
    if problems:
        raise PolicyError(source, written.with_lines(problems) if written is not None else problems)
    return policy


def load_policy(path: str | Path | None = None) -> Policy:
    """The effective policy: the default, with the file at ``path`` (if any) merged over it."""
    if path is None:
        return validate_policy(default_policy_data(), "default policy")
    return _merged_and_validated(default_policy_data(), read_policy(path), str(path))


def merged_over(policy: Policy, override: dict[str, Any] | PolicyText, source: str) -> Policy:
    """``override`` (a proposal: only what differs, or a whole policy; a mapping, or as read from its text) merged
    over ``policy``, validated; what it leaves out stays as ``policy`` has it. Problems are named as ``source``'s."""
    return _merged_and_validated(policy.model_dump(), override, source)


def policy_from_mapping(override: dict[str, Any] | None, source: str = "policy") -> Policy:
    """The default policy with an in-memory override merged over it (scenarios use this)."""
    return _merged_and_validated(default_policy_data(), override or {}, source)


def fingerprint(policy: Policy) -> str:
    """A short, stable hash of the effective policy, stored with every judgement."""
    payload = orjson.dumps(policy.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(payload).hexdigest()[:12]


def version_problem(current: Policy, proposed: Policy) -> str | None:
    """Why ``proposed`` cannot replace ``current`` as it is: it changes the policy but keeps its version (judgements
    and reports name the version they were made under, so two definitions under one name would mix in every figure).
    None when it may: a new version, or no change at all (adopting that judges nothing again)."""
    if proposed.version != current.version or fingerprint(proposed) == fingerprint(current):
        return None
    return (
        f"it changes the policy but keeps its version {current.version!r}: give it a new one (e.g. version: "
        f"{current.version}-1 or a higher number), since judgements and reports name the version they were made under"
    )


def dump_policy(policy: Policy) -> str:
    """The effective policy as YAML, in the shape of the policy file."""
    return yaml.safe_dump(policy.model_dump(mode="json"), sort_keys=False, allow_unicode=True, width=100)
