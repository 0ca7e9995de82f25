"""The ``intently serve`` command (Zendesk webhooks in, a token-protected API out) and ``intently token``."""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.markup import escape

from intently.cli.common import DbOption, ServedConfigOption
from intently.errors import IntentlyError
from intently.report.formatting import clean_text

SECRET_VAR = "ZENDESK_WEBHOOK_SECRET"

token_app = typer.Typer(
    help="API tokens for intently serve's /api (shown once; only a hash is stored).",
    no_args_is_help=True,
    rich_markup_mode="rich",
)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `intently` app."""
    app.command("serve")(serve)
    app.add_typer(token_app, name="token")


def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on (keep loopback behind a proxy)")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on")] = 8000,
    db: DbOption = None,
    config: ServedConfigOption = None,
    url: Annotated[str | None, typer.Option("--url", help="Your Zendesk's URL, e.g. https://support.acme.com")] = None,
    subdomain: Annotated[
        str | None, typer.Option("--subdomain", help="Your Zendesk subdomain: acme for https://acme.zendesk.com")
    ] = None,
    write_back: Annotated[
        bool,
        typer.Option("--write-back", help="Add an internal note and a tag to tickets with a new drive-by"),
    ] = False,
    write_back_tag: Annotated[
        str, typer.Option("--write-back-tag", help="The tag write-back adds")
    ] = "intently_drive_by",
    log_level: Annotated[str, typer.Option("--log-level", help="debug, info, warning or error")] = "info",
    secure_cookies: Annotated[
        bool | None,
        typer.Option(
            "--secure-cookies/--no-secure-cookies",
            help="Dashboard session cookies Secure always / never (default: Secure unless plain http to localhost)",
            show_default=False,
        ),
    ] = None,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(
            "--forwarded-allow-ips",
            help="Your reverse proxy's addresses or networks, comma-separated (e.g. 127.0.0.1 or 10.0.0.0/8; * for "
            "any): X-Forwarded-For and X-Forwarded-Proto are believed from them only (default: from nobody)",
            show_default=False,
        ),
    ] = None,
    lease: Annotated[
        float,
        typer.Option(
            "--lease",
            min=1.0,
            help="Seconds a replica's claim on a webhook delivery holds unless renewed: a replica killed mid-job "
            "leaves its deliveries to the others after this (several servers on one PostgreSQL store)",
        ),
    ] = 60.0,
) -> None:
    """Serve the dashboard, the API and (with --subdomain or --url) Zendesk webhooks: each webhook is queued,
    its ticket fetched, judged and stored. Without --subdomain/--url: the dashboard and API on the stored data.

    Secrets come from the environment only: ZENDESK_WEBHOOK_SECRET (the webhook's signing secret, required with
    --subdomain/--url).

    Zendesk credentials: ZENDESK_EMAIL and ZENDESK_API_TOKEN, or ZENDESK_OAUTH_TOKEN.

    Logs are JSON lines on stderr. Put a TLS reverse proxy in front; it listens on 127.0.0.1 by default. Name the
    proxy with --forwarded-allow-ips so that the clients' addresses (login limits, logs) and https are seen.
    """
    import logging

    import uvicorn

    from intently.cli.common import err, judge_again_if_stale, open_store, out, policy_and_source
    from intently.web import create_app
    from intently.web.logs import configure_logging
    from intently.web.server import server_config, trusted_proxies
    from intently.zendesk.client import ZendeskClient

    if subdomain is not None and url is not None:
        raise typer.BadParameter("give one of --subdomain NAME and --url URL, not both", param_hint="--subdomain/--url")
    connected = subdomain is not None or url is not None
    if write_back and not connected:
        raise typer.BadParameter("--write-back needs your Zendesk: add --subdomain NAME or --url URL")
    level = getattr(logging, log_level.upper(), None)
    if log_level.lower() not in ("debug", "info", "warning", "error") or not isinstance(level, int):
        raise typer.BadParameter("use debug, info, warning or error", param_hint="--log-level")
    try:
        proxies = trusted_proxies(forwarded_allow_ips)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--forwarded-allow-ips") from None
    tag = write_back_tag.strip()
    if not tag or any(ch.isspace() for ch in tag) or len(tag) > 80:
        raise typer.BadParameter("a Zendesk tag: one word, at most 80 characters", param_hint="--write-back-tag")
    secret = os.environ.get(SECRET_VAR, "").strip()
    if connected and not secret:
        raise IntentlyError(
            f"{SECRET_VAR} is not set: copy the signing secret of your Zendesk webhook (Admin Center → Apps and "
            "integrations → Webhooks → your webhook → Signing secret → Reveal secret) into it. "
            "Without it no webhook could be verified, so intently serve does not start."
        )
    _can_listen(host, port)
    store = open_store(db)
    serving_lock = _one_server_on_sqlite(store)  # held until the process ends  # noqa: F841
    policy, policy_source, from_file = policy_and_source(config, store)
    judge_again_if_stale(store, policy)

    def client() -> ZendeskClient:
        return ZendeskClient.from_env(subdomain=subdomain, url=url, max_retries=3, timeout=20.0)

    me: dict[str, Any] = {}
    base_url = "not connected (dashboard and API only; webhooks are refused)"
    if connected:
        me, base_url = _probe(store, client, write_back)
    if write_back and me.get("role") not in (None, "agent", "admin"):
        raise IntentlyError(
            f"--write-back needs an agent or admin API user; {me.get('email') or 'this user'} is {me.get('role')!r}"
        )
    if write_back and me.get("id") is not None:
        _warn_if_a_person(store, me)
    configure_logging(level)
    from intently.web.access.ratelimit import login_limiter
    from intently.web.access.sessions import AccessState

    app = create_app(
        store,
        policy,
        client,
        write_back=write_back,
        webhook_secret=secret if connected else None,
        write_back_tag=tag,
        secure_cookies=secure_cookies,
        access=AccessState(secure_cookies=secure_cookies, limiter=login_limiter(store)),
        run_worker=connected,
        policy_source=policy_source,
        policy_from_file=from_file,
    )
    app.state.intently.services.claim_lease = lease  # the worker's and the notes' claims
    who = ""  # the API user: "as NAME (user ID)", "as user ID" when Zendesk gives neither name nor e-mail
    if me.get("id") is not None:
        named = me.get("name") or me.get("email")
        who = f" as {named} (user {me['id']})" if named else f" as user {me['id']}"
    out.print(  # names come from Zendesk and the store: shown as text (no markup, no control characters)
        clean_text(
            f"intently serve on http://{_hostport(host, port)}: the dashboard (log in: intently user add), "
            "POST /webhooks/zendesk, /api (bearer token), /healthz; "
            f"Zendesk {base_url}{who}; policy {policy.name} {policy.version}; "
            f"write-back {'on, tag ' + tag if write_back else 'off'}; "
            f"X-Forwarded-For believed from {proxies or 'nobody'}"
        ),
        markup=False,
    )
    from intently.zendesk.client import is_loopback

    if not is_loopback(host):
        err.print(
            f"[yellow]warning:[/] listening on {host}: intently serves plain HTTP; put it behind a TLS reverse proxy"
        )
    # The worker's threads (fetching, judging, storing) share the interpreter with the event loop that answers
    # webhooks: switching threads every millisecond rather than every 5 keeps answers fast while it works.
    sys.setswitchinterval(0.001)
    server = uvicorn.Server(server_config(app, host=host, port=port, forwarded_allow_ips=proxies))
    server.run()
    if not server.started:  # the port was taken since the check above, say (uvicorn logged why)
        raise IntentlyError(
            f"intently serve could not listen on http://{_hostport(host, port)}: see the log line above"
        )


def _can_listen(host: str, port: int) -> None:
    """Refuse at once, in words, an address this process cannot listen on (a port in use, a host not of this
    machine), before anything is opened or printed."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise IntentlyError(
            f"cannot listen on {host!r}: {exc.strerror}; give --host an address of this machine"
        ) from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise IntentlyError(
                    f"port {port} on {host} is in use (another intently serve, or another program): choose another "
                    "with --port"
                ) from None
            raise IntentlyError(f"cannot listen on http://{_hostport(host, port)}: {exc.strerror}") from None


