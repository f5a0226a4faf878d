"""The claims catalogue and its re-testing: schema checks, planted effects
recovered (verdict and CI), no-effect calibration, reasons for untestable
claims, Benjamini-Hochberg within families."""

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import needs_r

from gutlung_pipeline.claims import evaluate_claim, load_catalogue, run_claims
from gutlung_pipeline.claims.verdict import bh_within, verdict
from gutlung_pipeline.errors import ConfigError

PAPERS = {
    "Stokholm",
    "Depner",
    "Hoskinson",
    "Alcazar",
    "Arrieta",
    "Chiu",
    "Bowerman",
    "Woodall",
    "Dickson",
    "Thorsen",
}


@pytest.fixture(scope="module")
def catalogue():
    return {c["id"]: c for c in load_catalogue()}


def test_catalogue_has_every_paper_and_published_effects(catalogue):
    authors = {c["citation"].split()[0] for c in catalogue.values()}
    assert PAPERS <= authors
    depner = catalogue["depner2020_microbiome_age_asthma"]["published"]
    assert (depner["value"], depner["ci"]) == (0.72, [0.56, 0.93])
    woodall = catalogue["woodall2022_infection_shannon"]["published"]
    assert (woodall["value"], woodall["ci"]) == (-1.45, [-2.50, -0.15])
    assert (
        catalogue["stokholm2018_maturity_asthma"]["doi"] == "10.1038/s41467-017-02573-2"
    )
    assert all(c["needs"] is not None for c in catalogue.values())


def test_catalogue_errors_name_file_claim_and_key(tmp_path):
    from pathlib import Path

    source = Path(load_catalogue()[0]["source_file"])
    good = yaml.safe_load(source.read_text())["claims"][0]
    bad = [
        {**good, "model": "anova"},
        {**good, "id": good["id"], "exposure": {**good["exposure"], "colour": 1}},
        {k: v for k, v in good.items() if k != "modifier"} | {"id": "no_modifier"},
    ]
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({"claims": bad}))
    with pytest.raises(ConfigError) as err:
        load_catalogue([path])
    lines = err.value.problems
    assert any(
        f"{path} (claim {good['id']}): key claims.0.model: 'anova' is not allowed" in ln
        for ln in lines
    ), lines
    assert any("key claims.1.exposure.colour: unknown key" in ln for ln in lines)
    # schema-valid but inconsistent, and a duplicate ID
    ok = [good, {**good}, {k: v for k, v in good.items() if k != "modifier"}]
    ok[2] = ok[2] | {"id": "no_modifier"}
    path.write_text(yaml.safe_dump({"claims": ok}))
    with pytest.raises(ConfigError) as err:
        load_catalogue([path])
    assert any("the ID is also used in" in ln for ln in err.value.problems)
    assert any(
        "claim no_modifier: model logistic_interaction needs a modifier" in ln
        for ln in err.value.problems
    )


def infants(n, *, odds_ratio, seed, maternal_share=0.3):
    """Children sampled at 1 year with MAZ ~ N(0, 1): asthma odds rise by
    ``odds_ratio`` per SD lower MAZ in children of asthmatic mothers only."""
    rng = np.random.default_rng(seed)
    ids = [f"C{i:04d}_d0365" for i in range(n)]
    maternal = rng.random(n) < maternal_share
    maz = rng.normal(size=n)
    logit = np.log(0.25) - np.log(odds_ratio) * maz * maternal
    asthma = rng.random(n) < 1 / (1 + np.exp(-logit))
    sheet = pd.DataFrame(
        {
            "subject_id": [f"C{i:04d}" for i in range(n)],
            "body_site": "gut",
            "sample_type": "stool",
            "study": "sim",
            "age_days": 365,
            "asthma": np.where(asthma, "yes", "no"),
            "maternal_asthma": np.where(maternal, "yes", "no"),
        },
        index=pd.Index(ids, name="sample_id"),
    )
    maturity = pd.DataFrame({"maz": maz * 1.7 + 0.2}, index=sheet.index)
    return sheet, {"maturity": maturity}


def test_planted_maternal_interaction_is_found(catalogue):
    claim = catalogue["stokholm2018_maturity_asthma"]
    sheet, sources = infants(3000, odds_ratio=2.0, seed=1)
    est, _ = evaluate_claim(claim, sheet, sources, power_reps=10)
    assert est.ci_low <= 2.0 <= est.ci_high
    assert est.n == 3000 and est.detail["n_stratum"] == pytest.approx(900, abs=60)
    # no effect where the mother has no asthma
    lo, hi = est.detail["or_other_stratum_ci"]
    assert lo <= 1.0 <= hi
    out = run_claims([claim], sheet, sources, power_reps=10)
    assert out.loc[0, "verdict"] == "consistent"
    assert out.loc[0, "study"] == "sim"


