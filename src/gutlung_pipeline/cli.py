"""The ``gutlung`` command: one subcommand per workflow step.

Each subcommand parses its arguments, calls one tested function and writes the
result. Imports are made inside the handlers so that a per-sample job starts
in a fraction of a second.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
import tempfile
from pathlib import Path

log = logging.getLogger("gutlung")

PRIMER_515F = "GTGYCAGCMGCCGCGGTAA"
PRIMER_806R = "GGACTACNVGGGTWTCTAAT"


# ---------------------------------------------------------------- validation
def cmd_validate(args) -> None:
    from .config import check_workflow_inputs, load_config, maturity_warnings
    from .inputs.plan import plan_from_config

    config = load_config(args.config)
    if args.samples:
        config["samples"] = args.samples
    plan = plan_from_config(config, check_files=not args.no_file_check)
    samples = plan.sheet
    check_workflow_inputs(config, samples, source=str(args.config))
    for line in maturity_warnings(config, samples):
        print(f"gutlung-pipeline: warning: {args.config}: {line}", file=sys.stderr)
    layout = "paired-end" if plan.paired else "single-end"
    where = config["samples"] or "acquire.accessions"
    remote = f" ({len(plan.remote)} from ENA)" if plan.remote else ""
    print(f"{args.config}: valid; {where}: {len(samples)} samples, {layout}{remote}")


# ---------------------------------------------------------------- demo data
def cmd_simulate(args) -> None:
    from .io import write_tsv
    from .simulate import load_reference, mock_expected, simulate_cohort, write_cohort

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


def cmd_simulate_table(args) -> None:
    import pandas as pd

    from .io import write_biom, write_tsv
    from .simulate import (
        in_reference_order,
        load_reference,
        reference_taxonomy,
        simulate_birth_cohort,
    )

    if len(set(args.studies)) != len(args.studies):
        raise SystemExit(
            f"--studies: names repeat ({' '.join(args.studies)}); give each cohort "
            "its own name"
        )
    reference = load_reference(args.reference)
    tables, sheets, truths = [], [], []
    for stream, study in enumerate(args.studies):
        table, sheet, truth = simulate_birth_cohort(
            reference,
            study=study,
            n_infants=args.n_infants,
            ages_days=tuple(args.ages),
            n_adults=args.n_adults,
            depth=args.depth,
            maternal_odds_ratio=args.maternal_odds_ratio,
            random_state=args.seed,
            stream=stream,
        )
        tables.append(table)
        sheets.append(sheet)
        truths.append(truth.assign(study=study))
    table = in_reference_order(pd.concat(tables, axis=1), reference)
    taxonomy = reference_taxonomy(reference)
    taxonomy = taxonomy[taxonomy["Feature ID"].isin(table.index)]
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_biom(table, out / "table.biom")
    write_tsv(taxonomy, out / "taxonomy.tsv", index=False)
    write_tsv(pd.concat(truths, ignore_index=True), out / "truth.tsv", index=False)
    # the sheet last: its presence says the cohort is complete
    write_tsv(pd.concat(sheets, ignore_index=True), out / "samples.tsv", index=False)
    log.info(
        "wrote %d samples of %d studies (%d features) to %s",
        table.shape[1],
        len(args.studies),
        table.shape[0],
        out,
    )


def cmd_build_reference(args) -> None:
    from .reference import build_demo_reference

    fasta, taxonomy = args.fasta, args.taxonomy
    if fasta is None or taxonomy is None:
        import qiime_default_reference as qdr

        fasta = fasta or qdr.get_reference_sequences()
        taxonomy = taxonomy or qdr.get_reference_taxonomy()
    n = build_demo_reference(
        fasta,
        taxonomy,
        args.output,
        forward=args.forward,
        reverse=args.reverse,
        per_genus=args.per_genus,
    )
    log.info("kept %d sequences", n)


def cmd_fetch_reference(args) -> None:
    from .io import read_yaml
    from .reference import fetch_reference

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


# ---------------------------------------------------------------- read steps
def _write_stats(path, sample: str, counts: dict) -> None:
    from .io import write_json

    write_json({"sample": sample, **counts}, path)


def cmd_trim_primers(args) -> None:
    from .reads import trim_primers

    counts = trim_primers(
        args.sample,
        args.fq1,
        args.out1,
        fq2=args.fq2,
        out2=args.out2,
        forward=args.forward,
        reverse=args.reverse,
        error_rate=args.error_rate,
        threads=args.threads,
        in_reads=not args.primers_not_in_reads,
    )
    _write_stats(args.stats, args.sample, counts)


def cmd_pool_uniques(args) -> None:
    from .denoise import pool_uniques

    pool_uniques(args.inputs, args.output, min_size=args.min_size)


def cmd_denoise(args) -> None:
    from .denoise import add_candidates, unoise

    with tempfile.TemporaryDirectory(dir=Path(args.output).parent) as tmp:
        pooled_out = Path(tmp) / "pooled.fasta" if args.candidates else args.output
        counts = unoise(
            args.input,
            pooled_out,
            min_size=args.min_size,
            alpha=args.alpha,
            by_length=not args.all_lengths,
            threads=args.threads,
        )
        log.info(
            "UNOISE centroids: %d, indel errors absorbed: %d, ASVs: %d",
            counts["centroids"],
            counts["indel_absorbed"],
            counts["asvs"],
        )
        if args.candidates:
            added = add_candidates(pooled_out, args.input, args.candidates, args.output)
            log.info(
                "added from the samples' own UNOISE: %d, candidates: %d",
                added["added"],
                added["candidates"],
            )


def cmd_remove_chimeras(args) -> None:
    from .denoise import remove_chimeras

    counts = remove_chimeras(
        args.input,
        args.output,
        abskew=args.abskew,
        bimera_fold=args.bimera_fold,
        reference=args.reference,
        threads=args.threads,
    )
    log.info(
        "chimeras de novo: %d, exact bimeras: %d, rescued by the reference: %d, "
        "against the reference: %d, ASVs: %d",
        counts["chimeras"],
        counts["bimeras"],
        counts["rescued"],
        counts["reference_chimeras"],
        counts["asvs"],
    )


def cmd_sample_reads(args) -> None:
    import json

    from .io import write_json
    from .reads import sample_batch

    fq2 = args.fq2 or [None] * len(args.fq1)
    if not (len(args.sample) == len(args.fq1) == len(fq2)):
        raise ValueError(
            f"{len(args.sample)} samples, {len(args.fq1)} --fq1 and "
            f"{len(args.fq2 or [])} --fq2 files; give one of each a sample, in order"
        )
    counts = sample_batch(
        list(zip(args.sample, args.fq1, fq2, strict=True)),
        derep=args.derep,
        mapping=args.mapping,
        candidates=args.candidates,
        candidate_min_size=args.candidate_min_size,
        alpha=args.alpha,
        threads=args.threads,
        forward=args.forward,
        reverse=args.reverse,
        error_rate=args.error_rate,
        in_reads=not args.primers_not_in_reads,
        min_overlap=args.min_overlap,
        max_diffs=args.max_diffs,
        max_ee=args.max_ee,
        min_length=args.min_length,
        max_length=args.max_length,
        max_ns=args.max_ns,
        trunc_length=args.trunc_length,
    )
    for sample in counts:
        log.info("read counts: %s", json.dumps(sample))
    write_json(counts, args.stats)


def cmd_map_samples(args) -> None:
    from .denoise import map_samples

    counts = map_samples(
        args.mapping,
        args.asvs,
        args.output,
        identity=args.identity,
        threads=args.threads,
    )
    log.info(
        "unique reads: %d; counted by same-length Hamming distance: %d; "
        "searched with vsearch: %d",
        counts["uniques"],
        counts["by_hamming"],
        counts["by_vsearch"],
    )


def cmd_build_table(args) -> None:
    from .denoise import build_table, read_otutab_samples
    from .io import read_fasta

    # vsearch soft-masks low-complexity stretches in lower case; the MD5 labels
    # are of the upper-case sequence, which is what we write
    asvs = {label: seq.upper() for label, seq in read_fasta(args.asvs).items()}
    mapped = read_otutab_samples(args.otutab)
    unknown = sorted(set(mapped) - set(args.samples))
    if unknown:
        raise ValueError(
            f"{args.otutab}: counts for sample {unknown[0]}, which is not in "
            "--samples; map only the samples of this run"
        )
    import pandas as pd

    empty = pd.Series(dtype="int64")  # a sample with no mapped read
    counts = {s: mapped.get(s, empty) for s in args.samples}
    table = build_table(list(asvs), counts)
    _write_asv_outputs(table, asvs, _step_stats(args.samples, args.stats), args)


def _step_stats(samples, paths, extra=None) -> dict[str, dict]:
    """Per-sample read counts from the steps' JSON files (and ``extra``)."""
    from .io import read_json

    stats: dict[str, dict] = {s: {} for s in samples}
    for path in paths:
        docs = read_json(path)  # one sample's counts, or a batch's list of them
        for doc in docs if isinstance(docs, list) else [docs]:
            sample = doc.pop("sample")
            if sample not in stats:
                raise ValueError(f"{path}: stats for sample {sample}, not in --samples")
            stats[sample].update(doc)
    for sample, counts in (extra or {}).items():
        stats[sample].update(counts)
    return stats


