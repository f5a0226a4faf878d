"""Alpha and beta diversity and PCoA with scikit-bio, on a seeded rarefied table.

Samples below the rarefaction depth are excluded and returned in a list; they
are never dropped silently.

References
----------
Faith DP (1992). Conservation evaluation and phylogenetic diversity. Biol Conserv
61:1-10. doi:10.1016/0006-3207(92)91201-3
Lozupone C, Knight R (2005). UniFrac: a new phylogenetic method for comparing
microbial communities. Appl Environ Microbiol 71:8228-8235.
doi:10.1128/AEM.71.12.8228-8235.2005
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from biom import subsample as biom_subsample
from scipy import sparse

if TYPE_CHECKING:
    # scikit-bio (with scipy.stats, about a second) is imported by the
    # functions that use it: `gutlung rarefy` needs neither
    from skbio import DistanceMatrix, TreeNode
    from skbio.stats.ordination import OrdinationResults

#: Alpha metrics written to alpha.tsv: Shannon in bits (as QIIME 2), Simpson as
#: Gini-Simpson 1 - sum p^2, Pielou's evenness H/ln S, bias-corrected Chao1.
ALPHA_METRICS = (
    "observed_features",
    "shannon",
    "simpson",
    "pielou_e",
    "chao1",
    "faith_pd",
)
#: Metrics of the rarefaction curves (QIIME 2's alpha-rarefaction defaults).
CURVE_METRICS = ("observed_features", "shannon", "faith_pd")
#: Beta metrics. UniFrac needs the rooted tree; weighted UniFrac is
#: unnormalised. Aitchison and robust Aitchison use unrarefied counts.
BETA_METRICS = (
    "braycurtis",
    "jaccard",
    "unweighted_unifrac",
    "weighted_unifrac",
    "aitchison",
    "robust_aitchison",
)
PHYLOGENETIC = {"faith_pd", "unweighted_unifrac", "weighted_unifrac"}
COMPOSITIONAL = {"aitchison", "robust_aitchison"}


def rarefy(
    table: pd.DataFrame, *, depth: int, random_state: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Subsample every sample to ``depth`` reads without replacement.

    Parameters
    ----------
    table
        Features x samples counts.
    depth
        Reads per sample after rarefaction.
    random_state
        Seed of one numpy Generator drawn from in column order, so the same
        table and seed give the same rarefied table.

    Returns
    -------
    rarefied : pandas.DataFrame
        Features x kept samples; features with no read left are removed.
    summary : pandas.DataFrame
        Every sample: ``reads`` (before), ``rarefied`` (True/False) and ``reason``.
    """
    if depth < 1:
        raise ValueError(f"depth must be at least 1, got {depth}")
    reads = table.sum(axis=0).astype("int64")
    enough = reads >= depth
    rarefied = _draws(table.loc[:, enough], depth, np.random.default_rng(random_state))
    rarefied = rarefied.loc[rarefied.sum(axis=1) > 0]
    summary = pd.DataFrame(
        {
            "reads": reads,
            "rarefied": enough,
            "reason": [
                "" if ok else f"{n} reads < depth {depth}"
                for n, ok in zip(reads, enough, strict=True)
            ],
        },
    )
    summary = summary.rename_axis("sample_id")  # never rename the input's index
    return rarefied, summary


def _check_tree(table: pd.DataFrame, tree: TreeNode) -> None:
    tips = {t.name for t in tree.tips()}
    missing = [f for f in table.index if f not in tips]
    if missing:
        raise ValueError(
            f"{len(missing)} features are not tips of the tree (first: {missing[0]}); "
            "build the tree from the same ASVs as the table"
        )


def _alpha_kwargs(metric: str) -> dict:
    return {"base": 2} if metric == "shannon" else {}


def alpha(
    table: pd.DataFrame,
    *,
    tree: TreeNode | None = None,
    metrics: tuple[str, ...] = ALPHA_METRICS,
) -> pd.DataFrame:
    """Alpha diversity per sample (columns = ``metrics``).

    Faith PD needs ``tree`` (rooted, every feature a tip; the path to the root
    counts, as in QIIME 2) and is skipped without one. Pielou's evenness is
    NaN for a sample with one feature.
    """
    counts = table.T.to_numpy()
    ids = list(table.columns)
    taxa = list(table.index)
    out = {}
    from skbio.diversity import alpha_diversity

    if tree is not None and "faith_pd" in metrics:
        _check_tree(table, tree)
    for metric in metrics:
        if metric == "faith_pd":
            if tree is None:
                continue
            out[metric] = alpha_diversity(
                metric, counts, ids=ids, taxa=taxa, tree=tree, validate=False
            )
        else:
            out[metric] = alpha_diversity(
                metric, counts, ids=ids, **_alpha_kwargs(metric)
            )
    df = pd.DataFrame(out)
    return df.rename_axis("sample_id")


