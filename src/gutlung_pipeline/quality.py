"""What the reads' qualities say, from the first few thousand records of a file.

- :func:`detect_encoding`: the quality encoding (phred+33, or phred+64 of
  Illumina 1.3-1.7, as in q2-dada2's single-end test reads), qualities above
  41 (PacBio HiFi/CCS) and binned qualities (NovaSeq, NextSeq 2000, MiSeq
  i100: four or fewer values); the vsearch options that read them;
- :func:`primer_match_rate`: the share of reads that start with a primer
  (IUPAC codes, cutadapt's error rate), to tell wrong primers, or primers
  said to be in the reads that are not, before any job;
- :func:`choose_truncation`: where to cut the two reads of a pair before the
  merge, so that they still overlap over the whole amplicon but carry as few
  expected errors as possible into the overlap (the worn 3' tails of MiSeq
  2x250 reads make vsearch refuse a third of the pairs of DADA2's example data
  for "too many differences");
- :func:`auto_truncation`: the same from a sample's files, the amplicon's
  length measured by merging the first pairs.

Only the first records of a file are read (:func:`head_records`): never the
whole file in Python.

References
----------
Weinstein MM, Prem A, Jin M, Tang S, Bhasin JM (2019). FIGARO: an efficient
and objective tool for optimizing microbiome rRNA gene trimming parameters.
bioRxiv 610394. doi:10.1101/610394 (the idea of choosing the cut from the
reads' expected errors under an overlap constraint).
"""

from __future__ import annotations

import gzip
import os
import tempfile
import threading
import zlib
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .io import write_bytes
from .tools import run_tool

SAMPLE_PAIRS = 2000
"""Read pairs examined per sample."""


try:  # ISA-L's gzip (python-isal, which cutadapt's xopen installs on x86-64)
    from isal import igzip as _gzip
    from isal.isal_zlib import error as _isal_error
except ImportError:  # pragma: no cover - other platforms: the standard library
    _gzip, _isal_error = gzip, zlib.error

#: What a damaged deflate stream raises (neither is an OSError)
_INFLATE_ERRORS = (zlib.error, _isal_error)


def _open(path: str | os.PathLike):
    """Open a FASTQ file, gzip or not.

    gzip through ISA-L: 3.3 against 5.9 ms for a file's first 2,000 records
    of 250 nt.
    """
    with open(path, "rb") as handle:
        gz = handle.read(2) == b"\x1f\x8b"
    return _gzip.open(path, "rb") if gz else open(path, "rb")


#: The heads last read, by (path, size, mtime), with whether the file ended
#: there: the plan, the encoding, the cut before the merge and the read QC each
#: look at a file's first records, which are then read once. A few files, as a
#: batch's threads hold them.
_HEADS: OrderedDict[tuple, tuple[list[bytes], bool]] = OrderedDict()
_HEADS_KEPT = 8
_HEADS_LOCK = threading.Lock()


def head_records(path: str | os.PathLike, n: int = SAMPLE_PAIRS) -> list[bytes]:
    """Return the first ``n`` FASTQ records of a file (gzip or not), as 4n lines.

    A file read before (same path, size and modification time) for at least
    ``n`` records, or to its end, is not read again. A truncated gzip file
    raises ``EOFError``, a damaged one ``OSError``.
    """
    stat = os.stat(path)
    key = (os.path.abspath(path), stat.st_size, stat.st_mtime_ns)
    with _HEADS_LOCK:
        if key in _HEADS:
            lines, whole = _HEADS[key]
            if whole or len(lines) >= 4 * n:
                _HEADS.move_to_end(key)
                return lines[: 4 * n]
    try:
        with _open(path) as handle:
            lines = _first_lines(handle, 4 * n)
    except _INFLATE_ERRORS as err:  # as gzip's other faults, an OSError
        raise OSError(f"damaged gzip data ({err})") from None
    with _HEADS_LOCK:
        if key not in _HEADS or len(lines) > len(_HEADS[key][0]):
            _HEADS[key] = (lines, len(lines) < 4 * n)  # short: read to its end
        _HEADS.move_to_end(key)
        while len(_HEADS) > _HEADS_KEPT:
            _HEADS.popitem(last=False)
    return list(lines)


