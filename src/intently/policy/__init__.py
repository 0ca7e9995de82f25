"""Define: the policy, the written definition of intentional collaboration, as data.

Loading, merging and validating (:mod:`.loader`) the typed definition (:mod:`.schema`): rules with stable ids,
thresholds and organisation defaults, shipped as ``default.yaml`` with its scenarios in ``scenarios/``. This
package imports only :mod:`intently.model` and :mod:`intently.errors`, so the engine can read it; what runs
the engine over the policy (its scenarios, the handbook page) lives in :mod:`intently.policy.handbook`.
"""

from intently.policy.loader import dump_policy, fingerprint, load_policy, policy_from_mapping
from intently.policy.schema import ALL_REGIONS, RULE_IDS, VERDICTS, Policy

__all__ = [
    "ALL_REGIONS",
    "RULE_IDS",
    "VERDICTS",
    "Policy",
    "dump_policy",
    "fingerprint",
    "load_policy",
    "policy_from_mapping",
]
