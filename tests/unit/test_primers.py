"""Primers cut in numpy where cutadapt's answer is known, the rest by cutadapt.

Every case runs :func:`gutlung_pipeline.primers.cut_pairs` and cutadapt
alone on all the pairs with the same command: the two outputs, the JSON
report and the printed report must be the same bytes (the reports name the
files given, which are the same here).
"""

import gzip
import json

import numpy as np
import pytest
from conftest import FORWARD, REVERSE

from gutlung_pipeline.primers import cut_pairs, cutadapt_main, pair_options
from gutlung_pipeline.sequences import IUPAC

REAL = __import__("pathlib").Path(__file__).resolve().parents[1] / "data" / "real"


def _both(tmp_path, fq1, fq2, *, primers=True, lengths=None):
    """Run both; return (status, the pairs cut here, cutadapt's status)."""
    pairs = (FORWARD, REVERSE) if primers else None
    options = pair_options(pairs, lengths)
    folders = {}
    for name in ("here", "alone"):
        folder = tmp_path / name
        folder.mkdir()
        folders[name] = folder
    out = [folders["here"] / "1.fq", folders["here"] / "2.fq"]
    report = folders["here"] / "r.json"
    (folders["here"] / "tmp").mkdir()
    status, text, err = cut_pairs(
        fq1,
        fq2,
        *out,
        report=report,
        primers=pairs,
        lengths=lengths,
        tmp=folders["here"] / "tmp",
    )
    # cutadapt alone, its outputs then moved where the first run wrote (the
    # reports name the outputs)
    command = [*options, "--json", report, "-o", out[0], "-p", out[1], fq1, fq2]
    for path in (*out, report):
        if path.exists():
            path.rename(folders["alone"] / path.name)
    alone_status, stats, captured, alone_err = cutadapt_main(command)
    assert status == alone_status, (err, alone_err)
    assert err == alone_err
    if status:
        return status, None
    rest = folders["here"] / "tmp" / "rest_R1.fastq"
    # what cutadapt was given (a file it could not read: all of it)
    stats.given = rest.read_bytes().count(b"\n") // 4 if rest.exists() else stats.n
    assert text == captured.text()
    assert json.loads(report.read_text()) == json.loads(
        (folders["alone"] / "r.json").read_text()
    )
    assert report.read_bytes() == (folders["alone"] / "r.json").read_bytes()
    for path in out:
        assert path.read_bytes() == (folders["alone"] / path.name).read_bytes()
    return status, stats


def _fastq(records) -> bytes:
    return b"".join(
        b"@%s\n%s\n+\n%s\n" % (name, seq, qual) for name, seq, qual in records
    )


def _with_primers(path, primer, rng):
    """Real reads with a primer before each: most exact (IUPAC codes drawn), a
    sixty-fourth each with a substitution, an insertion, a deletion, an N,
    lower case or no primer at all."""
    with gzip.open(path, "rb") as handle:
        lines = handle.read().split(b"\n")
    out = []
    for name, seq, qual in zip(lines[0::4], lines[1::4], lines[3::4], strict=False):
        bases = [rng.choice(list(IUPAC[c])) for c in primer]
        fault = rng.integers(0, 64)
        if fault == 1:
            at = rng.integers(0, len(bases))
            bases[at] = "ACGT"[("ACGT".index(bases[at]) + 1) % 4]
        elif fault == 2:
            bases.insert(rng.integers(1, len(bases)), "A")
        elif fault == 3:
            del bases[rng.integers(0, len(bases))]
        elif fault == 4:
            bases[rng.integers(0, len(bases))] = "N"
        elif fault == 5:
            bases = [b.lower() for b in bases]
        elif fault == 6:
            bases = []
        head = "".join(bases).encode()
        out.append((name[1:], head + seq, b"I" * len(head) + qual))
    return out


