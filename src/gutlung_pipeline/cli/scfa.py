"""Short-chain-fatty-acid producers."""

from __future__ import annotations

import logging

from .options import add_output, add_settings, command

log = logging.getLogger("gutlung")


def cmd_scfa(args) -> None:
    """Run ``gutlung scfa``: per-sample SCFA-producer shares and balances."""
    from ..io import read_table, read_taxonomy, write_tsv
    from ..scfa import load_producers, producer_indices

    settings = args.settings
    producers = load_producers(settings["producers"])
    out = producer_indices(
        read_table(args.table),
        read_taxonomy(args.taxonomy),
        producers,
        min_confidence=settings["min_confidence"],
        pseudocount=settings["pseudocount"],
    )
    write_tsv(out.round(6), args.output)
    log.info(
        "%d samples; median share of reads in butyrate producers %.3f, in "
        "propionate producers %.3f, without a genus %.3f",
        len(out),
        out["butyrate_share"].median(),
        out["propionate_share"].median(),
        out["unplaced_share"].median(),
    )


def add_scfa(sub) -> None:
    """Declare ``gutlung scfa`` and its options on ``sub``."""
    p = command(
        sub, "scfa", cmd_scfa, "per-sample shares and balances of SCFA producers"
    )
    p.add_argument("--table", required=True, help="counts: BIOM, TSV or QIIME 2 .qza")
    p.add_argument("--taxonomy", required=True, help="taxonomy.tsv of the features")
    add_settings(p, "scfa")
    add_output(p, "per-sample indices TSV")


#: This stage's subcommands, in the order ``gutlung --help`` lists them.
PARSERS = (add_scfa,)
