"""The report's figures: pure functions, tables in, a matplotlib figure out.

Drawn with matplotlib (Agg) and saved as SVG (:func:`to_svg`), made
reproducible (fixed hash salt, no date, text as text).
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from ..taxonomy import genus_of  # noqa: E402

plt.rcParams["svg.hashsalt"] = "gutlung-pipeline"
plt.rcParams["svg.fonttype"] = "none"
SITE_COLOURS = {
    "gut": "#8c510a",
    "lung": "#01665e",
    "upper_airway": "#5ab4ac",
    "other": "#b2abd2",
    "none": "#999999",
}


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


def to_svg(fig) -> str:
    """Render a figure as reproducible SVG text and close it.

    Artists drawn with ``rasterized=True`` (the points of figures with more
    than :data:`MAX_SAMPLE_BARS` samples) become one embedded PNG at 150 dpi.
    """
    buf = io.StringIO()
    fig.savefig(
        buf, format="svg", metadata={"Date": None}, bbox_inches="tight", dpi=150
    )
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg") :]


def render_all(figures: dict, *, threads: int = 1) -> dict[str, str]:
    """Draw and render each figure with :func:`to_svg`, ``threads`` at a time.

    A value is a drawn figure or a function of no arguments that draws one
    (a ``functools.partial`` of a ``fig_*`` function, as the report passes
    them): the worker that renders a figure draws it first, so drawing
    (``tight_layout`` lays each figure out) runs side by side as well as
    rendering, which ``bbox_inches="tight"`` does twice. The workers are
    forked, so each inherits the figures and their data; the SVG text comes
    back, and every figure is closed. The SVGs are the same whatever
    ``threads`` (``tests/unit/test_report.py``). A plain fork: the report
    runs no OpenMP code before it (it imports no scikit-bio), whose thread
    pool would not survive it (:func:`gutlung_pipeline.workers.forked_map`).
    """
    from ..workers import forked_map

    try:
        svgs = forked_map(_render, list(figures.values()), threads)
    finally:
        for fig in figures.values():
            if not callable(fig):
                plt.close(fig)
    return dict(zip(figures, svgs, strict=True))


def _drawn(fig):
    """Return ``fig``, or the figure it draws when it is a function."""
    return fig() if callable(fig) else fig


def _render(fig) -> str:
    """One figure of :func:`render_all`, drawn and rendered (in a worker)."""
    return to_svg(_drawn(fig))


MAX_SAMPLE_BARS = 150
#: The widest figure, in inches: the report's column (1,200 px) at 96 dpi with
#: room for a legend. Wider layouts wrap their panels or samples into rows.
MAX_WIDTH = 11.0
#: Samples per row of the per-sample bar charts.
SAMPLES_PER_ROW = 40
#: Each alpha metric's axis label, with its unit.
METRIC_UNITS = {
    "observed_features": "features",
    "shannon": "Shannon (bits)",
    "simpson": "Gini-Simpson (0-1)",
    "pielou_e": "Pielou evenness (0-1)",
    "chao1": "estimated features",
    "faith_pd": "branch length (substitutions/site)",
}


def panel_grid(n: int, panel_w: float, panel_h: float):
    """Lay ``n`` panels out in rows no wider than :data:`MAX_WIDTH`.

    Returns the figure and its first ``n`` axes (the grid's other cells are
    hidden).
    """
    ncol = max(1, min(n, int(MAX_WIDTH // panel_w)))
    nrow = -(-n // ncol)
    fig, axes = plt.subplots(
        nrow, ncol, figsize=(panel_w * ncol, panel_h * nrow), squeeze=False
    )
    flat = list(axes.ravel())
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig, flat[:n]


def _sample_rows(n: int, height: float, legend: float = 0.0):
    """Make a figure of per-sample bars, :data:`SAMPLES_PER_ROW` samples a row.

    ``legend`` inches are kept on the right for a legend outside the axes.
    Returns the figure, its axes and each row's slice of the samples.
    """
    nrow = max(1, -(-n // SAMPLES_PER_ROW))
    per_row = -(-n // nrow)
    width = min(MAX_WIDTH - legend, max(6.0, 0.26 * per_row))
    fig, axes = plt.subplots(nrow, 1, figsize=(width, height * nrow), squeeze=False)
    rows = [slice(k * per_row, min(n, (k + 1) * per_row)) for k in range(nrow)]
    return fig, list(axes[:, 0]), rows


def fig_read_tracking(tracking: pd.DataFrame):
    """Plot the reads per sample after each step."""
    steps = [
        c
        for c in (
            "input",
            "primer_trimmed",
            "merged",
            "filtered",
            "in_table",
            "analysed",
        )
        if c in tracking and tracking[c].notna().any()
    ]
    if len(tracking) > MAX_SAMPLE_BARS:
        fig, ax = plt.subplots(figsize=(6, 4))
        values = [tracking[step].dropna().astype(float) for step in steps]
        ax.boxplot(values, tick_labels=steps, showfliers=True, flierprops={"ms": 2})
        ax.set_ylabel(f"reads per sample ({len(tracking)} samples)")
        ax.tick_params(axis="x", labelsize=7)
        return fig
    fig, axes, rows = _sample_rows(len(tracking), 3.6)
    width = 0.8 / len(steps)
    for ax, part in zip(axes, rows, strict=True):
        shown = tracking.iloc[part]
        x = np.arange(len(shown))
        for k, step in enumerate(steps):
            ax.bar(x + k * width, shown[step].astype(float), width, label=step)
        ax.set_xticks(x + 0.4 - width / 2, shown.index, rotation=90, fontsize=7)
        ax.set_xlim(-0.5, SAMPLES_PER_ROW - 0.5 if len(rows) > 1 else len(x) - 0.5)
        ax.set_ylabel("reads (pairs) per sample")
    axes[0].legend(
        fontsize=7,
        ncols=min(len(steps), 6),
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
    )
    fig.tight_layout()
    return fig


def fig_claims_forest(claims: pd.DataFrame):
    """Draw a forest panel per claim with an estimate and CI.

    A forest panel per claim with an estimate and CI: each study, the
    meta-analysis (if any) and the published effect, against no effect.
    """
    has_ci = claims.dropna(subset=["estimate", "ci_low", "ci_high"])
    ids = list(dict.fromkeys(has_ci["claim_id"]))
    if not ids:
        fig, ax = plt.subplots(figsize=(7, 1.2))
        ax.text(
            0.5,
            0.5,
            "no claim has an estimate with a 95% CI here",
            ha="center",
            va="center",
        )
        ax.set_axis_off()
        return fig
    fig, axes = plt.subplots(
        len(ids), 1, figsize=(8, 1.1 + 1.3 * len(ids)), squeeze=False
    )
    for ax, cid in zip(axes[:, 0], ids, strict=True):
        rows = has_ci[has_ci["claim_id"] == cid]
        ratio = rows["null"].iloc[0] == 1.0  # odds and hazard ratios
        labels, est, lo, hi, colours = [], [], [], [], []
        for _, r in rows.iterrows():
            labels.append(str(r["study"]))
            est.append(r["estimate"]), lo.append(r["ci_low"]), hi.append(r["ci_high"])
            colours.append("#b2182b" if r["study"].startswith("meta") else "#2166ac")
        pub = rows.iloc[0]
        if pd.notna(pub["published_value"]):
            labels.append("published")
            est.append(pub["published_value"])
            lo.append(
                pub["published_ci_low"]
                if pd.notna(pub["published_ci_low"])
                else pub["published_value"]
            )
            hi.append(
                pub["published_ci_high"]
                if pd.notna(pub["published_ci_high"])
                else pub["published_value"]
            )
            colours.append("#555555")
        y = np.arange(len(labels))[::-1]
        est, lo, hi = map(np.asarray, (est, lo, hi))
        ax.errorbar(est, y, xerr=[est - lo, hi - est], fmt="none", ecolor=colours)
        ax.scatter(est, y, c=colours, s=25, zorder=3)
        ax.axvline(1.0 if ratio else 0.0, color="#999999", lw=0.8, ls="--")
        if ratio:
            ax.set_xscale("log")
        ax.set_yticks(y, labels, fontsize=7)
        ax.set_title(cid, fontsize=8, loc="left")
        ax.set_xlabel(str(pub["scale"]), fontsize=7)
    fig.tight_layout()
    return fig


def fig_contamination(
    signal: pd.DataFrame, conc: pd.Series | None, mock_taxa: pd.DataFrame
):
    """Plot each sample's signal and the mock's accuracy.

    Left: each sample's non-contaminant share of reads against its DNA
    concentration (log scale), flagged samples crossed. Right: the first mock
    community's observed against expected shares.
    """
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4))
    x = (
        pd.to_numeric(conc.reindex(signal.index), errors="coerce")
        if conc is not None
        else pd.Series(np.nan, index=signal.index)
    )
    use_conc = x.notna().any() and (x > 0).all()
    x = x if use_conc else signal["reads"].astype(float)
    for site, g in signal.groupby("body_site", sort=True):
        ax.scatter(
            x[g.index],
            g["noncontaminant_fraction"],
            s=18,
            label=site,
            rasterized=len(signal) > MAX_SAMPLE_BARS,
            color=SITE_COLOURS.get(site, "#333333"),
        )
    flagged = signal.index[signal["flagged"].astype(bool)]
    if len(flagged):
        ax.scatter(
            x[flagged],
            signal.loc[flagged, "noncontaminant_fraction"],
            marker="x",
            s=60,
            color="red",
            label="flagged",
        )
    if use_conc:
        ax.set_xscale("log")
    ax.set_xlabel("DNA concentration (ng/µl)" if use_conc else "reads per sample")
    ax.set_ylabel("non-contaminant share of reads")
    ax.set_ylim(-0.02, 1.02)
    ax.legend(fontsize=7)
    if len(mock_taxa):
        first = mock_taxa[mock_taxa["sample_id"] == mock_taxa["sample_id"].iloc[0]]
        first = first.sort_values("expected", ascending=False, kind="stable")
        first = first[(first["expected"] > 0) | (first["observed"] >= 0.001)]
        pos = np.arange(len(first))
        bx.bar(pos - 0.2, first["expected"], 0.4, label="expected", color="#bbbbbb")
        bx.bar(pos + 0.2, first["observed"], 0.4, label="observed", color="#01665e")
        bx.set_xticks(pos, first["taxon"], rotation=90, fontsize=7)
        bx.set_ylabel(f"share of reads ({first['sample_id'].iloc[0]})")
        bx.legend(fontsize=7)
    else:
        bx.text(0.5, 0.5, "no mock community scored", ha="center", va="center")
        bx.set_axis_off()
    return fig


def fig_genus_barplot(genera: pd.DataFrame, sites: pd.Series):
    """Plot the genera's relative abundance per sample, by body site."""
    order = sites.reindex(genera.index).fillna("none").sort_values(kind="stable").index
    data = genera.loc[order]
    cmap = plt.get_cmap("tab20")
    if len(data) > MAX_SAMPLE_BARS:
        return _genus_areas(data, sites, cmap)
    fig, axes, rows = _sample_rows(len(data), 4.0, legend=2.6)
    for ax, part in zip(axes, rows, strict=True):
        shown = data.iloc[part]
        bottom = np.zeros(len(shown))
        for k, col in enumerate(shown.columns):
            colour = "#cccccc" if col == "Other" else cmap(k % 20)
            ax.bar(
                range(len(shown)),
                shown[col],
                bottom=bottom,
                color=colour,
                label=col,
                width=0.9,
            )
            bottom += shown[col].to_numpy()
        labels = [f"{s} ({sites.get(s, '?')})" for s in shown.index]
        ax.set_xticks(range(len(shown)), labels, rotation=90, fontsize=7)
        ax.set_xlim(-0.5, SAMPLES_PER_ROW - 0.5 if len(rows) > 1 else len(shown) - 0.5)
        ax.set_ylabel("relative abundance (share of reads)")
        ax.set_ylim(0, 1)
    axes[0].legend(fontsize=7, bbox_to_anchor=(1.01, 1), loc="upper left")
    fig.tight_layout()
    return fig


