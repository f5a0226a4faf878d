"""Community statistics: nlme and p.adjust references, planted effects, hand checks."""

import subprocess

import numpy as np
import pandas as pd
import pytest
from conftest import PEERS, REPO, needs_r
from skbio import DistanceMatrix
from skbio.diversity import beta_diversity

from gutlung_pipeline.report import summaries
from gutlung_pipeline.stats import (
    alpha_mixed_model,
    bh,
    design_problems,
    differential_abundance,
    paired_gut_lung,
    permanova_table,
    protest,
    select_samples,
)
from gutlung_pipeline.taxonomy import short_name

STATS = PEERS / "stats"
needs_nlme = needs_r("nlme")
PEER = REPO / "tests" / "data" / "vegan_peer"


def test_select_samples_lists_and_ranges():
    md = pd.DataFrame(
        {"site": ["gut", "lung", "gut", "gut"], "age": ["5", "40", "", "70"]},
        index=["a", "b", "c", "d"],
    )
    assert list(select_samples(md, {"site": ["gut"]}).index) == ["a", "c", "d"]
    assert list(select_samples(md, {"age": {"min": 10}}).index) == ["b", "d"]
    both = select_samples(md, {"site": ["gut"], "age": {"min": 1, "max": 60}})
    assert list(both.index) == ["a"]  # c has no age
    with pytest.raises(ValueError, match="no column 'nope'"):
        select_samples(md, {"nope": ["x"]})


def test_design_problems_name_the_sample_and_fix():
    md = pd.DataFrame(
        {
            "g": ["a", "a", "b", "c"],
            "s": ["x", "x", "y", "y"],
            "n": ["1", "2", "", "4"],
        },
        index=["s1", "s2", "s3", "s4"],
    )
    problems = design_problems(md, formula="g + missing", name="t")
    assert problems == [
        "t: column 'missing' is not in the sample sheet; add it or fix the "
        "analysis's formula"
    ]
    problems = design_problems(md, formula="g", name="t")
    assert "t: column 'g': group 'b' has a single sample (s3)" in problems[0]
    problems = design_problems(md, formula="n", name="t")
    assert "empty for 1 samples (first: s3)" in problems[0]
    md2 = md.assign(s=["x", "x", "y", "z"], g=["a", "a", "b", "b"])
    # lone samples in a stratum stay in place (vegan's how(blocks=))
    assert design_problems(md2, formula="g", strata="s", name="t") == []
    md3 = md2.assign(s=["w", "x", "y", "z"])
    problems = design_problems(md3, formula="g", strata="s", name="t")
    assert problems == [
        "t: strata 's': every stratum has a single sample (4 strata); nothing can "
        "be permuted (drop strata: or select samples that share strata with where:)"
    ]


def test_bh_matches_r_p_adjust():
    ref = pd.read_csv(STATS / "R_padjust.tsv", sep="\t")
    np.testing.assert_allclose(bh(ref["p"]), ref["BH"], rtol=1e-12)
    # by hand: p = (0.01, 0.04, 0.03): q = (0.03, 0.04, 0.04)
    np.testing.assert_allclose(bh([0.01, 0.04, 0.03]), [0.03, 0.04, 0.04])
    assert np.isnan(bh([np.nan, 0.5])[0])


def test_mixed_model_matches_nlme_orthodont():
    data = pd.read_csv(STATS / "orthodont.tsv", sep="\t")
    data.index = [f"o{i}" for i in range(len(data))]
    ref = pd.read_csv(STATS / "R_lme_orthodont_ri.tsv", sep="\t", index_col=0)
    var = pd.read_csv(STATS / "R_lme_orthodont_ri_varcomp.tsv", sep="\t", index_col=0)
    out = alpha_mixed_model(
        data[["distance"]],
        data.drop(columns="distance"),
        {
            "name": "orthodont",
            "formula": "age + C(Sex, Treatment('Male'))",
            "subject": "Subject",
            "metrics": ["distance"],
        },
    )
    # patsy puts the factor before age; R the formula's order
    out = out.iloc[[0, 2, 1]]
    assert list(out["term"]) == [
        "Intercept",
        "age",
        "C(Sex, Treatment('Male'))[T.Female]",
    ]
    np.testing.assert_allclose(out["estimate"], ref["Value"], rtol=1e-5)
    np.testing.assert_allclose(out["se"], ref["Std.Error"], rtol=1e-3)
    assert out["var_subject"].iloc[0] == pytest.approx(
        var.loc["(Intercept)", "variance"], rel=1e-3
    )
    assert out["var_residual"].iloc[0] == pytest.approx(
        var.loc["Residual", "variance"], rel=1e-3
    )
    assert out["converged"].all()
    assert (out["n"] == 108).all() and (out["n_subjects"] == 27).all()


