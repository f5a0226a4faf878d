"""The report's HTML: one self-contained page, figures inline."""

from __future__ import annotations

import html

import pandas as pd

from .ladder import CSS as LADDER_CSS
from .summaries import read_sentences


def _table_html(df: pd.DataFrame) -> str:
    return df.to_html(classes="data", border=0, na_rep="", float_format="%.4g")


CSS = (
    """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1200px;color:#222}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
table.data{border-collapse:collapse;font-size:.8em}
table.data td,table.data th{padding:2px 8px;border-bottom:1px solid #eee}
table.data td{text-align:right}
.fig{overflow-x:auto}.note{color:#555;font-size:.9em}
"""
    + LADDER_CSS
)


def render_report(
    *,
    title: str,
    tracking: pd.DataFrame,
    rarefaction: pd.DataFrame,
    figures: dict[str, str],
    captions: dict[str, str],
    stats: dict[str, tuple[list[str], pd.DataFrame]] | None = None,
    contamination: tuple[list[str], list[tuple[str, pd.DataFrame]]] | None = None,
    claims: tuple[list[str], pd.DataFrame, str] | None = None,
    acquisition: tuple[list[str], list[tuple[str, pd.DataFrame]]] | None = None,
    studies: tuple[list[str], pd.DataFrame] | None = None,
    scfa: list[str] | None = None,
    provenance: tuple[list[str], pd.DataFrame] | None = None,
) -> str:
    """Assemble the HTML text from tables and inline SVG figures.

    ``stats`` maps a heading to (sentences, table) for the statistics section;
    ``contamination`` is (sentences, [(caption, table), ...]); ``claims``
    (sentences, table, the evidence ladder's HTML) is the first section, the
    ladder the second; ``studies`` (sentences, table:
    the merge of several studies) and ``acquisition`` (sentences,
    [(caption, table), ...]) follow it; ``scfa`` (sentences) adds the
    SCFA-producer section with its figure; ``provenance`` (sentences, the
    versions table) is the last section.
    """
    excluded = rarefaction.loc[~rarefaction["rarefied"].astype(bool)]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    if claims is not None:
        sentences, table, ladder = claims
        parts += [
            "<h2>Claims from the literature, re-tested</h2>",
            f'<p class="note">{html.escape(captions["claims"])}</p>',
            _table_html(table),
            f'<p class="note">{html.escape(captions["claims_forest"])}</p>',
            f'<div class="fig">{figures["claims_forest"]}</div>',
            "<ul>",
            *[f"<li>{html.escape(line)}</li>" for line in sentences],
            "</ul>",
            "<h2>Evidence ladder</h2>",
            ladder,
        ]
    if studies is not None:
        sentences, table = studies
        parts += ["<h2>Studies merged</h2>", "<ul>"]
        parts += [f"<li>{html.escape(line)}</li>" for line in sentences]
        parts += ["</ul>", _table_html(table)]
    if acquisition is not None:
        sentences, tables = acquisition
        parts += ["<h2>Public data: runs and metadata</h2>", "<ul>"]
        parts += [f"<li>{html.escape(line)}</li>" for line in sentences]
        parts.append("</ul>")
        for caption, table in tables:
            parts += [f'<p class="note">{html.escape(caption)}</p>', _table_html(table)]
    parts += [
        "<h2>Read tracking</h2>",
        "<ul>",
        *[f"<li>{html.escape(line)}</li>" for line in read_sentences(tracking)],
        "</ul>",
        f'<p class="note">{html.escape(captions["read_tracking"])}</p>',
        f'<div class="fig">{figures["read_tracking"]}</div>',
        _table_html(tracking),
    ]
    if contamination is not None:
        sentences, tables = contamination
        parts += ["<h2>Contamination: negative controls and mock communities</h2>"]
        parts.append("<ul>")
        parts += [f"<li>{html.escape(line)}</li>" for line in sentences]
        parts.append("</ul>")
        if "contamination" in figures:
            parts += [
                f'<p class="note">{html.escape(captions["contamination"])}</p>',
                f'<div class="fig">{figures["contamination"]}</div>',
            ]
        for caption, table in tables:
            parts += [f'<p class="note">{html.escape(caption)}</p>', _table_html(table)]
    parts.append("<h2>Samples excluded from diversity</h2>")
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
        ("rarefaction_curves", "Rarefaction curves"),
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
    if scfa is not None:
        parts += [
            "<h2>Short-chain-fatty-acid producers</h2>",
            "<ul>",
            *[f"<li>{html.escape(line)}</li>" for line in scfa],
            "</ul>",
            f'<p class="note">{html.escape(captions["scfa"])}</p>',
            f'<div class="fig">{figures["scfa"]}</div>',
        ]
    for heading, (sentences, table) in (stats or {}).items():
        parts.append(f"<h2>{html.escape(heading)}</h2>")
        if heading == "Differential abundance" and "differential" in figures:
            parts += [
                f'<p class="note">{html.escape(captions["differential"])}</p>',
                f'<div class="fig">{figures["differential"]}</div>',
            ]
        parts.append("<ul>")
        parts += [f"<li>{html.escape(line)}</li>" for line in sentences]
        parts.append("</ul>")
        parts.append(_table_html(table))
    if provenance is not None:
        sentences, table = provenance
        parts += ["<h2>Provenance</h2>", "<ul>"]
        parts += [f"<li>{html.escape(line)}</li>" for line in sentences]
        parts += ["</ul>", _table_html(table)]
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
