"""What every command module shares: the options, the two consoles, and the policy, store and progress helpers.

Command modules import this module and nothing else from :mod:`intently.cli`, so the command layer has no cycle.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeGuard

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, ProgressColumn, SpinnerColumn, Task, TextColumn, TimeElapsedColumn
from rich.text import Text

from intently.engine.judgement import verdict_label
from intently.files import write_whole
from intently.model import Directory, Group, Id, TicketHistory, User
from intently.policy import Policy
from intently.report.formatting import clean_text
from intently.report.metrics import worked_tickets
from intently.report.tables import FitTable

if TYPE_CHECKING:
    from intently.store import Store

out = Console(highlight=False, soft_wrap=False, width=None if sys.stdout.isatty() else 130)
err = Console(stderr=True, highlight=False, soft_wrap=True)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Store: a SQLAlchemy URL or a file path \\[default: ./intently.db, or $INTENTLY_DB]",
        show_default=False,
    ),
]
ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help=(
            "Policy override merged over the default \\[default: $INTENTLY_CONFIG, else ./intently.yaml if present]. "
            "Reading a store under a policy other than its own is a what-if: nothing is written"
        ),
        show_default=False,
    ),
]
SavedConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help=(
            "Policy file (merged over the default) to judge under; it becomes the store's policy \\[default: "
            "$INTENTLY_CONFIG, else ./intently.yaml if present, else the store's policy]"
        ),
        show_default=False,
    ),
]
"""``--config`` of the commands that write judgements (``import``, ``sync zendesk``): the file becomes the
store's policy, no what-if."""
ServedConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help=(
            "Policy file (merged over the default) to serve under: the store is judged again under it where it "
            "differs, and the dashboard cannot adopt another \\[default: $INTENTLY_CONFIG, else ./intently.yaml if "
            "present, else the store's policy]"
        ),
        show_default=False,
    ),
]
PathArgument = Annotated[
    Path | None,
    typer.Argument(help="A Zendesk export directory or a neutral .jsonl file; without it, the store is used."),
]


def config_path(config: Path | None) -> Path | None:
    if config is not None:
        return config
    env = os.environ.get("INTENTLY_CONFIG")
    if env:
        return Path(env)
    local = Path("intently.yaml")
    return local if local.is_file() else None


def config_origin(config: Path | None) -> str | None:
    """How the policy file was found when the command line did not name it (for errors about it); else None."""
    if config is not None:
        return None
    if os.environ.get("INTENTLY_CONFIG"):
        return "named by $INTENTLY_CONFIG"
    return "./intently.yaml in this folder, read by default" if Path("intently.yaml").is_file() else None


def policy_file(path: Path, config: Path | None) -> Policy:
    """The policy of the file :func:`config_path` found; an error in it also says how it was found when the
    command line did not name it (a forgotten $INTENTLY_CONFIG, an intently.yaml in the folder)."""
    from intently.errors import PolicyError
    from intently.policy import load_policy

    try:
        return load_policy(path)
    except PolicyError as exc:
        origin = config_origin(config)
        if origin is None:
            raise
        raise PolicyError(f"{exc.source} ({origin}; --config FILE names another)", exc.problems) from None


def effective_policy(config: Path | None, store: Store | None = None) -> Policy:
    """The effective policy: --config, $INTENTLY_CONFIG, ./intently.yaml, the store's, or the default."""
    return policy_and_source(config, store)[0]


def store_policy(store: Store) -> tuple[Policy, str]:
    """The store's policy: the one saved in the store (by ``import`` with a policy file, ``policy adopt``, the
    demo or the dashboard), else the built-in default; and where it came from, in words."""
    from intently.policy import load_policy
    from intently.policy.loader import validate_policy

    saved = store.saved_policy()
    if saved is not None:
        return validate_policy(saved, f"policy saved in {store.shown_url}"), "saved in the store"
    return load_policy(), "built-in default"


def policy_and_source(config: Path | None, store: Store | None = None) -> tuple[Policy, str, bool]:
    """The effective policy (as :func:`effective_policy`), where it came from in words, and whether that is a file."""
    from intently.policy import load_policy

    path = config_path(config)
    if path is not None:
        return policy_file(path, config), f"file {path}", True
    if store is not None:
        return *store_policy(store), False
    return load_policy(), "built-in default", False


@dataclass(frozen=True)
class Judging:
    """The policy a command reading a store judges under, and whether the run is a what-if."""

    policy: Policy
    what_if: str | None = None
    """What to tell the user when the run is a what-if (judged in memory, the store untouched); else None."""


