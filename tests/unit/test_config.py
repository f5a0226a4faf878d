import pandas as pd
import pytest
from conftest import REPO

from gutlung_pipeline.config import ConfigError, load_config, validate_config
from gutlung_pipeline.inputs.sheet import is_paired, load_samples, validate_samples
from gutlung_pipeline.io import read_yaml

CONFIG = REPO / "config" / "config.yaml"


def base_config():
    return read_yaml(CONFIG)


def test_shipped_config_validates_and_gets_defaults():
    cfg = load_config(CONFIG)
    assert cfg["denoise"]["min_size"] == 2
    assert cfg["denoise"]["engine"] == "unoise"
    assert cfg["taxonomy"]["confidence"] == 0.8
    minimal = {
        "samples": "x.tsv",
        "primers": {"forward": "ACGT", "reverse": "TTGA"},
        "taxonomy": {"reference": "ref.fa"},
        "diversity": {"rarefaction_depth": 10},
    }
    filled = validate_config(minimal)
    assert filled["seed"] == 42
    assert filled["filter"] == {
        "max_ee": 1.0,
        "min_length": 200,
        "max_length": 300,
        "max_ns": 0,
        "trunc_length": 150,
    }
    assert filled["denoise"]["min_size"] == 2
    assert filled["denoise"]["sample_min_size"] == 4
    assert filled["denoise"]["chimera_reference"] is False
    assert filled["denoise"]["dada2"]["pool"] == "false"


def test_misspelled_key_names_key_and_suggests_fix():
    cfg = base_config()
    cfg["filter"]["max_eee"] = cfg["filter"].pop("max_ee")
    with pytest.raises(ConfigError) as err:
        validate_config(cfg, source="config/config.yaml")
    assert str(err.value) == (
        "config/config.yaml: key filter.max_eee: unknown key; did you mean 'max_ee'?"
    )


def test_top_level_typo_and_bad_values_each_one_line():
    cfg = base_config()
    cfg["threds"] = 4
    cfg["primers"]["forward"] = "GTGZZ"
    cfg["taxonomy"]["confidence"] = 1.5
    del cfg["diversity"]["rarefaction_depth"]
    with pytest.raises(ConfigError) as err:
        validate_config(cfg, source="c.yaml")
    lines = err.value.problems
    assert len(lines) == 4
    assert "c.yaml: key threds: unknown key; did you mean 'threads'?" in lines
    assert any(
        ln.startswith("c.yaml: key primers.forward: 'GTGZZ' is not allowed; use IUPAC")
        for ln in lines
    )
    assert any(
        ln.startswith("c.yaml: key taxonomy.confidence: 1.5 is greater") for ln in lines
    )
    assert (
        "c.yaml: key diversity.rarefaction_depth: required key is missing; add it"
        in lines
    )


def test_yaml_syntax_error_is_one_line(tmp_path):
    bad = tmp_path / "c.yaml"
    bad.write_text("samples: [unclosed\n")
    with pytest.raises(ConfigError) as err:
        load_config(bad)
    assert len(err.value.problems) == 1
    assert str(err.value).startswith(f"{bad}: not valid YAML (")


def make_sheet(tmp_path, rows=None, paired=True):
    """A sheet of ``rows`` (overrides of one valid row), each row with its own
    FASTQ files unless it names some."""
    base = {
        "sample_id": "S1",
        "subject_id": "P1",
        "body_site": "gut",
        "sample_type": "stool",
        "run": "r1",
        "study": "s",
        "age_days": "365",
    }
    out = []
    for k, r in enumerate(rows or [{}]):
        files = {}
        for mate in ("1", "2") if paired else ("1",):
            path = tmp_path / f"row{k}_r{mate}.fq"
            path.write_text("@r\nA\n+\nI\n")
            files[f"fq{mate}"] = str(path)
        files.setdefault("fq2", "")
        out.append({**base, **files, **r})
    return pd.DataFrame(out)


