import gzip

import numpy as np
import pandas as pd
import pytest
from conftest import FORWARD, REVERSE
from scipy.stats import spearmanr

from gutlung_pipeline.simulate import ErrorModel, simulate_cohort


def read_fastq(path):
    with gzip.open(path, "rt") as handle:
        lines = handle.read().splitlines()
    return lines[1::4], lines[3::4]


def test_cohort_layout_and_truth(small_cohort):
    out, sheet, truth = small_cohort
    assert list(sheet["sample_id"]) == [
        "P01_gut",
        "P01_lung",
        "P02_gut",
        "P02_lung",
        "P03_gut",
        "P03_lung",
    ]
    assert set(sheet["body_site"]) == {"gut", "lung"}
    assert set(sheet["sample_type"]) == {"stool", "bal"}
    share = truth.groupby("sample_id")["abundance"].sum()
    np.testing.assert_allclose(share.to_numpy(), 1.0)
    # 3% chimeras: the non-chimeric reads of each sample are 582 of 600
    assert (truth.groupby("sample_id")["reads"].sum() == 582).all()
    seqs, quals = read_fastq(out / "reads" / "P01_gut_R1.fastq.gz")
    assert len(seqs) == 600 and all(len(s) == 250 for s in seqs)
    assert len(quals[0]) == 250


def test_reads_carry_primers_and_true_sequences(small_cohort):
    import re

    out, _, truth = small_cohort
    seqs, _ = read_fastq(out / "reads" / "P02_lung_R1.fastq.gz")
    iupac = {"Y": "[CT]", "M": "[AC]", "N": "[ACGT]", "V": "[ACG]", "W": "[AT]"}
    fwd = re.compile("".join(iupac.get(b, b) for b in FORWARD))
    matches = sum(bool(fwd.match(s)) for s in seqs)
    assert matches > 0.9 * len(seqs)  # the rest carry a sequencing error
    top = truth[truth.sample_id == "P02_lung"].sort_values("reads").iloc[-1]
    body = top["sequence"][:231]
    exact = sum(s[19:] == body for s in seqs)
    assert exact > 0.3 * top["reads"]


def test_errors_rise_toward_read_end(reference, tmp_path):
    sheet, truth = simulate_cohort(
        reference,
        tmp_path,
        forward=FORWARD,
        reverse=REVERSE,
        n_subjects=1,
        reads_per_sample=3000,
        chimera_rate=0.0,
        random_state=3,
        error_model=ErrorModel(start=0.001, end=0.02),
    )
    seqs, _ = read_fastq(tmp_path / "reads" / "P01_gut_R1.fastq.gz")
    major = truth[truth.sample_id == "P01_gut"].sort_values("reads").iloc[-1]
    assert len(seqs) == 3000
    # after the 19-base forward primer, R1 reads the first 231 bases of V4
    reads = np.array([list(s[19:]) for s in seqs])
    # compare only reads of the major template (Hamming distance small)
    ref = np.array(list(major["sequence"][:231]))
    close = (reads != ref).sum(axis=1) < 15
    mism = (reads[close] != ref).mean(axis=0)
    assert mism[:50].mean() < mism[-50:].mean() / 3
    assert mism[-50:].mean() == pytest.approx(0.016, abs=0.006)


def test_same_seed_same_bytes_other_seed_differs(reference, tmp_path):
    kw = dict(forward=FORWARD, reverse=REVERSE, n_subjects=1, reads_per_sample=200)
    simulate_cohort(reference, tmp_path / "a", random_state=5, **kw)
    simulate_cohort(reference, tmp_path / "b", random_state=5, **kw)
    simulate_cohort(reference, tmp_path / "c", random_state=6, **kw)
    name = "reads/P01_gut_R2.fastq.gz"
    assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert (tmp_path / "a" / name).read_bytes() != (tmp_path / "c" / name).read_bytes()


