"""Build the V4 SINTAX references shipped with the workflow.

From the Greengenes 13_8 97% OTU set (PyPI package ``qiime-default-reference``),
trimmed to the 515F/806R amplicon with cutadapt and written with SINTAX
headers: :func:`build_full_reference` keeps every OTU (the default
``taxonomy.reference``), :func:`build_demo_reference` a few genera typical of
stool and airway samples (the tests' small reference).
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

from .io import read_fasta, write_fasta
from .sequences import reverse_complement
from .taxonomy import RANKS, format_sintax_header, parse_sintax_header
from .tools import run_tool

log = logging.getLogger(__name__)

#: Genera kept in the demo reference: gut, airway and common kit contaminants.
DEMO_GENERA = (
    # gut
    "Bacteroides",
    "Prevotella",
    "Faecalibacterium",
    "Roseburia",
    "Ruminococcus",
    "Blautia",
    "Bifidobacterium",
    "Escherichia",
    "Akkermansia",
    "Lachnospira",
    "Dorea",
    "Coprococcus",
    "Parabacteroides",
    "Dialister",
    "Sutterella",
    "Lactobacillus",
    "Clostridium",
    "Oscillospira",
    "Enterococcus",
    "Megasphaera",
    # airway
    "Streptococcus",
    "Veillonella",
    "Haemophilus",
    "Neisseria",
    "Moraxella",
    "Staphylococcus",
    "Corynebacterium",
    "Rothia",
    "Actinomyces",
    "Porphyromonas",
    "Fusobacterium",
    "Pseudomonas",
    "Gemella",
    "Granulicatella",
    "Leptotrichia",
    "Dolosigranulum",
    # reagent contaminants
    "Ralstonia",
    "Bradyrhizobium",
    "Sphingomonas",
    "Methylobacterium",
    "Burkholderia",
)


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


def read_greengenes_taxonomy(path: str | os.PathLike) -> dict[str, list[str | None]]:
    """OTU ID -> 7 names of a Greengenes taxonomy file (ID, tab, lineage)."""
    taxonomy: dict[str, list[str | None]] = {}
    with open(path) as handle:
        for line in handle:
            seq_id, _, lineage = line.rstrip("\n").partition("\t")
            taxonomy[seq_id] = parse_greengenes_taxonomy(lineage)
    return taxonomy


def select_reference_ids(
    taxonomy: dict[str, list[str | None]],
    *,
    genera: tuple[str, ...],
    per_genus: int,
    skip: frozenset[str] = frozenset(),
) -> list[str]:
    """Pick up to ``per_genus`` IDs of each genus, lowest numeric ID first.

    IDs in ``skip`` are passed over (the outside reference skips the shipped
    one's).
    """
    wanted = set(genera)
    by_genus: dict[str, list[str]] = {}
    for seq_id, names in taxonomy.items():
        genus = names[5]
        if genus in wanted and seq_id not in skip:
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
                "cutadapt",
                "-g",
                adapter,
                "--discard-untrimmed",
                "-e",
                str(error_rate),
                "--quiet",
                "-o",
                str(dst),
                str(src),
            ],
            context=f"reference sequences {src}",
        )
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
    exclude: str | os.PathLike | None = None,
) -> int:
    """Write a trimmed SINTAX reference; return the number of sequences kept.

    Kept: the chosen IDs whose amplicon holds only A/C/G/T, first of each set of
    identical amplicons (a later duplicate is dropped, whatever its taxonomy).

    ``exclude`` (a SINTAX FASTA, the shipped reference): its IDs are skipped
    and an amplicon identical to one of its sequences is dropped, so the
    result holds only sequences that reference lacks. Simulated truth drawn
    from it is unknown to the chimera check and to the classifier, as a real
    study's sequences are to SILVA or GTDB.
    """
    taxonomy = read_greengenes_taxonomy(taxonomy_file)
    skip_ids: frozenset[str] = frozenset()
    seen: set[str] = set()
    if exclude is not None:
        shipped = read_fasta(exclude)
        skip_ids = frozenset(parse_sintax_header(h)[0] for h in shipped)
        seen = {seq.upper() for seq in shipped.values()}
    chosen = select_reference_ids(
        taxonomy, genera=genera, per_genus=per_genus, skip=skip_ids
    )
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


def consensus_ranks(lineages: list[list[str | None]]) -> list[str | None]:
    """Names of identical amplicons' lineages, rank by rank, while they agree.

    A rank some lineages leave unnamed takes the name the others agree on; the
    first rank where two names differ, and every rank below, is left unnamed
    (the V4 amplicon cannot tell them apart).
    """
    out: list[str | None] = []
    for rank in range(len(lineages[0])):
        names = {names[rank] for names in lineages} - {None}
        if len(names) > 1:
            return out + [None] * (len(lineages[0]) - rank)
        out.append(names.pop() if names else None)
    return out


def build_full_reference(
    fasta: str | os.PathLike,
    taxonomy_file: str | os.PathLike,
    output: str | os.PathLike,
    *,
    forward: str,
    reverse: str,
) -> int:
    """Write the V4 SINTAX reference of every OTU; return its size.

    Every sequence is cut between the primers (:func:`trim_to_amplicon`);
    amplicons with other bases than A/C/G/T are dropped; identical amplicons
    become one record, named by the lowest OTU ID, whose lineage is their
    :func:`consensus_ranks`. Records are in OTU ID order, so the file is the
    same at every build.
    """
    taxonomy = read_greengenes_taxonomy(taxonomy_file)
    sequences = {
        label.split()[0]: seq.upper() for label, seq in read_fasta(fasta).items()
    }
    amplicons = trim_to_amplicon(sequences, forward=forward, reverse=reverse)
    groups: dict[str, list[str]] = {}
    for seq_id in sorted(amplicons, key=lambda i: (len(i), i)):
        seq = amplicons[seq_id]
        if not set(seq) - set("ACGT"):
            groups.setdefault(seq, []).append(seq_id)
    records = []
    for seq, ids in groups.items():
        names = consensus_ranks([taxonomy[i] for i in ids])
        ranks = dict(zip(RANKS, names, strict=True))
        records.append((format_sintax_header(ids[0], ranks), seq))
    write_fasta(records, output)
    log.info("wrote %d reference sequences to %s", len(records), output)
    return len(records)


# ---------------------------------------------------------------- downloads
def sha256_of(path: str | os.PathLike, *, block: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in blocks."""
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(block):
            digest.update(chunk)
    return digest.hexdigest()


def download(url: str, dest: str | os.PathLike, *, timeout: float = 60) -> None:
    """Stream ``url`` to ``dest`` (atomically: no partial file on failure)."""
    import shutil
    import urllib.request

    from .io import atomic_path

    with atomic_path(dest) as tmp:
        with (
            urllib.request.urlopen(url, timeout=timeout) as resp,
            open(tmp, "wb") as out,
        ):
            shutil.copyfileobj(resp, out, length=1 << 20)


def silva_to_sintax(header: str) -> str | None:
    """SINTAX header for a SILVA FASTA header; None for non-prokaryotes.

    ``>AB001440.1.1415 Bacteria;Firmicutes;...;Genus;Genus species`` maps its
    levels in order to d, p, c, o, f, g, and the seventh (the organism) to s.
    """
    seq_id, _, lineage = header.partition(" ")
    levels = [x.strip() for x in lineage.split(";") if x.strip()]
    if not levels or levels[0] not in ("Bacteria", "Archaea"):
        return None
    ranks = dict(zip(RANKS, levels[:7], strict=False))
    return format_sintax_header(seq_id, ranks)


def gtdb_to_sintax(header: str) -> str | None:
    """SINTAX header for a GTDB SSU header (``ID d__Bacteria;p__...;s__X y [..]``)."""
    seq_id, _, rest = header.partition(" ")
    lineage = rest.split(" [", 1)[0]
    ranks: dict[str, str | None] = {}
    for part in lineage.split(";"):
        rank, sep, name = part.strip().partition("__")
        if sep and rank in RANKS and name:
            ranks[rank] = name
    if not ranks:
        return None
    return format_sintax_header(seq_id, ranks)


CONVERTERS = {"silva": silva_to_sintax, "gtdb": gtdb_to_sintax, "sintax": None}


def convert_to_sintax(
    sources: list[str | os.PathLike], fmt: str, output: str | os.PathLike
) -> int:
    """Write ``sources`` (FASTA, maybe gzipped) as one SINTAX FASTA (DNA, upper case).

    Returns the number of sequences written. RNA (U) becomes DNA (T); records
    the converter rejects (for example eukaryotes in SILVA) are skipped.
    """
    from .io import atomic_path, open_text

    if fmt not in CONVERTERS:
        raise ValueError(
            f"unknown reference format {fmt!r}; use one of {sorted(CONVERTERS)}"
        )
    convert = CONVERTERS[fmt]
    n = 0
    with atomic_path(output) as tmp, open_text(tmp, "wt", gz=True) as out:
        for src in sources:
            keep = False
            with open_text(src, gz=Path(src).suffix == ".gz") as handle:
                for line in handle:
                    if line.startswith(">"):
                        header = line[1:].rstrip("\n")
                        new = convert(header) if convert else header
                        keep = new is not None
                        if keep:
                            out.write(f">{new}\n")
                            n += 1
                    elif keep:
                        out.write(line.strip().upper().replace("U", "T") + "\n")
    return n


def fetch_reference(
    entry: dict,
    output: str | os.PathLike,
    *,
    name: str,
    sha256: list[str] | None = None,
    workdir: str | os.PathLike,
) -> int:
    """Download a manifest entry's files, check their sha256, write SINTAX.

    Parameters
    ----------
    entry
        ``{"format": "silva"|"gtdb"|"sintax", "files": [{"url", "sha256"}]}``.
    output
        The SINTAX FASTA (gzipped) to write.
    name
        The entry's name, for messages.
    sha256
        Expected sha256 of each file, in order, for an entry whose manifest
        pins none (the config's ``taxonomy.sha256``).
    workdir
        Where downloads are kept (and reused when their checksum matches).

    Raises
    ------
    ValueError
        A checksum differs or none is pinned; nothing is converted then.
    """
    files = entry.get("files") or []
    if not files:
        raise ValueError(
            f"manifest entry {name}: no files; add files with url and sha256"
        )
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    paths = []
    for k, item in enumerate(files):
        url = item["url"]
        expected = item.get("sha256") or (
            sha256[k] if sha256 and k < len(sha256) else None
        )
        dest = workdir / Path(url.split("?")[0]).name
        if not (dest.exists() and expected and sha256_of(dest) == expected):
            log.info("downloading %s", url)
            download(url, dest)
        actual = sha256_of(dest)
        if expected is None:
            raise ValueError(
                f"manifest entry {name}: file {k + 1} ({url}) has no pinned sha256; "
                f"the download has sha256 {actual}: check it against the publisher's "
                "checksum, then pin it in the manifest or list it in taxonomy.sha256"
            )
        if actual != expected:
            dest.unlink()
            raise ValueError(
                f"manifest entry {name}: {url} has sha256 {actual}, expected "
                f"{expected}; the download is corrupt or the file changed upstream"
            )
        paths.append(dest)
    return convert_to_sintax(paths, entry.get("format", "sintax"), output)
