"""Primers cut from read pairs: exact ones in numpy, the rest by cutadapt, one report.

cutadapt spends about 9 microseconds a pair in Python whatever the pair
holds: 172 of the 561 CPU ms a sample of 19,000 pairs cost in the read steps
(``benchmarks/README.md``). Most pairs start with both primers exactly,
where cutadapt's answer is known: a 5' adapter found in full with no error
at the read's first base is the best alignment there is (a full match
scores highest, and of two full matches cutadapt keeps the first), so it
removes exactly the primer, then ``--length``/``-L`` keep the first bases.
:func:`cut_pairs` cuts those pairs here, a file at a time in numpy, and
gives cutadapt every other pair (a primer with an error, an indel, an N or
lower case, a mate whose name differs in any way) with the command line it
was asked to run; cutadapt's statistics of those pairs and the counts of
the pairs cut here are then added (as cutadapt adds its own workers') and
its report written by cutadapt's own functions, for the command as given.
Outputs and both reports are those of cutadapt on all the pairs, byte for
byte (``tests/unit/test_primers.py``, on simulated and real reads and on
the cases where the rule could fail). A file this reader does not take (not
gzip or plain FASTQ, CR line ends, a ``+`` line that repeats the name,
records of unequal length, mates of unequal number), over
:data:`MAX_BYTES` or with fewer than :data:`MIN_EXACT` of its pairs exact
is given whole to cutadapt, which streams it and names
its fault as before; so are outputs it would compress (``.gz``: the DADA2
engine's), which this writes plain.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

from .sequences import IUPAC

log = logging.getLogger(__name__)

#: One cutadapt at a time in a process: it logs to the root logger, whose
#: handlers :func:`cutadapt_main` swaps for its own while it runs.
_CUTADAPT = threading.Lock()

#: Appended to the header of each pair given to cutadapt (after a space, so
#: not part of the name cutadapt compares between mates): the pair's place.
_TAG = b" gl:"
_DIGITS = 10

#: Files over this many bytes (read, or once decompressed) are given whole to
#: cutadapt, which streams them: cutting here holds both files and about four
#: times one of them (64 MiB: about 110,000 pairs of 2x250).
MAX_BYTES = 64 * 2**20

#: The share of pairs that must be cut here for the split to pay: a pair
#: given to cutadapt costs its 9 us plus about 12 us of tagging, writing and
#: putting back, so with over a quarter of them for cutadapt (primers with
#: errors throughout) it gets the files whole (``benchmarks/README.md``).
MIN_EXACT = 0.75

#: Outputs cutadapt would compress (by their names) are its to write.
_COMPRESSED = {".gz", ".bz2", ".xz", ".zst"}


class _Capture(logging.Handler):
    """Keep cutadapt's log records below WARNING, formatted as its program does."""

    def __init__(self):
        super().__init__()
        from cutadapt.log import NiceFormatter

        self.setFormatter(NiceFormatter())
        self.addFilter(lambda record: record.levelno < logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)

    def text(self) -> str:
        return "".join(self.format(record) + "\n" for record in self.records)


def _keep_match_tables() -> None:
    """Let cutadapt's k-mer finders share their character tables in this process.

    Each adapter's ``KmerFinder`` (cutadapt 5) builds, in Python, the table
    of which characters match which (``_match_tables.matches_lookup``, a
    function of two flags only): about 6 ms an adapter, 12 of the 60-80 ms a
    sample's primers cost here, as each sample runs cutadapt anew. The
    tables are computed once a process instead; the finder copies them into
    its own arrays, so the outputs and reports are the same
    (``tests/unit/test_primers.py``). Another cutadapt version, without
    these names, builds them as before.
    """
    import functools

    try:
        from cutadapt import _kmer_finder, _match_tables
    except ImportError:  # pragma: no cover - another cutadapt layout
        return
    lookup = getattr(_kmer_finder, "matches_lookup", None)
    if lookup is None or hasattr(lookup, "cache_info"):
        return
    tables = functools.cache(_match_tables.matches_lookup)

    def matches_lookup(ref_wildcards, query_wildcards):
        return list(tables(bool(ref_wildcards), bool(query_wildcards)))

    matches_lookup.cache_info = tables.cache_info
    _kmer_finder.matches_lookup = matches_lookup


