"""Maturity index: known answers by hand, and QIIME 2's own ECAM results."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import REPO

from gutlung_pipeline.cli import main
from gutlung_pipeline.io import read_metadata, read_table
from gutlung_pipeline.maturity import maturity_index_qiime2, maz_scores

ECAM = REPO.parent / "shared" / "reference" / "ecam"
needs_ecam = pytest.mark.skipif(
    not (ECAM / "maz.tsv").exists(),
    reason="../shared/reference/ecam (QIIME 2's ECAM test data) is not beside the repo",
)


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


@needs_ecam
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


@needs_ecam
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
            "--group-by",
            "delivery",
            "--control",
            "Vaginal",
            "--n-estimators",
            "2",
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