def _write_asv_outputs(table, sequences, stats, args) -> None:
    """The ASV table (TSV, BIOM), its sequences and the read tracking."""
    from .denoise import read_tracking
    from .io import write_biom, write_fasta, write_table_tsv, write_tsv

    tracking = read_tracking(stats, table)
    write_fasta(((f, sequences[f]) for f in table.index), args.fasta)
    write_table_tsv(table, args.tsv)
    write_biom(table, args.biom)
    write_tsv(tracking, args.tracking)
    log.info(
        "%d ASVs x %d samples, %d reads", *table.shape, int(table.to_numpy().sum())
    )


def cmd_dada2_denoise(args) -> None:
    from .dada2 import denoise_group

    if len(args.samples) != len(args.fq1) or (
        args.fq2 and len(args.fq2) != len(args.fq1)
    ):
        raise ValueError("give one --fq1 (and --fq2) per --samples ID, in order")
    fq2 = args.fq2 or [None] * len(args.fq1)
    fastqs = dict(zip(args.samples, zip(args.fq1, fq2, strict=True), strict=True))
    with tempfile.TemporaryDirectory(dir=Path(args.seqtab).parent) as tmp:
        denoise_group(
            fastqs,
            tmp,
            args.seqtab,
            args.track,
            trunc_len=args.trunc_len,
            max_ee=args.max_ee,
            trunc_q=args.trunc_q,
            pool=args.pool,
            min_overlap=args.min_overlap,
            max_mismatch=args.max_mismatch,
            threads=args.threads,
            seed=args.seed,
        )


def cmd_dada2_table(args) -> None:
    import pandas as pd

    from .dada2 import group_stats, read_long, remove_bimeras, wide_table

    with tempfile.TemporaryDirectory(dir=Path(args.tsv).parent) as tmp:
        nochim = Path(tmp) / "nochim.tsv"
        remove_bimeras(
            args.seqtabs, nochim, method=args.chimera_method, threads=args.threads
        )
        table, sequences = wide_table(read_long(nochim), args.samples)
    extra: dict[str, dict] = {}
    for path in args.tracks:
        extra.update(group_stats(pd.read_csv(path, sep="\t", dtype={0: str})))
    _write_asv_outputs(
        table, sequences, _step_stats(args.samples, args.stats, extra), args
    )


# ---------------------------------------------------------------- taxonomy, tree
def cmd_assign_taxonomy(args) -> None:
    from .io import write_tsv
    from .taxonomy import read_sintax_tabbed, run_sintax, sintax_to_qiime

    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "sintax.tsv"
        run_sintax(args.asvs, args.reference, raw, seed=args.seed)
        predictions = read_sintax_tabbed(raw)
    taxonomy = sintax_to_qiime(predictions, confidence=args.confidence)
    write_tsv(taxonomy, args.output)
    if args.raw:
        write_tsv(
            predictions.rename("prediction").to_frame().rename_axis("Feature ID"),
            args.raw,
        )


def cmd_root_tree(args) -> None:
    from .io import atomic_path
    from .phylogeny import midpoint_root, to_newick

    tree = midpoint_root(Path(args.input).read_text())
    with atomic_path(args.output) as tmp:
        tmp.write_text(to_newick(tree))


# ---------------------------------------------------------------- diversity
def _read_tree(path):
    from skbio import TreeNode

    return TreeNode.read(str(path), format="newick")


def cmd_rarefy(args) -> None:
    from .diversity import rarefy
    from .io import read_table, write_biom, write_tsv

    table = read_table(args.table)
    rarefied, summary = rarefy(table, depth=args.depth, random_state=args.seed)
    if rarefied.shape[1] == 0:
        raise ValueError(
            f"{args.table}: no sample reaches the rarefaction depth {args.depth} "
            f"(largest has {int(summary['reads'].max())} reads); lower "
            "diversity.rarefaction_depth in the config"
        )
    write_biom(rarefied, args.output)
    write_tsv(summary, args.summary)


