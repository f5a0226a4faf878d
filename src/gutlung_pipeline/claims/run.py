"""Test every claim of the catalogue on a study's data: ``claims.tsv``.

For each claim and each study (the sheet's ``study`` column) the claim's
population is selected (body site, ``where``, one sample per subject nearest
the target age where the unit is the subject), its exposure is taken from its
source (maturity scores, alpha diversity, SCFA-producer indices, a sheet
column, genus counts, a distance matrix) and scaled as published, and the
claim's model runs. Claims whose columns or sources are missing are kept,
with the reason.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from . import models
from .models import Estimate, NotTestable
from .power import logistic_trial, shift_trial, spearman_trial
from .verdict import bh_within, simulate_power, verdict

DAYS_PER_MONTH = 30.4375
COLUMNS = [
    "claim_id",
    "study",
    "family",
    "model",
    "covariates",
    "n",
    "n_events",
    "stratum",
    "n_stratum",
    "n_events_stratum",
    "estimate",
    "ci_low",
    "ci_high",
    "scale",
    "null",
    "p",
    "q",
    "power",
    "published",
    "published_value",
    "published_ci_low",
    "published_ci_high",
    "expected",
    "verdict",
    "reason",
    "detail",
    "evidence",
    "grade",
    "grade_basis",
    "link",
    "citation",
    "doi",
]
#: Evidence grades, weakest first (the catalogue's ``evidence``).
GRADES = ("mechanism_only", "single_association", "replicated_association")


def _population(claim: dict, sheet: pd.DataFrame) -> pd.DataFrame:
    from ..stats import select_samples

    pop = claim["population"]
    missing = [c for c in claim["needs"] if c not in sheet.columns]
    if missing:
        raise NotTestable(f"needs column {', '.join(missing)}, which the sheet lacks")
    md = sheet[sheet["body_site"] == pop["body_site"]]
    try:
        md = select_samples(md, pop.get("where"))
    except ValueError as err:
        raise NotTestable(str(err)) from err
    if md.empty:
        where = f" with {pop['where']}" if pop.get("where") else ""
        raise NotTestable(f"no {pop['body_site']} samples{where}")
    return md


def _one_per_subject(md: pd.DataFrame, target: float | None) -> pd.DataFrame:
    """Pick the sample nearest the target age per subject (earliest on ties)."""
    if target is None or "age_days" not in md.columns:
        return md.groupby("subject_id", sort=False).head(1)
    age = pd.to_numeric(md["age_days"], errors="coerce")
    order = md.assign(_gap=(age - target).abs(), _age=age).sort_values(
        ["subject_id", "_gap", "_age"], kind="stable"
    )
    return (
        order.groupby("subject_id", sort=False).head(1).drop(columns=["_gap", "_age"])
    )


def _exposure(claim, md, sources) -> pd.Series:
    exp = claim["exposure"]
    src, var = exp["source"], exp.get("variable")
    if src == "maturity":
        table = sources.get("maturity")
        if table is None:
            raise NotTestable("maturity scores are not computed; set maturity.enabled")
    elif src == "alpha":
        table = sources.get("alpha")
        if table is None:
            raise NotTestable("alpha diversity is not available")
    elif src == "scfa":
        table = sources.get("scfa")
        if table is None:
            raise NotTestable(
                "the SCFA-producer indices are not computed; set scfa.enabled"
            )
    else:  # column
        table = md
    if var not in table.columns:
        raise NotTestable(f"{src} has no {var}")
    x = pd.to_numeric(table[var].reindex(md.index), errors="coerce") * exp["sign"]
    if exp["scale"] == "per_month":
        x = x / DAYS_PER_MONTH
    return x


def _scale(x: pd.Series, how: str) -> pd.Series:
    """Put the exposure in the claim's units.

    The exposure in the claim's units: ``per_sd`` standardised,
    ``per_sd_rank`` Blom's rank-based inverse normal, (r - 3/8) / (n + 1/4)
    with average ranks for ties; otherwise as given.
    """
    if how == "per_sd_rank":
        if x.nunique() < 2:
            raise NotTestable("the exposure does not vary")
        r = x.rank(method="average")
        z = stats.norm.ppf((r - 0.375) / (len(x) + 0.25))
        return pd.Series(z / np.std(z, ddof=1), index=x.index)
    if how == "per_sd":
        sd = x.std(ddof=1)
        if not sd > 0:
            raise NotTestable("the exposure does not vary")
        return (x - x.mean()) / sd
    return x


def _outcome(claim, md) -> pd.Series:
    out = claim["outcome"]
    values = md[out["column"]]
    if out.get("groups"):
        lookup = {str(v): g for g, vals in out["groups"].items() for v in vals}
        values = values.map(lambda v: lookup.get(_text(v)))
    if claim["model"] in ("kruskal", "spearman"):
        return pd.to_numeric(values, errors="coerce")
    return _indicator(values, out["event"])


def _indicator(values: pd.Series, level) -> pd.Series:
    """Code a value as a 0/1 indicator of ``level``.

    1.0 where the value is ``level`` (compared as text), 0.0 elsewhere,
    NaN where missing.
    """
    return values.map(
        lambda v: np.nan if _missing(v) else float(_text(v) == str(level))
    )


def _text(v) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _missing(v) -> bool:
    return (
        v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA or v == ""
    )


def evaluate_claim(
    claim: dict,
    sheet: pd.DataFrame,
    sources: dict,
    *,
    permutations: int = 999,
    random_state: int = 0,
    power_reps: int = 200,
) -> tuple[Estimate, float]:
    """Run one claim on one study.

    Run one claim on one study; (estimate, power to detect the published
    effect, NaN where the claim gives none). Raises :class:`NotTestable`.
    """
    md = _population(claim, sheet)
    model = claim["model"]
    if claim["population"]["unit"] == "subject":
        md = _one_per_subject(md, claim["population"].get("target_age_days"))
    if model == "differential":
        return _differential(claim, md, sources, random_state=random_state), np.nan
    if model == "permanova":
        return _permanova(
            claim, md, sources, permutations=permutations, random_state=random_state
        ), np.nan
    # columns named as the user knows them, so the reasons read well
    out_col = claim["outcome"]["column"]
    x, y = "exposure", out_col if out_col != "exposure" else "outcome"
    d = pd.DataFrame(index=md.index)
    d[x] = _exposure(claim, md, sources)
    d = d.dropna(subset=[x])
    if d.empty:
        raise NotTestable(
            f"no sample of the population has {claim['exposure']['label']}"
        )
    md = md.loc[d.index]
    d[y] = _outcome(claim, md)
    covs = list(claim.get("covariates", []))
    for c in covs:
        d[c] = md[c]
    if model == "mixed":
        d["_subject"] = md["subject_id"]
    m = None
    if model == "logistic_interaction":
        mod = claim["modifier"]
        m = f"{mod['column']}={mod['level']}"
        d[m] = _indicator(md[mod["column"]], mod["level"])
    d = d.dropna()
    d[x] = _scale(d[x], claim["exposure"]["scale"])
    pub = claim["published"]
    if model == "logistic":
        est = models.logistic(d, outcome=y, exposure=x, covariates=covs)
    elif model == "logistic_interaction":
        est = models.logistic_interaction(
            d, outcome=y, exposure=x, modifier=m, covariates=covs
        )
    elif model == "mann_whitney":
        est = models.mann_whitney(d, value=x, group=y)
    elif model == "kruskal":
        est = models.kruskal(d, value=x, group=y)
    elif model == "spearman":
        est = models.spearman(d, x=x, y=y)
    elif model == "mixed":
        est = models.mixed(d, value=x, group=y, subject="_subject", covariates=covs)
    elif model == "cox":
        out = claim["outcome"]
        d["_time"] = pd.to_numeric(md[out["time_column"]], errors="coerce")
        d["_age"] = pd.to_numeric(md["age_days"], errors="coerce")
        est = models.cox_landmark(
            d.dropna(),
            time="_time",
            event=y,
            exposure=x,
            landmark="_age",
            covariates=covs,
        )
    else:  # pragma: no cover - the schema lists the models
        raise NotTestable(f"model {model} is not known")
    d = d.rename(columns={x: "x", y: "y", **({m: "m"} if m else {})})
    return est, _power(claim, d, pub, random_state=random_state, reps=power_reps)


def _power(claim, d, pub, *, random_state, reps) -> float:
    """Simulate the power at this design to detect the published effect.

    Power at this design to detect the published effect (or, for a claim of
    no difference, a moderate one); NaN for direction-only claims.
    """
    model = claim["model"]
    value = pub.get("value")
    want = claim["expected"]["direction"]
    if model == "kruskal" and want == "none":
        groups = d.groupby("y")["x"]
        sizes = groups.size().to_numpy()
        sd = float(d["x"].std(ddof=1)) or 1.0
        shifts = np.linspace(0, 0.5 * sd, len(sizes))  # 0.5 SD end to end

        def one(rng):
            samples = [rng.normal(s, sd, n) for s, n in zip(shifts, sizes, strict=True)]
            return stats.kruskal(*samples).pvalue, True

        return simulate_power(one, reps=reps, random_state=random_state)
    if model == "spearman" and (value is not None or want == "none"):
        rho = value if value is not None else 0.3  # a moderate correlation
        return simulate_power(
            lambda rng: spearman_trial(rng, len(d), rho=rho),
            reps=reps,
            random_state=random_state,
        )
    if value is None:
        return np.nan
    if model in ("logistic", "logistic_interaction"):
        x = d["x"].to_numpy(float)
        m = (
            d["m"].to_numpy(float)
            if model == "logistic_interaction"
            else np.ones(len(x))
        )
        rate = float(d["y"].mean())
        b0 = math.log(rate / (1 - rate)) - math.log(value) * float(np.mean(x * m))
        return simulate_power(
            lambda rng: logistic_trial(rng, x, m, b0=b0, odds_ratio=value, model=model),
            reps=reps,
            random_state=random_state,
        )
    if model == "mann_whitney":
        a, b = d.loc[d["y"] == 1, "x"], d.loc[d["y"] == 0, "x"]
        sd = float(
            np.sqrt(
                (a.var(ddof=1) * (len(a) - 1) + b.var(ddof=1) * (len(b) - 1))
                / (len(a) + len(b) - 2)
            )
        )
        return simulate_power(
            lambda rng: shift_trial(rng, len(a), len(b), shift=value, sd=sd),
            reps=reps,
            random_state=random_state,
        )
    return np.nan


def _differential(claim, md, sources, *, random_state) -> Estimate:
    """ANCOM-BC at genus level on the claim's samples; the claim's genera.

    The estimate is the natural-log fold change (with its CI) of the named
    genus with the smallest p, and p is Bonferroni's min(1, k x that p) over
    the k named genera that pass the 10% prevalence filter, so the verdict
    follows the strongest genus. ``detail`` lists every named genus (fold
    change, CI, p) and ``conflict`` when named genera are significant in
    both directions (the verdict is then inconclusive).
    """
    from ..stats import differential_abundance
    from ..taxonomy import short_name

    table, taxonomy = sources.get("table"), sources.get("taxonomy")
    if table is None or taxonomy is None:
        raise NotTestable("the feature table and taxonomy are not available")
    column = claim["outcome"]["column"]
    # without an event the outcome is a numeric trend (GOLD stage): per unit
    trend = "event" not in claim["outcome"]
    if trend:
        y = pd.to_numeric(md[column], errors="coerce").dropna()
        levels = {}
    else:
        y = _outcome(claim, md).dropna().map({1.0: "yes", 0.0: "no"})
        levels = {"reference": "no", "treatment": "yes"}
    md = md.loc[[s for s in y.index if s in table.columns]]
    meta = pd.DataFrame({"grp": y.reindex(md.index)})
    if not trend:
        models._binary_counts(
            (meta["grp"] == "yes").astype(float), min_events=3, what=column
        )
    try:
        res = differential_abundance(
            table,
            meta,
            {
                "name": claim["id"],
                "group": "grp",
                **levels,
                "rank": "g",
                "min_prevalence": 0.1,
            },
            taxonomy=taxonomy,
            random_state=random_state,
        )
    except ValueError as err:
        raise NotTestable(str(err).split(": ", 1)[-1]) from err
    res = res[(res["method"] == "ANCOM-BC") & (res["term"].str.startswith("grp"))]
    named = {t.lower() for t in claim["exposure"]["taxa"]}
    hits = res[res["taxon"].map(lambda t: short_name(t).lower() in named)]
    if hits.empty:
        raise NotTestable(
            f"none of {', '.join(claim['exposure']['taxa'])} passes the 10% prevalence "
            "filter in these samples"
        )
    k = len(hits)
    detail = {
        short_name(r["taxon"]): (
            float(r["log_fc"]),
            float(r["ci_low"]),
            float(r["ci_high"]),
            float(r["p"]),
        )
        for _, r in hits.iterrows()
    }
    best = hits.loc[hits["p"].idxmin()]
    significant = hits[hits["p"] * k < 0.05]
    if (significant["log_fc"] > 0).any() and (significant["log_fc"] < 0).any():
        detail["conflict"] = "named genera significant in both directions"
    return Estimate(
        n=len(meta),
        estimate=float(best["log_fc"]),
        ci_low=float(best["ci_low"]),
        ci_high=float(best["ci_high"]),
        p=float(min(1.0, k * best["p"])),
        scale=f"ln fold change{f' per unit of {column}' if trend else ''} of "
        f"{short_name(best['taxon'])}, the strongest of {k} named genera (ANCOM-BC)",
        null=0.0,
        detail=detail,
        n_events=None if trend else int((meta["grp"] == "yes").sum()),
    )


def _permanova(claim, md, sources, *, permutations, random_state) -> Estimate:
    from ..permanova import adonis2

    metric = claim["exposure"].get("metric", "braycurtis")
    dm = (sources.get("beta") or {}).get(metric)
    if dm is None:
        raise NotTestable(f"the {metric} distance matrix is not available")
    y = _outcome(claim, md).dropna()
    have = set(dm.ids)
    ids = [s for s in y.index if s in have]
    meta = pd.DataFrame({"grp": y.reindex(ids).map({1.0: "yes", 0.0: "no"})}, index=ids)
    counts = meta["grp"].value_counts()
    if len(counts) < 2 or counts.min() < 3:
        raise NotTestable(
            f"{counts.get('yes', 0)} samples in the group and {counts.get('no', 0)} "
            "outside it reach the rarefaction depth; at least 3 of each are needed"
        )
    res = adonis2(
        dm.filter(ids),
        meta,
        "grp",
        permutations=permutations,
        random_state=random_state,
    )
    row = res.loc["grp"]
    return Estimate(
        n=len(ids),
        estimate=float(row["R2"]),
        ci_low=np.nan,
        ci_high=np.nan,
        p=float(row["Pr(>F)"]),
        scale=f"PERMANOVA R2 ({metric})",
        null=0.0,
        n_events=int(counts.get("yes", 0)),
        detail={"pseudo_F": round(float(row["F"]), 4), "permutations": permutations},
    )


def run_claims(
    claims: list[dict],
    sheet: pd.DataFrame,
    sources: dict,
    *,
    permutations: int = 999,
    random_state: int = 0,
    power_reps: int = 200,
) -> pd.DataFrame:
    """Run the claims on every study: one row per claim and study.

    One row per claim and study (:data:`COLUMNS`), BH within families
    (and studies); then, for claims tested in two or more studies, a
    random-effects meta-analysis row (``study`` "meta-analysis (k studies)",
    q by Benjamini-Hochberg within the family's meta-analyses, its verdict
    from that q).
    """
    studies = (
        sorted(sheet["study"].astype(str).unique()) if "study" in sheet else ["all"]
    )
    rows = []
    for claim in claims:
        for study in studies:
            sub = (
                sheet[sheet["study"].astype(str) == study]
                if "study" in sheet
                else sheet
            )
            row = {
                "claim_id": claim["id"],
                "study": study,
                "family": claim["family"],
                "model": claim["model"],
                "expected": claim["expected"]["direction"],
                "covariates": ", ".join(_covariates(claim)) or "none",
                "stratum": _stratum(claim),
                "published": _published(claim),
                "evidence": claim["evidence"],
                "link": claim["link"],
                "published_value": claim["published"].get("value", np.nan),
                "published_ci_low": (claim["published"].get("ci") or [np.nan])[0],
                "published_ci_high": (claim["published"].get("ci") or [np.nan])[-1],
                "citation": claim["citation"],
                "doi": claim["doi"],
            }
            try:
                est, power = evaluate_claim(
                    claim,
                    sub,
                    sources,
                    permutations=permutations,
                    random_state=random_state,
                    power_reps=power_reps,
                )
            except NotTestable as err:
                row.update(verdict="not testable", reason=str(err))
                rows.append(row)
                continue
            row.update(
                n=est.n,
                n_events=est.n_events,
                n_stratum=est.detail.get("n_stratum", np.nan),
                n_events_stratum=est.detail.get("n_events_stratum", np.nan),
                estimate=est.estimate,
                ci_low=est.ci_low,
                ci_high=est.ci_high,
                scale=f"{est.scale}: {claim['exposure']['label']}",
                p=est.p,
                power=power,
                detail=_detail(est.detail),
                null=est.null,
                _genera={k: v for k, v in est.detail.items() if isinstance(v, tuple)}
                if claim["model"] == "differential"
                else None,
            )
            rows.append(row)
    out = pd.DataFrame(rows)
    for col in COLUMNS:
        if col not in out:
            out[col] = np.nan
    for col in ("verdict", "reason", "detail", "scale"):
        out[col] = out[col].astype(object)
    tested = out["verdict"].isna()
    out.loc[tested, "q"] = bh_within(
        out.loc[tested, "family"] + "/" + out.loc[tested, "study"],
        out.loc[tested, "p"].astype(float),
    )
    _judge(out, out.index[tested])
    by_id = {c["id"]: c for c in claims}
    for i in out.index[tested]:
        note = _edge(by_id[out.at[i, "claim_id"]], sources.get("maturity"))
        if note:
            out.at[i, "reason"] = f"{out.at[i, 'reason']}; caution: {note}"
    meta = _meta_rows(out, claims)
    if not meta.empty:
        out = pd.concat([out[COLUMNS], meta], ignore_index=True)
    return grade_evidence(out[COLUMNS], claims)


def _edge(claim: dict, scores: pd.DataFrame | None) -> str:
    """Return the maturity step's edge note for a claim on its scores, or ''."""
    from ..maturity import edge_note

    target = claim["population"].get("target_age_days")
    need = {"age", "state", "reference", "prediction"}
    if (
        claim["exposure"]["source"] != "maturity"
        or target is None
        or scores is None
        or not need <= set(scores.columns)
    ):
        return ""
    reference = scores["reference"].astype(str).str.lower() == "true"
    return (
        edge_note(
            target, scores["age"], scores["state"], reference, scores["prediction"]
        )
        or ""
    )


