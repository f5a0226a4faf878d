"""Pooled denoising with UNOISE3, de novo chimera removal, and the ASV table.

References
----------
Edgar RC (2016). UNOISE2: improved error-correction for Illumina 16S and ITS
amplicon sequencing. bioRxiv 081257. doi:10.1101/081257
Edgar RC (2016). UCHIME2: improved chimera prediction for amplicon sequencing.
bioRxiv 074252. doi:10.1101/074252
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from .errors import ToolError
from .tools import require_tool, run_tool

if TYPE_CHECKING:  # pandas is imported where tables are built, not by read steps
    import pandas as pd

TRACKING_COLUMNS = (
    "input", "primer_trimmed", "merged", "filtered", "in_table",
)  # fmt: skip


def pool_uniques(
    derep_files: Sequence[str | os.PathLike],
    out: str | os.PathLike,
    *,
    min_size: int = 1,
) -> None:
    """Pool per-sample uniques into one file, summing sizes.

    The files are streamed, in the order given, into ``vsearch --fastx_uniques``;
    uniques below ``min_size`` in total cannot become ASVs and are dropped here.
    """
    exe = require_tool("vsearch")
    args = [
        exe, "--fastx_uniques", "-", "--sizein", "--sizeout", "--minuniquesize",
        str(min_size), "--fastaout", str(out), "--fasta_width", "0",
    ]  # fmt: skip
    with subprocess.Popen(
        args, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    ) as proc:
        try:
            for path in derep_files:
                with open(path, "rb") as handle:
                    shutil.copyfileobj(handle, proc.stdin)
        finally:
            proc.stdin.close()
        err = proc.stderr.read().decode(errors="replace")
    if proc.returncode != 0:
        raise ToolError(
            f"vsearch failed pooling {len(derep_files)} samples: {err.strip()}"
        )


def unoise(
    pooled: str | os.PathLike,
    out: str | os.PathLike,
    *,
    min_size: int = 8,
    alpha: float = 2.0,
) -> None:
    """Denoise pooled uniques with ``vsearch --cluster_unoise`` (UNOISE3).

    Run on one thread: centroids then do not depend on thread scheduling.
    """
    run_tool(
        [
            "vsearch", "--cluster_unoise", str(pooled), "--sizein", "--sizeout",
            "--minsize", str(min_size), "--unoise_alpha", str(alpha),
            "--centroids", str(out), "--fasta_width", "0", "--threads", "1",
        ],
        context=f"pooled uniques {pooled}",
        outputs=(out,),
    )  # fmt: skip


_CHIMERAS = re.compile(
    r"Found (\d+) \([\d.]+%\) chimeras, (\d+) \([\d.]+%\) non-chimeras"
)


def remove_chimeras(
    denoised: str | os.PathLike, out: str | os.PathLike
) -> dict[str, int]:
    """Remove chimeras with ``vsearch --uchime3_denovo``; label ASVs by MD5.

    Returns
    -------
    dict
        ``chimeras`` and ``asvs`` (non-chimeric sequences written).
    """
    err = run_tool(
        [
            "vsearch", "--uchime3_denovo", str(denoised), "--sizein", "--xsize",
            "--nonchimeras", str(out), "--relabel_md5", "--fasta_width", "0",
        ],
        context=f"denoised sequences {denoised}",
        outputs=(out,),
    )  # fmt: skip
    match = _CHIMERAS.search(err)
    if match is None:
        return {"chimeras": 0, "asvs": 0}
    return {"chimeras": int(match.group(1)), "asvs": int(match.group(2))}


def map_reads(
    sample: str,
    reads: str | os.PathLike,
    asvs: str | os.PathLike,
    out: str | os.PathLike,
    *,
    identity: float = 0.97,
    threads: int = 1,
    sizein: bool = True,
) -> None:
    """Count one sample's reads per ASV (``vsearch --usearch_global``).

    ``reads`` are the sample's dereplicated reads with ``;size=`` annotations
    (``sizein=True``, the default): identical reads map to the same ASV, so
    this gives the same counts as mapping every read, for a fraction of the
    searches. With ``sizein=False`` every record counts once.
    """
    args = [
        "vsearch", "--usearch_global", str(reads), "--db", str(asvs),
        "--id", str(identity), "--strand", "plus", "--otutabout", str(out),
        "--threads", str(threads),
    ]  # fmt: skip
    if sizein:
        args.append("--sizein")
    run_tool(args, context=f"sample {sample} ({reads})", outputs=(out,))


def read_otutab(path: str | os.PathLike) -> pd.Series:
    """One sample's ``--otutabout`` file as counts per ASV (columns summed)."""
    import pandas as pd

    df = pd.read_csv(path, sep="\t", index_col=0, dtype={0: str})
    if df.shape[1] == 0:
        return pd.Series(dtype="int64")
    return df.sum(axis=1).astype("int64")


def build_table(
    asv_ids: Sequence[str], counts: Mapping[str, pd.Series]
) -> pd.DataFrame:
    """Assemble the features x samples count table.

    Parameters
    ----------
    asv_ids
        ASV IDs in output order (abundance order from UNOISE).
    counts
        Sample ID -> counts per ASV ID (from :func:`read_otutab`).

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
    """Reads per sample after every step, from input to the table.

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
        (``merged`` empty for single-end runs) and ``pct_in_table``
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
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = 100 * df["in_table"].astype(float) / df["input"].astype(float)
    df["pct_in_table"] = pct.round(2)
    return df
