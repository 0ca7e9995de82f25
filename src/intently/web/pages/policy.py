"""The Policy page: the handbook (``intently policy render``) as HTML, and, for admins, the compare view: a
proposed policy (YAML, merged over the current one as ``intently policy compare`` does) weighed on the stored
history. The Markdown is rendered by markdown-it-py with raw HTML off, so nothing in it becomes markup."""

from __future__ import annotations

import threading
from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Depends, Request
from markdown_it import MarkdownIt
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from intently.compare import Comparison, compare_policies
from intently.errors import PolicyError
from intently.policy import Policy
from intently.policy.loader import fingerprint, merge, validate_policy
from intently.policy.render import render_handbook
from intently.policy.scenarios import run_suite
from intently.store import Store
from intently.web import csrf
from intently.web.accounts import Session
from intently.web.render import page
from intently.web.sessions import admin, viewer

router = APIRouter(include_in_schema=False)
PROPOSAL_FIELD = "proposal"


def markdown_html(text: str) -> Markup:
    """Markdown to HTML with raw HTML escaped (``html: False``) and unsafe link schemes refused."""
    renderer = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
    return Markup(renderer.render(text))


_HANDBOOKS: dict[str, Markup] = {}
_HANDBOOKS_LOCK = threading.Lock()


def handbook(policy: Policy) -> Markup:
    """The rendered handbook, made once per policy (by fingerprint): it runs the scenario suite."""
    key = fingerprint(policy)
    with _HANDBOOKS_LOCK:
        found = _HANDBOOKS.get(key)
    if found is None:
        found = markdown_html(render_handbook(policy, run_suite(policy)))
        with _HANDBOOKS_LOCK:
            if len(_HANDBOOKS) >= 8:
                _HANDBOOKS.clear()
            _HANDBOOKS[key] = found
    return found


def _policy(request: Request) -> Policy:
    policy: Policy = request.app.state.intently.services.policy
    return policy


@router.get("/policy")
async def policy_page(request: Request, session: Annotated[Session, Depends(viewer)]) -> Response:
    current = _policy(request)
    doc = await run_in_threadpool(handbook, current)
    return page(
        request, "policy.html.j2", session, policy=current, handbook=doc, proposal="", problems=[], comparison=None
    )


def proposed_policy(current: Policy, text: str) -> Policy:
    """The proposal (YAML or JSON, only what differs) merged over the current policy; PolicyError if invalid."""
    try:
        data = yaml.safe_load(text) if text.strip() else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise PolicyError("proposal", [f"not valid YAML{where}"]) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise PolicyError("proposal", ["the top level must be a mapping of keys"])
    return validate_policy(merge(current.model_dump(), data), "proposal")


def _compare(store: Store, current: Policy, proposed: Policy) -> Comparison:
    return compare_policies(store.histories(), store.directory().users, current, proposed)


@router.post("/policy/compare")
async def policy_compare(request: Request, session: Annotated[Session, Depends(admin)]) -> Response:
    form = await csrf.read_form(request)
    csrf.check(session, form)
    current = _policy(request)
    text = form.get(PROPOSAL_FIELD, "")
    context: dict[str, Any] = {"proposal": text, "problems": [], "comparison": None, "proposed": None}
    status = 200
    try:
        proposed = proposed_policy(current, text)
    except PolicyError as exc:
        context["problems"] = exc.problems
        status = 422
    else:
        store = request.app.state.intently.services.store
        context["comparison"] = await run_in_threadpool(_compare, store, current, proposed)
        context["proposed"] = proposed
    doc = await run_in_threadpool(handbook, current)
    return page(request, "policy.html.j2", session, policy=current, handbook=doc, status_code=status, **context)
