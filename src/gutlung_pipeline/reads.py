"""Per-sample read steps.

Per-sample read steps: primer removal, pair merging, quality filtering, and
dereplication. Thin wrappers over cutadapt and vsearch, which stream the reads;
each returns the read counts it saw, for the read-tracking table.

References
----------
Martin M (2011). Cutadapt removes adapter sequences from high-throughput
sequencing reads. EMBnet.journal 17:10-12. doi:10.14806/ej.17.1.200
Rognes T, Flouri T, Nichols B, Quince C, Mahe F (2016). VSEARCH: a versatile open
source tool for metagenomics. PeerJ 4:e2584. doi:10.7717/peerj.2584
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from .errors import ToolError
from .tools import run_tool

log = logging.getLogger(__name__)

_MERGED = re.compile(r"^\s*(\d+)\s+Merged", re.MULTILINE)
_KEPT = re.compile(
    r"(\d+) sequences kept \(of which \d+ truncated\), (\d+) sequences discarded"
)


def trim_primers(
    sample: str,
    fq1: str | os.PathLike,
    out1: str | os.PathLike,
    *,
    forward: str,
    reverse: str,
    fq2: str | os.PathLike | None = None,
    out2: str | os.PathLike | None = None,
    error_rate: float = 0.1,
    threads: int = 1,
    in_reads: bool = True,
    lengths: tuple[int, int] | None = None,
    qc_dir: str | os.PathLike | None = None,
) -> dict[str, int]:
    """Remove the primers with cutadapt; discard reads (pairs) lacking them.

    ``in_reads=False`` is for protocols whose sequencing primer is the PCR
    primer (the Earth Microbiome Project's 515F/806R, as in American Gut and
    ECAM): reads start after the primer, so nothing is required or discarded;
    a single-end read that runs into the reverse primer is still cut there.

    Paired-end: the forward primer must start R1 and the reverse primer R2
    (``--pair-filter=any``: a pair is dropped when either read lacks its primer).
    Single-end: the forward primer must start the read; the reverse complement
    of the reverse primer is trimmed from the 3' end where the read reaches it.

    ``lengths`` (paired-end): R1 and R2 are then cut to these lengths after
    the primers are removed (cutadapt ``--length`` and ``-L``).

    ``qc_dir``: cutadapt's reports are kept there, ``<sample>.cutadapt.json``
    and the text report ``<sample>.cutadapt.log`` (what MultiQC's cutadapt
    module reads).

    Paired-end with uncompressed outputs (the default engine's), the pairs
    whose mates both start with their primer exactly (or all pairs,
    ``in_reads=False``) are cut in numpy and the rest by cutadapt, which
    writes one report of all of them
    (:func:`gutlung_pipeline.primers.cut_pairs`): the outputs and reports of
    cutadapt alone, byte for byte, in about half its time.

    Returns
    -------
    dict
        ``input`` (reads or pairs read) and ``primer_trimmed`` (written).
    """
    if (fq2 is None) != (out2 is None):
        raise ValueError("give both fq2 and out2, or neither")
    from .sequences import reverse_complement

    with tempfile.TemporaryDirectory(dir=Path(out1).parent) as tmp:
        report = Path(tmp) / "cutadapt.json"
        # named as the program names them (1, then 2): in one process
        # cutadapt's own names would count on from the previous sample's
        files = f"{fq1}, {fq2}" if fq2 is not None else str(fq1)
        try:
            outputs = [out for out in (out1, out2) if out is not None]
            kept = Path(qc_dir) / f"{sample}.cutadapt.log" if qc_dir else None
            if fq2 is not None:
                from .primers import cut_pairs

                status, out, err = cut_pairs(
                    fq1,
                    fq2,
                    out1,
                    out2,
                    report=report,
                    primers=(forward, reverse) if in_reads else None,
                    lengths=lengths,
                    tmp=tmp,
                    error_rate=error_rate,
                    threads=threads,
                )
                _judge_cutadapt(
                    status, out, err, f"sample {sample} ({files})", outputs, kept
                )
            else:  # single-end: the reverse primer's complement where reached
                args = ["-e", str(error_rate), "-j", str(threads)]
                if in_reads:
                    f = f"1={forward};required...{reverse_complement(reverse)};optional"
                    args += ["--discard-untrimmed", "-g", f]
                else:
                    args += ["-a", f"1={reverse_complement(reverse)}"]
                args += ["--json", str(report), "-o", str(out1), str(fq1)]
                run_cutadapt(
                    args,
                    context=f"sample {sample} ({files})",
                    outputs=outputs,
                    stdout_to=kept,
                )
        except ToolError as err:
            if "no space left on device" in str(err):  # says its own fix
                raise
            raise ToolError(f"{err}; {_fix_for(str(err))}") from None
        text = report.read_text()
        if qc_dir is not None:
            from .io import write_bytes

            # temporary paths by their names: the same reads, the same report
            kept = text
            for path in (report, out1, out2):
                if path is not None:
                    kept = kept.replace(
                        json.dumps(str(path)), json.dumps(Path(path).name)
                    )
            write_bytes(Path(qc_dir) / f"{sample}.cutadapt.json", kept.encode())
        counts = json.loads(text)["read_counts"]
    return {"input": int(counts["input"]), "primer_trimmed": int(counts["output"])}


def run_cutadapt(
    args: Sequence[str],
    *,
    context: str,
    outputs: Sequence[str | os.PathLike] = (),
    stdout_to: str | os.PathLike | None = None,
) -> str:
    """Run cutadapt (its command line ``args``, without the program name) here.

    In this process, through the command line's own entry point
    (:func:`gutlung_pipeline.primers.cutadapt_main`): the same options,
    reports and errors as the ``cutadapt`` program, without starting Python
    and importing cutadapt for each sample (0.26 s a sample of 9,500 pairs
    as a program, 0.12 s here). The job's log gets neither its report nor
    its warnings as it runs. Judged as
    :func:`gutlung_pipeline.tools.run_tool` judges a program
    (:func:`gutlung_pipeline.tools.check_result`): the error names cutadapt,
    ``context`` and cutadapt's own error line; a full disk is named with its
    mount point; on failure ``outputs`` are removed. Returns what it logged
    as warnings and errors.
    """
    from .primers import cutadapt_main

    status, _, report, err = cutadapt_main(args)
    _judge_cutadapt(status, report.text(), err, context, outputs, stdout_to)
    return err


def _judge_cutadapt(status, out, err, context, outputs, stdout_to) -> None:
    """Log cutadapt's warnings and judge its run (:func:`run_cutadapt`)."""
    from .tools import check_result

    if err:
        log.info("cutadapt warnings and errors:\n%s", err.rstrip())
    check_result(
        "cutadapt",
        status,
        out,
        err,
        context=context,
        outputs=outputs,
        stdout_to=stdout_to,
    )


_FIXES = (
    (
        "improperly paired",
        "fq1 and fq2 must hold the same reads in the same order; "
        "give the two mate files of one run",
    ),
    ("end-of-stream", "the file is truncated; download or copy it again"),
    ("not a gzip", "the file is not gzip despite its name; fix the name or the file"),
    ("fastq", "the file is not valid FASTQ; check its source"),
)


def _fix_for(message: str) -> str:
    low = message.lower()
    for needle, fix in _FIXES:
        if needle in low:
            return fix
    return "check the FASTQ files of this sample"


def merge_pairs(
    sample: str,
    r1: str | os.PathLike,
    r2: str | os.PathLike,
    out: str | os.PathLike,
    *,
    min_overlap: int = 16,
    max_diffs: int = 10,
    threads: int = 1,
    quality_args: Sequence[str] = (),
) -> dict[str, int]:
    """Merge read pairs as :func:`merged_reads` does into ``out``; return ``merged``."""
    data, merged = merged_reads(
        sample,
        r1,
        r2,
        min_overlap=min_overlap,
        max_diffs=max_diffs,
        threads=threads,
        quality_args=quality_args,
    )
    from .io import write_bytes

    write_bytes(out, data)
    return {"merged": merged}


def merged_reads(
    sample: str,
    r1: str | os.PathLike,
    r2: str | os.PathLike,
    *,
    min_overlap: int = 16,
    max_diffs: int = 10,
    threads: int = 1,
    quality_args: Sequence[str] = (),
) -> tuple[bytes, int]:
    """Merge read pairs with ``vsearch --fastq_mergepairs``; return them, and how many.

    ``quality_args``: vsearch's options for the reads' quality encoding
    (:meth:`gutlung_pipeline.quality.Encoding.vsearch_args`). vsearch writes
    to a pipe (``--fastqout -``), not to a file: no disk is written, so a
    full disk cannot cut the merged reads short (vsearch exits 0 when its
    writes fail), and they are not written and read back.

    Raises
    ------
    ToolError
        vsearch failed, printed no count, or the reads that came through the
        pipe are not the number it reported merged.
    """
    import subprocess

    from .tools import check_result, require_tool

    args = [
        require_tool("vsearch"),
        "--fastq_mergepairs",
        str(r1),
        "--reverse",
        str(r2),
        "--fastqout",
        "-",
        "--fastq_minovlen",
        str(min_overlap),
        "--fastq_maxdiffs",
        str(max_diffs),
        "--threads",
        str(threads),
        *quality_args,
    ]
    context = f"sample {sample} ({r1}, {r2})"
    # stderr to a file, so that the reads are read from the pipe in one
    # buffer that grows in place (communicate() would join a copy of them)
    with tempfile.TemporaryFile() as stderr:
        with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=stderr) as proc:
            data = proc.stdout.read()
        stderr.seek(0)
        err = stderr.read().decode(errors="replace")
    if err:
        log.info("vsearch stderr:\n%s", err.rstrip())
    check_result("vsearch", proc.returncode, "", err, context=context)
    reported = _MERGED.search(err)
    if reported is None:
        raise ToolError(
            f"vsearch merge on {context}: no read count in its output (in the "
            "job's log); check the installed vsearch (2.22 is the one tested)"
        )
    merged = int(reported.group(1))
    written = data.count(b"\n") // 4
    if written != merged:
        raise ToolError(
            f"vsearch --fastq_mergepairs on {context} reported {merged} reads but "
            f"passed on {written}: its output is incomplete; rerun, and report it "
            "if it recurs"
        )
    return data, merged


