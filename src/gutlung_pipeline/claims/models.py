"""The models that re-test a claim, each returning one :class:`Estimate`.

Thin layers over statsmodels (logistic regression, with an interaction and
the stratum-specific odds ratio), lifelines (Cox regression from a landmark),
scipy (Mann-Whitney with Welch's mean difference, Kruskal-Wallis, Spearman),
statsmodels' MixedLM (repeated samples per subject, through the statistics
layer's fit) and the package's own adonis2 and ANCOM-BC layers. A model that
cannot run on the data raises :class:`NotTestable` with the reason, which the
claims table shows instead of a result.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats


class NotTestable(Exception):
    """The data cannot test the claim; the message says why."""


@dataclass
class Estimate:
    """One claim's result on its published scale."""

    n: int
    estimate: float
    ci_low: float
    ci_high: float
    p: float
    scale: str
    null: float  #: the estimate's value under no effect (1 for ratios, 0 else)
    n_events: int | None = None
    detail: dict = field(default_factory=dict)


def _binary_counts(
    y: pd.Series, *, min_events: int, what: str, censored_ok: bool = False
) -> int:
    """Check that a binary outcome has enough events to model.

    Events in ``y`` (0/1); too few events (or non-events, unless they are
    censored follow-up) cannot be modelled.
    """
    events = int(y.sum())
    if events < min_events or (not censored_ok and len(y) - events < min_events):
        raise NotTestable(
            f"{events} {what} events and {len(y) - events} non-events; at least "
            f"{min_events} of each are needed"
        )
    return events


