"""A seeded synthetic gut-lung cohort: FASTQ reads, a sample sheet and the truth.

Real 16S V4 sequences from the shipped reference are placed between the
primers (degenerate positions resolved at random per read), read as Illumina
pairs with substitution errors that rise toward the read ends, and mixed with a
few percent of two-parent PCR chimeras. Subjects give a stool and a BAL sample;
negative controls hold reagent contaminants. The truth table lists which
sequence each sample holds, where it comes from (community, translocated,
contaminant, mock) and at what share of its non-chimeric reads.

The literature's claims are planted (see ``maternal_odds_ratio``,
``infection_skew``, ``copd_genera``, ``copd_butyrate_fold``), so ``gutlung
claims`` has something to find. Contamination follows the low-biomass model
decontam rests on: every extraction adds the same small amount of reagent
DNA (``contaminant_load``) with one fixed profile, so a sample's contaminant
share is load / (load + biomass): about 0.1% of a stool sample, 2-70% of a
BAL sample, all of an extraction blank. The measured ``dna_conc`` is biomass
plus load, with 10% measurement noise. Harder, realistic contamination is
optional (``contaminant_sd``: reagent DNA that varies between extractions;
``conc_noise``; ``cross_talk``: stool leaking into BAL samples and blanks;
``reagent_lots``: each run's own kit lot; a longer ``n_contaminants``), each
from its own seed stream, so that off they leave a cohort as it was.

Everything is vectorised with numpy: records have a fixed width, so a sample's
FASTQ is built as one byte array.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..io import write_gzip_bytes
from ..scfa import load_producers, normalise_genus, producer_genera
from ..sequences import IUPAC, reverse_complement
from .common import (
    CONTAMINANT_GENERA,
    GUT_GENERA,
    INFANT_AGES_DAYS,
    INFANT_SUCCESSION,
    LUNG_GENERA,
    MOCK_GENERA,
    canonical_sheet,
)

BASES = np.frombuffer(b"ACGT", dtype=np.uint8)
CODE = np.full(256, 255, dtype=np.uint8)
CODE[BASES] = np.arange(4, dtype=np.uint8)
ADAPTER = "AGATCGGAAGAGCACACGTCTGAACTCCAGTCAC"


@dataclass(frozen=True)
class ErrorModel:
    """Substitution probability rising quadratically from ``start`` to ``end``."""

    start: float = 0.001
    end: float = 0.008

    def probabilities(self, length: int) -> np.ndarray:
        """Return the per-position substitution probabilities of a read."""
        x = np.linspace(0.0, 1.0, length)
        return self.start + (self.end - self.start) * x**2


def _to_codes(seq: str) -> np.ndarray:
    return CODE[np.frombuffer(seq.encode(), dtype=np.uint8)]


def _resolve_degenerate(
    reads: np.ndarray, primer: str, rng: np.random.Generator
) -> None:
    """Draw a concrete base at each degenerate primer position, per read (in place)."""
    for j, base in enumerate(primer.upper()):
        options = IUPAC[base]
        if len(options) > 1:
            choice = _to_codes(options)
            reads[:, j] = choice[rng.integers(0, len(options), size=reads.shape[0])]


def _quality_line(p: np.ndarray) -> bytes:
    q = np.clip(np.round(-10 * np.log10(p)), 2, 41).astype(np.uint8)
    return (q + 33).tobytes()


def _fastq_block(name: str, mate: int, codes: np.ndarray, qual: bytes) -> bytes:
    """Fixed-width FASTQ records for ``codes`` (reads x length, base codes 0-3)."""
    n, length = codes.shape
    width = len(str(n))
    headers = np.array(
        [f"@{name}:{k:0{width}d} {mate}:N:0:1" for k in range(1, n + 1)], dtype="S"
    )
    head = np.frombuffer(headers.tobytes(), dtype=np.uint8).reshape(n, -1)
    nl = np.full((n, 1), ord("\n"), dtype=np.uint8)
    plus = np.tile(np.frombuffer(b"+\n", dtype=np.uint8), (n, 1))
    quals = np.tile(np.frombuffer(qual, dtype=np.uint8), (n, 1))
    block = np.hstack([head, nl, BASES[codes], nl, plus, quals, nl])
    return block.tobytes()


def _templates(
    sequences: list[str],
    forward: str,
    reverse: str,
    length: int,
    primers_in_reads: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """R1 and R2 template codes (templates x length) with primers and adapters.

    ``primers_in_reads=False``: the reads start after the primers (the EMP
    protocol, whose sequencing primers are the PCR primers).
    """
    r1, r2 = [], []
    pad = ADAPTER * (1 + length // len(ADAPTER))
    rev_rc = reverse_complement(reverse) if primers_in_reads else ""
    fwd = forward if primers_in_reads else ""
    for seq in sequences:
        amplicon = fwd.upper() + seq + rev_rc.upper()
        # degenerate bases are placeholders here; they are drawn per read later
        amplicon = "".join(b if b in "ACGT" else IUPAC[b][0] for b in amplicon)
        r1.append(_to_codes((amplicon + pad)[:length]))
        r2.append(_to_codes((reverse_complement(amplicon) + pad)[:length]))
    return np.vstack(r1), np.vstack(r2)


def _community(
    pool: pd.DataFrame, n_taxa: int, rng: np.random.Generator, sigma: float = 1.5
) -> pd.DataFrame:
    n_taxa = min(n_taxa, len(pool))
    chosen = pool.iloc[np.sort(rng.choice(len(pool), size=n_taxa, replace=False))]
    weights = rng.lognormal(0.0, sigma, size=n_taxa)
    out = chosen.copy()
    out["abundance"] = weights / weights.sum()
    return out


def _chimeras(
    community: pd.DataFrame, n: int, rng: np.random.Generator
) -> tuple[list[str], np.ndarray]:
    """Up to ``n`` two-parent chimeras and their relative formation weights.

    Parents are drawn by abundance, and a chimera forms in proportion to the
    product of its parents' abundances (as in PCR, where template switching
    needs both templates), so chimeras of rare parents are rare.
    """
    if len(community) < 2 or n == 0:
        return [], np.zeros(0)
    seqs = community["sequence"].to_numpy()
    parents = set(seqs)
    p = community["abundance"].to_numpy()
    out: list[str] = []
    weights: list[float] = []
    for _ in range(n):
        a, b = rng.choice(len(seqs), size=2, replace=False, p=p)
        cut = int(rng.integers(int(0.3 * len(seqs[a])), int(0.7 * len(seqs[a]))))
        chimera = seqs[a][:cut] + seqs[b][cut:]
        if chimera not in parents and chimera not in out:
            out.append(chimera)
            weights.append(p[a] * p[b])
    w = np.asarray(weights)
    return out, w / w.sum() if len(w) else w


def _pcr_chimeras(
    community: pd.DataFrame, n_chim: int, rng: np.random.Generator
) -> tuple[list[str], np.ndarray]:
    """Chimeric reads as PCR forms them: every pair of templates, by yield.

    ``n_chim`` reads are spread over all ordered pairs of distinct templates
    in proportion to the product of their abundances (template switching
    needs both templates), one switch point per pair (the chimera amplifies
    as one molecule). A chimera's reads are then about ``rate * p_b / (1 -
    sum p^2)`` of its parent ``a``'s: a chimera of rare parents is rare.

    Returns the chimeras (those with a read, not equal to a parent) and their
    read counts.
    """
    seqs = community["sequence"].to_numpy()
    if len(seqs) < 2 or n_chim == 0:
        return [], np.zeros(0, dtype=int)
    p = community["abundance"].to_numpy()
    weights = np.outer(p, p)
    np.fill_diagonal(weights, 0.0)
    flat = rng.multinomial(n_chim, weights.ravel() / weights.sum())
    parents = set(seqs)
    out: dict[str, int] = {}
    for k in np.flatnonzero(flat):
        a, b = divmod(int(k), len(seqs))
        cut = int(rng.integers(int(0.3 * len(seqs[a])), int(0.7 * len(seqs[a]))))
        chimera = seqs[a][:cut] + seqs[b][cut:]
        if chimera not in parents:
            out[chimera] = out.get(chimera, 0) + int(flat[k])
    return list(out), np.fromiter(out.values(), dtype=int, count=len(out))


def _add_strains(
    community: pd.DataFrame, reference: pd.DataFrame, shares: dict[str, float]
) -> pd.DataFrame:
    """Add the first reference strain of each genus at its share.

    Add the first reference strain of each genus at its share (the rest
    scaled down), as the community's own.
    """
    extra = pd.concat(
        [reference[reference["genus"] == g].iloc[:1] for g in shares]
    ).assign(abundance=list(shares.values()), source="community")
    scaled = community.assign(
        abundance=community["abundance"] * (1 - sum(shares.values()))
    )
    return _merge_strains(pd.concat([scaled, extra]))


def _merge_strains(community: pd.DataFrame) -> pd.DataFrame:
    """Merge strains listed twice into one row each.

    One row per strain: shares of a strain listed twice (a Prevotella both
    in the lung community and translocated from the gut) are added; the first
    source is kept.
    """
    return community.groupby("ref_id", sort=False, as_index=False).agg(
        {"genus": "first", "sequence": "first", "source": "first", "abundance": "sum"}
    )


def _truth_rows(sample_id: str, community: pd.DataFrame, counts) -> list[dict]:
    total = counts.sum()
    return [
        {
            "sample_id": sample_id,
            "ref_id": taxon["ref_id"],
            "genus": taxon["genus"],
            "md5": hashlib.md5(taxon["sequence"].encode()).hexdigest(),
            "sequence": taxon["sequence"],
            "source": taxon["source"],
            "abundance": taxon["abundance"],
            "reads": int(n),
            "observed_share": n / total if total else 0.0,
        }
        for (_, taxon), n in zip(community.iterrows(), counts, strict=True)
    ]


def _scale_genera(community: pd.DataFrame, keys: set[str], fold: float) -> pd.DataFrame:
    """Multiply the genera whose match key is in ``keys`` by ``fold``; renormalise."""
    hit = community["genus"].map(normalise_genus).isin(keys).to_numpy()
    weights = community["abundance"].to_numpy(dtype=float) * np.where(hit, fold, 1.0)
    return community.assign(abundance=weights / weights.sum())


def _infant_community(
    strains: pd.DataFrame, age_days: float, rng: np.random.Generator
) -> pd.DataFrame:
    """Draw a stool community at an (effective) age.

    A stool community at an (effective) age: genera weighted by how close the
    age is to their peak on a log scale; richness rises with age.
    """
    peaks = strains["genus"].map(INFANT_SUCCESSION).to_numpy(dtype=float)
    closeness = np.exp(-((np.log(age_days) - np.log(peaks)) ** 2) / (2 * 0.9**2))
    weights = closeness * rng.lognormal(0.0, 0.5, size=len(strains))
    span = (np.log(age_days) - np.log(7)) / (np.log(1500) - np.log(7))
    richness = int(np.clip(round(5 + 12 * span), 4, len(strains)))
    keep = np.sort(np.argsort(-weights, kind="stable")[:richness])
    out = strains.iloc[keep].copy()
    out["abundance"] = weights[keep] / weights[keep].sum()
    return out


def _succession_rows(reference: pd.DataFrame) -> list[np.ndarray]:
    """Return the reference's row positions of each succession genus it holds."""
    genus = reference["genus"].to_numpy()
    rows = [np.flatnonzero(genus == g) for g in INFANT_SUCCESSION]
    return [r for r in rows if len(r)]


