"""Benchmark beta diversity (every metric) and PERMANOVA on a large table.

Usage: python benchmarks/bench_stats.py --samples 1000 --features 2000
        [--rarefactions 10] [--permutations 999] [--depth 5000]

A synthetic table (negative-binomial-like counts around group and subject
effects; 5,000 to 20,000 reads per sample) and a random rooted tree over the
features. Prints, per metric, the wall time of ``beta_rarefied`` (the mean of
``--rarefactions`` draws for count metrics; unrarefied for the compositional
ones), then adonis2 ``d ~ group + age`` by terms with free permutations and
with whole-subject permutation, and betadisper, with the process's peak RSS.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import linkage
from skbio import TreeNode

from gutlung_pipeline.diversity import BETA_METRICS, beta_rarefied
from gutlung_pipeline.permanova import adonis2, betadisper


def synthetic(n_samples: int, n_features: int, seed: int):
    rng = np.random.default_rng(seed)
    subjects = n_samples // 2
    subject = np.repeat(np.arange(subjects), 2)[:n_samples]
    group = np.where(subject % 2 == 0, "case", "control")
    age = rng.uniform(20, 80, size=subjects)[subject].round(1)
    base = rng.lognormal(0, 2.0, size=n_features)
    shift = np.zeros(n_features)
    shift[: n_features // 20] = rng.normal(0, 1, size=n_features // 20)
    logit = np.log(base)[None, :] + np.outer(group == "case", shift)
    logit += rng.normal(0, 1.0, size=(subjects, n_features))[subject]
    p = np.exp(logit)
    p /= p.sum(axis=1, keepdims=True)
    reads = rng.integers(5000, 20000, size=n_samples)
    counts = np.vstack(
        [rng.multinomial(n, row) for n, row in zip(reads, p, strict=True)]
    )
    ids = [f"s{i}" for i in range(n_samples)]
    feats = [f"f{j}" for j in range(n_features)]
    table = pd.DataFrame(counts.T, index=feats, columns=ids)
    md = pd.DataFrame(
        {"group": group, "age": age, "subject": [f"p{s}" for s in subject]}, index=ids
    )
    coords = rng.normal(size=(n_features, 4))
    tree = TreeNode.from_linkage_matrix(linkage(coords, "average"), feats)
    for node in tree.traverse():
        if node.length is None and not node.is_root():
            node.length = 0.0
    return table, md, tree


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=1000)
    ap.add_argument("--features", type=int, default=2000)
    ap.add_argument("--rarefactions", type=int, default=10)
    ap.add_argument("--permutations", type=int, default=999)
    ap.add_argument("--depth", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    t0 = time.perf_counter()
    table, md, tree = synthetic(args.samples, args.features, args.seed)
    made = time.perf_counter() - t0
    print(
        f"table {table.shape[1]} samples x {table.shape[0]} features, "
        f"made in {made:.1f} s; peak {peak_mb():.0f} MB"
    )
    total = 0.0
    dms = {}
    for metric in BETA_METRICS:
        t = time.perf_counter()
        dms[metric] = beta_rarefied(
            table,
            metric=metric,
            depth=args.depth,
            iterations=args.rarefactions,
            random_state=args.seed,
            tree=tree,
        )
        dt = time.perf_counter() - t
        total += dt
        print(f"beta {metric:20s} {dt:7.1f} s  peak {peak_mb():6.0f} MB")
    print(f"beta, all metrics     {total:7.1f} s")
    dm = dms["braycurtis"]
    for label, kw in (("free", {}), ("whole subjects", {"plots": "subject"})):
        t = time.perf_counter()
        res = adonis2(
            dm,
            md,
            "group + age",
            permutations=args.permutations,
            random_state=args.seed,
            **kw,
        )
        r2, p = res.loc["group", "R2"], res.loc["group", "Pr(>F)"]
        print(
            f"adonis2 {args.permutations} perms, {label:15s} "
            f"{time.perf_counter() - t:6.1f} s  peak {peak_mb():6.0f} MB  "
            f"group R2 {r2:.3f} p {p:.3f}"
        )
    t = time.perf_counter()
    b = betadisper(dm, md["group"], kind="median", permutations=args.permutations)
    print(
        f"betadisper median     {time.perf_counter() - t:6.1f} s  "
        f"p {b.permutation_p:.3f}  peak {peak_mb():.0f} MB"
    )


if __name__ == "__main__":
    main()
