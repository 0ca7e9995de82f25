"""A realistic, synthetic Zendesk export for demos and benchmarks, generated deterministically.

:func:`generate_export` writes what a Zendesk export directory holds, in the exact shapes of the Zendesk
REST API responses: ``users.page-001.json``, ``groups.page-001.json``, ``group_memberships.page-001.json``,
``ticket_fields.page-001.json``, the cursor-based incremental ticket export (``tickets.page-NNN.json``) and
the account-wide audit list (``ticket_audits.page-NNN.json``, every audit of every ticket in time order, so a
ticket's audits are spread over many pages). Beside them it writes ``intently.yaml``, a policy override with
two pods and two out-of-office periods.

The history is a quarter of support work by 36 agents in three regions for a few hundred customers: tickets arrive
on weekdays, mostly in business hours; assignees reply within their business hours; customers reply; tickets get
solved, some reopened, and closed; a day after the solve an automation offers the satisfaction survey, which about a
third of customers answer ``good`` or ``bad``. Drive-bys have a synthetic effect on these outcomes (rated good less
often, reopened more often, a round longer: see :mod:`~intently.demo.stories`), made up so that the outcome figures
have something to find. Woven in, in realistic proportions, are the situations every rule of the policy is about:
pick-ups and handovers, requests for help (a tag, a follower, an @mention, an e-mail CC), pod members' notes
(acknowledged or not), cover for assignees who are off shift or out of office, and drive-by replies. About 1.5% of
agent comments are borderline cases, as real history has them, so that a proposal which only moves a threshold
changes judgements: late pick-ups (the author assigns the ticket to themself 31-75 minutes after replying, past the
default 30-minute ownership window), early cover (a colleague steps in while the assignee is off shift, after 45-74%
of the reply target, short of the default 75%) and a few agents who follow a ticket on their own and then reply
(drive-bys under any threshold).

Generation has two stages. :func:`plan_export` simulates every ticket into a compact plan (who did what,
when), tracking the ticket state the engine will replay so that, for instance, a covering reply really
comes after 75% of the reply target with the assignee really outside business hours. :func:`write_export`
renders the plans as JSON pages, one page at a time. The same seed gives the same bytes.

The package, one job per module:

- :mod:`~intently.demo.organisation`: the account (agents, pods, time off, companies, ids, rules, policy override)
- :mod:`~intently.demo.texts`: product areas and their cases, and every comment text
- :mod:`~intently.demo.clock`: epoch-second helpers and the business-hours calendar
- :mod:`~intently.demo.people`: agents, companies and customers drawn from the seed
- :mod:`~intently.demo.plan`: the plan of an export (abstract events, steps, ticket plans)
- :mod:`~intently.demo.world`: the shared facts a ticket simulation asks about
- :mod:`~intently.demo.ticket`, :mod:`~intently.demo.stories`, :mod:`~intently.demo.episodes`: one ticket's
  simulation, layered: state and primitive updates, the main line of its story, the side stories
- :mod:`~intently.demo.simulate`: arrivals, each ticket's script, and :func:`plan_export`
- :mod:`~intently.demo.records`: plans rendered as Zendesk API records
- :mod:`~intently.demo.writer`: the export directory's pages and files, and :func:`write_export`
- :mod:`~intently.demo.progress`: running totals turned into progress-bar increments
- :mod:`~intently.demo.generate`: :func:`generate_export`, both stages with one progress bar
"""

from intently.demo.generate import generate_export
from intently.demo.organisation import POLICY_FILE
from intently.demo.plan import K_COMMENT, DemoPlan
from intently.demo.simulate import plan_export
from intently.demo.writer import DemoSummary, write_export

__all__ = [
    "K_COMMENT",
    "POLICY_FILE",
    "DemoPlan",
    "DemoSummary",
    "generate_export",
    "plan_export",
    "write_export",
]
