"""The read-step wrappers on small simulated data, with the real tools."""

import gzip

import pandas as pd
import pytest
from conftest import FORWARD, REAL, REVERSE, needs_tools

from gutlung_pipeline.denoise import (
    build_table,
    map_samples,
    pool_uniques,
    read_otutab_samples,
    read_tracking,
    remove_chimeras,
    unoise,
)
from gutlung_pipeline.io import read_fasta
from gutlung_pipeline.reads import (
    dereplicate,
    filter_dereplicate,
    filter_reads,
    merge_pairs,
    read_encoding,
    trim_primers,
)
from gutlung_pipeline.tools import ToolError


def test_build_table_known_answer():
    counts = {
        "S1": pd.Series({"a": 3, "c": 1}),
        "S2": pd.Series({"c": 2}),
        "S3": pd.Series(dtype="int64"),
    }
    table = build_table(["a", "b", "c"], counts)
    assert table.index.tolist() == ["a", "c"]  # b has no read
    assert table.to_dict() == {
        "S1": {"a": 3, "c": 1},
        "S2": {"a": 0, "c": 2},
        "S3": {"a": 0, "c": 0},
    }
    with pytest.raises(ValueError, match="sample S1: counts for unknown ASV z"):
        build_table(["a"], {"S1": pd.Series({"z": 1})})


def test_read_tracking_known_answer():
    table = pd.DataFrame({"S1": [3, 1], "S2": [0, 2]}, index=["a", "c"])
    stats = {
        "S1": {"input": 10, "primer_trimmed": 9, "merged": 8, "filtered": 5},
        "S2": {"input": 4, "primer_trimmed": 4, "filtered": 3},
    }
    out = read_tracking(stats, table)
    # pct_merged: 8 of 9 pairs; pct_in_table: 4 of 10 reads
    assert out.loc["S1"].tolist() == [10, 9, 8, 5, 4, 88.89, 40.0]
    assert pd.isna(out.loc["S2", "merged"]) and pd.isna(out.loc["S2", "pct_merged"])
    assert out.loc["S2", "in_table"] == 2


def test_read_otutab_samples_gives_one_series_per_sample(tmp_path):
    (tmp_path / "t.tsv").write_text("#OTU ID\tS1\tS2\nA\t2\t1\nB\t0\t4\n")
    got = read_otutab_samples(tmp_path / "t.tsv")
    assert {s: c.to_dict() for s, c in got.items()} == {
        "S1": {"A": 2, "B": 0},
        "S2": {"A": 1, "B": 4},
    }
    (tmp_path / "e.tsv").write_text("#OTU ID\n")
    assert read_otutab_samples(tmp_path / "e.tsv") == {}


