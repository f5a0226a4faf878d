"""Power to detect a claim's published effect at a planned sample size.

``gutlung power --claim ID --n 100 200 400`` simulates datasets of each size
under the published effect (or ``effect``), tests each with the claim's own
model, and reports the share of datasets significant (p < alpha) in the
published direction, with a 95% binomial CI. The design is stated, not
guessed: the exposure is standard normal (per SD; ``exposure_sd`` otherwise),
``event_rate`` of outcomes, ``modifier_share`` in the modifier's stratum,
``group_share`` of samples (subjects, for mixed models) in the exposed group
and ``sd`` of the outcome for group comparisons. Spearman claims plan for a
correlation (``effect`` is rho; bivariate normal). Mixed-model claims plan for
``n`` subjects of ``per_subject`` samples each, the outcome's SD split between
subjects and samples by ``icc`` (the share between subjects).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from . import models
from .models import NotTestable
from .verdict import ALPHA, simulate_power

POWER_MODELS = ("logistic", "logistic_interaction", "mann_whitney", "spearman", "mixed")


def logistic_trial(rng, x, m, *, b0: float, odds_ratio: float, model: str):
    """Simulate one outcome and test it with the claim's logistic model.

    One simulated outcome for exposures ``x`` (effect only where ``m`` is
    1), tested with the claim's logistic model: (p, right direction), or None
    where the model cannot run.
    """
    beta = math.log(odds_ratio)
    y = (rng.random(len(x)) < 1 / (1 + np.exp(-(b0 + beta * x * m)))).astype(float)
    d = pd.DataFrame({"y": y, "x": x, "m": m})
    try:
        if model == "logistic":
            e = models.logistic(d, outcome="y", exposure="x")
        else:
            e = models.logistic_interaction(d, outcome="y", exposure="x", modifier="m")
    except NotTestable:
        return None
    return e.p, (e.estimate > 1) == (odds_ratio > 1)


def shift_trial(rng, n_a: int, n_b: int, *, shift: float, sd: float):
    """Simulate two shifted normal groups and test them by Mann-Whitney.

    Two normal groups ``shift`` apart, tested by Mann-Whitney: (p, right
    direction).
    """
    a, b = rng.normal(shift, sd, n_a), rng.normal(0, sd, n_b)
    p = stats.mannwhitneyu(a, b, method="asymptotic").pvalue
    return p, (np.median(a) - np.median(b) > 0) == (shift > 0)


def spearman_trial(rng, n: int, *, rho: float):
    """Simulate correlated pairs and test them by Spearman.

    ``n`` bivariate normal pairs whose Spearman correlation is ``rho``
    (Pearson r = 2 sin(pi rho / 6)), tested by Spearman: (p, right
    direction).
    """
    r = 2 * math.sin(math.pi * rho / 6)
    a, b = rng.multivariate_normal([0, 0], [[1, r], [r, 1]], n).T
    res = stats.spearmanr(a, b)
    return res.pvalue, (res.statistic > 0) == (rho > 0)


def planned_power(
    claim: dict,
    n: int,
    *,
    effect: float | None = None,
    event_rate: float = 0.25,
    modifier_share: float = 0.3,
    group_share: float = 0.3,
    sd: float = 1.0,
    exposure_sd: float = 1.0,
    per_subject: int = 2,
    icc: float = 0.5,
    reps: int = 500,
    random_state: int = 0,
) -> dict:
    """Simulate the power of one claim's test at ``n`` (see the module docstring).

    Returns n, effect, power and its 95% Clopper-Pearson interval.
    """
    model = claim["model"]
    value = claim["published"].get("value") if effect is None else effect
    if model not in POWER_MODELS:
        raise ValueError(
            f"claim {claim['id']}: power is simulated for {', '.join(POWER_MODELS)} "
            f"claims, not {model}"
        )
    if value is None:
        raise ValueError(
            f"claim {claim['id']} publishes a direction only; give the effect to "
            "plan for (--effect)"
        )
    if model in ("logistic", "logistic_interaction"):
        if not value > 0:
            raise ValueError(f"an odds ratio must be positive, got {value}")
        b0 = math.log(event_rate / (1 - event_rate))

        def one(rng):
            x = rng.normal(0, exposure_sd, n)
            m = (
                (rng.random(n) < modifier_share).astype(float)
                if model == "logistic_interaction"
                else np.ones(n)
            )
            return logistic_trial(rng, x, m, b0=b0, odds_ratio=value, model=model)

    elif model == "spearman":
        if not -1 < value < 1:
            raise ValueError(f"a correlation must be within (-1, 1), got {value}")

        def one(rng):
            return spearman_trial(rng, n, rho=value)

    elif model == "mixed":
        if per_subject < 1 or not 0 <= icc < 1:
            raise ValueError("per_subject must be >= 1 and icc within [0, 1)")
        sd_subject, sd_sample = sd * math.sqrt(icc), sd * math.sqrt(1 - icc)

        def one(rng):
            g = (rng.random(n) < group_share).astype(float)
            if g.sum() < 3 or n - g.sum() < 3:
                return None
            level = rng.normal(0, sd_subject, n) + value * g
            d = pd.DataFrame(
                {
                    "y": np.repeat(level, per_subject)
                    + rng.normal(0, sd_sample, n * per_subject),
                    "g": np.repeat(g, per_subject),
                    "s": np.repeat(np.arange(n), per_subject),
                }
            )
            try:
                e = models.mixed(d, value="y", group="g", subject="s")
            except NotTestable:
                return None
            return e.p, (e.estimate > 0) == (value > 0)

    else:

        def one(rng):
            g = rng.random(n) < group_share
            if g.sum() < 2 or (~g).sum() < 2:
                return None
            return shift_trial(rng, int(g.sum()), int((~g).sum()), shift=value, sd=sd)

    power = simulate_power(one, reps=reps, random_state=random_state, alpha=ALPHA)
    hits = round(power * reps)
    ci = stats.binomtest(hits, reps).proportion_ci(0.95, method="exact")
    return {
        "claim_id": claim["id"],
        "n": n,
        "effect": value,
        "power": power,
        "ci_low": ci.low,
        "ci_high": ci.high,
        "reps": reps,
    }