def test_single_end_layout_and_controls(reference, tmp_path):
    sheet, truth = simulate_cohort(
        reference,
        tmp_path,
        forward=FORWARD,
        reverse=REVERSE,
        n_subjects=1,
        n_controls=1,
        reads_per_sample=100,
        layout="single",
        random_state=1,
    )
    assert "fq2" not in sheet.columns
    assert not (tmp_path / "reads" / "P01_gut_R2.fastq.gz").exists()
    ctrl = sheet.set_index("sample_id").loc["NC01"]
    assert ctrl["body_site"] == "none" and ctrl["sample_type"] == "negative_control"
    assert pd.isna(ctrl["age_days"])
    with pytest.raises(ValueError, match="layout"):
        simulate_cohort(
            reference, tmp_path, forward=FORWARD, reverse=REVERSE, layout="interleaved"
        )


def test_infant_series_succession_and_offsets(reference, tmp_path):
    kw = dict(forward=FORWARD, reverse=REVERSE, n_subjects=1, reads_per_sample=300)
    base, _ = simulate_cohort(reference, tmp_path / "a", random_state=4, **kw)
    sheet, truth = simulate_cohort(
        reference, tmp_path / "b", random_state=4, n_infants=6, **kw
    )
    # the other samples do not change when infants are added
    pd.testing.assert_frame_equal(
        sheet.iloc[: len(base)][["sample_id", "age_days", "asthma"]],
        base[["sample_id", "age_days", "asthma"]],
    )
    infants = sheet[sheet["subject_id"].str.startswith("I")]
    assert len(infants) == 36
    assert sorted(set(infants["age_days"])) == [7, 30, 91, 182, 365, 730]
    assert (infants["body_site"] == "gut").all()
    t = truth[truth["sample_id"].isin(infants["sample_id"])]
    assert t.groupby("sample_id")["maturity_offset"].nunique().eq(1).all()
    age = t["sample_id"].str[-4:].astype(int)
    from gutlung_pipeline.simulate import INFANT_SUCCESSION

    early = t[t["genus"].map(INFANT_SUCCESSION) <= 120]
    late = t[t["genus"].map(INFANT_SUCCESSION) >= 400]
    share = lambda d, a: d[age.loc[d.index] == a]["abundance"].sum() / 6  # noqa: E731
    assert share(early, 7) > 0.7 and share(early, 730) < 0.3
    assert share(late, 730) > 0.7 and share(late, 7) < 0.3
    richness = t.groupby(age)["ref_id"].count() / 6
    assert richness.loc[730] > richness.loc[7]


def test_reagent_contaminants_scale_inversely_with_biomass(reference, tmp_path):
    sheet, truth = simulate_cohort(
        reference,
        tmp_path,
        forward=FORWARD,
        reverse=REVERSE,
        n_subjects=6,
        n_controls=3,
        n_mocks=1,
        n_infants=1,
        reads_per_sample=200,
        random_state=3,
    )
    sheet = sheet.set_index("sample_id")
    share = (
        truth[truth["source"] == "contaminant"].groupby("sample_id")["abundance"].sum()
    )
    conc = sheet["dna_conc"]
    # one profile, share = load / (load + biomass) = load / concentration (+-noise)
    bio = [s for s in sheet.index if sheet.loc[s, "sample_type"] in ("stool", "bal")]
    np.testing.assert_allclose(share[bio] * conc[bio], 0.05, rtol=0.5)
    assert share[[s for s in bio if s.endswith("_lung")]].min() > 0.01
    assert share[[s for s in bio if s.endswith("_gut")]].max() < 0.01
    # blanks are the kit alone, one per run (run3 holds the infants)
    blanks = sheet.index[sheet["sample_type"] == "negative_control"]
    assert list(sheet.loc[blanks, "run"]) == ["run1", "run2", "run3"]
    assert (truth[truth["sample_id"].isin(blanks)]["source"] == "contaminant").all()
    kit = set(truth.loc[truth["source"] == "contaminant", "genus"])
    assert kit <= {
        "Ralstonia",
        "Bradyrhizobium",
        "Sphingomonas",
        "Pseudomonas",
        "Methylobacterium",
        "Burkholderia",
    }
    mock = truth[(truth["sample_id"] == "MOCK01") & (truth["source"] == "mock")]
    assert len(mock) == 8
    np.testing.assert_allclose(mock["abundance"].sum(), 1 - share["MOCK01"])