@needs_tools
def test_read_steps_end_to_end_on_one_sample(small_cohort, tmp_path):
    out, sheet, truth = small_cohort
    row = sheet.iloc[0]
    sid = row["sample_id"]
    c1 = trim_primers(
        sid,
        row["fq1"],
        tmp_path / "t1.fq.gz",
        fq2=row["fq2"],
        out2=tmp_path / "t2.fq.gz",
        forward=FORWARD,
        reverse=REVERSE,
    )
    assert c1["input"] == 600 and 580 <= c1["primer_trimmed"] <= 600
    c2 = merge_pairs(
        sid, tmp_path / "t1.fq.gz", tmp_path / "t2.fq.gz", tmp_path / "m.fq"
    )
    assert 0.95 * c1["primer_trimmed"] <= c2["merged"] <= c1["primer_trimmed"]
    c3 = filter_reads(
        sid,
        tmp_path / "m.fq",
        tmp_path / "f.fa",
        max_ee=1.0,
        min_length=200,
        max_length=300,
    )
    assert c3["filter_input"] == c2["merged"]
    filtered = read_fasta(tmp_path / "f.fa")
    assert len(filtered) == c3["filtered"] > 0.5 * c2["merged"]
    assert next(iter(filtered)) == f"sample={sid};r1"
    # primers are gone: merged reads are V4 sequences of the truth
    truth_seqs = set(truth.loc[truth.sample_id == sid, "sequence"])
    exact = sum(s in truth_seqs for s in filtered.values())
    assert exact > 0.6 * len(filtered)
    dereplicate(sid, tmp_path / "f.fa", tmp_path / "d.fa")
    pool_uniques([tmp_path / "d.fa", tmp_path / "d.fa"], tmp_path / "p.fa", min_size=2)
    pooled = read_fasta(tmp_path / "p.fa")
    top = next(iter(pooled))
    assert top.endswith(
        ";size="
        + str(2 * int(next(iter(read_fasta(tmp_path / "d.fa"))).split("=")[-1]))
    )
    unoise(tmp_path / "p.fa", tmp_path / "u.fa", min_size=8)
    counts = remove_chimeras(tmp_path / "u.fa", tmp_path / "n.fa")
    asvs = read_fasta(tmp_path / "n.fa")
    assert counts["asvs"] == len(asvs) > 3
    import hashlib

    assert all(hashlib.md5(s.encode()).hexdigest() == k for k, s in asvs.items())
    map_samples([tmp_path / "d.fa"], tmp_path / "n.fa", tmp_path / "o.tsv")
    mapped = read_otutab_samples(tmp_path / "o.tsv")[sid]
    assert 0.9 * len(filtered) <= mapped.sum() <= len(filtered)
    # mapping the uniques with their sizes counts exactly as mapping every read
    # (the filtered reads carry no size: each counts once)
    map_samples([tmp_path / "f.fa"], tmp_path / "n.fa", tmp_path / "all.tsv")
    pd.testing.assert_series_equal(
        read_otutab_samples(tmp_path / "all.tsv")[sid].sort_index(),
        mapped.sort_index(),
    )


def _vsearch_filter_dereplicate(sample, fastq, work, quality_args=(), **options):
    """What filter_dereplicate replaces: vsearch's filter, then its uniques."""
    lengths = {k: v for k, v in options.items() if k != "max_ee"}
    for kind, max_ee in (("derep", options.get("max_ee", 1.0)), ("mapping", None)):
        reads = work / f"v_{kind}_reads.fa"
        filter_reads(
            sample, fastq, reads, max_ee=max_ee, quality_args=quality_args, **lengths
        )
        dereplicate(sample, reads, work / f"v_{kind}.fa")