def filter_reads(
    sample: str,
    fastq: str | os.PathLike,
    out_fasta: str | os.PathLike,
    *,
    max_ee: float | None = 1.0,
    min_length: int | None = None,
    max_length: int | None = None,
    max_ns: int = 0,
    trunc_length: int | None = None,
    quality_args: Sequence[str] = (),
) -> dict[str, int]:
    """Quality-filter reads with ``vsearch --fastq_filter`` into labelled FASTA.

    Reads are relabelled ``sample=<id>;r<n>`` so that ``--otutabout`` counts
    them for the sample. ``trunc_length`` (single-end runs) cuts every read to
    that length and drops shorter ones. ``max_ee=None`` filters on length and
    Ns only. ``quality_args`` as for :func:`merge_pairs`.

    Returns
    -------
    dict
        ``filter_input`` (reads seen) and ``filtered`` (reads kept).
    """
    args = [
        "vsearch",
        "--fastq_filter",
        str(fastq),
        "--fastq_maxns",
        str(max_ns),
        "--fastaout",
        str(out_fasta),
        "--fasta_width",
        "0",
        "--relabel",
        f"sample={sample};r",
        *quality_args,
    ]
    if max_ee is not None:
        args += ["--fastq_maxee", str(max_ee)]
    if trunc_length is not None:
        args += ["--fastq_trunclen", str(trunc_length)]
    if min_length is not None:
        args += ["--fastq_minlen", str(min_length)]
    if max_length is not None:
        args += ["--fastq_maxlen", str(max_length)]
    err = run_tool(args, context=f"sample {sample} ({fastq})", outputs=(out_fasta,))
    match = _KEPT.search(err)
    if match is None:
        raise ToolError(
            f"vsearch filter on sample {sample}: no read counts in its output"
        )
    kept, discarded = int(match.group(1)), int(match.group(2))
    return {"filter_input": kept + discarded, "filtered": kept}


