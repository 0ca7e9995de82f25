"""The ``intently`` command as tests run it.

:func:`intently` runs the command in this process, through :func:`intently.cli.main` (so exit codes and error
messages are the ones a user sees) with Click's isolation of stdin, stdout, stderr and the environment. It
answers like :func:`subprocess.run` and saves the 0.4 s of imports a new process costs. :func:`intently_process`
runs the installed command as a real process, for what only a process shows: signals, the interpreter's exit, a
command that serves.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from click.testing import CliRunner

from intently.cli import main


def intently(
    *args: str, cwd: Path | None = None, env: Mapping[str, str] | None = None, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``intently ARGS`` in this process. ``env``, like :func:`subprocess.run`'s, replaces the whole
    environment for the command; ``input`` is its stdin."""
    overrides: dict[str, str | None] | None = None
    if env is not None:
        overrides = {name: None for name in os.environ if name not in env}
        overrides.update(env)
    runner = CliRunner()
    argv = sys.argv
    with contextlib.chdir(cwd or Path.cwd()), runner.isolation(input=input, env=overrides) as (out, err, _):
        sys.argv = ["intently", *args]
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            if isinstance(exc.code, str):
                sys.stderr.write(exc.code + "\n")
        finally:
            sys.argv = argv
            sys.stdout.flush()
            sys.stderr.flush()
        stdout, stderr = _text(out.getvalue()), _text(err.getvalue())
    return subprocess.CompletedProcess(["intently", *args], code, stdout, stderr)


def _text(data: bytes) -> str:
    """Bytes as :func:`subprocess.run` with ``text=True`` reads them: UTF-8, universal newlines."""
    return data.decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n")


def intently_process(
    *args: str, cwd: Path | None = None, env: Mapping[str, str] | None = None, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the installed ``intently ARGS`` (the script beside this Python) as a real process."""
    return subprocess.run(
        [str(Path(sys.executable).parent / "intently"), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=None if env is None else dict(env),
        input=input,
        timeout=300,
    )
