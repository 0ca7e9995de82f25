"""The Zendesk sidebar app: a Zendesk Apps Framework 2.0 app packaged as the zip Zendesk's upload accepts.

On each ticket it shows the assignee and their region, the customer's preferred region, who has
contributed and how, and, for the agent looking at it, what a public reply or an internal note would be
judged right now, with the intentional path when a public reply would be a drive-by. It asks
``intently serve`` (``GET /api/tickets/{id}/judgements``, ``POST /api/check-reply``) with a token kept
in the app's secure settings.
"""

from __future__ import annotations

import ipaddress
import json
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

from intently._version import __version__
from intently.errors import IntentlyError

ASSETS = ("iframe.html", "app.js", "panel.js", "app.css")
LOGO_COLOUR = (47, 133, 90)  # the report's "intentional" green


def _png(size: int, colour: tuple[int, int, int]) -> bytes:
    """A square PNG of one colour with a white "i": Zendesk wants logo.png and logo-small.png."""
    rows = []
    stem = (size * 3 // 8, size * 5 // 8)
    for y in range(size):
        row = bytearray([0])
        for x in range(size):
            dot = abs(x - size // 2) < size // 14 and size * 2 // 10 < y < size * 3 // 10
            body = abs(x - size // 2) < size // 14 and stem[0] <= y <= stem[1] + size // 8
            row += bytes((255, 255, 255) if dot or body else colour)
        rows.append(bytes(row))
    raw = zlib.compress(b"".join(rows), 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


LOGO_SIZES = {"logo.png": 320, "logo-small.png": 128}
"""Zendesk's sizes for an app's logos (pixels, square)."""


@dataclass(frozen=True, slots=True)
class Author:
    """Who the app's listing names as its author (Zendesk shows it on the app's page)."""

    name: str = "intently"
    email: str = "support@example.com"
    url: str = "https://example.com/intently"

    def checked(self) -> Author:
        if not self.name.strip():
            raise IntentlyError("the app's author name is empty: give --author-name")
        if not EMAIL.fullmatch(self.email):
            raise IntentlyError(f"the app's author e-mail {self.email!r} is not an e-mail address (--author-email)")
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise IntentlyError(f"the app's author URL {self.url!r} is not an http(s):// address (--author-url)")
        return self


EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _server(intently_url: str) -> tuple[str, str]:
    """The server's address without a trailing slash, and its host: the only host the app may reach."""
    parts = urlsplit(intently_url)
    if parts.username is not None or parts.password is not None:  # never echoed: it may hold a password
        raise IntentlyError(
            "the intently server address must not carry a login (user:password@ before the host): the app is "
            "uploaded to Zendesk and read by every agent's browser; the sidebar signs in with an intently API token"
        )
    if parts.scheme != "https" or not parts.hostname:
        raise IntentlyError(
            f"the intently server address must be an https:// URL that Zendesk can reach, got {intently_url!r}"
        )
    if parts.query or parts.fragment or intently_url.rstrip().endswith(("?", "#")):
        raise IntentlyError(
            f"the intently server address is the server's address only (https://host or https://host/path), "
            f"without ?query or #fragment; got {intently_url!r}"
        )
    if _not_public(parts.hostname):
        raise IntentlyError(
            f"Zendesk's servers make the app's requests (the token is a secure setting), and cannot reach "
            f"{parts.hostname}: give the public https:// address of intently (its TLS proxy)"
        )
    return intently_url.rstrip("/"), parts.hostname


def _not_public(host: str) -> bool:
    """Whether ``host`` is this machine or a private network's address (named as such, not looked up)."""
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return not address.is_global


def manifest(intently_url: str, author: Author | None = None) -> dict[str, object]:
    """The app's manifest, allowing secure requests to the intently server only."""
    url, host = _server(intently_url)
    author = (author or Author()).checked()
    data = json.loads(_read("manifest.json"))
    data["version"] = __version__
    data["author"] = {"name": author.name, "email": author.email, "url": author.url}
    data["domainWhitelist"] = [host]
    for parameter in data["parameters"]:
        if parameter["name"] == "intently_url":
            parameter["default"] = url
    return data


def build_script(intently_url: str) -> str:
    """``assets/build.js``: the address the app was built for, so that the panel can say exactly what is wrong
    when the server address setting names another host (Zendesk would refuse the request)."""
    url, host = _server(intently_url)
    return f"window.IntentlyBuild = {json.dumps({'url': url, 'host': host})};\n"


def _read(name: str) -> str:
    return resources.files("intently.zendesk.app").joinpath(name).read_text(encoding="utf-8")


def build_app_zip(out: str | Path, intently_url: str, author: Author | None = None) -> Path:
    """Write the app as a zip that Zendesk's "Upload private app" accepts; returns its path."""
    out = Path(out)
    data = manifest(intently_url, author)
    if not out.parent.is_dir():
        raise IntentlyError(f"cannot write {out}: folder {out.parent} does not exist")
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(data, indent=2) + "\n")
        archive.writestr("translations/en.json", _read("translations/en.json"))
        for name in ASSETS:
            archive.writestr(f"assets/{name}", _read(f"assets/{name}"))
        archive.writestr("assets/build.js", build_script(intently_url))
        for name, size in LOGO_SIZES.items():
            archive.writestr(f"assets/{name}", _png(size, LOGO_COLOUR))
    return out
