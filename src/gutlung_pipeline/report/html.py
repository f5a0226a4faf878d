"""The report's HTML: one self-contained page, figures inline.

The page reads like a paper: a table of contents with an anchor per section,
figures and tables numbered in order with their captions, every figure
scaled to the column, and sections with nothing to show left out. A table
longer than :data:`MAX_TABLE_ROWS` rows is collapsed to a summary (count,
median and range of each numeric column) and its first rows; the whole table
is written beside the report (``tables/<name>.tsv``) and linked, so that the
page of a 4,000-sample study stays small.
"""

from __future__ import annotations

import html
import re

import pandas as pd

from .ladder import CSS as LADDER_CSS
from .summaries import read_sentences

#: Tables longer than this are collapsed to a summary and linked in full.
MAX_TABLE_ROWS = 50
#: Rows of a collapsed table shown under its summary.
HEAD_ROWS = 10


def _table_html(df: pd.DataFrame) -> str:
    return df.to_html(classes="data", border=0, na_rep="", float_format="%.4g")


CSS = (
    """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1200px;color:#222;
padding:0 1em}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
nav.toc{font-size:.9em;columns:2 18em;border:1px solid #ddd;padding:.4em 1em}
nav.toc ol{margin:.2em 0}nav.toc a{text-decoration:none}
table.data{border-collapse:collapse;font-size:.8em}
table.data td,table.data th{padding:2px 8px;border-bottom:1px solid #eee}
table.data td{text-align:right}
.scroll{max-width:100%;overflow-x:auto}
figure{margin:1em 0}figure svg{max-width:100%;height:auto}
figcaption,.caption{color:#555;font-size:.9em;margin:.3em 0}
.note{color:#555;font-size:.9em}
li,p{overflow-wrap:anywhere}
details summary{cursor:pointer;color:#555;font-size:.9em}
@media print{nav.toc{break-after:page}figure{break-inside:avoid}}
"""
    + LADDER_CSS
)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def summarise_table(df: pd.DataFrame) -> pd.DataFrame:
    """Summarise a long table: one row per column.

    Numeric columns get their count of values, median, minimum and maximum;
    other columns their count of values and of distinct values, and the most
    common value.
    """
    rows = []
    for col in df.columns:
        values = df[col]
        numeric = pd.api.types.is_numeric_dtype(values) and not (
            pd.api.types.is_bool_dtype(values)
        )
        if numeric:
            v = pd.to_numeric(values, errors="coerce").dropna()
            rows.append(
                {
                    "column": col,
                    "values": len(v),
                    "median": v.median() if len(v) else None,
                    "min": v.min() if len(v) else None,
                    "max": v.max() if len(v) else None,
                    "distinct": None,
                    "most common": "",
                }
            )
        else:
            text = values.dropna().astype(str)
            text = text[text != ""]
            counts = text.value_counts()
            rows.append(
                {
                    "column": col,
                    "values": len(text),
                    "median": None,
                    "min": None,
                    "max": None,
                    "distinct": len(counts),
                    "most common": (
                        f"{counts.index[0]} ({counts.iloc[0]})" if len(counts) else ""
                    ),
                }
            )
    return pd.DataFrame(rows).set_index("column")


