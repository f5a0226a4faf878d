"""The ASV table and the read tracking."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import pairwise
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

#: Per-sample facts of the read steps that the read tracking shows beside the
#: counts, where the steps report them.
READ_FACTS = ("trunc_r1", "trunc_r2", "phred_offset", "max_quality", "quality_levels")


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
    stats: Mapping[str, Mapping[str, int]],
    table: pd.DataFrame,
    chimeric: Mapping[str, int] | None = None,
) -> pd.DataFrame:
    """Count the reads per sample after every step, from input to the table.

    Parameters
    ----------
    stats
        Sample ID -> step counts (``input``, ``primer_trimmed``, optional
        ``merged``, ``filtered``).
    table
        The ASV table; its column sums are ``in_table``.
    chimeric
        Sample ID -> reads of the ASVs the table's bimera test removed; given,
        they are the column ``chimeric``, before ``in_table``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``sample_id``: the counts of :data:`TRACKING_COLUMNS`
        (``merged`` empty for single-end runs), ``quality_filtered`` where the
        stats give it (the reads within the expected-error limit, which the
        default engine denoises; ``filtered`` are those it counts),
        :data:`READ_FACTS` where the stats give them (``trunc_r1``,
        ``trunc_r2``: the lengths the reads were cut to before the merge, 0:
        whole; ``phred_offset``, ``max_quality``, ``quality_levels``: the
        qualities' encoding, their highest value and how many values occur,
        4 or fewer meaning binned), ``pct_merged``
        (merged / primer_trimmed, percent; paired-end) and ``pct_in_table``
        (in_table / input, percent).
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
    if chimeric is not None:
        df.insert(
            df.columns.get_loc("in_table"),
            "chimeric",
            pd.array([int(chimeric.get(s, 0)) for s in df.index], dtype="Int64"),
        )
    if any("quality_filtered" in counts for counts in stats.values()):
        df["quality_filtered"] = pd.array(
            [stats[s].get("quality_filtered", pd.NA) for s in df.index], dtype="Int64"
        )
    for col in READ_FACTS:
        if any(col in counts for counts in stats.values()):
            df[col] = pd.array(
                [stats[s].get(col, pd.NA) for s in df.index], dtype="Int64"
            )
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = 100 * df["in_table"].astype(float) / df["input"].astype(float)
        merged = 100 * df["merged"].astype(float) / df["primer_trimmed"].astype(float)
    if df["merged"].notna().any():
        df["pct_merged"] = merged.round(2)
    df["pct_in_table"] = pct.round(2)
    return df


def low_merge_warnings(tracking: pd.DataFrame, *, min_merged: float) -> list[str]:
    """One warning line per paired-end sample that merged under ``min_merged``.

    ``min_merged`` is a share (config ``qc.min_merged``; 0: no warnings) of
    the sample's primer-trimmed pairs; samples without pairs are left out.
    """
    if "pct_merged" not in tracking or min_merged <= 0:
        return []
    low = tracking[tracking["pct_merged"] < 100 * min_merged]
    return [
        f"sample {sample}: {row.merged} of {row.primer_trimmed} pairs merged "
        f"({row.pct_merged:.1f}%, under qc.min_merged {100 * min_merged:g}%); "
        "the reads may be too short or too worn to overlap: see "
        "merge.trunc_lengths and merge.max_diffs"
        for sample, row in low.iterrows()
    ]


#: What a read step's loss most likely means, and the fix.
LOSS_CAUSES = {
    "primer_trimmed": "the primers were not found in the reads; check "
    "primers.forward and primers.reverse (set primers.in_reads: false if the "
    "reads start after the primer)",
    "merged": "the read pairs did not merge; check merge.min_overlap and "
    "merge.max_diffs against the read and amplicon lengths",
    "filtered": "the length, N and expected-error limits exclude the reads; check "
    "filter.min_length, filter.max_length (filter.trunc_length for single-end "
    "runs) and filter.max_ee",
    "in_table": "the filtered reads matched no ASV; check denoise.min_size and "
    "denoise.map_identity",
}


def check_read_losses(
    tracking: pd.DataFrame,
    *,
    min_kept: float,
    sample_min_kept: float = 0.0,
    sample_min_reads: int = 500,
) -> None:
    """Stop when a read step keeps (almost) none of the run's or a sample's reads.

    Parameters
    ----------
    tracking
        The read tracking (:func:`read_tracking`): one row per sample.
    min_kept
        The share of the run's reads into a step that the step must keep
        (config ``qc.min_kept``; 0 turns the check off).
    sample_min_kept, sample_min_reads
        The share of a sample's reads into a step that the step must keep,
        for samples with at least ``sample_min_reads`` reads into it (config
        ``qc.sample_min_kept``, ``qc.sample_min_reads``; 0 turns it off).
        The run is checked first: a run-wide loss names its cause once.

    Raises
    ------
    ValueError
        One line: the step, the reads it kept of those it got across the run
        (or in the sample), the samples that lost most, the likely cause and
        the fix.
    """
    steps = [c for c in TRACKING_COLUMNS if tracking[c].notna().any()]
    for before, after in pairwise(steps):
        got = tracking[before].fillna(0).astype("int64")
        kept = tracking[after].fillna(0).astype("int64")
        if got.sum() == 0 or kept.sum() >= min_kept * got.sum():
            continue
        worst = (got - kept).sort_values(ascending=False).index[:3]
        shown = ", ".join(f"{s} {kept[s]} of {got[s]}" for s in worst)
        raise ValueError(
            f"step {after}: the run kept {kept.sum()} of {got.sum()} reads "
            f"({100 * kept.sum() / got.sum():.1f}%, below qc.min_kept "
            f"{100 * min_kept:g}%; samples losing most: {shown}); likely "
            f"{LOSS_CAUSES[after]}; lower qc.min_kept to go on anyway"
        )
    if sample_min_kept <= 0:
        return
    for before, after in pairwise(steps):
        got = tracking[before].fillna(0).astype("int64")
        kept = tracking[after].fillna(0).astype("int64")
        bad = (got >= max(sample_min_reads, 1)) & (kept < sample_min_kept * got)
        if not bad.any():
            continue
        share = (kept / got.where(got > 0))[bad].sort_values()
        first = share.index[0]
        also = [f"{s} {kept[s]} of {got[s]}" for s in share.index[1:4]]
        others = (
            f" (also {', '.join(also)}{', ...' if len(share) > 4 else ''})"
            if also
            else ""
        )
        raise ValueError(
            f"sample {first}: step {after} kept {kept[first]} of {got[first]} reads "
            f"({100 * share.iloc[0]:.1f}%, below qc.sample_min_kept "
            f"{100 * sample_min_kept:g}%){others}, while the run kept "
            f"{100 * kept.sum() / got.sum():.1f}%; likely {LOSS_CAUSES[after]}, "
            "for this sample alone (another amplicon or a mislabelled file?); "
            "remove the sample from the sheet, or set qc.sample_min_kept: 0 to "
            "keep it"
        )
