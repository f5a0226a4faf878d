"""Where the reads are cut before the merge (gutlung_pipeline.quality), the
merge rate in the read tracking and the warning of a sample that merges badly."""

import gzip

import numpy as np
import pandas as pd
import pytest
from conftest import REAL, needs_tools

from gutlung_pipeline.cli.reads import trunc_lengths
from gutlung_pipeline.denoise import low_merge_warnings, read_tracking
from gutlung_pipeline.quality import (
    auto_truncation,
    choose_truncation,
    expected_errors,
    head_records,
)


def profile(length, good, bad, worn_from):
    """Error probabilities of 10 reads: ``good`` up to ``worn_from``, then ``bad``."""
    row = np.where(np.arange(length) < worn_from, good, bad)
    return np.tile(row, (10, 1)).astype(float)


def test_the_worn_read_is_cut_and_the_clean_one_kept():
    # amplicon 100, overlap 20: the lengths add up to 120; R2 wears from base 50
    ee1 = profile(100, 0.001, 0.001, 100)
    ee2 = profile(100, 0.001, 0.1, 50)
    assert choose_truncation(ee1, ee2, 100, target_overlap=20) == (100, 20)
    # both wear from base 60: the cut that keeps both reads before it
    ee1 = profile(100, 0.001, 0.1, 60)
    ee2 = profile(100, 0.001, 0.1, 60)
    t1, t2 = choose_truncation(ee1, ee2, 100, target_overlap=20)
    assert t1 + t2 == 120 and t1 <= 60 and t2 <= 60


def test_reads_that_already_overlap_little_are_not_cut():
    # 2x150 on a 253-nt amplicon: 47 nt of overlap, under the target of 48
    assert (
        choose_truncation(
            profile(150, 0.001, 0.1, 100),
            profile(150, 0.001, 0.1, 100),
            253,
            target_overlap=48,
        )
        is None
    )


def test_missing_bases_count_as_errors():
    """A read shorter than a cut pays one error per missing base, so the cut
    never goes past the reads; cuts never exceed the amplicon."""
    ee1 = profile(100, 0.001, 0.001, 100)
    ee1[:, 70:] = np.nan  # R1 reads end at 70
    ee2 = profile(100, 0.01, 0.01, 100)
    t1, t2 = choose_truncation(ee1, ee2, 100, target_overlap=20)
    assert (t1, t2) == (70, 50)
    assert choose_truncation(
        profile(300, 0.001, 0.001, 300),
        profile(300, 0.1, 0.1, 300),
        100,
        target_overlap=20,
    ) == (100, 20)


def test_expected_errors_are_phred_probabilities():
    ee = expected_errors([b"I5+\n", b"!!\n"])  # Q40, Q20, Q10; Q0, Q0
    assert ee.shape == (2, 3)
    np.testing.assert_allclose(ee[0], [1e-4, 1e-2, 1e-1])
    np.testing.assert_allclose(ee[1, :2], [1.0, 1.0])
    assert np.isnan(ee[1, 2])


def test_head_records_reads_only_the_first_records(tmp_path):
    path = tmp_path / "r.fastq.gz"
    with gzip.open(path, "wt") as out:
        for i in range(50):
            out.write(f"@r{i}\nACGT\n+\nIIII\n")
    lines = head_records(path, 10)
    assert len(lines) == 40 and lines[-4] == b"@r9\n"


@needs_tools
def test_auto_truncation_on_dada2s_example_reads(tmp_path):
    """DADA2's MiSeq 2x250 example (tests/data/real): the V4 amplicon is 253
    nt; the reverse reads wear first, so R2 is cut shorter than R1."""
    r1, r2 = (
        REAL / "dada2_extdata/sam1F.fastq.gz",
        REAL / "dada2_extdata/sam1R.fastq.gz",
    )
    cut = auto_truncation(
        "sam1",
        r1,
        r2,
        skip1=0,
        skip2=0,
        target_overlap=48,
        min_overlap=16,
        max_diffs=10,
        tmp=tmp_path,
    )
    assert cut is not None
    assert sum(cut) == 253 + 48 and cut[0] > cut[1]
    assert list(tmp_path.iterdir()) == []  # its temporary files are gone


def test_trunc_lengths_option():
    assert trunc_lengths("auto") == "auto"
    assert trunc_lengths("none") == "none"
    assert trunc_lengths("240,160") == (240, 160)
    for bad, says in (("240", "give auto, none"), ("240,10", "20 or more")):
        with pytest.raises(Exception, match=says):
            trunc_lengths(bad)


def test_merge_rate_in_the_tracking_and_the_warning_names_the_sample():
    stats = {
        "S1": {
            "input": 1000,
            "primer_trimmed": 900,
            "merged": 850,
            "filtered": 800,
            "trunc_r1": 186,
            "trunc_r2": 115,
        },
        "S2": {
            "input": 1000,
            "primer_trimmed": 1000,
            "merged": 300,
            "filtered": 290,
            "trunc_r1": 0,
            "trunc_r2": 0,
        },
    }
    table = pd.DataFrame({"S1": [700], "S2": [250]}, index=["a"])
    tracking = read_tracking(stats, table)
    assert tracking["pct_merged"].tolist() == [94.44, 30.0]
    assert tracking["trunc_r1"].tolist() == [186, 0]
    assert low_merge_warnings(tracking, min_merged=0.5) == [
        "sample S2: 300 of 1000 pairs merged (30.0%, under qc.min_merged 50%); the "
        "reads may be too short or too worn to overlap: see merge.trunc_lengths "
        "and merge.max_diffs"
    ]
    assert low_merge_warnings(tracking, min_merged=0) == []


def test_single_end_tracking_has_no_merge_rate():
    stats = {"S1": {"input": 10, "primer_trimmed": 9, "filtered": 8}}
    tracking = read_tracking(stats, pd.DataFrame({"S1": [8]}, index=["a"]))
    assert "pct_merged" not in tracking
    assert low_merge_warnings(tracking, min_merged=0.5) == []