def _genus_areas(data: pd.DataFrame, sites: pd.Series, cmap):
    """Plot many samples as one stacked area per genus.

    Many samples: one stacked area per genus, samples side by side (by
    body site, then by their most abundant genus), sites marked below.
    """
    site = sites.reindex(data.index).fillna("none")
    top = data.drop(columns="Other", errors="ignore").idxmax(axis=1)
    rank = {g: k for k, g in enumerate(data.columns)}
    order = (
        pd.DataFrame({"site": site, "top": top.map(rank), "share": data.max(axis=1)})
        .sort_values(
            ["site", "top", "share"], ascending=[True, True, False], kind="stable"
        )
        .index
    )
    data, site = data.loc[order], site.loc[order]
    fig, ax = plt.subplots(figsize=(MAX_WIDTH - 2.6, 4.5))
    x = np.arange(len(data))
    colours = [
        "#cccccc" if c == "Other" else cmap(k % 20) for k, c in enumerate(data.columns)
    ]
    # rasterised: thousands of steps per genus as vectors would be megabytes
    ax.stackplot(
        x,
        data.T.to_numpy(),
        labels=data.columns,
        colors=colours,
        step="mid",
        rasterized=True,
    )
    starts = np.flatnonzero(np.r_[True, site.to_numpy()[1:] != site.to_numpy()[:-1]])
    ends = np.r_[starts[1:], len(data)]
    names = [f"{site.iloc[a]} ({b - a})" for a, b in zip(starts, ends, strict=True)]
    ax.set_xticks((starts + ends - 1) / 2, names)
    for a in starts[1:]:
        ax.axvline(a - 0.5, color="black", lw=0.8)
    ax.set_xlim(-0.5, len(data) - 0.5)
    ax.set_ylim(0, 1)
    ax.set_ylabel(f"relative abundance, share of reads ({len(data)} samples)")
    ax.legend(fontsize=7, bbox_to_anchor=(1.01, 1), loc="upper left")
    return fig


