"""Where the reads are cut before the merge (gutlung_pipeline.quality), the
merge rate in the read tracking and the warning of a sample that merges badly."""

import gzip

import numpy as np
import pandas as pd
import pytest
from conftest import REAL, needs_tools

from gutlung_pipeline.cli.reads import trunc_lengths
from gutlung_pipeline.denoise import low_merge_warnings, read_tracking
from gutlung_pipeline.quality import (
    auto_truncation,
    choose_truncation,
    detect_encoding,
    expected_errors,
    head_records,
    primer_match_rate,
)


def profile(length, good, bad, worn_from):
    """Error probabilities of 10 reads: ``good`` up to ``worn_from``, then ``bad``."""
    row = np.where(np.arange(length) < worn_from, good, bad)
    return np.tile(row, (10, 1)).astype(float)


def test_the_worn_read_is_cut_and_the_clean_one_kept():
    # amplicon 100, overlap 20: the lengths add up to 120; R2 wears from base 50
    ee1 = profile(100, 0.001, 0.001, 100)
    ee2 = profile(100, 0.001, 0.1, 50)
    assert choose_truncation(ee1, ee2, 100, target_overlap=20) == (100, 20)
    # both wear from base 60: the cut that keeps both reads before it
    ee1 = profile(100, 0.001, 0.1, 60)
    ee2 = profile(100, 0.001, 0.1, 60)
    t1, t2 = choose_truncation(ee1, ee2, 100, target_overlap=20)
    assert t1 + t2 == 120 and t1 <= 60 and t2 <= 60


def test_reads_that_already_overlap_little_are_not_cut():
    # 2x150 on a 253-nt amplicon: 47 nt of overlap, under the target of 48
    assert (
        choose_truncation(
            profile(150, 0.001, 0.1, 100),
            profile(150, 0.001, 0.1, 100),
            253,
            target_overlap=48,
        )
        is None
    )


def test_missing_bases_count_as_errors():
    """A read shorter than a cut pays one error per missing base, so the cut
    never goes past the reads; cuts never exceed the amplicon."""
    ee1 = profile(100, 0.001, 0.001, 100)
    ee1[:, 70:] = np.nan  # R1 reads end at 70
    ee2 = profile(100, 0.01, 0.01, 100)
    t1, t2 = choose_truncation(ee1, ee2, 100, target_overlap=20)
    assert (t1, t2) == (70, 50)
    assert choose_truncation(
        profile(300, 0.001, 0.001, 300),
        profile(300, 0.1, 0.1, 300),
        100,
        target_overlap=20,
    ) == (100, 20)


def test_expected_errors_are_phred_probabilities():
    ee = expected_errors([b"I5+\n", b"!!\n"])  # Q40, Q20, Q10; Q0, Q0
    assert ee.shape == (2, 3)
    np.testing.assert_allclose(ee[0], [1e-4, 1e-2, 1e-1])
    np.testing.assert_allclose(ee[1, :2], [1.0, 1.0])
    assert np.isnan(ee[1, 2])


def test_head_records_reads_only_the_first_records(tmp_path):
    path = tmp_path / "r.fastq.gz"
    with gzip.open(path, "wt") as out:
        for i in range(50):
            out.write(f"@r{i}\nACGT\n+\nIIII\n")
    lines = head_records(path, 10)
    assert len(lines) == 40 and lines[-4] == b"@r9\n"


def test_a_files_head_is_read_once(tmp_path, monkeypatch):
    """The plan, the encoding, the cut and the read QC ask for a file's head:
    it is opened once for the longest request, a file shorter than a request
    is known to end there, and a rewritten file is read again."""
    import os

    from gutlung_pipeline import quality

    opened = []
    real = quality._open
    monkeypatch.setattr(quality, "_open", lambda p: opened.append(p) or real(p))
    path = tmp_path / "r.fastq"
    path.write_text("".join(f"@r{i}\nACGT\n+\nIIII\n" for i in range(50)))
    assert len(head_records(path, 20)) == 80 and len(opened) == 1
    assert head_records(path, 5) == head_records(path, 20)[:20]
    assert len(opened) == 1
    assert len(head_records(path, 2000)) == 200 and len(opened) == 2  # to its end
    assert len(head_records(path, 3000)) == 200 and len(opened) == 2
    head_records(path, 20).clear()  # a caller's copy, not the kept lines
    assert len(head_records(path, 20)) == 80
    path.write_text("@x\nAC\n+\nII\n")
    os.utime(path, ns=(1, 1))
    assert head_records(path, 20) == [b"@x\n", b"AC\n", b"+\n", b"II\n"]
    assert len(opened) == 3


