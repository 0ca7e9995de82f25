"""Shared test fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
RECORDED_EXPORT = SHARED / "zendesk-recorded" / "export"


@pytest.fixture
def recorded_export() -> Path:
    """The real, recorded Zendesk export in ../shared (skips in a user's fresh clone, fails in CI)."""
    if not RECORDED_EXPORT.is_dir():
        message = f"{RECORDED_EXPORT} is absent: the recorded Zendesk export lives beside the project in ../shared"
        if os.environ.get("INTENTLY_REQUIRE_SHARED"):
            pytest.fail(message + " (INTENTLY_REQUIRE_SHARED is set)")
        pytest.skip(message)
    return RECORDED_EXPORT