@needs_nlme
def test_mixed_model_matches_nlme_live(tmp_path):
    """nlme::lme run now on the shipped peer table (bmi ~ visit + group)."""
    script = (
        "suppressPackageStartupMessages(library(nlme));"
        f"md <- read.delim('{PEER / 'metadata.tsv'}', stringsAsFactors = TRUE);"
        "f <- lme(bmi ~ visit + group, random = ~ 1 | subject, data = md, method = 'REML');"
        "x <- summary(f)$tTable;"
        f"write.table(x[, 1:2], '{tmp_path / 'fe.tsv'}', sep = '\\t', quote = FALSE);"
        "v <- as.numeric(VarCorr(f)[, 'Variance']);"
        f"writeLines(format(v, digits = 15), '{tmp_path / 'var.txt'}')"
    )
    subprocess.run(["Rscript", "-e", script], check=True, capture_output=True)
    md = pd.read_csv(PEER / "metadata.tsv", sep="\t", index_col=0)
    out = alpha_mixed_model(
        md[["bmi"]],
        md.drop(columns="bmi"),
        {
            "name": "peer",
            "formula": "visit + group",
            "subject": "subject",
            "metrics": ["bmi"],
        },
    )
    fe = pd.read_csv(tmp_path / "fe.tsv", sep="\t")
    np.testing.assert_allclose(out["estimate"], fe["Value"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out["se"], fe["Std.Error"], rtol=1e-3)
    var_subject, var_residual = map(float, (tmp_path / "var.txt").read_text().split())
    # a subject variance near 0 (boundary) is compared absolutely
    assert out["var_subject"].iloc[0] == pytest.approx(var_subject, rel=1e-3, abs=1e-4)
    assert out["var_residual"].iloc[0] == pytest.approx(var_residual, rel=1e-3)


def _planted_counts(seed=0, n_per=12, n_taxa=60, effect=3.0):
    """Two groups; taxa 0-2 (of median abundance) are `effect` times more
    abundant in group b."""
    rng = np.random.default_rng(seed)
    base = rng.gamma(1.0, 1.0, size=n_taxa) + 0.05
    base[:3] = np.median(base)
    cols, groups = [], []
    for g in ("a", "b"):
        for _ in range(n_per):
            p = base * rng.gamma(20, 1 / 20, size=n_taxa)
            if g == "b":
                p[:3] *= effect
            cols.append(rng.multinomial(5000, p / p.sum()))
            groups.append(g)
    ids = [f"{g}{k}" for g in ("a", "b") for k in range(n_per)]
    table = pd.DataFrame(
        np.array(cols).T, index=[f"t{i}" for i in range(n_taxa)], columns=ids
    )
    md = pd.DataFrame(
        {"grp": groups, "age": rng.normal(40, 10, size=len(ids)).round(1)}, index=ids
    )
    return table, md


def test_differential_abundance_recovers_planted_taxa():
    table, md = _planted_counts()
    out = differential_abundance(
        table,
        md,
        {
            "name": "t",
            "group": "grp",
            "reference": "a",
            "treatment": "b",
            "covariates": ["age"],
            "rank": "asv",
        },
        taxonomy=None,
        random_state=1,
    )
    for method in ("ANCOM-BC", "dirmult_ttest"):
        g = out.loc[(out["method"] == method) & (out["term"] == "grp[T.b]")]
        hits = set(g.loc[g["q"] < 0.05, "taxon"])
        assert {"t0", "t1", "t2"} <= hits, (method, hits)
        # ANCOM-BC's bias correction leaves a little compositional shift in
        # this low-noise toy (1 false hit of 57 measured); dirmult has none
        limit = 3 if method == "ANCOM-BC" else 1
        assert len(hits - {"t0", "t1", "t2"}) <= limit, (method, hits)
        # fold changes point the planted way; q is BH of p within the term
        assert (g.set_index("taxon").loc[["t0", "t1", "t2"], "log_fc"] > 0).all()
        np.testing.assert_allclose(g["q"], bh(g["p"]))
    assert set(out["adjustment"]) == {"Benjamini-Hochberg across taxa, per term"}
    assert "age" in set(out["term"])  # the covariate is estimated (ANCOM-BC)
    assert (out["n_reference"] == 12).all()


def test_differential_abundance_at_genus_names_literature_genera():
    table, md = _planted_counts()
    genera = ["Rothia", "Veillonella", "Blautia"] * 20
    tax = pd.Series(
        [f"d__Bacteria; p__X; c__X; o__X; f__X; g__{g}" for g in genera],
        index=table.index,
    )
    out = differential_abundance(
        table,
        md,
        {"name": "t", "group": "grp", "reference": "a", "treatment": "b"},
        taxonomy=tax,
        random_state=1,
    )
    assert set(out["genus"]) == {"Rothia", "Veillonella", "Blautia"}
    assert out.set_index("genus")["literature"].to_dict() == {
        "Rothia": True,
        "Veillonella": True,
        "Blautia": False,
    }
    with pytest.raises(ValueError, match="each needs at least 2"):
        differential_abundance(
            table,
            md.assign(grp=["a"] * 23 + ["b"]),
            {"name": "t", "group": "grp", "reference": "a", "treatment": "b"},
            taxonomy=tax,
            random_state=1,
        )


def test_short_name():
    assert short_name("d__Bacteria; p__Firmicutes; g__Rothia") == "Rothia"
    assert short_name("d__Bacteria; p__Firmicutes; g__") == "Firmicutes"
    assert short_name("abc123") == "abc123"


def test_protest_by_hand():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(10, 2))
    theta = 0.7
    rot = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    m2, r, p = protest(x, 3 * x @ rot + 5, permutations=199, random_state=1)
    assert m2 == pytest.approx(0.0, abs=1e-12)
    assert r == pytest.approx(1.0)
    assert p == pytest.approx(1 / 200)
    m2, r, p = protest(x, rng.normal(size=(10, 2)), permutations=199, random_state=1)
    assert p > 0.05