def problems(sheet, **kw):
    with pytest.raises(ConfigError) as err:
        validate_samples(sheet, source="s.tsv", **kw)
    return err.value.problems


def test_valid_sheet_is_typed_and_indexed(tmp_path):
    sheet = make_sheet(tmp_path, [{}, {"sample_id": "S-2.b", "age_days": ""}])
    out = validate_samples(sheet, source="s.tsv")
    assert list(out.index) == ["S1", "S-2.b"]
    assert out.loc["S1", "age_days"] == 365.0
    assert pd.isna(out.loc["S-2.b", "age_days"])
    assert is_paired(out)


def test_duplicate_sample_id(tmp_path):
    sheet = make_sheet(tmp_path, [{}, {}])
    assert problems(sheet) == [
        "s.tsv: rows 2, 3 (sample S1): column sample_id: duplicate ID; "
        "make every sample_id unique"
    ]


def test_missing_fastq_names_row_sample_and_column(tmp_path):
    sheet = make_sheet(tmp_path, [{"fq2": str(tmp_path / "nope.fq")}])
    (line,) = problems(sheet)
    assert line.startswith(
        f"s.tsv: row 2 (sample S1): column fq2: file {tmp_path}/nope.fq not found"
    )
    assert "fix the path" in line


def test_unknown_body_site_and_bad_id_and_number(tmp_path):
    sheet = make_sheet(
        tmp_path,
        [{"body_site": "gutt"}, {"sample_id": "bad id", "age_days": "one"}],
    )
    lines = problems(sheet)
    assert (
        "s.tsv: row 2 (sample S1): column body_site: 'gutt' is not allowed; "
        "use one of: gut, lung, upper_airway, other, none"
    ) in lines
    assert any(
        ln.startswith(
            "s.tsv: row 3 (sample bad id): column sample_id: 'bad id' is not allowed; "
            "use letters, digits"
        )
        for ln in lines
    )
    assert (
        "s.tsv: row 3 (sample bad id): column age_days: 'one' is not a number; "
        "fix the value or leave the cell empty"
    ) in lines


def test_missing_required_column(tmp_path):
    sheet = make_sheet(tmp_path).drop(columns="body_site")
    assert problems(sheet) == [
        "s.tsv: missing column body_site; add it (see config/README.md)"
    ]


def test_paired_and_single_mixed_within_run(tmp_path):
    sheet = make_sheet(tmp_path, [{}, {"sample_id": "S2", "fq2": ""}])
    (line,) = problems(sheet)
    assert line.startswith(
        "s.tsv: run r1 (samples S2): column fq2: missing while other"
    )


def test_paired_and_single_mixed_across_runs(tmp_path):
    sheet = make_sheet(tmp_path, [{}, {"sample_id": "S2", "fq2": "", "run": "r2"}])
    (line,) = problems(sheet)
    assert "mixes paired-end and single-end runs" in line


def test_single_end_sheet(tmp_path):
    out = validate_samples(make_sheet(tmp_path, paired=False), source="s.tsv")
    assert not is_paired(out)


def test_one_fastq_for_two_samples_is_refused(tmp_path):
    """The same file named by two rows (as fq1 or fq2) is one line naming both."""
    sheet = make_sheet(tmp_path, [{}, {"sample_id": "S2"}])
    sheet.loc[1, "fq1"] = sheet.loc[0, "fq1"]
    assert problems(sheet) == [
        f"s.tsv: row 2 (sample S1, fq1) and row 3 (sample S2, fq1): the same file "
        f"{tmp_path}/row0_r1.fq; give each sample its own reads"
    ]
    sheet.loc[1, "fq1"] = sheet.loc[0, "fq2"]
    assert problems(sheet) == [
        f"s.tsv: row 2 (sample S1, fq2) and row 3 (sample S2, fq1): the same file "
        f"{tmp_path}/row0_r2.fq; give each sample its own reads"
    ]


