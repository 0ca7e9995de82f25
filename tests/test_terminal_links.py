"""Ticket ids in the terminal report link to Zendesk: an OSC 8 hyperlink around each id of "Recent drive-bys to
follow up" when the report goes to a terminal, nothing extra when it is piped, and no link from a hostile base."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest
from rich.console import Console

from intently.demo import generate_export
from intently.policy import load_policy
from intently.report import Metrics, build_metrics, print_report
from intently.report.formatting import ticket_link
from intently.store import Store
from intently.store.pipeline import import_path
from tests.cli_runner import intently_process
from tests.test_report import EVIL_ID, POLICY, _judge

BASE = "https://acme.zendesk.com"
OSC8 = re.compile(r"\x1b\]8;[^;\x1b]*;([^\x1b]*)\x1b\\(.*?)\x1b\]8;;\x1b\\")


@pytest.fixture(scope="module")
def metrics() -> Metrics:
    judgements, users, _ = _judge()
    return build_metrics(judgements, users, policy_name=POLICY.name, policy_version=POLICY.version)


@pytest.fixture(autouse=True)
def _colour_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """A terminal that is not ``dumb`` (Rich writes no escape sequence at all to a dumb one)."""
    monkeypatch.setenv("TERM", "xterm-256color")


def _render(metrics: Metrics, base: str | None, *, terminal: bool) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=terminal, width=120)
    print_report(metrics, console, zendesk_base=base)
    return buffer.getvalue()


def test_each_ticket_id_links_to_zendesk_in_a_terminal(metrics: Metrics) -> None:
    shown = _render(metrics, BASE, terminal=True)
    links = {text: url for url, text in OSC8.findall(shown)}
    ids = [x.ticket_id for x in metrics.drive_by_examples]
    assert ids == [EVIL_ID, 101]
    assert links == {
        f"#{EVIL_ID}": f"{BASE}/agent/tickets/%3Cb%3ET4%3C%2Fb%3E",  # the id quoted in the address
        "#101": f"{BASE}/agent/tickets/101",
    }


def test_piped_output_has_no_escape_sequence(metrics: Metrics) -> None:
    shown = _render(metrics, BASE, terminal=False)
    assert "\x1b" not in shown
    assert f"#{EVIL_ID}" in shown and "#101" in shown


@pytest.mark.parametrize(
    "base",
    [
        None,
        "",
        "javascript:alert(1)",
        "https://acme.zendesk.com\x1b]8;;https://evil.example\x1b\\",
        "https://acme.zendesk.com\x9c",  # an 8-bit string terminator
        "https://acme.zendesk.com\x07",
        "https://acme zendesk.com",
    ],
)
def test_a_hostile_or_missing_base_gives_no_link(metrics: Metrics, base: str | None) -> None:
    assert ticket_link(base, 101) is None
    shown = _render(metrics, base, terminal=True)
    assert "\x1b]8;" not in shown
    assert "evil.example" not in shown and "javascript" not in shown


def test_the_report_command_links_ticket_ids_in_a_terminal(tmp_path: Path) -> None:
    export = tmp_path / "export"
    generate_export(export, tickets=40, seed=3)
    db = tmp_path / "store.db"
    with Store.open(db) as store:
        import_path(export, store, load_policy(export / "intently.yaml"))
        base = store.zendesk_base()
    assert base is not None
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE", "NO_COLOR", "TERM")}
    for source in (["--db", str(db)], [str(export)]):
        piped = intently_process("report", *source, env=env)
        assert piped.returncode == 0, piped.stderr
        assert "\x1b" not in piped.stdout and "Recent drive-bys" in piped.stdout
        shown = intently_process("report", *source, env={**env, "FORCE_COLOR": "1", "TERM": "xterm-256color"})
        assert shown.returncode == 0, shown.stderr
        links = OSC8.findall(shown.stdout)
        assert links, source
        assert all(url == f"{base}/agent/tickets/{text.removeprefix('#')}" for url, text in links)
