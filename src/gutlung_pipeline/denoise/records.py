"""FASTA records with vsearch's size annotations, shared by the denoising steps."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ToolError
from ..io import read_fasta
from ..tools import require_tool

if TYPE_CHECKING:  # pandas is imported where tables are built, not by read steps
    pass


SIZE = re.compile(r";size=(\d+)")


def size_of(label: str) -> int:
    """Return the ``;size=`` of a label (1 where it has none)."""
    match = SIZE.search(label)
    return int(match.group(1)) if match else 1


def read_records(path) -> list[tuple[str, str]]:
    """Read the (label, upper-case sequence) records of a FASTA file.

    (label, upper-case sequence) of a FASTA file, in file order (vsearch
    soft-masks low-complexity stretches in lower case).
    """
    return [(label, seq.upper()) for label, seq in read_fasta(path).items()]


def stream_into_vsearch(
    args: Sequence[str],
    files: Sequence[str | os.PathLike] = (),
    *,
    what: str,
    outputs: Sequence[str | os.PathLike],
    chunks: Iterable[bytes] = (),
) -> None:
    """Run vsearch with files streamed into its stdin.

    Run ``vsearch args`` with ``files``, then ``chunks`` (bytes, as a
    generator makes them: vsearch works on the first while the next are
    made), streamed in order into its stdin (``-``); on failure remove
    ``outputs`` and raise a one-line ToolError.
    """
    exe = require_tool("vsearch")
    with subprocess.Popen(
        [exe, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    ) as proc:
        try:
            for path in files:
                with open(path, "rb") as handle:
                    shutil.copyfileobj(handle, proc.stdin)
            for chunk in chunks:
                proc.stdin.write(chunk)
        except BrokenPipeError:
            pass  # vsearch stopped early; its exit status says why
        finally:
            with contextlib.suppress(BrokenPipeError):
                proc.stdin.close()
        err = proc.stderr.read().decode(errors="replace").strip()
    if proc.returncode != 0:
        for path in outputs:
            Path(path).unlink(missing_ok=True)
        reason = err.splitlines()[-1] if err else "no message"
        raise ToolError(f"vsearch failed {what}: {reason}")
