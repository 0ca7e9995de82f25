"""Figures kept in the store per data version: a new process reads them instead of computing them again.

The report's metrics over the whole store and the outcome analysis (the bootstrap over every worked ticket) take
seconds at hundreds of thousands of tickets, and a fresh process (``intently report``, a server just started, a
second replica) would compute them again. :func:`kept` computes a figure once per data version and keeps it in
the store (:mod:`intently.store.kept`): encoded with msgspec (MessagePack, typed), and kept only when it decodes
to a value equal to the one computed, so a figure read back is exactly the one computed, and the pages and the
reports show the same numbers either way.

A figure is kept under a key made of the data version it was computed from, the schema and intently's version,
this module's :data:`FORMAT`, and what else it depends on (the policy's fingerprint, the filter, the seed): a
new import, a re-judging or any other change of the data gives a new data version, under which nothing is kept
yet. Only the store's own, current figures are kept: a what-if (judged in memory under another policy) never
comes here, and nothing is kept when the data changed while the figure was computed.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec
import orjson

from intently._version import __version__
from intently.model import Id, User
from intently.policy import Policy, fingerprint
from intently.report.facts import TicketFacts, TicketFilter, stored_facts
from intently.report.metrics import Metrics, previous_period, recent_period, stored_metrics
from intently.store import Store
from intently.store.queries import Scope
from intently.store.schema import SCHEMA_VERSION

if TYPE_CHECKING:
    from intently.report.outcomes import OutcomeReport

T = TypeVar("T")

FORMAT = "3"
"""Changes whenever what a kept figure holds or how it is computed changes (with intently's version)."""

METRICS = "metrics"
OUTCOMES = "outcomes"
REPORT_PAGE = "report_page"


def canonical(value: Any) -> Any:
    """``value`` as plain JSON data that is the same in every process (sets sorted, dataclasses as their fields)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, frozenset | set):
        return sorted(canonical(v) for v in value)
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def figure_key(kind: str, version: str, parts: Any) -> str:
    """The key a figure is kept under: a digest of everything it was computed from."""
    text = orjson.dumps(
        [FORMAT, __version__, SCHEMA_VERSION, kind, version, canonical(parts)], option=orjson.OPT_SORT_KEYS
    )
    return hashlib.blake2b(text, digest_size=16).hexdigest()


def kept(store: Store, kind: str, parts: Any, compute: Callable[[], T], as_type: type[T], version: str | None) -> T:
    """The figure ``compute()`` gives for the store's data at ``version`` (the data version the caller's other
    inputs, such as the people, were read at): read from the store when it was kept, else computed and kept. When
    the store is at another version now, or changes while the figure is computed, it is computed and not kept."""
    if version is None or store.data_version() != version:
        return compute()
    key = figure_key(kind, version, parts)
    blob = store.kept_figure(kind, key)
    if blob is not None:
        try:
            return msgspec.msgpack.decode(blob, type=as_type)
        except (msgspec.DecodeError, msgspec.ValidationError):  # written by another build: computed again below
            pass
    value = compute()
    if store.data_version() == version:
        try:
            encoded = msgspec.msgpack.encode(value)
            same = msgspec.msgpack.decode(encoded, type=as_type) == value
        except (msgspec.EncodeError, msgspec.DecodeError, msgspec.ValidationError, TypeError):
            same = False
        if same:  # a value that would not read back the same (a NaN, a naive time) is never kept
            store.keep_figure(kind, key, version, encoded)
    return value


def kept_metrics(
    store: Store, users: Mapping[Id, User], policy: Policy, version: str | None, scope: Scope | None = None
) -> Metrics:
    """:func:`~intently.report.metrics.stored_metrics` of the store's judgements under ``scope`` (all without one),
    with the default title and no time of making (set them with :func:`dataclasses.replace`), kept per data
    version."""
    scope = scope or Scope()
    return kept(
        store,
        METRICS,
        [fingerprint(policy), policy.name, policy.version, scope],
        lambda: stored_metrics(
            store, users, policy_name=policy.name, policy_version=policy.version, policy=policy, scope=scope
        ),
        Metrics,
        version,
    )


def kept_outcomes(
    store: Store,
    policy: Policy,
    users: Mapping[Id, User],
    version: str | None,
    chosen: TicketFilter | None = None,
    facts: Callable[[], list[TicketFacts]] | None = None,
    *,
    seed: int | None = None,
    replicates: int | None = None,
) -> OutcomeReport:
    """:func:`~intently.report.outcomes.outcomes_by_class` of the store's worked tickets that ``chosen`` keeps (all
    without it), kept per data version. ``facts``: every worked ticket of the store, when the caller has them
    (read from the store otherwise)."""
    from intently.report.outcomes import OutcomeReport, outcomes_by_class  # numpy: only when outcomes are read
    from intently.report.stats import DEFAULT_SEED, REPLICATES

    chosen = chosen or TicketFilter()
    seed = DEFAULT_SEED if seed is None else seed
    replicates = REPLICATES if replicates is None else replicates

    def compute() -> OutcomeReport:
        every = facts() if facts is not None else stored_facts(store)
        kept_facts = chosen.apply(every, policy, users) if chosen.items() else every
        return outcomes_by_class(kept_facts, seed=seed, replicates=replicates)

    parts = [fingerprint(policy), chosen, seed, replicates]
    return kept(store, OUTCOMES, parts, compute, OutcomeReport, version)


def write_stored_report(
    store: Store, users: Mapping[Id, User], policy: Policy, path: Path | None, title: str
) -> Metrics:
    """The report of the store's own, up-to-date judgements (returned), counted from its rollups; with ``path`` the
    HTML report is written there, with the outcomes of its worked tickets (the ticket rollups): no judgement is
    read one by one, and nothing twice. The figures and the HTML page are kept in the store for its data version
    (as above): the next run reads them. The people named are the store's (``users``, read again after the data
    version, so that what is kept names the people of that version)."""
    version = store.data_version()
    if version is not None:
        users = store.directory().users
    metrics = kept_metrics(store, users, policy, version)
    metrics = dataclasses.replace(metrics, title=title, imported_tickets=store.ticket_count())
    if path is not None:
        path.write_text(_report_page(store, metrics, users, policy, version), encoding="utf-8")
    return metrics


_SOME_TIME = datetime(2000, 1, 1, tzinfo=UTC)
"""The time a kept HTML report is rendered with; its text is cut out, and each run puts its own time there."""


def _report_page(store: Store, metrics: Metrics, users: Mapping[Id, User], policy: Policy, version: str | None) -> str:
    """The HTML report of ``metrics`` and the store's outcomes, "generated" now: kept per data version as the page
    before and after the time it was generated (the footer, after every text from the data, is where the time is)."""
    from intently.report.formatting import fmt_datetime

    base = store.zendesk_base()

    def render() -> list[str]:
        from intently.report.html import render_html  # Jinja, numpy and the charts: only when rendering

        outcomes = kept_outcomes(store, policy, users, version)
        page = render_html(metrics, generated_at=_SOME_TIME, outcomes=outcomes, zendesk_base=base)
        before, time, after = page.rpartition(fmt_datetime(_SOME_TIME))
        return [before, after] if time else [page]

    parts = [fingerprint(policy), metrics.title, metrics.imported_tickets, base]
    return fmt_datetime(datetime.now(UTC)).join(kept(store, REPORT_PAGE, parts, render, list[str], version))


def keep_figures(store: Store, policy: Policy) -> None:
    """Compute and keep the figures every reader of the whole store needs (the report's metrics and the outcome
    analysis; the dashboard's trends, the metrics of the data's last 30 days and of the 30 before) for the store's
    data version, judged under ``policy`` (after an import, say): the first report and the first dashboard page
    read them instead of computing them."""
    version = store.data_version()
    users = store.directory().users
    metrics = kept_metrics(store, users, policy, version)
    kept_outcomes(store, policy, users, version)
    if metrics.last_comment_at is not None:  # the dashboard's trends: the data's last days and the days before
        recent = recent_period(metrics.last_comment_at.date())
        for start, end in (recent, previous_period(*recent)):
            kept_metrics(store, users, policy, version, Scope(start=start, end=end))