def woodall_cohort(n, shift, seed):
    rng = np.random.default_rng(seed)
    infected = rng.random(n) < 0.3
    ids = [f"S{i:04d}" for i in range(n)]
    sheet = pd.DataFrame(
        {
            "subject_id": ids,
            "body_site": "gut",
            "sample_type": "stool",
            "study": "sim",
            "respiratory_infection": np.where(infected, "yes", "no"),
        },
        index=pd.Index(ids, name="sample_id"),
    )
    alpha = pd.DataFrame(
        {"shannon": rng.normal(4.0 + shift * infected, 1.2)}, index=sheet.index
    )
    return sheet, {"alpha": alpha}


def test_planted_shannon_drop_is_found_with_its_power(catalogue):
    claim = catalogue["woodall2022_infection_shannon"]
    sheet, sources = woodall_cohort(400, -1.45, seed=2)
    out = run_claims([claim], sheet, sources, power_reps=100)
    row = out.iloc[0]
    assert row["verdict"] == "consistent"
    assert row["ci_low"] <= -1.45 <= row["ci_high"]
    assert row["power"] > 0.99  # 120 vs 280 samples, SD 1.2: certain
    small = run_claims([claim], *woodall_cohort(12, -1.45, seed=3), power_reps=200)
    assert 0.2 < small.loc[0, "power"] < 0.95


def test_no_effect_is_rarely_called_consistent(catalogue):
    """Across seeds without a planted effect, 'consistent' (one-sided at
    q < 0.05) should come up about 2.5% of the time: 40 seeds, at most 4
    (P(X >= 5) = 0.02 at 2.5%)."""
    claims = [
        catalogue["stokholm2018_maturity_asthma"],
        catalogue["woodall2022_infection_shannon"],
    ]
    hits = {c["id"]: 0 for c in claims}
    for seed in range(40):
        sheet, sources = infants(400, odds_ratio=1.0, seed=100 + seed)
        w_sheet, w_sources = woodall_cohort(200, 0.0, seed=200 + seed)
        for claim, (s, src) in zip(
            claims, [(sheet, sources), (w_sheet, w_sources)], strict=True
        ):
            est, _ = evaluate_claim(claim, s, src, power_reps=10)
            v, _ = verdict(
                claim["expected"]["direction"], est.estimate, est.null, est.p, np.nan
            )
            hits[claim["id"]] += v == "consistent"
    assert all(n <= 4 for n in hits.values()), hits


def test_untestable_claims_say_why(catalogue):
    sheet, sources = infants(50, odds_ratio=1.0, seed=4)
    rows = run_claims(list(catalogue.values()), sheet, {}, power_reps=10)
    reasons = rows.set_index("claim_id")["reason"]
    assert (rows.set_index("claim_id")["verdict"] == "not testable").all()
    assert reasons["stokholm2018_maturity_asthma"] == (
        "maturity scores are not computed; set maturity.enabled"
    )
    assert reasons["dickson2016_bacteroides_lung_ards"] == (
        "needs column ards, which the sheet lacks"
    )
    assert reasons["woodall2022_infection_shannon"] == (
        "needs column respiratory_infection, which the sheet lacks"
    )
    assert "no upper_airway samples" in reasons["thorsen2019_airway_genera_asthma"]
    # too few events in the stratum
    few = sheet.assign(maternal_asthma="no")
    few.iloc[:3, few.columns.get_loc("maternal_asthma")] = "yes"
    row = run_claims([catalogue["stokholm2018_maturity_asthma"]], few, sources)
    assert "(maternal_asthma=yes) events" in row.loc[0, "reason"]


def test_one_sample_per_subject_nearest_the_target_age(catalogue):
    claim = catalogue["stokholm2018_maturity_asthma"]
    sheet, sources = infants(600, odds_ratio=2.0, seed=5)
    # a second, later sample per child, with scores pointing the other way
    late = sheet.copy()
    late.index = late.index.str.replace("d0365", "d0440")
    late["age_days"] = 440
    both = pd.concat([sheet, late])
    maturity = pd.concat(
        [sources["maturity"], -sources["maturity"].set_axis(late.index)]
    )
    est_one, _ = evaluate_claim(claim, sheet, sources, power_reps=10)
    est_two, _ = evaluate_claim(claim, both, {"maturity": maturity}, power_reps=10)
    assert est_two.n == 600 and est_two.estimate == pytest.approx(est_one.estimate)


