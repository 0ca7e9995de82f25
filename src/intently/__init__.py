"""intently: where intentional collaboration on a support ticket ends and drive-by collaboration begins.

The library behind the ``intently`` command. Data flows one way: a source (Zendesk export, neutral
JSON Lines) gives the model, the engine judges each ticket under a policy, the store keeps the
results, and reports read them.
"""

from intently.engine import Judgement, judge_ticket
from intently.errors import InputError, IntentlyError, PolicyError
from intently.policy import Policy, load_policy
from intently.sources import open_source
from intently.store import Store

__version__ = "0.1.0"

__all__ = [
    "InputError",
    "IntentlyError",
    "Judgement",
    "Policy",
    "PolicyError",
    "Store",
    "__version__",
    "judge_ticket",
    "load_policy",
    "open_source",
]
