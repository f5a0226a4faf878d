"""A full disk, for real: results/ on a small tmpfs that fills at several
points of the run. Each time the run stops with one line naming "no space
left" and the folder, keeps nothing incomplete (every file left is the clean
run's, byte for byte), and after the space is freed resumes to results
byte-identical to a clean run. Needs root (mount); skipped without it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import FORWARD, REFERENCE, REVERSE, needs_tools
from test_workflow import make_workdir, snakemake

from gutlung_pipeline.simulate import load_reference, simulate_cohort

pytestmark = [pytest.mark.workflow, needs_tools]
#: the simulated samples hold 400 reads: rarefy below that
DEPTH = {"diversity.rarefaction_depth": 200}


def _mount(path: Path, kib: int, *, remount: bool = False) -> bool:
    opts = f"size={kib}k" + (",remount" if remount else "")
    args = ["mount", "-o", opts] + ([] if remount else ["-t", "tmpfs", "tmpfs"])
    return subprocess.run([*args, str(path)], capture_output=True).returncode == 0


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
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
        # nothing incomplete kept: what is left is the clean run's, byte for byte
        for rel, data in _files(results).items():
            assert rel in expected, rel
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
