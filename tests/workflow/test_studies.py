"""Each shipped study config (config/studies/) plans offline from ENA
stand-ins kept in the download cache (tests/data/ena; not recorded answers,
this machine cannot reach ENA: see tests/data/ena/standins.py)."""

from __future__ import annotations

import os
import shutil

import pandas as pd
import pytest
import yaml
from conftest import FORWARD, REFERENCE, REPO, REVERSE
from test_workflow import snakemake

from gutlung_pipeline.config import load_studies, validate_config
from gutlung_pipeline.inputs.plan import plan_from_config
from gutlung_pipeline.inputs.studies import combined_sheet

# accession, runs planned, paired, body sites of the planned samples
STUDIES = {
    "american_gut": ("PRJEB11419", 11, False, {"gut": 9, "none": 2}),  # skin left out
    "ecam": ("ERP016173", 120, False, {"gut": 120}),  # 12 children x 10; mothers out
    "chile_asthma": ("PRJNA446042", 16, True, {"upper_airway": 16}),
}
DATA = REPO / "tests" / "data" / "ena"
QIITA = REPO / "tests" / "data" / "qiita" / "1454"
OFFLINE = {
    "cache": None,
    # nothing listens here: a plan that asked ENA would fail, not go online
    "portal_url": "http://127.0.0.1:9/ena/portal/api",
    "browser_url": "http://127.0.0.1:9/ena/browser/api",
    "retries": 0,
}


def _offline_copy(root) -> dict:
    """config/studies/ in root, the ENA studies pointed at a cache holding
    their stand-ins, the Qiita stand-in where the Subramanian config looks."""
    shutil.copytree(REPO / "config" / "studies", root / "config" / "studies")
    cache = root / "cache"
    for accession, *_ in STUDIES.values():
        for kind in ("filereport", "attributes"):
            (cache / kind).mkdir(parents=True, exist_ok=True)
            shutil.copy(DATA / kind / f"{accession}.tsv", cache / kind)
    shutil.copytree(QIITA, root / "data" / "qiita_1454")
    offline = dict(OFFLINE, cache=str(cache))
    for name in STUDIES:
        path = root / "config" / "studies" / name / "config.yaml"
        config = yaml.safe_load(path.read_text())
        config["acquire"].update(offline)
        path.write_text(yaml.safe_dump(config, sort_keys=False))
    return offline


def plan_in(folder, config: dict):
    """Plan ``config`` offline from ``folder`` (its paths are relative to it)."""
    old = os.getcwd()
    os.chdir(folder)
    try:
        return plan_from_config(validate_config(config), offline=True)
    finally:
        os.chdir(old)


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
    overlay.write_text(
        yaml.safe_dump(
            {
                "acquire": {
                    "cache": str(cache),
                    # nothing listens here: a plan that asked ENA would fail, not go online
                    "portal_url": "http://127.0.0.1:9/ena/portal/api",
                    "browser_url": "http://127.0.0.1:9/ena/browser/api",
                    "retries": 0,
                }
            }
        )
    )
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
    plan = plan_in(tmp_path, config)
    assert plan.paired is paired
    assert plan.sheet["body_site"].value_counts().to_dict() == sites


