# Load and validate the configuration and the sample sheet before any job runs;
# helpers (get_*/is_*) for the rules. No rules here.
import functools
import json
import os
import re
import shlex
import sys
from pathlib import Path

from snakemake import __version__ as SNAKEMAKE_VERSION  # for results/provenance

from gutlung_pipeline.config import (
    ConfigError,
    check_workflow_inputs,
    load_studies,
    plan_warnings,
    validate_config,
)
from gutlung_pipeline.inputs.sheet import read_sample_sheet
from gutlung_pipeline.inputs.plan import Plan, plan_from_config, writes_sheet
from gutlung_pipeline.report.names import CLAIMS_FIGURES, DIFFERENTIAL_FIGURES
from gutlung_pipeline.report.names import FIGURES as REPORT_FIGURES
from gutlung_pipeline.report.names import MATURITY_FIGURES, SCFA_FIGURES
from gutlung_pipeline.report.names import QUALITY_FIGURES
from gutlung_pipeline.report.names import manifest as report_manifest
from gutlung_pipeline.inputs.studies import STACKED, combined_sheet

# Several studies in one run (config `studies`): the rules each study takes
# from this workflow (its reads or table to its decontaminated table;
# diversity and later run once, merged), and where its files go.
STUDY_READ_RULES = ["fetch_run", "acquisition"]
STUDY_ENGINE_RULES = {
    "unoise": [
        "sample_reads",
        "pool_uniques",
        "denoise_uniques",
        "remove_chimeras",
        "map_reads",
        "build_asv_table",
    ],
    "dada2": ["trim_primers", "dada2_denoise", "dada2_table"],
}


def study_rules(study_config):
    """Names of the rules one study (its validated config) runs."""
    entry = study_config["feature_table"]
    if entry["table"]:
        rules = ["import_table"]
        if study_config["acquire"]["mapping"]:
            rules.append("map_metadata")
    else:
        rules = STUDY_READ_RULES + STUDY_ENGINE_RULES[study_config["denoise"]["engine"]]
    if not entry["taxonomy"]:
        rules.append("assign_taxonomy")
    return rules + ["decontaminate"]


def study_dir(name):
    """Where a study's results go in a combined run (its module's prefix)."""
    return f"results/studies/{name}"


def study_outputs(name):
    """The files of a study that the merge reads (its decontaminated table,
    taxonomy and the decontam tables, keys as gutlung combine-studies')."""
    base = study_dir(name)
    out = {
        "table": f"{base}/decontam/table.biom",
        "taxonomy": f"{base}/taxonomy/taxonomy.tsv",
    }
    for key in STACKED:
        out[key] = f"{base}/decontam/{key}.tsv"
    return out


def study_sheet(study):
    """The sheet a study's table steps read, inside the combined run: the
    acquisition job's when its runs come from ENA or its table's samples are
    mapped, else its configured sheet."""
    if writes_sheet(study.config, study.plan):
        return f"{study_dir(study.name)}/acquire/samples.tsv"
    return study.config["samples"]


# `gutlung` and cutadapt are found in the environment Snakemake runs in also
# when it is started as .venv/bin/snakemake without that environment activated:
# its bin is the last place looked in, so an activated or conda environment
# still wins (Snakemake's own prefix, set -euo pipefail, is kept)
shell.prefix(
    'set -euo pipefail; export PATH="$PATH":'
    f"{shlex.quote(str(Path(sys.executable).parent))}; "
)

SCHEMA_DIR = Path(workflow.current_basedir).parent / "schemas"
REPO_ROOT = Path(workflow.current_basedir).parents[1]
# workflow/envs/*.yaml install the package from this checkout: pip expands
# ${GUTLUNG_CHECKOUT} in the requirements conda writes (--sdm conda)
os.environ.setdefault("GUTLUNG_CHECKOUT", str(REPO_ROOT.resolve()))
# Name every file the config came from (--configfile values override the
# default); a study of a combined run names its own file.
CONFIG_SOURCE = (
    config.pop("_config_file", None)
    or " + ".join(dict.fromkeys(map(str, workflow.configfiles)))
    or "config"
)