def _paired_cohort(n=8, shared=3, seed=0):
    rng = np.random.default_rng(seed)
    feats = [f"f{i}" for i in range(200)]
    cols, rows = {}, []
    for s in range(n):
        gut = rng.choice(100, size=25, replace=False)
        lung = list(rng.choice(np.arange(100, 200), size=10, replace=False))
        lung += list(gut[:shared])
        g = np.zeros(200, int)
        g[gut] = rng.integers(20, 200, size=25)
        lu = np.zeros(200, int)
        lu[lung] = rng.integers(5, 50, size=len(lung))
        cols[f"S{s}_gut"], cols[f"S{s}_lung"] = g, lu
        rows += [(f"S{s}_gut", f"S{s}", "gut"), (f"S{s}_lung", f"S{s}", "lung")]
    table = pd.DataFrame(cols, index=feats)
    md = pd.DataFrame(rows, columns=["sample_id", "subject_id", "body_site"]).set_index(
        "sample_id"
    )
    return table, md


def test_paired_gut_lung_detects_own_gut_sharing():
    table, md = _paired_cohort()
    dm = beta_diversity("braycurtis", table.T.to_numpy(), ids=list(table.columns))
    tests, per = paired_gut_lung(
        table,
        dm,
        md,
        subject="subject_id",
        site="body_site",
        gut="gut",
        lung="lung",
        metric="braycurtis",
        permutations=999,
        random_state=3,
    )
    shared = tests.iloc[0]
    assert shared["own"] == pytest.approx(3 / 13)
    assert shared["p"] < 0.01
    assert (per["shared_with_own_gut"] == 3).all()
    assert (per["read_share_own_gut"] > per["read_share_other_guts"]).all()
    # read share by hand for the first subject
    lung, gut = table["S0_lung"], table["S0_gut"]
    assert per.loc[0, "read_share_own_gut"] == pytest.approx(
        lung[gut > 0].sum() / lung.sum()
    )
    # no planted sharing: not significant
    table0, md0 = _paired_cohort(shared=0, seed=1)
    dm0 = beta_diversity("braycurtis", table0.T.to_numpy(), ids=list(table0.columns))
    tests0, _ = paired_gut_lung(
        table0,
        dm0,
        md0,
        subject="subject_id",
        site="body_site",
        gut="gut",
        lung="lung",
        metric="braycurtis",
        permutations=199,
        random_state=3,
    )
    assert tests0.iloc[0]["p"] > 0.05
    with pytest.raises(ValueError, match="at least 4"):
        paired_gut_lung(
            table,
            dm,
            md.iloc[:6],
            subject="subject_id",
            site="body_site",
            gut="gut",
            lung="lung",
            metric="braycurtis",
            permutations=9,
            random_state=3,
        )


