"""The report's assembly.

The report's assembly: read the files a manifest names, draw the figures,
write the SVGs and the page.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pandas as pd

from ..io import atomic_path, read_table, read_taxonomy, read_tsv
from ..taxonomy import genus_of
from .figures import (
    MAX_SAMPLE_BARS,
    fig_alpha,
    fig_claims_forest,
    fig_contamination,
    fig_differential,
    fig_genus_barplot,
    fig_maturity_age,
    fig_maturity_maz,
    fig_maturity_taxa,
    fig_pcoa,
    fig_rarefaction_curves,
    fig_read_quality,
    fig_read_tracking,
    fig_scfa,
    genus_table,
    render_all,
)
from .html import Page, render_report
from .names import TOGETHER, check_manifest


def _read_plain(path) -> pd.DataFrame:
    """Read a stats table as written (no index column)."""
    return pd.read_csv(path, sep="\t")


def read_curves(path) -> pd.DataFrame:
    """Read per-group rarefaction curves (groups as text)."""
    return pd.read_csv(path, sep="\t", dtype={"group": str})


def _together(files: dict, first: str) -> dict:
    """Pick a section's files: ``first`` and those that come with it."""
    return {k: files[k] for k in (first, *TOGETHER[first])}


def _studies_section(path) -> tuple[list[str], pd.DataFrame]:
    from . import summaries

    summary = _read_plain(path)
    return summaries.studies_sentences(summary), summary.set_index("study")


def build_report(
    manifest: dict,
    *,
    output: str | os.PathLike,
    figures_dir: str | os.PathLike,
    ladder: str | os.PathLike | None = None,
    tables_dir: str | os.PathLike | None = None,
    threads: int = 1,
) -> None:
    """Build the report from a manifest.

    Read the files a manifest names, draw the figures, write the SVGs and
    the HTML.

    Parameters
    ----------
    manifest
        ``files`` (keys and meaning in :data:`.names.MANIFEST_FILES`) and
        ``settings`` (``title``, ``group_column``, ``rarefactions``,
        ``maturity_group``, ``maturity_rank``, ``age_column``: the unit of
        the maturity axes); checked with
        :func:`.names.check_manifest`. The required files give the read
        tracking, composition, alpha and ordination figures; each other file
        adds its section: ``maturity`` (with ``importances``) the three
        maturity figures grouped by ``maturity_group``; ``curves`` the
        rarefaction curves; the stats tables a section each, with sentences
        (:mod:`.summaries`) above the table; ``contaminants`` (with
        ``filtered``, ``signal``, ``mock``, ``mock_taxa``) the contamination
        section and figure; ``claims`` the claims section, first; ``runs``
        (with ``unmapped``, ``dropped``) a section on the downloaded runs;
        ``studies`` a section on the merged studies.
    output
        The HTML file.
    figures_dir
        Where the SVGs go, one per figure (:mod:`.names`).
    ladder
        Where the evidence ladder goes as a standalone page
        (:func:`.ladder.ladder_page`); needs ``claims``. The report holds
        the same ladder as a section after the claims.
    tables_dir
        Where the tables too long to show whole go, one TSV each
        (:data:`.html.MAX_TABLE_ROWS`); the report links them by their path
        relative to it. Default: ``tables/`` beside the report. Each run
        empties it first, so it holds this report's tables only.
    threads
        Figures rendered to SVG side by side (:func:`.figures.render_all`);
        the SVGs are the same whatever the number.
    """
    checked = check_manifest(manifest)
    files, settings = checked["files"], checked["settings"]
    core = read_core(files, settings["group_column"])
    figures = core_figures(core, files, settings["group_column"])
    contamination = (
        contamination_section(_together(files, "contaminants"), core, figures)
        if "contaminants" in files
        else None
    )
    acquired = (
        acquisition_section(_together(files, "runs")) if "runs" in files else None
    )
    stats = stats_sections(files, figures)
    if "maturity" in files:
        maturity_figures(files, settings, core, figures)
    scfa = (
        scfa_section(files["scfa"], core, figures, settings["group_column"])
        if "scfa" in files
        else None
    )
    claims = claims_section(files["claims"], figures) if "claims" in files else None
    quality = (
        quality_section(files["quality"], core, settings, figures)
        if "quality" in files
        else None
    )
    if ladder is not None:
        if "claims" not in files:
            raise ValueError(
                "the evidence ladder needs claims.tsv: add 'claims' to the "
                "manifest's files or drop --ladder"
            )
        from .ladder import ladder_page

        with atomic_path(ladder) as tmp:
            tmp.write_text(ladder_page(settings["title"], _read_plain(files["claims"])))
    svgs = render_all(figures, threads=threads)
    for key, svg in svgs.items():
        with atomic_path(Path(figures_dir) / f"{key}.svg") as tmp:
            tmp.write_text(svg)
    studies = files.get("studies")
    provenance = (
        provenance_section(files["provenance"]) if "provenance" in files else None
    )
    tables_dir = Path(tables_dir or Path(output).parent / "tables")
    page = Page(
        tables_link=Path(
            os.path.relpath(tables_dir, Path(output).parent or ".")
        ).as_posix()
    )
    text = render_report(
        title=settings["title"],
        tracking=core.track,
        rarefaction=core.rare,
        figures=svgs,
        captions=captions(settings, core.rare),
        stats=stats,
        contamination=contamination,
        claims=claims,
        scfa=scfa,
        acquisition=acquired,
        studies=_studies_section(studies) if studies else None,
        provenance=provenance,
        quality=quality,
        page=page,
    )
    write_tables(page.full_tables, tables_dir)
    with atomic_path(output) as tmp:
        tmp.write_text(text)


