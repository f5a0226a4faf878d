"""The workflow on a real Slurm (munged, slurmctld, slurmd from Debian's
slurm-wlm) through `--profile workflow/profiles/slurm`, Snakemake's slurm
executor plugin doing the submitting. `make test-slurm` runs only this; `make
test` runs it where the machine allows (root, no Slurm of its own)."""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml
from conftest import (
    FORWARD,
    REFERENCE,
    REPO,
    REVERSE,
    differs_between_runs,
    needs_tools,
)
from slurm_cluster import start, stop, why_unavailable
from test_workflow import make_workdir, snakemake

from gutlung_pipeline.simulate import load_reference, simulate_cohort

pytestmark = [pytest.mark.workflow, needs_tools]
PROFILE = REPO / "workflow" / "profiles" / "slurm"
LOCAL_RULES = {"default", "all", "fetch_run", "acquisition"}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    reason = why_unavailable()
    if reason:
        pytest.skip(f"no test Slurm cluster here: {reason}")
    root = tmp_path_factory.mktemp("slurm")
    try:
        yield start(root)
    finally:
        stop(root)


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    out = tmp_path_factory.mktemp("slurm_data")
    sheet, _ = simulate_cohort(
        load_reference(REFERENCE),
        out,
        forward=FORWARD,
        reverse=REVERSE,
        n_subjects=3,
        reads_per_sample=1500,
        random_state=5,
    )
    return sheet


def job_stats(stderr: str) -> dict[str, int]:
    """Snakemake's "Job stats" table: jobs per rule."""
    block = stderr.split("Job stats:", 1)[1].split("total", 1)[0]
    return {
        m.group(1): int(m.group(2))
        for m in re.finditer(r"^(\w+)\s+(\d+)\s*$", block, re.M)
    }


@pytest.fixture(scope="module")
def slurm_run(cluster, cohort, tmp_path_factory):
    work = make_workdir(
        tmp_path_factory.mktemp("slurm_run"),
        cohort,
        **{"diversity.rarefaction_depth": 500, "denoise.samples_per_job": 2},
    )
    proc = snakemake(
        work,
        "--profile",
        str(PROFILE),
        # the test node's CPUs; squeue for job states (no accounting database)
        "--max-threads",
        str(os.cpu_count()),
        "--slurm-status-command",
        "squeue",
        "--slurm-init-seconds-before-status-checks",
        "1",
        "--seconds-between-status-checks",
        "2",
        "--slurm-keep-successful-logs",
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return work, proc


def slurm_jobs(work: Path) -> dict[str, str]:
    """Slurm job ID -> rule, from the plugin's per-job logs."""
    logs = work / ".snakemake" / "slurm_logs"
    return {
        log.stem: log.relative_to(logs).parts[0].removeprefix("rule_")
        for log in logs.rglob("*.log")
    }


def test_every_job_but_the_local_rules_ran_through_sbatch(cluster, slurm_run):
    work, proc = slurm_run
    stats = job_stats(proc.stderr)
    remote = {rule: n for rule, n in stats.items() if rule not in LOCAL_RULES}
    # 6 samples, 2 a job: 3 jobs, rounded up to a multiple of threads (2)
    assert remote.get("sample_reads") == 4 and "build_tree" in remote
    by_job = slurm_jobs(work)
    assert Counter(by_job.values()) == remote
    # Slurm's own record: each of those jobs completed, in this working folder
    done = {
        job["JobId"]: job
        for job in cluster.completed_jobs()
        if job.get("WorkDir") == str(work)
    }
    assert set(by_job) <= set(done)
    assert {done[j]["JobState"] for j in by_job} == {"COMPLETED"}


def test_the_profiles_threads_memory_and_runtime_reach_sbatch(cluster, slurm_run):
    work, _ = slurm_run
    profile = yaml.safe_load((PROFILE / "config.yaml").read_text())
    done = {job["JobId"]: job for job in cluster.completed_jobs()}
    cpus = min(profile["set-threads"]["remove_chimeras"], os.cpu_count())
    seen = set()
    for job_id, rule in slurm_jobs(work).items():
        tres = dict(kv.split("=") for kv in done[job_id]["Tres"].split(","))
        if rule == "sample_reads":  # two samples a job, side by side
            sample_cpus = min(profile["set-threads"]["sample_reads"], os.cpu_count())
            assert (tres["cpu"], tres["mem"]) == (str(sample_cpus), "1000M")
            assert done[job_id]["TimeLimit"] == "10"  # 10 + input MB // 10
        elif rule == "remove_chimeras":
            assert (tres["cpu"], tres["mem"]) == (str(cpus), "4000M")
        elif rule == "alpha_diversity":  # the curves' depths side by side
            alpha_cpus = min(profile["set-threads"]["alpha_diversity"], os.cpu_count())
            assert (tres["cpu"], tres["mem"]) == (str(alpha_cpus), "2000M")
            assert done[job_id]["TimeLimit"] == "30"
        elif rule in ("compute_scfa", "decontaminate"):
            # the profile's defaults
            assert (tres["cpu"], tres["mem"]) == ("1", "2000M")
            assert done[job_id]["TimeLimit"] == "30"
        else:
            continue
        seen.add(rule)
    assert seen == {
        "sample_reads",
        "remove_chimeras",
        "compute_scfa",
        "alpha_diversity",
        "decontaminate",
    }


def test_results_equal_a_local_run(slurm_run, cohort, tmp_path):
    work, _ = slurm_run
    local = make_workdir(
        tmp_path / "local",
        cohort,
        **{"diversity.rarefaction_depth": 500, "denoise.samples_per_job": 2},
    )
    proc = snakemake(local)
    assert proc.returncode == 0, proc.stderr[-3000:]
    # provenance.json holds each run's start time, cutadapt's text reports its
    # run time: everything else must agree
    files = sorted(
        p.relative_to(local)
        for p in (local / "results").rglob("*")
        if p.is_file() and "report" not in p.parts and not differs_between_runs(p)
    )
    assert len(files) > 30
    for rel in files:
        assert (work / rel).read_bytes() == (local / rel).read_bytes(), rel
    assert (
        sorted(
            p.relative_to(work)
            for p in (work / "results").rglob("*")
            if p.is_file() and "report" not in p.parts and not differs_between_runs(p)
        )
        == files
    )
