"""The policy: loading, validating and rendering the definition of intentional collaboration."""

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
