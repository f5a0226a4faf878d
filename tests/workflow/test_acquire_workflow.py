"""From a study accession to the report, against the ENA stand-in on
127.0.0.1: the plan asks ENA once (filereport, sample XML), each run is
downloaded by its own job (one connection dropped half-way and resumed, one
500 that recovers), a run whose published md5 is wrong is retried, reported
and left out, and every later step runs on the others."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import FORWARD, REFERENCE, needs_tools
from ena_stub import ENAStub, serving
from test_workflow import make_workdir, snakemake

from gutlung_pipeline.simulate import load_reference, simulate_cohort

pytestmark = [pytest.mark.workflow, needs_tools]

STUDY = "PRJEB44444"
MAPPING = {
    "study": "stub_study",
    "sample_id": "sample_title",
    "columns": {
        "subject_id": {"from": "host_subject_id"},
        "body_site": {
            "from": "body_habitat",
            "values": {"UBERON:feces": "gut", "UBERON:lung": "lung"},
        },
        "sample_type": {
            "from": "body_habitat",
            "values": {"UBERON:feces": "stool", "UBERON:lung": "bal"},
        },
        "age_days": {"from": "age_years", "unit": "years"},
        "asthma": {"from": "asthma_diagnosis", "values": {"Yes": "yes", "No": "no"}},
        "run": {"value": "MiSeq1"},
    },
}


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    out = tmp_path_factory.mktemp("acquire_data")
    sheet, _ = simulate_cohort(
        load_reference(REFERENCE),
        out,
        forward=FORWARD,
        reverse="GGACTACNVGGGTWTCTAAT",
        n_subjects=3,
        reads_per_sample=800,
        random_state=5,
    )
    return sheet


@pytest.fixture(scope="module")
def ena(cohort):
    """The cohort as ENA study PRJEB44444: one run per sample; P03_lung's
    published md5 is wrong, P01_gut's R1 drops half-way, P02_gut's R2 gives
    one 500 first."""
    state = ENAStub()
    for k, row in enumerate(cohort.itertuples(), start=1):
        run, sample = f"ERR44444{k:02d}", f"SAMEA44444{k:02d}"
        paths = {
            f"/vol1/{run}/{run}_{m}.fastq.gz": Path(getattr(row, f"fq{m}"))
            for m in (1, 2)
        }
        state.add_run(
            run,
            "PAIRED",
            {p: f.read_bytes() for p, f in paths.items()},
            study=STUDY,
            sample=sample,
            alias=row.sample_id,
            wrong_md5=row.sample_id == "P03_lung",
        )
        state.add_sample(
            sample,
            row.sample_id,
            {
                "host_subject_id": row.subject_id,
                "body_habitat": {"gut": "UBERON:feces", "lung": "UBERON:lung"}[
                    row.body_site
                ],
                "age_years": f"{row.age_days / 365.25:.6f}",
                "asthma_diagnosis": {"yes": "Yes", "no": "No"}[row.asthma],
            },
        )
        if row.sample_id == "P01_gut":
            state.drop_once.add(f"/vol1/{run}/{run}_1.fastq.gz")
        if row.sample_id == "P02_gut":
            state.failures_left[f"/vol1/{run}/{run}_2.fastq.gz"] = 1
    with serving(state) as url:
        state.url = url
        yield state


def acquire_settings(cache: Path, ena, mapping: str) -> dict:
    """The config's acquire section for the stand-in study, downloading
    into ``cache`` with quick retries."""
    return {
        "accessions": [STUDY],
        "mapping": mapping,
        "cache": str(cache),
        "portal_url": f"{ena.url}/ena/portal/api",
        "browser_url": f"{ena.url}/ena/browser/api",
        "scheme": "http",
        "retries": 2,
        "backoff": 0.01,
        "timeout": 10,
    }


def acquire_workdir(path: Path, cohort, ena) -> Path:
    work = make_workdir(path, cohort, **{"diversity.rarefaction_depth": 300})
    (work / "config" / "samples.tsv").unlink()
    (work / "config" / "mapping.yaml").write_text(yaml.safe_dump(MAPPING))
    config = yaml.safe_load((work / "config" / "config.yaml").read_text())
    config["samples"] = None
    config["acquire"] = acquire_settings(path / "ena_cache", ena, "config/mapping.yaml")
    (work / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    return work


def test_accession_to_report(tmp_path, cohort, ena):
    work = acquire_workdir(tmp_path, cohort, ena)
    dry = snakemake(work, "-n")
    assert dry.returncode == 0, dry.stderr[-3000:]
    assert dry.stdout.count("rule fetch_run:") == 6
    assert (tmp_path / "ena_cache" / "filereport" / f"{STUDY}.tsv").is_file()

    proc = snakemake(work)
    assert proc.returncode == 0, proc.stderr[-3000:]
    runs = pd.read_csv(work / "results/acquire/runs.tsv", sep="\t", index_col=0)
    assert runs.loc["P03_lung", "status"] == "failed"
    assert "is not the published" in runs.loc["P03_lung", "reason"]
    assert (runs.drop(index="P03_lung")["status"] == "ok").all()
    # the wrong md5 was tried 1 + 2 times, and nothing of it is left
    bad = [r for r in ena.requests if r[0].endswith("ERR4444406_1.fastq.gz")]
    assert len(bad) == 3
    assert not list((tmp_path / "ena_cache" / "ERR4444406").glob("*"))
    # the dropped connection was resumed with a Range request
    assert any(r[1] for r in ena.requests if r[0].endswith("ERR4444401_1.fastq.gz"))
    for row in cohort.itertuples():
        if row.sample_id != "P03_lung":
            got = Path(runs.loc[row.sample_id, "fq1"]).read_bytes()
            assert got == Path(row.fq1).read_bytes()

    sheet = pd.read_csv(work / "results/acquire/samples.tsv", sep="\t", index_col=0)
    assert list(sheet.index) == [s for s in cohort["sample_id"] if s != "P03_lung"]
    assert list(sheet["body_site"]) == list(
        cohort.set_index("sample_id").drop(index="P03_lung")["body_site"]
    )
    assert (sheet["study"] == "stub_study").all()
    tracking = pd.read_csv(
        work / "results/asv/read_tracking.tsv", sep="\t", index_col=0
    )
    assert "P03_lung" not in tracking.index and len(tracking) == 5
    for sid in tracking.index:  # every read pair of the download was counted
        with gzip.open(cohort.set_index("sample_id").loc[sid, "fq1"], "rt") as fq:
            assert tracking.loc[sid, "input"] == sum(1 for _ in fq) // 4
    html = (work / "results/report/report.html").read_text()
    assert "P03_lung" in html and "is not the published" in html

    # a second plan is offline: ENA is not asked again
    asked = len(ena.requests)
    again = snakemake(work, "-n")
    assert again.returncode == 0 and len(ena.requests) == asked


def test_unmapped_value_stops_before_any_job(tmp_path, cohort, ena):
    work = acquire_workdir(tmp_path, cohort, ena)
    mapping = yaml.safe_load((work / "config" / "mapping.yaml").read_text())
    del mapping["columns"]["asthma"]["values"]["No"]
    (work / "config" / "mapping.yaml").write_text(yaml.safe_dump(mapping))
    proc = snakemake(work, "-n")
    assert proc.returncode != 0
    assert (
        "gutlung-pipeline: error: config/mapping.yaml: column asthma (from "
        "asthma_diagnosis): value 'No'" in proc.stderr
    )
    assert not (work / "results").exists()
