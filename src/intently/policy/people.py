"""The people a policy names, checked against the people in the data.

A pod member or an out-of-office agent written with a typo is not an error the policy file can catch on its
own (it does not know the agents); checked against a store or an export, each one the data does not know as
an agent is named in a warning, so a pod does not silently lose a member.
"""

from __future__ import annotations

from collections.abc import Mapping

from intently.model import Id, User
from intently.policy.schema import Policy, refers_to


def unknown_people(policy: Policy, users: Mapping[Id, User]) -> list[str]:
    """One warning per policy key that names people who are not agents in ``users`` (by id or e-mail)."""
    agents = [user for user in users.values() if user.is_agent]

    def known(ref: int | str) -> bool:
        return any(refers_to(ref, agent) for agent in agents)

    organisation = policy.organisation
    named: list[tuple[str, list[int | str]]] = [
        (f"organisation.pods.{name}.members", list(pod.members)) for name, pod in organisation.pods.items()
    ]
    named.append(("organisation.out_of_office", [period.agent for period in organisation.out_of_office]))
    warnings = []
    for key, refs in named:
        missing = list(dict.fromkeys(ref for ref in refs if not known(ref)))
        if missing:
            who = ", ".join(str(ref) for ref in missing)
            warnings.append(
                f"{key}: {who} {'is not an agent' if len(missing) == 1 else 'are not agents'} in the data "
                "(check the id or e-mail address)"
            )
    return warnings
