"""The DADA2 engine (``denoise.engine: dada2``).

The DADA2 engine (``denoise.engine: dada2``): DADA2's standard steps through
Rscript, with outputs like the default engine's (MD5 IDs, BIOM, read tracking).

Per group of samples (a sequencing run, or all samples with
``denoise.dada2.error_model: pooled``): filterAndTrim, learnErrors, dada
(``pool``: false, true or pseudo) and mergePairs; then removeBimeraDenovo on
the table of all groups. The R code is in ``gutlung_pipeline/R/``; R and the
Bioconductor package come from Debian (``r-bioc-dada2``) or bioconda
(``bioconductor-dada2``).

References
----------
Callahan BJ, McMurdie PJ, Rosen MJ, Han AW, Johnson AJA, Holmes SP (2016).
DADA2: high-resolution sample inference from Illumina amplicon data. Nat
Methods 13:581-583. doi:10.1038/nmeth.3869
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from importlib import resources
from itertools import pairwise
from pathlib import Path

import pandas as pd

from .errors import ToolError
from .tools import run_tool

POOL_MODES = ("false", "true", "pseudo")
CHIMERA_METHODS = ("consensus", "pooled", "per-sample")
HINT = (
    "install R and DADA2 (Debian: apt-get install r-bioc-dada2; conda: "
    "bioconductor-dada2)"
)


def _script(name: str) -> str:
    return str(resources.files("gutlung_pipeline") / "R" / name)


def _pair(values: int | float | Sequence) -> str:
    if isinstance(values, int | float):
        values = (values, values)
    return ",".join(str(v) for v in values)


def _rscript(args: list[str], *, context: str, outputs: Sequence) -> str:
    from .tools import require_tool

    require_tool("Rscript", hint=HINT)
    return run_tool(["Rscript", "--vanilla", *args], context=context, outputs=outputs)


def denoise_group(
    fastqs: Mapping[str, tuple[str, str | None]],
    workdir: str | os.PathLike,
    seqtab: str | os.PathLike,
    track: str | os.PathLike,
    *,
    trim_left: Sequence[int] = (0, 0),
    trunc_len: Sequence[int] = (0, 0),
    max_ee: Sequence[float] = (2, 2),
    trunc_q: int = 2,
    pool: str = "false",
    min_overlap: int = 12,
    max_mismatch: int = 0,
    threads: int = 1,
    random_state: int = 1,
) -> None:
    """Filter, learn errors, denoise and merge one group of samples in R.

    Parameters
    ----------
    fastqs
        Sample ID -> (R1 path, R2 path or None); all paired or all single.
    workdir
        Where the filtered FASTQ files go (removed by the caller).
    seqtab, track
        Outputs: long table ``sample_id, sequence, count`` and per sample
        ``input, filtered, denoised, merged``.
    trim_left, trunc_len, max_ee, trunc_q
        filterAndTrim's ``trimLeft``, ``truncLen`` (0: none), ``maxEE`` and
        ``truncQ``, for R1 and R2.
    pool
        dada's ``pool``: ``"false"`` (each sample alone), ``"true"`` or
        ``"pseudo"``.
    """
    if pool not in POOL_MODES:
        raise ValueError(f"pool must be one of {', '.join(POOL_MODES)}, got {pool!r}")
    single = [s for s, (_, r2) in fastqs.items() if not r2]
    if single and len(single) != len(fastqs):
        raise ValueError(f"sample {single[0]} has no R2 while others have one")
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    manifest = workdir / "manifest.tsv"
    pd.DataFrame(
        [(s, r1, r2 or "") for s, (r1, r2) in fastqs.items()],
        columns=["sample_id", "fq1", "fq2"],
    ).to_csv(manifest, sep="\t", index=False)
    options = {
        "trim_left": _pair(trim_left),
        "trunc_len": _pair(trunc_len),
        "max_ee": _pair(max_ee),
        "trunc_q": trunc_q,
        "pool": pool,
        "min_overlap": min_overlap,
        "max_mismatch": max_mismatch,
        "threads": threads,
        "seed": random_state,
    }
    _rscript(
        [
            _script("dada2_denoise.R"),
            str(manifest),
            str(workdir),
            str(seqtab),
            str(track),
            *(f"{k}={v}" for k, v in options.items()),
        ],
        context=f"{len(fastqs)} samples ({next(iter(fastqs), '')} ...)",
        outputs=(seqtab, track),
    )


def remove_bimeras(
    seqtabs: Sequence[str | os.PathLike],
    out: str | os.PathLike,
    *,
    method: str = "consensus",
    threads: int = 1,
) -> None:
    """RemoveBimeraDenovo on the table of all groups (long form in and out)."""
    if method not in CHIMERA_METHODS:
        raise ValueError(
            f"chimera method must be one of {', '.join(CHIMERA_METHODS)}, "
            f"got {method!r}"
        )
    _rscript(
        [
            _script("dada2_chimeras.R"),
            str(out),
            method,
            str(threads),
            *map(str, seqtabs),
        ],
        context=f"{len(seqtabs)} sequence tables",
        outputs=(out,),
    )


def read_long(path: str | os.PathLike) -> pd.DataFrame:
    """Read a long sequence table (sample_id, sequence, count)."""
    return pd.read_csv(
        path,
        sep="\t",
        dtype={"sample_id": str, "sequence": str, "count": "int64"},
        keep_default_na=False,
    )


def wide_table(
    long: pd.DataFrame, samples: Sequence[str]
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Make the features x samples table with MD5 IDs, most abundant first.

    Returns the table (every sample in ``samples`` a column, zeros where it
    has no reads) and ID -> sequence.
    """
    unknown = sorted(set(long["sample_id"]) - set(samples))
    if unknown:
        raise ToolError(f"DADA2 returned reads for unknown sample {unknown[0]}")
    seqs = long["sequence"].str.upper()
    ids = seqs.map(lambda s: hashlib.md5(s.encode()).hexdigest())
    table = (
        pd.DataFrame({"id": ids, "sample_id": long["sample_id"], "n": long["count"]})
        .pivot_table(index="id", columns="sample_id", values="n", aggfunc="sum")
        .reindex(columns=list(samples))
        .fillna(0)
        .astype("int64")
    )
    totals = table.sum(axis=1)
    order = sorted(table.index, key=lambda i: (-totals[i], i))
    table = table.loc[order]
    table.index.name = "#OTU ID"
    table.columns.name = None
    return table, dict(zip(ids, seqs, strict=True))


