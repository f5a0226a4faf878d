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


def test_draws_are_scikit_bio_subsample_counts_column_by_column():
    """One matrix through biom's subsample gives what scikit-bio's
    subsample_counts gives column by column from the same Generator."""
    from skbio.stats import subsample_counts

    from gutlung_pipeline.diversity import _draws

    rng = np.random.default_rng(5)
    table = pd.DataFrame(
        rng.poisson(rng.gamma(0.3, 40, size=(60, 1)), size=(60, 30)),
        index=[f"f{i}" for i in range(60)],
        columns=[f"s{j}" for j in range(30)],
    )
    depth = int(table.sum(axis=0).min())
    assert depth > 20
    got = _draws(table, depth, np.random.default_rng(11))
    gen = np.random.default_rng(11)
    for name in table.columns:
        want = subsample_counts(table[name].to_numpy(), depth, seed=gen)
        np.testing.assert_array_equal(got[name].to_numpy(), want)
    assert (got.sum(axis=0) == depth).all()
    short = table.columns[table.sum(axis=0) == depth][0]
    with pytest.raises(
        ValueError,
        match=f"sample {short}: {depth} reads; .* at least {depth + 1} reads",
    ):
        _draws(table, depth + 1, np.random.default_rng(11))


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


def test_more_alpha_metrics_by_hand():
    out = alpha(TABLE)
    # s1: p = (0.5, 0.25, 0.25); Gini-Simpson 1 - (0.25 + 2 * 0.0625) = 0.625
    assert out.loc["s1", "simpson"] == pytest.approx(0.625)
    # Pielou: H / ln S = 1.5 bits * ln 2 / ln 3
    assert out.loc["s1", "pielou_e"] == pytest.approx(1.5 * np.log(2) / np.log(3))
    # Chao1, bias-corrected: S + F1 (F1 - 1) / (2 (F2 + 1)); s3 has F1 = 2, F2 = 0
    assert out.loc["s3", "chao1"] == pytest.approx(2 + 2 * 1 / 2)
    assert out.loc["s1", "chao1"] == pytest.approx(3.0)
    assert "faith_pd" not in out  # no tree given


def test_alpha_rarefied_mean_over_draws():
    from gutlung_pipeline.diversity import alpha_rarefied

    # at depth == library size every draw is the sample itself: SD 0
    full = pd.DataFrame({"a": [5, 3, 2], "b": [1, 1, 8]}, index=["x", "y", "z"])
    mean, sd = alpha_rarefied(full, depth=10, iterations=4, random_state=3)
    pd.testing.assert_frame_equal(mean, alpha(full).astype(float), rtol=1e-12)
    assert (sd.fillna(0) == 0).all().all()
    # below depth: left out; the mean is the average of per-draw values
    mean, sd = alpha_rarefied(TABLE, depth=8, iterations=5, random_state=1)
    assert list(mean.index) == ["s1", "s2"]
    rng = np.random.default_rng(1)
    from gutlung_pipeline.diversity import _draws

    draws = [alpha(_draws(TABLE[["s1", "s2"]], 8, rng)) for _ in range(5)]
    expected = sum(d["shannon"] for d in draws) / 5
    np.testing.assert_allclose(mean["shannon"], expected, rtol=1e-12)
    again, _ = alpha_rarefied(TABLE, depth=8, iterations=5, random_state=1)
    pd.testing.assert_frame_equal(mean, again)


def test_rarefaction_curves_and_groups():
    from gutlung_pipeline.diversity import (
        curve_depths,
        curves_by_group,
        rarefaction_curves,
    )

    assert curve_depths(10, steps=4) == [1, 4, 7, 10]
    curves = rarefaction_curves(
        TABLE,
        depths=[1, 8, 20],
        iterations=3,
        random_state=0,
        metrics=("observed_features",),
    )
    at = curves.set_index(["sample_id", "depth"])["mean"]
    assert at[("s3", 1)] == 1.0  # one read, one feature
    assert ("s3", 8) not in at.index  # s3 has 2 reads
    assert at[("s1", 20)] == 3.0  # the whole sample
    groups = pd.Series({"s1": "g", "s2": "g", "s3": "h"})
    by = curves_by_group(curves, groups).set_index(["group", "depth"])
    assert by.loc[("g", 8), "n"] == 2
    assert by.loc[("h", 1), "mean"] == 1.0


