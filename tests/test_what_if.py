"""A what-if never writes, and one precedence for the policy.

"The store's policy" is the policy saved in the store (by ``import`` with a policy file, ``policy adopt``, the
demo or the dashboard), else the default. A policy file given (--config, $INTENTLY_CONFIG, ./intently.yaml)
that differs from it makes ``classify``, ``explain`` and ``report`` a what-if: judged in memory, the store left
byte for byte as it was. ``import`` and ``policy adopt`` make a policy the store's.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from intently.model import TicketHistory
from intently.policy import fingerprint, load_policy
from intently.store import Store, database_url
from tests.cli_runner import intently
from tests.store_snapshot import data_snapshot, snapshot
from tests.test_zendesk_export import _small_export

PROPOSAL = "version: proposal-2\nrules:\n  solicited:\n    enabled: false\n"
READS = [
    ["classify", "-f", "jsonl"],
    ["classify", "-f", "csv"],
    ["classify", "-f", "json"],
    ["classify"],
    ["report"],
    ["explain", "7"],
]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("INTENTLY_CONFIG", "INTENTLY_DB")}
    return {**env, **extra}


def _file_bytes(url: str) -> str | None:
    """The SQLite file's digest (None for PostgreSQL)."""
    full = database_url(url)
    if not full.startswith("sqlite:///"):
        return None
    return hashlib.sha256(Path(full.removeprefix("sqlite:///")).read_bytes()).hexdigest()


@pytest.fixture
def stale_store(tmp_path: Path, store_url: str) -> str:
    """A store whose judgements are out of date (a ticket stored without judging): any write would show."""
    export = _small_export().write(tmp_path / "export")
    assert intently("import", str(export), "--db", store_url, env=_env()).returncode == 0
    with Store.open(store_url) as store:
        history = next(iter(store.histories()))
        with store.batch() as batch:
            batch.put_histories([TicketHistory.of(history.ticket, history.events[:-2])])
    return store_url


@pytest.mark.parametrize("given", ["--config", "$INTENTLY_CONFIG", "./intently.yaml"])
def test_a_what_if_leaves_the_store_untouched(tmp_path: Path, stale_store: str, given: str) -> None:
    proposal = tmp_path / "proposal.yaml"
    proposal.write_text(PROPOSAL)
    work = tmp_path / "work"
    work.mkdir()
    args, env = [], _env()
    if given == "--config":
        args = ["--config", str(proposal)]
    elif given == "$INTENTLY_CONFIG":
        env["INTENTLY_CONFIG"] = str(proposal)
    else:
        (work / "intently.yaml").write_text(PROPOSAL)
    before, file_before = snapshot(stale_store), _file_bytes(stale_store)
    for command in READS if given == "--config" else READS[:1] + READS[3:5]:
        done = intently(*command, "--db", stale_store, *args, cwd=work, env=env)
        assert done.returncode == 0, (command, done.stderr)
        machine = "-f" in command
        said = " ".join((done.stderr if machine else done.stdout).split())
        assert "what-if: judged under" in said and "(policy intently-default proposal-2);" in said, command
        assert "the store's judgements (policy intently-default 1.0.0) are unchanged" in said
        assert snapshot(stale_store) == before, command
        assert _file_bytes(stale_store) == file_before, command
        if command == ["classify", "-f", "jsonl"]:  # stdout stays clean, and is judged under the proposal
            rules = [json.loads(line)["rule"] for line in done.stdout.splitlines()]
            assert rules and "solicited" not in rules
    with Store.open(stale_store) as store:  # still stale: nothing judged it again
        assert store.judgements_stale(fingerprint(load_policy())) == "the data changed since they were made"


def test_a_policy_file_equal_to_the_stores_is_no_what_if(tmp_path: Path, store_url: str) -> None:
    export = _small_export().write(tmp_path / "export")
    proposal = tmp_path / "proposal.yaml"
    proposal.write_text(PROPOSAL)
    assert intently("import", str(export), "--db", store_url, "--config", str(proposal)).returncode == 0
    before = data_snapshot(store_url)
    (tmp_path / "intently.yaml").write_text(PROPOSAL)  # the policy the import adopted
    for command in READS:
        done = intently(*command, "--db", store_url, cwd=tmp_path, env=_env())
        assert done.returncode == 0 and "what-if" not in done.stdout + done.stderr, command
    without = intently("classify", "--db", store_url, "-f", "jsonl", env=_env(), cwd=tmp_path / "export")
    assert (
        '"rule":"solicited"' not in without.stdout and "what-if" not in without.stderr
    )  # the store's own: the proposal
    assert data_snapshot(store_url) == before  # current judgements: reading changes no data either (`report` keeps
    # its figures for the data version, so that the next one reads them)


