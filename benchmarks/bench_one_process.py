"""The steps after the ASV table: one process per step, or one preloaded process.

Usage: python benchmarks/bench_one_process.py --workdir DIR [--cores 2]

``DIR`` is a run ``bench_workflow.py`` finished (its ``--workdir``). Asks
Snakemake (a dry run forcing ``assign_taxonomy`` and ``align_asvs``) for every
job after the table, with its command, threads, priority, inputs and outputs,
and runs them twice in the workflow's order, at most ``--cores`` threads at a
time, highest priority first, without Snakemake:

1. each job as its own process, the way the workflow runs it;
2. each ``gutlung`` job forked from this process after it has imported
   pandas, SciPy, scikit-bio, statsmodels, matplotlib and the package once
   (MAFFT still runs as a program).

Prints wall and CPU seconds of each (the second with its import seconds
apart) and each job's start and end, and stops if the two runs wrote
different files. It measures what a single analysis job after the table
would save (every process's imports) against what the workflow's one job per
step costs; the workflow itself is unchanged.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import resource
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from reads_config import workflow_command

FORCED = ("assign_taxonomy", "align_asvs")
PRELOAD = (
    "numpy",
    "pandas",
    "scipy.stats",
    "skbio",
    "biom",
    "statsmodels.api",
    "matplotlib.pyplot",
    "gutlung_pipeline.cli",
    "gutlung_pipeline.claims.run",
    "gutlung_pipeline.decontam",
    "gutlung_pipeline.diversity",
    "gutlung_pipeline.phylogeny",
    "gutlung_pipeline.report.build",
    "gutlung_pipeline.scfa",
    "gutlung_pipeline.stats",
    "gutlung_pipeline.taxonomy",
)


@dataclass
class Job:
    """One job of the dry run."""

    rule: str
    command: str = ""
    threads: int = 1
    priority: int = 0
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)


def planned_jobs(work: Path, cores: int) -> list[Job]:
    """The jobs after the table, from Snakemake's dry run in ``work``."""
    proc = subprocess.run(
        [
            *map(str, workflow_command(work, cores)),
            "--dry-run",
            "--printshellcmds",
            "--forcerun",
            *FORCED,
        ],
        capture_output=True,
        text=True,
    )
    if proc.returncode:
        sys.exit(f"snakemake's dry run failed in {work}:\n{proc.stderr[-2000:]}")
    jobs, job = [], None
    for line in proc.stdout.splitlines():
        if m := re.match(r"(?:local)?rule (\w+):$", line):
            job = Job(m[1])
            jobs.append(job)
        elif job is None:
            continue
        elif line.startswith("Shell command: "):
            job.command = line.removeprefix("Shell command: ")
        elif m := re.match(r"\s+(input|output|threads|priority): (.*)$", line):
            key, value = m[1], m[2]
            if key in ("input", "output"):
                getattr(job, key + "s").extend(value.split(", "))
            else:
                setattr(job, key, int(value))
    jobs = [j for j in jobs if j.command and j.command != "None"]
    if not any(j.rule == "make_report" for j in jobs):
        sys.exit(f"no make_report job in the dry run of {work}: finish the run first")
    return jobs


def dependencies(jobs: list[Job]) -> dict[str, set[str]]:
    """Each job's rule: the rules whose outputs it reads (or reads inside)."""
    made = {out: j.rule for j in jobs for out in j.outputs}
    deps = {}
    for job in jobs:
        deps[job.rule] = {
            rule
            for path in job.inputs
            for out, rule in made.items()
            if path == out or path.startswith(out.rstrip("/") + "/")
        } - {job.rule}
    return deps


def gutlung_argv(command: str) -> tuple[list[str], str] | None:
    """``gutlung ARGS > LOG 2>&1`` as (ARGS, LOG); None for any other command."""
    words = shlex.split(command)
    if words[0] != "gutlung" or words[-3:-1] != [">", words[-2]] or words[-1] != "2>&1":
        return None
    if any(w in ("|", "&&", ";", ">", "<") for w in words[:-3]):
        return None
    return words[1:-3], words[-2]


def run_shell(command: str) -> None:
    """Replace this (forked) process with ``bash -c command``."""
    os.execv("/bin/bash", ["bash", "-c", command])