class Page:
    """The report being written: sections, numbered figures and tables.

    Parameters
    ----------
    tables_link
        The folder, relative to the report, that collapsed tables link to;
        their full text is kept in :attr:`full_tables` (name -> table) for
        the caller to write there.
    """

    def __init__(self, tables_link: str = "tables") -> None:
        self.body: list[str] = []
        self.toc: list[tuple[str, str]] = []
        self.n_figures = 0
        self.n_tables = 0
        self.tables_link = tables_link
        self.full_tables: dict[str, pd.DataFrame] = {}

    def section(self, heading: str, anchor: str | None = None) -> None:
        """Start a section with an anchor and a line in the table of contents."""
        anchor = anchor or _slug(heading)
        self.toc.append((anchor, heading))
        self.body.append(f'<h2 id="{anchor}">{html.escape(heading)}</h2>')

    def sentences(self, lines: list[str]) -> None:
        """Add a list of sentences."""
        if lines:
            self.body.append("<ul>")
            self.body += [f"<li>{html.escape(line)}</li>" for line in lines]
            self.body.append("</ul>")

    def raw(self, text: str) -> None:
        """Add HTML as it is."""
        self.body.append(text)

    def figure(self, key: str, svg: str, caption: str) -> None:
        """Add a numbered figure with its caption."""
        self.n_figures += 1
        self.body.append(
            f'<figure id="fig-{key}">{svg}<figcaption><b>Figure '
            f"{self.n_figures}.</b> {html.escape(caption)}</figcaption></figure>"
        )

    def table(
        self, name: str, df: pd.DataFrame, caption: str, *, whole: bool = False
    ) -> None:
        """Add a numbered table; collapse it above :data:`MAX_TABLE_ROWS` rows.

        ``whole``: never collapse (the claims, the report's main result).
        """
        self.n_tables += 1
        label = f"<b>Table {self.n_tables}.</b> {html.escape(caption)}"
        if whole or len(df) <= MAX_TABLE_ROWS:
            self.body.append(
                f'<div class="table" id="tab-{name}"><p class="caption">{label}</p>'
                f'<div class="scroll">{_table_html(df)}</div></div>'
            )
            return
        self.full_tables[name] = df
        link = f"{self.tables_link}/{name}.tsv"
        self.body.append(
            f'<div class="table" id="tab-{name}"><p class="caption">{label} '
            f"{len(df):,} rows, summarised by column here; the whole table is "
            f'<a href="{html.escape(link)}">{html.escape(link)}</a> beside this '
            f'report.</p><div class="scroll">{_table_html(summarise_table(df))}'
            f"</div><details><summary>The first {HEAD_ROWS} of {len(df):,} rows"
            f'</summary><div class="scroll">{_table_html(df.head(HEAD_ROWS))}'
            "</div></details></div>"
        )

    def html(self, title: str) -> str:
        """Write the whole page: title, contents and the sections."""
        toc = "".join(
            f'<li><a href="#{anchor}">{html.escape(heading)}</a></li>'
            for anchor, heading in self.toc
        )
        head = [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>",
            f"<h1>{html.escape(title)}</h1>",
            f'<nav class="toc"><b>Contents</b><ol>{toc}</ol></nav>',
        ]
        return "\n".join([*head, *self.body, "</body></html>"]) + "\n"