def test_permanova_table_and_sentences():
    counts = pd.read_csv(PEER / "counts.tsv", sep="\t", index_col=0)
    md = pd.read_csv(PEER / "metadata.tsv", sep="\t", index_col=0)
    dm = beta_diversity("braycurtis", counts.to_numpy(), ids=list(counts.index))
    dm = DistanceMatrix(
        dm.data[2:, 2:], ids=list(counts.index)[2:]
    )  # two "below depth"
    analysis = {
        "name": "peer",
        "formula": "group",
        "plots": "subject",
        "dispersion": ["group"],
    }
    out = permanova_table(
        dm, md, analysis, metric="braycurtis", permutations=99, random_state=0
    )
    assert list(out["test"]) == [
        "PERMANOVA (adonis2, by=terms)",
        "PERMDISP (betadisper, centroid)",
        "PERMDISP (betadisper, median)",
    ]
    assert (out["n"] == 28).all() and (out["n_dropped"] == 2).all()
    text = summaries.permanova_sentences(out)
    assert text[0].startswith(
        "peer, braycurtis: PERMANOVA (adonis2, by=terms) of group: R² = "
    )
    assert (
        "whole subject permuted; n = 28; 2 below the rarefaction depth left out)."
        in text[0]
    )
    with pytest.raises(ValueError, match="group 'x' has a single sample"):
        permanova_table(
            dm,
            md.assign(group=["z", "z", "x"] + ["y"] * 27),
            {"name": "p", "formula": "group"},
            metric="braycurtis",
            permutations=9,
            random_state=0,
        )


def test_summaries_of_differential_and_models():
    da = pd.DataFrame(
        {
            "analysis": "t",
            "method": "ANCOM-BC",
            "term": ["g[T.b]", "g[T.b]", "age"],
            "genus": ["Rothia", "Blautia", "Rothia"],
            "log_fc": [1.2, -0.1, 0.01],
            "unit": "ln",
            "q": [0.001, 0.8, 0.01],
            "n_reference": 5,
            "n_treatment": 6,
            "comparison": "g: b vs a",
            "adjustment": "Benjamini-Hochberg across taxa, per term",
        }
    )
    (line,) = summaries.differential_sentences(da)
    assert line == (
        "t: ANCOM-BC, g[T.b] (g: b vs a; n = 6 vs 5; 2 taxa; Benjamini-Hochberg "
        "across taxa, per term): 1 taxa at q < 0.05: Rothia (log fold change +1.20 ln, "
        "q = 0.001)."
    )
    assert summaries.fmt_p(0.0004) == "p < 0.001"
    assert summaries.fmt_p(0.001, 999) == "p = 0.001"


def test_asv_level_is_named_by_its_lineage():
    table, md = _planted_counts()
    tax = pd.Series(
        [
            f"d__Bacteria; p__X; g__{'Rothia' if i < 3 else 'Blautia'}"
            for i in range(60)
        ],
        index=table.index,
    )
    out = differential_abundance(
        table,
        md,
        {
            "name": "t",
            "group": "grp",
            "reference": "a",
            "treatment": "b",
            "rank": "asv",
        },
        taxonomy=tax,
        random_state=1,
    )
    named = out.drop_duplicates("taxon").set_index("taxon")["genus"]
    assert named["t0"] == "Rothia" and named["t10"] == "Blautia"
    assert out.loc[out["taxon"] == "t0", "literature"].all()


def test_samples_left_empty_by_the_prevalence_filter_are_dropped():
    table, md = _planted_counts()
    table.loc[:, "a0"] = 0
    table.loc["only_a0"] = 0
    table.loc["only_a0", "a0"] = 7  # a taxon only a0 has: below min_prevalence
    out = differential_abundance(
        table,
        md,
        {
            "name": "t",
            "group": "grp",
            "reference": "a",
            "treatment": "b",
            "rank": "asv",
            "min_prevalence": 0.2,
        },
        taxonomy=None,
        random_state=1,
    )
    assert (out["n_reference"] == 11).all() and (out["n_without_reads"] == 1).all()
    assert "only_a0" not in set(out["taxon"])


