"""decontam in Python against R decontam 1.13.0's own results, and by hand."""

import numpy as np
import pandas as pd
import pytest
from conftest import PEERS
from scipy import stats

from gutlung_pipeline.decontam import (
    decontam_table,
    frequency_score,
    is_contaminant,
    is_not_contaminant,
    prevalence_score,
    signature_scores,
)
from gutlung_pipeline.decontam.scores import frequency_scores

DECONTAM = PEERS / "decontam"
ST_CONC = [6413, 3581, 5375, 4107, 4291, 4260, 4171, 2765, 33, 48]


@pytest.fixture(scope="module")
def muclite():
    counts = pd.read_csv(DECONTAM / "MUClite_counts.tsv", sep="\t", index_col=0)
    samples = pd.read_csv(DECONTAM / "MUClite_samples.tsv", sep="\t", index_col=0)
    samples = samples.loc[counts.index]
    return counts, samples


def check(ours: pd.DataFrame, ref: pd.DataFrame, flag: str = "contaminant"):
    assert list(ours.index) == list(ref.index)
    np.testing.assert_array_equal(ours[flag].to_numpy(), ref[flag].to_numpy())
    np.testing.assert_allclose(ours["freq"], ref["freq"], rtol=1e-10)
    np.testing.assert_array_equal(ours["prev"], ref["prev"])
    for col in ("p.freq", "p.prev", "p"):
        a, b = ours[col].to_numpy(float), ref[col].to_numpy(float)
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b), err_msg=col)
        ok = ~np.isnan(b)
        np.testing.assert_allclose(a[ok], b[ok], rtol=1e-7, atol=1e-12, err_msg=col)


@pytest.mark.parametrize(
    ("name", "kwargs", "n_calls"),
    [
        ("freq", {"method": "frequency", "use_neg": False}, 58),
        ("prev", {"method": "prevalence"}, 124),
        ("prev05", {"method": "prevalence", "threshold": 0.5}, 142),
        ("combined", {"method": "combined"}, 56),
        ("minimum", {"method": "minimum"}, 66),
        ("either", {"method": "either"}, 138),
        ("both", {"method": "both", "threshold": (0.1, 0.5)}, 22),
        (
            "freq_batch_plate_min",
            {"method": "frequency", "use_neg": False, "batch": True},
            60,
        ),
        (
            "prev_batch_plate_fisher",
            {"method": "prevalence", "batch": True, "batch_combine": "fisher"},
            44,
        ),
        (
            "prev_batch_plate_product",
            {"method": "prevalence", "batch": True, "batch_combine": "product"},
            101,
        ),
    ],
)
def test_matches_r_decontam_on_muclite(muclite, name, kwargs, n_calls):
    counts, samples = muclite
    kwargs = dict(kwargs)
    use_neg = kwargs.pop("use_neg", True)
    if kwargs.pop("batch", False):
        kwargs["batch"] = samples["PlateNumber"]
    ours = is_contaminant(
        counts,
        conc=samples["quant_reading"],
        neg=samples["is.neg"].astype(bool) if use_neg else None,
        **kwargs,
    )
    ref = pd.read_csv(DECONTAM / f"R_{name}.tsv", sep="\t", index_col=0)
    check(ours, ref)
    assert int(ours["contaminant"].sum()) == n_calls


def test_decontam_table_matches_r_and_drops_calls_and_controls(muclite):
    """The ``gutlung decontam`` step from a table and its metadata columns:
    R's calls (prevalence, plates combined by Fisher), the called features
    and the negative controls out of the clean table."""
    counts, samples = muclite
    md = samples.assign(
        control=np.where(samples["is.neg"].astype(bool), "blank", "sample")
    )
    calls, clean = decontam_table(
        counts.T,
        md,
        neg_column="control",
        neg_value="blank",
        batch_column="PlateNumber",
        batch_combine="fisher",
        method="prevalence",
    )
    ref = pd.read_csv(DECONTAM / "R_prev_batch_plate_fisher.tsv", sep="\t", index_col=0)
    check(calls, ref)
    called = set(ref.index[ref["contaminant"].astype(bool)])
    assert len(called) == 44 and calls.index.name == "feature_id"
    assert set(clean.index) == set(counts.columns) - called
    negatives = set(samples.index[samples["is.neg"].astype(bool)])
    assert set(clean.columns) == set(counts.index) - negatives
    with pytest.raises(ValueError, match="no column 'plate'"):
        decontam_table(counts.T, md, batch_column="plate")


