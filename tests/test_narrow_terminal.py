"""Tables in a narrow terminal lose nothing: no value cut to ``2026-09-…``, no column fallen off the edge.

A table fits as a table when it can (its columns no narrower than their longest word); otherwise each row is
listed as ``first cell: header value · header value``, wrapped to the terminal.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from rich.console import Console

from intently.policy import load_policy
from intently.report.kept import write_stored_report
from intently.report.metrics import Metrics
from intently.report.tables import FitTable
from intently.report.terminal import print_report
from intently.store import Store
from tests.cli_runner import intently


def _printed(renderable: object, width: int) -> str:
    console = Console(width=width, file=io.StringIO(), color_system=None, highlight=False)
    console.print(renderable)
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert all(len(line) <= width for line in text.splitlines()), "a line is wider than the terminal"
    return text


def _words(text: str) -> str:
    return " ".join(text.split())


def test_a_table_too_wide_for_the_terminal_lists_its_rows_whole() -> None:
    table = FitTable(title="Engineers")
    for header in ("Engineer", "Region", "Public replies", "Drive-bys", "Notes acknowledged"):
        table.add_column(header, no_wrap=True)
    table.add_row("Amara Okafor-Lindqvist", "EMEA", "1,234", "56", "4 of 4")
    table.add_row("Jordan Blake", "AMER", "8", "0", "—")
    wide = _printed(table, 120)
    assert "Amara Okafor-Lindqvist" in wide and "Notes acknowledged" in wide and "│" in wide  # a table
    for width in (60, 40):
        narrow = _words(_printed(table, width))
        assert "…" not in narrow
        amara = "Amara Okafor-Lindqvist: Region EMEA · Public replies 1,234 · Drive-bys 56 · Notes acknowledged 4 of 4"
        assert amara in narrow
        assert "Jordan Blake: Region AMER · Public replies 8 · Drive-bys 0 · Notes acknowledged —" in narrow


def test_a_table_that_fits_narrower_keeps_every_word_whole() -> None:
    table = FitTable(title="Per week")
    for header in ("Week of", "Comments", "Assignee's own work", "Intentional help", "Drive-by share"):
        table.add_column(header, justify="right")
    table.add_row("2026-09-07", "3", "3", "0", "50.0% (1 of 2)")
    text = _printed(table, 64)
    assert "│" in text and "…" not in text  # still a table, nothing cut
    assert "2026-09-07" in text and "Intentional" in text and "Assignee's" in text


@pytest.fixture(scope="module")
def metrics(tmp_path_factory: pytest.TempPathFactory) -> Metrics:
    folder: Path = tmp_path_factory.mktemp("narrow")
    made = intently("demo", "--out", str(folder), "--tickets", "120", "--until", "2026-11-29")
    assert made.returncode == 0, made.stderr
    with Store.open(folder / "intently.db") as store:
        policy = load_policy(folder / "intently.yaml")
        return write_stored_report(store, store.directory().users, policy, None, title="narrow")


@pytest.mark.parametrize("width", [80, 60, 40])
def test_the_report_loses_nothing_in_a_narrow_terminal(metrics: Metrics, width: int) -> None:
    text = _printed_report(metrics, width)
    words = _words(text)
    assert "…" not in text
    for week in metrics.weeks[-12:]:
        assert week.start.isoformat() in text  # every week's date whole
    assert metrics.engineers
    for e in metrics.engineers[:15]:  # every engineer shown, with every figure of their row
        row = (
            re.escape(f"{e.name}: Region {e.region or '—'} · Public replies {e.public_replies} · On own tickets ")
            + r"\d+ \(\d+%\) · Internal notes \d+ · Intentional help \d+ · "
            + re.escape(f"Drive-bys {e.drive_bys} · Notes acknowledged ")
            + r"(—|\d+ of \d+)"
        )
        assert re.search(row, words), e.name


def _printed_report(metrics: Metrics, width: int) -> str:
    console = Console(width=width, file=io.StringIO(), color_system=None, highlight=False)
    print_report(metrics, console)
    return console.file.getvalue()  # type: ignore[attr-defined]