def test_bh_within_families_and_verdicts():
    fam = pd.Series(["a", "a", "a", "b"])
    p = pd.Series([0.01, 0.04, 0.03, 0.04])
    q = bh_within(fam, p)
    np.testing.assert_allclose(q, [0.03, 0.04, 0.04, 0.04])
    assert verdict("increase", 1.5, 1.0, 0.01, np.nan)[0] == "consistent"
    assert verdict("increase", 0.7, 1.0, 0.01, np.nan)[0] == "contradicts"
    assert verdict("decrease", 0.7, 1.0, 0.2, 0.4)[0] == "inconclusive"
    assert verdict("none", 0.0, 0.0, 0.5, 0.9)[0] == "consistent"
    assert verdict("none", 0.0, 0.0, 0.5, 0.3)[0] == "inconclusive"
    assert verdict("none", 0.1, 0.0, 0.001, 0.3)[0] == "contradicts"
    assert verdict("differ", 0.1, 0.0, 0.001, np.nan)[0] == "consistent"


def test_several_studies_give_per_study_rows_and_a_meta_analysis(catalogue):
    claim = catalogue["woodall2022_infection_shannon"]
    parts = []
    for k, seed in enumerate((11, 12, 13)):
        sheet, src = woodall_cohort(150, -1.45, seed=seed)
        sheet = sheet.assign(study=f"s{k}").rename(index=lambda i, k=k: f"{i}_{k}")
        parts.append((sheet, src["alpha"].rename(index=lambda i, k=k: f"{i}_{k}")))
    sheet = pd.concat([p[0] for p in parts])
    alpha = pd.concat([p[1] for p in parts])
    out = run_claims([claim], sheet, {"alpha": alpha}, power_reps=10)
    assert list(out["study"]) == ["s0", "s1", "s2", "meta-analysis (3 studies)"]
    meta = out.iloc[3]
    from gutlung_pipeline.claims.meta import dersimonian_laird

    per = out.iloc[:3]
    se = (per["ci_high"] - per["ci_low"]) / (2 * 1.959963984540054)
    expect = dersimonian_laird(per["estimate"].to_numpy(), se.to_numpy())
    assert meta["estimate"] == pytest.approx(expect["estimate"])
    assert meta["ci_low"] <= -1.45 <= meta["ci_high"]
    assert meta["verdict"] == "consistent" and "I2" in meta["detail"]
    # one claim in its family: BH across the family's meta-analyses leaves p
    assert meta["q"] == pytest.approx(meta["p"])
    from gutlung_pipeline.report.summaries import claims_sentences

    sentence = claims_sentences(out)[3]
    assert sentence.startswith(
        "woodall2022_infection_shannon (meta-analysis (3 studies)): CONSISTENT: "
    )
    assert "random-effects pooled estimate, q = " in sentence
    assert "meta-analyses); n = 450" in sentence
    assert "covariates: none;" in sentence  # the pooled row says what was adjusted
    # the three studies agree: a published replicated association stays so
    assert set(out["grade"]) == {"replicated_association"}
    assert "consistent here in s0, s1, s2" in out["grade_basis"].iloc[0]