def test_is_not_contaminant_matches_r(muclite):
    counts, samples = muclite
    ours = is_not_contaminant(counts, neg=samples["is.neg"].astype(bool))
    ref = pd.read_csv(DECONTAM / "R_notcontam_prev.tsv", sep="\t", index_col=0)
    check(ours, ref, flag="not.contaminant")
    assert int(ours["not.contaminant"].sum()) == 705


@pytest.mark.parametrize(
    ("name", "kwargs", "n_calls"),
    [
        ("st_example_freq_t0.2", {"method": "frequency", "threshold": 0.2}, 6),
        ("st_example_both", {"method": "both", "threshold": (0.1, 0.5)}, 0),
    ],
)
def test_matches_r_decontam_man_page_example(name, kwargs, n_calls):
    counts = pd.read_csv(DECONTAM / "st_counts.tsv", sep="\t", index_col=0)
    conc = pd.Series(ST_CONC, index=counts.index, dtype=float)
    neg = pd.Series([False] * 8 + [True] * 2, index=counts.index)
    ours = is_contaminant(
        counts,
        conc=conc,
        neg=None if kwargs["method"] == "frequency" else neg,
        **kwargs,
    )
    ref = pd.read_csv(DECONTAM / f"R_{name}.tsv", sep="\t", index_col=0)
    check(ours, ref)
    assert int(ours["contaminant"].sum()) == n_calls


def test_frequency_score_by_hand():
    conc = np.array([1.0, 2.0, 4.0, 8.0])
    # an exact contaminant: f = 0.1 / conc fits the contaminant model with RSS1 = 0
    assert frequency_score(0.1 / conc, conc) == pytest.approx(0.0, abs=1e-30)
    # constant frequency fits the non-contaminant model: RSS0 = 0 -> ratio inf -> 1
    with np.errstate(divide="ignore"):
        assert frequency_score(np.full(4, 0.1), conc) == 1.0
    # by hand: f = (0.1, 0.2, 0.1) at conc (1, 2, 4)
    f, c = np.array([0.1, 0.2, 0.1]), np.array([1.0, 2.0, 4.0])
    r1 = np.log(f) + np.log(c)
    r0 = np.log(f)
    ratio = np.sum((r1 - r1.mean()) ** 2) / np.sum((r0 - r0.mean()) ** 2)
    assert frequency_score(f, c) == pytest.approx(stats.f.cdf(ratio, 2, 2))
    assert np.isnan(frequency_score(np.array([0.1, 0, 0]), c))  # present once


def test_prevalence_score_by_hand():
    neg = np.array([True] * 10 + [False] * 10)
    # large enough for prop.test: present in 9/10 controls, 2/10 samples
    present = np.array([1] * 9 + [0] + [1] * 2 + [0] * 8, dtype=bool)
    # expected counts: pooled 11/20 -> 5.5 and 4.5 (< 5) -> Fisher mid-p
    dist = stats.hypergeom(20, 11, 10)
    assert prevalence_score(present, neg) == pytest.approx(
        dist.sf(8) - 0.5 * dist.pmf(9)
    )
    neg = np.array([True] * 20 + [False] * 20)
    present = np.array([1] * 14 + [0] * 6 + [1] * 6 + [0] * 14, dtype=bool)
    # every expected count is 10: R's prop.test with Yates
    x2 = 4 * (abs(14 - 10) - 0.5) ** 2 / 10
    assert prevalence_score(present, neg) == pytest.approx(stats.norm.sf(np.sqrt(x2)))
    assert prevalence_score(np.ones(40, bool), neg) == 0.5  # everywhere
    assert np.isnan(prevalence_score(present, np.zeros(40, bool)))  # no controls


