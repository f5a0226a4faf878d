"""Inputs: ENA runs, the analysis sheet, imported tables, merged studies."""

from __future__ import annotations

import logging
from pathlib import Path

from .options import add_output, add_threads, command, schema_default

log = logging.getLogger("gutlung")


def _one_per_study(names: list[str], lists: dict[str, list[str]]) -> None:
    """Each option gives one file per --study, in the same order."""
    for flag, values in lists.items():
        if len(values) != len(names):
            raise SystemExit(
                f"{flag}: {len(values)} files for {len(names)} studies; give one "
                "per --study, in the same order"
            )


def cmd_fetch_runs(args) -> None:
    """Run ``gutlung fetch-runs``.

    Download ENA runs (resume, retries, md5) into a shared cache.
    """
    from ..inputs.ena import fetch_runs
    from ..io import write_tsv

    runs = fetch_runs(
        args.accession,
        args.cache,
        base_url=args.base_url,
        scheme=args.scheme,
        retries=args.retries,
        backoff=args.backoff,
    )
    write_tsv(runs, args.output, index=False)
    failed = runs[runs["status"] != "ok"]
    log.info("%d runs fetched, %d failed", len(runs) - len(failed), len(failed))
    for _, r in failed.iterrows():
        log.error("%s excluded: %s", r["run_accession"], r["reason"])


def add_fetch_runs(sub) -> None:
    """Declare ``gutlung fetch-runs`` and its options on ``sub``."""
    p = command(
        sub,
        "fetch-runs",
        cmd_fetch_runs,
        "download ENA runs (resume, retries, md5) into a shared cache",
    )
    p.add_argument(
        "--accession",
        nargs="+",
        required=True,
        help="study (PRJEB, ERP...) or run (ERR, SRR...)",
    )
    p.add_argument("--cache", required=True, help="download cache folder")
    add_output(p, "runs.tsv: files and status")
    p.add_argument(
        "--base-url",
        default=schema_default("acquire.portal_url"),
        help="ENA portal API (a local server in the tests)",
    )
    p.add_argument(
        "--scheme",
        choices=["https", "http"],
        default=schema_default("acquire.scheme"),
        help="for fastq_ftp paths without a scheme",
    )
    p.add_argument(
        "--retries",
        type=int,
        default=schema_default("acquire.retries"),
        help="attempts per request before giving up",
    )
    p.add_argument(
        "--backoff",
        type=float,
        default=schema_default("acquire.backoff"),
        help="first wait, seconds",
    )


def cmd_fetch_run(args) -> None:
    """Run ``gutlung fetch-run``.

    Download one ENA run of a saved filereport; write its status.
    """
    from ..inputs.ena import fetch_run, read_filereport
    from ..io import write_json

    report = read_filereport(args.filereport).set_index("run_accession", drop=False)
    if args.run not in report.index:
        raise SystemExit(f"{args.filereport}: run {args.run} is not listed")
    status = fetch_run(
        report.loc[args.run],
        args.cache,
        scheme=args.scheme,
        retries=args.retries,
        backoff=args.backoff,
        timeout=args.timeout,
        threads=args.threads,
    )
    write_json(status, args.output)
    if status["status"] != "ok":
        log.error("%s excluded: %s", args.run, status["reason"])


def add_fetch_run(sub) -> None:
    """Declare ``gutlung fetch-run`` and its options on ``sub``."""
    p = command(
        sub,
        "fetch-run",
        cmd_fetch_run,
        "download one ENA run of a saved filereport; write its status",
    )
    p.add_argument("--run", required=True, help="run accession")
    p.add_argument("--filereport", required=True, help="saved filereport TSV")
    p.add_argument("--cache", required=True, help="download cache folder")
    add_output(p, "status JSON")
    p.add_argument(
        "--scheme",
        choices=["https", "http"],
        default=schema_default("acquire.scheme"),
        help="scheme of ENA's FASTQ URLs (https, or http for a local server)",
    )
    p.add_argument(
        "--retries",
        type=int,
        default=schema_default("acquire.retries"),
        help="attempts per file before giving up",
    )
    p.add_argument(
        "--backoff",
        type=float,
        default=schema_default("acquire.backoff"),
        help="first wait, seconds",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=schema_default("acquire.timeout"),
        help="seconds",
    )
    add_threads(p, "fasterq-dump threads")


