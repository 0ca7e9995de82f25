"""Write-back: an internal note and a tag on a ticket whose comment was judged a drive-by.

Each drive-by is written back at most once and only when its judgement is final:

- final: the policy's ownership window after the comment has passed (until then the author may still
  take the ticket, and the comment becomes an ownership change); a re-check is queued for that moment;
- new: the comment was made after write-back was first enabled on this store (history imported earlier
  is never annotated), carries no note yet (the note ends with a reference line that names the comment),
  and :meth:`Store.claim_write_back` claims it for this replica (the claim is released if Zendesk refuses the
  update, so a retry writes it; one left by a replica killed mid-note is taken over after the lease, and the
  ticket read again for the note before it is posted);
- safe: the update carries ``safe_update`` with the ticket's ``updated_at``; on 409 (someone changed the
  ticket meanwhile) the ticket is read again and the update retried a few times, so a concurrent edit is
  never overwritten. The note is written by the API user, which is registered as a service user: its
  comments are never judged, so a note never triggers another note.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from intently.engine import Judgement
from intently.guide.advice import PathStep, history_before, intentional_path
from intently.model import Comment, Id, TicketHistory, User, iso, user_name
from intently.policy import Policy
from intently.web.logs import emit
from intently.web.services import Services, ZendeskApi

REFERENCE = "intently-ref: drive_by comment {comment_id}"
_REFERENCE = re.compile(r"intently-ref: drive_by comment (\S+)")
RECHECK_EVENT = "intently.recheck"
RECHECK_MARGIN = timedelta(seconds=60)
"""After the ownership window: room for the difference between Zendesk's clock and ours."""


@dataclass(frozen=True, slots=True)
class WriteBackOutcome:
    written: int = 0
    waiting: int = 0
    """Drive-bys still inside the ownership window (a re-check is queued)."""


def noted_comments(history: TicketHistory) -> set[str]:
    """Comment ids that already carry a write-back note on this ticket (as text, from the notes' reference line)."""
    noted: set[str] = set()
    for event in history.events:
        if isinstance(event, Comment) and not event.public and "intently-ref:" in event.body:
            noted.update(_REFERENCE.findall(event.body))
    return noted


def _note_posted(client: ZendeskApi, ticket_id: Id, comment_id: Id) -> bool:
    """Whether the ticket in Zendesk carries the note for this comment now (read again, not from the history in
    hand: a replica killed after posting it and before recording it left the claim behind)."""
    reference = REFERENCE.format(comment_id=comment_id)
    for page in client.ticket_audit_pages(ticket_id):
        for audit in page.get("audits") or []:
            for event in audit.get("events") or []:
                if event.get("type") == "Comment" and reference in str(event.get("body") or ""):
                    return True
    return False


def final_at(judgement: Judgement, policy: Policy) -> datetime:
    """When a drive-by judgement can no longer change: after the ownership window."""
    return judgement.created_at + policy.ownership_window


def write_backs(
    services: Services,
    client: ZendeskApi,
    history: TicketHistory,
    record: dict[str, Any],
    judgements: Iterable[Judgement],
    now: datetime,
) -> WriteBackOutcome:
    """Write a note for every new, final drive-by of one ticket; queue a re-check for those not final yet."""
    store, policy = services.store, services.policy
    drive_bys = [j for j in judgements if j.verdict == "drive_by"]
    if not drive_bys:
        return WriteBackOutcome()
    since = services.write_back_since()
    noted = noted_comments(history)
    written = waiting = 0
    for judgement in drive_bys:
        if judgement.created_at < since:
            continue
        ready = final_at(judgement, policy)
        if ready > now:
            key = f"recheck:{judgement.ticket_id}:{judgement.comment_id}"
            with services.writing():
                store.enqueue_delivery(key, judgement.ticket_id, RECHECK_EVENT, ready + RECHECK_MARGIN)
            waiting += 1
            continue
        if str(judgement.comment_id) in noted:
            with services.writing():
                store.record_write_back(judgement.ticket_id, judgement.comment_id)
            continue
        # The note's claim is held by this replica and renewed with its deliveries; one left by a replica killed
        # before it finished is taken over after the lease, and the ticket looked at again for the note first.
        until = datetime.now(UTC) + timedelta(seconds=services.claim_lease)
        with services.writing():
            claim = store.claim_write_back(judgement.ticket_id, judgement.comment_id, services.replica, until)
        if claim is None:
            continue
        try:
            if claim == "taken" and _note_posted(client, judgement.ticket_id, judgement.comment_id):
                emit("write_back.found", ticket_id=judgement.ticket_id, comment_id=judgement.comment_id)
            else:
                record = _write_note(services, client, history, record, judgement)
                written += 1
        except BaseException:
            with services.writing():
                store.forget_write_back(judgement.ticket_id, judgement.comment_id)
            raise
        with services.writing():
            store.finish_write_back(judgement.ticket_id, judgement.comment_id, services.replica)
    return WriteBackOutcome(written=written, waiting=waiting)


def _write_note(
    services: Services, client: ZendeskApi, history: TicketHistory, record: dict[str, Any], judgement: Judgement
) -> dict[str, Any]:
    """One safe update (note + tag); on 409 read the ticket again and retry. Returns the ticket as updated."""
    directory, _ = services.directory()
    text = note_text(history, directory.users, services.policy, judgement)
    tag = services.settings.write_back_tag
    ticket_id = judgement.ticket_id
    attempts = services.settings.conflict_retries + 1
    for attempt in range(1, attempts + 1):
        tags = [str(t) for t in record.get("tags") or []]
        update: dict[str, Any] = {"comment": {"body": text, "public": False}}
        if tag and tag not in tags:
            update["tags"] = [*tags, tag]
        stamp = record.get("updated_at")
        try:
            answer = client.update_ticket(ticket_id, update, safe_update_stamp=str(stamp) if stamp else None)
        except Exception as exc:
            if not _is_conflict(exc) or attempt == attempts:
                raise
            emit("write_back.conflict", ticket_id=ticket_id, comment_id=judgement.comment_id, attempt=attempt)
            record = client.ticket(ticket_id)
            continue
        emit("write_back.done", ticket_id=ticket_id, comment_id=judgement.comment_id, attempt=attempt)
        updated = answer.get("ticket") if isinstance(answer, dict) else None
        return updated if isinstance(updated, dict) and updated.get("updated_at") else client.ticket(ticket_id)
    raise AssertionError("unreachable")  # pragma: no cover


def _is_conflict(exc: BaseException) -> bool:
    from intently.zendesk.client import ConflictError

    return isinstance(exc, ConflictError)


def note_text(history: TicketHistory, users: Mapping[Id, User], policy: Policy, judgement: Judgement) -> str:
    """The internal note: the rule, the reason, the intentional path that was open, and a reference line."""
    name = user_name(users, judgement.author_id)
    rule = policy.rule(judgement.rule)
    steps: list[PathStep] = []
    before = history_before(history, judgement.comment_id)
    if before is not None:
        steps = intentional_path(before[0], users, policy, judgement.author_id, before[1])
    lines = [
        f"intently: the public reply by {name} at {iso(judgement.created_at)} was judged a drive-by "
        f"(rule {judgement.rule}: {rule.title}; policy {policy.name} {policy.version}).",
        "",
        f"Why: {judgement.reason}",
    ]
    if steps:
        lines += ["", "The intentional path that was open:"]
        lines += [f"- {step.description} (judged {step.verdict}, rule {step.rule})" for step in steps]
    lines += ["", REFERENCE.format(comment_id=judgement.comment_id)]
    return "\n".join(lines)
