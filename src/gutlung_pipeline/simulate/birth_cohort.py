"""Seeded table-stage birth cohorts with a planted latent maturity.

The infant claims (Stokholm 2018, Depner 2020, Hoskinson 2023) need hundreds
of children, so these cohorts are feature tables, not reads: each stool
sample's counts are drawn from its community as a study's denoised table
would hold them. The design is the study's (``ages_days``: COPSAC2010 sampled
at 1 week, 1 month and 1 year, so ``(7, 30, 365)``; optional adult stool as a
mature reference, ``n_adults``), and the community model is meant to be hard
for a maturity score, not shaped to one:

- **Succession with cohort-specific parameters.** Each genus of
  :data:`~gutlung_pipeline.simulate.common.INFANT_SUCCESSION` peaks near its listed
  age (times a cohort-level log-normal factor, SD 0.25) with a niche width of
  its own (uniform 0.6-1.2 on the log-age scale), so two cohorts of one run
  differ and the log-abundances are not linear in log age.
- **Children differ beyond maturity.** A child carries each late genus only
  with a genus-specific prevalence (0.6-0.95), one to three strains of it
  (ASVs, shares from a flat Dirichlet), a persistent affinity per genus
  (log-normal, SD 0.7) and some of :data:`BACKGROUND_GENERA`, gut genera with
  no age trend; caesarean-born children carry 15% of their Bacteroides and
  Parabacteroides in the first two years.
- **Samples are noisy.** Per-sample log-normal noise (SD 0.6) on every genus,
  a richness that rises with effective age with noise (SD 2 genera), a visit
  deviation of the latent maturity (SD ``visit_sd``), Dirichlet-multinomial
  counts (precision 200) and a sequencing depth of ``depth`` to about twice
  that.

The latent maturity is the child's offset ~ N(0, ``maturity_sd``): at age
``a`` the child's stool looks ``a * exp(offset + visit deviation)`` days old.
Asthma by 5 years follows Stokholm 2018: odds rise by ``maternal_odds_ratio``
per SD lower offset where the mother has asthma (``maternal_share`` of
mothers), not otherwise; the risk at the mean offset is 8% (25% with an
asthmatic mother). ``maternal_odds_ratio=1`` gives a null cohort. Children
who develop asthma carry fewer butyrate producers from 6 months on
(``asthma_butyrate_fold``, Depner 2020), nothing else.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..scfa import load_producers, normalise_genus, producer_genera
from .common import in_reference_order, reference_taxonomy

#: Gut genera without an age trend in the simulated infant stool.
BACKGROUND_GENERA = (
    "Prevotella",
    "Dialister",
    "Sutterella",
    "Megasphaera",
    "Clostridium",
    "Haemophilus",
    "Staphylococcus",
)
#: Genera that caesarean-born children lack for their first two years.
CAESAREAN_DEPLETED = ("Bacteroides", "Parabacteroides")
ADULT_AGE_DAYS = (18 * 365, 45 * 365)
BASE_RISK = 0.08
MATERNAL_BASE_RISK = 0.25


def _cohort_parameters(
    reference: pd.DataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    """Draw each genus's peak age, niche width and prevalence for a cohort.

    Per genus of the succession and the background: peak age (days, NaN for
    background genera), niche width and prevalence, drawn once per cohort.
    """
    from .common import INFANT_SUCCESSION

    rows = []
    for genus, peak in INFANT_SUCCESSION.items():
        if not (reference["genus"] == genus).any():
            continue
        rows.append(
            {
                "genus": genus,
                "peak": peak * float(np.exp(rng.normal(0.0, 0.25))),
                "width": float(rng.uniform(0.6, 1.2)),
                "prevalence": 0.97 if peak < 200 else float(rng.uniform(0.6, 0.95)),
            }
        )
    for genus in BACKGROUND_GENERA:
        if (reference["genus"] == genus).any():
            rows.append(
                {"genus": genus, "peak": np.nan, "width": np.nan, "prevalence": 0.3}
            )
    return pd.DataFrame(rows).set_index("genus")


def _genus_pools(reference: pd.DataFrame, params: pd.DataFrame) -> dict:
    """Each genus's reference sequences, in reference order (drawn from per child)."""
    return {
        genus: reference.loc[reference["genus"] == genus, "sequence"].to_numpy()
        for genus in params.index
    }


