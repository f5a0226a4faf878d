"""What the benchmarks share: the config the read benchmarks run with (the
shipped config.yaml, with the analyses that need the demo's controls, mock and
infants turned off; they stop at the ASV table), and the per-job table of a
run's Snakemake benchmark files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "resources/reference/gg_13_8_v4.sintax.fasta.gz"


def reads_only_config(sheet: str | Path, threads: int = 1, **denoise) -> dict:
    """config.yaml for ``sheet``, ``threads`` for each multi-threaded job,
    ``denoise`` overrides."""
    config = yaml.safe_load((REPO / "config/config.yaml").read_text())
    config["samples"] = str(sheet)
    config["taxonomy"]["reference"] = str(REFERENCE)
    config["threads"] = threads
    config["maturity"]["enabled"] = False
    config["decontam"]["enabled"] = False
    config["decontam"]["mock"]["expected"] = None
    config["stats"].update(
        permanova=[], differential=[], longitudinal=[], paired={"enabled": False}
    )
    config["denoise"].update(denoise)
    return config


def job_table(work: Path) -> pd.DataFrame:
    """One row per job of the run in ``work``, from its ``benchmark:`` files
    (``logs/benchmark/<rule>.tsv`` or ``logs/benchmark/<rule>/<job>.tsv``):
    rule, wall seconds ``s``, ``cpu_s`` and ``max_rss_mb``."""
    rows = []
    for path in sorted((work / "logs/benchmark").rglob("*.tsv")):
        bench = pd.read_csv(path, sep="\t")
        rows.append(
            {
                "rule": path.parent.name
                if path.parent.name != "benchmark"
                else path.stem,
                "s": float(bench["s"].iloc[0]),
                "cpu_s": float(bench["cpu_time"].iloc[0]),
                "max_rss_mb": float(bench["max_rss"].iloc[0]),
            }
        )
    return pd.DataFrame(rows)


def workflow_command(work: str | Path, cores: int, *targets: str) -> list:
    """The workflow's command in ``work`` (every output without ``targets``)."""
    import sys

    return [
        Path(sys.executable).parent / "snakemake",
        "--snakefile",
        REPO / "Snakefile",
        "--directory",
        work,
        "--cores",
        str(cores),
        *targets,
    ]


def asv_table_command(work: str | Path, cores: int) -> list:
    """The workflow's command that builds only the ASV table, in ``work``."""
    return workflow_command(work, cores, "results/asv/asv_table.tsv")
