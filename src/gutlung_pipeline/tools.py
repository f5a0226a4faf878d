"""Running external tools (vsearch, cutadapt, MAFFT, FastTree) safely.

Commands are argument lists, never shell strings, so sample IDs and paths with
spaces or shell characters are passed through untouched.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from .errors import ToolError

log = logging.getLogger(__name__)

__all__ = ["ToolError", "require_tool", "run_tool"]


def require_tool(name: str, *, hint: str = "") -> str:
    """Return the path of executable ``name`` or raise a one-line ToolError."""
    path = shutil.which(name)
    if path is None:
        fix = hint or f"install it (Debian: apt-get install {name.lower()})"
        raise ToolError(f"{name} not found on PATH; {fix}")
    return path


def run_tool(
    args: Sequence[str],
    *,
    context: str,
    stdin=None,
    stdout=None,
    outputs: Sequence[str | os.PathLike] = (),
    stdout_to: str | os.PathLike | None = None,
) -> str:
    """Run ``args`` and return its stderr text; raise ToolError on failure.

    On failure the files in ``outputs`` are removed, so nothing half written
    looks complete, and the error names the tool, ``context`` and the tool's
    own error line (cutadapt prints it on stdout, vsearch on stderr).

    Parameters
    ----------
    args
        Program and arguments; ``args[0]`` is looked up on PATH.
    context
        What is being processed (for example ``"sample S01"``), for the error.
    stdin, stdout
        Optional open file objects.
    stdout_to
        Where to keep the tool's standard output once it succeeded (cutadapt's
        text report, which MultiQC reads).
    """
    exe = require_tool(args[0])
    log.info("running: %s", " ".join(args))
    proc = subprocess.run(
        [exe, *args[1:]],
        stdin=stdin,
        stdout=stdout if stdout is not None else subprocess.PIPE,
        stderr=subprocess.PIPE,
        check=False,
    )
    err = proc.stderr.decode(errors="replace")
    if err:
        log.info("%s stderr:\n%s", args[0], err.rstrip())
    out = proc.stdout.decode(errors="replace") if proc.stdout else ""
    check_result(
        args[0],
        proc.returncode,
        out,
        err,
        context=context,
        outputs=outputs,
        stdout_to=stdout_to,
    )
    return err


def check_result(
    name: str,
    returncode: int,
    out: str,
    err: str,
    *,
    context: str,
    outputs: Sequence[str | os.PathLike] = (),
    stdout_to: str | os.PathLike | None = None,
) -> None:
    """Judge a finished tool as :func:`run_tool` does; raise ToolError on failure.

    ``out`` and ``err`` are what it printed, ``returncode`` its exit status
    (for a tool run in this process, nonzero when it failed). A full disk
    is named with its mount point even when the exit status is 0; on failure
    the files in ``outputs`` are removed. ``stdout_to`` keeps ``out`` once it
    succeeded.
    """
    if "no space left on device" in (out + err).lower():
        # also when the tool exits 0: what it wrote is incomplete
        for path in outputs:
            Path(path).unlink(missing_ok=True)
        folder = mount_point(Path(outputs[0]).parent if outputs else Path.cwd())
        raise ToolError(
            f"{name} ran out of disk space on {context}: no space left on device "
            f"in {folder}; free space there and rerun (finished steps are kept)"
        )
    if returncode != 0:
        for path in outputs:
            Path(path).unlink(missing_ok=True)
        raise ToolError(f"{name} failed on {context}: {_error_line(out + err)}")
    if stdout_to is not None:
        from .io import write_bytes

        write_bytes(stdout_to, out.encode())


def mount_point(path: str | os.PathLike) -> Path:
    """Return the mount point of the file system holding ``path``.

    A full disk is freed on its file system, which the step's own (perhaps
    temporary) folder does not name.
    """
    current = Path(path).resolve()
    while not current.exists() and current != current.parent:
        current = current.parent
    while not os.path.ismount(current):
        current = current.parent
    return current


def _error_line(text: str) -> str:
    """Return the tool's most telling line: the last naming an error, or the last."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    flagged = [ln for ln in lines if "error" in ln.lower() or "fatal" in ln.lower()]
    if flagged:
        return flagged[-1]
    return lines[-1] if lines else "no message"