@needs_tools
@pytest.mark.parametrize(
    "options",
    [
        {"min_length": 200, "max_length": 300},
        {},
        {"max_ee": 0.5, "min_length": 251, "max_length": 254, "max_ns": 1},
        {"max_ee": 2.0, "trunc_length": 150},
        {"max_ee": 1.0, "trunc_length": 200, "min_length": 180, "max_length": 240},
    ],
)
def test_filter_and_uniques_in_numpy_write_what_vsearch_writes(tmp_path, options):
    """Byte for byte against vsearch 2.22's --fastq_filter then --fastx_uniques:
    DADA2's real MiSeq pairs (sam1) and q2-dada2's (a Moving Pictures
    sample) merged, q2-dada2's real single-end reads as they are, and
    hand-made reads with N, n and R bases, Ns past the cut, a short read and
    tied sizes (order by label)."""
    fq1 = REAL / "dada2_extdata/sam1F.fastq.gz"
    fq2 = REAL / "dada2_extdata/sam1R.fastq.gz"
    merged = tmp_path / "merged.fq"
    merge_pairs("sam1", fq1, fq2, merged)
    q2 = REAL / "q2_dada2"
    q2_merged = tmp_path / "q2_merged.fq"
    pair = q2 / "sample_seqs_paired" / "BAQ2420.2_36_L001_R{}_001.fastq.gz"
    merge_pairs("BAQ2420.2", str(pair).format(1), str(pair).format(2), q2_merged)
    single = tmp_path / "q2_single.fq"
    with gzip.open(q2 / "sample_seqs_single" / "L1S208_10_L001_R1_001.fastq.gz") as fh:
        single.write_bytes(fh.read())
    seq = "ACGTTGCAAC" * 26  # 260 nt
    made = [
        ("a", seq, "I" * 260),
        ("b", seq[:120] + "N" + seq[121:], "I" * 120 + "#" + "I" * 139),
        ("c", seq[:20] + "n" + seq[21:], "I" * 260),
        ("d", seq[:50] + "R" + seq[51:], "I" * 260),
        ("e", seq[:170] + "N" + seq[171:], "I" * 260),  # N past a 150 cut
        ("f", seq[:100], "I" * 100),
        ("g", seq, "5" * 260),  # Q20: 2.6 expected errors
        ("h", seq[:253], "?" * 253),  # Q30: 0.253
        ("i", seq[:253], "?" * 253),
        ("j", seq[:252], "I" * 252),
    ]
    text = "".join(f"@{n}\n{s}\n+\n{q}\n" for n, s, q in made)
    (tmp_path / "made.fq").write_text(text * 3)
    inputs = [("sam1", merged), ("BAQ2420.2", q2_merged), ("L1S208", single)]
    assert read_encoding("L1S208", single).offset == 64
    for name, fastq in [*inputs, ("made", tmp_path / "made.fq")]:
        work = tmp_path / name
        work.mkdir()
        # q2-dada2's single-end reads are Phred+64 (Illumina 1.5)
        encoding = read_encoding(name, fastq)
        quality = encoding.vsearch_args()
        _vsearch_filter_dereplicate(name, fastq, work, quality, **options)
        got = filter_dereplicate(
            name,
            fastq,
            derep=work / "derep.fa",
            mapping=work / "mapping.fa",
            offset=encoding.offset,
            **options,
        )
        for kind in ("derep", "mapping"):
            ours = (work / f"{kind}.fa").read_bytes()
            assert ours == (work / f"v_{kind}.fa").read_bytes(), (name, kind)
        assert got["filtered"] == len(read_fasta(work / "v_mapping_reads.fa"))
        assert got["quality_filtered"] == len(read_fasta(work / "v_derep_reads.fa"))
        assert got["filter_input"] == sum(1 for _ in open(fastq)) // 4
    # the hand-made reads, by hand: without a cut, b, c and e hold an N
    if options == {}:
        assert got == {"filter_input": 30, "filtered": 21, "quality_filtered": 18}


def test_read_sums_by_hand_whatever_the_slices():
    """Expected errors and Ns by hand (an empty read, an N past the cut), the
    same whether the reads are summed one at a time, two, three or all."""
    import numpy as np

    from gutlung_pipeline.reads import _read_sums

    # Q40 = 1e-4, Q20 = 1e-2, Q10 = 0.1 (Phred+33: I, 5, +)
    reads = [("ACGT", "II55"), ("", ""), ("NA", "+I"), ("ACNN", "5555"), ("G", "I")]
    bases = np.frombuffer("".join(s for s, _ in reads).encode(), np.uint8)
    scores = np.frombuffer("".join(q for _, q in reads).encode(), np.uint8)
    length = np.array([len(s) for s, _ in reads])
    whole = {"ee": [0.0202, 0.0, 0.1001, 0.04, 0.0001], "ns": [0, 0, 1, 2, 0]}
    used = np.minimum(length, 3)  # cut to 3: the last N of ACNN and a 5 go
    cut = {"ee": [0.0102, 0.0, 0.1001, 0.03, 0.0001], "ns": [0, 0, 1, 1, 0]}
    for chunk in (1, 2, 3, 4096):
        for is_cut, want in ((False, whole), (True, cut)):
            ee, ns = _read_sums(
                bases,
                scores,
                length,
                used if is_cut else length,
                offset=33,
                cut=is_cut,
                has_n=True,
                chunk=chunk,
            )
            assert ee == pytest.approx(want["ee"], abs=1e-12), (chunk, is_cut)
            assert ns.tolist() == want["ns"], (chunk, is_cut)
    ee, ns = _read_sums(
        bases, scores, length, length, offset=33, cut=False, has_n=False, chunk=2
    )
    assert ns.tolist() == [0] * 5  # told there is no N: none counted
    assert ee == pytest.approx(whole["ee"], abs=1e-12)


