"""R decontam 1.13.0 in Python: ``isContaminant`` and ``isNotContaminant``.

No Python port exists (the PyPI package named ``decontam`` is unrelated), so
this module implements decontam's statistics as METHODS.md §2 specifies them
from the R source (``R/decontam.R``):

* **frequency**: per feature, over the batch's non-control samples where it is
  present, ln(frequency) against ln(DNA concentration): the contaminant model
  ln f = -ln c + b against the non-contaminant model ln f = b; score
  ``F_cdf(RSS1 / RSS0; d, d)`` with d = samples present - 1. Without
  negative controls every sample (blanks included) is used, as R does.
* **prevalence**: presence in negative controls against true samples: R's
  one-sided ``prop.test`` (Yates), or Fisher's mid-p when an expected count is
  below 5; a feature present in every sample scores 0.5.
* **combined** (Fisher's method, df 4), **minimum**, **either**, **both**;
  batches combined by ``minimum``, ``product`` or ``fisher``.
* Calls use a strict ``p < threshold``; an NA score never calls.

Not in decontam: :func:`signature_scores`, the project's kit-signature score
(a feature whose proportion follows the load of the contaminants already
called), for reagent strains too rare for decontam's own scores.

Reference
---------
Davis NM, Proctor DM, Holmes SP, Relman DA, Callahan BJ (2018). Simple
statistical identification and removal of contaminant sequences in
marker-gene and metagenomics data. Microbiome 6:226.
doi:10.1186/s40168-018-0605-2
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

METHODS = ("auto", "frequency", "prevalence", "combined", "minimum", "either", "both")
BATCH_COMBINE = ("minimum", "product", "fisher")


#: Features scored per block: bounds the samples x block work arrays.
BLOCK = 4096


def frequency_scores(freq: np.ndarray, conc: np.ndarray, groups=None) -> np.ndarray:
    """Decontam's ``isContaminantFrequency`` for every column of ``freq``.

    ``freq``: samples x features proportions; ``conc``: per sample (> 0), or
    samples x features (a concentration of its own for each feature, as
    :func:`signature_scores` gives). Per feature, over the samples where it is
    present (k of them; NaN when k <= 1): RSS of ln f = -ln c + b (RSS1) and
    of ln f = b (RSS0), score ``F_cdf(RSS1 / RSS0; k - 1, k - 1)``. Computed
    in blocks of features. ``groups`` (a label a sample; not in decontam,
    for :func:`signature_scores`): an intercept b a group, the RSS summed
    over the groups and k - G degrees of freedom (G: the groups among the k
    samples; NaN below one); ``None`` is one group, decontam's test.
    """
    from scipy import stats  # imported where used (0.5 s)

    freq = np.asarray(freq, dtype=float)
    logc = np.log(np.asarray(conc, dtype=float))
    if logc.ndim == 1:
        logc = logc[:, None]
    labels = (
        np.zeros(freq.shape[0], dtype=int)
        if groups is None
        else np.asarray(groups, dtype=object)
    )
    rows_of = [labels == label for label in dict.fromkeys(labels)]
    out = np.full(freq.shape[1], np.nan)
    for lo in range(0, freq.shape[1], BLOCK):
        f = freq[:, lo : lo + BLOCK]
        present = f > 0
        logf = np.log(np.where(present, f, 1.0))  # 0 where absent
        c = logc if logc.shape[1] == 1 else logc[:, lo : lo + BLOCK]
        resid1 = np.where(present, logf + c, 0.0)
        ss1, ss0, dof = np.zeros((3, f.shape[1]))
        for rows in rows_of:
            m = present[rows]
            k = m.sum(axis=0)
            with np.errstate(divide="ignore", invalid="ignore"):
                mean1 = resid1[rows].sum(axis=0) / k
                mean0 = logf[rows].sum(axis=0) / k
            ss1 += np.sum(np.where(m, resid1[rows] - mean1, 0.0) ** 2, axis=0)
            ss0 += np.sum(np.where(m, logf[rows] - mean0, 0.0) ** 2, axis=0)
            dof += k - (k > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = ss1 / ss0  # as R: x/0 is Inf (score 1), 0/0 is NaN
        ok = dof >= 1
        out[lo : lo + BLOCK][ok] = stats.f.cdf(ratio[ok], dof[ok], dof[ok])
    return out


def frequency_score(freq: np.ndarray, conc: np.ndarray) -> float:
    """:func:`frequency_scores` for one feature."""
    return float(frequency_scores(np.asarray(freq, dtype=float)[:, None], conc)[0])


def signature_scores(
    counts: np.ndarray,
    called: np.ndarray,
    *,
    groups=None,
    pseudo: float = 0.5,
    min_samples: int = 3,
    blanks=None,
) -> np.ndarray:
    """Score every feature on whether it follows the called contaminants.

    Not part of decontam. Reagent contaminants arrive together: in every
    sample each kit strain is a fixed share of the kit's DNA, so its
    proportion follows the sample's contaminant load L (the proportion of its
    reads in the features already called). Decontam's frequency model with
    the DNA concentration replaced by 1 / L: per feature, over the samples
    where it is present, ln f = ln L + b (contaminant) against ln f = b, the
    score as :func:`frequency_scores` (low: follows the load). The load is
    measured, so it is free of a concentration's measurement noise and of
    the varying reagent DNA of each extraction, which the kit's strains share;
    a true taxon's proportion falls, if anything, as the load rises.

    ``counts``: samples x features reads (biological samples only, no blanks);
    ``called``: the features already called. A called feature's own reads
    are left out of the load it is scored with; ``pseudo`` reads are added to
    every load (a sample without a called read keeps a finite one). Samples
    without reads are left out; NaN for every feature when none is called,
    and for a feature in fewer than ``min_samples`` samples (in two, one
    degree of freedom: on decontam's real MUClite data two such features,
    one in no blank, scored under 0.05 by chance).

    ``groups`` (one label a sample, e.g. its sequencing run): each group gets
    its own intercept b in both models (a kit lot per run holds the strains
    in other shares of the load), and the F test has k - G degrees of
    freedom, G the groups among the k samples (NaN below one). ``None``: one
    group, as above.

    ``blanks`` (a flag a row of ``counts``): rows that are negative controls.
    They join the fit as samples do (a blank's load is near 1, its reagent
    strains at their share of the kit), which spans the load's range where
    the samples' low loads give only a read or two, seen where present at
    all; ``min_samples`` counts the other rows only, so a feature is still
    scored on the samples it is in.
    """
    counts = np.asarray(counts, dtype=float)
    called = np.asarray(called, dtype=bool)
    out = np.full(counts.shape[1], np.nan)
    reads = counts.sum(axis=1) > 0
    control = (
        np.zeros(len(counts), dtype=bool)
        if blanks is None
        else np.asarray(blanks, dtype=bool)
    )[reads]
    counts = counts[reads]
    if not called.any() or not len(counts):
        return out
    depth = counts.sum(axis=1, keepdims=True)
    load = counts[:, called].sum(axis=1, keepdims=True)
    labels = None if groups is None else np.asarray(groups, dtype=object)[reads]
    for lo in range(0, counts.shape[1], BLOCK):
        block = counts[:, lo : lo + BLOCK]
        own = np.where(called[lo : lo + BLOCK], block, 0.0)
        out[lo : lo + BLOCK] = frequency_scores(
            block / depth, depth / (load - own + pseudo), labels
        )
    out[(counts[~control] > 0).sum(axis=0) < min_samples] = np.nan
    return out


def prevalence_scores(present: np.ndarray, neg: np.ndarray) -> np.ndarray:
    """Decontam's ``isContaminantPrevalence`` (method "auto") for every column.

    ``present``: samples x features presence; ``neg``: True/False/NaN per
    sample (NaN rows are left out of the 2x2 table, but count towards the
    "present in more than one sample" condition, as in R). R's one-sided
    ``prop.test`` (Yates), or Fisher's mid-p where an expected count is below
    5; a feature present in every sample scores 0.5.
    """
    from scipy import stats  # imported where used (0.5 s)

    present = np.asarray(present, dtype=bool)
    known = ~pd.isna(np.asarray(neg, dtype=object))
    negb = np.asarray(np.asarray(neg, dtype=object)[known], dtype=bool)
    pres = present[known]
    out = np.full(present.shape[1], np.nan)
    n, n_neg = len(negb), int(negb.sum())
    if n_neg == 0 or n_neg == n:
        return out
    a = pres[negb].sum(axis=0)  # present in negatives
    b = n_neg - a  # absent in negatives
    c = pres[~negb].sum(axis=0)  # present in samples
    d = (n - n_neg) - c  # absent in samples
    valid = present.sum(axis=0) > 1
    everywhere = valid & (b + d == 0)
    out[everywhere] = 0.5
    rest = valid & ~everywhere
    n1, n2 = float(n_neg), float(n - n_neg)
    pooled = (a + c) / n
    expected = np.stack(
        [n1 * pooled, n1 * (1 - pooled), n2 * pooled, n2 * (1 - pooled)]
    )
    small = rest & np.any(expected < 5, axis=0)  # R's "may be incorrect" warning
    # one-sided ("greater") Fisher p minus half the point probability
    dist = stats.hypergeom(n, (a + c)[small], n_neg)
    out[small] = dist.sf(a[small] - 1) - 0.5 * dist.pmf(a[small])
    chi = rest & ~small
    delta = a[chi] / n1 - c[chi] / n2
    yates = np.minimum(0.5, np.abs(delta) / (1 / n1 + 1 / n2))
    observed = np.stack([a[chi], b[chi], c[chi], d[chi]]).astype(float)
    e = expected[:, chi]
    chi2 = np.sum((np.abs(observed - e) - yates) ** 2 / e, axis=0)
    out[chi] = stats.norm.sf(np.sign(delta) * np.sqrt(chi2))
    return out


def prevalence_reach(n_controls: int, n_samples: int, threshold: float) -> int:
    """Return how many samples a feature in every control may be in and still be called.

    The prevalence test's power with these numbers, whatever the data: a
    feature present in all ``n_controls`` negative controls and in ``m`` of
    ``n_samples`` samples scores (:func:`prevalence_scores`) higher as ``m``
    grows; this is the largest ``m`` whose score is under ``threshold`` (the
    strict ``<`` of the calls), -1 when not even ``m = 0`` is. A reagent
    contaminant of low-biomass samples is in most of them, so with few
    controls the prevalence test alone cannot call it.
    """
    m = np.arange(n_samples + 1)
    present = np.zeros((n_controls + n_samples, n_samples + 1), dtype=bool)
    present[:n_controls] = True
    present[n_controls:] = np.arange(n_samples)[:, None] < m[None, :]
    neg = np.r_[np.ones(n_controls, bool), np.zeros(n_samples, bool)]
    called = m[prevalence_scores(present, neg) < threshold]
    return int(called.max()) if len(called) else -1


def prevalence_score(present: np.ndarray, neg: np.ndarray) -> float:
    """:func:`prevalence_scores` for one feature."""
    return float(prevalence_scores(np.asarray(present)[:, None], neg)[0])


def _combine_batches(p: np.ndarray, how: str) -> np.ndarray:
    """Features x batches -> features, as decontam's ``batch.combine``."""
    from scipy import stats  # imported where used (0.5 s)

    if p.shape[1] == 1:
        return p[:, 0]
    if how == "minimum":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanmin(p, axis=1)  # all-NaN stays NaN
    if how == "product":
        return np.nanprod(p, axis=1)  # all-NaN gives 1, as R's prod(na.rm=TRUE)
    if how == "fisher":
        q = np.where(np.isnan(p), 0.5, p)
        return stats.chi2.sf(-2 * np.log(q).sum(axis=1), 2 * p.shape[1])
    raise ValueError(f"batch_combine must be one of {BATCH_COMBINE}, got {how!r}")


