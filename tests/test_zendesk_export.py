"""The Zendesk export reader: real recorded data, shapes, history reconstruction and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from intently.engine import judge_ticket
from intently.errors import InputError
from intently.model import AssigneeChange, Comment, FieldChange, TagsChange, WatchersChange
from intently.policy import load_policy
from intently.sources import open_source
from intently.zendesk.export import ZendeskExport
from tests.zendesk_builder import ExportBuilder, change, comment, create

PREFERRED_FIELD = 360001


def _small_export() -> ExportBuilder:
    b = ExportBuilder()
    b.user(1, "Casey Customer", role="end-user", email="casey@customer.test")
    b.user(10, "Ana Lee", user_fields={"support_region": "emea"})
    b.user(11, "Bo Chen", iana_time_zone="Australia/Sydney")
    b.user(12, "Pip Okafor", email="pip@example.com", iana_time_zone="America/Chicago")
    b.fields.append({"id": PREFERRED_FIELD, "title": "Preferred Region for Support", "type": "tagger"})
    b.ticket(
        7,
        "2026-03-02T09:00:00Z",
        requester=1,
        assignee_id=10,
        tags=["billing"],
        custom_fields=[{"id": PREFERRED_FIELD, "value": "emea"}],
    )
    b.audit(
        7,
        "2026-03-02T09:00:00Z",
        1,
        comment("My invoice is wrong."),
        create("requester_id", "1"),
        create("assignee_id", "10"),
        create("priority", "normal"),
        create("tags", ["billing"]),
        create(str(PREFERRED_FIELD), "emea"),
    )
    b.audit(7, "2026-03-02T09:30:00Z", 10, comment("Looking into it.", public=True))
    b.audit(
        7,
        "2026-03-02T10:00:00Z",
        10,
        change("tags", ["billing", "needs_collaboration"], ["billing"]),
        {"type": "FollowerChange", "previous_followers": [], "current_followers": ["pip@example.com"]},
        {"type": "EmailCcChange", "previous_email_ccs": [], "current_email_ccs": ["11"]},
    )
    b.audit(7, "2026-03-02T10:20:00Z", 12, comment("Pip here: the tax rate is cached.", public=True))
    b.audit(7, "2026-03-02T10:25:00Z", 11, comment("Internal: seen this before.", public=False))
    b.audit(
        7,
        "2026-03-02T10:40:00Z",
        10,
        change(str(PREFERRED_FIELD), "apac", "emea"),
        change("priority", "high", "normal"),
    )
    b.audit(
        7,
        "2026-03-02T10:45:00Z",
        10,
        {"type": "Notification", "subject": "x", "body": "y", "recipients": [1]},
        via="rule",
    )
    return b


def test_history_is_rebuilt_from_audits_spread_over_pages(tmp_path: Path) -> None:
    root = _small_export().write(tmp_path / "export", audits_per_page=1)
    assert len(list(root.glob("ticket_audits*.json"))) == 7
    source = open_source(root)
    histories = list(source.histories())
    assert [h.ticket.id for h in histories] == [7]
    events = histories[0].events
    assignments = [e for e in events if isinstance(e, AssigneeChange)]
    assert [(a.assignee, a.actor) for a in assignments] == [(10, 1)]  # string id normalised, audit author acted
    tags = [e for e in events if isinstance(e, TagsChange)]
    assert [(t.added, t.removed) for t in tags] == [(("billing",), ()), (("needs_collaboration",), ())]
    watchers = [e for e in events if isinstance(e, WatchersChange)]
    assert [(w.kind, w.added, w.actor) for w in watchers] == [("follower", (12,), 10), ("cc", (11,), 10)]
    fields = [(e.field, e.value) for e in events if isinstance(e, FieldChange)]
    assert ("Preferred Region for Support", "emea") in fields and ("Preferred Region for Support", "apac") in fields
    comments = [e for e in events if isinstance(e, Comment)]
    assert [c.author for c in comments] == [1, 10, 12, 11]
    assert all(isinstance(e.id, int) for e in events)


def test_state_at_each_comment_drives_the_judgement(tmp_path: Path) -> None:
    source = open_source(_small_export().write(tmp_path / "export", audits_per_page=2))
    history = next(iter(source.histories()))
    result = judge_ticket(history, source.directory.users, load_policy())
    by_author = {j.author_id: j for j in result.judgements}
    assert by_author[10].rule == "assignee" and by_author[10].out_of_region is False
    # Pip was added as a follower (by e-mail) and the tag was added by Ana: solicited, in AMER (out of region)
    assert by_author[12].rule == "solicited" and by_author[12].verdict == "intentional"
    assert by_author[12].out_of_region is True
    # Bo was CC'd by id string: an internal note after being asked is solicited too
    assert by_author[11].rule == "solicited" and by_author[11].public is False
    assert by_author[11].out_of_region is True  # Bo's time zone puts him in APAC; the ticket preferred EMEA
    assert len(result.judgements) == 3  # the opening description and the trigger are not judged


def test_recorded_export_imports_and_classifies(recorded_export: Path) -> None:
    source = open_source(recorded_export)
    histories = list(source.histories())
    assert len(histories) == 86  # 87 tickets, one deleted
    policy = load_policy()
    judged = [j for h in histories for j in judge_ticket(h, source.directory.users, policy).judgements]
    assert {j.ticket_id for j in judged} == {1}
    assert all(isinstance(j.comment_id, int) and isinstance(j.author_id, int) for j in judged)
    assert any("6295881799834" in warning and "not in the export" in warning for warning in source.warnings)


def test_repeated_ticket_in_incremental_pages_keeps_the_latest(tmp_path: Path) -> None:
    b = _small_export()
    older = dict(b.tickets[0], status="new", updated_at="2026-03-01T00:00:00Z")
    root = b.write(tmp_path / "export")
    (root / "tickets.page-000.json").write_text(json.dumps({"tickets": [older]}))
    history = next(iter(open_source(root).histories()))
    assert history.ticket.status == "open"


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda root: (root / "users.page-001.json").write_text("{not json"), "users.page-001.json: not valid JSON"),
        (
            lambda root: (root / "tickets.page-001.json").write_text('{"items": []}'),
            'expected a Zendesk API response with a "tickets" list',
        ),
        (
            lambda root: _rewrite_audit(root, lambda a: a.pop("created_at")),
            "field 'created_at'",
        ),
        (
            lambda root: _rewrite_audit(root, lambda a: a.__setitem__("created_at", "yesterday")),
            "expected an ISO 8601 time, got 'yesterday'",
        ),
        (
            lambda root: _rewrite_ticket(root, lambda t: t.__setitem__("created_at", None)),
            "ticket 7: field created_at",
        ),
    ],
)
def test_bad_input_names_file_record_and_field(tmp_path: Path, mutate, expected: str) -> None:
    root = _small_export().write(tmp_path / "export")
    mutate(root)
    with pytest.raises(InputError) as info:
        list(ZendeskExport(root).histories())
    assert expected in str(info.value)


def _rewrite_audit(root: Path, change_audit) -> None:
    path = root / "ticket_audits.page-001.json"
    data = json.loads(path.read_text())
    change_audit(data["audits"][1])
    path.write_text(json.dumps(data))


def _rewrite_ticket(root: Path, change_ticket) -> None:
    path = root / "tickets.page-001.json"
    data = json.loads(path.read_text())
    change_ticket(data["tickets"][0])
    path.write_text(json.dumps(data))


def test_not_an_export(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(InputError, match="Zendesk export directory"):
        open_source(tmp_path)
    with pytest.raises(InputError, match="no such file"):
        open_source(tmp_path / "missing")


def test_a_ticket_only_mentioned_in_another_audit_is_still_read(tmp_path: Path) -> None:
    b = _small_export()
    b.ticket(8, "2026-03-01T09:00:00Z", requester=1)  # no audits of its own in this export
    follow_up = b.audit(7, "2026-03-02T11:00:00Z", 10, comment("Follow-up noted.", public=False))
    follow_up["via"] = {"channel": "web", "source": {"from": {"ticket_id": 8}, "rel": "follow_up"}}
    source = open_source(b.write(tmp_path / "export", audits_per_page=3))
    assert sorted(h.ticket.id for h in source.histories()) == [7, 8]


@pytest.mark.parametrize("unusual", [False, True], ids=["decoded-straight", "decoded-generically"])
def test_a_comment_without_an_author_is_the_audits_authors(tmp_path: Path, unusual: bool) -> None:
    """A Comment event whose ``author_id`` is null (as when it is absent) was written by the audit's author, and is
    judged as theirs, however the page is decoded."""
    b = _small_export()
    b.audit(7, "2026-03-02T11:00:00Z", 11, comment("Checked the logs: a proration bug.", public=False, author_id=None))
    if unusual:  # an object where intently expects a plain value: the page is decoded generically
        b.audits[-1]["events"][0]["value"] = {"odd": True}
    source = open_source(b.write(tmp_path / "export"))
    (history,) = list(source.histories())
    note = next(e for e in history.events if isinstance(e, Comment) and e.body.startswith("Checked the logs"))
    assert note.author == 11
    judged = judge_ticket(history, source.directory.users, load_policy())
    assert [j.author_id for j in judged.judgements if j.comment_id == note.id] == [11]


def test_an_export_without_audits_or_with_odd_roles_says_what_will_not_be_judged(tmp_path: Path) -> None:
    """Tickets without their audits judge no comment; a user with no role, or one Zendesk does not have, is no
    agent: each said in one warning, where nothing else would show it. A role in capitals is the role."""
    from intently.demo import generate_export

    export = tmp_path / "export"
    generate_export(export, tickets=20, seed=5)
    page = sorted(export.glob("users*.json"))[0]
    data = json.loads(page.read_text())
    agents = [user for user in data["users"] if user["role"] == "agent"]
    agents[0]["role"], agents[1]["role"], agents[2]["role"] = None, "superagent", " Agent"
    page.write_text(json.dumps(data))
    source = ZendeskExport(export)
    users = source.directory.users
    assert users[agents[2]["id"]].is_agent and not users[agents[0]["id"]].is_agent
    odd = [w for w in source.warnings if "without a role" in w]
    assert odd == [
        f"2 users without a role, or with one that is not end-user, agent or admin (user {agents[0]['id']}, "
        f"{agents[1]['id']}): not read as agents, so their comments are not judged"
    ]
    assert not any("ticket_audits" in w or "no audits" in w for w in source.warnings)
    tickets = sorted(export.glob("tickets*.json"))[0]
    page_data = json.loads(tickets.read_text())
    page_data["tickets"].append({**page_data["tickets"][0], "id": 990001})  # a ticket no audit names
    tickets.write_text(json.dumps(page_data))
    total = sum(len(json.loads(t.read_text())["tickets"]) for t in export.glob("tickets*.json"))
    partial = ZendeskExport(export)
    assert [w for w in partial.warnings if "no audits" in w] == [
        f"1 of {total} tickets in tickets*.json have no audits in the export (ticket 990001): their comments are in "
        "the audits, so none of them is judged. Is the export of the ticket audits complete?"
    ]
    for audits in export.glob("ticket_audits*.json"):
        audits.unlink()
    bare = ZendeskExport(export)
    assert any(w.startswith("no ticket_audits*.json files in ") and "no comment is judged" in w for w in bare.warnings)