def test_filter_and_uniques_in_numpy_known_answer(tmp_path):
    """Sizes, labels and order by hand; a record cut short is named."""
    reads = ["ACGT", "TTTT", "ACGT", "TTTT", "GGGG", "ACGT"]
    quals = ["IIII", "IIII", "IIII", "IIII", "!!!!", "IIII"]  # GGGG: Q0, ee 4
    fq = tmp_path / "r.fq"
    fq.write_text(
        "".join(f"@x\n{s}\n+\n{q}\n" for s, q in zip(reads, quals, strict=True))
    )
    got = filter_dereplicate(
        "S 1", fq, derep=tmp_path / "d.fa", mapping=tmp_path / "m.fa", max_ee=1.0
    )
    assert got == {"filter_input": 6, "filtered": 6, "quality_filtered": 5}
    assert (tmp_path / "m.fa").read_text() == (
        ">sample=S 1;r1;size=3\nACGT\n>sample=S 1;r2;size=2\nTTTT\n"
        ">sample=S 1;r5;size=1\nGGGG\n"
    )
    assert (tmp_path / "d.fa").read_text() == (
        ">sample=S 1;r1;size=3\nACGT\n>sample=S 1;r2;size=2\nTTTT\n"
    )
    fq.write_text("@x\nACGT\n+\n")
    with pytest.raises(ToolError, match="sample S 1: .*ends inside a FASTQ record"):
        filter_dereplicate(
            "S 1", fq, derep=tmp_path / "d.fa", mapping=tmp_path / "m.fa"
        )


@needs_tools
def test_unequal_pairs_fail_with_sample_named(small_cohort, tmp_path):
    out, sheet, _ = small_cohort
    row = sheet.iloc[1]
    with gzip.open(row["fq2"], "rt") as handle:
        lines = handle.read().splitlines()[:-8]
    short = tmp_path / "short_R2.fastq.gz"
    with gzip.open(short, "wt") as handle:
        handle.write("\n".join(lines) + "\n")
    with pytest.raises(
        ToolError, match=r"cutadapt failed on sample P01_lung \(.*\): .*"
    ):
        trim_primers(
            "P01_lung",
            row["fq1"],
            tmp_path / "a.fq.gz",
            fq2=short,
            out2=tmp_path / "b.fq.gz",
            forward=FORWARD,
            reverse=REVERSE,
        )


@needs_tools
def test_truncated_gzip_fails_with_sample_named(small_cohort, tmp_path):
    out, sheet, _ = small_cohort
    data = open(sheet.iloc[0]["fq1"], "rb").read()
    cut = tmp_path / "cut_R1.fastq.gz"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(ToolError, match="cutadapt failed on sample P01_gut"):
        trim_primers(
            "P01_gut", cut, tmp_path / "a.fq.gz", forward=FORWARD, reverse=REVERSE
        )


def test_missing_tool_is_one_line(monkeypatch):
    from gutlung_pipeline import tools

    monkeypatch.setattr(tools.shutil, "which", lambda name: None)
    with pytest.raises(ToolError, match="^vsearch not found on PATH; install it"):
        tools.run_tool(["vsearch", "--version"], context="x")


@needs_tools
def test_sample_without_reads_counts_zero(tmp_path):
    empty = tmp_path / "e.fq"
    empty.write_text("")
    assert merge_pairs("E", empty, empty, tmp_path / "m.fq") == {"merged": 0}
    counts = filter_reads("E", tmp_path / "m.fq", tmp_path / "f.fa")
    assert counts == {"filter_input": 0, "filtered": 0}
    assert (tmp_path / "f.fa").read_text() == ""


