"""Build the small V4 SINTAX reference shipped for the demo and the tests.

The full Greengenes 13_8 97% OTU set (PyPI package ``qiime-default-reference``)
is reduced to a few genera typical of stool and airway samples, trimmed to the
515F/806R amplicon with cutadapt, de-duplicated and written with SINTAX headers.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

from .io import read_fasta, write_fasta
from .taxonomy import RANKS, format_sintax_header
from .tools import run_tool

log = logging.getLogger(__name__)

#: Genera kept in the demo reference: gut, airway and common kit contaminants.
DEMO_GENERA = (
    # gut
    "Bacteroides", "Prevotella", "Faecalibacterium", "Roseburia", "Ruminococcus",
    "Blautia", "Bifidobacterium", "Escherichia", "Akkermansia", "Lachnospira",
    "Dorea", "Coprococcus", "Parabacteroides", "Dialister", "Sutterella",
    "Lactobacillus", "Clostridium", "Oscillospira", "Enterococcus", "Megasphaera",
    # airway
    "Streptococcus", "Veillonella", "Haemophilus", "Neisseria", "Moraxella",
    "Staphylococcus", "Corynebacterium", "Rothia", "Actinomyces", "Porphyromonas",
    "Fusobacterium", "Pseudomonas", "Gemella", "Granulicatella", "Leptotrichia",
    "Dolosigranulum",
    # reagent contaminants
    "Ralstonia", "Bradyrhizobium", "Sphingomonas", "Methylobacterium", "Burkholderia",
)  # fmt: skip


def reverse_complement(seq: str) -> str:
    """Reverse complement of a DNA sequence with IUPAC codes."""
    table = str.maketrans("ACGTRYKMBDHVNacgtrykmbdhvn", "TGCAYRMKVHDBNtgcayrmkvhdbn")
    return seq.translate(table)[::-1]


def parse_greengenes_taxonomy(line: str) -> list[str | None]:
    """Parse ``k__Bacteria; p__...; s__`` into 7 names (None where empty).

    The species name is joined to its genus (``g__Bacteroides; s__fragilis``
    gives ``Bacteroides_fragilis``), as in SINTAX references.
    """
    parts = [p.strip() for p in line.split(";")]
    if len(parts) != 7:
        raise ValueError(f"not a 7-rank Greengenes taxonomy: {line!r}")
    names: list[str | None] = []
    for part in parts:
        name = part[3:].strip().strip("[]") if len(part) > 3 else ""
        names.append(name or None)
    if names[6] and names[5]:
        names[6] = f"{names[5]}_{names[6]}"
    elif names[6]:
        names[6] = None
    return names


def select_reference_ids(
    taxonomy: dict[str, list[str | None]], *, genera: tuple[str, ...], per_genus: int
) -> list[str]:
    """Pick up to ``per_genus`` IDs of each genus, lowest numeric ID first."""
    wanted = set(genera)
    by_genus: dict[str, list[str]] = {}
    for seq_id, names in taxonomy.items():
        genus = names[5]
        if genus in wanted:
            by_genus.setdefault(genus, []).append(seq_id)
    chosen: list[str] = []
    for genus in genera:
        ids = sorted(by_genus.get(genus, []), key=lambda i: (len(i), i))
        chosen.extend(ids[:per_genus])
    return chosen


def trim_to_amplicon(
    sequences: dict[str, str], *, forward: str, reverse: str, error_rate: float = 0.1
) -> dict[str, str]:
    """Cut each sequence to the region between the primers with cutadapt.

    Sequences in which either primer is not found are dropped; primers are
    removed (the result is what a merged, primer-trimmed read looks like).
    """
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.fasta"
        dst = Path(tmp) / "out.fasta"
        write_fasta(sequences.items(), src)
        adapter = f"{forward};required...{reverse_complement(reverse)};required"
        run_tool(
            [
                "cutadapt", "-g", adapter, "--discard-untrimmed", "-e", str(error_rate),
                "--quiet", "-o", str(dst), str(src),
            ],
            context=f"reference sequences {src}",
        )  # fmt: skip
        return read_fasta(dst)


def build_demo_reference(
    fasta: str | os.PathLike,
    taxonomy_file: str | os.PathLike,
    output: str | os.PathLike,
    *,
    forward: str,
    reverse: str,
    genera: tuple[str, ...] = DEMO_GENERA,
    per_genus: int = 25,
) -> int:
    """Write a trimmed SINTAX reference; return the number of sequences kept.

    Kept: the chosen IDs whose amplicon holds only A/C/G/T, first of each set of
    identical amplicons (a later duplicate is dropped, whatever its taxonomy).
    """
    taxonomy: dict[str, list[str | None]] = {}
    with open(taxonomy_file) as handle:
        for line in handle:
            seq_id, _, lineage = line.rstrip("\n").partition("\t")
            taxonomy[seq_id] = parse_greengenes_taxonomy(lineage)
    chosen = select_reference_ids(taxonomy, genera=genera, per_genus=per_genus)
    wanted = set(chosen)
    full: dict[str, str] = {}
    keep = False
    label = ""
    with open(fasta) as handle:
        for line in handle:
            if line.startswith(">"):
                label = line[1:].split()[0]
                keep = label in wanted
                if keep:
                    full[label] = ""
            elif keep:
                full[label] += line.strip().upper()
    amplicons = trim_to_amplicon(
        {i: full[i] for i in chosen if i in full}, forward=forward, reverse=reverse
    )
    seen: set[str] = set()
    records = []
    for seq_id in chosen:
        seq = amplicons.get(seq_id)
        if seq is None or set(seq) - set("ACGT") or seq in seen:
            continue
        seen.add(seq)
        ranks = dict(zip(RANKS, taxonomy[seq_id], strict=True))
        records.append((format_sintax_header(seq_id, ranks), seq))
    write_fasta(records, output)
    log.info("wrote %d reference sequences to %s", len(records), output)
    return len(records)
