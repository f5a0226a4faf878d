"""Denoising benchmark: both engines and the DADA2 R tutorial pipeline on one
simulated cohort with known truth.

Usage: python benchmarks/bench_denoise.py --samples 48 --reads 9500
           [--chimera-rate 0.035] [--cores 2] [--pipelines default,dada2,dada2_r]
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
  dada; mergePairs; removeBimeraDenovo consensus), the habit users bring.

Peak memory is the largest job's RSS (Snakemake's ``benchmark:`` files) for
the workflow, and the largest R process's for ``dada2_r``.
"""

from __future__ import annotations

import argparse
import os
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
PIPELINES = ("default", "dada2", "dada2_r")


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
        ],
        check=True,
        env=ENV,
        capture_output=True,
    )


def zcat_seconds(sheet: pd.DataFrame) -> float:
    files = [f for col in ("fq1", "fq2") for f in sheet[col]]
    start = time.perf_counter()
    subprocess.run(["zcat", *files], stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


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
    start = time.perf_counter()
    proc = subprocess.run(
        asv_table_command(work, cores),
        check=False,
        env=ENV,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"snakemake failed in {work}:\n{proc.stderr[-3000:]}")
    rss = [
        pd.read_csv(p, sep="\t")["max_rss"].iloc[0]
        for p in (work / "logs/benchmark").rglob("*.tsv")
    ]
    table = pd.read_csv(work / "results/asv/asv_table.tsv", sep="\t", index_col=0)
    seqs = read_fasta(work / "results/asv/asv_seqs.fasta")
    return wall, max(rss), table, seqs


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
    start = time.perf_counter()
    proc = subprocess.run(
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
    wall = time.perf_counter() - start
    peak_mb = int(proc.stdout.split()[-1]) / 1024
    sheet = pd.read_csv(data / "samples.tsv", sep="\t")
    table, seqs = wide_table(read_long(work / "nochim.tsv"), list(sheet["sample_id"]))
    return wall, peak_mb, table, seqs


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
    if root.exists():
        shutil.rmtree(root)
    data = root / "data"
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
    zcat = zcat_seconds(sheet)
    rows = []
    for name in pipelines:
        if name == "dada2_r":
            wall, peak, table, seqs = run_dada2_r(
                root / name, data, args.cores, args.design
            )
        else:
            wall, peak, table, seqs = run_workflow(
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
        f"{args.cores} cores; zcat of the inputs {zcat:.1f} s\n"
    )
    print(pd.DataFrame(rows).to_markdown(index=False))


ENV = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}

if __name__ == "__main__":
    main()