@needs_tools
def test_primers_not_in_reads_keeps_every_read(small_cohort, tmp_path):
    """EMP-style reads start after the primer: with in_reads=False nothing is
    required, so reads whose primer was cut off beforehand all stay; with the
    default they would all be discarded."""
    import gzip

    out, sheet, _ = small_cohort
    row = sheet.iloc[0]
    trim_primers(
        "s", row["fq1"], tmp_path / "a.fq.gz", forward=FORWARD, reverse=REVERSE
    )
    # a.fq.gz: single-end reads without their forward primer (cut above)
    kept = trim_primers(
        "s",
        tmp_path / "a.fq.gz",
        tmp_path / "b.fq.gz",
        forward=FORWARD,
        reverse=REVERSE,
        in_reads=False,
    )
    assert kept["input"] == kept["primer_trimmed"] > 500
    with (
        gzip.open(tmp_path / "a.fq.gz", "rt") as a,
        gzip.open(tmp_path / "b.fq.gz", "rt") as b,
    ):
        first_a, first_b = a.readlines()[1], b.readlines()[1]
    assert first_b.strip() and first_a.startswith(first_b.strip()[:50])
    required = trim_primers(
        "s",
        tmp_path / "a.fq.gz",
        tmp_path / "c.fq.gz",
        forward=FORWARD,
        reverse=REVERSE,
    )
    assert required["primer_trimmed"] < 0.05 * required["input"]


@needs_tools
def test_a_batch_of_samples_writes_what_each_sample_alone_writes(
    small_cohort, tmp_path
):
    from gutlung_pipeline.reads import sample_batch

    _, sheet, _ = small_cohort
    rows = [(r.sample_id, r.fq1, r.fq2) for r in sheet.head(3).itertuples()]
    options = {
        "forward": FORWARD,
        "reverse": REVERSE,
        "min_length": 200,
        "max_length": 300,
        "candidate_min_size": 2,
    }
    kinds = ("derep", "mapping", "candidates")

    def run(batch, folder, threads):
        folder.mkdir()
        files = {kind: folder / f"{kind}.fasta" for kind in kinds}
        counts = sample_batch(batch, **files, threads=threads, **options)
        return counts, {kind: files[kind].read_bytes() for kind in kinds}

    counts, joined = run(rows, tmp_path / "batch", threads=2)
    assert [c["sample"] for c in counts] == [r[0] for r in rows]
    alone = [
        run([row], tmp_path / f"alone{k}", threads=1) for k, row in enumerate(rows)
    ]
    assert counts == [c for one, _ in alone for c in one]
    for kind in kinds:  # the samples' files, joined in the order given
        assert joined[kind] == b"".join(files[kind] for _, files in alone)
    assert joined["derep"].count(b">sample=") > 3
    assert all(0 < c["quality_filtered"] <= c["filtered"] for c in counts)

    # a failing sample stops the batch with its own error; nothing is written
    broken = tmp_path / "broken_R1.fastq.gz"
    broken.write_bytes(gzip.compress(b"@r1\nACGT\n+\nII\n"))
    bad = [rows[0], ("bad_one", str(broken), rows[1][2])]
    folder = tmp_path / "failed"
    folder.mkdir()
    with pytest.raises(ToolError, match="sample bad_one"):
        sample_batch(
            bad,
            derep=folder / "d.fasta",
            mapping=folder / "m.fasta",
            threads=2,
            forward=FORWARD,
            reverse=REVERSE,
        )
    assert list(folder.iterdir()) == []
    with pytest.raises(ValueError, match="given twice"):
        sample_batch(
            [rows[0], rows[0]],
            derep=folder / "d",
            mapping=folder / "m",
            forward=FORWARD,
            reverse=REVERSE,
        )


