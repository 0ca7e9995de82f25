"""Loading a policy: the shipped default, with a user's override file merged over it, validated."""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path
from typing import Any

import orjson
import yaml
from pydantic import ValidationError

from intently.errors import PolicyError
from intently.policy.messages import plain_problems
from intently.policy.schema import Policy, patch_rules

DEFAULT_POLICY_FILE = "default.yaml"


def default_policy_data() -> dict[str, Any]:
    text = resources.files("intently.policy").joinpath(DEFAULT_POLICY_FILE).read_text(encoding="utf-8")
    return yaml.safe_load(text)


def read_policy_file(path: str | Path) -> dict[str, Any]:
    """The raw mapping in a YAML (or JSON) policy file."""
    path = Path(path)
    if path.is_dir():
        raise PolicyError(str(path), ["a folder, not a policy file (a YAML file such as team.yaml)"])
    if not path.is_file():
        raise PolicyError(str(path), ["file not found"])
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise PolicyError(str(path), [f"not valid YAML{where}: {getattr(exc, 'problem', exc)}"]) from exc
    except UnicodeDecodeError as exc:
        raise PolicyError(str(path), ["not a UTF-8 text file"]) from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise PolicyError(str(path), [f"the top level must be a mapping of keys, got {type(data).__name__}"])
    return data


def merge(base: Any, override: Any) -> Any:
    """Merge ``override`` over ``base``: mappings key by key, everything else replaced; except that ``rules`` given
    as a mapping changes the base's list of rules by id (a list replaces it)."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            if key == "rules" and isinstance(base.get(key), list) and isinstance(value, dict):
                merged[key] = _patched(base[key], value)
            else:
                merged[key] = merge(base[key], value) if key in base else value
        return merged
    return override


def _patched(rules: list[Any], patches: dict[str, Any]) -> Any:
    try:
        return patch_rules(rules, patches)
    except ValueError as problem:
        raise _PatchError(str(problem)) from None


class _PatchError(ValueError):
    """A change to the rules by id that cannot be made (the caller names the file)."""


def validate_policy(data: dict[str, Any], source: str = "policy") -> Policy:
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        raise PolicyError(source, plain_problems(exc.errors(), Policy)) from None


def load_policy(path: str | Path | None = None) -> Policy:
    """The effective policy: the default, with the file at ``path`` (if any) merged over it."""
    data = default_policy_data()
    source = "default policy"
    if path is not None:
        source = str(path)
        data = merged(data, read_policy_file(path), source)
    return validate_policy(data, source)


def merged(base: dict[str, Any], override: dict[str, Any], source: str) -> dict[str, Any]:
    """:func:`merge`, with a problem in changing the rules by id named as the policy's (``source``)."""
    try:
        result: dict[str, Any] = merge(base, override)
    except _PatchError as problem:
        raise PolicyError(source, [str(problem)]) from None
    return result


def merged_over(policy: Policy, override: dict[str, Any], source: str) -> Policy:
    """``override`` (a proposal: only what differs, or a whole policy) merged over ``policy``, validated; what it
    leaves out stays as ``policy`` has it. Problems are named as ``source``'s."""
    return validate_policy(merged(policy.model_dump(), override, source), source)


def policy_from_mapping(override: dict[str, Any] | None, source: str = "policy") -> Policy:
    """The default policy with an in-memory override merged over it (scenarios use this)."""
    return validate_policy(merged(default_policy_data(), override or {}, source), source)


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
