"""Files written whole: a reader (or a crash at any moment) sees the file as it was before or as it is after,
never half of it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_whole(path: Path, text: str, *, replace: bool = True) -> None:
    """Write ``text`` (UTF-8) to ``path`` all or nothing: into a temporary file beside it, flushed to disk, then
    renamed over it. With ``replace=False`` an existing file is left as it is and :class:`FileExistsError` raised
    (checked in the same step as the file appears, so nothing written in between is lost). An :class:`OSError`
    names ``path``, not the temporary file."""
    try:
        _write(path, text, replace)
    except OSError as exc:
        raise type(exc)(exc.errno, exc.strerror, str(path)) from None


def _write(path: Path, text: str, replace: bool) -> None:
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o666 & ~_umask())
        if replace:
            os.replace(temporary, path)
        else:
            os.link(temporary, path)  # fails if path exists: no file is replaced
    finally:
        if os.path.exists(temporary):  # not renamed: a failure, or linked (the file keeps its other name)
            os.unlink(temporary)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
