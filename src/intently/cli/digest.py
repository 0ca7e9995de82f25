"""``intently digest``: the manager's summary of the last day, week or month, sent to Slack and/or by e-mail.

Where it goes and the credentials come from the environment only: ``INTENTLY_SLACK_WEBHOOK_URL``,
``INTENTLY_SMTP_HOST``, ``_PORT``, ``_USER``, ``_PASSWORD``. Scheduling is cron's job (docs/digest.md).
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

import typer

from intently.cli.common import DbOption
from intently.errors import IntentlyError


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `intently` app."""
    app.command("digest")(digest)


def _recipients(values: list[str] | None) -> list[str]:
    from intently.report.digest.send import check_address

    found: list[str] = []
    for value in values or []:
        for part in value.split(","):
            if part.strip():
                address = check_address(part, "--to")
                if address not in found:
                    found.append(address)
    return found


def digest(
    period: Annotated[
        str, typer.Option("--period", help="day, week (Monday to Sunday) or month (calendar), in UTC")
    ] = "week",
    until: Annotated[
        str | None,
        typer.Option(
            "--until",
            metavar="DATE",
            help="The last complete period that ends on or before this day (YYYY-MM-DD) \\[default: yesterday]",
            show_default=False,
        ),
    ] = None,
    to: Annotated[
        list[str] | None,
        typer.Option(
            "--to",
            metavar="ADDRESS",
            help="E-mail the digest to this address (repeat it, or separate addresses with commas); the SMTP "
            "server is $INTENTLY_SMTP_HOST",
            show_default=False,
        ),
    ] = None,
    sender: Annotated[
        str | None, typer.Option("--from", metavar="ADDRESS", help="The e-mail's sender", show_default=False)
    ] = None,
    starttls: Annotated[
        bool,
        typer.Option(
            "--starttls/--no-starttls",
            help="Encrypt the SMTP connection with STARTTLS, certificate checked (--no-starttls: in the clear, only "
            "to a relay on this machine or a trusted network)",
        ),
    ] = True,
    top: Annotated[int, typer.Option("--top", min=0, max=50, help="Tickets with the most drive-bys to list")] = 5,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the message (plain text) instead of sending it")
    ] = False,
    db: DbOption = None,
) -> None:
    """Send the manager's digest: the headline figures of the last complete day, week or month against the one
    before (up or down, by how much) and the tickets with the most drive-bys, linked to Zendesk where the store
    knows the account. To Slack when $INTENTLY_SLACK_WEBHOOK_URL is set; by e-mail with --to."""
    from intently.cli.common import err, judge_again_if_stale, open_store, store_policy
    from intently.model import Id
    from intently.report.digest import (
        build_digest,
        last_complete,
        render_html,
        render_slack,
        render_text,
        subject_line,
    )
    from intently.report.digest.send import (
        SLACK_URL_VAR,
        SMTP_HOST_VAR,
        DeliveryError,
        check_address,
        email_message,
        post_to_slack,
        send_email,
        slack_url_from_env,
        smtp_from_env,
    )
    from intently.zendesk.sync import URL_KEY

    if period not in ("day", "week", "month"):
        raise typer.BadParameter("use day, week or month", param_hint="--period")
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    try:
        last_day = date.fromisoformat(until) if until else yesterday
    except ValueError:
        raise typer.BadParameter(f"{until!r}: a day as YYYY-MM-DD", param_hint="--until") from None
    if last_day > yesterday:
        raise typer.BadParameter(
            f"{until}: not over yet; the digest covers complete periods, up to yesterday ({yesterday.isoformat()})",
            param_hint="--until",
        )
    chosen = last_complete(period, last_day + timedelta(days=1))

    # Where to: checked before the store is read, so a mistake costs nothing.
    recipients = _recipients(to)
    slack = slack_url_from_env(os.environ)
    smtp = smtp_from_env(os.environ, starttls=starttls) if recipients else None
    if recipients:
        if sender is None:
            raise IntentlyError("--from ADDRESS is needed to send the digest by e-mail")
        sender = check_address(sender, "--from")
        if smtp is None and not dry_run:
            raise IntentlyError(f"e-mail needs an SMTP server: set {SMTP_HOST_VAR} (and INTENTLY_SMTP_PORT, ...)")
    if not dry_run and slack is None and not recipients:
        raise IntentlyError(
            f"nowhere to send the digest: set {SLACK_URL_VAR} for Slack, or give --to ADDRESS (with "
            f"{SMTP_HOST_VAR}) for e-mail; --dry-run prints it instead"
        )

    store = open_store(db)
    policy, _ = store_policy(store)
    judge_again_if_stale(store, policy)

    def subjects(ids: list[Id]) -> dict[Id, str]:
        wanted = set(ids)
        return {ticket_id: ticket.subject for ticket_id, ticket in store.tickets().items() if ticket_id in wanted}

    summary = build_digest(
        store.judgements(full=False),
        store.directory().users,
        policy,
        chosen,
        subjects=subjects,
        zendesk_base=store.state(URL_KEY),
        top=top,
    )
    if dry_run:
        sys.stdout.write(render_text(summary))
        sys.stdout.flush()
        where = (["Slack"] if slack else []) + ([f"{', '.join(recipients)} by e-mail"] if recipients else [])
        goes = f" (it would go to {' and to '.join(where)})" if where else ""
        err.print(f"Dry run: nothing was sent{goes}.", markup=False)
        return

    failures: list[str] = []
    if slack is not None:
        try:
            post_to_slack(slack, render_slack(summary))
            err.print("Posted to Slack.", markup=False)
        except DeliveryError as exc:
            failures.append(f"Slack: {exc}")
    if recipients and smtp is not None and sender is not None:
        message = email_message(sender, recipients, subject_line(summary), render_text(summary), render_html(summary))
        try:
            send_email(smtp, message, sender, recipients)
            err.print(f"E-mailed to {', '.join(recipients)}.", markup=False)
        except DeliveryError as exc:
            failures.append(f"e-mail: {exc}")
    if failures:
        raise IntentlyError("the digest of " + chosen.name + " was not delivered everywhere: " + "; ".join(failures))
