"""The evidence ladder: every claim of the catalogue on one printable page.

The second source article closes with an "evidence ladder" that separates
stronger human evidence from mechanism-heavy headlines. This module draws it
from ``claims.tsv``: three rungs (mechanism only, single association,
replicated association) hold the claims at their published grade, each with
what this run adds (its verdict per study, with n and power, and the grade
after this run); above them, the mechanism chain the articles describe (fibre
-> gut microbiota -> SCFA producers -> short-chain fatty acids -> immune tone
-> lung disease), each link lettered and keyed to the claims that test it
(the catalogue's ``link``). Links no claim can test from 16S reads are marked
"mechanism only".

:func:`ladder_fragment` gives the HTML the report embeds;
:func:`ladder_page` wraps it as a standalone page (no scripts, no external
files, an A4 print style).
"""

from __future__ import annotations

import html
import re

import pandas as pd

#: Rungs, strongest first, as the ladder is read top down.
RUNGS = (
    ("replicated_association", "Replicated association"),
    ("single_association", "Single association"),
    ("mechanism_only", "Mechanism only"),
)
#: Boxes of the chain: key, label, and (x, y) of the box's top-left corner.
NODES = {
    "fibre": ("Dietary fibre", 250, 10),
    "microbiota": ("Gut microbiota: maturity, diversity, genera", 250, 90),
    "producers": ("SCFA producers (butyrate, propionate)", 250, 170),
    "scfa": ("Short-chain fatty acids", 250, 250),
    "immune": ("Immune tone: Treg, barrier, myelopoiesis", 250, 330),
    "lung": ("Lung disease: asthma, COPD, infection", 250, 410),
    "airway": ("Airway and lung microbiota", 580, 330),
}
BOX_W, BOX_H = 300, 44
#: Links: letter, catalogue ``link`` (None: no claim can test it here),
#: from, to, how it is drawn, and what it says.
LINKS = (
    ("A", None, "fibre", "microbiota", "down", "fibre feeds the fermenting community"),
    (
        "B",
        "maturation_producers",
        "microbiota",
        "producers",
        "down",
        "maturation brings the producers",
    ),
    ("C", None, "producers", "scfa", "down", "producers ferment fibre to SCFA"),
    ("D", None, "scfa", "immune", "down", "SCFA signal to immune cells"),
    ("E", None, "immune", "lung", "down", "immune tone reaches the airway"),
    (
        "F",
        "producers_disease",
        "producers",
        "lung",
        "left",
        "producers and lung disease",
    ),
    (
        "G",
        "microbiota_disease",
        "microbiota",
        "lung",
        "left",
        "gut microbiota and lung disease, end to end",
    ),
    (
        "H",
        "gut_lung_translocation",
        "microbiota",
        "airway",
        "right",
        "gut bacteria reach the lung",
    ),
    (
        "I",
        "airway_disease",
        "airway",
        "lung",
        "across",
        "airway microbiota and disease",
    ),
)
#: Why a link carries no claim: what 16S reads cannot measure.
UNTESTED = {
    "A": "no diet data in 16S studies",
    "C": "needs stool metabolomics; the producer table rests on culture and genomes",
    "D": "animal and cell studies",
    "E": "animal and cell studies",
}
COLOURS = {
    "consistent": "#1a7f37",
    "contradicts": "#c62828",
    "inconclusive": "#b26a00",
    "not testable": "#777777",
    None: "#bbbbbb",
}
CSS = """
.ladder{max-width:820px}
.ladder svg{max-width:100%;height:auto}
.ladder .key{font-size:.85em;margin:.3em 0 1em 0;padding-left:1.2em}
.ladder .rung{border:1px solid #bbb;border-radius:4px;margin:.6em 0;padding:.4em .6em;
break-inside:avoid}
.ladder .rung h3{margin:.1em 0 .4em 0;font-size:1em}
.ladder .card{border-left:4px solid #bbb;margin:.3em 0 .5em 0;padding:.1em .5em;
font-size:.85em;break-inside:avoid}
.ladder .card .id{font-weight:600;overflow-wrap:anywhere}
.ladder .card .runs{margin:.1em 0 .1em .8em}
.ladder .verdict{font-weight:600}
@media print{body{margin:0;max-width:none;font-size:9pt}.ladder{max-width:none}
.ladder svg{max-height:95mm}}
@page{size:A4;margin:14mm}
"""


def _link_verdict(rows: pd.DataFrame) -> str | None:
    """Pick the verdict that colours a link: contradicts, consistent, the rest."""
    verdicts = set(rows["verdict"].astype(str))
    for v in ("contradicts", "consistent", "inconclusive", "not testable"):
        if v in verdicts:
            return v
    return None


