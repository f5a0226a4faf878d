"""The workflow's contamination step: off-target features, decontam per body
site, signal above background, mock accuracy, the design checks."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from gutlung_pipeline.decontam import (
    decontam_problems,
    decontam_warnings,
    decontaminate,
    feature_filter,
    is_contaminant,
    mock_accuracy,
    prevalence_reach,
    read_expected,
)
from gutlung_pipeline.schema import fill_defaults, load_schema


def settings(**overrides):
    """The config's decontam section with the schema's defaults."""
    return fill_defaults({"decontam": overrides}, load_schema("config"))["decontam"]


def test_defaults_per_body_site():
    s = settings()
    assert s["sites"]["gut"] == {
        "method": "prevalence",
        "threshold": 0.1,
        "pool": False,
        "signature": 0,
        "signature_by": "",
        "signature_blanks": True,
        "blank_enriched": True,
    }
    lung = {
        "method": "combined",
        "threshold": 0.1,
        "pool": True,
        "signature": 0.1,
        "signature_by": "run",
        "signature_blanks": True,
        "blank_enriched": True,
    }
    assert s["sites"]["lung"] == s["sites"]["upper_airway"] == lung
    assert s["batch_column"] == ""  # one batch, decontam's own default
    # a partly given site keeps the default threshold and per-site scoring
    s = settings(sites={"lung": {"method": "either"}})
    assert s["sites"]["lung"] == {
        "method": "either",
        "threshold": 0.1,
        "pool": False,
        "signature": 0,
        "signature_by": "",
        "signature_blanks": True,
        "blank_enriched": False,
    }
    assert s["sites"]["gut"]["method"] == "prevalence"


def test_feature_filter_organelles_and_unassigned():
    tax = pd.Series(
        {
            "a": "d__Bacteria; p__Cyanobacteria; c__Chloroplast; o__Streptophyta",
            "b": "d__Bacteria; p__Proteobacteria; c__Alphaproteobacteria; "
            "o__Rickettsiales; f__mitochondria",
            "c": "d__Bacteria; p__Cyanobacteria; c__Cyanobacteriia; o__Chloroplast",
            "d": "Unassigned",
            "e": "d__Eukaryota; p__Chordata",
            "f": "d__Bacteria; p__Firmicutes; g__Streptococcus",
            "g": "d__Archaea; p__Euryarchaeota",
            "h": "d__Bacteria; p__Cyanobacteria; c__Chloroplastida_like",
        }
    )
    ids = pd.Index([*tax.index, "missing"])
    got = feature_filter(tax, ids)
    assert got.to_dict() == {
        "a": "organelle",
        "b": "organelle",
        "c": "organelle",
        "d": "unassigned",
        "e": "unassigned",
        "f": "",
        "g": "",
        "h": "",
        "missing": "unassigned",
    }
    kept = feature_filter(tax, ids, remove_taxa=[], remove_unassigned=False)
    assert (kept == "").all()


def sheet_and_table(rng, *, n_lung=8, n_gut=8, n_blank=4):
    """Lung samples of falling biomass with a reagent contaminant `kit`; guts
    without it; blanks of the kit alone; one mock. Two runs."""
    rows, cols = [], {}
    kit = np.array([0.7, 0.3])  # two contaminant features
    for k in range(n_lung):
        biomass = 0.05 * 2**k
        share = 0.1 / (0.1 + biomass)
        true = np.array([0.5, 0.3, 0.2])
        p = np.concatenate([true * (1 - share), kit * share, [0, 0]])
        sid = f"L{k}"
        cols[sid] = rng.multinomial(5000, p)
        rows.append((sid, "lung", "bal", f"run{k % 2}", biomass + 0.1))
    for k in range(n_gut):
        p = np.array([0, 0, 0, 0, 0, 0.6, 0.4])
        cols[f"G{k}"] = rng.multinomial(5000, p)
        rows.append((f"G{k}", "gut", "stool", f"run{k % 2}", 30.0 + k))
    for k in range(n_blank):
        cols[f"B{k}"] = rng.multinomial(300, np.concatenate([[0, 0, 0], kit, [0, 0]]))
        rows.append((f"B{k}", "none", "negative_control", f"run{k % 2}", 0.0))
    cols["M1"] = np.array([0, 0, 0, 0, 0, 500, 500])
    rows.append(("M1", "none", "mock", "run0", 20.0))
    table = pd.DataFrame(cols, index=["t1", "t2", "t3", "c1", "c2", "g1", "g2"])
    sheet = pd.DataFrame(
        rows, columns=["sample_id", "body_site", "sample_type", "run", "dna_conc"]
    ).set_index("sample_id")
    tax = pd.Series({f: f"d__Bacteria; g__{f.upper()}" for f in table.index})
    return table, sheet, tax


def test_decontaminate_removes_the_kit_from_lung_only():
    table, sheet, tax = sheet_and_table(np.random.default_rng(1))
    table.loc["c1", "G0"] = 3  # a trace of the kit in one gut sample
    res = decontaminate(table, sheet, tax, settings=settings())
    c = res.contaminants
    lung_calls, gut_calls = (
        c[c["body_site"] == site].set_index("feature_id")["contaminant"]
        for site in ("lung", "gut")
    )
    # only features seen in the site's samples or its blanks are listed
    assert set(lung_calls.index) == {"t1", "t2", "t3", "c1", "c2"}
    assert lung_calls[["c1", "c2"]].all()
    assert not lung_calls[["t1", "t2", "t3"]].any()
    # the gut scores against the same blanks: c1 is in 4/4 blanks and 1/8 guts
    assert gut_calls["c1"]
    # the site's scores are decontam's own on the scored samples + blanks:
    # by default (pool) every biological sample, one batch; per site and by
    # run, the site's own samples in batches
    lung = [f"L{k}" for k in range(8)]
    blanks = [f"B{k}" for k in range(4)]
    per_site = {"method": "combined", "threshold": 0.05}
    for scored, opts, batch in (
        (lung + [f"G{k}" for k in range(8)] + blanks, settings(), None),
        (
            lung + blanks,
            settings(batch_column="run", sites={"lung": per_site}),
            sheet["run"],
        ),
    ):
        ref = is_contaminant(
            table[scored].T,
            conc=sheet.loc[scored, "dna_conc"],
            neg=pd.Series(
                sheet.loc[scored, "sample_type"] == "negative_control", dtype=object
            ),
            method="combined",
            batch=None if batch is None else batch[scored],
            threshold=0.05,
        )
        out = decontaminate(table, sheet, tax, settings=opts).contaminants
        got = out[out["body_site"] == "lung"].set_index("feature_id")
        np.testing.assert_allclose(got["p"], ref["p"].reindex(got.index), rtol=1e-12)
    # controls and mocks leave; contaminants gone from lung, kept elsewhere
    assert set(res.table.columns) == {f"L{k}" for k in range(8)} | {
        f"G{k}" for k in range(8)
    }
    # called for both sites, the kit leaves the table (all-zero rows are dropped)
    assert not res.table.index.isin(["c1", "c2"]).any()
    assert res.table.loc["g1"].sum() == table.loc["g1", res.table.columns].sum()
    # read tracking adds up for every biological sample
    t = res.tracking.set_index("sample_id")
    bio = t[t["role"] == "sample"]
    in_table = table[bio.index].sum(axis=0)
    np.testing.assert_array_equal(
        bio["organelle_removed"]
        + bio["unassigned_removed"]
        + bio["contaminant_removed"]
        + bio["analysed"],
        in_table,
    )
    assert (t.loc[["B0", "M1"], "analysed"] == 0).all()
    assert t.loc["M1", "role"] == "mock" and t.loc["B0", "role"] == "control"
    # a call is per body site: with gut unscored, the gut keeps its trace of c1
    res = decontaminate(
        table, sheet, tax, settings=settings(sites={"gut": {"method": "none"}})
    )
    assert res.table.loc["c1", "G0"] == 3
    assert (res.table.loc["c1", [f"L{k}" for k in range(8)]] == 0).all()


def test_signal_above_background_known_answer():
    table, sheet, tax = sheet_and_table(np.random.default_rng(2))
    res = decontaminate(table, sheet, tax, settings=settings())
    sig = res.signal
    rel = table / table.sum(axis=0)
    blanks = [f"B{k}" for k in range(4)]
    for sid in ("L0", "L5", "G3"):
        d = {b: 0.5 * np.abs(rel[sid] - rel[b]).sum() for b in blanks}
        nearest = min(d, key=d.get)
        assert sig.loc[sid, "nearest_control"] == nearest
        assert sig.loc[sid, "bc_nearest_control"] == pytest.approx(d[nearest])
        centroid = rel[blanks].mean(axis=1)
        assert sig.loc[sid, "bc_control_centroid"] == pytest.approx(
            0.5 * np.abs(rel[sid] - centroid).sum()
        )
    # L0 (biomass 0.05 against 0.1 of kit DNA) is two thirds kit: flagged
    assert sig.loc["L0", "flagged"] and "Bray-Curtis" in sig.loc["L0", "reason"]
    assert not sig.loc["L7", "flagged"]
    assert not sig.loc["G0", "flagged"]  # gut is not a flagged body site
    assert sig.loc["L0", "contaminant_reads"] == table.loc[["c1", "c2"], "L0"].sum()
    assert "L0" in res.table.columns  # flagged, not excluded by default
    res = decontaminate(table, sheet, tax, settings=settings(signal={"exclude": True}))
    assert "L0" not in res.table.columns
    assert res.tracking.set_index("sample_id").loc["L0", "role"] == "excluded"


def test_off_target_reads_are_counted():
    table, sheet, tax = sheet_and_table(np.random.default_rng(3))
    tax["t3"] = "d__Bacteria; p__Cyanobacteria; c__Chloroplast"
    tax["g2"] = "Unassigned"
    res = decontaminate(table, sheet, tax, settings=settings())
    assert set(res.filtered.index) == {"t3", "g2"}
    assert "t3" not in res.table.index and "g2" not in res.table.index
    t = res.tracking.set_index("sample_id")
    assert t.loc["L3", "organelle_removed"] == table.loc["t3", "L3"]
    assert t.loc["G1", "unassigned_removed"] == table.loc["g2", "G1"]


def test_disabled_keeps_features_but_drops_controls():
    table, sheet, tax = sheet_and_table(np.random.default_rng(4))
    res = decontaminate(table, sheet, tax, settings=settings(enabled=False))
    assert res.contaminants.empty
    assert "B0" not in res.table.columns and "M1" not in res.table.columns
    assert res.table.loc["c1"].sum() == table.loc["c1", res.table.columns].sum()


def test_decontam_problems_name_samples_and_fix():
    table, sheet, tax = sheet_and_table(np.random.default_rng(5))
    no_blanks = sheet[sheet["sample_type"] != "negative_control"]
    problems = decontam_problems(no_blanks, settings(), sheet="s.tsv")
    assert (
        "s.tsv: decontam.sites.lung.method: combined needs negative controls and no "
        "sample has sample_type negative_control; add the extraction blanks, use "
        "the frequency method, or set decontam.enabled: false" in problems
    )
    bad_conc = sheet.copy()
    bad_conc.loc[["L2", "L4"], "dna_conc"] = [0.0, np.nan]
    problems = decontam_problems(bad_conc, settings(), sheet="s.tsv")
    assert problems == [
        "s.tsv: decontam.sites.lung.method: combined needs a positive dna_conc for "
        "every biological sample (decontam.sites.lung.pool scores lung with every "
        "one) and 2 have none (L2, L4); measure them or use the prevalence method"
    ]
    per_site = settings(sites={"lung": {"method": "combined"}})
    assert decontam_problems(bad_conc, per_site, sheet="s.tsv") == [
        "s.tsv: decontam.sites.lung.method: combined needs a positive dna_conc for "
        "every lung sample and 2 have none (L2, L4); measure them or use the "
        "prevalence method"
    ]
    # the blanks' own concentration is never used
    assert decontam_problems(sheet, settings(), sheet="s.tsv") == []
    lonely = sheet.copy()
    lonely.loc["L3", "run"] = "run9"
    problems = decontam_problems(lonely, settings(batch_column="run"), sheet="s.tsv")
    assert problems == [
        "s.tsv: decontam (lung): batch run=run9 has a single sample (L3); merge it "
        "with another batch or set decontam.batch_column: ''"
    ]
    assert decontam_problems(lonely, settings(batch_column=""), sheet="s.tsv") == []
    problems = decontam_problems(sheet, settings(batch_column="plate"), sheet="s.tsv")
    assert "no column 'plate'" in problems[0]
    none = no_blanks.drop(columns="dna_conc")
    problems = decontam_problems(none, settings(sites={"gut": {"method": "auto"}}))
    assert any("auto has nothing to score with" in p for p in problems)
    with pytest.raises(ValueError, match="needs negative controls"):
        decontaminate(table, no_blanks, tax, settings=settings())
    problems = decontam_problems(
        no_blanks,
        settings(
            sites={
                "gut": {"method": "none"},
                "lung": {"method": "frequency", "signature": 0.05},
            }
        ),
        sheet="s.tsv",
    )
    assert problems == [
        "s.tsv: decontam.sites.lung.signature: the kit-signature score calls only "
        "features a negative control holds, and no sample has sample_type "
        "negative_control; add the extraction blanks or set "
        "decontam.sites.lung.signature: 0"
    ]
    plate = {"lung": {"method": "combined", "signature": 0.05, "signature_by": "plate"}}
    assert decontam_problems(sheet, settings(sites=plate), sheet="s.tsv") == [
        "s.tsv: decontam.sites.lung.signature_by: no column 'plate'; name a column "
        "(run or extraction plate) or set it to '' for one group"
    ]
    # with the score off the column is not read: no problem, and it runs
    off = {"lung": {"method": "combined", "signature": 0, "signature_by": "plate"}}
    assert decontam_problems(sheet, settings(sites=off), sheet="s.tsv") == []
    decontaminate(table, sheet, tax, settings=settings(sites=off))
    odd = {"lung": {"method": "not_contaminant", "signature": 0.05}}
    assert decontam_problems(sheet, settings(sites=odd), sheet="s.tsv") == [
        "s.tsv: decontam.sites.lung.signature: the kit-signature score follows the "
        "contaminants a method calls, and not_contaminant calls none; set "
        "decontam.sites.lung.signature: 0 or another method"
    ]


def test_prevalence_reach_known_answers_by_hand():
    """2 controls, 4 samples: a feature in both controls and m samples has
    the 2x2 table (2, 0; m, 4 - m), all expected counts under 5, so Fisher's
    one-sided mid-p: with K = 2 + m of the 6 present, P(both controls among
    them) = C(K, 2) / C(6, 2), and the mid-p is half of it: 1/30 at m = 0,
    3/30 at m = 1, 6/30 at m = 2, 10/30 at m = 3."""
    assert prevalence_reach(2, 4, 0.1) == 0  # 3/30 is not under 0.1
    assert prevalence_reach(2, 4, 0.11) == 1
    assert prevalence_reach(2, 4, 0.25) == 2
    assert prevalence_reach(2, 4, 0.34) == 3
    assert prevalence_reach(2, 4, 0.03) == -1
    # more controls, more reach; never more samples than there are
    reach = [prevalence_reach(k, 24, 0.05) for k in (2, 4, 12, 24)]
    assert reach == sorted(reach) and reach[0] < 12 <= reach[1] and reach[-1] < 24


def test_too_few_controls_are_warned_with_the_reach():
    def sheet(k, n):
        rows = [(f"B{i}", "none", "negative_control") for i in range(k)]
        rows += [(f"L{i}", "lung", "bal") for i in range(n)]
        out = pd.DataFrame(rows, columns=["sample_id", "body_site", "sample_type"])
        return out.assign(run="r1", dna_conc=1.0).set_index("sample_id")

    lung = settings(sites={"lung": {"method": "prevalence", "threshold": 0.05}})
    reach = prevalence_reach(2, 24, 0.05)
    assert decontam_warnings(sheet(2, 24), lung) == [
        "decontam (lung): 2 negative controls against 24 lung samples: the "
        f"prevalence test (threshold 0.05) calls a contaminant found in every "
        f"control only while it is in at most {reach} of the 24 samples "
        f"({reach / 24:.0%}), and reagent contaminants of low-biomass samples are "
        "in most of them; add extraction blanks (4 would reach half of them)"
    ]
    assert prevalence_reach(4, 24, 0.05) + 1 >= 12 > prevalence_reach(3, 24, 0.05) + 1
    assert decontam_warnings(sheet(4, 24), lung) == []
    combined = decontam_warnings(sheet(2, 24), settings())  # lung: combined
    assert (
        len(combined) == 1 and "(its frequency score can still call it)" in combined[0]
    )
    assert decontam_warnings(sheet(2, 24), settings(enabled=False)) == []
    # the plan prints it before any job (config.plan_warnings)
    from gutlung_pipeline.config import plan_warnings

    assert plan_warnings({"decontam": lung}, sheet(2, 24)) == decontam_warnings(
        sheet(2, 24), lung
    )
    assert decontam_warnings(sheet(0, 24).iloc[:0], lung) == []


def test_pooled_scoring_finds_the_kit_in_every_lung_sample():
    """A reagent contaminant in both blanks and every BAL sample cannot be
    called against the BAL samples alone; against every biological sample
    (the stool hardly carries it) it is, and only the lung loses it."""
    ids = [f"B{i}" for i in range(2)] + [f"L{i}" for i in range(6)]
    ids += [f"G{i}" for i in range(6)]
    sheet = pd.DataFrame(
        {
            "body_site": ["none"] * 2 + ["lung"] * 6 + ["gut"] * 6,
            "sample_type": ["negative_control"] * 2 + ["bal"] * 6 + ["stool"] * 6,
            "run": "r1",
        },
        index=ids,
    )
    table = pd.DataFrame(0, index=["kit", "lung1", "gut1"], columns=ids)
    table.loc["kit", ids[:8]] = 40  # both blanks, every BAL sample
    table.loc["kit", "G0"] = 2  # a trace in one stool
    table.loc["lung1", [f"L{i}" for i in range(6)]] = 300
    table.loc["gut1", [f"G{i}" for i in range(6)]] = 900
    tax = pd.Series("d__Bacteria; g__X", index=table.index)

    def lung_only(pool):
        site = {"method": "prevalence", "threshold": 0.5, "pool": pool}
        return settings(
            batch_column="", sites={"lung": site, "gut": {"method": "none"}}
        )

    alone = decontaminate(table, sheet, tax, settings=lung_only(False))
    pooled = decontaminate(table, sheet, tax, settings=lung_only(True))
    calls = {
        name: res.contaminants.set_index("feature_id")["contaminant"]
        for name, res in (("alone", alone), ("pooled", pooled))
    }
    assert not calls["alone"]["kit"] and calls["pooled"]["kit"]
    # listed: features in the site's samples or the blanks (not gut1)
    assert list(calls["pooled"].index) == ["kit", "lung1"]
    assert not calls["pooled"]["lung1"]
    # by hand: decontam's prevalence score of 2/2 blanks against 6/6 BAL
    # samples, and against 7/12 biological samples
    neg = pd.Series([True] * 2 + [False] * 12, index=ids, dtype=object)
    for res, cols in ((alone, ids[:8]), (pooled, ids)):
        ref = is_contaminant(table[cols].T, neg=neg[cols], method="prevalence")
        got = res.contaminants.set_index("feature_id")["p"]
        np.testing.assert_allclose(got, ref["p"].reindex(got.index), rtol=1e-12)
    assert pooled.contaminants.set_index("feature_id").loc["kit", "prev_samples"] == 6
    # the call removes the kit from lung samples only; the stool keeps its trace
    assert pooled.table.loc["kit", "G0"] == 2
    assert (pooled.table.reindex(columns=ids[2:8]).loc["kit"] == 0).all()
    assert alone.table.loc["kit", "L0"] == 40
    # a pooled frequency score needs every biological sample's concentration
    conc = sheet.assign(dna_conc=[0.05] * 2 + [0.5] * 6 + [np.nan] * 6)
    freq = settings(sites={"lung": {"method": "combined", "pool": True}})
    (problem,) = decontam_problems(conc, freq)
    assert "every biological sample" in problem and "G0, G1, G2, G3, G4" in problem
    assert "decontam.sites.lung.pool" in problem
    assert (
        decontam_problems(conc, settings(sites={"lung": {"method": "combined"}})) == []
    )
    # the warning counts the pooled samples
    strict = {"method": "prevalence", "threshold": 0.05, "pool": True}
    lines = decontam_warnings(sheet, settings(sites={"lung": strict}))
    (line,) = [x for x in lines if x.startswith("decontam (lung)")]
    assert (
        "2 negative controls against 12 biological samples (all sites, pooled)" in line
    )


def test_mock_accuracy_known_answer():
    expected = pd.Series({"A": 0.5, "B": 0.25, "C": 0.25})
    counts = pd.DataFrame(
        {"m1": [60, 20, 0, 19, 1], "m2": [0, 0, 0, 0, 0]},
        index=["g__A", "g__B", "g__C", "g__D", "g__E"],
    )
    summary, taxa = mock_accuracy(counts, expected, detection_limit=0.05)
    m1 = summary.set_index("sample_id").loc["m1"]
    # observed >= 5%: A, B, D; expected A, B, C
    assert (m1["observed_taxa"], m1["true_positives"]) == (3, 2)
    assert m1["recall"] == pytest.approx(2 / 3)
    assert m1["precision"] == pytest.approx(2 / 3)
    o = np.array([0.6, 0.2, 0.0, 0.19, 0.01])
    e = np.array([0.5, 0.25, 0.25, 0.0, 0.0])
    assert m1["bray_curtis"] == pytest.approx(np.abs(o - e).sum() / (o + e).sum())
    assert m1["mean_abs_error"] == pytest.approx((0.1 + 0.05 + 0.25) / 3)
    assert m1["max_abs_error"] == pytest.approx(0.25)
    m2 = summary.set_index("sample_id").loc["m2"]  # no reads: nothing to score
    assert m2["reads"] == 0 and np.isnan(m2["recall"]) and np.isnan(m2["bray_curtis"])
    from gutlung_pipeline.report.summaries import decontam_sentences

    lines = decontam_sentences(
        pd.DataFrame(columns=["body_site", "contaminant"]),
        pd.DataFrame(columns=["body_site", "reads", "contaminant_reads", "flagged"]),
        summary,
        pd.DataFrame({"sample_id": [], "role": []}),
        pd.DataFrame(columns=["reason", "reads"]),
    )
    assert "m1: mock community recall 0.67, precision 0.67" in lines[-2]
    assert lines[-1] == "m2: mock community with no reads; not scored."
    row = taxa[(taxa["sample_id"] == "m1") & (taxa["taxon"] == "D")].iloc[0]
    assert row["observed"] == pytest.approx(0.19) and not row["in_expected"]


def test_read_expected(tmp_path):
    good = tmp_path / "mock.tsv"
    good.write_text("taxon\trelative_abundance\ng__A\t2\nB\t2\n")
    assert read_expected(good).to_dict() == {"A": 0.5, "B": 0.5}
    bad = tmp_path / "bad.tsv"
    bad.write_text("taxon\trelative_abundance\nA\t1\nB\t-1\n")
    with pytest.raises(ValueError, match=r"row 3 \(taxon B\): relative_abundance"):
        read_expected(bad)
    bad.write_text("name\tshare\nA\t1\n")
    with pytest.raises(ValueError, match="no column taxon, relative_abundance"):
        read_expected(bad)


def test_combined_is_fishers_method():
    """A site's combined score is Fisher's method on its two scores (df 4)."""
    table, sheet, tax = sheet_and_table(np.random.default_rng(6))
    res = decontaminate(table, sheet, tax, settings=settings())
    lung = res.contaminants[res.contaminants["body_site"] == "lung"].dropna(
        subset=["p"]
    )
    expect = stats.chi2.sf(-2 * np.log(lung["p_freq"] * lung["p_prev"]), 4)
    np.testing.assert_allclose(lung["p"], expect, rtol=1e-12)


def hard_cohort(rng, *, n=24, blanks=4, kit_n=20, depth=8000, lots=0.0):
    """Stool and BAL samples (24 each) and blanks with a kit of 20 strains
    (a long tail), reagent DNA varying between extractions (log SD 0.7) and
    a noisy concentration (log SD 0.5): where decontam's scores lose power.
    ``lots`` > 0: each of the two runs has its own kit lot, ``lots`` of its
    reagent DNA from 20 strains of its own (``k20``...; the table's order)."""
    kit = 0.6 ** np.arange(kit_n)
    kit /= kit.sum()
    # the kit of each run: the shared strains, then each run's own lot
    own = np.concatenate([kit, np.zeros(kit_n)])
    kits = {
        f"r{r}": np.concatenate(
            [kit * (1 - lots), np.roll(own, r * kit_n)[: 2 * kit_n] * lots]
        )
        if lots
        else kit
        for r in (0, 1)
    }
    gut_pool = rng.dirichlet(np.ones(60) * 0.5)
    lung_pool = rng.dirichlet(np.ones(30) * 0.5)
    cols, rows = {}, []

    def sample(sid, site, stype, own, biomass, run):
        reagent = 0.05 * rng.lognormal(0, 0.7)
        mix = np.concatenate([own * biomass, kits[run] * reagent])
        cols[sid] = rng.multinomial(depth, mix / mix.sum())
        conc = (biomass + reagent) * rng.lognormal(0, 0.5)
        rows.append((sid, site, stype, run, conc))

    for k in range(n):
        gut = np.concatenate([rng.dirichlet(gut_pool * 50 + 1e-3), np.zeros(30)])
        sample(f"G{k}", "gut", "stool", gut, rng.uniform(20, 60), f"r{k % 2}")
        lung = np.concatenate([np.zeros(60), rng.dirichlet(lung_pool * 20 + 1e-3)])
        biomass = np.exp(rng.uniform(np.log(0.02), np.log(3)))
        sample(f"L{k}", "lung", "bal", lung, biomass, f"r{k % 2}")
    for k in range(blanks):
        sample(f"B{k}", "none", "negative_control", np.zeros(90), 0.0, f"r{k % 2}")
    ids = [f"g{i}" for i in range(60)] + [f"l{i}" for i in range(30)]
    strains = (3 if lots else 1) * kit_n
    table = pd.DataFrame(cols, index=ids + [f"k{i}" for i in range(strains)])
    sheet = pd.DataFrame(
        rows, columns=["sample_id", "body_site", "sample_type", "run", "dna_conc"]
    ).set_index("sample_id")
    return table, sheet, pd.Series("d__Bacteria; g__X", index=table.index)


def kit_in_lung(table) -> set:
    """The kit strains (``k``...) with reads in a BAL sample (``L``...)."""
    lung = [s for s in table.columns if s.startswith("L")]
    return {f for f in table.index[table[lung].sum(axis=1) > 0] if f[0] == "k"}


def lung_calls(table, sheet, tax, site):
    """``decontaminate`` with ``site`` as the lung settings: the result, and
    its lung rows of ``contaminants`` by feature."""
    res = decontaminate(table, sheet, tax, settings=settings(sites={"lung": site}))
    c = res.contaminants.set_index("feature_id")
    return res, c[c["body_site"] == "lung"]


def test_the_signature_score_adds_kit_strains_and_no_true_taxon():
    """With a noisy concentration and a varying reagent load decontam's
    combined score misses rare kit strains; those that follow the load of the
    strains it called are called too, and no stool or lung taxon is."""
    found = {0: 0, 0.05: 0}
    for seed in (5, 6, 7):
        table, sheet, tax = hard_cohort(np.random.default_rng(seed))
        kit = kit_in_lung(table)
        calls, results = {}, {}
        for signature in found:
            lung_site = {"method": "combined", "pool": True, "signature": signature}
            results[signature], c = lung_calls(table, sheet, tax, lung_site)
            calls[signature] = c
            called = set(c.index[c["contaminant"]])
            assert called <= kit, sorted(called - kit)
            found[signature] += len(called)
        before, after = calls[0], calls[0.05]
        assert (before["called_by"].isin(["method", ""])).all()
        assert before["p_signature"].isna().all()
        # the first calls stand; the added ones are named, with their score
        added = after.index[after["called_by"] == "signature"]
        assert after.loc[before.index[before["contaminant"]], "contaminant"].all()
        assert not before.loc[added, "contaminant"].any()
        assert (after.loc[added, "p_signature"] < 0.05).all()
        assert (after["contaminant"] == (after["called_by"] != "")).all()
        # the score's settings stand beside its calls
        assert (after["signature"] == 0.05).all() and (before["signature"] == 0).all()
        assert (after["signature_by"] == "").all()
        assert after["signature_blanks"].all() and not before["signature_blanks"].any()
        # the report says how many the signature score added
        from gutlung_pipeline.report.summaries import decontam_sentences

        res = results[0.05]
        lines = decontam_sentences(
            res.contaminants, res.signal, res.mock, res.tracking, res.filtered
        )
        lung_line = next(x for x in lines if x.startswith("lung: decontam combined"))
        assert (
            f"contaminants ({len(added)} of them by the kit-signature score, "
            "p < 0.05, the blanks in its fit);" in lung_line
        ) == bool(len(added)), lung_line
    assert found[0.05] >= found[0] + 3, found


def test_the_signature_score_by_run_adds_no_true_taxon():
    """signature_by: run (the lung default): an intercept a run finds the
    kit strains as well with one kit for both runs, and calls no stool or
    lung taxon."""
    found = {"": 0, "run": 0}
    for seed in (5, 6, 7):
        table, sheet, tax = hard_cohort(np.random.default_rng(seed))
        kit = kit_in_lung(table)
        for by in found:
            site = {
                "method": "combined",
                "pool": True,
                "signature": 0.05,
                "signature_by": by,
            }
            res, c = lung_calls(table, sheet, tax, site)
            called = set(c.index[c["contaminant"]])
            assert called <= kit, (by, sorted(called - kit))
            found[by] += len(called)
            assert (c["signature_by"] == by).all()
            if by and (c["called_by"] == "signature").any():
                from gutlung_pipeline.report.summaries import decontam_sentences

                lines = decontam_sentences(
                    res.contaminants, res.signal, res.mock, res.tracking, res.filtered
                )
                assert any(
                    "kit-signature score, p < 0.05, an intercept per run, the blanks in "
                    "its fit)" in x
                    for x in lines
                ), lines
    assert found["run"] >= found[""] - 1, found
    assert found[""] > 0


def test_mean_share_by_hand():
    from gutlung_pipeline.decontam.clean import _mean_share

    counts = pd.DataFrame(
        {"s1": [3, 1, 0], "s2": [0, 0, 0], "s3": [1, 1, 2]}, index=["a", "b", "c"]
    )
    # s2 has no reads and is left out; each feature over the samples that
    # hold it: a (3/4 + 1/4) / 2, b (1/4 + 1/4) / 2, c only in s3 (2/4)
    assert (_mean_share(counts[["s2"]]) == 0).all()
    held = _mean_share(counts).to_dict()
    assert held == {"a": 0.5, "b": 0.25, "c": 0.5}


def leaky_cohort(rng):
    """:func:`hard_cohort` with 4 blanks, each stool taxon in about 4 of 10
    stool samples and 80 reads of the plate's stool leaked into every blank;
    also returns the stool taxa (``g``...)."""
    table, sheet, tax = hard_cohort(rng, blanks=4)
    stool = [c for c in table.columns if c.startswith("G")]
    gut_taxa = [f for f in table.index if f.startswith("g")]
    keep = rng.random((len(gut_taxa), len(stool))) < 0.4
    table.loc[gut_taxa, stool] = table.loc[gut_taxa, stool].to_numpy() * keep
    pooled = table.loc[:, stool].sum(axis=1).to_numpy(float)
    for k in range(4):
        table[f"B{k}"] += rng.multinomial(80, pooled / pooled.sum())
    return table, sheet, tax, gut_taxa


def test_blank_enriched_keeps_stool_taxa_leaked_into_the_blanks():
    """Stool leaking into the blanks (well to well) puts abundant stool taxa
    in every blank: the prevalence test then calls them in the gut. The gut
    default (blank_enriched) keeps them, each a larger share of the stool than
    of the blanks, and calls the same kit strains as before."""
    from gutlung_pipeline.report.summaries import decontam_sentences

    rng = np.random.default_rng(3)
    table, sheet, tax, gut_taxa = leaky_cohort(rng)
    calls, results = {}, {}
    for on in (False, True):
        site = {"method": "prevalence", "threshold": 0.1, "blank_enriched": on}
        res = results[on] = decontaminate(
            table, sheet, tax, settings=settings(sites={"gut": site})
        )
        c = res.contaminants.set_index("feature_id")
        calls[on] = c[c["body_site"] == "gut"]
    off, on = calls[False], calls[True]
    leaked = {f for f in off.index[off["contaminant"]] if f.startswith("g")}
    assert len(leaked) >= 3, sorted(leaked)  # the failure the guard is for
    assert not any(f.startswith("g") for f in on.index[on["contaminant"]])
    kit = set(on.index[on["contaminant"]])
    assert kit == {f for f in off.index[off["contaminant"]] if f.startswith("k")}
    assert len(kit) >= 5 and on.loc[sorted(kit), "blank_enriched"].all()
    assert set(on.index[on["held_back"]]) == leaked
    assert not off["held_back"].any()
    # the stool keeps them: fewer reads removed from the gut samples
    removed = {k: r.signal for k, r in results.items()}
    gut = [s for s in removed[True].index if s.startswith("G")]
    assert (
        removed[True].loc[gut, "contaminant_reads"].sum()
        < removed[False].loc[gut, "contaminant_reads"].sum()
    )
    res = results[True]
    lines = decontam_sentences(
        res.contaminants, res.signal, res.mock, res.tracking, res.filtered
    )
    assert (
        f"gut: {len(leaked)} more features that scored as contaminants were kept, "
        "each a larger share of the gut samples' reads than of the blanks'"
    ) in " ".join(lines)
    one = res.contaminants.copy()
    one["held_back"] = False
    one.loc[one.index[0], "held_back"] = True
    body = one.loc[one.index[0], "body_site"]
    lines = decontam_sentences(one, res.signal, res.mock, res.tracking, res.filtered)
    assert (
        f"{body}: 1 more feature that scored as a contaminant was kept, a larger "
        f"share of the {body} samples' reads"
    ) in " ".join(lines)


def test_the_report_says_the_guard_held_nothing_back():
    """With the guard on and nothing held back the report says so; with
    something held back, or the guard off, it does not."""
    from gutlung_pipeline.report.summaries import decontam_sentences

    rng = np.random.default_rng(3)
    table, sheet, tax = hard_cohort(rng, blanks=4)
    said = {}
    for on in (False, True):
        site = {"method": "prevalence", "threshold": 0.1, "blank_enriched": on}
        res = decontaminate(table, sheet, tax, settings=settings(sites={"gut": site}))
        gut = res.contaminants[res.contaminants["body_site"] == "gut"]
        assert gut["contaminant"].any() and not gut["held_back"].any()
        assert (gut["enriched_guard"] == on).all()
        said[on] = " ".join(
            decontam_sentences(
                res.contaminants, res.signal, res.mock, res.tracking, res.filtered
            )
        )
    sentence = "gut: no call was held back as a sample taxon leaked into the blanks"
    assert sentence in said[True] and sentence not in said[False]
    held = res.contaminants.copy()
    held.loc[held.index[held["body_site"] == "gut"][0], "held_back"] = True
    lines = decontam_sentences(held, res.signal, res.mock, res.tracking, res.filtered)
    assert sentence not in " ".join(lines)


def test_the_blanks_in_the_signature_fit_find_a_runs_own_kit_lot():
    """A kit lot per run (half of each run's reagent DNA from strains of its
    own): with the blanks in the kit-signature score's fit
    (``signature_blanks``, the default) more of the kit strains are called
    than on the biological samples alone, and still no stool or lung taxon."""
    found = {False: 0, True: 0}
    for seed in (5, 6, 7):
        table, sheet, tax = hard_cohort(np.random.default_rng(seed), lots=0.5)
        kit = kit_in_lung(table)
        for blanks in found:
            site = {
                "method": "combined",
                "pool": True,
                "signature": 0.05,
                "signature_by": "run",
                "signature_blanks": blanks,
                "blank_enriched": True,
            }
            _, c = lung_calls(table, sheet, tax, site)
            called = set(c.index[c["contaminant"]])
            assert called <= kit, (blanks, sorted(called - kit))
            found[blanks] += len(called)
    # measured: 93 without the blanks, 101 with them, of 167 kit strains seen
    assert found[True] >= found[False] + 5, found


def test_pooled_guard_compares_with_the_stool_it_was_scored_with():
    """With ``pool: true`` the guard compares a feature's share of the blanks
    with its share of every biological sample it is scored with: a stool
    taxon leaked into the blanks and into a few BAL samples (a subject's own
    gut strain) is a small share of those BAL samples but a large one of the
    stool, and is kept in the lung; the kit strains are still called."""
    from gutlung_pipeline.report.summaries import decontam_sentences

    rng = np.random.default_rng(3)
    table, sheet, tax, gut_taxa = leaky_cohort(rng)
    stool = [c for c in table.columns if c.startswith("G")]
    bal = [c for c in table.columns if c.startswith("L")]
    # the ten most abundant stool taxa, each in two BAL samples at 2 reads
    top = list(table.loc[gut_taxa, stool].sum(axis=1).nlargest(10).index)
    for j, f in enumerate(top):
        table.loc[f, [bal[j], bal[j + 10]]] = 2
    site = {"method": "prevalence", "threshold": 0.5, "pool": True}
    res = decontaminate(
        table,
        sheet,
        tax,
        settings=settings(sites={"lung": {**site, "blank_enriched": True}}),
    )
    c = res.contaminants.set_index("feature_id")
    lung = c[c["body_site"] == "lung"]
    called = set(lung.index[lung["contaminant"]])
    assert not called & set(gut_taxa), sorted(called & set(gut_taxa))
    assert len(called) >= 5 and all(f.startswith("k") for f in called)
    held = set(lung.index[lung["held_back"]])
    assert len(held & set(top)) >= 5, sorted(held)
    # those of the ten that are a larger share of the blanks than of the two
    # BAL samples would pass a guard against the BAL alone: they are held
    share = table / table.sum(axis=0)
    blank_ids = [f"B{k}" for k in range(4)]
    in_blanks, in_bal = share.loc[top, blank_ids], share.loc[top, bal]
    passes = set(
        in_blanks.index[
            in_blanks.where(in_blanks > 0).mean(axis=1)
            > in_bal.where(in_bal > 0).mean(axis=1)
        ]
    )
    assert len(passes) >= 3 and passes <= held, (sorted(passes), sorted(held))
    lines = " ".join(
        decontam_sentences(
            res.contaminants, res.signal, res.mock, res.tracking, res.filtered
        )
    )
    assert "larger share of the biological samples' reads than of the blanks'" in (
        lines
    )


def test_a_taxonomy_that_leaves_nothing_stops_with_its_file(tmp_path, capsys):
    """Every feature off-target (here: a taxonomy of other feature IDs, so
    each is unassigned) stops with one line naming the taxonomy file and the
    fix, not inside numpy; decontaminate itself raises the same line."""
    import json

    from gutlung_pipeline.cli import main

    table, sheet, _ = hard_cohort(np.random.default_rng(2))
    other = pd.Series("d__Bacteria; g__X", index=[f"other{i}" for i in table.index])
    with pytest.raises(ValueError, match=r"every one of the table's 110 features"):
        decontaminate(table, sheet, other, settings=settings())
    sheet_path = tmp_path / "samples.tsv"
    sheet.assign(
        subject_id=sheet.index, study="s", fq1="", age_days=""
    ).reset_index().to_csv(sheet_path, sep="\t", index=False)
    table.index.name = "#OTU ID"
    table.to_csv(tmp_path / "table.tsv", sep="\t")
    other.rename("Taxon").rename_axis("Feature ID").to_csv(
        tmp_path / "taxonomy.tsv", sep="\t"
    )
    out = {
        k: str(tmp_path / f"{k}.out")
        for k in (
            "output",
            "output-tsv",
            "contaminants",
            "filtered",
            "signal",
            "tracking-output",
            "mock",
            "mock-taxa",
        )
    }
    code = main(
        [
            "decontaminate",
            "--table",
            str(tmp_path / "table.tsv"),
            "--taxonomy",
            str(tmp_path / "taxonomy.tsv"),
            "--samples",
            str(sheet_path),
            "--settings",
            json.dumps(settings()),
            *[x for k, v in out.items() for x in (f"--{k}", v)],
        ]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert err[-1] == (
        f"gutlung decontaminate: error: {tmp_path / 'taxonomy.tsv'}: every one of "
        "the table's 110 features is off-target (110 unassigned; "
        "decontam.remove_taxa, decontam.remove_unassigned): nothing is left to "
        "analyse; check that the taxonomy is this table's (the same feature IDs) "
        "and that its reference covers the amplicon (a domain for each ASV)"
    ), err
    assert not any(Path(v).exists() for v in out.values())
