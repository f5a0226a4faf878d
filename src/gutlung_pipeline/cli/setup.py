"""Set-up: validate a config, write the demo data, build or fetch a reference."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from .options import add_output, add_primers, add_seed, command

log = logging.getLogger("gutlung")


def cmd_validate(args) -> None:
    """Run ``gutlung validate``: validate a config and its sample sheet."""
    from ..config import check_workflow_inputs, load_config, plan_warnings
    from ..inputs.plan import plan_from_config

    config = load_config(args.config)
    if args.samples:
        config["samples"] = args.samples
    plan = plan_from_config(config, check_files=not args.no_file_check)
    samples = plan.sheet
    check_workflow_inputs(config, samples, source=str(args.config))
    for line in plan_warnings(config, samples):
        print(f"gutlung-pipeline: warning: {args.config}: {line}", file=sys.stderr)
    layout = "paired-end" if plan.paired else "single-end"
    where = config["samples"] or "acquire.accessions"
    remote = f" ({len(plan.remote)} from ENA)" if plan.remote else ""
    print(f"{args.config}: valid; {where}: {len(samples)} samples, {layout}{remote}")


def add_validate(sub) -> None:
    """Declare ``gutlung validate`` and its options on ``sub``."""
    p = command(sub, "validate", cmd_validate, "validate a config and its sample sheet")
    p.add_argument("--config", required=True, help="the config YAML to check")
    p.add_argument("--samples", help="sample sheet (default: the config's)")
    p.add_argument("--no-file-check", action="store_true", help="skip FASTQ checks")


def cmd_simulate(args) -> None:
    """Run ``gutlung simulate``: write a seeded synthetic gut-lung cohort."""
    from ..io import write_tsv
    from ..simulate import load_reference, mock_expected, simulate_cohort, write_cohort

    reference = load_reference(args.reference)
    sheet, truth = simulate_cohort(
        reference,
        args.out_dir,
        forward=args.forward,
        reverse=args.reverse,
        n_subjects=args.n_subjects,
        n_controls=args.n_controls,
        reads_per_sample=args.reads,
        read_length=args.read_length,
        chimera_rate=args.chimera_rate,
        layout=args.layout,
        random_state=args.seed,
        n_infants=args.n_infants,
        n_mocks=args.n_mocks,
        contaminant_load=args.contaminant_load,
        n_contaminants=args.n_contaminants,
        contaminant_sd=args.contaminant_sd,
        conc_noise=args.conc_noise,
        lung_biomass=tuple(args.lung_biomass),
        cross_talk=args.cross_talk,
        reagent_lots=args.reagent_lots,
        copd_butyrate_fold=args.copd_butyrate_fold,
        primers_in_reads=not args.primers_not_in_reads,
        chimera_model=args.chimera_model,
    )
    out = Path(args.out_dir)
    write_cohort(
        sheet,
        truth,
        sheet_path=args.sample_sheet or out / "samples.tsv",
        truth_path=args.truth or out / "truth.tsv",
    )
    if args.n_mocks:
        write_tsv(mock_expected(), out / "mock_expected.tsv", index=False)
    log.info("wrote %d samples to %s", len(sheet), out)


def add_simulate(sub) -> None:
    """Declare ``gutlung simulate`` and its options on ``sub``."""
    p = command(
        sub, "simulate", cmd_simulate, "write a seeded synthetic gut-lung cohort"
    )
    p.add_argument("--reference", required=True, help="SINTAX FASTA of V4 sequences")
    p.add_argument(
        "--out-dir",
        required=True,
        help="folder for the reads (OUT_DIR/reads/), the sheet and the truth",
    )
    p.add_argument("--sample-sheet", help="default: OUT_DIR/samples.tsv")
    p.add_argument("--truth", help="default: OUT_DIR/truth.tsv")
    p.add_argument(
        "--n-subjects",
        type=int,
        default=12,
        help="adults, each with a stool and a BAL sample",
    )
    p.add_argument(
        "--n-controls",
        type=int,
        default=0,
        help="extraction blanks (reagent contaminants only)",
    )
    p.add_argument(
        "--n-infants",
        type=int,
        default=0,
        help="children with a stool series (7 days to 2 years)",
    )
    p.add_argument(
        "--n-mocks",
        type=int,
        default=0,
        help="mock samples (OUT_DIR/mock_expected.tsv)",
    )
    p.add_argument(
        "--contaminant-load",
        type=float,
        default=0.05,
        help="reagent DNA per extraction, ng/ul",
    )
    p.add_argument(
        "--n-contaminants",
        type=int,
        default=8,
        help="strains in the reagent profile",
    )
    p.add_argument(
        "--contaminant-sd",
        type=float,
        default=0.0,
        help="log-normal SD of the reagent DNA between extractions (0: fixed)",
    )
    p.add_argument(
        "--conc-noise",
        type=float,
        default=0.1,
        help="log-normal SD of the measured dna_conc",
    )
    p.add_argument(
        "--lung-biomass",
        type=float,
        nargs=2,
        default=[0.02, 3.0],
        metavar=("LOW", "HIGH"),
        help="range of the lung samples' own DNA, ng/ul (log-uniform)",
    )
    p.add_argument(
        "--cross-talk",
        type=float,
        default=0.0,
        help="share of a stool extract leaking into each BAL sample and blank",
    )
    p.add_argument(
        "--reagent-lots",
        type=float,
        default=0.0,
        help="share of each run's reagent profile that is the run's own lot",
    )
    p.add_argument(
        "--copd-butyrate-fold",
        type=float,
        default=0.25,
        help="factor on COPD stool's butyrate producers (1 plants nothing)",
    )
    p.add_argument("--reads", type=int, default=2000, help="read pairs per sample")
    p.add_argument("--read-length", type=int, default=250, help="bases per read")
    p.add_argument(
        "--chimera-rate",
        type=float,
        default=0.03,
        help="share of each sample's reads drawn from two-parent chimeras",
    )
    p.add_argument(
        "--layout",
        choices=["paired", "single"],
        default="paired",
        help="paired writes R1 and R2, single R1 only",
    )
    p.add_argument(
        "--primers-not-in-reads",
        action="store_true",
        help="reads start after the primers (the EMP protocol; with "
        "--read-length 150, its 2x150 design)",
    )
    p.add_argument(
        "--chimera-model",
        choices=["fixed", "pcr"],
        default="fixed",
        help="fixed: six chimeras a sample share the chimeric reads (a stress "
        "design); pcr: every pair of templates by the product of abundances",
    )
    add_seed(p)
    add_primers(p)


def cmd_simulate_table(args) -> None:
    """Run ``gutlung simulate-table``: write seeded table-stage infant cohorts."""
    from ..io import write_biom, write_tsv
    from ..simulate import load_reference, simulate_birth_cohorts

    table, taxonomy, sheet, truth = simulate_birth_cohorts(
        load_reference(args.reference),
        args.studies,
        n_infants=args.n_infants,
        ages_days=tuple(args.ages),
        n_adults=args.n_adults,
        depth=args.depth,
        maternal_odds_ratio=args.maternal_odds_ratio,
        asthma_butyrate_fold=args.asthma_butyrate_fold,
        random_state=args.seed,
    )
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_biom(table, out / "table.biom")
    write_tsv(taxonomy, out / "taxonomy.tsv", index=False)
    write_tsv(truth, out / "truth.tsv", index=False)
    # the sheet last: its presence says the cohort is complete
    write_tsv(sheet, out / "samples.tsv", index=False)
    log.info(
        "wrote %d samples of %d studies (%d features) to %s",
        table.shape[1],
        len(args.studies),
        table.shape[0],
        out,
    )


def add_simulate_table(sub) -> None:
    """Declare ``gutlung simulate-table`` and its options on ``sub``."""
    p = command(
        sub,
        "simulate-table",
        cmd_simulate_table,
        "write seeded table-stage infant cohorts",
    )
    p.add_argument("--reference", required=True, help="SINTAX FASTA of V4 sequences")
    p.add_argument(
        "--out-dir",
        required=True,
        help="table.biom, taxonomy.tsv, samples.tsv, truth.tsv",
    )
    p.add_argument(
        "--studies",
        nargs="+",
        default=["cohort"],
        help="one cohort per name (the sheet's study column)",
    )
    p.add_argument("--n-infants", type=int, default=400, help="children per study")
    p.add_argument(
        "--ages",
        type=int,
        nargs="+",
        default=[7, 30, 91, 365, 730],
        help="sampling ages (days); COPSAC2010: 7 30 365",
    )
    p.add_argument(
        "--n-adults",
        type=int,
        default=0,
        help="adults with one stool each per study (a mature "
        "reference beyond the last visit)",
    )
    p.add_argument(
        "--depth",
        type=int,
        default=5000,
        help="least counts per sample (up to about twice)",
    )
    p.add_argument(
        "--maternal-odds-ratio",
        type=float,
        default=2.0,
        help="planted OR of asthma per SD lower maturity, asthmatic "
        "mothers' children (1 plants nothing)",
    )
    p.add_argument(
        "--asthma-butyrate-fold",
        type=float,
        default=0.5,
        help="share of butyrate-producer reads kept in asthmatic children's "
        "stool from 6 months (1 plants nothing)",
    )
    add_seed(p)


def cmd_build_reference(args) -> None:
    """Run ``gutlung build-reference``.

    Build a V4 SINTAX reference from Greengenes 13_8: every OTU (``--all``) or
    the demo genera.
    """
    from ..reference import build_demo_reference, build_full_reference

    fasta, taxonomy = args.fasta, args.taxonomy
    if fasta is None or taxonomy is None:
        import qiime_default_reference as qdr

        fasta = fasta or qdr.get_reference_sequences()
        taxonomy = taxonomy or qdr.get_reference_taxonomy()
    if args.all:
        if args.exclude:
            raise ValueError("--exclude picks demo genera; leave it out with --all")
        n = build_full_reference(
            fasta, taxonomy, args.output, forward=args.forward, reverse=args.reverse
        )
        log.info("kept %d sequences", n)
        return
    n = build_demo_reference(
        fasta,
        taxonomy,
        args.output,
        forward=args.forward,
        reverse=args.reverse,
        per_genus=args.per_genus,
        exclude=args.exclude,
    )
    log.info("kept %d sequences", n)


def add_build_reference(sub) -> None:
    """Declare ``gutlung build-reference`` and its options on ``sub``."""
    p = command(
        sub,
        "build-reference",
        cmd_build_reference,
        "build a V4 SINTAX reference from Greengenes 13_8",
    )
    p.add_argument("--fasta", help="default: qiime-default-reference 97_otus.fasta")
    p.add_argument("--taxonomy", help="default: its 97_otu_taxonomy.txt")
    add_output(p)
    p.add_argument(
        "--all",
        action="store_true",
        help="every OTU, identical amplicons merged (their common lineage): "
        "the default taxonomy reference; without it the demo genera only",
    )
    p.add_argument(
        "--per-genus",
        type=int,
        default=25,
        help="at most this many sequences of each genus",
    )
    p.add_argument(
        "--exclude",
        help="a SINTAX FASTA whose sequences (and IDs) to leave out: with the "
        "shipped reference, truth for the simulator that the reference lacks",
    )
    add_primers(p)


def cmd_fetch_reference(args) -> None:
    """Run ``gutlung fetch-reference``.

    Download a manifest reference, check it, convert to SINTAX.
    """
    from ..io import read_yaml
    from ..reference import fetch_reference

    manifest = read_yaml(args.manifest)
    if args.name not in manifest:
        raise ValueError(
            f"{args.manifest}: no entry {args.name!r}; use one of {', '.join(manifest)}"
        )
    n = fetch_reference(
        manifest[args.name],
        args.output,
        name=args.name,
        sha256=args.sha256,
        workdir=args.download_dir,
    )
    log.info("wrote %d reference sequences to %s", n, args.output)


def add_fetch_reference(sub) -> None:
    """Declare ``gutlung fetch-reference`` and its options on ``sub``."""
    p = command(
        sub,
        "fetch-reference",
        cmd_fetch_reference,
        "download a manifest reference, check it, convert to SINTAX",
    )
    p.add_argument(
        "--manifest",
        required=True,
        help="the reference manifest YAML (resources/reference/manifest.yaml)",
    )
    p.add_argument(
        "--name", required=True, help="the manifest entry to build (e.g. silva-138.2)"
    )
    add_output(p)
    p.add_argument(
        "--download-dir", required=True, help="where the downloaded files are kept"
    )
    p.add_argument("--sha256", nargs="*", help="sha256 per file where none is pinned")


def cmd_provenance(args) -> None:
    """Run ``gutlung provenance``: what the run was made of."""
    import json

    import pandas as pd

    from ..io import atomic_path, write_json, write_tsv
    from ..provenance import collect

    config = json.loads(args.config_json)
    files = json.loads(sys.stdin.read() if args.files == "-" else args.files)
    known = {"snakemake": args.snakemake_version} if args.snakemake_version else {}
    record = collect(config, files, repo=args.repo, dada2=args.dada2, known=known)
    out = Path(args.output_dir)
    write_json(record, out / "provenance.json")
    write_tsv(pd.DataFrame(record["versions"]), out / "versions.tsv", index=False)
    write_tsv(pd.DataFrame(record["inputs"]), out / "inputs.tsv", index=False)
    import yaml

    with atomic_path(out / "config.yaml") as tmp:
        tmp.write_text(yaml.safe_dump(config, sort_keys=False))
    log.info(
        "%d versions, %d input files; commit %s",
        len(record["versions"]),
        len(record["inputs"]),
        record["project"]["commit"] or "none",
    )


def add_provenance(sub) -> None:
    """Declare ``gutlung provenance`` and its options on ``sub``."""
    p = command(
        sub,
        "provenance",
        cmd_provenance,
        "what the run was made of: results/provenance",
    )
    p.add_argument("--config-json", required=True, help="the resolved config, as JSON")
    p.add_argument(
        "--files",
        required=True,
        help="JSON: input files by role, to checksum ('-': read it from stdin)",
    )
    p.add_argument("--repo", required=True, help="the workflow's checkout (git)")
    p.add_argument("--dada2", action="store_true", help="also R's and DADA2's versions")
    p.add_argument(
        "--snakemake-version",
        help="the version of the Snakemake running the workflow (default: ask "
        "the snakemake on PATH)",
    )
    p.add_argument(
        "--output-dir",
        required=True,
        help="folder for provenance.json, versions.tsv, inputs.tsv, config.yaml",
    )


def cmd_init(args) -> None:
    """Run ``gutlung init``: a sample sheet and a minimal config from a folder."""
    from ..errors import ConfigError
    from ..inputs.init import plan_start, write_start

    for path in (args.sheet, args.config):
        if Path(path).exists() and not args.force:
            raise ConfigError(
                [
                    f"{path}: exists; give another --sheet/--config or --force to "
                    "replace it"
                ]
            )
    in_reads = {"yes": True, "no": False, None: None}[args.primers_in_reads]
    start = plan_start(
        args.reads,
        sheet_path=args.sheet,
        study=args.study,
        forward=args.forward,
        reverse=args.reverse,
        in_reads=in_reads,
        reference=args.reference,
    )
    write_start(start, args.sheet, args.config)
    sheet, call = start.sheet, start.primers
    layout = "paired-end" if "fq2" in sheet else "single-end"
    where = "in the reads" if call.in_reads else "not in the reads (they start after)"
    print(
        f"{args.sheet}: {len(sheet)} samples, {layout}; {args.config}: primers "
        f"{call.primers.region} {call.primers.name}, {where}: "
        f"{call.share:.0%} of {call.reads} reads"
    )
    if start.unplaced:
        shown = ", ".join(start.unplaced[:5]) + (
            " ..." if len(start.unplaced) > 5 else ""
        )
        print(
            f"gutlung-pipeline: warning: {args.sheet}: {len(start.unplaced)} samples "
            f"({shown}) have body_site and sample_type 'other': their names do not "
            "say; set them (gut/stool, lung/bal, none/negative_control, ...)",
            file=sys.stderr,
        )
    print(f"next: gutlung validate --config {args.config}")


def add_init(sub) -> None:
    """Declare ``gutlung init`` and its options on ``sub``."""
    p = command(
        sub,
        "init",
        cmd_init,
        "start on your own data: a sample sheet and a minimal config from a "
        "folder of FASTQ",
    )
    p.add_argument(
        "--reads", required=True, help="the folder of FASTQ files (searched below too)"
    )
    p.add_argument("--sheet", default="samples.tsv", help="the sample sheet to write")
    p.add_argument("--config", default="config.yaml", help="the config to write")
    p.add_argument(
        "--study", help="the sheet's study column (default: the folder's name)"
    )
    p.add_argument("--forward", help="forward primer, instead of detecting it")
    p.add_argument("--reverse", help="reverse primer, instead of detecting it")
    p.add_argument(
        "--primers-in-reads",
        choices=["yes", "no"],
        help="whether the reads start with the primers (default: detected)",
    )
    p.add_argument(
        "--reference",
        default="resources/reference/gg_13_8_97_v4.sintax.fasta.gz",
        help="the taxonomy reference the config names (default: the shipped "
        "Greengenes 13_8 V4 one)",
    )
    p.add_argument(
        "--force", action="store_true", help="replace an existing sheet or config"
    )


#: This stage's subcommands, in the order ``gutlung --help`` lists them.
PARSERS = (
    add_init,
    add_validate,
    add_simulate,
    add_simulate_table,
    add_build_reference,
    add_fetch_reference,
    add_provenance,
)
