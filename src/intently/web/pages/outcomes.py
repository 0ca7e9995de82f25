"""The Outcomes page (what happens to tickets by how they were worked, every figure linked to its tickets) and the
Pilot page (a pod, group or region against the others, before and after a start date). Both count
:class:`~intently.report.facts.TicketFacts` under the page's filters read at the ticket's level."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from intently.report.outcome_charts import FIGURES, difference, figure_text, hours, outcome_charts, with_interval
from intently.report.outcomes import MIN_TICKETS, OutcomeReport
from intently.report.pilot import CAVEAT, PILOT_KINDS, PilotReport, choose_pilot, evaluate, parse_pilot
from intently.report.stats import CELLS
from intently.web.access.accounts import Session
from intently.web.access.sessions import viewer
from intently.web.pages.dashboard import filter_form, page_data, query_params, respond
from intently.web.pages.views import MAX_PARAM, Cell, Data, Filters, Selection, Table, id_text, link, num

router = APIRouter(include_in_schema=False)
Viewer = Annotated[Session, Depends(viewer)]


def _tickets_link(filters: Filters, worked: str, outcome: str | None = None) -> str:
    return link("/tickets", filters, Selection(worked=worked, outcome=outcome))


def _class_table(report: OutcomeReport, filters: Filters) -> Table:
    table = Table(
        "outcomes",
        "Outcomes by how tickets were worked",
        ["Worked", "Tickets", "Rated", "Rated good", "Solved", "Median resolution", "Reopened", "Median first reply"],
    )
    for c in report.classes:
        k = c.klass
        table.rows.append(
            [
                Cell(c.label),
                num(c.tickets, _tickets_link(filters, k)),
                num(c.rated, _tickets_link(filters, k, "rated")),
                Cell(figure_text(c, FIGURES[0]), _tickets_link(filters, k, "good") if c.good else None, True),
                num(c.resolved, _tickets_link(filters, k, "solved")),
                Cell(figure_text(c, FIGURES[1]), _tickets_link(filters, k, "solved") if c.resolved else None, True),
                Cell(figure_text(c, FIGURES[2]), _tickets_link(filters, k, "reopened") if c.reopened else None, True),
                Cell(
                    hours(c.median_first_reply_hours), _tickets_link(filters, k, "replied") if c.replied else None, True
                ),
            ]
        )
    return table


CHART_OUTCOME = {"csat_good_rate": "good", "median_resolution_hours": "solved", "reopened_rate": "reopened"}
"""Which tickets a dot of each chart leads to."""


@router.get("/outcomes")
async def outcomes_page(request: Request, session: Viewer) -> Response:
    data = await page_data(request)
    report = await run_in_threadpool(data.outcomes)
    f = data.filters
    charts = outcome_charts(report, lambda klass, key: _tickets_link(f, klass, CHART_OUTCOME[key]))
    return respond(
        request,
        session,
        "outcomes.html.j2",
        [_class_table(report, f)],
        report=report,
        charts=charts,
        figures=FIGURES,
        min_tickets=MIN_TICKETS,
        **filter_form(data),
    )


# --- the pilot ----------------------------------------------------------------------------------------------------


def _day(params: dict[str, str], name: str) -> date | None:
    value = (params.get(name) or "").strip()
    if not value:
        return None
    if len(value) > MAX_PARAM:
        raise HTTPException(status_code=400, detail=f"query parameter {name!r} is too long")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise HTTPException(status_code=400, detail=f"query parameter {name!r}: expected a date YYYY-MM-DD") from None


def _choices(data: Data) -> dict[str, list[tuple[str, str]]]:
    """What a pilot can be, by kind: (``KIND=NAME``, label)."""
    groups = sorted(((id_text(g.id), g.name or id_text(g.id)) for g in data.groups.values()), key=lambda i: i[1])
    return {
        "Pods": [(f"pod={name}", name) for name in sorted(data.policy.organisation.pods)],
        "Groups": [(f"group={gid}", name) for gid, name in groups],
        "Regions": [(f"region={code}", code) for code in data.policy.organisation.regions],
    }


def _pilot_table(report: PilotReport) -> Table:
    table = Table(
        "pilot",
        f"Pilot: {report.label}",
        ["Measure", "Pilot before", "Pilot after", "Others before", "Others after", "Difference (95% CI)"],
    )
    for m in report.measures:
        kind = "rate" if m.kind == "rate" else "hours"
        d = m.did
        cells = [Cell(with_interval(cell.value, None, kind) + f" (n={cell.n:,})", numeric=True) for cell in d.cells]
        table.rows.append([Cell(m.title), *cells, Cell(difference(d.estimate, d.ci, m.kind), numeric=True)])
    return table


@router.get("/pilot")
async def pilot_page(request: Request, session: Viewer) -> Response:
    data = await page_data(request)
    params = query_params(request)
    chosen = (params.get("pilot") or "").strip()
    if len(chosen) > MAX_PARAM:
        raise HTTPException(status_code=400, detail="query parameter 'pilot' is too long")
    start, end = _day(params, "start"), _day(params, "end")
    problem: str | None = None
    report: PilotReport | None = None
    if chosen or start:
        try:
            kind, name = parse_pilot(chosen) if chosen else ("", "")
        except ValueError as error:
            raise HTTPException(status_code=400, detail=f"query parameter 'pilot': {error}") from None
        if kind and kind not in PILOT_KINDS:
            raise HTTPException(status_code=400, detail=f"query parameter 'pilot': one of {', '.join(PILOT_KINDS)}")
        if not name or start is None:
            problem = "Choose the pilot and the day it started."
        elif end is not None and end < start:
            problem = f"The end ({end}) is before the start ({start})."
        else:
            try:
                pilot = choose_pilot(kind, name, data.policy, data.users, data.groups)
            except ValueError as error:
                problem = str(error)
            else:
                facts = await run_in_threadpool(lambda: data.facts)
                report = await run_in_threadpool(evaluate, facts, pilot.covers, start, end, label=pilot.label)
    tables = [_pilot_table(report)] if report is not None else []
    context: dict[str, Any] = {
        "report": report,
        "problem": problem,
        "pilot": chosen,
        "start": start,
        "end": end,
        "choices": _choices(data),
        "caveat": CAVEAT,
        "cells": CELLS,
        "min_tickets": MIN_TICKETS,
        "hidden": ([("pilot", chosen)] if chosen else [])
        + [(k, d.isoformat()) for k, d in (("start", start), ("end", end)) if d],
    }
    return respond(request, session, "pilot.html.j2", tables, **context, **filter_form(data))
