"""The ``intently zendesk-app build`` command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add ``zendesk-app`` to the ``intently`` app."""
    zendesk_app = typer.Typer(help="The Zendesk sidebar app.", no_args_is_help=True)
    app.add_typer(zendesk_app, name="zendesk-app")

    @zendesk_app.command("build")
    def build(
        out: Annotated[Path, typer.Option("--out", help="Where to write the app's zip")] = Path("intently-app.zip"),
        url: Annotated[
            str, typer.Option("--url", help="The https:// address where Zendesk reaches your intently server")
        ] = ...,  # type: ignore[assignment]
        author_name: Annotated[str, typer.Option(help="The author Zendesk shows on the app's page")] = "intently",
        author_email: Annotated[str, typer.Option(help="The author's e-mail address")] = "support@example.com",
        author_url: Annotated[str, typer.Option(help="The author's web address")] = "https://example.com/intently",
    ) -> None:
        """Package the sidebar app as the zip that Zendesk's "Upload private app" accepts."""
        from intently.cli.common import out as console
        from intently.zendesk.app import Author, build_app_zip

        path = build_app_zip(out, url, Author(author_name, author_email, author_url))
        console.print(f"Zendesk app written to {path}")
        console.print(
            "Upload it in Zendesk: Admin Center → Apps and integrations → Zendesk Support apps → "
            "Upload private app; then set the server address and an API token "
            "(intently token create zendesk-sidebar) in the app's settings."
        )