def test_rarefaction_curves_the_same_on_forked_workers():
    from gutlung_pipeline.diversity import alpha_rarefied, rarefaction_curves

    rng = np.random.default_rng(5)
    table = pd.DataFrame(
        rng.poisson(rng.gamma(0.5, 20, size=(30, 1)), size=(30, 12)),
        index=[f"f{i}" for i in range(30)],
        columns=[f"s{j}" for j in range(12)],
    )
    depths = [5, 50, 100, 150, 10**6]  # the last: no sample reaches it
    one, two, three = (
        rarefaction_curves(
            table,
            depths=depths,
            iterations=4,
            random_state=9,
            metrics=("observed_features", "shannon"),
            threads=t,
        )
        for t in (1, 2, 3)
    )
    pd.testing.assert_frame_equal(one, two)
    pd.testing.assert_frame_equal(one, three)
    # each depth from its own Generator, its seed drawn in turn from the seed
    seeds = np.random.default_rng(9)
    for depth in depths[:-1]:
        kept = table.loc[:, table.sum(axis=0) >= depth]
        mean, _ = alpha_rarefied(
            kept,
            depth=depth,
            iterations=4,
            random_state=int(seeds.integers(2**32)),
            metrics=("observed_features", "shannon"),
        )
        got = one[(one["depth"] == depth) & (one["metric"] == "shannon")]
        assert got["sample_id"].tolist() == kept.columns.tolist()
        np.testing.assert_array_equal(got["mean"], mean["shannon"])
    # a worker's error is the call's
    with pytest.raises(ValueError, match="iterations must be at least 1"):
        rarefaction_curves(
            table, depths=depths, iterations=0, random_state=9, threads=2
        )


def test_aitchison_by_hand():
    from gutlung_pipeline.diversity import aitchison

    t = pd.DataFrame({"a": [1, 3, 0], "b": [3, 1, 0]}, index=["x", "y", "z"])
    dm = aitchison(t, pseudocount=1.0)
    # feature z is absent everywhere and dropped; clr of (2, 4) and (4, 2):
    # +-(ln 2)/2 per coordinate, distance sqrt(2) * ln 2
    assert dm["a", "b"] == pytest.approx(np.sqrt(2) * np.log(2))
    with pytest.raises(ValueError, match="pseudocount"):
        aitchison(t, pseudocount=0)


def _low_rank_table(n_reads, seed=0, n=60, m=200):
    rng = np.random.default_rng(seed)
    logp = rng.normal(size=(n, 3)) @ rng.normal(size=(m, 3)).T
    logp += rng.normal(scale=0.3, size=(n, m))
    p = np.exp(logp)
    p /= p.sum(axis=1, keepdims=True)
    counts = np.array([rng.multinomial(n_reads, pi) for pi in p])
    table = pd.DataFrame(
        counts.T, index=[f"f{i}" for i in range(m)], columns=[f"s{i}" for i in range(n)]
    )
    lp = np.log(p)
    lp -= lp.mean(axis=1, keepdims=True)
    u = np.linalg.svd(lp)[0][:, :3]
    from scipy.spatial.distance import pdist, squareform
    from skbio import DistanceMatrix

    truth = DistanceMatrix(squareform(pdist(u)), ids=list(table.columns))
    return table, truth


def test_complete_matrix_recovers_a_low_rank_matrix():
    from gutlung_pipeline.diversity import complete_matrix

    rng = np.random.default_rng(2)
    full = rng.normal(size=(40, 3)) @ rng.normal(size=(3, 50))
    obs = full.copy()
    obs[rng.random(obs.shape) < 0.4] = np.nan
    u, s, vt = complete_matrix(obs, rank=3, max_iter=500, tol=1e-12)
    np.testing.assert_allclose((u * s) @ vt, full, atol=1e-4)
    with pytest.raises(ValueError, match="rank 3 needs"):
        complete_matrix(obs[:3], rank=3)