def run_in_process(command: str) -> None:
    """Run a ``gutlung`` command in this (forked) process and exit with its code."""
    parsed = gutlung_argv(command)
    if parsed is None:
        run_shell(command)
    from gutlung_pipeline.cli import main

    argv, log = parsed
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    try:
        code = main(argv)
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else 1
    except BaseException:  # noqa: BLE001  (the child must never return)
        import traceback

        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code or 0)


def run_dag(jobs: list[Job], cores: int, child) -> list[tuple[float, str, str]]:
    """Run ``jobs`` in order of their dependencies, ``cores`` threads at a time.

    Each job is a forked child that calls ``child(job.command)``; returns the
    (seconds, 'start' or 'end', rule) events.
    """
    deps, by_rule = dependencies(jobs), {j.rule: j for j in jobs}
    done, running, events, t0 = set(), {}, [], time.perf_counter()
    free = cores
    while len(done) < len(jobs):
        ready = sorted(
            (
                j
                for j in jobs
                if j.rule not in done
                and j.rule not in running.values()
                and deps[j.rule] <= done
            ),
            key=lambda j: -j.priority,
        )
        for job in ready:
            need = min(job.threads, cores)
            if need > free:
                continue
            sys.stdout.flush()  # else a child would write this process's buffer
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                child(job.command)
            running[pid] = job.rule
            free -= need
            events.append((time.perf_counter() - t0, "start", job.rule))
        if not running:
            left = sorted(set(by_rule) - done)
            sys.exit(f"nothing can run: {left} wait on each other")
        pid, status = os.wait()
        rule = running.pop(pid)
        if os.waitstatus_to_exitcode(status):
            sys.exit(f"{rule} failed: {by_rule[rule].command}")
        done.add(rule)
        free += min(by_rule[rule].threads, cores)
        events.append((time.perf_counter() - t0, "end", rule))
    return events


def written(work: Path, jobs: list[Job]) -> dict[str, str]:
    """SHA-256 of every file the jobs write (folders: each file inside)."""
    digests = {}
    for job in jobs:
        for out in job.outputs:
            path = work / out
            files = sorted(path.rglob("*")) if path.is_dir() else [path]
            for f in files:
                if f.is_file():
                    digests[str(f.relative_to(work))] = hashlib.sha256(
                        f.read_bytes()
                    ).hexdigest()
    return digests


def cpu_seconds() -> float:
    """CPU seconds of this process and its waited-for children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def report(name: str, wall: float, cpu: float, events) -> None:
    print(f"{name}: wall {wall:.2f} s, CPU {cpu:.2f} s")
    for t, kind, rule in events:
        print(f"  {t:6.2f} {kind:5s} {rule}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--cores", type=int, default=2)
    args = parser.parse_args()
    work = args.workdir.resolve()
    jobs = planned_jobs(work, args.cores)
    os.chdir(work)
    # the alignment is temp(): Snakemake removed it after the run
    extra = [Path(o) for j in jobs for o in j.outputs if not Path(o).exists()]

    cpu0, t0 = cpu_seconds(), time.perf_counter()
    events = run_dag(jobs, args.cores, run_shell)
    wall, cpu = time.perf_counter() - t0, cpu_seconds() - cpu0
    separate = written(work, jobs)
    report("one process per job", wall, cpu, events)

    cpu0, t0 = cpu_seconds(), time.perf_counter()
    import importlib

    import matplotlib

    matplotlib.use("Agg")
    for module in PRELOAD:
        importlib.import_module(module)
    imports = time.perf_counter() - t0
    events = run_dag(jobs, args.cores, run_in_process)
    wall, cpu = time.perf_counter() - t0, cpu_seconds() - cpu0
    report(f"one preloaded process (imports {imports:.2f} s of it)", wall, cpu, events)

    forked = written(work, jobs)
    for path in extra:
        path.unlink(missing_ok=True)
    differ = sorted(
        k for k in separate.keys() | forked.keys() if separate.get(k) != forked.get(k)
    )
    if differ:
        sys.exit(f"the two runs wrote different files: {', '.join(differ)}")
    print(f"both runs wrote the same {len(separate)} files")


if __name__ == "__main__":
    main()
