"""Metadata mapping (values, units, keep, missing terms, unmapped values) and
sample planning from ENA accessions against the local ENA stand-in."""

from __future__ import annotations

import gzip

import pandas as pd
import pytest
import yaml
from ena_stub import ENAStub, serving

from gutlung_pipeline.errors import ConfigError
from gutlung_pipeline.inputs.mapping import harmonise, load_mapping
from gutlung_pipeline.inputs.plan import finish_samples, plan_samples

MAPPING = {
    "study": "agp",
    "join": {"metadata": "sample_name", "ena": "sample_alias"},
    "keep": {"body_habitat": ["UBERON:feces", "UBERON:lung"]},
    "columns": {
        "subject_id": {"from": "host_subject_id"},
        "body_site": {
            "from": "body_habitat",
            "values": {"UBERON:feces": "gut", "UBERON:lung": "lung"},
        },
        "sample_type": {
            "from": "body_habitat",
            "values": {"UBERON:feces": "stool", "UBERON:lung": "bal"},
        },
        "age_days": {"from": "age_years", "unit": "years"},
        "asthma": {
            "from": "lung_disease",
            "values": {
                "I do not have this condition": "no",
                "Diagnosed by a medical professional (doctor, physician assistant)": "yes",
                "Self-diagnosed": None,
            },
        },
        "run": {"value": "plate1"},
    },
    "passthrough": ["country"],
}

RUNS = pd.DataFrame(
    {
        "run_accession": ["ERR0000011", "ERR0000012", "ERR0000013", "ERR0000014"],
        "sample_accession": ["SAMEA11", "SAMEA12", "SAMEA13", "SAMEA14"],
        "sample_alias": ["10317.A", "10317.B", "10317.C", "10317.D"],
    }
)

META = pd.DataFrame(
    {
        "sample_name": ["10317.A", "10317.B", "10317.C", "10317.D"],
        "host_subject_id": ["h1", "h2", "h3", "h4"],
        "body_habitat": ["UBERON:feces", "UBERON:lung", "UBERON:skin", "uberon:FECES "],
        "age_years": ["2", "not provided", "40", "0.5"],
        "lung_disease": [
            "I do not have this condition",
            "Diagnosed by a medical professional (doctor, physician assistant)",
            "Self-diagnosed",
            "missing: control sample",
        ],
        "country": ["USA", "UK", "USA", "Australia"],
    }
)


