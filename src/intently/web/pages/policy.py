"""The Policy page: the handbook (``intently policy render``) as HTML, and, for admins, the compare view: a
proposed policy (YAML, merged over the current one as ``intently policy compare`` does) weighed on the stored
history, on the page or as CSV (one row per changed judgement). The Markdown is rendered by markdown-it-py with
raw HTML off, so nothing in it becomes markup."""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from datetime import UTC
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from markdown_it import MarkdownIt
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from intently.engine.compare import Change, Comparison, changed_judgements, compare_policies
from intently.errors import PolicyError
from intently.model import Id, User, user_name
from intently.policy import Policy
from intently.policy.handbook.render import render_handbook
from intently.policy.handbook.scenarios import run_suite
from intently.policy.loader import fingerprint, merged_over, read_policy_text, version_problem
from intently.store import Store
from intently.web.access import csrf
from intently.web.access.accounts import Session
from intently.web.access.audit import audit
from intently.web.access.sessions import admin, viewer
from intently.web.pages.render import page
from intently.web.pages.views import Cell, Table, csv_response, id_text

router = APIRouter(include_in_schema=False)
PROPOSAL_FIELD = "proposal"


def markdown_html(text: str, shift_headings: int = 0) -> Markup:
    """Markdown to HTML with raw HTML escaped (``html: False``) and unsafe link schemes refused; headings moved
    ``shift_headings`` levels down (the page has its own ``h1``)."""
    renderer = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
    tokens = renderer.parse(text)
    for token in tokens:
        if shift_headings and token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + shift_headings, 6)}"
    return Markup(renderer.renderer.render(tokens, renderer.options, {}))


_HANDBOOKS: dict[str, Markup] = {}
_HANDBOOKS_LOCK = threading.Lock()


def handbook(policy: Policy) -> Markup:
    """The rendered handbook, made once per policy (by fingerprint): it runs the scenario suite."""
    key = fingerprint(policy)
    with _HANDBOOKS_LOCK:
        found = _HANDBOOKS.get(key)
    if found is None:
        found = markdown_html(render_handbook(policy, run_suite(policy)), shift_headings=1)
        with _HANDBOOKS_LOCK:
            if len(_HANDBOOKS) >= 8:
                _HANDBOOKS.clear()
            _HANDBOOKS[key] = found
    return found


def _policy(request: Request) -> Policy:
    policy: Policy = request.app.state.intently.services.policy
    return policy


def policy_ref(policy: Policy, policy_fingerprint: str | None = None) -> dict[str, str]:
    """A policy as the audit log names it."""
    return {"name": policy.name, "version": policy.version, "fingerprint": policy_fingerprint or fingerprint(policy)}


def _audit_proposal(
    request: Request, session: Session, event: str, proposed: Policy | None, **fields: str | int
) -> None:
    """Audit an admin action on a proposal: the policy in force (before), the proposal (after, when it is a valid
    policy; status says whether it is)."""
    active = request.app.state.intently.services.active
    after = policy_ref(proposed) if proposed is not None else None
    status = "invalid" if proposed is None else "valid"
    before = policy_ref(active.policy, active.fingerprint)
    audit(request, session, event, before=before, after=after, status=status, **fields)


@router.get("/policy")
async def policy_page(request: Request, session: Annotated[Session, Depends(viewer)]) -> Response:
    return await _compare_page(request, session, "")


def proposed_policy(current: Policy, text: str) -> Policy:
    """The proposal (YAML or JSON, only what differs) merged over the current policy; PolicyError if invalid."""
    return merged_over(current, read_policy_text(text, "proposal"), "proposal")


def _compare(store: Store, current: Policy, proposed: Policy) -> Comparison:
    return compare_policies(store.histories(), store.directory().users, current, proposed)


CHANGE_COLUMNS = (
    "Ticket",
    "Comment",
    "Author",
    "Comment time (UTC)",
    "Current verdict",
    "Current rule",
    "Proposed verdict",
    "Proposed rule",
)


def _changes(store: Store, current: Policy, proposed: Policy) -> Table:
    """The judgements the proposal changes, one row each (runs in a worker thread)."""
    users = store.directory().users
    table = Table("policy-compare", "Changed judgements", CHANGE_COLUMNS)
    for change in changed_judgements(store.histories(), users, current, proposed):
        table.rows.append(_change_row(change, users))
    return table


def _change_row(change: Change, users: Mapping[Id, User]) -> list[Cell]:
    at = change.created_at if change.created_at.tzinfo is None else change.created_at.astimezone(UTC)
    return [
        Cell(id_text(change.ticket_id)),
        Cell(id_text(change.comment_id)),
        Cell(user_name(users, change.author_id)),
        Cell(at.strftime("%Y-%m-%d %H:%M:%S")),
        *(Cell(text) for text in (*change.current, *change.proposed)),
    ]


