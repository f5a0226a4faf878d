"""Taxonomic assignment with ``vsearch --sintax`` and QIIME 2 style output.

References
----------
Edgar RC (2016). SINTAX: a simple non-Bayesian taxonomy classifier for 16S and
ITS sequences. bioRxiv 074161. doi:10.1101/074161
"""

from __future__ import annotations

import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd

from .errors import ToolError
from .io import atomic_path, read_fasta, write_fasta
from .tools import run_tool
from .workers import results

#: SINTAX rank letters, domain to species, as used in the QIIME 2 taxon strings.
RANKS = ("d", "p", "c", "o", "f", "g", "s")


def format_sintax_header(seq_id: str, ranks: dict[str, str | None]) -> str:
    """``ID;tax=d:Bacteria,p:...;`` from a ``{rank letter: name}`` mapping.

    Empty ranks are left out; commas, colons and semicolons in names would break
    the format and are replaced by underscores.
    """
    fields = []
    for rank in RANKS:
        name = ranks.get(rank)
        if name:
            clean = name.replace(",", "_").replace(":", "_").replace(";", "_")
            fields.append(f"{rank}:{clean.replace(' ', '_')}")
    if not fields:
        raise ValueError(f"reference sequence {seq_id!r} has no named rank")
    return f"{seq_id};tax={','.join(fields)};"


def qiime_lineage(ranks) -> str:
    """Build QIIME 2's lineage text from (rank letter, name) pairs.

    QIIME 2's ``d__Bacteria; p__...; g__...`` from (rank letter, name)
    pairs, in order.
    """
    return "; ".join(f"{rank}__{name}" for rank, name in ranks)


def parse_sintax_header(header: str) -> tuple[str, dict[str, str]]:
    """Split a SINTAX header into its ID and ``{rank letter: name}``."""
    seq_id, sep, rest = header.partition(";tax=")
    if not sep:
        raise ValueError(f"not a SINTAX header (no ';tax='): {header!r}")
    ranks: dict[str, str] = {}
    for field in rest.rstrip(";").split(","):
        rank, _, name = field.partition(":")
        if rank not in RANKS or not name:
            raise ValueError(f"bad SINTAX rank field {field!r} in header {header!r}")
        ranks[rank] = name
    return seq_id, ranks


def parse_sintax_prediction(prediction: str) -> list[tuple[str, str, float]]:
    """Parse ``d:Bacteria(1.00),p:Firmicutes(0.93)`` into (rank, name, confidence)."""
    out = []
    if not prediction.strip():
        return out
    for field in prediction.split(","):
        rank, _, rest = field.partition(":")
        name, _, conf = rest.rpartition("(")
        if rank not in RANKS or not conf.endswith(")"):
            raise ValueError(f"bad SINTAX prediction field {field!r}")
        out.append((rank, name, float(conf[:-1])))
    return out


def sintax_to_qiime(predictions: pd.Series, *, confidence: float = 0.8) -> pd.DataFrame:
    """Truncate SINTAX predictions at the per-rank cutoff, in QIIME 2 layout.

    Parameters
    ----------
    predictions
        SINTAX prediction strings (second column of ``--tabbedout``), indexed by
        feature ID.
    confidence
        Keep ranks from the domain down while their bootstrap support is at least
        this value; stop at the first rank below it.

    Returns
    -------
    pandas.DataFrame
        Index ``Feature ID``; columns ``Taxon`` (``d__Bacteria; p__...``, or
        ``Unassigned``) and ``Confidence`` (support of the deepest kept rank, or of
        the domain when unassigned).
    """
    if not 0 <= confidence <= 1:
        raise ValueError(f"confidence must be within [0, 1], got {confidence}")
    rows = []
    for feature_id, text in predictions.items():
        fields = parse_sintax_prediction(text)
        kept = []
        for rank, name, conf in fields:
            if conf < confidence:
                break
            kept.append((rank, name, conf))
        if kept:
            taxon = qiime_lineage((rank, name) for rank, name, _ in kept)
            conf = kept[-1][2]
        else:
            taxon = "Unassigned"
            conf = fields[0][2] if fields else 0.0
        rows.append((feature_id, taxon, conf))
    df = pd.DataFrame(rows, columns=["Feature ID", "Taxon", "Confidence"])
    return df.set_index("Feature ID")


#: Most ASVs a SINTAX process classifies (:func:`sintax_chunks`).
SINTAX_CHUNK = 160


