"""The whole workflow with the real tools (vsearch, cutadapt, MAFFT, FastTree).

One demo-sized run (the same cohort as `make demo`) checked for invariants and
known answers, a second run for byte-identical outputs, a single-end run, and
bad inputs that must stop with one clear line and leave no complete-looking
output.
"""

from __future__ import annotations

import gzip
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import (
    FORWARD,
    REFERENCE,
    REPO,
    REVERSE,
    needs_chromium,
    needs_r,
    needs_tools,
    render_in_chromium,
    report_text,
)

from gutlung_pipeline.io import read_fasta, read_table
from gutlung_pipeline.simulate import (
    load_reference,
    mock_expected,
    simulate_cohort,
    write_cohort,
)

pytestmark = [pytest.mark.workflow, needs_tools]
BIN = Path(sys.executable).parent


def snakemake_command(workdir: Path, *args: str) -> tuple[list[str], dict]:
    """The workflow's command in ``workdir`` on 2 cores, and its environment."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    command = [
        str(BIN / "snakemake"),
        "--snakefile",
        str(REPO / "Snakefile"),
        "--directory",
        str(workdir),
        "--cores",
        "2",
        *args,
    ]
    return command, env


def snakemake(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    command, env = snakemake_command(workdir, *args)
    return subprocess.run(command, capture_output=True, text=True, env=env, check=False)


NO_STATS = {
    "permanova": [],
    "differential": [],
    "longitudinal": [],
    "paired": {"enabled": False},
}


def make_workdir(
    path: Path, sheet: pd.DataFrame, *, stats: bool = False, **overrides
) -> Path:
    """A working directory with config/config.yaml pointing at ``sheet``.

    Maturity and the shipped stats analyses need the demo's infants and
    adults: they are on only where a test asks for them; robust_aitchison
    needs 4 samples, and is off for sheets with fewer. decontam is on when
    the sheet has negative controls (the small cohorts have none).
    """
    (path / "config").mkdir(parents=True, exist_ok=True)
    sheet.to_csv(path / "config" / "samples.tsv", sep="\t", index=False)
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    config["samples"] = "config/samples.tsv"
    config["taxonomy"]["reference"] = str(REFERENCE)
    config["maturity"]["enabled"] = False
    config["decontam"]["enabled"] = bool(
        (sheet["sample_type"] == "negative_control").any()
    )
    config["decontam"]["mock"]["expected"] = None
    if (sheet["sample_type"] == "mock").any():  # the simulator's mock
        mock_expected().to_csv(path / "config" / "mock.tsv", sep="\t", index=False)
        config["decontam"]["mock"]["expected"] = "config/mock.tsv"
    if not stats:
        config["stats"].update(NO_STATS)
    if (~sheet["sample_type"].isin(["negative_control", "mock"])).sum() < 4:
        # rank-3 completion needs 4 samples: the plan refuses it on fewer
        config["diversity"]["beta_metrics"].remove("robust_aitchison")
    for key, value in overrides.items():
        section, _, name = key.partition(".")
        config.setdefault(section, {})[name] = value
    (path / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    return path


@pytest.fixture(scope="module")
def demo_cohort(tmp_path_factory):
    """The `make demo` cohort (same seed and sizes), written to a temp folder."""
    out = tmp_path_factory.mktemp("demo_data")
    sheet, truth = simulate_cohort(
        load_reference(REFERENCE),
        out,
        forward=FORWARD,
        reverse=REVERSE,
        n_subjects=12,
        n_controls=6,
        n_mocks=1,
        n_infants=12,
        reads_per_sample=2000,
        random_state=42,
    )
    write_cohort(sheet, truth, sheet_path=out / "s.tsv", truth_path=out / "t.tsv")
    return sheet, truth


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory, demo_cohort):
    sheet, truth = demo_cohort
    work = make_workdir(
        tmp_path_factory.mktemp("run1"), sheet, stats=True, **{"maturity.enabled": True}
    )
    proc = snakemake(work)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return work, sheet, truth


def test_dry_run_of_each_config_variant(tmp_path, demo_cohort):
    sheet, _ = demo_cohort
    proc = snakemake(make_workdir(tmp_path / "paired", sheet), "-n", "-p")
    assert proc.returncode == 0, proc.stderr
    assert "sample_reads" in proc.stdout and " --fq2 " in proc.stdout
    assert "--min-length 200" in proc.stdout
    # at most denoise.samples_per_job samples a sample_reads job, in sheet
    # order, a multiple of threads (2) of jobs, the samples shared out evenly
    n = len(sheet)
    jobs = re.findall(r"gutlung sample-reads --samples (.*?) --fq1", proc.stdout)
    want = math.ceil(math.ceil(n / 48) / 2) * 2
    assert len(jobs) == want and n > 48
    assert sorted(s for job in jobs for s in job.split()) == sorted(sheet["sample_id"])
    sizes = sorted(len(job.split()) for job in jobs)
    assert sizes[-1] <= 48 and sizes[-1] - sizes[0] <= 1
    first = list(sheet["sample_id"][: -(-n // want)])
    assert first in [job.split() for job in jobs]
    assert re.findall(r"--threads (\d+) --stats", proc.stdout) == ["1"] * want
    one = make_workdir(tmp_path / "one", sheet, **{"denoise.samples_per_job": 1})
    proc = snakemake(one, "-n", "-p")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("gutlung sample-reads --samples") == n
    single = sheet.drop(columns="fq2")
    proc = snakemake(make_workdir(tmp_path / "single", single), "-n", "-p")
    assert proc.returncode == 0, proc.stderr
    assert "sample_reads" in proc.stdout and " --fq2 " not in proc.stdout
    assert "--trunc-length 150" in proc.stdout
    proc = snakemake(REPO, "-n")  # the shipped config, from the repository root
    assert proc.returncode == 0, proc.stderr


def test_read_tracking_covers_every_sample_and_matches_table(demo_run):
    work, sheet, _ = demo_run
    tracking = pd.read_csv(
        work / "results/asv/read_tracking.tsv", sep="\t", index_col=0
    )
    assert list(tracking.index) == list(sheet["sample_id"])
    table = read_table(work / "results/asv/asv_table.biom")
    assert list(table.columns) == list(sheet["sample_id"])
    assert tracking["in_table"].to_dict() == table.sum(axis=0).to_dict()
    steps = ["input", "primer_trimmed", "merged", "filtered", "in_table"]
    assert (tracking[steps].diff(axis=1).iloc[:, 1:] <= 0).all().all()
    # the expected-error filter picks the reads to denoise; the reads counted
    # are all those within the length limits
    assert (tracking["quality_filtered"] <= tracking["filtered"]).all()
    assert (tracking["quality_filtered"] < tracking["in_table"]).any()
    assert (tracking.loc[tracking.index.str.startswith("P"), "input"] == 2000).all()
    tsv = read_table(work / "results/asv/asv_table.tsv")
    pd.testing.assert_frame_equal(tsv, table, check_names=False)


def test_asv_ids_are_md5_and_tree_tips_equal_asvs(demo_run):
    import hashlib

    from skbio import TreeNode

    work, _, _ = demo_run
    asvs = read_fasta(work / "results/asv/asv_seqs.fasta")
    assert all(hashlib.md5(s.encode()).hexdigest() == k for k, s in asvs.items())
    table = read_table(work / "results/asv/asv_table.biom")
    assert list(table.index) == list(asvs)
    tree = TreeNode.read(str(work / "results/phylogeny/tree.nwk"))
    assert sorted(t.name for t in tree.tips()) == sorted(asvs)
    assert len(tree.children) == 2  # rooted


def test_recovers_true_sequences_with_few_spurious(demo_run):
    work, _, truth = demo_run
    asvs = read_fasta(work / "results/asv/asv_seqs.fasta")
    found = set(asvs.values())
    major = truth[truth["observed_share"] >= 0.01]
    recovered = major["sequence"].isin(found).mean()
    true_seqs = set(truth["sequence"])
    spurious = sum(s not in true_seqs for s in found) / len(found)
    assert recovered >= 0.90, recovered
    assert spurious <= 0.10, spurious


def test_taxonomy_layout_and_genus_agreement(demo_run):
    work, _, truth = demo_run
    tax = pd.read_csv(work / "results/taxonomy/taxonomy.tsv", sep="\t")
    assert list(tax.columns) == ["Feature ID", "Taxon", "Confidence"]
    asvs = read_fasta(work / "results/asv/asv_seqs.fasta")
    assert list(tax["Feature ID"]) == list(asvs)
    assert (tax["Confidence"] >= 0.8).all() | tax["Taxon"].eq("Unassigned").all()
    genus_by_seq = dict(zip(truth["sequence"], truth["genus"], strict=False))
    tax = tax.set_index("Feature ID")
    hits = [
        f"g__{genus_by_seq[s]}" in tax.loc[k, "Taxon"]
        for k, s in asvs.items()
        if s in genus_by_seq and "g__" in tax.loc[k, "Taxon"]
    ]
    assert len(hits) > 100 and sum(hits) / len(hits) >= 0.95


def test_alpha_equals_scikit_bio_and_controls_are_listed(demo_run):
    """alpha.tsv is the mean of 10 seeded rarefactions: redo them with
    scikit-bio alone (same Generator, iteration then sample order)."""
    import numpy as np
    from skbio import TreeNode
    from skbio.diversity import alpha_diversity
    from skbio.stats import subsample_counts

    work, sheet, _ = demo_run
    alpha = pd.read_csv(work / "results/diversity/alpha.tsv", sep="\t", index_col=0)
    table = read_table(work / "results/decontam/table.biom")
    kept = table.loc[:, table.sum() >= 1000]
    tree = TreeNode.read(str(work / "results/phylogeny/tree.nwk"))
    rng = np.random.default_rng(42)
    faith, shannon = [], []
    for _ in range(10):
        draw = np.stack(
            [subsample_counts(kept[c].to_numpy(), 1000, seed=rng) for c in kept.columns]
        )
        ids, taxa = list(kept.columns), list(kept.index)
        faith.append(alpha_diversity("faith_pd", draw, ids=ids, taxa=taxa, tree=tree))
        shannon.append(alpha_diversity("shannon", draw, ids=ids, base=2))
    # alpha.tsv keeps 10 significant digits
    np.testing.assert_allclose(alpha["faith_pd"], sum(faith) / 10, rtol=1e-9)
    np.testing.assert_allclose(alpha["shannon"], sum(shannon) / 10, rtol=1e-9)
    assert list(alpha.columns) == [
        "observed_features",
        "shannon",
        "simpson",
        "pielou_e",
        "chao1",
        "faith_pd",
    ]
    rare = read_table(work / "results/diversity/rarefied_table.biom")
    assert (rare.sum() == 1000).all()
    summary = pd.read_csv(
        work / "results/diversity/rarefaction_summary.tsv", sep="\t", index_col=0
    )
    excluded = sorted(summary.index[~summary["rarefied"]])
    # lung samples that were mostly reagent DNA fall below the depth once
    # their contaminants are removed; controls and the mock never get here
    assert excluded == sorted(table.columns[table.sum() < 1000])
    assert excluded and all(s.endswith("_lung") for s in excluded)
    controls = set(sheet["sample_id"][sheet["body_site"] == "none"])
    assert sorted(set(sheet["sample_id"]) - set(alpha.index) - controls) == excluded
    assert not controls & set(summary.index)
    html = report_text(work)
    for sample in excluded:
        assert f"<th>{sample}</th>" in html
    assert "reads &lt; depth 1000" in html or "reads < depth 1000" in html


def test_report_is_self_contained_and_snakemake_report_works(demo_run):
    work, _, _ = demo_run
    html = report_text(work)
    from gutlung_pipeline.report.names import (
        CLAIMS_FIGURES,
        DIFFERENTIAL_FIGURES,
        FIGURES,
        MATURITY_FIGURES,
        QUALITY_FIGURES,
        SCFA_FIGURES,
    )

    extra = (
        *MATURITY_FIGURES,
        *SCFA_FIGURES,
        *DIFFERENTIAL_FIGURES,
        *CLAIMS_FIGURES,
        *QUALITY_FIGURES,
    )
    # one SVG per figure, and the evidence ladder's mechanism chain
    assert html.count("<svg") == len(FIGURES) + len(extra) + 1 == 15
    assert html.index("<h2>Evidence ladder</h2>") < html.index("<h2>Read tracking</h2>")
    ladder = (work / "results/report/evidence_ladder.html").read_text()
    assert ladder.count("<svg") == 1 and "<script" not in ladder
    # nothing is fetched: no external src/href/url() (xmlns URIs are names only)
    for ref in ('src="http', 'href="http', "url(http", "<link", "<script"):
        assert ref not in html, ref
    assert "Microbiota-for-age Z-scores by group" in html
    for fig in (*FIGURES, *extra):
        assert (work / f"results/report/figures/{fig}.svg").stat().st_size > 1000
    proc = snakemake(work, "--report", str(work / "snakemake_report.zip"))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (work / "snakemake_report.zip").stat().st_size > 10000


@needs_chromium
def test_demo_report_reads_like_a_paper_in_chromium(demo_run):
    """Opened in headless Chromium at 1,000 and 700 px, the demo report has
    no horizontal overflow; its contents link every section, its figures and
    tables are numbered in order, and every figure has a caption."""
    import re

    work, _, _ = demo_run
    page = work / "results/report/report.html"
    html = page.read_text()
    toc = html[html.index('<nav class="toc">') : html.index("</nav>")]
    anchors = re.findall(r'href="#([^"]+)"', toc)
    assert len(anchors) == html.count("<h2 ") >= 15
    assert all(f'<h2 id="{a}">' in html for a in anchors)
    for kind in ("Figure", "Table"):
        numbers = [int(k) for k in re.findall(rf"<b>{kind} (\d+)\.</b>", html)]
        assert numbers == list(range(1, len(numbers) + 1)), kind
    assert html.count("<figure ") == html.count("<figcaption>") == 14
    for width in (1000, 700):
        m = render_in_chromium(page, width=width)
        assert m["scroll"] <= m["client"], (width, m["scroll"], m["client"])


def test_stats_tables_and_planted_effects(demo_run):
    """Every configured analysis on every metric; the simulator's planted
    effects are found; the report quotes test, n, statistic and p."""
    work, sheet, _ = demo_run
    metrics = yaml.safe_load((REPO / "config/config.yaml").read_text())["diversity"][
        "beta_metrics"
    ]
    for metric in metrics:
        perm = pd.read_csv(work / f"results/stats/permanova/{metric}.tsv", sep="\t")
        assert set(perm["analysis"]) == {"gut_vs_lung", "adult_gut", "infant_gut"}
        assert (perm["permutations"] == 999).all()
        pcoa = (work / f"results/diversity/pcoa/{metric}.txt").read_text()
        assert "Proportion explained" in pcoa
    perm = pd.read_csv(
        work / "results/stats/permanova/unweighted_unifrac.tsv", sep="\t"
    )
    site = perm.loc[perm["test"].str.startswith("PERMANOVA")].set_index(
        ["analysis", "term"]
    )
    # gut and lung communities differ (planted), within subjects
    assert site.loc[("gut_vs_lung", "body_site"), "p"] < 0.01
    assert site.loc[("gut_vs_lung", "body_site"), "permutation"] == "within subject_id"
    # infant communities change with age (planted succession)
    assert site.loc[("infant_gut", "age_days"), "p"] < 0.01
    assert site.loc[("infant_gut", "age_days"), "permutation"] == (
        "whole subject_id permuted"
    )
    paired = pd.read_csv(work / "results/stats/paired_gut_lung.tsv", sep="\t")
    shared = paired.iloc[0]
    assert shared["own"] > shared["other"] and shared["p"] < 0.01  # planted, 3 strains
    per = pd.read_csv(work / "results/stats/paired_lung_samples.tsv", sep="\t")
    summary = pd.read_csv(
        work / "results/diversity/rarefaction_summary.tsv", sep="\t", index_col=0
    )
    deep = summary.index[summary["rarefied"]]
    lungs = [
        s for s in deep if s.endswith("_lung") and s.replace("lung", "gut") in deep
    ]
    # lung samples that were mostly reagent DNA fall below the depth
    assert sorted(per["lung_sample"]) == sorted(lungs) and len(lungs) >= 6
    assert (per["read_share_own_gut"] > 0.02).mean() >= 0.9
    lme = pd.read_csv(work / "results/stats/alpha_mixed_models.tsv", sep="\t")
    age = lme.loc[lme["term"] == "np.log(age_days)"].set_index("metric")
    assert (age["estimate"] > 0).all() and (age["p"] < 0.001).all()  # richness rises
    da = pd.read_csv(work / "results/stats/differential_abundance.tsv", sep="\t")
    assert set(da["method"]) == {"ANCOM-BC", "dirmult_ttest"}
    assert set(da["adjustment"]) == {"Benjamini-Hochberg across taxa, per term"}
    curves = pd.read_csv(work / "results/diversity/rarefaction_curves.tsv", sep="\t")
    assert set(curves["metric"]) == {"observed_features", "shannon", "faith_pd"}
    html = report_text(work)
    for heading in (
        "PERMANOVA and dispersion",
        "Differential abundance",
        "Longitudinal alpha diversity (mixed models)",
        "Paired gut and lung samples",
        "Rarefaction curves",
    ):
        assert f"<h2>{heading}</h2>" in html
    assert (
        "gut_vs_lung, unweighted_unifrac: PERMANOVA (adonis2, by=terms) of body_site: R"
        in html
    )


def test_stats_design_errors_stop_before_any_job(tmp_path, demo_cohort):
    sheet, _ = demo_cohort
    bad = [
        {"name": "typo", "formula": "asthmaa"},
        {
            "name": "lonely",
            "formula": "body_site",
            "where": {"sample_id": ["P01_gut", "P01_lung", "P02_gut"]},
        },
        {
            "name": "strata1",
            "formula": "body_site",
            "strata": "subject_id",
            "where": {"sample_id": ["P01_gut", "P02_gut", "P03_lung", "P04_lung"]},
        },
    ]
    work = make_workdir(tmp_path / "w", sheet, **{"stats.permanova": bad})
    proc = snakemake(work)
    assert_stopped_before_any_job(
        work, proc, "typo: column 'asthmaa' is not in the sample sheet"
    )
    assert (
        "lonely: column 'body_site': group 'lung' has a single sample (P01_lung)"
        in proc.stderr
    )
    assert "strata1: strata 'subject_id': every stratum has a single" in proc.stderr
    # a run that asks only for the ASV table is not stopped by them: each is
    # a warning, and no stats job is planned
    part = snakemake(work, "-n", "results/asv/asv_table.biom")
    assert part.returncode == 0, part.stderr[-2000:]
    assert "lonely: column 'body_site': group 'lung' has a single" in part.stderr
    assert "its outputs cannot be made, and this run did not ask for the whole" in (
        part.stderr
    )
    assert "permanova" not in part.stdout
    # naming the default rule is asking for everything
    assert snakemake(work, "-n", "all").returncode != 0


def test_decontam_removes_planted_contaminants_and_keeps_lung_taxa(demo_run):
    """The simulator's reagent contaminants (their share falls as biomass
    rises) leave the lung samples; no true lung taxon above 1% does."""
    work, sheet, truth = demo_run
    calls = pd.read_csv(work / "results/decontam/contaminants.tsv", sep="\t")
    table = read_table(work / "results/decontam/table.biom")
    ids = sheet.set_index("sample_id")
    controls = set(ids.index[ids["sample_type"].isin(["negative_control", "mock"])])
    assert not controls & set(table.columns)
    assert set(table.columns) == set(ids.index) - controls
    lung = calls[calls["body_site"] == "lung"]
    called = set(lung["feature_id"][lung["contaminant"]])
    seen = set(lung["feature_id"][lung["prev_samples"] > 0])
    planted = set(truth["md5"][truth["source"] == "contaminant"]) & seen
    recall = len(called & planted) / len(planted)
    precision = len(called & planted) / len(called)
    assert recall >= 0.75 and precision >= 0.9, (recall, precision)
    true_lung = truth[
        truth["sample_id"].str.endswith("_lung")
        & (truth["source"] != "contaminant")
        & (truth["observed_share"] > 0.01)
    ]
    assert not called & set(true_lung["md5"])
    lung_samples = [s for s in table.columns if s.endswith("_lung")]
    assert table.loc[table.index.isin(called), lung_samples].to_numpy().sum() == 0
    # signal above background follows the planted contaminant share
    signal = pd.read_csv(work / "results/decontam/signal.tsv", sep="\t", index_col=0)
    planted_share = (
        truth[truth["source"] == "contaminant"].groupby("sample_id")["reads"].sum()
        / truth.groupby("sample_id")["reads"].sum()
    )
    frac = signal.loc[lung_samples, "noncontaminant_fraction"]
    assert (abs(frac - (1 - planted_share[lung_samples])) < 0.1).all()
    flagged = set(signal.index[signal["flagged"]])
    assert flagged == {s for s in lung_samples if frac[s] < 0.5}
    assert flagged and not (signal["excluded"]).any()
    # read tracking: the removal columns add up to the denoised table
    track = pd.read_csv(
        work / "results/decontam/read_tracking.tsv", sep="\t", index_col=0
    )
    bio = track[track["role"] == "sample"]
    removed = bio[["organelle_removed", "unassigned_removed", "contaminant_removed"]]
    assert (removed.sum(axis=1) + bio["analysed"] == bio["in_table"]).all()
    assert (bio["analysed"] == table.sum(axis=0).reindex(bio.index)).all()
    # the mock: every expected genus found, composition close
    mock = pd.read_csv(work / "results/decontam/mock.tsv", sep="\t").iloc[0]
    assert mock["sample_id"] == "MOCK01" and mock["recall"] == 1.0
    assert mock["bray_curtis"] < 0.1 and mock["precision"] >= 0.6
    html = report_text(work)
    assert "Contamination: negative controls and mock communities" in html
    assert (
        "lung: decontam combined (threshold 0.1), scored with all 96 biological "
        "samples, against 6 negative controls" in html
    )
    assert "MOCK01: mock community recall 1.00" in html


def test_decontam_needs_stop_before_any_job(tmp_path, demo_cohort):
    sheet, _ = demo_cohort
    blanks = sheet["sample_type"] == "negative_control"
    work = make_workdir(tmp_path / "a", sheet[~blanks], **{"decontam.enabled": True})
    proc = snakemake(work, "-n")
    assert_stopped_before_any_job(
        work, proc, "decontam.sites.lung.method: combined needs negative controls"
    )
    # the lung is scored with every biological sample (pool): a stool sample
    # without a concentration stops it too
    no_conc = sheet.copy()
    no_conc.loc[no_conc["sample_id"].isin(["P03_lung", "P05_gut"]), "dna_conc"] = None
    work = make_workdir(tmp_path / "b", no_conc)
    proc = snakemake(work, "-n")
    assert_stopped_before_any_job(
        work,
        proc,
        "combined needs a positive dna_conc for every biological sample "
        "(decontam.sites.lung.pool scores lung with every one) and 2 have none "
        "(P03_lung, P05_gut)",
    )


def test_claims_table_lists_every_claim_and_leads_the_report(demo_run):
    """Every catalogue claim has a row with a verdict; untestable ones say
    why; the planted COPD Streptococcus and infection-Shannon effects are
    found; the claims section comes first in the report."""
    from gutlung_pipeline.claims import COLUMNS, load_catalogue

    work, _, _ = demo_run
    claims = pd.read_csv(work / "results/associations/claims.tsv", sep="\t")
    assert list(claims.columns) == COLUMNS
    assert sorted(claims["claim_id"]) == sorted(c["id"] for c in load_catalogue())
    assert set(claims["study"]) == {"demo"}
    allowed = {"consistent", "contradicts", "inconclusive", "not testable"}
    assert set(claims["verdict"]) <= allowed
    untestable = claims[claims["verdict"] == "not testable"]
    assert untestable["reason"].str.len().gt(10).all()
    assert untestable["estimate"].isna().all()
    by_id = claims.set_index("claim_id")
    assert by_id.loc["dickson2016_bacteroides_lung_ards", "reason"] == (
        "needs column ards, which the sheet lacks"
    )
    assert by_id.loc["bowerman2020_copd_streptococcus", "verdict"] == "consistent"
    woodall = by_id.loc["woodall2022_infection_shannon"]
    assert woodall["estimate"] < 0 and woodall["ci_high"] < 0
    tested = claims[claims["verdict"] != "not testable"]
    assert (tested["q"] >= tested["p"]).all()
    html = report_text(work)
    first = html.index("<h2>")
    assert html[first:].startswith("<h2>Claims from the literature, re-tested</h2>")
    assert "bowerman2020_copd_streptococcus (demo): CONSISTENT" in html


def test_broken_catalogue_stops_before_any_job(tmp_path, tiny):
    catalogue = tmp_path / "claims.yaml"
    catalogue.write_text("claims:\n  - id: Bad-ID\n")
    work = make_workdir(tmp_path / "w", tiny, **{"claims.catalogue": [str(catalogue)]})
    proc = snakemake(work, "-n")
    assert_stopped_before_any_job(work, proc, f"{catalogue} (claim Bad-ID): key ")


def test_two_runs_give_identical_tables(demo_run, tmp_path):
    work, sheet, _ = demo_run
    second = make_workdir(
        tmp_path / "run2", sheet, stats=True, **{"maturity.enabled": True}
    )
    proc = snakemake(second)
    assert proc.returncode == 0, proc.stderr[-3000:]
    for rel in (
        "results/asv/asv_table.tsv",
        "results/asv/read_tracking.tsv",
        "results/taxonomy/taxonomy.tsv",
        "results/diversity/alpha.tsv",
        "results/asv/asv_table.biom",
        "results/decontam/table.biom",
        "results/decontam/contaminants.tsv",
        "results/decontam/signal.tsv",
        "results/decontam/read_tracking.tsv",
        "results/decontam/mock.tsv",
        "results/associations/claims.tsv",
        "results/phylogeny/tree.nwk",
        "results/diversity/alpha_sd.tsv",
        "results/diversity/rarefaction_curves.tsv",
        "results/diversity/beta/unweighted_unifrac.tsv",
        "results/diversity/beta/robust_aitchison.tsv",
        "results/stats/permanova/braycurtis.tsv",
        "results/stats/differential_abundance.tsv",
        "results/stats/alpha_mixed_models.tsv",
        "results/stats/paired_gut_lung.tsv",
        "results/qc/quality_profiles.tsv",
        "results/qc/quality_profile_mqc.json",
        "results/qc/cutadapt/P01_gut.cutadapt.json",
        "results/qc/eestats2/P01_lung_R2.eestats2.txt",
    ):
        assert (work / rel).read_bytes() == (second / rel).read_bytes(), rel


def test_table_entry_equals_the_reads_run(demo_run, tmp_path):
    """The demo's ASV table entering at the table stage (IDs = sequences, as
    deblur and Qiita write them; no FASTQ columns): every later step runs
    and gives the reads run's files."""
    work, sheet, _ = demo_run
    table = read_table(work / "results/asv/asv_table.tsv")
    seqs = read_fasta(work / "results/asv/asv_seqs.fasta")
    table.index = [seqs[f] for f in table.index]
    table["not_in_sheet"] = 5  # a table column the sheet does not list
    entry = make_workdir(
        tmp_path / "table",
        sheet.drop(columns=["fq1", "fq2"]),
        stats=True,
        **{"maturity.enabled": True},
    )
    table.rename_axis("#OTU ID").to_csv(entry / "config" / "table.tsv", sep="\t")
    config = yaml.safe_load((entry / "config" / "config.yaml").read_text())
    config["feature_table"] = {"table": "config/table.tsv"}
    (entry / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    proc = snakemake(entry)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert not (entry / "results/work").exists()  # no read step ran
    for rel in (
        "results/asv/asv_table.tsv",
        "results/asv/asv_seqs.fasta",
        "results/taxonomy/taxonomy.tsv",
        "results/phylogeny/tree.nwk",
        "results/decontam/table.biom",
        "results/decontam/contaminants.tsv",
        "results/diversity/alpha.tsv",
        "results/diversity/beta/weighted_unifrac.tsv",
        "results/maturity/maturity.tsv",
        "results/stats/permanova/braycurtis.tsv",
        "results/stats/differential_abundance.tsv",
        "results/associations/claims.tsv",
    ):
        assert (work / rel).read_bytes() == (entry / rel).read_bytes(), rel
    tracking = pd.read_csv(
        entry / "results/asv/read_tracking.tsv", sep="\t", index_col=0
    )
    assert tracking["input"].isna().all() and "not_in_sheet" not in tracking.index
    assert (entry / "results/report/report.html").is_file()


def test_table_entry_problems_stop_before_any_job(tmp_path, tiny):
    work = make_workdir(tmp_path, tiny.drop(columns=["fq1", "fq2"]))
    (work / "config" / "table.tsv").write_text("#OTU ID\tP01_gut\nACGT\t3\n")
    config = yaml.safe_load((work / "config" / "config.yaml").read_text())
    config["feature_table"] = {"table": "config/table.tsv", "sequences": "nope.fa"}
    (work / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    proc = snakemake(work, "-n")
    assert_stopped_before_any_job(
        work, proc, "key feature_table.sequences: file nope.fa not found"
    )
    config["feature_table"] = {"table": "config/table.tsv"}
    (work / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    proc = snakemake(work, "-n")
    assert_stopped_before_any_job(
        work, proc, "config/table.tsv: no column for sample(s) P01_lung of the sheet"
    )


@pytest.fixture(scope="module")
def single_end(tmp_path_factory):
    out = tmp_path_factory.mktemp("single_data")
    sheet, truth = simulate_cohort(
        load_reference(REFERENCE),
        out,
        forward=FORWARD,
        reverse=REVERSE,
        n_subjects=3,
        reads_per_sample=1500,
        layout="single",
        random_state=11,
    )
    return sheet, truth


def test_single_end_run_truncates_to_one_length(tmp_path, single_end):
    sheet, truth = single_end
    work = make_workdir(tmp_path, sheet, **{"diversity.rarefaction_depth": 500})
    proc = snakemake(work)
    assert proc.returncode == 0, proc.stderr[-3000:]
    asvs = read_fasta(work / "results/asv/asv_seqs.fasta")
    assert {len(s) for s in asvs.values()} == {150}
    tracking = pd.read_csv(
        work / "results/asv/read_tracking.tsv", sep="\t", index_col=0
    )
    assert tracking["merged"].isna().all()
    major = truth[truth["observed_share"] >= 0.01]["sequence"].str[:150]
    assert major.isin(set(asvs.values())).mean() >= 0.9


# ---------------------------------------------------------------- bad input
@pytest.fixture
def tiny(tmp_path):
    out = tmp_path / "data"
    sheet, _ = simulate_cohort(
        load_reference(REFERENCE),
        out,
        forward=FORWARD,
        reverse=REVERSE,
        n_subjects=1,
        reads_per_sample=300,
        random_state=2,
    )
    return sheet


def assert_stopped_before_any_job(work: Path, proc, expected: str):
    assert proc.returncode != 0
    errors = [ln for ln in proc.stderr.splitlines() if "error:" in ln]
    assert errors and all(ln.startswith("gutlung-pipeline: error: ") for ln in errors)
    assert any(expected in ln for ln in errors), proc.stderr
    assert not (work / "results").exists()


def test_duplicate_sample_id_stops_before_any_job(tmp_path, tiny):
    sheet = tiny.copy()
    sheet.loc[1, "sample_id"] = sheet.loc[0, "sample_id"]
    work = make_workdir(tmp_path / "w", sheet)
    assert_stopped_before_any_job(
        work,
        snakemake(work),
        "config/samples.tsv: rows 2, 3 (sample P01_gut): column sample_id: duplicate ID",
    )


def test_missing_fastq_stops_before_any_job(tmp_path, tiny):
    sheet = tiny.copy()
    sheet.loc[1, "fq2"] = str(tmp_path / "gone_R2.fastq.gz")
    work = make_workdir(tmp_path / "w", sheet)
    assert_stopped_before_any_job(
        work,
        snakemake(work),
        f"row 3 (sample P01_lung): column fq2: file {tmp_path}/gone_R2.fastq.gz not found",
    )


def test_unknown_body_site_stops_before_any_job(tmp_path, tiny):
    sheet = tiny.copy()
    sheet.loc[0, "body_site"] = "stomach"
    work = make_workdir(tmp_path / "w", sheet)
    assert_stopped_before_any_job(
        work,
        snakemake(work),
        "row 2 (sample P01_gut): column body_site: 'stomach' is not allowed; use one of",
    )


def assert_failed_in_trimming(work: Path, proc, sample: str, expected: str):
    assert proc.returncode != 0
    # the sample's sample_reads job (a batch of samples) stopped on its error
    logs = [
        log
        for log in (work / "logs/sample_reads").glob("*.log")
        if f"failed on sample {sample}" in log.read_text()
    ]
    assert len(logs) == 1
    last = logs[0].read_text().strip().splitlines()[-1]
    assert last.startswith(
        f"gutlung sample-reads: error: cutadapt failed on sample {sample}"
    )
    assert expected in last
    assert f"logs/sample_reads/{logs[0].name}" in proc.stderr
    batch = logs[0].stem
    assert not (work / f"results/work/derep/{batch}.fasta").exists()
    assert not (work / f"results/work/stats/{batch}/reads.json").exists()
    assert not (work / "results/asv").exists()


def test_truncated_gzip_fails_clearly_and_leaves_nothing(tmp_path, tiny):
    """Cut short past the 200 reads the plan reads: the sample's job stops
    with cutadapt's fault and the fix, and leaves nothing."""
    sheet = tiny.copy()
    data = Path(sheet.loc[1, "fq1"]).read_bytes()
    broken = tmp_path / "broken_R1.fastq.gz"
    broken.write_bytes(data[: len(data) * 9 // 10])
    sheet.loc[1, "fq1"] = str(broken)
    work = make_workdir(tmp_path / "w", sheet)
    proc = snakemake(work)
    assert_failed_in_trimming(work, proc, "P01_lung", "the file is truncated")


def test_a_gzip_truncated_early_stops_the_plan(tmp_path, tiny):
    """Cut short before its 200th read: the plan names the row, sample, column
    and file before any job."""
    sheet = tiny.copy()
    data = Path(sheet.loc[1, "fq1"]).read_bytes()
    broken = tmp_path / "broken_R1.fastq.gz"
    broken.write_bytes(data[: len(data) // 2])
    sheet.loc[1, "fq1"] = str(broken)
    work = make_workdir(tmp_path / "w", sheet)
    proc = snakemake(work)
    assert proc.returncode != 0
    assert (
        f"gutlung-pipeline: error: config/samples.tsv: row 3 (sample P01_lung): "
        f"column fq1: {broken} cannot be read to its 200th read (Compressed file "
        "ended before the end-of-stream marker was reached); the file is truncated "
        "or damaged: download or copy it again"
    ) in proc.stderr
    assert not (work / "logs").exists()


def test_unequal_mates_fail_clearly_and_leave_nothing(tmp_path, tiny):
    sheet = tiny.copy()
    with gzip.open(sheet.loc[0, "fq2"], "rt") as handle:
        lines = handle.read().splitlines()[:-40]
    short = tmp_path / "short_R2.fastq.gz"
    with gzip.open(short, "wt") as handle:
        handle.write("\n".join(lines) + "\n")
    sheet.loc[0, "fq2"] = str(short)
    work = make_workdir(tmp_path / "w", sheet)
    proc = snakemake(work)
    assert_failed_in_trimming(work, proc, "P01_gut", "Reads are improperly paired")


def test_wrong_primers_stop_before_any_job(tmp_path, tiny):
    """Primers that are not in the reads: the plan reads the first reads of
    each run and stops before any job, naming the primer, the sample, the file
    and the share of reads it starts (a later sample losing its reads at
    primer removal stops build_asv_table: tests/unit/test_read_losses.py)."""
    work = make_workdir(tmp_path / "w", tiny, **{"primers.forward": "A" * 19})
    proc = snakemake(work)
    assert proc.returncode != 0
    first = tiny.iloc[0]
    assert (
        "gutlung-pipeline: error: config/config.yaml: run "
        f"{first['run']}: the forward primer {'A' * 19} starts 0 of the first 300 "
        f"reads of sample {first['sample_id']} ({first['fq1']}, 0%); check "
        "primers.forward (5'->3' as ordered), or set primers.in_reads: false if "
        "the reads start after the primer"
    ) in proc.stderr
    assert not (work / "logs").exists() and not (work / "results").exists()


def test_shell_metacharacters_in_paths_are_quoted(tmp_path, tiny):
    """A FASTQ path with spaces and shell characters reaches the tools intact."""
    sheet = tiny.copy()
    odd = tmp_path / "odd dir $(touch pwned);"
    odd.mkdir()
    for col in ("fq1", "fq2"):
        for i in sheet.index:
            target = odd / Path(sheet.loc[i, col]).name
            shutil.copy(sheet.loc[i, col], target)
            sheet.loc[i, col] = str(target)
    work = make_workdir(tmp_path / "w", sheet, **{"diversity.rarefaction_depth": 100})
    proc = snakemake(work, "results/asv/asv_table.tsv")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert not (work / "pwned").exists() and not Path("pwned").exists()
    assert read_table(work / "results/asv/asv_table.tsv").shape[1] == 2


def test_maturity_on_the_demo_infants(demo_run):
    from scipy.stats import spearmanr

    work, sheet, truth = demo_run
    scores = pd.read_csv(work / "results/maturity/maturity.tsv", sep="\t", index_col=0)
    infants = sheet[sheet["subject_id"].str.startswith("I")].set_index("sample_id")
    assert set(infants.index) <= set(scores.index)
    assert (
        scores["reference"]
        == (sheet.set_index("sample_id").loc[scores.index, "asthma"] == "no")
    ).all()
    ref = scores[scores["reference"]]
    assert spearmanr(ref["prediction"], ref["age"]).statistic >= 0.8
    assert ref["fold"].notna().all()
    imp = pd.read_csv(work / "results/maturity/importances.tsv", sep="\t")
    # collapsed to genus: lineages down to g__ (or as deep as assigned)
    assert imp["feature_id"].str.startswith("d__").all()
    assert imp["feature_id"].str.contains("; g__").mean() > 0.8
    assert not imp["feature_id"].str.contains("; s__").any()


def test_thin_maturity_bins_stop_before_any_job(tmp_path, demo_cohort):
    sheet, _ = demo_cohort
    work = make_workdir(
        tmp_path / "w", sheet, **{"maturity.enabled": True, "maturity.min_per_bin": 40}
    )
    assert_stopped_before_any_job(
        work,
        snakemake(work),
        "maturity: age bins with fewer than 40 reference samples: 0 (",
    )


def test_scfa_producer_indices_on_the_demo(demo_run):
    """results/scfa/indices.tsv for every sample of the analysis table, shares
    that add up with the unplaced ones, and the report's section and figure."""
    from gutlung_pipeline.io import read_table

    work, sheet, _ = demo_run
    indices = pd.read_csv(work / "results/scfa/indices.tsv", sep="\t", index_col=0)
    table = read_table(work / "results/decontam/table.biom")
    assert list(indices.index) == list(table.columns)
    assert (indices["reads"] == table.sum(axis=0)).all()
    shares = indices[["butyrate_share", "propionate_share", "unplaced_share"]]
    assert ((shares >= 0) & (shares <= 1)).all().all()
    # the demo's gut samples carry Faecalibacterium, Roseburia, Bacteroides...
    gut = sheet.set_index("sample_id").reindex(indices.index)["body_site"] == "gut"
    assert indices.loc[gut, "butyrate_share"].median() > 0.05
    html = report_text(work)
    assert "<h2>Short-chain-fatty-acid producers</h2>" in html
    assert (work / "results/report/figures/scfa.svg").is_file()


@needs_r("phyloseq", "rhdf5")
def test_phyloseq_imports_the_export_live(demo_run, tmp_path):
    """phyloseq::import_biom reads results/phyloseq/table.biom with the tree
    and the ASV sequences: the counts cell for cell, the seven ranks, the
    tree's tips and the sheet's columns as sample data; every BIOM written
    passes `biom validate-table`."""
    from gutlung_pipeline.io import read_table, read_tsv

    work, sheet, _ = demo_run
    for rel in (
        "results/phyloseq/table.biom",
        "results/asv/asv_table.biom",
        "results/decontam/table.biom",
    ):
        ok = subprocess.run(
            [str(BIN / "biom"), "validate-table", "-i", str(work / rel)],
            capture_output=True,
            text=True,
        )
        assert "is a valid BIOM-formatted file" in ok.stdout, (rel, ok.stdout)
    script = tmp_path / "ps.R"
    script.write_text(
        """
suppressMessages({library(rhdf5); library(phyloseq)})
args <- commandArgs(TRUE)
ps <- import_biom(args[1], treefilename = args[2], refseqfilename = args[3],
                  parseFunction = parse_taxonomy_greengenes)
write.table(as(otu_table(ps), "matrix"), args[4], sep = "\\t", quote = FALSE)
tax <- as(tax_table(ps), "matrix")
write.table(tax, args[5], sep = "\\t", quote = FALSE)
write.table(as(sample_data(ps), "data.frame"), args[6], sep = "\\t", quote = FALSE)
writeLines(c(paste(rank_names(ps), collapse = ","),
             as.character(ntaxa(phy_tree(ps))), as.character(length(refseq(ps)))),
           args[7])
"""
    )
    out = {k: tmp_path / f"{k}.tsv" for k in ("otu", "tax", "sam", "facts")}
    proc = subprocess.run(
        [
            "Rscript",
            str(script),
            str(work / "results/phyloseq/table.biom"),
            str(work / "results/phylogeny/tree.nwk"),
            str(work / "results/asv/asv_seqs.fasta"),
            *map(str, out.values()),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    table = read_table(work / "results/decontam/table.biom")
    otu = pd.read_csv(out["otu"], sep="\t", index_col=0)
    assert otu.shape == table.shape
    assert (otu.loc[table.index, table.columns].to_numpy() == table.to_numpy()).all()
    ranks, tips, seqs = out["facts"].read_text().split()
    assert ranks == "Kingdom,Phylum,Class,Order,Family,Genus,Species"
    assert int(tips) == int(seqs) == len(table)  # pruned to the table's ASVs
    tax = pd.read_csv(out["tax"], sep="\t", index_col=0, keep_default_na=False)
    ours = read_tsv(work / "results/phyloseq/taxonomy_ranks.tsv").fillna("")
    genus = tax.loc[table.index, "Genus"].replace("NA", "")
    assert (genus == ours.loc[table.index, "Genus"]).all()
    sam = pd.read_csv(out["sam"], sep="\t", index_col=0, dtype=str)
    assert list(sam.loc[table.columns, "asthma"]) == list(
        sheet.set_index("sample_id").loc[table.columns, "asthma"]
    )


def _qiime2_python() -> bool:
    return (
        subprocess.run(
            ["/usr/bin/python3", "-c", "import qiime2"], capture_output=True
        ).returncode
        == 0
        if Path("/usr/bin/python3").exists()
        else False
    )


@pytest.mark.skipif(
    not _qiime2_python(), reason="Debian's qiime (QIIME 2) is installed by make test"
)
def test_qiime2_loads_the_metadata_live(demo_run):
    """QIIME 2's own Metadata.load reads results/metadata.tsv: every sample,
    numeric columns as numeric, categorical as categorical."""
    work, sheet, _ = demo_run
    code = (
        "import sys, qiime2\n"
        "md = qiime2.Metadata.load(sys.argv[1])\n"
        "print(md.id_count)\n"
        "print(md.columns['age_days'].type, md.columns['asthma'].type)\n"
        "print(md.get_column('asthma').to_series()['P01_gut'])\n"
    )
    proc = subprocess.run(
        ["/usr/bin/python3", "-c", code, str(work / "results/metadata.tsv")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    count, types, asthma = proc.stdout.strip().split("\n")
    assert int(count) == len(sheet)
    assert types == "numeric categorical"
    assert asthma == sheet.set_index("sample_id").loc["P01_gut", "asthma"]


MULTIQC = REPO / ".venv-multiqc" / "bin" / "multiqc"


@pytest.mark.skipif(
    not MULTIQC.exists(), reason="MultiQC is installed by `make test` (multiqc-tools)"
)
def test_read_qc_is_kept_and_multiqc_reads_it(demo_run, tmp_path):
    """results/qc holds every sample's cutadapt reports, quality profiles and
    eestats2 tables; MultiQC 1.35 finds every sample's cutadapt report and
    the quality line graph; the report's read-quality section says where the
    median quality falls and where the run cut."""
    work, sheet, _ = demo_run
    qc = work / "results/qc"
    n = len(sheet)
    assert len(list((qc / "cutadapt").glob("*.cutadapt.log"))) == n
    assert len(list((qc / "eestats2").glob("*.eestats2.txt"))) == 2 * n
    profiles = pd.read_csv(qc / "quality_profiles.tsv", sep="\t")
    assert set(profiles["sample"]) == set(sheet["sample_id"])
    assert profiles["position"].max() == 250  # the demo's 2x250 reads
    proc = subprocess.run(
        [str(MULTIQC), str(qc), "-o", str(tmp_path / "mq"), "--no-ansi", "-q"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = tmp_path / "mq/multiqc_data"
    cut = pd.read_csv(data / "multiqc_cutadapt.txt", sep="\t")
    assert set(cut["Sample"]) == set(sheet["sample_id"])
    quality = pd.read_csv(data / "multiqc_gutlung_read_quality_plot.txt", sep="\t")
    assert len(quality) == 2 * n
    html = report_text(work)
    assert "<h2>Read quality</h2>" in html
    assert re.search(r"R2 \(\d+ samples, first reads of each file\): the median ", html)
    assert (work / "results/report/figures/read_quality.svg").is_file()


def test_provenance_names_versions_inputs_and_the_commit(demo_run):
    """results/provenance: every FASTQ of the sheet with its sha256, the
    tools' versions as they print them, the seed; the report's last section
    shows it without the start time."""
    import hashlib
    import json

    work, sheet, _ = demo_run
    record = json.loads((work / "results/provenance/provenance.json").read_text())
    inputs = pd.read_csv(work / "results/provenance/inputs.tsv", sep="\t")
    reads = inputs[inputs["role"] == "reads"].set_index("path")
    fastqs = [p for c in ("fq1", "fq2") for p in sheet[c] if p]
    assert sorted(reads.index) == sorted(fastqs)
    some = fastqs[0]
    assert (
        reads.loc[some, "sha256"] == hashlib.sha256(Path(some).read_bytes()).hexdigest()
    )
    versions = pd.read_csv(work / "results/provenance/versions.tsv", sep="\t")
    vsearch = versions.set_index("name").loc["vsearch", "version"]
    printed = subprocess.run(["vsearch", "--version"], capture_output=True, text=True)
    assert f"v{vsearch}" in printed.stderr
    import snakemake

    tools = versions[versions["kind"] == "tool"].set_index("name")["version"]
    assert tools["snakemake"] == snakemake.__version__  # the one running it
    assert record["seed"] == 42 and record["config"]["seed"] == 42
    report = report_text(work)
    last = report[report.rindex("<h2>") :]
    assert last.startswith("<h2>Provenance</h2>")
    assert record["started"] not in report
