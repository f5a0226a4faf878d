"""The ``gutlung`` command: one subcommand per workflow step.

One module per stage (``setup``, ``inputs``, ``reads``, ``features``,
``diversity``, ``stats``, ``decontam``, ``maturity``, ``claims``, ``report``);
in each, a subcommand's handler ``cmd_*`` sits beside the ``add_*`` function
that declares its options. A handler reads its inputs, calls one tested
function of the science modules and writes the result. Options the
subcommands share (``--seed``, ``--threads``, ``--output``, the primers,
``--settings``) are declared once in :mod:`.options`, with their defaults
from the config schema. Imports are made inside the handlers so that a job
starts in a fraction of a second.
"""

from __future__ import annotations

import argparse
import logging
import sys

from .. import __version__
from . import (
    claims,
    decontam,
    diversity,
    features,
    inputs,
    maturity,
    reads,
    report,
    scfa,
    setup,
    stats,
)

#: The stages, in the order ``gutlung --help`` lists their subcommands.
STAGES = (
    setup,
    inputs,
    reads,
    features,
    decontam,
    diversity,
    scfa,
    stats,
    maturity,
    claims,
    report,
)


def build_parser() -> argparse.ArgumentParser:
    """Build the ``gutlung`` parser with every stage's subcommands."""
    parser = argparse.ArgumentParser(
        prog="gutlung", description="gutlung-pipeline steps (called by the workflow)."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.add_argument(
        "--version", action="version", version=f"gutlung-pipeline {__version__}"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for stage in STAGES:
        for add in stage.PARSERS:
            add(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``gutlung``; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
        stream=sys.stderr,
        force=True,
    )
    from ..errors import ConfigError, ToolError

    try:
        args.func(args)
    except ConfigError as err:
        for line in err.problems:
            print(f"gutlung {args.command}: error: {line}", file=sys.stderr)
        return 2
    except (ToolError, ValueError, FileNotFoundError, KeyError) as err:
        msg = " ".join(str(err).split())
        print(f"gutlung {args.command}: error: {msg}", file=sys.stderr)
        return 1
    except OSError as err:  # a full disk, a read-only folder: no traceback
        logging.getLogger("gutlung").debug("the write error's origin", exc_info=True)
        line = os_error_line(err, fallback=_output_folder(args))
        print(f"gutlung {args.command}: error: {line}", file=sys.stderr)
        return 1
    return 0


#: Options that name what a command writes: where a write error without a
#: file name most likely happened.
OUTPUT_OPTIONS = (
    "output",
    "derep",
    "mapping",
    "candidates",
    "stats",
    "biom",
    "tsv",
    "fasta",
    "tracking",
    "summary",
)


def _output_folder(args) -> str | None:
    """Return the folder of the command's first output option, or None."""
    import os

    for name in OUTPUT_OPTIONS:
        value = getattr(args, name, None)
        if isinstance(value, str) and value:
            return os.path.dirname(os.path.abspath(value))
    return None


def os_error_line(err: OSError, *, fallback: str | None = None) -> str:
    """Say what a write error means and what to do, naming the file's folder.

    An error raised through a file handle names no file: the folder is then
    ``fallback`` (the command's output folder), said as such.
    """
    import errno
    import os

    from ..tools import mount_point

    if err.filename:
        where = os.path.dirname(os.path.abspath(err.filename))
    elif fallback:
        where = f"{fallback} or a folder beside it"
    else:
        where = "?"
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        disk = mount_point(
            os.path.dirname(os.path.abspath(err.filename))
            if err.filename
            else fallback or os.getcwd()
        )
        return (
            f"no space left on device in {disk} (writing in {where}); free space "
            "there and rerun (finished steps are kept, nothing half written is)"
        )
    if err.errno == errno.EIO:
        return (
            f"input/output error in {where}: the disk or network file system "
            "failed a read or write; check it (dmesg, the file server) and rerun "
            "(finished steps are kept, nothing half written is)"
        )
    if err.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return (
            f"cannot write in {where} ({err.strerror}); make the folder writable "
            "or run from another one"
        )
    return f"{err.strerror or err} ({err.filename or 'no file named'})"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
