"""Maturity index: known answers by hand, and QIIME 2's own ECAM results."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import PEERS

from gutlung_pipeline.cli import main
from gutlung_pipeline.io import read_metadata, read_table
from gutlung_pipeline.maturity import (
    Ensemble,
    SelectedForest,
    TrajectoryScore,
    clr,
    edge_note,
    maturity_index,
    maturity_index_qiime2,
    maz_scores,
    scored_samples,
)
from gutlung_pipeline.tables import collapse, relative_abundance

ECAM = PEERS / "ecam"


def test_maz_scores_known_answer_by_hand():
    pred = pd.Series({"r1": 2.0, "r2": 4.0, "r3": 6.0, "x": 7.0, "y": 4.0, "z": 10.0})
    state = pd.Series({"r1": 3, "r2": 3, "r3": 3, "x": 3, "y": 3, "z": 6, "r4": 6})
    ref = pd.Series(
        {
            "r1": True,
            "r2": True,
            "r3": True,
            "x": False,
            "y": False,
            "z": False,
            "r4": True,
        }
    )
    pred["r4"] = 9.0
    out = maz_scores(pred, state, ref)
    # bin 3: reference predictions 2, 4, 6 -> median 4, sd 2
    assert out.loc["x", "maturity"] == 3.0 and out.loc["x", "maz"] == 1.5
    assert out.loc["r1", "maz"] == -1.0
    assert out.loc["y", "maz"] == 0.0  # maturity 0 -> MAZ 0
    # bin 6: one reference sample -> sd NaN; its own MAZ is 0, others NaN
    assert out.loc["r4", "maz"] == 0.0
    assert np.isnan(out.loc["z", "maz"]) and out.loc["z", "maturity"] == 1.0


def test_maz_scores_names_bins_without_reference():
    pred = pd.Series({"a": 1.0, "b": 2.0})
    state = pd.Series({"a": 1, "b": 9})
    with pytest.raises(ValueError, match="age bins 9 have no reference sample"):
        maz_scores(pred, state, pd.Series({"a": True, "b": False}))


def test_qiime2_mode_checks_columns_and_reference():
    table = pd.DataFrame({"s1": [1, 0], "s2": [0, 3]}, index=["f1", "f2"])
    md = pd.DataFrame({"age": [1, 2], "grp": ["a", "a"]}, index=["s1", "s2"])
    with pytest.raises(ValueError, match="no column 'month'"):
        maturity_index_qiime2(
            table, md, state_column="month", group_by="grp", control="a"
        )
    with pytest.raises(ValueError, match="no sample has grp == 'b'"):
        maturity_index_qiime2(
            table, md, state_column="age", group_by="grp", control="b"
        )


@pytest.fixture(scope="module")
def ecam():
    return read_table(ECAM / "ecam-table-maturity.qza"), read_metadata(
        ECAM / "ecam_map_maturity.txt"
    )


def test_qiime2_mode_reproduces_qiime2_maz_on_ecam(ecam):
    table, metadata = ecam
    assert table.shape == (3117, 875)
    result = maturity_index_qiime2(
        table,
        metadata,
        state_column="month",
        group_by="delivery",
        control="Vaginal",
        n_estimators=2,
        random_state=123,
        n_jobs=1,
        test_size=0.4,
        stratify=True,
    )
    expected = pd.read_csv(ECAM / "maz.tsv", sep="\t", index_col=0)["month MAZ score"]
    assert len(result.training) == 315
    assert sorted(result.scores.index) == sorted(expected.index)
    np.testing.assert_allclose(
        result.scores["maz"].reindex(expected.index), expected, rtol=1e-9, atol=1e-12
    )
    assert result.importances.is_monotonic_decreasing
    assert result.importances.sum() == pytest.approx(1.0)


def test_maturity_cli_on_the_qza(tmp_path):
    out, imp = tmp_path / "maz.tsv", tmp_path / "imp.tsv"
    code = main(
        [
            "maturity",
            "--table",
            str(ECAM / "ecam-table-maturity.qza"),
            "--metadata",
            str(ECAM / "ecam_map_maturity.txt"),
            "--state-column",
            "month",
            "--settings",
            json.dumps(
                {
                    "mode": "qiime2",
                    "reference_column": "delivery",
                    "reference_value": "Vaginal",
                    "n_estimators": 2,
                }
            ),
            "--seed",
            "123",
            "--test-size",
            "0.4",
            "--stratify",
            "--output",
            str(out),
            "--importances",
            str(imp),
        ]
    )
    assert code == 0
    scores = pd.read_csv(out, sep="\t", index_col=0)
    assert list(scores.columns) == [
        "state",
        "prediction",
        "maturity",
        "maz",
        "reference",
    ]
    expected = pd.read_csv(ECAM / "maz.tsv", sep="\t", index_col=0)["month MAZ score"]
    np.testing.assert_allclose(
        scores["maz"].reindex(expected.index), expected, atol=1e-9
    )
    assert pd.read_csv(imp, sep="\t").columns.tolist() == ["feature_id", "importance"]


def test_read_metadata_skips_q2_directives(tmp_path):
    p = Path(tmp_path / "md.tsv")
    p.write_text("sample-id\tmonth\n#q2:types\tnumeric\n0012\t3\n")
    md = read_metadata(p)
    assert md.index.tolist() == ["0012"] and md.loc["0012", "month"] == 3


def synthetic(n_subjects=8, ages=(1, 2, 3, 4, 6, 8, 10, 12), seed=0):
    """Samples whose feature 'late' grows with age and 'early' shrinks."""
    rng = np.random.default_rng(seed)
    cols, rows = {}, []
    for k in range(n_subjects):
        for a in ages:
            sid = f"c{k}_m{a}"
            late = 10 + 40 * a + rng.integers(0, 20)
            cols[sid] = [
                late,
                600 - 40 * a + rng.integers(0, 20),
                rng.integers(50, 100),
            ]
            rows.append(
                {
                    "id": sid,
                    "age": a + 0.1 * rng.random(),
                    "bin": a,
                    "child": f"c{k}",
                    "grp": "ref" if k < 6 else "case",
                }
            )
    table = pd.DataFrame(cols, index=["late", "early", "noise"])
    return table, pd.DataFrame(rows).set_index("id")


def test_grouped_mode_on_synthetic_ages():
    table, md = synthetic()
    kw = dict(
        age_column="age",
        bin_column="bin",
        subject_column="child",
        reference=md["grp"] == "ref",
        method="forest",
        n_estimators=50,
        n_selected=2,
        n_folds=3,
        min_per_bin=3,
        random_state=0,
    )
    res = maturity_index(table, md, **kw)
    assert res.cv_spearman > 0.9
    s = res.scores
    assert set(s.index) == set(table.columns)
    # a subject's samples share one fold
    ref = s[s["reference"]]
    assert (ref.groupby(md.loc[ref.index, "child"])["fold"].nunique() == 1).all()
    assert s.loc[~s["reference"], "fold"].isna().all()
    # reference MAZ has median 0 in every bin by construction
    assert ref.groupby("state")["maz"].median().abs().max() < 1e-12
    assert list(res.importances.index[:1]) in (["late"], ["early"])
    assert len(res.importances) == 2  # nested selection kept two features
    again = maturity_index(table, md, **kw)
    pd.testing.assert_frame_equal(res.scores, again.scores)


def test_grouped_mode_input_errors_before_training():
    table, md = synthetic()
    ref = md["grp"] == "ref"
    kw = dict(
        age_column="age",
        bin_column="bin",
        subject_column="child",
        reference=ref,
        n_estimators=5,
        n_folds=3,
        min_per_bin=3,
    )
    bad = md.copy()
    bad.loc["c0_m1", "age"] = -1
    with pytest.raises(
        ValueError, match="reference samples c0_m1 have a missing or negative age"
    ):
        maturity_index(table, bad, **kw)
    with pytest.raises(
        ValueError, match=r"fewer than 6 reference samples: 1 \(6\)|fewer than 7"
    ):
        maturity_index(table, md, **{**kw, "min_per_bin": 7})
    with pytest.raises(ValueError, match="6 subjects, fewer than the 8 folds"):
        maturity_index(table, md, **{**kw, "n_folds": 8})
    bad = md.copy()
    bad.loc["c1_m2", "child"] = np.nan
    with pytest.raises(
        ValueError, match="column child: some reference samples have no subject"
    ):
        maturity_index(table, bad, **kw)
    few_ages = md.copy()
    few_ages["age"] = few_ages["bin"].clip(upper=4).astype(float)
    with pytest.raises(
        ValueError, match="the reference has 4 distinct ages; the relative"
    ):
        maturity_index(table, few_ages, **kw)
    lonely = md.copy()
    lonely.loc["c7_m12", "bin"] = 99
    with pytest.raises(
        ValueError, match=r"age bins with fewer than 3 reference samples: 99 \(0\)"
    ):
        maturity_index(table, lonely, **kw)


def test_relative_abundance_and_collapse_known_answers():
    table = pd.DataFrame({"s1": [1, 3, 4], "s2": [0, 0, 2]}, index=["a", "b", "c"])
    rel = relative_abundance(table)
    assert rel["s1"].tolist() == [0.125, 0.375, 0.5] and rel["s2"].tolist() == [0, 0, 1]
    with pytest.raises(ValueError, match="samples s3 have no reads"):
        relative_abundance(table.assign(s3=0))
    taxa = pd.Series(
        {
            "a": "d__Bacteria; p__F; c__C; o__O; f__Strep; g__Streptococcus",
            "b": "d__Bacteria; p__F; c__C; o__O; f__Strep; g__Streptococcus; s__mitis",
            "c": "d__Bacteria; p__F; c__C; o__O; f__Strep",
        }
    )
    out = collapse(table, taxa, rank="g")
    assert out.to_dict() == {
        "s1": {
            "d__Bacteria; p__F; c__C; o__O; f__Strep": 4,
            "d__Bacteria; p__F; c__C; o__O; f__Strep; g__Streptococcus": 4,
        },
        "s2": {
            "d__Bacteria; p__F; c__C; o__O; f__Strep": 2,
            "d__Bacteria; p__F; c__C; o__O; f__Strep; g__Streptococcus": 0,
        },
    }
    with pytest.raises(ValueError, match="rank must be one of"):
        collapse(table, taxa, rank="x")


def test_grouped_mode_on_ecam_predicts_age(ecam):
    table, metadata = ecam
    result = maturity_index(
        table,
        metadata,
        age_column="month_of_life",
        bin_column="month",
        subject_column="studyid",
        reference=metadata["delivery"] == "Vaginal",
        method="forest",
        n_estimators=100,
        random_state=1,
        n_jobs=2,
    )
    assert result.cv_spearman >= 0.8
    scores = result.scores
    ref = scores[scores["reference"]]
    assert ref.groupby(metadata.loc[ref.index, "studyid"])["fold"].nunique().max() == 1
    assert scores["relative_maturity"].notna().all()


def test_grouped_cli_and_missing_option(tmp_path, capsys):
    from gutlung_pipeline.io import write_table_tsv

    table, md = synthetic()
    write_table_tsv(table, tmp_path / "t.tsv")
    md.rename_axis("sample_id").to_csv(tmp_path / "md.tsv", sep="\t")
    settings = {
        "reference_column": "grp",
        "reference_value": "ref",
        "n_estimators": 20,
        "folds": 3,
        "min_per_bin": 3,
        "n_selected": 0,
    }
    args = [
        "maturity",
        "--table",
        str(tmp_path / "t.tsv"),
        "--metadata",
        str(tmp_path / "md.tsv"),
        "--state-column",
        "bin",
        "--output",
        str(tmp_path / "o.tsv"),
        "--importances",
        str(tmp_path / "i.tsv"),
    ]
    # the schema's default age column (age_days) is not in this metadata
    assert main([*args, "--settings", json.dumps(settings)]) == 1
    err = capsys.readouterr().err
    assert "md.tsv: metadata has no column 'age_days' (maturity.age_column)" in err
    # --settings is checked against the config schema: a wrong key or value
    # stops before any work, naming it
    with pytest.raises(SystemExit) as stop:
        main([*args, "--settings", json.dumps({**settings, "folds": 1})])
    assert stop.value.code == 2
    assert "maturity.folds" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([*args, "--settings", json.dumps({"age_colum": "age"})])
    assert "did you mean 'age_column'" in capsys.readouterr().err
    settings.update(age_column="age", subject_column="child")
    assert main([*args, "--settings", json.dumps(settings)]) == 0
    out = pd.read_csv(tmp_path / "o.tsv", sep="\t", index_col=0)
    assert list(out.columns) == [
        "age",
        "state",
        "prediction",
        "relative_maturity",
        "maturity",
        "maz",
        "reference",
        "fold",
    ]
    assert len(out) == table.shape[1]
    assert len(pd.read_csv(tmp_path / "i.tsv", sep="\t")) == 3  # n-selected 0 = all


@pytest.mark.parametrize("method", ["ensemble", "trajectory", "forest"])
def test_planted_maturity_offsets_are_recovered(reference, tmp_path, method):
    """On the simulator's infant series (genus level, as the default), MAZ at
    12 months ranks children by the maturity offset the simulator planted."""
    from conftest import FORWARD, REVERSE
    from scipy.stats import spearmanr

    from gutlung_pipeline.simulate import simulate_cohort

    sheet, truth = simulate_cohort(
        reference,
        tmp_path,
        forward=FORWARD,
        reverse=REVERSE,
        n_subjects=0,
        n_infants=40,
        reads_per_sample=1000,
        random_state=3,
    )
    table = truth.pivot_table(
        index="genus", columns="sample_id", values="reads", aggfunc="sum", fill_value=0
    )
    md = sheet.set_index("sample_id")
    healthy_half = md["subject_id"].str[1:].astype(int) % 2 == 0
    result = maturity_index(
        table,
        md,
        age_column="age_days",
        bin_column="age_days",
        subject_column="subject_id",
        reference=healthy_half,
        method=method,
        n_estimators=100,
        random_state=0,
    )
    assert result.cv_spearman >= 0.8
    at_year = result.scores[result.scores["state"] == 365]
    offset = truth.groupby("sample_id")["maturity_offset"].first()
    rho = spearmanr(at_year["maz"], offset.reindex(at_year.index)).statistic
    assert len(at_year) == 40 and rho >= 0.6, rho


def test_bin_ages_and_scored_samples():
    from gutlung_pipeline.maturity import bin_ages, scored_samples

    ages = pd.Series([0, 13, 14, 59.9, 60, 400, -1, np.nan], index=list("abcdefgh"))
    assert bin_ages(ages, [0, 14, 60, 100]).tolist()[:5] == [0, 0, 14, 14, 60]
    assert bin_ages(ages, [0, 14, 60, 100])[["f", "g", "h"]].isna().all()
    md = pd.DataFrame(
        {
            "age_days": [7, 30, 2000, None, 30],
            "body_site": ["gut", "gut", "gut", "gut", "lung"],
        },
        index=["s1", "s2", "s3", "s4", "s5"],
    )
    out = scored_samples(
        md, age_column="age_days", body_site="gut", max_age=1095, bin_edges=[0, 14, 60]
    )
    assert out.index.tolist() == ["s1", "s2"] and out["age_bin"].tolist() == [0, 14]
    with pytest.raises(ValueError, match="no sample of body site lung has an age"):
        scored_samples(md, age_column="age_days", body_site="lung", max_age=10)


def test_reference_from_a_separate_table(tmp_path, capsys):
    from gutlung_pipeline.io import write_table_tsv
    from gutlung_pipeline.maturity import join_reference

    table, md = synthetic()
    ref_ids = md.index[md["grp"] == "ref"]
    study_ids = md.index[md["grp"] != "ref"]
    joined, jmd, mask = join_reference(
        table[study_ids].drop(index="noise"),
        md.loc[study_ids],
        table[ref_ids],
        md.loc[ref_ids],
    )
    assert mask.sum() == len(ref_ids) and not mask[study_ids].any()
    assert joined.loc["noise", study_ids].eq(0).all()  # missing feature counts 0
    with pytest.raises(
        ValueError, match="sample IDs in both the study and the reference"
    ):
        join_reference(table, md, table, md)
    write_table_tsv(table[study_ids], tmp_path / "study.tsv")
    write_table_tsv(table[ref_ids], tmp_path / "ref.tsv")
    md.loc[study_ids].rename_axis("sample_id").to_csv(tmp_path / "md.tsv", sep="\t")
    md.loc[ref_ids].rename_axis("sample_id").to_csv(tmp_path / "rmd.tsv", sep="\t")
    code = main(
        [
            "maturity",
            "--table",
            str(tmp_path / "study.tsv"),
            "--metadata",
            str(tmp_path / "md.tsv"),
            "--reference-table",
            str(tmp_path / "ref.tsv"),
            "--reference-metadata",
            str(tmp_path / "rmd.tsv"),
            "--state-column",
            "bin",
            "--settings",
            json.dumps(
                {
                    "age_column": "age",
                    "subject_column": "child",
                    "folds": 3,
                    "min_per_bin": 3,
                    "n_estimators": 20,
                }
            ),
            "--output",
            str(tmp_path / "o.tsv"),
            "--importances",
            str(tmp_path / "i.tsv"),
        ]
    )
    assert code == 0, capsys.readouterr().err
    out = pd.read_csv(tmp_path / "o.tsv", sep="\t", index_col=0)
    assert (
        out.loc[ref_ids, "reference"].all()
        and not out.loc[study_ids, "reference"].any()
    )


def test_clr_known_answer():
    t = pd.DataFrame({"s1": [1.5, 0.5, 7.5], "s2": [0, 0, 0]}, index=list("abc"))
    out = clr(t)
    assert list(out.index) == ["s1", "s2"] and list(out.columns) == list("abc")
    # log(2), log(1), log(8) centred
    assert np.allclose(out.loc["s1"], np.log([2, 1, 8]) - np.log([2, 1, 8]).mean())
    assert np.allclose(out.loc["s2"], 0.0)


def test_trajectory_score_known_answer_by_hand():
    """Weighted averaging with inverse deshrinking, computed by hand:
    optima (0 + 0.5) / 1.5 = 1/3 and (0.5 + 2) / 1.5 = 5/3; raw scores 1/3, 1,
    5/3 fall on 1/3 + 2/3 y, so the deshrunk predictions are 0, 1, 2."""
    x = np.array([[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]])
    y = np.array([0.0, 1.0, 2.0])
    model = TrajectoryScore().fit(x, y)
    assert np.allclose(model.optima_, [1 / 3, 5 / 3])
    assert model.slope_ == pytest.approx(2 / 3) and model.intercept_ == pytest.approx(
        1 / 3
    )
    assert np.allclose(model.predict(x), y)
    # counts or proportions alike (rows are normalised), and a sample of
    # three quarters late taxon sits three quarters along
    assert model.predict(np.array([[2.0, 6.0]]))[0] == pytest.approx(1.5)
    # a feature unseen in training takes the training mean and no weight
    wide = TrajectoryScore().fit(np.c_[x, np.zeros(3)], y)
    assert wide.optima_[2] == pytest.approx(1.0)
    assert wide.feature_importances_[2] == 0
    # ... nor pulls a sample toward the training mean: scored on seen features
    late = np.array([[0.0, 0.5, 0.5]])  # half a feature never seen in training
    assert wide.predict(late)[0] == pytest.approx(2.0)
    assert wide.predict(np.array([[0.0, 0.0, 1.0]]))[0] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="does not rise with age"):
        TrajectoryScore().fit(x, y[::-1] * 0 + np.array([0.0, 1.0, 0.0]))


def test_ensemble_is_the_geometric_mean_of_its_parts():
    rng = np.random.default_rng(0)
    x = rng.dirichlet(np.ones(4), size=60)
    log_age = np.log(10 + 300 * x[:, 0] + rng.random(60))

    def forest():
        return SelectedForest(
            n_estimators=20,
            max_features=1 / 3,
            n_selected=None,
            random_state=0,
            n_jobs=1,
        )

    ens = Ensemble(forest(), TrajectoryScore()).fit(x, log_age)
    alone_f = forest().fit(x, np.exp(log_age))
    alone_t = TrajectoryScore().fit(x, log_age)
    expected = (np.log(alone_f.predict(x)) + alone_t.predict(x)) / 2
    assert np.allclose(ens.predict(x), expected)
    assert ens.feature_importances_.sum() == pytest.approx(1.0)


def test_trajectory_ranks_the_children_at_the_last_visit(reference):
    """COPSAC2010's design (1 week, 1 month, 1 year): the 1-year visit is the
    top of the reference. The forest's predictions pile up below the oldest
    reference age; the trajectory and the ensemble keep ranking the children
    by their planted maturity (benchmarks/bench_claims.py measures this over
    replicate cohorts; here one small cohort and a looser bound)."""
    from scipy.stats import spearmanr

    from gutlung_pipeline.simulate import reference_taxonomy, simulate_birth_cohort

    table, sheet, truth = simulate_birth_cohort(
        reference,
        study="c",
        n_infants=150,
        ages_days=(7, 30, 365),
        depth=2000,
        random_state=5,
    )
    taxa = reference_taxonomy(reference).set_index("Feature ID")["Taxon"]
    genus = collapse(table, taxa.reindex(table.index), rank="g")
    md = scored_samples(
        sheet.set_index("sample_id"),
        age_column="age_days",
        bin_edges=[0, 14, 60, 1095],
    )
    offset = truth.set_index("subject_id")["maturity_offset"]
    rho = {}
    for method in ("forest", "trajectory", "ensemble"):
        res = maturity_index(
            genus,
            md,
            age_column="age_days",
            bin_column="age_bin",
            subject_column="subject_id",
            reference=md["asthma"] == "no",
            method=method,
            n_estimators=100,
            min_per_bin=3,
            random_state=0,
        )
        last = res.scores[res.scores["state"] == 60]
        rho[method] = spearmanr(
            last["maz"], offset.reindex(md.loc[last.index, "subject_id"]).to_numpy()
        ).statistic
        by_bin = res.cv_by_bin.set_index("bin")
        assert list(by_bin.index) == [0, 14, 60]
        assert by_bin["n"].sum() == int((md["asthma"] == "no").sum())
        if method == "forest":
            # the forest cannot predict past the oldest reference age
            assert last["prediction"].max() <= md["age_days"].max()
    assert rho["trajectory"] > 0.45 and rho["trajectory"] > rho["forest"] + 0.1, rho
    assert rho["ensemble"] > rho["forest"], rho


def test_edge_note_names_the_ceiling():
    age = pd.Series([7, 30, 330, 400, 360], index=list("abcde"))
    state = pd.Series([0, 14, 180, 180, 180], index=list("abcde"))
    ref = pd.Series([True, True, True, True, False], index=list("abcde"))
    assert edge_note(90, age, state, ref) is None
    pred = pd.Series([8, 25, 390, 300, 395], index=list("abcde"))
    note = edge_note(365, age, state, ref, pred)
    assert "oldest reference sample 400 d" in note and "from 180 d" in note
    # 390 and 395 are within 5% of 400: two of the bin's three predictions
    assert "67% of that bin's predictions" in note


def test_clr_enet_recovers_a_log_linear_age_and_extrapolates():
    """When log age is linear in the CLR coordinates (one genus grows in
    proportion to age against three flat ones), the elastic net (penalty
    chosen by subject-grouped folds) recovers age, and beyond the oldest
    reference age as well: unlike a forest it extrapolates."""
    rng = np.random.default_rng(2)
    cols, rows = {}, []
    for k in range(30):
        for a in (7.0, 30.0, 90.0, 365.0):
            age = a * np.exp(rng.normal(0, 0.05))
            cols[f"s{k}_{int(a)}"] = [100 * age, 100.0, 100.0, 50.0]
            rows.append(
                {"id": f"s{k}_{int(a)}", "age": age, "bin": a, "child": f"c{k}"}
            )
    cols["old"] = [100 * 730.0, 100.0, 100.0, 50.0]  # older than any reference
    rows.append({"id": "old", "age": 730.0, "bin": 365.0, "child": "old"})
    table = pd.DataFrame(cols, index=["late", "early", "flat", "other"])
    md = pd.DataFrame(rows).set_index("id")
    res = maturity_index(
        table,
        md,
        age_column="age",
        bin_column="bin",
        subject_column="child",
        reference=md["child"] != "old",
        method="clr_enet",
        n_folds=3,
        min_per_bin=3,
        random_state=0,
    )
    ref = res.scores[res.scores["reference"]]
    assert np.allclose(ref["prediction"], ref["age"], rtol=0.05)
    assert res.scores.loc["old", "prediction"] == pytest.approx(730, rel=0.05)
    assert res.scores.loc["old", "prediction"] > ref["age"].max() * 1.5


def test_score_maturity_picks_samples_bins_and_reference_from_the_settings():
    """The workflow's step equals maturity_index on the samples, bins and
    reference the settings name; other body sites and older samples are left
    out; a missing column names its setting."""
    from gutlung_pipeline.maturity import bin_ages, maturity_index, score_maturity
    from gutlung_pipeline.schema import fill_defaults, load_schema

    table, md = synthetic()
    md = md.assign(body_site="gut", days=md["age"] * 30)
    md.loc[md.index[:3], "body_site"] = "lung"
    settings = fill_defaults(
        {
            "maturity": {
                "age_column": "days",
                "subject_column": "child",
                "reference_column": "grp",
                "reference_value": "ref",
                "max_age": 300,
                "bin_edges": [0, 60, 120, 200, 300],
                "n_estimators": 20,
                "folds": 3,
                "min_per_bin": 3,
                "rank": "asv",
            }
        },
        load_schema("config"),
    )["maturity"]
    result = score_maturity(table, md, settings, random_state=2)
    kept = md[(md["body_site"] == "gut") & (md["days"] <= 300)].copy()
    kept["age_bin"] = bin_ages(kept["days"], settings["bin_edges"])
    assert sorted(result.scores.index) == sorted(kept.index)
    direct = maturity_index(
        table[kept.index],
        kept,
        age_column="days",
        bin_column="age_bin",
        subject_column="child",
        reference=kept["grp"] == "ref",
        n_estimators=20,
        n_selected=50,
        n_folds=3,
        min_per_bin=3,
        random_state=2,
    )
    pd.testing.assert_frame_equal(result.scores, direct.scores)
    with pytest.raises(ValueError, match=r"'child_id' \(maturity.subject_column\)"):
        score_maturity(table, md, dict(settings, subject_column="child_id"))
