"""The config the read benchmarks run with: the shipped config.yaml, with the
analyses that need the demo's controls, mock and infants turned off (the
benchmarks stop at the ASV table)."""

from __future__ import annotations

from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "resources/reference/gg_13_8_v4.sintax.fasta.gz"


def reads_only_config(sheet: str | Path, **denoise) -> dict:
    """config.yaml for ``sheet``, one thread per job, ``denoise`` overrides."""
    config = yaml.safe_load((REPO / "config/config.yaml").read_text())
    config["samples"] = str(sheet)
    config["taxonomy"]["reference"] = str(REFERENCE)
    config["threads"] = 1
    config["maturity"]["enabled"] = False
    config["decontam"]["enabled"] = False
    config["decontam"]["mock"]["expected"] = None
    config["stats"].update(
        permanova=[], differential=[], longitudinal=[], paired={"enabled": False}
    )
    config["denoise"].update(denoise)
    return config