@pytest.mark.parametrize("lengths", [None, (200, 150)])
def test_real_reads_with_primers_added_give_what_cutadapt_gives(tmp_path, lengths):
    """DADA2's example reads (real MiSeq 2x250; their primers were removed)
    with primers put back, some with an error of each kind."""
    rng = np.random.default_rng(5)
    fq1, fq2 = tmp_path / "r1.fastq.gz", tmp_path / "r2.fastq.gz"
    first = _with_primers(REAL / "dada2_extdata/sam1F.fastq.gz", FORWARD, rng)
    second = _with_primers(REAL / "dada2_extdata/sam1R.fastq.gz", REVERSE, rng)
    fq1.write_bytes(gzip.compress(_fastq(first), mtime=0))
    fq2.write_bytes(gzip.compress(_fastq(second), mtime=0))
    status, stats = _both(tmp_path, fq1, fq2, lengths=lengths)
    assert status == 0
    # most pairs cut here, the rest by cutadapt (some dropped: no primer)
    assert 0.1 * stats.n < stats.given < 0.25 * stats.n
    assert 0.5 * stats.n < stats.read_length_statistics.written_reads() < stats.n


@pytest.mark.parametrize("lengths", [None, (120, 100)])
@pytest.mark.parametrize("sample", ["sam1", "sam2"])
def test_real_reads_without_primers_give_what_cutadapt_gives(tmp_path, sample, lengths):
    """The EMP protocol (no primer in the reads): every pair copied or cut to
    its lengths, with cutadapt's report."""
    folder = REAL / "dada2_extdata"
    status, stats = _both(
        tmp_path,
        folder / f"{sample}F.fastq.gz",
        folder / f"{sample}R.fastq.gz",
        primers=False,
        lengths=lengths,
    )
    assert status == 0 and stats.n > 1000 and stats.given == 0


def test_simulated_reads_give_what_cutadapt_gives(small_cohort, tmp_path):
    _, sheet, _ = small_cohort
    for k, row in sheet.head(2).iterrows():
        (tmp_path / str(k)).mkdir()
        status, stats = _both(tmp_path / str(k), row["fq1"], row["fq2"])
        assert status == 0 and stats.n == 600
        assert 0 < stats.given < 0.2 * stats.n


def _pairs(tmp_path, first, second, *, compress=True):
    fq1, fq2 = tmp_path / "in1.fq", tmp_path / "in2.fq"
    for path, data in ((fq1, first), (fq2, second)):
        if compress:
            path = path.with_suffix(".fq.gz")
            data = gzip.compress(data, mtime=0)
        path.write_bytes(data)
    if compress:
        return fq1.with_suffix(".fq.gz"), fq2.with_suffix(".fq.gz")
    return fq1, fq2


F = b"GTGCCAGCAGCCGCGGTAA"
R = b"GGACTACAAGGGTATCTAAT"
BODY = b"ACGTTGCA" * 8


def _record(name, seq):
    return (name, seq, b"F" * len(seq))