def _child_strains(
    reference: pd.DataFrame,
    params: pd.DataFrame,
    rng: np.random.Generator,
    pools: dict | None = None,
) -> pd.DataFrame:
    """Draw the genera a child carries, their strains and affinities.

    The genera a child carries: 1-3 strains each, with the strain's share
    of its genus and the child's affinity for the genus. ``pools``
    (:func:`_genus_pools`, computed once a cohort) saves filtering the
    reference for every child; the draws are the same either way.
    """
    pools = _genus_pools(reference, params) if pools is None else pools
    genera, sequences, shares, affinities = [], [], [], []
    prevalences = params["prevalence"].to_numpy()
    for genus, prevalence in zip(params.index, prevalences, strict=True):
        if rng.random() >= prevalence:
            continue
        pool = pools[genus]
        k = min(len(pool), int(rng.choice([1, 2, 3], p=[0.5, 0.3, 0.2])))
        chosen = pool[np.sort(rng.choice(len(pool), size=k, replace=False))]
        share = rng.dirichlet(np.ones(k))
        affinity = float(rng.lognormal(0.0, 0.7))
        genera += [genus] * k
        sequences += list(chosen)
        shares += list(share)
        affinities += [affinity] * k
    if not genera:
        raise ValueError("a child carries no genus (every prevalence draw failed)")
    return pd.DataFrame(
        {
            "genus": genera,
            "sequence": sequences,
            "share": np.asarray(shares, dtype=float),
            "affinity": np.asarray(affinities, dtype=float),
        }
    )


def _stool(
    strains: pd.DataFrame,
    params: pd.DataFrame,
    effective_age: float,
    *,
    caesarean: bool,
    age: float,
    rng: np.random.Generator,
) -> pd.Series:
    """Relative abundance of each strain of a child's stool at an effective age."""
    p = params.reindex(strains["genus"])
    peak, width = p["peak"].to_numpy(), p["width"].to_numpy()
    # background genera (no peak) have a flat weight, the others a log-normal
    # niche around their peak
    trend = np.full(len(peak), 0.05)
    timed = ~np.isnan(peak)
    distance = np.log(effective_age) - np.log(peak[timed])
    trend[timed] = np.exp(-(distance**2) / (2 * width[timed] ** 2))
    genus = strains["genus"].to_numpy()
    if caesarean and age < 730:
        trend = np.where(np.isin(genus, CAESAREAN_DEPLETED), 0.15 * trend, trend)
    # one noise draw per genus, split among its strains
    names, inverse = np.unique(genus, return_inverse=True)
    noise = rng.lognormal(0.0, 0.6, size=len(names))[inverse]
    weight = trend * strains["affinity"].to_numpy() * noise
    by_genus = pd.Series(weight).groupby(genus).sum()
    span = (np.log(effective_age) - np.log(7)) / (np.log(1500) - np.log(7))
    richness = int(np.clip(round(5 + 12 * span + rng.normal(0.0, 2.0)), 3, len(names)))
    kept = set(by_genus.sort_values(ascending=False, kind="stable").index[:richness])
    weight = np.where(np.isin(genus, list(kept)), weight, 0.0)
    weight = weight * strains["share"].to_numpy()
    out = pd.Series(weight / weight.sum(), index=strains["sequence"].to_numpy())
    return out.groupby(level=0, sort=False).sum()


def _counts(abundance: pd.Series, depth: int, rng: np.random.Generator) -> pd.Series:
    """Dirichlet-multinomial counts (precision 200), depth ``depth`` to ~2x."""
    n = int(round(depth * np.exp(abs(rng.normal(0.0, 0.4)))))
    present = abundance[abundance > 0]
    p = rng.dirichlet(200 * present.to_numpy())
    return pd.Series(rng.multinomial(n, p), index=present.index)


def _thin(
    counts: pd.Series, keep: set[str], fold: float, rng: np.random.Generator
) -> pd.Series:
    """Keep each read of the features in ``keep`` with probability ``fold``."""
    hit = counts.index.isin(list(keep))
    out = counts.copy()
    out[hit] = rng.binomial(counts[hit].to_numpy(), fold)
    return out


def _asthma(
    offset: float, sd: float, maternal: bool, odds_ratio: float, u: float
) -> tuple[bool, float]:
    """Asthma by 5 years and the age at diagnosis (1,825 = followed, none)."""
    base = MATERNAL_BASE_RISK if maternal else BASE_RISK
    logit = np.log(base / (1 - base)) - np.log(odds_ratio) * (offset / sd) * maternal
    risk = 1 / (1 + np.exp(-logit))
    asthma = u < risk
    # u / risk is uniform given asthma: diagnosis between 13 months and 5 years
    return bool(asthma), float(np.round(400 + 1425 * u / risk)) if asthma else 1825.0


