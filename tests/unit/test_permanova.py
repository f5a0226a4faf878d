"""adonis2 and betadisper: vegan's stored dune results, vegan run live, hand checks."""

import subprocess

import numpy as np
import pandas as pd
import pytest
from conftest import PEERS, REPO, needs_r
from skbio import DistanceMatrix
from skbio.diversity import beta_diversity
from skbio.stats.distance import permanova

from gutlung_pipeline.permanova import (
    _mapped,
    _plot_maps,
    adonis2,
    betadisper,
    formula_columns,
    gower,
    plot_members,
)

VEGAN = PEERS / "vegan"
needs_vegan = needs_r("vegan")
PEER = REPO / "tests" / "data" / "vegan_peer"
COLS = ["Df", "SumOfSqs", "R2", "F"]


def mc_tolerance(p: float, n_ours: int, n_ref: int) -> float:
    """Three standard errors of the difference of two Monte-Carlo p-values."""
    p = min(max(p, 1 / n_ref), 1 - 1 / n_ref)
    return 3 * np.sqrt(p * (1 - p) * (1 / n_ours + 1 / n_ref)) + 1 / n_ref


def check_against(ours: pd.DataFrame, ref: pd.DataFrame, n_ours: int, n_ref: int):
    assert list(ours.index) == list(ref.index)
    np.testing.assert_array_equal(ours["Df"], ref["Df"])
    for col in ["SumOfSqs", "R2", "F"]:
        np.testing.assert_allclose(ours[col], ref[col], rtol=1e-8, err_msg=col)
    for term in ref.index[ref["Pr(>F)"].notna()]:
        p_ref = ref.loc[term, "Pr(>F)"]
        assert abs(ours.loc[term, "Pr(>F)"] - p_ref) < mc_tolerance(
            p_ref, n_ours, n_ref
        ), (term, ours.loc[term, "Pr(>F)"], p_ref)


@pytest.fixture(scope="module")
def dune():
    d = pd.read_csv(VEGAN / "dune_bray.tsv", sep="\t", index_col=0)
    env = pd.read_csv(VEGAN / "dune_env.tsv", sep="\t", index_col=0)
    ids = [str(i) for i in d.index]
    env.index = [str(i) for i in env.index]
    return DistanceMatrix(d.to_numpy(), ids=ids), env


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("terms", {"formula": "Management + A1", "by": "terms"}),
        ("margin", {"formula": "Management + A1", "by": "margin"}),
        ("null", {"formula": "Management + A1", "by": None}),
        ("one", {"formula": "Management"}),
        ("strata", {"formula": "A1", "strata": "Management"}),
    ],
)
def test_adonis2_matches_vegan_dune(dune, name, kwargs):
    dm, env = dune
    ref = pd.read_csv(VEGAN / f"R_a_{name}.tsv", sep="\t", index_col=0)
    ours = adonis2(dm, env, permutations=9999, random_state=11, **kwargs)
    check_against(ours, ref, 9999, 999)


def test_single_factor_equals_skbio_permanova(dune):
    dm, env = dune
    ours = adonis2(dm, env, "Management", permutations=0)
    sk = permanova(dm, env["Management"], permutations=0)
    assert ours.loc["Management", "F"] == pytest.approx(sk["test statistic"], 1e-12)


@pytest.mark.parametrize(
    ("kind", "ref_file"),
    [
        ("median", "R_betadisper_anova.tsv"),
        ("centroid", "R_betadisper_centroid_anova.tsv"),
    ],
)
def test_betadisper_matches_vegan_dune(dune, kind, ref_file):
    dm, env = dune
    ref = pd.read_csv(VEGAN / ref_file, sep="\t", index_col=0)
    ours = betadisper(dm, env["Management"], kind=kind, permutations=0)
    # vegan finds the spatial median with R's BFGS optim (stops ~1e-6 away).
    rtol = 1e-8 if kind == "centroid" else 1e-5
    np.testing.assert_allclose(ours.anova["F value"].iloc[0], ref.iloc[0, 3], rtol=rtol)
    np.testing.assert_allclose(ours.anova["Sum Sq"], ref["Sum Sq"], rtol=rtol)
    np.testing.assert_allclose(ours.anova["Pr(>F)"].iloc[0], ref.iloc[0, 4], rtol=rtol)
    if kind == "median":
        dist = pd.read_csv(VEGAN / "R_betadisper_distances.tsv", sep="\t", index_col=0)
        np.testing.assert_allclose(
            ours.distances["distance"], dist["distance"], rtol=1e-5, atol=1e-6
        )