def cmd_acquisition(args) -> None:
    """Run ``gutlung acquisition``.

    The analysis sheet from the plan and the download statuses.
    """
    from ..inputs.plan import finish_samples, plan_samples
    from ..io import read_json, write_tsv

    plan = plan_samples(
        sheet=args.sheet,
        accessions=args.accession or [],
        mapping=args.mapping,
        metadata=args.metadata,
        cache=args.cache,
        fetch=None,
        reads=not args.no_reads,
    )
    sheet, runs = finish_samples(plan, [read_json(p) for p in args.status or []])
    failed = runs[runs["status"] != "ok"]
    for _, r in failed.iterrows():
        log.error(
            "%s (%s) excluded: %s", r["sample_id"], r["run_accession"], r["reason"]
        )
    if sheet.empty:
        status_dir = Path(args.status[0]).parent if args.status else "the status"
        raise SystemExit(
            f"every one of the {len(runs)} runs failed to download (reasons above "
            "and in the fetch_run logs); fix the network or the accessions, then "
            f"delete {status_dir}/*.json to try again"
        )
    write_tsv(plan.unmapped, args.unmapped, index=False)
    write_tsv(plan.dropped, args.dropped, index=False)
    write_tsv(runs, args.runs, index=False)
    write_tsv(sheet, args.output_sheet, index=False)
    log.info("%d samples, %d runs failed", len(sheet), len(failed))


def add_acquisition(sub) -> None:
    """Declare ``gutlung acquisition`` and its options on ``sub``."""
    p = command(
        sub,
        "acquisition",
        cmd_acquisition,
        "the analysis sheet from the plan and the download statuses",
    )
    p.add_argument("--sheet", help="the configured sample sheet")
    p.add_argument("--accession", nargs="*", help="configured study/run accessions")
    p.add_argument("--mapping", help="metadata mapping YAML")
    p.add_argument(
        "--metadata",
        default=schema_default("acquire.metadata"),
        help="'ena' or a metadata file",
    )
    p.add_argument("--cache", required=True, help="download cache folder")
    p.add_argument("--status", nargs="*", help="fetch-run status JSONs")
    p.add_argument(
        "--no-reads",
        action="store_true",
        help="samples of a feature table: no FASTQ expected",
    )
    p.add_argument("--output-sheet", required=True, help="analysis samples.tsv")
    p.add_argument("--runs", required=True, help="runs.tsv")
    p.add_argument("--unmapped", required=True, help="unmapped_values.tsv")
    p.add_argument("--dropped", required=True, help="dropped_samples.tsv")


def cmd_import_table(args) -> None:
    """Run ``gutlung import-table``.

    A feature table (BIOM/TSV/.qza) into the ASV-table outputs.
    """
    from ..denoise import read_tracking
    from ..inputs.feature_table import import_feature_table
    from ..inputs.sheet import read_sample_sheet
    from ..io import (
        read_fasta_or_qza,
        read_table_subset,
        read_taxonomy_table,
        table_sample_ids,
        write_biom,
        write_fasta,
        write_table_tsv,
        write_tsv,
    )

    samples = list(read_sample_sheet(args.samples)["sample_id"])
    # the table's own samples, before the subset keeps the sheet's
    all_ids = table_sample_ids(args.table)
    raw = read_table_subset(args.table, samples)
    imported = import_feature_table(
        raw,
        samples=samples,
        sequences=read_fasta_or_qza(args.sequences) if args.sequences else None,
        taxonomy=read_taxonomy_table(args.taxonomy) if args.taxonomy else None,
        source=args.table,
        min_found=args.min_found,
    )
    table = imported.table
    tree = None
    if args.tree:
        from skbio import TreeNode

        from ..inputs.feature_table import import_tree
        from ..phylogeny import to_newick

        tree = to_newick(
            import_tree(TreeNode.read(args.tree), imported, source=args.tree)
        )
    write_fasta(imported.fasta.items(), args.fasta)
    write_table_tsv(table, args.tsv)
    write_biom(table, args.biom)
    write_tsv(read_tracking({s: {} for s in samples}, table), args.tracking)
    if imported.taxonomy is not None:
        write_tsv(imported.taxonomy, args.taxonomy_output)
    if tree is not None:
        from ..io import atomic_path

        with atomic_path(args.tree_output) as tmp:
            Path(tmp).write_text(tree)
    if imported.without_sequence:
        log.warning(
            "%d features without a sequence in %s left out: %.2f%% of the sheet's "
            "reads have a sequence (feature_table.min_found %g)",
            imported.without_sequence,
            args.sequences,
            100 * imported.reads_found,
            args.min_found,
        )
    left_out = (
        "an unknown number of" if all_ids is None else len(set(all_ids) - set(samples))
    )
    log.info(
        "%d features x %d samples imported; %s samples of the table not in the "
        "sheet left out",
        len(table),
        table.shape[1],
        left_out,
    )


def add_import_table(sub) -> None:
    """Declare ``gutlung import-table`` and its options on ``sub``."""
    p = command(
        sub,
        "import-table",
        cmd_import_table,
        "a feature table (BIOM/TSV/.qza) into the ASV-table outputs",
    )
    p.add_argument("--table", required=True, help="feature table")
    p.add_argument("--sequences", help="FASTA of the features")
    p.add_argument(
        "--min-found",
        type=float,
        default=schema_default("feature_table.min_found"),
        help="share of the reads whose feature must have a sequence "
        "(default: %(default)s; below 1 features without one are left out)",
    )
    p.add_argument("--tree", help="the study's Newick tree, tips = feature IDs")
    p.add_argument("--tree-output", help="the tree on the imported features")
    p.add_argument("--taxonomy", help="taxonomy TSV of the features")
    p.add_argument("--samples", required=True, help="sample sheet")
    p.add_argument("--biom", required=True, help="the imported table, HDF5 BIOM")
    p.add_argument("--tsv", required=True, help="the imported table, TSV")
    p.add_argument(
        "--fasta", required=True, help="the features' sequences, labelled by MD5"
    )
    p.add_argument(
        "--tracking",
        required=True,
        help="the read tracking (the table's reads per sample)",
    )
    p.add_argument("--taxonomy-output", help="taxonomy.tsv (with --taxonomy)")


