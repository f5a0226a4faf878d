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

from .io import atomic_path, read_table  # noqa: E402
from .taxonomy import genus_of  # noqa: E402

plt.rcParams["svg.hashsalt"] = "gutlung-pipeline"
plt.rcParams["svg.fonttype"] = "none"
SITE_COLOURS = {"gut": "#8c510a", "lung": "#01665e", "upper_airway": "#5ab4ac",
                "none": "#999999"}  # fmt: skip
FIGURES = ("read_tracking", "genus_barplot", "alpha_body_site", "alpha_group", "pcoa")


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
    ):
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
) -> None:
    """Read the workflow's outputs, draw the figures, write SVGs and the HTML."""
    from skbio import OrdinationResults

    from .config import read_sample_sheet

    track = pd.read_csv(tracking, sep="\t", index_col=0)
    counts = read_table(table)
    tax = pd.read_csv(taxonomy, sep="\t", index_col=0)
    sheet = read_sample_sheet(samples).set_index("sample_id")
    alpha_df = pd.read_csv(alpha, sep="\t", index_col=0)
    rare = pd.read_csv(rarefaction, sep="\t", index_col=0)
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
    }
    text = render_report(
        title=title, tracking=track, rarefaction=rare, figures=svgs, captions=captions
    )
    with atomic_path(output) as tmp:
        tmp.write_text(text)
