import numpy as np
import pandas as pd
import pytest
from scipy import stats

from gutlung_pipeline.diversity import alpha, beta, ordinate, rarefy
from gutlung_pipeline.phylogeny import midpoint_root

TABLE = pd.DataFrame(
    {"s1": [10, 0, 5, 5], "s2": [0, 4, 4, 0], "s3": [1, 1, 0, 0]},
    index=["A", "B", "C", "D"],
)


def test_rarefy_depth_exclusion_and_determinism():
    rare, summary = rarefy(TABLE, depth=8, random_state=1)
    assert list(rare.columns) == ["s1", "s2"]
    assert (rare.sum(axis=0) == 8).all()
    assert (rare.le(TABLE[rare.columns].loc[rare.index])).all().all()
    assert summary.loc["s3"].tolist() == [2, False, "2 reads < depth 8"]
    assert summary.loc["s1"].tolist() == [20, True, ""]
    again, _ = rarefy(TABLE, depth=8, random_state=1)
    pd.testing.assert_frame_equal(rare, again)


def test_rarefy_is_unbiased_chi_square():
    counts = pd.DataFrame({f"s{i}": [50, 30, 15, 5] for i in range(400)})
    rare, _ = rarefy(counts, depth=40, random_state=0)
    observed = rare.sum(axis=1).to_numpy()
    expected = np.array([50, 30, 15, 5]) * 40 / 100 * 400
    assert stats.chisquare(observed, expected).pvalue > 0.001


def test_rarefy_rejects_bad_depth():
    with pytest.raises(ValueError, match="at least 1"):
        rarefy(TABLE, depth=0, random_state=0)


def test_alpha_known_answers_by_hand():
    out = alpha(TABLE)
    assert out.loc["s1", "observed_features"] == 3
    # s1 proportions 0.5, 0.25, 0.25 -> 1.5 bits
    assert out.loc["s1", "shannon"] == pytest.approx(1.5)
    assert out.loc["s2", "shannon"] == pytest.approx(1.0)
    assert "faith_pd" not in out


def test_beta_braycurtis_and_unifrac_by_hand():
    dm = beta(TABLE, metric="braycurtis")
    # s1 vs s2: sum|x-y| = 10+4+1+5 = 20; sum x+y = 28
    assert dm["s1", "s2"] == pytest.approx(20 / 28)
    tree = midpoint_root("(A:1,B:2,(C:3,D:4):5);")
    two = pd.DataFrame({"x": [1, 0, 0, 0], "y": [0, 1, 0, 0]}, index=list("ABCD"))
    # unique branches A (1) and B (2) over the union (1 + 2 + 3.5)
    uw = beta(two, metric="unweighted_unifrac", tree=tree)
    assert uw["x", "y"] == pytest.approx(3 / 6.5)
    # unnormalised weighted UniFrac: sum b_i |pA - pB| = 1*1 + 2*1
    w = beta(two, metric="weighted_unifrac", tree=tree)
    assert w["x", "y"] == pytest.approx(3.0)
    with pytest.raises(ValueError, match="needs the rooted tree"):
        beta(two, metric="weighted_unifrac")
    with pytest.raises(ValueError, match="unknown beta metric"):
        beta(two, metric="jaccardish")


def test_missing_tip_is_reported():
    tree = midpoint_root("(A:1,B:2,(C:3,X:4):5);")
    with pytest.raises(ValueError, match="1 features are not tips of the tree"):
        alpha(TABLE, tree=tree)


def test_pcoa_of_euclidean_points_recovers_distances():
    from skbio import DistanceMatrix

    pts = np.array([[0, 0], [3, 0], [0, 4], [3, 4]], dtype=float)
    d = np.sqrt(((pts[:, None] - pts[None]) ** 2).sum(-1))
    ordn = ordinate(DistanceMatrix(d, ids=list("abcd")))
    coords = ordn.samples.iloc[:, :2].to_numpy()
    d2 = np.sqrt(((coords[:, None] - coords[None]) ** 2).sum(-1))
    np.testing.assert_allclose(d2, d, atol=1e-9)
    assert ordn.proportion_explained.iloc[:2].sum() == pytest.approx(1.0)
