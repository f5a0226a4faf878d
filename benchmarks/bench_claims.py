"""Maturity scores and the Stokholm claim on replicate birth cohorts.

Each replicate is an independent cohort of ``gutlung simulate-table``'s model
(:mod:`gutlung_pipeline.simulate.birth_cohort`) in the study's own design (default
COPSAC2010's: stool at 1 week, 1 month and 1 year, so the 1-year visit is the
last and the top of the reference), with the Stokholm 2018 interaction planted
(``--odds-ratio``) and, with ``--null``, as many null cohorts (odds ratio 1).
For every estimator of the maturity step (``--methods``) it runs what the
workflow runs (genus table, the maturity step's sample selection, bins and
reference, then the catalogue's Stokholm claim as ``gutlung claims`` runs it)
and prints per estimator:

- Spearman of its MAZ with the planted latent maturity at each visit (median
  and range over replicates);
- the Stokholm odds ratio in the maternal stratum (geometric mean), how often
  its 95% CI covers the planted odds ratio, how often it is "consistent";
- on null cohorts, how often it is "consistent" (a false positive).

``truth`` is the ceiling: the claim fitted on the planted latent maturity
itself. ``forest+adults`` (with ``--n-adults``) is the forest with adult stool
in the reference. With ``--workflow`` each planted cohort also goes through
the whole table-stage workflow (Snakemake, the demo cohorts' config with the
default estimator) and the claims.tsv row is checked against the in-process
one.

    .venv/bin/python benchmarks/bench_claims.py --replicates 10 --null
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy.stats import spearmanr

from gutlung_pipeline.claims import load_catalogue, run_claims
from gutlung_pipeline.io import write_biom, write_tsv
from gutlung_pipeline.maturity import score_maturity
from gutlung_pipeline.schema import fill_defaults, load_schema
from gutlung_pipeline.simulate import (
    load_reference,
    reference_taxonomy,
    simulate_birth_cohort,
)

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "resources/reference/gg_13_8_v4.sintax.fasta.gz"
CLAIM = "stokholm2018_maturity_asthma"


def one_cohort(reference, args, seed, odds_ratio):
    table, sheet, truth = simulate_birth_cohort(
        reference,
        study="cohort",
        n_infants=args.n_infants,
        ages_days=tuple(args.ages),
        n_adults=args.n_adults,
        depth=args.depth,
        maternal_odds_ratio=odds_ratio,
        random_state=seed,
    )
    taxonomy = reference_taxonomy(reference)
    taxonomy = taxonomy[taxonomy["Feature ID"].isin(table.index)]
    return table, sheet, truth, taxonomy


def score(table, taxonomy, sheet, method, *, max_age, edges, seed, threads):
    """The workflow's maturity step (``score_maturity``) on the study's
    design: the schema's maturity defaults but the method, the age range, the
    bins and three reference samples a bin."""
    settings = fill_defaults(
        {
            "maturity": {
                "method": method,
                "max_age": max_age,
                "bin_edges": edges,
                "min_per_bin": 3,
            }
        },
        load_schema("config"),
    )["maturity"]
    return score_maturity(
        table,
        sheet.set_index("sample_id"),
        settings,
        taxonomy=taxonomy.set_index("Feature ID")["Taxon"],
        random_state=seed,
        n_jobs=threads,
    )


def claim_row(claim, sheet, scores):
    out = run_claims(
        [claim],
        sheet.set_index("sample_id"),
        {"maturity": scores},
        random_state=0,
        power_reps=0,
    )
    return out.iloc[0]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--replicates", type=int, default=10)
    p.add_argument("--null", action="store_true", help="also as many null cohorts")
    p.add_argument("--n-infants", type=int, default=400)
    p.add_argument("--ages", type=int, nargs="+", default=[7, 30, 365])
    p.add_argument("--n-adults", type=int, default=0)
    p.add_argument("--depth", type=int, default=5000)
    p.add_argument("--odds-ratio", type=float, default=2.5)
    p.add_argument(
        "--methods", nargs="+", default=["forest", "clr_enet", "trajectory", "ensemble"]
    )
    p.add_argument("--seed", type=int, default=1000, help="replicate k uses seed+k")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--workflow", action="store_true")
    p.add_argument("--out", help="per-replicate rows as TSV")
    args = p.parse_args(argv)

    reference = load_reference(REFERENCE)
    claim = next(c for c in load_catalogue() if c["id"] == CLAIM)
    edges = [0, 14, 60, 180, 545, 1095]
    max_ages = {m: 1095 for m in args.methods}
    if args.n_adults:
        edges = [*edges, 100_000]
        max_ages["forest+adults"] = 100_000
    rows = []
    designs = [("planted", args.odds_ratio)] + ([("null", 1.0)] if args.null else [])
    for design, odds_ratio in designs:
        for k in range(args.replicates):
            seed = args.seed + k + (10_000 if design == "null" else 0)
            t0 = time.time()
            table, sheet, truth, taxonomy = one_cohort(
                reference, args, seed, odds_ratio
            )
            offset = truth.set_index("subject_id")["maturity_offset"]
            infants = sheet[~sheet["sample_id"].str.endswith("_adult")]
            latent = pd.DataFrame(
                {"maz": offset.reindex(infants["subject_id"]).to_numpy()},
                index=infants["sample_id"].to_numpy(),
            )
            truth_row = claim_row(claim, infants, latent)
            rows.append(
                {
                    "design": design,
                    "replicate": k,
                    "method": "truth",
                    **_claim_fields(truth_row, odds_ratio),
                }
            )
            for method, max_age in max_ages.items():
                name = method.split("+")[0]
                used = sheet if method == "forest+adults" else infants
                res = score(
                    table,
                    taxonomy,
                    used,
                    name,
                    max_age=max_age,
                    edges=[e for e in edges if e <= max_age]
                    if max_age < 100_000
                    else edges,
                    seed=seed,
                    threads=args.threads,
                )
                sc = res.scores
                visits = {}
                for visit in args.ages:
                    ids = infants["sample_id"][
                        infants["sample_id"].str.endswith(f"_d{visit:04d}")
                    ]
                    ids = ids[ids.isin(sc.index)]
                    subj = infants.set_index("sample_id").loc[ids, "subject_id"]
                    visits[f"rho_d{visit}"] = spearmanr(
                        sc.loc[ids, "maz"], offset.reindex(subj).to_numpy()
                    ).statistic
                row = claim_row(claim, infants, sc)
                last = res.cv_by_bin.iloc[-1 if max_age < 100_000 else -2]
                rows.append(
                    {
                        "design": design,
                        "replicate": k,
                        "method": method,
                        **visits,
                        "at_ceiling": last["at_ceiling"],
                        **_claim_fields(row, odds_ratio),
                    }
                )
            print(
                f"{design} {k}: {time.time() - t0:.0f} s "
                + " ".join(
                    f"{r['method']}={r.get('rho_d' + str(args.ages[-1]), np.nan):.2f}"
                    f"/{r['estimate']:.2f}"
                    for r in rows[-len(max_ages) - 1 :]
                ),
                file=sys.stderr,
                flush=True,
            )
            if args.workflow and design == "planted":
                check_workflow(table, sheet, taxonomy, rows[-len(max_ages)], seed)
    df = pd.DataFrame(rows)
    if args.out:
        df.to_csv(args.out, sep="\t", index=False)
    print(summarise(df, args).to_string(index=False, float_format="%.2f"))
    return 0


def _claim_fields(row, odds_ratio) -> dict:
    return {
        "estimate": row["estimate"],
        "ci_low": row["ci_low"],
        "ci_high": row["ci_high"],
        "covers": bool(row["ci_low"] <= odds_ratio <= row["ci_high"])
        if odds_ratio != 1
        else np.nan,
        "consistent": row["verdict"] == "consistent",
        "n": row["n"],
    }


def summarise(df: pd.DataFrame, args) -> pd.DataFrame:
    out = []
    for method, g in df.groupby("method", sort=False):
        planted = g[g["design"] == "planted"]
        null = g[g["design"] == "null"]
        r = {"method": method}
        for visit in args.ages:
            col = f"rho_d{visit}"
            if col in g and planted[col].notna().any():
                v = planted[col]
                r[f"rho {visit} d (min-max)"] = (
                    f"{v.median():.2f} ({v.min():.2f}-{v.max():.2f})"
                )
        r["OR (geo mean)"] = float(np.exp(np.log(planted["estimate"]).mean()))
        r["covers"] = f"{int(planted['covers'].sum())}/{len(planted)}"
        r["consistent"] = f"{int(planted['consistent'].sum())}/{len(planted)}"
        if len(null):
            r["null consistent"] = f"{int(null['consistent'].sum())}/{len(null)}"
        out.append(r)
    return pd.DataFrame(out)


def check_workflow(table, sheet, taxonomy, expected_row, seed) -> None:
    """The planted cohort through Snakemake with the demo cohorts' config."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "data").mkdir()
        (work / "config").mkdir()
        write_biom(table, work / "data/table.biom")
        write_tsv(taxonomy, work / "data/taxonomy.tsv", index=False)
        write_tsv(sheet, work / "data/samples.tsv", index=False)
        config = yaml.safe_load(
            (REPO / "resources/demo/cohorts/config/config.yaml").read_text()
        )
        config["taxonomy"]["reference"] = str(REFERENCE)
        config["seed"] = seed
        (work / "config/config.yaml").write_text(yaml.safe_dump(config))
        bin_dir = Path(sys.executable).parent
        subprocess.run(
            [
                str(bin_dir / "snakemake"),
                "--snakefile",
                str(REPO / "Snakefile"),
                "--directory",
                str(work),
                "--cores",
                "2",
                "--quiet",
                "results/associations/claims.tsv",
            ],
            check=True,
            capture_output=True,
        )
        claims = pd.read_csv(work / "results/associations/claims.tsv", sep="\t")
        got = claims[(claims["claim_id"] == CLAIM) & (claims["study"] == "cohort")]
        print(
            f"  workflow: OR {got['estimate'].iloc[0]:.3f} "
            f"(in process {expected_row['estimate']:.3f}, "
            f"{expected_row['method']})",
            file=sys.stderr,
        )


if __name__ == "__main__":
    sys.exit(main())