def _metrics(text: str | None, default: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(text.split(",")) if text else default


def cmd_alpha(args) -> None:
    from .diversity import ALPHA_METRICS, alpha, alpha_rarefied
    from .io import read_table, write_tsv

    table = read_table(args.table)
    tree = _read_tree(args.tree) if args.tree else None
    metrics = _metrics(args.metrics, ALPHA_METRICS)
    if "faith_pd" in metrics and tree is None:
        raise ValueError(
            "faith_pd needs the rooted tree; give --tree or drop the metric"
        )
    if args.iterations == 0:
        mean = alpha(table.loc[:, table.sum(axis=0) > 0], tree=tree, metrics=metrics)
        sd = mean * float("nan")
    else:
        if args.depth is None:
            raise ValueError("--depth is needed unless --iterations 0 (unrarefied)")
        mean, sd = alpha_rarefied(
            table,
            depth=args.depth,
            iterations=args.iterations,
            random_state=args.seed,
            tree=tree,
            metrics=metrics,
        )
    if args.sd_output:
        write_tsv(sd, args.sd_output)
    write_tsv(mean, args.output)


def cmd_curves(args) -> None:
    from .diversity import (
        CURVE_METRICS,
        curve_depths,
        curves_by_group,
        rarefaction_curves,
    )
    from .io import read_metadata, read_table, write_tsv

    table = read_table(args.table)
    tree = _read_tree(args.tree) if args.tree else None
    metrics = tuple(m for m in CURVE_METRICS if tree is not None or m != "faith_pd")
    reads = table.sum(axis=0)
    max_depth = args.max_depth or int(reads[reads > 0].median())
    curves = rarefaction_curves(
        table,
        depths=curve_depths(max_depth, args.steps),
        iterations=args.iterations,
        random_state=args.seed,
        tree=tree,
        metrics=metrics,
    )
    md = read_metadata(args.samples)
    groups = md[args.site_column].astype(str)
    if args.group_column and args.group_column in md:
        groups = groups + " / " + md[args.group_column].fillna("NA").astype(str)
    write_tsv(curves_by_group(curves, groups), args.groups_output, index=False)
    write_tsv(curves, args.output, index=False)


def cmd_beta(args) -> None:
    from .diversity import PHYLOGENETIC, beta, beta_rarefied
    from .io import atomic_path, read_table

    table = read_table(args.table)
    if args.metric in PHYLOGENETIC and not args.tree:
        raise ValueError(f"{args.metric} needs the rooted tree; give --tree")
    tree = _read_tree(args.tree) if args.tree else None
    if args.depth is None:
        dm = beta(table, metric=args.metric, tree=tree, pseudocount=args.pseudocount)
    else:
        dm = beta_rarefied(
            table,
            metric=args.metric,
            depth=args.depth,
            iterations=args.iterations,
            random_state=args.seed,
            tree=tree,
            pseudocount=args.pseudocount,
        )
    with atomic_path(args.output) as tmp:
        dm.write(str(tmp))


@contextlib.contextmanager
def _naming(path):
    """Prefix a ValueError raised inside with the file it is about."""
    try:
        yield
    except ValueError as err:
        raise ValueError(f"{path}: {err}") from None


def _analyses(text: str) -> list[dict]:
    import json

    try:
        analyses = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"--analyses is not JSON: {err}") from None
    if not isinstance(analyses, list):
        raise ValueError("--analyses must be a JSON list of analyses")
    return analyses


def _concat_or_header(frames, header) -> object:
    import pandas as pd

    frames = [f for f in frames if len(f)]
    return (
        pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=header)
    )


def cmd_permanova(args) -> None:
    from skbio import DistanceMatrix

    from .io import read_metadata, write_tsv
    from .stats import permanova_table

    dm = DistanceMatrix.read(args.distance)
    md = read_metadata(args.metadata)
    frames = [
        permanova_table(
            dm,
            md,
            analysis,
            metric=args.metric,
            permutations=args.permutations,
            seed=args.seed + 1000 * i,
        )
        for i, analysis in enumerate(_analyses(args.analyses))
    ]
    write_tsv(_concat_or_header(frames, ["analysis"]), args.output, index=False)


def cmd_differential(args) -> None:
    from .io import read_metadata, read_table, read_taxonomy, write_tsv
    from .stats import differential_abundance

    table = read_table(args.table)
    taxonomy = read_taxonomy(args.taxonomy) if args.taxonomy else None
    md = read_metadata(args.metadata)
    with _naming(args.metadata):
        frames = [
            differential_abundance(table, md, a, taxonomy=taxonomy, seed=args.seed)
            for a in _analyses(args.analyses)
        ]
    write_tsv(_concat_or_header(frames, ["analysis"]), args.output, index=False)


def cmd_alpha_lme(args) -> None:
    from .io import read_metadata, read_tsv, write_tsv
    from .stats import alpha_mixed_model

    alpha = read_tsv(args.alpha)
    md = read_metadata(args.metadata)
    with _naming(args.metadata):
        frames = [alpha_mixed_model(alpha, md, a) for a in _analyses(args.analyses)]
    write_tsv(_concat_or_header(frames, ["analysis"]), args.output, index=False)


def cmd_paired(args) -> None:
    from skbio import DistanceMatrix

    from .io import read_metadata, read_table, write_tsv
    from .stats import paired_gut_lung

    with _naming(args.metadata):
        tests, per_lung = paired_gut_lung(
            read_table(args.table),
            DistanceMatrix.read(args.distance),
            read_metadata(args.metadata),
            subject=args.subject_column,
            site=args.site_column,
            gut=args.gut,
            lung=args.lung,
            metric=args.metric,
            permutations=args.permutations,
            seed=args.seed,
        )
    write_tsv(per_lung, args.per_sample, index=False)
    write_tsv(tests, args.output, index=False)


def cmd_pcoa(args) -> None:
    from skbio import DistanceMatrix

    from .diversity import ordinate
    from .io import atomic_path

    ordination = ordinate(DistanceMatrix.read(args.input))
    with atomic_path(args.output) as tmp:
        ordination.write(str(tmp))


def cmd_decontam(args) -> None:
    import pandas as pd

    from .decontam import is_contaminant, is_not_contaminant
    from .io import read_metadata, read_table, write_biom, write_tsv

    table = read_table(args.table)
    md = read_metadata(args.metadata).reindex(table.columns)
    for col in (args.neg_column, args.conc_column, args.batch_column):
        if col and col not in md:
            raise ValueError(
                f"{args.metadata}: no column {col!r}; name one of its columns"
            )
    neg = md[args.neg_column].astype(str) == args.neg_value if args.neg_column else None
    conc = (
        pd.to_numeric(md[args.conc_column], errors="coerce")
        if args.conc_column
        else None
    )
    batch = md[args.batch_column] if args.batch_column else None
    threshold = args.threshold[0] if len(args.threshold) == 1 else tuple(args.threshold)
    with _naming(args.metadata):
        if args.not_contaminant:
            res = is_not_contaminant(
                table.T,
                neg=neg,
                threshold=threshold,
                batch=batch,
                batch_combine=args.batch_combine,
            )
            drop = ~res["not.contaminant"]
        else:
            res = is_contaminant(
                table.T,
                conc=conc,
                neg=neg,
                method=args.method,
                batch=batch,
                batch_combine=args.batch_combine,
                threshold=threshold,
            )
            drop = res["contaminant"]
    res = res.rename_axis("feature_id")
    clean = table.loc[~table.index.isin(res.index[drop])]
    if neg is not None:
        clean = clean.loc[:, ~neg.reindex(clean.columns).fillna(False).to_numpy(bool)]
    write_biom(clean, args.clean_table)
    write_tsv(res, args.output)
    log.info("%d of %d features removed", int(drop.sum()), len(res))


