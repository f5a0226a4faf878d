"""Write errors are said as such: a full disk or a read-only folder is one
line naming the folder and the fix, never a traceback; a tool that reports no
space (even exiting 0) fails and leaves nothing half written."""

import contextlib
import errno
import os
import re
import shutil
from pathlib import Path

import pytest

from gutlung_pipeline.cli import main
from gutlung_pipeline.tools import ToolError, mount_point, run_tool


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (
            errno.ENOSPC,
            "no space left on device in {disk} (writing in {folder}); free space "
            "there and rerun (finished steps are kept, nothing half written is)",
        ),
        (
            errno.EROFS,
            "cannot write in {folder} (Read-only file system); make the folder "
            "writable or run from another one",
        ),
        (
            errno.EIO,
            "input/output error in {folder}: the disk or network file system "
            "failed a read or write; check it (dmesg, the file server) and rerun "
            "(finished steps are kept, nothing half written is)",
        ),
    ],
)
def test_a_write_error_is_one_line_naming_the_folder(
    tmp_path, monkeypatch, capsys, code, message
):
    import gutlung_pipeline.io as io

    (tmp_path / "d.tsv").write_text("\ta\tb\na\t0\t1\nb\t1\t0\n")
    target = tmp_path / "out" / "p.txt"

    @contextlib.contextmanager
    def failing(path):
        raise OSError(code, os.strerror(code), str(target))
        yield  # pragma: no cover

    monkeypatch.setattr(io, "atomic_path", failing)
    args = ["pcoa", "--input", str(tmp_path / "d.tsv"), "--output", str(target)]
    assert main(args) == 1
    err = capsys.readouterr().err.strip()
    from gutlung_pipeline.tools import mount_point

    disk = mount_point(tmp_path)
    assert err == "gutlung pcoa: error: " + message.format(
        folder=tmp_path / "out", disk=disk
    )
    assert not target.exists()


def test_a_tool_that_reports_no_space_fails_even_when_it_exits_0(tmp_path, monkeypatch):
    tool = tmp_path / "bin" / "faketool"
    tool.parent.mkdir()
    tool.write_text(
        "#!/bin/sh\necho 'Unable to write: No space left on device' >&2\nexit 0\n"
    )
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tool.parent}{os.pathsep}{os.environ['PATH']}")
    out = tmp_path / "work" / "merged.fastq"
    out.parent.mkdir()
    out.write_text("@r\nACGT\n+\nIIII\n")  # what the tool managed to write
    with pytest.raises(ToolError) as err:
        run_tool(["faketool"], context="sample S1", outputs=[out])
    assert str(err.value) == (
        f"faketool ran out of disk space on sample S1: no space left on device in "
        f"{mount_point(out.parent)}; free space there and rerun (finished steps are "
        "kept)"
    )
    assert not out.exists()


def test_counts_must_add_up_after_each_tool(tmp_path):
    """What a tool reports and what its file holds must agree: a FASTQ cut
    short (as a tool leaves it on a full disk, exiting 0) stops the sample."""
    from gutlung_pipeline.reads import check_written, count_records, size_total

    fastq = tmp_path / "t1.fastq"
    fastq.write_text("@a\nACGT\n+\nIIII\n@b\nACGA\n+\nIIII\n")
    assert count_records(fastq, fastq=True) == 2
    fasta = tmp_path / "f.fasta"
    fasta.write_text(">a\nACGT\n>b\nAC\nGA\n>c\nA\n")
    assert count_records(fasta, fastq=False) == 3
    derep = tmp_path / "d.fasta"
    derep.write_text(">sample=S1;size=7\nACGT\n>sample=S1;size=2\nACGA\n")
    assert size_total(derep) == 9
    check_written("S1", "cutadapt", 2, 2, fastq)
    with pytest.raises(ToolError) as err:
        check_written("S1", "vsearch --fastq_mergepairs", 1200, 845, tmp_path / "m.fq")
    assert str(err.value) == (
        "vsearch --fastq_mergepairs on sample S1 reported 1200 reads but m.fq holds "
        "845: the output is incomplete (a full disk?); free space and rerun"
    )


