"""Each shipped study config (config/studies/) plans offline from ENA
stand-ins kept in the download cache (tests/data/ena; not recorded answers,
this machine cannot reach ENA: see tests/data/ena/standins.py)."""

from __future__ import annotations

import shutil

import pytest
import yaml
from conftest import REPO
from test_workflow import snakemake

STUDIES = {
    "american_gut": ("PRJEB11419", 11, "trim_primers"),  # 10 stool - 1 skin + 2 blanks
    "ecam": ("ERP016173", 120, "trim_primers"),  # 12 children x 10 months
    "chile_asthma": ("PRJNA446042", 16, "merge_pairs"),
}
DATA = REPO / "tests" / "data" / "ena"


@pytest.mark.parametrize("name", sorted(STUDIES))
def test_study_config_plans_from_the_cache(tmp_path, name):
    accession, n_runs, read_rule = STUDIES[name]
    shutil.copytree(REPO / "config" / "studies", tmp_path / "config" / "studies")
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
    assert "checkpoint acquisition:" in proc.stdout and read_rule not in proc.stderr
    # the demo's analyses did not leak into the study's config
    assert "adult_gut" not in proc.stdout + proc.stderr
