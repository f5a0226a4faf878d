"""Denoising benchmark: both engines and the DADA2 R tutorial pipeline on one
simulated cohort with known truth.

Usage: python benchmarks/bench_denoise.py --samples 48 --reads 9500
           [--chimera-rate 0.035] [--cores 2]
           [--pipelines default,dada2,dada2_r,vsearch] [--reuse-data]
           [--truth outside|shipped] [--design 2x250|emp2x150] [--seed 1]
           [--chimera-reference true|false] [--chimera-model fixed|pcr]
           [--set denoise.chimera_abskew=32 ...]

Generates the cohort with ``gutlung simulate``: ``--design 2x250`` (V4,
515F/806R in the reads) or ``emp2x150`` (the EMP protocol: 2x150 reads that
start after the primers, a 47-nt overlap); ``--truth outside`` (the default)
draws the true sequences from Greengenes 13_8 97% OTUs that the shipped
reference lacks (``gutlung build-reference --exclude``), so neither the
chimera check nor the classifier has seen them; ``shipped`` from the shipped
reference itself, as earlier versions did. Times
decompressing its inputs once (zcat), then runs each pipeline from the raw
FASTQ files to an ASV table and scores it against the truth with
:func:`gutlung_pipeline.accuracy.score`:

- ``default``: the workflow to ``results/asv/asv_table.tsv`` (default engine);
- ``dada2``: the same with ``denoise.engine: dada2``;
- ``dada2_r``: the DADA2 tutorial's steps run directly (filterAndTrim with
  the primers cut by ``trimLeft``, truncLen 240/160, maxEE 2/2; learnErrors;
  dada; mergePairs; removeBimeraDenovo consensus), the habit users bring;
- ``vsearch``: the VSEARCH wiki's UNOISE3 pipeline, the other habit: per
  sample cutadapt (2x250) and ``--fastq_mergepairs``, ``--fastq_filter``
  (maxEE 1) and ``--derep_fulllength``, ``cores`` samples side by side; then
  the pooled uniques (at least 2 reads), ``--cluster_unoise`` (minsize 8),
  ``--uchime3_denovo`` and every merged read searched at 97% into an OTU
  table (``--otutabout``).

Wall and CPU time (user + system of every process the pipeline started,
from ``getrusage(RUSAGE_CHILDREN)``) are given against zcat's. Peak memory
is the largest job's RSS (Snakemake's ``benchmark:`` files) for the
workflow, the largest process's for ``dada2_r`` and ``vsearch``.
``--reuse-data`` keeps a cohort already in ``--workdir``/data (the same
options) instead of simulating it again.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import yaml
from reads_config import REFERENCE, asv_table_command, reads_only_config

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
FORWARD, REVERSE = "GTGYCAGCMGCCGCGGTAA", "GGACTACNVGGGTWTCTAAT"
PIPELINES = ("default", "dada2", "dada2_r", "vsearch")


DESIGNS = {
    "2x250": [],
    "emp2x150": ["--read-length", "150", "--primers-not-in-reads"],
}


def outside_reference(data: Path) -> Path:
    """Greengenes 13_8 97% V4 amplicons of the demo genera that the shipped
    reference lacks (IDs and sequences), 25 a genus."""
    out = data / "outside_reference.fasta"
    data.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [BIN / "gutlung", "build-reference", "--output", out, "--exclude", REFERENCE],
        check=True,
        env=ENV,
        capture_output=True,
    )
    return out


def simulate(
    data: Path,
    samples: int,
    reads: int,
    chimera_rate: float,
    seed: int,
    truth: str = "outside",
    design: str = "2x250",
    chimera_model: str = "fixed",
    extra: tuple[str, ...] = (),
):
    source = outside_reference(data) if truth == "outside" else REFERENCE
    subprocess.run(
        [
            BIN / "gutlung",
            "simulate",
            "--reference",
            source,
            *DESIGNS[design],
            "--chimera-model",
            chimera_model,
            "--out-dir",
            data,
            "--sample-sheet",
            data / "samples.tsv",
            "--n-subjects",
            str(samples // 2),
            "--reads",
            str(reads),
            "--chimera-rate",
            str(chimera_rate),
            "--seed",
            str(seed),
            *extra,
        ],
        check=True,
        env=ENV,
        capture_output=True,
    )


def children_cpu() -> float:
    """CPU seconds (user + system) of this process's finished children."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(cmd: list, **kwargs) -> tuple:
    """Run ``cmd``; return the process, its wall and its (descendants') CPU seconds."""
    cpu, start = children_cpu(), time.perf_counter()
    proc = subprocess.run(cmd, **kwargs)
    return proc, time.perf_counter() - start, children_cpu() - cpu


