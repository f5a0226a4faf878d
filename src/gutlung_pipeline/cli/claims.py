"""The literature's claims: re-tested, and planned power."""

from __future__ import annotations

import logging
from pathlib import Path

from .options import add_output, add_seed, add_settings, command, naming, schema_default

log = logging.getLogger("gutlung")


def cmd_claims(args) -> None:
    """Run ``gutlung claims``: re-test the literature's gut-lung claims: claims.tsv."""
    from ..claims import load_catalogue, run_claims
    from ..inputs.sheet import read_sample_sheet
    from ..io import (
        read_distance_matrix,
        read_table,
        read_taxonomy,
        read_tsv,
        write_tsv,
    )

    claims = load_catalogue(args.catalogue or None)
    sheet = read_sample_sheet(args.samples).set_index("sample_id")
    sources = {
        "alpha": read_tsv(args.alpha) if args.alpha else None,
        "maturity": read_tsv(args.maturity) if args.maturity else None,
        "scfa": read_tsv(args.scfa) if args.scfa else None,
        "table": read_table(args.table) if args.table else None,
        "taxonomy": read_taxonomy(args.taxonomy) if args.taxonomy else None,
        # read without scikit-bio (a second's import): the PERMANOVA needs no more
        "beta": {Path(p).stem: read_distance_matrix(p) for p in args.distance or []},
    }
    with naming(args.samples):
        out = run_claims(
            claims,
            sheet,
            sources,
            permutations=args.permutations,
            random_state=args.seed,
            power_reps=args.settings["power_reps"],
        )
    write_tsv(out, args.output, index=False)
    log.info(
        "%d claims x studies: %s",
        len(out),
        ", ".join(f"{k} {v}" for k, v in out["verdict"].value_counts().items()),
    )


def add_claims(sub) -> None:
    """Declare ``gutlung claims`` and its options on ``sub``."""
    p = command(
        sub,
        "claims",
        cmd_claims,
        "re-test the literature's gut-lung claims: claims.tsv",
    )
    p.add_argument("--samples", required=True, help="the sample sheet")
    p.add_argument(
        "--catalogue", nargs="*", help="claims YAML files or folders (default: shipped)"
    )
    p.add_argument("--alpha", help="alpha.tsv")
    p.add_argument("--maturity", help="maturity.tsv (maturity claims)")
    p.add_argument("--scfa", help="SCFA-producer indices.tsv (scfa claims)")
    p.add_argument("--table", help="analysis table (taxa claims)")
    p.add_argument("--taxonomy", help="taxonomy.tsv (taxa claims)")
    p.add_argument("--distance", nargs="*", help="distance matrices, named by file")
    p.add_argument(
        "--permutations",
        type=int,
        default=schema_default("stats.permutations"),
        help="permutations of the PERMANOVA claims",
    )
    add_settings(p, "claims")
    add_seed(p)
    add_output(p, "claims.tsv")


def cmd_power(args) -> None:
    """Run ``gutlung power``: power to detect a claim's published effect at sizes N."""
    import pandas as pd

    from ..claims import load_catalogue
    from ..claims.power import planned_power

    claims = {c["id"]: c for c in load_catalogue(args.catalogue or None)}
    if args.claim not in claims:
        raise ValueError(
            f"no claim {args.claim!r} in the catalogue; one of: {', '.join(claims)}"
        )
    rows = [
        planned_power(
            claims[args.claim],
            n,
            effect=args.effect,
            event_rate=args.event_rate,
            modifier_share=args.modifier_share,
            group_share=args.group_share,
            sd=args.sd,
            exposure_sd=args.exposure_sd,
            per_subject=args.per_subject,
            icc=args.icc,
            reps=args.reps,
            random_state=args.seed,
        )
        for n in args.n
    ]
    table = pd.DataFrame(rows)
    print(table.to_csv(sep="\t", index=False, float_format="%.4g"), end="")


def add_power(sub) -> None:
    """Declare ``gutlung power`` and its options on ``sub``."""
    p = command(
        sub, "power", cmd_power, "power to detect a claim's published effect at sizes N"
    )
    p.add_argument("--claim", required=True, help="claim ID")
    p.add_argument("--n", type=int, nargs="+", required=True, help="sample sizes")
    p.add_argument(
        "--effect", type=float, help="effect to plan for (default: the published one)"
    )
    p.add_argument(
        "--event-rate",
        type=float,
        default=0.25,
        help="share of subjects with the outcome",
    )
    p.add_argument(
        "--modifier-share",
        type=float,
        default=0.3,
        help="share in the claim's stratum (interaction claims)",
    )
    p.add_argument(
        "--group-share",
        type=float,
        default=0.3,
        help="share in the compared group (group tests)",
    )
    p.add_argument("--sd", type=float, default=1.0, help="outcome SD (group tests)")
    p.add_argument(
        "--exposure-sd",
        type=float,
        default=1.0,
        help="SD of the exposure on its published scale",
    )
    p.add_argument(
        "--per-subject",
        type=int,
        default=2,
        help="samples per subject (mixed-model claims)",
    )
    p.add_argument(
        "--icc",
        type=float,
        default=0.5,
        help="outcome variance share between subjects (mixed)",
    )
    p.add_argument("--reps", type=int, default=500, help="simulated datasets per size")
    p.add_argument(
        "--catalogue", nargs="*", help="claims YAML files or folders (default: shipped)"
    )
    add_seed(p)


#: This stage's subcommands, in the order ``gutlung --help`` lists them.
PARSERS = (
    add_claims,
    add_power,
)
