"""CPU milliseconds a sample, step by step, in a warm process.

Runs the default engine's per-sample read steps (the body of one
``sample_reads`` worker: encoding, read QC, the cut, primers, merge, filter
and uniques, the sample's own UNOISE) on the first ``--samples`` samples of
a cohort made by ``bench_denoise.py`` (its ``data`` folder), after one
sample to warm the process (imports), and prints the CPU time of each step
(this process and the tools it started) per sample. Then the primer step
alone, both ways: the pairs cut in numpy with the rest by cutadapt
(``primers.cut_pairs``), and cutadapt on every pair.

    .venv/bin/python benchmarks/bench_sample_steps.py --data /tmp/b400/data
    .venv/bin/python benchmarks/bench_sample_steps.py --data /tmp/bemp/data --no-primers
"""

from __future__ import annotations

import argparse
import functools
import importlib
import resource
import tempfile
from pathlib import Path

import pandas as pd

FORWARD = "GTGYCAGCMGCCGCGGTAA"
REVERSE = "GGACTACNVGGGTWTCTAAT"


def cpu() -> float:
    """CPU seconds of this process and of the children it waited for."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    tools = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + tools.ru_utime + tools.ru_stime


def timed_steps(spent: dict) -> None:
    """Wrap the per-sample steps so that each adds its CPU time to ``spent``."""
    reads = importlib.import_module("gutlung_pipeline.reads")
    quality = importlib.import_module("gutlung_pipeline.quality")
    denoise = importlib.import_module("gutlung_pipeline.denoise")
    steps = [
        (reads, "read_encoding", "encoding"),
        (quality, "write_sample_qc", "read QC"),
        (quality, "auto_truncation", "the cut"),
        (reads, "trim_primers", "primers"),
        (reads, "count_records", "outputs counted"),
        (reads, "merged_reads", "merge"),
        (reads, "filter_dereplicate", "filter and uniques"),
        (denoise, "unoise", "own UNOISE"),
    ]
    for module, name, step in steps:
        function = getattr(module, name)

        @functools.wraps(function)
        def wrapper(*args, _function=function, _step=step, **kwargs):
            start = cpu()
            try:
                return _function(*args, **kwargs)
            finally:
                spent[_step] = spent.get(_step, 0.0) + cpu() - start

        setattr(module, name, wrapper)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--no-primers", action="store_true", help="EMP: none in reads")
    args = parser.parse_args()
    sheet = pd.read_csv(args.data / "samples.tsv", sep="\t")
    rows = [
        (r["sample_id"], str(r["fq1"]), str(r["fq2"]))
        for _, r in sheet.head(args.samples + 1).iterrows()
    ]
    in_reads = not args.no_primers
    options = {
        "forward": FORWARD,
        "reverse": REVERSE,
        "in_reads": in_reads,
        "min_length": 100 if args.no_primers else 200,
        "max_length": 300,
    }
    reads = importlib.import_module("gutlung_pipeline.reads")
    spent: dict[str, float] = {}
    timed_steps(spent)
    work = Path(tempfile.mkdtemp(prefix="bench_steps_"))

    def one(k: int, row) -> None:
        """One sample as a ``sample_reads`` worker runs it."""
        sample, fq1, fq2 = row
        derep, mapping = work / f"{k}.derep", work / f"{k}.mapping"
        reads.sample_reads(
            sample,
            fq1,
            fq2,
            derep=derep,
            mapping=mapping,
            qc_dir=work / "qc",
            **options,
        )
        denoise = importlib.import_module("gutlung_pipeline.denoise")
        denoise.unoise(derep, work / f"{k}.candidates", min_size=4, alpha=2.0)

    one(0, rows[0])  # warm: imports
    spent.clear()
    start = cpu()
    for k, row in enumerate(rows[1:], 1):
        one(k, row)
    n = len(rows) - 1
    total = cpu() - start
    print(f"{n} samples, CPU ms a sample")
    for step, seconds in sorted(spent.items(), key=lambda kv: -kv[1]):
        print(f"  {step:20s} {seconds / n * 1e3:7.1f}")
    print(f"  {'all':20s} {total / n * 1e3:7.1f}")

    from gutlung_pipeline.primers import cut_pairs, cutadapt_main, pair_options

    primers = (FORWARD, REVERSE) if in_reads else None
    flags = pair_options(primers, None)
    here, alone = 0.0, 0.0
    for _, fq1, fq2 in rows[1:]:
        (work / "p").mkdir(exist_ok=True)
        out = [work / "p" / "1.fq", work / "p" / "2.fq"]
        start = cpu()
        cut_pairs(
            fq1,
            fq2,
            *out,
            report=work / "p" / "r.json",
            primers=primers,
            lengths=None,
            tmp=work / "p",
        )
        here += cpu() - start
        start = cpu()
        cutadapt_main(
            [*flags, "--json", work / "r.json", "-o", out[0], "-p", out[1]] + [fq1, fq2]
        )
        alone += cpu() - start
    print(
        "primers, CPU ms a sample: exact pairs in numpy and the rest by cutadapt "
        f"{here / n * 1e3:.1f}, cutadapt on every pair {alone / n * 1e3:.1f}"
    )


if __name__ == "__main__":
    main()