def test_betadisper_permutation_p_tracks_parametric(dune):
    dm, env = dune
    ours = betadisper(
        dm, env["Management"], kind="centroid", permutations=4999, random_state=3
    )
    # R: permutest(betadisper(d, Management, "centroid")) gives p ~ 0.03.
    assert 0.015 < ours.permutation_p < 0.05


def test_betadisper_permutations_at_once_count_what_one_at_a_time_counts(dune):
    """The permutations' F values, all in one array, against SciPy's one-way
    ANOVA of each permutation, one at a time."""
    from scipy.stats import f_oneway

    from gutlung_pipeline.permanova import EPS

    dm, env = dune
    groups = env["Management"]
    ours = betadisper(dm, groups, kind="median", permutations=499, random_state=11)
    z = ours.distances["distance"].to_numpy()
    levels = sorted(groups.astype(str).unique())
    codes = pd.Categorical(groups.astype(str), categories=levels).codes
    k, n = len(levels), len(z)
    counts = np.bincount(codes, minlength=k)

    def f_of(values):
        return f_oneway(*(values[codes == g] for g in range(k))).statistic

    f = f_of(z)
    np.testing.assert_allclose(ours.anova["F value"].iloc[0], f, rtol=1e-12)
    resid = z - (np.bincount(codes, weights=z, minlength=k) / counts)[codes]
    rng = np.random.default_rng(11)
    exceed = 0
    for _ in range(499):
        exceed += f_of(resid[rng.permutation(n)]) >= f - EPS
    assert 0 < exceed < 499  # the test can tell one count from another
    assert ours.permutation_p == (exceed + 1) / 500
    none = betadisper(dm, groups, kind="median", permutations=0)
    assert np.isnan(none.permutation_p)


def test_betadisper_stops_when_no_group_varies_in_dispersion():
    """Groups of two: each sample is as far from its group's centroid as the
    other, so F would be a division by zero (a bare ZeroDivisionError before);
    it stops naming the cause, and permanova_table names the analysis, the
    column, the metric and the fix."""
    from gutlung_pipeline.stats import permanova_table

    pts = np.array([[0.0, 0.0], [1.0, 0.2], [3.0, 3.0], [3.5, 2.0]])
    d = np.sqrt(((pts[:, None] - pts[None]) ** 2).sum(-1))
    ids = ["a1", "a2", "b1", "b2"]
    dm = DistanceMatrix(d, ids)
    groups = pd.Series(["a", "a", "b", "b"], index=ids)
    with pytest.raises(ValueError, match="dispersion test is undefined"):
        betadisper(dm, groups, kind="centroid", permutations=9)
    md = pd.DataFrame({"site": groups}, index=pd.Index(ids, name="sample_id"))
    analysis = {"name": "pairs", "formula": "site", "dispersion": ["site"]}
    with pytest.raises(ValueError) as err:
        permanova_table(
            dm, md, analysis, metric="braycurtis", permutations=9, random_state=0
        )
    assert str(err.value).startswith(
        "pairs: dispersion by 'site' (centroid, braycurtis): each group's samples"
    )
    assert str(err.value).endswith(
        "take 'site' out of stats.permanova (pairs)'s dispersion or give each "
        "group more samples"
    )