def _first_lines(handle, count: int, block: int = 1 << 16) -> list[bytes]:
    """Return the first ``count`` lines of ``handle``, as ``islice`` would give them.

    Read in blocks and split in C (``readlines`` of the blocks read), not a
    line at a time: 16,000 ``readline`` calls through the gzip reader were
    6 ms of a sample's read steps. At most one block is read past the lines
    returned.
    """
    import io

    data, lines = bytearray(), 0
    while lines < count:
        chunk = handle.read(block)
        if not chunk:
            break
        data += chunk
        lines += chunk.count(b"\n")
    return io.BytesIO(data).readlines()[:count]


def fastq_problem(head: list[bytes]) -> str | None:
    r"""Say what is wrong with a FASTQ file's first records, or None.

    ``head`` is :func:`head_records`' lines. No record at all, a first line
    that does not start with ``@`` (a FASTA file, a table), a third line that
    is not ``+``, or a quality line of another length than its sequence.

    Examples
    --------
    >>> fastq_problem([b"@r1\n", b"ACGT\n", b"+\n", b"IIII\n"]) is None
    True
    >>> fastq_problem([b">r1\n", b"ACGT\n"])
    "is not FASTQ: line 1 starts with '>', not '@' (a FASTA file?)"
    """
    if not head:
        return "holds no reads"
    first = head[0][:1]
    if first != b"@":
        what = " (a FASTA file?)" if first == b">" else ""
        start = first.decode(errors="replace")
        return f"is not FASTQ: line 1 starts with {start!r}, not '@'{what}"
    for k in range(0, len(head) - 3, 4):
        if head[k + 2][:1] != b"+":
            return f"is not FASTQ: line {k + 3} is not the '+' line of a record"
        if len(head[k + 1].rstrip(b"\r\n")) != len(head[k + 3].rstrip(b"\r\n")):
            return (
                f"is not FASTQ: the record at line {k + 1} has a sequence and a "
                "quality of different lengths"
            )
    return None


@dataclass(frozen=True)
class Encoding:
    """The qualities of a FASTQ file as its first records show them."""

    offset: int
    """ASCII offset: 33 (Sanger, Illumina 1.8+) or 64 (Illumina 1.3-1.7)."""
    q_min: int
    q_max: int
    levels: tuple[int, ...]
    """The distinct quality values seen."""
    bases: int = 0
    """How many quality values were seen."""

    @property
    def binned(self) -> bool:
        """Four or fewer values in 1,000 or more (NovaSeq, NextSeq 2000, i100)."""
        return 0 < len(self.levels) <= 4 and self.bases >= 1000

    def describe(self) -> str:
        """One phrase, e.g. ``phred+64 (Illumina 1.3-1.7), Q2-40``."""
        name = "phred+64 (Illumina 1.3-1.7)" if self.offset == 64 else "phred+33"
        text = f"{name}, Q{self.q_min}-{self.q_max}"
        if self.binned:
            text += f", binned ({len(self.levels)} values: "
            text += ", ".join(map(str, self.levels)) + ")"
        return text

    def vsearch_args(self) -> list[str]:
        """Return the vsearch options that read these qualities as they are."""
        args = []
        if self.offset != 33:
            args += ["--fastq_ascii", str(self.offset)]
        if self.q_max > 41:
            args += ["--fastq_qmax", str(self.q_max)]
        if self.q_min < 0:
            args += ["--fastq_qmin", str(self.q_min)]
        return args


def detect_encoding(quals: list[bytes]) -> Encoding:
    """Tell the quality encoding from quality lines.

    Codes below ``;`` (59) exist only in phred+33; phred+64 files start at
    ``@`` (64, Q0), or ``;`` for Solexa's negative scores, and reach past
    ``J`` (74, Q41 in phred+33). Anything else is read as phred+33 (a file of
    only high qualities, Q26-41, looks the same in both: phred+33 is by far
    the likelier).
    """
    codes = np.frombuffer(b"".join(q.rstrip(b"\r\n") for q in quals), dtype=np.uint8)
    if codes.size == 0:
        return Encoding(33, 0, 0, ())
    low, high = int(codes.min()), int(codes.max())
    offset = 64 if low >= 59 and high > 74 else 33
    levels = tuple(int(c) - offset for c in np.unique(codes))
    return Encoding(offset, low - offset, high - offset, levels, int(codes.size))


def file_encoding(path: str | os.PathLike, n: int = SAMPLE_PAIRS) -> Encoding:
    """Tell a FASTQ file's quality encoding from its first ``n`` records."""
    return detect_encoding(head_records(path, n)[3::4])