def filter_dereplicate(
    sample: str,
    fastq: str | os.PathLike | bytes,
    *,
    derep: str | os.PathLike,
    mapping: str | os.PathLike,
    max_ee: float | None = 1.0,
    min_length: int | None = None,
    max_length: int | None = None,
    max_ns: int = 0,
    trunc_length: int | None = None,
    offset: int = 33,
) -> dict[str, int]:
    """Filter one sample's reads and write its two dereplicated FASTA files.

    What :func:`filter_reads` then :func:`dereplicate` write, twice (with and
    without ``max_ee``), in one pass over the reads in numpy: the same reads
    kept, the same labels (``sample=<id>;r<n>``, ``n`` counting the kept
    reads), sizes and order (most reads first, then by label), checked
    byte for byte against vsearch 2.22 in ``tests/unit/test_reads_denoise.py``.
    vsearch's filter costs about 4 microseconds a read whatever it is asked
    (40 ms a sample of 9,500 merged reads, two passes a sample); this costs
    about a quarter of one pass (``benchmarks/README.md``).

    As ``vsearch --fastq_filter``: ``trunc_length`` drops shorter reads and
    cuts the rest to it; the length limits, Ns (``N`` or ``n``) and expected
    errors (the sum of ``10 ** (-Q / 10)``, Q = quality code - ``offset``)
    are those of the cut read; a read is dropped when its expected errors
    are above ``max_ee``.

    - ``fastq``: a FASTQ file, or the FASTQ itself (bytes: the merged reads
      of :func:`merged_reads`);
    - ``derep``: the reads within every limit, ``max_ee`` too (to denoise);
    - ``mapping``: the reads within the length and N limits (to count).

    Returns
    -------
    dict
        ``filter_input`` (reads read), ``filtered`` (within the length and N
        limits) and ``quality_filtered`` (also within ``max_ee``).
    """
    import numpy as np

    in_memory = isinstance(fastq, bytes)
    data = fastq if in_memory else Path(fastq).read_bytes()
    name, has = ("its merged reads", "hold") if in_memory else (fastq, "has")
    lines = data.split(b"\n")
    if lines and not lines[-1]:
        lines.pop()
    if len(lines) % 4:
        said = f"sample {sample}: {name} {'end' if in_memory else 'ends'} inside a "
        raise ToolError(
            said + "FASTQ record; rerun its read steps"
            if in_memory
            else said + "FASTQ record (a full disk while it was written?); free "
            "space and rerun"
        )
    seqs, quals = lines[1::4], lines[3::4]
    n = len(seqs)
    length = np.fromiter(map(len, seqs), np.int64, n)
    joined = b"".join(seqs)
    bases = np.frombuffer(joined, np.uint8)
    scores = np.frombuffer(b"".join(quals), np.uint8)
    if len(bases) != len(scores):
        raise ToolError(
            f"sample {sample}: {name} {has} a quality line of another length than "
            "its sequence; rerun the sample's read steps"
        )
    start = np.cumsum(length) - length
    used = length if trunc_length is None else np.minimum(length, trunc_length)
    keep = np.ones(n, bool)
    if trunc_length is not None:
        keep &= length >= trunc_length
    if min_length is not None:
        keep &= used >= min_length
    if max_length is not None:
        keep &= used <= max_length
    ee, ns = _read_sums(
        bases,
        scores,
        length,
        used,
        offset=offset,
        cut=trunc_length is not None,
        has_n=b"N" in joined or b"n" in joined,
    )
    mappable = keep & (ns <= max_ns)
    good = mappable if max_ee is None else mappable & (ee <= max_ee)
    if trunc_length is None:
        reads = np.array(seqs, dtype=object)
    else:  # kept reads are all at least trunc_length long
        reads = np.empty(n, dtype=object)
        rows = np.flatnonzero(mappable)
        cut = bases[start[rows, None] + np.arange(trunc_length)]
        reads[rows] = cut.view(f"S{trunc_length}").ravel().astype(object)
    _write_uniques(sample, reads[good], derep)
    _write_uniques(sample, reads[mappable], mapping)
    return {
        "filter_input": n,
        "filtered": int(mappable.sum()),
        "quality_filtered": int(good.sum()),
    }


