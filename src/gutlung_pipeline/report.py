"""The self-contained HTML report and its SVG figures.

Figures are drawn with matplotlib (Agg), saved as SVG beside the report and
embedded inline, so ``report.html`` is one file that opens offline. SVG output
is made reproducible (fixed hash salt, no date).
"""

from __future__ import annotations

import html
import io
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from .io import atomic_path, read_table, read_taxonomy, read_tsv  # noqa: E402
from .taxonomy import genus_of  # noqa: E402

plt.rcParams["svg.hashsalt"] = "gutlung-pipeline"
plt.rcParams["svg.fonttype"] = "none"
SITE_COLOURS = {"gut": "#8c510a", "lung": "#01665e", "upper_airway": "#5ab4ac",
                "none": "#999999"}  # fmt: skip
FIGURES = ("read_tracking", "genus_barplot", "alpha_body_site", "alpha_group", "pcoa")
MATURITY_FIGURES = ("maturity_age", "maturity_maz", "maturity_taxa")


def genus_table(table: pd.DataFrame, taxonomy: pd.DataFrame, *, top: int = 15):
    """Relative abundance per genus (top genera, the rest as 'Other').

    Returns a samples x genera frame whose rows sum to 1 (samples with no
    reads are all zero).
    """
    genus = taxonomy["Taxon"].reindex(table.index).fillna("Unassigned").map(genus_of)
    by_genus = table.groupby(genus).sum()
    totals = by_genus.sum(axis=0).replace(0, np.nan)
    rel = (by_genus / totals).fillna(0.0).T
    order = rel.mean(axis=0).sort_values(ascending=False).index
    keep = list(order[:top])
    out = rel[keep].copy()
    rest = rel.drop(columns=keep).sum(axis=1)
    if (rest > 0).any():
        out["Other"] = rest
    return out


def _svg(fig) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None}, bbox_inches="tight")
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg") :]


def fig_read_tracking(tracking: pd.DataFrame):
    steps = [c for c in ("input", "primer_trimmed", "merged", "filtered", "in_table")
             if c in tracking and tracking[c].notna().any()]  # fmt: skip
    fig, ax = plt.subplots(figsize=(max(6, 0.35 * len(tracking)), 4))
    x = np.arange(len(tracking))
    width = 0.8 / len(steps)
    for k, step in enumerate(steps):
        ax.bar(x + k * width, tracking[step].astype(float), width, label=step)
    ax.set_xticks(x + 0.4 - width / 2, tracking.index, rotation=90, fontsize=7)
    ax.set_ylabel("reads")
    ax.legend(fontsize=7, ncols=len(steps), loc="upper center",
              bbox_to_anchor=(0.5, 1.12))  # fmt: skip
    return fig


def fig_genus_barplot(genera: pd.DataFrame, sites: pd.Series):
    order = sites.reindex(genera.index).fillna("none").sort_values(kind="stable").index
    data = genera.loc[order]
    fig, ax = plt.subplots(figsize=(max(6, 0.35 * len(data)), 4.5))
    bottom = np.zeros(len(data))
    cmap = plt.get_cmap("tab20")
    for k, col in enumerate(data.columns):
        colour = "#cccccc" if col == "Other" else cmap(k % 20)
        ax.bar(range(len(data)), data[col], bottom=bottom, color=colour, label=col,
               width=0.9)  # fmt: skip
        bottom += data[col].to_numpy()
    labels = [f"{s} ({sites.get(s, '?')})" for s in data.index]
    ax.set_xticks(range(len(data)), labels, rotation=90, fontsize=7)
    ax.set_ylabel("relative abundance")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=7, bbox_to_anchor=(1.01, 1), loc="upper left")
    return fig


