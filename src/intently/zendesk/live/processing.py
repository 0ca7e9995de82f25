"""One ticket, live: fetch it and all its audits, judge it, store history and judgements together,
and (with write-back) annotate its new drive-bys. A ticket deleted in Zendesk is removed from the store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from intently.engine import judge_ticket
from intently.model import Id, User
from intently.web.logs import emit
from intently.web.services import Services, ZendeskApi
from intently.zendesk.live.write_back import write_backs
from intently.zendesk.records import HistoryBuilder, user_from_record

if TYPE_CHECKING:
    from intently.zendesk.client import ZendeskClient


@dataclass(frozen=True, slots=True)
class Processed:
    judgements: int
    drive_bys: int
    written: int = 0
    waiting: int = 0
    deleted: bool = False


def _learn_users(services: Services, client: ZendeskApi, ids: list[Id]) -> int:
    """Fetch users the store does not know yet (comment authors) and store them; how many were found."""
    found: list[User] = []
    for record in client.users_by_id(ids):
        try:
            found.append(user_from_record(record))
        except ValueError as exc:
            emit("user.invalid", reason=f"a user record Zendesk sent is not usable: {exc}")
    if found:
        with services.writing(), services.store.batch() as batch:
            batch.put_users(found)
        services.forget_directory()
        emit("users.learned", count=len(found))
    return len(found)


def process_ticket(services: Services, ticket_id: Id) -> Processed:
    from intently.zendesk.client import NotFoundError, fetch_history, history_from_pages

    client = services.client()
    if services.settings.write_back:
        services.ensure_service_user()
    directory, titles = services.directory()
    builder = HistoryBuilder(directory, titles)
    try:
        record = client.ticket(ticket_id)
        pages: list[dict[str, Any]] = []
        history = fetch_history(
            cast("ZendeskClient", client), builder, ticket_id, ticket_record=record, on_page=pages.append
        )
    except NotFoundError:  # deleted (or merged away): as the sync does, the store forgets it
        with services.writing(), services.store.batch() as batch:
            batch.delete_ticket(ticket_id)
        return Processed(0, 0, deleted=True)
    if builder.missing and _learn_users(services, client, list(builder.missing)):
        # someone new wrote on the ticket (an agent who joined since the last sync): build it again, now known
        directory, titles = services.directory()
        builder = HistoryBuilder(directory, titles)
        history = history_from_pages(builder, ticket_id, record, pages)
    if builder.missing:
        emit("ticket.unknown_users", ticket_id=ticket_id, reason=f"{len(builder.missing)} author(s) unknown to Zendesk")
    with services.judging() as active:  # one policy for judging and storing, even if an admin adopts another
        result = judge_ticket(history, directory.users, active.policy)
        with services.writing(), services.store.batch() as batch:
            batch.put_histories([history])
            batch.put_judgements(result, active.fingerprint)
    drive_bys = sum(1 for j in result.judgements if j.verdict == "drive_by")
    if not drive_bys or not services.writing_back():
        return Processed(len(result.judgements), drive_bys)
    outcome = write_backs(services, client, history, record, result.judgements, datetime.now(UTC))
    return Processed(len(result.judgements), drive_bys, outcome.written, outcome.waiting)
