"""Community statistics of a cohort: the analyses the config lists.

* :func:`select_samples`: an analysis's samples (``where`` filters).
* :func:`permanova_table`: adonis2 and betadisper (:mod:`.permanova`) in one
  long table.
* :func:`differential_abundance`: scikit-bio's ANCOM-BC (with covariates) and
  ``dirmult_ttest`` at a taxonomic rank or ASV level, Benjamini-Hochberg
  across taxa per term (scikit-bio's default is Holm; the ``adjustment``
  column says which was used).
* :func:`alpha_mixed_model`: ``alpha ~ fixed + (1 | subject)`` with
  statsmodels' MixedLM (REML).
* :func:`paired_gut_lung`: ASV sharing between a subject's own gut and lung
  against other subjects' (permutation over subject labels), Mantel and
  Procrustes (PROTEST) between the paired gut and lung distance matrices, and
  the share of each lung sample's reads from ASVs in the same subject's gut.

Every table carries n and the method in words, for the report.

References
----------
Lin H, Peddada SD (2020). Analysis of compositions of microbiomes with bias
correction. Nat Commun 11:3514. doi:10.1038/s41467-020-17041-7
Fernandes AD et al. (2014). Unifying the analysis of high-throughput
sequencing datasets (ALDEx2). Microbiome 2:15. doi:10.1186/2049-2618-2-15
Peres-Neto PR, Jackson DA (2001). How well do multivariate data sets match?
(PROTEST). Oecologia 129:169-178. doi:10.1007/s004420100720
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .permanova import adonis2, betadisper, formula_columns, numeric_or_text
from .seeds import Seed, substream
from .taxonomy import short_name

#: Genera the gut-lung literature names; highlighted in tables and plots.
LITERATURE_GENERA = (
    "Faecalibacterium",
    "Bifidobacterium",
    "Ruminococcus",
    "Roseburia",
    "Lachnospira",
    "Veillonella",
    "Rothia",
    "Streptococcus",
    "Enterococcus",
    "Fusobacterium",
    "Prevotella",
    "Bacteroides",
)
ADJUSTMENT = "Benjamini-Hochberg across taxa, per term"


# ---------------------------------------------------------------- selection
def select_samples(metadata: pd.DataFrame, where: dict | None) -> pd.DataFrame:
    """Rows of ``metadata`` matching every ``where`` condition.

    ``where`` maps a column to a list of accepted values (compared as text)
    or to ``{"min": a, "max": b}`` (numeric, inclusive; either may be left
    out). Rows with a missing value in a filtered column are left out.
    """
    keep = pd.Series(True, index=metadata.index)
    for column, cond in (where or {}).items():
        if column == "sample_id" and column not in metadata.columns:
            values = metadata.index.to_series()
        elif column not in metadata.columns:
            raise ValueError(f"where: no column {column!r} in the metadata")
        else:
            values = metadata[column]
        if isinstance(cond, dict):
            num = pd.to_numeric(values, errors="coerce")
            ok = num.notna()
            if "min" in cond:
                ok &= num >= float(cond["min"])
            if "max" in cond:
                ok &= num <= float(cond["max"])
        else:
            accepted = {str(v) for v in cond}
            ok = values.notna() & values.astype(str).isin(accepted)
        keep &= ok
    return metadata.loc[keep]


def design_problems(
    metadata: pd.DataFrame,
    *,
    formula: str,
    strata: str | None = None,
    plots: str | None = None,
    name: str = "analysis",
) -> list[str]:
    """Why an analysis cannot run on these samples (empty list when it can).

    Missing columns, missing values in used columns, a categorical level
    with a single sample, strata of which none has two samples (a lone
    sample in a stratum stays in place, as in vegan).
    """
    problems = []
    used = formula_columns(formula)
    blocks = [c for c in (strata, plots) if c]
    for col in [*used, *blocks]:
        if col not in metadata.columns:
            problems.append(
                f"{name}: column {col!r} is not in the sample sheet; add it or fix "
                "the analysis's formula"
            )
    if problems:
        return problems
    if len(metadata) < 3:
        problems.append(f"{name}: {len(metadata)} samples; at least 3 are needed")
        return problems
    data = numeric_or_text(metadata, used)
    for col in used:
        missing = data.index[data[col].isna()].tolist()
        if missing:
            problems.append(
                f"{name}: column {col!r} is empty for {len(missing)} samples "
                f"(first: {missing[0]}); fill it or exclude them with where:"
            )
        elif not pd.api.types.is_numeric_dtype(data[col]):
            counts = data[col].value_counts()
            if len(counts) < 2:
                problems.append(
                    f"{name}: column {col!r} has one value ({counts.index[0]}) "
                    "in the selected samples; nothing to compare"
                )
            lone = counts[counts < 2]
            for level in lone.index:
                sample = data.index[data[col] == level][0]
                problems.append(
                    f"{name}: column {col!r}: group {level!r} has a single sample "
                    f"({sample}); merge it or exclude it with where:"
                )
    if strata:
        # a stratum with one sample stays in place, as in vegan's how(blocks=);
        # with no stratum of two there is nothing to permute
        counts = metadata[strata].value_counts()
        if len(counts) and counts.max() < 2:
            problems.append(
                f"{name}: strata {strata!r}: every stratum has a single sample "
                f"({len(counts)} strata); nothing can be permuted (drop strata: or "
                "select samples that share strata with where:)"
            )
    return problems


# ----------------------------------------------------------------- PERMANOVA
def permanova_table(
    dm,
    metadata: pd.DataFrame,
    analysis: dict,
    *,
    metric: str,
    permutations: int,
    random_state: Seed,
) -> pd.DataFrame:
    """adonis2 (and betadisper for ``analysis["dispersion"]`` columns) as rows.

    ``analysis``: ``name``, ``formula``, optional ``where``, ``by`` (terms,
    margin or none), ``strata``, ``plots``, ``dispersion`` (list of columns).
    Samples missing from the distance matrix (below the rarefaction depth)
    are dropped first and counted in ``n_dropped``.
    """
    name = analysis["name"]
    md = select_samples(metadata, analysis.get("where"))
    have = set(dm.ids)  # a set: O(n), not a tuple's O(n^2) at 1,000 samples
    dropped = [s for s in md.index if s not in have]
    md = md.loc[[s for s in md.index if s in have]]
    strata, plots = analysis.get("strata"), analysis.get("plots")
    problems = design_problems(
        md, formula=analysis["formula"], strata=strata, plots=plots, name=name
    )
    if problems:
        raise ValueError(
            "; ".join(problems)
            + (f" (after {len(dropped)} samples below the depth)" if dropped else "")
        )
    by = analysis.get("by", "terms")
    by = None if by in (None, "none") else by
    res = adonis2(
        dm,
        md,
        analysis["formula"],
        by=by,
        permutations=permutations,
        strata=strata,
        plots=plots,
        random_state=random_state,
    )
    scheme = (
        f"whole {plots} permuted" if plots else f"within {strata}" if strata else "free"
    )
    rows = []
    residual = res.loc["Residual"]
    for term in res.index[:-2]:
        r = res.loc[term]
        rows.append(
            {
                "analysis": name,
                "metric": metric,
                "test": f"PERMANOVA (adonis2, by={by or 'none'})",
                "term": term,
                "n": len(md),
                "n_dropped": len(dropped),
                "df": int(r["Df"]),
                "df_residual": int(residual["Df"]),
                "sum_of_squares": r["SumOfSqs"],
                "r2": r["R2"],
                "statistic": r["F"],
                "p": r["Pr(>F)"],
                "permutations": permutations,
                "permutation": scheme,
                "formula": analysis["formula"],
            }
        )
    for i, column in enumerate(analysis.get("dispersion") or []):
        for kind in ("centroid", "median"):
            try:
                b = betadisper(
                    dm,
                    md[column].astype(str),
                    kind=kind,
                    permutations=permutations,
                    random_state=substream(random_state, 1 + i),
                )
            except ValueError as err:
                raise ValueError(
                    f"{name}: dispersion by {column!r} ({kind}, {metric}): {err}; "
                    f"take {column!r} out of stats.permanova ({name})'s "
                    "dispersion or give each group more samples"
                ) from None
            a = b.anova
            rows.append(
                {
                    "analysis": name,
                    "metric": metric,
                    "test": f"PERMDISP (betadisper, {kind})",
                    "term": column,
                    "n": len(md),
                    "n_dropped": len(dropped),
                    "df": int(a.loc["Groups", "Df"]),
                    "df_residual": int(a.loc["Residuals", "Df"]),
                    "sum_of_squares": a.loc["Groups", "Sum Sq"],
                    "r2": np.nan,
                    "statistic": a.loc["Groups", "F value"],
                    "p": b.permutation_p,
                    "permutations": permutations,
                    "permutation": "residuals, free",
                    "formula": column,
                }
            )
    return pd.DataFrame(rows)


# ------------------------------------------------------ differential abundance
def bh(p) -> np.ndarray:
    """Benjamini-Hochberg q-values (NaN p stay NaN)."""
    from statsmodels.stats.multitest import multipletests

    p = np.asarray(p, dtype=float)
    q = np.full_like(p, np.nan)
    ok = ~np.isnan(p)
    if ok.any():
        q[ok] = multipletests(p[ok], method="fdr_bh")[1]
    return q


def aggregate_rank(
    table: pd.DataFrame, taxonomy: pd.Series | None, rank: str
) -> pd.DataFrame:
    """Sum counts per taxon at ``rank`` (``asv`` keeps features).

    Names are the deepest assigned rank up to ``rank`` (an unassigned genus
    becomes e.g. ``f__Lachnospiraceae;g__``), so reads are never lost.
    """
    if rank == "asv":
        return table
    if taxonomy is None:
        raise ValueError(f"rank {rank!r} needs the taxonomy table")
    from .tables import collapse

    return collapse(table, taxonomy, rank=rank)


def differential_abundance(
    table: pd.DataFrame,
    metadata: pd.DataFrame,
    analysis: dict,
    *,
    taxonomy: pd.Series | None,
    random_state: Seed,
) -> pd.DataFrame:
    """ANCOM-BC and dirmult_ttest for one analysis; a long table.

    ``analysis``: ``name``, ``group`` (column), ``reference`` and
    ``treatment`` levels (or neither: then ``group`` is a numeric term, such
    as GOLD stage or age, and ANCOM-BC alone reports the log fold change per
    unit of it, as a trend; dirmult_ttest compares two groups only),
    optional ``covariates`` (list; ANCOM-BC only),
    ``where``, ``rank`` (``g`` default, ``asv``), ``min_prevalence``
    (fraction of samples a taxon must be in; default 0.1), ``pseudocount``
    (added for ANCOM-BC, as R's ``pseudo=1``; dirmult uses its own 0.5).
    Unrarefied counts; log fold changes are natural logs (ANCOM-BC) and
    log2 (dirmult_ttest), as scikit-bio reports them; the ``unit`` column
    says which.
    """
    from skbio.stats.composition import dirmult_ttest

    name, group = analysis["name"], analysis["group"]
    trend = analysis.get("reference") is None and analysis.get("treatment") is None
    ref, trt = str(analysis.get("reference")), str(analysis.get("treatment"))
    covariates = list(analysis.get("covariates") or [])
    md = select_samples(metadata, analysis.get("where"))
    md = md.loc[[s for s in md.index if s in table.columns]]
    if trend:
        md = md.assign(**{group: pd.to_numeric(md[group], errors="coerce")})
        md = md.dropna(subset=[group])
    else:
        md = md.loc[md[group].astype(str).isin([ref, trt])]
    md = numeric_or_text(md, covariates)
    md = md.dropna(subset=covariates)
    if trend:
        if md[group].nunique() < 3 or len(md) < 4:
            raise ValueError(
                f"{name}: {group} has {md[group].nunique()} distinct numeric values "
                f"in {len(md)} samples; a trend needs at least 3 values and 4 "
                "samples (or give reference and treatment levels)"
            )
        return _trend_abundance(table, md, analysis, taxonomy=taxonomy)
    md[group] = pd.Categorical(md[group].astype(str), categories=[ref, trt])
    n_ref, n_trt = (int((md[group] == v).sum()) for v in (ref, trt))
    if min(n_ref, n_trt) < 2:
        raise ValueError(
            f"{name}: {group}={ref!r} has {n_ref} and {trt!r} has {n_trt} samples "
            "with reads; each needs at least 2"
        )
    counts, md, empty = _filtered_counts(table, md, analysis, taxonomy)
    if empty:
        n_ref, n_trt = (int((md[group] == v).sum()) for v in (ref, trt))
        if min(n_ref, n_trt) < 2:
            raise ValueError(
                f"{name}: after min_prevalence, {len(empty)} samples have no reads "
                f"left (first: {empty[0]}) and a group has fewer than 2; lower "
                "min_prevalence or use a coarser rank"
            )
    samples_by_taxa = counts.T.astype(float)
    term = f"{group}[T.{trt}]"
    formula = " + ".join([f"C({group}, Treatment('{ref}'))", *covariates])
    rows = _ancombc_rows(
        samples_by_taxa,
        md,
        formula,
        analysis,
        rename={f"C({group}": term},
        unit="ln",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dm = dirmult_ttest(
            samples_by_taxa,
            md[group].astype(str),
            treatment=trt,
            reference=ref,
            p_adjust=None,
            seed=random_state,
        )
    for taxon, r in dm.iterrows():
        rows.append(
            {
                "method": "dirmult_ttest",
                "term": term,
                "taxon": taxon,
                "log_fc": r["Log2(FC)"],
                "unit": "log2",
                "se": np.nan,
                "ci_low": r["CI(2.5)"],
                "ci_high": r["CI(97.5)"],
                "statistic": r["T-statistic"],
                "p": r["pvalue"],
            }
        )
    return _finish(
        pd.DataFrame(rows),
        analysis,
        taxonomy,
        n_reference=n_ref,
        n_treatment=n_trt,
        n_without_reads=len(empty),
        comparison=f"{group}: {trt} vs {ref}",
    )


def _filtered_counts(table, md, analysis, taxonomy):
    """Filter the counts of ``md``'s samples for an analysis.

    Counts of ``md``'s samples at the analysis' rank, taxa below
    ``min_prevalence`` dropped, then samples left without reads (listed).
    """
    counts = aggregate_rank(table[md.index], taxonomy, analysis.get("rank", "g"))
    counts = counts.loc[counts.sum(axis=1) > 0]
    prevalence = (counts > 0).mean(axis=1)
    counts = counts.loc[prevalence >= float(analysis.get("min_prevalence", 0.1))]
    if len(counts) < 2:
        raise ValueError(f"{analysis['name']}: fewer than 2 taxa pass min_prevalence")
    # a sample with none of the kept taxa has no composition to compare
    empty = list(counts.columns[counts.sum(axis=0) == 0])
    if empty:
        counts = counts.drop(columns=empty)
        md = md.drop(index=empty)
    return counts, md, empty


def _ancombc_rows(samples_by_taxa, md, formula, analysis, *, rename, unit):
    """Run ANCOM-BC (no p adjustment) and return long rows.

    ANCOM-BC (no p adjustment) as long rows; a term whose name starts with
    a key of ``rename`` is renamed to its value.
    """
    from skbio.stats.composition import ancombc

    covariates = list(analysis.get("covariates") or [])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            res = ancombc(
                samples_by_taxa + float(analysis.get("pseudocount", 1.0)),
                md[[analysis["group"], *covariates]],
                formula,
                p_adjust=None,  # BH below, per method and term
            ).result
        except (ValueError, FloatingPointError, np.linalg.LinAlgError) as err:
            # the bias-correction EM fails (NaN mixture weights) where few
            # taxa are left, as its authors note (ANCOMBC issue #31)
            raise ValueError(
                f"{analysis['name']}: ANCOM-BC's bias correction did not converge "
                f"on the {samples_by_taxa.shape[1]} taxa passing min_prevalence at "
                f"rank {analysis.get('rank', 'g')} ({err}); its EM needs more taxa: "
                "use a finer rank or a lower min_prevalence"
            ) from err
    rows = []
    for _, r in res.reset_index().iterrows():
        cov = str(r["Covariate"])
        if cov == "Intercept":
            continue
        label = next((v for k, v in rename.items() if cov.startswith(k)), cov)
        rows.append(
            {
                "method": "ANCOM-BC",
                "term": label,
                "taxon": r["FeatureID"],
                "log_fc": r["Log(FC)"],
                "unit": unit if label in rename.values() else "ln",
                "se": r["SE"],
                "ci_low": r["Log(FC)"] - 1.959963984540054 * r["SE"],
                "ci_high": r["Log(FC)"] + 1.959963984540054 * r["SE"],
                "statistic": r["W"],
                "p": r["pvalue"],
            }
        )
    return rows


def _trend_abundance(table, md, analysis, *, taxonomy) -> pd.DataFrame:
    """ANCOM-BC with a numeric ``group``: ln fold change per unit."""
    group = analysis["group"]
    counts, md, empty = _filtered_counts(table, md, analysis, taxonomy)
    formula = " + ".join([group, *(analysis.get("covariates") or [])])
    rows = _ancombc_rows(
        counts.T.astype(float),
        md,
        formula,
        analysis,
        rename={group: group},
        unit=f"ln per unit of {group}",
    )
    return _finish(
        pd.DataFrame(rows),
        analysis,
        taxonomy,
        n_reference=len(md),
        n_treatment=np.nan,
        n_without_reads=len(empty),
        comparison=f"{group}: per unit (trend, "
        f"{md[group].min():g} to {md[group].max():g})",
    )


def _finish(out, analysis, taxonomy, **columns) -> pd.DataFrame:
    """Finish a differential table: BH, genus names, literature flags.

    BH per method and term, genus names, literature flags, the analysis'
    name and counts.
    """
    out["q"] = np.nan
    for _, idx in out.groupby(["method", "term"]).groups.items():
        out.loc[idx, "q"] = bh(out.loc[idx, "p"])
    out["adjustment"] = ADJUSTMENT
    if analysis.get("rank", "g") == "asv" and taxonomy is not None:
        # ASV IDs say nothing: name each by its own lineage's deepest rank
        out["genus"] = out["taxon"].map(taxonomy).fillna("").map(short_name)
    else:
        out["genus"] = out["taxon"].map(short_name)
    out["literature"] = out["genus"].isin(LITERATURE_GENERA)
    out.insert(0, "analysis", analysis["name"])
    for col, value in columns.items():
        out[col] = value
    return out


# ------------------------------------------------------------ mixed models
def fit_mixed(model):
    """Fit a mixed model by REML, trying other optimisers if needed.

    REML fit; where statsmodels' default (BFGS, then L-BFGS) does not
    converge, as near a zero subject variance, L-BFGS, Powell and Nelder-Mead
    are tried alone and the first converged fit at least as likely is kept.
    """
    fit = model.fit(reml=True)
    if fit.converged:
        return fit
    for method in ("lbfgs", "powell", "nm"):
        try:
            alt = model.fit(reml=True, method=[method])
        except (np.linalg.LinAlgError, ValueError):
            continue
        if alt.converged and alt.llf >= fit.llf - 1e-9:
            return alt
    return fit


def alpha_mixed_model(
    alpha: pd.DataFrame,
    metadata: pd.DataFrame,
    analysis: dict,
) -> pd.DataFrame:
    """``metric ~ formula + (1 | subject)`` per metric with statsmodels MixedLM.

    ``analysis``: ``name``, ``formula`` (right-hand side), ``subject``
    (grouping column), ``metrics`` (alpha columns), optional ``where``.
    REML fit (as nlme's ``lme`` default); Wald z tests and 95% CIs of the
    fixed effects; the random-intercept and residual variances.
    """
    import statsmodels.formula.api as smf

    name, subject = analysis["name"], analysis["subject"]
    md = select_samples(metadata, analysis.get("where"))
    md = md.loc[[s for s in md.index if s in alpha.index]]
    used = formula_columns(analysis["formula"])
    md = numeric_or_text(md, used).dropna(subset=[*used, subject])
    rows = []
    for metric in analysis["metrics"]:
        df = md.assign(**{"_y": alpha.loc[md.index, metric].to_numpy()})
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fit = fit_mixed(
                smf.mixedlm(f"_y ~ {analysis['formula']}", df, groups=df[subject])
            )
        # What counts is the final fit; a variance on the boundary is noted.
        converged = bool(fit.converged)
        boundary = any("boundary" in str(w.message) for w in caught)
        note = "subject variance on the boundary (near 0)" if boundary else ""
        ci = fit.conf_int()
        for term in fit.fe_params.index:
            rows.append(
                {
                    "analysis": name,
                    "metric": metric,
                    "test": "linear mixed model (REML), random intercept per "
                    + subject,
                    "term": term,
                    "estimate": fit.fe_params[term],
                    "se": fit.bse_fe[term],
                    "ci_low": ci.loc[term, 0],
                    "ci_high": ci.loc[term, 1],
                    "statistic": fit.tvalues[term],
                    "p": fit.pvalues[term],
                    "n": len(df),
                    "n_subjects": df[subject].nunique(),
                    "var_subject": float(fit.cov_re.iloc[0, 0]),
                    "var_residual": float(fit.scale),
                    "converged": converged,
                    "note": note,
                    "formula": f"{metric} ~ {analysis['formula']} + (1 | {subject})",
                }
            )
    return pd.DataFrame(rows)


# ------------------------------------------------------- paired gut and lung
def _pairs(
    metadata: pd.DataFrame, *, subject: str, site: str, gut: str, lung: str
) -> pd.DataFrame:
    """One gut and one lung sample per subject having both (first in order)."""
    md = metadata.loc[metadata[site].astype(str).isin([gut, lung])]
    pairs = (
        md.reset_index()
        .groupby([subject, site], sort=False)
        .first()
        .iloc[:, 0]
        .unstack(site)
    )
    if gut not in pairs or lung not in pairs:
        return pd.DataFrame(columns=["gut", "lung"])
    pairs = pairs[[gut, lung]].dropna()
    pairs.columns = ["gut", "lung"]
    return pairs


def protest(
    x: np.ndarray, y: np.ndarray, *, permutations: int, random_state: Seed
) -> tuple[float, float, float]:
    """Test two configurations by Procrustes, as vegan's ``protest``.

    Procrustes m² of two configurations, its correlation sqrt(1 - m²) and
    the permutation p of vegan's ``protest`` (rows of ``y`` shuffled).
    """
    from scipy.spatial import procrustes

    _, _, m2 = procrustes(x, y)
    rng = np.random.default_rng(random_state)
    hits = 0
    for _ in range(permutations):
        hits += procrustes(x, y[rng.permutation(len(y))])[2] <= m2
    p = (hits + 1) / (permutations + 1) if permutations else np.nan
    return float(m2), float(np.sqrt(max(0.0, 1 - m2))), float(p)


def paired_gut_lung(
    table: pd.DataFrame,
    dm,
    metadata: pd.DataFrame,
    *,
    subject: str,
    site: str,
    gut: str,
    lung: str,
    metric: str,
    permutations: int,
    random_state: Seed,
    axes: int = 3,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Paired gut-lung analyses of the subjects with both samples.

    ``table``: unrarefied counts (features x samples); ``dm``: a distance
    matrix (its samples bound the pairs, so both samples passed the depth).

    Returns
    -------
    tests : pandas.DataFrame
        One row per test (shared ASVs own vs other subjects; Mantel; PROTEST)
        with n, statistic, p and the method in words.
    per_lung : pandas.DataFrame
        Per lung sample: ASVs shared with the own gut, share of the lung
        sample's reads from ASVs present in the own gut, and the mean of that
        share over the other subjects' guts.
    """
    from skbio.stats.distance import mantel
    from skbio.stats.ordination import pcoa

    pairs = _pairs(metadata, subject=subject, site=site, gut=gut, lung=lung)
    pairs = pairs.loc[pairs["gut"].isin(dm.ids) & pairs["lung"].isin(dm.ids)]
    n = len(pairs)
    if n < 4:
        raise ValueError(
            f"{n} subjects have both a {gut!r} and a {lung!r} sample with enough "
            "reads; the paired analysis needs at least 4"
        )
    present = table > 0
    g = present[pairs["gut"]].to_numpy().T.astype(float)  # subjects x features
    lg = present[pairs["lung"]].to_numpy().T.astype(float)
    lung_counts = table[pairs["lung"]].to_numpy().T.astype(float)
    lung_reads = lung_counts.sum(axis=1, keepdims=True)
    shared = lg @ g.T  # [i, j]: ASVs in lung i and gut j
    lung_rich = lg.sum(axis=1, keepdims=True)
    frac_shared = shared / np.where(lung_rich == 0, 1, lung_rich)
    read_share = (lung_counts / np.where(lung_reads == 0, 1, lung_reads)) @ g.T
    off = ~np.eye(n, dtype=bool)

    def own_minus_other(m):
        return m.diagonal().mean() - m[off].mean()

    stat = own_minus_other(frac_shared)
    rng = np.random.default_rng(random_state)
    hits = 0
    for _ in range(permutations):
        p = rng.permutation(n)
        hits += own_minus_other(frac_shared[:, p]) >= stat - 1e-12
    p_shared = (hits + 1) / (permutations + 1) if permutations else np.nan

    ids_g, ids_l = list(pairs["gut"]), list(pairs["lung"])
    dm_g = dm.filter(ids_g)
    dm_l = dm.filter(ids_l)
    from skbio import DistanceMatrix

    keys = [str(k) for k in pairs.index]
    dm_g = DistanceMatrix(dm_g.data, ids=keys)
    dm_l = DistanceMatrix(dm_l.data, ids=keys)
    r_mantel, p_mantel, _ = mantel(
        dm_g,
        dm_l,
        method="spearman",
        permutations=permutations,
        seed=random_state,
    )
    k = min(axes, n - 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        xg = pcoa(dm_g).samples.iloc[:, :k].to_numpy()
        xl = pcoa(dm_l).samples.iloc[:, :k].to_numpy()
    m2, r_proc, p_proc = protest(
        xg, xl, permutations=permutations, random_state=substream(random_state, 1)
    )
    base = {"n": n, "metric": metric, "permutations": permutations}
    tests = pd.DataFrame(
        [
            {
                **base,
                "test": "shared ASVs, own gut vs other subjects' guts",
                "statistic_name": "mean difference in fraction of lung ASVs in gut",
                "statistic": stat,
                "own": frac_shared.diagonal().mean(),
                "other": frac_shared[off].mean(),
                "p": p_shared,
                "method": "one-sided permutation of subject labels, lung vs gut",
            },
            {
                **base,
                "test": "Mantel, gut vs lung distances",
                "statistic_name": "Spearman r",
                "statistic": r_mantel,
                "own": np.nan,
                "other": np.nan,
                "p": p_mantel,
                "method": f"scikit-bio mantel (two-sided), {metric}",
            },
            {
                **base,
                "test": "Procrustes (PROTEST), gut vs lung PCoA",
                "statistic_name": f"correlation sqrt(1 - m2) on {k} axes",
                "statistic": r_proc,
                "own": m2,
                "other": np.nan,
                "p": p_proc,
                "method": f"scipy procrustes, rows permuted, {metric}",
            },
        ]
    )
    per_lung = pd.DataFrame(
        {
            subject: pairs.index,
            "lung_sample": ids_l,
            "gut_sample": ids_g,
            "lung_asvs": lg.sum(axis=1).astype(int),
            "shared_with_own_gut": shared.diagonal().astype(int),
            "read_share_own_gut": read_share.diagonal(),
            "read_share_other_guts": np.where(off, read_share, 0).sum(axis=1) / (n - 1),
        }
    )
    return tests, per_lung