@pytest.mark.parametrize(
    "case",
    [
        "twice",  # the primer again later in the read
        "error_then_exact",
        "mate_names_1_2",  # read/1 and read/2: cutadapt's rule, not ours
        "tabs",
        "no_last_newline",
        "plain",
        "one_pair",
        "empty",
        "all_to_cutadapt",
        "gzip_members",  # files of two gzip members, as concatenated runs give
        "two_of_six",  # over a quarter of the pairs for cutadapt: given it whole
    ],
)
def test_edge_cases_give_what_cutadapt_gives(tmp_path, monkeypatch, case):
    import gutlung_pipeline.primers as primers

    monkeypatch.setattr(primers, "_ROWS", 4)  # the names compared in two blocks
    first = [_record(b"p%d x" % k, F + BODY) for k in range(6)]
    second = [_record(b"p%d y" % k, R + BODY) for k in range(6)]
    compress = True
    if case == "twice":
        first[1] = _record(b"p1", F + BODY + F + BODY)
        second[1] = _record(b"p1", R + R + BODY)
    elif case == "error_then_exact":
        first[2] = _record(b"p2", b"GTGCCAGCAGCCGCGGTAT" + BODY + F + BODY)
    elif case == "mate_names_1_2":
        first = [_record(b"p%d/1" % k, s) for k, (_, s, _) in enumerate(first)]
        second = [_record(b"p%d/2" % k, s) for k, (_, s, _) in enumerate(second)]
    elif case == "tabs":
        first[0] = _record(b"p0\tcomment", F + BODY)
        second[0] = _record(b"p0 other", R + BODY)
    elif case == "plain":
        compress = False
    elif case == "one_pair":
        first, second = first[:1], second[:1]
    elif case == "empty":
        first, second = [], []
    elif case == "two_of_six":
        first[1] = _record(b"p1 x", b"T" + F + BODY)
        first[4] = _record(b"p4 x", b"T" + F + BODY)
    elif case == "all_to_cutadapt":
        first = [_record(n, b"T" + s) for n, s, _ in first]
    one, two = _fastq(first), _fastq(second)
    if case == "no_last_newline":
        one, two = one[:-1], two[:-1]
    fq1, fq2 = _pairs(tmp_path, one, two, compress=compress)
    if case == "gzip_members":
        for path, data in ((fq1, one), (fq2, two)):
            half = data.index(b"@p3")
            parts = (data[:half], data[half:])
            path.write_bytes(b"".join(gzip.compress(part, mtime=0) for part in parts))
    status, stats = _both(tmp_path, fq1, fq2, lengths=(40, 30))
    assert status == 0
    given = {"twice": 0, "error_then_exact": 1, "mate_names_1_2": 6, "tabs": 0}
    given |= {"one_pair": 0, "empty": 0, "all_to_cutadapt": 6, "two_of_six": 6}
    assert stats.given == given.get(case, 0)


@pytest.mark.parametrize(
    "case",
    ["names_differ", "more_in_second", "truncated_gzip", "crlf", "plus_named"],
)
def test_faults_are_cutadapts_own(tmp_path, case):
    """What this reader does not take goes to cutadapt whole: its status,
    errors and report are cutadapt's."""
    first = [_record(b"p%d" % k, F + BODY) for k in range(4)]
    second = [_record(b"p%d" % k, R + BODY) for k in range(4)]
    one, two = _fastq(first), _fastq(second)
    if case == "names_differ":
        two = two.replace(b"@p2", b"@q2")
    elif case == "more_in_second":
        two += _fastq([_record(b"p9", R + BODY)])
    elif case == "crlf":
        one, two = one.replace(b"\n", b"\r\n"), two.replace(b"\n", b"\r\n")
    elif case == "plus_named":
        one = one.replace(b"\n+\n", b"\n+x\n", 1)
    fq1, fq2 = _pairs(tmp_path, one, two)
    if case == "truncated_gzip":
        fq1.write_bytes(fq1.read_bytes()[:-12])
    status, stats = _both(tmp_path, fq1, fq2)
    if case == "crlf":  # cutadapt reads CR LF; given it whole
        assert status == 0 and stats.given == stats.n == 4
    else:
        assert status != 0


def test_large_files_are_given_whole_to_cutadapt(tmp_path, monkeypatch):
    """Over MAX_BYTES (read, or decompressed) cutadapt streams the files."""
    import gutlung_pipeline.primers as primers

    first = _fastq([_record(b"p%d" % k, F + BODY) for k in range(40)])
    second = _fastq([_record(b"p%d" % k, R + BODY) for k in range(40)])
    fq1, fq2 = _pairs(tmp_path, first, second)
    monkeypatch.setattr(primers, "MAX_BYTES", len(first) - 1)  # gzip is smaller
    status, stats = _both(tmp_path, fq1, fq2)
    assert status == 0 and stats.given == stats.n == 40
    # the gzip trailer says so before any decompression
    import isal.igzip

    def no(data):
        raise AssertionError("decompressed")

    monkeypatch.setattr(isal.igzip, "decompress", no)
    assert primers._read(fq1) is None


