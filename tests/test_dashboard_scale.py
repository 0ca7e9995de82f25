"""The dashboard at scale (issue 12), figure for figure as before: the Regions page's customer side counted in SQL
equals the count over every worked ticket's facts, and a ticket list's kept order gives the pages one query over
the whole list gives, and is given up (oldest list first) beyond its budget."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from intently.demo import generate_export
from intently.policy import Policy, load_policy
from intently.report.metrics import Share, stored_metrics
from intently.store import Store
from intently.store.pipeline import import_path
from intently.store.queries import ticket_page
from intently.web.pages import views
from intently.web.pages.dashboard import _share_cell, customer_side
from intently.web.pages.views import (
    Data,
    Filters,
    Paging,
    Selection,
    _pick,
    _search,
    facet_of,
    load,
    read_base,
    scope_of,
    selected_tickets,
)


@pytest.fixture(scope="module")
def demo(module_store_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, Policy]]:
    export = tmp_path_factory.mktemp("scale") / "export"
    generate_export(export, tickets=160, seed=11, start=date(2026, 7, 1), days=60)
    policy = load_policy(export / "intently.yaml")
    store = Store.open(module_store_url)
    import_path(export, store, policy, save=True)
    yield store, policy
    store.close()


def _customer_side_from_facts(data: Data) -> list[list[str]]:
    """The customer side as the page counted it before (every worked ticket's facts; a region's metrics)."""
    f = data.filters
    rows = []
    for region in [r for r in data.policy.organisation.regions if f.region in (None, r)]:
        scoped = dataclasses.replace(f, region=region)
        names = {"policy_name": data.policy.name, "policy_version": data.policy.version, "policy": data.policy}
        scope = scope_of(scoped, data.policy, data.users)
        replies = stored_metrics(data.store, data.users, scope=scope, **names).regions.public_replies
        mine = [fact for fact in data.facts if fact.preferred_region == region]
        assigned = [fact for fact in mine if fact.assignee_id is not None and fact.assignee_region]
        inside = sum(1 for fact in assigned if fact.assignee_region == region)
        unknown = sum(1 for fact in mine if fact.assignee_id is not None and not fact.assignee_region)
        rows.append(
            [
                region,
                f"{len(mine):,}",
                f"{replies.total:,}",
                _share_cell(Share(part=replies.inside, whole=replies.inside + replies.outside)).text,
                f"{replies.unknown:,}",
                _share_cell(Share(part=inside, whole=len(assigned))).text,
                f"{unknown:,}",
            ]
        )
    return rows


FILTERS = [
    Filters(),
    Filters(region="EMEA"),
    Filters(priority="high"),
    Filters(start=date(2026, 7, 10), end=date(2026, 8, 5)),
    Filters(pod="data"),
    Filters(group="Escalations"),
]


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: ",".join(f"{k}={v}" for k, v in f.items()) or "none")
def test_the_customer_side_counted_in_sql_is_the_one_counted_from_facts(
    demo: tuple[Store, Policy], filters: Filters
) -> None:
    store, policy = demo
    data = load(read_base(store), policy, filters)
    expected = _customer_side_from_facts(data)
    assert any(row[1] != "0" for row in expected) or filters.active()
    assert [[cell.text for cell in row] for row in customer_side(data).rows] == expected


def _lines(rows: list[Any]) -> list[tuple[Any, ...]]:
    return [dataclasses.astuple(row) for row in rows]


def test_pages_of_a_kept_order_are_those_of_one_query(demo: tuple[Store, Policy], monkeypatch: Any) -> None:
    store, policy = demo
    data = load(read_base(store), policy, Filters(priority="normal"))
    cases = [
        (Selection(), Paging(per_page=7)),
        (Selection(verdict="drive_by"), Paging(sort="drive_bys", per_page=5)),
        (Selection(worked="drive_by"), Paging(sort="subject", descending=False, per_page=9)),
        (Selection(public=True), Paging(search="sync", per_page=4)),
    ]
    for selection, paging in cases:
        pick = facet_of(data, selection) if selection.by_ticket else _pick(selection)
        with store.engine.connect() as conn:
            whole = ticket_page(
                conn,
                data.scope(),
                pick,
                search=_search(data, paging.search),
                sort=paging.sort,
                descending=paging.descending,
                limit=None,
            )
        assert whole.tickets > paging.per_page, selection
        shown = []
        for page in range(1, whole.tickets // paging.per_page + 2):
            found = selected_tickets(data, selection, dataclasses.replace(paging, page=page))
            assert (found.tickets, found.comments) == (whole.tickets, whole.comments)
            shown += [(row.ticket_id, row.matched, row.drive_bys, row.last_at) for row in found.rows]
        assert shown == [(line.ticket_id, line.matched, line.drive_bys, line.last_at) for line in whole.lines]
        every = selected_tickets(data, selection, paging, every=True)
        assert [row.ticket_id for row in every.rows] == [line.ticket_id for line in whole.lines]
    if store.engine.dialect.name == "sqlite":  # the import sampled the indexes for SQLite's planner
        with store.engine.connect() as conn:
            sampled = conn.exec_driver_sql("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'judgements'").scalar()
        assert sampled
    monkeypatch.setattr(views, "ORDER_TICKETS", 10)  # a budget of ten tickets: only the newest list is kept
    base = data.base
    for selection in (Selection(), Selection(verdict="drive_by")):
        selected_tickets(data, selection)
    assert len(base._orders) == 1