def _read_sums(
    bases, scores, length, used, *, offset: int, cut: bool, has_n: bool, chunk=4096
):
    """Return each read's expected errors and Ns over its first ``used`` bases.

    ``bases`` and ``scores`` hold the reads end to end (``length`` each). The
    error of each base is looked up ``chunk`` reads at a time: a whole
    sample's errors at once (8 bytes a base, 38 MB for 19,000 reads of 253)
    cost twice the time in fresh memory. ``cut``: bases past ``used`` count
    for nothing; ``has_n`` False: no read holds an N (none are counted).
    """
    import numpy as np

    from .quality import error_probabilities

    table = error_probabilities(offset)
    n = len(length)
    ee, ns = np.zeros(n), np.zeros(n, np.int64)
    ends = np.cumsum(length)
    for a in range(0, n, chunk):
        b = min(n, a + chunk)
        lo, hi = int(ends[a] - length[a]), int(ends[b - 1])
        sizes = length[a:b]
        firsts = ends[a:b] - sizes - lo
        # per read sums over its (cut) bases; an empty read has none (reduceat
        # would give it the next read's first base)
        nonempty = sizes > 0
        if not nonempty.any():
            continue
        errors = table[scores[lo:hi]]
        is_n = None
        if has_n:
            part = bases[lo:hi]
            is_n = (part == ord("N")) | (part == ord("n"))
        if cut:  # the bases past the cut count for nothing
            past = np.arange(hi - lo) - np.repeat(firsts, sizes) >= np.repeat(
                used[a:b], sizes
            )
            errors[past] = 0.0
            if is_n is not None:
                is_n &= ~past
        rows = np.flatnonzero(nonempty) + a
        ee[rows] = np.add.reduceat(errors, firsts[nonempty])
        if is_n is not None and is_n.any():
            ns[rows] = np.add.reduceat(is_n.astype(np.int64), firsts[nonempty])
    return ee, ns


