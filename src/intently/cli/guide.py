"""``intently guide TICKET --agent WHO``: before a reply is sent, what it would be judged, as the sidebar says it."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
import typer

from intently.cli.common import ConfigOption, DbOption, PathArgument, one_ticket, out, shown, verdict_markup
from intently.errors import IntentlyError
from intently.model import Directory, User


def register(app: typer.Typer) -> None:
    """Add ``guide`` to the ``intently`` app."""
    app.command()(guide)


def guide(
    ticket_id: Annotated[str, typer.Argument(help="The ticket's id")],
    agent: Annotated[str, typer.Option("--agent", "-a", help="Who would write: an agent's id or e-mail address")],
    path: PathArgument = None,
    db: DbOption = None,
    config: ConfigOption = None,
    format: Annotated[str, typer.Option("--format", "-f", help="text, or json (the API's answers)")] = "text",
) -> None:
    """Before you reply: what a public reply and an internal note by an agent would be judged if written now, why,
    and for a drive-by the intentional path (the same answer as the sidebar and `POST /api/check-reply`)."""
    from intently.guide.advice import check_reply, ticket_now

    if format not in ("text", "json"):
        raise typer.BadParameter(f"unknown format {format!r}; use text or json", param_hint="--format")
    history, directory, policy, _ = one_ticket(ticket_id, path, db, config)
    writer = _agent(directory, agent)
    now = datetime.now(UTC)
    answers = []
    for label, public in (("A public reply", True), ("An internal note", False)):
        answer = check_reply(history, directory.users, policy, writer.id, public, now)
        if answer is None:
            raise IntentlyError(f"ticket {ticket_id} has no description yet: nothing to judge")
        answers.append((label, public, answer))
    if format == "json":
        data = [{"ticket_id": history.ticket.id, "agent_id": writer.id, "public": p, **a} for _, p, a in answers]
        sys.stdout.buffer.write(orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n")
        return
    state = ticket_now(history, directory.users, policy, now)
    assignee = directory.name_of(state.assignee_id) if state.assignee_id is not None else "nobody"
    region = f" ({shown(state.assignee_region)})" if state.assignee_region else ""
    out.print(f"[bold]Before you reply: ticket {shown(history.ticket.id)}[/]: {shown(history.ticket.subject)}")
    out.print(
        f"  assignee {shown(assignee)}{region}; customer's preferred region "
        f"{shown(state.preferred_region or 'not set')}; policy {shown(policy.name)} {shown(policy.version)}"
    )
    first = answers[0][2]
    style = "bold red" if first["verdict"] == "drive_by" else "bold"
    out.print(f"\n[{style}]{shown(first['headline'])}[/]")
    _now(first.get("coverage"))
    out.print(f"\n[bold]If {shown(writer.name)} writes now[/]")
    for label, _, answer in answers:
        out.print(f"  {label} would be {verdict_markup(answer['verdict'])} [dim]({shown(answer['rule'])})[/]")
        out.print(f"    [dim]Why, as the ticket stands now:[/] {shown(answer['reason'])}")
        if answer["intentional_path"]:
            out.print("    [bold]The intentional path instead:[/]")
            for step in answer["intentional_path"]:
                title = f" [dim]({shown(step['title'])})[/]" if step.get("title") else ""
                out.print(f"      - {shown(step['description'])} → {verdict_markup(step['verdict'])}{title}")
        if answer["not_open"]:
            out.print("    [bold]Not open now:[/]")
            for closed in answer["not_open"]:
                out.print(f"      - {shown(closed['title'])} [dim]({shown(closed['rule'])})[/]: {shown(closed['why'])}")


def _agent(directory: Directory, wanted: str) -> User:
    """The agent named by id or e-mail address; an error naming who it is not."""
    user = directory.users.get(directory.resolve(wanted))
    if user is None:
        raise IntentlyError(f"no user {wanted!r} (--agent): give an agent's id or e-mail address")
    if not user.is_agent:
        raise IntentlyError(f"{user.name} ({wanted}) is not an agent: only agent replies are judged")
    return user


def _now(coverage: dict[str, Any] | None) -> None:
    """What the sidebar says under *Now*: where the assignee is, how long the customer has waited."""
    if not coverage:
        return
    out.print("\n[bold]Now[/]")
    assignee = coverage.get("assignee")
    if assignee:
        local = assignee.get("local_time")
        at = f" Their local time: {shown(local)} ({shown(assignee.get('time_zone'))})." if local else ""
        out.print(f"  - {shown(assignee['said'])}{at}")
    out.print(f"  - {shown(coverage['customer']['said'])}")