def _one_server_on_sqlite(store: Any) -> Any:
    """On a SQLite store, take ``<file>.serve.lock`` for this process (an exclusive ``flock``, released when it
    ends, even killed): a second ``intently serve`` on the same file stops with exit status 1. SQLite serves from
    one process; several servers share a PostgreSQL store. Returns the open lock file (None on PostgreSQL)."""
    if store.engine.dialect.name != "sqlite" or not store.url.startswith("sqlite:///"):
        return None
    import fcntl
    from pathlib import Path

    path = Path(store.url.removeprefix("sqlite:///") + ".serve.lock")
    handle = path.open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise IntentlyError(
            f"another intently serve already serves the SQLite store {store.shown_url} (it holds {path.name}): "
            "a SQLite store is served by one process only. To run several servers, put the store on PostgreSQL "
            "(--db postgresql://...) and start each on it."
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle


def _probe(store: Any, client: Callable[[], Any], write_back: bool) -> tuple[dict[str, Any], str]:
    """Check the Zendesk credentials before listening: (the API user, the account's URL)."""
    from intently.cli.common import err
    from intently.zendesk.client import ZendeskError

    with client() as probe:
        known = store.state("zendesk.url")
        if known and known != probe.base_url:
            raise IntentlyError(
                f"this store holds tickets synced from {known}, not {probe.base_url}: use another --db for another "
                "account"
            )
        try:
            return probe.me(), probe.base_url
        except ZendeskError as exc:
            if exc.status in (401, 403) or write_back:
                raise IntentlyError(f"cannot use the Zendesk API: {exc}") from None
            err.print(
                f"[yellow]warning:[/] Zendesk did not answer users/me ({escape(clean_text(exc))}); "
                "webhooks are queued meanwhile"
            )
            return {}, probe.base_url


def _warn_if_a_person(store: Any, me: dict[str, Any]) -> None:
    """Write-back writes as the API user, which is then a service user whose comments are never judged: if that
    is a person who works tickets, their past comments leave every figure. Said before serving."""
    from intently.cli.common import err

    written = store.authored_judgements(me["id"])
    if written:
        who = clean_text(me.get("name") or me.get("email") or f"user {me['id']}")
        err.print(
            f"[yellow]warning:[/] the API user {escape(who)} wrote {written:,} of the judged comments in this store. "
            "With --write-back it becomes intently's service user, whose comments are never judged: those leave "
            "every figure. Give intently an API user of its own (a dedicated agent) to keep them."
        )


def _hostport(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Argument(help="Who or what the token is for, e.g. sidebar")],
    role: Annotated[
        str, typer.Option("--role", help="viewer (read judgements, check replies) or admin (also refresh tickets)")
    ] = "viewer",
    user: Annotated[
        str | None,
        typer.Option("--user", help="The web account (intently user add) it belongs to: it then carries its role"),
    ] = None,
    db: DbOption = None,
) -> None:
    """Create an API token. It is printed once, on stdout; only its hash is stored."""
    from intently.cli.common import err, open_store

    if role not in ("viewer", "admin"):
        raise typer.BadParameter("use viewer or admin", param_hint="--role")
    store = open_store(db)
    token = store.create_token(name, role, user)
    sys.stdout.write(token + "\n")
    sys.stdout.flush()
    if user is not None:
        role = f"user {user}'s role"
    err.print(f"Token {name!r} ({role}) created. It is shown only this once: keep it in a secret store.")
    err.print(f"Use it as: Authorization: Bearer <token>. Revoke it with: intently token revoke {name}")


