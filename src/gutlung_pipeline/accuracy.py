"""Score an ASV table against a simulation's truth (the denoising benchmark).

A true sequence is *recovered* when an ASV equals it exactly. The measures are
those of the denoising issue's table: precision (ASVs that are true
sequences), recall (true sequences recovered), per-sample recall (of the true
sequences with at least ``min_reads`` reads in a sample, the share present in
that sample's column), chimeric ASVs (ASVs made of a prefix of one true
sequence and the suffix of another), reads kept, and the Spearman correlation
of each sample's Shannon index with the truth's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
from scipy.stats import spearmanr
from skbio.diversity.alpha import shannon


def _common_prefix(a: str, b: str) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


def is_chimera(seq: str, parents: Iterable[str]) -> bool:
    """Tell whether ``seq`` is an exact two-parent chimera.

    True when ``seq`` is a prefix of one parent joined to the suffix of
    another (different) parent, with no other difference.
    """
    parents = [p for p in parents if p != seq]
    if len(parents) < 2:
        return False
    left = np.array([_common_prefix(seq, p) for p in parents])
    rev = seq[::-1]
    right = np.array([_common_prefix(rev, p[::-1]) for p in parents])
    # the best right part from a parent other than the best left one
    i = int(np.argmax(left))
    others = np.delete(right, i)
    j = int(np.argmax(right))
    return bool(
        left[i] + others.max() >= len(seq)
        or right[j] + np.delete(left, j).max() >= len(seq)
    )


def score(
    table: pd.DataFrame,
    sequences: Mapping[str, str],
    truth: pd.DataFrame,
    input_reads: Mapping[str, int] | None = None,
    *,
    min_reads: int = 10,
    abundant: int = 1000,
) -> dict[str, float]:
    """Accuracy of ``table`` (ASV ID x sample counts) against ``truth``.

    Parameters
    ----------
    table
        Counts, rows ASV IDs, columns sample IDs.
    sequences
        ASV ID -> sequence (every row of ``table``).
    truth
        The simulation's truth: ``sample_id``, ``sequence``, ``reads``.
    input_reads
        Sample ID -> reads (pairs) in the input, for ``reads_kept``; without
        it ``reads_kept`` is NaN.
    min_reads
        Reads a true sequence needs in a sample to count for per-sample recall.
    abundant
        Reads (all samples) from which a true sequence counts in ``lost_abundant``.

    Returns
    -------
    dict
        ``asvs``, ``true_seqs`` (with at least one read), ``precision``,
        ``recall``, ``per_sample_recall``, ``chimeric_asvs``, ``other_false``,
        ``reads_kept``, ``shannon_spearman`` and ``lost_abundant`` (true
        sequences with at least ``abundant`` reads in all that are not found).
    """
    truth = truth[truth["reads"] > 0]
    true_seqs = set(truth["sequence"])
    ids = list(table.index)
    seq_of = {i: sequences[i] for i in ids}
    true_ids = {i for i in ids if seq_of[i] in true_seqs}
    false_ids = [i for i in ids if i not in true_ids]
    chimeric = sum(is_chimera(seq_of[i], true_seqs) for i in false_ids)
    recovered = {seq_of[i] for i in true_ids}

    samples = [s for s in table.columns if s in set(truth["sample_id"])]
    by_seq = table.rename(index=seq_of)
    found = total = 0
    ours, theirs = [], []
    for sample in samples:
        rows = truth[truth["sample_id"] == sample]
        present = set(by_seq.index[by_seq[sample].to_numpy() > 0])
        wanted = rows.loc[rows["reads"] >= min_reads, "sequence"]
        found += int(wanted.isin(present).sum())
        total += len(wanted)
        ours.append(shannon(table[sample].to_numpy()) if table[sample].sum() else 0.0)
        theirs.append(shannon(rows["reads"].to_numpy()))
    kept = np.nan
    if input_reads is not None:
        given = sum(int(input_reads[s]) for s in samples)
        kept = float(table[samples].to_numpy().sum() / given) if given else np.nan
    rho = spearmanr(ours, theirs).statistic if len(samples) > 2 else np.nan
    totals = truth.groupby("sequence")["reads"].sum()
    return {
        "asvs": len(ids),
        "true_seqs": len(true_seqs),
        "precision": len(true_ids) / len(ids) if ids else np.nan,
        "recall": len(recovered) / len(true_seqs) if true_seqs else np.nan,
        "per_sample_recall": found / total if total else np.nan,
        "chimeric_asvs": int(chimeric),
        "other_false": len(false_ids) - int(chimeric),
        "reads_kept": kept,
        "shannon_spearman": float(rho),
        "lost_abundant": int(
            (~totals.index.isin(list(recovered)) & (totals >= abundant)).sum()
        ),
    }
