"""Microbiota maturity."""

from __future__ import annotations

import logging

from .options import add_output, add_seed, add_settings, add_threads, command, naming

log = logging.getLogger("gutlung")


def cmd_maturity(args) -> None:
    """Run ``gutlung maturity``: microbiota age, relative maturity and MAZ."""
    from ..io import read_metadata, read_table, read_taxonomy, write_tsv
    from ..maturity import score_maturity

    if bool(args.reference_table) != bool(args.reference_metadata):
        raise ValueError("give --reference-table and --reference-metadata together")
    reference = {}
    if args.reference_table:
        reference = {
            "reference_table": read_table(args.reference_table),
            "reference_metadata": read_metadata(args.reference_metadata),
        }
    with naming(args.metadata):
        result = score_maturity(
            read_table(args.table),
            read_metadata(args.metadata),
            args.settings,
            taxonomy=read_taxonomy(args.taxonomy) if args.taxonomy else None,
            state_column=args.state_column,
            test_size=args.test_size,
            stratify=args.stratify,
            random_state=args.seed,
            n_jobs=args.threads,
            **reference,
        )
    write_tsv(result.scores.rename_axis("sample_id"), args.output)
    write_tsv(result.importances.rename_axis("feature_id").to_frame(), args.importances)


def add_maturity(sub) -> None:
    """Declare ``gutlung maturity`` and its options on ``sub``."""
    p = command(
        sub, "maturity", cmd_maturity, "microbiota age, relative maturity and MAZ"
    )
    p.add_argument("--table", required=True, help="counts: BIOM, TSV or QIIME 2 .qza")
    p.add_argument("--metadata", required=True, help="TSV, first column sample ID")
    add_settings(p, "maturity")
    p.add_argument("--taxonomy", help="taxonomy.tsv, to collapse to maturity.rank")
    p.add_argument(
        "--state-column",
        help="score on this column's states as they are (QIIME 2's state "
        "column): no body-site or age filter, no age bins",
    )
    p.add_argument("--reference-table", help="grouped: a separate reference study")
    p.add_argument("--reference-metadata", help="its metadata TSV")
    p.add_argument(
        "--test-size", type=float, default=0.5, help="mode qiime2: test share"
    )
    p.add_argument("--stratify", action="store_true", help="mode qiime2")
    add_seed(p)
    add_threads(p)
    add_output(p, "per-sample scores TSV")
    p.add_argument("--importances", required=True, help="feature importances TSV")


#: This stage's subcommands, in the order ``gutlung --help`` lists them.
PARSERS = (add_maturity,)