def test_differential_trend_per_unit_of_a_numeric_term():
    """Without reference and treatment levels the group is a numeric term:
    ANCOM-BC's log fold change per unit recovers a planted ln 0.5 per GOLD
    stage of one genus against 11 flat ones, and equals scikit-bio's
    ancombc called directly."""
    from skbio.stats.composition import ancombc

    from gutlung_pipeline.stats import differential_abundance

    rng = np.random.default_rng(3)
    n = 120
    stage = rng.integers(1, 5, size=n)
    base = rng.lognormal(0, 0.3, size=(12, n)) * 50
    base[0] *= np.exp(0.5 * stage)
    counts = pd.DataFrame(
        rng.poisson(base),
        index=[f"g__G{k}" for k in range(12)],
        columns=[f"S{i}" for i in range(n)],
    )
    md = pd.DataFrame({"gold_stage": stage, "copd": "yes"}, index=counts.columns)
    out = differential_abundance(
        counts,
        md,
        {"name": "gold", "group": "gold_stage", "rank": "asv", "min_prevalence": 0.1},
        taxonomy=None,
        random_state=1,
    )
    assert set(out["method"]) == {"ANCOM-BC"}  # dirmult compares two groups only
    assert set(out["term"]) == {"gold_stage"}
    assert (out["unit"] == "ln per unit of gold_stage").all()
    assert out["comparison"].iloc[0] == "gold_stage: per unit (trend, 1 to 4)"
    top = out.set_index("taxon").loc["g__G0"]
    assert top["ci_low"] <= 0.5 <= top["ci_high"] and top["q"] < 1e-6
    assert (out.set_index("taxon").drop("g__G0")["q"] > 0.01).all()
    direct = ancombc(
        counts.T.astype(float) + 1, md[["gold_stage"]], "gold_stage", p_adjust=None
    ).result.reset_index()
    direct = direct[direct["Covariate"] == "gold_stage"].set_index("FeatureID")
    assert np.allclose(
        out.set_index("taxon")["log_fc"], direct.loc[out["taxon"], "Log(FC)"]
    )
    md["gold_stage"] = np.where(stage > 2, 2, 1)
    with pytest.raises(ValueError, match="at least 3 values"):
        differential_abundance(
            counts,
            md,
            {"name": "gold", "group": "gold_stage", "rank": "asv"},
            taxonomy=None,
            random_state=1,
        )


def test_permanova_command_takes_every_metric_in_one_process(tmp_path):
    """Several matrices in one gutlung permanova write what one call a matrix
    writes; counts that do not pair up are one line."""
    import json

    from gutlung_pipeline.cli import main

    rng = np.random.default_rng(3)
    ids = [f"S{i}" for i in range(12)]
    sheet = pd.DataFrame({"sample_id": ids, "group": ["a", "b"] * 6})
    sheet.to_csv(tmp_path / "s.tsv", sep="\t", index=False)
    paths = []
    for name in ("m1", "m2"):
        x = rng.random((12, 3)) + (np.arange(12) % 2)[:, None]
        d = np.sqrt(((x[:, None] - x[None]) ** 2).sum(axis=2))
        pd.DataFrame(d, index=ids, columns=ids).to_csv(
            tmp_path / f"{name}.tsv", sep="\t"
        )
        paths.append(str(tmp_path / f"{name}.tsv"))
    settings = json.dumps(
        {"permutations": 99, "permanova": [{"name": "g", "formula": "group"}]}
    )
    common = ["--metadata", str(tmp_path / "s.tsv"), "--settings", settings]
    both = [str(tmp_path / "b1.tsv"), str(tmp_path / "b2.tsv")]
    args = ["permanova", "--distance", *paths, *common, "--metric", "m1", "m2"]
    assert main([*args, "--seed", "5", "--output", *both]) == 0
    for path, name, out in zip(paths, ("m1", "m2"), both, strict=True):
        alone = tmp_path / f"alone_{name}.tsv"
        one = ["permanova", "--distance", path, *common, "--metric", name]
        assert main([*one, "--seed", "5", "--output", str(alone)]) == 0
        assert alone.read_bytes() == (tmp_path / out).read_bytes()
        assert name in (tmp_path / out).read_text()
    assert main([*args, "--seed", "5", "--output", both[0]]) == 1