def zcat_seconds(sheet: pd.DataFrame) -> tuple[float, float]:
    """Wall and CPU seconds of decompressing every input once."""
    files = [f for col in ("fq1", "fq2") for f in sheet[col]]
    _, wall, cpu = timed(["zcat", *files], stdout=subprocess.DEVNULL, check=True)
    return wall, cpu


def run_workflow(
    work: Path,
    data: Path,
    engine: str,
    cores: int,
    design: str = "2x250",
    chimera_reference: bool = False,
    settings: tuple[str, ...] = (),
) -> tuple:
    (work / "config").mkdir(parents=True)
    # the multi-threaded jobs get every core, as the R tutorial's steps do
    config = reads_only_config(
        data / "samples.tsv",
        threads=cores,
        engine="unoise" if engine == "default" else engine,
        chimera_reference=chimera_reference,
    )
    config["primers"]["in_reads"] = design != "emp2x150"
    for setting in settings:  # --set section.key=value (YAML value)
        key, _, value = setting.partition("=")
        *parents, last = key.split(".")
        node = config
        for part in parents:
            node = node[part]
        node[last] = yaml.safe_load(value)
    (work / "config/config.yaml").write_text(yaml.safe_dump(config))
    proc, wall, cpu = timed(
        asv_table_command(work, cores),
        check=False,
        env=ENV,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        sys.exit(f"snakemake failed in {work}:\n{proc.stderr[-3000:]}")
    rss = [
        pd.read_csv(p, sep="\t")["max_rss"].iloc[0]
        for p in (work / "logs/benchmark").rglob("*.tsv")
    ]
    table = pd.read_csv(work / "results/asv/asv_table.tsv", sep="\t", index_col=0)
    seqs = read_fasta(work / "results/asv/asv_seqs.fasta")
    return wall, cpu, max(rss), table, seqs


_RUN_R = """
import resource, sys
from gutlung_pipeline.dada2 import denoise_group, remove_bimeras
import pandas as pd
sheet = pd.read_csv(sys.argv[1], sep="\\t")
work = sys.argv[2]
fq = {r.sample_id: (r.fq1, r.fq2) for r in sheet.itertuples()}
denoise_group(fq, work + "/filtered", work + "/seqtab.tsv", work + "/track.tsv",
              trim_left=tuple(map(int, sys.argv[4].split(","))),
              trunc_len=tuple(map(int, sys.argv[5].split(","))), max_ee=(2, 2),
              pool="false", threads=int(sys.argv[3]))
remove_bimeras([work + "/seqtab.tsv"], work + "/nochim.tsv",
               method="consensus", threads=int(sys.argv[3]))
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


#: the tutorial's trimLeft and truncLen per design (2x150: no primers to cut)
R_CUTS = {"2x250": ("19,20", "240,160"), "emp2x150": ("0,0", "150,140")}


def run_dada2_r(work: Path, data: Path, cores: int, design: str = "2x250") -> tuple:
    from gutlung_pipeline.dada2 import read_long, wide_table

    work.mkdir(parents=True)
    proc, wall, cpu = timed(
        [
            sys.executable,
            "-c",
            _RUN_R,
            data / "samples.tsv",
            work,
            str(cores),
            *R_CUTS[design],
        ],
        check=True,
        env=ENV,
        capture_output=True,
        text=True,
    )
    peak_mb = int(proc.stdout.split()[-1]) / 1024
    sheet = pd.read_csv(data / "samples.tsv", sep="\t")
    table, seqs = wide_table(read_long(work / "nochim.tsv"), list(sheet["sample_id"]))
    return wall, cpu, peak_mb, table, seqs


def _vsearch(*args) -> None:
    subprocess.run(["vsearch", *map(str, args), "--quiet"], check=True, env=ENV)


def _vsearch_sample(row, work: Path, design: str) -> None:
    """One sample of the VSEARCH wiki pipeline: primers, merge, filter, derep."""
    sid, fq1, fq2 = row
    out = work / sid
    if design == "2x250":
        subprocess.run(
            [
                BIN / "cutadapt",
                "-j",
                "1",
                "-g",
                FORWARD,
                "-G",
                REVERSE,
                "--discard-untrimmed",
                "--pair-filter=any",
                "-o",
                f"{out}_1.fq",
                "-p",
                f"{out}_2.fq",
                fq1,
                fq2,
            ],
            check=True,
            env=ENV,
            capture_output=True,
        )
        fq1, fq2 = f"{out}_1.fq", f"{out}_2.fq"
    _vsearch(
        "--fastq_mergepairs",
        fq1,
        "--reverse",
        fq2,
        "--fastqout",
        f"{out}.merged.fq",
        "--relabel",
        f"sample={sid};r",
        "--threads",
        1,
    )
    _vsearch(
        "--fastq_filter",
        f"{out}.merged.fq",
        "--fastq_maxee",
        1,
        "--fastq_maxns",
        0,
        "--fastaout",
        f"{out}.filtered.fa",
    )
    _vsearch(
        "--derep_fulllength",
        f"{out}.filtered.fa",
        "--strand",
        "plus",
        "--sizeout",
        "--output",
        f"{out}.derep.fa",
    )
    _vsearch("--fastq_filter", f"{out}.merged.fq", "--fastaout", f"{out}.all.fa")


def run_vsearch(work: Path, data: Path, cores: int, design: str = "2x250") -> tuple:
    """The VSEARCH wiki's UNOISE3 pipeline, as users run it by hand.

    Run in a fresh process, so that its peak memory is its own processes'.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        wall, cpu, peak_mb = pool.submit(
            _vsearch_pipeline, work, data, cores, design
        ).result()
    sheet = pd.read_csv(data / "samples.tsv", sep="\t")
    table = pd.read_csv(work / "otutab.tsv", sep="\t", index_col=0)
    table = table.reindex(columns=list(sheet["sample_id"]), fill_value=0)
    return wall, cpu, peak_mb, table, read_fasta(work / "zotus.fa")