@needs_tools
def test_cutadapt_in_this_process_writes_what_the_program_writes(
    small_cohort, tmp_path
):
    """run_cutadapt (cutadapt's own entry point, in this process) against the
    cutadapt program with the same options: the same trimmed reads and the
    same report lines; the root logger is given back as it was, and the
    job's log does not get cutadapt's report."""
    import logging
    import subprocess
    import sys
    from pathlib import Path

    from gutlung_pipeline.reads import run_cutadapt

    _, sheet, _ = small_cohort
    row = sheet.iloc[0]
    common = ["-e", "0.1", "-j", "1", "--discard-untrimmed", "-g", f"1={FORWARD}"]
    common += ["-G", f"2={REVERSE}", "--pair-filter=any"]

    def outputs(folder):
        return ["-o", folder / "1.fq", "-p", folder / "2.fq", row["fq1"], row["fq2"]]

    (tmp_path / "program").mkdir()
    (tmp_path / "here").mkdir()
    program = Path(sys.executable).parent / "cutadapt"
    done = subprocess.run(
        [program, *common, *outputs(tmp_path / "program")],
        check=True,
        capture_output=True,
        text=True,
    )
    root = logging.getLogger()
    seen: list[str] = []
    catch = logging.Handler()
    catch.emit = lambda record: seen.append(record.getMessage())
    root.addHandler(catch)
    before = root.handlers[:], root.level
    try:
        run_cutadapt(
            [*common, *outputs(tmp_path / "here")],
            context="sample s",
            stdout_to=tmp_path / "report.txt",
        )
    finally:
        after = root.handlers[:], root.level
        root.removeHandler(catch)
    assert after == before
    assert not any("Total read pairs processed" in line for line in seen)
    for name in ("1.fq", "2.fq"):
        mine = (tmp_path / "here" / name).read_bytes()
        assert mine == (tmp_path / "program" / name).read_bytes()
        assert mine.count(b"\n") > 400
    report = (tmp_path / "report.txt").read_text()

    def summary(text):  # the report from its counts on (paths and times differ)
        return text[text.index("=== Summary ===") :].splitlines()

    assert summary(report) == summary(done.stdout)
    assert report.startswith("This is cutadapt ")
    # trim_primers names the primers as the program does, whatever ran before
    for k in range(2):
        (tmp_path / f"qc{k}").mkdir()
        trim_primers(
            "s",
            row["fq1"],
            tmp_path / f"t{k}_1.fq",
            fq2=row["fq2"],
            out2=tmp_path / f"t{k}_2.fq",
            forward=FORWARD,
            reverse=REVERSE,
            qc_dir=tmp_path / f"qc{k}",
        )
        text = (tmp_path / f"qc{k}" / "s.cutadapt.log").read_text()
        assert "=== First read: Adapter 1 ===" in text
        assert "=== Second read: Adapter 2 ===" in text
        assert summary(text) == summary(done.stdout)

    # a fault: cutadapt's own line, the outputs removed, the logger given back
    broken = tmp_path / "broken_R1.fastq.gz"
    broken.write_bytes(gzip.compress(b"@r1\nACGT\n+\nII\n"))
    with pytest.raises(ToolError, match=r"^cutadapt failed on sample b: .*"):
        run_cutadapt(
            ["-o", tmp_path / "b1.fq", "-p", tmp_path / "b2.fq", broken, row["fq2"]],
            context="sample b",
            outputs=[tmp_path / "b1.fq", tmp_path / "b2.fq"],
        )
    assert not (tmp_path / "b1.fq").exists() and not (tmp_path / "b2.fq").exists()
    assert (root.handlers, root.level) == (before[0][:-1], before[1])


def _dies(*args):
    """A sample that kills its worker process (as the kernel's OOM killer would)."""
    import os

    os._exit(3)


def test_a_worker_that_dies_is_named_with_its_batch(
    small_cohort, tmp_path, monkeypatch
):
    from gutlung_pipeline import reads

    _, sheet, _ = small_cohort
    rows = [(r.sample_id, r.fq1, r.fq2) for r in sheet.head(2).itertuples()]
    monkeypatch.setattr(reads, "_one_sample", _dies)
    with pytest.raises(
        ToolError,
        match=f"^a worker process of the batch of samples {rows[0][0]}, "
        f"{rows[1][0]} died before it finished",
    ):
        reads.sample_batch(
            rows,
            derep=tmp_path / "d.fasta",
            mapping=tmp_path / "m.fasta",
            threads=2,
            forward=FORWARD,
            reverse=REVERSE,
        )
    assert not (tmp_path / "d.fasta").exists()


def test_pooled_floor_grows_with_the_reads():
    from gutlung_pipeline.denoise import pooled_min_size

    assert pooled_min_size(2, 1, 456_000) == 2  # 0.46 reads a million: min_size
    assert pooled_min_size(2, 1, 6_269_015) == 7  # ceil(6.27)
    assert pooled_min_size(2, 1, 3_000_001) == 4
    assert pooled_min_size(2, 0, 10**9) == 2  # off
    assert pooled_min_size(8, 1, 10) == 8
    assert pooled_min_size(2, 0.5, 10_000_000) == 5


