"""The claims' model layer against R: stored fits on public data
(tests/data/peers/stats) and live runs of R's glm, coxph, t.test,
wilcox.test, kruskal.test and cor.test on simulated data."""

import json
import math
import subprocess

import numpy as np
import pandas as pd
import pytest
from conftest import PEERS, needs_r

from gutlung_pipeline.claims.models import (
    NotTestable,
    cox_landmark,
    kruskal,
    logistic,
    logistic_interaction,
    mann_whitney,
    spearman,
)

STATS = PEERS / "stats"


def test_logistic_interaction_matches_r_glm_on_birthwt():
    """R: glm(low ~ lwt * smoke + age, binomial, MASS::birthwt)."""
    bw = pd.read_csv(STATS / "birthwt.tsv", sep="\t")
    ref = pd.read_csv(STATS / "R_glm_birthwt_interaction.tsv", sep="\t", index_col=0)
    est = logistic_interaction(
        bw, outcome="low", exposure="lwt", modifier="smoke", covariates=["age"]
    )
    b = ref["Estimate"]
    # the stratum OR is exp(b_lwt + b_lwt:smoke), the other exp(b_lwt)
    assert est.estimate == pytest.approx(math.exp(b["lwt"] + b["lwt:smoke1"]), rel=1e-6)
    assert est.detail["or_other_stratum"] == pytest.approx(math.exp(b["lwt"]), rel=1e-6)
    # R stops iterating at epsilon 1e-8: SEs agree to 1e-4 (METHODS 4a), p to 1e-3
    assert est.detail["p_interaction_wald"] == pytest.approx(
        ref.loc["lwt:smoke1", "Pr(>|z|)"], rel=1e-3
    )
    assert (est.n, est.n_events, est.detail["n_stratum"]) == (189, 59, 74)


def test_cox_matches_r_coxph_on_rossi():
    """R: coxph(Surv(week, arrest) ~ fin + age + race + wexp + mar + paro +
    prio, ties = "efron"); a landmark at 0 is the plain model."""
    rossi = pd.read_csv(STATS / "rossi.tsv", sep="\t").assign(start=0)
    ref = pd.read_csv(STATS / "R_coxph_rossi.tsv", sep="\t", index_col=0)
    covs = ["age", "race", "wexp", "mar", "paro", "prio"]
    est = cox_landmark(
        rossi,
        time="week",
        event="arrest",
        exposure="fin",
        landmark="start",
        covariates=covs,
    )
    assert est.estimate == pytest.approx(ref.loc["fin", "exp(coef)"], rel=1e-6)
    assert est.p == pytest.approx(ref.loc["fin", "Pr(>|z|)"], rel=1e-6)
    se = ref.loc["fin", "se(coef)"]
    assert est.ci_low == pytest.approx(
        math.exp(ref.loc["fin", "coef"] - 1.959963985 * se), rel=1e-6
    )


def cohort(seed=0, n=300):
    rng = np.random.default_rng(seed)
    d = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "m": (rng.random(n) < 0.4).astype(int),
            "age": rng.uniform(0, 10, n),
        }
    )
    logit = -1 + 0.2 * d["x"] + 0.7 * d["x"] * d["m"] + 0.3 * d["m"]
    d["y"] = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    d["t"] = rng.exponential(20 / np.exp(0.5 * d["x"])) + d["age"]
    d["e"] = (rng.random(n) < 0.7).astype(int)
    d["v"] = rng.normal(3 - 0.5 * d["y"], 1.0)
    d["g"] = rng.integers(1, 5, n)
    return d


def run_r(script: str, data: pd.DataFrame, tmp_path) -> dict:
    path = tmp_path / "d.tsv"
    data.to_csv(path, sep="\t", index=False)
    out = tmp_path / "out.json"
    full = (
        f'd <- read.delim("{path}")\n{script}\n'
        f'writeLines(paste0("{{", paste(sprintf(\'"%s": %.17g\', names(r), r), '
        f'collapse = ", "), "}}"), "{out}")'
    )
    subprocess.run(["Rscript", "-e", full], check=True, capture_output=True)
    return json.loads(out.read_text())