def _write_uniques(sample: str, reads, out: str | os.PathLike) -> None:
    """Write reads dereplicated as ``vsearch --fastx_uniques --sizeout`` would.

    Each unique labelled with its first read's label (``sample=<id>;r<n>``,
    ``n`` its place among ``reads``), most reads first, then by label.
    """
    import numpy as np
    import pandas as pd

    from .io import write_bytes

    codes, uniques = pd.factorize(reads, sort=False)
    sizes = np.bincount(codes, minlength=len(uniques))
    _, first = np.unique(codes, return_index=True)
    number = first + 1
    order = np.lexsort((number.astype(str), -sizes))
    label = f"sample={sample};r".encode()
    write_bytes(
        out,
        b"".join(
            b">%s%d;size=%d\n%s\n" % (label, number[k], sizes[k], uniques[k])
            for k in order
        ),
    )


def dereplicate(sample: str, fasta: str | os.PathLike, out: str | os.PathLike) -> None:
    """Collapse identical reads of one sample (``vsearch --fastx_uniques``)."""
    run_tool(
        [
            "vsearch",
            "--fastx_uniques",
            str(fasta),
            "--sizeout",
            "--fastaout",
            str(out),
            "--fasta_width",
            "0",
        ],
        context=f"sample {sample} ({fasta})",
        outputs=(out,),
    )


def count_records(path: str | os.PathLike, *, fastq: bool) -> int:
    """Count the records of a FASTQ (lines / 4) or FASTA (``>`` lines) file.

    Read in 1 MiB chunks, never read by read.
    """
    total = 0
    needle = b"\n" if fastq else b">"
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            total += chunk.count(needle)
    return total // 4 if fastq else total


def size_total(path: str | os.PathLike) -> int:
    """Sum the ``;size=`` annotations of a dereplicated FASTA."""
    sizes = re.compile(rb";size=(\d+)")
    return sum(int(n) for n in sizes.findall(Path(path).read_bytes()))