def primer_match_rate(
    path: str | os.PathLike, primer: str, *, error_rate: float = 0.1, n: int = 500
) -> tuple[int, int]:
    """Count the first ``n`` reads of a FASTQ file that start with ``primer``.

    A read matches when its first ``len(primer)`` bases differ from the primer
    (IUPAC codes) at no more than ``floor(error_rate * len(primer))``
    positions, as cutadapt's anchored 5' match allows without indels.

    Returns
    -------
    tuple of int
        (reads that start with the primer, reads examined).
    """
    seqs = [s.rstrip(b"\r\n").upper() for s in head_records(path, n)[1::4]]
    if not seqs:
        return 0, 0
    return int(primer_hits(seqs, primer, error_rate=error_rate).sum()), len(seqs)


def primer_hits(
    seqs: list[bytes], primer: str, *, error_rate: float = 0.1, max_shift: int = 0
) -> np.ndarray:
    """Tell which reads hold ``primer`` at their start (vectorised).

    A read holds it when, starting at one of the first ``max_shift + 1``
    positions (heterogeneity spacers), its bases differ from the primer (IUPAC
    codes) at no more than ``floor(error_rate * len(primer))`` positions, as
    cutadapt's anchored 5' match allows without indels. ``seqs`` are upper
    case.
    """
    from .sequences import IUPAC

    width = len(primer)
    span = width + max_shift
    codes = np.frombuffer(
        b"".join(s[:span].ljust(span, b"N") for s in seqs), dtype=np.uint8
    ).reshape(len(seqs), span)
    allowed = np.zeros((width, 256), dtype=bool)
    for i, code in enumerate(primer.upper().replace("U", "T")):
        for base in IUPAC[code]:
            allowed[i, ord(base)] = True
    hit = np.zeros(len(seqs), dtype=bool)
    for shift in range(max_shift + 1):
        window = codes[:, shift : shift + width]
        mismatches = (~allowed[np.arange(width), window]).sum(axis=1)
        hit |= mismatches <= int(error_rate * width)
    return hit


def _quality_codes(quals: list[bytes]) -> np.ndarray:
    """Quality characters as codes, reads x positions, 0 past each read's end."""
    quals = [q.rstrip(b"\r\n") for q in quals]
    width = max((len(q) for q in quals), default=0)
    padded = b"".join(q.ljust(width, b"\0") for q in quals)
    return np.frombuffer(padded, dtype=np.uint8).reshape(len(quals), width)


def phred_scores(quals: list[bytes], offset: int = 33) -> np.ndarray:
    """Return Phred scores, reads x positions, NaN past each read's end."""
    codes = _quality_codes(quals)
    scores = codes.astype(float) - offset
    scores[codes == 0] = np.nan
    return scores


def expected_errors(quals: list[bytes], offset: int = 33) -> np.ndarray:
    """Return per-base error probabilities, reads x positions, NaN past the end."""
    table = error_probabilities(offset).copy()
    table[0] = np.nan  # past the end
    return table[_quality_codes(quals)]


def error_probabilities(offset: int = 33) -> np.ndarray:
    """Return the error probability of each quality character (0-255).

    ``10 ** (-Q / 10)`` with Q the character's code less ``offset``: what
    vsearch sums for a read's expected errors.
    """
    return 10.0 ** (-(np.arange(256, dtype=float) - offset) / 10.0)


def eestats2(
    quals: list[bytes],
    offset: int = 33,
    *,
    length_cutoffs: tuple[int, int | None, int] = (50, None, 10),
    ee_cutoffs: Sequence[float] = (0.5, 1.0, 2.0),
) -> str:
    """Return the table ``vsearch --fastq_eestats2`` writes for these reads.

    ``quals``: quality lines (newline optional). For each read length
    cut-off (``length_cutoffs``: shortest, longest or None for vsearch's
    ``*``, the longest read, and step) and expected-error limit: the reads
    at least that long whose first bases hold at most that many expected
    errors (the sum of ``10 ** (-Q / 10)``, added base by base as vsearch
    adds them). The text is vsearch 2.22's, byte for byte (its header, the
    widths, one row a cut-off up to the longest read; compared with vsearch
    in ``tests/unit/test_quality.py``); computing it here saves a vsearch
    process a file and a copy of the reads to disk.
    """
    shortest, longest, step = length_cutoffs
    codes = _quality_codes(quals)  # 0 past each read's end: no quality is 0
    lengths = (codes != 0).sum(axis=1)
    n = len(lengths)
    out = [f"{n} reads"]
    if n:
        out.append(f", max len {lengths.max()}, avg {lengths.sum() / n:.1f}")
    out.append("\n\nLength")
    out += [f"         MaxEE {c:.2f}" for c in ee_cutoffs]
    out.append("\n------" + "   ----------------" * len(ee_cutoffs) + "\n")
    top = int(lengths.max()) if n else 0
    if longest is not None:
        top = min(top, longest)
    cuts = np.arange(shortest, top + 1, step) if top >= shortest else np.array([], int)
    if n and len(cuts):
        # the errors a position, cumulated along each read (a sequential sum,
        # in vsearch's order); padding past a read's end is never looked at
        ee = np.cumsum(error_probabilities(offset)[codes], axis=1)[:, cuts - 1]
        reach = lengths[:, None] >= cuts[None, :]
        for i, cut in enumerate(cuts):
            out.append(f"{cut:6d}")
            for limit in ee_cutoffs:
                count = int((reach[:, i] & (ee[:, i] <= limit)).sum())
                out.append(f"   {count:8d}({100.0 * count / n:5.1f}%)")
            out.append("\n")
    return "".join(out)