def _load_inputs():
    """Validate the config; plan the samples (sheet rows and the runs of the
    configured accessions; ENA is asked once, answers kept in the cache);
    check the analyses against them."""
    checked = validate_config(config, source=CONFIG_SOURCE, schema_dir=SCHEMA_DIR)
    # the shipped manifest, also when Snakemake runs in another directory
    manifest = checked["taxonomy"]["manifest"]
    if not Path(manifest).is_file() and (REPO_ROOT / manifest).is_file():
        checked["taxonomy"]["manifest"] = str(REPO_ROOT / manifest)
    if checked["studies"]:
        # several studies: each planned from its own config, then stacked;
        # decontam ran per study, so the merged analysis has none to check
        studies = load_studies(checked, source=CONFIG_SOURCE, schema_dir=SCHEMA_DIR)
        plan = Plan(sheet=combined_sheet(studies))
        check_workflow_inputs(
            dict(checked, decontam=None), plan.sheet, source=CONFIG_SOURCE
        )
    else:
        studies = {}
        plan = plan_from_config(checked, schema_dir=SCHEMA_DIR)
        deferred = check_workflow_inputs(
            checked, plan.sheet, source=CONFIG_SOURCE, defer_analyses=_asks_part()
        )
        for line in deferred:
            print(
                f"gutlung-pipeline: warning: {line}; its outputs cannot be made, "
                "and this run did not ask for the whole workflow",
                file=sys.stderr,
            )
    for line in plan_warnings(checked, plan.sheet):
        print(f"gutlung-pipeline: warning: {CONFIG_SOURCE}: {line}", file=sys.stderr)
    _check_writable()
    return checked, plan, studies


def _asks_part() -> bool:
    """True when the command names targets other than the whole workflow
    (files, or rules but all/default), or runs one job of a run (Slurm): an
    analysis that cannot run on this data then only warns. Snakemake parses
    the Snakefile before it keeps its targets, so its own parser reads them
    from the command line."""
    from snakemake.cli import get_argument_parser

    try:
        args, _ = get_argument_parser().parse_known_args(sys.argv[1:])
    except (Exception, SystemExit):
        return False
    if getattr(args, "target_jobs", None):
        return True
    targets = set(getattr(args, "targets", None) or ())
    return bool(targets) and not targets & {"all", "default"}


def _check_writable():
    """Stop before any job when results/ (or, before it exists, the working
    directory) cannot be written: Snakemake would fail inside its own code."""
    import tempfile

    folder = "results" if Path("results").is_dir() else "."
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".gutlung-write-test-")
        os.close(fd)
        os.remove(probe)
    except OSError as err:
        where = Path(folder).resolve()
        raise ConfigError(
            [
                f"{where}: cannot write ({err.strerror}); make the folder writable "
                "or run from another one"
            ]
        ) from None


try:
    _checked, PLAN, STUDIES = _load_inputs()
except ConfigError as err:
    for _line in err.problems:
        print(f"gutlung-pipeline: error: {_line}", file=sys.stderr)
    sys.exit(1)
config.update(_checked)
ENA_CACHE = str(PLAN.cache)

