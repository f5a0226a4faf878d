"""Several studies in one run (config `studies`), with the real tools: a local
paired-end study with blanks and a mock, a single-end study truncated to 120
nt, and a study downloaded from the ENA stand-in. Each is denoised with its own
settings in results/studies/<study>/, decontaminated on its own, and merged at
genus level; diversity, PERMANOVA with `study` as a term, claims and the
report run once on the merged table."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import FORWARD, REFERENCE, REVERSE, needs_tools, report_text
from test_acquire_workflow import MAPPING, acquire_settings, cohort, ena  # noqa: F401
from test_workflow import make_workdir, snakemake

from gutlung_pipeline.io import read_fasta, read_table, read_taxonomy
from gutlung_pipeline.simulate import load_reference, simulate_cohort
from gutlung_pipeline.tables import collapse

pytestmark = [pytest.mark.workflow, needs_tools]


def _local_study(root: Path, name: str, sheet: pd.DataFrame, **overrides) -> str:
    """A study config under root/<name>/ whose paths are relative to root."""
    work = make_workdir(root / name, sheet, **overrides)
    config = yaml.safe_load((work / "config" / "config.yaml").read_text())
    config["samples"] = f"{name}/config/samples.tsv"
    if config["decontam"]["mock"]["expected"]:
        config["decontam"]["mock"]["expected"] = f"{name}/config/mock.tsv"
    (work / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    return f"{name}/config/config.yaml"


def combined_config(root: Path, studies: dict, *, beta_metrics: list) -> dict:
    """root/config/config.yaml running ``studies`` (name -> config path):
    the first study's config without its per-study keys, two alpha metrics."""
    main = yaml.safe_load((root / next(iter(studies.values()))).read_text())
    for key in ("samples", "primers", "merge", "filter", "denoise", "decontam"):
        main.pop(key, None)
    main["studies"] = studies
    main["diversity"]["alpha_metrics"] = ["observed_features", "shannon"]
    main["diversity"]["beta_metrics"] = beta_metrics
    (root / "config").mkdir(exist_ok=True)
    (root / "config" / "config.yaml").write_text(yaml.safe_dump(main))
    return main


@pytest.fixture(scope="module")
def combined(tmp_path_factory, cohort, ena):  # noqa: F811
    root = tmp_path_factory.mktemp("studies")
    reference = load_reference(REFERENCE)
    paired, _ = simulate_cohort(
        reference,
        root / "data_paired",
        forward=FORWARD,
        reverse=REVERSE,
        n_subjects=3,
        n_controls=2,
        n_mocks=1,
        reads_per_sample=800,
        random_state=11,
    )
    single, _ = simulate_cohort(
        reference,
        root / "data_single",
        forward=FORWARD,
        reverse=REVERSE,
        n_subjects=3,
        reads_per_sample=800,
        random_state=12,
        layout="single",
        read_length=150,
    )
    for prefix, sheet in (("L_", paired), ("S_", single)):
        sheet["sample_id"] = prefix + sheet["sample_id"]
        sheet["subject_id"] = prefix + sheet["subject_id"]
    depth = {"diversity.rarefaction_depth": 300}
    studies = {
        "local": _local_study(root, "local", paired, **depth),
        "single": _local_study(
            root, "single", single, **depth, **{"filter.trunc_length": 120}
        ),
    }
    # the ENA stand-in's study, downloaded into this run's cache
    studies["ena"] = _local_study(root, "ena", cohort, **depth)
    (root / "ena" / "config" / "mapping.yaml").write_text(yaml.safe_dump(MAPPING))
    config = yaml.safe_load((root / studies["ena"]).read_text())
    config["samples"] = None
    config["acquire"] = acquire_settings(
        root / "ena_cache", ena, "ena/config/mapping.yaml"
    )
    (root / studies["ena"]).write_text(yaml.safe_dump(config))

    main = combined_config(root, studies, beta_metrics=["braycurtis", "jaccard"])
    main["stats"]["permanova"] = [
        {"name": "site_and_study", "formula": "body_site + study", "by": "margin"}
    ]
    main["claims"]["power_reps"] = 20
    (root / "config" / "config.yaml").write_text(yaml.safe_dump(main))
    dry = snakemake(root, "-n")
    proc = snakemake(root)
    return root, dry, proc