def test_policy_adopt_makes_a_policy_the_stores_in_one_go(tmp_path: Path, store_url: str) -> None:
    export = _small_export().write(tmp_path / "export")
    assert intently("import", str(export), "--db", store_url).returncode == 0
    proposal = tmp_path / "proposal.yaml"
    proposal.write_text(PROPOSAL)
    adopted = intently("policy", "adopt", str(proposal), "--db", store_url, env=_env())
    assert adopted.returncode == 0, adopted.stderr
    text = " ".join(adopted.stdout.split())
    assert (
        "Adopted" in text
        and "intently-default proposal-2" in text
        and "replacing intently-default 1.0.0 (built-in default)" in text
    )
    assert "Intentional help │ 2 │ 1 │ -1" in text and "Drive-by │ 0 │ 1 │ +1" in text
    with Store.open(store_url) as store:
        assert store.saved_policy() is not None
        assert store.judgements_are_current(fingerprint(load_policy(proposal)))
    later = intently("classify", "--db", store_url, "-f", "jsonl", env=_env(), cwd=tmp_path)
    assert "what-if" not in later.stderr and '"rule":"solicited"' not in later.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  coverage:\n    wait_fraction: lots\n")
    before = snapshot(store_url)
    refused = intently("policy", "adopt", str(bad), "--db", store_url, env=_env())
    assert refused.returncode == 1 and "rules.coverage.wait_fraction" in refused.stderr
    assert snapshot(store_url) == before


def test_policy_show_render_and_test_use_the_store_like_every_command(tmp_path: Path) -> None:
    demo = tmp_path / "demo"
    made = intently("demo", "--out", str(demo), "--tickets", "30", "--until", "2026-11-29", env=_env())
    assert made.returncode == 0, made.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    db = str(demo / "intently.db")
    handbook = intently("policy", "render", "--config", str(demo / "intently.yaml"), cwd=empty, env=_env()).stdout
    bare = intently("policy", "render", cwd=empty, env=_env())
    assert bare.returncode == 0 and bare.stderr == "" and bare.stdout != handbook  # no store: the default
    from_env = intently("policy", "render", cwd=empty, env=_env(INTENTLY_DB=db))
    assert from_env.returncode == 0 and from_env.stdout == handbook
    assert intently("policy", "render", "--db", db, cwd=empty, env=_env()).stdout == handbook
    (empty / "intently.db").write_bytes((demo / "intently.db").read_bytes())  # ./intently.db is the store
    assert intently("policy", "render", cwd=empty, env=_env()).stdout == handbook
    (empty / "intently.db").unlink()
    shown = intently("policy", "show", cwd=empty, env=_env(INTENTLY_DB=db))
    assert "saved in the store" in shown.stdout and "pods:" in shown.stdout
    assert "built-in default" in intently("policy", "show", cwd=empty, env=_env()).stdout
    tested = intently("policy", "test", "--db", db, cwd=empty, env=_env())
    assert tested.returncode == 0 and "Scenarios under" in tested.stdout
    (empty / "intently.yaml").write_text(PROPOSAL)  # a policy file given wins over the store's
    assert "proposal-2" in intently("policy", "show", cwd=empty, env=_env(INTENTLY_DB=db)).stdout
    missing = intently("policy", "render", cwd=empty, env=_env(INTENTLY_DB=str(tmp_path / "absent.db")))
    assert missing.returncode == 1 and "no store at" in missing.stderr


