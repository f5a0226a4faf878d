"""The HTML report."""

from __future__ import annotations

import logging

from .options import add_output, add_threads, command

log = logging.getLogger("gutlung")


def cmd_report(args) -> None:
    """Run ``gutlung report``: the self-contained HTML report."""
    import json
    from pathlib import Path

    from ..report.build import build_report

    text = args.manifest
    source = "--manifest"
    if not text.lstrip().startswith("{"):
        source, text = text, Path(text).read_text()
    try:
        manifest = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"{source}: not JSON ({err})") from None
    build_report(
        manifest,
        output=args.output,
        figures_dir=args.figures_dir,
        ladder=args.ladder,
        tables_dir=args.tables_dir,
        threads=args.threads,
    )


def add_report(sub) -> None:
    """Declare ``gutlung report`` and its options on ``sub``."""
    p = command(sub, "report", cmd_report, "the self-contained HTML report")
    p.add_argument(
        "--manifest",
        required=True,
        help="JSON (or a JSON file): the files the report reads under 'files' "
        "and its 'settings' (keys: gutlung_pipeline.report.names)",
    )
    add_output(p, "report.html")
    add_threads(p, "figures rendered side by side")
    p.add_argument("--figures-dir", required=True, help="one SVG per figure")
    p.add_argument(
        "--tables-dir",
        help="where tables too long for the page go in full, one TSV each "
        "(default: tables/ beside the report)",
    )
    p.add_argument(
        "--ladder",
        help="also write the evidence ladder here as a standalone page "
        "(needs claims in the manifest)",
    )


#: This stage's subcommands, in the order ``gutlung --help`` lists them.
PARSERS = (add_report,)