def test_fq1_equal_fq2_and_empty_file(tmp_path):
    sheet = make_sheet(tmp_path)
    sheet["fq2"] = sheet["fq1"]
    assert any("same file as fq1" in ln for ln in problems(sheet))
    (tmp_path / "empty.fq").write_text("")
    sheet = make_sheet(tmp_path, [{"fq1": str(tmp_path / "empty.fq")}])
    assert any("is empty" in ln for ln in problems(sheet))


def test_shipped_sample_sheet_validates(tmp_path):
    out = load_samples(REPO / "config" / "samples.tsv", check_files=False)
    assert len(out) == 103  # 24 adult, 72 infant samples, 6 blanks, 1 mock
    assert out["sample_type"].value_counts()["negative_control"] == 6
    assert set(out["body_site"]) == {"gut", "lung", "none"}


def test_missing_sheet_file(tmp_path):
    with pytest.raises(ConfigError, match="sample sheet not found"):
        load_samples(tmp_path / "none.tsv")


def test_package_reads_the_workflows_schemas():
    from gutlung_pipeline.schema import DEFAULT_SCHEMA_DIR, load_schema

    assert DEFAULT_SCHEMA_DIR == REPO / "workflow" / "schemas"
    assert load_schema("samples")["properties"]["body_site"]["enum"] == [
        "gut",
        "lung",
        "upper_airway",
        "other",
        "none",
    ]


def test_empty_required_cell(tmp_path):
    sheet = make_sheet(tmp_path, [{"subject_id": ""}])
    assert problems(sheet) == [
        "s.tsv: row 2 (sample S1): column subject_id: empty; fill it in"
    ]


def test_stats_analyses_are_checked_against_the_sheet():
    from gutlung_pipeline.config import check_workflow_inputs

    cfg = load_config(CONFIG)
    sheet = load_samples(REPO / cfg["samples"], check_files=False)
    check_workflow_inputs(cfg, sheet, source="c.yaml")  # the shipped design runs
    cfg["diversity"]["alpha_metrics"] = ["shannon"]
    cfg["diversity"]["beta_metrics"] = ["jaccard"]
    cfg["stats"]["differential"][0]["treatment"] = "maybe"
    cfg["stats"]["permanova"][0]["where"] = {"colour": ["red"]}
    cfg["stats"]["paired"]["gut"] = "stool"
    with pytest.raises(ConfigError) as err:
        check_workflow_inputs(cfg, sheet, source="c.yaml")
    assert err.value.problems == [
        "c.yaml: key stats.permanova[0] (gut_vs_lung): where: no column 'colour' in "
        "the metadata; name a column of config/samples.tsv",
        "config/samples.tsv: adult_gut_asthma: asthma='maybe' has 0 samples after "
        "where:, at least 2 are needed (config key stats.differential[0] "
        "(adult_gut_asthma))",
        "c.yaml: key stats.longitudinal[0] (infant_alpha).metrics: observed_features "
        "is not in diversity.alpha_metrics; add it there or drop it here",
        "c.yaml: key stats.longitudinal[0] (infant_alpha).metrics: faith_pd is not in "
        "diversity.alpha_metrics; add it there or drop it here",
        "config/samples.tsv: stats.paired: 0 subjects have both a 'stool' and a "
        "'lung' sample, at least 4 are needed; set stats.paired.enabled: false",
        "c.yaml: key stats.paired.metric: braycurtis is not in diversity.beta_metrics; "
        "add it there",
    ]


def test_analysis_items_get_their_defaults():
    cfg = base_config()
    cfg["stats"]["permanova"] = [{"name": "x", "formula": "asthma"}]
    filled = validate_config(cfg)
    assert filled["stats"]["permanova"][0]["by"] == "terms"
    assert filled["stats"]["permanova"][0]["dispersion"] == []
    cfg["stats"]["permanova"] = [{"name": "bad name", "formula": "asthma", "by": "x"}]
    with pytest.raises(ConfigError) as err:
        validate_config(cfg, source="c.yaml")
    assert len(err.value.problems) == 2