def _stratum(claim: dict) -> str | float:
    """``column = level`` of an interaction claim's stratum, NaN otherwise."""
    if claim["model"] != "logistic_interaction":
        return np.nan
    mod = claim["modifier"]
    return f"{mod['column']} = {mod['level']}"


def _covariates(claim: dict) -> list[str]:
    """Describe what the model adjusts for, as the claims table lists it."""
    covs = list(claim.get("covariates", []))
    if claim["model"] == "logistic_interaction":
        mod = claim["modifier"]
        covs.append(f"{mod['column']} (interaction; stratum {mod['level']})")
    return covs


def grade_evidence(out: pd.DataFrame, claims: list[dict]) -> pd.DataFrame:
    """Grade the evidence after this run (``grade``, with ``grade_basis``).

    The catalogue's grade (``evidence``) is that of the published evidence.
    A study of this run that finds the claim consistent is an independent
    replication, and each moves the grade up one step: a single published
    association consistent here in one study becomes a replicated
    association; a mechanism-only claim becomes a single association, or a
    replicated one where two studies here agree. A consistent meta-analysis
    counts as one replication only where no study does on its own (it pools
    the same studies). A claim that any study or meta-analysis here
    contradicts keeps its grade, whatever else agrees, and the basis says
    where it was contradicted; the grade never goes down on one run's data.
    """
    out = out.copy()
    out["grade"] = out["grade_basis"] = ""
    for claim in claims:
        rows = out["claim_id"] == claim["id"]
        verdicts = out.loc[rows, ["study", "verdict"]]
        agree = list(verdicts.loc[verdicts["verdict"] == "consistent", "study"])
        against = list(verdicts.loc[verdicts["verdict"] == "contradicts", "study"])
        published = claim["evidence"]
        studies = [a for a in agree if not a.startswith("meta-analysis")]
        replications = len(studies) or len(agree)  # a meta-analysis alone: 1
        if against:  # mixed evidence raises nothing
            replications = 0
        grade = GRADES[min(GRADES.index(published) + replications, len(GRADES) - 1)]
        basis = f"published: {published.replace('_', ' ')}"
        if agree:
            basis += f"; consistent here in {', '.join(agree)}"
        if against:
            basis += f"; contradicted here in {', '.join(against)}"
        if not agree and not against:
            basis += "; not settled here"
        if grade != published:
            basis += f"; so {grade.replace('_', ' ')} (this run's data)"
        out.loc[rows, "grade"] = grade
        out.loc[rows, "grade_basis"] = basis
    return out


