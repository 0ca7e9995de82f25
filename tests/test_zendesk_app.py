"""The Zendesk sidebar app package: what Zendesk's upload checks, and what the app needs to run."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from intently.errors import IntentlyError
from intently.zendesk.app import build_app_zip


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
    for name, size in (("assets/logo.png", 128), ("assets/logo-small.png", 64)):
        png = app_zip.read(name)
        assert png.startswith(b"\x89PNG\r\n\x1a\n") and int.from_bytes(png[16:20], "big") == size


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


@pytest.mark.parametrize("url", ["http://intently.acme.test", "intently.acme.test", "https://"])
def test_the_server_address_must_be_https(tmp_path: Path, url: str) -> None:
    with pytest.raises(IntentlyError, match="https://"):
        build_app_zip(tmp_path / "app.zip", url)


def test_the_build_command(tmp_path: Path) -> None:
    out = tmp_path / "intently-app.zip"
    run = [sys.executable, "-m", "intently", "zendesk-app", "build", "--out", str(out)]
    done = subprocess.run([*run, "--url", "https://intently.acme.test"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert zipfile.is_zipfile(out) and "Upload private app" in " ".join(done.stdout.split())
    refused = subprocess.run([*run, "--url", "http://x"], capture_output=True, text=True)
    assert refused.returncode == 1 and "https://" in refused.stderr
    missing = subprocess.run(run, capture_output=True, text=True)
    assert missing.returncode == 2