@needs_vegan
def test_vegan_live_peer(tmp_path):
    """Run vegan through Rscript on the shipped table and compare."""
    perms = 9999
    subprocess.run(
        [
            "Rscript",
            str(REPO / "tests" / "r" / "vegan_peer.R"),
            str(PEER),
            str(tmp_path),
            str(perms),
        ],
        check=True,
        capture_output=True,
    )
    counts = pd.read_csv(PEER / "counts.tsv", sep="\t", index_col=0)
    md = pd.read_csv(PEER / "metadata.tsv", sep="\t", index_col=0)
    dm = beta_diversity("braycurtis", counts.to_numpy(), ids=list(counts.index))
    r_bray = pd.read_csv(tmp_path / "bray.tsv", sep="\t", index_col=0)
    np.testing.assert_allclose(dm.data, r_bray.to_numpy(), rtol=1e-12, atol=1e-15)

    def ref(name):
        return pd.read_csv(tmp_path / f"{name}.tsv", sep="\t", index_col=0)

    runs = {
        "terms": adonis2(
            dm, md, "group + visit + bmi", permutations=perms, random_state=1
        ),
        "margin": adonis2(
            dm,
            md,
            "group * visit + bmi",
            by="margin",
            permutations=perms,
            random_state=2,
        ),
        "strata": adonis2(
            dm, md, "visit + bmi", strata="subject", permutations=perms, random_state=3
        ),
        "plots": adonis2(
            dm, md, "group", plots="subject", permutations=perms, random_state=4
        ),
    }
    for name, ours in runs.items():
        check_against(ours, ref(name), perms, perms)
    # whole-subject permutation is far more conservative than free (3e-4 in R)
    assert runs["plots"].loc["group", "Pr(>F)"] > 0.005
    for kind in ("median", "centroid"):
        r = ref(f"betadisper_{kind}").iloc[0]
        ours = betadisper(
            dm, md["group"], kind=kind, permutations=perms, random_state=5
        )
        # R's BFGS stops short of the exact spatial median (measured 4e-5 in F).
        rtol = 1e-8 if kind == "centroid" else 1e-4
        assert ours.anova["F value"].iloc[0] == pytest.approx(r["F"], rel=rtol)
        assert ours.anova["Pr(>F)"].iloc[0] == pytest.approx(r["p_param"], rel=rtol)
        assert abs(ours.permutation_p - r["p_perm"]) < mc_tolerance(
            r["p_perm"], perms, perms
        )
        r_dist = ref(f"betadisper_{kind}_distances")["distance"]
        np.testing.assert_allclose(
            ours.distances["distance"], r_dist, rtol=rtol, atol=1e-7
        )


def test_gower_by_hand():
    # three points on a line at 0, 1, 3: G is the centred inner-product matrix
    x = np.array([0.0, 1.0, 3.0])
    d = np.abs(x[:, None] - x[None, :])
    c = x - x.mean()
    np.testing.assert_allclose(gower(d), np.outer(c, c), atol=1e-12)


def test_euclidean_adonis_equals_anova_by_hand():
    """On Euclidean distances of one variable, adonis2 is the one-way ANOVA."""
    y = np.array([1.0, 2.0, 3.0, 6.0, 7.0, 8.0, 4.0, 5.0, 9.0])
    grp = ["a", "a", "a", "b", "b", "b", "c", "c", "c"]
    md = pd.DataFrame({"g": grp}, index=[f"s{i}" for i in range(9)])
    d = np.abs(y[:, None] - y[None, :])
    out = adonis2(d, md, "g", permutations=0)
    # group means 2, 7, 6; grand mean 5: SS_between = 3*(9+4+1) = 42
    assert out.loc["g", "SumOfSqs"] == pytest.approx(42.0)
    # within: (1+0+1) + (1+0+1) + (4+1+9) = 18
    assert out.loc["Residual", "SumOfSqs"] == pytest.approx(18.0)
    assert out.loc["g", "F"] == pytest.approx((42 / 2) / (18 / 6))
    assert out.loc["g", "R2"] == pytest.approx(42 / 60)


def test_strata_permutations_never_cross_strata():
    from gutlung_pipeline.permanova import permutation_indices

    strata = np.array(["a", "a", "b", "b", "b", "c"])
    perms = permutation_indices(6, 200, np.random.default_rng(0), strata=strata)
    assert (strata[perms] == strata[None, :]).all()
    assert len({tuple(p) for p in perms}) > 1