def fig_alpha(alpha: pd.DataFrame, groups: pd.Series, *, label: str):
    """Plot each alpha metric per group."""
    metrics = list(alpha.columns)
    values = groups.reindex(alpha.index).astype("string").fillna("NA")
    levels = sorted(values.unique())
    fig, axes = panel_grid(len(metrics), max(3.2, 0.55 * len(levels) + 1.2), 3.4)
    for ax, metric in zip(axes, metrics, strict=True):
        data = [alpha.loc[values == lev, metric].to_numpy() for lev in levels]
        many = len(alpha) > MAX_SAMPLE_BARS
        ax.boxplot(data, showfliers=many, flierprops={"ms": 2})
        # above MAX_SAMPLE_BARS samples the boxes (and outliers) alone: a
        # point per sample would make megabytes of SVG and hide the boxes
        for k, d in enumerate([] if many else data, start=1):
            jitter = np.linspace(-0.12, 0.12, len(d)) if len(d) > 1 else [0.0]
            colour = SITE_COLOURS.get(levels[k - 1], "#333333")
            ax.scatter(k + np.asarray(jitter), d, s=12, color=colour, zorder=3)
        rotate = 30 if len(levels) > 3 else 0
        ax.set_xticks(
            range(1, len(levels) + 1),
            levels,
            fontsize=8,
            rotation=rotate,
            ha="right" if rotate else "center",
        )
        ax.set_title(metric, fontsize=9)
        ax.set_xlabel(label, fontsize=8)
        ax.set_ylabel(METRIC_UNITS.get(metric, metric), fontsize=8)
    fig.tight_layout()
    return fig