def write_mapping(tmp_path, mapping=MAPPING, name="mapping.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(mapping))
    return path


def test_mapping_values_units_keep_and_missing(tmp_path):
    spec = load_mapping(write_mapping(tmp_path))
    done = harmonise(RUNS, META, spec)
    sheet = done.sheet.set_index("sample_id")
    # the skin sample is left out by keep, with the reason
    assert list(sheet.index) == ["ERR0000011", "ERR0000012", "ERR0000014"]
    assert done.dropped.to_dict("records") == [
        {
            "sample_id": "ERR0000013",
            "run_accession": "ERR0000013",
            "reason": "body_habitat = 'UBERON:skin' not kept",
        }
    ]
    # values compared case-insensitively, whitespace stripped
    assert list(sheet["body_site"]) == ["gut", "lung", "gut"]
    assert list(sheet["sample_type"]) == ["stool", "bal", "stool"]
    # years to days; INSDC missing terms become empty
    assert list(sheet["age_days"]) == ["730.5", "", "182.625"]
    assert list(sheet["asthma"]) == ["no", "yes", ""]
    assert list(sheet["run"]) == ["plate1"] * 3
    assert list(sheet["study"]) == ["agp"] * 3
    assert list(sheet["country"]) == ["USA", "UK", "Australia"]
    assert list(sheet["subject_id"]) == ["h1", "h2", "h4"]
    assert done.unmapped.empty


def test_unmapped_values_stop_or_are_reported(tmp_path):
    meta = META.copy()
    meta.loc[0, "lung_disease"] = "Diagnosed by an alternative medicine practitioner"
    spec = load_mapping(write_mapping(tmp_path))
    with pytest.raises(ConfigError) as err:
        harmonise(RUNS, meta, spec)
    assert err.value.problems == [
        f"{tmp_path}/mapping.yaml: column asthma (from lung_disease): value "
        "'Diagnosed by an alternative medicine practitioner' in 1 sample(s) "
        "(ERR0000011) is not mapped; add it to columns.asthma.values (null = "
        "missing) or to missing, or set on_unmapped: missing"
    ]
    lenient = load_mapping(
        write_mapping(tmp_path, {**MAPPING, "on_unmapped": "missing"})
    )
    done = harmonise(RUNS, meta, lenient)
    assert done.sheet.loc[0, "asthma"] == ""
    assert done.unmapped.to_dict("records") == [
        {
            "column": "asthma",
            "attribute": "lung_disease",
            "value": "Diagnosed by an alternative medicine practitioner",
            "n": 1,
            "samples": "ERR0000011",
        }
    ]
    # a number that is not one
    meta.loc[0, "age_years"] = "two"
    with pytest.raises(
        ConfigError, match="column age_days .from age_years.: value 'two'"
    ):
        harmonise(RUNS, META.assign(age_years=["two", "1", "1", "1"]), spec)


def test_mapping_file_errors(tmp_path):
    bad = {
        "columns": {
            "asthama": {"from": "x"},
            "sex": {"from": "a", "value": "b"},
            "age_days": {"from": "age", "unit": "fortnights"},
        }
    }
    with pytest.raises(ConfigError) as err:
        load_mapping(write_mapping(tmp_path, bad))
    text = "\n".join(err.value.problems)
    assert "columns.sex: give exactly one of 'from'" in text
    assert "columns.age_days.unit: 'fortnights' is not known" in text
    ok = {"columns": {"asthama": {"from": "x"}}}
    with pytest.raises(ConfigError, match="asthama"):
        load_mapping(write_mapping(tmp_path, ok))
    spec = load_mapping(
        write_mapping(tmp_path, {"columns": {"sex": {"from": "gender"}}})
    )
    with pytest.raises(ConfigError, match="attribute 'gender' is in neither"):
        harmonise(RUNS, META, {**spec, "join": MAPPING["join"]})
    with pytest.raises(ConfigError, match="no column 'sample_name'"):
        harmonise(
            RUNS, META.drop(columns="sample_name"), {**spec, "join": MAPPING["join"]}
        )


def gz(n):
    return gzip.compress(
        b"".join(b"@r%d\nACGT\n+\nIIII\n" % i for i in range(n)), mtime=0
    )


@pytest.fixture
def ena():
    state = ENAStub()
    for k, (habitat, age) in enumerate(
        [("UBERON:feces", "1"), ("UBERON:lung", "50"), ("UBERON:feces", "3")], start=1
    ):
        run, sample = f"ERR000002{k}", f"SAMEA2{k}"
        v = f"/vol1/{run}/{run}"
        state.add_run(
            run,
            "PAIRED",
            {f"{v}_1.fastq.gz": gz(5), f"{v}_2.fastq.gz": gz(5)},
            study="PRJEB22222",
            sample=sample,
            alias=f"s{k}",
        )
        state.add_sample(
            sample,
            f"s{k}",
            {
                "host_subject_id": f"h{k}",
                "body_habitat": habitat,
                "age_years": age,
                "lung_disease": "I do not have this condition",
                "country": "USA",
            },
        )
    state.add_run(
        "ERR0000031",
        "SINGLE",
        {"/vol1/x/ERR0000031.fastq.gz": gz(5)},
        study="PRJEB33333",
    )
    with serving(state) as url:
        state.url = url
        yield state


def test_plan_from_study_accession_then_offline(ena, tmp_path):
    mapping = write_mapping(tmp_path, {**MAPPING, "join": {}, "keep": {}})
    fetch = {"base_url": f"{ena.url}/ena/portal/api", "retries": 0}
    kwargs = dict(
        sheet=None, accessions=["PRJEB22222"], mapping=mapping, cache=tmp_path / "cache"
    )
    plan = plan_samples(**kwargs, fetch=fetch, browser_url=f"{ena.url}/ena/browser/api")
    assert plan.paired and sorted(plan.remote) == [
        "ERR0000021",
        "ERR0000022",
        "ERR0000023",
    ]
    assert list(plan.sheet["body_site"]) == ["gut", "lung", "gut"]
    assert list(plan.sheet["age_days"]) == [365.25, 18262.5, 1095.75]
    assert (tmp_path / "cache" / "filereport" / "PRJEB22222.tsv").is_file()
    assert (tmp_path / "cache" / "attributes" / "PRJEB22222.tsv").is_file()
    asked = len(ena.requests)
    again = plan_samples(**kwargs, fetch=None)  # offline, from the cache
    assert len(ena.requests) == asked
    pd.testing.assert_frame_equal(again.sheet, plan.sheet)
    # downloads: a failed run leaves the sheet, the others get their files
    statuses = [
        {
            "run_accession": "ERR0000021",
            "status": "ok",
            "reason": "",
            "fq1": "a1",
            "fq2": "a2",
            "library_layout": "paired",
        },
        {
            "run_accession": "ERR0000022",
            "status": "failed",
            "reason": "md5",
            "fq1": "",
            "fq2": "",
            "library_layout": "paired",
        },
        {
            "run_accession": "ERR0000023",
            "status": "ok",
            "reason": "",
            "fq1": "c1",
            "fq2": "c2",
            "library_layout": "paired",
        },
    ]
    sheet, runs = finish_samples(plan, statuses)
    assert list(sheet.index) == ["ERR0000021", "ERR0000023"]
    assert list(sheet["fq1"]) == ["a1", "c1"] and list(sheet["fq2"]) == ["a2", "c2"]
    assert list(runs["status"]) == ["ok", "failed", "ok"]


def test_plan_sheet_rows_and_layout_errors(ena, tmp_path):
    fetch = {"base_url": f"{ena.url}/ena/portal/api", "retries": 0}
    sheet = tmp_path / "s.tsv"
    rows = pd.DataFrame(
        {
            "sample_id": ["a", "b"],
            "subject_id": ["a", "b"],
            "body_site": ["gut", "gut"],
            "sample_type": ["stool", "stool"],
            "run": ["r", "r"],
            "study": ["x", "x"],
            "run_accession": ["ERR0000021", "ERR0000031"],
        }
    )
    rows.to_csv(sheet, sep="\t", index=False)
    with pytest.raises(ConfigError, match="mix paired-end and single-end"):
        plan_samples(
            sheet=sheet, accessions=[], mapping=None, cache=tmp_path / "c", fetch=fetch
        )
    rows.iloc[:1].to_csv(sheet, sep="\t", index=False)
    plan = plan_samples(
        sheet=sheet, accessions=[], mapping=None, cache=tmp_path / "c", fetch=fetch
    )
    assert plan.remote == ["a"] and plan.paired
    rows.assign(run_accession=["ERR0000099", ""]).iloc[:1].to_csv(
        sheet, sep="\t", index=False
    )
    with pytest.raises(ConfigError, match="ERR0000099: .*HTTP 400"):
        plan_samples(
            sheet=sheet, accessions=[], mapping=None, cache=tmp_path / "c", fetch=fetch
        )
    with pytest.raises(ConfigError, match="no mapping"):
        plan_samples(
            sheet=None,
            accessions=["PRJEB22222"],
            mapping=None,
            cache=tmp_path / "c",
            fetch=fetch,
        )


def test_row_with_its_own_files_is_not_downloaded(ena, tmp_path):
    """A sheet row giving fq1 stays local even when its run is in a listed study."""
    fq = tmp_path / "a.fastq.gz"
    fq.write_bytes(gz(3))
    fq2 = tmp_path / "a2.fastq.gz"
    fq2.write_bytes(gz(3))
    sheet = tmp_path / "s.tsv"
    pd.DataFrame(
        {
            "sample_id": ["own"],
            "subject_id": ["own"],
            "body_site": ["gut"],
            "sample_type": ["stool"],
            "run": ["r"],
            "study": ["x"],
            "run_accession": ["ERR0000021"],
            "fq1": [str(fq)],
            "fq2": [str(fq2)],
        }
    ).to_csv(sheet, sep="\t", index=False)
    mapping = write_mapping(tmp_path, {**MAPPING, "join": {}, "keep": {}})
    plan = plan_samples(
        sheet=sheet,
        accessions=["PRJEB22222"],
        mapping=mapping,
        cache=tmp_path / "c",
        fetch={"base_url": f"{ena.url}/ena/portal/api", "retries": 0},
        browser_url=f"{ena.url}/ena/browser/api",
    )
    assert "own" in plan.sheet.index and "own" not in plan.remote
    assert sorted(plan.remote) == ["ERR0000021", "ERR0000022", "ERR0000023"]


def test_a_paired_sample_without_fq2_is_named(tmp_path):
    """A sheet of paired samples where one row lacks fq2 (different runs):
    the line names the single-end sample and the fix, not only the mix."""
    for name in ("a1", "a2", "b1", "b2", "c1"):
        (tmp_path / f"{name}.fq").write_text("@r\nA\n+\nI\n")
    rows = pd.DataFrame(
        {
            "sample_id": ["a", "b", "c"],
            "subject_id": ["a", "b", "c"],
            "body_site": ["gut"] * 3,
            "sample_type": ["stool"] * 3,
            "run": ["r1", "r2", "r3"],
            "study": ["x"] * 3,
            "fq1": [str(tmp_path / f"{s}1.fq") for s in "abc"],
            "fq2": [str(tmp_path / "a2.fq"), str(tmp_path / "b2.fq"), ""],
        }
    )
    rows.to_csv(tmp_path / "s.tsv", sep="\t", index=False)
    with pytest.raises(ConfigError) as err:
        plan_samples(
            sheet=tmp_path / "s.tsv", accessions=[], mapping=None, cache=tmp_path
        )
    assert err.value.problems == [
        f"{tmp_path}/s.tsv: the samples mix paired-end and single-end runs "
        "(2 paired-end, 1 single-end); single-end: c (row 4); give them their R2 "
        "file (fq2), or run each layout as its own study"
    ]


def test_sites_outside_gut_and_lung_enter_as_other_with_their_word_kept(tmp_path):
    """A multi-site study: skin enters as body_site and sample_type other,
    its own value beside it, so its gut and lung samples can be analysed."""
    mapping = {
        **MAPPING,
        "keep": {},
        "columns": {
            **MAPPING["columns"],
            "body_site": {
                "from": "body_habitat",
                "values": {
                    "UBERON:feces": "gut",
                    "UBERON:lung": "lung",
                    "UBERON:skin": "other",
                },
            },
            "sample_type": {
                "from": "body_habitat",
                "values": {
                    "UBERON:feces": "stool",
                    "UBERON:lung": "bal",
                    "UBERON:skin": "other",
                },
            },
        },
    }
    done = harmonise(RUNS, META, load_mapping(write_mapping(tmp_path, mapping)))
    sheet = done.sheet.set_index("sample_id")
    assert list(sheet["body_site"]) == ["gut", "lung", "other", "gut"]
    assert list(sheet["body_site_original"]) == ["", "", "UBERON:skin", ""]
    assert list(sheet["sample_type_original"]) == ["", "", "UBERON:skin", ""]
    # without an other, no extra column
    done = harmonise(RUNS, META, load_mapping(write_mapping(tmp_path)))
    assert "body_site_original" not in done.sheet