def fig_alpha(alpha: pd.DataFrame, groups: pd.Series, *, label: str):
    metrics = list(alpha.columns)
    fig, axes = plt.subplots(1, len(metrics), figsize=(3.2 * len(metrics), 3.4))
    axes = np.atleast_1d(axes)
    values = groups.reindex(alpha.index).astype("string").fillna("NA")
    levels = sorted(values.unique())
    for ax, metric in zip(axes, metrics, strict=True):
        data = [alpha.loc[values == lev, metric].to_numpy() for lev in levels]
        ax.boxplot(data, showfliers=False)
        for k, d in enumerate(data, start=1):
            jitter = np.linspace(-0.12, 0.12, len(d)) if len(d) > 1 else [0.0]
            colour = SITE_COLOURS.get(levels[k - 1], "#333333")
            ax.scatter(k + np.asarray(jitter), d, s=12, color=colour, zorder=3)
        ax.set_xticks(range(1, len(levels) + 1), levels, fontsize=8)
        ax.set_title(metric, fontsize=9)
        ax.set_xlabel(label, fontsize=8)
    fig.tight_layout()
    return fig


def fig_pcoa(ordinations: dict, sites: pd.Series):
    fig, axes = plt.subplots(1, len(ordinations), figsize=(4 * len(ordinations), 3.8))
    axes = np.atleast_1d(axes)
    for ax, (name, ordn) in zip(axes, ordinations.items(), strict=True):
        coords = ordn.samples
        prop = ordn.proportion_explained
        site = sites.reindex(coords.index).fillna("none")
        for lev in sorted(site.unique()):
            pts = coords.loc[site == lev]
            ax.scatter(pts.iloc[:, 0], pts.iloc[:, 1], s=16, label=lev,
                       color=SITE_COLOURS.get(lev, "#333333"))  # fmt: skip
        ax.set_xlabel(f"PC1 ({100 * prop.iloc[0]:.1f}%)", fontsize=8)
        ax.set_ylabel(f"PC2 ({100 * prop.iloc[1]:.1f}%)", fontsize=8)
        ax.set_title(name, fontsize=9)
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    return fig


def fig_maturity_age(scores: pd.DataFrame, group: pd.Series, *, label: str):
    """Microbiota age against chronological age, the reference spline, groups."""
    fig, ax = plt.subplots(figsize=(6, 4.2))
    g = group.reindex(scores.index).astype("string").fillna("NA")
    for k, lev in enumerate(sorted(g.unique())):
        pts = scores[g == lev]
        ax.scatter(pts["age"], pts["prediction"], s=14, alpha=0.8,
                   color=plt.get_cmap("tab10")(k), label=f"{label}: {lev}")  # fmt: skip
    curve = (scores["prediction"] - scores["relative_maturity"]).groupby(scores["age"])
    curve = curve.mean().sort_index()
    ax.plot(curve.index, curve.to_numpy(), color="black", lw=1.5,
            label="reference spline")  # fmt: skip
    ax.set_xlabel("chronological age")
    ax.set_ylabel("microbiota age (predicted)")
    ax.legend(fontsize=7)
    return fig


def fig_maturity_maz(scores: pd.DataFrame, group: pd.Series, *, label: str):
    """MAZ by group in each age bin."""
    g = group.reindex(scores.index).astype("string").fillna("NA")
    levels = sorted(g.unique())
    bins = sorted(scores["state"].dropna().unique())
    fig, ax = plt.subplots(figsize=(max(6, 1.1 * len(bins) * len(levels)), 3.8))
    width = 0.8 / len(levels)
    for k, lev in enumerate(levels):
        data = [scores.loc[(g == lev) & (scores["state"] == b), "maz"].dropna()
                for b in bins]  # fmt: skip
        pos = np.arange(len(bins)) + k * width
        box = ax.boxplot(data, positions=pos, widths=width * 0.9, showfliers=False,
                         patch_artist=True)  # fmt: skip
        for patch in box["boxes"]:
            patch.set_facecolor(plt.get_cmap("tab10")(k))
            patch.set_alpha(0.6)
        ax.plot([], [], color=plt.get_cmap("tab10")(k), lw=6, label=f"{label}: {lev}")
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_xticks(np.arange(len(bins)) + 0.4 - width / 2, [f"{b:g}" for b in bins])
    ax.set_xlabel("age bin (lower edge)")
    ax.set_ylabel("MAZ")
    ax.legend(fontsize=7)
    return fig


