"""The Jinja2 set-up shared by the HTML report and the dashboard: autoescape on (every string from the data is
escaped, its control characters replaced and very long text cut), undefined names are errors, and the same number,
date, id and verdict formatting in both."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from intently.engine.judgement import VERDICT_LABELS
from intently.report.formatting import fmt_date, fmt_datetime, fmt_int, fmt_pct, fmt_share, page_text, short_id_html


def template_environment(package: str, *, keep_trailing_newline: bool = False, **globals_: Any) -> Environment:
    """An environment for the templates of ``package`` (its ``templates`` folder), with ``globals_`` added."""
    env = Environment(
        loader=PackageLoader(package, "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=keep_trailing_newline,
        finalize=page_text,  # control characters out, very long text cut: every value from the data
    )
    env.filters.update(
        int=fmt_int, pct=fmt_pct, share=fmt_share, date=fmt_date, datetime=fmt_datetime, short_id=short_id_html
    )
    env.globals.update(verdict_label=lambda v: VERDICT_LABELS.get(v, v), **globals_)
    return env
