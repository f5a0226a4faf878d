"""SCFA-producer indices (gutlung_pipeline.scfa): a hand-built table with the
answers worked out by hand, and the shipped producer table's names checked
against Greengenes 13_8."""

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gutlung_pipeline.errors import ConfigError
from gutlung_pipeline.scfa import (
    SHIPPED,
    load_producers,
    normalise_genus,
    producer_indices,
)

TAXONOMY = pd.Series(
    {
        "f1": "d__Bacteria; p__Firmicutes; g__Faecalibacterium",
        "f2": "d__Bacteria; p__Firmicutes; g__[Eubacterium]",  # Agathobacter's synonym
        "f3": "d__Bacteria; p__Bacteroidetes; g__Bacteroides",
        "f4": "d__Bacteria; p__Proteobacteria; g__Escherichia",
        "f5": "d__Bacteria; p__Firmicutes",  # no genus: unplaced
        "f6": "d__Bacteria; p__Firmicutes; g__Clostridium",  # low confidence
    }
)


def hand_table():
    return pd.DataFrame(
        {
            "A": [30, 10, 40, 10, 10, 0],
            "B": [0, 0, 50, 50, 0, 0],
            "C": [0, 0, 0, 0, 0, 0],
        },
        index=list(TAXONOMY.index),
    )


def test_shares_and_balances_by_hand():
    got = producer_indices(hand_table(), TAXONOMY, load_producers())
    a = got.loc["A"]
    assert a["reads"] == 100
    assert a["butyrate_share"] == pytest.approx(0.40)  # Faecalibacterium + Agathobacter
    assert a["propionate_share"] == pytest.approx(0.40)  # Bacteroides
    assert a["unplaced_share"] == pytest.approx(0.10)
    # genera with reads in the table: agathobacter, bacteroides, clostridium,
    # escherichia, faecalibacterium; butyrate (medium and up): 2 of 5
    logs = {
        "fae": np.log(30.5),
        "aga": np.log(10.5),
        "bac": np.log(40.5),
        "esc": np.log(10.5),
        "clo": np.log(0.5),
    }
    but = (logs["fae"] + logs["aga"]) / 2 - (
        logs["bac"] + logs["esc"] + logs["clo"]
    ) / 3
    assert a["butyrate_balance"] == pytest.approx(math.sqrt(2 * 3 / 5) * but)
    prop = logs["bac"] - (logs["fae"] + logs["aga"] + logs["esc"] + logs["clo"]) / 4
    assert a["propionate_balance"] == pytest.approx(math.sqrt(1 * 4 / 5) * prop)
    # log-ratios of the sums: 40 producer reads against 40 + 10 + 0 placed others
    assert a["butyrate_log_ratio"] == pytest.approx(np.log(40.5 / 50.5))
    assert a["propionate_log_ratio"] == pytest.approx(np.log(40.5 / 50.5))
    b = got.loc["B"]
    assert b["butyrate_log_ratio"] == pytest.approx(np.log(0.5 / 100.5))
    assert b["propionate_log_ratio"] == pytest.approx(np.log(50.5 / 50.5))
    assert b["butyrate_share"] == 0 and b["propionate_share"] == pytest.approx(0.5)
    assert b["butyrate_balance"] < 0 < a["butyrate_balance"]
    assert got.loc["C"].drop("reads").isna().all() and got.loc["C", "reads"] == 0


def test_confidence_threshold_and_composition():
    """low counts Clostridium; scaling the other genera leaves the balance
    of a sample unchanged up to the pseudocount, not the share."""
    low = producer_indices(
        hand_table(), TAXONOMY, load_producers(), min_confidence="low"
    )
    assert low.loc["A", "butyrate_share"] == pytest.approx(0.40)  # Clostridium has 0
    table = hand_table()
    table.loc["f6", "A"] = 20
    assert producer_indices(
        table, TAXONOMY, load_producers(), min_confidence="low"
    ).loc["A", "butyrate_share"] == pytest.approx(60 / 120)
    big = hand_table() * 1000
    doubled = big.copy()
    doubled.loc["f4"] *= 10  # Escherichia blooms
    one = producer_indices(big, TAXONOMY, load_producers(), pseudocount=1e-9)
    two = producer_indices(doubled, TAXONOMY, load_producers(), pseudocount=1e-9)
    assert two.loc["A", "butyrate_share"] < one.loc["A", "butyrate_share"]
    # the bloom moves the balance by its own log-ratio only: 1/5 of log 10 weighted
    shift = math.sqrt(2 * 3 / 5) * (-np.log(10) / 3)
    assert two.loc["A", "butyrate_balance"] - one.loc["A", "butyrate_balance"] == (
        pytest.approx(shift, abs=1e-6)
    )
    # the log-ratio moves by the log of the others' total: 50 -> 140 (x1000)
    assert two.loc["A", "butyrate_log_ratio"] - one.loc[
        "A", "butyrate_log_ratio"
    ] == pytest.approx(-np.log(140 / 50), abs=1e-9)
    # genera the sample lacks leave it alone, the balance not
    wide = pd.concat([big, pd.DataFrame({"A": [0], "B": [0], "C": [0]}, index=["f7"])])
    tax = pd.concat([TAXONOMY, pd.Series({"f7": "d__Bacteria; g__Haemophilus"})])
    three = producer_indices(wide, tax, load_producers())
    four = producer_indices(big, TAXONOMY, load_producers())
    assert three.loc["A", "butyrate_log_ratio"] == four.loc["A", "butyrate_log_ratio"]
    assert three.loc["A", "butyrate_balance"] != pytest.approx(
        four.loc["A", "butyrate_balance"]
    )
    with pytest.raises(ValueError, match="min_confidence 'some'"):
        producer_indices(big, TAXONOMY, load_producers(), min_confidence="some")