def _meta_rows(out: pd.DataFrame, claims: list[dict]) -> pd.DataFrame:
    """Add a DerSimonian-Laird row per claim tested in two or more studies.

    A claim on named genera is pooled genus by genus (each study's estimate
    is its strongest genus, which need not be the same genus everywhere);
    the row is the pooled genus with the smallest p, Bonferroni over the
    genera pooled, as within a study.
    """
    from .meta import pool_claim

    rows = []
    for claim in claims:
        tested = out[
            (out["claim_id"] == claim["id"]) & (out["verdict"] != "not testable")
        ]
        if tested.empty:
            continue
        null = float(tested["null"].iloc[0])
        first = tested.iloc[0]
        scale, extra = first["scale"], ""
        if claim["model"] == "differential":
            res = _pool_genera(tested, claim)
            if res is not None:
                scale, extra = res.pop("scale"), res.pop("extra")
        else:
            res = pool_claim(tested, ratio=null == 1.0)  # odds and hazard ratios
        if res is None:
            continue
        rows.append(
            {
                **{
                    c: first[c]
                    for c in (
                        "claim_id",
                        "family",
                        "model",
                        "covariates",
                        "stratum",
                        "null",
                        "published",
                        "published_value",
                        "published_ci_low",
                        "published_ci_high",
                        "expected",
                        "evidence",
                        "link",
                        "citation",
                        "doi",
                    )
                },
                "study": f"meta-analysis ({res['k']} studies)",
                "scale": scale,
                "n": int(tested["n"].sum()),
                **{
                    c: tested[c].astype(float).sum(min_count=len(tested))
                    for c in ("n_events", "n_stratum", "n_events_stratum")
                },
                "estimate": res["estimate"],
                "ci_low": res["ci_low"],
                "ci_high": res["ci_high"],
                "p": res["p"],
                "detail": f"tau2: {res['tau2']:.4g}; I2: {res['i2']:.1f}%; "
                f"Q: {res['q']:.4g}{extra}",
            }
        )
    meta = pd.DataFrame(rows, columns=COLUMNS)
    # BH within each family's meta-analyses, as within each study
    meta["q"] = bh_within(meta["family"], meta["p"].astype(float))
    for col in ("verdict", "reason"):
        meta[col] = meta[col].astype(object)
    _judge(meta, meta.index, note=" (random effects, DerSimonian-Laird)")
    return meta


