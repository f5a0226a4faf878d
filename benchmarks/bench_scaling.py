"""Scaling: the whole workflow (the shipped config, every analysis on) on
demo-shaped cohorts of growing size, for flat cost per sample and bounded
memory.

Each size N is a demo-shaped cohort of about N samples: half of them infants
with a six-sample stool series (at least 4 infants), adults with a stool and a
BAL sample (at least 12), extraction blanks (6%, at least 6: two per run) and
one mock; 48 -> 55 samples, 200 -> 199, 1,000 -> 999. The maturity model
uses 3 folds at every size (the shipped 5 need 5 reference infants, more than
a 48-sample cohort holds). For each size it reports the
wall time, the time per sample and its ratio to the smallest size, the peak
memory of the largest job (Snakemake's benchmark files: max RSS per job) and
the rules that take the time.

Usage: python benchmarks/bench_scaling.py --samples 48 200 1000 --reads 20000
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import yaml
from reads_config import REFERENCE, job_table

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ENV = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}


def cohort_args(samples: int) -> dict[str, int]:
    """Infants (6 samples each), adults (2 each), blanks and one mock."""
    infants = max(4, round(samples * 0.5 / 6))
    controls = max(6, round(samples * 0.06))
    adults = max(12, round((samples - 6 * infants - controls - 1) / 2))
    return {
        "n-subjects": adults,
        "n-infants": infants,
        "n-controls": controls,
        "n-mocks": 1,
    }


def simulate(work: Path, samples: int, reads: int, seed: int) -> int:
    args = [
        str(BIN / "gutlung"),
        "simulate",
        "--reference",
        str(REFERENCE),
        "--out-dir",
        str(work / "data"),
        "--sample-sheet",
        str(work / "config/samples.tsv"),
        "--truth",
        str(work / "data/truth.tsv"),
        "--reads",
        str(reads),
        "--seed",
        str(seed),
    ]
    for key, value in cohort_args(samples).items():
        args += [f"--{key}", str(value)]
    subprocess.run(args, check=True, env=ENV, capture_output=True)
    return len(pd.read_csv(work / "config/samples.tsv", sep="\t"))


def run_size(samples: int, reads: int, cores: int, seed: int, out: Path) -> dict:
    work = out / f"scaling_n{samples}_r{reads}"
    if work.exists():
        shutil.rmtree(work)
    (work / "config").mkdir(parents=True)
    n = simulate(work, samples, reads, seed)
    config = yaml.safe_load((REPO / "config/config.yaml").read_text())
    config["samples"] = "config/samples.tsv"
    config["taxonomy"]["reference"] = str(REFERENCE)
    config["decontam"]["mock"]["expected"] = str(work / "data/mock_expected.tsv")
    config["maturity"]["folds"] = 3
    (work / "config/config.yaml").write_text(yaml.safe_dump(config))
    start = time.perf_counter()
    proc = subprocess.run(
        [
            str(BIN / "snakemake"),
            "--snakefile",
            str(REPO / "Snakefile"),
            "--directory",
            str(work),
            "--cores",
            str(cores),
        ],
        check=False,
        env=ENV,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"snakemake failed in {work}:\n{proc.stderr[-3000:]}")
    jobs = job_table(work)
    rules = jobs.groupby("rule").agg(
        jobs=("s", "size"),
        seconds=("s", "sum"),
        cpu_seconds=("cpu_s", "sum"),
        peak_rss_mb=("max_rss_mb", "max"),
    )
    rules["share_pct"] = 100 * rules["seconds"] / rules["seconds"].sum()
    largest = jobs.loc[jobs["max_rss_mb"].idxmax()]
    return {
        "samples": n,
        "reads": reads,
        "wall_s": round(wall, 1),
        "s_per_sample": round(wall / n, 3),
        "peak_job_mb": round(float(largest["max_rss_mb"]), 1),
        "peak_job_rule": largest["rule"],
        "rules": rules.sort_values("seconds", ascending=False).round(2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, nargs="+", default=[48, 200, 1000])
    parser.add_argument("--reads", type=int, default=20000, help="read pairs/sample")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "out")
    args = parser.parse_args()
    results = []
    for samples in args.samples:
        result = run_size(samples, args.reads, args.cores, args.seed, args.out)
        results.append(result)
        base = results[0]["s_per_sample"]
        print(
            f"samples={result['samples']} reads={result['reads']} "
            f"wall={result['wall_s']}s per_sample={result['s_per_sample']}s "
            f"(x{result['s_per_sample'] / base:.2f} of the smallest) "
            f"peak job={result['peak_job_mb']} MB ({result['peak_job_rule']})",
            flush=True,
        )
        print(result["rules"].head(12).to_string(), flush=True)
        record = {k: v for k, v in result.items() if k != "rules"}
        record["rules"] = result["rules"].reset_index().to_dict("records")
        out = args.out / f"scaling_n{samples}_r{args.reads}.json"
        out.write_text(json.dumps(record, indent=1))


if __name__ == "__main__":
    main()
