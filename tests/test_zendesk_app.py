"""The Zendesk sidebar app package: what Zendesk's upload checks, and what the app needs to run."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest

from intently.engine.judgement import VERDICT_LABELS
from intently.errors import IntentlyError
from intently.zendesk.app import build_app_zip
from tests.cli_runner import intently


@pytest.fixture
def app_zip(tmp_path: Path) -> zipfile.ZipFile:
    return zipfile.ZipFile(build_app_zip(tmp_path / "app.zip", "https://intently.acme.test/"))


def test_the_zip_has_what_a_zendesk_app_needs(app_zip: zipfile.ZipFile) -> None:
    names = set(app_zip.namelist())
    assert {"manifest.json", "translations/en.json", "assets/logo.png", "assets/logo-small.png"} <= names
    manifest = json.loads(app_zip.read("manifest.json"))
    assert manifest["frameworkVersion"] == "2.0"
    assert manifest["location"]["support"]["ticket_sidebar"]["url"] == "assets/iframe.html"
    assert manifest["domainWhitelist"] == ["intently.acme.test"]
    token = next(p for p in manifest["parameters"] if p["name"] == "intently_token")
    assert token["secure"] is True  # the token lives in Zendesk's secure settings, never in the page
    address = next(p for p in manifest["parameters"] if p["name"] == "intently_url")
    assert address["default"] == "https://intently.acme.test"  # the whitelisted host, filled in for the admin
    labels = json.loads(app_zip.read("translations/en.json"))["app"]["parameters"]
    assert set(labels) == {p["name"] for p in manifest["parameters"]}
    for name, size in (("assets/logo.png", 320), ("assets/logo-small.png", 128)):  # Zendesk's sizes
        png = app_zip.read(name)
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
        assert (int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")) == (size, size)
    built = app_zip.read("assets/build.js").decode()
    assert built == 'window.IntentlyBuild = {"url": "https://intently.acme.test", "host": "intently.acme.test"};\n'


def test_every_local_asset_the_page_loads_is_in_the_zip(app_zip: zipfile.ZipFile) -> None:
    page = app_zip.read("assets/iframe.html").decode()
    local = [src for src in re.findall(r'(?:src|href)="([^"]+)"', page) if "://" not in src]
    assert local and all(f"assets/{src}" in app_zip.namelist() for src in local)
    remote = [src for src in re.findall(r'src="([^"]+)"', page) if "://" in src]
    assert remote == ["https://static.zdassets.com/zendesk_app_framework_sdk/2.0/zaf_sdk.min.js"]


def test_the_app_asks_intently_with_the_secure_token_and_inserts_text_only(app_zip: zipfile.ZipFile) -> None:
    app = app_zip.read("assets/app.js").decode()
    assert "Bearer {{setting.intently_token}}" in app and "secure: true" in app
    assert "/api/check-reply" in app and "/judgements" in app
    panel = app_zip.read("assets/panel.js").decode()
    assert "innerHTML" not in panel and "createTextNode" in panel


def test_the_panel_names_verdicts_in_intentlys_one_vocabulary(app_zip: zipfile.ZipFile) -> None:
    panel = app_zip.read("assets/panel.js").decode()
    block = panel[panel.index("var LABELS = {") : panel.index("};", panel.index("var LABELS = {"))]
    labels = dict(re.findall(r'(\w+): "([^"]+)"', block))
    assert labels == VERDICT_LABELS


@pytest.mark.parametrize("url", ["http://intently.acme.test", "intently.acme.test", "https://"])
def test_the_server_address_must_be_https(tmp_path: Path, url: str) -> None:
    with pytest.raises(IntentlyError, match="https://"):
        build_app_zip(tmp_path / "app.zip", url)


@pytest.mark.parametrize("url", ["https://u:s3cret@intently.acme.test", "http://u:s3cret@intently.acme.test:8443/"])
def test_a_server_address_with_a_login_is_refused_and_never_echoed(tmp_path: Path, url: str) -> None:
    out = tmp_path / "intently-app.zip"
    done = intently("zendesk-app", "build", "--out", str(out), "--url", url)
    assert done.returncode == 1 and "must not carry a login" in done.stderr
    assert "s3cret" not in done.stdout + done.stderr and not out.exists()


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("https://intently.example.com?x=1", "without ?query or #fragment"),
        ("https://intently.example.com/#top", "without ?query or #fragment"),
        ("https://localhost:8000", "cannot reach localhost"),
        ("https://127.0.0.1", "cannot reach 127.0.0.1"),
        ("https://10.0.0.5", "cannot reach 10.0.0.5"),
        ("https://[::1]:8443", "cannot reach ::1"),
    ],
)
def test_an_address_zendesk_cannot_use_is_refused(tmp_path: Path, url: str, said: str) -> None:
    """Zendesk's servers make the app's requests: an address with a query, or of this machine or a private
    network, would build an app that can never reach intently."""
    with pytest.raises(IntentlyError, match=re.escape(said)):
        build_app_zip(tmp_path / "app.zip", url)
    assert not (tmp_path / "app.zip").exists()


def test_the_build_command(tmp_path: Path) -> None:
    out = tmp_path / "intently-app.zip"
    run = ["zendesk-app", "build", "--out", str(out)]
    done = intently(*run, "--url", "https://intently.acme.test")
    assert done.returncode == 0, done.stderr
    assert zipfile.is_zipfile(out) and "Upload private app" in " ".join(done.stdout.split())
    refused = intently(*run, "--url", "http://x")
    assert refused.returncode == 1 and "https://" in refused.stderr
    missing = intently(*run)
    assert missing.returncode == 2


def test_the_author_zendesk_shows_comes_from_the_build_options(tmp_path: Path) -> None:
    out = tmp_path / "app.zip"
    run = ["zendesk-app", "build", "--out", str(out), "--url", "https://intently.acme.test"]
    done = intently(
        *run,
        "--author-name",
        "Acme Support Ops",
        "--author-email",
        "ops@acme.test",
        "--author-url",
        "https://acme.test/support",
    )
    assert done.returncode == 0, done.stderr
    author = json.loads(zipfile.ZipFile(out).read("manifest.json"))["author"]
    assert author == {"name": "Acme Support Ops", "email": "ops@acme.test", "url": "https://acme.test/support"}
    for option, value, said in (
        ("--author-email", "ops at acme", "'ops at acme' is not an e-mail address (--author-email)"),
        ("--author-url", "acme.test", "'acme.test' is not an http(s):// address (--author-url)"),
        ("--author-name", " ", "the app's author name is empty"),
    ):
        refused = intently(*run, option, value)
        assert refused.returncode == 1 and said in " ".join(refused.stderr.split()), refused.stderr