def test_planned_power_against_the_t_test_and_under_no_effect(catalogue, capsys):
    from statsmodels.stats.power import TTestIndPower

    from gutlung_pipeline.claims.power import planned_power
    from gutlung_pipeline.cli import main

    woodall = catalogue["woodall2022_infection_shannon"]
    res = planned_power(woodall, 100, effect=-0.5, group_share=0.5, sd=1.0, reps=1000)
    # Mann-Whitney's efficiency for normal data is 3/pi of the t test's
    t_power = TTestIndPower().power(
        0.5 * np.sqrt(3 / np.pi), nobs1=50, ratio=1.0, alpha=0.05
    )
    assert res["power"] == pytest.approx(t_power, abs=0.05)
    assert res["ci_low"] <= res["power"] <= res["ci_high"]
    null = planned_power(
        catalogue["depner2020_microbiome_age_asthma"], 200, effect=1.0, reps=400
    )
    assert null["power"] < 0.06  # two-sided 5%, one direction counted
    small, large = (
        planned_power(catalogue["depner2020_microbiome_age_asthma"], n, reps=200)[
            "power"
        ]
        for n in (50, 400)
    )
    assert small < large
    with pytest.raises(ValueError, match="publishes a direction only"):
        planned_power(catalogue["stokholm2018_maturity_asthma"], 100)
    assert (
        main(
            [
                "power",
                "--claim",
                "woodall2022_infection_shannon",
                "--n",
                "20",
                "--reps",
                "50",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out.splitlines()
    assert out[0].split("\t")[:4] == ["claim_id", "n", "effect", "power"]
    assert out[1].startswith("woodall2022_infection_shannon\t20\t-1.45\t")


def test_planted_onset_hazard_in_the_maternal_stratum(catalogue):
    """The Cox variant: follow-up from the 1-year sample, children of
    asthmatic mothers; with OR 3 per SD planted the hazard ratio is above 1."""
    claim = catalogue["stokholm2018_maturity_asthma_onset"]
    sheet, sources = infants(2000, odds_ratio=3.0, seed=21)
    rng = np.random.default_rng(22)
    sheet["asthma_age_days"] = np.where(
        sheet["asthma"] == "yes", rng.uniform(400, 1825, len(sheet)).round(), 1825
    )
    out = run_claims([claim], sheet, sources, power_reps=10)
    row = out.iloc[0]
    assert row["verdict"] == "consistent", row["reason"]
    assert row["ci_low"] > 1 and row["n"] == (sheet["maternal_asthma"] == "yes").sum()
    no_time = run_claims([claim], sheet.drop(columns="asthma_age_days"), sources)
    assert no_time.loc[0, "reason"] == (
        "needs column asthma_age_days, which the sheet lacks"
    )


def longitudinal_infants(n, *, shift, seed):
    """Two stool samples per child (7 and 30 days); Shannon rises with age,
    varies by child, and is ``shift`` lower in children with asthma."""
    rng = np.random.default_rng(seed)
    rows = []
    for k in range(n):
        asthma = rng.random() < 0.3
        child = rng.normal(0, 0.5)
        for age in (7, 30):
            rows.append(
                {
                    "sample_id": f"C{k:03d}_d{age:02d}",
                    "subject_id": f"C{k:03d}",
                    "body_site": "gut",
                    "age_days": age,
                    "asthma": "yes" if asthma else "no",
                    "shannon": 1.5
                    + 0.02 * age
                    + child
                    + shift * asthma
                    + rng.normal(0, 0.4),
                }
            )
    df = pd.DataFrame(rows).set_index("sample_id")
    return df.drop(columns="shannon"), {"alpha": df[["shannon"]]}


def test_mixed_model_claim_recovers_a_planted_difference(catalogue):
    claim = catalogue["abrahamsson2014_early_diversity_asthma"]
    sheet, src = longitudinal_infants(300, shift=-0.5, seed=3)
    est, power = evaluate_claim(claim, sheet, src, power_reps=10)
    assert est.n == 600 and est.detail["subjects"] == 300
    assert est.ci_low <= -0.5 <= est.ci_high and est.ci_high < 0
    assert np.isnan(power)  # direction only: no published effect to power for
    out = run_claims([claim], sheet, src, power_reps=10)
    assert out.loc[0, "verdict"] == "consistent"
    assert out.loc[0, "covariates"] == "age_days"
    # a single published association, consistent here: now replicated
    assert out.loc[0, "grade"] == "replicated_association"
    assert out.loc[0, "grade_basis"] == (
        "published: single association; consistent here in all; so replicated "
        "association (this run's data)"
    )
    # a sample older than the claim's window (45 days) is left out
    late = sheet.iloc[:2].set_axis(["late0", "late1"]).assign(age_days=91)
    est_late, _ = evaluate_claim(
        claim,
        pd.concat([sheet, late]),
        {
            "alpha": pd.concat(
                [src["alpha"], src["alpha"].iloc[:2].set_axis(late.index)]
            )
        },
        power_reps=10,
    )
    assert est_late.n == 600


@needs_r("nlme")
def test_mixed_claim_model_matches_nlme_live(tmp_path):
    import subprocess

    from gutlung_pipeline.claims import models

    sheet, src = longitudinal_infants(40, shift=-0.5, seed=4)
    d = sheet.assign(
        y=src["alpha"]["shannon"], g=(sheet["asthma"] == "yes").astype(float)
    )
    d.to_csv(tmp_path / "d.tsv", sep="\t")
    script = (
        "suppressPackageStartupMessages(library(nlme));"
        f"d <- read.delim('{tmp_path / 'd.tsv'}');"
        "f <- lme(y ~ g + age_days, random = ~ 1 | subject_id, data = d, method = 'REML');"
        f"write.table(summary(f)$tTable[, 1:2], '{tmp_path / 'fe.tsv'}', sep = '\\t', quote = FALSE)"
    )
    subprocess.run(["Rscript", "-e", script], check=True, capture_output=True)
    fe = pd.read_csv(tmp_path / "fe.tsv", sep="\t")
    est = models.mixed(
        d, value="y", group="g", subject="subject_id", covariates=["age_days"]
    )
    assert est.estimate == pytest.approx(fe.loc["g", "Value"], rel=1e-5)
    se = (est.ci_high - est.ci_low) / (2 * 1.959963984540054)
    assert se == pytest.approx(fe.loc["g", "Std.Error"], rel=1e-3)
    assert est.n == 80 and est.detail["subjects"] == 40


def test_spearman_claim_of_no_trend_and_its_power(catalogue):
    from scipy import stats

    claim = catalogue["chiu2021_gold_richness_trend"]
    rng = np.random.default_rng(6)
    n = 120
    sheet = pd.DataFrame(
        {
            "subject_id": [f"P{k}" for k in range(n)],
            "body_site": "gut",
            "copd": "yes",
            "gold_stage": rng.integers(1, 5, n),
        },
        index=[f"P{k}_gut" for k in range(n)],
    )
    alpha = pd.DataFrame({"observed_features": rng.normal(80, 15, n)}, sheet.index)
    est, power = evaluate_claim(claim, sheet, {"alpha": alpha}, power_reps=400)
    rho, p = stats.spearmanr(alpha["observed_features"], sheet["gold_stage"])
    assert est.estimate == pytest.approx(rho) and est.p == pytest.approx(p)
    assert est.ci_low < rho < est.ci_high
    # power to detect Spearman's rho = 0.3 at n = 120: Fisher z with the
    # Fieller SE sqrt(1.06 / (n - 3)), two-sided 5%
    z = np.arctanh(0.3) * np.sqrt((n - 3) / 1.06)
    assert power == pytest.approx(stats.norm.sf(1.959964 - z), abs=0.04)
    out = run_claims([claim], sheet, {"alpha": alpha}, power_reps=400)
    assert out.loc[0, "verdict"] == ("consistent" if p >= 0.05 else "contradicts")


def test_evidence_grade_moves_up_with_replication_here():
    from gutlung_pipeline.claims.run import grade_evidence

    claims = [
        {"id": "a", "evidence": "single_association"},
        {"id": "b", "evidence": "mechanism_only"},
        {"id": "c", "evidence": "mechanism_only"},
        {"id": "d", "evidence": "single_association"},
        {"id": "e", "evidence": "replicated_association"},
        {"id": "f", "evidence": "single_association"},
    ]
    meta = "meta-analysis (2 studies)"
    rows = [
        ("a", "s1", "consistent"),
        ("a", "s2", "inconclusive"),
        ("b", "s1", "inconclusive"),
        ("b", "s2", "inconclusive"),
        ("b", meta, "consistent"),
        ("c", "s1", "consistent"),
        ("c", "s2", "consistent"),
        ("c", meta, "consistent"),
        ("d", "s1", "contradicts"),
        ("d", "s2", "not testable"),
        ("e", "s1", "inconclusive"),
        ("f", "s1", "consistent"),
        ("f", "s2", "contradicts"),
    ]
    out = grade_evidence(
        pd.DataFrame(rows, columns=["claim_id", "study", "verdict"]), claims
    )
    grade = out.groupby("claim_id")["grade"].agg(set)
    assert grade.to_dict() == {
        "a": {"replicated_association"},
        "b": {"single_association"},
        "c": {"replicated_association"},
        "d": {"single_association"},
        "e": {"replicated_association"},
        "f": {"single_association"},
    }
    basis = out.groupby("claim_id")["grade_basis"].first()
    assert basis["b"] == (
        f"published: mechanism only; consistent here in {meta}; so single "
        "association (this run's data)"
    )
    assert basis["d"] == "published: single association; contradicted here in s1"
    assert basis["e"] == "published: replicated association; not settled here"
    # mixed evidence raises nothing
    assert basis["f"] == (
        "published: single association; consistent here in s1; contradicted here in s2"
    )


def test_named_genera_are_pooled_genus_by_genus(catalogue):
    """Each study's strongest genus differs; the meta-analysis pools each
    genus on its own (DerSimonian-Laird), then takes the strongest."""
    from gutlung_pipeline.claims.meta import dersimonian_laird
    from gutlung_pipeline.claims.run import _pool_genera

    claim = catalogue["alcazar2022_infant_genera_respiratory"]
    tested = pd.DataFrame(
        {
            "_genera": [
                {
                    "Roseburia": (-0.6, -1.0, -0.2, 0.003),
                    "Bifidobacterium": (0.1, -0.3, 0.5, 0.6),
                },
                {
                    "Roseburia": (-0.1, -0.5, 0.3, 0.6),
                    "Bifidobacterium": (0.5, 0.1, 0.9, 0.01),
                },
                None,
            ]
        }
    )
    res = _pool_genera(tested, claim)
    z = 1.959963984540054
    for genus, ests in {
        "Roseburia": (-0.6, -0.1),
        "Bifidobacterium": (0.1, 0.5),
    }.items():
        ref = dersimonian_laird(np.array(ests), np.array([0.4 / z, 0.4 / z]))
        assert f"{genus}: ({ref['estimate']:.4g}, " in res["extra"]
    rose = dersimonian_laird(np.array([-0.6, -0.1]), np.array([0.4 / z, 0.4 / z]))
    bifi = dersimonian_laird(np.array([0.1, 0.5]), np.array([0.4 / z, 0.4 / z]))
    best = rose if rose["p"] < bifi["p"] else bifi
    assert res["estimate"] == pytest.approx(best["estimate"])
    assert res["p"] == pytest.approx(min(1.0, 2 * best["p"]))
    assert res["k"] == 2 and "pooled genus by genus" in res["scale"]


def test_planned_power_for_spearman_and_mixed_model_claims(catalogue):
    from scipy import stats

    from gutlung_pipeline.claims.power import planned_power

    trend = planned_power(
        catalogue["chiu2021_gold_richness_trend"], 100, effect=0.3, reps=600
    )
    z = np.arctanh(0.3) * np.sqrt((100 - 3) / 1.06)
    assert trend["power"] == pytest.approx(stats.norm.sf(1.959964 - z), abs=0.05)
    # 100 children, 2 samples each, 30% with asthma, ICC 0.5, SD 1: the
    # subject means have variance 0.5 + 0.5 / 2
    mixed = planned_power(
        catalogue["abrahamsson2014_early_diversity_asthma"],
        100,
        effect=-0.3,
        reps=150,
        random_state=3,
    )
    se = np.sqrt(0.75 * (1 / 30 + 1 / 70))
    assert mixed["power"] == pytest.approx(stats.norm.sf(1.959964 - 0.3 / se), abs=0.1)
    assert mixed["ci_low"] <= mixed["power"] <= mixed["ci_high"]
    with pytest.raises(ValueError, match="publishes a direction only"):
        planned_power(catalogue["abrahamsson2014_early_diversity_asthma"], 100)


def test_rank_normal_scale_known_answer():
    """per_sd_rank: Blom's (r - 3/8) / (n + 1/4) through the normal quantile,
    scaled to SD 1; any monotone transform (a skewed MAZ) gives the same."""
    from scipy.stats import norm

    from gutlung_pipeline.claims.run import _scale

    x = pd.Series([10.0, 1.0, 5.0, 1000.0])
    z = norm.ppf((np.array([3, 1, 2, 4]) - 0.375) / 4.25)
    got = _scale(x, "per_sd_rank")
    assert np.allclose(got, z / z.std(ddof=1))
    assert got.std(ddof=1) == pytest.approx(1.0)
    assert np.allclose(_scale(np.log(x), "per_sd_rank"), got)
    # ties share their average rank
    tied = _scale(pd.Series([1.0, 1.0, 2.0]), "per_sd_rank")
    assert tied.iloc[0] == tied.iloc[1] < tied.iloc[2]


def test_a_skewed_maturity_score_keeps_the_planted_odds_ratio(catalogue):
    """MAZ at the last visit is skewed (minimum -6 to -14 SD): on the
    rank-normal scale the planted OR per SD of the latent is still found, and
    the sentence gives the maternal stratum's n and events first."""
    from gutlung_pipeline.report.summaries import claims_sentences

    claim = catalogue["stokholm2018_maturity_asthma"]
    sheet, sources = infants(3000, odds_ratio=2.0, seed=4)
    latent = (sources["maturity"]["maz"] - 0.2) / 1.7
    skewed = -np.exp(-1.5 * latent)  # monotone, long lower tail
    assert skewed.min() < skewed.mean() - 6 * skewed.std()
    est, _ = evaluate_claim(claim, sheet, {"maturity": skewed.to_frame("maz")})
    assert est.ci_low <= 2.0 <= est.ci_high
    out = run_claims([claim], sheet, {"maturity": skewed.to_frame("maz")})
    row = out.iloc[0]
    assert row["stratum"] == "maternal_asthma = yes"
    assert row["n_stratum"] == est.detail["n_stratum"]
    assert row["n_events_stratum"] == est.detail["n_events_stratum"]
    assert "rank-normal scale" in row["scale"]
    sentence = claims_sentences(out)[0]
    assert (
        f"n = {int(row['n_stratum'])} in the stratum maternal_asthma = yes, "
        f"{int(row['n_events_stratum'])} with the outcome (of n = 3000, "
        f"{int(row['n_events'])} with the outcome)"
    ) in sentence


def test_maturity_claims_warn_at_the_edge_of_the_reference(catalogue):
    """A claim's target age in the oldest reference bin: the reason says so,
    with the oldest reference age and the share of predictions near it."""
    claim = catalogue["stokholm2018_maturity_asthma"]
    sheet, sources = infants(600, odds_ratio=2.0, seed=2)
    m = sources["maturity"]
    scores = m.assign(
        age=365.0,
        state=180.0,
        reference=sheet["asthma"] == "no",
        prediction=np.linspace(300, 400, len(m)),
    )
    out = run_claims([claim], sheet, {"maturity": scores})
    assert (
        "caution: target age 365 d is in the oldest reference age bin"
        in (out.loc[0, "reason"])
    )
    assert "oldest reference sample 365 d" in out.loc[0, "reason"]
    inner = scores.assign(state=np.where(np.arange(len(m)) % 2, 180.0, 545.0))
    out = run_claims([claim], sheet, {"maturity": inner})
    assert "caution" not in out.loc[0, "reason"]


def butyrate_infants(n, *, odds_ratio, seed):
    """Children at 1 year with a butyrate-producer log-ratio ~ N(1, 2) and asthma
    whose odds change by ``odds_ratio`` per SD of it (base risk 25%)."""
    rng = np.random.default_rng(seed)
    balance = rng.normal(1.0, 2.0, n)
    z = (balance - 1.0) / 2.0
    logit = np.log(0.25 / 0.75) + np.log(odds_ratio) * z
    asthma = rng.random(n) < 1 / (1 + np.exp(-logit))
    ids = [f"C{i:04d}" for i in range(n)]
    sheet = pd.DataFrame(
        {
            "subject_id": ids,
            "body_site": "gut",
            "sample_type": "stool",
            "study": "sim",
            "age_days": rng.integers(330, 400, n),
            "asthma": np.where(asthma, "yes", "no"),
        },
        index=pd.Index(ids, name="sample_id"),
    )
    scfa = pd.DataFrame(
        {"butyrate_log_ratio": balance, "butyrate_share": rng.random(n)},
        index=sheet.index,
    )
    return sheet, {"scfa": scfa}


def test_depner_butyrate_claim_per_sd_against_statsmodels(catalogue):
    """OR 0.38 per SD planted: the claim finds it, its estimate is statsmodels'
    logistic fit on the standardised log-ratio, and the unit is stated."""
    import statsmodels.api as sm

    claim = catalogue["depner2020_butyrate_taxa_asthma"]
    assert claim["published"]["value"] == 0.38
    assert claim["published"]["ci"] == [0.17, 0.84]
    sheet, sources = butyrate_infants(600, odds_ratio=0.38, seed=5)
    out = run_claims([claim], sheet, sources, power_reps=100)
    row = out.iloc[0]
    x = sources["scfa"]["butyrate_log_ratio"]
    z = (x - x.mean()) / x.std(ddof=1)
    fit = sm.Logit(
        (sheet["asthma"] == "yes").astype(float), sm.add_constant(z.to_numpy())
    ).fit(disp=0)
    assert row["estimate"] == pytest.approx(np.exp(fit.params.iloc[1]), rel=1e-6)
    assert row["verdict"] == "consistent"
    assert row["ci_low"] <= 0.38 <= row["ci_high"]
    assert row["power"] > 0.95
    assert "1 SD higher butyrate-producer log-ratio" in row["scale"]
    assert "per SD here" in row["published"]
    assert row["link"] == "producers_disease"
    # without the indices the claim says what to switch on
    out = run_claims([claim], sheet, {}, power_reps=10)
    assert out.loc[0, "verdict"] == "not testable"
    assert out.loc[0, "reason"] == (
        "the SCFA-producer indices are not computed; set scfa.enabled"
    )


def test_producer_claims_in_adults_and_along_infant_age(catalogue):
    """COPD: a planted lower balance is consistent (Hodges-Lehmann shift, as
    scipy's Mann-Whitney orders the groups); adult asthma without an effect is
    not; the infant share's Spearman rho with age is scipy's."""
    from scipy import stats

    rng = np.random.default_rng(11)
    n = 80
    ids = [f"A{i:03d}" for i in range(n)]
    copd = np.arange(n) % 3 == 0
    asthma = np.arange(n) % 4 == 1
    sheet = pd.DataFrame(
        {
            "subject_id": ids,
            "body_site": "gut",
            "study": "sim",
            "age_days": 20000,
            "copd": np.where(copd, "yes", "no"),
            "asthma": np.where(asthma, "yes", "no"),
        },
        index=pd.Index(ids, name="sample_id"),
    )
    balance = rng.normal(0.0, 1.0, n) - 1.5 * copd
    sources = {"scfa": pd.DataFrame({"butyrate_log_ratio": balance}, index=sheet.index)}
    claims = [
        catalogue["li2021_copd_butyrate_producers"],
        catalogue["wang2018_adult_asthma_butyrate_producers"],
    ]
    out = run_claims(claims, sheet, sources, power_reps=10).set_index("claim_id")
    li = out.loc["li2021_copd_butyrate_producers"]
    assert li["verdict"] == "consistent" and li["estimate"] < -1
    p = stats.mannwhitneyu(balance[copd], balance[~copd]).pvalue
    assert li["p"] == pytest.approx(p, rel=1e-6)
    wang = out.loc["wang2018_adult_asthma_butyrate_producers"]
    assert wang["n"] == (~copd).sum()  # COPD patients left out
    assert wang["verdict"] in ("inconclusive", "contradicts")

    ages = np.repeat([7, 30, 91, 182, 365, 730], 10)
    kids = [f"K{i:03d}" for i in range(len(ages))]
    share = np.clip(ages / 1000 + rng.normal(0, 0.1, len(ages)), 0, 1)
    infants = pd.DataFrame(
        {"subject_id": kids, "body_site": "gut", "study": "sim", "age_days": ages},
        index=pd.Index(kids, name="sample_id"),
    )
    claim = catalogue["backhed2015_butyrate_producers_rise_with_age"]
    out = run_claims(
        [claim],
        infants,
        {"scfa": pd.DataFrame({"butyrate_share": share}, index=infants.index)},
        power_reps=10,
    )
    rho = stats.spearmanr(share, ages)[0]
    assert out.loc[0, "estimate"] == pytest.approx(rho, rel=1e-9)
    assert out.loc[0, "verdict"] == "consistent"


def test_permanova_claim_reads_the_matrix_without_scikit_bio(catalogue, tmp_path):
    """The beta claim (Chiu 2021, GOLD 3+4 against 1+2) gives the same R2 and p
    from the matrix as `gutlung claims` reads it (no scikit-bio) as from
    scikit-bio's DistanceMatrix, and that R2 is adonis2's on the same samples."""
    from skbio import DistanceMatrix

    from gutlung_pipeline.io import read_distance_matrix
    from gutlung_pipeline.permanova import adonis2

    rng = np.random.default_rng(8)
    n = 40
    ids = [f"S{k:02d}" for k in range(n)]
    stage = np.tile([1, 2, 3, 4], n // 4)
    sheet = pd.DataFrame(
        {
            "subject_id": [f"P{k:02d}" for k in range(n)],
            "body_site": "gut",
            "copd": ["yes"] * (n - 4) + ["no"] * 4,
            "gold_stage": stage,
        },
        index=pd.Index(ids, name="sample_id"),
    )
    # severe samples shifted on the first axis: a planted difference
    x = rng.normal(size=(n, 3)) + np.outer(stage >= 3, [1.5, 0, 0])
    d = np.sqrt(((x[:, None, :] - x[None, :, :]) ** 2).sum(axis=2))
    DistanceMatrix(d, ids=ids).write(tmp_path / "braycurtis.tsv")
    claim = catalogue["chiu2021_gold_beta"]
    ours, _ = evaluate_claim(
        claim,
        sheet,
        {"beta": {"braycurtis": read_distance_matrix(tmp_path / "braycurtis.tsv")}},
        power_reps=10,
    )
    theirs, _ = evaluate_claim(
        claim,
        sheet,
        {"beta": {"braycurtis": DistanceMatrix.read(tmp_path / "braycurtis.tsv")}},
        power_reps=10,
    )
    assert (ours.n, ours.estimate, ours.p) == (theirs.n, theirs.estimate, theirs.p)
    copd = sheet.loc[sheet["copd"] == "yes"]
    grp = pd.DataFrame(
        {"grp": np.where(copd["gold_stage"] >= 3, "yes", "no")}, index=copd.index
    )
    direct = adonis2(
        DistanceMatrix.read(tmp_path / "braycurtis.tsv").filter(list(copd.index)),
        grp,
        "grp",
        permutations=9,
    )
    assert ours.n == n - 4
    assert ours.estimate == pytest.approx(direct.loc["grp", "R2"])
    assert ours.p < 0.01