def judging(config: Path | None, store: Store) -> Judging:
    """Under which policy a command reading ``store`` judges: the store's policy (:func:`store_policy`), unless a
    policy file is given (--config, $INTENTLY_CONFIG, ./intently.yaml) whose fingerprint differs from it. Then
    the run is a what-if: judged in memory under the file, and nothing is written to the store."""
    from intently.policy import fingerprint

    own, _ = store_policy(store)
    path = config_path(config)
    if path is None:
        return Judging(own)
    given = policy_file(path, config)
    if fingerprint(given) == fingerprint(own):
        return Judging(own)
    mine, theirs = f"policy {given.name} {given.version}", f"policy {own.name} {own.version}"
    if mine == theirs:
        mine, theirs = f"{mine}, fingerprint {fingerprint(given)}", f"{theirs}, fingerprint {fingerprint(own)}"
    return Judging(
        given,
        f"what-if: judged under {path} ({mine}); the store's judgements ({theirs}) are unchanged "
        f"(`intently policy adopt --over-default {path}` makes it the store's policy)",
    )


def judge_again_if_stale(store: Store, policy: Policy) -> None:
    """Judge the stored tickets again, in one transaction, when their judgements are not those of ``policy`` over
    the data as stored now (made under another policy, or the data changed since), so that what is read from the
    store agrees with both. Commands call it with the store's policy only (a what-if never writes)."""
    from intently.policy import fingerprint

    why = store.judgements_stale(fingerprint(policy))
    if why is None:
        return
    from intently.store.pipeline import classify_store  # the sources with it: only when judging again

    tickets = store.ticket_count()
    if tickets:
        err.print(f"[dim]The stored judgements are out of date ({shown(why)}): judging them again.[/]")
    with progress(f"Judging {tickets:,} stored tickets under {policy.name} {policy.version}", tickets) as step:
        classify_store(store, policy, progress=step)


def bring_up_to_date(origin: Any, policy: Policy, what_if: str | None, console: Console) -> None:
    """Before reading a store: a what-if says so (and writes nothing); otherwise stale stored judgements are
    judged again under the store's policy."""
    if not is_store(origin):
        return
    if what_if is not None:
        console.print(f"[yellow]{shown(what_if)}[/]")
    else:
        judge_again_if_stale(origin, policy)


def is_store(origin: object) -> TypeGuard[Store]:
    """Whether a command's data comes from a store (not from files). The store's database layer (SQLAlchemy) is
    imported only where a store is opened, so a command on files starts that much sooner."""
    module = sys.modules.get("intently.store.store")
    return module is not None and isinstance(origin, module.Store)


_opened: list[Store] = []


def open_store(db: str | None, *, create: bool = False) -> Store:
    """The store named by --db, else $INTENTLY_DB, else ./intently.db; closed when the command ends."""
    from intently.errors import IntentlyError
    from intently.store import DEFAULT_DB, Store

    from_env = db is None and bool(os.environ.get("INTENTLY_DB"))
    try:
        return opened(Store.open(db or os.environ.get("INTENTLY_DB") or DEFAULT_DB, create=create))
    except IntentlyError as exc:
        if not from_env:
            raise
        raise IntentlyError(f"{exc} (the store named by $INTENTLY_DB; --db names another)") from None


def opened(store: Store) -> Store:
    """Close ``store`` when the command ends (:func:`close_stores`), also when the command runs in a process
    that goes on, such as a test or a notebook: its connections closed and a SQLite file complete on disk."""
    _opened.append(store)
    return store


def close_stores() -> None:
    """Close every store the command opened (Click calls this as the command's context closes)."""
    while _opened:
        _opened.pop().close()


def store_if_any(db: str | None) -> Store | None:
    """The store named by --db or $INTENTLY_DB (which must exist), else ./intently.db when there is one, else
    None: for the commands that also work without a store (``policy show``, ``render``, ``test``)."""
    from intently.store import DEFAULT_DB

    if db or os.environ.get("INTENTLY_DB") or Path(DEFAULT_DB).is_file():
        return open_store(db)
    return None


class CountColumn(ProgressColumn):
    """How far a task is, as Rich's ``MofNCompleteColumn`` shows it but with thousands separators: ``1,234/3,000``
    (``1,234/?`` while the total is not known)."""

    def render(self, task: Task) -> Text:
        total = "?" if task.total is None else f"{int(task.total):,}"
        return Text(f"{int(task.completed):,}/{total}", style="progress.download")


@contextmanager
def progress(label: str, total: int | None) -> Iterator[Callable[[int], None]]:
    columns = [
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        CountColumn(),
        TimeElapsedColumn(),
    ]
    with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as progress:
        task = progress.add_task(label, total=total)
        yield lambda n: progress.advance(task, n)


def shown(value: object) -> str:
    """Text from the data (names, subjects, tags, comments, reasons that quote them) for a Rich console: control
    characters replaced and markup escaped, so it is printed as the text it is, never as colours, links, cursor
    moves or markup."""
    return escape(clean_text(value))


def warn(warnings: list[str], limit: int = 10) -> None:
    for warning in warnings[:limit]:
        err.print(f"[yellow]warning:[/] {shown(warning)}")
    if len(warnings) > limit:
        err.print(f"[yellow]warning:[/] … and {len(warnings) - limit:,} more")


