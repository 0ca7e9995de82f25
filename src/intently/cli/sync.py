"""The ``intently sync`` commands: live helpdesk data into the store (``intently sync zendesk``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from intently.cli.common import DbOption, SavedConfigOption
from intently.policy.messages import counted

sync_app = typer.Typer(
    help="Bring a live helpdesk's tickets into the store and judge them.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `intently` app."""
    app.add_typer(sync_app, name="sync")


@sync_app.command("zendesk")
def zendesk(
    subdomain: Annotated[
        str | None, typer.Option("--subdomain", help="Your Zendesk subdomain: acme for https://acme.zendesk.com")
    ] = None,
    url: Annotated[
        str | None, typer.Option("--url", help="Your Zendesk's URL instead, e.g. https://support.acme.com")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            help="First sync only: tickets changed since this date (YYYY-MM-DD, UTC) or ISO time "
            "(default: everything). Later runs continue where the last one stopped.",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
    config: SavedConfigOption = None,
    save_raw: Annotated[
        Path | None,
        typer.Option("--save-raw", help="Also keep every API response here, as a Zendesk export directory"),
    ] = None,
) -> None:
    """Sync tickets from Zendesk and judge them: the first run fetches everything (or since --since), later runs
    only what changed. Stopped at any moment, it resumes where it stopped. Credentials come from the
    environment only: ZENDESK_EMAIL and ZENDESK_API_TOKEN, or ZENDESK_OAUTH_TOKEN."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from intently.cli.common import config_path, effective_policy, err, open_store, out, print_tally, shown, warn
    from intently.zendesk.client import ZendeskClient
    from intently.zendesk.sync import parse_since, sync_zendesk

    if (subdomain is None) == (url is None):
        raise typer.BadParameter("give exactly one of --subdomain NAME and --url URL", param_hint="--subdomain/--url")
    try:
        start = parse_since(since) if since is not None else None
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--since") from None

    columns = [
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("[bold]{task.completed:,.0f}"),
        TimeElapsedColumn(),
    ]
    with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as bar:

        def on_wait(message: str, seconds: float) -> None:
            bar.console.print(f"[yellow]{shown(message)}[/]")

        client = ZendeskClient.from_env(subdomain=subdomain, url=url, on_wait=on_wait)
        store = open_store(db, create=True)
        policy = effective_policy(config, store)
        if config_path(config) is not None:
            store.save_policy(policy)
        tasks = {
            "users": bar.add_task("People", total=None),
            "page": bar.add_task("Export pages", total=None),
            "ticket": bar.add_task("Tickets", total=None),
            "audits": bar.add_task("Audits", total=None),
        }

        def progress(kind: str, n: int) -> None:
            if kind in tasks:
                bar.advance(tasks[kind], n)

        where = store.shown_url
        err.print(f"Syncing {client.base_url} into {where}")
        try:
            with client:
                stats = sync_zendesk(client, store, policy, since=start, save_raw=save_raw, progress=progress)
        except KeyboardInterrupt:
            bar.stop()
            _discard_if_empty(store)
            err.print("[yellow]interrupted[/]: nothing is lost; run the same command again to resume")
            raise typer.Exit(130) from None
        except BaseException:
            _discard_if_empty(store)  # a first sync refused at once (a wrong token, say) leaves no empty store
            raise
    warn(stats.warnings)
    for note in stats.notes:
        err.print(f"note: {shown(note)}")
    if stats.start_time is not None and not stats.resumed:
        began = "the beginning" if stats.start_time == 0 else _day(stats.start_time)
        out.print(f"{'Backfill' if stats.backfill else 'First sync'} from {began} ({client.base_url})")
    out.print(
        f"Synced {counted(stats.tickets, 'ticket')} ({counted(stats.audits, 'audit')} on "
        f"{counted(stats.pages, 'export page')}) "
        f"and {counted(stats.users, 'person', 'people')} into {where} ({counted(stats.requests, 'API request')})"
    )
    extras = []
    if stats.skipped:
        extras.append(f"{stats.skipped:,} already synced by an interrupted run")
    if stats.deleted:
        extras.append(f"{stats.deleted:,} deleted in Zendesk")
    if stats.rejudged is not None:
        extras.append(f"every stored ticket judged again ({stats.rejudged:,} judgements: the policy or people changed)")
    if extras:
        out.print("  " + "; ".join(extras))
    if stats.tally.tickets:
        print_tally(stats.tally)
    elif not (stats.tickets or stats.deleted or stats.skipped):
        out.print("  Nothing changed since the last sync.")
    if save_raw is not None:
        out.print(f"  Raw API responses kept in {save_raw} (a Zendesk export directory)")


def _day(epoch: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _discard_if_empty(store: Any) -> None:
    """Delete the store's file if this run created it and no ticket reached it (what it holds, the people, the next
    run fetches again); a store with tickets in it is kept, for the next run to resume."""
    try:
        empty = store.ticket_count() == 0
    except Exception:  # the store itself failed: leave it as it is
        return
    if empty:
        store.discard_if_new()
