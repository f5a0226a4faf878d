"""Running external tools (vsearch, cutadapt, MAFFT, FastTree) safely.

Commands are argument lists, never shell strings, so sample IDs and paths with
spaces or shell characters are passed through untouched.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections.abc import Sequence

log = logging.getLogger(__name__)


class ToolError(RuntimeError):
    """An external tool failed; the message names the tool, the input and the fix."""


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
) -> str:
    """Run ``args`` and return its stderr text; raise ToolError on failure.

    Parameters
    ----------
    args
        Program and arguments; ``args[0]`` is looked up on PATH.
    context
        What is being processed (for example ``"sample S01"``), for the error.
    stdin, stdout
        Optional open file objects.
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
    if proc.returncode != 0:
        lines = [ln.strip() for ln in err.splitlines() if ln.strip()]
        last = lines[-1] if lines else f"exit code {proc.returncode}"
        raise ToolError(f"{args[0]} failed on {context}: {last}")
    return err