def write_tables(tables: dict[str, pd.DataFrame], folder: str | os.PathLike) -> None:
    """Write the collapsed tables in full, one TSV each, into an emptied folder.

    Every TSV of an earlier report in ``folder`` is removed first, so that a
    link never points at another run's table.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.tsv"):
        old.unlink()
    for name, table in tables.items():
        with atomic_path(folder / f"{name}.tsv") as tmp:
            table.to_csv(tmp, sep="\t")


@dataclass
class Core:
    """What every report reads: the required files, parsed."""

    track: pd.DataFrame
    counts: pd.DataFrame
    tax: pd.DataFrame
    sheet: pd.DataFrame
    alpha: pd.DataFrame
    rare: pd.DataFrame

    @property
    def sites(self) -> pd.Series:
        """Each sample's body site."""
        return self.sheet["body_site"]


def read_core(files: dict, group_column: str) -> Core:
    """Read the required files of a manifest.

    Raises
    ------
    ValueError
        The sheet has no ``group_column``.
    """
    from ..inputs.sheet import read_sample_sheet

    sheet = read_sample_sheet(files["samples"]).set_index("sample_id")
    if group_column not in sheet.columns:
        raise ValueError(
            f"{files['samples']}: no column {group_column!r} for the report's group "
            "plot; set diversity.group_column to a sample-sheet column"
        )
    return Core(
        track=read_tsv(files["tracking"]),
        counts=read_table(files["table"]),
        tax=read_taxonomy(files["taxonomy"]).to_frame(),
        sheet=sheet,
        alpha=read_tsv(files["alpha"]),
        rare=read_tsv(files["rarefaction"]),
    )