def choose_truncation(
    ee1: np.ndarray,
    ee2: np.ndarray,
    amplicon: int,
    *,
    target_overlap: int,
    min_length: int = 20,
) -> tuple[int, int] | None:
    """Choose the read lengths (R1, R2) that keep the fewest expected errors.

    The two lengths must add up to ``amplicon + target_overlap`` (the reads
    still overlap by ``target_overlap`` on the longest amplicon) and neither
    may exceed the amplicon; of those pairs the one whose kept bases carry the
    fewest expected errors in total (summed over the sampled reads) wins, the
    longer R1 of equal ones. A
    read shorter than its cut counts its missing bases as certain errors, so
    a cut beyond the reads' length is never chosen.

    Parameters
    ----------
    ee1, ee2
        Error probabilities (reads x positions, NaN past the end) of R1 and
        R2 after primer removal.
    amplicon
        Length of the longest merged amplicon to keep whole (primers removed).
    target_overlap
        Overlap kept on that amplicon.
    min_length
        Shortest cut considered.

    Returns
    -------
    tuple of int or None
        (R1 length, R2 length), or None when the reads are already no longer
        than the target (nothing to cut).
    """
    len1, len2 = ee1.shape[1], ee2.shape[1]
    need = amplicon + target_overlap
    if len1 + len2 <= need:
        return None
    # cumulative errors per cut length t (t = 0..len): a missing base costs 1
    cum1 = np.concatenate([[0.0], np.nan_to_num(ee1, nan=1.0).sum(axis=0).cumsum()])
    cum2 = np.concatenate([[0.0], np.nan_to_num(ee2, nan=1.0).sum(axis=0).cumsum()])
    best = None
    # longest R1 first: of equal costs the longer R1 (usually the better read)
    for t1 in range(min(len1, amplicon), max(min_length, need - len2) - 1, -1):
        t2 = need - t1
        if t2 < min_length or t2 > min(len2, amplicon):
            continue
        cost = cum1[t1] + cum2[t2]
        if best is None or cost < best[0] - 1e-9:
            best = (cost, t1, t2)
    return None if best is None else (best[1], best[2])