def cmd_combine_studies(args) -> None:
    """Run ``gutlung combine-studies``.

    Merge studies' decontaminated tables at one taxonomic rank.
    """
    import pandas as pd

    from ..inputs.sheet import read_sample_sheet
    from ..inputs.studies import STACKED, combine_tables, stack_tables
    from ..io import read_table, read_taxonomy, write_biom, write_table_tsv, write_tsv

    names = args.study
    lists = {
        "--table": args.table,
        "--taxonomy": args.taxonomy,
        "--samples": args.samples,
    }
    lists.update({f"--{k.replace('_', '-')}": getattr(args, k) for k in STACKED})
    _one_per_study(names, lists)
    tables = {n: read_table(p) for n, p in zip(names, args.table, strict=True)}
    taxonomies = {
        n: read_taxonomy(p) for n, p in zip(names, args.taxonomy, strict=True)
    }
    table, taxonomy, summary = combine_tables(tables, taxonomies, rank=args.rank)
    sheets = [
        read_sample_sheet(p).assign(study=n)
        for n, p in zip(names, args.samples, strict=True)
    ]
    sheet = pd.concat(sheets, ignore_index=True, sort=False)
    for key in STACKED:
        paths = dict(zip(names, getattr(args, key), strict=True))
        write_tsv(stack_tables(paths), getattr(args, f"{key}_output"), index=False)
    write_tsv(summary, args.summary, index=False)
    write_tsv(taxonomy, args.taxonomy_output, index=False)
    write_tsv(sheet, args.samples_output, index=False)
    write_table_tsv(table, args.tsv)
    write_biom(table, args.biom)
    log.info(
        "%d studies, %d samples merged into %d taxa at rank %s",
        len(names),
        table.shape[1],
        len(table),
        args.rank,
    )


def add_combine_studies(sub) -> None:
    """Declare ``gutlung combine-studies`` and its options on ``sub``."""
    p = command(
        sub,
        "combine-studies",
        cmd_combine_studies,
        "merge studies' decontaminated tables at one taxonomic rank",
    )
    p.add_argument("--study", nargs="+", required=True, help="study names")
    p.add_argument(
        "--rank",
        default=schema_default("combine.rank"),
        help="rank letter to merge at (d..s)",
    )
    p.add_argument("--table", nargs="+", required=True, help="per study, in order")
    p.add_argument(
        "--taxonomy",
        nargs="+",
        required=True,
        help="each study's taxonomy.tsv, in --studies order",
    )
    p.add_argument("--samples", nargs="+", required=True, help="per-study sheets")
    # studies.STACKED, spelled out so the parser does not import pandas
    for key in (
        "read_tracking",
        "contaminants",
        "filtered_features",
        "signal",
        "mock",
        "mock_taxa",
    ):
        flag = key.replace("_", "-")
        p.add_argument(
            f"--{flag}",
            nargs="+",
            required=True,
            help=f"each study's {key}.tsv, in order",
        )
        p.add_argument(f"--{flag}-output", required=True, help="stacked, + study")
    p.add_argument("--biom", required=True, help="merged table (BIOM)")
    p.add_argument("--tsv", required=True, help="merged table (TSV)")
    p.add_argument("--taxonomy-output", required=True, help="taxonomy of the taxa")
    p.add_argument("--samples-output", required=True, help="merged sheet + study")
    p.add_argument("--summary", required=True, help="one row per study")


def cmd_stack_tables(args) -> None:
    """Run ``gutlung stack-tables``.

    Stack one kind of table of several studies, + a study column.
    """
    from ..inputs.studies import stack_tables
    from ..io import write_tsv

    _one_per_study(args.study, {"--input": args.input})
    tables = dict(zip(args.study, args.input, strict=True))
    write_tsv(stack_tables(tables), args.output, index=False)


def add_stack_tables(sub) -> None:
    """Declare ``gutlung stack-tables`` and its options on ``sub``."""
    p = command(
        sub,
        "stack-tables",
        cmd_stack_tables,
        "stack one kind of table of several studies, + a study column",
    )
    p.add_argument("--study", nargs="+", required=True, help="study names")
    p.add_argument("--input", nargs="+", required=True, help="per study, in order")
    add_output(p)


#: This stage's subcommands, in the order ``gutlung --help`` lists them.
PARSERS = (
    add_fetch_runs,
    add_fetch_run,
    add_acquisition,
    add_import_table,
    add_combine_studies,
    add_stack_tables,
)
