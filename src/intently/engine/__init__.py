"""The engine: pure judgement of one ticket's history under a policy (no I/O)."""

from intently.engine.judge import judge_ticket, solicitations
from intently.engine.judgement import EXPORT_FIELDS, Evidence, Judgement, Skipped, Solicitation, TicketResult, iso

__all__ = [
    "EXPORT_FIELDS",
    "Evidence",
    "Judgement",
    "Skipped",
    "Solicitation",
    "TicketResult",
    "iso",
    "judge_ticket",
    "solicitations",
]
