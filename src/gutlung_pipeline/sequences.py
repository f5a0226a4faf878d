"""Small sequence helpers (no heavy imports: used by per-sample steps)."""

from __future__ import annotations

#: IUPAC nucleotide codes and the bases each stands for.
IUPAC = {
    "A": "A",
    "C": "C",
    "G": "G",
    "T": "T",
    "R": "AG",
    "Y": "CT",
    "S": "CG",
    "W": "AT",
    "K": "GT",
    "M": "AC",
    "B": "CGT",
    "D": "AGT",
    "H": "ACT",
    "V": "ACG",
    "N": "ACGT",
}

_COMPLEMENT = str.maketrans("ACGTRYKMBDHVNacgtrykmbdhvn", "TGCAYRMKVHDBNtgcayrmkvhdbn")


def reverse_complement(seq: str) -> str:
    """Reverse complement of a DNA sequence with IUPAC codes.

    Examples
    --------
    >>> reverse_complement("GGACTACNVGGGTWTCTAAT")
    'ATTAGAWACCCBNGTAGTCC'
    """
    return seq.translate(_COMPLEMENT)[::-1]