def test_differential_trend_needs_a_numeric_column_with_three_values():
    """A differential analysis without levels is a trend: its group must hold
    numbers, at least three of them; levels come in pairs."""
    from gutlung_pipeline.config import check_workflow_inputs

    cfg = load_config(CONFIG)
    sheet = load_samples(REPO / cfg["samples"], check_files=False)
    trend = {
        "name": "gold_trend",
        "group": "gold_stage",
        "where": {"body_site": ["gut"], "copd": ["yes"]},
    }
    cfg["stats"]["differential"] = [trend]
    check_workflow_inputs(cfg, sheet, source="c.yaml")
    cfg["stats"]["differential"] = [dict(trend, group="sex")]
    with pytest.raises(ConfigError) as err:
        check_workflow_inputs(cfg, sheet, source="c.yaml")
    (line,) = err.value.problems
    assert "gold_trend: sample " in line and "column sex: " in line
    assert "is not a number; a trend needs numbers" in line
    cfg["stats"]["differential"] = [dict(trend, where={"copd": ["no"]})]
    with pytest.raises(ConfigError, match="gold_stage has 0 distinct values"):
        check_workflow_inputs(cfg, sheet, source="c.yaml")
    raw = base_config()
    raw["stats"]["differential"] = [dict(trend, reference="1")]
    with pytest.raises(ConfigError, match="treatment"):
        validate_config(raw, source="c.yaml")


def test_plan_warns_when_a_claim_targets_the_oldest_reference_bin(tmp_path):
    """COPSAC2010's design ends at 1 year: the Stokholm claims' target age is
    in the oldest reference bin, and the plan says so, naming the method."""
    from gutlung_pipeline.config import maturity_warnings

    cfg = load_config(REPO / "resources/demo/cohorts/config/config.yaml")
    rows = []
    for k in range(12):
        for visit in (7, 30, 365):
            rows.append(
                {
                    "sample_id": f"c{k}_d{visit}",
                    "subject_id": f"c{k}",
                    "body_site": "gut",
                    "age_days": visit + k,
                    "asthma": "yes" if k % 4 == 0 else "no",
                }
            )
    sheet = pd.DataFrame(rows)
    lines = maturity_warnings(cfg, sheet)
    ids = [line.split(":")[0] for line in lines]
    assert "claim stokholm2018_maturity_asthma" in ids
    assert all("oldest reference sample 376 d" in line for line in lines)
    assert all("maturity.method ensemble extrapolates" in line for line in lines)
    cfg["maturity"]["method"] = "forest"
    assert (
        "a random forest cannot predict beyond it" in maturity_warnings(cfg, sheet)[0]
    )
    later = pd.concat(
        [sheet, sheet.assign(sample_id=sheet["sample_id"] + "b", age_days=730)]
    )
    assert maturity_warnings(cfg, later) == []


def test_sheet_file_faults_are_one_line_each(tmp_path):
    """A sheet that is not UTF-8, repeats a column or has a row with too few
    or too many fields stops before any check, naming the line and the fix."""
    from gutlung_pipeline.inputs.sheet import read_sample_sheet

    header = "sample_id\tsubject_id\tbody_site\n"
    cases = {
        "latin1.tsv": (
            (header + "S1\tP1\tgut\nS\xe9\tP2\tgut\n").encode("latin-1"),
            [
                "line 3: byte 0xe9 is not UTF-8; save the sheet as UTF-8 "
                "(e.g. iconv -f latin1 -t utf-8)"
            ],
        ),
        "twice.tsv": (
            b"sample_id\tbody_site\tbody_site\nS1\tgut\tlung\n",
            ["line 1: column body_site appears twice (columns 2 and 3); keep one"],
        ),
        "fields.tsv": (
            (header + "S1\tP1\nS2\tP2\tgut\tx\n").encode(),
            [
                "line 2: 2 fields, the header has 3; separate the columns by one "
                "tab each",
                "line 3: 4 fields, the header has 3; separate the columns by one "
                "tab each",
            ],
        ),
        "blank.tsv": (b"\n\n", ["sample sheet is empty; add a header and rows"]),
    }
    for name, (data, lines) in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(ConfigError) as err:
            read_sample_sheet(path)
        assert err.value.problems == [f"{path}: {line}" for line in lines]