@needs_tools
def test_pool_uniques_command_applies_the_floor_from_the_read_counts(tmp_path, capfd):
    """Two batches whose stats say 3,000,001 reads: the floor is 4, so a
    unique of 3 pooled reads goes, one of 4 stays; without --stats it is
    min_size."""
    import json

    from gutlung_pipeline.cli import main

    a, b = "ACGT" * 60, "TTGCA" * 50
    (tmp_path / "b1.fa").write_text(
        f">sample=S1;r1;size=2\n{a}\n>sample=S1;r2;size=1\n{b}\n"
    )
    (tmp_path / "b2.fa").write_text(
        f">sample=S2;r1;size=1\n{b}\n>sample=S2;r5;size=2\n{a}\n"
    )
    (tmp_path / "b1.json").write_text(
        json.dumps([{"sample": "S1", "quality_filtered": 3_000_000}])
    )
    (tmp_path / "b2.json").write_text(
        json.dumps([{"sample": "S2", "quality_filtered": 1}])
    )
    common = [
        "pool-uniques",
        "--inputs",
        str(tmp_path / "b1.fa"),
        str(tmp_path / "b2.fa"),
    ]
    main(
        [
            *common,
            "--output",
            str(tmp_path / "p.fa"),
            "--min-size",
            "2",
            "--stats",
            str(tmp_path / "b1.json"),
            str(tmp_path / "b2.json"),
        ]
    )
    assert read_fasta(tmp_path / "p.fa") == {"sample=S1;r1;size=4": a}
    said = capfd.readouterr().err
    assert "pooled floor: 4 reads (1 a million of 3000001 reads" in said
    main([*common, "--output", str(tmp_path / "q.fa"), "--min-size", "2"])
    assert set(read_fasta(tmp_path / "q.fa").values()) == {a, b}