def core_figures(core: Core, files: dict, group_column: str) -> dict:
    """Prepare the figures every report has (and the curves when given).

    Each is a function that draws it (:func:`.figures.render_all` draws and
    renders them side by side); the data are read here.
    """
    from ..io import read_ordination

    sites, alpha_df = core.sites, core.alpha
    ordinations = {Path(p).stem: read_ordination(p) for p in files["pcoa"]}
    group = core.sheet[group_column].replace("", pd.NA)
    group_label = group.reindex(alpha_df.index).astype("string").fillna("NA")
    group_label = sites.reindex(alpha_df.index) + ": " + group_label
    figures = {
        "read_tracking": partial(fig_read_tracking, core.track),
        "genus_barplot": partial(
            fig_genus_barplot, genus_table(core.counts, core.tax), sites
        ),
        "alpha_body_site": partial(fig_alpha, alpha_df, sites, label="body site"),
        "alpha_group": partial(
            fig_alpha, alpha_df, group_label, label=f"body site: {group_column}"
        ),
        "pcoa": partial(fig_pcoa, ordinations, sites),
    }
    if "curves" in files:
        figures["rarefaction_curves"] = partial(
            fig_rarefaction_curves, read_curves(files["curves"])
        )
    return figures


def contamination_section(decontam: dict, core: Core, figures: dict):
    """Read the contamination tables: add the figure, return the section."""
    from . import summaries

    sheet, track = core.sheet, core.track
    calls = _read_plain(decontam["contaminants"])
    signal = read_tsv(decontam["signal"])
    signal["reason"] = signal["reason"].fillna("")
    mock = _read_plain(decontam["mock"])
    mock_taxa = _read_plain(decontam["mock_taxa"])
    filtered = _read_plain(decontam["filtered"])
    conc = sheet["dna_conc"] if "dna_conc" in sheet else None
    figures["contamination"] = partial(fig_contamination, signal, conc, mock_taxa)
    shown = calls[calls["contaminant"].astype(bool)].copy()
    shown["taxon"] = shown["taxon"].map(genus_of)
    return (
        summaries.decontam_sentences(
            calls, signal, mock, track.reset_index(), filtered
        ),
        [
            (
                "contaminants",
                "Features called contaminants, with decontam's evidence.",
                shown[
                    [
                        "feature_id",
                        "body_site",
                        "method",
                        "prev_samples",
                        "prev_controls",
                        "p_freq",
                        "p_prev",
                        "p",
                        "p_signature",
                        "called_by",
                        "taxon",
                    ]
                ],
            ),
            (
                "signal",
                "Signal above background per sample (profile before contaminant "
                "removal against the negative controls).",
                signal.drop(columns=["excluded"]),
            ),
            ("mock", "Mock communities against the expected composition.", mock),
        ],
    )


def acquisition_section(acquisition: dict):
    """Read the acquisition tables and return the public-data section."""
    from . import summaries

    runs = _read_plain(acquisition["runs"])
    unmapped = _read_plain(acquisition["unmapped"])
    dropped = _read_plain(acquisition["dropped"])
    return (
        summaries.acquisition_sentences(runs, unmapped, dropped),
        [
            (
                "runs",
                "One row per ENA run: whether its files arrived intact (size and "
                "md5 as published); failed runs are left out of every analysis.",
                runs[
                    [
                        "sample_id",
                        "run_accession",
                        "status",
                        "reason",
                        "library_layout",
                        "instrument_model",
                    ]
                ],
            ),
            (
                "unmapped",
                "Values the study's mapping does not name (set to missing).",
                unmapped,
            ),
            ("dropped", "Rows of the study left out by the mapping.", dropped),
        ],
    )


