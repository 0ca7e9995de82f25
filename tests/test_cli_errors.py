"""Errors about paths the user gave: one line that names the path and says why, exit 1, no traceback."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from intently.demo import generate_export
from intently.policy import load_policy
from intently.store import Store
from intently.store.pipeline import import_path
from tests.cli_runner import intently as run_intently


def intently(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTENTLY_")}
    return run_intently(*args, cwd=cwd, env=env)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("store")
    generate_export(folder / "export", tickets=20, seed=4)
    with Store.open(folder / "intently.db") as opened:
        import_path(folder / "export", opened, load_policy(folder / "export" / "intently.yaml"))
    return folder / "intently.db"


@pytest.mark.parametrize(
    "args",
    [
        ["report", "--html", "{missing}/report.html", "--db", "{db}"],
        ["policy", "render", "--out", "{missing}/handbook.md"],
        ["zendesk-app", "build", "--url", "https://intently.example.com", "--out", "{missing}/app.zip"],
    ],
)
def test_writing_into_a_folder_that_does_not_exist_is_one_clear_line(
    store: Path, tmp_path: Path, args: list[str]
) -> None:
    missing = tmp_path / "no-such-folder"
    args = [part.format(missing=missing, db=store) for part in args]
    done = intently(*args, cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert "Traceback" not in done.stderr and len(lines) <= 2, done.stderr
    assert "does not exist" in done.stderr and "no-such-folder" in " ".join(done.stderr.split())
    assert not missing.exists()


def test_writing_over_a_folder_says_so(store: Path, tmp_path: Path) -> None:
    (tmp_path / "report.html").mkdir()
    done = intently("report", "--html", "report.html", "--db", str(store), cwd=tmp_path)
    assert done.returncode == 1 and "report.html is a folder" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("ticket_id", ["²", "99999999999999999999999", "0", "no-such-ticket"])
def test_an_id_no_ticket_has_is_not_found_in_one_line(store: Path, tmp_path: Path, ticket_id: str) -> None:
    done = intently("explain", ticket_id, "--db", str(store), cwd=tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert f"ticket {ticket_id} not found in the store" in done.stderr