def sintax_chunks(n: int) -> list[tuple[int, int]]:
    """Cut ``n`` ASVs, in file order, into the chunks :func:`run_sintax` classifies.

    Returns each chunk's (start, stop). Two chunks for every ``2 x``
    :data:`SINTAX_CHUNK` ASVs (an even number, none empty), as equal as can
    be. They depend on ``n`` alone, so the names do not depend on how many
    run side by side; an even number, as equal as can be, keeps two threads
    busy to the end. Fixed chunks of 128 left 263 ASVs a chunk of 7, run
    after the other two with its own 0.3 s reading of the reference, and
    400 ASVs four chunks for two threads, one of 16.
    """
    if n <= 0:
        return [(0, 0)]
    count = min(n, 2 * -(-n // (2 * SINTAX_CHUNK)))
    bounds = [i * n // count for i in range(count + 1)]
    return list(zip(bounds[:-1], bounds[1:], strict=True))


def run_sintax(
    query: str | os.PathLike,
    reference: str | os.PathLike,
    tabbedout: str | os.PathLike,
    *,
    random_state: int,
    threads: int = 1,
) -> None:
    """Classify ``query`` with ``vsearch --sintax``, repeatably on any ``threads``.

    SINTAX bootstraps at random, and vsearch's threads share one random
    stream, so its own ``--threads`` gives other names each run. Instead the
    ASVs are cut, in file order, into the chunks of :func:`sintax_chunks`,
    each classified by a one-thread vsearch with ``--randseed random_state + 1``
    (vsearch takes 0 for "a random seed"), ``threads`` of them at a time; the
    predictions are written in the ASVs' order. Each process loads the
    reference again (about 0.3 s for the shipped one). A prediction missing
    for any ASV (a process cut short) stops the step, naming the chunk.
    """
    records = list(read_fasta(query).items())
    chunks = [records[lo:hi] for lo, hi in sintax_chunks(len(records))]

    def classify(index: int, folder: Path) -> Path:
        part, out = folder / f"asvs.{index}.fasta", folder / f"sintax.{index}.tsv"
        if len(chunks) == 1:
            part = Path(query)
        else:
            write_fasta(chunks[index], part)
        run_tool(
            [
                "vsearch",
                "--sintax",
                str(part),
                "--db",
                str(reference),
                "--tabbedout",
                str(out),
                "--randseed",
                str(random_state + 1),
                "--threads",
                "1",
                "--strand",
                "both",
            ],
            context=f"ASVs {query} (chunk {index + 1} of {len(chunks)}) "
            f"against {reference}",
            outputs=(out,),
        )
        with open(out, "rb") as handle:
            written = sum(1 for _ in handle)
        if written != len(chunks[index]):
            raise ToolError(
                f"vsearch --sintax: ASVs {query} (chunk {index + 1} of "
                f"{len(chunks)}): {written} predictions for "
                f"{len(chunks[index])} ASVs (a full disk?); run the step again"
            )
        return out

    with tempfile.TemporaryDirectory(dir=Path(tabbedout).parent) as tmp:
        folder = Path(tmp)
        with ThreadPoolExecutor(max(1, min(threads, len(chunks)))) as pool:
            parts = results(
                [pool.submit(classify, i, folder) for i in range(len(chunks))]
            )
        with atomic_path(tabbedout) as path, open(path, "wb") as out:
            for part in parts:
                out.write(part.read_bytes())


def read_sintax_tabbed(path: str | os.PathLike) -> pd.Series:
    """Read ``--tabbedout`` into a Series of prediction strings by query label."""
    df = pd.read_csv(
        path, sep="\t", header=None, dtype=str, keep_default_na=False, quoting=3
    )
    if df.empty:
        return pd.Series(dtype=str)
    labels = df[0].str.replace(r";size=\d+;?$", "", regex=True)
    return pd.Series(df[1].to_numpy(), index=labels.to_numpy(), dtype=str)


#: Column names of the split-rank taxonomy, as phyloseq names its ranks.
RANK_NAMES = ("Kingdom", "Phylum", "Class", "Order", "Family", "Genus", "Species")


def split_ranks(taxonomy: pd.Series) -> pd.DataFrame:
    """Split QIIME 2 taxon strings into one column per rank (Kingdom..Species).

    Prefixes (``d__``, ``k__`` ...) are dropped; a rank the string does not
    reach is empty, and so is ``Unassigned``.

    Examples
    --------
    >>> ranks = split_ranks(pd.Series({"a": "d__Bacteria; p__Firmicutes; g__Dorea"}))
    >>> ranks.loc["a"].tolist()
    ['Bacteria', 'Firmicutes', '', '', '', 'Dorea', '']
    """
    letters = {"k": 0, **{r: i for i, r in enumerate(RANKS)}}
    rows = {}
    for feature, taxon in taxonomy.items():
        row = [""] * len(RANK_NAMES)
        for part in str(taxon).split(";"):
            rank, sep, name = part.strip().partition("__")
            if sep and rank in letters and name:
                row[letters[rank]] = name.strip()
        rows[feature] = row
    out = pd.DataFrame.from_dict(rows, orient="index", columns=list(RANK_NAMES))
    out.index.name = "Feature ID"
    return out


def greengenes_lineage(ranks: pd.Series) -> list[str]:
    """Return one feature's ranks as Greengenes-prefixed names (``k__``..``s__``).

    The list a BIOM's ``taxonomy`` observation metadata holds, which
    phyloseq's ``parse_taxonomy_greengenes`` reads.
    """
    return [f"{name[0].lower()}__{ranks[name]}" for name in RANK_NAMES]


def genus_of(taxon: str) -> str:
    """Genus-level label of a QIIME taxon string (deepest named rank otherwise)."""
    if taxon == "Unassigned":
        return "Unassigned"
    parts = [p.strip() for p in taxon.split(";")]
    for part in parts:
        if part.startswith("g__"):
            return part[3:]
    return f"Unclassified {parts[-1][3:]}" if parts else "Unassigned"


def short_name(taxon: str) -> str:
    """Last informative part of a taxon string (``g__Rothia`` -> ``Rothia``)."""
    parts = [p.strip() for p in str(taxon).split(";") if p.strip()]
    for part in reversed(parts):
        label = part.split("__", 1)[-1]
        if label:
            return label
    return str(taxon)
