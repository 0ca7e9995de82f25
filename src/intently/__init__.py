"""intently: where intentional collaboration on a support ticket ends and drive-by collaboration begins.

The library behind the ``intently`` command. Data flows one way: a source (Zendesk export, neutral
JSON Lines) gives the model, the engine judges each ticket under a policy, the store keeps the
results, and reports read them.
"""

from typing import TYPE_CHECKING, Any

from intently._version import __version__
from intently.errors import InputError, IntentlyError, PolicyError

if TYPE_CHECKING:
    from intently.engine import Judgement, judge_ticket
    from intently.policy import Policy, load_policy
    from intently.sources import open_source
    from intently.store import Store

_LAZY = {
    "Judgement": "intently.engine",
    "judge_ticket": "intently.engine",
    "Policy": "intently.policy",
    "load_policy": "intently.policy",
    "open_source": "intently.sources",
    "Store": "intently.store",
}


def __getattr__(name: str) -> Any:
    """The public face, imported when first used: ``import intently.cli`` (every command) does not pay for the
    store's database drivers unless the command opens a store."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'intently' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


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
