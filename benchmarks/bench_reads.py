"""Benchmark the read steps (FASTQ to ASV table) on simulated cohorts.

Usage: python benchmarks/bench_reads.py --samples 24 --reads 2000 [--cores 2]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import yaml
from reads_config import REFERENCE, asv_table_command, job_table, reads_only_config

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=24, help="even number")
    parser.add_argument("--reads", type=int, default=2000, help="read pairs/sample")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args()
    work = (
        args.workdir or REPO / "benchmarks" / "out" / f"n{args.samples}_r{args.reads}"
    )
    if work.exists():
        shutil.rmtree(work)
    (work / "config").mkdir(parents=True)
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    subprocess.run(
        [
            BIN / "gutlung",
            "simulate",
            "--reference",
            REFERENCE,
            "--out-dir",
            work / "data",
            "--sample-sheet",
            work / "config/samples.tsv",
            "--n-subjects",
            str(args.samples // 2),
            "--reads",
            str(args.reads),
            "--seed",
            str(args.seed),
        ],
        check=True,
        env=env,
        capture_output=True,
    )
    config = reads_only_config("config/samples.tsv")
    (work / "config/config.yaml").write_text(yaml.safe_dump(config))
    start = time.perf_counter()
    proc = subprocess.run(
        asv_table_command(work, args.cores),
        check=False,
        env=env,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"snakemake failed in {work}:\n{proc.stderr[-3000:]}")

    per_job = job_table(work)
    steps = per_job.groupby("rule", sort=False).agg(
        jobs=("s", "size"), seconds=("s", "sum"), peak_rss_mb=("max_rss_mb", "max")
    )
    steps["share_pct"] = (100 * steps["seconds"] / steps["seconds"].sum()).round(1)
    truth = pd.read_csv(work / "data/truth.tsv", sep="\t")
    with open(work / "results/asv/asv_seqs.fasta") as handle:
        asvs = {line.strip() for line in handle if not line.startswith(">")}
    major = truth[truth["observed_share"] >= 0.01]
    recovered = major["sequence"].isin(asvs).mean()
    true_seqs = set(truth["sequence"])
    spurious = sum(s not in true_seqs for s in asvs) / max(len(asvs), 1)
    print(f"samples={args.samples} read_pairs={args.reads} cores={args.cores}")
    print(f"wall={wall:.1f}s per_sample={wall / args.samples:.2f}s")
    print(f"asvs={len(asvs)} recovered={recovered:.3f} spurious={spurious:.3f}")
    print(steps.round(2).to_string())


if __name__ == "__main__":
    main()