def fig_pcoa(ordinations: dict, sites: pd.Series):
    """Plot the first two PCoA axes of each distance, by body site."""
    fig, axes = panel_grid(len(ordinations), 3.6, 3.6)
    for ax, (name, ordn) in zip(axes, ordinations.items(), strict=False):
        coords = ordn.samples
        prop = ordn.proportion_explained
        site = sites.reindex(coords.index).fillna("none")
        for lev in sorted(site.unique()):
            pts = coords.loc[site == lev]
            ax.scatter(
                pts.iloc[:, 0],
                pts.iloc[:, 1],
                s=16 if len(coords) <= MAX_SAMPLE_BARS else 4,
                label=lev,
                color=SITE_COLOURS.get(lev, "#333333"),
                # thousands of points as vectors would be megabytes
                rasterized=len(coords) > MAX_SAMPLE_BARS,
            )
        ax.set_xlabel(f"PC1 ({100 * prop.iloc[0]:.1f}%)", fontsize=8)
        ax.set_ylabel(f"PC2 ({100 * prop.iloc[1]:.1f}%)", fontsize=8)
        ax.set_title(name, fontsize=9)
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    return fig


def fig_rarefaction_curves(groups: pd.DataFrame):
    """Mean alpha diversity per group against depth, one panel per metric."""
    metrics = list(dict.fromkeys(groups["metric"]))
    fig, axes = panel_grid(len(metrics), 3.6, 3.4)
    cmap = plt.get_cmap("tab10")
    levels = sorted(groups["group"].unique())
    for ax, metric in zip(axes, metrics, strict=True):
        sub = groups.loc[groups["metric"] == metric]
        for k, lev in enumerate(levels):
            g = sub.loc[sub["group"] == lev].sort_values("depth")
            sd = g["sd"].fillna(0)
            ax.plot(g["depth"], g["mean"], color=cmap(k % 10), label=lev, lw=1.2)
            ax.fill_between(
                g["depth"],
                g["mean"] - sd,
                g["mean"] + sd,
                color=cmap(k % 10),
                alpha=0.15,
                lw=0,
            )
        ax.set_title(metric, fontsize=9)
        ax.set_xlabel("reads per sample", fontsize=8)
        ax.set_ylabel(METRIC_UNITS.get(metric, metric), fontsize=8)
    axes[0].legend(fontsize=6)
    fig.tight_layout()
    return fig


