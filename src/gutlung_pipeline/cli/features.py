"""Taxonomy and tree of the ASVs."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from .options import add_output, add_seed, add_threads, command, schema_default

log = logging.getLogger("gutlung")


def cmd_assign_taxonomy(args) -> None:
    """Run ``gutlung assign-taxonomy``: SINTAX taxonomy, QIIME 2 layout."""
    from ..io import write_tsv
    from ..taxonomy import read_sintax_tabbed, run_sintax, sintax_to_qiime

    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "sintax.tsv"
        run_sintax(
            args.asvs,
            args.reference,
            raw,
            random_state=args.seed,
            threads=args.threads,
        )
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
    p.add_argument("--asvs", required=True, help="the ASV sequences (FASTA)")
    p.add_argument(
        "--reference", required=True, help="SINTAX reference FASTA (gzip or not)"
    )
    add_output(p)
    p.add_argument("--raw", help="also write the raw SINTAX predictions here")
    p.add_argument(
        "--confidence",
        type=float,
        default=schema_default("taxonomy.confidence"),
        help="least SINTAX bootstrap support of a kept rank",
    )
    add_seed(p)
    add_threads(p, "SINTAX processes side by side (the names do not depend on it)")


def cmd_root_tree(args) -> None:
    """Run ``gutlung root-tree``: midpoint-root a Newick tree."""
    from ..io import atomic_path
    from ..phylogeny import midpoint_root, to_newick

    try:
        tree = midpoint_root(Path(args.input).read_text())
    except ValueError as err:
        raise ValueError(
            f"{args.input}: {err}; give FastTree's Newick output"
        ) from None
    with atomic_path(args.output) as tmp:
        tmp.write_text(to_newick(tree))


def add_root_tree(sub) -> None:
    """Declare ``gutlung root-tree`` and its options on ``sub``."""
    p = command(sub, "root-tree", cmd_root_tree, "midpoint-root a Newick tree")
    p.add_argument("--input", required=True, help="the unrooted Newick tree")
    add_output(p)


def cmd_build_tree(args) -> None:
    """Run ``gutlung build-tree``: FastTree on the alignment, midpoint-rooted."""
    from ..phylogeny import build_tree

    build_tree(args.alignment, args.output, seed=args.seed)


def add_build_tree(sub) -> None:
    """Declare ``gutlung build-tree`` and its options on ``sub``."""
    p = command(
        sub,
        "build-tree",
        cmd_build_tree,
        "FastTree (GTR) on the aligned ASVs, midpoint-rooted",
    )
    p.add_argument("--alignment", required=True, help="the aligned ASVs (FASTA)")
    add_output(p)
    add_seed(p)


def cmd_export_phyloseq(args) -> None:
    """Run ``gutlung export-phyloseq``: the table as phyloseq and R read it."""
    from ..inputs.sheet import read_sample_sheet
    from ..io import read_table, read_taxonomy, write_biom, write_tsv
    from ..tables import relative_by_rank
    from ..taxonomy import RANK_NAMES, greengenes_lineage, split_ranks

    table = read_table(args.table)
    taxonomy = read_taxonomy(args.taxonomy).reindex(table.index).fillna("Unassigned")
    ranks = split_ranks(taxonomy)
    sheet = read_sample_sheet(args.samples).set_index("sample_id")
    # local file paths mean nothing elsewhere; every other column is kept
    sheet = sheet.drop(columns=[c for c in ("fq1", "fq2") if c in sheet.columns])
    samples = sheet.reindex(table.columns).fillna("").astype(str)
    write_biom(
        table,
        args.biom,
        observation_metadata=[
            {"taxonomy": greengenes_lineage(ranks.loc[f])} for f in table.index
        ],
        sample_metadata=[samples.loc[s].to_dict() for s in table.columns],
    )
    write_tsv(ranks, args.ranks)
    out = Path(args.relative_dir)
    for name, shares in relative_by_rank(table, taxonomy).items():
        write_tsv(shares, out / f"{name}.tsv")
    log.info("%d features x %d samples; ranks %s", *table.shape, ", ".join(RANK_NAMES))


def add_export_phyloseq(sub) -> None:
    """Declare ``gutlung export-phyloseq`` and its options on ``sub``."""
    p = command(
        sub,
        "export-phyloseq",
        cmd_export_phyloseq,
        "the table with taxonomy and sample data, for phyloseq::import_biom",
    )
    p.add_argument("--table", required=True, help="the analysis table (BIOM or TSV)")
    p.add_argument("--taxonomy", required=True, help="taxonomy.tsv (QIIME 2 layout)")
    p.add_argument("--samples", required=True, help="the sample sheet")
    p.add_argument(
        "--biom",
        required=True,
        help="BIOM to write: taxonomy as observation metadata, the sheet as "
        "sample metadata",
    )
    p.add_argument(
        "--ranks", required=True, help="split-rank taxonomy TSV (Kingdom..Species)"
    )
    p.add_argument(
        "--relative-dir",
        required=True,
        help="folder for one relative-abundance table per rank (<Rank>.tsv)",
    )


def cmd_qiime2_metadata(args) -> None:
    """Run ``gutlung qiime2-metadata``: the sheet as QIIME 2 metadata."""
    from ..inputs.sheet import qiime2_metadata, read_sample_sheet
    from ..io import atomic_path

    text = qiime2_metadata(read_sample_sheet(args.samples))
    with atomic_path(args.output) as tmp:
        tmp.write_text(text)


def add_qiime2_metadata(sub) -> None:
    """Declare ``gutlung qiime2-metadata`` and its options on ``sub``."""
    p = command(
        sub,
        "qiime2-metadata",
        cmd_qiime2_metadata,
        "the sample sheet as QIIME 2 metadata (sample-id, #q2:types)",
    )
    p.add_argument("--samples", required=True, help="the sample sheet")
    add_output(p, "metadata.tsv")


#: This stage's subcommands, in the order ``gutlung --help`` lists them.
PARSERS = (
    add_assign_taxonomy,
    add_build_tree,
    add_root_tree,
    add_export_phyloseq,
    add_qiime2_metadata,
)
