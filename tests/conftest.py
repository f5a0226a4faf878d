"""Shared fixtures: repository paths and a small simulated cohort."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "resources" / "reference" / "gg_13_8_v4.sintax.fasta.gz"
REAL = REPO / "tests" / "data" / "real"
"""Real reads and tables from other projects (tests/data/README.md)."""
FORWARD = "GTGYCAGCMGCCGCGGTAA"
REVERSE = "GGACTACNVGGGTWTCTAAT"


def have_tools(*names: str) -> bool:
    return all(shutil.which(n) for n in names)


needs_tools = pytest.mark.skipif(
    not have_tools("vsearch", "cutadapt", "mafft", "FastTree"),
    reason="vsearch, cutadapt, mafft and FastTree are installed by `make test`",
)


#: Stored outputs of the peer implementations (R decontam, vegan, R model
#: fits, QIIME 2's ECAM maturity index), with their provenance in its README.
PEERS = REPO / "tests" / "data" / "peers"


def needs_r(*packages: str):
    """Skip unless Rscript can load ``packages`` (`make test` installs them)."""
    import subprocess

    loads = "; ".join(f"library({p})" for p in packages)
    ok = (
        shutil.which("Rscript") is not None
        and subprocess.run(["Rscript", "-e", loads], capture_output=True).returncode
        == 0
    )
    return pytest.mark.skipif(
        not ok,
        reason=f"Rscript with {', '.join(packages)} is installed by `make test` (apt)",
    )


@pytest.fixture(scope="session")
def reference():
    from gutlung_pipeline.simulate import load_reference

    return load_reference(REFERENCE)


@pytest.fixture(scope="session")
def small_cohort(tmp_path_factory, reference):
    """Three subjects (six samples), 600 read pairs each, written once."""
    from gutlung_pipeline.simulate import simulate_cohort, write_cohort

    out = tmp_path_factory.mktemp("cohort")
    sheet, truth = simulate_cohort(
        reference,
        out,
        forward=FORWARD,
        reverse=REVERSE,
        n_subjects=3,
        reads_per_sample=600,
        random_state=7,
    )
    write_cohort(
        sheet, truth, sheet_path=out / "samples.tsv", truth_path=out / "truth.tsv"
    )
    return out, sheet, truth
