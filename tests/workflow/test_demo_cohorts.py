"""The demo's second run, end to end: the shipped config of
resources/demo/cohorts on the two simulated birth cohorts `make demo` writes
(the Makefile's own arguments), entering at the table stage. The infant
claims planted there (Stokholm 2018: odds of asthma x2 per SD lower maturity
in children of asthmatic mothers) are reproduced."""

from __future__ import annotations

import hashlib
import shutil
import subprocess

import pandas as pd
import pytest
import yaml
from conftest import REFERENCE, REPO, needs_tools
from test_workflow import BIN, snakemake

pytestmark = [pytest.mark.workflow, needs_tools]
COHORTS = REPO / "resources" / "demo" / "cohorts"
META = "meta-analysis (2 studies)"


def makefile_cohort_args() -> list[str]:
    text = (REPO / "Makefile").read_text()
    line = next(ln for ln in text.splitlines() if ln.startswith("COHORT_ARGS :="))
    return line.split(":=", 1)[1].split()


@pytest.fixture(scope="module")
def cohorts_run(tmp_path_factory):
    work = tmp_path_factory.mktemp("cohorts")
    shutil.copytree(COHORTS / "config", work / "config")
    subprocess.run(
        [str(BIN / "gutlung"), "simulate-table", "--reference", str(REFERENCE),
         "--out-dir", str(work / "data"), *makefile_cohort_args()],
        check=True, capture_output=True,
    )  # fmt: skip
    # the shipped config names the reference relative to its own folder
    path = work / "config" / "config.yaml"
    config = yaml.safe_load(path.read_text())
    config["taxonomy"]["reference"] = str(REFERENCE)
    path.write_text(yaml.safe_dump(config))
    proc = snakemake(work)
    assert proc.returncode == 0, proc.stderr[-3000:]
    claims = pd.read_csv(work / "results/associations/claims.tsv", sep="\t")
    return work, claims.set_index(["claim_id", "study"])


def test_the_planted_maternal_interaction_is_reproduced(cohorts_run):
    _, claims = cohorts_run
    for claim in ("stokholm2018_maturity_asthma", "stokholm2018_maturity_asthma_onset"):
        meta = claims.loc[(claim, META)]
        assert meta["verdict"] == "consistent", meta["reason"]
        # odds (hazard) ratio above 1, the planted 2 inside the 95% CI
        assert 1 < meta["ci_low"] <= 2.0 <= meta["ci_high"], meta
        for study in ("cohort_a", "cohort_b"):
            row = claims.loc[(claim, study)]
            assert row["estimate"] > 1 and row["ci_low"] <= 2.0 <= row["ci_high"]
    # no effect planted outside the maternal stratum
    detail = claims.loc[("stokholm2018_maturity_asthma", "cohort_a"), "detail"]
    other = detail.split("or_other_stratum_ci: (")[1].split(")")[0]
    low, high = map(float, other.split(", "))
    assert low <= 1.0 <= high
    # published replicated, consistent here: it stays replicated
    assert set(claims.loc["stokholm2018_maturity_asthma", "grade"]) == {
        "replicated_association"
    }


def test_every_claim_is_listed_per_cohort_with_reasons(cohorts_run):
    from gutlung_pipeline.claims import COLUMNS, load_catalogue

    work, claims = cohorts_run
    ids = {c["id"] for c in load_catalogue()}
    for study in ("cohort_a", "cohort_b"):
        assert set(claims.xs(study, level="study").index) == ids
    assert list(claims.reset_index().columns) == COLUMNS
    untestable = claims[claims["verdict"] == "not testable"]
    assert untestable["reason"].str.len().gt(10).all()
    assert (
        "needs column respiratory_infection"
        in claims.loc[("woodall2022_infection_shannon", "cohort_a"), "reason"]
    )
    # the mixed-model claim ran on every sample of its window (1 week, 1 month)
    mixed = claims.loc[("abrahamsson2014_early_diversity_asthma", "cohort_a")]
    assert mixed["n"] == 800 and "subjects: 400" in mixed["detail"]
    # meta-analysis q: BH within each family's meta-analyses, never below p
    metas = claims.xs(META, level="study")
    assert (metas["q"] >= metas["p"] - 1e-12).all()
    report = (work / "results/report/report.html").read_text()
    assert report.index("<h2>Claims from the literature") < report.index(
        "<h2>Read tracking</h2>"
    )


def test_the_table_brings_its_own_taxonomy(cohorts_run):
    work, _ = cohorts_run
    given = pd.read_csv(work / "data/taxonomy.tsv", sep="\t")
    given.index = [hashlib.md5(s.encode()).hexdigest() for s in given["Feature ID"]]
    used = pd.read_csv(work / "results/taxonomy/taxonomy.tsv", sep="\t", index_col=0)
    assert set(used.index) == set(given.index)
    assert (used.loc[given.index, "Taxon"] == given["Taxon"]).all()
    assert not (work / "logs/assign_taxonomy.log").exists()  # no SINTAX