def test_contradictory_length_limits_stop_the_plan():
    """filter.min_length above filter.max_length would keep no read: the
    config check says so before any job."""
    cfg = read_yaml(REPO / "config/config.yaml")
    cfg["filter"].update(min_length=300, max_length=250)
    with pytest.raises(ConfigError) as err:
        validate_config(cfg, source="c.yaml")
    assert err.value.problems == [
        "c.yaml: key filter.min_length: 300 is above filter.max_length 250, so no "
        "merged read can pass; lower min_length or raise max_length"
    ]


def test_a_run_mixing_quality_encodings_is_refused(tmp_path):
    """phred+64 alone is read as it is; a run mixing it with phred+33 is a
    mix-up of files, named by row, sample and file before any job."""
    sheet = make_sheet(tmp_path, [{"sample_id": "A"}, {"sample_id": "B"}])
    for mate in ("1", "2"):
        (tmp_path / f"row1_r{mate}.fq").write_text("@r\nACGT\n+\nhhB^\n")
    assert problems(sheet) == [
        f"s.tsv: run r1: row 2 (sample A) has phred+33 qualities "
        f"({tmp_path / 'row0_r1.fq'}) but row 3 (sample B) phred+64 "
        f"({tmp_path / 'row1_r1.fq'}); one run has one encoding: fix the file "
        "paths, or give the phred+64 samples their own run"
    ]
    sheet.loc[1, "run"] = "r2"  # its own run: accepted
    assert list(validate_samples(sheet, source="s.tsv").index) == ["A", "B"]


def test_robust_aitchison_on_too_few_samples_is_refused_before_any_job():
    from gutlung_pipeline.config import _diversity_problems

    sheet = pd.DataFrame({"sample_type": ["stool", "bal", "negative_control"]})
    config = {"diversity": {"beta_metrics": ["braycurtis", "robust_aitchison"]}}
    assert _diversity_problems(config, sheet, source="c.yaml") == [
        "c.yaml: key diversity.beta_metrics: robust_aitchison needs at least 4 "
        "samples (rank-3 matrix completion) and the sheet has 2 besides controls "
        "and mocks; drop robust_aitchison from diversity.beta_metrics"
    ]
    config["diversity"]["beta_metrics"] = ["braycurtis"]
    assert _diversity_problems(config, sheet, source="c.yaml") == []


def test_removal_without_decontam_is_said():
    from gutlung_pipeline.config import plan_warnings

    config = {
        "decontam": {
            "enabled": False,
            "remove_taxa": ["mitochondria", "chloroplast"],
            "remove_unassigned": True,
        }
    }
    assert plan_warnings(config, pd.DataFrame()) == [
        "decontam.enabled is false, but features of mitochondria, chloroplast and "
        "features of no bacterial or archaeal domain are still removed from the "
        "analysis table (decontam.remove_taxa, decontam.remove_unassigned); set "
        "those to [] and false to keep them"
    ]
    config["decontam"].update(remove_taxa=[], remove_unassigned=False)
    assert plan_warnings(config, pd.DataFrame()) == []