def cutadapt_main(args) -> tuple[int, object, _Capture, str]:
    """Run cutadapt's command line ``args`` in this process; capture what it logs.

    Returns ``(status, statistics, report, errors)``: its exit status (0, or
    nonzero on a fault it logged), its ``Statistics`` (None on a fault), a
    handler holding what it logged below WARNING (its report) and the text
    it logged as warnings and errors. While it runs, the root logger's
    handlers are these two, as its program sets them up.
    """
    import io

    from cutadapt.cli import main
    from cutadapt.log import NiceFormatter

    _keep_match_tables()
    report = _Capture()
    errors = io.StringIO()
    to_errors = logging.StreamHandler(errors)
    to_errors.setFormatter(NiceFormatter())
    to_errors.setLevel(logging.WARNING)
    root = logging.getLogger()
    status, stats = 0, None
    with _CUTADAPT:
        handlers, level = root.handlers[:], root.level
        root.handlers = [report, to_errors]
        root.setLevel(logging.INFO)
        try:
            stats = main([str(arg) for arg in args])
        except SystemExit as exc:  # cutadapt's own exit on a fault it logged
            status = exc.code if isinstance(exc.code, int) and exc.code else 1
        except OSError as exc:  # raised past its handler (closing the outputs)
            errors.write(f"{exc}\n")
            status = 1
        finally:
            root.handlers = handlers
            root.setLevel(level)
    return status, stats, report, errors.getvalue()


def pair_options(
    primers: tuple[str, str] | None,
    lengths: tuple[int, int] | None,
    *,
    error_rate: float = 0.1,
    threads: int = 1,
) -> list[str]:
    """Return cutadapt's options for a pair of files (before outputs and inputs).

    ``primers`` (forward, reverse): each required at the start of its read
    (``-g``/``-G``, ``--discard-untrimmed``, ``--pair-filter=any``); None:
    no adapter (the EMP protocol). ``lengths``: R1 and R2 then cut to these
    (``--length``/``-L``).
    """
    options = ["-e", str(error_rate), "-j", str(threads)]
    if primers:
        options.append("--discard-untrimmed")
    if lengths is not None:
        options += ["--length", str(lengths[0]), "-L", str(lengths[1])]
    if primers:
        options += ["-g", f"1={primers[0]}", "-G", f"2={primers[1]}"]
        options.append("--pair-filter=any")
    return options


