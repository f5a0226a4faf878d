import pandas as pd
import pytest

from gutlung_pipeline.report.figures import genus_table
from gutlung_pipeline.report.html import render_report

TAXONOMY = pd.DataFrame(
    {
        "Taxon": [
            "d__Bacteria; p__Firmicutes; g__Streptococcus",
            "d__Bacteria; p__Firmicutes; g__Streptococcus",
            "d__Bacteria; p__Bacteroidetes",
            "Unassigned",
        ],
        "Confidence": [1.0, 0.9, 0.85, 0.2],
    },
    index=pd.Index(["a", "b", "c", "d"], name="Feature ID"),
)


def test_genus_table_known_answer():
    table = pd.DataFrame(
        {"s1": [2, 2, 5, 0], "s2": [0, 0, 1, 3], "s3": [0, 0, 0, 0]},
        index=["a", "b", "c", "d"],
    )
    out = genus_table(table, TAXONOMY, top=2)
    # mean shares: Unclassified Bacteroidetes (5/9 + 1/4)/3, Unassigned (3/4)/3,
    # Streptococcus (4/9)/3, so Streptococcus goes to Other
    assert list(out.columns) == ["Unclassified Bacteroidetes", "Unassigned", "Other"]
    assert out.loc["s1"].tolist() == pytest.approx([5 / 9, 0.0, 4 / 9])
    assert out.loc["s2"].tolist() == pytest.approx([0.25, 0.75, 0.0])
    assert out.loc["s3"].tolist() == [0.0, 0.0, 0.0]


def test_render_report_lists_excluded_samples_and_escapes():
    tracking = pd.DataFrame({"input": [10, 3]}, index=pd.Index(["S1", "NC<1>"]))
    rare = pd.DataFrame(
        {
            "reads": [10, 3],
            "rarefied": [True, False],
            "reason": ["", "3 reads < depth 5"],
        },
        index=pd.Index(["S1", "NC<1>"], name="sample_id"),
    )
    keys = ("read_tracking", "genus_barplot", "alpha_body_site", "alpha_group", "pcoa")
    figures = {k: f"<svg id='{k}'></svg>" for k in keys}
    captions = {k: f"caption {k} & more" for k in keys}
    text = render_report(
        title="T <x>",
        tracking=tracking,
        rarefaction=rare,
        figures=figures,
        captions=captions,
    )
    assert "<title>T &lt;x&gt;</title>" in text
    assert "1 of 2 samples are below the rarefaction depth" in text
    assert "NC&lt;1&gt;" in text and "3 reads &lt; depth 5" in text
    assert all(f"<svg id='{k}'></svg>" in text for k in keys)
    assert "caption pcoa &amp; more" in text


@pytest.mark.parametrize("n", [20, 400])
def test_per_sample_figures_stay_readable_at_any_size(n):
    """One bar per sample up to MAX_SAMPLE_BARS; above it box plots (read
    tracking) and stacked areas (genera), so the figure width stays fixed."""
    import numpy as np

    from gutlung_pipeline.report.figures import (
        MAX_SAMPLE_BARS,
        fig_genus_barplot,
        fig_read_tracking,
    )

    rng = np.random.default_rng(0)
    ids = [f"s{k:03d}" for k in range(n)]
    tracking = pd.DataFrame(
        {"input": rng.integers(900, 1100, n), "in_table": rng.integers(500, 900, n)},
        index=ids,
    )
    shares = rng.dirichlet(np.ones(4), n)
    genera = pd.DataFrame(shares, index=ids, columns=["A", "B", "C", "Other"])
    sites = pd.Series(["gut"] * (n // 2) + ["lung"] * (n - n // 2), index=ids)
    reads, comp = fig_read_tracking(tracking), fig_genus_barplot(genera, sites)
    bars = len(reads.axes[0].patches), len(comp.axes[0].patches)
    if n <= MAX_SAMPLE_BARS:
        assert bars == (2 * n, 4 * n)
        assert reads.get_figwidth() == pytest.approx(max(6, 0.35 * n))
    else:
        assert bars == (0, 0)  # boxes are lines, areas are collections
        assert reads.get_figwidth() == 6 and comp.get_figwidth() == 10
        assert len(comp.axes[0].collections) == 4
        ticks = [t.get_text() for t in comp.axes[0].get_xticklabels()]
        assert ticks == [f"gut ({n // 2})", f"lung ({n - n // 2})"]


def test_report_manifest_is_checked():
    """A manifest names the report's files by key; required ones, lists and
    the files that come together are checked, settings get defaults."""
    from gutlung_pipeline.report.names import MANIFEST_SETTINGS, manifest

    files = {
        "tracking": "t.tsv",
        "table": "x.biom",
        "taxonomy": "tax.tsv",
        "samples": "s.tsv",
        "alpha": "a.tsv",
        "rarefaction": "r.tsv",
        "pcoa": ["p1.txt", "p2.txt"],
        "claims": [],  # an empty list: no claims section
    }
    doc = manifest(files, {"title": "T"})
    assert "claims" not in doc["files"] and doc["files"]["pcoa"] == ["p1.txt", "p2.txt"]
    assert doc["settings"] == {**MANIFEST_SETTINGS, "title": "T"}
    assert manifest({**files, "pcoa": "p.txt"}, {})["files"]["pcoa"] == ["p.txt"]
    for bad, message in (
        ({**files, "alpha": []}, "files.alpha is missing"),
        ({**files, "extra": "e.tsv"}, "unknown key 'extra'"),
        ({**files, "maturity": "m.tsv"}, "files.maturity needs importances"),
        ({**files, "contaminants": "c.tsv", "signal": "s.tsv"}, "needs filtered, mock"),
    ):
        with pytest.raises(ValueError, match=message):
            manifest(bad, {})
    with pytest.raises(ValueError, match="unknown key 'titel'"):
        manifest(files, {"titel": "T"})


def test_read_sentences_say_what_the_read_steps_found():
    from gutlung_pipeline.report.summaries import read_sentences

    tracking = pd.DataFrame(
        {
            "sample_id": ["A", "B", "C"],
            "phred_offset": [33, 64, 33],
            "max_quality": [40, 40, 37],
            "quality_levels": [38, 38, 4],
            "trunc_r1": [186, 0, 180],
            "trunc_r2": [115, 0, 121],
            "pct_merged": [96.1, 99.0, 40.5],
        }
    )
    assert read_sentences(tracking) == [
        "Read qualities: phred+33 in 2 samples; phred+64 (Illumina 1.3-1.7, read "
        "as such) in 1; binned qualities (4 values or fewer) in 1.",
        "Read pairs cut before the merge in 2 of 3 samples (median R1 183 nt, R2 "
        "118 nt; merge.trunc_lengths).",
        "Pairs merged: median 96.1% a sample, lowest 40.5% (C).",
    ]
    assert read_sentences(pd.DataFrame({"sample_id": ["A"], "input": [5]})) == []