def test_policy_adopt_adopts_what_policy_compare_weighed(tmp_path: Path) -> None:
    """A proposal is read over the store's policy by ``compare`` and ``adopt`` alike: the demo's pods and time off
    stay. ``--over-default`` reads it over the default in both, and the comparison names what then goes."""
    demo = tmp_path / "demo"
    assert intently("demo", "--out", str(demo), "--tickets", "40", "--until", "2026-11-29", env=_env()).returncode == 0
    db = str(demo / "intently.db")
    with Store.open(db) as store:
        saved = store.saved_policy()
    assert saved is not None and saved["organisation"]["pods"]
    proposal = tmp_path / "proposal.yaml"
    proposal.write_text('version: "2026.3"\n')
    weighed = intently("policy", "compare", str(proposal), "--db", db, env=_env(), cwd=tmp_path)
    assert weighed.returncode == 0 and "settings changed" not in weighed.stdout
    over_default = intently("policy", "compare", str(proposal), "--db", db, "--over-default", env=_env(), cwd=tmp_path)
    assert "settings changed: organisation.pods, organisation.out_of_office" in over_default.stdout

    adopted = intently("policy", "adopt", str(proposal), "--db", db, env=_env(), cwd=tmp_path)
    assert adopted.returncode == 0, adopted.stderr
    with Store.open(db) as store:
        kept = store.saved_policy()
    assert kept == {**saved, "version": "2026.3"}  # the pods and the time off stay
    again = intently("policy", "adopt", str(proposal), "--db", db, env=_env(), cwd=tmp_path)
    assert again.returncode == 0 and "changes nothing" in again.stdout and "judged again across" not in again.stdout

    proposal.write_text('version: "2026.4"\n')
    replaced = intently("policy", "adopt", str(proposal), "--db", db, "--over-default", env=_env(), cwd=tmp_path)
    assert replaced.returncode == 0 and "settings changed: organisation.pods" in replaced.stdout
    with Store.open(db) as store:
        assert store.saved_policy() == {**load_policy().model_dump(mode="json"), "version": "2026.4"}

    # a change under the version in force is refused, as the dashboard refuses it: judgements name their version
    proposal.write_text("rules:\n  solicited:\n    enabled: false\n")
    before = snapshot(db)
    kept = intently("policy", "adopt", str(proposal), "--db", db, env=_env(), cwd=tmp_path)
    assert kept.returncode == 1 and "Traceback" not in kept.stderr
    said = " ".join(kept.stderr.split())
    assert "was not adopted" in said and "keeps its version '2026.4'" in said and "version: 2026.4-1" in said
    assert snapshot(db) == before


def test_policy_compare_on_a_store_weighs_what_adopt_replaces_even_beside_a_policy_file(tmp_path: Path) -> None:
    """In a folder with its own ./intently.yaml (read by default), ``policy compare`` on the store still weighs the
    proposal against the store's policy, which ``adopt`` replaces, and says the file is not used: the verdicts it
    shows for the proposal are those adopting it gives."""
    demo = tmp_path / "demo"
    assert intently("demo", "--out", str(demo), "--tickets", "40", "--until", "2026-11-29", env=_env()).returncode == 0
    db = str(demo / "intently.db")
    work = tmp_path / "work"
    work.mkdir()
    (work / "intently.yaml").write_text('version: "local"\nrules:\n  ownership:\n    window: 5m\n')
    (work / "proposal.yaml").write_text('version: "2026.9"\nrules:\n  solicited:\n    enabled: false\n')
    weighed = intently("policy", "compare", "proposal.yaml", "--db", db, env=_env(), cwd=work)
    assert weighed.returncode == 0, weighed.stderr
    said = " ".join(weighed.stderr.split())
    assert "Weighed against the store's policy" in said and "intently policy compare --over-default" in said
    with Store.open(db) as store:
        saved = store.saved_policy()
    assert saved is not None
    assert f"current:  {saved['name']} {saved['version']}\n" in weighed.stdout and " 2026.9 " in weighed.stdout
    adopted = intently("policy", "adopt", "proposal.yaml", "--db", db, env=_env(), cwd=work)
    assert adopted.returncode == 0, adopted.stderr

    def verdicts(table: str, column: int) -> list[str]:  # the "Verdicts" table: verdict │ before │ after │ change
        lines = table.splitlines()
        after = lines[next(i for i, line in enumerate(lines) if "Verdicts" in line) :]
        rows = [line.split("│") for line in after if line.count("│") == 5][:4]  # the four verdicts
        return [row[column].strip() for row in rows]

    assert verdicts(weighed.stdout, 3) == verdicts(adopted.stdout, 3)  # proposed, as weighed = now, as adopted
    what_if = intently("report", "--db", db, env=_env(), cwd=work)  # ./intently.yaml: a what-if whose hint is true
    assert "intently policy adopt --over-default" in " ".join(what_if.stdout.split() + what_if.stderr.split())