def cut_pairs(
    fq1: str | os.PathLike,
    fq2: str | os.PathLike,
    out1: str | os.PathLike,
    out2: str | os.PathLike,
    *,
    report: str | os.PathLike,
    primers: tuple[str, str] | None,
    lengths: tuple[int, int] | None,
    tmp: str | os.PathLike,
    error_rate: float = 0.1,
    threads: int = 1,
) -> tuple[int, str, str]:
    """Run cutadapt on a pair of files, cutting the pairs it would cut exactly here.

    The command cutadapt is asked to run is :func:`pair_options` then
    ``--json report -o out1 -p out2 fq1 fq2``. ``tmp`` holds the pairs given
    to cutadapt. Written as cutadapt writes them: the two outputs
    (uncompressed; outputs named ``.gz``, ``.bz2``, ``.xz`` or ``.zst`` are
    cutadapt's alone), the JSON ``report``; returned: cutadapt's exit
    status, its report text (what its program prints) and its warnings and
    errors. On a nonzero status nothing else is promised (the caller judges
    it as for cutadapt alone).
    """
    started = time.time()
    options = pair_options(primers, lengths, error_rate=error_rate, threads=threads)
    command = [*options, "--json", str(report), "-o", str(out1), "-p", str(out2)]
    command += [str(fq1), str(fq2)]
    if {Path(out1).suffix, Path(out2).suffix} & _COMPRESSED:
        return _whole(command)  # cutadapt compresses its outputs
    pairs = _read_pairs(fq1, fq2)
    if pairs is None:  # cutadapt reads them, and names a fault
        return _whole(command)
    (raw1, rec1), (raw2, rec2) = pairs
    import numpy as np

    fast = _same_names(raw1, rec1, raw2, rec2)
    skip = (len(primers[0]), len(primers[1])) if primers else (0, 0)
    if primers:
        fast &= _starts_with(raw1, rec1, primers[0])
        fast &= _starts_with(raw2, rec2, primers[1])
    if fast.sum() < MIN_EXACT * len(fast):
        return _whole(command)
    rest = np.flatnonzero(~fast)
    tmp = Path(tmp)
    rest1, rest2 = tmp / "rest_R1.fastq", tmp / "rest_R2.fastq"
    cut1, cut2 = tmp / "rest_cut_R1.fastq", tmp / "rest_cut_R2.fastq"
    from .io import write_bytes

    write_bytes(rest1, _tagged(raw1, rec1, rest))
    write_bytes(rest2, _tagged(raw2, rec2, rest))
    json_tmp = tmp / "rest.cutadapt.json"
    rest_command = [*options, "--json", str(json_tmp), "-o", str(cut1)]
    rest_command += ["-p", str(cut2), str(rest1), str(rest2)]
    status, stats, captured, err = cutadapt_main(rest_command)
    if status != 0:  # named by cutadapt on the files as given
        return _whole(command)
    kept = _untagged(np.frombuffer(cut1.read_bytes(), np.uint8))
    kept2 = _untagged(np.frombuffer(cut2.read_bytes(), np.uint8))
    order1, order2 = kept[1], kept2[1]
    if not np.array_equal(order1, order2):  # cannot happen: cutadapt alone then
        return _whole(command)
    lens = []
    for raw, rec, out, skipped, keep, cut in (
        (raw1, rec1, out1, skip[0], kept, lengths[0] if lengths else None),
        (raw2, rec2, out2, skip[1], kept2, lengths[1] if lengths else None),
    ):
        length = rec["seq_len"][fast] - skipped
        if cut is not None:
            length = np.minimum(length, cut)
        lens.append(length)
        mine = _cut_records(raw, rec, fast, skipped, length)
        # numpy's bytes written as they are (no copy)
        write_bytes(out, _interleave(mine, rec, fast, length, keep))
    exact = {
        "n": int(fast.sum()),
        "bp": [int(rec["seq_len"][fast].sum()) for rec in (rec1, rec2)],
        "lengths": lens,
        "primers": skip if primers else None,
    }
    try:
        text, doc = _reports(stats, exact, captured, command, threads, fq1, fq2)
    except (AttributeError, KeyError, TypeError, ValueError) as err:
        # another cutadapt 5 than the tested 5.2 keeps its statistics otherwise
        log.warning("cutadapt's statistics not joined (%s); it ran on every pair", err)
        return _whole(command)
    write_bytes(report, doc.encode())
    log.debug(
        "cutadapt on %d of %d pairs, %.2f s",
        len(rest),
        len(fast),
        time.time() - started,
    )
    return 0, text, err


def _reports(stats, exact, captured, command, cores, fq1, fq2):
    """Return cutadapt's printed and JSON reports of all the pairs.

    ``stats``: cutadapt's statistics of the pairs it cut, to which ``exact``
    (:func:`cut_pairs`' counts of the pairs cut here) is added.
    """
    from cutadapt.cli import json_report
    from cutadapt.json import dumps as json_dumps
    from cutadapt.report import full_report

    _add_exact(stats, exact)
    gc = 0.5  # cutadapt's default --gc-content, 50
    text = _report_text(captured, command, full_report(stats, 0.0, gc))
    doc = json_report(
        stats=stats,
        cmdlineargs=command,
        path1=str(fq1),
        path2=str(fq2),
        cores=cores,
        paired=True,
        gc_content=gc,
    )
    return text, json_dumps(doc) + "\n"


def _whole(command) -> tuple[int, str, str]:
    status, _, captured, err = cutadapt_main(command)
    return status, captured.text(), err


def _report_text(captured: _Capture, command, summary: str) -> str:
    """Return cutadapt's printed report: its own lines, ``command``, ``summary``."""
    from cutadapt.log import REPORT

    lines = []
    for record in captured.records:
        if record.levelno == REPORT:
            lines.append(summary)
        elif str(record.msg).startswith("Command line parameters:"):
            lines.append(f"Command line parameters: {' '.join(command)}")
        else:
            lines.append(captured.format(record))
    return "".join(line + "\n" for line in lines)


def _read_pairs(fq1, fq2):
    """Both files read and split into records, or None for cutadapt to read them."""
    first, second = _read(fq1), _read(fq2)
    if first is None or second is None:
        return None
    if len(first[1]["head"]) != len(second[1]["head"]):
        return None
    return first, second