def test_reagent_dna_that_varies_and_a_noisy_concentration(reference, tmp_path):
    kw = dict(
        forward=FORWARD,
        reverse=REVERSE,
        n_subjects=8,
        n_controls=6,
        reads_per_sample=100,
        random_state=4,
    )
    exact, _ = simulate_cohort(
        reference, tmp_path / "a", conc_noise=0.0, lung_biomass=(1.0, 1.0), **kw
    )
    exact = exact.set_index("sample_id")
    blanks = exact.index[exact["sample_type"] == "negative_control"]
    lung = exact.index[exact["body_site"] == "lung"]
    # no noise, no spread: a blank measures the load, a lung sample 1 + load
    np.testing.assert_allclose(exact.loc[blanks, "dna_conc"], 0.05, atol=5e-4)
    np.testing.assert_allclose(exact.loc[lung, "dna_conc"], 1.05, atol=5e-4)
    varied, truth = simulate_cohort(
        reference,
        tmp_path / "b",
        conc_noise=0.0,
        contaminant_sd=1.0,
        n_contaminants=20,
        **kw,
    )
    varied = varied.set_index("sample_id")
    conc = varied.loc[blanks, "dna_conc"]
    # log SD 1 over 6 blanks: they no longer agree (a 10-fold range is typical)
    assert conc.max() / conc.min() > 3
    kit = truth.loc[truth["sample_id"] == blanks[0]]
    assert (kit["source"] == "contaminant").all() and len(kit) > 8
    # well-to-well leakage: every blank of a run with stool gets a stool's strains
    leaky, leaky_truth = simulate_cohort(
        reference, tmp_path / "c", conc_noise=0.0, cross_talk=0.002, **kw
    )
    leaky = leaky.set_index("sample_id")
    for blank in blanks:
        rows = leaky_truth[leaky_truth["sample_id"] == blank]
        share = rows.loc[rows["source"] == "cross_talk", "abundance"].sum()
        leaked = leaky.loc[blank, "dna_conc"] - 0.05
        # share = leaked / (leaked + load); the stool was 15-60 ng/ul
        assert 0.002 * 15 - 1e-3 <= leaked <= 0.002 * 60 + 1e-3
        np.testing.assert_allclose(share, leaked / (leaked + 0.05), atol=2e-3)
    assert not (truth["source"] == "cross_talk").any()
    # kit lots: the runs' blanks share only part of their strains
    lots, lots_truth = simulate_cohort(
        reference, tmp_path / "f", reagent_lots=0.5, n_contaminants=10, **kw
    )
    kit = lots_truth[lots_truth["source"] == "contaminant"]
    by_run = lots.set_index("sample_id")["run"]
    strains = kit.groupby(kit["sample_id"].map(by_run))["ref_id"].agg(set)
    shared = strains["run1"] & strains["run2"]
    assert shared and strains["run1"] - shared and strains["run2"] - shared
    one, one_truth = simulate_cohort(reference, tmp_path / "g", n_contaminants=10, **kw)
    plain_kit = one_truth[one_truth["source"] == "contaminant"]
    plain_strains = plain_kit.groupby(
        plain_kit["sample_id"].map(one.set_index("sample_id")["run"])
    )["ref_id"].agg(set)
    assert plain_strains["run1"] == plain_strains["run2"]
    with pytest.raises(ValueError, match="lung_biomass"):
        simulate_cohort(reference, tmp_path / "d", lung_biomass=(0.0, 1.0), **kw)
    with pytest.raises(ValueError, match="conc_noise"):
        simulate_cohort(reference, tmp_path / "e", conc_noise=-0.1, **kw)