def fig_differential(da: pd.DataFrame, *, alpha: float = 0.05):
    """Draw volcano plots per analysis and method.

    Volcano plots (log fold change against -log10 q) per analysis and method;
    the genera the literature names are labelled.
    """
    keys = list(
        dict.fromkeys(zip(da["analysis"], da["method"], da["term"], strict=True))
    )
    keys = [k for k in keys if "[T." in str(k[2])] or keys
    fig, axes = panel_grid(len(keys), 3.6, 3.8)
    for ax, (analysis, method, term) in zip(axes, keys, strict=True):
        g = da.loc[
            (da["analysis"] == analysis)
            & (da["method"] == method)
            & (da["term"] == term)
        ]
        y = -np.log10(g["q"].clip(lower=1e-300).fillna(1.0))
        sig = g["q"] < alpha
        lit = g["literature"].astype(bool)
        ax.scatter(g["log_fc"], y, s=10, color=np.where(sig, "#b2182b", "#999999"))
        ax.scatter(
            g.loc[lit, "log_fc"],
            y[lit],
            s=28,
            facecolors="none",
            edgecolors="#2166ac",
            lw=1,
        )
        for _, r in g.loc[lit].iterrows():
            ax.annotate(
                r["genus"],
                (r["log_fc"], -np.log10(max(r["q"], 1e-300))),
                fontsize=6,
                color="#2166ac",
                xytext=(2, 2),
                textcoords="offset points",
            )
        ax.axhline(-np.log10(alpha), color="#666666", lw=0.6, ls="--")
        ax.axvline(0, color="#666666", lw=0.6)
        ax.set_xlabel(f"log fold change ({g['unit'].iloc[0]})", fontsize=8)
        ax.set_ylabel("-log10 q (BH)", fontsize=8)
        ax.set_title(f"{analysis}: {method}\n{term}", fontsize=8)
    fig.tight_layout()
    return fig


def fig_maturity_age(
    scores: pd.DataFrame, group: pd.Series, *, label: str, age: str = "age_days"
):
    """Microbiota age against chronological age, the reference spline, groups."""
    fig, ax = plt.subplots(figsize=(6, 4.2))
    g = group.reindex(scores.index).astype("string").fillna("NA")
    for k, lev in enumerate(sorted(g.unique())):
        pts = scores[g == lev]
        ax.scatter(
            pts["age"],
            pts["prediction"],
            s=14,
            alpha=0.8,
            rasterized=len(scores) > MAX_SAMPLE_BARS,
            color=plt.get_cmap("tab10")(k),
            label=f"{label}: {lev}",
        )
    curve = (scores["prediction"] - scores["relative_maturity"]).groupby(scores["age"])
    curve = curve.mean().sort_index()
    ax.plot(
        curve.index, curve.to_numpy(), color="black", lw=1.5, label="reference spline"
    )
    ax.set_xlabel(f"chronological age ({age})")
    ax.set_ylabel(f"microbiota age, predicted ({age})")
    ax.legend(fontsize=7)
    return fig


