"""What a helpdesk allows, a store keeps (or refuses plainly): NUL characters, long values, huge ids; a failed
first import leaves no store file; a database password is never printed."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from intently.store import Store
from tests.cli_runner import intently as run_intently
from tests.test_zendesk_export import _small_export
from tests.zendesk_builder import ExportBuilder

PASSWORD = "pw-s3cret-41"


def intently(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTENTLY_")}
    return run_intently(*args, cwd=cwd, env=env)


def _with_password(url: str) -> str:
    if url.startswith("postgresql"):
        return make_url(url).set(password=PASSWORD).render_as_string(hide_password=False)
    return url


def _set(path: str, value: Any) -> Callable[[ExportBuilder], None]:
    def change(builder: ExportBuilder) -> None:
        kind, index, key = path.split(".")
        getattr(builder, kind)[int(index)][key] = value
        if kind == "users" and key == "time_zone":
            builder.users[int(index)]["iana_time_zone"] = value

    return change


@pytest.mark.parametrize(
    ("change", "check"),
    [
        (_set("users.1.name", "Ana\x00Lee"), lambda s: s.directory().users[10].name == "Ana\ufffdLee"),
        (_set("tickets.0.subject", "Hi\x00there"), lambda s: s.ticket_count() == 1),
        (_set("tickets.0.status", "waiting-for-a-very-long-custom-status-name"), lambda s: s.ticket_count() == 1),
        (_set("users.1.role", "agent" * 10), lambda s: s.directory().users[10].role == "agent" * 10),
        (_set("tickets.0.priority", "p" * 50), lambda s: s.history(7).ticket.priority == "p" * 50),
    ],
    ids=["nul-in-a-name", "nul-in-a-subject", "long-status", "long-role", "long-priority"],
)
def test_what_the_helpdesk_allows_is_stored_on_every_backend(
    store_url: str, tmp_path: Path, change: Callable[[ExportBuilder], None], check: Callable[[Store], bool]
) -> None:
    builder = _small_export()
    change(builder)
    export = builder.write(tmp_path / "export")
    url = _with_password(store_url)
    done = intently("import", str(export), "--db", url, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert PASSWORD not in done.stdout + done.stderr
    with Store.open(store_url) as store:
        assert check(store)
        assert store.judgements_are_current(store.judged_policy() or "") and list(store.judgements())


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_set("tickets.0.id", 2**70), "tickets.page-001.json: tickets[0]: field id: not an id"),
        (_set("users.1.id", "u" * 65), "users.page-001.json: users[1]: not an id: 65 characters long (at most 64)"),
    ],
    ids=["id-beyond-64-bits", "id-longer-than-64-characters"],
)
def test_ids_no_store_can_keep_are_refused_by_name_and_nothing_is_stored(
    store_url: str, tmp_path: Path, change: Callable[[ExportBuilder], None], expected: str
) -> None:
    good = _small_export().write(tmp_path / "good")
    url = _with_password(store_url)
    assert intently("import", str(good), "--db", url, cwd=tmp_path).returncode == 0
    with Store.open(store_url) as store:
        before = [h.ticket for h in store.histories()], store.directory().users
    builder = _small_export()
    change(builder)
    done = intently("import", str(builder.write(tmp_path / "bad")), "--db", url, cwd=tmp_path)
    message = " ".join(done.stderr.split())
    assert done.returncode == 1 and expected in message, done.stderr
    assert "Traceback" not in done.stderr and "INSERT" not in done.stderr and PASSWORD not in message
    assert "casey@customer.test" not in message  # no SQL parameters (customers' addresses)
    with Store.open(store_url) as store:
        assert ([h.ticket for h in store.histories()], store.directory().users) == before


def test_a_failed_first_import_leaves_no_store_file(tmp_path: Path) -> None:
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "tickets.page-001.json").write_text('{"tickets": [{"id": 1')
    done = intently("import", "bad", "--db", "new.db", cwd=tmp_path)
    assert done.returncode == 1 and "not valid JSON" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad"]


@pytest.mark.parametrize("store_url", ["postgresql"], indirect=True)  # only a server's URL carries a password
def test_database_passwords_are_masked_in_every_message(store_url: str, tmp_path: Path) -> None:
    url = _with_password(store_url)
    export = _small_export().write(tmp_path / "export")
    (tmp_path / "team.yaml").write_text('version: "2"\n')
    runs = [
        intently("import", str(export), "--db", url, cwd=tmp_path),
        intently("policy", "adopt", "team.yaml", "--db", url, cwd=tmp_path),
        intently("report", "--db", url, cwd=tmp_path),
        intently("report", "--db", url.rsplit("/", 1)[0] + "/no_such_database_here", cwd=tmp_path),
        intently("report", "--db", url.replace("postgresql+psycopg", "postgresql+nodriver"), cwd=tmp_path),
    ]
    assert [run.returncode for run in runs] == [0, 0, 0, 1, 1], [run.stderr for run in runs]
    for run in runs:
        assert PASSWORD not in run.stdout + run.stderr
    assert "***" in runs[0].stdout and "***" in runs[3].stderr


def test_import_names_pod_members_the_data_does_not_know(tmp_path: Path) -> None:
    export = _small_export().write(tmp_path / "export")
    (tmp_path / "team.yaml").write_text(
        "organisation:\n  pods:\n    data:\n      members: [pip@example.com, pipp@example.com, 10]\n      tags: [etl]\n"
    )
    done = intently("import", str(export), "--db", "s.db", "--config", "team.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    message = " ".join(done.stderr.split())
    assert "organisation.pods.data.members: pipp@example.com is not an agent in the data" in message
    assert "pip@example.com," not in message


def test_a_store_from_a_newer_intently_is_refused_in_words(tmp_path: Path) -> None:
    from sqlalchemy import text

    with Store.open(tmp_path / "s.db") as store, store.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    done = intently("report", "--db", "s.db", cwd=tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "written by a newer intently (store schema 9999" in " ".join(done.stderr.split())