@needs_r("survival")
def test_live_r_peers(tmp_path):
    d = cohort()
    r = run_r(
        """
        f <- glm(y ~ x * m + age, binomial, d)
        b <- coef(f); V <- vcov(f)
        s <- b["x"] + b["x:m"]; se <- sqrt(V["x","x"] + V["x:m","x:m"] + 2*V["x","x:m"])
        f0 <- glm(y ~ x + age, binomial, d)
        library(survival)
        d$fu <- d$t - d$age
        cx <- summary(coxph(Surv(fu, e) ~ x, d, ties = "efron"))$conf.int
        tt <- t.test(d$v[d$y == 1], d$v[d$y == 0])
        w <- wilcox.test(d$v[d$y == 1], d$v[d$y == 0], exact = FALSE, correct = TRUE,
                         conf.int = TRUE)
        k <- kruskal.test(v ~ g, d)
        sp <- cor.test(d$x, d$v, method = "spearman", exact = FALSE)
        s <- unname(s); se <- unname(se)
        r <- c(or = exp(s), lo = exp(s - qnorm(.975) * se), hi = exp(s + qnorm(.975) * se),
               or0 = exp(unname(coef(f0)["x"])), lo0 = exp(confint.default(f0)["x", 1]),
               hr = cx[1, 1], hrlo = cx[1, 3], hrhi = cx[1, 4],
               tdiff = unname(tt$estimate[1] - tt$estimate[2]), tlo = tt$conf.int[1],
               thi = tt$conf.int[2], wp = w$p.value, west = unname(w$estimate),
               wlo = w$conf.int[1], whi = w$conf.int[2], kh = unname(k$statistic),
               kp = k$p.value, rho = unname(sp$estimate), rp = sp$p.value)
        """,
        d,
        tmp_path,
    )
    est = logistic_interaction(
        d, outcome="y", exposure="x", modifier="m", covariates=["age"]
    )
    assert est.estimate == pytest.approx(r["or"], rel=1e-6)
    assert (est.ci_low, est.ci_high) == pytest.approx((r["lo"], r["hi"]), rel=1e-5)
    est = logistic(d, outcome="y", exposure="x", covariates=["age"])
    assert est.estimate == pytest.approx(r["or0"], rel=1e-6)
    assert est.ci_low == pytest.approx(r["lo0"], rel=1e-5)
    d0 = d.assign(start=d["age"])
    est = cox_landmark(d0, time="t", event="e", exposure="x", landmark="start")
    assert (est.estimate, est.ci_low, est.ci_high) == pytest.approx(
        (r["hr"], r["hrlo"], r["hrhi"]), rel=1e-6
    )
    est = mann_whitney(d, value="v", group="y")
    # R finds the shift and limits with uniroot(tol = 1e-4)
    assert (est.estimate, est.ci_low, est.ci_high) == pytest.approx(
        (r["west"], r["wlo"], r["whi"]), abs=2e-4
    )
    assert est.p == pytest.approx(r["wp"], rel=1e-9)
    assert est.detail["mean_difference"] == pytest.approx(r["tdiff"], rel=1e-9)
    assert est.detail["mean_difference_ci"] == pytest.approx(
        (r["tlo"], r["thi"]), rel=1e-9
    )
    est = kruskal(d, value="v", group="g")
    assert est.detail["h"] == pytest.approx(r["kh"], rel=1e-9)
    assert est.p == pytest.approx(r["kp"], rel=1e-9)
    est = spearman(d, x="x", y="v")
    assert (est.estimate, est.p) == pytest.approx((r["rho"], r["rp"]), rel=1e-9)


def test_landmark_drops_subjects_with_the_event_before_sampling():
    d = pd.DataFrame(
        {
            "t": [5, 20, 30, 40, 50, 60, 70, 80],
            "e": [1, 1, 0, 1, 1, 0, 1, 1],
            "x": [0.1, 0.5, -1, 2, 0.3, -0.2, 1.1, 0.8],
            "s": [10] * 8,
        }
    )
    est = cox_landmark(d, time="t", event="e", exposure="x", landmark="s")
    assert est.n == 7 and est.n_events == 5


def test_not_testable_reasons():
    d = cohort(1, n=40)
    d.loc[:, "y"] = 0
    d.loc[:1, "y"] = 1
    with pytest.raises(NotTestable, match="2 y events and 38 non-events"):
        logistic(d, outcome="y", exposure="x")
    with pytest.raises(NotTestable, match="2 samples with y and 38 without"):
        mann_whitney(d, value="v", group="y")
    sep = pd.DataFrame({"y": [0] * 10 + [1] * 10, "x": np.arange(20.0)})
    with pytest.raises(NotTestable, match="cannot be fitted|did not converge"):
        logistic(sep, outcome="y", exposure="x")
