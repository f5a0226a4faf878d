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

import numpy as np
import pandas as pd
from skbio import DistanceMatrix, TreeNode
from skbio.diversity import alpha_diversity, beta_diversity
from skbio.stats import subsample_counts
from skbio.stats.ordination import OrdinationResults, pcoa

#: Alpha metrics written to alpha.tsv (Shannon in bits, as QIIME 2).
ALPHA_METRICS = ("observed_features", "shannon", "faith_pd")
#: Beta metrics; UniFrac needs the rooted tree. Weighted UniFrac is unnormalised.
BETA_METRICS = ("braycurtis", "unweighted_unifrac", "weighted_unifrac")
PHYLOGENETIC = {"faith_pd", "unweighted_unifrac", "weighted_unifrac"}


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
    rng = np.random.default_rng(random_state)
    reads = table.sum(axis=0).astype("int64")
    enough = reads >= depth
    kept = list(table.columns[enough.to_numpy()])
    out = np.zeros((table.shape[0], len(kept)), dtype="int64")
    for j, sample in enumerate(kept):
        out[:, j] = subsample_counts(
            table[sample].to_numpy(dtype="int64"), depth, seed=rng
        )
    rarefied = pd.DataFrame(out, index=table.index, columns=kept)
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
    summary.index.name = "sample_id"
    return rarefied, summary


def _check_tree(table: pd.DataFrame, tree: TreeNode) -> None:
    tips = {t.name for t in tree.tips()}
    missing = [f for f in table.index if f not in tips]
    if missing:
        raise ValueError(
            f"{len(missing)} features are not tips of the tree (first: {missing[0]}); "
            "build the tree from the same ASVs as the table"
        )


def alpha(table: pd.DataFrame, *, tree: TreeNode | None = None) -> pd.DataFrame:
    """Observed features, Shannon (base 2) and Faith PD per sample.

    Faith PD is computed when ``tree`` (rooted, with every feature as a tip) is
    given; the path to the root counts, as in QIIME 2.
    """
    counts = table.T.to_numpy()
    ids = list(table.columns)
    taxa = list(table.index)
    out = {
        "observed_features": alpha_diversity("observed_features", counts, ids=ids),
        "shannon": alpha_diversity("shannon", counts, ids=ids, base=2),
    }
    if tree is not None:
        _check_tree(table, tree)
        out["faith_pd"] = alpha_diversity(
            "faith_pd", counts, ids=ids, taxa=taxa, tree=tree
        )
    df = pd.DataFrame(out)
    df.index.name = "sample_id"
    return df


def beta(
    table: pd.DataFrame, *, metric: str, tree: TreeNode | None = None
) -> DistanceMatrix:
    """Distance matrix between samples for one of :data:`BETA_METRICS`."""
    if metric not in BETA_METRICS:
        raise ValueError(f"unknown beta metric {metric!r}; use one of {BETA_METRICS}")
    counts = table.T.to_numpy()
    ids = list(table.columns)
    if metric in PHYLOGENETIC:
        if tree is None:
            raise ValueError(f"{metric} needs the rooted tree")
        _check_tree(table, tree)
        return beta_diversity(
            metric, counts, ids=ids, taxa=list(table.index), tree=tree
        )
    return beta_diversity(metric, counts, ids=ids)


def ordinate(dm: DistanceMatrix) -> OrdinationResults:
    """Principal coordinates of a distance matrix (eigh, all axes)."""
    return pcoa(dm)
