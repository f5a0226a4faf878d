"""Contamination: decontam's calls and the workflow's decontamination step."""

from __future__ import annotations

import logging

from .options import add_output, command, naming

log = logging.getLogger("gutlung")


def cmd_decontam(args) -> None:
    """Run ``gutlung decontam``: R decontam's contaminant calls; a clean table."""
    from ..decontam import decontam_table
    from ..io import read_metadata, read_table, write_biom, write_tsv

    threshold = args.threshold[0] if len(args.threshold) == 1 else tuple(args.threshold)
    with naming(args.metadata):
        res, clean = decontam_table(
            read_table(args.table),
            read_metadata(args.metadata),
            neg_column=args.neg_column,
            neg_value=args.neg_value,
            conc_column=args.conc_column,
            batch_column=args.batch_column,
            batch_combine=args.batch_combine,
            method=args.method,
            threshold=threshold,
            not_contaminant=args.not_contaminant,
        )
    write_biom(clean, args.clean_table)
    write_tsv(res, args.output)
    log.info("%d of %d features removed", len(res) - len(clean), len(res))


def add_decontam(sub) -> None:
    """Declare ``gutlung decontam`` and its options on ``sub``."""
    p = command(
        sub, "decontam", cmd_decontam, "R decontam's contaminant calls; a clean table"
    )
    p.add_argument("--table", required=True, help="counts (features x samples)")
    p.add_argument("--metadata", required=True, help="the sample sheet")
    p.add_argument(
        "--method",
        default="auto",
        choices=[
            "auto",
            "frequency",
            "prevalence",
            "combined",
            "minimum",
            "either",
            "both",
        ],
        help="decontam's method (auto: combined with both, else what is there)",
    )
    p.add_argument(
        "--threshold",
        type=float,
        nargs="+",
        default=[0.1],
        help="one value, or frequency then prevalence",
    )
    p.add_argument("--neg-column", help="column marking negative controls")
    p.add_argument(
        "--neg-value",
        default="negative_control",
        help="sample_type of the negative controls",
    )
    p.add_argument("--conc-column", help="DNA concentration column")
    p.add_argument("--batch-column", help="run or extraction plate")
    p.add_argument(
        "--batch-combine",
        default="minimum",
        choices=["minimum", "product", "fisher"],
        help="how batch scores combine: minimum, product or fisher",
    )
    p.add_argument(
        "--not-contaminant",
        action="store_true",
        help="isNotContaminant: keep its not.contaminant",
    )
    add_output(p, "per-feature evidence and call")
    p.add_argument(
        "--clean-table", required=True, help="without contaminants and controls"
    )


def cmd_decontaminate(args) -> None:
    """Run ``gutlung decontaminate``.

    The workflow's contamination step: off-target features, decontam per body site,
    signal above background, mock accuracy.
    """
    import json

    from ..decontam import decontaminate, read_expected
    from ..decontam.clean import OffTargetTable
    from ..inputs.sheet import load_samples
    from ..io import (
        read_table,
        read_taxonomy,
        read_tsv,
        write_biom,
        write_table_tsv,
        write_tsv,
    )

    settings = json.loads(args.settings)
    # the table steps need no reads (a study may enter at the table stage)
    samples = load_samples(args.samples, check_files=False, reads=False)
    expected = settings["mock"]["expected"]
    table, taxonomy = read_table(args.table), read_taxonomy(args.taxonomy)
    tracking = read_tsv(args.tracking) if args.tracking else None
    expected = read_expected(expected) if expected else None
    try:
        result = decontaminate(
            table,
            samples,
            taxonomy,
            settings=settings,
            tracking=tracking,
            expected=expected,
        )
    except OffTargetTable as err:  # a taxonomy that leaves nothing: its file
        raise ValueError(f"{args.taxonomy}: {err}") from None
    except ValueError as err:  # the rest concern the sheet's samples
        raise ValueError(f"{args.samples}: {err}") from None
    write_tsv(result.contaminants, args.contaminants, index=False)
    write_tsv(result.filtered, args.filtered)
    write_tsv(result.signal, args.signal)
    write_tsv(result.tracking, args.tracking_output, index=False)
    write_tsv(result.mock, args.mock, index=False)
    write_tsv(result.mock_taxa, args.mock_taxa, index=False)
    write_table_tsv(result.table, args.output_tsv)
    write_biom(result.table, args.output)  # last: the table marks completion
    calls = result.contaminants
    log.info(
        "%d off-target features; %d contaminant calls (%s); %d samples flagged",
        len(result.filtered),
        int(calls["contaminant"].sum()),
        ", ".join(
            f"{s}: {int(g['contaminant'].sum())}" for s, g in calls.groupby("body_site")
        ),
        int(result.signal["flagged"].sum()),
    )


def add_decontaminate(sub) -> None:
    """Declare ``gutlung decontaminate`` and its options on ``sub``."""
    p = command(
        sub,
        "decontaminate",
        cmd_decontaminate,
        "the workflow's contamination step: off-target features, decontam per "
        "body site, signal above background, mock accuracy",
    )
    p.add_argument(
        "--table", required=True, help="denoised counts (features x samples)"
    )
    p.add_argument("--taxonomy", required=True, help="taxonomy.tsv (Feature ID, Taxon)")
    p.add_argument("--samples", required=True, help="the sample sheet")
    p.add_argument("--tracking", help="read_tracking.tsv from denoising")
    p.add_argument(
        "--settings", required=True, help="the config's decontam section as JSON"
    )
    add_output(p, "analysis table (BIOM)")
    p.add_argument("--output-tsv", required=True, help="analysis table (TSV)")
    p.add_argument("--contaminants", required=True, help="evidence per feature, site")
    p.add_argument("--filtered", required=True, help="off-target features removed")
    p.add_argument("--signal", required=True, help="signal above background")
    p.add_argument("--tracking-output", required=True, help="read tracking, extended")
    p.add_argument("--mock", required=True, help="mock accuracy per mock sample")
    p.add_argument("--mock-taxa", required=True, help="mock shares per taxon")


#: This stage's subcommands, in the order ``gutlung --help`` lists them.
PARSERS = (
    add_decontam,
    add_decontaminate,
)