def _fit_logit(formula: str, data: pd.DataFrame):
    import statsmodels.formula.api as smf
    from statsmodels.tools.sm_exceptions import (
        ConvergenceWarning,
        PerfectSeparationWarning,
    )

    with warnings.catch_warnings():
        warnings.simplefilter("error", PerfectSeparationWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        try:
            res = smf.logit(formula, data).fit(disp=0, maxiter=100)
        except (PerfectSeparationWarning, np.linalg.LinAlgError) as err:
            raise NotTestable(f"the logistic model cannot be fitted ({err})") from err
    if not res.mle_retvals.get("converged", True):
        raise NotTestable("the logistic model did not converge (separation?)")
    return res


def _terms(covariates) -> str:
    return "".join(f" + Q('{c}')" for c in covariates)


def logistic(
    data: pd.DataFrame, *, outcome: str, exposure: str, covariates=(), min_events=3
) -> Estimate:
    """Odds ratio of ``outcome`` (0/1) per unit of ``exposure``; Wald CI and p.

    statsmodels ``logit('y ~ x + covariates')`` (R's ``glm(binomial)``).
    """
    d = data[[outcome, exposure, *covariates]].dropna()
    events = _binary_counts(d[outcome], min_events=min_events, what=outcome)
    res = _fit_logit(f"Q('{outcome}') ~ Q('{exposure}'){_terms(covariates)}", d)
    term = f"Q('{exposure}')"
    lo, hi = res.conf_int().loc[term]
    return Estimate(
        n=len(d),
        estimate=math.exp(res.params[term]),
        ci_low=math.exp(lo),
        ci_high=math.exp(hi),
        p=float(res.pvalues[term]),
        scale="odds ratio",
        null=1.0,
        n_events=events,
    )


def logistic_interaction(
    data: pd.DataFrame,
    *,
    outcome: str,
    exposure: str,
    modifier: str,
    covariates=(),
    min_events=3,
) -> Estimate:
    """Odds ratio per unit of ``exposure`` where ``modifier`` (0/1) is 1.

    ``logit('y ~ x * m + covariates')``: the stratum OR is exp(b_x + b_x:m),
    its CI from the Wald test of that sum (statsmodels ``t_test``, using the
    covariance of the two coefficients). ``detail`` holds the OR where the
    modifier is 0, the interaction's Wald p and its likelihood-ratio p
    against the model without it.
    """
    d = data[[outcome, exposure, modifier, *covariates]].dropna()
    events = _binary_counts(d[outcome], min_events=min_events, what=outcome)
    in_stratum = d[d[modifier] == 1]
    stratum_events = _binary_counts(
        in_stratum[outcome], min_events=min_events, what=f"{outcome} ({modifier})"
    )
    x, m = f"Q('{exposure}')", f"Q('{modifier}')"
    rhs = f"{x} * {m}{_terms(covariates)}"
    res = _fit_logit(f"Q('{outcome}') ~ {rhs}", d)
    inter = f"{x}:{m}"
    test = res.t_test(f"{x} + {inter} = 0")
    b = float(np.squeeze(test.effect))
    lo, hi = np.squeeze(test.conf_int())
    reduced = _fit_logit(f"Q('{outcome}') ~ {x} + {m}{_terms(covariates)}", d)
    lr = 2 * (res.llf - reduced.llf)
    olo, ohi = res.conf_int().loc[x]
    return Estimate(
        n=len(d),
        estimate=math.exp(b),
        ci_low=math.exp(lo),
        ci_high=math.exp(hi),
        p=float(np.squeeze(test.pvalue)),
        scale="odds ratio",
        null=1.0,
        n_events=events,
        detail={
            "n_stratum": len(in_stratum),
            "n_events_stratum": stratum_events,
            "or_other_stratum": math.exp(res.params[x]),
            "or_other_stratum_ci": (math.exp(olo), math.exp(ohi)),
            "p_interaction_wald": float(res.pvalues[inter]),
            "p_interaction_lr": float(stats.chi2.sf(lr, 1)),
        },
    )


def cox_landmark(
    data: pd.DataFrame,
    *,
    time: str,
    event: str,
    exposure: str,
    landmark: str,
    covariates=(),
    min_events=3,
) -> Estimate:
    """Hazard ratio per unit of ``exposure`` from a landmark at sampling.

    Follow-up starts at each subject's sampling age (``landmark``); subjects
    with the event or censored before it are left out (no immortal time).
    lifelines ``CoxPHFitter`` (Breslow baseline, Efron ties, as R's coxph).
    """
    from lifelines import CoxPHFitter

    d = data[[time, event, exposure, landmark, *covariates]].dropna()
    d = d[d[time] > d[landmark]].copy()
    d["_followup"] = d[time] - d[landmark]
    events = _binary_counts(
        d[event], min_events=min_events, what=event, censored_ok=True
    )
    cph = CoxPHFitter()
    cph.fit(d[["_followup", event, exposure, *covariates]], "_followup", event)
    row = cph.summary.loc[exposure]
    return Estimate(
        n=len(d),
        estimate=float(row["exp(coef)"]),
        ci_low=float(row["exp(coef) lower 95%"]),
        ci_high=float(row["exp(coef) upper 95%"]),
        p=float(row["p"]),
        scale="hazard ratio",
        null=1.0,
        n_events=events,
    )


def _wilcoxon_shift(a: np.ndarray, b: np.ndarray, *, level: float = 0.95):
    """Estimate the location shift of ``a`` against ``b`` with its CI.

    Location shift of ``a`` against ``b`` and its CI, as R's
    ``wilcox.test(a, b, conf.int = TRUE, exact = FALSE, correct = TRUE)``:
    the shifts d at which the continuity-corrected normal statistic of the
    rank-sum test of a - d against b is 0 (the estimate) or -+z (the limits),
    found by Brent's method. The CI is the inversion of the test, so it
    excludes 0 exactly when p < 1 - level (up to the root tolerance).
    """
    from scipy.optimize import brentq

    nx, ny = len(a), len(b)

    def wdiff(d: float, zq: float) -> float:
        ranks = stats.rankdata(np.concatenate([a - d, b]))
        dz = ranks[:nx].sum() - nx * (nx + 1) / 2 - nx * ny / 2
        _, ties = np.unique(ranks, return_counts=True)
        sigma = math.sqrt(
            (nx * ny / 12)
            * ((nx + ny + 1) - np.sum(ties**3 - ties) / ((nx + ny) * (nx + ny - 1)))
        )
        return (dz - np.sign(dz) * 0.5) / sigma - zq

    lo_d, hi_d = a.min() - b.max(), a.max() - b.min()

    def root(zq: float) -> float:
        f_lo, f_hi = wdiff(lo_d, zq), wdiff(hi_d, zq)
        if f_lo <= 0:
            return lo_d
        if f_hi >= 0:
            return hi_d
        return brentq(wdiff, lo_d, hi_d, args=(zq,), xtol=1e-10)

    z = stats.norm.ppf(1 - (1 - level) / 2)
    return root(0.0), root(z), root(-z)


def mann_whitney(
    data: pd.DataFrame, *, value: str, group: str, min_per_group=3
) -> Estimate:
    """Test a location shift between two groups by Mann-Whitney.

    Mann-Whitney: the location shift of ``value``, group 1 against group 0,
    with its 95% CI and two-sided p, all from the one rank-sum test (R's
    ``wilcox.test(conf.int = TRUE, exact = FALSE)``; scipy for p).
    ``detail`` adds the difference in means with Welch's CI.
    """
    d = data[[value, group]].dropna()
    a = d.loc[d[group] == 1, value].to_numpy(float)
    b = d.loc[d[group] == 0, value].to_numpy(float)
    if min(len(a), len(b)) < min_per_group:
        raise NotTestable(
            f"{len(a)} samples with {group} and {len(b)} without; at least "
            f"{min_per_group} of each are needed"
        )
    shift, lo, hi = _wilcoxon_shift(a, b)
    mw = stats.mannwhitneyu(a, b, alternative="two-sided", method="asymptotic")
    welch = stats.ttest_ind(a, b, equal_var=False)
    ci = welch.confidence_interval(0.95)
    return Estimate(
        n=len(d),
        estimate=float(shift),
        ci_low=float(lo),
        ci_high=float(hi),
        p=float(mw.pvalue),
        scale="location shift (Hodges-Lehmann)",
        null=0.0,
        n_events=len(a),
        detail={
            "mean_difference": float(a.mean() - b.mean()),
            "mean_difference_ci": (float(ci.low), float(ci.high)),
            "p_welch": float(welch.pvalue),
            "u": float(mw.statistic),
        },
    )


def kruskal(data: pd.DataFrame, *, value: str, group: str, min_per_group=2) -> Estimate:
    """Test ``group`` by Kruskal-Wallis; estimate epsilon-squared.

    Kruskal-Wallis across the levels of ``group``; the estimate is
    epsilon-squared, (H - k + 1) / (n - k), the share of rank variance between
    groups (0 = none).
    """
    d = data[[value, group]].dropna()
    groups = [g[value].to_numpy(float) for _, g in d.groupby(group, sort=True)]
    groups = [g for g in groups if len(g) >= min_per_group]
    if len(groups) < 2:
        raise NotTestable(f"fewer than two {group} levels with {min_per_group} samples")
    h, p = stats.kruskal(*groups)
    n, k = sum(map(len, groups)), len(groups)
    return Estimate(
        n=n,
        estimate=float(max(0.0, (h - k + 1) / (n - k))),
        ci_low=np.nan,
        ci_high=np.nan,
        p=float(p),
        scale="epsilon-squared",
        null=0.0,
        detail={"h": float(h), "groups": k},
    )


def spearman(data: pd.DataFrame, *, x: str, y: str, min_n=5) -> Estimate:
    """Spearman's rho with a Fisher-z 95% CI (SE 1.03 / sqrt(n - 3))."""
    d = data[[x, y]].dropna()
    if len(d) < min_n:
        raise NotTestable(f"{len(d)} samples; at least {min_n} are needed")
    rho, p = stats.spearmanr(d[x], d[y])
    z, se = np.arctanh(np.clip(rho, -0.999999, 0.999999)), 1.03 / math.sqrt(len(d) - 3)
    return Estimate(
        n=len(d),
        estimate=float(rho),
        ci_low=float(np.tanh(z - 1.96 * se)),
        ci_high=float(np.tanh(z + 1.96 * se)),
        p=float(p),
        scale="Spearman rho",
        null=0.0,
    )


def mixed(
    data: pd.DataFrame,
    *,
    value: str,
    group: str,
    subject: str,
    covariates=(),
    min_subjects: int = 3,
) -> Estimate:
    """Fit a linear mixed model with a random intercept per subject.

    Linear mixed model ``value ~ group + covariates + (1 | subject)`` (REML,
    statsmodels MixedLM, fitted as the statistics layer fits its longitudinal
    models): the estimate is ``group``'s coefficient, the difference in
    ``value`` between group 1 and group 0 over all of a subject's samples, with
    its Wald 95% CI and p. ``n`` counts samples, ``n_events`` subjects in
    group 1; ``detail`` gives subjects, both variance components and whether
    the fit converged.
    """
    import statsmodels.formula.api as smf

    from ..stats import fit_mixed

    d = data[[value, group, subject, *covariates]].dropna()
    per_group = d.groupby(group)[subject].nunique()
    have, lack = int(per_group.get(1.0, 0)), int(per_group.get(0.0, 0))
    if min(have, lack) < min_subjects:
        raise NotTestable(
            f"{have} subjects with {group} and {lack} without; at least "
            f"{min_subjects} of each are needed"
        )
    formula = f"{value} ~ {group}{_terms(covariates)}"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = fit_mixed(smf.mixedlm(formula, d, groups=d[subject]))
    ci = fit.conf_int()
    boundary = any("boundary" in str(w.message) for w in caught)
    return Estimate(
        n=len(d),
        estimate=float(fit.fe_params[group]),
        ci_low=float(ci.loc[group, 0]),
        ci_high=float(ci.loc[group, 1]),
        p=float(fit.pvalues[group]),
        scale="difference (linear mixed model, random intercept per subject)",
        null=0.0,
        n_events=have,
        detail={
            "subjects": int(d[subject].nunique()),
            "var_subject": float(fit.cov_re.iloc[0, 0]),
            "var_residual": float(fit.scale),
            "converged": bool(fit.converged),
            **({"note": "subject variance on the boundary"} if boundary else {}),
        },
    )
