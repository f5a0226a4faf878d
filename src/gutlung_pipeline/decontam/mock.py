"""Mock communities: how well the pipeline recovers a known composition.

The expected composition is a TSV with columns ``taxon`` (a name at the
configured rank, e.g. ``Pseudomonas`` for genus, or a full lineage) and
``relative_abundance`` (any positive weights; normalised to sum 1). Each mock
sample's counts are collapsed to that rank and compared:

* **recall**: expected taxa observed at or above ``detection_limit``, over
  expected taxa;
* **precision**: observed taxa (at or above the limit) that are expected, over
  observed taxa;
* **Bray-Curtis** between the observed and expected relative abundances (over
  the union of taxa; 0 = identical);
* **relative-abundance error**: mean and largest absolute difference over the
  expected taxa.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MOCK_COLUMNS = [
    "sample_id",
    "reads",
    "expected_taxa",
    "observed_taxa",
    "true_positives",
    "recall",
    "precision",
    "bray_curtis",
    "mean_abs_error",
    "max_abs_error",
]

MOCK_TAXA_COLUMNS = ["sample_id", "taxon", "expected", "observed", "in_expected"]


def read_expected(path) -> pd.Series:
    """Read the expected composition as a Series taxon -> share (sums to 1)."""
    from ..io import read_tsv

    df = read_tsv(path).reset_index()
    missing = [c for c in ("taxon", "relative_abundance") if c not in df.columns]
    if missing:
        raise ValueError(
            f"{path}: no column {', '.join(missing)}; the expected composition needs "
            "columns taxon and relative_abundance"
        )
    share = pd.to_numeric(df["relative_abundance"], errors="coerce")
    bad = df.index[~(share > 0)]
    if len(bad):
        raise ValueError(
            f"{path}: row {int(bad[0]) + 2} (taxon {df.loc[bad[0], 'taxon']}): "
            "relative_abundance must be a positive number"
        )
    taxa = df["taxon"].astype(str).map(_label)
    if taxa.duplicated().any():
        raise ValueError(
            f"{path}: taxon {taxa[taxa.duplicated()].iloc[0]} is listed twice; "
            "give each taxon once"
        )
    return pd.Series(share.to_numpy() / share.sum(), index=taxa.to_numpy())


def _label(taxon: str) -> str:
    from ..taxonomy import short_name

    return short_name(taxon)


def mock_accuracy(
    counts: pd.DataFrame,
    expected: pd.Series,
    *,
    detection_limit: float = 0.001,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Accuracy of each mock sample against ``expected``.

    Parameters
    ----------
    counts
        Taxa x mock samples, already collapsed to the expected rank (labels
        like ``g__Pseudomonas`` or lineages; compared by their last named
        rank).
    expected
        From :func:`read_expected`.

    Returns
    -------
    summary : pandas.DataFrame
        One row per mock sample (:data:`MOCK_COLUMNS`).
    taxa : pandas.DataFrame
        sample_id, taxon, expected, observed (relative abundances), and
        whether the taxon is expected.
    """
    from scipy.spatial.distance import braycurtis  # imported where used (0.3 s)

    labels = counts.index.map(_label)
    collapsed = counts.groupby(labels).sum()
    rows, taxa_rows = [], []
    for sid in counts.columns:
        reads = int(collapsed[sid].sum())
        obs = collapsed[sid] / reads if reads else collapsed[sid] * 0.0
        seen = set(obs.index[obs >= detection_limit]) if reads else set()
        hits = seen & set(expected.index)
        union = sorted(set(obs.index[obs > 0]) | set(expected.index))
        o = obs.reindex(union, fill_value=0.0).to_numpy(float)
        e = expected.reindex(union, fill_value=0.0).to_numpy(float)
        err = np.abs(obs.reindex(expected.index, fill_value=0.0) - expected)
        rows.append(
            {
                "sample_id": sid,
                "reads": reads,
                "expected_taxa": len(expected),
                "observed_taxa": len(seen),
                "true_positives": len(hits),
                "recall": len(hits) / len(expected) if reads else np.nan,
                "precision": len(hits) / len(seen) if seen else np.nan,
                "bray_curtis": braycurtis(o, e) if reads else np.nan,
                "mean_abs_error": float(err.mean()) if reads else np.nan,
                "max_abs_error": float(err.max()) if reads else np.nan,
            }
        )
        taxa_rows += [
            {
                "sample_id": sid,
                "taxon": t,
                "expected": e[k],
                "observed": o[k],
                "in_expected": t in expected.index,
            }
            for k, t in enumerate(union)
        ]
    summary = pd.DataFrame(rows, columns=MOCK_COLUMNS)
    taxa = pd.DataFrame(taxa_rows, columns=MOCK_TAXA_COLUMNS)
    return summary, taxa
