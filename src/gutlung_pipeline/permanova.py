"""PERMANOVA as vegan's ``adonis2`` and PERMDISP as vegan's ``betadisper``.

scikit-bio's ``permanova`` tests one categorical factor with free
permutations; a cohort needs several terms (categorical and numeric), type-I
and marginal tests, R², and permutations restricted to strata or to whole
subjects. This module implements vegan 2.6-4's algorithm (METHODS.md §3d-e):

* Gower-centred G = -½ J D² J; the model matrix from a patsy formula
  (treatment coding, levels sorted, as R), column-centred; projections from a
  pivoted QR (rank tolerance 1e-7).
* SS of a model = tr(H G); sequential (``by="terms"``), marginal
  (``by="margin"``, every term that no interaction contains) or overall
  (``by=None``) tests; F = (SS_k/df_k) / (SS_res/df_res); R² = SS_k / SS_total.
* One permutation shared by all terms; p = (#{F* >= F - sqrt(eps)} + 1) /
  (permutations + 1).
* ``strata``: samples are permuted only within their stratum (vegan's
  ``strata=`` / ``how(blocks=)``). ``plots``: whole-plot permutation for
  repeated samples of one subject: each subject takes another subject's
  between-subject values (columns constant within the subject) and the
  within-subject values are shuffled among the subject's own samples.
  Subjects of unequal sample counts are allowed (vegan's ``permute`` requires
  equal plot sizes); with equal sizes and no within-subject terms this is
  vegan's ``how(plots = Plots(strata = subject, type = "free"))``.

betadisper: PCoA of -½D² keeping negative axes, group centroid or spatial
median (separately on the positive and negative blocks), distance
z = sqrt(|d²_pos - d²_neg|), ANOVA F of z ~ group with the parametric p and
vegan ``permutest``'s residual-permutation p.

References
----------
Anderson MJ (2001). A new method for non-parametric multivariate analysis of
variance. Austral Ecol 26:32-46. doi:10.1111/j.1442-9993.2001.01070.pp.x
McArdle BH, Anderson MJ (2001). Fitting multivariate models to community data.
Ecology 82:290-297. doi:10.1890/0012-9658(2001)082[0290:FMMTCD]2.0.CO;2
Anderson MJ (2006). Distance-based tests for homogeneity of multivariate
dispersions. Biometrics 62:245-253. doi:10.1111/j.1541-0420.2005.00440.x
Oksanen J et al. vegan: Community Ecology Package, 2.6-4.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import linalg, special

from .seeds import Seed

#: vegan's tolerance for "F* >= F" (sqrt of machine epsilon).
EPS = np.sqrt(np.finfo(float).eps)
#: Rank tolerance of R's qr().
QR_TOL = 1e-7
#: Permutations evaluated per matrix product (memory: n x rank x batch floats).
BATCH = 200


def gower(dm: np.ndarray) -> np.ndarray:
    """Gower-centred matrix G = -½ J D² J."""
    a = -0.5 * np.asarray(dm, dtype=float) ** 2
    row = a.mean(axis=1, keepdims=True)
    return a - row - row.T + a.mean()


def _orthobasis(x: np.ndarray) -> np.ndarray:
    """Orthonormal basis of the column space of ``x`` (pivoted QR, R's tol)."""
    if x.shape[1] == 0:
        return np.zeros((x.shape[0], 0))
    q, r, _ = linalg.qr(x, mode="economic", pivoting=True)
    d = np.abs(np.diag(r))
    rank = int(np.sum(d > QR_TOL * d[0])) if d.size and d[0] > 0 else 0
    return q[:, :rank]


# ------------------------------------------------------------------- design
def numeric_or_text(df: pd.DataFrame, columns) -> pd.DataFrame:
    """Columns that are all numbers become numeric; empty text is missing."""
    out = df.copy()
    for c in columns:
        if c in out and not pd.api.types.is_numeric_dtype(out[c]):
            out[c] = out[c].replace("", np.nan)
            num = pd.to_numeric(out[c], errors="coerce")
            if num.notna().all():
                out[c] = num
    return out


def formula_columns(formula: str) -> list[str]:
    """Metadata columns a right-hand-side formula refers to (patsy's parser)."""
    from patsy import ModelDesc

    desc = ModelDesc.from_formula(_rhs(formula))
    names: list[str] = []
    for term in desc.rhs_termlist:
        for factor in term.factors:
            for name in _factor_names(factor.name()):
                if name not in names:
                    names.append(name)
    return names


def _rhs(formula: str) -> str:
    return formula.split("~", 1)[1] if "~" in formula else formula


def _factor_names(code: str) -> list[str]:
    """Bare variable names in a patsy factor (``C(x)``, ``np.log(age)``, ``x``)."""
    import ast

    try:
        tree = ast.parse(code, mode="eval")
    except SyntaxError:
        return [code]
    called = {
        node.func.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    return [
        node.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and node.id not in called | {"np"}
    ]


@dataclass
class Design:
    """Model matrix (centred, no intercept) and each term's columns."""

    matrix: np.ndarray
    terms: list[str]
    columns: list[np.ndarray]
    term_factors: list[frozenset]
    info: object


def build_design(formula: str, metadata: pd.DataFrame) -> Design:
    """Model matrix of ``formula`` as R builds it for adonis2.

    Treatment contrasts with sorted levels (patsy's and R's default); the
    intercept is removed and the remaining columns centred, as vegan does.
    """
    from patsy import ModelDesc, dmatrix

    data = numeric_or_text(metadata, formula_columns(formula))
    x = dmatrix(_rhs(formula), data, return_type="dataframe", NA_action="raise")
    info = x.design_info
    # R orders terms by degree (main effects, then two-way interactions, ...),
    # keeping the formula's order within a degree; patsy groups them otherwise.
    written = [t.name() for t in ModelDesc.from_formula(_rhs(formula)).rhs_termlist]
    slices = [(t, sl) for t, sl in info.term_slices.items() if t.factors]
    slices.sort(key=lambda item: (len(item[0].factors), written.index(item[0].name())))
    terms, cols, factors = [], [], []
    for term, sl in slices:
        terms.append(term.name())
        cols.append(np.arange(sl.start, sl.stop))
        factors.append(frozenset(f.name() for f in term.factors))
    mat = x.to_numpy(dtype=float)
    mat = mat - mat.mean(axis=0)
    return Design(mat, terms, cols, factors, info)


def _models(design: Design, by: str | None) -> tuple[list, list]:
    """Column sets of the nested models and, per tested term, (model, reduced)."""
    n_terms = len(design.terms)
    full = np.concatenate(design.columns) if n_terms else np.array([], dtype=int)
    if by == "terms":
        models = [np.concatenate(design.columns[:k]) for k in range(1, n_terms + 1)]
        models = [np.array([], dtype=int), *models]
        tests = [(k + 1, k) for k in range(n_terms)]
        return models, tests
    if by == "margin":
        models = [full]
        tests = []
        for k in range(n_terms):
            others = [j for j in range(n_terms) if j != k]
            models.append(
                np.concatenate([design.columns[j] for j in others])
                if others
                else np.array([], dtype=int)
            )
            tests.append((0, k + 1))
        return models, tests
    if by is None:
        return [full, np.array([], dtype=int)], [(0, 1)]
    raise ValueError(f'by must be "terms", "margin" or None, got {by!r}')


def _marginal_terms(design: Design) -> list[int]:
    """Terms no other term contains (R's drop.scope): the ones by="margin" tests."""
    return [
        k
        for k, f in enumerate(design.term_factors)
        if not any(f < g for j, g in enumerate(design.term_factors) if j != k)
    ]


# -------------------------------------------------------------- permutations
def permutation_indices(
    n: int,
    permutations: int,
    rng: np.random.Generator,
    *,
    strata: np.ndarray | None = None,
) -> np.ndarray:
    """``permutations`` x n index array, free or within strata."""
    out = np.empty((permutations, n), dtype=np.int64)
    if strata is None:
        for i in range(permutations):
            out[i] = rng.permutation(n)
        return out
    groups = [np.flatnonzero(strata == s) for s in pd.unique(strata)]
    for i in range(permutations):
        p = np.arange(n)
        for g in groups:
            p[g] = g[rng.permutation(len(g))]
        out[i] = p
    return out


def _between_columns(metadata: pd.DataFrame, plots: np.ndarray) -> list[str]:
    """Columns that are constant within every plot (between-subject)."""
    return [
        c
        for c in metadata.columns
        if metadata.groupby(plots, sort=False)[c].nunique(dropna=False).max() <= 1
    ]


def plot_members(plots: np.ndarray) -> list[np.ndarray]:
    """Each subject's row indices, subjects in order of first appearance."""
    codes, _ = pd.factorize(plots)
    order = np.argsort(codes, kind="stable")
    return np.split(order, np.flatnonzero(np.diff(codes[order])) + 1)


def _plot_maps(
    members: list[np.ndarray], rng: np.random.Generator
) -> tuple[np.ndarray, ...]:
    """One whole-subject permutation as two row maps (see module docstring).

    ``members``: :func:`plot_members`. Row ``i`` of the permuted metadata
    takes its between-subject values from row ``a[i]`` (the first sample of
    the subject that donates them) and its within-subject values from row
    ``b[i]`` (a sample of its own subject).
    """
    donors = rng.permutation(len(members))
    n = sum(len(idx) for idx in members)
    a = np.empty(n, dtype=np.int64)
    b = np.empty(n, dtype=np.int64)
    for idx, donor in zip(members, donors, strict=True):
        a[idx] = members[donor][0]
        b[idx] = idx[rng.permutation(len(idx))]
    return a, b


def _mapped(metadata: pd.DataFrame, between: list[str], a, b) -> pd.DataFrame:
    """Metadata whose ``between`` columns come from rows ``a``, the rest from ``b``."""
    out = pd.DataFrame(
        {c: metadata[c].to_numpy()[a if c in between else b] for c in metadata.columns}
    )
    if len(out) == len(metadata):
        out.index = metadata.index
    return out


#: Largest (donor subjects x samples) table of design rows built once for the
#: whole-subject permutations; above it each permutation is built by patsy.
MAX_COMBINATIONS = 2_000_000


class _PlotDesigns:
    """Model matrices of whole-subject permutations without patsy per permutation.

    A design row depends only on its own metadata row, and a permuted row is a
    pair (donor subject's between-subject values, own sample's within-subject
    values). So the rows of every pair are built once by patsy with the
    original coding and each permutation is an index into them, then centred.
    A shift or a scale of a whole column (``center``, ``standardize``) spans the
    same and gives the same F; formulas with splines, whose columns depend on
    the whole table (:func:`_column_dependent`), and tables of more than
    :data:`MAX_COMBINATIONS` pairs are built by patsy per permutation.
    """

    def __init__(self, formula: str, metadata: pd.DataFrame, plots, between, info):
        """``info``: the patsy design info of ``formula`` on ``metadata``."""
        from patsy import build_design_matrices

        self.formula, self.metadata, self.between = formula, metadata, between
        data = numeric_or_text(metadata, formula_columns(formula))
        n = len(data)
        firsts = np.array([idx[0] for idx in plot_members(plots)])
        self.n = n
        self.slot = np.full(n, -1, dtype=np.int64)
        self.slot[firsts] = np.arange(len(firsts))
        self.rows = None
        if len(firsts) * n > MAX_COMBINATIONS or _column_dependent(info):
            return
        combo = _mapped(
            data.reset_index(drop=True),
            between,
            np.repeat(firsts, n),
            np.tile(np.arange(n), len(firsts)),
        )
        (raw,) = build_design_matrices([info], combo, NA_action="raise")
        self.rows = np.asarray(raw, dtype=float)

    def __call__(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if self.rows is None:
            return build_design(formula=self.formula, metadata=self._slow(a, b)).matrix
        x = self.rows[self.slot[a] * self.n + b]
        return x - x.mean(axis=0)

    def _slow(self, a, b) -> pd.DataFrame:
        return _mapped(self.metadata, self.between, a, b)


#: patsy's transforms that look at the whole column but only shift and scale
#: it, so a permuted table's column spans what the original coding gives.
AFFINE_TRANSFORMS = frozenset({"center", "standardize", "scale"})


def _column_dependent(info) -> bool:
    """Tell whether a factor's columns depend on the whole table.

    True for patsy's stateful transforms beyond a shift and a scale: the
    splines ``bs``, ``cr``, ``cc`` and ``te``, whose knots follow the data.
    """
    import ast

    import patsy.builtins

    for factor in info.factor_infos:
        for node in ast.walk(ast.parse(factor.name(), mode="eval")):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                name = node.func.id
                transform = getattr(patsy.builtins, name, None)
                if name not in AFFINE_TRANSFORMS and hasattr(
                    transform, "__patsy_stateful_transform__"
                ):
                    return True
    return False


# ------------------------------------------------------------------ adonis2
def adonis2(
    dm,
    metadata: pd.DataFrame,
    formula: str,
    *,
    by: str | None = "terms",
    permutations: int = 999,
    strata: str | None = None,
    plots: str | None = None,
    random_state: Seed = 0,
) -> pd.DataFrame:
    """Vegan ``adonis2(d ~ formula, data, by=, permutations=, strata=)``.

    Parameters
    ----------
    dm
        ``skbio.DistanceMatrix`` or a square array in ``metadata``'s row order.
    metadata
        One row per sample, index = sample IDs (the distance matrix's IDs are
        matched to it).
    formula
        Right-hand side (``"Management + A1"``; a leading ``d ~`` is ignored).
        Interactions (``a:b``, ``a*b``) and functions (``np.log(x)``) follow
        patsy.
    by
        ``"terms"`` (sequential), ``"margin"`` (each term adjusted for all
        others; only terms that no interaction contains) or ``None``.
    strata
        Metadata column; permutations stay within its levels.
    plots
        Metadata column of subjects; whole-subject permutation (module doc).
    random_state
        Seed of the numpy Generator all permutations are drawn from.

    Returns
    -------
    pandas.DataFrame
        Rows = tested terms (or ``Model``), ``Residual``, ``Total``; columns
        ``Df``, ``SumOfSqs``, ``R2``, ``F``, ``Pr(>F)``, as vegan prints them.
    """
    if strata is not None and plots is not None:
        raise ValueError("give strata or plots, not both")
    ids = list(metadata.index)
    if hasattr(dm, "ids"):
        missing = [i for i in ids if i not in dm.ids]
        if missing:
            raise ValueError(
                f"{len(missing)} samples of the metadata are not in the distance "
                f"matrix (first: {missing[0]})"
            )
        d = dm.filter(ids).data
    else:
        d = np.asarray(dm, dtype=float)
    n = len(ids)
    if d.shape != (n, n):
        raise ValueError(f"distance matrix is {d.shape}, metadata has {n} rows")
    g = gower(d)
    design = build_design(formula, metadata)
    models, tests = _models(design, by)
    if by == "margin":
        keep = _marginal_terms(design)
        tests = [tests[k] for k in keep]
        labels = [design.terms[k] for k in keep]
    elif by == "terms":
        labels = list(design.terms)
    else:
        labels = ["Model"]
    full_cols = np.concatenate(design.columns) if design.terms else np.array([], int)

    def basis(x, cols):
        return [_orthobasis(x[:, c]) for c in cols]

    def ss(q_list, g_mat):
        return np.array([np.sum((g_mat @ q) * q) for q in q_list])

    qs = basis(design.matrix, models)
    q_full = _orthobasis(design.matrix[:, full_cols])
    ranks = np.array([q.shape[1] for q in qs])
    rank_full = q_full.shape[1]
    total = float(np.trace(g))
    df_res = n - 1 - rank_full
    if df_res < 1:
        raise ValueError(
            f"no residual degrees of freedom: {n} samples, model rank {rank_full}"
        )

    def f_stats(model_ss, res_ss):
        out = []
        for big, small in tests:
            df = ranks[big] - ranks[small]
            ss_k = model_ss[big] - model_ss[small]
            out.append((ss_k / df) / (res_ss / df_res) if df > 0 else np.nan)
        return np.array(out)

    model_ss = ss(qs, g)
    res_ss = total - float(np.sum((g @ q_full) * q_full))
    f0 = f_stats(model_ss, res_ss)
    dfs = [int(ranks[b] - ranks[s]) for b, s in tests]
    sss = [float(model_ss[b] - model_ss[s]) for b, s in tests]

    rng = np.random.default_rng(random_state)
    exceed = np.zeros(len(tests), dtype=np.int64)
    if permutations > 0:
        if plots is not None:
            plot_ids = metadata[plots].to_numpy(dtype=object)
            used = formula_columns(formula)
            sub = metadata[[c for c in used if c in metadata.columns]]
            between = _between_columns(sub, plot_ids)
            designs = _PlotDesigns(formula, sub, plot_ids, between, design.info)
            members = plot_members(plot_ids)
            for _ in range(permutations):
                x = designs(*_plot_maps(members, rng))
                fp = f_stats(
                    ss(basis(x, models), g),
                    total - ss([_orthobasis(x[:, full_cols])], g)[0],
                )
                exceed += fp >= f0 - EPS
        else:
            st = None if strata is None else metadata[strata].to_numpy(dtype=object)
            perms = permutation_indices(n, permutations, rng, strata=st)
            all_q = [*qs, q_full]
            for start in range(0, permutations, BATCH):
                block = perms[start : start + BATCH]
                sums = []
                for q in all_q:
                    if q.shape[1] == 0:
                        sums.append(np.zeros(len(block)))
                        continue
                    # G permuted by p equals G with Q's rows moved by p^-1.
                    qp = np.empty((len(block), n, q.shape[1]))
                    qp[np.arange(len(block))[:, None], block] = q[None, :, :]
                    stacked = qp.transpose(1, 0, 2).reshape(n, -1)
                    prod = (g @ stacked) * stacked
                    sums.append(prod.reshape(n, len(block), -1).sum(axis=(0, 2)))
                sums = np.array(sums)
                for b in range(len(block)):
                    fp = f_stats(sums[:-1, b], total - sums[-1, b])
                    exceed += fp >= f0 - EPS
    p = (exceed + 1) / (permutations + 1) if permutations > 0 else [np.nan] * len(f0)
    rows = {
        label: [df, s, s / total, f, pv]
        for label, df, s, f, pv in zip(labels, dfs, sss, f0, p, strict=True)
    }
    rows["Residual"] = [df_res, res_ss, res_ss / total, np.nan, np.nan]
    rows["Total"] = [n - 1, total, 1.0, np.nan, np.nan]
    out = pd.DataFrame.from_dict(
        rows, orient="index", columns=["Df", "SumOfSqs", "R2", "F", "Pr(>F)"]
    )
    out["Df"] = out["Df"].astype(int)
    return out


# --------------------------------------------------------------- betadisper
def _spatial_median(x: np.ndarray, *, tol: float = 1e-12, max_iter: int = 10000):
    """Geometric median by Weiszfeld's algorithm from the coordinate-wise median."""
    if x.shape[1] == 0:
        return np.zeros(0)
    y = np.median(x, axis=0)
    for _ in range(max_iter):
        dist = np.sqrt(((x - y) ** 2).sum(axis=1))
        if np.any(dist < 1e-15):
            # on a data point: Vardi-Zhang step keeps it exact enough here
            dist = np.where(dist < 1e-15, 1e-15, dist)
        w = 1.0 / dist
        y_new = (x * w[:, None]).sum(axis=0) / w.sum()
        if np.sqrt(((y_new - y) ** 2).sum()) <= tol * max(1.0, np.abs(y).max()):
            return y_new
        y = y_new
    return y


def _anova_f(z: np.ndarray, codes: np.ndarray, k: int):
    """One-way ANOVA of each row of ``z`` (rows x samples) on the groups ``codes``.

    Returns each row's F, between-group and within-group sums of squares, all
    rows at once (the observed distances as one row, or every permutation's).
    """
    n = z.shape[1]
    onehot = np.zeros((n, k))
    onehot[np.arange(n), codes] = 1.0
    means = (z @ onehot) / onehot.sum(axis=0)
    grand = z.mean(axis=1, keepdims=True)
    ss_between = ((means[:, codes] - grand) ** 2).sum(axis=1)
    ss_within = ((z - means[:, codes]) ** 2).sum(axis=1)
    return (ss_between / (k - 1)) / (ss_within / (n - k)), ss_between, ss_within


@dataclass
class Betadisper:
    """Distances to group centres and their tests (as vegan prints them)."""

    distances: pd.DataFrame  # sample_id -> distance, group
    anova: pd.DataFrame  # Groups / Residuals: Df, Sum Sq, Mean Sq, F value, Pr(>F)
    permutation_p: float
    centres: pd.DataFrame


def betadisper(
    dm,
    groups: pd.Series,
    *,
    kind: str = "median",
    permutations: int = 999,
    random_state: Seed = 0,
) -> Betadisper:
    """Vegan ``betadisper(d, group, type=kind)`` and ``permutest``.

    ``groups`` is indexed by sample ID (matched to the distance matrix).
    The median is the exact spatial median (Weiszfeld); vegan finds it with
    R's BFGS ``optim``, which stops within about 1e-6 of it.
    """
    if kind not in ("median", "centroid"):
        raise ValueError(f'kind must be "median" or "centroid", got {kind!r}')
    ids = list(groups.index)
    d = dm.filter(ids).data if hasattr(dm, "ids") else np.asarray(dm, dtype=float)
    levels = sorted(pd.unique(groups.astype(str)))
    codes = pd.Categorical(groups.astype(str), categories=levels).codes
    counts = np.bincount(codes, minlength=len(levels))
    if len(levels) < 2:
        raise ValueError("betadisper needs at least two groups")
    if counts.min() < 2:
        lone = [lv for lv, c in zip(levels, counts, strict=True) if c < 2]
        raise ValueError(f"groups with a single sample: {', '.join(lone)}")
    g = gower(d)
    eig, vec = linalg.eigh(g)
    order = np.argsort(eig)[::-1]
    eig, vec = eig[order], vec[:, order]
    want = np.abs(eig) > max(EPS, EPS * eig[0])
    eig, vec = eig[want], vec[:, want]
    coords = vec * np.sqrt(np.abs(eig))
    pos = eig > 0
    centres = np.zeros((len(levels), coords.shape[1]))
    for k in range(len(levels)):
        x = coords[codes == k]
        if kind == "centroid":
            centres[k] = x.mean(axis=0)
        else:
            centres[k, pos] = _spatial_median(x[:, pos])
            centres[k, ~pos] = _spatial_median(x[:, ~pos])
    diff = coords - centres[codes]
    d_pos = (diff[:, pos] ** 2).sum(axis=1)
    d_neg = (diff[:, ~pos] ** 2).sum(axis=1)
    z = np.sqrt(np.abs(d_pos - d_neg))
    k, n = len(levels), len(z)
    with np.errstate(divide="ignore", invalid="ignore"):
        (f,), (ssb,), (ssw,) = _anova_f(z[None, :], codes, k)
    f, ssb, ssw = float(f), float(ssb), float(ssw)
    if not ssw > EPS * EPS * (ssb + ssw):  # zero, or NaN
        raise ValueError(
            "each group's samples are all as far from its centre as one "
            "another (within-group sum of squares "
            f"{ssw:.3g}; groups of {', '.join(map(str, sorted(set(counts))))} "
            "samples), so the dispersion test is undefined; it needs groups "
            "of at least three samples that differ in their distance"
        )
    p_param = float(special.fdtrc(k - 1, n - k, f))  # the F upper tail (stats.f.sf)
    # permutest.betadisper: the residuals of z ~ group, permuted, are the
    # new response (refitted on the same groups).
    resid = z - (np.bincount(codes, weights=z, minlength=k) / counts)[codes]
    rng = np.random.default_rng(random_state)
    orders = np.array(
        [rng.permutation(n) for _ in range(permutations)], dtype=np.intp
    ).reshape(permutations, n)
    with np.errstate(divide="ignore", invalid="ignore"):  # a permutation may tie
        permuted = _anova_f(resid[orders], codes, k)[0]
    exceed = int((permuted >= f - EPS).sum())
    anova = pd.DataFrame(
        {
            "Df": [k - 1, n - k],
            "Sum Sq": [ssb, ssw],
            "Mean Sq": [ssb / (k - 1), ssw / (n - k)],
            "F value": [f, np.nan],
            "Pr(>F)": [p_param, np.nan],
        },
        index=["Groups", "Residuals"],
    )
    distances = pd.DataFrame(
        {"distance": z, "group": groups.astype(str).to_numpy()}, index=ids
    )
    distances.index.name = "sample_id"
    return Betadisper(
        distances=distances,
        anova=anova,
        permutation_p=(exceed + 1) / (permutations + 1) if permutations else np.nan,
        centres=pd.DataFrame(centres, index=levels),
    )