def auto_truncation(
    sample: str,
    fq1: str | os.PathLike,
    fq2: str | os.PathLike,
    *,
    skip1: int,
    skip2: int,
    target_overlap: int,
    min_overlap: int,
    max_diffs: int,
    tmp: str | os.PathLike,
    encoding: Encoding | None = None,
    n: int = SAMPLE_PAIRS,
) -> tuple[int, int] | None:
    """Measure cut lengths for one sample's pairs on its first ``n`` pairs.

    The first pairs are merged untruncated (vsearch) for the amplicon's length
    (the 99th percentile of the merged lengths, less the primers ``skip1`` and
    ``skip2`` that cutadapt removes from R1 and R2); their qualities, from the
    primer on, choose the cut (:func:`choose_truncation`). None when fewer
    than 20 of the first pairs merge (the amplicon's length is then unknown,
    and the reads are left whole) or nothing needs cutting.
    """
    head1, head2 = head_records(fq1, n), head_records(fq2, n)
    if not head1 or not head2:
        return None
    encoding = encoding or Encoding(33, 0, 41, ())
    tmp = Path(tmp)
    with tempfile.TemporaryDirectory(dir=tmp) as work:
        work = Path(work)
        write_bytes(work / "r1.fastq", b"".join(head1))
        write_bytes(work / "r2.fastq", b"".join(head2))
        merged = work / "merged.fasta"
        run_tool(
            [
                "vsearch",
                "--fastq_mergepairs",
                str(work / "r1.fastq"),
                "--reverse",
                str(work / "r2.fastq"),
                "--fastq_minovlen",
                str(min_overlap),
                "--fastq_maxdiffs",
                str(max_diffs),
                "--fastaout",
                str(merged),
                "--fasta_width",
                "0",
                "--threads",
                "1",
                *encoding.vsearch_args(),
            ],
            context=f"sample {sample} (the first {n} pairs of {fq1}, {fq2})",
            outputs=(merged,),
        )
        lengths = [len(line.strip()) for line in merged.read_bytes().split(b"\n")[1::2]]
    if len(lengths) < 20:
        return None
    amplicon = int(np.percentile(lengths, 99)) - skip1 - skip2
    ee1 = expected_errors(head1[3::4], encoding.offset)[:, skip1:]
    ee2 = expected_errors(head2[3::4], encoding.offset)[:, skip2:]
    return choose_truncation(ee1, ee2, amplicon, target_overlap=target_overlap)


#: Columns of a quality profile (:func:`quality_profile`).
PROFILE_COLUMNS = (
    "position",
    "reads",
    "mean",
    "q10",
    "q25",
    "median",
    "q75",
    "q90",
)


def quality_profile(quals: list[bytes], offset: int = 33):
    r"""Summarise quality lines per position, as DADA2's plotQualityProfile does.

    Returns a frame with one row per position (1-based): the reads that reach
    it, and the mean, 10th, 25th, 50th, 75th and 90th percentiles of their
    Phred scores.

    Examples
    --------
    >>> p = quality_profile([b"II5\n", b"5I\n"])  # Q40 Q40 Q20; Q20 Q40
    >>> p[["position", "reads", "mean", "median"]].values.tolist()
    [[1.0, 2.0, 30.0, 30.0], [2.0, 2.0, 40.0, 40.0], [3.0, 1.0, 20.0, 20.0]]
    """
    import pandas as pd

    codes = _quality_codes(quals)
    width = codes.shape[1]
    if not width:
        return pd.DataFrame(columns=list(PROFILE_COLUMNS))
    # reads at each quality code, per position (code 0: past the read's end);
    # the percentiles come from the counts as numpy's linear percentile would
    # from the sorted scores, without sorting each position's scores
    flat = codes.astype(np.int64) * width + np.arange(width)
    counts = np.bincount(flat.ravel(), minlength=256 * width).reshape(256, width)
    counts = counts[1:]
    scores = np.arange(1, 256, dtype=float) - offset
    below = counts.cumsum(axis=0)
    reads = below[-1]

    def score_at(rank):
        return scores[(below <= rank).sum(axis=0)]

    quantiles = []
    for q in (0.10, 0.25, 0.50, 0.75, 0.90):
        at = (reads - 1) * q
        low = np.floor(at)
        gamma = at - low
        a = score_at(low)
        b = score_at(np.minimum(low + 1, reads - 1))
        diff = b - a
        upper = b - diff * (1 - gamma)  # numpy's _lerp, for equal results
        quantiles.append(np.where(gamma >= 0.5, upper, a + diff * gamma))
    mean = (counts * scores[:, None]).sum(axis=0) / reads
    return pd.DataFrame(
        {
            "position": np.arange(1, width + 1, dtype=float),
            "reads": reads.astype(float),
            "mean": mean,
            "q10": quantiles[0],
            "q25": quantiles[1],
            "median": quantiles[2],
            "q75": quantiles[3],
            "q90": quantiles[4],
        }
    )