def _draws(table: pd.DataFrame, depth: int, rng: np.random.Generator) -> pd.DataFrame:
    """One rarefaction of every column (all must have >= depth reads).

    The draws of :func:`skbio.stats.subsample_counts` column by column, in
    one call: scikit-bio draws each vector as a one-row sparse matrix with
    ``biom.subsample``, which takes the rows of a matrix in order from the
    same Generator, so one matrix of every sample gives the same counts
    without a sparse matrix a sample (``tests/unit/test_diversity.py``).
    """
    totals = table.sum(axis=0)
    if (totals < depth).any():
        short = totals.index[totals < depth][0]
        raise ValueError(
            f"sample {short}: {int(totals[short])} reads; every sample must have "
            f"at least {depth} reads to draw (leave it out or lower the depth)"
        )
    values = sparse.csr_array(table.to_numpy(dtype="float64").T)
    values.indptr = values.indptr.astype(np.int32, copy=False)
    biom_subsample(values, depth, False, rng)
    out = values.toarray().astype("int64").T
    return pd.DataFrame(out, index=table.index, columns=table.columns)


def alpha_rarefied(
    table: pd.DataFrame,
    *,
    depth: int,
    iterations: int,
    random_state: int,
    tree: TreeNode | None = None,
    metrics: tuple[str, ...] = ALPHA_METRICS,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Mean and SD of alpha diversity over ``iterations`` seeded rarefactions.

    Samples below ``depth`` are left out (see :func:`rarefy` for the list).
    One Generator seeded with ``random_state`` is drawn from in iteration,
    then column, order. Returns (mean, sd) with ddof=1 (NaN for one draw).
    """
    if iterations < 1:
        raise ValueError(f"iterations must be at least 1, got {iterations}")
    rng = np.random.default_rng(random_state)
    kept = table.loc[:, table.sum(axis=0) >= depth]
    runs = [
        alpha(_draws(kept, depth, rng), tree=tree, metrics=metrics)
        for _ in range(iterations)
    ]
    stacked = np.stack([r.to_numpy() for r in runs])
    mean = pd.DataFrame(
        stacked.mean(axis=0), index=runs[0].index, columns=runs[0].columns
    )
    sd = pd.DataFrame(
        stacked.std(axis=0, ddof=1)
        if iterations > 1
        else np.full(stacked.shape[1:], np.nan),
        index=runs[0].index,
        columns=runs[0].columns,
    )
    return mean, sd


def alpha_table(
    table: pd.DataFrame,
    *,
    depth: int,
    iterations: int,
    random_state: int,
    tree: TreeNode | None = None,
    metrics: tuple[str, ...] = ALPHA_METRICS,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Compute the workflow's alpha diversity table.

    The workflow's alpha diversity: mean and SD over ``iterations`` seeded
    rarefactions to ``depth`` (:func:`alpha_rarefied`), or with
    ``iterations`` 0 the unrarefied counts of every sample with reads (SD
    NaN).

    Raises
    ------
    ValueError
        ``faith_pd`` is asked for without a tree.
    """
    if "faith_pd" in metrics and tree is None:
        raise ValueError(
            "faith_pd needs the rooted tree; give --tree or drop the metric"
        )
    if iterations == 0:
        mean = alpha(table.loc[:, table.sum(axis=0) > 0], tree=tree, metrics=metrics)
        return mean, mean * float("nan")
    return alpha_rarefied(
        table,
        depth=depth,
        iterations=iterations,
        random_state=random_state,
        tree=tree,
        metrics=metrics,
    )


def curve_depths(max_depth: int, steps: int = 10) -> list[int]:
    """Space ``steps`` depths evenly from 1 to ``max_depth`` (QIIME 2's grid)."""
    if max_depth < 1:
        raise ValueError(f"max depth must be at least 1, got {max_depth}")
    return sorted({int(d) for d in np.linspace(1, max_depth, steps)})


def rarefaction_curves(
    table: pd.DataFrame,
    *,
    depths: list[int],
    iterations: int,
    random_state: int,
    tree: TreeNode | None = None,
    metrics: tuple[str, ...] = CURVE_METRICS,
    threads: int = 1,
) -> pd.DataFrame:
    """Per-sample alpha diversity at each depth, mean and SD over draws.

    Long table: ``sample_id, depth, metric, mean, sd, iterations``; a sample
    has rows only at depths it reaches. Each depth draws from its own
    Generator, seeded in turn from ``random_state``, so ``threads`` depths
    at a time in forked worker processes
    (:func:`gutlung_pipeline.workers.forked_map`) give the same curves as
    one. The workers are plain forks that inherit the table and the tree:
    scikit-bio's alpha diversity runs no OpenMP code, whose thread pool
    would not survive a fork of a process that has used it (so no distance
    or PCoA before this in the same process).
    """
    from .workers import forked_map

    rng = np.random.default_rng(random_state)
    totals = table.sum(axis=0)
    parts = []
    for depth in depths:
        kept = table.loc[:, totals >= depth]
        if kept.shape[1] == 0:
            continue
        parts.append((depth, kept, int(rng.integers(2**32))))

    def draw(part):
        depth, kept, seed = part
        return alpha_rarefied(
            kept,
            depth=depth,
            iterations=iterations,
            random_state=seed,
            tree=tree,
            metrics=metrics,
        )

    drawn = forked_map(draw, parts, threads)
    rows = []
    for (depth, _, _), (mean, sd) in zip(parts, drawn, strict=True):
        for metric in mean.columns:
            rows.append(
                pd.DataFrame(
                    {
                        "sample_id": mean.index,
                        "depth": depth,
                        "metric": metric,
                        "mean": mean[metric].to_numpy(),
                        "sd": sd[metric].to_numpy(),
                        "iterations": iterations,
                    }
                )
            )
    return pd.concat(rows, ignore_index=True)


def curves_by_group(curves: pd.DataFrame, groups: pd.Series) -> pd.DataFrame:
    """Mean, SD and n over the samples of each group at each depth and metric."""
    df = curves.assign(group=curves["sample_id"].map(groups).fillna("NA"))
    out = (
        df.groupby(["group", "metric", "depth"], sort=True)["mean"]
        .agg(n="count", mean="mean", sd="std")
        .reset_index()
    )
    return out


def aitchison(table: pd.DataFrame, *, pseudocount: float = 1.0) -> DistanceMatrix:
    """Euclidean distance between clr vectors of ``counts + pseudocount``.

    Features absent from every sample of the table are dropped first, so the
    distance depends only on the samples compared.
    """
    if pseudocount <= 0:
        raise ValueError(f"pseudocount must be positive, got {pseudocount}")
    from scipy.spatial.distance import pdist, squareform
    from skbio import DistanceMatrix
    from skbio.stats.composition import clr

    kept = table.loc[table.sum(axis=1) > 0]
    coords = clr(kept.T.to_numpy(dtype=float) + pseudocount)
    return DistanceMatrix(
        squareform(pdist(coords, "euclidean")), ids=list(table.columns)
    )


def complete_matrix(
    obs: np.ndarray,
    *,
    rank: int = 3,
    max_iter: int = 100,
    tol: float = 1e-7,
    ridge: float = 1e-6,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rank-``rank`` completion of a matrix with missing entries (NaN).

    Alternating least squares on the observed entries from the rank-``rank``
    SVD of the zero-filled matrix (a tiny ridge keeps every small system
    solvable); stops when the relative change of the observed-entry error
    falls below ``tol``. Returns the SVD (u, s, vt) of the completed matrix.
    The objective is OptSpace's (Keshavan et al. 2010, as in gemelli's RPCA);
    the solver is ours.
    """
    n, m = obs.shape
    if rank >= min(n, m):
        raise ValueError(
            f"rank {rank} needs at least {rank + 1} samples and features "
            f"(table is {n} x {m})"
        )
    mask = ~np.isnan(obs)
    x = np.where(mask, obs, 0.0)
    w = mask.astype(float)
    u, s, vt = np.linalg.svd(x, full_matrices=False)
    a = u[:, :rank] * np.sqrt(s[:rank])
    b = vt[:rank].T * np.sqrt(s[:rank])
    eye = ridge * np.eye(rank)
    previous = None
    for _ in range(max_iter):
        gram = np.einsum("ij,jk,jl->ikl", w, b, b) + eye
        a = np.linalg.solve(gram, (x @ b)[:, :, None])[:, :, 0]
        gram = np.einsum("ij,ik,il->jkl", w, a, a) + eye
        b = np.linalg.solve(gram, (x.T @ a)[:, :, None])[:, :, 0]
        err = float(np.sum((w * (x - a @ b.T)) ** 2))
        if previous is not None and abs(previous - err) <= tol * max(previous, 1e-300):
            break
        previous = err
    u, s, vt = np.linalg.svd(a @ b.T, full_matrices=False)
    return u[:, :rank], s[:rank], vt[:rank]


def robust_aitchison(table: pd.DataFrame, *, rank: int = 3) -> DistanceMatrix:
    """Robust Aitchison distance (RPCA; Martino et al. 2019).

    rclr of each sample over its non-zero features (zeros missing), rank-3
    matrix completion (:func:`complete_matrix`), and the Euclidean distance
    between the samples' rows of the completed matrix's left singular vectors
    (gemelli's RPCA distance). Features absent from every sample are dropped.

    Raises
    ------
    ValueError
        ``rank`` or fewer samples or features: nothing to complete.
    """
    kept = table.loc[table.sum(axis=1) > 0]
    if min(kept.shape) <= rank:
        raise ValueError(
            f"robust_aitchison needs more than {rank} samples and features with "
            f"reads (rank-{rank} matrix completion); this table has "
            f"{table.shape[1]} samples and {len(kept)} features; drop "
            "robust_aitchison from diversity.beta_metrics"
        )
    from scipy.spatial.distance import pdist, squareform
    from skbio import DistanceMatrix
    from skbio.stats.composition import rclr

    obs = rclr(kept.T.to_numpy(dtype=float))
    u, _, _ = complete_matrix(obs, rank=rank)
    return DistanceMatrix(squareform(pdist(u, "euclidean")), ids=list(table.columns))


def beta(
    table: pd.DataFrame,
    *,
    metric: str,
    tree: TreeNode | None = None,
    pseudocount: float = 1.0,
) -> DistanceMatrix:
    """Distance matrix between samples for one of :data:`BETA_METRICS`."""
    if metric not in BETA_METRICS:
        raise ValueError(f"unknown beta metric {metric!r}; use one of {BETA_METRICS}")
    from skbio.diversity import beta_diversity

    if metric == "aitchison":
        return aitchison(table, pseudocount=pseudocount)
    if metric == "robust_aitchison":
        return robust_aitchison(table)
    counts = table.T.to_numpy()
    ids = list(table.columns)
    if metric in PHYLOGENETIC:
        if tree is None:
            raise ValueError(f"{metric} needs the rooted tree (give --tree)")
        _check_tree(table, tree)
        return beta_diversity(
            metric, counts, ids=ids, taxa=list(table.index), tree=tree, validate=False
        )
    return beta_diversity(metric, counts, ids=ids)


def beta_rarefied(
    table: pd.DataFrame,
    *,
    metric: str,
    depth: int,
    iterations: int,
    random_state: int,
    tree: TreeNode | None = None,
    pseudocount: float = 1.0,
) -> DistanceMatrix:
    """Beta diversity robust to rarefaction, on the samples with >= ``depth``.

    Count-based metrics: the mean distance matrix over ``iterations`` seeded
    rarefactions (vegan's ``avgdist``). Aitchison and robust Aitchison: the
    unrarefied counts of the same samples (compositional methods need no
    rarefaction).
    """
    kept = table.loc[:, table.sum(axis=0) >= depth]
    if metric in COMPOSITIONAL:
        return beta(kept, metric=metric, pseudocount=pseudocount)
    if iterations < 1:
        raise ValueError(f"iterations must be at least 1, got {iterations}")
    rng = np.random.default_rng(random_state)
    total = None
    from skbio import DistanceMatrix

    for _ in range(iterations):
        dm = beta(_draws(kept, depth, rng), metric=metric, tree=tree)
        total = dm.data if total is None else total + dm.data
    return DistanceMatrix(total / iterations, ids=list(kept.columns))


def ordinate(dm: DistanceMatrix) -> OrdinationResults:
    """Principal coordinates of a distance matrix (eigh, all axes).

    Proportion explained is each positive eigenvalue over their sum;
    negative eigenvalues (non-Euclidean metrics) are set to 0, as scikit-bio
    and QIIME 2 do.
    """
    from skbio.stats.ordination import pcoa

    return pcoa(dm)