def _draw_infant(
    reference: pd.DataFrame,
    rng: np.random.Generator,
    *,
    maturity_sd: float,
    maternal_odds_ratio: float,
    rows: list[np.ndarray] | None = None,
) -> tuple[float, pd.DataFrame, dict]:
    """One child: (maturity offset, one strain per succession genus, metadata).

    The offset ~ N(0, ``maturity_sd``) makes the child's microbiota look
    ``exp(offset)`` times its age. Asthma by 5 years follows Stokholm 2018:
    odds rise by ``maternal_odds_ratio`` per SD lower offset if the mother has
    asthma (30% of mothers), not otherwise (base risk 25%); asthmatic children
    are diagnosed uniformly between 13 months and 5 years (``asthma_age_days``),
    the others are followed to 1,825 days. ``rows`` (:func:`_succession_rows`,
    computed once a cohort) saves filtering the reference for every child;
    the draws are the same.
    """
    offset = float(rng.normal(0.0, maturity_sd))
    if rows is None:
        rows = _succession_rows(reference)
    # one strain a genus, drawn as DataFrame.sample(1, random_state=rng) draws
    picks = [pool[rng.choice(len(pool), size=1, replace=False)[0]] for pool in rows]
    strains = reference.iloc[picks].reset_index(drop=True)
    u_asthma = rng.random()
    sex = rng.choice(["female", "male"])
    maternal = rng.random() < 0.3
    logit = (
        np.log(0.25 / 0.75)
        - np.log(maternal_odds_ratio) * (offset / maturity_sd) * maternal
    )
    risk = 1 / (1 + np.exp(-logit))
    asthma = u_asthma < risk
    # u / risk is uniform given asthma
    onset = float(np.round(400 + 1425 * u_asthma / risk)) if asthma else 1825.0
    meta = {
        "age_days": None,
        "sex": sex,
        "asthma": "yes" if asthma else "no",
        "asthma_age_days": onset,
        "maternal_asthma": "yes" if maternal else "no",
        "copd": "no",
        "delivery_mode": rng.choice(["vaginal", "cesarean"]),
        "antibiotics": "yes" if rng.random() < 0.2 else "no",
    }
    return offset, strains, meta


