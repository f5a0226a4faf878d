"""The DADA2 engine (denoise.engine: dada2) through the workflow, with real
cutadapt, R and DADA2, on a tiny simulated cohort in two sequencing runs."""

import hashlib

import pandas as pd
import pytest
from conftest import FORWARD, REFERENCE, REVERSE, needs_r, needs_tools
from test_workflow import make_workdir, snakemake

from gutlung_pipeline.io import read_fasta, read_table
from gutlung_pipeline.simulate import load_reference, simulate_cohort

pytestmark = [needs_tools, needs_r("dada2")]

DADA2 = {"engine": "dada2"}


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    out = tmp_path_factory.mktemp("dada2_data")
    return simulate_cohort(
        load_reference(REFERENCE),
        out,
        forward=FORWARD,
        reverse=REVERSE,
        n_subjects=3,
        reads_per_sample=1500,
        random_state=5,
    )


@pytest.fixture(scope="module")
def dada2_run(tmp_path_factory, cohort):
    sheet, truth = cohort
    work = make_workdir(
        tmp_path_factory.mktemp("dada2_run"),
        sheet,
        **{"denoise.engine": "dada2", "diversity.rarefaction_depth": 500},
    )
    proc = snakemake(work, "results/asv/asv_table.tsv")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return work, sheet, truth


def test_one_error_model_per_run_and_the_default_engine_not_run(dada2_run):
    work, sheet, _ = dada2_run
    runs = sorted(sheet["run"].unique())
    assert runs == ["run1", "run2"]
    assert sorted(p.stem for p in (work / "logs/dada2_denoise").glob("*.log")) == runs
    assert not (work / "logs/merge_pairs").exists()
    assert not (work / "logs/denoise_uniques.log").exists()


def test_outputs_match_the_default_engines_contract(dada2_run):
    work, sheet, truth = dada2_run
    seqs = read_fasta(work / "results/asv/asv_seqs.fasta")
    assert all(hashlib.md5(s.encode()).hexdigest() == i for i, s in seqs.items())
    table = pd.read_csv(work / "results/asv/asv_table.tsv", sep="\t", index_col=0)
    assert list(table.index) == list(seqs)
    assert list(table.columns) == list(sheet["sample_id"])
    biom = read_table(work / "results/asv/asv_table.biom")
    pd.testing.assert_frame_equal(
        biom.loc[table.index, table.columns],
        table,
        check_names=False,
        check_dtype=False,
    )
    totals = table.sum(axis=1).to_numpy()
    assert (totals[:-1] >= totals[1:]).all()  # most abundant first
    track = pd.read_csv(work / "results/asv/read_tracking.tsv", sep="\t", index_col=0)
    assert (track["input"] == 1500).all()
    assert (track["input"] >= track["primer_trimmed"]).all()
    assert (track["primer_trimmed"] >= track["filtered"]).all()
    assert (track["filtered"] >= track["merged"]).all()
    assert (track["merged"] >= track["in_table"]).all()
    assert (track["in_table"] == table.sum()).all()
    assert (track["pct_in_table"] > 80).all()
    # DADA2 finds the abundant true sequences exactly, and few others
    major = truth[truth["observed_share"] >= 0.01]["sequence"]
    assert major.isin(set(seqs.values())).mean() >= 0.95
    spurious = sum(s not in set(truth["sequence"]) for s in seqs.values())
    assert spurious / len(seqs) <= 0.05


def test_pooled_error_model_is_one_group(tmp_path, cohort):
    sheet, _ = cohort
    work = make_workdir(
        tmp_path,
        sheet,
        **{"denoise.engine": "dada2", "denoise.dada2": {"error_model": "pooled"}},
    )
    proc = snakemake(work, "-n", "results/asv/asv_table.tsv")
    assert proc.returncode == 0, proc.stderr[-3000:]
    jobs = proc.stdout + proc.stderr
    assert "results/work/dada2/all/seqtab.tsv" in jobs
    assert "run1/seqtab.tsv" not in jobs
    assert "merge_pairs" not in jobs


def test_bad_engine_settings_stop_before_any_job(tmp_path, cohort):
    sheet, _ = cohort
    work = make_workdir(
        tmp_path,
        sheet,
        **{"denoise.engine": "dada2", "denoise.dada2": {"pool": "always"}},
    )
    proc = snakemake(work, "results/asv/asv_table.tsv")
    assert proc.returncode != 0
    assert "denoise.dada2.pool" in proc.stderr, proc.stderr
    assert not (work / "results").exists()


def test_single_end_runs_are_cut_to_one_length(tmp_path):
    out = tmp_path / "data"
    sheet, truth = simulate_cohort(
        load_reference(REFERENCE),
        out,
        forward=FORWARD,
        reverse=REVERSE,
        n_subjects=2,
        reads_per_sample=1500,
        layout="single",
        random_state=4,
    )
    work = make_workdir(tmp_path / "run", sheet, **{"denoise.engine": "dada2"})
    proc = snakemake(work, "results/asv/asv_table.tsv")
    assert proc.returncode == 0, proc.stderr[-3000:]
    seqs = read_fasta(work / "results/asv/asv_seqs.fasta")
    assert {len(s) for s in seqs.values()} == {150}  # filter.trunc_length
    track = pd.read_csv(work / "results/asv/read_tracking.tsv", sep="\t", index_col=0)
    assert track["merged"].isna().all() and (track["in_table"] > 0).all()
    major = truth[truth["observed_share"] >= 0.01]["sequence"].str[:150]
    assert major.isin(set(seqs.values())).mean() >= 0.9
