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


#: Debian's headless browser, installed by `make test` (apt).
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is installed by `make test` (apt)"
)


def render_in_chromium(page, width: int = 900) -> dict:
    """Open an HTML file in headless Chromium at ``width`` px; measure it.

    A copy of the page gets a script that records the document's scroll
    width, the viewport width and the right edge of every svg and table;
    ``--dump-dom`` returns the DOM with them. Also prints the page to PDF
    (A4): ``pdf`` holds its bytes.
    """
    import json
    import re
    import subprocess
    import tempfile

    probe = (
        "<script>window.addEventListener('load',()=>{const d=document.documentElement;"
        "const r=[...document.querySelectorAll('svg,table,.card')].map("
        "e=>e.getBoundingClientRect().right);"
        "document.body.setAttribute('data-metrics',JSON.stringify({scroll:d.scrollWidth,"
        "client:d.clientWidth,right:Math.max(0,...r)}));});</script>"
    )
    text = Path(page).read_text()
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "page.html"
        copy.write_text(text.replace("</body>", probe + "</body>"))
        base = [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--user-data-dir={tmp}/profile",
            f"--window-size={width},1200",
        ]
        dom = subprocess.run(
            [*base, "--dump-dom", copy.as_uri()],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout
        pdf = Path(tmp) / "page.pdf"
        subprocess.run(
            [*base, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", copy.as_uri()],
            capture_output=True,
            timeout=120,
            check=True,
        )
        metrics = re.search(r'data-metrics="([^"]+)"', dom)
        assert metrics, dom[:500]
        out = json.loads(metrics.group(1).replace("&quot;", '"'))
        out["pdf"] = pdf.read_bytes()
        out["dom"] = dom
    return out


def differs_between_runs(path) -> bool:
    """Files two runs of the same input write differently, by design.

    provenance.json holds the run's start time; cutadapt's text reports
    (results/qc/cutadapt/*.cutadapt.log) its run time, as MultiQC expects.
    """
    name = Path(path).name
    return name == "provenance.json" or name.endswith(".cutadapt.log")


def report_text(work) -> str:
    """A run's report.html with its section anchors taken out of the headings.

    ``<h2 id="claims">Claims ...</h2>`` reads ``<h2>Claims ...</h2>``, so that
    tests find a section by its heading alone.
    """
    import re

    text = (Path(work) / "results/report/report.html").read_text()
    return re.sub(r'<h2 id="[^"]*">', "<h2>", text)


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
