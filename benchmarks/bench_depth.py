"""Depth benchmark: the default engine's precision and recall at several read
depths a sample, with and without a denoise setting.

Usage: python benchmarks/bench_depth.py --reads 100 2000 20000 --seeds 1 2
           [--subjects 24] [--set denoise.neighbour_min_size=0] [--cores 2]

For each depth and seed, simulates a cohort (2x250 V4, 515F/806R, 3.5%
chimeric pairs; ``2 x subjects`` samples) with ``gutlung simulate``, runs the
workflow to the ASV table with the shipped defaults and, when ``--set`` is
given, once more with that ``section.key=value`` override, and scores each
table against the truth with :func:`gutlung_pipeline.accuracy.score`. The
figures of ``denoise.neighbour_min_size`` in the README come from
``--reads 100 2000 20000 --seeds 1 2 --set denoise.neighbour_min_size=0``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd
import yaml
from bench_denoise import simulate
from reads_config import asv_table_command, reads_only_config

from gutlung_pipeline.accuracy import score
from gutlung_pipeline.io import read_fasta


def run(work: Path, data: Path, cores: int, overrides: dict) -> tuple:
    (work / "config").mkdir(parents=True)
    config = reads_only_config(data / "samples.tsv", threads=cores)
    config["diversity"]["beta_metrics"] = ["braycurtis"]
    for key, value in overrides.items():
        section, name = key.split(".", 1)
        config[section][name] = value
    (work / "config/config.yaml").write_text(yaml.safe_dump(config))
    proc = subprocess.run(
        asv_table_command(work, cores),
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        sys.exit(f"snakemake failed in {work}:\n{proc.stderr[-3000:]}")
    table = pd.read_csv(work / "results/asv/asv_table.tsv", sep="\t", index_col=0)
    return table, read_fasta(work / "results/asv/asv_seqs.fasta")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, nargs="+", default=[100, 2000, 20000])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1])
    parser.add_argument("--subjects", type=int, default=24)
    parser.add_argument("--set", help="section.key=value: a second run with it")
    parser.add_argument("--cores", type=int, default=2)
    args = parser.parse_args()
    variants = {"default": {}}
    if args.set:
        key, _, value = args.set.partition("=")
        variants[args.set] = {key: yaml.safe_load(value)}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for reads in args.reads:
            for seed in args.seeds:
                data = Path(tmp) / f"data_{reads}_{seed}"
                data.mkdir()
                simulate(data, 2 * args.subjects, reads, 0.035, seed)
                sheet = pd.read_csv(data / "samples.tsv", sep="\t")
                truth = pd.read_csv(data / "truth.tsv", sep="\t")
                for name, overrides in variants.items():
                    work = Path(tmp) / f"run_{reads}_{seed}_{len(rows)}"
                    table, seqs = run(work, data, args.cores, overrides)
                    inputs = dict.fromkeys(sheet["sample_id"], reads)
                    got = score(table, seqs, truth, inputs)
                    rows.append({"reads": reads, "seed": seed, "run": name, **got})
                    print(rows[-1], flush=True)
    cols = ["reads", "seed", "run", "asvs", "precision", "recall", "chimeric_asvs"]
    print(pd.DataFrame(rows)[cols].to_string(index=False))


if __name__ == "__main__":
    main()
