"""The ASV table and the read tracking."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is imported where tables are built, not by read steps
    import pandas as pd


TRACKING_COLUMNS = (
    "input",
    "primer_trimmed",
    "merged",
    "filtered",
    "in_table",
)


def build_table(
    asv_ids: Sequence[str], counts: Mapping[str, pd.Series]
) -> pd.DataFrame:
    """Assemble the features x samples count table.

    Parameters
    ----------
    asv_ids
        ASV IDs in output order (abundance order from UNOISE).
    counts
        Sample ID -> counts per ASV ID (from :func:`read_otutab_samples`).

    Returns
    -------
    pandas.DataFrame
        int64 counts; rows are ASVs with at least one read, in ``asv_ids`` order;
        columns are samples in the order given (samples with no reads stay, as
        zeros).
    """
    import pandas as pd

    index = pd.Index(list(asv_ids), name="#OTU ID")
    table = pd.DataFrame(0, index=index, columns=list(counts), dtype="int64")
    for sample, series in counts.items():
        unknown = series.index.difference(index)
        if len(unknown):
            raise ValueError(f"sample {sample}: counts for unknown ASV {unknown[0]}")
        table.loc[series.index, sample] = series.to_numpy()
    return table.loc[table.sum(axis=1) > 0]


def read_tracking(
    stats: Mapping[str, Mapping[str, int]], table: pd.DataFrame
) -> pd.DataFrame:
    """Count the reads per sample after every step, from input to the table.

    Parameters
    ----------
    stats
        Sample ID -> step counts (``input``, ``primer_trimmed``, optional
        ``merged``, ``filtered``).
    table
        The ASV table; its column sums are ``in_table``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``sample_id``: the counts of :data:`TRACKING_COLUMNS`
        (``merged`` empty for single-end runs), ``quality_filtered`` where the
        stats give it (the reads within the expected-error limit, which the
        default engine denoises; ``filtered`` are those it counts) and
        ``pct_in_table`` (in_table / input, percent).
    """
    import numpy as np
    import pandas as pd

    in_table = table.sum(axis=0)
    rows = []
    for sample, counts in stats.items():
        row = {"sample_id": sample}
        for col in TRACKING_COLUMNS[:-1]:
            row[col] = counts.get(col, pd.NA)
        row["in_table"] = int(in_table.get(sample, 0))
        rows.append(row)
    df = pd.DataFrame(rows).set_index("sample_id")
    df = df.astype({c: "Int64" for c in TRACKING_COLUMNS})
    if any("quality_filtered" in counts for counts in stats.values()):
        df["quality_filtered"] = pd.array(
            [stats[s].get("quality_filtered", pd.NA) for s in df.index], dtype="Int64"
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = 100 * df["in_table"].astype(float) / df["input"].astype(float)
    df["pct_in_table"] = pct.round(2)
    return df
