import pandas as pd
import pytest

from gutlung_pipeline.report import genus_table, render_report

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
