"""The export reader's ticket table: what goes in comes out equal, in the order of a dict."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

import pytest

from intently.model import Ticket
from intently.zendesk.ticket_table import TicketTable, pickled


@pytest.mark.parametrize("zone", [UTC, timezone(timedelta(hours=-5, minutes=-30)), ZoneInfo("Europe/Amsterdam")])
def test_a_ticket_comes_back_equal_with_its_time_zone(zone: tzinfo) -> None:
    ticket = Ticket(
        id=7,
        created_at=datetime(2026, 3, 2, 9, 30, 1, 250, tzinfo=zone),
        requester_id=1,
        subject="Invoice wrong ✓",
        status=3,  # as a record may have it
        priority=None,
        tags=("billing", "vip"),
        assignee_id="agent-x",
        fields={"Preferred Region for Support": "emea", "Nested": [1, {"a": None}], "Float": 1.5},
        satisfaction="good",
    )
    table = TicketTable()
    table.put(ticket.id, pickled(ticket))
    back = table.get(7)
    assert back == ticket
    assert back is not None and back.created_at.utcoffset() == ticket.created_at.utcoffset()
    assert type(back.tags) is tuple and table.get(8) is None


def test_ids_keep_the_order_of_a_dict() -> None:
    table, expected = TicketTable(), dict[int, Ticket]()
    for ticket_id, subject in [(3, "a"), (1, "b"), (2, "c"), (1, "b2"), (3, None), (4, "d"), (3, "e")]:
        if subject is None:
            table.pop(ticket_id)
            expected.pop(ticket_id)
            continue
        ticket = Ticket(id=ticket_id, created_at=datetime(2026, 1, 1, tzinfo=UTC), subject=subject)
        table.put(ticket_id, pickled(ticket))
        expected[ticket_id] = ticket
    ids = list(table.keys())
    assert ids == list(expected) == [1, 2, 4, 3]
    assert {i: table.get(i) for i in ids} == expected
    assert len(table) == 4 and 3 in table and 9 not in table and set(table.keys()) == {1, 2, 3, 4}