def assert_planted_interaction(asthma, offset, maternal):
    """Stokholm's interaction as planted: OR 2 per SD (0.3) lower maturity
    offset in children of asthmatic mothers, 1 in the others."""
    from gutlung_pipeline.claims.models import logistic_interaction

    d = pd.DataFrame(
        {
            "asthma": (asthma == "yes").astype(float).to_numpy(),
            "lower": (-offset / 0.3).to_numpy(),  # per SD lower maturity
            "maternal": (maternal == "yes").astype(float).to_numpy(),
        }
    )
    est = logistic_interaction(
        d, outcome="asthma", exposure="lower", modifier="maternal"
    )
    assert est.ci_low <= 2.0 <= est.ci_high and est.ci_low > 1.2
    lo, hi = est.detail["or_other_stratum_ci"]
    assert lo <= 1.0 <= hi


def test_planted_claims(reference, tmp_path):
    """The literature's effects the simulator plants, read off its truth."""

    sheet, truth = simulate_cohort(
        reference,
        tmp_path,
        forward=FORWARD,
        reverse=REVERSE,
        n_subjects=60,
        n_infants=1500,
        infant_ages_days=(365,),
        reads_per_sample=10,
        chimera_rate=0.0,
        random_state=8,
    )
    sheet = sheet.set_index("sample_id")
    kids = sheet[sheet["subject_id"].str.startswith("I")]
    offset = truth.groupby("sample_id")["maturity_offset"].first()[kids.index]
    assert_planted_interaction(kids["asthma"], offset, kids["maternal_asthma"])
    # respiratory infection: about 1.4 bits less Shannon in stool (true shares)
    adults = sheet[
        sheet["body_site"].eq("gut") & sheet["subject_id"].str.startswith("P")
    ]
    gut = truth[
        truth["sample_id"].isin(adults.index) & (truth["source"] == "community")
    ]
    shannon = gut.groupby("sample_id")["abundance"].agg(
        lambda a: -(a / a.sum() * np.log2(a / a.sum())).sum()
    )
    infected = adults["respiratory_infection"] == "yes"
    drop = shannon[~infected].mean() - shannon[infected].mean()
    assert 0.8 < drop < 2.2, drop
    # COPD stool carries Streptococcus, GOLD 3-4 also Fusobacterium
    genera = gut.groupby("sample_id")["genus"].agg(set)
    assert (adults["copd"] == "yes").sum() >= 10
    for sid, row in adults.iterrows():  # neither genus is in the gut pool
        assert ("Streptococcus" in genera[sid]) == (row["copd"] == "yes")
        copd_severe = row["copd"] == "yes" and row["gold_stage"] in (3, 4)
        assert ("Fusobacterium" in genera[sid]) == copd_severe
    # COPD stool: butyrate producers planted at a quarter; the share's spread
    # between subjects is wide (lognormal abundances), so on the log scale
    producers = {"Faecalibacterium", "Roseburia", "Coprococcus", "Megasphaera"}
    parts = (
        gut.assign(producer=gut["abundance"].where(gut["genus"].isin(producers), 0.0))
        .groupby("sample_id")[["producer", "abundance"]]
        .sum()
    )
    log_share = np.log(parts["producer"] / parts["abundance"])
    copd = adults["copd"] == "yes"
    drop = log_share[copd[copd].index].mean() - log_share[copd[~copd].index].mean()
    assert drop < -0.5, drop