def check_written(
    sample: str, tool: str, reported: int, written: int, path: str | os.PathLike
) -> None:
    """Stop when a tool wrote fewer (or more) reads than it reported.

    A tool that runs out of disk space may exit 0 with a truncated file; the
    counts then disagree, and what it wrote must not be taken for complete.

    Raises
    ------
    ToolError
        The sample, the tool, both counts and the likely cause.
    """
    if reported != written:
        said = f"{tool} on sample {sample} reported {reported} reads but "
        said += f"{Path(path).name} holds {written}"
        if written < reported and _no_room_for(path, reported - written, written):
            from .tools import mount_point

            folder = os.path.join(mount_point(path), "")  # with its trailing /
            raise ToolError(
                f"{said}: no space left on device in {folder} (the tool "
                "did not say so); free space there and rerun (finished steps are "
                "kept)"
            )
        raise ToolError(
            f"{said}: the output is incomplete (a full disk?); free space and rerun"
        )


def _no_room_for(path: str | os.PathLike, missing: int, written: int) -> bool:
    """Tell whether the file system of ``path`` lacks room for ``missing`` reads.

    Reads the size of those written; vsearch exits 0 on a full disk.
    """
    try:
        size = os.path.getsize(path)
        stat = os.statvfs(Path(path).parent)
    except OSError:
        return False
    per_read = size / written if written else 1
    return stat.f_bavail * stat.f_frsize < missing * per_read


def sample_reads(
    sample: str,
    fq1: str | os.PathLike,
    fq2: str | os.PathLike | None,
    *,
    derep: str | os.PathLike,
    mapping: str | os.PathLike,
    forward: str,
    reverse: str,
    error_rate: float = 0.1,
    in_reads: bool = True,
    min_overlap: int = 16,
    max_diffs: int = 10,
    max_ee: float = 1.0,
    min_length: int | None = None,
    max_length: int | None = None,
    max_ns: int = 0,
    trunc_length: int | None = None,
    trunc_lengths: str | Sequence[int] = "auto",
    target_overlap: int = 48,
    threads: int = 1,
    qc_dir: str | os.PathLike | None = None,
) -> dict[str, int]:
    """Run one sample's read steps in one job.

    One sample's read steps in one job: primers (cutadapt), pairs merged,
    then two dereplicated FASTA files (``;size=`` labels, reads relabelled
    ``sample=<id>;...``).

    - ``derep``: the reads passing the expected-error filter, to denoise;
    - ``mapping``: every merged read within the length and N limits, whatever
      its expected errors, to count against the ASVs (a read with a few
      errors still belongs to its ASV; the error filter is for finding the
      ASVs, not for counting them).

    Single-end runs (``fq2`` None) skip the merge and are cut to
    ``trunc_length``. Paired-end reads are cut before the merge as
    ``trunc_lengths`` says: ``"none"``, ``(R1, R2)`` lengths, or ``"auto"``
    (:func:`gutlung_pipeline.quality.auto_truncation` with
    ``target_overlap``). Intermediate files live in a temporary folder beside
    ``derep``. ``qc_dir``: the sample's read QC goes there (cutadapt's
    reports, :func:`gutlung_pipeline.quality.write_sample_qc`).

    Returns
    -------
    dict
        Read counts: ``input``, ``primer_trimmed``, ``merged`` (paired-end),
        ``filtered`` (within the length and N limits: the reads counted
        against the ASVs) and ``quality_filtered`` (also within ``max_ee``:
        the reads denoised).
    """
    with tempfile.TemporaryDirectory(dir=Path(derep).parent) as tmp:
        tmp = Path(tmp)
        # uncompressed: vsearch then merges in two thirds of the time. Named
        # after the sample: MultiQC 1.35 takes the sample's name from
        # cutadapt's -o when the input paths hold a '-' (it reads them as stdin)
        t1 = tmp / f"{sample}.fastq"
        t2 = tmp / f"{sample}.mate2.fastq" if fq2 else None
        from .quality import Encoding, auto_truncation

        # The first reads choose the encoding and the cut. A file that cannot
        # be read that far (truncated gzip, mates of unequal length) gets
        # neither here: cutadapt, which reads it whole, then names the fault.
        try:
            encoding = read_encoding(sample, fq1, fq2)
        except (EOFError, OSError):
            encoding, readable = Encoding(33, 0, 41, ()), False
        else:
            readable = True
        quality_args = encoding.vsearch_args()
        if qc_dir is not None and readable:
            from .quality import write_sample_qc

            write_sample_qc(sample, fq1, fq2, qc_dir, encoding)
        cut = None
        if not fq2 or trunc_lengths == "none":
            pass
        elif trunc_lengths != "auto":
            cut = (int(trunc_lengths[0]), int(trunc_lengths[1]))
        elif readable:
            try:
                cut = auto_truncation(
                    sample,
                    fq1,
                    fq2,
                    skip1=len(forward) if in_reads else 0,
                    skip2=len(reverse) if in_reads else 0,
                    target_overlap=target_overlap,
                    min_overlap=min_overlap,
                    max_diffs=max_diffs,
                    tmp=tmp,
                    encoding=encoding,
                )
            except ToolError as err:
                if "no space left on device" in str(err):
                    raise
                cut = None
        counts = trim_primers(
            sample,
            fq1,
            t1,
            fq2=fq2,
            out2=t2,
            forward=forward,
            reverse=reverse,
            error_rate=error_rate,
            threads=threads,
            in_reads=in_reads,
            lengths=cut,
            qc_dir=qc_dir,
        )
        if fq2:
            counts["trunc_r1"], counts["trunc_r2"] = cut or (0, 0)
        counts["phred_offset"] = encoding.offset
        counts["max_quality"] = encoding.q_max
        counts["quality_levels"] = len(encoding.levels)
        for out in (t1, t2) if fq2 else (t1,):
            check_written(
                sample,
                "cutadapt",
                counts["primer_trimmed"],
                count_records(out, fastq=True),
                out,
            )
        reads = t1
        if fq2:
            reads, counts["merged"] = merged_reads(
                sample,
                t1,
                t2,
                min_overlap=min_overlap,
                max_diffs=max_diffs,
                threads=threads,
                quality_args=quality_args,
            )
        kept = filter_dereplicate(
            sample,
            reads,
            derep=derep,
            mapping=mapping,
            max_ee=max_ee,
            min_length=min_length,
            max_length=max_length,
            max_ns=max_ns,
            trunc_length=trunc_length,
            offset=encoding.offset,
        )
        counts["filtered"] = kept["filtered"]
        counts["quality_filtered"] = kept["quality_filtered"]
    return counts