def test_each_study_runs_its_own_steps(combined):
    root, dry, proc = combined
    assert dry.returncode == 0, dry.stderr[-3000:]
    assert proc.returncode == 0, proc.stderr[-3000:]
    for rule in ("local_sample_reads", "single_sample_reads", "local_decontaminate"):
        assert f"rule {rule}:" in dry.stdout
    # the ENA study's read jobs are known once its checkpoint has run
    assert "rule ena_fetch_run:" in dry.stdout
    assert "localrule ena_fetch_run:" in proc.stderr  # renamed and still local
    assert "rule ena_sample_reads:" in proc.stderr
    # no tree is built across amplicons
    for log in (dry.stdout, proc.stderr):
        assert "build_tree:" not in log

    studies = root / "results" / "studies"
    lengths = {
        name: {
            len(s) for s in read_fasta(studies / name / "asv/asv_seqs.fasta").values()
        }
        for name in ("local", "single", "ena")
    }
    assert lengths["single"] == {120}  # its own truncation length
    assert min(lengths["local"]) > 200 and min(lengths["ena"]) > 200  # merged pairs
    tracking = pd.read_csv(studies / "single/asv/read_tracking.tsv", sep="\t")
    assert tracking["merged"].isna().all()
    assert (root / "logs/studies/local/sample_reads").is_dir()
    # the ENA study's failed run is left out of its sheet and of the merge
    runs = pd.read_csv(root / "results/acquire/runs.tsv", sep="\t")
    assert runs.loc[runs["status"] != "ok", "sample_id"].tolist() == ["P03_lung"]
    assert set(runs["study"]) == {"ena"}


def test_studies_are_merged_at_genus_level(combined):
    root, _, proc = combined
    assert proc.returncode == 0, proc.stderr[-3000:]
    merged = read_table(root / "results/decontam/table.biom")
    taxonomy = read_taxonomy(root / "results/taxonomy/taxonomy.tsv")
    assert list(taxonomy.index) == list(merged.index)
    sheet = pd.read_csv(root / "results/combined/samples.tsv", sep="\t", index_col=0)
    # the analysis table: every study's samples, in sheet order, no blanks
    assert list(merged.columns) == [s for s in sheet.index if s in merged.columns]
    assert "P03_lung" not in sheet.index
    blanks = sheet.index[sheet["sample_type"] == "negative_control"]
    assert len(blanks) == 2 and not blanks.isin(merged.columns).any()
    # every study's decontaminated table, summed to genus on its own, is
    # exactly its block of the merged table (blanks and the mock left out)
    for name in ("local", "single", "ena"):
        own = read_table(root / f"results/studies/{name}/decontam/table.biom")
        own_tax = read_taxonomy(root / f"results/studies/{name}/taxonomy/taxonomy.tsv")
        expected = collapse(own, own_tax, rank="g")
        expected = expected.loc[expected.sum(axis=1) > 0]
        block = merged[list(own.columns)]
        block = block.loc[block.sum(axis=1) > 0]
        pd.testing.assert_frame_equal(
            block.sort_index(), expected.sort_index(), check_names=False
        )
        assert (sheet.loc[list(own.columns), "study"] == name).all()
    summary = pd.read_csv(root / "results/combined/studies.tsv", sep="\t", index_col=0)
    assert sorted(summary.index) == ["ena", "local", "single"]
    assert summary["taxa_shared_by_all"].iloc[0] > 5


def test_study_enters_the_merged_analyses(combined):
    root, _, proc = combined
    assert proc.returncode == 0, proc.stderr[-3000:]
    permanova = pd.read_csv(
        root / "results/stats/permanova/braycurtis.tsv", sep="\t"
    ).astype(str)
    assert permanova.apply(lambda c: c.str.fullmatch("study")).any().any()
    claims = pd.read_csv(root / "results/associations/claims.tsv", sep="\t")
    assert {"local", "single", "ena"} <= set(claims["study"])
    alpha = pd.read_csv(root / "results/diversity/alpha.tsv", sep="\t", index_col=0)
    assert "faith_pd" not in alpha.columns
    html = report_text(root)
    assert "<h2>Studies merged</h2>" in html
    assert "<h2>Public data: runs and metadata</h2>" in html
    assert "P03_lung (ERR4444406) was left out" in html
