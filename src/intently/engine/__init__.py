"""Judge: pure judgement of one ticket's history under a policy (no I/O, deterministic, ticket by ticket).

:mod:`.judge` (the rules, tried in order; open solicitations from the same state), :mod:`.judgement` (what the
engine says about each comment and why), :mod:`.explain` (a ticket's timeline with each judgement, for people)
and :mod:`.compare` (the same history judged under two policies: what would change); :mod:`.tally` counts what a
run over many tickets judged.
"""

from intently.engine.judge import judge_ticket, solicitations
from intently.engine.judgement import EXPORT_FIELDS, Evidence, Judgement, Skipped, Solicitation, TicketResult, iso
from intently.engine.tally import Tally

__all__ = [
    "EXPORT_FIELDS",
    "Evidence",
    "Judgement",
    "Skipped",
    "Solicitation",
    "Tally",
    "TicketResult",
    "iso",
    "judge_ticket",
    "solicitations",
]