def test_errors_name_the_samples():
    counts = pd.DataFrame(
        [[5, 1], [3, 2], [0, 4]], index=["a", "b", "c"], columns=["x", "y"]
    )
    with pytest.raises(
        ValueError, match=r"non-positive DNA concentration for 1 samples \(b\)"
    ):
        is_contaminant(counts, conc=pd.Series([1.0, 0.0, 2.0], index=counts.index))
    with pytest.raises(ValueError, match="batch 'r2' has a single sample"):
        is_contaminant(
            counts,
            conc=pd.Series([1.0, 2.0, 3.0], index=counts.index),
            batch=pd.Series(["r1", "r1", "r2"], index=counts.index),
        )
    with pytest.raises(ValueError, match="needs negative controls"):
        is_contaminant(counts, method="prevalence")


def test_signature_score_with_an_intercept_a_group_by_hand():
    """signature_by: each group (run) gets its own intercept in both models,
    the F test k - G degrees of freedom; one group is the plain score."""
    rng = np.random.default_rng(4)
    counts = rng.poisson(rng.gamma(0.6, 40, size=(1, 7)), size=(12, 7)).astype(float)
    counts[:, 1] = 0
    counts[[0, 2, 4, 6, 8, 10], 1] = [3, 9, 4, 12, 7, 5]  # run A only, 6 samples
    counts[3, 2] = 0  # absent from one sample
    called = np.array([True, False, False, False, False, False, False])
    runs = np.array(["A", "B"] * 6)
    grouped = signature_scores(counts, called, groups=runs)
    np.testing.assert_array_equal(
        signature_scores(counts, called, groups=["x"] * 12),
        signature_scores(counts, called),
    )
    depth = counts.sum(axis=1)
    for j in (2, 3):
        load = (counts[:, 0] + 0.5) / depth
        rss1 = rss0 = 0.0
        k = 0
        for run in "AB":
            m = (runs == run) & (counts[:, j] > 0)
            f = counts[m, j] / depth[m]
            r1, r0 = np.log(f) - np.log(load[m]), np.log(f)
            rss1 += np.sum((r1 - r1.mean()) ** 2)
            rss0 += np.sum((r0 - r0.mean()) ** 2)
            k += m.sum()
        want = stats.f.cdf(rss1 / rss0, k - 2, k - 2)
        assert grouped[j] == pytest.approx(want, rel=1e-10), j
        assert grouped[j] != pytest.approx(signature_scores(counts, called)[j])
    # a feature of one run only: one intercept, k - 1 degrees of freedom
    m = counts[:, 1] > 0
    f, load = counts[m, 1] / depth[m], (counts[m, 0] + 0.5) / depth[m]
    r1, r0 = np.log(f) - np.log(load), np.log(f)
    ratio = np.sum((r1 - r1.mean()) ** 2) / np.sum((r0 - r0.mean()) ** 2)
    assert grouped[1] == pytest.approx(stats.f.cdf(ratio, 5, 5), rel=1e-10)


def test_signature_score_with_blanks_by_hand():
    """``blanks``: the negative controls join the fit as samples do; the
    3-sample minimum counts the biological rows only."""
    counts = np.array(
        [
            [20, 2, 400],  # samples: a kit strain at a tenth of the load
            [60, 7, 400],
            [150, 14, 400],
            [300, 0, 400],
            [800, 75, 10],  # blanks: mostly reagent DNA
            [900, 0, 0],
        ],
        dtype=float,
    )
    called = np.array([True, False, False])
    blank = np.array([False] * 4 + [True] * 2)
    p = signature_scores(counts, called, blanks=blank)
    depth = counts.sum(axis=1)
    load = (counts[:, 0] + 0.5) / depth
    for j, rows in ((1, [0, 1, 2, 4]), (2, [0, 1, 2, 3, 4])):
        f = counts[rows, j] / depth[rows]
        r1, r0 = np.log(f) - np.log(load[rows]), np.log(f)
        ratio = np.sum((r1 - r1.mean()) ** 2) / np.sum((r0 - r0.mean()) ** 2)
        k = len(rows)
        assert p[j] == pytest.approx(stats.f.cdf(ratio, k - 1, k - 1), rel=1e-12)
    assert p[1] < 0.05 < p[2]
    # the blank at its load near 1 is what makes the kit strain clear
    assert p[1] < signature_scores(counts[:4], called)[1] / 10
    # without the flags every row counts as a sample: the same fit here
    np.testing.assert_allclose(signature_scores(counts, called)[1:], p[1:])
    # in two samples and a blank: three rows, but two samples, so no score
    two = counts.copy()
    two[2, 1] = 0
    assert np.isnan(signature_scores(two, called, blanks=blank)[1])
    assert not np.isnan(signature_scores(two, called)[1])


