"""``intently policy init FILE``: a team's first policy file. As written it changes only the name and version;
the settings it shows (commented out) are the default's values, so uncommenting them changes nothing; it never
replaces a file."""

from __future__ import annotations

from pathlib import Path

import yaml

from intently.policy import load_policy
from tests.cli_runner import intently


def _uncommented(text: str) -> str:
    """The file with every commented setting switched on: ``# rules:``, ``# organisation:`` and the lines indented
    under them (the explanations above them stay comments)."""
    lines, settings = [], False
    for line in text.splitlines():
        settings = settings or line == "# rules:"  # the settings start there; above, the commands to run
        if settings and (line in ("# rules:", "# organisation:") or line.startswith("#   ")):
            line = line[2:]
        lines.append(line)
    return "\n".join(lines) + "\n"


def test_policy_init_writes_a_valid_file_that_changes_only_the_name_and_version(tmp_path: Path) -> None:
    done = intently("policy", "init", "team.yaml", "--name", 'billing "A" team', "--version", "2026.4", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "intently policy validate team.yaml" in " ".join(done.stdout.split())
    written = tmp_path / "team.yaml"
    text = written.read_text(encoding="utf-8")
    assert "intently policy test --config team.yaml" in text and "team.scenarios/" in text
    validated = intently("policy", "validate", "team.yaml", cwd=tmp_path)
    assert validated.returncode == 0, validated.stderr
    policy, default = load_policy(written), load_policy()
    assert (policy.name, policy.version) == ('billing "A" team', "2026.4")
    mine = policy.model_dump(exclude={"name", "version"})
    assert mine == default.model_dump(exclude={"name", "version"})
    assert [p.name for p in tmp_path.iterdir()] == ["team.yaml"]  # no temporary file left beside it


def test_the_settings_it_shows_are_the_defaults_values(tmp_path: Path) -> None:
    """Switching every shown setting on gives the default policy, plus the example pod and time off."""
    assert intently("policy", "init", "team.yaml", cwd=tmp_path).returncode == 0
    text = (tmp_path / "team.yaml").read_text(encoding="utf-8")
    assert "#     window: 30m" in text and "#     wait_fraction: 0.75" in text and "#     urgent:" in text
    switched = tmp_path / "switched.yaml"
    switched.write_text(_uncommented(text), encoding="utf-8")
    data = yaml.safe_load(switched.read_text(encoding="utf-8"))
    assert set(data["rules"]) == {"ownership", "solicited", "coverage"}
    assert set(data["organisation"]) == {"pods", "out_of_office", "regions", "reply_targets"}
    policy, default = load_policy(switched), load_policy()
    skip = {"name": True, "version": True, "organisation": {"pods": True, "out_of_office": True}}
    assert policy.model_dump(exclude=skip) == default.model_dump(exclude=skip)
    assert list(policy.organisation.pods) == ["data"] and len(policy.organisation.out_of_office) == 1


def test_policy_init_never_replaces_a_file(tmp_path: Path) -> None:
    mine = tmp_path / "team.yaml"
    mine.write_text("version: mine\n", encoding="utf-8")
    done = intently("policy", "init", "team.yaml", cwd=tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "team.yaml exists and was left as it is" in " ".join(done.stderr.split())
    assert mine.read_text(encoding="utf-8") == "version: mine\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["team.yaml"]
    missing = intently("policy", "init", "nowhere/team.yaml", cwd=tmp_path)
    assert missing.returncode == 1 and "the folder nowhere does not exist" in " ".join(missing.stderr.split())