def fig_maturity_taxa(abundance: pd.DataFrame, bins: pd.Series):
    """Mean relative abundance of the most age-discriminating taxa per age bin."""
    means = abundance.T.groupby(bins.reindex(abundance.columns)).mean().T
    fig, ax = plt.subplots(figsize=(1.0 * means.shape[1] + 3, 0.35 * len(means) + 1.5))
    im = ax.imshow(means.to_numpy(), aspect="auto", cmap="viridis")
    ax.set_xticks(range(means.shape[1]), [f"{b:g}" for b in means.columns])
    labels = [str(i).split(";")[-1].strip() for i in means.index]
    ax.set_yticks(range(len(means)), labels, fontsize=7)
    ax.set_xlabel("age bin (lower edge)")
    fig.colorbar(im, ax=ax, label="mean relative abundance")
    return fig


def _table_html(df: pd.DataFrame) -> str:
    return df.to_html(classes="data", border=0, na_rep="", float_format="%.4g")


CSS = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1200px;color:#222}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
table.data{border-collapse:collapse;font-size:.8em}
table.data td,table.data th{padding:2px 8px;border-bottom:1px solid #eee}
table.data td{text-align:right}
.fig{overflow-x:auto}.note{color:#555;font-size:.9em}
"""


def render_report(
    *,
    title: str,
    tracking: pd.DataFrame,
    rarefaction: pd.DataFrame,
    figures: dict[str, str],
    captions: dict[str, str],
) -> str:
    """Assemble the HTML text from tables and inline SVG figures."""
    excluded = rarefaction.loc[~rarefaction["rarefied"].astype(bool)]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        "<h2>Read tracking</h2>",
        f'<p class="note">{html.escape(captions["read_tracking"])}</p>',
        f'<div class="fig">{figures["read_tracking"]}</div>',
        _table_html(tracking),
        "<h2>Samples excluded from diversity</h2>",
    ]
    if excluded.empty:
        parts.append("<p>None: every sample reached the rarefaction depth.</p>")
    else:
        parts.append(
            f"<p>{len(excluded)} of {len(rarefaction)} samples are below the "
            "rarefaction depth and are left out of alpha and beta diversity:</p>"
        )
        parts.append(_table_html(excluded[["reads", "reason"]]))
    for key, heading in (
        ("genus_barplot", "Genus composition"),
        ("alpha_body_site", "Alpha diversity by body site"),
        ("alpha_group", "Alpha diversity by group"),
        ("pcoa", "Beta diversity (PCoA)"),
        ("maturity_age", "Microbiota maturity: predicted against chronological age"),
        ("maturity_maz", "Microbiota-for-age Z-scores by group"),
        ("maturity_taxa", "Age-discriminating taxa"),
    ):
        if key not in figures:
            continue
        parts += [
            f"<h2>{heading}</h2>",
            f'<p class="note">{html.escape(captions[key])}</p>',
            f'<div class="fig">{figures[key]}</div>',
        ]
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def build_report(
    *,
    tracking: str | os.PathLike,
    table: str | os.PathLike,
    taxonomy: str | os.PathLike,
    samples: str | os.PathLike,
    alpha: str | os.PathLike,
    rarefaction: str | os.PathLike,
    pcoa: list[str | os.PathLike],
    group_column: str,
    title: str,
    output: str | os.PathLike,
    figures_dir: str | os.PathLike,
    maturity: str | os.PathLike | None = None,
    importances: str | os.PathLike | None = None,
    maturity_group: str = "asthma",
    maturity_rank: str = "g",
) -> None:
    """Read the workflow's outputs, draw the figures, write SVGs and the HTML.

    With ``maturity`` and ``importances`` (outputs of ``gutlung maturity``), the
    three maturity figures are added, grouped by ``maturity_group``.
    """
    from skbio import OrdinationResults

    from .config import read_sample_sheet

    track = read_tsv(tracking)
    counts = read_table(table)
    tax = read_taxonomy(taxonomy).to_frame()
    sheet = read_sample_sheet(samples).set_index("sample_id")
    alpha_df = read_tsv(alpha)
    rare = read_tsv(rarefaction)
    if group_column not in sheet.columns:
        raise ValueError(
            f"{samples}: no column {group_column!r} for the report's group plot; "
            "set diversity.group_column to a sample-sheet column"
        )
    sites = sheet["body_site"]
    ordinations = {Path(p).stem: OrdinationResults.read(str(p)) for p in pcoa}
    group = sheet[group_column].replace("", pd.NA)
    group_label = group.reindex(alpha_df.index).astype("string").fillna("NA")
    group_label = sites.reindex(alpha_df.index) + ": " + group_label
    figures = {
        "read_tracking": fig_read_tracking(track),
        "genus_barplot": fig_genus_barplot(genus_table(counts, tax), sites),
        "alpha_body_site": fig_alpha(alpha_df, sites, label="body site"),
        "alpha_group": fig_alpha(
            alpha_df, group_label, label=f"body site: {group_column}"
        ),
        "pcoa": fig_pcoa(ordinations, sites),
    }
    if maturity is not None:
        from .maturity import collapse, relative_abundance

        scores = read_tsv(maturity)
        imp = read_tsv(importances)["importance"]
        mgroup = sheet[maturity_group] if maturity_group in sheet else sites
        scored = counts[[c for c in scores.index if c in counts.columns]]
        if maturity_rank != "asv":
            scored = collapse(scored, tax["Taxon"], rank=maturity_rank)
        top = [f for f in imp.index[:15] if f in scored.index]
        figures["maturity_age"] = fig_maturity_age(scores, mgroup, label=maturity_group)
        figures["maturity_maz"] = fig_maturity_maz(scores, mgroup, label=maturity_group)
        rel = relative_abundance(scored.loc[:, scored.sum(axis=0) > 0])
        figures["maturity_taxa"] = fig_maturity_taxa(rel.loc[top], scores["state"])
    svgs = {key: _svg(fig) for key, fig in figures.items()}
    figures_dir = Path(figures_dir)
    for key, svg in svgs.items():
        with atomic_path(figures_dir / f"{key}.svg") as tmp:
            tmp.write_text(svg)
    depth = (
        int(rare.loc[rare["rarefied"].astype(bool), "reads"].min()) if len(rare) else 0
    )
    captions = {
        "read_tracking": "Reads per sample after each step: input pairs, pairs with "
        "both primers, merged pairs, reads passing the quality filter, reads counted "
        "in the ASV table.",
        "genus_barplot": "Relative abundance of the most abundant genera (unrarefied "
        "ASV table), samples ordered by body site.",
        "alpha_body_site": "Observed features, Shannon (bits) and Faith PD on the "
        f"rarefied table (smallest kept library: {depth} reads).",
        "alpha_group": f"The same metrics by body site and {group_column}.",
        "pcoa": "PCoA of Bray-Curtis, unweighted and weighted (unnormalised) UniFrac "
        "distances on the rarefied table, coloured by body site.",
        "maturity_age": "Microbiota age (random forest; out-of-fold for reference "
        "samples) against chronological age, by "
        f"{maturity_group}, with the smoothing spline of the reference.",
        "maturity_maz": f"MAZ in each age bin by {maturity_group}: 0 is the reference "
        "median of the bin, 1 its SD.",
        "maturity_taxa": "Mean relative abundance per age bin of the 15 most "
        "important features of the maturity model.",
    }
    text = render_report(
        title=title, tracking=track, rarefaction=rare, figures=svgs, captions=captions
    )
    with atomic_path(output) as tmp:
        tmp.write_text(text)