def split_threshold(threshold: float | tuple[float, float]) -> tuple[float, float]:
    """(frequency, prevalence) thresholds; one value serves both, as in R."""
    t = np.atleast_1d(np.asarray(threshold, dtype=float))
    if t.size not in (1, 2):
        raise ValueError(f"threshold must be one or two numbers, got {threshold!r}")
    return (float(t[0]), float(t[0])) if t.size == 1 else (float(t[0]), float(t[1]))


def call_contaminants(
    p_freq: np.ndarray,
    p_prev: np.ndarray,
    *,
    method: str,
    threshold: float | tuple[float, float],
) -> tuple[np.ndarray, np.ndarray]:
    """Decontam's score ``p`` and call for one method, from both scores.

    ``combined`` is Fisher's method (df 4); ``minimum`` is R's ``pmin`` (NA if
    either is NA); ``either``/``both`` compare each score with its own
    threshold and have no single score (NA). Calls use a strict ``<`` and an
    NA score never calls (R's three-valued logic, NA -> FALSE).
    """
    from scipy import stats  # imported where used (0.5 s)

    p_freq = np.asarray(p_freq, dtype=float)
    p_prev = np.asarray(p_prev, dtype=float)
    t_freq, t_prev = split_threshold(threshold)
    if method == "frequency":
        p = p_freq
    elif method == "prevalence":
        p = p_prev
    elif method == "combined":
        with np.errstate(divide="ignore"):
            p = stats.chi2.sf(-2 * np.log(p_freq * p_prev), 4)
    elif method == "minimum":
        p = np.minimum(p_freq, p_prev)  # NaN if either is NaN, as R's pmin
    elif method in ("either", "both"):
        p = np.full(p_freq.shape, np.nan)
    else:
        raise ValueError(f"method must be one of {METHODS[1:]}, got {method!r}")
    if method == "either":
        call = (p_freq < t_freq) | (p_prev < t_prev)  # NaN < t is False
    elif method == "both":
        call = (p_freq < t_freq) & (p_prev < t_prev)
    else:
        call = p < t_freq
    return p, np.asarray(call, dtype=bool)


