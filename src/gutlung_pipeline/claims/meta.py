"""Random-effects meta-analysis of one claim across studies.

DerSimonian-Laird, written here because statsmodels' ``combine_effects``
(0.15, ``method_re="dl"``) leaves a negative tau² untruncated where Q < k - 1,
which shrinks the pooled SE below the fixed-effect one. Ratios (odds and
hazard ratios) are pooled on the log scale; each study's SE comes from its
95% CI. Matches R's ``metafor::rma(method = "DL")`` (tested live).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

Z95 = stats.norm.ppf(0.975)


def dersimonian_laird(y: np.ndarray, se: np.ndarray) -> dict:
    """Pool effects by DerSimonian-Laird random-effects meta-analysis.

    Pooled effect of ``y`` (with standard errors ``se``): estimate, se,
    ci_low, ci_high, p (z test), tau2, i2 (%), q, k.
    """
    y, v = np.asarray(y, float), np.asarray(se, float) ** 2
    k = len(y)
    w = 1 / v
    fixed = np.sum(w * y) / np.sum(w)
    q = float(np.sum(w * (y - fixed) ** 2))
    c = np.sum(w) - np.sum(w**2) / np.sum(w)
    tau2 = max(0.0, (q - (k - 1)) / c) if k > 1 else 0.0
    wr = 1 / (v + tau2)
    est = float(np.sum(wr * y) / np.sum(wr))
    se_est = math.sqrt(1 / np.sum(wr))
    i2 = max(0.0, (q - (k - 1)) / q) * 100 if q > 0 else 0.0
    return {
        "estimate": est,
        "se": se_est,
        "ci_low": est - Z95 * se_est,
        "ci_high": est + Z95 * se_est,
        "p": float(2 * stats.norm.sf(abs(est / se_est))),
        "tau2": tau2,
        "i2": i2,
        "q": q,
        "k": k,
    }


def pool_claim(rows, *, ratio: bool) -> dict | None:
    """Pool the tested studies of one claim.

    Pool the tested studies of one claim (rows with estimate and CI);
    None with fewer than two. Results are on the claim's scale (ratios
    back-transformed).
    """
    rows = rows.dropna(subset=["estimate", "ci_low", "ci_high"])
    if len(rows) < 2:
        return None
    est, lo, hi = (rows[c].to_numpy(float) for c in ("estimate", "ci_low", "ci_high"))
    if ratio:
        est, lo, hi = np.log(est), np.log(lo), np.log(hi)
    res = dersimonian_laird(est, (hi - lo) / (2 * Z95))
    if ratio:
        for key in ("estimate", "ci_low", "ci_high"):
            res[key] = math.exp(res[key])
    return res