# ---------------------------------------------------------------- maturity
def cmd_maturity(args) -> None:
    import pandas as pd

    from .io import read_metadata, read_table, write_tsv
    from .maturity import maturity_index, maturity_index_qiime2
    from .tables import collapse

    table = read_table(args.table)
    metadata = read_metadata(args.metadata)
    reference = None
    if args.reference_table:
        from .maturity import join_reference

        if not args.reference_metadata:
            raise ValueError("--reference-table needs --reference-metadata")
        table, metadata, reference = join_reference(
            table,
            metadata,
            read_table(args.reference_table),
            read_metadata(args.reference_metadata),
        )
    if args.body_site or args.max_age is not None or args.bin_edges:
        from .maturity import scored_samples

        if not args.age_column:
            raise ValueError("--body-site, --max-age and --bin-edges need --age-column")
        metadata = scored_samples(
            metadata,
            age_column=args.age_column,
            body_site=args.body_site,
            max_age=args.max_age,
            bin_edges=args.bin_edges,
        )
    state_column = "age_bin" if args.bin_edges else args.state_column
    if state_column is None:
        raise ValueError("give --state-column or --bin-edges")
    table = table[[s for s in table.columns if s in metadata.index]]
    empty = list(table.columns[table.sum(axis=0) == 0])
    if empty:
        log.warning("left out of maturity, no reads: %s", ", ".join(empty))
        table = table.drop(columns=empty)
    if reference is None:
        if not args.group_by or not args.control:
            raise ValueError("give --group-by and --control, or --reference-table")
        if args.group_by not in metadata.columns:
            raise ValueError(f"{args.metadata}: no column {args.group_by!r}")
        reference = metadata[args.group_by].astype(str) == args.control
    elif args.mode == "qiime2":
        raise ValueError("--reference-table works with --mode grouped only")
    if args.mode == "qiime2":
        result = maturity_index_qiime2(
            table,
            metadata,
            state_column=state_column,
            group_by=args.group_by,
            control=args.control,
            n_estimators=args.n_estimators,
            test_size=args.test_size,
            stratify=args.stratify,
            random_state=args.seed,
            n_jobs=args.threads,
        )
    else:
        for opt in ("age_column", "subject_column"):
            if getattr(args, opt) is None:
                raise ValueError(f"--mode grouped needs --{opt.replace('_', '-')}")
        if args.taxonomy and args.rank != "asv":
            from .io import read_taxonomy

            table = collapse(table, read_taxonomy(args.taxonomy), rank=args.rank)
        result = maturity_index(
            table,
            metadata,
            age_column=args.age_column,
            bin_column=state_column,
            subject_column=args.subject_column,
            reference=reference,
            method=args.method,
            n_estimators=args.n_estimators,
            n_selected=args.n_selected or None,
            n_folds=args.folds,
            min_per_bin=args.min_per_bin,
            random_state=args.seed,
            n_jobs=args.threads,
        )
        log.info(
            "%s: out-of-fold Spearman(predicted, age) = %.3f over all ages",
            args.method,
            result.cv_spearman,
        )
        for _, b in result.cv_by_bin.iterrows():
            rho = f"{b['spearman']:.3f}" if pd.notna(b["spearman"]) else "n/a (one age)"
            log.info(
                "  bin %g: %d reference samples, out-of-fold Spearman with age %s, "
                "median prediction %.0f, %.0f%% within 5%% of the oldest reference "
                "age",
                b["bin"],
                b["n"],
                rho,
                b["median_prediction"],
                100 * b["at_ceiling"],
            )
    write_tsv(result.scores.rename_axis("sample_id"), args.output)
    write_tsv(result.importances.rename_axis("feature_id").to_frame(), args.importances)


def cmd_decontaminate(args) -> None:
    import json

    from .decontam import decontaminate, read_expected
    from .inputs.sheet import load_samples
    from .io import (
        read_table,
        read_taxonomy,
        read_tsv,
        write_biom,
        write_table_tsv,
        write_tsv,
    )

    settings = json.loads(args.settings)
    # the table steps need no reads (a study may enter at the table stage)
    samples = load_samples(args.samples, check_files=False, reads=False)
    expected = settings["mock"]["expected"]
    with _naming(args.samples):
        result = decontaminate(
            read_table(args.table),
            samples,
            read_taxonomy(args.taxonomy),
            settings=settings,
            tracking=read_tsv(args.tracking) if args.tracking else None,
            expected=read_expected(expected) if expected else None,
        )
    write_tsv(result.contaminants, args.contaminants, index=False)
    write_tsv(result.filtered, args.filtered)
    write_tsv(result.signal, args.signal)
    write_tsv(result.tracking, args.tracking_output, index=False)
    write_tsv(result.mock, args.mock, index=False)
    write_tsv(result.mock_taxa, args.mock_taxa, index=False)
    write_table_tsv(result.table, args.output_tsv)
    write_biom(result.table, args.output)  # last: the table marks completion
    calls = result.contaminants
    log.info(
        "%d off-target features; %d contaminant calls (%s); %d samples flagged",
        len(result.filtered),
        int(calls["contaminant"].sum()),
        ", ".join(
            f"{s}: {int(g['contaminant'].sum())}" for s, g in calls.groupby("body_site")
        ),
        int(result.signal["flagged"].sum()),
    )


def cmd_claims(args) -> None:
    from skbio import DistanceMatrix

    from .claims import load_catalogue, run_claims
    from .inputs.sheet import read_sample_sheet
    from .io import read_table, read_taxonomy, read_tsv, write_tsv

    claims = load_catalogue(args.catalogue or None)
    sheet = read_sample_sheet(args.samples).set_index("sample_id")
    sources = {
        "alpha": read_tsv(args.alpha) if args.alpha else None,
        "maturity": read_tsv(args.maturity) if args.maturity else None,
        "table": read_table(args.table) if args.table else None,
        "taxonomy": read_taxonomy(args.taxonomy) if args.taxonomy else None,
        "beta": {Path(p).stem: DistanceMatrix.read(p) for p in args.distance or []},
    }
    with _naming(args.samples):
        out = run_claims(
            claims,
            sheet,
            sources,
            permutations=args.permutations,
            seed=args.seed,
            power_reps=args.power_reps,
        )
    write_tsv(out, args.output, index=False)
    log.info(
        "%d claims x studies: %s",
        len(out),
        ", ".join(f"{k} {v}" for k, v in out["verdict"].value_counts().items()),
    )


def cmd_power(args) -> None:
    import pandas as pd

    from .claims import load_catalogue
    from .claims.power import planned_power

    claims = {c["id"]: c for c in load_catalogue(args.catalogue or None)}
    if args.claim not in claims:
        raise ValueError(
            f"no claim {args.claim!r} in the catalogue; one of: {', '.join(claims)}"
        )
    rows = [
        planned_power(
            claims[args.claim],
            n,
            effect=args.effect,
            event_rate=args.event_rate,
            modifier_share=args.modifier_share,
            group_share=args.group_share,
            sd=args.sd,
            exposure_sd=args.exposure_sd,
            per_subject=args.per_subject,
            icc=args.icc,
            reps=args.reps,
            seed=args.seed,
        )
        for n in args.n
    ]
    table = pd.DataFrame(rows)
    print(table.to_csv(sep="\t", index=False, float_format="%.4g"), end="")


def cmd_fetch_runs(args) -> None:
    from .inputs.ena import fetch_runs
    from .io import write_tsv

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