def csv_filename(proposed: Policy) -> str:
    """``policy-compare-<version>.csv``, the version cut down to characters safe in a header and a file name."""
    version = re.sub(r"[^A-Za-z0-9._-]+", "-", proposed.version).strip("-.")[:80]
    return f"policy-compare-{version or 'proposed'}.csv"


async def _proposal(request: Request, session: Session) -> tuple[str, Policy | None, list[str]]:
    """The form's proposal: (its text, the proposed policy or None, the problems that make it invalid).
    403 unless the form carries the session's CSRF token."""
    form = await csrf.read_form(request)
    csrf.check(session, form)
    text = form.get(PROPOSAL_FIELD, "")
    try:
        return text, proposed_policy(_policy(request), text), []
    except PolicyError as exc:
        return text, None, exc.problems


async def _compare_page(
    request: Request,
    session: Session,
    proposal: str,
    *,
    problems: list[str] | None = None,
    comparison: Comparison | None = None,
    proposed: Policy | None = None,
    refused: str | None = None,
) -> Response:
    """The Policy page with the compare form filled in: with the comparison, or with the problems (422; with
    ``refused``, the problems are why the proposal was not adopted)."""
    services = request.app.state.intently.services
    current = _policy(request)
    doc = await run_in_threadpool(handbook, current)
    adopted = request.query_params.get("adopted")
    return page(
        request,
        "policy.html.j2",
        session,
        policy=current,
        handbook=doc,
        status_code=200 if problems is None else 422,
        proposal=proposal,
        problems=problems or [],
        problem_title=refused or "The proposal is not a valid policy:",
        comparison=comparison,
        proposed=proposed,
        active=services.active,
        adopted=adopted if adopted == current.version else None,
    )


@router.post("/policy/compare")
async def policy_compare(request: Request, session: Annotated[Session, Depends(admin)]) -> Response:
    text, proposed, problems = await _proposal(request, session)
    _audit_proposal(request, session, "admin.policy_compared", proposed)
    if proposed is None:
        return await _compare_page(request, session, text, problems=problems)
    store = request.app.state.intently.services.store
    comparison = await run_in_threadpool(_compare, store, _policy(request), proposed)
    return await _compare_page(request, session, text, comparison=comparison, proposed=proposed)


@router.post("/policy/compare.csv")
async def policy_compare_csv(request: Request, session: Annotated[Session, Depends(admin)]) -> Response:
    """The compare result as CSV: one row per changed judgement (an invalid proposal: the page, with 422)."""
    text, proposed, problems = await _proposal(request, session)
    _audit_proposal(request, session, "admin.policy_compared", proposed)
    if proposed is None:
        return await _compare_page(request, session, text, problems=problems)
    store = request.app.state.intently.services.store
    table = await run_in_threadpool(_changes, store, _policy(request), proposed)
    return csv_response(table, csv_filename(proposed))


def adoption_problems(current: Policy, proposed: Policy, from_file: str | None) -> list[str]:
    """Why the proposal cannot be adopted, if it cannot."""
    if from_file is not None:
        return [f"this server's policy comes from {from_file}: edit the file and restart intently serve"]
    if fingerprint(proposed) == fingerprint(current):
        return ["the proposal changes nothing"]
    kept = version_problem(current, proposed)
    return [] if kept is None else [kept]


@router.post("/policy/adopt")
async def policy_adopt(request: Request, session: Annotated[Session, Depends(admin)]) -> Response:
    """Adopt the proposal: saved in the store and every stored ticket judged again under it, in one transaction."""
    text, proposed, problems = await _proposal(request, session)
    if proposed is None:
        _audit_proposal(request, session, "admin.policy_adopt_refused", None, reason="not a valid policy")
        return await _compare_page(request, session, text, problems=problems)
    services = request.app.state.intently.services
    active = services.active
    refusal = adoption_problems(active.policy, proposed, active.source if active.from_file else None)
    if refusal:
        _audit_proposal(request, session, "admin.policy_adopt_refused", proposed, reason=refusal[0][:200])
        return await _compare_page(request, session, text, problems=refusal, refused="The proposal was not adopted:")
    count = await run_in_threadpool(services.adopt_policy, proposed)
    audit(
        request,
        session,
        "admin.policy_adopted",
        before=policy_ref(active.policy, active.fingerprint),
        after=policy_ref(services.policy, services.fingerprint),
        judgements=count,
    )
    return RedirectResponse(f"/policy?{urlencode({'adopted': proposed.version})}", status_code=303)