samples = PLAN.sheet
# A study entering at the table stage (no read steps), and its own taxonomy.
TABLE_ENTRY = bool(config["feature_table"]["table"])
TAXONOMY_GIVEN = TABLE_ENTRY and bool(config["feature_table"]["taxonomy"])
# ... and its own tree, used instead of MAFFT + FastTree
TREE_GIVEN = TABLE_ENTRY and bool(config["feature_table"]["tree"])
SAMPLES = list(samples.index)
DADA2 = config["denoise"]["engine"] == "dada2"
PAIRED = PLAN.paired
BETA_METRICS = list(config["diversity"]["beta_metrics"])
#: The ranks of results/phyloseq/relative_abundance/ (one table each).
EXPORT_RANKS = ("Phylum", "Class", "Order", "Family", "Genus")
# Samples whose reads come from ENA, and their runs (in a combined run, the
# studies with such samples).
REMOTE = set(PLAN.remote)
REMOTE_STUDIES = [name for name, study in STUDIES.items() if study.remote]
RUNS = sorted(samples.loc[sorted(REMOTE), "run_accession"]) if REMOTE else []
# The sheet every table step reads: the merged studies' sheet; the acquisition
# job's when runs are downloaded (files filled in, failed runs left out) or a
# table's samples are mapped from its metadata file; else the configured one.
if STUDIES:
    SAMPLE_SHEET = "results/combined/samples.tsv"
elif writes_sheet(config, PLAN):
    SAMPLE_SHEET = "results/acquire/samples.tsv"
else:
    SAMPLE_SHEET = config["samples"]
# ... written by rule map_metadata for a table (by the acquisition job for runs)
MAPPED_TABLE = TABLE_ENTRY and SAMPLE_SHEET == "results/acquire/samples.tsv"


wildcard_constraints:
    sample="|".join(re.escape(s) for s in SAMPLES),
    metric="|".join(BETA_METRICS),
    run="[EDS]RR[0-9]+",
    batch="batch[0-9]+",


def _acquired_sheet():
    """The acquisition job's sheet (once it has run), indexed by sample_id;
    read once per version of the file, not once per job."""
    path = checkpoints.acquisition.get().output.sheet
    return _read_sheet(path, Path(path).stat().st_mtime_ns)


@functools.lru_cache(maxsize=4)
def _read_sheet(path, mtime_ns):
    return read_sample_sheet(path).set_index("sample_id", drop=False)


def get_samples(wildcards=None):
    """Samples that reach the ASV table: all planned ones, minus runs whose
    download failed (known once the acquisition job has run)."""
    if not REMOTE:
        return SAMPLES
    return list(_acquired_sheet().index)


def get_fastq(wildcards):
    """The sample's FASTQ files: fq1, plus fq2 for paired-end runs
    (for ENA runs, the downloaded files)."""
    return sample_fastq(wildcards.sample)


def sample_fastq(sample):
    """:func:`get_fastq` of one sample by name."""
    row = samples.loc[sample]
    if sample in REMOTE:
        row = _acquired_sheet().loc[sample]
    if PAIRED:
        return {"fq1": row["fq1"], "fq2": row["fq2"]}
    return {"fq1": row["fq1"]}


#: Samples from which a diversity job's parts run side by side on its threads
#: (the beta metrics; the rarefaction curves' depths): below, a metric takes a
#: fraction of a second (48 samples) against a second to start a worker with
#: scikit-bio, and the alpha job runs beside beta_diversity on one thread; at
#: 200 a metric takes about 2 s, at 1,000 up to a minute, and the curves 5 s
#: of the alpha job at 400 samples.
PARALLEL_FROM = 200


def parallel_threads(parts):
    """Threads of a diversity job of ``parts`` independent parts: one a part from PARALLEL_FROM samples."""
    if len(SAMPLES) < PARALLEL_FROM:
        return 1
    return max(1, min(config["threads"], parts))