def group_stats(track: pd.DataFrame) -> dict[str, dict[str, int]]:
    """Per-sample counts for the read tracking: ``filtered`` and ``merged``."""
    out = {}
    for row in track.itertuples(index=False):
        counts = {"filtered": int(row.filtered)}
        if not pd.isna(row.merged):
            counts["merged"] = int(row.merged)
        out[str(row.sample_id)] = counts
    return out


def check_group(long: pd.DataFrame, track: pd.DataFrame, *, source: str) -> None:
    """Check that a group's sequence table holds the reads DADA2 reported.

    Per sample, the sequence table's reads must be the merged pairs
    (paired-end) or the denoised reads (single-end) of the group's read
    tracking, and the tracking's counts may only fall from step to step: R
    that ran out of disk space can leave a short table and exit 0.

    Raises
    ------
    ToolError
        One line: the file, the sample, both counts and the likely cause.
    """
    held = long.groupby("sample_id")["count"].sum()
    for row in track.itertuples(index=False):
        sample = str(row.sample_id)
        final = row.denoised if pd.isna(row.merged) else row.merged
        steps = [row.input, row.filtered, row.denoised]
        if not pd.isna(row.merged):
            steps.append(row.merged)
        if any(later > earlier for earlier, later in pairwise(steps)):
            raise ToolError(
                f"{source}: sample {sample}: DADA2's read counts rise from step to "
                f"step ({', '.join(str(int(n)) for n in steps)}); the tracking is "
                "damaged: rerun the group"
            )
        got = int(held.get(sample, 0))
        if got != int(final):
            step = "denoised" if pd.isna(row.merged) else "merged"
            raise ToolError(
                f"{source}: sample {sample}: the sequence table holds {got} reads but "
                f"DADA2 reported {int(final)} {step}: the output is incomplete (a full "
                "disk?); free space and rerun"
            )