def test_table_entry_checks_depth_sequences_and_tree_before_any_job(tmp_path):
    """At the table stage the plan reads the table: no sheet sample at the
    rarefaction depth, IDs that are not sequences without a FASTA, features
    that are not tips of the study's tree: one line each."""
    from gutlung_pipeline.config import _depth_problems, _feature_table_problems

    table = tmp_path / "t.tsv"
    table.write_text("#OTU ID\ta\tb\tblank\notu1\t5\t3\t900\notu2\t4\t1\t0\n")
    tree = tmp_path / "t.nwk"
    tree.write_text("(otu1:1,otu3:2);\n")
    sheet = pd.DataFrame(
        {"sample_type": ["stool", "bal", "negative_control"]},
        index=["a", "b", "blank"],
    )
    config = {
        "feature_table": {"table": str(table), "tree": str(tree)},
        "diversity": {"rarefaction_depth": 100},
    }
    problems = _feature_table_problems(config, sheet, source="c.yaml")
    problems += _depth_problems(config, sheet, source="c.yaml")
    assert problems == [
        f"c.yaml: key feature_table.sequences: feature 'otu1' of {table} is not a "
        "sequence (2 of 2 are not); give the FASTA of the features (for "
        "closed-reference OTUs, the reference's representative sequences)",
        f"c.yaml: key feature_table.tree: feature otu2 of {table} is not a tip of "
        f"{tree} (1 of 2 are not); give the tree the table was made with, or "
        "leave feature_table.tree empty (a tree is then built)",
        f"c.yaml: key diversity.rarefaction_depth: no sample of the sheet reaches "
        f"100 reads in {table} (the deepest, a, has 9); lower "
        "diversity.rarefaction_depth",
    ]
    config["diversity"]["rarefaction_depth"] = 9
    assert _depth_problems(config, sheet, source="c.yaml") == []


def test_na_cells_are_missing_values(tmp_path):
    """A sheet written by R (NA for missing): one valid sheet, not one error a cell."""
    from gutlung_pipeline.inputs.sheet import read_sample_sheet

    sheet = make_sheet(tmp_path, [{}, {"sample_id": "S2"}])
    sheet.loc[0, "age_days"] = "NA"
    sheet.loc[1, "age_days"] = "N/A"
    sheet.loc[1, "fq2"] = "NA"  # not a file name: a missing R2
    path = tmp_path / "s.tsv"
    sheet.to_csv(path, sep="\t", index=False)
    read = read_sample_sheet(path)
    assert read.loc[0, "age_days"] == "" and read.loc[1, "fq2"] == ""
    sheet = read.assign(fq2="")  # one layout
    out = validate_samples(sheet, source="s.tsv")
    assert out["age_days"].isna().all()


@pytest.mark.parametrize("id_header", ["sample-id", "#SampleID", "sampleid", "id"])
def test_qiime2_metadata_reads_as_a_sheet(tmp_path, id_header):
    """QIIME 2's ID headers name sample_id; #q2:types and comments are no
    samples, and the rows keep their line numbers."""
    from gutlung_pipeline.inputs.sheet import read_sample_sheet

    path = tmp_path / "m.tsv"
    path.write_text(
        "# exported from QIIME 2\n"
        f"{id_header}\tbody_site\tage_days\n"
        "#q2:types\tcategorical\tnumeric\n"
        "S1\tgut\t365\n"
        "# a comment\n"
        "S2\tlung\t30\n"
    )
    sheet = read_sample_sheet(path)
    assert list(sheet.columns) == ["sample_id", "body_site", "age_days"]
    assert list(sheet["sample_id"]) == ["S1", "S2"]
    assert list(sheet.index + 2) == [4, 6]  # the file's line numbers


def test_the_sheet_as_qiime2_metadata_known_answer():
    from gutlung_pipeline.inputs.sheet import qiime2_metadata

    sheet = pd.DataFrame(
        {
            "sample_id": ["S1", "S2"],
            "fq1": ["a.fq", "b.fq"],
            "body_site": ["gut", "lung"],
            "age_days": ["365", ""],
            "score": ["1.5", "2"],  # not in the schema, numbers: numeric
            "note": ["x", "3"],
        }
    )
    assert qiime2_metadata(sheet) == (
        "sample-id\tbody_site\tage_days\tscore\tnote\n"
        "#q2:types\tcategorical\tnumeric\tnumeric\tcategorical\n"
        "S1\tgut\t365\t1.5\tx\n"
        "S2\tlung\t\t2\t3\n"
    )