@needs_tools
def test_auto_truncation_on_dada2s_example_reads(tmp_path):
    """DADA2's MiSeq 2x250 example (tests/data/real): the V4 amplicon is 253
    nt; the reverse reads wear first, so R2 is cut shorter than R1."""
    r1, r2 = (
        REAL / "dada2_extdata/sam1F.fastq.gz",
        REAL / "dada2_extdata/sam1R.fastq.gz",
    )
    cut = auto_truncation(
        "sam1",
        r1,
        r2,
        skip1=0,
        skip2=0,
        target_overlap=48,
        min_overlap=16,
        max_diffs=10,
        tmp=tmp_path,
    )
    assert cut is not None
    assert sum(cut) == 253 + 48 and cut[0] > cut[1]
    assert list(tmp_path.iterdir()) == []  # its temporary files are gone


def test_trunc_lengths_option():
    assert trunc_lengths("auto") == "auto"
    assert trunc_lengths("none") == "none"
    assert trunc_lengths("240,160") == (240, 160)
    for bad, says in (("240", "give auto, none"), ("240,10", "20 or more")):
        with pytest.raises(Exception, match=says):
            trunc_lengths(bad)


def test_merge_rate_in_the_tracking_and_the_warning_names_the_sample():
    stats = {
        "S1": {
            "input": 1000,
            "primer_trimmed": 900,
            "merged": 850,
            "filtered": 800,
            "trunc_r1": 186,
            "trunc_r2": 115,
        },
        "S2": {
            "input": 1000,
            "primer_trimmed": 1000,
            "merged": 300,
            "filtered": 290,
            "trunc_r1": 0,
            "trunc_r2": 0,
        },
    }
    table = pd.DataFrame({"S1": [700], "S2": [250]}, index=["a"])
    tracking = read_tracking(stats, table)
    assert tracking["pct_merged"].tolist() == [94.44, 30.0]
    assert tracking["trunc_r1"].tolist() == [186, 0]
    assert low_merge_warnings(tracking, min_merged=0.5) == [
        "sample S2: 300 of 1000 pairs merged (30.0%, under qc.min_merged 50%); the "
        "reads may be too short or too worn to overlap: see merge.trunc_lengths "
        "and merge.max_diffs"
    ]
    assert low_merge_warnings(tracking, min_merged=0) == []


def test_single_end_tracking_has_no_merge_rate():
    stats = {"S1": {"input": 10, "primer_trimmed": 9, "filtered": 8}}
    tracking = read_tracking(stats, pd.DataFrame({"S1": [8]}, index=["a"]))
    assert "pct_merged" not in tracking
    assert low_merge_warnings(tracking, min_merged=0.5) == []


@pytest.mark.parametrize(
    ("quals", "offset", "q_range", "binned", "args"),
    [
        ([b"II5+#\n"], 33, (2, 40), False, []),  # Sanger / Illumina 1.8+
        ([b"hhB^\n", b"aa\n"], 64, (2, 40), False, ["--fastq_ascii", "64"]),
        ([b"~~I5\n"], 33, (20, 93), False, ["--fastq_qmax", "93"]),  # PacBio HiFi
        ([b"FFF8-#F\n"] * 200, 33, (2, 37), True, []),  # NovaSeq: 2, 12, 23, 37
        ([b"FFF8-#F\n"], 33, (2, 37), False, []),  # too few bases to tell
        ([b"JJJJ\n"], 33, (41, 41), False, []),  # Q41 only: phred+33 is likelier
    ],
)
def test_encodings_known_answers(quals, offset, q_range, binned, args):
    enc = detect_encoding(quals)
    assert enc.offset == offset
    assert (enc.q_min, enc.q_max) == q_range
    assert enc.binned is binned
    assert enc.vsearch_args() == args