def stats_sections(files: dict, figures: dict) -> dict:
    """Read the stats tables named; return a section each (volcano figure added)."""
    from . import summaries

    permanova, differential = files.get("permanova"), files.get("differential")
    mixed_models = files.get("mixed_models")
    paired, paired_samples = files.get("paired"), files.get("paired_samples")
    stats: dict[str, tuple[list[str], pd.DataFrame]] = {}
    if permanova:
        perm = pd.concat([_read_plain(p) for p in permanova], ignore_index=True)
        stats["PERMANOVA and dispersion"] = (
            summaries.permanova_sentences(perm),
            perm.drop(columns=["formula"]),
        )
    if differential is not None:
        da = _read_plain(differential)
        if len(da):
            figures["differential"] = partial(fig_differential, da)
        top = da.loc[(da["q"] < 0.05) | da["literature"].astype(bool)]
        stats["Differential abundance"] = (
            summaries.differential_sentences(da),
            top[
                [
                    "analysis",
                    "method",
                    "term",
                    "genus",
                    "log_fc",
                    "unit",
                    "ci_low",
                    "ci_high",
                    "p",
                    "q",
                    "literature",
                ]
            ],
        )
    if mixed_models is not None:
        lme = _read_plain(mixed_models)
        stats["Longitudinal alpha diversity (mixed models)"] = (
            summaries.mixed_model_sentences(lme),
            lme.drop(columns=["test", "formula"]),
        )
    if paired is not None:
        pt = _read_plain(paired)
        per = _read_plain(paired_samples) if paired_samples else pd.DataFrame()
        stats["Paired gut and lung samples"] = (summaries.paired_sentences(pt), per)
    return stats


def maturity_figures(files: dict, settings: dict, core: Core, figures: dict) -> None:
    """Add the three maturity figures, grouped by ``maturity_group``."""
    from ..tables import collapse, relative_abundance

    maturity, importances = files["maturity"], files["importances"]
    maturity_group = settings["maturity_group"]
    maturity_rank = settings["maturity_rank"]
    sheet, sites, counts, tax = core.sheet, core.sites, core.counts, core.tax
    scores = read_tsv(maturity)
    imp = read_tsv(importances)["importance"]
    mgroup = sheet[maturity_group] if maturity_group in sheet else sites
    scored = counts[[c for c in scores.index if c in counts.columns]]
    if maturity_rank != "asv":
        scored = collapse(scored, tax["Taxon"], rank=maturity_rank)
    top = [f for f in imp.index[:15] if f in scored.index]
    figures["maturity_age"] = partial(
        fig_maturity_age,
        scores,
        mgroup,
        label=maturity_group,
        age=settings["age_column"],
    )
    figures["maturity_maz"] = partial(
        fig_maturity_maz, scores, mgroup, label=maturity_group
    )
    rel = relative_abundance(scored.loc[:, scored.sum(axis=0) > 0])
    figures["maturity_taxa"] = partial(fig_maturity_taxa, rel.loc[top], scores["state"])


def scfa_section(path, core: Core, figures: dict, group_column: str) -> list[str]:
    """Add the SCFA-producer figure; return the section's sentences."""
    from .summaries import scfa_sentences

    indices = read_tsv(path)
    age = core.sheet["age_days"] if "age_days" in core.sheet else None
    if age is not None:
        age = pd.to_numeric(age, errors="coerce")
    group = core.sheet[group_column] if group_column in core.sheet else None
    figures["scfa"] = partial(fig_scfa, indices, core.sites, age, group, group_column)
    return scfa_sentences(indices, core.sites, group, group_column)


def claims_section(claims: str | os.PathLike, figures: dict):
    """Read claims.tsv: add the forest plots, return the claims section."""
    from . import summaries
    from .ladder import ladder_fragment

    ct = _read_plain(claims)
    shown = ct[
        [
            "claim_id",
            "study",
            "verdict",
            "n",
            "n_stratum",
            "estimate",
            "ci_low",
            "ci_high",
            "p",
            "q",
            "power",
            "grade",
        ]
    ]
    shown = shown.rename(columns={"n_stratum": "n (stratum)"})
    section = (
        summaries.claims_sentences(ct),
        shown.set_index("claim_id"),
        ladder_fragment(ct),
    )
    figures["claims_forest"] = partial(fig_claims_forest, ct)
    return section


