"""Several studies in one run: the genus merge (known answers by hand), the
stacked per-study tables, and the checks made before any job."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml
from conftest import REFERENCE, REPO

from gutlung_pipeline.config import load_studies, validate_config
from gutlung_pipeline.errors import ConfigError
from gutlung_pipeline.inputs.studies import (
    combine_tables,
    combined_sheet,
    stack_tables,
)

SCHEMA_DIR = REPO / "workflow" / "schemas"
BACT = "d__Bacteria; p__Firmicutes; c__Clostridia; o__Clostridiales"
LACHNO = f"{BACT}; f__Lachnospiraceae"
ROSE = f"{LACHNO}; g__Roseburia"
BLAUT = f"{LACHNO}; g__Blautia"
BACTER = "d__Bacteria; p__Bacteroidetes; c__Bacteroidia; o__Bacteroidales"


def _table(rows: dict[str, list[int]], samples: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, index=samples).T


def test_combine_tables_sums_each_study_at_genus_and_joins_on_the_lineage():
    # study A: V4 ASVs; two Roseburia ASVs, one Lachnospiraceae ASV unassigned
    # at genus, one Blautia with a species; study B: other ASVs (another
    # region), Roseburia and a Bacteroides only B has
    a = _table({"a1": [5, 0], "a2": [3, 2], "a3": [1, 1], "a4": [0, 7]}, ["A1", "A2"])
    ta = pd.Series(
        {
            "a1": ROSE,
            "a2": f"{ROSE}; s__inulinivorans",
            "a3": LACHNO,
            "a4": f"{BLAUT}; s__obeum",
        }
    )
    b = _table({"b1": [4, 0, 2], "b2": [0, 6, 1]}, ["B1", "B2", "B3"])
    tb = pd.Series({"b1": ROSE, "b2": f"{BACTER}; f__Bacteroidaceae; g__Bacteroides"})
    table, taxonomy, summary = combine_tables({"A": a, "B": b}, {"A": ta, "B": tb})

    assert list(table.columns) == ["A1", "A2", "B1", "B2", "B3"]
    assert table.loc[ROSE].tolist() == [8, 2, 4, 0, 2]  # a1 + a2 | b1
    assert table.loc[LACHNO].tolist() == [1, 1, 0, 0, 0]  # kept at family
    assert table.loc[BLAUT].tolist() == [0, 7, 0, 0, 0]  # species dropped
    assert table.to_numpy().sum() == a.to_numpy().sum() + b.to_numpy().sum()
    assert (table.dtypes == "int64").all()
    assert list(taxonomy["Feature ID"]) == list(table.index)
    assert (taxonomy["Taxon"] == taxonomy["Feature ID"]).all()

    s = summary.set_index("study")
    assert s.loc["A", "samples"] == 2 and s.loc["A", "reads"] == 19
    assert s.loc["A", "features"] == 4 and s.loc["A", "taxa"] == 3
    # 17 of A's 19 reads reach a genus (a3's 2 stop at the family); only
    # Roseburia is in both studies
    assert s.loc["A", "reads_assigned_at_rank"] == round(17 / 19, 4)
    assert s.loc["A", "taxa_shared_by_all"] == 1
    assert s.loc["A", "reads_in_shared_taxa"] == round(10 / 19, 4)
    assert s.loc["B", "reads_in_shared_taxa"] == round(6 / 13, 4)


def test_combine_tables_at_family_and_sample_clash():
    a = _table({"a1": [5], "a4": [2]}, ["S1"])
    ta = pd.Series({"a1": ROSE, "a4": BLAUT})
    table, _, _ = combine_tables({"A": a}, {"A": ta}, rank="f")
    assert table.loc[LACHNO].tolist() == [7]
    with pytest.raises(ValueError, match="S1 is in both studies A and B"):
        combine_tables({"A": a, "B": a.copy()}, {"A": ta, "B": ta})
    with pytest.raises(ValueError, match="rank must be one of"):
        combine_tables({"A": a}, {"A": ta}, rank="genus")


def test_stack_tables_keeps_the_id_column_first(tmp_path):
    pd.DataFrame({"sample_id": ["x"], "input": [10], "merged": [9]}).to_csv(
        tmp_path / "a.tsv", sep="\t", index=False
    )
    pd.DataFrame({"sample_id": ["y"], "input": [7]}).to_csv(
        tmp_path / "b.tsv", sep="\t", index=False
    )
    out = stack_tables({"A": tmp_path / "a.tsv", "B": tmp_path / "b.tsv"})
    assert list(out.columns) == ["sample_id", "study", "input", "merged"]
    assert out["study"].tolist() == ["A", "B"]
    assert pd.isna(out.loc[1, "merged"])


# ------------------------------------------------------------ checks before jobs
def _study_config(sheet: str) -> dict:
    return {
        "samples": sheet,
        "primers": {
            "forward": "GTGCCAGCMGCCGCGGTAA",
            "reverse": "GGACTACHVGGGTWTCTAAT",
        },
        "taxonomy": {"reference": str(REFERENCE)},
        "decontam": {"enabled": False},
        "diversity": {"rarefaction_depth": 100, "group_column": "asthma"},
        "stats": {"permanova": [], "differential": [], "longitudinal": []},
        "maturity": {"enabled": False},
        "claims": {"enabled": False},
    }


@pytest.fixture
def two_studies(tmp_path, monkeypatch):
    """Two study configs with local sheets (single-end reads) in tmp_path."""
    monkeypatch.chdir(tmp_path)
    import gzip

    for name, ids in (("a", ["S1", "S2"]), ("b", ["T1", "T2"])):
        for s in ids:  # one FASTQ a sample: a file named twice is refused
            (tmp_path / f"{s}.fastq.gz").write_bytes(
                # the read starts with the study's forward primer
                gzip.compress(b"@r1\nGTGCCAGCAGCCGCGGTAAT\n+\n" + b"I" * 20 + b"\n")
            )
        rows = [
            {
                "sample_id": s,
                "subject_id": s,
                "body_site": "gut",
                "sample_type": "stool",
                "run": "r1",
                "study": name,
                "fq1": f"{s}.fastq.gz",
                "asthma": "no",
            }
            for s in ids
        ]
        pd.DataFrame(rows).to_csv(f"{name}.tsv", sep="\t", index=False)
        (tmp_path / f"{name}.yaml").write_text(
            yaml.safe_dump(_study_config(f"{name}.tsv"))
        )
    combined = {
        "studies": {"a": "a.yaml", "b": "b.yaml"},
        "taxonomy": {"reference": str(REFERENCE)},
        "diversity": {
            "rarefaction_depth": 100,
            "group_column": "asthma",
            "alpha_metrics": ["shannon"],
            "beta_metrics": ["braycurtis"],
        },
    }
    return tmp_path, combined


def _load(combined):
    return load_studies(
        validate_config(combined, source="combined.yaml"),
        source="combined.yaml",
        schema_dir=SCHEMA_DIR,
        offline=True,
    )


def test_load_studies_plans_each_study_and_stacks_the_sheets(two_studies):
    _, combined = two_studies
    combined["seed"] = 7
    studies = _load(combined)
    assert list(studies) == ["a", "b"]
    assert {s.config["seed"] for s in studies.values()} == {7}
    assert studies["a"].config["samples"] == "a.tsv" and not studies["a"].remote
    sheet = combined_sheet(studies)
    assert list(sheet.index) == ["S1", "S2", "T1", "T2"]
    assert sheet["study"].tolist() == ["a", "a", "b", "b"]


def test_a_sample_in_two_studies_stops_the_plan(two_studies):
    root, combined = two_studies
    sheet = pd.read_csv(root / "b.tsv", sep="\t")
    sheet.loc[0, "sample_id"] = "S1"
    sheet.to_csv(root / "b.tsv", sep="\t", index=False)
    with pytest.raises(ConfigError) as err:
        _load(combined)
    assert err.value.problems == [
        "combined.yaml: sample S1 is in both studies a and b; sample IDs must be "
        "unique across studies: rename it in one sheet (or map another sample_id "
        "in its mapping)"
    ]


def test_tree_metrics_and_bad_names_stop_the_plan(two_studies):
    _, combined = two_studies
    combined["diversity"]["beta_metrics"] = ["braycurtis", "weighted_unifrac"]
    combined["studies"]["9bad"] = "a.yaml"
    with pytest.raises(ConfigError) as err:
        _load(combined)
    text = "\n".join(err.value.problems)
    assert "key studies.9bad: the study name must start with a letter" in text
    # the name problem is reported first; fix it and the tree one shows
    del combined["studies"]["9bad"]
    with pytest.raises(ConfigError, match="weighted_unifrac need"):
        _load(combined)


def test_a_study_config_problem_names_the_study_and_its_file(two_studies):
    root, combined = two_studies
    config = yaml.safe_load((root / "b.yaml").read_text())
    config["filter"] = {"max_ee": "high"}
    (root / "b.yaml").write_text(yaml.safe_dump(config))
    with pytest.raises(ConfigError) as err:
        _load(combined)
    (line,) = err.value.problems
    assert line.startswith("combined.yaml: key studies.b: b.yaml: key filter.max_ee")
    combined["studies"]["b"] = "missing.yaml"
    with pytest.raises(ConfigError, match="key studies.b: missing.yaml: config file"):
        _load(combined)


def test_primers_are_required_only_without_studies():
    config = _study_config("s.tsv")
    del config["primers"]
    with pytest.raises(ConfigError, match="key primers: missing"):
        validate_config(config)
    config["studies"] = {"a": "a.yaml"}
    assert validate_config(config)["combine"]["rank"] == "g"