def test_scale_genera_known_answer():
    """Producers (matched as the SCFA table matches names) times the fold,
    the community renormalised."""
    from gutlung_pipeline.simulate.reads import _scale_genera

    community = pd.DataFrame(
        {
            "genus": ["Roseburia", "Bacteroides", "[Eubacterium]"],
            "abundance": [0.5, 0.3, 0.2],
        }
    )
    out = _scale_genera(community, {"roseburia", "eubacterium"}, 0.25)
    # 0.125, 0.3, 0.05 over 0.475
    assert np.allclose(out["abundance"], [0.125 / 0.475, 0.3 / 0.475, 0.05 / 0.475])
    assert community["abundance"].tolist() == [0.5, 0.3, 0.2]  # not changed in place


def test_birth_cohort(reference):
    """The table-stage birth cohort: the study's visits give or take 10%,
    depths from the minimum to about twice it, strains of each genus and
    children without some late genera, adults as a mature reference, the
    planted Stokholm interaction in its truth (none in a null cohort), seeded
    streams."""
    from gutlung_pipeline.simulate import simulate_birth_cohort

    table, sheet, truth = simulate_birth_cohort(
        reference,
        study="c",
        n_infants=1500,
        ages_days=(30, 365),
        n_adults=20,
        depth=800,
        asthma_butyrate_fold=1.0,  # thinning lowers depths: its own test below
        random_state=8,
    )
    assert list(table.columns) == list(sheet["sample_id"])
    depth = table.sum(axis=0)
    assert depth.min() >= 800 and 1200 < depth.max() < 5000
    assert (table.sum(axis=1) > 0).all()
    assert set(table.index) <= set(reference["sequence"])
    infants = sheet[sheet["subject_id"].str.contains("_I")]
    visit = infants["sample_id"].str[-4:].astype(int)
    assert set(visit) == {30, 365} and len(infants) == 3000
    gap = (infants["age_days"].astype(int) - visit).abs()
    assert (gap <= (0.1 * visit).round()).all() and gap.max() > 0
    assert sheet["subject_id"].iloc[0] == "c_I0001" and (sheet["study"] == "c").all()
    adults = sheet[sheet["sample_id"].str.endswith("_adult")]
    assert len(adults) == 20 and (adults["age_days"] >= 18 * 365).all()
    assert (adults["asthma"] == "no").all()
    kids = truth[truth["subject_id"].str.contains("_I")]
    assert_planted_interaction(
        kids["asthma"], kids["maturity_offset"], kids["maternal_asthma"]
    )
    # asthma is commoner with an asthmatic mother (25% against 8% at the mean)
    rate = kids.groupby("maternal_asthma")["asthma"].apply(
        lambda a: (a == "yes").mean()
    )
    assert 0.05 < rate["no"] < 0.12 and rate["yes"] > 0.2
    # a genus is 1-3 strains, and some children never carry a late genus
    genus = reference.drop_duplicates("sequence").set_index("sequence")["genus"]
    one_year = infants.loc[visit == 365, "sample_id"]
    present = table[one_year] > 0
    per_genus = present.groupby(genus.reindex(table.index).to_numpy()).sum()
    assert (per_genus.max(axis=0) >= 2).any()
    assert 0 < (per_genus.loc["Faecalibacterium"] > 0).mean() < 0.97
    # older effective age, later genera: the late genera's share rises
    late = genus.reindex(table.index).isin(
        ["Faecalibacterium", "Roseburia", "Ruminococcus", "Coprococcus"]
    )
    share = table.loc[late.to_numpy(), one_year].sum() / table[one_year].sum()
    offset = truth.set_index("subject_id")["maturity_offset"]
    subj = infants.set_index("sample_id").loc[one_year, "subject_id"]
    assert spearmanr(share, offset.reindex(subj).to_numpy()).statistic > 0.15
    again = simulate_birth_cohort(
        reference, study="c", n_infants=5, depth=100, random_state=8
    )
    same = simulate_birth_cohort(
        reference, study="c", n_infants=5, depth=100, random_state=8
    )
    other = simulate_birth_cohort(
        reference, study="c", n_infants=5, depth=100, random_state=8, stream=1
    )
    pd.testing.assert_frame_equal(again[0], same[0])
    assert not again[2]["maturity_offset"].equals(other[2]["maturity_offset"])


