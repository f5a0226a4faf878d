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


def _byte_ends(seqs: Sequence[str]):
    """Sequences as zero-padded byte rows, forwards and reversed, and lengths."""
    import numpy as np

    rows = [np.frombuffer(seq.upper().encode(), np.uint8) for seq in seqs]
    width = max(len(b) for b in rows)
    fwd = np.zeros((len(rows), width), np.uint8)  # 0 never equals a base
    rev = np.zeros((len(rows), width), np.uint8)
    for k, b in enumerate(rows):
        fwd[k, : len(b)] = b
        rev[k, : len(b)] = b[::-1]
    return fwd, rev, np.array([len(b) for b in rows])


def _shared_ends(fwd, rev, q: int, n: int, others):
    """Bases each of ``others`` shares with the start and with the end of ``q``."""
    import numpy as np

    same = fwd[others, :n] == fwd[q, :n]
    start = np.where(same.all(axis=1), n, same.argmin(axis=1))
    same = rev[others, :n] == rev[q, :n]
    end = np.where(same.all(axis=1), n, same.argmin(axis=1))
    return start, end


def _two_parents(start, end, n: int) -> bool:
    """Tell whether two different parents cover the query, its start and its end.

    A parent that holds the whole query (at its start or its end) makes it a
    piece of a known sequence, not a chimera.
    """
    import numpy as np

    if len(start) < 2:
        return False
    i, j = int(start.argmax()), int(end.argmax())
    if start[i] == n or end[j] == n:
        return False
    if i != j:
        return bool(start[i] + end[j] >= n)
    return bool(
        max(start[i] + np.delete(end, i).max(), end[j] + np.delete(start, j).max()) >= n
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
    fwd, rev, lengths = _byte_ends([seq for _, seq in records])
    sizes = np.array([size_of(label) for label, _ in records], float)
    calls = []
    for q in range(len(records)):
        parents = np.flatnonzero(sizes >= fold * sizes[q])
        parents = parents[parents != q]
        start, end = _shared_ends(fwd, rev, q, lengths[q], parents)
        if _two_parents(start, end, lengths[q]):
            calls.append(records[q])
    return calls


#: DADA2's isBimeraDenovoTable defaults: a parent needs at least this many
#: reads in the sample, and this many samples where a sequence is not flagged
#: are ignored before its flagged share is compared.
MIN_PARENT_READS = 2
IGNORE_NEGATIVES = 1


def consensus_bimeras(
    sequences: Sequence[str],
    counts,
    *,
    fold: float = 1.0,
    min_sample_fraction: float = 0.9,
) -> list[int]:
    """Rows of a table that are exact bimeras in (nearly) every sample they are in.

    DADA2's ``removeBimeraDenovo(method="consensus")`` without its one-off
    allowance and shifts: in each sample a sequence is flagged when it is
    exactly the start of one sequence joined to the end of another
    (:func:`exact_bimeras`' test) that both have, in that sample, at least
    ``fold`` times its reads and at least :data:`MIN_PARENT_READS`. A sequence
    is a bimera when it is flagged in every sample it is in, or in at least
    ``min_sample_fraction`` of them after :data:`IGNORE_NEGATIVES` unflagged
    samples are set aside. A true sequence that is a join of two relatives
    survives where the relatives are absent or rarer than it, which a test
    on pooled counts cannot see.

    Parameters
    ----------
    sequences
        One per row of ``counts``.
    counts
        Array-like, rows = sequences, columns = samples.

    Returns
    -------
    list of int
        The rows called bimeras.
    """
    import numpy as np

    counts = np.asarray(counts)
    if len(sequences) < 3:
        return []
    fwd, rev, lengths = _byte_ends(sequences)
    everyone = np.arange(len(sequences))
    calls = []
    for q in everyone:
        present = np.flatnonzero(counts[q] > 0)
        others = everyone[everyone != q]
        start, end = _shared_ends(fwd, rev, q, lengths[q], others)
        flagged = 0
        for s in present:
            need = max(fold * counts[q, s], MIN_PARENT_READS)
            parent = counts[others, s] >= need
            flagged += _two_parents(start[parent], end[parent], lengths[q])
        n = len(present)
        if flagged and (
            flagged >= n or flagged >= (n - IGNORE_NEGATIVES) * min_sample_fraction
        ):
            calls.append(int(q))
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