def read_encoding(sample: str, fq1, fq2=None):
    """Return the quality encoding of a sample's reads (R1 and R2 must agree).

    Raises
    ------
    ToolError
        R1 and R2 have different encodings: one line naming both files.
    """
    from .quality import Encoding, file_encoding

    first = file_encoding(fq1)
    if fq2 is None:
        return first
    second = file_encoding(fq2)
    if first.offset != second.offset:
        raise ToolError(
            f"sample {sample}: {fq1} has {first.describe()} qualities but {fq2} "
            f"{second.describe()}; give the two mate files of one run"
        )
    levels = tuple(sorted(set(first.levels) | set(second.levels)))
    return Encoding(
        first.offset,
        min(first.q_min, second.q_min),
        max(first.q_max, second.q_max),
        levels,
        first.bases + second.bases,
    )


def sample_batch(
    samples: Sequence[tuple[str, str | os.PathLike, str | os.PathLike | None]],
    *,
    derep: str | os.PathLike,
    mapping: str | os.PathLike,
    candidates: str | os.PathLike | None = None,
    candidate_min_size: int = 4,
    alpha: float = 2.0,
    unoise_search: str = "exhaustive",
    threads: int = 1,
    **options,
) -> list[dict]:
    """Run :func:`sample_reads` for several samples in one job.

    :func:`sample_reads` for several samples in one job, ``threads`` samples
    at a time (the largest files first), each sample's tools on one thread.
    The samples run in ``threads`` worker processes forked from this one
    (one process and no pool for one thread), so cutadapt, which runs in the
    process (:func:`run_cutadapt`), is imported once a worker, not once a
    sample, and two samples' cutadapt never wait on one interpreter lock.

    ``samples`` holds ``(sample, fq1, fq2)`` (``fq2`` None: single-end);
    ``options`` are :func:`sample_reads`' (primers, merging, filters). The
    samples' ``derep`` and ``mapping`` uniques, and with ``candidates`` each
    sample's own UNOISE3 centroids (:func:`.denoise.unoise.sample_unoise`,
    ``unoise_search`` its search, at ``candidate_min_size``; 0 writes an
    empty file), are joined into one file each, in the order given, whatever
    finishes first: the read labels (``sample=<id>;...``) keep the samples
    apart. A failing sample stops the batch (the samples not started are not
    run) with its own one-line error; no output is written then.

    One job for several samples is for Snakemake: its scheduler goes over the
    inputs of every waiting job each time a job ends, which at hundreds of
    one-second jobs took more than half a core (``benchmarks/README.md``).

    Returns
    -------
    list of dict
        Per sample, in order: ``sample`` and :func:`sample_reads`' counts.
    """
    names = [sample for sample, _, _ in samples]
    if len(set(names)) != len(names):
        raise ValueError("a sample is given twice; give each sample once")
    with tempfile.TemporaryDirectory(dir=Path(derep).parent) as tmp:
        kinds = ("derep", "mapping", "candidates")
        parts = [
            {kind: Path(tmp) / f"{k}.{kind}.fasta" for kind in kinds}
            for k in range(len(samples))
        ]

        def size(k: int) -> int:
            files = [f for f in samples[k][1:] if f is not None and os.path.isfile(f)]
            return sum(os.path.getsize(f) for f in files)

        # the largest samples first, so that the job does not end on one
        # thread waiting for a large sample started last
        order = sorted(range(len(samples)), key=lambda k: (-size(k), k))
        workers = max(1, min(threads, len(samples)))
        from .workers import results

        with _sample_pool(workers) as pool:
            futures = {
                k: pool.submit(
                    _one_sample,
                    *samples[k],
                    parts[k],
                    candidates is not None,
                    candidate_min_size,
                    alpha,
                    unoise_search,
                    options,
                )
                for k in order
            }
            try:  # the samples not started are not run
                counts = results([futures[k] for k in range(len(samples))])
            except Exception as exc:
                raise _named(exc, names) from None
        outputs = {"derep": derep, "mapping": mapping, "candidates": candidates}
        outputs = {kind: out for kind, out in outputs.items() if out is not None}
        for kind in outputs:  # joined beside, then moved: never half written
            with open(Path(tmp) / f"joined.{kind}", "wb") as joined:
                for files in parts:
                    with open(files[kind], "rb") as part:
                        shutil.copyfileobj(part, joined)
        for kind, out in outputs.items():
            shutil.move(Path(tmp) / f"joined.{kind}", out)
    return counts