@token_app.command("revoke")
def token_revoke(
    name: Annotated[str, typer.Argument(help="The token's name")],
    db: DbOption = None,
) -> None:
    """Revoke an API token: requests with it are refused from now on."""
    from intently.cli.common import open_store, out

    if not open_store(db).revoke_token(name):
        raise IntentlyError(f"no token named {name!r} (see intently token list)")
    out.print(f"Token {name!r} revoked.", markup=False)


REMOVED_USER_ROLE = "none (user removed)"


@token_app.command("list")
def token_list(db: DbOption = None) -> None:
    """List API tokens: name, the role each carries now, its user and when it was created (never the tokens).
    A token made with --user carries that user's role as it is now; once the user is removed it is refused."""
    from intently.cli.common import open_store, out
    from intently.report.tables import FitTable

    tokens = open_store(db).tokens()
    if not tokens:
        out.print("No API tokens. Create one with: intently token create NAME")
        return
    table = FitTable(show_header=True, header_style="bold", box=None, padding=(0, 2))
    table.add_column("name")
    table.add_column("role")
    table.add_column("user")
    table.add_column("created (UTC)")
    for token in tokens:
        role = REMOVED_USER_ROLE if token.role is None else token.role
        user = "" if token.user is None else escape(clean_text(token.user))
        table.add_row(escape(clean_text(token.name)), role, user, token.created_at.strftime("%Y-%m-%d %H:%M"))
    out.print(table)