def test_robust_aitchison_against_gemelli_and_truth():
    from skbio.stats.distance import mantel

    from gutlung_pipeline.diversity import robust_aitchison

    optspace = pytest.importorskip(
        "gemelli.optspace", reason="gemelli is installed (--no-deps) by `make test`"
    )
    from scipy.spatial.distance import pdist, squareform
    from skbio import DistanceMatrix
    from skbio.stats.composition import rclr

    for n_reads, min_r in [(3000, 0.999), (400, None)]:
        table, truth = _low_rank_table(n_reads)
        table = table.loc[table.sum(axis=1) > 0]
        ours = robust_aitchison(table)
        obs = rclr(table.T.to_numpy(dtype=float))
        u = optspace.OptSpace(n_components=3, max_iterations=100, tol=1e-9).solve(obs)[
            0
        ]
        gem = DistanceMatrix(squareform(pdist(u)), ids=list(table.columns))
        r_gem = mantel(ours, gem, permutations=0)[0]
        r_ours, r_theirs = (mantel(x, truth, permutations=0)[0] for x in (ours, gem))
        if min_r:  # dense: both converge to the same completion
            assert r_gem > min_r
        # sparse (half zeros): ours recovers the planted structure at least as well
        assert r_ours >= r_theirs - 0.02, (n_reads, r_ours, r_theirs)


def test_beta_rarefied_averages_draws_and_keeps_compositional_unrarefied():
    from gutlung_pipeline.diversity import _draws, aitchison, beta_rarefied

    dm = beta_rarefied(
        TABLE, metric="braycurtis", depth=8, iterations=3, random_state=4
    )
    assert list(dm.ids) == ["s1", "s2"]
    rng = np.random.default_rng(4)
    kept = TABLE[["s1", "s2"]]
    mean = (
        sum(beta(_draws(kept, 8, rng), metric="braycurtis").data for _ in range(3)) / 3
    )
    np.testing.assert_allclose(dm.data, mean, rtol=1e-12)
    ait = beta_rarefied(
        TABLE, metric="aitchison", depth=8, iterations=3, random_state=4
    )
    np.testing.assert_allclose(ait.data, aitchison(kept).data)
    jac = beta(TABLE, metric="jaccard")
    # s1 {A, C, D} vs s2 {B, C}: 1 - 1/4
    assert jac["s1", "s2"] == pytest.approx(0.75)


def test_alpha_table_is_the_rarefied_mean_or_the_unrarefied_counts():
    """The workflow's alpha step: with iterations 0 every sample with reads,
    unrarefied, SD NaN; otherwise alpha_rarefied; faith_pd needs the tree."""
    from gutlung_pipeline.diversity import alpha_rarefied, alpha_table

    table = TABLE.assign(empty=0)
    mean, sd = alpha_table(
        table, depth=8, iterations=0, random_state=1, metrics=("shannon",)
    )
    assert list(mean.index) == list(TABLE.columns)  # the empty sample left out
    pd.testing.assert_frame_equal(mean, alpha(TABLE, metrics=("shannon",)))
    assert sd.isna().all().all()
    mean, sd = alpha_table(
        table, depth=8, iterations=3, random_state=1, metrics=("shannon",)
    )
    again = alpha_rarefied(
        table, depth=8, iterations=3, random_state=1, metrics=("shannon",)
    )
    pd.testing.assert_frame_equal(mean, again[0])
    pd.testing.assert_frame_equal(sd, again[1])
    with pytest.raises(ValueError, match="faith_pd needs the rooted tree"):
        alpha_table(table, depth=8, iterations=0, random_state=1)


def test_robust_aitchison_on_too_few_samples_says_what_to_do():
    from gutlung_pipeline.diversity import robust_aitchison

    table = pd.DataFrame({"A": [5, 3, 0, 9, 1], "B": [2, 0, 4, 1, 7]})
    with pytest.raises(ValueError) as err:
        robust_aitchison(table)
    assert str(err.value) == (
        "robust_aitchison needs more than 3 samples and features with reads "
        "(rank-3 matrix completion); this table has 2 samples and 5 features; "
        "drop robust_aitchison from diversity.beta_metrics"
    )
