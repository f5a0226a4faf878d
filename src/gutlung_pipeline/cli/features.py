"""Taxonomy and tree of the ASVs."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from .options import add_output, add_seed, command, schema_default

log = logging.getLogger("gutlung")


def cmd_assign_taxonomy(args) -> None:
    """Run ``gutlung assign-taxonomy``: SINTAX taxonomy, QIIME 2 layout."""
    from ..io import write_tsv
    from ..taxonomy import read_sintax_tabbed, run_sintax, sintax_to_qiime

    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "sintax.tsv"
        run_sintax(args.asvs, args.reference, raw, random_state=args.seed)
        predictions = read_sintax_tabbed(raw)
    taxonomy = sintax_to_qiime(predictions, confidence=args.confidence)
    write_tsv(taxonomy, args.output)
    if args.raw:
        write_tsv(
            predictions.rename("prediction").to_frame().rename_axis("Feature ID"),
            args.raw,
        )


def add_assign_taxonomy(sub) -> None:
    """Declare ``gutlung assign-taxonomy`` and its options on ``sub``."""
    p = command(
        sub, "assign-taxonomy", cmd_assign_taxonomy, "SINTAX taxonomy, QIIME 2 layout"
    )
    p.add_argument("--asvs", required=True)
    p.add_argument("--reference", required=True)
    add_output(p)
    p.add_argument("--raw", help="also write the raw SINTAX predictions here")
    p.add_argument(
        "--confidence", type=float, default=schema_default("taxonomy.confidence")
    )
    add_seed(p)


def cmd_root_tree(args) -> None:
    """Run ``gutlung root-tree``: midpoint-root a Newick tree."""
    from ..io import atomic_path
    from ..phylogeny import midpoint_root, to_newick

    tree = midpoint_root(Path(args.input).read_text())
    with atomic_path(args.output) as tmp:
        tmp.write_text(to_newick(tree))


def add_root_tree(sub) -> None:
    """Declare ``gutlung root-tree`` and its options on ``sub``."""
    p = command(sub, "root-tree", cmd_root_tree, "midpoint-root a Newick tree")
    p.add_argument("--input", required=True)
    add_output(p)


#: This stage's subcommands, in the order ``gutlung --help`` lists them.
PARSERS = (
    add_assign_taxonomy,
    add_root_tree,
)
