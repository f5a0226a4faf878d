"""The DADA2 engine's table helpers (gutlung_pipeline.dada2), without R."""

import hashlib

import pandas as pd
import pytest

from gutlung_pipeline.dada2 import (
    denoise_group,
    group_stats,
    remove_bimeras,
    wide_table,
)
from gutlung_pipeline.errors import ToolError


def md5(seq):
    return hashlib.md5(seq.encode()).hexdigest()


def test_wide_table_has_md5_ids_abundance_order_and_every_sample():
    long = pd.DataFrame(
        {
            "sample_id": ["s1", "s1", "s2", "s2"],
            "sequence": ["acgt", "GGCC", "ACGT", "TTAA"],
            "count": [3, 10, 4, 10],
        }
    )
    table, seqs = wide_table(long, ["s1", "s2", "s3"])
    # ACGT 7 reads; GGCC and TTAA 10 each, tied: by ID
    tied = sorted([md5("GGCC"), md5("TTAA")])
    assert list(table.index) == [*tied, md5("ACGT")]
    assert list(table.columns) == ["s1", "s2", "s3"]
    assert table.loc[md5("ACGT")].tolist() == [3, 4, 0]
    assert table["s3"].sum() == 0 and table.index.name == "#OTU ID"
    assert seqs[md5("ACGT")] == "ACGT"


def test_wide_table_refuses_an_unknown_sample():
    long = pd.DataFrame({"sample_id": ["zz"], "sequence": ["A"], "count": [1]})
    with pytest.raises(ToolError, match="unknown sample zz"):
        wide_table(long, ["s1"])


def test_group_stats_single_end_has_no_merged_count():
    track = pd.DataFrame(
        {
            "sample_id": ["a", "b"],
            "input": [10, 9],
            "filtered": [8, 7],
            "denoised": [8, 6],
            "merged": [7, None],
        }
    )
    assert group_stats(track) == {
        "a": {"filtered": 8, "merged": 7},
        "b": {"filtered": 7},
    }


def test_bad_options_stop_before_r_runs(tmp_path):
    with pytest.raises(ValueError, match="pool must be one of"):
        denoise_group({"a": ("r1", "r2")}, tmp_path, "x", "y", pool="yes")
    with pytest.raises(ValueError, match="sample b has no R2"):
        denoise_group({"a": ("r1", "r2"), "b": ("r1", None)}, tmp_path, "x", "y")
    with pytest.raises(ValueError, match="chimera method"):
        remove_bimeras(["x"], tmp_path / "o", method="denovo")


def test_a_short_sequence_table_is_caught():
    """A group's table must hold the merged (paired) or denoised (single)
    reads DADA2 reported; counts may only fall from step to step."""
    from gutlung_pipeline.dada2 import check_group
    from gutlung_pipeline.errors import ToolError

    long = pd.DataFrame(
        {
            "sample_id": ["a", "a", "b"],
            "sequence": ["AC", "GT", "AC"],
            "count": [5, 3, 4],
        }
    )
    track = pd.DataFrame(
        {
            "sample_id": ["a", "b"],
            "input": [10, 9],
            "filtered": [9, 8],
            "denoised": [9, 6],
            "merged": [8, 4],
        }
    )
    check_group(long, track, source="g/seqtab.tsv")
    short = long.iloc[:2]
    with pytest.raises(ToolError) as err:
        check_group(short, track, source="g/seqtab.tsv")
    assert str(err.value) == (
        "g/seqtab.tsv: sample b: the sequence table holds 0 reads but DADA2 reported "
        "4 merged: the output is incomplete (a full disk?); free space and rerun"
    )
    single = track.assign(merged=float("nan"), denoised=[8, 4])
    check_group(long, single, source="g/seqtab.tsv")
    rising = track.assign(merged=[8, 7])
    with pytest.raises(ToolError, match=r"sample b: DADA2's read counts rise"):
        check_group(long.assign(count=[5, 3, 7]), rising, source="g/seqtab.tsv")