def render_report(
    *,
    title: str,
    tracking: pd.DataFrame,
    rarefaction: pd.DataFrame,
    figures: dict[str, str],
    captions: dict[str, str],
    stats: dict[str, tuple[list[str], pd.DataFrame]] | None = None,
    contamination: tuple[list[str], list[tuple[str, str, pd.DataFrame]]] | None = None,
    claims: tuple[list[str], pd.DataFrame, str] | None = None,
    acquisition: tuple[list[str], list[tuple[str, str, pd.DataFrame]]] | None = None,
    studies: tuple[list[str], pd.DataFrame] | None = None,
    scfa: list[str] | None = None,
    provenance: tuple[list[str], pd.DataFrame] | None = None,
    quality: list[str] | None = None,
    page: Page | None = None,
) -> str:
    """Assemble the HTML text from tables and inline SVG figures.

    ``stats`` maps a heading to (sentences, table) for the statistics section;
    ``contamination`` is (sentences, [(name, caption, table), ...]);
    ``claims`` (sentences, table, the evidence ladder's HTML) is the first
    section, the ladder the second; ``studies`` (sentences, table: the merge
    of several studies) and ``acquisition`` (sentences, [(name, caption,
    table), ...]) follow it; ``scfa`` (sentences) adds the SCFA-producer
    section with its figure; ``provenance`` (sentences, the versions table)
    is the last section. A section with no figure, no sentence and no table
    row is left out. ``page`` collects the tables too long to show whole
    (:attr:`Page.full_tables`).
    """
    page = page if page is not None else Page()
    excluded = rarefaction.loc[~rarefaction["rarefied"].astype(bool)]
    if claims is not None:
        sentences, table, ladder = claims
        page.section("Claims from the literature, re-tested", "claims")
        page.table("claims", table, captions["claims"], whole=True)
        page.figure(
            "claims_forest", figures["claims_forest"], captions["claims_forest"]
        )
        page.sentences(sentences)
        page.section("Evidence ladder", "evidence-ladder")
        page.raw(ladder)
    if studies is not None:
        sentences, table = studies
        page.section("Studies merged", "studies")
        page.sentences(sentences)
        page.table("studies", table, "One row per study merged into this run.")
    if acquisition is not None:
        sentences, tables = acquisition
        page.section("Public data: runs and metadata", "acquisition")
        page.sentences(sentences)
        for name, caption, table in tables:
            if len(table):
                page.table(name, table, caption)
    page.section("Read tracking", "read-tracking")
    lines = read_sentences(tracking)
    if len(rarefaction) and excluded.empty:
        lines = [*lines, "Every sample reached the rarefaction depth."]
    page.sentences(lines)
    page.figure("read_tracking", figures["read_tracking"], captions["read_tracking"])
    page.table(
        "read_tracking",
        tracking,
        captions.get("read_tracking_table", "Reads per sample after each step."),
    )
    if quality is not None:
        page.section("Read quality", "read-quality")
        page.sentences(quality)
        page.figure("read_quality", figures["read_quality"], captions["read_quality"])
    if contamination is not None:
        sentences, tables = contamination
        shown = [(n, c, t) for n, c, t in tables if len(t)]
        if sentences or shown or "contamination" in figures:
            page.section(
                "Contamination: negative controls and mock communities",
                "contamination",
            )
            page.sentences(sentences)
            if "contamination" in figures:
                page.figure(
                    "contamination", figures["contamination"], captions["contamination"]
                )
            for name, caption, table in shown:
                page.table(name, table, caption)
    if not excluded.empty:
        page.section("Samples excluded from diversity", "excluded")
        page.raw(
            f"<p>{len(excluded)} of {len(rarefaction)} samples are below the "
            "rarefaction depth and are left out of alpha and beta diversity:</p>"
        )
        page.table(
            "excluded",
            excluded[["reads", "reason"]],
            "Samples below the rarefaction depth: their reads and why.",
        )
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
        page.section(heading, key.replace("_", "-"))
        page.figure(key, figures[key], captions[key])
    if scfa is not None:
        page.section("Short-chain-fatty-acid producers", "scfa")
        page.sentences(scfa)
        page.figure("scfa", figures["scfa"], captions["scfa"])
    for heading, (sentences, table) in (stats or {}).items():
        has_figure = heading == "Differential abundance" and "differential" in figures
        if not (sentences or len(table) or has_figure):
            continue
        page.section(heading)
        if has_figure:
            page.figure(
                "differential", figures["differential"], captions["differential"]
            )
        page.sentences(sentences)
        if len(table):
            page.table(_slug(heading), table, STATS_CAPTIONS.get(heading, heading))
    if provenance is not None:
        sentences, table = provenance
        page.section("Provenance", "provenance")
        page.sentences(sentences)
        page.table(
            "versions",
            table,
            "The version of every tool and package this run used, as each prints it.",
        )
    return page.html(title)


#: Captions of the statistics sections' tables.
STATS_CAPTIONS = {
    "PERMANOVA and dispersion": "PERMANOVA (pseudo-F, R², p from permutations) "
    "and the dispersion test (PERMDISP) for each distance and term.",
    "Differential abundance": "Taxa at q < 0.05 and the genera the literature "
    "names: log fold change (unit as given) with its 95% CI, p and q "
    "(Benjamini-Hochberg across taxa).",
    "Longitudinal alpha diversity (mixed models)": "Linear mixed models of alpha "
    "diversity with a random intercept per subject: each term's estimate, 95% "
    "CI and p.",
    "Paired gut and lung samples": "Each subject's paired gut and lung samples.",
}
