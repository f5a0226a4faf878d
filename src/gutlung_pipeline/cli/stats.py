"""Statistics: PERMANOVA, differential abundance, mixed models, paired gut-lung.

Each takes the config's ``stats`` section as ``--settings`` and runs the
analyses listed under its own key (``permanova``, ``differential``,
``longitudinal``, ``paired``).
"""

from __future__ import annotations

import logging

from .options import add_output, add_seed, add_settings, command, naming

log = logging.getLogger("gutlung")


def _concat_or_header(frames, header) -> object:
    import pandas as pd

    frames = [f for f in frames if len(f)]
    return (
        pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=header)
    )


def cmd_permanova(args) -> None:
    """Run ``gutlung permanova``: adonis2-style PERMANOVA and betadisper.

    One distance matrix, or several (``--distance``, ``--metric`` and
    ``--output`` given once a matrix, in the same order) in one process: a
    job a metric spent a second starting Python and its modules for a
    fraction of a second of permutations at 48 samples. The matrices are
    read without scikit-bio (:func:`gutlung_pipeline.io.read_distance_matrix`).
    """
    from ..io import read_distance_matrix, read_metadata, write_tsv
    from ..seeds import substream
    from ..stats import permanova_table

    if not len(args.distance) == len(args.metric) == len(args.output):
        raise ValueError(
            f"{len(args.distance)} --distance, "
            f"{len(args.metric)} --metric and {len(args.output)} --output; give "
            "one metric name and one output a distance matrix"
        )
    md = read_metadata(args.metadata)
    for distance, metric, output in zip(
        args.distance, args.metric, args.output, strict=True
    ):
        dm = read_distance_matrix(distance)
        with naming(args.metadata):
            frames = [
                permanova_table(
                    dm,
                    md,
                    analysis,
                    metric=metric,
                    permutations=args.settings["permutations"],
                    random_state=substream(args.seed, i),
                )
                for i, analysis in enumerate(args.settings["permanova"])
            ]
        write_tsv(_concat_or_header(frames, ["analysis"]), output, index=False)


def add_permanova(sub) -> None:
    """Declare ``gutlung permanova`` and its options on ``sub``."""
    p = command(
        sub, "permanova", cmd_permanova, "adonis2-style PERMANOVA and betadisper"
    )
    p.add_argument(
        "--distance", required=True, nargs="+", help="the distance matrices (TSV)"
    )
    p.add_argument("--metadata", required=True, help="the sample sheet")
    add_settings(p, "stats")
    p.add_argument(
        "--metric",
        required=True,
        nargs="+",
        help="each matrix's name, written to its table",
    )
    add_seed(p)
    p.add_argument(
        "--output", required=True, nargs="+", help="each matrix's table (TSV)"
    )


def cmd_differential(args) -> None:
    """Run ``gutlung differential``: ANCOM-BC and dirmult_ttest, BH."""
    from ..io import read_metadata, read_table, read_taxonomy, write_tsv
    from ..stats import differential_abundance

    table = read_table(args.table)
    taxonomy = read_taxonomy(args.taxonomy) if args.taxonomy else None
    md = read_metadata(args.metadata)
    with naming(args.metadata):
        frames = [
            differential_abundance(
                table, md, a, taxonomy=taxonomy, random_state=args.seed
            )
            for a in args.settings["differential"]
        ]
    write_tsv(_concat_or_header(frames, ["analysis"]), args.output, index=False)


def add_differential(sub) -> None:
    """Declare ``gutlung differential`` and its options on ``sub``."""
    p = command(sub, "differential", cmd_differential, "ANCOM-BC and dirmult_ttest, BH")
    p.add_argument("--table", required=True, help="unrarefied counts")
    p.add_argument("--taxonomy", help="taxonomy.tsv, to collapse to a rank")
    p.add_argument("--metadata", required=True, help="the sample sheet")
    add_settings(p, "stats")
    add_seed(p)
    add_output(p)


def cmd_alpha_lme(args) -> None:
    """Run ``gutlung alpha-lme``: alpha ~ fixed + (1 | subject), statsmodels."""
    from ..io import read_metadata, read_tsv, write_tsv
    from ..stats import alpha_mixed_model

    alpha = read_tsv(args.alpha)
    md = read_metadata(args.metadata)
    with naming(args.metadata):
        frames = [
            alpha_mixed_model(alpha, md, a) for a in args.settings["longitudinal"]
        ]
    write_tsv(_concat_or_header(frames, ["analysis"]), args.output, index=False)


def add_alpha_lme(sub) -> None:
    """Declare ``gutlung alpha-lme`` and its options on ``sub``."""
    p = command(
        sub, "alpha-lme", cmd_alpha_lme, "alpha ~ fixed + (1 | subject), statsmodels"
    )
    p.add_argument("--alpha", required=True, help="alpha.tsv")
    p.add_argument("--metadata", required=True, help="the sample sheet")
    add_settings(p, "stats")
    add_output(p)


def cmd_paired(args) -> None:
    """Run ``gutlung paired``: paired gut-lung sharing, Mantel, Procrustes."""
    from skbio import DistanceMatrix

    from ..io import read_metadata, read_table, write_tsv
    from ..stats import paired_gut_lung

    paired = args.settings["paired"]
    with naming(args.metadata):
        tests, per_lung = paired_gut_lung(
            read_table(args.table),
            DistanceMatrix.read(args.distance),
            read_metadata(args.metadata),
            subject=paired["subject_column"],
            site=paired["site_column"],
            gut=paired["gut"],
            lung=paired["lung"],
            metric=paired["metric"],
            permutations=args.settings["permutations"],
            random_state=args.seed,
        )
    write_tsv(per_lung, args.per_sample, index=False)
    write_tsv(tests, args.output, index=False)


def add_paired(sub) -> None:
    """Declare ``gutlung paired`` and its options on ``sub``."""
    p = command(
        sub, "paired", cmd_paired, "paired gut-lung sharing, Mantel, Procrustes"
    )
    p.add_argument("--table", required=True, help="unrarefied counts")
    p.add_argument(
        "--distance", required=True, help="the distance matrix of stats.paired.metric"
    )
    p.add_argument("--metadata", required=True, help="the sample sheet")
    add_settings(p, "stats")
    add_seed(p)
    add_output(p, "one row per test")
    p.add_argument("--per-sample", required=True, help="one row per lung sample")


#: This stage's subcommands, in the order ``gutlung --help`` lists them.
PARSERS = (add_permanova, add_differential, add_alpha_lme, add_paired)
