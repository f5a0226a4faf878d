"""UNOISE3: pooled uniques, centroids within each read length, each sample's own.

UNOISE3 on the pooled uniques (pooled by vsearch), centroids within each
read length (an exhaustive search in numpy, or vsearch's
``--cluster_unoise``) with indels counted across lengths, and each sample's
own centroids.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ToolError
from ..io import line_bounds, read_fasta, write_fasta
from ..tools import run_tool

if TYPE_CHECKING:  # pandas is imported where tables are built, not by read steps
    pass

from .records import SIZE, read_records, size_of, stream_into_vsearch


def pool_uniques(
    derep_files: Sequence[str | os.PathLike],
    out: str | os.PathLike,
    *,
    min_size: int = 1,
    threads: int = 1,
) -> None:
    """Pool per-sample uniques into one file, summing sizes.

    The files are streamed, in the order given, into ``vsearch --fastx_uniques``;
    uniques below ``min_size`` in total cannot become ASVs and are dropped here.
    With ``min_size`` above 1 only the records of sequences that may reach it
    are streamed (:func:`pooled_candidates`), so vsearch holds those instead
    of every sample's uniques; the file it writes is the same.
    """
    # the first pass reads every file before vsearch starts: a bad one stops here
    chunks = (
        pooled_candidates(derep_files, min_size, threads=threads)
        if min_size > 1
        else ()
    )
    try:
        stream_into_vsearch(
            [
                "--fastx_uniques",
                "-",
                "--sizein",
                "--sizeout",
                "--minuniquesize",
                str(min_size),
                "--fastaout",
                str(out),
                "--fasta_width",
                "0",
            ],
            derep_files if min_size <= 1 else (),
            what=f"pooling {len(derep_files)} samples",
            outputs=(out,),
            chunks=chunks,
        )
    except BaseException:  # a file that failed the second pass: nothing half written
        Path(out).unlink(missing_ok=True)
        raise


def _layout(path: str | os.PathLike):
    """Read a one-line-a-sequence FASTA file: (its bytes, line starts, line ends)."""
    data, starts, ends = line_bounds(Path(path).read_bytes())
    if len(ends) % 2 or (len(data) and data[:1] != b">"):
        raise ToolError(
            f"{path}: not a FASTA file of one line a sequence; rerun the sample "
            "read steps that wrote it"
        )
    return data, starts, ends


#: Upper case, U as T: sequences vsearch counts as the same read alike
_AS_VSEARCH = bytes.maketrans(
    b"abcdefghijklmnopqrstuvwxyzU", b"ABCDEFGHIJKLMNOPQRSTTVWXYZT"
)


def _sequence_hashes(data: bytes, starts, ends):
    """Return a 64-bit hash of each sequence line, in numpy (no loop over reads).

    FNV-1a over 8-byte words, a length at a time, then splitmix64's finaliser.
    Two sequences may share a hash; :func:`pooled_candidates` only sums them.
    """
    import numpy as np

    buf = np.frombuffer(data, np.uint8)
    first, lengths = starts[1::2], ends[1::2] - starts[1::2]
    out = np.empty(len(first), np.uint64)
    prime = np.uint64(0x100000001B3)
    with np.errstate(over="ignore"):
        for length in np.unique(lengths).tolist():
            rows = np.flatnonzero(lengths == length)
            words = np.zeros((len(rows), -(-length // 8) * 8), np.uint8)
            if length:  # the rows copied out of a window view: no index matrix
                windows = np.lib.stride_tricks.sliding_window_view(buf, length)
                words[:, :length] = windows[first[rows]]
            h = np.full(len(rows), np.uint64(0xCBF29CE484222325 ^ length), np.uint64)
            for column in words.view(np.uint64).T:
                h = (h ^ column) * prime
            h = (h ^ (h >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
            h = (h ^ (h >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
            out[rows] = h ^ (h >> np.uint64(31))
    return out


def _hashes_and_sizes(path: str | os.PathLike):
    """Return each record's sequence hash and ``;size=`` (1 where it has none).

    The sequence is hashed as vsearch compares sequences: upper case, U as T.
    """
    import numpy as np

    data, starts, ends = _layout(path)
    heads = len(starts) // 2
    # one copy, the same length: the positions hold
    hashes = _sequence_hashes(data.translate(_AS_VSEARCH), starts, ends)
    # each header's first ;size= (as size_of reads it), one a header line
    heads_text = b"\n".join(data.split(b"\n")[0::2]) + b"\n"
    found = re.findall(rb";size=(\d+)[^\n]*\n", heads_text)
    if len(found) == heads:  # every header has one (digits parsed by numpy)
        sizes = np.array(found or [b"0"]).astype(np.int64)[:heads]
    else:
        sizes = np.array(
            [size_of(h.decode(errors="replace")) for h in heads_text.split(b"\n")],
            np.int64,
        )[:heads]
    return hashes, sizes


def pooled_candidates(
    derep_files: Sequence[str | os.PathLike], min_size: int, *, threads: int = 1
) -> Iterator[bytes]:
    """Return, file by file, the records of the sequences that may reach ``min_size``.

    A first pass sums each sequence's sizes over every file by a 64-bit hash
    of the sequence (upper case, U as T: vsearch's own equality); a second
    yields the records whose hash totals at least ``min_size``, in file
    order (the first pass runs now, the second as the records are taken).
    Sequences that share a hash are summed together, so a total is
    never below the sequence's own: every sequence that reaches ``min_size``
    is kept, with all its records, in its order, and ``--minuniquesize``
    still drops the rest (``benchmarks/README.md``). The first pass hashes
    ``threads`` files side by side.
    """
    import numpy as np

    hashes, sizes = [], []
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        # numpy lets go of the lock for most of a file's hashing
        for h, n in pool.map(_hashes_and_sizes, derep_files):
            hashes.append(h)
            sizes.append(n)
    if not hashes:
        return iter(())
    keys, inverse = np.unique(np.concatenate(hashes), return_inverse=True)
    totals = np.bincount(inverse, weights=np.concatenate(sizes), minlength=len(keys))
    del keys
    keep = totals[inverse] >= min_size
    del inverse, totals
    return _kept_records(derep_files, hashes, keep)


def _kept_records(derep_files, hashes, keep) -> Iterator[bytes]:
    """Yield each file's kept records (the second pass of :func:`pooled_candidates`)."""
    import numpy as np

    def records(path, record):
        data, starts, ends = _layout(path)
        # records tile the file (header line, sequence line): keep their bytes
        span = ends[1::2] + 1 - starts[0::2]
        return np.frombuffer(data, np.uint8)[np.repeat(record, span)].tobytes()

    # the next file is read while vsearch takes this one
    with ThreadPoolExecutor(max_workers=1) as pool:
        start, waiting = 0, None
        for path, h in zip(derep_files, hashes, strict=True):
            record = keep[start : start + len(h)]
            start += len(h)
            following = pool.submit(records, path, record) if record.any() else None
            if waiting is not None:
                yield waiting.result()
            waiting = following
        if waiting is not None:
            yield waiting.result()


def pooled_min_size(min_size: int, per_million: float, reads: int) -> int:
    """Return the pooled floor: ``min_size``, or more with many reads.

    At least ``per_million`` reads a million pooled (rounded up). Exact copies
    of the same error or chimera accumulate with depth: on 400 samples of
    19,000 pairs (6.3 million reads within the error filter) every false ASV
    left had 2 pooled reads and every true one over 1,000, while on 48 of
    9,500 (0.46 million) true sequences of 2 reads are real
    (``benchmarks/README.md``). The per-sample UNOISE candidates
    (``denoise.sample_min_size``) still keep a sequence concentrated in one
    sample.
    """
    import math

    return max(int(min_size), math.ceil(per_million * reads / 1e6))


def unoise(
    pooled: str | os.PathLike,
    out: str | os.PathLike,
    *,
    min_size: int = 8,
    alpha: float = 2.0,
    by_length: bool = True,
    threads: int = 1,
    search: str = "exhaustive",
) -> dict[str, int]:
    """Denoise pooled uniques with UNOISE3, within each length and across them.

    ``search`` says how a length's centroids are found: ``"exhaustive"``
    (:func:`cluster_length`: every unique against every centroid before it,
    in numpy; a length with a base other than A, C, G or T goes to vsearch)
    or ``"vsearch"`` (``vsearch --cluster_unoise``, whose word search stops
    after 32 rejected candidates). vsearch aligns, so a unique one shifted
    homopolymer from a centroid of its length is two gap columns from it,
    not the mismatches of the shift: with ``"exhaustive"`` the search across
    lengths below also absorbs a centroid into one of its own length when
    their alignment has gaps. On the benchmark cohorts both searches gave the
    same ASV tables; on the 400-sample cohort's 60,396 uniques of 253 nt the
    exhaustive search took 2.5 s and vsearch 11.8 s on two threads (9 more
    centroids, all of 8-12 reads, before the search across lengths).

    vsearch's UNOISE counts only mismatches as differences, so a true
    sequence one indel away from a more abundant one is absorbed whatever the
    abundances (two real strains differing by a 3-nt deletion become one
    ASV). With ``by_length`` (the default) UNOISE runs within each sequence
    length, where no indel can separate two uniques, and the centroids of
    different lengths are then compared with indels counted
    (:func:`absorb_indel_errors`): an indel error of an abundant ASV is still
    absorbed, a real indel variant is kept. With ``threads`` > 1 the most
    populous length (most of the uniques) is denoised on every thread
    (vsearch's; the exhaustive search runs on one) and the other lengths
    beside it, one thread each; the outputs are joined in
    length order whatever finishes first. vsearch's clustering on several
    threads searches a round of queries side by side, then checks each, in
    order, against the centroids found in that round, as one thread would
    have: on the benchmark cohorts' pooled uniques (every length of the EMP
    2x150 and 400-sample cohorts, the main one of the 48-sample 2x250: 23
    buckets, up to 60,396 uniques) the centroids were the same at 1, 2, 3, 4
    and 8 threads, and 12.5 s became 7.8 s on two
    (``tests/unit/test_unoise_chimeras.py`` checks 1, 2 and 4).

    Uniques under ``min_size`` are left out before the split (vsearch's
    ``--minsize`` drops them anyway), and a length holding a single unique is
    its own centroid without a vsearch call; a sample's own UNOISE has a few
    such lengths, each a process start saved (the output is the same,
    checked in ``tests/unit/test_unoise_chimeras.py``).

    Returns
    -------
    dict
        ``centroids`` (UNOISE's), ``indel_absorbed`` and ``asvs`` written.
    """
    if not by_length:
        _cluster_unoise(pooled, out, min_size=min_size, alpha=alpha)
        n = len(read_fasta(out))
        return {"centroids": n, "indel_absorbed": 0, "asvs": n}
    with tempfile.TemporaryDirectory(dir=Path(out).parent) as tmp:
        buckets = _split_by_length(pooled, Path(tmp), min_size=min_size)
        centroids = Path(tmp) / "centroids.fasta"
        parts = [bucket.with_suffix(".out") for bucket, _ in buckets]
        order = sorted(range(len(buckets)), key=lambda k: -buckets[k][1])

        def denoise(k: int, on: int = 1) -> None:
            bucket, n = buckets[k]
            if n == 1:  # a single unique is its own centroid
                shutil.copyfile(bucket, parts[k])
            elif search == "vsearch" or not _numpy_bucket(bucket, parts[k], alpha):
                _cluster_unoise(
                    bucket, parts[k], min_size=min_size, alpha=alpha, threads=on
                )

        with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
            # the most populous length on every thread, the others beside it
            first = pool.submit(denoise, order[0], max(1, threads)) if order else None
            list(pool.map(denoise, order[1:]))  # raises the first failure
            if first is not None:
                first.result()
        records = [record for part in parts for record in read_records(part)]
        records.sort(key=lambda r: (-size_of(r[0]), r[1]))
        write_fasta(records, centroids)
        kept = absorb_indel_errors(
            centroids,
            records,
            alpha=alpha,
            tmp=Path(tmp),
            threads=threads,
            same_length_gaps=search != "vsearch",
        )
    write_fasta(kept, out)
    return {
        "centroids": len(records),
        "indel_absorbed": len(records) - len(kept),
        "asvs": len(kept),
    }


def sample_unoise(
    derep: str | os.PathLike,
    out: str | os.PathLike,
    *,
    min_size: int = 4,
    alpha: float = 2.0,
    block: int = 256,
    search: str = "exhaustive",
) -> dict[str, int]:
    """Denoise one sample's uniques (its own UNOISE3 candidates), in numpy.

    UNOISE3's rule as :func:`unoise` applies it, computed here rather than by
    ``vsearch --cluster_unoise``: within each length, the uniques of
    ``min_size`` or more, most abundant first (ties: the sequence), each
    join the nearest centroid found so far (fewest mismatches, then the more
    abundant, then the earlier) for which their abundance is at most that
    centroid's times ``1 / 2 ** (alpha * d + 1)``, ``d`` the mismatches, and
    are a new centroid otherwise; centroids carry their cluster's reads.
    Then :func:`absorb_indel_errors`' rule on the centroids, with ``d`` the
    edit distance (mismatches plus gap columns of the alignment with fewest,
    by edlib) within 97% identity (``d`` at most 3% of the longer sequence):
    across lengths, and within a length where gaps make fewer differences
    than the mismatches (:func:`_edit_hits`).

    Why not vsearch: a sample has a few hundred such uniques in a few
    lengths, and vsearch's calls (one a length, then its self-search for the
    indels) took 120-230 CPU ms a sample on the 400-sample cohort, most of it
    each call's start (its word index) and the alignments of its heuristic
    search; every pair compared here costs less (``benchmarks/README.md``).
    The search is exhaustive where vsearch's stops after 32 rejected
    candidates, and the edit distance is never more than the differences of
    vsearch's alignment: a unique may be absorbed here that vsearch would
    have kept, never the other way round. A sample with a base other than
    A, C, G or T among those uniques goes through :func:`unoise` (vsearch).
    ``block`` uniques are compared with the others at a time (memory).

    Returns
    -------
    dict
        ``centroids`` (within lengths), ``indel_absorbed`` and ``asvs`` written.
    """
    records = [r for r in read_records(derep) if size_of(r[0]) >= min_size]
    if search == "vsearch" or any(set(seq) - set("ACGT") for _, seq in records):
        return unoise(derep, out, min_size=min_size, alpha=alpha, search="vsearch")
    by_length: dict[int, list[tuple[str, str]]] = {}
    for record in records:
        by_length.setdefault(len(record[1]), []).append(record)
    centroids = [
        centroid
        for length in sorted(by_length)
        for centroid in _length_centroids(by_length[length], alpha=alpha, block=block)
    ]
    centroids.sort(key=lambda r: (-size_of(r[0]), r[1]))
    kept = _absorbed(centroids, _edit_hits(centroids, alpha=alpha), alpha=alpha)
    write_fasta(kept, out)
    return {
        "centroids": len(centroids),
        "indel_absorbed": len(centroids) - len(kept),
        "asvs": len(kept),
    }


def cluster_length(packed, sizes, *, alpha: float = 2.0, block: int = 256):
    """UNOISE3's rule on the uniques of one length, exhaustively, in numpy.

    ``packed``: the uniques as 2-bit words (:func:`.mapping.two_bit`), most
    abundant first; ``sizes`` their reads. Each unique joins the nearest
    centroid before it (fewest mismatches, then the earlier) whose size is at
    least its own times ``2 ** (alpha * d + 1)``, or becomes a centroid.

    The uniques go ``block`` at a time against the centroids found so far
    and the block's own earlier rows. Where there are many centroids the
    distance is first taken in the two words in which the uniques differ
    most (a lower bound of the whole); a pair over the most mismatches the
    rule allows between the block's smallest unique and the largest
    centroid is not compared further.

    Returns
    -------
    tuple
        Whether each unique is a centroid, and each centroid's reads with
        those of the uniques it took (others: their own).
    """
    import numpy as np

    from .mapping import distinct_words, word_distance

    n, words = packed.shape
    big = np.iinfo(np.int64).max
    sizes = np.asarray(sizes, np.float64)
    is_centroid = np.zeros(n, bool)
    total = sizes.copy()
    filters = np.zeros(0, np.int64)
    if words > 4 and n > 4 * block:
        filters = distinct_words(packed)
    found = np.zeros(0, np.int64)  # centroids of the blocks done
    for start in range(0, n, block):
        rows = np.arange(start, min(n, start + block))
        cols = np.concatenate([found, rows])
        # the most differences any pair of the block may have and still pass
        ratio = sizes[cols].max() / sizes[rows].min()
        most = int(np.floor((np.log2(max(ratio, 1.0)) - 1) / alpha + 1e-9))
        if len(filters) and len(found) > block:
            partial = np.zeros((len(rows), len(cols)), np.uint16)
            for word in filters:
                partial += word_distance(
                    packed[rows, None, word], packed[None, cols, word]
                )
            r, c = np.nonzero(partial <= most)
            full = np.zeros(len(r), np.uint16)
            for word in range(words):
                full += word_distance(packed[rows[r], word], packed[cols[c], word])
            # a pair left out: a distance no pair can have, so it fails the rule
            dist = np.full((len(rows), len(cols)), 32 * words + 1, np.uint16)
            dist[r, c] = full
        else:
            dist = np.zeros((len(rows), len(cols)), np.uint16)
            for word in range(words):
                dist += word_distance(
                    packed[rows, None, word], packed[None, cols, word]
                )
        absorbs = sizes[rows, None] * np.exp2(alpha * dist.astype(np.float64) + 1)
        absorbs = absorbs <= sizes[None, cols]
        absorbs &= cols[None, :] < rows[:, None]
        # the nearest, then the earlier (the more abundant): column order is row order
        rank = dist.astype(np.int64) * n + cols[None, :]
        rank[~absorbs] = big
        open_ = np.ones(len(cols), bool)  # the found centroids, then the block's
        open_[len(found) :] = False
        for r, i in enumerate(rows.tolist()):  # uniques, not reads
            options = np.where(open_, rank[r], big)
            j = int(np.argmin(options))
            if options[j] < big:
                total[cols[j]] += sizes[i]
            else:
                is_centroid[i] = True
                open_[len(found) + r] = True
        found = np.concatenate([found, rows[is_centroid[rows]]])
    return is_centroid, total


def _numpy_bucket(bucket: Path, out: Path, alpha: float) -> bool:
    """Write one length's centroids by :func:`cluster_length`; False if not ACGT."""
    centroids = _length_centroids(read_records(bucket), alpha=alpha)
    if centroids is None:
        return False
    write_fasta(centroids, out)
    return True


def _length_centroids(
    records: Sequence[tuple[str, str]], *, alpha: float, block: int = 256
) -> list[tuple[str, str]] | None:
    """Return the centroids of one length's uniques (:func:`cluster_length`).

    (label, sequence) records of one length, any order; the centroids, most
    abundant first (ties: the sequence), labels carrying their cluster's
    reads; None when a sequence holds a base other than A, C, G or T.
    """
    import numpy as np

    from .mapping import two_bit

    records = sorted(records, key=lambda r: (-size_of(r[0]), r[1]))
    packed, plain = two_bit([seq.encode() for _, seq in records], len(records[0][1]))
    if not plain.all():
        return None
    sizes = np.array([size_of(label) for label, _ in records], np.float64)
    is_centroid, total = cluster_length(packed, sizes, alpha=alpha, block=block)
    return [
        (SIZE.sub(f";size={int(total[i])}", records[i][0]), records[i][1])
        for i in np.flatnonzero(is_centroid)
    ]


def _edit_hits(
    records: Sequence[tuple[str, str]], *, alpha: float, identity: float = 0.97
) -> list[tuple[str, str, int]]:
    """Return the (query, target, edit distance) pairs that may pass UNOISE's rule.

    Pairs whose target is more abundant: of another length, and of the same
    length where gaps make fewer differences than the mismatches (a shifted
    homopolymer; vsearch's UNOISE aligns, the mismatches alone are counted
    within a length). Only pairs whose abundances allow the rule to pass at
    the least distance their lengths allow (the length difference; 2 within
    a length) are compared, and the edit distance (edlib, global) only up to
    the most the rule and ``identity`` allow; pairs beyond it are left out.
    Which pairs to compare is worked out in numpy (centroids x centroids),
    so only those reach edlib.
    """
    import edlib
    import numpy as np

    from .mapping import two_bit, word_distance

    size = np.array([size_of(label) for label, _ in records], np.float64)
    length = np.array([len(seq) for _, seq in records], np.int64)
    with np.errstate(divide="ignore"):
        # the most differences the rule allows at these abundances (query
        # rows, target columns), and within identity
        most = np.floor((np.log2(size[None, :] / size[:, None]) - 1) / alpha + 1e-9)
    longer = np.maximum(length[:, None], length[None, :])
    most = np.minimum(most, np.floor((1 - identity) * longer)).astype(np.int64)
    most[size[None, :] <= size[:, None]] = -1  # the target must be more abundant
    gap = np.abs(length[:, None] - length[None, :])
    least = np.where(gap > 0, gap, 2)
    # within a length only where gaps beat the mismatches: fewer than those
    for same in np.unique(length).tolist():
        rows = np.flatnonzero(length == same)
        if len(rows) < 2:
            continue
        packed, _ = two_bit([records[k][1].encode() for k in rows], same)
        mismatches = np.zeros((len(rows), len(rows)), np.int64)
        for word in range(packed.shape[1]):
            mismatches += word_distance(packed[:, None, word], packed[None, :, word])
        block = most[np.ix_(rows, rows)]
        most[np.ix_(rows, rows)] = np.minimum(block, mismatches - 1)
    hits = []
    for q, t in zip(*np.nonzero(most >= least), strict=True):  # the pairs left
        d = edlib.align(
            records[q][1], records[t][1], mode="NW", task="distance", k=int(most[q, t])
        )
        if d["editDistance"] >= 0:
            hits.append((records[q][0], records[t][0], d["editDistance"]))
    return hits


def add_candidates(
    centroids: str | os.PathLike,
    pooled: str | os.PathLike,
    candidate_files: Sequence[str | os.PathLike],
    out: str | os.PathLike,
) -> dict[str, int]:
    """Join the per-sample UNOISE centroids to the pooled ones.

    Pooled UNOISE judges a unique by its abundance in all samples together, so
    a real strain one or two bases from a strain that is abundant elsewhere is
    absorbed even in the samples where it is alone or dominant. Each sample's
    own UNOISE (``gutlung sample-reads --candidates``) keeps it there; its
    sequence joins the pooled centroids here, with its pooled abundance (for
    the de novo chimera check), most abundant first.

    Returns
    -------
    dict
        ``pooled`` centroids, ``added`` from the samples, ``candidates`` written.
    """
    records = read_records(centroids)
    have = {seq for _, seq in records}
    extra: dict[str, str] = {}
    for path in candidate_files:
        for label, seq in read_records(path):
            if seq not in have and seq not in extra:
                extra[seq] = label
    if extra:
        sizes = {seq: size_of(label) for label, seq in read_records(pooled)}
        for seq, label in extra.items():
            size = sizes.get(seq, size_of(label))
            records.append((SIZE.sub(f";size={size}", label), seq))
        records.sort(key=lambda r: (-size_of(r[0]), r[1]))
    write_fasta(records, out)
    return {"pooled": len(have), "added": len(extra), "candidates": len(records)}


def _cluster_unoise(
    pooled, out, *, min_size: int, alpha: float, threads: int = 1
) -> None:
    run_tool(
        [
            "vsearch",
            "--cluster_unoise",
            str(pooled),
            "--sizein",
            "--sizeout",
            "--minsize",
            str(min_size),
            "--unoise_alpha",
            str(alpha),
            "--centroids",
            str(out),
            "--fasta_width",
            "0",
            "--threads",
            str(threads),
        ],
        context=f"pooled uniques {pooled}",
        outputs=(out,),
    )


def _split_by_length(pooled, tmp: Path, *, min_size: int = 1) -> list[tuple[Path, int]]:
    """Write the uniques of ``min_size`` or more to one FASTA per length.

    Sizes are kept; returns (file, uniques) per length, shortest first.
    """
    handles: dict[int, object] = {}
    counts: dict[int, int] = {}
    try:
        for label, seq in read_records(pooled):
            if size_of(label) < min_size:
                continue
            if len(seq) not in handles:
                handles[len(seq)] = open(tmp / f"len{len(seq)}.fasta", "w")
                counts[len(seq)] = 0
            handles[len(seq)].write(f">{label}\n{seq}\n")
            counts[len(seq)] += 1
    finally:
        for handle in handles.values():
            handle.close()
    return [(tmp / f"len{n}.fasta", counts[n]) for n in sorted(handles)]


def absorb_indel_errors(
    centroids: str | os.PathLike,
    records: Sequence[tuple[str, str]],
    *,
    alpha: float = 2.0,
    tmp: Path,
    threads: int = 1,
    same_length_gaps: bool = False,
) -> list[tuple[str, str]]:
    """Apply UNOISE's rule across lengths, indels counted as differences.

    Each centroid, from the most abundant down, is absorbed into a more
    abundant kept centroid of another length when its abundance is at most
    that one's times ``1 / 2 ** (alpha * d + 1)``, with ``d`` the mismatches
    plus gap columns of their global alignment (``vsearch --usearch_global``
    against the centroids themselves, 97% identity or more). Sizes of
    absorbed centroids are added to their target. With ``same_length_gaps``
    a hit of the same length whose alignment has gaps counts too (after
    :func:`cluster_length`, which counts mismatches only).

    Returns the kept (label, sequence) records, most abundant first, labels
    carrying the new sizes. Centroids of a single length (without
    ``same_length_gaps``) and a single centroid have nothing to absorb: they
    are returned as they are, without a search.
    """
    if len(records) < 2 or (
        len({len(seq) for _, seq in records}) < 2 and not same_length_gaps
    ):
        return sorted(records, key=lambda r: (-size_of(r[0]), r[1]))
    hits_file = tmp / "self_hits.tsv"
    run_tool(
        [
            "vsearch",
            "--usearch_global",
            str(centroids),
            "--db",
            str(centroids),
            "--self",
            "--id",
            "0.97",
            "--maxaccepts",
            "16",
            "--maxrejects",
            "64",
            "--strand",
            "plus",
            "--userout",
            str(hits_file),
            "--userfields",
            "query+target+mism+gaps",
            "--threads",
            str(threads),
        ],
        context=f"denoised sequences {centroids}",
        outputs=(hits_file,),
    )
    seq_of = dict(records)
    size = {label: size_of(label) for label, _ in records}
    hits = []
    with open(hits_file) as handle:
        for line in handle:
            query, target, mism, gaps = line.rstrip("\n").split("\t")
            if size[target] <= size[query]:
                continue
            if len(seq_of[query]) != len(seq_of[target]) or (
                same_length_gaps and int(gaps)
            ):
                hits.append((query, target, int(mism) + int(gaps)))
    return _absorbed(records, hits, alpha=alpha)


def _absorbed(
    records: Sequence[tuple[str, str]],
    hits: Sequence[tuple[str, str, int]],
    *,
    alpha: float,
) -> list[tuple[str, str]]:
    """UNOISE's rule across lengths, given the (query, target, differences) hits.

    The hits are of a query to a more abundant target of another length;
    :func:`absorb_indel_errors` describes the rule and what is returned.
    """
    seq_of = dict(records)
    size = {label: size_of(label) for label, _ in records}
    candidates: dict[str, list[tuple[str, int]]] = {}
    for query, target, d in hits:
        candidates.setdefault(query, []).append((target, d))
    kept: dict[str, int] = {}
    for label, _ in sorted(records, key=lambda r: (-size_of(r[0]), r[1])):
        targets = [
            (t, d)
            for t, d in candidates.get(label, ())
            if t in kept and size[label] <= size[t] / 2 ** (alpha * d + 1)
        ]
        if targets:
            # hits arrive in thread order: ties broken by label, not by it
            target = min(targets, key=lambda td: (td[1], -size[td[0]], td[0]))[0]
            kept[target] += size[label]
        else:
            kept[label] = size[label]
    out = [(SIZE.sub(f";size={n}", label), seq_of[label]) for label, n in kept.items()]
    out.sort(key=lambda r: (-size_of(r[0]), r[1]))
    return out


def drop_rare_neighbours(
    records: Sequence[tuple[str, str]], *, min_size: int
) -> tuple[list[tuple[str, str]], int]:
    """Drop the ASVs seen fewer than ``min_size`` times one base from a larger one.

    UNOISE absorbs a unique into a larger centroid one mismatch away only when
    it is at most an eighth of it (``alpha`` 2). In small libraries the true
    sequences are small too, so two reads sharing one error pass that test:
    on the simulator at 100 reads a sample every two-read ASV one mismatch
    from a larger one was an error, and every true two-read ASV was two or
    more mismatches from any larger one. An ASV with fewer than ``min_size``
    reads (pooled) and a more abundant ASV of its length one mismatch away is
    left out; its reads are then counted for that neighbour.

    Parameters
    ----------
    records
        (label with ``;size=``, sequence), any order.
    min_size
        Pooled reads an ASV one mismatch from a larger one needs (config
        ``denoise.neighbour_min_size``); 0 or 1 keeps every ASV.

    Returns
    -------
    tuple
        The kept records (in the order given) and how many were dropped.
    """
    import numpy as np

    sizes = [size_of(label) for label, _ in records]
    drop = set()
    by_length: dict[int, list[int]] = {}
    for k, (_, seq) in enumerate(records):
        by_length.setdefault(len(seq), []).append(k)
    for length, members in by_length.items():
        small = [k for k in members if sizes[k] < min_size]
        if not small or len(members) < 2:
            continue
        codes = np.frombuffer(
            "".join(records[k][1] for k in members).encode(), dtype=np.uint8
        ).reshape(len(members), length)
        member_sizes = np.array([sizes[k] for k in members])
        where = {k: i for i, k in enumerate(members)}
        for start in range(0, len(small), 256):  # 256 x members x length bytes
            chunk = small[start : start + 256]
            rows = codes[[where[k] for k in chunk]]
            mismatches = (rows[:, None, :] != codes[None, :, :]).sum(axis=2)
            larger = (
                member_sizes[None, :] > np.array([sizes[k] for k in chunk])[:, None]
            )
            hit = ((mismatches == 1) & larger).any(axis=1)
            drop.update(k for k, h in zip(chunk, hit, strict=True) if h)
    kept = [r for k, r in enumerate(records) if k not in drop]
    return kept, len(drop)