def test_signature_score_by_hand():
    """The kit-signature score: decontam's frequency F test with the DNA
    concentration replaced by 1 / the load of the called features."""
    # samples x features: a (called kit strain), b (another kit strain, 2L
    # exactly), c (a taxon at a steady share), d (present in one sample only)
    counts = np.array(
        [
            [1, 3, 30, 0, 65],
            [5, 11, 30, 0, 53],
            [11, 23, 30, 2, 33],
            [29, 59, 30, 0, 0],
        ],
        dtype=float,
    )
    called = np.array([True, False, False, False, False])
    p = signature_scores(counts, called)
    depth = counts.sum(axis=1)
    load = (counts[:, 0] + 0.5) / depth
    # b = 2 (a + 0.5): its proportion is exactly twice the load, RSS1 = 0
    assert p[1] == pytest.approx(0.0, abs=1e-30)
    # c by hand, as decontam's frequency score on ln f against ln(1 / load)
    f = counts[:, 2] / depth
    r1, r0 = np.log(f) - np.log(load), np.log(f)
    ratio = np.sum((r1 - r1.mean()) ** 2) / np.sum((r0 - r0.mean()) ** 2)
    assert p[2] == pytest.approx(stats.f.cdf(ratio, 3, 3), rel=1e-12)
    assert p[2] > 0.5  # a steady share does not follow the load
    assert np.isnan(p[3])  # present once: no test
    # present in two samples (one degree of freedom): no test either
    two = counts.copy()
    two[1, 3] = 1
    assert np.isnan(signature_scores(two, called)[3])
    assert not np.isnan(signature_scores(two, called, min_samples=2)[3])
    # a called feature is scored with its own reads left out of the load
    own = np.full(4, 0.5) / depth
    f = counts[:, 0] / depth
    r1, r0 = np.log(f) - np.log(own), np.log(f)
    ratio = np.sum((r1 - r1.mean()) ** 2) / np.sum((r0 - r0.mean()) ** 2)
    assert p[0] == pytest.approx(stats.f.cdf(ratio, 3, 3), rel=1e-12)
    # nothing called: no load, no score; an empty sample is left out
    assert np.isnan(signature_scores(counts, np.zeros(5, bool))).all()
    with_empty = np.vstack([counts, np.zeros(5)])
    np.testing.assert_array_equal(signature_scores(with_empty, called), p)
    # frequency_scores takes one concentration per sample and feature
    np.testing.assert_allclose(
        frequency_scores(counts / depth[:, None], np.tile(1 / load[:, None], 5)),
        frequency_scores(counts / depth[:, None], 1 / load),
    )