def fig_maturity_maz(scores: pd.DataFrame, group: pd.Series, *, label: str):
    """MAZ by group in each age bin."""
    g = group.reindex(scores.index).astype("string").fillna("NA")
    levels = sorted(g.unique())
    bins = sorted(scores["state"].dropna().unique())
    fig, ax = plt.subplots(
        figsize=(min(MAX_WIDTH, max(6, 1.1 * len(bins) * len(levels))), 3.8)
    )
    width = 0.8 / len(levels)
    for k, lev in enumerate(levels):
        data = [
            scores.loc[(g == lev) & (scores["state"] == b), "maz"].dropna()
            for b in bins
        ]
        pos = np.arange(len(bins)) + k * width
        box = ax.boxplot(
            data, positions=pos, widths=width * 0.9, showfliers=False, patch_artist=True
        )
        for patch in box["boxes"]:
            patch.set_facecolor(plt.get_cmap("tab10")(k))
            patch.set_alpha(0.6)
        ax.plot([], [], color=plt.get_cmap("tab10")(k), lw=6, label=f"{label}: {lev}")
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_xticks(np.arange(len(bins)) + 0.4 - width / 2, [f"{b:g}" for b in bins])
    ax.set_xlabel("age bin (lower edge)")
    ax.set_ylabel("MAZ (SDs of the reference bin)")
    ax.legend(fontsize=7)
    return fig


def fig_maturity_taxa(abundance: pd.DataFrame, bins: pd.Series):
    """Mean relative abundance of the most age-discriminating taxa per age bin."""
    means = abundance.T.groupby(bins.reindex(abundance.columns)).mean().T
    fig, ax = plt.subplots(
        figsize=(min(MAX_WIDTH, 1.0 * means.shape[1] + 3), 0.35 * len(means) + 1.5)
    )
    im = ax.imshow(means.to_numpy(), aspect="auto", cmap="viridis")
    ax.set_xticks(range(means.shape[1]), [f"{b:g}" for b in means.columns])
    labels = [str(i).split(";")[-1].strip() for i in means.index]
    ax.set_yticks(range(len(means)), labels, fontsize=7)
    ax.set_xlabel("age bin (lower edge)")
    fig.colorbar(im, ax=ax, label="mean relative abundance")
    return fig


def _filled_boxes(ax, values, positions, width, colour, label) -> None:
    """Draw box plots filled with ``colour``, and a legend entry ``label``."""
    box = ax.boxplot(
        values,
        positions=positions,
        widths=width,
        patch_artist=True,
        showfliers=False,
        medianprops={"color": "black"},
    )
    for patch in box["boxes"]:
        patch.set_facecolor(colour)
        patch.set_alpha(0.55)
    ax.plot([], [], color=colour, lw=6, alpha=0.55, label=label)