def test_binned_qualities_are_described():
    assert detect_encoding([b"FFF8-#F"] * 200).describe() == (
        "phred+33, Q2-37, binned (4 values: 2, 12, 23, 37)"
    )
    assert detect_encoding([b"hhB^"]).describe() == (
        "phred+64 (Illumina 1.3-1.7), Q2-40"
    )


@needs_tools
def test_phred64_reads_give_what_their_phred33_twins_give(small_cohort, tmp_path):
    """One simulated sample converted to phred+64 (vsearch --fastq_convert):
    the read steps detect it and write the same uniques and counts."""
    import subprocess

    from conftest import FORWARD, REVERSE

    from gutlung_pipeline.reads import sample_reads

    _, sheet, _ = small_cohort
    row = sheet.iloc[0]
    converted = []
    for mate in ("fq1", "fq2"):
        out = tmp_path / f"{mate}.p64.fastq"
        subprocess.run(
            [
                "vsearch",
                "--fastq_convert",
                row[mate],
                "--fastq_ascii",
                "33",
                "--fastq_asciiout",
                "64",
                "--fastqout",
                str(out),
                "--quiet",
            ],
            check=True,
        )
        converted.append(out)
    runs = {}
    for name, (fq1, fq2) in {
        "p33": (row["fq1"], row["fq2"]),
        "p64": tuple(converted),
    }.items():
        work = tmp_path / name
        work.mkdir()
        counts = sample_reads(
            "S",
            fq1,
            fq2,
            derep=work / "d.fa",
            mapping=work / "m.fa",
            forward=FORWARD,
            reverse=REVERSE,
            min_length=200,
            max_length=300,
        )
        runs[name] = (counts, (work / "d.fa").read_text(), (work / "m.fa").read_text())
    (c33, d33, m33), (c64, d64, m64) = runs["p33"], runs["p64"]
    assert c33.pop("phred_offset") == 33 and c64.pop("phred_offset") == 64
    assert c33 == c64 and d33 == d64 and m33 == m64
    assert c64["merged"] > 500


@needs_tools
def test_mates_with_different_encodings_stop_the_sample(small_cohort, tmp_path):
    import subprocess

    from conftest import FORWARD, REVERSE

    from gutlung_pipeline.reads import sample_reads
    from gutlung_pipeline.tools import ToolError

    _, sheet, _ = small_cohort
    row = sheet.iloc[0]
    r2 = tmp_path / "r2.p64.fastq"
    subprocess.run(
        [
            "vsearch",
            "--fastq_convert",
            row["fq2"],
            "--fastq_ascii",
            "33",
            "--fastq_asciiout",
            "64",
            "--fastqout",
            str(r2),
            "--quiet",
        ],
        check=True,
    )
    with pytest.raises(ToolError) as err:
        sample_reads(
            "S",
            row["fq1"],
            r2,
            derep=tmp_path / "d.fa",
            mapping=tmp_path / "m.fa",
            forward=FORWARD,
            reverse=REVERSE,
        )
    assert str(err.value).startswith(f"sample S: {row['fq1']} has phred+33, Q")
    assert str(err.value).endswith("; give the two mate files of one run")
    assert f"qualities but {r2} phred+64 (Illumina 1.3-1.7)" in str(err.value)


def test_primer_match_rate_allows_iupac_codes_and_the_error_rate(tmp_path):
    path = tmp_path / "r.fastq"
    reads = [
        "GTGCCAGCAGCCGCGGTAAT",
        "GTGTCAGCCGCCGCGGTAAT",
        "GTGCCAGCAGCCGCGCTAAT",
        "GTGCCAGCAGCAGCGCTAAT",
        "TTTT",
    ]  # 0, 0 (IUPAC), 1, 2 mismatches, short
    path.write_text(
        "".join(f"@r{i}\n{s}\n+\n{'I' * len(s)}\n" for i, s in enumerate(reads))
    )
    assert primer_match_rate(path, "GTGYCAGCMGCCGCGGTAA", error_rate=0.1) == (3, 5)
    assert primer_match_rate(path, "GTGYCAGCMGCCGCGGTAA", error_rate=0) == (2, 5)
    assert primer_match_rate(path, "GTGYCAGCMGCCGCGGTAA", n=2) == (2, 2)