def _judge(out: pd.DataFrame, rows, *, note: str = "") -> None:
    """Set the verdict and reason of ``rows`` from their q and power.

    Set verdict and reason of ``rows`` from their q (and power), in place;
    named genera significant in both directions are inconclusive.
    """
    for i in rows:
        if "conflict" in str(out.at[i, "detail"]):
            v, why = "inconclusive", "named genera are significant in both directions"
        else:
            v, why = verdict(
                out.at[i, "expected"],
                float(out.at[i, "estimate"]),
                float(out.at[i, "null"]),
                float(out.at[i, "q"]),
                float(out.at[i, "power"]) if pd.notna(out.at[i, "power"]) else np.nan,
            )
        out.at[i, "verdict"], out.at[i, "reason"] = v, why + note


def _pool_genera(tested: pd.DataFrame, claim: dict) -> dict | None:
    """Pool each named genus tested in two or more studies.

    Pool each named genus tested in two or more studies; the strongest,
    with its p times the number of genera pooled. None when no genus is.
    """
    from .meta import pool_claim

    per_genus: dict[str, list] = {}
    for genera in tested["_genera"].dropna():
        for genus, (lfc, lo, hi, _) in genera.items():
            per_genus.setdefault(genus, []).append((lfc, lo, hi))
    pooled = {}
    for genus, values in per_genus.items():
        res = pool_claim(
            pd.DataFrame(values, columns=["estimate", "ci_low", "ci_high"]), ratio=False
        )
        if res is not None:
            pooled[genus] = res
    if not pooled:
        return None
    k = len(pooled)
    best = min(pooled, key=lambda g: pooled[g]["p"])
    res = dict(pooled[best], p=min(1.0, k * pooled[best]["p"]))
    significant = [r["estimate"] for r in pooled.values() if r["p"] * k < 0.05]
    parts = "; ".join(
        f"{g}: ({r['estimate']:.4g}, {r['ci_low']:.4g}, {r['ci_high']:.4g}, "
        f"{r['p']:.4g})"
        for g, r in pooled.items()
    )
    conflict = any(e > 0 for e in significant) and any(e < 0 for e in significant)
    res["scale"] = (
        f"ln fold change of {best}, the strongest of {k} named genera pooled genus "
        f"by genus (ANCOM-BC): {claim['exposure']['label']}"
    )
    res["extra"] = f"; {parts}" + (
        "; conflict: named genera significant in both directions" if conflict else ""
    )
    return res


def _published(claim) -> str:
    pub = claim["published"]
    if pub.get("direction_only"):
        extra = f", p = {pub['p']}" if "p" in pub else ""
        return (
            f"direction only ({claim['expected']['direction']}{extra}); {pub['scale']}"
        )
    ci = f" (95% CI {pub['ci'][0]} to {pub['ci'][1]})" if "ci" in pub else ""
    return f"{pub['value']}{ci}; {pub['scale']}"


def _detail(detail: dict) -> str:
    def fmt(v):
        if isinstance(v, float):
            return f"{v:.4g}"
        if isinstance(v, tuple):
            return "(" + ", ".join(fmt(x) for x in v) + ")"
        return str(v)

    return "; ".join(f"{k}: {fmt(v)}" for k, v in detail.items())