def test_signature_adds_nothing_by_chance_on_real_oral_data(muclite):
    """decontam's MUClite (569 oral samples, 30 blanks; high biomass): the
    kit-signature score fitted on the samples alone adds no feature to
    combined 0.1's 56 calls. Without its guards (3 or more samples, a blank
    holding it) it would add two features of two samples each, one of them in
    no blank. With the blanks in the fit (the default) it adds one, which R
    decontam's own prevalence method (threshold 0.1) calls."""
    from gutlung_pipeline.decontam.clean import _site_scores

    counts, samples = muclite
    neg = samples["is.neg"].astype(str).str.upper().eq("TRUE")

    def scores(groups=None, blanks=False):
        return _site_scores(
            counts,
            neg.astype(object),
            samples["quant_reading"],
            None,
            method="combined",
            threshold=0.1,
            batch_combine="minimum",
            signature=0.05,
            signature_groups=groups,
            signature_blanks=blanks,
        )

    # the blanks in the fit: one feature added, in 6 samples and 2 blanks,
    # which R's prevalence method calls
    prev = pd.read_csv(DECONTAM / "R_prev.tsv", sep="\t", index_col=0)
    for groups in (None, samples["PlateNumber"].astype(str)):
        with_blanks = scores(groups, blanks=True)
        assert (with_blanks["called_by"] == "method").sum() == 56
        added = list(with_blanks.index[with_blanks["called_by"] == "signature"])
        assert added == ["Seq588"]
        assert prev.loc["Seq588", "contaminant"]
        assert (counts.loc[~neg, "Seq588"] > 0).sum() == 6
        assert (counts.loc[neg, "Seq588"] > 0).sum() == 2

    res = scores()
    assert res["contaminant"].sum() == 56
    assert res["p_signature"].notna().sum() > 500  # scored, not skipped
    assert (res["called_by"] == "method").sum() == 56
    assert (res["called_by"] == "signature").sum() == 0
    # unguarded: the two chance fits
    called = res["called_by"].eq("method").to_numpy()
    raw = signature_scores(counts.loc[~neg].to_numpy(), called, min_samples=2)
    with np.errstate(divide="ignore"):
        p = stats.chi2.sf(-2 * np.log(raw * res["p_prev"].to_numpy()), 4)
    chance = res.index[(p < 0.05) & ~called]
    assert len(chance) == 2
    assert ((counts.loc[~neg, chance] > 0).sum(axis=0) == 2).all()
    assert (counts.loc[neg, chance] > 0).any(axis=0).sum() == 1
    # an intercept a plate (signature_by: PlateNumber, six plates): nothing
    # added either; one feature scores under 0.05 and no blank holds it
    by_plate = scores(samples["PlateNumber"].astype(str))
    assert (by_plate["called_by"] == "method").sum() == 56
    assert (by_plate["called_by"] == "signature").sum() == 0
    low = by_plate.index[(by_plate["p_signature"] < 0.05) & ~called]
    assert len(low) == 1 and not (counts.loc[neg, low] > 0).any().any()


def test_blank_enriched_on_real_oral_data(muclite):
    """decontam's MUClite (569 oral samples, 30 blanks, real): the guard
    against sample taxa leaked into the blanks holds back 2 of combined 0.1's
    56 calls and 4 of prevalence 0.1's 124. Comparing the blanks' mean share
    with the samples' only where the samples hold a feature (its share
    inflated where a rare feature is seen at all) would hold back 17 and 47:
    both sides are averaged where the feature is."""
    from gutlung_pipeline.decontam.clean import _mean_share, _site_scores

    counts, samples = muclite
    neg = samples["is.neg"].astype(str).str.upper().eq("TRUE")
    blanks, bio = counts.loc[neg].T, counts.loc[~neg].T
    fair = _mean_share(blanks) > _mean_share(bio)
    # the blanks averaged over all of them, feature present or not
    with_reads = blanks.loc[:, blanks.sum(axis=0) > 0]
    over_all = (with_reads / with_reads.sum(axis=0)).mean(axis=1)
    lopsided = over_all > _mean_share(bio)
    for method, n_calls, held, held_lopsided in (
        ("combined", 56, 2, 17),
        ("prevalence", 124, 4, 47),
    ):
        res = {}
        for name, enriched in (("fair", fair), ("lopsided", lopsided)):
            res[name] = _site_scores(
                counts,
                neg.astype(object),
                samples["quant_reading"],
                None,
                method=method,
                threshold=0.1,
                batch_combine="minimum",
                enriched=enriched.reindex(counts.columns).to_numpy(bool),
            )
        fair_res = res["fair"]
        assert fair_res["held_back"].sum() == held
        assert fair_res["contaminant"].sum() == n_calls - held
        assert res["lopsided"]["held_back"].sum() == held_lopsided