def sample_batches():
    """The default engine's sample_reads jobs: the samples that reach the table,
    in sheet order, named batch1, batch2, ... (known for ENA runs once the
    acquisition job has run). The fewest jobs of at most denoise.samples_per_job
    samples, rounded up to a multiple of threads (each job runs on one thread,
    threads of them side by side, none left to run alone at the end), the
    samples shared out evenly (sizes differ by one at most)."""
    kept = get_samples()
    k, t = config["denoise"]["samples_per_job"], max(1, int(config["threads"]))
    needed = -(-len(kept) // k)  # at most k samples a job
    jobs = min(len(kept), -(-needed // t) * t)
    big, extra = divmod(len(kept), jobs) if jobs else (0, 0)
    batches, start = {}, 0
    for i in range(jobs):
        size = big + (i < extra)
        batches[f"batch{i + 1}"] = kept[start : start + size]
        start += size
    return batches


def batch_files(path):
    """``path`` (with ``{batch}``) for every sample_reads batch."""
    return lambda wildcards: expand(path, batch=list(sample_batches()))


def get_qc_dirs(wildcards):
    """The read QC folders of the read jobs: one a batch, or a sample (DADA2)."""
    if DADA2:
        return [f"results/work/qc/{s}" for s in get_samples()]
    return expand("results/work/qc/{batch}", batch=list(sample_batches()))


def get_qc_outputs():
    """results/qc when the run has reads (not at the table stage, not studies)."""
    return [] if STUDIES or TABLE_ENTRY else ["results/qc"]


def get_batch_fastq(wildcards):
    """The batch's FASTQ files, a list per mate, in its samples' order."""
    fastq = [sample_fastq(s) for s in sample_batches()[wildcards.batch]]
    return {mate: [f[mate] for f in fastq] for mate in fastq[0]}


def get_import_args():
    """Optional files of gutlung import-table (quoted: config values)."""
    entry = config["feature_table"]
    args = [f"--min-found {float(entry['min_found'])}"]
    if entry["sequences"]:
        args.append(f"--sequences {shlex.quote(entry['sequences'])}")
    if entry["taxonomy"]:
        args.append(f"--taxonomy {shlex.quote(entry['taxonomy'])}")
    return " ".join(args)


def get_import_taxonomy_output(wildcards, output):
    """--taxonomy-output (the rule's own output path, so a study of a combined
    run writes inside its folder) when the table brings its taxonomy."""
    if not TAXONOMY_GIVEN:
        return ""
    # output.taxonomy is the one-item list the rule declares
    return f"--taxonomy-output {shlex.quote(output.taxonomy[0])}"


def get_import_inputs(wildcards):
    """The table, its sequences and taxonomy (when given), the sheet."""
    entry = config["feature_table"]
    inputs = {"table": entry["table"], "samples": SAMPLE_SHEET}
    for key in ("sequences", "taxonomy", "tree"):
        if entry[key]:
            inputs[key] = entry[key]
    return inputs


def get_import_tree_args(wildcards, input, output):
    """--tree and --tree-output when the study brings its own tree."""
    if not TREE_GIVEN:
        return ""
    return (
        f"--tree {shlex.quote(input.tree)} --tree-output {shlex.quote(output.tree[0])}"
    )


def get_run_report(wildcards):
    """The saved ENA filereport listing the run."""
    return str(PLAN.reports[wildcards.run])


def get_fetch_args():
    """Download options of gutlung fetch-run."""
    acq = config["acquire"]
    return (
        f"--cache {shlex.quote(ENA_CACHE)} --scheme {acq['scheme']}"
        f" --retries {int(acq['retries'])} --backoff {float(acq['backoff'])}"
        f" --timeout {float(acq['timeout'])}"
    )


def get_acquisition_outputs():
    """The acquisition job's tables, when runs come from ENA (in a combined
    run, the ENA studies' tables stacked)."""
    if not REMOTE and not REMOTE_STUDIES:
        return []
    return [
        "results/acquire/runs.tsv",
        "results/acquire/unmapped_values.tsv",
        "results/acquire/dropped_samples.tsv",
    ]


def get_acquisition_args():
    """Options of gutlung acquisition: how the plan was made (quoted)."""
    acq = config["acquire"]
    args = [f"--cache {shlex.quote(ENA_CACHE)}"]
    if config["samples"]:
        args.append(f"--sheet {shlex.quote(config['samples'])}")
    if acq["accessions"]:
        args.append("--accession " + " ".join(map(shlex.quote, acq["accessions"])))
    if acq["mapping"]:
        args.append(f"--mapping {shlex.quote(acq['mapping'])}")
        args.append(f"--metadata {shlex.quote(acq['metadata'])}")
    if TABLE_ENTRY:
        args.append("--no-reads")
    return " ".join(args)


def get_fq2_arg(wildcards, input):
    """--fq2 with the batch's R2 files (quoted), or nothing (single-end)."""
    if not PAIRED:
        return ""
    return "--fq2 " + " ".join(shlex.quote(str(f)) for f in input.fq2)


def get_primer_args():
    """Primer options of gutlung sample-reads (quoted: config values)."""
    p = config["primers"]
    args = (
        f"--forward {shlex.quote(p['forward'])} --reverse {shlex.quote(p['reverse'])}"
        f" --error-rate {float(p['error_rate'])}"
    )
    return args if p["in_reads"] else f"{args} --primers-not-in-reads"


def get_read_filter_args():
    """Merge and filter options of gutlung sample-reads: min/max length and
    the cut before the merge for paired-end runs, one truncation length for
    single-end runs."""
    f, m = config["filter"], config["merge"]
    args = (
        f"--min-overlap {int(m['min_overlap'])} --max-diffs {int(m['max_diffs'])}"
        f" --max-ee {float(f['max_ee'])} --max-ns {int(f['max_ns'])}"
    )
    if PAIRED:
        cut = m["trunc_lengths"]
        cut = ",".join(str(int(v)) for v in cut) if isinstance(cut, list) else cut
        return (
            f"{args} --min-length {int(f['min_length'])}"
            f" --max-length {int(f['max_length'])}"
            f" --trunc-lengths {shlex.quote(cut)}"
            f" --target-overlap {int(m['target_overlap'])}"
        )
    return f"{args} --trunc-length {int(f['trunc_length'])}"


def get_step_stats(wildcards=None):
    """Per-sample JSON read counts of every read step (the DADA2 engine's own
    counts come from its groups' tables)."""
    if not DADA2:
        return batch_files("results/work/stats/{batch}/reads.json")(wildcards)
    return [f"results/work/stats/{s}/trim.json" for s in get_samples()]


def dada2_groups():
    """DADA2 error-model groups (names safe in paths) -> their samples: one per
    value of the sheet's run column, or one for all (error_model: pooled)."""
    kept = get_samples()
    if config["denoise"]["dada2"]["error_model"] == "pooled" or "run" not in samples:
        return {"all": kept}
    groups = {}
    for sample in kept:
        run = str(samples.loc[sample, "run"] or "")
        name = re.sub(r"[^A-Za-z0-9._-]+", "_", run).strip("._") or "run"
        groups.setdefault(name, {}).setdefault(run, []).append(sample)
    # two runs whose names clean to the same text are kept apart
    out = {}
    for name, runs in groups.items():
        for k, members in enumerate(runs.values()):
            out[name if k == 0 else f"{name}_{k + 1}"] = members
    return out


def get_dada2_reads(wildcards):
    """The group's primer-trimmed FASTQ files (r1, and r2 when paired)."""
    members = dada2_groups()[wildcards.group]
    reads = {"r1": [f"results/work/trimmed/{s}_R1.fastq.gz" for s in members]}
    if PAIRED:
        reads["r2"] = [f"results/work/trimmed/{s}_R2.fastq.gz" for s in members]
    return reads


def get_dada2_fq2_arg(wildcards, input):
    """--fq2 with the group's R2 files (quoted), or nothing (single-end)."""
    if not PAIRED:
        return ""
    return "--fq2 " + " ".join(shlex.quote(path) for path in input.r2)


def get_dada2_args():
    """filterAndTrim, dada and mergePairs options of the DADA2 engine."""
    d = config["denoise"]["dada2"]
    trunc = d["trunc_len"] if PAIRED else [config["filter"]["trunc_length"], 0]
    return (
        f"--trunc-len {int(trunc[0])} {int(trunc[1])}"
        f" --max-ee {float(d['max_ee'][0])} {float(d['max_ee'][1])}"
        f" --trunc-q {int(d['trunc_q'])} --pool {d['pool']}"
        f" --min-overlap {int(d['min_overlap'])} --max-mismatch {int(d['max_mismatch'])}"
    )


def get_chimera_reference(wildcards=None):
    """The taxonomy reference, when chimeras are also checked against it."""
    return [get_taxonomy_reference()] if config["denoise"]["chimera_reference"] else []


def get_chimera_reference_arg(wildcards, input):
    """--reference with the taxonomy reference (quoted), or nothing."""
    if not input.reference:
        return ""
    return f"--reference {shlex.quote(str(input.reference[0]))}"


def get_taxonomy_reference():
    """The SINTAX FASTA: the configured file, or a manifest entry's download."""
    reference = config["taxonomy"]["reference"]
    if Path(reference).is_file():
        return reference
    return f"resources/databases/{reference}.sintax.fasta.gz"


def get_decontam_inputs(wildcards):
    """The denoised table, its taxonomy, the sheet, read tracking and the mock's
    expected composition (when configured)."""
    inputs = {
        "table": "results/asv/asv_table.biom",
        "taxonomy": "results/taxonomy/taxonomy.tsv",
        "samples": SAMPLE_SHEET,
        "tracking": "results/asv/read_tracking.tsv",
    }
    if config["decontam"]["mock"]["expected"]:
        inputs["expected"] = config["decontam"]["mock"]["expected"]
    return inputs


def get_claims_catalogue():
    """The catalogue's YAML files (the repository's unless configured).

    The shipped catalogue is named relative to the working directory when it
    lies below it, so moving the project does not rerun the claims."""
    shipped = REPO_ROOT / "resources" / "claims"
    if shipped.resolve().is_relative_to(Path.cwd().resolve()):
        shipped = shipped.resolve().relative_to(Path.cwd().resolve())
    paths = config["claims"]["catalogue"] or [str(shipped)]
    files = []
    for p in map(Path, paths):
        files += sorted(map(str, p.glob("*.yaml"))) if p.is_dir() else [str(p)]
    return files


def get_claims_inputs(wildcards):
    """Everything a claim may draw on: sheet, catalogue, alpha, analysis table,
    taxonomy, distance matrices and (when computed) the maturity scores and
    SCFA-producer indices."""
    inputs = {
        "samples": SAMPLE_SHEET,
        "catalogue": get_claims_catalogue(),
        "alpha": "results/diversity/alpha.tsv",
        "table": "results/decontam/table.biom",
        "taxonomy": "results/taxonomy/taxonomy.tsv",
        "distance": expand("results/diversity/beta/{metric}.tsv", metric=BETA_METRICS),
    }
    if config["maturity"]["enabled"]:
        inputs["maturity"] = "results/maturity/maturity.tsv"
    inputs.update(zip(("scfa",), get_scfa_outputs()))
    return inputs


def optional_input_arg(name, flag):
    """A params function: ``flag`` with the rule's input ``name`` (quoted)
    when the rule has that input, else nothing."""

    def arg(wildcards, input):
        return f"{flag} {shlex.quote(input[name])}" if name in input.keys() else ""

    return arg


def get_claims_outputs():
    return ["results/associations/claims.tsv"] if config["claims"]["enabled"] else []


def get_combine_inputs(wildcards):
    """Each study's decontaminated table, taxonomy, sheet and decontam tables,
    as lists in study order (keys as in gutlung_pipeline.studies)."""
    inputs = {"samples": [study_sheet(s) for s in STUDIES.values()]}
    for name in STUDIES:
        for key, path in study_outputs(name).items():
            inputs.setdefault(key, []).append(path)
    return inputs


def get_tree():
    """The rooted tree; none when studies are merged at a taxonomic rank."""
    return [] if STUDIES else "results/phylogeny/tree.nwk"


def get_tree_arg(wildcards, input):
    """--tree for the diversity commands when the rule has a tree input."""
    return f"--tree {shlex.quote(input.tree)}" if input.get("tree") else ""


def get_final_outputs():
    if STUDIES:
        tables = [
            "results/combined/studies.tsv",
            *[
                f"{study_dir(name)}/asv/{f}"
                for name in STUDIES
                for f in ("asv_table.biom", "asv_seqs.fasta", "read_tracking.tsv")
            ],
        ]
    else:
        tables = [
            "results/asv/asv_table.biom",
            "results/asv/asv_table.tsv",
            "results/asv/asv_seqs.fasta",
            "results/asv/read_tracking.tsv",
            "results/phylogeny/tree.nwk",
        ]
    return [
        *tables,
        "results/taxonomy/taxonomy.tsv",
        "results/decontam/table.biom",
        "results/decontam/signal.tsv",
        "results/diversity/alpha.tsv",
        "results/diversity/rarefaction_curves.tsv",
        *expand("results/diversity/beta/{metric}.tsv", metric=BETA_METRICS),
        *expand("results/diversity/pcoa/{metric}.txt", metric=BETA_METRICS),
        "results/report/report.html",
        *get_ladder_outputs(),
        "results/phyloseq/table.biom",
        "results/metadata.tsv",
        "results/provenance/provenance.json",
        *get_qc_outputs(),
        *get_maturity_outputs(),
        *get_scfa_outputs(),
        *get_stats_outputs(),
        *get_claims_outputs(),
        *get_acquisition_outputs(),
    ]


def get_stats_outputs():
    """Tables of the configured stats analyses (by name in the report)."""
    st = config["stats"]
    out = []
    if st["permanova"]:
        out += expand("results/stats/permanova/{metric}.tsv", metric=BETA_METRICS)
    if st["differential"]:
        out.append("results/stats/differential_abundance.tsv")
    if st["longitudinal"]:
        out.append("results/stats/alpha_mixed_models.tsv")
    if st["paired"]["enabled"]:
        out += [
            "results/stats/paired_gut_lung.tsv",
            "results/stats/paired_lung_samples.tsv",
        ]
    return out


def get_maturity_outputs():
    """The maturity tables when config maturity.enabled is true."""
    if config["maturity"]["enabled"]:
        return ["results/maturity/maturity.tsv", "results/maturity/importances.tsv"]
    return []


def get_scfa_outputs():
    """The SCFA-producer indices when config scfa.enabled is true."""
    return ["results/scfa/indices.tsv"] if config["scfa"]["enabled"] else []


def get_report_figures():
    """Names of the report's SVG figures (maturity ones when enabled)."""
    figures = list(REPORT_FIGURES)
    if config["maturity"]["enabled"]:
        figures += list(MATURITY_FIGURES)
    if config["scfa"]["enabled"]:
        figures += list(SCFA_FIGURES)
    if config["stats"]["differential"]:
        figures += list(DIFFERENTIAL_FIGURES)
    if config["claims"]["enabled"]:
        figures += list(CLAIMS_FIGURES)
    if get_qc_outputs():
        figures += list(QUALITY_FIGURES)
    return figures


def get_provenance_files(wildcards):
    """Input files by role (JSON), for results/provenance/inputs.tsv."""
    files = {
        "sheet": [str(SAMPLE_SHEET)],
        "config": [str(p) for p in workflow.configfiles],
        "reference": [str(config["taxonomy"]["reference"])],
    }
    if not STUDIES:
        reads = [p for col in ("fq1", "fq2") if col in samples for p in samples[col]]
        files["reads"] = [str(p) for p in reads if p]
    entry = config.get("feature_table") or {}
    files["feature_table"] = [
        str(entry[k])
        for k in ("table", "sequences", "taxonomy", "tree")
        if entry.get(k)
    ]
    files["claims"] = get_claims_catalogue() if config["claims"]["enabled"] else []
    return json.dumps({k: v for k, v in files.items() if v}, sort_keys=True)


def get_ladder_outputs():
    """The evidence ladder's standalone page when config claims.enabled."""
    if config["claims"]["enabled"]:
        return ["results/report/evidence_ladder.html"]
    return []


def get_ladder_arg(wildcards, output):
    """``--ladder PATH`` when the report rule writes the ladder page."""
    paths = list(output.ladder) if "ladder" in output.keys() else []
    return f"--ladder {shlex.quote(paths[0])}" if paths else ""


def get_report_inputs(wildcards):
    """The report's files, named by the keys of its manifest
    (gutlung_pipeline.report.names.MANIFEST_FILES)."""
    inputs = {
        "tracking": "results/decontam/read_tracking.tsv",
        "table": "results/decontam/table.biom",
        "taxonomy": "results/taxonomy/taxonomy.tsv",
        "samples": SAMPLE_SHEET,
        "alpha": "results/diversity/alpha.tsv",
        "rarefaction": "results/diversity/rarefaction_summary.tsv",
        "curves": "results/diversity/rarefaction_curves_by_group.tsv",
        "pcoa": expand("results/diversity/pcoa/{metric}.txt", metric=BETA_METRICS),
        "contaminants": "results/decontam/contaminants.tsv",
        "filtered": "results/decontam/filtered_features.tsv",
        "signal": "results/decontam/signal.tsv",
        "mock": "results/decontam/mock.tsv",
        "mock_taxa": "results/decontam/mock_taxa.tsv",
    }
    if config["maturity"]["enabled"]:
        inputs["maturity"], inputs["importances"] = get_maturity_outputs()
    inputs.update(zip(("scfa",), get_scfa_outputs()))
    inputs["provenance"] = "results/provenance/provenance.json"
    st = config["stats"]
    if st["permanova"]:
        inputs["permanova"] = expand(
            "results/stats/permanova/{metric}.tsv", metric=BETA_METRICS
        )
    if st["differential"]:
        inputs["differential"] = "results/stats/differential_abundance.tsv"
    if st["longitudinal"]:
        inputs["mixed_models"] = "results/stats/alpha_mixed_models.tsv"
    if st["paired"]["enabled"]:
        inputs["paired"] = "results/stats/paired_gut_lung.tsv"
        inputs["paired_samples"] = "results/stats/paired_lung_samples.tsv"
    inputs.update(zip(("claims",), get_claims_outputs()))
    inputs.update(zip(("quality",), get_qc_outputs()))
    inputs.update(zip(("runs", "unmapped", "dropped"), get_acquisition_outputs()))
    if STUDIES:
        inputs["studies"] = "results/combined/studies.tsv"
    return inputs


def get_primer_lengths():
    """The primers' lengths when the reads start with them, else 0 and 0."""
    p = config.get("primers") or {}
    if not p.get("in_reads", True) or "forward" not in p:
        return [0, 0]
    return [len(p["forward"]), len(p["reverse"])]


def get_report_manifest(wildcards, input):
    """The report's manifest (JSON): its files as the rule names them, and
    the settings of its captions and groups."""
    d, m = config["diversity"], config["maturity"]
    settings = {
        "title": config["report"]["title"],
        "group_column": d["group_column"],
        # rarefactions averaged for alpha diversity; 0 = unrarefied counts
        "rarefactions": d["rarefactions"] if d["rarefy_alpha"] else 0,
        "maturity_group": m["reference_column"],
        "maturity_rank": m["rank"],
        "age_column": m["age_column"],
        # the quality figure counts positions from the read's first base
        "primer_lengths": get_primer_lengths(),
    }
    files = {key: input[key] for key in input.keys()}
    return json.dumps(report_manifest(files, settings), sort_keys=True)
