"""Feature tables as counts: relative abundances and sums to a taxonomic rank.

Used by every step that works at a rank (maturity, differential abundance,
claims, decontam's mock scoring, the merging of studies), so they sit here,
below all of them.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["collapse", "relative_abundance"]


def relative_abundance(table: pd.DataFrame) -> pd.DataFrame:
    """Columns (samples) scaled to sum to 1; samples with no reads raise."""
    totals = table.sum(axis=0)
    empty = list(totals.index[totals == 0])
    if empty:
        raise ValueError(
            f"samples {', '.join(map(str, empty[:5]))} have no reads; drop them from "
            "the maturity input"
        )
    return table / totals


def collapse(table: pd.DataFrame, taxonomy: pd.Series, *, rank: str) -> pd.DataFrame:
    """Sum features that share a taxon down to ``rank`` (a letter of d..s).

    ``taxonomy`` holds QIIME 2 taxon strings by feature ID; the label is the
    lineage down to ``rank`` (or as deep as assigned, so unclassified features
    of one family stay together, apart from its genera).
    """
    from .taxonomy import RANKS

    if rank not in RANKS:
        raise ValueError(f"rank must be one of {', '.join(RANKS)}, got {rank!r}")
    depth = RANKS.index(rank) + 1
    missing = table.index.difference(taxonomy.index)
    if len(missing):
        raise ValueError(
            f"{len(missing)} features have no taxonomy (first: {missing[0]})"
        )
    labels = taxonomy.reindex(table.index).map(
        lambda t: "; ".join(p.strip() for p in str(t).split(";")[:depth])
    )
    return table.groupby(labels).sum()


def relative_by_rank(
    table: pd.DataFrame, taxonomy: pd.Series
) -> dict[str, pd.DataFrame]:
    """Return each sample's relative abundance per taxon, at each rank.

    Keys are the rank names Phylum..Genus; each table is taxa (the lineage
    down to that rank, as :func:`collapse` labels them) x samples, columns
    summing to 1 (0 for a sample without reads).
    """
    names = ("Phylum", "Class", "Order", "Family", "Genus")
    out = {}
    for name, rank in zip(names, ("p", "c", "o", "f", "g"), strict=True):
        counts = collapse(table, taxonomy, rank=rank)
        totals = counts.sum(axis=0)
        shares = counts / totals.where(totals > 0, 1)
        shares.index.name = "taxon"
        out[name] = shares
    return out
