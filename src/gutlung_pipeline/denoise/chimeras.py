"""Chimera removal.

Chimera removal: UCHIME3 de novo, an exact two-parent test, and against
the taxonomy reference.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..io import write_fasta
from ..tools import run_tool

if TYPE_CHECKING:  # pandas is imported where tables are built, not by read steps
    pass

from .records import read_records, size_of

_CHIMERAS = re.compile(
    r"Found (\d+) \([\d.]+%\) chimeras, (\d+) \([\d.]+%\) non-chimeras"
)


def exact_bimeras(
    records: Sequence[tuple[str, str]], *, fold: float
) -> list[tuple[str, str]]:
    """Find exact two-parent chimeras (bimeras) among the records.

    The records that are exactly the start of one more abundant record
    joined to the end of another, with no other difference (DADA2's bimera
    test without its one-off allowance, on pooled abundances).

    ``records`` are (label with ``;size=``, sequence); a record's parents must
    each be at least ``fold`` times as abundant as it. Prefixes and suffixes
    are compared on the sequences as they are, so parents of different
    lengths (an indel between two strains of one genus, where UCHIME finds no
    parents at all) are tested as well as equal ones. Sequences are compared
    as byte arrays in numpy, one record against all its parents at a time.
    """
    import numpy as np

    if len(records) < 3:
        return []
    seqs = [np.frombuffer(seq.upper().encode(), np.uint8) for _, seq in records]
    width = max(len(b) for b in seqs)
    fwd = np.zeros((len(seqs), width), np.uint8)  # 0 never equals a base
    rev = np.zeros((len(seqs), width), np.uint8)
    for k, b in enumerate(seqs):
        fwd[k, : len(b)] = b
        rev[k, : len(b)] = b[::-1]
    sizes = np.array([size_of(label) for label, _ in records], float)
    calls = []
    for q, b in enumerate(seqs):
        parents = np.flatnonzero(sizes >= fold * sizes[q])
        parents = parents[parents != q]
        if len(parents) < 2:
            continue
        n = len(b)
        same = fwd[parents, :n] == fwd[q, :n]
        start = np.where(same.all(axis=1), n, same.argmin(axis=1))
        same = rev[parents, :n] == rev[q, :n]
        end = np.where(same.all(axis=1), n, same.argmin(axis=1))
        i, j = int(start.argmax()), int(end.argmax())
        if start[i] == n or end[j] == n:
            continue  # the start or end of one sequence: not two parents
        joined = max(
            start[i] + np.delete(end, i).max(), end[j] + np.delete(start, j).max()
        )
        if joined >= n:
            calls.append(records[q])
    return calls


def remove_chimeras(
    denoised: str | os.PathLike,
    out: str | os.PathLike,
    *,
    abskew: float = 16.0,
    bimera_fold: float = 32.0,
    reference: str | os.PathLike | None = None,
    threads: int = 1,
) -> dict[str, int]:
    """Remove chimeras and label the ASVs by MD5.

    Remove chimeras; label ASVs by MD5 (of the upper-case sequence), most
    abundant first.

    De novo with ``vsearch --uchime3_denovo`` (parents at least ``abskew``
    times as abundant as the chimera; UCHIME3's default 16), then the exact
    two-parent test of :func:`exact_bimeras` on what it keeps (parents at
    least ``bimera_fold`` times as abundant; 0 skips it). With ``reference``
    (the taxonomy reference), two more steps:

    - a call of either test (or a borderline one) that is exactly a stretch of
      a reference sequence (``vsearch --usearch_global --id 1.0 --query_cov
      1.0``) is kept: a known organism's sequence, not a PCR artefact;
    - the rest is checked against the reference (``vsearch --uchime_ref``),
      which catches chimeras whose parents are too rare here for the de novo
      test.

    Returns
    -------
    dict
        ``chimeras`` (de novo), ``bimeras`` (exact two-parent), ``rescued``
        (calls found in the reference), ``reference_chimeras`` and ``asvs``
        written.
    """
    with tempfile.TemporaryDirectory(dir=Path(out).parent) as tmp:
        tmp = Path(tmp)
        nonchim, chim, border = (tmp / f"{n}.fasta" for n in ("nc", "ch", "bl"))
        err = run_tool(
            [
                "vsearch",
                "--uchime3_denovo",
                str(denoised),
                "--sizein",
                "--sizeout",
                "--abskew",
                str(abskew),
                "--nonchimeras",
                str(nonchim),
                "--chimeras",
                str(chim),
                "--borderline",
                str(border),
                "--fasta_width",
                "0",
            ],
            context=f"denoised sequences {denoised}",
        )
        counts = {"chimeras": _chimera_count(err), "rescued": 0}
        counts.update(reference_chimeras=0)
        kept = read_records(nonchim)
        bimeras = exact_bimeras(kept, fold=bimera_fold) if bimera_fold > 0 else []
        if bimeras:
            called = {label for label, _ in bimeras}
            kept = [r for r in kept if r[0] not in called]
        counts["bimeras"] = len(bimeras)
        if reference:
            calls = tmp / "calls.fasta"
            write_fasta(read_records(chim) + read_records(border) + bimeras, calls)
            rescued = tmp / "rescued.fasta"
            run_tool(
                [
                    "vsearch",
                    "--usearch_global",
                    str(calls),
                    "--db",
                    str(reference),
                    "--id",
                    "1.0",
                    "--query_cov",
                    "1.0",
                    "--strand",
                    "plus",
                    "--maxaccepts",
                    "1",
                    "--matched",
                    str(rescued),
                    "--fasta_width",
                    "0",
                    "--threads",
                    str(threads),
                ],
                context=f"chimera calls of {denoised} against {reference}",
            )
            back = read_records(rescued)
            counts["rescued"] = len(back)
            write_fasta(kept + back, calls)
            checked = tmp / "checked.fasta"
            err = run_tool(
                [
                    "vsearch",
                    "--uchime_ref",
                    str(calls),
                    "--db",
                    str(reference),
                    "--nonchimeras",
                    str(checked),
                    "--fasta_width",
                    "0",
                    "--threads",
                    str(threads),
                ],
                context=f"denoised sequences {denoised} against {reference}",
            )
            counts["reference_chimeras"] = _chimera_count(err)
            kept = read_records(checked)
    kept.sort(key=lambda r: (-size_of(r[0]), r[1]))
    write_fasta(((hashlib.md5(seq.encode()).hexdigest(), seq) for _, seq in kept), out)
    counts["asvs"] = len(kept)
    return counts


def _chimera_count(err: str) -> int:
    match = _CHIMERAS.search(err)
    return int(match.group(1)) if match else 0
