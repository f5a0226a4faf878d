"""The peers run on the real reads of tests/data/real: plain vsearch UNOISE3
as its wiki pipeline runs it, and DADA2 as its tutorial does; and the
agreement between two ASV tables (shared sequences, Bray-Curtis)."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd

from gutlung_pipeline import dada2


def _vsearch(*args: str) -> None:
    subprocess.run(["vsearch", *args, "--quiet"], check=True, capture_output=True)


def vsearch_unoise3(pairs: dict[str, tuple[Path, Path]], work: Path) -> pd.DataFrame:
    """vsearch UNOISE3 with its usual settings: merge (defaults), filter
    maxee 1, pooled uniques, --cluster_unoise minsize 8, --uchime3_denovo,
    every merged read mapped at 97% identity. Returns sequences x samples."""
    work.mkdir(parents=True, exist_ok=True)
    merged = []
    for sample, (r1, r2) in pairs.items():
        out = work / f"{sample}.merged.fastq"
        _vsearch(
            "--fastq_mergepairs",
            str(r1),
            "--reverse",
            str(r2),
            "--fastqout",
            str(out),
            "--relabel",
            f"sample={sample};r",
        )
        merged.append(out.read_bytes())
    (work / "all.fastq").write_bytes(b"".join(merged))
    _vsearch(
        "--fastq_filter",
        str(work / "all.fastq"),
        "--fastaout",
        str(work / "all.fasta"),
    )
    _vsearch(
        "--fastq_filter",
        str(work / "all.fastq"),
        "--fastq_maxee",
        "1",
        "--fastaout",
        str(work / "filtered.fasta"),
    )
    _vsearch(
        "--fastx_uniques",
        str(work / "filtered.fasta"),
        "--sizeout",
        "--fastaout",
        str(work / "uniques.fasta"),
    )
    _vsearch(
        "--cluster_unoise",
        str(work / "uniques.fasta"),
        "--minsize",
        "8",
        "--centroids",
        str(work / "zotus.fasta"),
        "--relabel",
        "Zotu",
    )
    _vsearch(
        "--uchime3_denovo",
        str(work / "zotus.fasta"),
        "--nonchimeras",
        str(work / "asvs.fasta"),
        "--fasta_width",
        "0",
    )
    _vsearch(
        "--usearch_global",
        str(work / "all.fasta"),
        "--db",
        str(work / "asvs.fasta"),
        "--id",
        "0.97",
        "--otutabout",
        str(work / "otutab.tsv"),
    )
    seqs = _fasta(work / "asvs.fasta")
    table = pd.read_csv(work / "otutab.tsv", sep="\t", index_col=0)
    table.index = [seqs[i.split(";")[0]] for i in table.index]
    return table.reindex(columns=list(pairs)).fillna(0).astype(int)


def dada2_tutorial(
    pairs: dict[str, tuple[Path, Path]], work: Path, *, trunc_len=(240, 160)
) -> pd.DataFrame:
    """DADA2 as its tutorial runs it (truncLen 240/160, maxEE 2/2, consensus
    chimeras) through the DADA2 engine's R code. Returns sequences x samples."""
    dada2.denoise_group(
        {s: (str(r1), str(r2)) for s, (r1, r2) in pairs.items()},
        work,
        work / "seqtab.tsv",
        work / "track.tsv",
        trunc_len=trunc_len,
    )
    dada2.remove_bimeras([work / "seqtab.tsv"], work / "nochim.tsv")
    long = dada2.read_long(work / "nochim.tsv")
    table = long.pivot_table(
        index="sequence", columns="sample_id", values="count", aggfunc="sum"
    )
    return table.reindex(columns=list(pairs)).fillna(0).astype(int)


def by_sequence(table: pd.DataFrame, fasta: Path) -> pd.DataFrame:
    """The pipeline's ASV table indexed by sequence instead of MD5 ID."""
    seqs = _fasta(fasta)
    out = table.copy()
    out.index = [seqs[i] for i in table.index]
    return out


def agreement(a: pd.DataFrame, b: pd.DataFrame) -> dict[str, float]:
    """Shared sequences and the mean per-sample Bray-Curtis between two
    sequence x sample tables (relative abundances, union of sequences)."""
    union = a.index.union(b.index)
    pa = a.reindex(union).fillna(0) / a.sum()
    pb = b.reindex(union).fillna(0) / b.sum()
    bc = (pa - pb).abs().sum() / (pa + pb).sum()
    return {
        "shared": len(a.index.intersection(b.index)),
        "braycurtis": float(bc.mean()),
    }


def md5(seq: str) -> str:
    """The MD5 ID of a sequence, as the pipeline names ASVs."""
    return hashlib.md5(seq.upper().encode()).hexdigest()


def _fasta(path: Path) -> dict[str, str]:
    lines = Path(path).read_text().split()
    names = [n[1:].split(";")[0] for n in lines[0::2]]
    return dict(zip(names, (s.upper() for s in lines[1::2]), strict=True))


def genus_table(table: pd.DataFrame, genera: dict[str, str]) -> pd.DataFrame:
    """Sum a sequence x sample table to genera (``Unassigned`` when unknown)."""
    labels = np.array([genera.get(s, "Unassigned") for s in table.index])
    return table.groupby(labels).sum()


def sintax_genera(sequences, reference: Path, work: Path) -> dict[str, str]:
    """Genus of each sequence by vsearch SINTAX (cutoff 0.8) against the
    reference the pipeline ships; sequences without one are left out."""
    work.mkdir(parents=True, exist_ok=True)
    query = work / "query.fasta"
    query.write_text("".join(f">{md5(s)}\n{s}\n" for s in sequences))
    _vsearch(
        "--sintax",
        str(query),
        "--db",
        str(reference),
        "--sintax_cutoff",
        "0.8",
        "--tabbedout",
        str(work / "sintax.tsv"),
        "--randseed",
        "1",
        "--threads",
        "1",
    )
    by_id = {md5(s): s for s in sequences}
    genera = {}
    for line in (work / "sintax.tsv").read_text().splitlines():
        fields = line.split("\t")
        ranks = dict(r.split(":", 1) for r in fields[3].split(",") if ":" in r)
        if "g" in ranks:
            genera[by_id[fields[0]]] = ranks["g"]
    return genera
