"""Faults, for real, on one small cohort against its clean run:

- a full disk: results/ on a small tmpfs that fills at several points of the
  run. Each time the run stops with one line naming "no space left" and the
  folder, keeps nothing incomplete (every file left is the clean run's, byte
  for byte, or a finished read job's temporary outputs, which the resume
  takes), and after the space is freed resumes to results byte-identical
  to a clean run;
- kill -9 of the whole run at several points, then the resume: byte-identical;
- a read-only results/: one line naming the folder before any job;
- two runs at once in one folder: the second is refused by Snakemake (its
  lock, or the first run's outputs marked incomplete), the first ends as a
  clean run does.

The disk tests need root (mount); they are skipped without it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
from conftest import FORWARD, REFERENCE, REVERSE, differs_between_runs, needs_tools
from test_workflow import make_workdir, snakemake, snakemake_command

from gutlung_pipeline.simulate import load_reference, simulate_cohort

pytestmark = [pytest.mark.workflow, needs_tools]
#: the simulated samples hold 400 reads: rarefy below that
DEPTH = {"diversity.rarefaction_depth": 200}


def _mount(path: Path, kib: int, *, remount: bool = False) -> bool:
    opts = f"size={kib}k" + (",remount" if remount else "")
    args = ["mount", "-o", opts] + ([] if remount else ["-t", "tmpfs", "tmpfs"])
    return subprocess.run([*args, str(path)], capture_output=True).returncode == 0


def _files(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` but those that differ by design (start time,
    cutadapt's run time: conftest.differs_between_runs)."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not differs_between_runs(p)
    }


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    base = tmp_path_factory.mktemp("disk")
    probe = base / "probe"
    probe.mkdir()
    if not _mount(probe, 64):
        pytest.skip("mounting a tmpfs needs root")
    subprocess.run(["umount", str(probe)], check=True)
    sheet, _ = simulate_cohort(
        load_reference(REFERENCE),
        base / "data",
        forward=FORWARD,
        reverse=REVERSE,
        n_subjects=2,
        n_controls=2,
        reads_per_sample=400,
        random_state=5,
    )
    work = make_workdir(base / "clean", sheet, **DEPTH)
    proc = snakemake(work)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return base, sheet, _files(work / "results")


@pytest.mark.parametrize("share", [0.05, 0.3, 0.7])
def test_a_full_disk_stops_clearly_keeps_nothing_half_written_and_resumes(clean, share):
    base, sheet, expected = clean
    total_kib = sum(len(b) for b in expected.values()) // 1024
    kib = max(8, int(total_kib * share))
    work = make_workdir(base / f"full{share}", sheet, **DEPTH)
    results = work / "results"
    results.mkdir()
    assert _mount(results, kib)
    try:
        proc = snakemake(work)
        assert proc.returncode != 0, f"the run fitted in {kib} KiB"
        logs = "\n".join(
            p.read_text(errors="replace")
            for p in (work / "logs").rglob("*.log")
            if p.is_file()
        )
        said = [ln for ln in logs.splitlines() if "no space left on device" in ln]
        assert said, (proc.stderr[-2000:], logs[-2000:])
        assert any("results/" in ln and "free space" in ln for ln in said), said
        assert "Traceback" not in logs
        # nothing incomplete kept: what is left is the clean run's, byte for
        # byte, or the temporary outputs of a read job that finished (the
        # clean run deleted them once used: its stats, written by the same
        # job, must be the clean run's, and the resume below, which takes
        # them, must end as the clean run did)
        left = _files(results)
        for rel, data in left.items():
            if rel not in expected:
                temp = re.fullmatch(
                    r"work/(?:(?:derep|mappable|candidates)/(batch\d+)\.fasta"
                    r"|qc/(batch\d+)/[^/]+)",
                    rel,
                )
                assert temp, rel
                stats = f"work/stats/{temp.group(1) or temp.group(2)}/reads.json"
                assert left.get(stats) == expected[stats], rel
                continue
            assert data == expected[rel], f"{rel} differs from the clean run's"
        # free the space: the resume ends where a clean run does
        assert _mount(results, 512 * 1024, remount=True)
        proc = snakemake(work)
        assert proc.returncode == 0, proc.stderr[-3000:]
        got = _files(results)
        assert sorted(got) == sorted(expected)
        for rel, data in expected.items():
            assert got[rel] == data, f"{rel} differs after the resume"
    finally:
        subprocess.run(["umount", "-l", str(results)], check=False)


def _start(work: Path) -> subprocess.Popen:
    """Start the workflow in ``work`` as its own process group."""
    command, env = snakemake_command(work)
    return subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )


@pytest.mark.parametrize(
    "after",
    [
        "results/work/stats",  # inside the per-sample read steps
        "results/asv/asv_table.biom",  # the table written, taxonomy and tree next
        "results/diversity/rarefied_table.biom",  # diversity under way
    ],
)
def test_kill_9_at_any_point_then_the_resume_equals_a_clean_run(clean, after):
    base, sheet, expected = clean
    work = make_workdir(base / f"kill{after.replace('/', '_')}", sheet, **DEPTH)
    proc = _start(work)
    deadline = time.monotonic() + 300
    while not (work / after).exists():
        assert proc.poll() is None, f"the run ended before {after}"
        assert time.monotonic() < deadline, f"no {after} after 300 s"
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    # a killed Snakemake leaves its lock: the README's two commands
    locked = snakemake(work, "--rerun-incomplete")
    assert locked.returncode != 0 and "--unlock" in locked.stderr
    assert snakemake(work, "--unlock").returncode == 0
    resumed = snakemake(work, "--rerun-incomplete")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    got = _files(work / "results")
    assert sorted(got) == sorted(expected)
    for rel, data in expected.items():
        assert got[rel] == data, f"{rel} differs after kill -9 and the resume"


def test_a_read_only_results_folder_is_one_line(clean):
    base, sheet, _ = clean
    work = make_workdir(base / "readonly", sheet, **DEPTH)
    results = work / "results"
    results.mkdir()
    for sub in ("work", "asv"):
        (results / sub).mkdir()
    ok = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(results)],
        capture_output=True,
    )
    if ok.returncode:
        pytest.skip("mounting a tmpfs needs root")
    try:
        proc = snakemake(work)
        assert proc.returncode != 0
        # stopped before any job, with one line
        assert proc.stderr.strip().splitlines()[-1] == (
            f"gutlung-pipeline: error: {results}: cannot write (Read-only file "
            "system); make the folder writable or run from another one"
        ), proc.stderr[-2000:]
        assert "Traceback" not in proc.stderr
        assert not (work / "logs").exists()
    finally:
        subprocess.run(["umount", "-l", str(results)], check=False)


def test_a_second_run_in_the_same_folder_is_locked_out(clean):
    base, sheet, expected = clean
    work = make_workdir(base / "twice", sheet, **DEPTH)
    first = _start(work)
    deadline = time.monotonic() + 120
    while not (work / ".snakemake" / "locks").exists() or not any(
        (work / ".snakemake" / "locks").iterdir()
    ):
        assert first.poll() is None, "the first run ended before it locked"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    second = snakemake(work)
    assert second.returncode != 0
    # Snakemake refuses it by its lock, or, when the first has outputs in
    # the making, by their incomplete marks; either way it writes nothing
    assert any(
        word in second.stderr
        for word in ("LockException", "cannot be locked", "IncompleteFilesException")
    ), second.stderr[-2000:]
    assert first.wait(timeout=600) == 0, first.stderr.read()[-3000:]
    got = _files(work / "results")
    assert got == expected