def write_sample_qc(
    sample: str,
    fq1: str | os.PathLike,
    fq2: str | os.PathLike | None,
    qc_dir: str | os.PathLike,
    encoding: Encoding,
    n: int = SAMPLE_PAIRS,
) -> None:
    """Write a sample's quality profiles and vsearch's expected-error table.

    From the first ``n`` reads of each file: ``<sample>_R1.quality.tsv``
    (:func:`quality_profile`, with ``sample`` and ``read`` columns) and
    ``<sample>_R1.eestats2.txt`` (the table of ``vsearch --fastq_eestats2
    --length_cutoffs 50,*,10 --ee_cutoffs 0.5,1.0,2.0``, byte for byte, from
    :func:`eestats2`: how many reads are kept at each length cut-off and
    expected-error limit), and the same for R2.
    """
    qc_dir = Path(qc_dir)
    qc_dir.mkdir(parents=True, exist_ok=True)
    for read, path in (("R1", fq1), ("R2", fq2)):
        if path is None:
            continue
        head = head_records(path, n)
        profile = quality_profile(head[3::4], encoding.offset)
        profile.insert(0, "read", read)
        profile.insert(0, "sample", sample)
        stem = qc_dir / f"{sample}_{read}"
        write_bytes(
            Path(f"{stem}.quality.tsv"),
            profile.to_csv(sep="\t", index=False, float_format="%.4g").encode(),
        )
        write_bytes(
            Path(f"{stem}.eestats2.txt"),
            eestats2(head[3::4], encoding.offset).encode(),
        )


def gather_qc(inputs: list[str | os.PathLike], output: str | os.PathLike) -> int:
    """Gather the samples' read QC (:func:`write_sample_qc`) into one folder.

    ``output`` gets ``cutadapt/`` (each sample's JSON and text report, which
    MultiQC's cutadapt module reads), ``eestats2/`` (vsearch's tables),
    ``quality_profiles.tsv`` (every sample's profile, by sample, read and
    position) and ``quality_profile_mqc.json`` (MultiQC custom content: the
    median quality per position of each sample's reads, as a line graph).
    The folder is built beside and then moved in: never half written.

    Returns the number of samples.
    """
    import shutil

    output = Path(output)
    staging = output.with_name(f".{output.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        samples = _fill_qc(inputs, staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)  # nothing half written
        raise
    shutil.rmtree(output, ignore_errors=True)
    staging.rename(output)
    return len(samples)


def _fill_qc(inputs: list[str | os.PathLike], staging: Path) -> set[str]:
    """Build :func:`gather_qc`'s folder in ``staging``; return the samples."""
    import json
    import shutil

    import pandas as pd

    (staging / "cutadapt").mkdir(parents=True)
    (staging / "eestats2").mkdir()
    profiles = []
    samples = set()
    for folder in inputs:
        for path in sorted(Path(folder).iterdir()):
            name = path.name
            if name.endswith((".cutadapt.json", ".cutadapt.log")):
                shutil.copyfile(path, staging / "cutadapt" / name)
                samples.add(name.rsplit(".cutadapt.", 1)[0])
            elif name.endswith(".eestats2.txt"):
                shutil.copyfile(path, staging / "eestats2" / name)
            elif name.endswith(".quality.tsv"):
                profiles.append(pd.read_csv(path, sep="\t", dtype={"sample": str}))
    columns = ["sample", "read", *PROFILE_COLUMNS]
    table = (
        pd.concat(profiles, ignore_index=True)
        if profiles
        else pd.DataFrame(columns=columns)
    )
    table = table.sort_values(["sample", "read", "position"], kind="stable")
    table.to_csv(
        staging / "quality_profiles.tsv", sep="\t", index=False, float_format="%.4g"
    )
    data = {
        f"{sample}_{read}": {
            str(int(p)): float(m)
            for p, m in zip(g["position"], g["median"], strict=True)
        }
        for (sample, read), g in table.groupby(["sample", "read"], sort=True)
    }
    custom = {
        "id": "gutlung_read_quality",
        "section_name": "Read quality (gutlung-pipeline)",
        "description": "Median Phred score per position of the first "
        f"{SAMPLE_PAIRS} reads of each file, before primers are removed.",
        "plot_type": "linegraph",
        "pconfig": {
            "id": "gutlung_read_quality_plot",
            "title": "gutlung-pipeline: median quality per position",
            "xlab": "position in the read (nt)",
            "ylab": "median Phred score",
        },
        "data": data,
    }
    (staging / "quality_profile_mqc.json").write_text(
        json.dumps(custom, indent=1, sort_keys=True) + "\n"
    )
    return samples


def quality_drop(profile, read: str, threshold: float = 25.0) -> int | None:
    """First position where the median quality across samples falls below ``threshold``.

    ``profile`` is ``quality_profiles.tsv``; the median of the samples'
    medians at each position of ``read`` (``R1``/``R2``) is compared. None
    when it never falls below.
    """
    g = profile[profile["read"] == read]
    if g.empty:
        return None
    median = g.groupby("position")["median"].median().sort_index()
    below = median.index[median < threshold]
    return int(below[0]) if len(below) else None
