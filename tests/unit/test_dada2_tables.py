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