def simulate_birth_cohort(
    reference: pd.DataFrame,
    *,
    study: str,
    n_infants: int = 400,
    ages_days: tuple[int, ...] = (7, 30, 91, 365, 730),
    n_adults: int = 0,
    depth: int = 5000,
    age_jitter: float = 0.1,
    maturity_sd: float = 0.3,
    visit_sd: float = 0.1,
    maternal_odds_ratio: float = 2.0,
    maternal_share: float = 0.3,
    asthma_butyrate_fold: float = 0.5,
    random_state: int = 0,
    stream: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Simulate a table-stage birth cohort: (feature table, sample sheet, truth).

    Parameters
    ----------
    reference
        :func:`gutlung_pipeline.simulate.common.load_reference`'s table; strains are
        its sequences.
    study
        The cohort's name (the sheet's ``study`` and ``run``; subjects are
        ``<study>_I<k>``, adults ``<study>_A<k>``).
    n_infants, ages_days
        Children and their visits (days). Each visit happens at that age give
        or take up to ``age_jitter`` of it (uniform, whole days); sample IDs
        carry the visit (``<subject>_d0365``).
    n_adults
        Adults (18-45 years, no asthma, one stool each, effective age 10,000
        days give or take the same latent spread): a mature reference beyond
        the last visit.
    depth
        Smallest sequencing depth; each sample's is ``depth`` times
        exp(abs(N(0, 0.4))), before the producer thinning.
    maturity_sd, visit_sd
        SD of the child's latent maturity offset (log scale) and of its
        deviation at each visit.
    maternal_odds_ratio, maternal_share
        Planted odds ratio of asthma per SD lower offset in children of
        asthmatic mothers (1 plants nothing), and the share of such mothers.
    asthma_butyrate_fold
        Depner 2020's producer effect: in the stool of children who develop
        asthma, from 182 days of age, each read of a butyrate producer (the
        genera of ``resources/scfa/producers.tsv`` with a butyrate pathway,
        medium confidence or more) is kept with this probability (binomial
        thinning of the drawn counts, from the cohort's own second stream, so
        nothing else of the cohort changes); 1 plants nothing. Propionate
        producers get no effect of their own.
    random_state, stream
        The run's seed, and the cohort's stream of it (cohorts of one run
        draw from ``numpy.random.default_rng([random_state, 17, stream])``).

    Returns
    -------
    table : pandas.DataFrame
        Features x samples counts; feature IDs are the sequences, in
        reference order; features with no count dropped.
    sheet : pandas.DataFrame
        One row per sample in the canonical sheet vocabulary.
    truth : pandas.DataFrame
        Per child (and adult): subject_id, maturity_offset (the planted latent
        maturity), asthma, maternal_asthma, delivery_mode.
    """
    from .common import canonical_sheet, in_reference_order

    if n_infants < 1 or depth < 1 or n_adults < 0:
        raise ValueError("n_infants and depth must be at least 1, n_adults at least 0")
    rng = np.random.default_rng([random_state, 17, stream])
    thin_rng = np.random.default_rng([random_state, 17, stream, 1])
    butyrate = producer_genera(load_producers(), "butyrate")
    producers = set(
        reference.loc[
            reference["genus"].map(normalise_genus).isin(butyrate), "sequence"
        ]
    )
    params = _cohort_parameters(reference, rng)
    pools = _genus_pools(reference, params)
    counts: dict[str, pd.Series] = {}
    sheet_rows, truth_rows = [], []
    width = len(str(n_infants))
    for k in range(1, n_infants + 1):
        child = f"{study}_I{k:0{width}d}"
        offset = float(rng.normal(0.0, maturity_sd))
        strains = _child_strains(reference, params, rng, pools)
        maternal = bool(rng.random() < maternal_share)
        asthma, onset = _asthma(
            offset, maturity_sd, maternal, maternal_odds_ratio, rng.random()
        )
        caesarean = bool(rng.random() < 0.25)
        meta = {
            "sex": rng.choice(["female", "male"]),
            "asthma": "yes" if asthma else "no",
            "asthma_age_days": onset,
            "maternal_asthma": "yes" if maternal else "no",
            "copd": "no",
            "delivery_mode": "cesarean" if caesarean else "vaginal",
            "antibiotics": "yes" if rng.random() < 0.2 else "no",
        }
        truth_rows.append(
            {
                "subject_id": child,
                "maturity_offset": offset,
                "asthma": meta["asthma"],
                "maternal_asthma": meta["maternal_asthma"],
                "delivery_mode": meta["delivery_mode"],
                "butyrate_fold": asthma_butyrate_fold if asthma else 1.0,
            }
        )
        for visit in ages_days:
            sample_id = f"{child}_d{visit:04d}"
            spread = int(round(age_jitter * visit))
            age = visit + int(rng.integers(-spread, spread + 1))
            effective = age * np.exp(offset + rng.normal(0.0, visit_sd))
            stool = _stool(
                strains, params, effective, caesarean=caesarean, age=age, rng=rng
            )
            counts[sample_id] = _counts(stool, depth, rng)
            if asthma and age >= 182 and asthma_butyrate_fold != 1:
                counts[sample_id] = _thin(
                    counts[sample_id], producers, asthma_butyrate_fold, thin_rng
                )
            sheet_rows.append(
                {
                    "sample_id": sample_id,
                    "subject_id": child,
                    "body_site": "gut",
                    "sample_type": "stool",
                    "run": study,
                    "study": study,
                    **meta,
                    "age_days": age,
                }
            )
    for k in range(1, n_adults + 1):
        adult = f"{study}_A{k:0{len(str(n_adults))}d}"
        offset = float(rng.normal(0.0, maturity_sd))
        strains = _child_strains(reference, params, rng, pools)
        age = int(rng.integers(*ADULT_AGE_DAYS))
        stool = _stool(
            strains, params, 10_000 * np.exp(offset), caesarean=False, age=age, rng=rng
        )
        counts[f"{adult}_adult"] = _counts(stool, depth, rng)
        truth_rows.append(
            {
                "subject_id": adult,
                "maturity_offset": offset,
                "asthma": "no",
                "maternal_asthma": "",
                "delivery_mode": "",
            }
        )
        sheet_rows.append(
            {
                "sample_id": f"{adult}_adult",
                "subject_id": adult,
                "body_site": "gut",
                "sample_type": "stool",
                "run": study,
                "study": study,
                "sex": rng.choice(["female", "male"]),
                "asthma": "no",
                "copd": "no",
                "age_days": age,
            }
        )
    table = in_reference_order(pd.DataFrame(counts), reference)
    table = table.loc[table.sum(axis=1) > 0]
    sheet = canonical_sheet(pd.DataFrame(sheet_rows))
    return table, sheet, pd.DataFrame(truth_rows)


def simulate_birth_cohorts(
    reference: pd.DataFrame,
    studies: list[str],
    *,
    random_state: int = 42,
    **design,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Simulate several birth cohorts of one run.

    Several birth cohorts of one run, as ``gutlung simulate-table`` writes
    them: cohort ``k`` draws from stream ``k`` of ``random_state``.

    Parameters
    ----------
    reference
        The SINTAX reference (:func:`.common.load_reference`).
    studies
        One cohort per name (the sheet's ``study`` column); names must differ.
    random_state
        The run's seed.
    **design
        The cohorts' design, as :func:`simulate_birth_cohort` takes it
        (``n_infants``, ``ages_days``, ``n_adults``, ``depth``,
        ``maternal_odds_ratio``).

    Returns
    -------
    tuple of DataFrame
        The table (features in reference order x samples), its taxonomy
        (QIIME 2 layout), the sample sheet and the planted truth (with
        ``study``).

    Raises
    ------
    ValueError
        Names repeat.
    """
    if len(set(studies)) != len(studies):
        raise ValueError(
            f"--studies: names repeat ({' '.join(studies)}); give each cohort "
            "its own name"
        )
    tables, sheets, truths = [], [], []
    for stream, study in enumerate(studies):
        table, sheet, truth = simulate_birth_cohort(
            reference, study=study, random_state=random_state, stream=stream, **design
        )
        tables.append(table)
        sheets.append(sheet)
        truths.append(truth.assign(study=study))
    table = in_reference_order(pd.concat(tables, axis=1), reference)
    taxonomy = reference_taxonomy(reference)
    taxonomy = taxonomy[taxonomy["Feature ID"].isin(table.index)]
    return (
        table,
        taxonomy,
        pd.concat(sheets, ignore_index=True),
        pd.concat(truths, ignore_index=True),
    )