def test_primers_said_not_in_reads_that_carry_them_are_refused(small_cohort):
    """The simulated reads start with the primers: in_reads false would leave
    them in the ASVs; true passes; 0 for qc.min_kept skips the check."""
    from conftest import FORWARD, REVERSE

    from gutlung_pipeline.config import _primer_problems

    _, sheet, _ = small_cohort
    config = {
        "primers": {
            "forward": FORWARD,
            "reverse": REVERSE,
            "error_rate": 0.1,
            "in_reads": False,
        },
        "qc": {"min_kept": 0.05},
        "feature_table": {},
    }
    first = sheet.groupby("run", sort=False).head(1)
    got = _primer_problems(config, sheet, source="c.yaml")
    assert len(got) == 2 * len(first)
    row = first.iloc[0]
    assert got[0] == (
        f"c.yaml: run {row['run']}: the forward primer {FORWARD} starts 500 of the "
        f"first 500 reads of sample {row['sample_id']} ({row['fq1']}, 100%) but "
        "primers.in_reads is false, so the primers would stay in the ASVs; set "
        "primers.in_reads: true"
    )
    config["primers"]["in_reads"] = True
    assert _primer_problems(config, sheet, source="c.yaml") == []
    config["primers"]["forward"] = "A" * 19
    config["qc"]["min_kept"] = 0
    assert _primer_problems(config, sheet, source="c.yaml") == []


def test_quality_profile_known_answer():
    """Phred scores per position by hand: I = Q40, 5 = Q20, + = Q10."""
    from gutlung_pipeline.quality import quality_profile

    p = quality_profile([b"II5+\n", b"5I5\n", b"+II\n"]).set_index("position")
    assert p["reads"].tolist() == [3, 3, 3, 1]
    assert p.loc[1, "mean"] == pytest.approx((40 + 20 + 10) / 3)
    assert p.loc[1, "median"] == 20 and p.loc[2, "median"] == 40
    assert p.loc[3, "q25"] == pytest.approx(np.percentile([20, 20, 40], 25))
    assert p.loc[4, "q90"] == 10  # one read that long
    # phred+64: the same scores from codes 31 higher
    shifted = [bytes(c + 31 for c in b"II5+") + b"\n"]
    assert quality_profile(shifted, 64)["median"].tolist() == [40, 40, 20, 10]


@needs_tools
def test_sample_qc_on_dada2s_reads_and_gathered_for_multiqc(tmp_path):
    """DADA2's example sam1 (2x250 MiSeq): the profiles match a hand count of
    the first records, vsearch's eestats2 table is kept, the cutadapt reports
    are kept beside them, and gather_qc builds results/qc with MultiQC custom
    content listing each file."""
    import json

    from gutlung_pipeline.quality import (
        file_encoding,
        gather_qc,
        quality_drop,
        write_sample_qc,
    )
    from gutlung_pipeline.reads import trim_primers

    fq1, fq2 = (
        REAL / "dada2_extdata/sam1F.fastq.gz",
        REAL / "dada2_extdata/sam1R.fastq.gz",
    )
    qc = tmp_path / "qc"
    write_sample_qc("sam1", fq1, fq2, qc, file_encoding(fq1), n=500)
    r2 = pd.read_csv(qc / "sam1_R2.quality.tsv", sep="\t")
    quals = [q.rstrip() for q in head_records(fq2, 500)[3::4]]
    at100 = [q[99] - 33 for q in quals if len(q) >= 100]
    row = r2.set_index("position").loc[100]
    assert row["reads"] == len(at100) and row["median"] == np.median(at100)
    assert row["mean"] == pytest.approx(np.mean(at100), abs=0.01)  # 4 digits
    eestats = (qc / "sam1_R1.eestats2.txt").read_text()
    assert "500 reads" in eestats and "Length" in eestats
    trim_primers(
        "sam1",
        fq1,
        tmp_path / "t1.fq",
        fq2=fq2,
        out2=tmp_path / "t2.fq",
        forward="GTGYCAGCMGCCGCGGTAA",
        reverse="GGACTACNVGGGTWTCTAAT",
        in_reads=False,
        qc_dir=qc,
    )
    assert "This is cutadapt" in (qc / "sam1.cutadapt.log").read_text()
    report = json.loads((qc / "sam1.cutadapt.json").read_text())
    assert report["read_counts"]["input"] == 1500
    other = tmp_path / "qc2"
    write_sample_qc("sam2", fq1, None, other, file_encoding(fq1), n=100)
    out = tmp_path / "results_qc"
    assert gather_qc([qc, other], out) == 1  # one cutadapt report
    table = pd.read_csv(out / "quality_profiles.tsv", sep="\t")
    assert set(zip(table["sample"], table["read"], strict=True)) == {
        ("sam1", "R1"),
        ("sam1", "R2"),
        ("sam2", "R1"),
    }
    custom = json.loads((out / "quality_profile_mqc.json").read_text())
    assert custom["plot_type"] == "linegraph"
    assert sorted(custom["data"]) == ["sam1_R1", "sam1_R2", "sam2_R1"]
    assert custom["data"]["sam1_R2"]["100"] == row["median"]
    assert sorted(p.name for p in (out / "cutadapt").iterdir()) == [
        "sam1.cutadapt.json",
        "sam1.cutadapt.log",
    ]
    assert len(list((out / "eestats2").iterdir())) == 3
    # the worn 3' end of DADA2's R2 reads: the median falls below Q25
    drop = quality_drop(table[table["sample"] == "sam1"], "R2", 25.0)
    assert drop is not None and 100 < drop < 250


