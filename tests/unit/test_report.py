import re

import pandas as pd
import pytest
from conftest import needs_chromium, render_in_chromium

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


@pytest.mark.parametrize("n", [20, 100, 400])
def test_per_sample_figures_stay_readable_at_any_size(n):
    """One bar per sample up to MAX_SAMPLE_BARS; above it box plots (read
    tracking) and stacked areas (genera), so the figure width stays fixed."""
    import numpy as np

    from gutlung_pipeline.report.figures import (
        MAX_SAMPLE_BARS,
        MAX_WIDTH,
        SAMPLES_PER_ROW,
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
    bars = (
        sum(len(ax.patches) for ax in reads.axes),
        sum(len(ax.patches) for ax in comp.axes),
    )
    if n <= MAX_SAMPLE_BARS:
        assert bars == (2 * n, 4 * n)
        # rows of at most SAMPLES_PER_ROW samples, none wider than the column
        rows = -(-n // SAMPLES_PER_ROW)
        assert len(reads.axes) == rows and len(comp.axes) == rows
        assert reads.get_figwidth() <= MAX_WIDTH
        assert comp.get_figwidth() <= MAX_WIDTH
    else:
        assert bars == (0, 0)  # boxes are lines, areas are collections
        assert reads.get_figwidth() == 6 and comp.get_figwidth() <= MAX_WIDTH
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


def _big_study(folder, n: int) -> dict:
    """Write the files of a report manifest for ``n`` samples (seeded)."""
    import numpy as np
    from skbio import OrdinationResults

    from gutlung_pipeline.io import write_table_tsv, write_tsv

    rng = np.random.default_rng(7)
    ids = [f"S{k:05d}" for k in range(n)]
    site = np.where(np.arange(n) % 3 == 0, "lung", "gut")
    sheet = pd.DataFrame(
        {
            "sample_id": ids,
            "subject_id": [f"P{k // 2:05d}" for k in range(n)],
            "body_site": site,
            "sample_type": np.where(site == "gut", "stool", "bal"),
            "asthma": rng.choice(["yes", "no"], n),
        }
    )
    sheet.to_csv(folder / "samples.tsv", sep="\t", index=False)
    feats = [f"f{k:03d}" for k in range(60)]
    counts = pd.DataFrame(
        rng.poisson(rng.gamma(0.3, 60, (60, 1)), (60, n)), index=feats, columns=ids
    )
    write_table_tsv(counts, folder / "table.tsv")
    genera = [f"g__Genus{k % 25}" for k in range(60)]
    pd.DataFrame(
        {
            "Feature ID": feats,
            "Taxon": [f"d__Bacteria; p__Firmicutes; {g}" for g in genera],
            "Confidence": 0.9,
        }
    ).to_csv(folder / "taxonomy.tsv", sep="\t", index=False)
    reads = counts.sum(axis=0).to_numpy()
    track = pd.DataFrame(
        {"input": reads + 40, "merged": reads + 20, "in_table": reads},
        index=pd.Index(ids, name="sample_id"),
    )
    write_tsv(track, folder / "tracking.tsv")
    alpha = pd.DataFrame(
        {"observed_features": rng.integers(5, 60, n), "shannon": rng.random(n) * 4},
        index=pd.Index(ids, name="sample_id"),
    )
    write_tsv(alpha, folder / "alpha.tsv")
    rare = pd.DataFrame(
        {"reads": reads, "rarefied": reads >= 50, "reason": ""},
        index=pd.Index(ids, name="sample_id"),
    )
    rare.loc[~rare["rarefied"], "reason"] = "below the depth"
    write_tsv(rare, folder / "rarefaction.tsv")
    coords = pd.DataFrame(rng.normal(size=(n, 2)), index=ids, columns=["PC1", "PC2"])
    OrdinationResults(
        "PCoA",
        "Principal Coordinate Analysis",
        eigvals=pd.Series([2.0, 1.0], index=["PC1", "PC2"]),
        samples=coords,
        proportion_explained=pd.Series([0.2, 0.1], index=["PC1", "PC2"]),
    ).write(str(folder / "braycurtis.txt"))
    return {
        "tracking": str(folder / "tracking.tsv"),
        "table": str(folder / "table.tsv"),
        "taxonomy": str(folder / "taxonomy.tsv"),
        "samples": str(folder / "samples.tsv"),
        "alpha": str(folder / "alpha.tsv"),
        "rarefaction": str(folder / "rarefaction.tsv"),
        "pcoa": [str(folder / "braycurtis.txt")],
    }


def test_long_tables_are_collapsed_and_written_beside_the_report(tmp_path):
    """A 4,000-sample report: its read-tracking table is summarised by column
    with its first rows, written whole to tables/, and linked; the page has a
    table of contents, numbered figures and tables, and stays small."""
    from gutlung_pipeline.report.build import build_report
    from gutlung_pipeline.report.html import HEAD_ROWS
    from gutlung_pipeline.report.names import manifest

    n = 4000
    files = _big_study(tmp_path, n)
    out = tmp_path / "report" / "report.html"
    build_report(
        manifest(files, {"group_column": "asthma"}),
        output=out,
        figures_dir=tmp_path / "report" / "figures",
    )
    text = out.read_text()
    full = pd.read_csv(tmp_path / "report/tables/read_tracking.tsv", sep="\t")
    assert len(full) == n and full["sample_id"].iloc[-1] == "S03999"
    assert '<a href="tables/read_tracking.tsv">' in text
    assert f"{n:,} rows, summarised by column" in text
    # the first rows only: the last sample's ID is not on the page
    assert "S00000" in text and f"S{HEAD_ROWS:05d}" not in text
    assert "S03999" not in text
    # a table of contents whose links all land on a heading
    toc = text[text.index('<nav class="toc">') : text.index("</nav>")]
    anchors = re.findall(r'href="#([^"]+)"', toc)
    assert anchors[0] == "read-tracking" and "pcoa" in anchors
    assert all(f'<h2 id="{a}">' in text for a in anchors)
    numbers = [int(k) for k in re.findall(r"<b>Figure (\d+)\.</b>", text)]
    assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) >= 5
    assert re.findall(r"<b>Table (\d+)\.</b>", text)[0] == "1"
    size = out.stat().st_size
    assert size < 800_000, size  # 497 kB when written
    # a rerun with fewer samples leaves no stale table behind
    build_report(
        manifest(_big_study(tmp_path, 30), {"group_column": "asthma"}),
        output=out,
        figures_dir=tmp_path / "report" / "figures",
    )
    assert not list((tmp_path / "report/tables").glob("*.tsv"))
    assert "<details>" not in out.read_text()


@needs_chromium
def test_report_at_4000_samples_fits_the_column_in_chromium(tmp_path):
    """Opened in headless Chromium at 1,000 and 700 px, the 4,000-sample
    report has no horizontal overflow: every figure and table fits."""
    from gutlung_pipeline.report.build import build_report
    from gutlung_pipeline.report.names import manifest

    files = _big_study(tmp_path, 4000)
    out = tmp_path / "report.html"
    build_report(
        manifest(files, {"group_column": "asthma"}),
        output=out,
        figures_dir=tmp_path / "figures",
    )
    for width in (1000, 700):
        m = render_in_chromium(out, width=width)
        assert m["scroll"] <= m["client"], (width, m["scroll"], m["client"])
        assert m["right"] <= m["client"] + 1, (width, m["right"])
        assert m["pdf"].startswith(b"%PDF")


def test_figures_rendered_side_by_side_are_those_rendered_one_by_one():
    """render_all forks workers that render their share of the drawn
    figures: the SVG text is the same, in the same order, as one at a time,
    and every figure is closed after."""
    from functools import partial

    import matplotlib.pyplot as plt
    import numpy as np

    from gutlung_pipeline.report.figures import (
        fig_genus_barplot,
        fig_read_tracking,
        render_all,
    )

    def draw():
        rng = np.random.default_rng(1)
        ids = [f"s{k:02d}" for k in range(30)]
        tracking = pd.DataFrame(
            {"input": rng.integers(900, 1100, 30), "in_table": rng.integers(5, 9, 30)},
            index=ids,
        )
        genera = pd.DataFrame(
            rng.dirichlet(np.ones(3), 30), index=ids, columns=["A", "B", "Other"]
        )
        sites = pd.Series(["gut", "lung"] * 15, index=ids)
        return {
            "reads": fig_read_tracking(tracking),
            # drawn by the worker that renders it, as the report passes them
            "genera": partial(fig_genus_barplot, genera, sites),
            "reads_again": partial(fig_read_tracking, tracking.iloc[:10]),
            "genera_drawn": fig_genus_barplot(genera, sites),
        }

    def rendered(threads):
        before = set(plt.get_fignums())  # other tests' figures
        figures = draw()
        numbers = {fig.number for fig in figures.values() if not callable(fig)}
        svgs = render_all(figures, threads=threads)
        # each closed, those drawn here by the functions too
        assert set(plt.get_fignums()) == before - numbers
        return svgs

    one, two = rendered(1), rendered(2)
    assert list(two) == list(one) == ["reads", "genera", "reads_again", "genera_drawn"]
    for key in one:
        assert one[key].startswith("<svg") and two[key] == one[key], key
    assert one["reads"] != one["reads_again"]
    assert one["genera"] == one["genera_drawn"]  # drawn late or early, the same