def _metadata(n_subjects: int, rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for i in range(1, n_subjects + 1):
        copd = rng.random() < 0.4
        asthma = rng.random() < 0.4
        maternal = rng.random() < (0.6 if asthma else 0.2)
        rows.append(
            {
                "subject_id": f"P{i:02d}",
                "age_days": int(rng.integers(365, 25000)),
                "sex": rng.choice(["female", "male"]),
                "asthma": "yes" if asthma else "no",
                "maternal_asthma": "yes" if maternal else "no",
                "copd": "yes" if copd else "no",
                "gold_stage": int(rng.integers(1, 5)) if copd else "",
                "respiratory_infection": "yes" if rng.random() < 0.3 else "no",
                "fev1_pct_pred": round(float(rng.normal(55 if copd else 95, 12)), 1),
                "smoking": rng.choice(["never", "former", "current"]),
                "antibiotics": "yes" if rng.random() < 0.2 else "no",
                "delivery_mode": rng.choice(["vaginal", "cesarean"]),
            }
        )
    return pd.DataFrame(rows)


def simulate_cohort(
    reference: pd.DataFrame,
    out_dir: str | os.PathLike,
    *,
    forward: str,
    reverse: str,
    n_subjects: int = 12,
    n_controls: int = 0,
    reads_per_sample: int = 2000,
    read_length: int = 250,
    chimera_rate: float = 0.03,
    layout: str = "paired",
    error_model: ErrorModel = ErrorModel(),
    n_infants: int = 0,
    infant_ages_days: tuple[int, ...] = INFANT_AGES_DAYS,
    maturity_sd: float = 0.3,
    translocation: float = 0.05,
    n_mocks: int = 0,
    n_contaminants: int = 8,
    contaminant_load: float = 0.05,
    contaminant_sd: float = 0.0,
    conc_noise: float = 0.1,
    lung_biomass: tuple[float, float] = (0.02, 3.0),
    cross_talk: float = 0.0,
    reagent_lots: float = 0.0,
    maternal_odds_ratio: float = 2.0,
    infection_skew: float = 2.0,
    copd_genera: bool = True,
    copd_butyrate_fold: float = 0.25,
    primers_in_reads: bool = True,
    chimera_model: str = "fixed",
    random_state: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Write a synthetic cohort's FASTQ files; return (sample sheet, truth).

    Parameters
    ----------
    reference
        From :func:`load_reference`: ref_id, genus, sequence (primer-trimmed).
    out_dir
        FASTQ files go to ``out_dir/reads/``; the sheet's paths start with
        ``out_dir`` as given (relative stays relative).
    forward, reverse
        Primers (IUPAC allowed), 5'->3' as ordered.
    n_subjects
        Each gives one stool (gut) and one BAL (lung) sample.
    n_controls
        Extraction blanks (reagent contaminants only), at a tenth of the reads,
        spread over the runs.
    reads_per_sample
        Read pairs per gut or lung sample.
    read_length
        Length of each read; amplicons shorter than this run into adapter.
    chimera_rate
        Share of each sample's reads drawn from two-parent chimeras.
    layout
        ``"paired"`` writes R1 and R2; ``"single"`` writes R1 only.
    error_model
        Position-dependent substitution probabilities (R2 gets 1.5 times more).
    n_infants
        Children with a stool series at ``infant_ages_days``; each child's
        microbiota looks ``exp(offset)`` times its age, offset ~ N(0,
        ``maturity_sd``) on the log scale (written to the truth as
        ``maturity_offset``). Immature children (negative offset) are more often
        asthmatic at 5 years. Drawn from a second stream of the seed, so the
        other samples do not change.
    infant_ages_days, maturity_sd
        Sampling ages, and the spread of the planted maturity offsets.
    translocation
        Share of each lung sample made of three strains of the same subject's
        own gut (microaspiration), drawn from a third seed stream.
    n_mocks
        Mock-community samples (:data:`MOCK_GENERA`, equal shares).
    n_contaminants, contaminant_load
        Strains in the reagent profile, and the reagent DNA every extraction
        adds (ng/ul); drawn from a fourth seed stream, as are the lung
        biomasses (log-uniform over ``lung_biomass``).
    contaminant_sd
        Log-normal SD of the reagent DNA from one extraction to the next
        (kits, lots and handling differ; 0: every extraction adds exactly
        ``contaminant_load``). Drawn from a fifth seed stream, so 0 leaves the
        cohort as it was.
    conc_noise
        Log-normal SD of the measured ``dna_conc`` around the true DNA
        (biomass + reagent DNA); 0.1 is a careful fluorometer, 0.5 the low
        end of a real one.
    lung_biomass
        Range (ng/ul) of the lung samples' own DNA, drawn log-uniformly.
    cross_talk
        Well-to-well leakage: each BAL sample and blank receives this share
        of the DNA of one stool extract of its run (drawn at random among
        those made before it), truth source ``cross_talk``. 2e-4 of a
        30 ng/ul stool is 0.006 ng/ul: about a tenth of a blank, up to a
        tenth of the thinnest BAL. A sixth seed stream; 0 leaves the cohort
        as it was.
    reagent_lots
        Share of each run's reagent profile that is the run's own lot
        (``n_contaminants`` strains drawn anew for the run, with the same
        spread), the rest the shared profile: runs extracted with different
        kit lots share only part of their contaminants. A seventh seed
        stream; 0 leaves the cohort as it was.
    maternal_odds_ratio
        The literature's claims, planted (Stokholm 2018): a child's odds of
        asthma rise by this factor per SD lower maturity offset if the mother
        has asthma (30% of mothers), and not otherwise (base risk 25%).
        Asthmatic children get an ``asthma_age_days`` between 400 and 1,825
        days; the others are followed to 1,825 days (censored).
    infection_skew
        Stool abundances of adults with a respiratory infection are raised to
        this power and renormalised: about 1.4 bits less Shannon at 2 (Woodall
        2022 reports 1.45 lower). 1 plants nothing.
    copd_genera
        COPD stool gains a Streptococcus strain (4%, Bowerman 2020), GOLD 3-4
        stool also a Fusobacterium strain (5%, Chiu 2021).
    copd_butyrate_fold
        COPD stool's butyrate producers (the genera of
        ``resources/scfa/producers.tsv`` with a butyrate pathway, medium
        confidence or more) are multiplied by this and the community
        renormalised (Li 2021: less stool SCFA in COPD); 1 plants nothing.
        Adult asthma is given no producer effect (Kullberg 2021 found none),
        so the demo has one producer claim planted and one null.
    primers_in_reads
        False: the reads start after the primers, as the EMP protocol's do
        (sequencing primers = PCR primers; with ``read_length=150``, the EMP
        2x150 design).
    chimera_model
        ``"fixed"`` (the default, a stress design): each sample's chimeric
        reads go to six chimeras of parents drawn by abundance, shared among
        them by the product of their parents' abundances, so a chimera of
        rare parents still gets about a sixth of them, sometimes more reads
        than a parent. ``"pcr"``: spread over every pair of templates by that
        product (:func:`_pcr_chimeras`), so a chimera stays far rarer than
        its parents, as PCR makes them.
    random_state
        Seed; the same seed gives byte-identical files.

    Returns
    -------
    sheet : pandas.DataFrame
        Sample sheet in the canonical vocabulary.
    truth : pandas.DataFrame
        sample_id, ref_id, genus, md5, sequence, source (community,
        translocated, contaminant, mock), abundance (expected share of the
        sample's non-chimeric reads) and reads (drawn).
    """
    if layout not in ("paired", "single"):
        raise ValueError(f"layout must be 'paired' or 'single', got {layout!r}")
    if not 0 <= translocation < 0.9:
        raise ValueError(f"translocation must be within [0, 0.9), got {translocation}")
    if not 0 <= chimera_rate < 1:
        raise ValueError(f"chimera_rate must be within [0, 1), got {chimera_rate}")
    if chimera_model not in ("fixed", "pcr"):
        raise ValueError(
            f"chimera_model must be 'fixed' or 'pcr', got {chimera_model!r}"
        )
    if not 0 < lung_biomass[0] <= lung_biomass[1]:
        raise ValueError(
            f"lung_biomass must be (low, high) with 0 < low <= high, got {lung_biomass}"
        )
    if not 0 <= reagent_lots <= 1:
        raise ValueError(f"reagent_lots must be within [0, 1], got {reagent_lots}")
    if contaminant_sd < 0 or conc_noise < 0 or not 0 <= cross_talk < 0.1:
        raise ValueError(
            f"contaminant_sd and conc_noise must be >= 0 and cross_talk within "
            f"[0, 0.1), got {contaminant_sd}, {conc_noise} and {cross_talk}"
        )
    rng = np.random.default_rng(random_state)
    out_dir = Path(out_dir)
    (out_dir / "reads").mkdir(parents=True, exist_ok=True)
    pools = {
        site: reference[reference["genus"].isin(genera)].reset_index(drop=True)
        for site, genera in (
            ("gut", GUT_GENERA),
            ("lung", LUNG_GENERA),
            ("none", CONTAMINANT_GENERA),
        )
    }
    # a lung core shared across subjects (two strains per genus), as airway
    # communities share their taxa far more than a random draw would
    pools["lung"] = pools["lung"].groupby("genus", sort=False).head(2)
    pools["lung"] = pools["lung"].reset_index(drop=True)
    for site, pool in pools.items():
        if len(pool) < 5:
            raise ValueError(f"reference has too few {site} sequences ({len(pool)})")
    meta = _metadata(n_subjects, rng)
    butyrate = producer_genera(load_producers(), "butyrate")
    p = error_model.probabilities(read_length)
    p2 = np.minimum(p * 1.5, 0.5)
    qual1, qual2 = _quality_line(p), _quality_line(p2)

    def emit(sample_id, community, n_reads, rng):
        """Draw one sample's reads (with chimeras) and write its FASTQ files."""
        if chimera_model == "pcr":
            n_chim = int(round(n_reads * chimera_rate))
            chimeras, chim_counts = _pcr_chimeras(community, n_chim, rng)
            n_chim = int(chim_counts.sum())  # those equal to a parent are not
        else:
            chimeras, chim_weights = (
                _chimeras(community, 6, rng) if chimera_rate > 0 else ([], np.zeros(0))
            )
            n_chim = int(round(n_reads * chimera_rate)) if chimeras else 0
        counts = rng.multinomial(n_reads - n_chim, community["abundance"].to_numpy())
        if chimera_model != "pcr":
            chim_counts = rng.multinomial(n_chim, chim_weights) if chimeras else []
        seqs = list(community["sequence"]) + chimeras
        t1, t2 = _templates(seqs, forward, reverse, read_length, primers_in_reads)
        which = np.repeat(
            np.arange(len(seqs)), np.concatenate([counts, chim_counts]).astype(int)
        )
        which = rng.permutation(which)
        paths = {}
        for mate, templates, probs, primer, qual in (
            (1, t1, p, forward, qual1),
            (2, t2, p2, reverse, qual2),
        ):
            if mate == 2 and layout == "single":
                continue
            reads = templates[which]
            _resolve_degenerate(reads, primer if primers_in_reads else "", rng)
            errors = rng.random(reads.shape) < probs[None, :]
            shift = rng.integers(1, 4, size=int(errors.sum()), dtype=np.uint8)
            reads[errors] = (reads[errors] + shift) % 4
            path = out_dir / "reads" / f"{sample_id}_R{mate}.fastq.gz"
            write_gzip_bytes(_fastq_block(sample_id, mate, reads, qual), path)
            paths[f"fq{mate}"] = str(path)
        return paths, counts

    runs = ["run1", "run2"] + (["run3"] if n_infants else [])
    samples = []
    for _, subject in meta.iterrows():
        sid = subject["subject_id"]
        run = f"run{1 + int(sid[1:]) % 2}"
        for site, stype in (("gut", "stool"), ("lung", "bal")):
            samples.append((f"{sid}_{site}", sid, site, stype, run, subject))
    for k in range(1, n_controls + 1):
        samples.append(
            (
                f"NC{k:02d}",
                f"NC{k:02d}",
                "none",
                "negative_control",
                runs[(k - 1) % len(runs)],
                None,
            )
        )
    for k in range(1, n_mocks + 1):
        samples.append(
            (
                f"MOCK{k:02d}",
                f"MOCK{k:02d}",
                "none",
                "mock",
                runs[(k - 1) % len(runs)],
                None,
            )
        )

    # the reagent profile and lung biomasses: a fourth seed stream
    crng = np.random.default_rng([random_state, 13])
    reagents = _community(pools["none"], n_contaminants, crng, sigma=1.0)
    mock = pd.concat(
        [reference[reference["genus"] == g].iloc[:1] for g in MOCK_GENERA]
    ).reset_index(drop=True)
    mock["abundance"] = 1 / len(mock)

    lrng = np.random.default_rng([random_state, 17])

    def reagent_dna() -> float:
        """Draw one extraction's reagent DNA (``contaminant_load`` at SD 0)."""
        if contaminant_sd <= 0:
            return contaminant_load
        return contaminant_load * float(lrng.lognormal(0.0, contaminant_sd))

    # well-to-well leakage: a sixth seed stream, not drawn from at 0
    xrng = np.random.default_rng([random_state, 19])
    stools: dict[str, list[tuple[pd.DataFrame, float]]] = {}

    def leak(community, own_dna, run):
        """Mix in ``cross_talk`` of one stool extract of the run (none yet: as is).

        Return the mixed community and the leaked DNA (ng/ul).
        """
        if cross_talk <= 0 or not stools.get(run):
            return community, 0.0
        donor, dna = stools[run][int(xrng.integers(len(stools[run])))]
        leaked = cross_talk * dna
        share = leaked / (leaked + own_dna)
        mixed = pd.concat(
            [
                community.assign(abundance=community["abundance"] * (1 - share)),
                donor.assign(abundance=donor["abundance"] * share, source="cross_talk"),
            ],
            ignore_index=True,
        )
        return _merge_strains(mixed), leaked

    # each run's own reagent lot: a seventh seed stream, not drawn from at 0
    lot_rng = np.random.default_rng([random_state, 23])
    lots: dict[str, pd.DataFrame] = {}

    def kit(run) -> pd.DataFrame:
        """Return the reagent profile of ``run``.

        The shared profile, ``reagent_lots`` of it replaced by the run's own
        lot (strains drawn anew per run).
        """
        if reagent_lots <= 0 or run is None:
            return reagents
        if run not in lots:
            own = _community(pools["none"], n_contaminants, lot_rng, sigma=1.0)
            lots[run] = _merge_strains(
                pd.concat(
                    [
                        reagents.assign(
                            abundance=reagents["abundance"] * (1 - reagent_lots),
                            source="contaminant",
                        ),
                        own.assign(
                            abundance=own["abundance"] * reagent_lots,
                            source="contaminant",
                        ),
                    ],
                    ignore_index=True,
                )
            )
        return lots[run]

    def contaminate(community, biomass, run=None, leaky=False):
        """Mix the reagent profile into a community.

        Mix in the run's reagent profile at load / (load + biomass), then
        (``leaky``) a stool neighbour's leakage; the measured concentration is
        biomass + load + leakage with ``conc_noise`` measurement noise.
        """
        load = reagent_dna()
        share = load / (load + biomass)
        reagent = kit(run)
        mixed = pd.concat(
            [
                community.assign(abundance=community["abundance"] * (1 - share)),
                reagent.assign(
                    abundance=reagent["abundance"] * share, source="contaminant"
                ),
            ],
            ignore_index=True,
        )
        mixed = _merge_strains(mixed)
        leaked = 0.0
        if leaky:
            mixed, leaked = leak(mixed, biomass + load, run)
        conc = (biomass + load + leaked) * crng.lognormal(0.0, conc_noise)
        return mixed, conc

    sheet_rows, truth_rows = [], []
    gut_of: dict[str, pd.DataFrame] = {}
    trng = np.random.default_rng([random_state, 11])
    for sample_id, subject_id, site, stype, run, subject in samples:
        if site == "gut":
            n_taxa = 18 if subject["asthma"] == "yes" else 28
            community = _community(pools["gut"], n_taxa, rng).assign(source="community")
            if subject["respiratory_infection"] == "yes" and infection_skew != 1:
                skewed = community["abundance"] ** infection_skew
                community["abundance"] = skewed / skewed.sum()
            if subject["copd"] == "yes" and copd_butyrate_fold != 1:
                community = _scale_genera(community, butyrate, copd_butyrate_fold)
            if copd_genera and subject["copd"] == "yes":
                shares = {"Streptococcus": 0.04}
                if subject["gold_stage"] in (3, 4):
                    shares["Fusobacterium"] = 0.05
                community = _add_strains(community, reference, shares)
            gut_of[subject_id] = community
            stool_dna = rng.uniform(15, 60)
            stools.setdefault(run, []).append((community, float(stool_dna)))
            community, conc = contaminate(community, stool_dna, run)
            n_reads = reads_per_sample
        elif site == "lung":
            community = _community(pools["lung"], 14, rng).assign(source="community")
            # gut-to-lung translocation: three of the subject's own gut strains
            # (a second seed stream, so the other draws stay as they were)
            gut = gut_of[subject_id]
            own = gut.iloc[np.sort(trng.choice(len(gut), size=3, replace=False))]
            own = own.assign(
                abundance=translocation * own["abundance"] / own["abundance"].sum(),
                source="translocated",
            )
            community["abundance"] *= 1 - translocation
            community = _merge_strains(pd.concat([community, own]))
            low, high = lung_biomass
            biomass = float(np.exp(crng.uniform(np.log(low), np.log(high))))
            community, conc = contaminate(community, biomass, run, leaky=True)
            n_reads = reads_per_sample
        elif stype == "mock":
            community, conc = contaminate(mock.assign(source="mock"), 20.0, run)
            n_reads = reads_per_sample
        else:
            load = reagent_dna()
            community, leaked = leak(kit(run).assign(source="contaminant"), load, run)
            conc = (load + leaked) * crng.lognormal(0.0, conc_noise)
            n_reads = max(reads_per_sample // 10, 10)
        paths, counts = emit(sample_id, community, n_reads, rng)
        row = {
            "sample_id": sample_id,
            "subject_id": subject_id,
            "body_site": site,
            "sample_type": stype,
            "run": run,
            "study": "demo",
            "fq1": paths["fq1"],
            "fq2": paths.get("fq2", ""),
        }
        if subject is not None:
            row.update(subject.drop("subject_id").to_dict())
        row["dna_conc"] = round(float(conc), 3)
        sheet_rows.append(row)
        truth_rows.extend(_truth_rows(sample_id, community, counts))
    irng = np.random.default_rng([random_state, 7])
    succession = _succession_rows(reference)
    for k in range(1, n_infants + 1):
        child = f"I{k:02d}"
        offset, strains, meta = _draw_infant(
            reference,
            irng,
            maturity_sd=maturity_sd,
            maternal_odds_ratio=maternal_odds_ratio,
            rows=succession,
        )
        for age in infant_ages_days:
            sample_id = f"{child}_d{age:04d}"
            community = _infant_community(strains, age * np.exp(offset), irng)
            community, conc = contaminate(
                community.assign(source="community"), float(irng.uniform(5, 40)), "run3"
            )
            paths, counts = emit(sample_id, community, reads_per_sample, irng)
            row = {
                "sample_id": sample_id,
                "subject_id": child,
                "body_site": "gut",
                "sample_type": "stool",
                "run": "run3",
                "study": "demo",
                "fq1": paths["fq1"],
                "fq2": paths.get("fq2", ""),
                **meta,
                "age_days": age,
                "dna_conc": round(float(conc), 3),
            }
            sheet_rows.append(row)
            rows = _truth_rows(sample_id, community, counts)
            for r in rows:
                r["maturity_offset"] = offset
            truth_rows.extend(rows)
    sheet = pd.DataFrame(sheet_rows)
    if layout == "single":
        sheet = sheet.drop(columns="fq2")
    return canonical_sheet(sheet), pd.DataFrame(truth_rows)
