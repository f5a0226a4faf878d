"""The whole workflow, FASTQ to report, against reads to table on one cohort.

Usage: python benchmarks/bench_workflow.py --data DIR [--workdir DIR] [--cores 2]
[--design 2x250|emp2x150] [--snakemake-args '...']

``DIR`` is a cohort ``bench_denoise.py`` wrote (its ``--workdir``'s ``data``
folder: ``samples.tsv`` and the reads). Runs the shipped config on it with
what the cohort cannot feed turned off (decontam and the mock check: no
blanks or mocks; maturity and the infant analyses: no infants), then prints
the wall time and each rule's summed job seconds from Snakemake's
``benchmark:`` files, reads to table (the read rules) against all jobs.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml
from reads_config import job_table, workflow_command

REPO = Path(__file__).resolve().parents[1]
READ_RULES = (
    "sample_reads",
    "pool_uniques",
    "denoise_uniques",
    "remove_chimeras",
    "map_reads",
    "build_asv_table",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument(
        "--workdir", type=Path, default=REPO / "benchmarks/out/workflow"
    )
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument(
        "--design",
        choices=["2x250", "emp2x150"],
        default="2x250",
        help="the cohort's read design (emp2x150: no primers in the reads)",
    )
    parser.add_argument(
        "--snakemake-args",
        default="",
        help="more of Snakemake's options, in one string (e.g. '--scheduler greedy')",
    )
    args = parser.parse_args()
    work = args.workdir
    if work.exists():
        shutil.rmtree(work)
    (work / "config").mkdir(parents=True)
    config = yaml.safe_load((REPO / "config/config.yaml").read_text())
    config["samples"] = str((args.data / "samples.tsv").resolve())
    config["taxonomy"]["reference"] = str(REPO / config["taxonomy"]["reference"])
    config["threads"] = args.cores
    config["primers"]["in_reads"] = args.design != "emp2x150"
    config["maturity"]["enabled"] = False
    config["decontam"]["enabled"] = False
    config["decontam"]["mock"]["expected"] = None
    stats = config["stats"]
    stats["permanova"] = [a for a in stats["permanova"] if a["name"] != "infant_gut"]
    stats["longitudinal"] = []
    (work / "config/config.yaml").write_text(yaml.safe_dump(config))
    start = time.perf_counter()
    proc = subprocess.run(
        [*workflow_command(work, args.cores), *shlex.split(args.snakemake_args)],
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - start
    if proc.returncode:
        sys.exit(f"snakemake failed in {work}:\n{proc.stderr[-3000:]}")
    jobs = job_table(work)
    reads = jobs[jobs["rule"].isin(READ_RULES)]
    print(f"wall {wall:.1f} s")
    print(
        f"job seconds: reads to table {reads['s'].sum():.1f} "
        f"(CPU {reads['cpu_s'].sum():.1f}), all jobs {jobs['s'].sum():.1f} "
        f"(CPU {jobs['cpu_s'].sum():.1f})"
    )
    by_rule = jobs.groupby("rule")[["s", "cpu_s"]].sum().sort_values("s")
    print(by_rule[::-1].round(1).to_string())


if __name__ == "__main__":
    main()