@needs_tools
@pytest.mark.parametrize("collide", [False, True])
def test_pooling_streams_only_what_may_reach_the_floor(tmp_path, monkeypatch, collide):
    """pool_uniques with a floor streams vsearch only the records of sequences
    that may reach it, and writes the file that streaming every record writes:
    sequences shared across files, summing to the floor exactly or one short,
    in lower case or with U (vsearch's own equality), a header without a
    size, files with nothing kept; and with every hash colliding (a total is
    then an over-count: everything is streamed, and vsearch drops the rest)."""
    import importlib
    import subprocess

    import numpy as np

    # the module (the package's ``unoise`` is its function)
    module = importlib.import_module("gutlung_pipeline.denoise.unoise")

    rng = np.random.default_rng(5)
    pool = ["".join(rng.choice(list("ACGT"), 40)) for _ in range(60)]
    files = []
    for k in range(6):
        lines = []
        for j in rng.choice(60, size=25, replace=False):
            seq = pool[j]
            if rng.random() < 0.2:
                seq = seq.lower()
            if rng.random() < 0.1:
                seq = seq.replace("T", "U")
            size = int(rng.integers(1, 4))
            lines.append(f">s{k};r{j};size={size}\n{seq}\n")
        files.append(tmp_path / f"d{k}.fa")
        files[-1].write_text("".join(lines))
    # a sequence of 2 + 2 reads (the floor, 4) and one of 2 + 1 (one short)
    files.append(tmp_path / "extra.fa")
    files[-1].write_text(
        f">x;size=2\n{'A' * 30}\n>y;size=2\n{'C' * 30}\n>z\n{'G' * 30}\n"
    )
    files.append(tmp_path / "extra2.fa")
    files[-1].write_text(f">x2;size=2\n{'a' * 30}\n>y2;size=1\n{'C' * 30}\n")
    files.append(tmp_path / "rare.fa")
    files[-1].write_text(f">r;size=1\n{'T' * 35}\n>r2;size=4\n{'T' * 36}")  # no \\n
    if collide:
        monkeypatch.setattr(
            module,
            "_sequence_hashes",
            lambda data, starts, ends: np.zeros(len(starts) // 2, np.uint64),
        )
    streamed = b"".join(module.pooled_candidates(files, 4))
    # the first pass on three threads: the same records, in the same order
    assert b"".join(module.pooled_candidates(files, 4, threads=3)) == streamed
    everything = b"".join(f.read_bytes().rstrip(b"\n") + b"\n" for f in files)
    assert (
        (len(streamed) == len(everything))
        if collide
        else len(streamed) < len(everything)
    )
    module.pool_uniques(files, tmp_path / "pooled.fa", min_size=4)
    whole = subprocess.run(
        ["vsearch", "--fastx_uniques", "-", "--sizein", "--sizeout"]
        + ["--minuniquesize", "4", "--fastaout", "-", "--fasta_width", "0", "--quiet"],
        input=everything,
        capture_output=True,
        check=True,
    ).stdout
    assert (tmp_path / "pooled.fa").read_bytes() == whole
    assert b"size=4\n" + b"A" * 30 in whole and b"C" * 30 not in whole


@needs_tools
def test_pooling_a_broken_file_stops_naming_it_and_writes_nothing(tmp_path):
    """A uniques file that is not one line a sequence (a header without its
    sequence) stops the pooling in one line naming it, before vsearch
    starts, and no pooled file is left."""
    good = tmp_path / "a.fa"
    good.write_text(f">a;size=3\n{'A' * 30}\n")
    bad = tmp_path / "b.fa"
    bad.write_text(f">b;size=3\n{'C' * 30}\n>c;size=2\n")
    out = tmp_path / "pooled.fa"
    with pytest.raises(ToolError, match=r"b\.fa: not a FASTA file of one line a"):
        pool_uniques([good, bad], out, min_size=2)
    assert not out.exists()


def test_pooling_reads_each_headers_own_size(tmp_path):
    """The first pass reads each header's first ;size= (1 without one), also
    when one header lacks it and another holds two."""
    import importlib

    module = importlib.import_module("gutlung_pipeline.denoise.unoise")
    path = tmp_path / "u.fa"
    path.write_text(">a;size=5\nACGT\n>b\nACGA\n>c;size=7;x;size=2\nacgu\n")
    hashes, sizes = module._hashes_and_sizes(path)
    assert sizes.tolist() == [5, 1, 7]
    assert hashes[2] == hashes[0] and hashes[1] != hashes[0]  # acgu is ACGT
    path.write_text(">a;size=5\nACGT\n>c;size=7\nAC\n")
    assert module._hashes_and_sizes(path)[1].tolist() == [5, 7]


@needs_tools
def test_pooling_real_reads_writes_what_streaming_everything_writes(tmp_path):
    """Uniques of real MiSeq reads (DADA2's and q2-dada2's forward reads,
    dereplicated per file as the read steps do): the pooled file at floors
    2 and 3 is the one vsearch writes from every record."""
    import subprocess

    files = sorted(REAL.glob("*/*F.fastq.gz")) + sorted(REAL.glob("*/*/*R1*.fastq.gz"))
    assert len(files) >= 4
    derep = []
    for k, path in enumerate(files):
        out = tmp_path / f"d{k}.fa"
        filter_dereplicate(
            f"s{k}",
            gzip.decompress(path.read_bytes()),
            derep=out,
            mapping=tmp_path / f"m{k}.fa",
            max_ee=None,
        )
        derep.append(out)
    everything = b"".join(p.read_bytes() for p in derep)
    for floor in (2, 3):
        pool_uniques(derep, tmp_path / "pooled.fa", min_size=floor)
        whole = subprocess.run(
            ["vsearch", "--fastx_uniques", "-", "--sizein", "--sizeout"]
            + ["--minuniquesize", str(floor), "--fastaout", "-"]
            + ["--fasta_width", "0", "--quiet"],
            input=everything,
            capture_output=True,
            check=True,
        ).stdout
        assert whole.count(b">") > 10
        assert (tmp_path / "pooled.fa").read_bytes() == whole
