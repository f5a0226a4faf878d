"""Benchmark the maturity model: train and predict on a synthetic table.

Usage: python benchmarks/bench_maturity.py --samples 2000 --features 3000
        [--n-estimators 100] [--threads 2]

The table has subjects sampled at five ages; a tenth of the features change with
age. Prints wall time and peak memory of ``maturity_index`` (grouped mode) and
of ``maturity_index_qiime2``, and the out-of-fold Spearman correlation.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import pandas as pd

from gutlung_pipeline.maturity import maturity_index, maturity_index_qiime2


def synthetic_table(n_samples: int, n_features: int, seed: int):
    rng = np.random.default_rng(seed)
    ages = np.array([7, 30, 91, 182, 365])
    n_subjects = n_samples // len(ages)
    age = np.tile(ages, n_subjects)[:n_samples].astype(float)
    subject = np.repeat(np.arange(n_subjects), len(ages))[:n_samples]
    base = rng.lognormal(0, 1.5, size=n_features)
    slope = np.zeros(n_features)
    slope[: n_features // 10] = rng.normal(0, 1.0, size=n_features // 10)
    logit = np.log(base)[None, :] + np.outer(np.log(age) - 3.5, slope)
    logit += rng.normal(0, 0.5, size=logit.shape)
    p = np.exp(logit)
    p /= p.sum(axis=1, keepdims=True)
    counts = np.vstack([rng.multinomial(20000, row) for row in p])
    ids = [f"s{i}" for i in range(n_samples)]
    table = pd.DataFrame(
        counts.T, index=[f"f{j}" for j in range(n_features)], columns=ids
    )
    md = pd.DataFrame(
        {
            "age": age,
            "bin": age,
            "subject": subject.astype(str),
            "ref": np.where(subject % 5 != 0, "yes", "no"),
        },
        index=ids,
    )
    return table, md


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--features", type=int, default=3000)
    parser.add_argument("--n-estimators", type=int, default=100)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--method", default="ensemble", help="maturity.method")
    args = parser.parse_args()
    table, md = synthetic_table(args.samples, args.features, seed=1)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    result = maturity_index(
        table,
        md,
        age_column="age",
        bin_column="bin",
        subject_column="subject",
        reference=md["ref"] == "yes",
        method=args.method,
        n_estimators=args.n_estimators,
        random_state=0,
        n_jobs=args.threads,
    )
    grouped = time.perf_counter() - start
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    maturity_index_qiime2(
        table,
        md,
        state_column="bin",
        group_by="ref",
        control="yes",
        n_estimators=args.n_estimators,
        random_state=0,
        n_jobs=args.threads,
    )
    q2 = time.perf_counter() - start
    rss2 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"samples={args.samples} features={args.features} "
        f"trees={args.n_estimators} threads={args.threads}"
    )
    print(
        f"grouped: {grouped:.1f}s (5 folds + final, each a selection forest and "
        f"a refit), out-of-fold Spearman={result.cv_spearman:.3f}"
    )
    print(f"qiime2:  {q2:.1f}s")
    print(
        f"peak RSS: table loaded {rss0:.0f} MB, after grouped {rss1:.0f} MB, "
        f"after qiime2 {rss2:.0f} MB"
    )


if __name__ == "__main__":
    main()