def test_compressed_outputs_are_cutadapts_to_write(tmp_path):
    """Outputs named .gz (the DADA2 engine's) are written by cutadapt alone:
    gzip, as it writes them."""
    first = _fastq([_record(b"p%d" % k, F + BODY) for k in range(5)])
    second = _fastq([_record(b"p%d" % k, R + BODY) for k in range(5)])
    fq1, fq2 = _pairs(tmp_path, first, second)
    (tmp_path / "tmp").mkdir()
    out = [tmp_path / "1.fastq.gz", tmp_path / "2.fastq.gz"]
    status, text, _ = cut_pairs(
        fq1,
        fq2,
        *out,
        report=tmp_path / "r.json",
        primers=(FORWARD, REVERSE),
        lengths=None,
        tmp=tmp_path / "tmp",
    )
    assert status == 0 and "Pairs written (passing filters):             5" in text
    assert not (tmp_path / "tmp" / "rest_R1.fastq").exists()
    for path in out:
        assert path.read_bytes()[:2] == b"\x1f\x8b"
        assert gzip.decompress(path.read_bytes()).count(b"\n") == 20


def test_statistics_cutadapt_keeps_otherwise_fall_back_to_cutadapt_alone(
    tmp_path, monkeypatch, caplog
):
    """Another cutadapt 5 whose statistics cannot be joined: cutadapt then
    runs on every pair, with a warning, and writes what it writes alone."""
    import gutlung_pipeline.primers as primers

    def changed(stats, exact):
        raise AttributeError("'Statistics' object has no attribute 'total_bp'")

    monkeypatch.setattr(primers, "_add_exact", changed)
    first = _fastq([_record(b"p%d" % k, F + BODY) for k in range(5)])
    second = _fastq([_record(b"p%d" % k, R + BODY) for k in range(5)])
    fq1, fq2 = _pairs(tmp_path, first, second)
    with caplog.at_level("WARNING", logger="gutlung_pipeline.primers"):
        status, stats = _both(tmp_path, fq1, fq2)
    assert status == 0 and stats.n == 5
    assert "statistics not joined" in caplog.text


def test_shared_match_tables_give_what_a_fresh_cutadapt_gives(tmp_path):
    """The character tables cutadapt's k-mer finders share in this process
    (:func:`gutlung_pipeline.primers._keep_match_tables`): pairs with primer
    errors cut here, after other samples' cutadapt runs, against the cutadapt
    program in a new process, which builds its own."""
    import subprocess
    import sys

    from cutadapt import _kmer_finder

    rng = np.random.default_rng(11)
    fq1, fq2 = tmp_path / "r1.fastq", tmp_path / "r2.fastq"
    fq1.write_bytes(
        _fastq(_with_primers(REAL / "dada2_extdata/sam2F.fastq.gz", FORWARD, rng))
    )
    fq2.write_bytes(
        _fastq(_with_primers(REAL / "dada2_extdata/sam2R.fastq.gz", REVERSE, rng))
    )
    pairs, lengths = (FORWARD, REVERSE), (200, 150)
    runs = {}
    for run in ("first", "second"):  # the second takes the tables kept
        folder = tmp_path / run
        (folder / "tmp").mkdir(parents=True)
        out = [folder / "1.fq", folder / "2.fq"]
        status, _, _ = cut_pairs(
            fq1,
            fq2,
            *out,
            report=folder / "r.json",
            primers=pairs,
            lengths=lengths,
            tmp=folder / "tmp",
        )
        assert status == 0
        runs[run] = folder
    assert _kmer_finder.matches_lookup.cache_info().hits >= 2
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    command = pair_options(pairs, lengths)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "cutadapt",
            *command,
            "--json",
            fresh / "r.json",
            "-o",
            fresh / "1.fq",
            "-p",
            fresh / "2.fq",
            fq1,
            fq2,
        ],
        check=True,
        capture_output=True,
    )
    mine, theirs = (
        json.loads((f / "r.json").read_text()) for f in (runs["second"], fresh)
    )
    for key in ("read_counts", "basepair_counts", "adapters_read1", "adapters_read2"):
        assert mine[key] == theirs[key], key
    for name in ("1.fq", "2.fq"):
        assert (runs["second"] / name).read_bytes() == (fresh / name).read_bytes()