def cmd_import_table(args) -> None:
    from .denoise import read_tracking
    from .inputs.feature_table import import_feature_table
    from .inputs.sheet import read_sample_sheet
    from .io import (
        read_fasta,
        read_table_subset,
        read_tsv,
        write_biom,
        write_fasta,
        write_table_tsv,
        write_tsv,
    )

    samples = list(read_sample_sheet(args.samples)["sample_id"])
    raw = read_table_subset(args.table, samples)
    table, fasta, taxonomy, left_out = import_feature_table(
        raw,
        samples=samples,
        sequences=read_fasta(args.sequences) if args.sequences else None,
        taxonomy=read_tsv(args.taxonomy) if args.taxonomy else None,
        source=args.table,
    )
    write_fasta(fasta.items(), args.fasta)
    write_table_tsv(table, args.tsv)
    write_biom(table, args.biom)
    write_tsv(read_tracking({s: {} for s in samples}, table), args.tracking)
    if taxonomy is not None:
        write_tsv(taxonomy, args.taxonomy_output)
    log.info(
        "%d features x %d samples imported; %d samples of the table not in the "
        "sheet left out",
        len(table),
        table.shape[1],
        len(left_out),
    )


def cmd_fetch_run(args) -> None:
    from .inputs.ena import fetch_run, read_filereport
    from .io import write_json

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


def cmd_acquisition(args) -> None:
    from .inputs.plan import finish_samples, plan_samples
    from .io import read_json, write_tsv

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


def _one_per_study(names: list[str], lists: dict[str, list[str]]) -> None:
    """Each option gives one file per --study, in the same order."""
    for flag, values in lists.items():
        if len(values) != len(names):
            raise SystemExit(
                f"{flag}: {len(values)} files for {len(names)} studies; give one "
                "per --study, in the same order"
            )


def cmd_combine_studies(args) -> None:
    import pandas as pd

    from .inputs.sheet import read_sample_sheet
    from .inputs.studies import STACKED, combine_tables, stack_tables
    from .io import read_table, read_taxonomy, write_biom, write_table_tsv, write_tsv

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


def cmd_stack_tables(args) -> None:
    from .inputs.studies import stack_tables
    from .io import write_tsv

    _one_per_study(args.study, {"--input": args.input})
    tables = dict(zip(args.study, args.input, strict=True))
    write_tsv(stack_tables(tables), args.output, index=False)


# ---------------------------------------------------------------- report
def cmd_report(args) -> None:
    from .report import build_report

    build_report(
        tracking=args.tracking,
        table=args.table,
        taxonomy=args.taxonomy,
        samples=args.samples,
        alpha=args.alpha,
        rarefaction=args.rarefaction,
        pcoa=args.pcoa,
        group_column=args.group_column,
        title=args.title,
        output=args.output,
        figures_dir=args.figures_dir,
        maturity=args.maturity,
        importances=args.maturity_importances,
        maturity_group=args.maturity_group,
        maturity_rank=args.maturity_rank,
        curves=args.curves,
        rarefactions=args.rarefactions,
        permanova=args.permanova,
        differential=args.differential,
        mixed_models=args.mixed_models,
        paired=args.paired,
        paired_samples=args.paired_samples,
        decontam=_decontam_tables(args),
        claims=args.claims,
        acquisition=(
            {"runs": args.runs, "unmapped": args.unmapped, "dropped": args.dropped}
            if args.runs
            else None
        ),
        studies=args.studies,
    )


def _decontam_tables(args) -> dict[str, str] | None:
    """The contamination tables for the report: all five or none."""
    tables = {
        "contaminants": args.contaminants,
        "filtered": args.filtered_features,
        "signal": args.signal,
        "mock": args.mock,
        "mock_taxa": args.mock_taxa,
    }
    given = [k for k, v in tables.items() if v]
    if not given:
        return None
    if len(given) < len(tables):
        missing = ", ".join(k for k in tables if k not in given)
        raise ValueError(
            f"the contamination section needs all five tables; add {missing}"
        )
    return tables


