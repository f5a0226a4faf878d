"""The default engine's accuracy bounds (the denoising issue, point 1) on a
simulated cohort with known truth: real cutadapt and vsearch through the
workflow, scored with gutlung_pipeline.accuracy.score.

The cohort is the benchmark's (48 samples x 9,500 read pairs, 3.5% chimeric
pairs, seed 1; about two minutes here): recall counts every true sequence with
a read, and a smaller cohort has proportionally more sequences seen in only a
few reads, which no method recovers (16 samples x 5,000 pairs: the ten
sequences missed had 1-7 reads in all). The 400-sample figures and the
comparison with DADA2 come from benchmarks/bench_denoise.py and are in
benchmarks/README.md.
"""

import pandas as pd
import pytest
from conftest import FORWARD, REFERENCE, REVERSE, needs_tools
from test_workflow import make_workdir, snakemake

from gutlung_pipeline.accuracy import score
from gutlung_pipeline.io import read_fasta
from gutlung_pipeline.simulate import load_reference, simulate_cohort

pytestmark = needs_tools

SUBJECTS, READS = 24, 9500


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    data = tmp_path_factory.mktemp("accuracy_data")
    sheet, truth = simulate_cohort(
        load_reference(REFERENCE),
        data,
        forward=FORWARD,
        reverse=REVERSE,
        n_subjects=SUBJECTS,
        reads_per_sample=READS,
        chimera_rate=0.035,
        random_state=1,
    )
    work = make_workdir(tmp_path_factory.mktemp("accuracy_run"), sheet)
    proc = snakemake(work, "results/asv/asv_table.tsv")
    assert proc.returncode == 0, proc.stderr[-3000:]
    table = pd.read_csv(work / "results/asv/asv_table.tsv", sep="\t", index_col=0)
    seqs = read_fasta(work / "results/asv/asv_seqs.fasta")
    inputs = dict.fromkeys(sheet["sample_id"], READS)
    return score(table, seqs, truth, inputs), truth


def test_precision_and_no_chimeric_asv(scored):
    got, _ = scored
    assert got["precision"] >= 0.99, got
    assert got["chimeric_asvs"] == 0, got


def test_recall_overall_and_per_sample(scored):
    got, truth = scored
    assert got["true_seqs"] == truth.loc[truth["reads"] > 0, "sequence"].nunique()
    assert got["recall"] >= 0.98, got
    assert got["per_sample_recall"] >= 0.97, got


def test_shannon_follows_the_truth_and_most_reads_are_kept(scored):
    got, _ = scored
    assert got["shannon_spearman"] >= 0.98, got
    assert got["reads_kept"] >= 0.9, got