def _named(exc: BaseException, names: Sequence[str]) -> BaseException:
    """Return a sample's error; a worker that died is named with its batch."""
    from concurrent.futures.process import BrokenProcessPool

    if isinstance(exc, BrokenProcessPool):
        return ToolError(
            f"a worker process of the batch of samples {', '.join(names)} died "
            "before it finished (killed, or out of memory); see the job's log, "
            "and give the job more memory or fewer samples (denoise.samples_per_job)"
        )
    return exc


def _sample_pool(workers: int):
    """Return the pool of :func:`sample_batch`: ``workers`` forked processes.

    Forked (:func:`gutlung_pipeline.workers.forked_pool`), so a worker starts
    in milliseconds with this process's modules (those the samples need are
    imported here, once a job rather than once a worker), logging and
    settings; one worker runs in this process.
    """
    from .workers import forked_pool

    if workers > 1:
        # what every sample imports, imported once here and inherited by
        # the forked workers (pandas alone takes 0.25 s a process)
        import cutadapt.cli  # noqa: F401
        import numpy  # noqa: F401
        import pandas  # noqa: F401

        from . import quality  # noqa: F401
        from .denoise import unoise  # noqa: F401
    return forked_pool(workers)


def _one_sample(
    sample, fq1, fq2, files, candidates, candidate_min_size, alpha, search, options
) -> dict:
    """One sample of :func:`sample_batch`: its read steps into ``files``."""
    counts = sample_reads(
        sample, fq1, fq2, derep=files["derep"], mapping=files["mapping"], **options
    )
    if candidates:
        if candidate_min_size > 0:
            from .denoise.unoise import sample_unoise

            sample_unoise(
                files["derep"],
                files["candidates"],
                min_size=candidate_min_size,
                alpha=alpha,
                search=search,
            )
        else:
            files["candidates"].write_text("")
    return {"sample": sample, **counts}