# ---------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gutlung", description="gutlung-pipeline steps (called by the workflow)."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name, func, help_):
        p = sub.add_parser(name, help=help_, description=help_)
        p.set_defaults(func=func)
        return p

    def primers(p):
        p.add_argument("--forward", default=PRIMER_515F, help="forward primer (515F)")
        p.add_argument("--reverse", default=PRIMER_806R, help="reverse primer (806R)")

    p = add("validate", cmd_validate, "validate a config and its sample sheet")
    p.add_argument("--config", required=True)
    p.add_argument("--samples", help="sample sheet (default: the config's)")
    p.add_argument("--no-file-check", action="store_true", help="skip FASTQ checks")

    p = add("simulate", cmd_simulate, "write a seeded synthetic gut-lung cohort")
    p.add_argument("--reference", required=True, help="SINTAX FASTA of V4 sequences")
    p.add_argument("--out-dir", required=True)
    p.add_argument("--sample-sheet", help="default: OUT_DIR/samples.tsv")
    p.add_argument("--truth", help="default: OUT_DIR/truth.tsv")
    p.add_argument("--n-subjects", type=int, default=12)
    p.add_argument("--n-controls", type=int, default=0)
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
    p.add_argument("--reads", type=int, default=2000, help="read pairs per sample")
    p.add_argument("--read-length", type=int, default=250)
    p.add_argument("--chimera-rate", type=float, default=0.03)
    p.add_argument("--layout", choices=["paired", "single"], default="paired")
    p.add_argument("--seed", type=int, default=42)
    primers(p)

    p = add(
        "simulate-table", cmd_simulate_table, "write seeded table-stage infant cohorts"
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
    p.add_argument("--seed", type=int, default=42)

    p = add(
        "build-reference",
        cmd_build_reference,
        "build the small V4 SINTAX reference from Greengenes 13_8",
    )
    p.add_argument("--fasta", help="default: qiime-default-reference 97_otus.fasta")
    p.add_argument("--taxonomy", help="default: its 97_otu_taxonomy.txt")
    p.add_argument("--output", required=True)
    p.add_argument("--per-genus", type=int, default=25)
    primers(p)

    p = add(
        "fetch-reference",
        cmd_fetch_reference,
        "download a manifest reference, check it, convert to SINTAX",
    )
    p.add_argument("--manifest", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--download-dir", required=True)
    p.add_argument("--sha256", nargs="*", help="sha256 per file where none is pinned")

    p = add("trim-primers", cmd_trim_primers, "remove primers with cutadapt")
    p.add_argument("--sample", required=True)
    p.add_argument("--fq1", required=True)
    p.add_argument("--fq2")
    p.add_argument("--out1", required=True)
    p.add_argument("--out2")
    p.add_argument("--error-rate", type=float, default=0.1)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--stats", required=True, help="JSON read counts")
    p.add_argument(
        "--primers-not-in-reads",
        action="store_true",
        help="reads start after the primer (EMP): keep all",
    )
    primers(p)

    p = add("pool-uniques", cmd_pool_uniques, "pool per-sample uniques")
    p.add_argument("--inputs", nargs="+", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--min-size", type=int, default=1)

    p = add("denoise", cmd_denoise, "UNOISE3 denoising of pooled uniques")
    p.add_argument("--input", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--min-size", type=int, default=8)
    p.add_argument("--alpha", type=float, default=2.0)
    p.add_argument(
        "--all-lengths",
        action="store_true",
        help="one UNOISE over all lengths (vsearch's own; indels not counted)",
    )
    p.add_argument("--candidates", nargs="*", help="per-sample UNOISE centroids")
    p.add_argument(
        "--threads",
        type=int,
        default=1,
        help="lengths denoised side by side, each on one thread",
    )

    p = add("remove-chimeras", cmd_remove_chimeras, "chimera removal (UCHIME3)")
    p.add_argument("--input", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--abskew", type=float, default=16.0, help="de novo parent skew")
    p.add_argument(
        "--bimera-fold",
        type=float,
        default=32.0,
        help="exact two-parent chimeras' parent skew (0: off)",
    )
    p.add_argument("--reference", help="also check against this FASTA (uchime_ref)")
    p.add_argument("--threads", type=int, default=1)

    p = add("dada2-denoise", cmd_dada2_denoise, "DADA2 on one group of samples")
    p.add_argument("--samples", nargs="+", required=True)
    p.add_argument("--fq1", nargs="+", required=True, help="primer-trimmed R1")
    p.add_argument("--fq2", nargs="+", help="primer-trimmed R2 (paired-end)")
    p.add_argument("--seqtab", required=True, help="long sequence table out")
    p.add_argument("--track", required=True, help="per-sample counts out")
    p.add_argument("--trunc-len", type=int, nargs=2, default=[0, 0])
    p.add_argument("--max-ee", type=float, nargs=2, default=[2.0, 2.0])
    p.add_argument("--trunc-q", type=int, default=2)
    p.add_argument("--pool", choices=["false", "true", "pseudo"], default="false")
    p.add_argument("--min-overlap", type=int, default=12)
    p.add_argument("--max-mismatch", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=1)

    p = add("dada2-table", cmd_dada2_table, "DADA2 chimera removal and the ASV table")
    p.add_argument("--seqtabs", nargs="+", required=True)
    p.add_argument("--tracks", nargs="+", required=True)
    p.add_argument("--samples", nargs="+", required=True)
    p.add_argument("--stats", nargs="+", required=True, help="primer-trim JSON counts")
    p.add_argument(
        "--chimera-method",
        choices=["consensus", "pooled", "per-sample"],
        default="consensus",
    )
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--biom", required=True)
    p.add_argument("--tsv", required=True)
    p.add_argument("--fasta", required=True)
    p.add_argument("--tracking", required=True)

    p = add("sample-reads", cmd_sample_reads, "a few samples' read steps in one job")
    p.add_argument("--samples", "--sample", dest="sample", nargs="+", required=True)
    p.add_argument("--fq1", nargs="+", required=True, help="one a sample, in order")
    p.add_argument("--fq2", nargs="+", help="paired-end: one a sample, in order")
    p.add_argument("--derep", required=True, help="filtered uniques out")
    p.add_argument("--mapping", required=True, help="all merged uniques out")
    p.add_argument("--candidates", help="the samples' own UNOISE centroids out")
    p.add_argument("--candidate-min-size", type=int, default=4, help="0: none")
    p.add_argument("--alpha", type=float, default=2.0)
    p.add_argument("--stats", required=True)
    p.add_argument("--forward", required=True)
    p.add_argument("--reverse", required=True)
    p.add_argument("--error-rate", type=float, default=0.1)
    p.add_argument("--primers-not-in-reads", action="store_true")
    p.add_argument("--min-overlap", type=int, default=16)
    p.add_argument("--max-diffs", type=int, default=10)
    p.add_argument("--max-ee", type=float, default=1.0)
    p.add_argument("--min-length", type=int)
    p.add_argument("--max-length", type=int)
    p.add_argument("--max-ns", type=int, default=0)
    p.add_argument("--trunc-length", type=int)
    p.add_argument("--threads", type=int, default=1, help="samples side by side")

    p = add("map-samples", cmd_map_samples, "count all samples' reads per ASV")
    p.add_argument("--mapping", nargs="+", required=True, help="dereplicated reads")
    p.add_argument("--asvs", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--identity", type=float, default=0.97)
    p.add_argument("--threads", type=int, default=1)

    p = add("build-table", cmd_build_table, "ASV table, sequences and read tracking")
    p.add_argument("--asvs", required=True, help="non-chimeric ASVs (MD5 labels)")
    p.add_argument("--samples", nargs="+", required=True)
    p.add_argument("--otutab", required=True, help="all samples' otutab (map-samples)")
    p.add_argument("--stats", nargs="+", required=True, help="per-step JSON counts")
    p.add_argument("--biom", required=True)
    p.add_argument("--tsv", required=True)
    p.add_argument("--fasta", required=True)
    p.add_argument("--tracking", required=True)

    p = add("assign-taxonomy", cmd_assign_taxonomy, "SINTAX taxonomy, QIIME 2 layout")
    p.add_argument("--asvs", required=True)
    p.add_argument("--reference", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--raw", help="also write the raw SINTAX predictions here")
    p.add_argument("--confidence", type=float, default=0.8)
    p.add_argument("--seed", type=int, default=42)

    p = add("root-tree", cmd_root_tree, "midpoint-root a Newick tree")
    p.add_argument("--input", required=True)
    p.add_argument("--output", required=True)

    p = add("rarefy", cmd_rarefy, "seeded rarefaction; lists excluded samples")
    p.add_argument("--table", required=True)
    p.add_argument("--depth", type=int, required=True)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--output", required=True)
    p.add_argument("--summary", required=True)

    p = add(
        "alpha-diversity", cmd_alpha, "alpha diversity, mean over seeded rarefactions"
    )
    p.add_argument("--table", required=True, help="unrarefied counts")
    p.add_argument("--tree", help="rooted Newick tree (for faith_pd)")
    p.add_argument("--depth", type=int, help="rarefaction depth")
    p.add_argument(
        "--iterations",
        type=int,
        default=10,
        help="rarefactions averaged; 0 = unrarefied counts",
    )
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--metrics", help="comma-separated (default: all six)")
    p.add_argument("--output", required=True, help="mean per sample")
    p.add_argument("--sd-output", help="SD over the rarefactions")

    p = add("rarefaction-curves", cmd_curves, "alpha rarefaction curves")
    p.add_argument("--table", required=True)
    p.add_argument("--tree")
    p.add_argument("--samples", required=True, help="sample sheet or metadata")
    p.add_argument("--site-column", default="body_site")
    p.add_argument("--group-column")
    p.add_argument("--max-depth", type=int, help="default: median library size")
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--iterations", type=int, default=10)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--output", required=True, help="per sample and depth")
    p.add_argument("--groups-output", required=True, help="per group and depth")

    p = add("beta-diversity", cmd_beta, "a distance matrix")
    p.add_argument("--table", required=True, help="unrarefied counts")
    p.add_argument("--tree")
    p.add_argument("--metric", required=True)
    p.add_argument(
        "--depth", type=int, help="rarefy to this depth (mean of --iterations)"
    )
    p.add_argument("--iterations", type=int, default=10)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--pseudocount", type=float, default=1.0, help="for aitchison")
    p.add_argument("--output", required=True)

    p = add("permanova", cmd_permanova, "adonis2-style PERMANOVA and betadisper")
    p.add_argument("--distance", required=True)
    p.add_argument("--metadata", required=True)
    p.add_argument(
        "--analyses", required=True, help="JSON list (config stats.permanova)"
    )
    p.add_argument("--metric", required=True, help="name written to the table")
    p.add_argument("--permutations", type=int, default=999)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--output", required=True)

    p = add("differential", cmd_differential, "ANCOM-BC and dirmult_ttest, BH")
    p.add_argument("--table", required=True, help="unrarefied counts")
    p.add_argument("--taxonomy")
    p.add_argument("--metadata", required=True)
    p.add_argument(
        "--analyses", required=True, help="JSON list (config stats.differential)"
    )
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--output", required=True)

    p = add("alpha-lme", cmd_alpha_lme, "alpha ~ fixed + (1 | subject), statsmodels")
    p.add_argument("--alpha", required=True)
    p.add_argument("--metadata", required=True)
    p.add_argument(
        "--analyses", required=True, help="JSON list (config stats.longitudinal)"
    )
    p.add_argument("--output", required=True)

    p = add("paired", cmd_paired, "paired gut-lung sharing, Mantel, Procrustes")
    p.add_argument("--table", required=True, help="unrarefied counts")
    p.add_argument("--distance", required=True)
    p.add_argument("--metadata", required=True)
    p.add_argument("--subject-column", default="subject_id")
    p.add_argument("--site-column", default="body_site")
    p.add_argument("--gut", default="gut")
    p.add_argument("--lung", default="lung")
    p.add_argument("--metric", default="braycurtis")
    p.add_argument("--permutations", type=int, default=999)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--output", required=True, help="one row per test")
    p.add_argument("--per-sample", required=True, help="one row per lung sample")

    p = add("pcoa", cmd_pcoa, "principal coordinates of a distance matrix")
    p.add_argument("--input", required=True)
    p.add_argument("--output", required=True)

    p = add("decontam", cmd_decontam, "R decontam's contaminant calls; a clean table")
    p.add_argument("--table", required=True, help="counts (features x samples)")
    p.add_argument("--metadata", required=True)
    p.add_argument(
        "--method",
        default="auto",
        choices=[
            "auto",
            "frequency",
            "prevalence",
            "combined",
            "minimum",
            "either",
            "both",
        ],
    )
    p.add_argument(
        "--threshold",
        type=float,
        nargs="+",
        default=[0.1],
        help="one value, or frequency then prevalence",
    )
    p.add_argument("--neg-column", help="column marking negative controls")
    p.add_argument("--neg-value", default="negative_control")
    p.add_argument("--conc-column", help="DNA concentration column")
    p.add_argument("--batch-column", help="run or extraction plate")
    p.add_argument(
        "--batch-combine", default="minimum", choices=["minimum", "product", "fisher"]
    )
    p.add_argument(
        "--not-contaminant",
        action="store_true",
        help="isNotContaminant: keep its not.contaminant",
    )
    p.add_argument("--output", required=True, help="per-feature evidence and call")
    p.add_argument(
        "--clean-table", required=True, help="without contaminants and controls"
    )

    p = add(
        "decontaminate",
        cmd_decontaminate,
        "the workflow's contamination step: off-target features, decontam per "
        "body site, signal above background, mock accuracy",
    )
    p.add_argument(
        "--table", required=True, help="denoised counts (features x samples)"
    )
    p.add_argument("--taxonomy", required=True, help="taxonomy.tsv (Feature ID, Taxon)")
    p.add_argument("--samples", required=True, help="the sample sheet")
    p.add_argument("--tracking", help="read_tracking.tsv from denoising")
    p.add_argument(
        "--settings", required=True, help="the config's decontam section as JSON"
    )
    p.add_argument("--output", required=True, help="analysis table (BIOM)")
    p.add_argument("--output-tsv", required=True, help="analysis table (TSV)")
    p.add_argument("--contaminants", required=True, help="evidence per feature, site")
    p.add_argument("--filtered", required=True, help="off-target features removed")
    p.add_argument("--signal", required=True, help="signal above background")
    p.add_argument("--tracking-output", required=True, help="read tracking, extended")
    p.add_argument("--mock", required=True, help="mock accuracy per mock sample")
    p.add_argument("--mock-taxa", required=True, help="mock shares per taxon")

    p = add(
        "claims", cmd_claims, "re-test the literature's gut-lung claims: claims.tsv"
    )
    p.add_argument("--samples", required=True, help="the sample sheet")
    p.add_argument(
        "--catalogue", nargs="*", help="claims YAML files or folders (default: shipped)"
    )
    p.add_argument("--alpha", help="alpha.tsv")
    p.add_argument("--maturity", help="maturity.tsv (maturity claims)")
    p.add_argument("--table", help="analysis table (taxa claims)")
    p.add_argument("--taxonomy", help="taxonomy.tsv (taxa claims)")
    p.add_argument("--distance", nargs="*", help="distance matrices, named by file")
    p.add_argument("--permutations", type=int, default=999)
    p.add_argument(
        "--power-reps",
        type=int,
        default=200,
        help="simulated datasets per power estimate",
    )
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--output", required=True, help="claims.tsv")

    p = add(
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
    p.add_argument("--output", required=True, help="runs.tsv: files and status")
    p.add_argument("--base-url", default="https://www.ebi.ac.uk/ena/portal/api")
    p.add_argument(
        "--scheme",
        choices=["https", "http"],
        default="https",
        help="for fastq_ftp paths without a scheme",
    )
    p.add_argument("--retries", type=int, default=4)
    p.add_argument("--backoff", type=float, default=1.0, help="first wait, seconds")

    p = add(
        "import-table",
        cmd_import_table,
        "a feature table (BIOM/TSV/.qza) into the ASV-table outputs",
    )
    p.add_argument("--table", required=True, help="feature table")
    p.add_argument("--sequences", help="FASTA of the features")
    p.add_argument("--taxonomy", help="taxonomy TSV of the features")
    p.add_argument("--samples", required=True, help="sample sheet")
    p.add_argument("--biom", required=True)
    p.add_argument("--tsv", required=True)
    p.add_argument("--fasta", required=True)
    p.add_argument("--tracking", required=True)
    p.add_argument("--taxonomy-output", help="taxonomy.tsv (with --taxonomy)")

    p = add(
        "combine-studies",
        cmd_combine_studies,
        "merge studies' decontaminated tables at one taxonomic rank",
    )
    p.add_argument("--study", nargs="+", required=True, help="study names")
    p.add_argument("--rank", default="g", help="rank letter to merge at (d..s)")
    p.add_argument("--table", nargs="+", required=True, help="per study, in order")
    p.add_argument("--taxonomy", nargs="+", required=True)
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
        p.add_argument(f"--{flag}", nargs="+", required=True)
        p.add_argument(f"--{flag}-output", required=True, help="stacked, + study")
    p.add_argument("--biom", required=True, help="merged table (BIOM)")
    p.add_argument("--tsv", required=True, help="merged table (TSV)")
    p.add_argument("--taxonomy-output", required=True, help="taxonomy of the taxa")
    p.add_argument("--samples-output", required=True, help="merged sheet + study")
    p.add_argument("--summary", required=True, help="one row per study")

    p = add(
        "stack-tables",
        cmd_stack_tables,
        "stack one kind of table of several studies, + a study column",
    )
    p.add_argument("--study", nargs="+", required=True, help="study names")
    p.add_argument("--input", nargs="+", required=True, help="per study, in order")
    p.add_argument("--output", required=True)

    p = add(
        "fetch-run",
        cmd_fetch_run,
        "download one ENA run of a saved filereport; write its status",
    )
    p.add_argument("--run", required=True, help="run accession")
    p.add_argument("--filereport", required=True, help="saved filereport TSV")
    p.add_argument("--cache", required=True, help="download cache folder")
    p.add_argument("--output", required=True, help="status JSON")
    p.add_argument("--scheme", choices=["https", "http"], default="https")
    p.add_argument("--retries", type=int, default=4)
    p.add_argument("--backoff", type=float, default=2.0, help="first wait, seconds")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds")
    p.add_argument("--threads", type=int, default=1, help="fasterq-dump threads")

    p = add(
        "acquisition",
        cmd_acquisition,
        "the analysis sheet from the plan and the download statuses",
    )
    p.add_argument("--sheet", help="the configured sample sheet")
    p.add_argument("--accession", nargs="*", help="configured study/run accessions")
    p.add_argument("--mapping", help="metadata mapping YAML")
    p.add_argument("--metadata", default="ena", help="'ena' or a metadata file")
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

    p = add("power", cmd_power, "power to detect a claim's published effect at sizes N")
    p.add_argument("--claim", required=True, help="claim ID")
    p.add_argument("--n", type=int, nargs="+", required=True, help="sample sizes")
    p.add_argument(
        "--effect", type=float, help="effect to plan for (default: the published one)"
    )
    p.add_argument("--event-rate", type=float, default=0.25)
    p.add_argument("--modifier-share", type=float, default=0.3)
    p.add_argument("--group-share", type=float, default=0.3)
    p.add_argument("--sd", type=float, default=1.0, help="outcome SD (group tests)")
    p.add_argument("--exposure-sd", type=float, default=1.0)
    p.add_argument(
        "--per-subject",
        type=int,
        default=2,
        help="samples per subject (mixed-model claims)",
    )
    p.add_argument(
        "--icc",
        type=float,
        default=0.5,
        help="outcome variance share between subjects (mixed)",
    )
    p.add_argument("--reps", type=int, default=500)
    p.add_argument("--catalogue", nargs="*")
    p.add_argument("--seed", type=int, default=42)

    p = add("maturity", cmd_maturity, "microbiota age, relative maturity and MAZ")
    p.add_argument("--table", required=True, help="counts: BIOM, TSV or QIIME 2 .qza")
    p.add_argument("--metadata", required=True, help="TSV, first column sample ID")
    p.add_argument(
        "--mode",
        choices=["grouped", "qiime2"],
        default="grouped",
        help="grouped (default) or QIIME 2's recipe exactly",
    )
    p.add_argument("--state-column", help="age bin column (or give --bin-edges)")
    p.add_argument("--bin-edges", type=float, nargs="+", help="age bin edges")
    p.add_argument("--body-site", help="score only samples of this body_site")
    p.add_argument("--max-age", type=float, help="leave out older samples")
    p.add_argument("--group-by", help="column defining the reference")
    p.add_argument("--control", help="its value for reference samples")
    p.add_argument("--reference-table", help="grouped: a separate reference study")
    p.add_argument("--reference-metadata", help="its metadata TSV")
    p.add_argument("--age-column", help="grouped: chronological age (spline x)")
    p.add_argument("--subject-column", help="grouped: subject ID (folds by subject)")
    p.add_argument("--taxonomy", help="grouped: taxonomy.tsv, to collapse to --rank")
    p.add_argument(
        "--rank", default="g", help="grouped: rank letter or asv (default g)"
    )
    p.add_argument(
        "--method",
        choices=["ensemble", "trajectory", "forest", "clr_enet"],
        default="ensemble",
        help="grouped: model of age (maturity.method)",
    )
    p.add_argument(
        "--n-selected",
        type=int,
        default=50,
        help="grouped: features kept per fold (0 = all)",
    )
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--min-per-bin", type=int, default=5)
    p.add_argument("--n-estimators", type=int, default=500)
    p.add_argument("--test-size", type=float, default=0.5, help="qiime2 mode")
    p.add_argument("--stratify", action="store_true", help="qiime2 mode")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--output", required=True, help="per-sample scores TSV")
    p.add_argument("--importances", required=True, help="feature importances TSV")

    p = add("report", cmd_report, "the self-contained HTML report")
    p.add_argument("--tracking", required=True)
    p.add_argument("--table", required=True)
    p.add_argument("--taxonomy", required=True)
    p.add_argument("--samples", required=True, help="sample sheet")
    p.add_argument("--alpha", required=True)
    p.add_argument("--rarefaction", required=True)
    p.add_argument("--pcoa", nargs="+", required=True, help="ordination files")
    p.add_argument("--group-column", default="asthma")
    p.add_argument("--title", default="gutlung-pipeline report")
    p.add_argument("--output", required=True)
    p.add_argument("--figures-dir", required=True)
    p.add_argument("--maturity", help="maturity.tsv: adds the maturity figures")
    p.add_argument("--maturity-importances", help="importances.tsv of the model")
    p.add_argument("--maturity-group", default="asthma")
    p.add_argument("--maturity-rank", default="g")
    p.add_argument("--curves", help="rarefaction_curves_by_group.tsv")
    p.add_argument("--rarefactions", type=int, default=1, help="for the captions")
    p.add_argument("--permanova", nargs="+", help="permanova/<metric>.tsv files")
    p.add_argument("--differential", help="differential_abundance.tsv")
    p.add_argument("--mixed-models", help="alpha_mixed_models.tsv")
    p.add_argument("--paired", help="paired_gut_lung.tsv")
    p.add_argument("--paired-samples", help="paired_lung_samples.tsv")
    p.add_argument(
        "--contaminants",
        help="decontam/contaminants.tsv: adds the "
        "contamination section (with the four below)",
    )
    p.add_argument("--filtered-features", help="decontam/filtered_features.tsv")
    p.add_argument("--signal", help="decontam/signal.tsv")
    p.add_argument("--mock", help="decontam/mock.tsv")
    p.add_argument("--mock-taxa", help="decontam/mock_taxa.tsv")
    p.add_argument("--claims", help="associations/claims.tsv: the claims section")
    p.add_argument("--runs", help="acquire/runs.tsv: the public-data section")
    p.add_argument("--studies", help="combined/studies.tsv: the merged studies")
    p.add_argument("--unmapped", help="acquire/unmapped_values.tsv")
    p.add_argument("--dropped", help="acquire/dropped_samples.tsv")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``gutlung``; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
        stream=sys.stderr,
        force=True,
    )
    from .errors import ConfigError, ToolError

    try:
        args.func(args)
    except ConfigError as err:
        for line in err.problems:
            print(f"gutlung {args.command}: error: {line}", file=sys.stderr)
        return 2
    except (ToolError, ValueError, FileNotFoundError, KeyError) as err:
        msg = " ".join(str(err).split())
        print(f"gutlung {args.command}: error: {msg}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
