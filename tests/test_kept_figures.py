"""Figures kept in the store per data version (issue 12): the report's metrics and the outcome analysis read back
are exactly those computed afresh; a change of the data (a new import, judging again) gives a new data version,
under which they are computed again; nothing is kept for data that changed meanwhile, nor a value that would not
read back the same; and a fresh dashboard reads them instead of computing them."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import select

from intently.policy import load_policy
from intently.policy.loader import policy_from_mapping
from intently.report import kept as kept_module
from intently.report import outcomes as outcomes_module
from intently.report.facts import TicketFilter, stored_facts
from intently.report.kept import keep_figures, kept, kept_metrics, kept_outcomes
from intently.report.metrics import stored_metrics
from intently.report.outcomes import outcomes_by_class
from intently.store import Store, schema
from intently.store.pipeline import classify_store
from intently.web.pages.dashboard import trends
from intently.web.pages.views import Filters, load, read_base
from tests.fake_zendesk import FakeZendesk, ZendeskDataset
from tests.test_webhooks import loaded_store


@pytest.fixture
def store(store_url: str, tmp_path: Path) -> Iterator[Store]:
    store = loaded_store(store_url, FakeZendesk(ZendeskDataset.generate(tickets=40)), tmp_path, load_policy())
    yield store
    store.close()


def _kept(store: Store) -> list[tuple[str, str]]:
    """(kind, data version) of every figure kept."""
    with store.engine.connect() as conn:
        rows = conn.execute(select(schema.kept_figures.c.kind, schema.kept_figures.c.data_version)).all()
    return sorted((kind, version) for kind, version in rows)


def _no_computing(monkeypatch: pytest.MonkeyPatch) -> None:
    """From here on, a figure can only be read back: computing one fails."""

    def refuse(*_: Any, **__: Any) -> Any:
        raise AssertionError("computed again instead of read back")

    for name in ("stored_metrics", "stored_facts"):
        monkeypatch.setattr(kept_module, name, refuse)
    monkeypatch.setattr(outcomes_module, "outcomes_by_class", refuse)  # imported where the outcomes are computed


def test_kept_figures_are_those_computed_afresh_and_are_read_back(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy, users, version = load_policy(), store.directory().users, store.data_version()
    names = {"policy_name": policy.name, "policy_version": policy.version, "policy": policy}
    fresh = stored_metrics(store, users, **names)
    chosen = TicketFilter(priority="high")
    facts = stored_facts(store)
    fresh_outcomes = outcomes_by_class(facts)
    fresh_high = outcomes_by_class(chosen.apply(facts, policy, users))
    assert kept_metrics(store, users, policy, version) == fresh
    assert kept_outcomes(store, policy, users, version) == fresh_outcomes
    assert kept_outcomes(store, policy, users, version, chosen) == fresh_high
    assert _kept(store) == [("metrics", version), ("outcomes", version), ("outcomes", version)]
    _no_computing(monkeypatch)
    again = kept_metrics(store, users, policy, version)
    assert again == fresh and again.to_dict() == fresh.to_dict()
    assert kept_outcomes(store, policy, users, version).to_dict() == fresh_outcomes.to_dict()
    assert kept_outcomes(store, policy, users, version, chosen) == fresh_high
    assert dataclasses.replace(again, title="t") == dataclasses.replace(fresh, title="t")


def test_kept_figures_follow_the_data_version(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    policy, users, first = load_policy(), store.directory().users, store.data_version()
    before = kept_metrics(store, users, policy, first)
    assert kept_outcomes(store, policy, users, first).tickets > 0
    other = policy_from_mapping({"rules": {"ownership": {"enabled": False}}})  # judged again: new judgements
    classify_store(store, other, save=True)
    second = store.data_version()
    assert second != first
    names = {"policy_name": other.name, "policy_version": other.version, "policy": other}
    now = kept_metrics(store, users, other, second)
    assert now == stored_metrics(store, users, **names) and now != before
    assert kept_outcomes(store, other, users, second) == outcomes_by_class(stored_facts(store))
    assert {version for _, version in _kept(store)} == {second}  # the figures of the old data are gone
    # asked for the old version (a dashboard behind the store): computed from the data now, and not kept
    kept_metrics(store, users, policy, first)
    assert {version for _, version in _kept(store)} == {second}


def test_nothing_is_kept_for_data_that_changed_meanwhile_or_that_would_not_read_back(store: Store) -> None:
    version = store.data_version()

    def changing() -> float:
        with store.batch() as batch:  # another writer commits while the figure is computed
            batch.touch()
        return 1.0

    assert kept(store, "test", ["changing"], changing, float, version) == 1.0
    assert math.isnan(kept(store, "test", ["nan"], lambda: math.nan, float, store.data_version()))
    assert _kept(store) == []
    assert kept(store, "test", ["one"], lambda: 1.5, float, store.data_version()) == 1.5
    assert [kind for kind, _ in _kept(store)] == ["test"]


def test_a_fresh_dashboard_reads_the_kept_figures(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    policy, users = load_policy(), store.directory().users
    names = {"policy_name": policy.name, "policy_version": policy.version, "policy": policy}
    expected_metrics, expected_outcomes = stored_metrics(store, users, **names), outcomes_by_class(stored_facts(store))
    keep_figures(store, policy)  # as `intently import` does: the overview's figures and trends, the outcomes
    emea = load(read_base(store), policy, Filters(region="EMEA")).metrics()  # kept by the page that computed it
    _no_computing(monkeypatch)
    fresh = load(read_base(store), policy, Filters())  # another process: nothing in memory
    metrics = fresh.metrics()
    assert metrics == expected_metrics and fresh.outcomes() == expected_outcomes
    assert trends(fresh, metrics)  # the data's last 30 days against the 30 before: both read back
    assert load(fresh.base, policy, Filters(region="EMEA")).metrics() == emea


def test_intently_outcomes_reads_the_kept_figures_and_a_what_if_keeps_none(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.cli_runner import intently

    url = str(store.engine.url.render_as_string(hide_password=False))
    args = ("outcomes", "--db", url, "--format", "json")
    first = intently(*args, "--priority", "high")
    assert first.returncode == 0, first.stderr
    version = store.data_version()
    assert _kept(store) == [("outcomes", version)]
    facts = stored_facts(store)
    policy, users = load_policy(), store.directory().users
    expected = outcomes_by_class(TicketFilter(priority="high").apply(facts, policy, users)).to_dict()
    assert orjson.loads(first.stdout) == orjson.loads(orjson.dumps(expected))
    what_if = tmp_path / "other.yaml"
    what_if.write_text("rules:\n  ownership:\n    enabled: false\n")
    assert intently(*args, "--config", str(what_if)).returncode == 0
    assert _kept(store) == [("outcomes", version)]  # a what-if keeps nothing
    _no_computing(monkeypatch)
    again = intently(*args, "--priority", "high")
    assert again.returncode == 0, again.stderr
    assert again.stdout == first.stdout  # read back, not computed


def test_intently_report_html_keeps_its_page_and_each_run_says_when_it_was_generated(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``intently report --html`` keeps the rendered page per data version: the next run writes the same page
    without rendering it, with the time of that run; a change of the data renders it again."""
    from intently.report import html as html_module
    from intently.report.formatting import fmt_datetime
    from tests.cli_runner import intently

    url = str(store.engine.url.render_as_string(hide_password=False))
    first_path, again_path = tmp_path / "first.html", tmp_path / "again.html"
    first = intently("report", "--db", url, "--html", str(first_path))
    assert first.returncode == 0, first.stderr
    version = store.data_version()
    assert ("report_page", version) in _kept(store)
    _no_computing(monkeypatch)

    def refuse(*_: Any, **__: Any) -> Any:
        raise AssertionError("rendered again instead of read back")

    monkeypatch.setattr(html_module, "render_html", refuse)
    monkeypatch.setattr(kept_module, "datetime", _Later)
    again = intently("report", "--db", url, "--html", str(again_path))
    assert again.returncode == 0, again.stderr
    page, kept_page = first_path.read_text(), again_path.read_text()
    generated = f"Generated {fmt_datetime(_Later.now())}."
    assert generated in kept_page and generated not in page
    assert kept_page.count("Generated ") == 1
    before, _, after = page.partition("Generated ")
    assert kept_page.startswith(before) and kept_page.endswith(after.partition(".")[2])
    assert fmt_datetime(kept_module._SOME_TIME) not in kept_page
    monkeypatch.undo()
    with store.batch() as batch:  # the data changes: the page of the new version is rendered again
        batch.touch()
    assert intently("report", "--db", url, "--html", str(again_path)).returncode == 0
    assert ("report_page", store.data_version()) in _kept(store)


class _Later(datetime):
    """A clock a day after the real one, so that the kept page's time is told apart from the first run's."""

    @classmethod
    def now(cls, tz: Any = None) -> _Later:  # type: ignore[override]
        later = datetime.now(tz) + timedelta(days=1)
        return cls.fromtimestamp(later.timestamp(), tz)
