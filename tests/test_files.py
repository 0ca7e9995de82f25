"""Files intently writes (the HTML report, the handbook, a first policy file) are written whole: a failure part of
the way through leaves the file as it was, and no temporary file beside it."""

from __future__ import annotations

from pathlib import Path

import pytest

from intently.files import write_whole


def test_a_write_that_fails_half_way_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    report.write_text("the report of yesterday", encoding="utf-8")
    with pytest.raises(UnicodeEncodeError):
        write_whole(report, "x" * 100_000 + "\udc80")  # cannot be written as UTF-8, after 100,000 characters
    assert report.read_text(encoding="utf-8") == "the report of yesterday"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]
    write_whole(report, "the report of today")
    assert report.read_text(encoding="utf-8") == "the report of today"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_without_replace_an_existing_file_stays_and_the_error_names_it(tmp_path: Path) -> None:
    mine = tmp_path / "team.yaml"
    mine.write_text("version: mine\n", encoding="utf-8")
    with pytest.raises(FileExistsError) as raised:
        write_whole(mine, "version: theirs\n", replace=False)
    assert raised.value.filename == str(mine)
    assert mine.read_text(encoding="utf-8") == "version: mine\n"
    assert [p.name for p in tmp_path.iterdir()] == ["team.yaml"]
    with pytest.raises(FileNotFoundError) as missing:
        write_whole(tmp_path / "absent" / "report.html", "text")
    assert missing.value.filename == str(tmp_path / "absent" / "report.html")