def _read(path):
    """Return a FASTQ file (gzip or plain) as bytes and its records, or None."""
    import numpy as np

    try:
        if os.path.getsize(path) > MAX_BYTES:
            return None
        with open(path, "rb") as handle:
            data = handle.read()
        if data[:2] == b"\x1f\x8b":
            # the (last) member's size, from its trailer: not decompressed when
            # over the limit
            if int.from_bytes(data[-4:], "little") > MAX_BYTES:
                return None
            try:
                from isal.igzip import decompress
            except ImportError:  # pragma: no cover - other platforms
                from gzip import decompress
            data = decompress(data)
    except Exception:  # noqa: BLE001 - any fault: cutadapt names it
        return None
    if len(data) > MAX_BYTES or not data.startswith(b"@") or b"\r" in data:
        return None
    from .io import line_bounds

    data, starts, ends = line_bounds(data)
    if len(ends) % 4 or len(ends) // 4 >= 10**_DIGITS:
        return None
    raw = np.frombuffer(data, np.uint8)
    rec = {
        "head": starts[0::4],
        "head_end": ends[0::4],
        "seq": starts[1::4],
        "seq_len": ends[1::4] - starts[1::4],
        "plus": starts[2::4],
        "qual": starts[3::4],
        "end": ends[3::4] + 1,
    }
    plain = (
        (raw[rec["head"]] == ord("@")).all()
        and (raw[rec["plus"]] == ord("+")).all()
        and (ends[2::4] - starts[2::4] == 1).all()
        and (ends[3::4] - starts[3::4] == rec["seq_len"]).all()
    )
    return (raw, rec) if plain else None


#: Headers compared this many at a time (a matrix of their bytes each).
_ROWS = 8192


def _names(raw, head, head_end):
    """Return each header's name (to its first space or tab) as a byte matrix's rows."""
    import numpy as np

    length = head_end - head
    width = int(length.max()) if len(length) else 0
    cols = np.arange(width)
    idx = np.minimum(head[:, None] + cols, len(raw) - 1)
    block = np.where(cols < length[:, None], raw[idx], np.uint8(0))
    blank = (block == 32) | (block == 9)
    name = np.where(blank.any(axis=1), blank.argmax(axis=1), length)
    block[cols >= name[:, None]] = 0
    return block, name


def _same_names(raw1, rec1, raw2, rec2):
    """Return the pairs whose mates' names (to a space or tab) are the same bytes."""
    import numpy as np

    n = len(rec1["head"])
    same = np.zeros(n, bool)
    for start in range(0, n, _ROWS):  # blocks of headers: bounded memory
        rows = slice(start, start + _ROWS)
        first, length1 = _names(raw1, rec1["head"][rows], rec1["head_end"][rows])
        second, length2 = _names(raw2, rec2["head"][rows], rec2["head_end"][rows])
        # equal lengths: the names end within both matrices
        width = min(first.shape[1], second.shape[1])
        equal = (first[:, :width] == second[:, :width]).all(axis=1)
        same[rows] = (length1 == length2) & equal
    return same


def _starts_with(raw, rec, primer: str):
    """Return the reads that start with ``primer`` exactly (upper-case ACGT)."""
    import numpy as np

    allowed = np.zeros((len(primer), 256), bool)
    for k, code in enumerate(primer.upper()):
        for base in IUPAC[code]:
            allowed[k, ord(base)] = True
    idx = np.minimum(rec["seq"][:, None] + np.arange(len(primer)), len(raw) - 1)
    match = allowed[np.arange(len(primer)), raw[idx]].all(axis=1)
    return match & (rec["seq_len"] >= len(primer))


def _ranges(starts, lengths):
    """Concatenated index ranges ``[start, start + length)``, as one array."""
    import numpy as np

    lengths = np.asarray(lengths, np.int64)
    total = int(lengths.sum())
    offsets = np.cumsum(lengths) - lengths
    return np.repeat(np.asarray(starts, np.int64) - offsets, lengths) + np.arange(total)


