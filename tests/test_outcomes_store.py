"""Each ticket's outcome, read from its history, and kept in the store with its judgements.

Histories with known outcomes: never solved, solved once, reopened twice, rated then re-offered, rated only on the
ticket, a survey that was only offered; and the collaboration class of each kind of ticket.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from intently.engine import judge_ticket
from intently.engine.outcomes import collaboration_class, ticket_outcome
from intently.model import (
    Comment,
    Event,
    SatisfactionRating,
    StatusChange,
    Ticket,
    TicketHistory,
    User,
    ordered,
)
from intently.policy import fingerprint, load_policy
from intently.report.facts import stored_facts
from intently.store import Store
from intently.store import schema as tables
from intently.store.pipeline import classify_store, import_path
from tests.test_zendesk_export import _small_export

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CUSTOMER, ANA, BEN = 1, 10, 11
USERS = {
    CUSTOMER: User(id=CUSTOMER, name="Customer"),
    ANA: User(id=ANA, name="Ana", role="agent"),
    BEN: User(id=BEN, name="Ben", role="agent"),
}


class History:
    """A ticket's events, written in order, one hour apart unless told."""

    def __init__(self, satisfaction: str | None = None) -> None:
        self.events: list[Event] = []
        self.at = T0
        self.ticket = Ticket(id=7, created_at=T0, requester_id=CUSTOMER, satisfaction=satisfaction)

    def _next(self, hours: float) -> tuple[int, datetime]:
        self.at += timedelta(hours=hours)
        return len(self.events) + 1, self.at

    def comment(self, author: int, public: bool = True, hours: float = 1) -> History:
        n, at = self._next(hours)
        self.events.append(Comment(id=n, at=at, actor=author, update=n, author=author, public=public, body="…"))
        return self

    def status(self, status: str, hours: float = 1) -> History:
        n, at = self._next(hours)
        self.events.append(StatusChange(id=n, at=at, actor=ANA, update=n, status=status))
        return self

    def rating(self, score: str, hours: float = 1) -> History:
        n, at = self._next(hours)
        self.events.append(SatisfactionRating(id=n, at=at, actor=CUSTOMER, update=n, score=score))
        return self

    def outcome(self):  # type: ignore[no-untyped-def]
        return ticket_outcome(self.ticket, ordered(self.events), USERS)


def opened() -> History:
    """A customer's ticket: its description (never a reply), status new."""
    h = History()
    h.comment(CUSTOMER, hours=0)
    return h.status("new", hours=0)


def test_a_ticket_never_solved_has_no_resolution_and_no_rating() -> None:
    o = opened().comment(ANA, hours=2).comment(CUSTOMER).outcome()
    assert o.solved_at is None and o.resolution_hours is None
    assert o.reopens == 0 and not o.reopened
    assert o.satisfaction is None
    assert o.first_reply_hours == 2
    assert (o.customer_replies, o.agent_replies) == (1, 1)


def test_resolution_counts_to_the_first_solve_and_every_reopen_counts() -> None:
    h = opened().comment(ANA, hours=3).status("solved", hours=2)  # solved 5 h after creation
    h.comment(CUSTOMER).status("open", hours=0)  # reopened once
    h.status("pending").status("solved").status("hold").status("solved")  # pending is no reopen; hold is the 2nd
    h.status("closed")  # closed after solved is no reopen
    o = h.outcome()
    assert o.resolution_hours == 5
    assert o.reopens == 2 and o.reopened


def test_the_last_good_or_bad_rating_counts_and_offered_is_no_rating() -> None:
    assert opened().status("solved").rating("offered").outcome().satisfaction is None
    assert opened().status("solved").rating("offered").rating("good").outcome().satisfaction == "good"
    rerated = opened().status("solved").rating("good").status("open").rating("bad").rating("offered")
    assert rerated.outcome().satisfaction == "bad"
    assert opened().rating("unoffered").outcome().satisfaction is None


def test_the_tickets_own_rating_counts_only_where_the_history_has_none() -> None:
    h = History(satisfaction="good")
    h.comment(CUSTOMER, hours=0)
    assert h.outcome().satisfaction == "good"
    h.rating("bad")
    assert h.outcome().satisfaction == "bad"
    offered = History(satisfaction="offered")
    offered.comment(CUSTOMER, hours=0)
    assert offered.outcome().satisfaction is None


def test_internal_notes_and_the_description_are_no_reply() -> None:
    h = History()
    h.comment(ANA, hours=0)  # an agent opened the ticket: its description, no reply
    h.comment(BEN, public=False, hours=1)  # an internal note
    h.comment(BEN, hours=4)
    o = h.outcome()
    assert o.first_reply_hours == 5 and o.agent_replies == 1 and o.customer_replies == 0


def test_collaboration_classes() -> None:
    assert collaboration_class([]) is None
    assert collaboration_class(["assignee", "ownership_change"]) == "solo"
    assert collaboration_class(["assignee", "intentional"]) == "intentional"
    assert collaboration_class(["intentional", "drive_by", "assignee"]) == "drive_by"


def test_judging_a_ticket_gives_its_outcome() -> None:
    h = opened().comment(ANA).status("solved")
    result = judge_ticket(TicketHistory.of(h.ticket, h.events), USERS, load_policy())
    assert result.outcome == h.outcome()


def _outcome_rows(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(tables.outcomes)).scalar_one())


def test_outcomes_are_stored_with_the_judgements(tmp_path: Path, store_url: str) -> None:
    export = _small_export().write(tmp_path / "export")
    store = Store.open(store_url)
    policy = load_policy()
    import_path(export, store, policy)
    history = next(iter(store.histories()))
    expected = judge_ticket(history, store.directory().users, policy).outcome
    assert store.outcomes() == {history.ticket.id: expected}
    facts = stored_facts(store)
    assert [(f.ticket_id, f.outcome) for f in facts] == [(history.ticket.id, expected)]
    classify_store(store, policy)  # judged again: the same outcome, once
    assert store.outcomes() == {history.ticket.id: expected} and _outcome_rows(store) == 1
    with store.batch() as batch:
        batch.delete_ticket(history.ticket.id)
    assert store.outcomes() == {} and _outcome_rows(store) == 0


def test_an_upgraded_store_counts_outcomes_by_judging_again(tmp_path: Path) -> None:
    """A store from the release before outcomes: the upgrade says its judgements are out of date, and judging
    again (what the next command does) fills in every ticket's outcome."""
    from alembic import command
    from alembic.config import Config

    import intently.store.store as store_module

    path = tmp_path / "before.db"
    store = Store.open(path)
    policy = load_policy()
    import_path(_small_export().write(tmp_path / "export"), store, policy)
    config = Config()
    config.set_main_option("script_location", str(Path(store_module.__file__).with_name("migrations")))
    with store.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0004")
    store.close()
    store = Store.open(path)
    assert store.outcomes() == {}
    why = store.judgements_stale(fingerprint(policy))
    assert why is not None and "upgraded" in why
    classify_store(store, policy)
    assert len(store.outcomes()) == 1 and store.judgements_are_current(fingerprint(policy))


@pytest.mark.parametrize("score", ["good_with_comment", "GOOD", " bad "])
def test_older_and_oddly_written_scores_are_read(score: str) -> None:
    assert opened().rating(score).outcome().satisfaction in ("good", "bad")