def test_plot_permutation_keeps_subjects_whole():
    md = pd.DataFrame(
        {
            "subject": ["A", "A", "B", "B", "B", "C"],
            "group": ["x", "x", "y", "y", "y", "x"],
            "visit": [1, 2, 1, 2, 3, 1],
        }
    )
    plots = md["subject"].to_numpy(dtype=object)
    rng = np.random.default_rng(1)
    seen = set()
    for _ in range(50):
        maps = _plot_maps(plot_members(plots), rng)
        out = _mapped(md[["group", "visit"]], ["group"], *maps)
        # between-subject values stay constant within each subject
        assert out.groupby(plots)["group"].nunique().max() == 1
        # within-subject values are a shuffle of the subject's own
        for s in ("A", "B", "C"):
            assert sorted(out.loc[plots == s, "visit"]) == sorted(
                md.loc[plots == s, "visit"]
            )
        seen.add(tuple(out["group"]))
    assert len(seen) > 1


def test_margin_tests_only_terms_no_interaction_contains():
    rng = np.random.default_rng(0)
    md = pd.DataFrame(
        {"a": list("xy") * 6, "b": list("ppqqrr") * 2, "c": rng.normal(size=12)},
        index=[f"s{i}" for i in range(12)],
    )
    d = beta_diversity("braycurtis", rng.poisson(5, size=(12, 8)) + 1)
    out = adonis2(d.data, md, "a * b + c", by="margin", permutations=9)
    assert list(out.index) == ["c", "a:b", "Residual", "Total"]


def test_formula_columns():
    assert formula_columns("d ~ group * visit + np.log(bmi) + C(site)") == [
        "group",
        "visit",
        "bmi",
        "site",
    ]


def test_errors_name_the_problem():
    md = pd.DataFrame({"g": ["a", "b", "b"]}, index=["s1", "s2", "s3"])
    d = np.array([[0, 1, 2], [1, 0, 1], [2, 1, 0]], dtype=float)
    with pytest.raises(ValueError, match="single sample: a"):
        betadisper(d, md["g"])
    with pytest.raises(ValueError, match="strata or plots"):
        adonis2(d, md, "g", strata="g", plots="g")
    with pytest.raises(ValueError, match="no residual degrees of freedom"):
        adonis2(d, md.assign(x=[1.0, 2.0, 4.0]), "g + x")


@pytest.mark.parametrize(
    "formula",
    [
        "group * visit + bmi",  # between x within interaction, numeric and text
        "np.log(bmi) + C(visit)",
        "standardize(bmi) + group",  # rescaled per table: the same span
        "bs(bmi, df=4) + group",  # knots from the whole column: patsy each time
    ],
)
def test_whole_subject_permutations_equal_patsy_built_each_time(formula, monkeypatch):
    """The design rows built once (donor x sample) give the same F* as patsy
    building every permuted metadata table; subjects of 1 to 4 samples."""
    import gutlung_pipeline.permanova as pm

    rng = np.random.default_rng(7)
    sizes = [1, 2, 3, 4, 2, 3, 1, 4, 2, 3]
    subject = np.repeat([f"s{i}" for i in range(len(sizes))], sizes)
    n = len(subject)
    md = pd.DataFrame(
        {
            "subject": subject,
            "group": np.repeat(rng.choice(["a", "b"], len(sizes)), sizes),
            "bmi": np.repeat(rng.uniform(18, 30, len(sizes)), sizes),
            "visit": np.concatenate([np.arange(1, k + 1) for k in sizes]),
        },
        index=[f"x{i}" for i in range(n)],
    )
    x = rng.random((n, 4))
    d = np.sqrt(((x[:, None] - x[None]) ** 2).sum(-1))
    args = dict(plots="subject", permutations=199, random_state=3)
    made = []
    real = pm.build_design
    monkeypatch.setattr(
        pm, "build_design", lambda *a, **k: made.append(1) or real(*a, **k)
    )
    fast = adonis2(d, md, formula, **args)
    built_fast = len(made)
    monkeypatch.setattr(pm, "MAX_COMBINATIONS", 0)
    slow = adonis2(d, md, formula, **args)
    pd.testing.assert_frame_equal(fast, slow, rtol=1e-10)
    # patsy ran a handful of times, not once per permutation, unless the
    # formula needs it
    if formula.startswith("bs("):
        assert built_fast > 199
    else:
        assert built_fast < 5