def _tagged(raw, rec, rows):
    """Return the records ``rows`` with ``_TAG`` and their place after the header."""
    import numpy as np

    n = len(rows)
    digits = (rows[:, None] // 10 ** np.arange(_DIGITS - 1, -1, -1)) % 10 + ord("0")
    tags = np.concatenate(
        [np.tile(np.frombuffer(_TAG, np.uint8), (n, 1)), digits.astype(np.uint8)], 1
    )
    source = np.concatenate([raw, tags.ravel()])
    width = tags.shape[1]
    starts = np.stack(
        [rec["head"][rows], len(raw) + width * np.arange(n), rec["head_end"][rows]], 1
    )
    lengths = np.stack(
        [
            rec["head_end"][rows] - rec["head"][rows],
            np.full(n, width),
            rec["end"][rows] - rec["head_end"][rows],
        ],
        1,
    )
    return source[_ranges(starts.ravel(), lengths.ravel())]


def _intervals(starts, ends, total):
    """Return a mask of ``total`` bytes, True in sorted intervals ``[start, end)``."""
    import numpy as np

    bounds = np.empty(2 * len(starts) + 2, np.int64)
    bounds[0], bounds[-1] = 0, total
    bounds[1:-1:2], bounds[2:-1:2] = starts, ends
    inside = np.zeros(len(bounds) - 1, bool)
    inside[1::2] = True
    return np.repeat(inside, np.diff(bounds))


def _untagged(out):
    """Return cutadapt's output of tagged records without the tags, and their places."""
    import numpy as np

    if len(out) == 0:
        return out, np.zeros(0, np.int64)
    head_end = np.flatnonzero(out == 10)[0::4]
    width = len(_TAG) + _DIGITS
    digits = out[head_end[:, None] - _DIGITS + np.arange(_DIGITS)].astype(np.int64)
    places = (digits - ord("0")) @ (10 ** np.arange(_DIGITS - 1, -1, -1))
    return out[~_intervals(head_end - width, head_end, len(out))], places


def _cut_records(raw, rec, rows, skip, length):
    """Return the records ``rows`` with ``skip`` bases cut off and ``length`` kept."""
    import numpy as np

    seq, qual = rec["seq"][rows], rec["qual"][rows]
    newline = seq + rec["seq_len"][rows]
    end = rec["end"][rows]
    # the header line; the read; its newline and "+" line; the qualities; the
    # record's last newline
    starts = np.stack([rec["head"][rows], seq + skip, newline, qual + skip, end - 1], 1)
    ends = np.stack([seq, seq + skip + length, qual, qual + skip + length, end], 1)
    return raw[_intervals(starts.ravel(), ends.ravel(), len(raw))]


def _interleave(mine, rec, fast, length, kept):
    """Return the pairs cut here and cutadapt's, in the input's order."""
    import numpy as np

    records, places = kept
    if len(places) == 0:
        return mine
    rows = np.flatnonzero(fast)
    size = np.zeros(len(fast), np.int64)
    # a record cut here: its header line, the read, "+", the qualities
    size[rows] = (rec["seq"][rows] - rec["head"][rows]) + 2 * length + 4
    size[places] = np.diff(np.flatnonzero(records == 10)[3::4] + 1, prepend=0)
    present = np.zeros(len(fast), bool)
    present[rows] = True
    present[places] = True
    order = np.flatnonzero(present)
    is_mine = np.repeat(fast[order], size[order])
    result = np.empty(len(is_mine), np.uint8)
    result[is_mine] = mine
    result[~is_mine] = records
    return result


class _Lengths:
    """Written lengths in the form ``ReadLengthStatistics.__iadd__`` takes."""

    def __init__(self, first, second):
        from collections import Counter

        import numpy as np

        self._counts = []
        for lengths in (first, second):
            values, counts = np.unique(lengths, return_counts=True)
            self._counts.append(
                Counter(dict(zip(values.tolist(), counts.tolist(), strict=True)))
            )

    def written_lengths(self):
        return tuple(self._counts)


def _add_exact(stats, exact) -> None:
    """Add the pairs cut here (``exact``) to cutadapt's statistics of the others."""
    n = exact["n"]
    if n == 0:  # nothing to add (an empty entry would show in the report)
        return
    stats.n += n
    for i in (0, 1):
        stats.total_bp[i] += exact["bp"][i]
    stats.read_length_statistics += _Lengths(*exact["lengths"])
    if exact["primers"]:
        for i in (0, 1):
            stats.with_adapters[i] += n
            (adapter,) = stats.adapter_stats[i]
            adapter.end.errors[exact["primers"][i]][0] += n
