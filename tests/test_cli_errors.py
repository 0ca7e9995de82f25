"""Errors about paths the user gave: one line that names the path and says why, exit 1, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
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
    assert not missing.exists() and done.stdout == ""  # said before any work, not after the report is printed


def test_writing_over_a_folder_says_so(store: Path, tmp_path: Path) -> None:
    (tmp_path / "report.html").mkdir()
    done = intently("report", "--html", "report.html", "--db", str(store), cwd=tmp_path)
    assert done.returncode == 1 and "report.html is a folder" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("ticket_id", ["²", "99999999999999999999999", "0", "no-such-ticket"])
def test_an_id_no_ticket_has_is_not_found_in_one_line(store: Path, tmp_path: Path, ticket_id: str) -> None:
    done = intently("explain", ticket_id, "--db", str(store), cwd=tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert f"ticket {ticket_id} not found in the store" in done.stderr


def test_a_statement_the_database_refused_is_named_by_its_driver_error_only(tmp_path: Path) -> None:
    """What ``intently`` prints when a database refuses a statement: the driver's name for the error, never the
    statement or its values (customer data); any other exception is not taken for one."""
    import sqlalchemy

    from intently.cli import store_refused

    engine = sqlalchemy.create_engine(f"sqlite:///{tmp_path / 'refusing.db'}")
    with engine.connect() as connection:
        connection.execute(sqlalchemy.text("CREATE TABLE t (x TEXT NOT NULL)"))
        with pytest.raises(sqlalchemy.exc.StatementError) as refused:
            connection.execute(sqlalchemy.text("INSERT INTO t VALUES (NULL)"))
    engine.dispose()
    assert store_refused(refused.value) == "IntegrityError"
    assert store_refused(ValueError("INSERT INTO t VALUES (NULL)")) is None


def test_a_command_on_files_does_not_load_the_database_layer(tmp_path: Path) -> None:
    """``intently classify EXPORT`` never opens a store, so it starts without importing SQLAlchemy."""
    generate_export(tmp_path / "export", tickets=5, seed=2)
    probe = (
        "import sys\nfrom intently.cli import main\nsys.argv = ['intently', 'classify', sys.argv[1], '--format', "
        "'jsonl']\ntry:\n    main()\nfinally:\n    sys.stderr.write(repr(sorted(m for m in sys.modules if "
        "m.startswith(('sqlalchemy', 'intently.store')))))\n"
    )
    run = subprocess.run([sys.executable, "-c", probe, str(tmp_path / "export")], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert '"verdict"' in run.stdout
    assert run.stderr.endswith("[]"), run.stderr


def test_another_applications_database_is_never_made_a_store(tmp_path: Path, store_url: str) -> None:
    """--db pointing at a database that holds other tables (and none of intently's): refused by reading and by
    importing commands alike, with the database left as it was; an empty one becomes a store."""
    from sqlalchemy import create_engine, inspect, text

    from intently.store import database_url

    engine = create_engine(database_url(store_url))
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)"))
        conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))  # theirs, not ours
        conn.execute(text("INSERT INTO alembic_version VALUES ('abc123def456')"))
    export = tmp_path / "export"
    generate_export(export, tickets=10, seed=4)
    for args in (["report"], ["classify", "-f", "jsonl"], ["import", str(export)], ["serve"]):
        done = intently(*args, "--db", store_url, cwd=tmp_path)
        assert done.returncode == 1, (args, done.stdout, done.stderr)
        assert "is not an intently store: it holds other tables (alembic_version, customers)" in done.stderr
        assert "Traceback" not in done.stderr and "newer intently" not in done.stderr
    with engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) == {"alembic_version", "customers"}
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "abc123def456"
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE customers"))
        conn.execute(text("DROP TABLE alembic_version"))
    engine.dispose()
    assert intently("import", str(export), "--db", store_url, cwd=tmp_path).returncode == 0


def test_serve_on_a_port_in_use_says_so_and_exits_1(store: Path, tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = intently("serve", "--db", str(store), "--port", str(port), cwd=tmp_path)
    assert done.returncode == 1
    assert f"port {port} on 127.0.0.1 is in use" in done.stderr and "--port" in done.stderr
    assert "intently serve on" not in done.stdout and "Traceback" not in done.stderr


def test_errors_about_a_setting_say_where_it_came_from(store: Path, tmp_path: Path) -> None:
    """A store or policy file the command line did not name was found through the environment or the folder:
    the error says which, since the user may not remember setting it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTENTLY_")}
    missing = run_intently("classify", cwd=tmp_path, env={**env, "INTENTLY_DB": str(tmp_path / "gone.db")})
    assert missing.returncode == 1 and "the store named by $INTENTLY_DB" in missing.stderr
    unset = run_intently("report", "--db", str(store), cwd=tmp_path, env={**env, "INTENTLY_CONFIG": "nosuch.yaml"})
    assert unset.returncode == 1 and "nosuch.yaml (named by $INTENTLY_CONFIG" in unset.stderr
    (tmp_path / "intently.yaml").write_text("rules:\n  coverage: {wait_fractio: 1}\n")
    local = run_intently("report", "--db", str(store), cwd=tmp_path, env=env)
    assert local.returncode == 1 and "(./intently.yaml in this folder, read by default" in local.stderr
    assert "did you mean 'wait_fraction'" in local.stderr
    named = run_intently("report", "--db", str(store), "--config", "intently.yaml", cwd=tmp_path, env=env)
    assert named.returncode == 1 and "read by default" not in named.stderr  # named on the command line: said as is
    folder = run_intently("policy", "validate", str(tmp_path), cwd=tmp_path, env=env)
    assert folder.returncode == 1 and "a folder, not a policy file" in folder.stderr


@pytest.mark.parametrize("words", [["explain"], ["guide", "--agent", "1"]])
def test_the_data_before_the_ticket_is_a_usage_error_that_shows_the_right_order(
    store: Path, tmp_path: Path, words: list[str]
) -> None:
    data = tmp_path / "tickets.jsonl"
    data.write_text("", encoding="utf-8")
    done = intently(*words, "tickets.jsonl", "102", cwd=tmp_path)
    said = " ".join(done.stderr.replace("│", " ").split())
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert "the ticket comes first, then the data: 102 tickets.jsonl, not tickets.jsonl 102" in said