def test_null_birth_cohort(reference):
    """maternal_odds_ratio=1 plants nothing in either stratum."""
    from gutlung_pipeline.claims.models import logistic_interaction
    from gutlung_pipeline.simulate import simulate_birth_cohort

    _, _, truth = simulate_birth_cohort(
        reference,
        study="n",
        n_infants=2000,
        ages_days=(365,),
        depth=50,
        maternal_odds_ratio=1.0,
        random_state=3,
    )
    d = pd.DataFrame(
        {
            "asthma": (truth["asthma"] == "yes").astype(float),
            "lower": -truth["maturity_offset"] / 0.3,
            "maternal": (truth["maternal_asthma"] == "yes").astype(float),
        }
    )
    est = logistic_interaction(
        d, outcome="asthma", exposure="lower", modifier="maternal"
    )
    assert est.ci_low <= 1.0 <= est.ci_high
    lo, hi = est.detail["or_other_stratum_ci"]
    assert lo <= 1.0 <= hi


def test_birth_cohorts_of_one_run(reference):
    """Cohort k of a run is stream k of the seed (so a cohort alone equals
    the same cohort of the run), the table is in reference order with its
    taxonomy, and repeated names stop."""
    from gutlung_pipeline.simulate import simulate_birth_cohort, simulate_birth_cohorts

    design = {"n_infants": 30, "ages_days": (7, 365), "depth": 500}
    table, taxonomy, sheet, truth = simulate_birth_cohorts(
        reference, ["a", "b"], random_state=5, **design
    )
    alone, alone_sheet, _ = simulate_birth_cohort(
        reference, study="b", random_state=5, stream=1, **design
    )
    b = list(alone_sheet["sample_id"])
    pd.testing.assert_frame_equal(
        table[b].loc[lambda t: t.sum(axis=1) > 0],
        alone.loc[alone.sum(axis=1) > 0].reindex(columns=b),
        check_names=False,
        check_like=True,
    )
    assert list(sheet["study"].unique()) == ["a", "b"] and len(sheet) == 120
    assert set(truth["study"]) == {"a", "b"}
    order = [s for s in reference["sequence"].drop_duplicates() if s in table.index]
    assert list(table.index) == order
    assert list(taxonomy["Feature ID"]) == order
    with pytest.raises(ValueError, match="names repeat"):
        simulate_birth_cohorts(reference, ["a", "a"], **design)


def test_birth_cohort_plants_fewer_butyrate_producers_in_asthma(reference):
    """Depner's producer effect: against the same seed without it, only the
    butyrate producers' counts of asthmatic children from 182 days change,
    each thinned to about half; everything else is byte for byte the same."""
    from gutlung_pipeline.simulate import simulate_birth_cohort

    design = dict(
        study="c", n_infants=300, ages_days=(30, 365), depth=800, random_state=4
    )
    planted, sheet, truth = simulate_birth_cohort(reference, **design)
    plain, sheet0, truth0 = simulate_birth_cohort(
        reference, asthma_butyrate_fold=1.0, **design
    )
    assert sheet.equals(sheet0)
    assert truth.drop(columns="butyrate_fold").equals(
        truth0.drop(columns="butyrate_fold")
    )
    plain = plain.reindex(planted.index, fill_value=0)
    genus = reference.drop_duplicates("sequence").set_index("sequence")["genus"]
    butyrate = genus.reindex(planted.index).isin(
        ["Faecalibacterium", "Roseburia", "Coprococcus", "Megasphaera"]
    )
    asthma = sheet.set_index("sample_id")["asthma"].eq("yes")
    age = sheet.set_index("sample_id")["age_days"].astype(int)
    thinned = asthma & (age >= 182)
    assert thinned.sum() > 20
    same = planted.loc[:, ~thinned.to_numpy()]
    assert same.equals(plain.loc[:, ~thinned.to_numpy()])
    assert planted.loc[~butyrate, thinned.to_numpy()].equals(
        plain.loc[~butyrate, thinned.to_numpy()]
    )
    before = plain.loc[butyrate, thinned.to_numpy()].to_numpy().sum()
    after = planted.loc[butyrate, thinned.to_numpy()].to_numpy().sum()
    assert before > 1000 and abs(after / before - 0.5) < 0.05, (before, after)
    kids = truth.set_index("subject_id")
    assert set(kids.loc[kids["asthma"] == "yes", "butyrate_fold"]) == {0.5}
    assert set(kids.loc[kids["asthma"] == "no", "butyrate_fold"]) == {1.0}


