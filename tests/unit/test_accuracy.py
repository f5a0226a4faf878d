"""Known answers for the denoising benchmark's scores (gutlung_pipeline.accuracy)."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from gutlung_pipeline.accuracy import is_chimera, score

A, B, C = "AAAACCCCGG", "GGGGTTTTCC", "CACACACACA"


def test_chimera_is_a_prefix_of_one_parent_and_the_suffix_of_another():
    assert is_chimera(A[:4] + B[4:], [A, B, C])
    assert is_chimera(B[:7] + C[7:], [A, B, C])
    # one substitution away from a chimera is not one
    assert not is_chimera(A[:4] + "G" + B[5:], [A, B, C])
    # a parent is not its own chimera, and one parent cannot make one
    assert not is_chimera(A, [A, B])
    assert not is_chimera(A[:4] + A[4:], [A])


def test_scores_against_hand_counts():
    chim = A[:5] + B[5:]
    error = "T" + A[1:]
    sequences = {"a": A, "b": B, "x": chim, "e": error}
    table = pd.DataFrame(
        {"s1": [50, 0, 3, 1], "s2": [20, 30, 0, 0], "s3": [0, 40, 2, 0]},
        index=["a", "b", "x", "e"],
    )
    truth = pd.DataFrame(
        [
            ("s1", A, 52),
            ("s1", C, 12),
            ("s1", B, 0),
            ("s2", A, 21),
            ("s2", B, 29),
            ("s3", B, 40),
            ("s3", C, 5),
        ],
        columns=["sample_id", "sequence", "reads"],
    )
    got = score(table, sequences, truth, {"s1": 80, "s2": 60, "s3": 50})
    assert got["asvs"] == 4
    assert got["true_seqs"] == 3  # A, B, C (B has reads somewhere)
    assert got["precision"] == pytest.approx(2 / 4)
    assert got["recall"] == pytest.approx(2 / 3)  # C is never found
    # >= 10 reads: s1 A, C; s2 A, B; s3 B -> found A, A, B, B of 5
    assert got["per_sample_recall"] == pytest.approx(4 / 5)
    assert got["chimeric_asvs"] == 1 and got["other_false"] == 1
    assert got["reads_kept"] == pytest.approx((54 + 50 + 42) / 190)
    assert got["lost_abundant"] == 0  # C, never found, has 17 reads
    assert score(table, sequences, truth, abundant=17)["lost_abundant"] == 1

    def h(counts):
        p = np.asarray(counts, float) / sum(counts)
        p = p[p > 0]
        return -(p * np.log2(p)).sum()

    ours = [h([50, 3, 1]), h([20, 30]), h([40, 2])]
    theirs = [h([52, 12]), h([21, 29]), h([40, 5])]
    assert got["shannon_spearman"] == pytest.approx(spearmanr(ours, theirs)[0])


def test_no_input_counts_leave_reads_kept_unknown():
    table = pd.DataFrame({"s1": [5]}, index=["a"])
    truth = pd.DataFrame({"sample_id": ["s1"], "sequence": [A], "reads": [5]})
    got = score(table, {"a": A}, truth)
    assert math.isnan(got["reads_kept"]) and got["precision"] == 1.0