def is_contaminant(
    counts: pd.DataFrame,
    *,
    conc: pd.Series | None = None,
    neg: pd.Series | None = None,
    method: str = "auto",
    batch: pd.Series | None = None,
    batch_combine: str = "minimum",
    threshold: float | tuple[float, float] = 0.1,
    normalize: bool = True,
) -> pd.DataFrame:
    """Call contaminants as R decontam's ``isContaminant``.

    R ``isContaminant(seqtab, conc, neg, method, batch, batch.combine,
    threshold, normalize, detailed = TRUE)``.

    Parameters
    ----------
    counts
        Samples x features (decontam's orientation).
    conc
        DNA concentration per sample (> 0); for frequency-based methods.
    neg
        True for negative controls (NaN: left out of the prevalence test).
    threshold
        One value, or (frequency, prevalence) for ``either``/``both``.

    Returns
    -------
    pandas.DataFrame
        Per feature: ``freq`` (mean proportion), ``prev`` (samples present),
        ``p.freq``, ``p.prev``, ``p`` and ``contaminant``.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if method == "auto":
        method = (
            "combined"
            if conc is not None and neg is not None
            else "frequency"
            if conc is not None
            else "prevalence"
        )
    totals = counts.sum(axis=1)
    counts = counts.loc[totals > 0]
    values = counts.to_numpy(dtype=float)
    if normalize:
        values = values / values.sum(axis=1, keepdims=True)
    ids = counts.index
    n_samples, n_features = values.shape
    negv = (
        np.zeros(n_samples, dtype=object)
        if neg is None
        else neg.reindex(ids).to_numpy(dtype=object)
    )
    if neg is None:
        negv[:] = False
    batches = (
        np.zeros(n_samples, dtype=object)
        if batch is None
        else batch.reindex(ids).astype(str).to_numpy(dtype=object)
    )
    levels = list(pd.unique(batches))
    for lev in levels:
        if int(np.sum(batches == lev)) <= 1:
            raise ValueError(
                f"batch {lev!r} has a single sample; merge it with another batch"
            )
    needs_freq = method in ("frequency", "combined", "minimum", "either", "both")
    needs_prev = method in ("prevalence", "combined", "minimum", "either", "both")
    p_freq = np.full(n_features, np.nan)
    p_prev = np.full(n_features, np.nan)
    if needs_freq:
        if conc is None:
            raise ValueError(f"method {method!r} needs DNA concentrations")
        concv = conc.reindex(ids).to_numpy(dtype=float)
        notneg = np.array([v is False or v == 0 for v in negv])
        # R requires every concentration > 0; only the fitted (non-control)
        # samples use theirs, so blanks below detection are allowed here.
        bad = [s for s, c, u in zip(ids, concv, notneg, strict=True) if u and not c > 0]
        if bad:
            raise ValueError(
                f"missing or non-positive DNA concentration for {len(bad)} samples "
                f"({', '.join(bad[:5])}); measure them or use the prevalence method"
            )
        per = np.full((n_features, len(levels)), np.nan)
        for k, lev in enumerate(levels):
            rows = (batches == lev) & notneg
            per[:, k] = frequency_scores(values[rows], concv[rows])
        p_freq = _combine_batches(per, batch_combine)
    if needs_prev:
        if neg is None or not any(v is True or v == 1 for v in negv):
            raise ValueError(
                f"method {method!r} needs negative controls and no sample is one; "
                "mark the extraction blanks or use the frequency method"
            )
        negf = np.array([np.nan if pd.isna(v) else bool(v) for v in negv], dtype=object)
        per = np.full((n_features, len(levels)), np.nan)
        present = values > 0
        for k, lev in enumerate(levels):
            rows = batches == lev
            per[:, k] = prevalence_scores(present[rows], negf[rows])
        p_prev = _combine_batches(per, batch_combine)
    p, call = call_contaminants(p_freq, p_prev, method=method, threshold=threshold)
    return pd.DataFrame(
        {
            "freq": values.mean(axis=0),
            "prev": (values > 0).sum(axis=0),
            "p.freq": p_freq,
            "p.prev": p_prev,
            "p": p,
            "contaminant": np.asarray(call, dtype=bool),
        },
        index=counts.columns,
    )


def is_not_contaminant(
    counts: pd.DataFrame,
    *,
    neg: pd.Series,
    threshold: float = 0.5,
    batch: pd.Series | None = None,
    batch_combine: str = "minimum",
    normalize: bool = True,
) -> pd.DataFrame:
    """Call non-contaminants as R decontam's ``isNotContaminant``.

    R ``isNotContaminant(seqtab, neg, method = "prevalence", threshold,
    detailed = TRUE)``: p = 1 - p.prev; ``not.contaminant = p < threshold``.

    For low-biomass samples where most reads may be contaminants: it calls
    what is clearly *more* prevalent in samples than in controls.
    """
    df = is_contaminant(
        counts,
        neg=neg,
        method="prevalence",
        batch=batch,
        batch_combine=batch_combine,
        threshold=threshold,
        normalize=normalize,
    )
    df["p.prev"] = 1 - df["p.prev"]
    df["p"] = df["p.prev"]
    df = df.drop(columns="contaminant")
    df["not.contaminant"] = (df["p"] < threshold).to_numpy(dtype=bool)
    return df


def decontam_table(
    table: pd.DataFrame,
    metadata: pd.DataFrame,
    *,
    neg_column: str | None = None,
    neg_value: str = "negative_control",
    conc_column: str | None = None,
    batch_column: str | None = None,
    batch_combine: str = "minimum",
    method: str = "auto",
    threshold: float | tuple[float, float] = 0.1,
    not_contaminant: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """R decontam on a table and its metadata, as ``gutlung decontam`` runs it.

    Parameters
    ----------
    table
        Counts, features x samples.
    metadata
        Per-sample metadata, indexed by sample ID.
    neg_column, neg_value
        The column marking negative controls and its value for them.
    conc_column
        DNA concentration column (frequency method).
    batch_column, batch_combine
        Run or plate column, and how batches' p are combined.
    method, threshold
        As :func:`is_contaminant`.
    not_contaminant
        Run :func:`is_not_contaminant` instead and drop what it does not call
        not-contaminant.

    Returns
    -------
    tuple of DataFrame
        The per-feature evidence and call (index ``feature_id``), and the
        table without the dropped features and without the controls.

    Raises
    ------
    ValueError
        A named column is missing from the metadata.
    """
    md = metadata.reindex(table.columns)
    for col in (neg_column, conc_column, batch_column):
        if col and col not in md:
            raise ValueError(f"no column {col!r}; name one of its columns")
    neg = md[neg_column].astype(str) == neg_value if neg_column else None
    conc = pd.to_numeric(md[conc_column], errors="coerce") if conc_column else None
    batch = md[batch_column] if batch_column else None
    if not_contaminant:
        res = is_not_contaminant(
            table.T,
            neg=neg,
            threshold=threshold,
            batch=batch,
            batch_combine=batch_combine,
        )
        drop = ~res["not.contaminant"]
    else:
        res = is_contaminant(
            table.T,
            conc=conc,
            neg=neg,
            method=method,
            batch=batch,
            batch_combine=batch_combine,
            threshold=threshold,
        )
        drop = res["contaminant"]
    res = res.rename_axis("feature_id")
    clean = table.loc[~table.index.isin(res.index[drop])]
    if neg is not None:
        clean = clean.loc[:, ~neg.reindex(clean.columns).fillna(False).to_numpy(bool)]
    return res, clean