def test_names_match_across_spellings():
    assert normalise_genus("[Eubacterium]") == "eubacterium"
    assert normalise_genus(" Prevotella_A ") == "prevotella"
    assert normalise_genus("Faecalibacterium") == "faecalibacterium"


def test_a_bad_producer_table_is_refused(tmp_path):
    bad = load_producers().head(2).copy()
    bad.loc[1, "synonyms"] = "Faecalibacterium"
    bad.loc[0, "confidence"] = "certain"
    path = tmp_path / "p.tsv"
    bad.to_csv(path, sep="\t", index=False)
    with pytest.raises(ConfigError) as err:
        load_producers(path)
    assert err.value.problems == [
        f"{path}: row 2 (Faecalibacterium): confidence 'certain'; use one of low, "
        "medium, high",
        f"{path}: row 3 (Roseburia): Faecalibacterium is also a name of "
        "Faecalibacterium; give each name to one row",
    ]


def test_shipped_names_are_greengenes_genera_and_cited():
    """Every genus (or a synonym) is a genus of Greengenes 13_8, except those
    whose note says they are absent from it; every row cites a DOI."""
    import qiime_default_reference as qdr

    taxonomy = Path(qdr.get_reference_sequences()).parents[1] / "taxonomy"
    names = set()
    for line in (taxonomy / "97_otu_taxonomy.txt").read_text().splitlines():
        m = re.search(r"g__([^;]+)", line)
        if m and m.group(1).strip():
            names.add(m.group(1).strip())
    table = pd.read_csv(SHIPPED, sep="\t", dtype=str, keep_default_na=False)
    assert len(table) >= 20
    for _, row in table.iterrows():
        spellings = [row["genus"], *filter(None, row["synonyms"].split(";"))]
        absent = "absent from Greengenes 13_8" in row["note"]
        assert any(s in names for s in spellings) != absent, row["genus"]
        dois = row["references"].split(";")
        assert dois and all(re.fullmatch(r"10\.\d{4,5}/\S+", d) for d in dois)


def test_report_sentences_and_figure_by_site_and_group():
    """Medians per body site and, within each, per group; the figure gets a
    group panel and stays two panels wide."""
    from gutlung_pipeline.report.figures import fig_scfa
    from gutlung_pipeline.report.summaries import scfa_sentences

    ids = ["g1", "g2", "g3", "l1"]
    indices = pd.DataFrame(
        {
            "reads": [10, 10, 10, 10],
            "butyrate_share": [0.1, 0.3, 0.5, 0.02],
            "propionate_share": [0.2, 0.2, 0.2, 0.1],
            "unplaced_share": [0.0, 0.0, 0.1, 0.0],
            "butyrate_log_ratio": [-1.0, 0.0, 1.0, -3.0],
        },
        index=ids,
    )
    sites = pd.Series(["gut", "gut", "gut", "lung"], index=ids)
    group = pd.Series(["no", "yes", "yes", "no"], index=ids)
    lines = scfa_sentences(indices, sites, group, "asthma")
    assert lines == [
        "gut (3 samples): median 30.0% of reads in butyrate producers, 20.0% in "
        "propionate producers; 0.0% without a genus; butyrate producers by asthma: "
        "no 10.0% (n = 1), yes 40.0% (n = 2).",
        "lung (1 samples): median 2.0% of reads in butyrate producers, 10.0% in "
        "propionate producers; 0.0% without a genus.",
    ]
    age = pd.Series([100, 200, 300, 20000], index=ids)
    fig = fig_scfa(indices, sites, age, group, "asthma")
    assert fig.get_size_inches().tolist() == [8.4, 7.2]
    visible = [ax for ax in fig.axes if ax.axison]
    assert len(visible) == 3
    assert visible[2].get_legend().get_title().get_text() == "asthma"