def test_emp_design_reads_start_after_the_primers(reference, tmp_path):
    """primers_in_reads=False, 150 nt: the EMP 2x150 design. R1 starts with
    the amplicon, R2 with its reverse complement's start; no read holds the
    forward primer."""
    import re

    from gutlung_pipeline.sequences import reverse_complement

    sheet, truth = simulate_cohort(
        reference,
        tmp_path,
        forward=FORWARD,
        reverse=REVERSE,
        n_subjects=2,
        reads_per_sample=300,
        read_length=150,
        chimera_rate=0.0,
        error_model=ErrorModel(start=1e-9, end=1e-9),
        primers_in_reads=False,
        random_state=3,
    )
    row = sheet.iloc[0]
    r1, _ = read_fastq(row["fq1"])
    r2, _ = read_fastq(row["fq2"])
    assert {len(s) for s in r1} == {150} == {len(s) for s in r2}
    mine = truth[truth["sample_id"] == row["sample_id"]]
    starts = {s[:150] for s in mine["sequence"]}
    ends = {reverse_complement(s)[:150] for s in mine["sequence"]}
    assert all(s in starts for s in r1) and all(s in ends for s in r2)
    iupac = {"Y": "[CT]", "M": "[AC]", "N": "[ACGT]", "V": "[ACG]", "W": "[AT]"}
    fwd = re.compile("".join(iupac.get(b, b) for b in FORWARD))
    assert not any(fwd.search(s) for s in r1)


def test_pcr_chimeras_stay_rarer_than_their_parents():
    """chimera_model 'pcr': reads spread over every pair of templates by the
    product of their abundances; each chimera is the prefix of one template
    and the suffix of another, and has far fewer reads than either parent
    would (known answer: three templates, 10,000 chimeric reads)."""
    from gutlung_pipeline.accuracy import is_chimera
    from gutlung_pipeline.simulate.reads import _pcr_chimeras

    rng = np.random.default_rng(0)
    seqs = ["".join(rng.choice(list("ACGT"), 200)) for _ in range(3)]
    community = pd.DataFrame({"sequence": seqs, "abundance": [0.7, 0.2, 0.1]})
    chimeras, counts = _pcr_chimeras(community, 10_000, np.random.default_rng(1))
    assert len(chimeras) == 6 and counts.sum() == 10_000  # every ordered pair
    assert all(is_chimera(c, set(seqs)) for c in chimeras)
    share = dict(zip(chimeras, counts / 10_000, strict=True))
    # the pair (0.2, 0.1) forms 0.02 / (1 - 0.54) of the chimeras, each way
    rare = [c for c in chimeras if c[:50] in (seqs[1][:50], seqs[2][:50])]
    rare = [c for c in rare if c[-50:] in (seqs[1][-50:], seqs[2][-50:])]
    assert len(rare) == 2
    assert sum(share[c] for c in rare) == pytest.approx(2 * 0.02 / 0.46, abs=0.01)
    with pytest.raises(ValueError, match="chimera_model must be 'fixed' or 'pcr'"):
        simulate_cohort(
            pd.DataFrame(columns=["ref_id", "genus", "sequence", "taxon"]),
            ".",
            forward=FORWARD,
            reverse=REVERSE,
            chimera_model="pcrr",
        )
