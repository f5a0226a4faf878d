"""The maturity models past the oldest reference age, on real infant stool.

QIIME 2's ECAM test data (``tests/data/peers/ecam``: 3,117 DADA2 ASVs x 875
samples of 43 children, monthly to 2 years; Bokulich et al. 2016) cut as if
the design ended at ``--last-month``: each model learns age from the
vaginally born children's samples up to that month and scores every child's
later samples, which no reference sample is as old as. A model that keeps
ranking there puts older samples higher (Spearman of the prediction with the
true age among the later samples) and does not pile up at the oldest
reference age (share of predictions within 5% of it). There is no planted
maturity in real data, so chronological age is the only truth here.

    .venv/bin/python benchmarks/bench_maturity_edge.py --last-month 12
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from gutlung_pipeline.io import read_metadata, read_table
from gutlung_pipeline.maturity import Ensemble, SelectedForest, TrajectoryScore
from gutlung_pipeline.tables import relative_abundance

ECAM = Path(__file__).resolve().parents[1] / "tests/data/peers/ecam"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--last-month", type=int, nargs="+", default=[6, 12])
    p.add_argument("--n-estimators", type=int, default=500)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument(
        "--first-month",
        type=int,
        default=0,
        help="reference samples from this month (1 leaves out the birth samples)",
    )
    args = p.parse_args(argv)

    table = read_table(ECAM / "ecam-table-maturity.qza")
    md = read_metadata(ECAM / "ecam_map_maturity.txt")
    md = md[md["mom_child"] == "C"]
    rel = relative_abundance(table[[s for s in table.columns if s in md.index]]).T
    age = pd.to_numeric(md.loc[rel.index, "month_of_life"]).to_numpy() * 30.4375
    month = pd.to_numeric(md.loc[rel.index, "month"]).to_numpy()
    vaginal = (md.loc[rel.index, "delivery"] == "Vaginal").to_numpy()
    x = rel.to_numpy()
    rows = []
    for last in args.last_month:
        train = vaginal & (month <= last) & (month >= args.first_month)
        later = month > last
        top = age[train].max()
        models = {
            "forest": SelectedForest(
                n_estimators=args.n_estimators,
                max_features=1 / 3,
                n_selected=50,
                random_state=0,
                n_jobs=args.threads,
            ),
            "trajectory": TrajectoryScore(),
        }
        models["ensemble"] = Ensemble(
            SelectedForest(**models["forest"].params, n_selected=50),
            TrajectoryScore(),
        )
        log_age = np.log(np.maximum(age, 0.5))
        for name, model in models.items():
            if name == "forest":
                pred = model.fit(x[train], age[train]).predict(x[later])
            else:
                pred = np.exp(model.fit(x[train], log_age[train]).predict(x[later]))
            rows.append(
                {
                    "last reference month": last,
                    "model": name,
                    "later samples": int(later.sum()),
                    "Spearman with age": spearmanr(pred, age[later]).statistic,
                    "median prediction (d)": float(np.median(pred)),
                    "oldest reference (d)": float(top),
                    "within 5% of it": float(np.mean(pred >= 0.95 * top)),
                }
            )
    print(pd.DataFrame(rows).to_string(index=False, float_format="%.3f"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