def _centre(key: str, side: str) -> tuple[float, float]:
    _, x, y = NODES[key]
    return {
        "top": (x + BOX_W / 2, y),
        "bottom": (x + BOX_W / 2, y + BOX_H),
        "left": (x, y + BOX_H / 2),
        "right": (x + (210 if key == "airway" else BOX_W), y + BOX_H / 2),
    }[side]


def chain_svg(claims: pd.DataFrame) -> str:
    """Draw the mechanism chain, each link lettered and coloured by its claims.

    A link's marker is green where a claim testing it is consistent here, red
    where one contradicts (this wins), amber for inconclusive, grey for not
    testable or for a link no claim tests (dashed: mechanism only).
    """
    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 800 470" '
        'width="800" height="470" role="img" aria-label="The mechanism chain from '
        'fibre to lung disease, each link lettered">',
        "<defs><marker id='arrow' viewBox='0 0 10 10' refX='9' refY='5' "
        "markerWidth='7' markerHeight='7' orient='auto-start-reverse'>"
        "<path d='M0,0 L10,5 L0,10 z' fill='#444'/></marker></defs>",
    ]
    for key, (label, x, y) in NODES.items():
        width = 210 if key == "airway" else BOX_W
        parts.append(
            f'<rect x="{x}" y="{y}" width="{width}" height="{BOX_H}" rx="6" '
            'fill="#f4f6f8" stroke="#445"/>'
            f'<text x="{x + width / 2}" y="{y + BOX_H / 2 + 5}" font-size="13" '
            f'text-anchor="middle" font-family="sans-serif">{html.escape(label)}</text>'
        )
    for letter, link, src, dst, how, _ in LINKS:
        rows = claims[claims["link"] == link] if link else claims.iloc[0:0]
        colour = COLOURS[_link_verdict(rows)] if link else COLOURS[None]
        dash = "" if link else ' stroke-dasharray="5,4"'
        if how == "down":
            (x1, y1), (x2, y2) = _centre(src, "bottom"), _centre(dst, "top")
            path = f"M{x1},{y1} L{x2},{y2}"
            mx, my = x1 + 22, (y1 + y2) / 2
        elif how == "left":
            (x1, y1), (x2, y2) = _centre(src, "left"), _centre(dst, "left")
            bend = 70 + (y2 - y1) * 0.25
            path = f"M{x1},{y1} C{x1 - bend},{y1} {x2 - bend},{y2} {x2},{y2}"
            mx, my = x1 - bend * 0.75, (y1 + y2) / 2
        elif how == "right":
            (x1, y1), (x2, y2) = _centre(src, "right"), _centre(dst, "top")
            path = f"M{x1},{y1} C{x2},{y1} {x2},{y1} {x2},{y2}"
            mx, my = x2 - 20, y1 + 30
        else:  # across, right to left
            (x1, y1), (x2, y2) = (
                (
                    _centre(src, "bottom")[0],
                    _centre(src, "bottom")[1],
                ),
                _centre(dst, "right"),
            )
            path = f"M{x1},{y1} C{x1},{y2} {x1},{y2} {x2},{y2}"
            mx, my = x1 + 22, (y1 + y2) / 2
        parts.append(
            f'<path d="{path}" fill="none" stroke="#444" stroke-width="1.6"{dash} '
            'marker-end="url(#arrow)"/>'
            f'<circle cx="{mx}" cy="{my}" r="11" fill="{colour}"/>'
            f'<text x="{mx}" y="{my + 4.5}" font-size="12" font-weight="bold" '
            'fill="white" text-anchor="middle" font-family="sans-serif">'
            f"{letter}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _study_line(r: pd.Series) -> str:
    verdict = str(r["verdict"])
    colour = COLOURS.get(verdict, COLOURS[None])
    bits = []
    if pd.notna(r.get("n_stratum")):
        bits.append(
            f"n = {int(r['n_stratum'])} in the stratum {r['stratum']} "
            f"(of {int(r['n'])})"
        )
    elif pd.notna(r.get("n")):
        bits.append(f"n = {int(r['n'])}")
    if pd.notna(r.get("power")):
        bits.append(f"power {float(r['power']):.2f}")
    elif verdict != "not testable":
        bits.append("no power: the paper gives no effect size")
    if verdict == "not testable":
        bits.append(str(r.get("reason", "")))
    extra = f" ({html.escape('; '.join(bits))})" if bits else ""
    return (
        f'<span class="study">{html.escape(str(r["study"]))}: '
        f'<span class="verdict" style="color:{colour}">{html.escape(verdict)}</span>'
        f"{extra}</span>"
    )


def short_citation(citation: str) -> str:
    """Return "First author year" of a citation.

    Examples
    --------
    >>> short_citation("Stokholm J, et al. Maturation ... Nat Commun 2018;9:141.")
    'Stokholm J 2018'
    """
    author = citation.split(",")[0].split(".")[0].strip()
    years = re.findall(r"\b(?:19|20)\d\d\b", citation)
    return f"{author} {years[-1]}" if years else author


def _card(claim_id: str, rows: pd.DataFrame) -> str:
    first = rows.iloc[0]
    letter = next((x[0] for x in LINKS if x[1] == first["link"]), "?")
    verdict = _link_verdict(rows)
    published, after = str(first["evidence"]), str(first["grade"])
    moved = (
        f" Graded {after.replace('_', ' ')} after this run."
        if after and after != published
        else ""
    )
    studies = "; ".join(_study_line(r) for _, r in rows.iterrows())
    return (
        f'<div class="card" style="border-color:{COLOURS[verdict]}">'
        f'<span class="id">{html.escape(claim_id)}</span> (link {letter}; '
        f"{html.escape(short_citation(str(first['citation'])))}, "
        f"doi:{html.escape(str(first['doi']))}): "
        f"{html.escape(str(first['published']))}.{html.escape(moved)}"
        f'<div class="runs">This run: {studies}.</div></div>'
    )


def ladder_fragment(claims: pd.DataFrame) -> str:
    """Return the ladder's HTML (chain, key and rungs) from ``claims.tsv``.

    ``claims`` holds the columns :data:`..claims.run.COLUMNS` lists; claims
    without a ``link`` (a table from before the column) count as
    ``microbiota_disease``.
    """
    claims = claims.copy()
    if "link" not in claims:
        claims["link"] = "microbiota_disease"
    claims["link"] = claims["link"].fillna("microbiota_disease")
    key = []
    for letter, link, src, dst, _, what in LINKS:
        head = f"{NODES[src][0]} to {NODES[dst][0]}: {what}"
        if link is None:
            key.append(
                f"<li><b>{letter}</b>. {html.escape(head)}. Mechanism only: "
                f"{html.escape(UNTESTED[letter])}; no claim here tests it.</li>"
            )
            continue
        rows = claims[claims["link"] == link]
        if rows.empty:
            tested = "no claim of the catalogue tests it"
        else:
            tested = "; ".join(
                f"{cid} ({', '.join(sorted(set(g['verdict'].astype(str))))})"
                for cid, g in rows.groupby("claim_id", sort=False)
            )
        key.append(
            f"<li><b>{letter}</b>. {html.escape(head)}: {html.escape(tested)}.</li>"
        )
    counts = claims.groupby("claim_id", sort=False).first()["evidence"].value_counts()
    rungs = []
    for grade, title in RUNGS:
        ids = [
            cid
            for cid, g in claims.groupby("claim_id", sort=False)
            if g["evidence"].iloc[0] == grade
        ]
        cards = "".join(_card(cid, claims[claims["claim_id"] == cid]) for cid in ids)
        rungs.append(
            f'<div class="rung"><h3>{title} ({counts.get(grade, 0)} claims)</h3>'
            f"{cards or '<p>None in the catalogue.</p>'}</div>"
        )
    verdicts = claims["verdict"].astype(str).value_counts()
    summary = ", ".join(f"{n} {v}" for v, n in verdicts.items())
    return (
        '<div class="ladder">'
        f"<p>{claims['claim_id'].nunique()} claims, {len(claims)} tests "
        f"(claim by study): {html.escape(summary)}. Each claim sits on the rung of "
        "its published evidence; the lines under it say what this run adds. A "
        "consistent study here raises the grade after this run by one rung; a "
        "contradiction anywhere keeps it.</p>"
        f"{chain_svg(claims)}"
        '<p class="note">Markers: green, a claim testing the link is consistent '
        "here; red, one contradicts it (this wins); amber, inconclusive; dark "
        "grey, not testable on these data; light grey on a dashed arrow, "
        "mechanism only (no claim can test it from 16S reads).</p>"
        f'<ol class="key" style="list-style:none">{"".join(key)}</ol>'
        f"{''.join(rungs)}</div>"
    )


def ladder_page(title: str, claims: pd.DataFrame) -> str:
    """Return the ladder as a standalone printable HTML page."""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}: evidence ladder</title>"
        "<style>body{font-family:system-ui,sans-serif;margin:2em auto;"
        "max-width:840px;color:#222;padding:0 1em}"
        f".note{{color:#555;font-size:.9em}}{CSS}</style></head><body>"
        f"<h1>{html.escape(title)}: evidence ladder</h1>"
        f"{ladder_fragment(claims)}</body></html>\n"
    )