def fig_scfa(
    indices: pd.DataFrame,
    sites: pd.Series,
    age: pd.Series | None,
    group: pd.Series | None = None,
    group_label: str = "group",
):
    """Draw the SCFA-producer figure: by body site, against age, by group.

    Top left: the shares by body site; top right: the butyrate share against
    age; bottom: the butyrate-producer log-ratio by body site and ``group``
    (two columns of panels at most, so the figure keeps the report's width).
    """
    with_age = age is not None and age.reindex(indices.index).notna().any()
    with_group = group is not None and group.reindex(indices.index).notna().any()
    rows = 2 if with_group else 1
    cols = 2 if with_age or with_group else 1
    fig, axes = plt.subplots(
        rows, cols, figsize=(4.2 * cols, 3.6 * rows), squeeze=False
    )
    ax = axes[0, 0]
    site = sites.reindex(indices.index).astype("string").fillna("NA")
    levels = sorted(site.unique())
    width = 0.38
    for j, (acid, colour) in enumerate(
        (("butyrate", "#b35806"), ("propionate", "#542788"))
    ):
        values = [indices.loc[site == lev, f"{acid}_share"].dropna() for lev in levels]
        pos = np.arange(len(levels)) + (j - 0.5) * width
        _filled_boxes(ax, values, pos, width * 0.9, colour, f"{acid} producers")
    ax.set_xticks(np.arange(len(levels)), levels)
    ax.set_ylabel("share of the sample's reads (0-1)")
    ax.set_xlabel("body site")
    ax.legend(fontsize=7)
    if with_age:
        ax = axes[0, 1]
        years = age.reindex(indices.index) / 365.25
        for k, lev in enumerate(levels):
            pts = site == lev
            ax.scatter(
                years[pts],
                indices.loc[pts, "butyrate_share"],
                s=12,
                alpha=0.8,
                rasterized=len(indices) > MAX_SAMPLE_BARS,
                color=SITE_COLOURS.get(lev, plt.get_cmap("tab10")(k)),
                label=lev,
            )
        ax.set_xscale("symlog", linthresh=1)
        ax.set_xlabel("age (years; log scale above 1)")
        ax.set_ylabel("share in butyrate producers")
        ax.legend(fontsize=7)
    elif cols == 2:
        axes[0, 1].set_axis_off()
    if with_group:
        ax = axes[1, 0]
        grp = group.reindex(indices.index).astype("string").fillna("NA")
        glevels = sorted(grp.unique())
        step = 0.8 / len(glevels)
        for j, glev in enumerate(glevels):
            ratio = indices["butyrate_log_ratio"]
            values = [ratio[(site == lev) & (grp == glev)].dropna() for lev in levels]
            pos = np.arange(len(levels)) - 0.4 + step * (j + 0.5)
            colour = plt.get_cmap("tab10")(j)
            _filled_boxes(ax, values, pos, step * 0.85, colour, glev)
        ax.set_xticks(np.arange(len(levels)), levels)
        ax.set_xlabel("body site")
        ax.set_ylabel("butyrate producers, ln(reads / other placed reads)")
        ax.legend(fontsize=7, title=group_label, title_fontsize=7)
        axes[1, 1].set_axis_off()
    fig.tight_layout()
    return fig


def fig_read_quality(profile: pd.DataFrame, cuts: dict[str, float | None]):
    """Draw the reads' quality per position: where to truncate.

    One panel per read (R1, R2): each sample's median Phred score per
    position (thin grey lines), the median across samples with the 25th-75th
    percentile band of the samples' medians, Q30 and Q25 lines, and the cut
    the run made (``cuts``: read -> position, dashed; None: not cut).
    """
    reads = [r for r in ("R1", "R2") if (profile["read"] == r).any()]
    fig, axes = panel_grid(max(1, len(reads)), 5.2, 3.6)
    for ax, read in zip(axes, reads, strict=False):
        g = profile[profile["read"] == read]
        wide = g.pivot_table(index="position", columns="sample", values="median")
        many = wide.shape[1] > MAX_SAMPLE_BARS
        if not many:
            # one line per sample: an image above a few dozen (SVG size)
            ax.plot(
                wide.index,
                wide.to_numpy(),
                color="#bbbbbb",
                lw=0.5,
                rasterized=wide.shape[1] > 24,
            )
        mid = wide.median(axis=1)
        lo, hi = wide.quantile(0.25, axis=1), wide.quantile(0.75, axis=1)
        ax.fill_between(wide.index, lo, hi, color="#2166ac", alpha=0.25, lw=0)
        ax.plot(wide.index, mid, color="#2166ac", lw=1.5, label="median of samples")
        for q, style in ((30, ":"), (25, "--")):
            ax.axhline(q, color="#999999", lw=0.7, ls=style)
        cut = cuts.get(read)
        if cut:
            ax.axvline(cut, color="#b2182b", lw=1.2, ls="--", label=f"cut at {cut:g}")
        ax.set_xlabel(f"{read}: position in the read (nt)", fontsize=8)
        ax.set_ylabel("Phred score (median per sample)", fontsize=8)
        ax.set_ylim(0, max(42, float(np.nanmax(wide.to_numpy())) + 1))
        ax.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    return fig