def _vsearch_pipeline(work: Path, data: Path, cores: int, design: str) -> tuple:
    """Run :func:`run_vsearch`'s steps; return wall, CPU and peak memory (MiB)."""
    from concurrent.futures import ThreadPoolExecutor

    work.mkdir(parents=True)
    sheet = pd.read_csv(data / "samples.tsv", sep="\t")
    rows = list(sheet[["sample_id", "fq1", "fq2"]].itertuples(index=False))
    cpu, start = children_cpu(), time.perf_counter()
    with ThreadPoolExecutor(max_workers=cores) as pool:
        list(pool.map(lambda row: _vsearch_sample(row, work, design), rows))
    for kind in ("derep", "all"):
        with open(work / f"{kind}.fa", "wb") as joined:
            for sid in sheet["sample_id"]:
                joined.write((work / f"{sid}.{kind}.fa").read_bytes())
    _vsearch(
        "--derep_fulllength",
        work / "derep.fa",
        "--minuniquesize",
        2,
        "--sizein",
        "--sizeout",
        "--output",
        work / "uniques.fa",
    )
    _vsearch(
        "--cluster_unoise",
        work / "uniques.fa",
        "--sizein",
        "--sizeout",
        "--centroids",
        work / "unoise.fa",
        "--threads",
        cores,
    )
    _vsearch(
        "--uchime3_denovo",
        work / "unoise.fa",
        "--sizein",
        "--sizeout",
        "--nonchimeras",
        work / "zotus.fa",
        "--relabel",
        "ASV",
    )
    _vsearch(
        "--usearch_global",
        work / "all.fa",
        "--db",
        work / "zotus.fa",
        "--id",
        0.97,
        "--strand",
        "plus",
        "--otutabout",
        work / "otutab.tsv",
        "--threads",
        cores,
    )
    wall, cpu = time.perf_counter() - start, children_cpu() - cpu
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return wall, cpu, peak_mb