def test_copd_sputum_plans_its_181_runs_from_the_cache(tmp_path):
    """The COPDMAP and AERIS baseline sputum runs (issue 23): one ENA answer a
    run (stand-ins written by tests/data/ena/standins.py into the cache), the
    cohort of each run from the mapping, paired-end, lung sputum, COPD."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("standins", DATA / "standins.py")
    standins = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(standins)
    runs = standins.copd_sputum(tmp_path / "cache")
    assert len(runs) == 181 and runs[0] == "SRR5383463"
    shutil.copytree(REPO / "config" / "studies", tmp_path / "config" / "studies")
    study = "config/studies/copd_sputum/config.yaml"
    config = yaml.safe_load((REPO / study).read_text())
    config["acquire"].update(OFFLINE, cache=str(tmp_path / "cache"))
    (tmp_path / "offline.yaml").write_text(yaml.safe_dump(config))
    proc = snakemake(tmp_path, "-n", "--configfile", str(tmp_path / "offline.yaml"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.count("rule fetch_run:") == 181
    plan = plan_in(tmp_path, config)
    sheet = plan.sheet
    assert plan.paired is True
    assert sheet["run"].value_counts().to_dict() == {"COPDMAP": 114, "AERIS": 67}
    assert set(sheet["body_site"]) == {"lung"} and set(sheet["sample_type"]) == {
        "sputum"
    }
    assert set(sheet["copd"]) == {"yes"}
    assert (sheet["subject_id"] == sheet["run_accession"]).all()


def test_subramanian_enters_as_a_qiita_table(tmp_path):
    """Planned offline, then run to the report on the Qiita stand-in with the
    shipped reference (SILVA cannot be downloaded here)."""
    _offline_copy(tmp_path)
    study = "config/studies/subramanian/config.yaml"
    proc = snakemake(tmp_path, "-n", "--configfile", str(tmp_path / study))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "rule import_table:" in proc.stdout
    assert "rule map_metadata:" in proc.stdout  # the sheet comes from the file
    for rule in ("fetch_run", "trim_primers", "denoise_uniques"):
        assert f"rule {rule}:" not in proc.stdout
    assert "rule assign_taxonomy:" in proc.stdout  # the table brings no taxonomy
    assert "rule compute_maturity:" in proc.stdout

    config = yaml.safe_load((tmp_path / study).read_text())
    config["taxonomy"]["reference"] = str(REFERENCE)
    config["diversity"]["rarefaction_depth"] = 500
    (tmp_path / "local.yaml").write_text(yaml.safe_dump(config))
    proc = snakemake(tmp_path, "--configfile", str(tmp_path / "local.yaml"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    # the sample-information file, mapped: one row per sample, months to days
    sheet = pd.read_csv(tmp_path / "results/acquire/samples.tsv", sep="\t", index_col=0)
    assert len(sheet) == 12 * 10 + 6 * 6
    assert set(sheet["study"]) == {"subramanian2014"}
    assert sheet["health_status"].value_counts().to_dict() == {
        "healthy": 120,
        "SAM": 36,
    }
    assert sheet.loc["1454.BGD01.m03", "age_days"] == 3 * 30.4375
    assert sheet.loc["1454.BGD01.m03", "subject_id"] == "BGD01"
    # the maturity model is trained on the healthy children only
    maturity = pd.read_csv(
        tmp_path / "results/maturity/maturity.tsv", sep="\t", index_col=0
    )
    reference = maturity["reference"].astype(bool)
    assert set(sheet.loc[maturity.index[reference], "health_status"]) == {"healthy"}
    assert not reference[sheet.loc[maturity.index, "health_status"] == "SAM"].any()


def test_the_open_studies_plan_as_one_combined_run(tmp_path):
    _offline_copy(tmp_path)
    combined = tmp_path / "config/studies/combined/config.yaml"
    proc = snakemake(tmp_path, "-n", "--configfile", str(combined))
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    for name, (_, n_runs, _, _) in STUDIES.items():
        assert out.count(f"rule {name}_fetch_run:") == n_runs
        assert f"checkpoint {name}_acquisition:" in out
    assert "rule subramanian_import_table:" in out
    assert "rule subramanian_map_metadata:" in out
    assert "rule combine_studies:" in out
    assert "rule build_tree:" not in out
    # the same plan from Python: each study keeps its own layout and samples
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        config = validate_config(yaml.safe_load(combined.read_text()))
        studies = load_studies(
            config,
            source="combined",
            schema_dir=REPO / "workflow" / "schemas",
            offline=True,
        )
    finally:
        os.chdir(old)
    assert list(studies) == [*STUDIES, "subramanian"]
    for name, (_, n_runs, paired, _) in STUDIES.items():
        assert studies[name].plan.paired is paired
        assert len(studies[name].plan.remote) == n_runs
    sheet = combined_sheet(studies)
    assert sheet["study"].value_counts().to_dict() == {
        "american_gut": 11,
        "ecam": 120,
        "chile_asthma": 16,
        "subramanian": 156,
    }


def test_each_study_takes_the_rules_of_its_entry(tmp_path, reference):
    """A dry run of a combined run: a study of reads denoised with DADA2 takes
    the DADA2 rules, a table bringing its taxonomy only import and decontam,
    each under its own prefix; the merge and the analyses run once."""
    from test_studies_workflow import _local_study, combined_config

    from gutlung_pipeline.io import write_biom
    from gutlung_pipeline.simulate import simulate_birth_cohorts, simulate_cohort

    reads, _ = simulate_cohort(
        reference,
        tmp_path / "data_reads",
        forward=FORWARD,
        reverse=REVERSE,
        n_subjects=2,
        reads_per_sample=50,
        random_state=3,
    )
    depth = {"diversity.rarefaction_depth": 10}
    studies = {
        "reads": _local_study(
            tmp_path, "reads", reads, **depth, **{"denoise.engine": "dada2"}
        ),
    }
    table, taxonomy, sheet, _ = simulate_birth_cohorts(
        reference, ["t"], n_infants=5, ages_days=(7, 365), depth=100
    )
    studies["table"] = _local_study(tmp_path, "table", sheet, **depth)
    data = tmp_path / "table" / "data"
    data.mkdir()
    write_biom(table, data / "table.biom")
    taxonomy.to_csv(data / "taxonomy.tsv", sep="\t", index=False)
    config = yaml.safe_load((tmp_path / studies["table"]).read_text())
    config["feature_table"] = {
        "table": "table/data/table.biom",
        "taxonomy": "table/data/taxonomy.tsv",
    }
    (tmp_path / studies["table"]).write_text(yaml.safe_dump(config))
    combined_config(tmp_path, studies, beta_metrics=["braycurtis"])
    proc = snakemake(tmp_path, "-n")
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    for rule in (
        "reads_trim_primers",
        "reads_dada2_denoise",
        "reads_dada2_table",
        "reads_assign_taxonomy",
        "reads_decontaminate",
        "table_import_table",
        "table_decontaminate",
        "combine_studies",
        "make_report",
    ):
        assert f"rule {rule}:" in out, rule
    for rule in (
        "reads_sample_reads",
        "reads_denoise_uniques",
        "table_assign_taxonomy",
        "table_map_metadata",
        "build_tree",
    ):
        assert f"rule {rule}:" not in out, rule
    # each study's files under its own folder
    assert "results/studies/reads/asv/asv_table.biom" in out
    assert "results/studies/table/decontam/table.biom" in out
