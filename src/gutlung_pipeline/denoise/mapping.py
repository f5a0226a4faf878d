"""Count every sample's merged reads against the ASVs.

Counting every sample's merged reads against the ASVs: Hamming distance in
numpy where the lengths agree, vsearch for the rest.
"""

from __future__ import annotations

import functools
import itertools
import os
import re
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is imported where tables are built, not by read steps
    import pandas as pd

from .records import read_records, size_of, stream_into_vsearch


def map_samples(
    mapping_files: Sequence[str | os.PathLike],
    asvs: str | os.PathLike,
    out: str | os.PathLike,
    *,
    identity: float = 0.97,
    threads: int = 1,
    overhang: int | None = 8,
) -> dict[str, int]:
    """Count every sample's reads per ASV.

    Count every sample's reads per ASV: a read counts for the ASV within
    ``identity`` of it (vsearch's ``--usearch_global --id``), the closest one.

    The samples' dereplicated reads (labels ``sample=<id>;...;size=<n>``; no
    size counts once) are resolved in two passes:

    1. against the ASVs of the same length, by Hamming distance on 2-bit
       packed sequences in numpy (:func:`nearest_same_length`): a read with at
       most ``floor((1 - identity) * length)`` substitutions from one counts
       for the closest (ties: the more abundant, earlier ASV). This is most
       reads (Illumina errors are substitutions) at about 1/15 of the cost of
       aligning each one;
    2. the rest (indels, chimeras, other lengths, ambiguous bases) through one
       ``vsearch --usearch_global`` on all threads, as before: eight rejected
       candidates, no masking; but first, with ``overhang`` (not None), the
       reads that cannot be within ``identity`` of any ASV, by a count of
       their 8-mers found in each (:func:`may_map`), are left out:
       on the 400-sample cohort 162,424 uniques went to vsearch and it
       matched 1,166 of them (most of the others chimeras), at 0.2 CPU ms
       each whatever its ``--maxrejects``.

    On the 48-sample benchmark, 7,239 of 161,123 uniques needed vsearch, and
    the table differed from vsearch-only mapping by 58 of 455,530 reads, each a
    read vsearch gave to a farther ASV (it takes the first accepted k-mer
    candidate, not the nearest).

    ``out`` is vsearch's ``--otutabout`` layout: ``#OTU ID``, then one column
    per sample in order of first appearance.

    Returns
    -------
    dict
        ``uniques`` read, ``by_hamming`` resolved in pass 1, ``ruled_out``
        by their 8-mers, ``by_vsearch`` sent to pass 2.
    """
    import numpy as np
    import pandas as pd

    records = read_records(asvs)
    asv_ids = [label for label, _ in records]
    index = same_length_index([seq for _, seq in records])
    rule_out = overhang is not None
    kmers = kmer_index([seq for _, seq in records]) if rule_out else None
    samples: dict[bytes, int] = {}
    cells: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    counts = {"uniques": 0, "by_hamming": 0, "ruled_out": 0, "by_vsearch": 0}
    with tempfile.TemporaryDirectory(dir=Path(out).parent) as tmp:

        def resolved():
            """Yield each file's uniques and distances, in order.

            A file's distances are computed in ``threads`` slices side by
            side (numpy lets go of the GIL), so one large file (a batch of
            many samples) uses every thread; the next file is read while the
            slices run. The counts do not depend on which slice ends first.
            """
            workers = max(1, threads)
            with ThreadPoolExecutor(max_workers=workers + 1) as pool:

                def nearest(seqs, start, step):
                    """Return the slice's nearest ASVs (-1: none; -2: none can be)."""
                    part = seqs[start : start + step]
                    hit = nearest_same_length(part, index, identity=identity)
                    rest = np.flatnonzero(hit < 0)
                    if rule_out and len(rest):
                        maybe = may_map(
                            [part[k] for k in rest],
                            kmers,
                            identity=identity,
                            overhang=overhang,
                        )
                        hit[rest[~maybe]] = -2
                    return hit

                def resolve(read):
                    heads, seqs, sizes, names = read
                    step = max(1, -(-len(seqs) // workers))
                    parts = [
                        pool.submit(nearest, seqs, start, step)
                        for start in range(0, len(seqs), step)
                    ]
                    hits = [part.result() for part in parts]
                    hit = np.concatenate(hits) if hits else np.zeros(0, np.int64)
                    return heads, seqs, sizes, names, hit

                files = iter(mapping_files)
                path = next(files, None)
                following = pool.submit(_read_uniques, path) if path else None
                while following is not None:
                    read = following.result()
                    path = next(files, None)
                    following = pool.submit(_read_uniques, path) if path else None
                    yield resolve(read)

        def rest():
            """Count the files' reads found by Hamming distance; yield the rest.

            The rest of each file, as FASTA, for vsearch, which searches them
            while the next files' distances are computed.
            """
            for heads, seqs, sizes, names, hit in resolved():
                # a batch of samples a file in the workflow: factorised in C,
                # in order of first appearance (the otutab's column order)
                local, distinct = pd.factorize(np.array(names, dtype=object))
                code = np.array(
                    [samples.setdefault(name, len(samples)) for name in distinct],
                    np.int64,
                )[local]
                found = hit >= 0
                cells.append((hit[found], code[found], sizes[found]))
                counts["uniques"] += len(seqs)
                counts["by_hamming"] += int(found.sum())
                counts["ruled_out"] += int((hit == -2).sum())
                counts["by_vsearch"] += int((hit == -1).sum())
                yield b"".join(
                    b"%s\n%s\n" % (heads[k], seqs[k]) for k in np.flatnonzero(hit == -1)
                )

        left = rest()
        first = next((chunk for chunk in left if chunk), None)
        tab = Path(tmp) / "rest.tsv"
        if first is not None:  # vsearch started once a read needs it
            stream_into_vsearch(
                [
                    "--usearch_global",
                    "-",
                    "--db",
                    str(asvs),
                    "--id",
                    str(identity),
                    "--strand",
                    "plus",
                    "--sizein",
                    "--otutabout",
                    str(tab),
                    "--maxrejects",
                    "8",
                    "--qmask",
                    "none",
                    "--dbmask",
                    "none",
                    "--threads",
                    str(threads),
                ],
                chunks=itertools.chain([first], left),
                what=f"mapping {len(mapping_files)} samples to {asvs}",
                outputs=(tab,),
            )
        table = np.zeros((len(asv_ids), len(samples)), np.int64)
        for hit, code, size in cells:
            np.add.at(table, (hit, code), size)
        names = [n.decode() for n in samples]
        total = pd.DataFrame(table, index=asv_ids, columns=names)
        if first is not None:
            extra = pd.DataFrame(read_otutab_samples(tab)).fillna(0).astype("int64")
            total = total.add(extra.reindex(index=asv_ids, fill_value=0), fill_value=0)
            total = total.astype("int64")
    total.index.name = "#OTU ID"
    total.to_csv(out, sep="\t")
    return counts


@functools.cache
def _base_codes():
    """Byte -> 0-3 for A, C, G, T (either case), 255 for anything else."""
    import numpy as np

    codes = np.full(256, 255, np.uint8)
    for code, base in enumerate(b"ACGT"):
        codes[base] = codes[base + 32] = code
    return codes


def two_bit(seqs: Sequence[bytes], length: int):
    """Pack sequences of one length 2 bits a base.

    Sequences of one length as rows of uint64 words, 2 bits a base
    (A, C, G, T; upper or lower case), and whether each is all ACGT.
    """
    import numpy as np

    raw = np.frombuffer(b"".join(seqs), np.uint8)
    codes = _base_codes()[raw].reshape(len(seqs), length)
    plain = (codes != 255).all(axis=1)
    words = -(-length // 32)
    padded = np.zeros((len(seqs), words * 32), np.uint8)
    padded[:, :length] = np.where(codes == 255, 0, codes)
    # four bases a byte (each base's two bits at an even offset), eight bytes
    # a word
    quads = padded.reshape(len(seqs), words * 8, 4)
    packed = quads[:, :, 0] | quads[:, :, 1] << 2 | quads[:, :, 2] << 4
    packed |= quads[:, :, 3] << 6
    return np.ascontiguousarray(packed).view(np.uint64), plain


#: Words (32 bases each) of the first pass of :func:`nearest_same_length`.
FILTER_WORDS = 2


def same_length_index(asv_seqs: Sequence[str]) -> dict:
    """Length -> (ASV row numbers, their 2-bit words, filter words).

    For :func:`nearest_same_length`. The filter words are the
    :data:`FILTER_WORDS` words in which the ASVs of that length differ most
    (the most distinct values; V4's conserved stretches are left out), or
    none when there are too few words or ASVs for a first pass to pay.
    """
    import numpy as np

    by_length: dict[int, list[int]] = {}
    for row, seq in enumerate(asv_seqs):
        by_length.setdefault(len(seq), []).append(row)
    index = {}
    for length, rows in by_length.items():
        packed, plain = two_bit([asv_seqs[r].encode() for r in rows], length)
        keep = np.asarray(rows)[plain]
        targets = packed[plain]
        words = targets.shape[1]
        filters = np.zeros(0, np.int64)
        if words > 2 * FILTER_WORDS and len(targets) > 8:
            filters = distinct_words(targets)
        index[length] = (keep, targets, filters)
    return index


def distinct_words(packed, count: int = FILTER_WORDS):
    """Return the ``count`` 2-bit words (columns) with the most distinct values.

    In position order; ties go to the lower word (a stable choice). For a
    first pass on a few words: V4's conserved stretches are left out.
    """
    import numpy as np

    distinct = [len(np.unique(packed[:, w])) for w in range(packed.shape[1])]
    order = np.argsort(-np.asarray(distinct), kind="stable")
    return np.sort(order[:count])


def nearest_same_length(
    seqs: Sequence[bytes], index: dict, *, identity: float, block: int = 1024
):
    """Find the nearest same-length ASV of each sequence.

    For each sequence, the row of the nearest ASV of its length within
    ``floor((1 - identity) * length)`` substitutions (ties: the lower row, the
    more abundant ASV), or -1 (none, another length, or a base not ACGT).

    Hamming distance on 2-bit words: XOR, fold each base's two bits into one,
    count the set bits; ``block`` sequences at a time against all the ASVs of
    their length. With filter words (:func:`same_length_index`) in two
    passes: the distance in those words alone, a lower bound of the whole,
    leaves the pairs within the limit there (a read and the few ASVs of its
    genus, where every ASV of the length would be compared otherwise), and
    only those are compared in full. The answer is the same: an ASV within
    the limit is within it in any words.
    """
    import numpy as np

    hit = np.full(len(seqs), -1, np.int64)
    if not seqs:
        return hit
    lengths = np.fromiter(map(len, seqs), np.int64, len(seqs))
    for length in np.unique(lengths):
        if int(length) not in index:
            continue
        rows, targets, filters = index[int(length)]
        if not len(rows):
            continue
        where = np.flatnonzero(lengths == length)
        most = int(np.floor((1 - identity) * length + 1e-9))
        for start in range(0, len(where), block):
            # packed a block at a time: 8 bytes a base while packing
            part = where[start : start + block]
            packed, plain = two_bit([seqs[k] for k in part], int(length))
            if len(filters):
                best, dist = _nearest_filtered(packed, targets, filters, most)
            else:
                best, dist = _nearest_all(packed, targets)
            ok = (dist <= most) & plain
            hit[part[ok]] = rows[best[ok]]
    return hit


_LOW_BITS = 0x5555555555555555


def word_distance(a, b):
    """Mismatched bases between 2-bit words (arrays of uint64, broadcast)."""
    import numpy as np

    xor = a ^ b
    xor |= xor >> np.uint64(1)
    xor &= np.uint64(_LOW_BITS)
    return np.bitwise_count(xor)


def _nearest_all(packed, targets):
    """Each read's nearest target (lowest position on ties) and its distance."""
    import numpy as np

    # a word at a time: block x ASVs arrays that stay in the cache
    dist = np.zeros((len(packed), len(targets)), np.uint16)
    for word in range(packed.shape[1]):
        dist += word_distance(packed[:, word, None], targets[None, :, word])
    best = dist.argmin(axis=1)
    return best, dist[np.arange(len(best)), best]


def _nearest_filtered(packed, targets, filters, most: int):
    """As :func:`_nearest_all` for the reads with a target within ``most``.

    Pairs within ``most`` in the filter words are compared in full; a read
    without one gets distance ``most + 1`` (position 0).
    """
    import numpy as np

    partial = np.zeros((len(packed), len(targets)), np.uint16)
    for word in filters:
        partial += word_distance(packed[:, word, None], targets[None, :, word])
    read, target = np.nonzero(partial <= most)  # read-major, targets ascending
    dist = np.zeros(len(read), np.int64)
    for word in range(packed.shape[1]):
        dist += word_distance(packed[read, word], targets[target, word])
    best = np.zeros(len(packed), np.int64)
    out = np.full(len(packed), most + 1, np.int64)
    if len(read):
        # the smallest (distance, position) of each read with a pair
        key = dist * len(targets) + target
        starts = np.flatnonzero(np.r_[True, read[1:] != read[:-1]])
        low = np.minimum.reduceat(key, starts)
        best[read[starts]] = low % len(targets)
        out[read[starts]] = low // len(targets)
    return best, out


#: Bases of the words :func:`may_map` looks for (8-mers), and its step.
KMER = 8
STEP = 2


def _kmer_weights():
    """Return the place values that turn a k-mer's 2-bit bases into its code."""
    import numpy as np

    return 4 ** np.arange(KMER - 1, -1, -1, dtype=np.int64)


def kmer_index(asv_seqs: Sequence[str], *, chunk: int = 1024) -> list:
    """Return what :func:`may_map` compares reads with: the ASVs' 8-mers.

    ``chunk`` ASVs at a time (64 MiB each): (presence, lengths), for every
    8-mer code (2 bits a base) a row of booleans, one an ASV, true where the
    ASV holds that 8-mer anywhere (an ASV with a base other than ACGT holds
    every 8-mer: it is never ruled out); and the ASVs' lengths.
    """
    import numpy as np

    codes = _base_codes()
    weights = _kmer_weights()
    index = []
    for first in range(0, len(asv_seqs), chunk):
        part = asv_seqs[first : first + chunk]
        present = np.zeros((4**KMER, len(part)), bool)
        for col, seq in enumerate(part):
            base = codes[np.frombuffer(seq.encode(), np.uint8)].astype(np.int64)
            if (base == 255).any():
                present[:, col] = True
            elif len(base) >= KMER:
                windows = np.lib.stride_tricks.sliding_window_view(base, KMER)
                present[windows @ weights, col] = True
        lengths = np.fromiter(map(len, part), np.int64, len(part))
        index.append((present, lengths))
    return index


def may_map(
    seqs: Sequence[bytes],
    index: list,
    *,
    identity: float,
    overhang: int = 8,
    step: int = STEP,
    cells: int = 1 << 24,
):
    """Tell which reads may lie within ``identity`` of an ASV (a bound, not a search).

    The q-gram lemma, sampled: a read whose alignment to an ASV reaches
    ``identity`` (matching columns over the columns without terminal gaps,
    vsearch's ``--iddef 2``) has at most
    ``e = floor(min(read, ASV length) * (1 - identity) / identity)`` internal
    mismatches and gap columns. Take the read's 8-mers starting every
    ``step`` bases: one that holds no edit and lies within the aligned
    stretch appears, base for base, somewhere in the ASV. An edit spoils at
    most ``ceil(8 / step)`` of them, and the read's bases left out of the
    alignment (terminal gaps), ``h`` of them, at most ``floor(h / step) +
    2``. So at least ``8-mers - ceil(8 / step) * e - floor(h / step) - 2``
    of the read's 8-mers appear in that ASV; a read with fewer for every ASV
    cannot be within ``identity`` of any, and need not be searched. ``h`` is
    taken as the length difference plus ``overhang``: an alignment that
    leaves more of the read out than that is not considered (the hits
    vsearch found on the benchmark cohorts left out at most 2 bases beyond
    the length difference). Where that differs from vsearch: a read whose
    first 80 bases are foreign and the rest an ASV shifted is placed by
    vsearch, which counts identity over the aligned columns only, and ruled
    out here at ``overhang`` 8 (``test_the_overhang_is_the_one_assumption``).

    On the 400-sample cohort's 162,424 uniques that no same-length ASV took,
    of which vsearch placed 1,166, every placed one passed; of the others
    16% passed with ``step`` 1 (2.9 s), 19% with 2 (1.5 s), 25% with 4 and
    44% with 8 (0.7 s); vsearch costs about 0.2 CPU ms a read.

    ``index``: :func:`kmer_index` of the ASVs. Returns a boolean per read
    (``cells`` read-8-mer-ASV triples at a time); a read with a base other
    than A, C, G or T is always true.
    """
    import numpy as np

    out = np.zeros(len(seqs), bool)
    if not len(seqs):
        return out
    codes = _base_codes()
    weights = _kmer_weights()
    read_lengths = np.fromiter(map(len, seqs), np.int64, len(seqs))
    spoilt = -(-KMER // step)  # the 8-mers one edit can spoil
    for length in np.unique(read_lengths).tolist():
        where = np.flatnonzero(read_lengths == length)
        starts = np.arange(0, length - KMER + 1, step)
        kmers = len(starts)
        for present, lengths in index:
            edits = np.floor(
                np.minimum(lengths, length) * (1 - identity) / identity + 1e-9
            ).astype(np.int64)
            lost = (np.abs(lengths - length) + overhang) // step + 2
            need = kmers - spoilt * edits - lost  # per ASV
            if (need <= 0).any():  # an ASV no read of this length can be ruled out of
                out[where] = True
                break
            block = max(1, cells // (kmers * len(lengths)))
            for start in range(0, len(where), block):
                part = where[start : start + block]
                part = part[~out[part]]  # found in an earlier chunk of ASVs
                if not len(part):
                    continue
                raw = np.frombuffer(b"".join(seqs[k] for k in part), np.uint8)
                base = codes[raw].reshape(len(part), length)
                plain = (base != 255).all(axis=1)
                windows = np.lib.stride_tricks.sliding_window_view(base, KMER, axis=1)
                words = windows[:, starts].astype(np.int64) @ weights
                words[~plain] = 0
                found = present[words].sum(axis=1, dtype=np.int16)  # reads x ASVs
                out[part] = (found >= need[None, :]).any(axis=1) | ~plain
    return out


_SAMPLE = re.compile(rb"^>sample=([^;\n]*)", re.MULTILINE)


_SIZES = re.compile(rb";size=(\d+)")


def _read_uniques(path):
    """Read a dereplicated FASTA with its sizes and sample names.

    A dereplicated FASTA (one line a sequence, as vsearch writes with
    ``--fasta_width 0``): label lines (with their ``>``), sequences, sizes
    (1 where no ``;size=``) and each record's ``sample=`` name.
    """
    import numpy as np

    data = Path(path).read_bytes()
    lines = data.split(b"\n")
    if lines and not lines[-1]:
        lines.pop()
    heads, seqs = lines[0::2], lines[1::2]
    if len(heads) != len(seqs) or (heads and not heads[0].startswith(b">")):
        raise ValueError(
            f"{path}: not one-line FASTA; write it with vsearch --fasta_width 0"
        )
    labels = b"\n".join(heads)  # the labels alone: a tenth of the bytes
    names = _SAMPLE.findall(labels)
    if len(names) != len(heads):
        raise ValueError(
            f"{path}: a read label lacks sample=<id>; label the reads with "
            "vsearch --relabel 'sample=<id>;r'"
        )
    sizes = _SIZES.findall(labels)
    if len(sizes) == len(heads):
        size = np.array(sizes, np.int64)
    else:
        size = np.array([size_of(h.decode()) for h in heads], np.int64)
    return heads, seqs, size, names


def read_otutab_samples(path: str | os.PathLike) -> dict[str, pd.Series]:
    """Read a many-sample ``--otutabout`` file as sample -> counts per ASV."""
    import pandas as pd

    df = pd.read_csv(path, sep="\t", index_col=0, dtype={0: str})
    df.columns = df.columns.astype(str)
    return {s: df[s].astype("int64") for s in df.columns}