def quality_section(folder, core: Core, settings: dict, figures: dict) -> list[str]:
    """Read qc/quality_profiles.tsv: add the quality figure, return sentences.

    The cut drawn on each read is the median over samples of the merge's cut
    (``trunc_r1``/``trunc_r2`` of the read tracking, after the primer), plus
    the primer's length when the reads hold it (``primer_lengths``).
    """
    from ..quality import quality_drop

    profile = pd.read_csv(Path(folder) / "quality_profiles.tsv", sep="\t")
    track = core.track
    primer = dict(zip(("R1", "R2"), settings["primer_lengths"], strict=True))
    cuts: dict[str, float | None] = {}
    for read, column in (("R1", "trunc_r1"), ("R2", "trunc_r2")):
        cut = pd.to_numeric(track.get(column, pd.Series()), errors="coerce")
        cut = cut[cut > 0]  # 0: not cut (single-end, trunc_lengths none)
        cuts[read] = float(cut.median()) + primer[read] if len(cut) else None
    figures["read_quality"] = partial(fig_read_quality, profile, cuts)
    lines = []
    n = profile["sample"].nunique()
    for read in ("R1", "R2"):
        g = profile[profile["read"] == read]
        if g.empty:
            continue
        drop = quality_drop(profile, read, 25.0)
        length = int(g["position"].max())
        where = (
            f"falls below Q25 at position {drop}"
            if drop is not None
            else f"stays at Q25 or above over all {length} positions"
        )
        cut = cuts.get(read)
        cut_text = (
            f"; the merge cut it at {cut:g} (median over samples, primer included)"
            if cut
            else ""
        )
        lines.append(
            f"{read} ({n} samples, first reads of each file): the median "
            f"quality {where}{cut_text}."
        )
    lines.append(
        "Per-sample quality profiles, vsearch --fastq_eestats2 tables and "
        "cutadapt's reports are in results/qc/ (MultiQC reads its cutadapt/ "
        "folder and quality_profile_mqc.json)."
    )
    return lines


def provenance_section(path) -> tuple[list[str], pd.DataFrame]:
    """Read provenance.json: sentences and the versions table (no start time).

    The start time stays in the file: the report of a rerun is byte-identical.
    """
    import json

    record = json.loads(Path(path).read_text())
    project = record["project"]
    inputs = pd.DataFrame(record["inputs"])
    commit = (
        f"commit {project['commit']} ({project['state']})"
        if project.get("commit")
        else project.get("state", "")
    )
    sheet = inputs[inputs["role"] == "sheet"] if not inputs.empty else inputs
    lines = [
        f"gutlung-pipeline {project.get('version', '')}, {commit}; seed "
        f"{record.get('seed')}.",
        f"{len(inputs)} input files with their sha256 in "
        "results/provenance/inputs.tsv"
        + (
            f"; the sample sheet {sheet['path'].iloc[0]}: "
            f"sha256 {sheet['sha256'].iloc[0]}"
            if not sheet.empty
            else ""
        )
        + ".",
        "The resolved config is results/provenance/config.yaml; the run's start "
        "time is in results/provenance/provenance.json (kept out of this page, "
        "so a rerun's report is byte-identical).",
    ]
    versions = pd.DataFrame(record["versions"]).set_index("name")
    return lines, versions