def test_a_short_file_on_a_full_disk_says_no_space_left(tmp_path, monkeypatch):
    """vsearch exits 0 on a full disk: when the file system has no room for
    the reads missing from the file, the line says so and names the mount
    point, as a tool that reports the full disk does."""
    import os
    from types import SimpleNamespace

    from gutlung_pipeline.reads import check_written
    from gutlung_pipeline.tools import mount_point

    merged = tmp_path / "merged.fastq"
    merged.write_text("@a\nACGT\n+\nIIII\n" * 260)  # 15 bytes a read
    real = os.statvfs

    def free(nbytes):
        return lambda p: SimpleNamespace(f_bavail=nbytes, f_frsize=1)

    monkeypatch.setattr(os, "statvfs", free(15 * 140 - 1))
    with pytest.raises(ToolError) as err:
        check_written("P02_gut", "vsearch --fastq_mergepairs", 400, 260, merged)
    assert str(err.value) == (
        "vsearch --fastq_mergepairs on sample P02_gut reported 400 reads but "
        "merged.fastq holds 260: no space left on device in "
        f"{os.path.join(mount_point(tmp_path), '')} "
        "(the tool did not say so); free space there and rerun (finished steps are "
        "kept)"
    )
    # room for the missing reads: not a full disk, the cause stays a guess
    monkeypatch.setattr(os, "statvfs", free(15 * 140))
    with pytest.raises(ToolError, match="incomplete \\(a full disk\\?\\)"):
        check_written("P02_gut", "vsearch --fastq_mergepairs", 400, 260, merged)
    monkeypatch.setattr(os, "statvfs", real)


def test_a_truncated_merge_stops_the_sample(tmp_path, monkeypatch):
    """vsearch 'merges' and exits 0 but fewer reads than it reported come
    through (what it writes is cut short): sample_reads stops naming the
    sample and the step, and writes neither uniques file. The merged reads
    reach the filter through a pipe, never a file, so a full disk cannot
    cut them short (the battery's full-disk case)."""
    from conftest import FORWARD, REFERENCE, REVERSE

    import gutlung_pipeline.reads as reads
    from gutlung_pipeline.simulate import load_reference, simulate_cohort

    sheet, _ = simulate_cohort(
        load_reference(REFERENCE),
        tmp_path / "data",
        forward=FORWARD,
        reverse=REVERSE,
        n_subjects=1,
        reads_per_sample=200,
        random_state=4,
    )
    # the real vsearch, its standard output cut to 20,000 bytes (a few dozen reads)
    real = shutil.which("vsearch")
    fake = tmp_path / "bin" / "vsearch"
    fake.parent.mkdir()
    fake.write_text(
        f'#!/bin/sh\n"{real}" "$@" | {{ head -c 20000; cat >/dev/null; }}\n'
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    row = sheet.iloc[0]
    with pytest.raises(ToolError) as err:
        reads.sample_reads(
            row["sample_id"],
            row["fq1"],
            row["fq2"],
            derep=tmp_path / "d.fa",
            mapping=tmp_path / "m.fa",
            forward=FORWARD,
            reverse=REVERSE,
            min_length=200,
            max_length=300,
            trunc_lengths="none",
        )
    assert re.fullmatch(
        rf"vsearch --fastq_mergepairs on sample {row['sample_id']} \(\S+"
        rf"{row['sample_id']}\.fastq, \S+{row['sample_id']}\.mate2\.fastq\) "
        r"reported \d+ reads but passed on \d+: its output is incomplete; "
        "rerun, and report it if it recurs",
        str(err.value),
    ), err.value
    assert not (tmp_path / "d.fa").exists() and not (tmp_path / "m.fa").exists()


def test_a_write_through_a_handle_still_names_a_folder(tmp_path, monkeypatch, capsys):
    """ENOSPC raised through a file handle names no file: atomic_path names
    the file it was writing; an error outside it names the command's output
    folder as the likely place."""
    import gutlung_pipeline.io as io

    (tmp_path / "d.tsv").write_text("\ta\tb\na\t0\t1\nb\t1\t0\n")
    target = tmp_path / "out" / "p.txt"
    real = io.atomic_path

    @contextlib.contextmanager
    def handle_error(path):
        with real(path) as tmp:
            yield tmp
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))  # no filename

    monkeypatch.setattr(io, "atomic_path", handle_error)
    args = ["pcoa", "--input", str(tmp_path / "d.tsv"), "--output", str(target)]
    assert main(args) == 1
    err = capsys.readouterr().err.strip()
    assert f"(writing in {tmp_path / 'out'}); free space there" in err, err
    assert not target.exists()

    def no_name(*_, **__):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(io, "atomic_path", no_name)
    assert main(args) == 1
    err = capsys.readouterr().err.strip()
    assert err.endswith(
        f"(writing in {tmp_path / 'out'} or a folder beside it); free space there "
        "and rerun (finished steps are kept, nothing half written is)"
    ), err


def test_write_bytes_names_the_file(tmp_path, monkeypatch):
    from gutlung_pipeline.io import write_bytes

    def full(self, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(Path, "write_bytes", full)
    with pytest.raises(OSError) as err:
        write_bytes(tmp_path / "x.fastq", b"@r\nA\n+\nI\n")
    assert err.value.filename == str(tmp_path / "x.fastq")
    assert err.value.errno == errno.ENOSPC
