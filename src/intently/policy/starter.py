"""A team's first policy file: only what differs from the default, with every setting a team usually changes shown
(commented out) at the value the default gives it, and the commands that check, test, weigh and adopt the file.

Written by ``intently policy init FILE``. The values shown are read from the default policy when the file is
written, so they are always the ones in force; the file, as written, changes nothing but the name and version.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from string import Template
from typing import Any

import yaml

from intently.policy.conditions import format_duration
from intently.policy.loader import load_policy
from intently.policy.schema import LEGACY_KEYS, Policy

_HEAD = Template("""\
# $file: your team's changes to intently's default policy.
#
# Write only what differs from the default: this file is merged over it, key by key. The settings teams change
# most are below, commented out, at the value the default gives them: remove the "# " in front of a setting (and
# of the section names above it) to change it. `intently policy show` prints the whole policy in force, and
# docs/policy.md explains every key, writing your own rules included.
#
# Then:
#   intently policy validate $file               check it (a mistake is named by its key)
#   intently policy test --config $file          run the scenarios; your own go in $scenarios/
#   intently policy render --config $file        the handbook page of this definition
#   intently policy compare $file                what would change on the stored tickets (writes nothing)
#   intently policy adopt $file                  make it the store's policy (give every change a new version)

name: $name
version: "$version"  # judgements and reports name the version they were made under: a new one for every change

""")

_RULES_HEAD = """\
# The rules are tried in order, and the first whose condition holds decides (`intently policy render` explains
# each). Change a rule's settings by its id, or switch one off with `enabled: false`:
# rules:
"""

_ORGANISATION = """\
# Your organisation: pods (engineers who help with each other's tickets; members by e-mail or Zendesk id) and time
# off (an assignee away counts as unavailable), as examples; then the regions with their business hours and the
# reply targets by priority, at the default's values:
# organisation:
#   pods:
#     data: {members: [pip@example.com, 40213], tags: [pipelines, warehouse]}
#   out_of_office:
#     - {agent: ana@example.com, start: 2026-08-03, end: 2026-08-14, note: holiday}
"""

_MEANING = {
    "window": "replying, then taking the ticket within this, is taking it over",
    "tags": "a tag on the ticket that asks for help",
    "followers": "added as a follower by someone else: asked to help",
    "ccs": "added as a CC by someone else: asked to help",
    "wait_fraction": "covering: the share of the reply target the customer has waited",
}
"""What each setting of :data:`~intently.policy.schema.LEGACY_KEYS` means, beside it in the file."""


def starter_text(file: Path, name: str = "my-team", version: str = "2026.1") -> str:
    """The text of a starter policy file named ``file`` (its name appears in the commands it lists)."""
    default = load_policy()
    scenarios = file.with_name(f"{file.stem}.scenarios")
    text = _HEAD.substitute(file=file, scenarios=scenarios, name=_scalar(name), version=version.replace('"', ""))
    return text + _RULES_HEAD + _rule_settings(default) + "\n" + _ORGANISATION + _organisation(default)


def _rule_settings(policy: Policy) -> str:
    """``#   rule_id:`` then ``#     key: value`` for each setting a rule of ``policy`` has (see LEGACY_KEYS)."""
    lines = []
    for rule_id, rule in policy.rules.items():
        settings = []
        for key in LEGACY_KEYS:
            try:
                value = getattr(rule, key)
            except AttributeError:  # this rule's condition has no such setting
                continue
            settings.append(f"#     {f'{key}: {_value(value)}':<36} # {_MEANING[key]}")
        if settings:
            lines += [f"#   {rule_id}:", *settings]
    return "\n".join(lines) + "\n"


def _organisation(policy: Policy) -> str:
    """The default's regions and reply targets as YAML, commented out."""
    data = policy.model_dump(mode="json")["organisation"]
    shown = {key: _without_nulls(data[key]) for key in ("regions", "reply_targets")}
    dumped = yaml.safe_dump(shown, sort_keys=False, allow_unicode=True, default_flow_style=None, width=100)
    return "".join(f"#   {line}\n" for line in dumped.splitlines())


def _without_nulls(value: Any) -> Any:
    """``value`` without the keys whose value is null (a setting left to its own default)."""
    if isinstance(value, dict):
        return {key: _without_nulls(item) for key, item in value.items() if item is not None}
    return value


def _value(value: Any) -> str:
    if isinstance(value, timedelta):
        return format_duration(value)
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_scalar(item) for item in value) + "]"
    return _scalar(value)


def _scalar(value: Any) -> str:
    """One value as YAML writes it on one line."""
    return yaml.safe_dump(value, default_flow_style=True, width=10**6).removesuffix("\n...\n").strip()
