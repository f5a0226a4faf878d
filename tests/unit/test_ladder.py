"""The evidence ladder: every claim on its rung, each link keyed to its
claims, and a standalone page that fits the column and prints."""

import re

import numpy as np
import pandas as pd
from conftest import needs_chromium, render_in_chromium

from gutlung_pipeline.claims import load_catalogue, run_claims
from gutlung_pipeline.report.ladder import LINKS, ladder_fragment, ladder_page


def claims_table():
    """The whole shipped catalogue run on a small sheet: two claims testable
    (one planted consistent, one null), the others not testable."""
    rng = np.random.default_rng(3)
    n = 60
    ids = [f"A{i:03d}" for i in range(n)]
    copd = np.arange(n) % 3 == 0
    sheet = pd.DataFrame(
        {
            "subject_id": ids,
            "body_site": "gut",
            "sample_type": "stool",
            "study": "sim",
            "age_days": 20000,
            "copd": np.where(copd, "yes", "no"),
            "asthma": np.where(np.arange(n) % 4 == 1, "yes", "no"),
        },
        index=pd.Index(ids, name="sample_id"),
    )
    scfa = pd.DataFrame(
        {"butyrate_log_ratio": rng.normal(0, 1, n) - 2.0 * copd}, index=sheet.index
    )
    return run_claims(load_catalogue(), sheet, {"scfa": scfa}, power_reps=10)


def test_every_claim_sits_on_its_published_rung_with_what_this_run_adds():
    claims = claims_table()
    text = ladder_fragment(claims)
    rungs = re.split(r'<div class="rung">', text)[1:]
    titles = ["Replicated association", "Single association", "Mechanism only"]
    assert [r[r.index("<h3>") + 4 :].split(" (")[0] for r in rungs] == titles
    first = claims.groupby("claim_id", sort=False).first()
    for grade, rung in zip(
        ("replicated_association", "single_association", "mechanism_only"),
        rungs,
        strict=True,
    ):
        expected = set(first.index[first["evidence"] == grade])
        shown = set(re.findall(r'<span class="id">([a-z0-9_]+)</span>', rung))
        assert shown == expected, grade
        assert f"({len(expected)} claims)" in rung
    li = rungs[1][rungs[1].index("li2021_copd_butyrate_producers") :]
    li = li[: li.index("</div></div>")]
    assert "(link F; Li N 2021, doi:10.1186/s12931-021-01872-z)" in li
    assert (
        'This run: <span class="study">sim: <span class="verdict" '
        'style="color:#1a7f37">consistent</span> (n = 60; no power: the paper '
        "gives no effect size)</span>."
    ) in li
    assert "Graded replicated association after this run." in li
    # the not testable ones say why
    assert "not testable</span> (needs column" in text


def test_each_link_is_keyed_to_the_claims_that_test_it():
    claims = claims_table()
    text = ladder_fragment(claims)
    key = text[text.index('<ol class="key"') : text.index("</ol>")]
    items = re.findall(r"<li><b>([A-I])</b>\. (.*?)</li>", key)
    assert [letter for letter, _ in items] == [x[0] for x in LINKS]
    by_letter = dict(items)
    assert "li2021_copd_butyrate_producers (consistent)" in by_letter["F"]
    assert "depner2020_butyrate_taxa_asthma (not testable)" in by_letter["F"]
    assert "backhed2015_butyrate_producers_rise_with_age" in by_letter["B"]
    assert "stokholm2018_maturity_asthma (not testable)" in by_letter["G"]
    assert "dickson2016_bacteroides_lung_ards" in by_letter["H"]
    assert "thorsen2019_airway_genera_asthma" in by_letter["I"]
    for letter in "ACDE":
        assert "Mechanism only" in by_letter[letter]
    # the markers: F green (a claim consistent here), the untested grey
    svg = text[text.index("<svg") : text.index("</svg>")]
    markers = dict(
        (m[1], m[0])
        for m in re.findall(
            r'<circle [^>]*fill="(#[0-9a-f]+)"/><text [^>]*>([A-I])<', svg
        )
    )
    assert markers["F"] == "#1a7f37"
    assert markers["A"] == markers["C"] == "#bbbbbb"
    assert markers["G"] == "#777777"  # every maturity claim not testable


@needs_chromium
def test_standalone_ladder_fits_the_column_and_prints(tmp_path):
    """In headless Chromium at 900 px and at a narrow 600 px: nothing wider
    than the viewport; printed to A4 PDF: three pages at most."""
    page = tmp_path / "evidence_ladder.html"
    page.write_text(ladder_page("Demo <run>", claims_table()))
    text = page.read_text()
    # one offline file: no script, stylesheet, image or font fetched
    assert not re.search(r"<script|<link|<img|src=|url\(http|@import", text)
    assert "<title>Demo &lt;run&gt;: evidence ladder</title>" in text
    for width in (900, 600):
        m = render_in_chromium(page, width=width)
        assert m["scroll"] <= m["client"], (width, m["scroll"], m["client"])
        assert m["right"] <= m["client"] + 0.5, (width, m["right"])
    assert m["pdf"].startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page[^s]", m["pdf"]))
    assert 1 <= pages <= 3, pages


def test_a_stratum_claim_gives_the_stratum_n_first():
    row = {
        "claim_id": "stokholm2018_maturity_asthma",
        "study": "cohort_a",
        "verdict": "consistent",
        "n": 400,
        "n_stratum": 112,
        "stratum": "maternal_asthma = yes",
        "power": 0.81,
        "reason": "",
        "link": "microbiota_disease",
        "evidence": "replicated_association",
        "grade": "replicated_association",
        "published": "direction only (increase)",
        "citation": "Stokholm J, et al.",
        "doi": "10.1038/s41467-017-02573-2",
    }
    text = ladder_fragment(pd.DataFrame([row]))
    assert (
        ">consistent</span> (n = 112 in the stratum maternal_asthma = yes "
        "(of 400); power 0.81)</span>."
    ) in text
    assert "Graded" not in text  # the grade did not move