def captions(settings: dict, rare: pd.DataFrame) -> dict[str, str]:
    """Write the figures' and tables' captions."""
    group_column, rarefactions = settings["group_column"], settings["rarefactions"]
    maturity_group = settings["maturity_group"]
    depth = (
        int(rare.loc[rare["rarefied"].astype(bool), "reads"].min()) if len(rare) else 0
    )
    return {
        "claims_forest": "Forest plots: each claim's estimate and 95% CI per study "
        "(blue), the random-effects meta-analysis where several studies test it "
        "(red), and the published effect (grey), against no effect (dashed).",
        "claims": "Each claim of the catalogue re-tested on this study with the model "
        "it names: the estimate on the published scale with its 95% CI, p, q "
        "(Benjamini-Hochberg within the claim's family), the power to detect the "
        "published effect at this n (simulated), and the verdict: consistent "
        "(significant in the published direction), contradicts (significant the "
        "other way), inconclusive, or not testable (with the missing column or "
        "sample count). The grade is the published evidence (mechanism only, "
        "single association, replicated association), one step up for each study "
        "here that finds the claim consistent (an independent replication), none "
        "where a study here contradicts it.",
        "read_tracking_table": "Reads per sample after each step (read pairs "
        "for paired-end data): the numbers behind the figure above.",
        "read_tracking": f"Reads per sample (box plots above {MAX_SAMPLE_BARS} "
        "samples) after each step: input pairs, pairs with "
        "both primers, merged pairs, reads passing the quality filter, reads counted "
        "in the ASV table, reads left in the analysis table (0 for controls, mocks "
        "and excluded samples).",
        "contamination": "Left: each sample's share of reads from features that "
        "are not contaminants of its body site, against its DNA concentration; red "
        "crosses mark samples flagged as indistinguishable from the blanks. Right: "
        "the mock community's observed genus shares against the expected ones.",
        "genus_barplot": "Relative abundance of the most abundant genera in the "
        "analysis table (unrarefied; contaminants, off-target features and "
        "controls removed), samples ordered by body site (above "
        f"{MAX_SAMPLE_BARS} samples: stacked areas, samples side by side, "
        "then ordered by their most abundant genus).",
        "rarefaction_curves": "Mean alpha diversity (± SD between samples) against "
        f"sequencing depth per body site and {group_column}; each sample's value is "
        f"the mean of {rarefactions} seeded rarefactions at each depth.",
        "alpha_body_site": "Observed features, Shannon (bits), Gini-Simpson, Pielou "
        "evenness, Chao1 and Faith PD per sample: the mean of "
        f"{rarefactions} seeded rarefactions to {depth} reads.",
        "alpha_group": f"The same metrics by body site and {group_column}.",
        "pcoa": "PCoA of each distance, coloured by body site, with the share of "
        "variation on each axis. Bray-Curtis, Jaccard and UniFrac (weighted: "
        f"unnormalised) are the mean of {rarefactions} rarefactions; Aitchison (clr "
        "of counts + pseudocount) and robust Aitchison (rclr, rank-3 completion) "
        "use the unrarefied counts.",
        "differential": "Volcano plots: each point a taxon; red at q < 0.05 "
        "(Benjamini-Hochberg across taxa); the genera the gut-lung literature names "
        "are circled and labelled.",
        "maturity_age": "Microbiota age (maturity.method; out-of-fold for reference "
        "samples) against chronological age, by "
        f"{maturity_group}, with the smoothing spline of the reference.",
        "maturity_maz": f"MAZ in each age bin by {maturity_group}: 0 is the reference "
        "median of the bin, 1 its SD.",
        "scfa": "Top left: each sample's share of reads in genera with a butyrate "
        "or propionate pathway (resources/scfa/producers.tsv, scfa.min_confidence), "
        "by body site. Top right: the butyrate share against age. Bottom: the "
        "butyrate-producer log-ratio (ln of the producers' reads over the other "
        f"placed genera's) by body site and {group_column}. A 16S genus is a proxy "
        "for the pathway, not a measured acid; reads without a genus are not "
        "counted (unplaced_share in results/scfa/indices.tsv).",
        "read_quality": "Median Phred score per position of each sample's first "
        "reads (grey), the median across samples with the 25th-75th percentile "
        "band (blue), Q30 (dotted) and Q25 (dashed), and where the run cut the "
        "reads before the merge (red; merge.trunc_lengths: auto chooses the cut "
        "that keeps the overlap with the fewest expected errors). Positions "
        "count from the read's first base, primer included.",
        "maturity_taxa": "Mean relative abundance per age bin of the 15 most "
        "important features of the maturity model.",
    }
