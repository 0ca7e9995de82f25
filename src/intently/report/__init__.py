"""The report: metrics counted from judgements, shown in the terminal or as one self-contained HTML file; and the
outcomes of tickets by how they were worked.

The names below load on first use, so a command that needs only :mod:`.formatting` does not load Jinja2 or numpy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from intently.report.html import render_html
    from intently.report.metrics import Metrics, build_metrics
    from intently.report.terminal import print_report

_LAZY = {
    "render_html": "intently.report.html",
    "Metrics": "intently.report.metrics",
    "build_metrics": "intently.report.metrics",
    "print_report": "intently.report.terminal",
}

__all__ = ["Metrics", "build_metrics", "print_report", "render_html"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