def read_fasta(path: Path) -> dict[str, str]:
    from gutlung_pipeline.io import read_fasta as _read

    return {k.split(";")[0]: v.upper() for k, v in _read(path).items()}


def main() -> None:
    from gutlung_pipeline.accuracy import score

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=48, help="even number")
    parser.add_argument("--reads", type=int, default=9500, help="read pairs/sample")
    parser.add_argument("--chimera-rate", type=float, default=0.035)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pipelines", default=",".join(PIPELINES))
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--truth", choices=["outside", "shipped"], default="outside")
    parser.add_argument("--design", choices=list(DESIGNS), default="2x250")
    parser.add_argument("--chimera-model", choices=["fixed", "pcr"], default="fixed")
    parser.add_argument(
        "--chimera-reference", choices=["true", "false"], default="false"
    )
    parser.add_argument(
        "--reuse-data",
        action="store_true",
        help="keep the cohort already in --workdir/data (made with these options)",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a config key for the workflow runs (dotted, YAML value); repeatable",
    )
    args = parser.parse_args()
    pipelines = args.pipelines.split(",")
    unknown = set(pipelines) - set(PIPELINES)
    if unknown:
        sys.exit(f"--pipelines: unknown {sorted(unknown)}; choose from {PIPELINES}")
    root = args.workdir or REPO / "benchmarks/out" / f"denoise_n{args.samples}"
    data = root / "data"
    reuse = args.reuse_data and (data / "samples.tsv").exists()
    if reuse:
        for name in pipelines:
            shutil.rmtree(root / name, ignore_errors=True)
    elif root.exists():
        shutil.rmtree(root)
    if not reuse:
        simulate(
            data,
            args.samples,
            args.reads,
            args.chimera_rate,
            args.seed,
            truth=args.truth,
            design=args.design,
            chimera_model=args.chimera_model,
        )
    sheet = pd.read_csv(data / "samples.tsv", sep="\t")
    truth = pd.read_csv(data / "truth.tsv", sep="\t")
    input_reads = dict.fromkeys(sheet["sample_id"], args.reads)
    zcat, zcat_cpu = zcat_seconds(sheet)
    rows = []
    for name in pipelines:
        if name == "dada2_r":
            wall, cpu, peak, table, seqs = run_dada2_r(
                root / name, data, args.cores, args.design
            )
        elif name == "vsearch":
            wall, cpu, peak, table, seqs = run_vsearch(
                root / name, data, args.cores, args.design
            )
        else:
            wall, cpu, peak, table, seqs = run_workflow(
                root / name,
                data,
                name,
                args.cores,
                design=args.design,
                chimera_reference=args.chimera_reference == "true",
                settings=tuple(args.set),
            )
        acc = score(table, seqs, truth, input_reads)
        rows.append(
            {
                "pipeline": name,
                "wall_s": round(wall, 1),
                "per_sample_s": round(wall / args.samples, 2),
                "x_zcat": round(wall / zcat, 1),
                "cpu_s": round(cpu, 1),
                "cpu_x_zcat": round(cpu / zcat_cpu, 1),
                "peak_mb": round(peak),
                **{
                    k: round(v, 4) if isinstance(v, float) else v
                    for k, v in acc.items()
                },
            }
        )
        print(rows[-1], flush=True)
    print(
        f"\n{args.samples} samples x {args.reads} read pairs ({args.design}, truth "
        f"{args.truth}, seed {args.seed}, chimera_reference "
        f"{args.chimera_reference}, chimera model {args.chimera_model}"
        f"{''.join(', ' + s for s in args.set)}), chimera "
        f"rate {args.chimera_rate}, "
        f"{args.cores} cores; zcat of the inputs {zcat:.1f} s wall, "
        f"{zcat_cpu:.1f} s CPU\n"
    )
    print(pd.DataFrame(rows).to_markdown(index=False))


ENV = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}

if __name__ == "__main__":
    main()