def test_gather_qc_leaves_nothing_half_written(tmp_path, monkeypatch):
    """A copy that fails (a full disk) leaves neither the folder nor its
    staging copy; an earlier complete folder is kept."""
    import errno
    import shutil

    from gutlung_pipeline.quality import gather_qc

    src = tmp_path / "job"
    src.mkdir()
    (src / "S1.cutadapt.log").write_text("This is cutadapt\n")
    out = tmp_path / "qc"
    assert gather_qc([src], out) == 1
    before = sorted(p.relative_to(out) for p in out.rglob("*"))

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(shutil, "copyfile", full)
    with pytest.raises(OSError):
        gather_qc([src], out)
    assert not (tmp_path / ".qc.partial").exists()
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before


@needs_tools
def test_eestats2_is_vsearchs_table_byte_for_byte(tmp_path):
    """The table written for the read QC is the one vsearch 2.22's
    --fastq_eestats2 writes for the same reads: DADA2's and q2-dada2's real
    MiSeq files (first 2,000 reads each), reads of every length from 0 to
    299 with random qualities (cut-offs a read does not reach, the last row
    at the longest read), one short read, and no read."""
    import subprocess

    from gutlung_pipeline.quality import eestats2, file_encoding

    def vsearch(lines, encoding_args=()):
        fq = tmp_path / "reads.fastq"
        fq.write_bytes(b"".join(lines))
        out = tmp_path / "ee.txt"
        subprocess.run(
            ["vsearch", "--fastq_eestats2", str(fq), "--output", str(out)]
            + ["--length_cutoffs", "50,*,10", "--ee_cutoffs", "0.5,1.0,2.0"]
            + ["--quiet", *encoding_args],
            check=True,
        )
        return out.read_text()

    files = sorted(REAL.glob("*/*.fastq.gz")) + sorted(REAL.glob("*/*/*.fastq.gz"))
    assert len(files) >= 10
    for path in files:
        encoding = file_encoding(path)
        lines = head_records(path, 2000)
        mine = eestats2(lines[3::4], encoding.offset)
        assert mine == vsearch(lines, encoding.vsearch_args()), path
    rng = np.random.default_rng(7)
    records = []
    for i in range(3000):
        n = int(rng.integers(0, 300))
        qual = bytes((rng.integers(2, 42, n) + 33).astype(np.uint8))
        records += [b"@r%d\n" % i, b"A" * n + b"\n", b"+\n", qual + b"\n"]
    table = eestats2(records[3::4])
    assert table == vsearch(records)
    assert table.splitlines()[-1].startswith("   290")  # no row past the longest
    short = [b"@r\n", b"ACGT\n", b"+\n", b"IIII\n"]
    assert eestats2(short[3::4]) == vsearch(short)
    assert (
        eestats2([])
        == vsearch([])
        == ("0 reads\n\nLength" + "         MaxEE {:.2f}" * 3 + "\n------").format(
            0.5, 1.0, 2.0
        )
        + "   ----------------" * 3
        + "\n"
    )
