"""Each shipped study config (config/studies/) plans offline from ENA
stand-ins kept in the download cache (tests/data/ena; not recorded answers,
this machine cannot reach ENA: see tests/data/ena/standins.py)."""

from __future__ import annotations

import os
import shutil

import pytest
import yaml
from conftest import REPO
from test_workflow import snakemake

from gutlung_pipeline.config import validate_config
from gutlung_pipeline.ingest import plan_from_config

# accession, runs planned, paired, body sites of the planned samples
STUDIES = {
    "american_gut": ("PRJEB11419", 11, False, {"gut": 9, "none": 2}),  # skin left out
    "ecam": ("ERP016173", 120, False, {"gut": 120}),  # 12 children x 10; mothers out
    "chile_asthma": ("PRJNA446042", 16, True, {"upper_airway": 16}),
}
DATA = REPO / "tests" / "data" / "ena"


@pytest.mark.parametrize("name", sorted(STUDIES))
def test_study_config_plans_from_the_cache(tmp_path, name):
    accession, n_runs, paired, sites = STUDIES[name]
    shutil.copytree(REPO / "config" / "studies", tmp_path / "config" / "studies")
    # the demo's config beside it, as in the repository: it must not be merged in
    shutil.copy(REPO / "config" / "config.yaml", tmp_path / "config" / "config.yaml")
    cache = tmp_path / "cache"
    for kind in ("filereport", "attributes"):
        (cache / kind).mkdir(parents=True)
        shutil.copy(DATA / kind / f"{accession}.tsv", cache / kind)
    overlay = tmp_path / "offline.yaml"
    overlay.write_text(yaml.safe_dump({"acquire": {
        "cache": str(cache),
        # nothing listens here: a plan that asked ENA would fail, not go online
        "portal_url": "http://127.0.0.1:9/ena/portal/api",
        "browser_url": "http://127.0.0.1:9/ena/browser/api", "retries": 0,
    }}))  # fmt: skip
    study = f"config/studies/{name}/config.yaml"
    proc = snakemake(tmp_path, "-n", "--configfile", study, str(overlay))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.count("rule fetch_run:") == n_runs
    assert "checkpoint acquisition:" in proc.stdout
    # the demo's analyses did not leak into the study's config
    assert "adult_gut" not in proc.stdout + proc.stderr
    # the same plan from Python: layout from ENA's report, sites from the mapping
    config = yaml.safe_load((REPO / study).read_text())
    config["acquire"].update(yaml.safe_load(overlay.read_text())["acquire"])
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        plan = plan_from_config(validate_config(config), offline=True)
    finally:
        os.chdir(old)
    assert plan.paired is paired
    assert plan.sheet["body_site"].value_counts().to_dict() == sites