@dataclass
class Dataset:
    """What a command judges: ticket histories and people from files or the store, and the policy."""

    histories: Iterable[TicketHistory]
    users: dict[Id, User]
    policy: Policy
    origin: Any
    """The source (files) or the :class:`~intently.store.Store`."""
    what_if: str | None = None
    """Set when judging the store under a policy other than its own (see :func:`judging`)."""
    groups: dict[Id, Group] = field(default_factory=dict)


def dataset(path: Path | None, db: str | None, config: Path | None, jobs: int = 1) -> Dataset:
    """From files when PATH is given (under the effective policy; ``jobs``: the processes it may read with), else
    from the store (see :func:`judging`)."""
    if path is not None:
        from intently.sources import open_source

        source = open_source(path, jobs)
        directory = source.directory
        return Dataset(source.histories(), directory.users, effective_policy(config), source, None, directory.groups)
    store = open_store(db)
    choice = judging(config, store)
    directory = store.directory()
    return Dataset(store.histories(), directory.users, choice.policy, store, choice.what_if, directory.groups)


def one_ticket(
    ticket_id: str, path: Path | None, db: str | None, config: Path | None
) -> tuple[TicketHistory, Directory, Policy, Store | None]:
    """One ticket's history, who is who and the policy to judge it under: from files (PATH), or from the store (the
    store opened, and brought up to date unless the run is a what-if, which says so)."""
    from intently.errors import IntentlyError

    if path is not None and not path.exists() and Path(ticket_id).exists():  # the two the other way round
        raise typer.BadParameter(
            f"the ticket comes first, then the data: {shown(path)} {shown(ticket_id)}, not {shown(ticket_id)} "
            f"{shown(path)}",
            param_hint="TICKET",
        )
    wanted = parse_id(ticket_id)
    store: Store | None = None
    history: TicketHistory | None
    if path is not None:
        from intently.sources import open_source

        source = open_source(path)
        directory, policy = source.directory, effective_policy(config)
        history = next((h for h in source.histories() if h.ticket.id == wanted), None)
    else:
        store = open_store(db)
        choice = judging(config, store)
        bring_up_to_date(store, choice.policy, choice.what_if, out)
        directory, policy = store.directory(), choice.policy
        history = store.history(wanted)
    if history is None:
        raise IntentlyError(f"ticket {ticket_id} not found in {path or 'the store'}")
    return history, directory, policy, store


def fmt_time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


VERDICT_STYLE = {"assignee": "blue", "ownership_change": "magenta", "intentional": "green", "drive_by": "bold red"}


def verdict_markup(verdict: str) -> str:
    """A verdict for people, in colour: its plain-language name (:func:`~intently.engine.judgement.verdict_label`),
    as on the pages and in the reports; machine output (JSON Lines, CSV, the API) keeps the id."""
    return f"[{VERDICT_STYLE.get(verdict, 'white')}]{verdict_label(verdict)}[/]"


def parse_id(text: str) -> Id:
    """A ticket id typed on the command line: ASCII digits are a number (Zendesk's ids), anything else text
    (``²`` is a digit to Python, not to ``int``)."""
    text = text.strip()
    return int(text) if text.isascii() and text.lstrip("-").isdigit() else text


def print_tally(tally: Any) -> None:
    total = tally.judged or 1
    out.print(f"  {tally.judged:,} agent comments judged on {worked_tickets(tally.worked, tally.tickets)}:")
    table = FitTable(show_header=True, header_style="bold", box=None, padding=(0, 2))
    table.add_column("verdict")
    table.add_column("comments", justify="right")
    table.add_column("share", justify="right")
    for verdict in ("assignee", "ownership_change", "intentional", "drive_by"):
        count = tally.verdicts.get(verdict, 0)
        table.add_row(verdict_markup(verdict), f"{count:,}", f"{count / total:.1%}")
    out.print(table)


def write_report(
    judgements: Iterable[Any],
    users: dict[Id, User],
    policy: Policy,
    path: Path | None,
    title: str,
    facts: Callable[[], list[Any]] | None = None,
) -> Any:
    """Metrics over ``judgements`` (returned), and with ``path`` the HTML report written there; ``facts`` (called
    after the judgements are read) gives the worked tickets for its section on outcomes."""
    from intently.report.html import render_html
    from intently.report.metrics import build_metrics
    from intently.report.outcomes import outcomes_by_class

    metrics = build_metrics(
        judgements,
        users,
        policy_name=policy.name,
        policy_version=policy.version,
        title=title,
        policy=policy,
    )
    if path is not None:
        outcomes = outcomes_by_class(facts()) if facts is not None else None
        write_whole(path, render_html(metrics, generated_at=datetime.now(UTC), outcomes=outcomes))
    return metrics
