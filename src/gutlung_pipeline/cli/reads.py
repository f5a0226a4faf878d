"""Read steps: primers, merging and filtering, UNOISE or DADA2, the ASV table."""

from __future__ import annotations

import argparse
import logging
import tempfile
from pathlib import Path

from .options import (
    add_output,
    add_primers,
    add_seed,
    add_threads,
    command,
    schema_default,
)

log = logging.getLogger("gutlung")


def _write_stats(path, sample: str, counts: dict) -> None:
    from ..io import write_json

    write_json({"sample": sample, **counts}, path)


def _step_stats(samples, paths, extra=None) -> dict[str, dict]:
    """Per-sample read counts from the steps' JSON files (and ``extra``)."""
    from ..io import read_json

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


def _write_asv_outputs(table, sequences, stats, args, chimeric=None) -> None:
    """Write the ASV table (TSV, BIOM), its sequences and the read tracking."""
    from ..denoise import check_read_losses, low_merge_warnings, read_tracking
    from ..io import write_biom, write_fasta, write_table_tsv, write_tsv

    tracking = read_tracking(stats, table, chimeric)
    check_read_losses(  # before anything is written
        tracking,
        min_kept=args.min_kept,
        sample_min_kept=args.sample_min_kept,
        sample_min_reads=args.sample_min_reads,
    )
    for line in low_merge_warnings(tracking, min_merged=args.min_merged):
        log.warning("%s", line)
    write_fasta(((f, sequences[f]) for f in table.index), args.fasta)
    write_table_tsv(table, args.tsv)
    write_biom(table, args.biom)
    write_tsv(tracking, args.tracking)
    log.info(
        "%d ASVs x %d samples, %d reads", *table.shape, int(table.to_numpy().sum())
    )


def add_table_checks(p) -> None:
    """Declare the read tracking's checks on ``p``.

    ``--min-kept``, ``--sample-min-kept``, ``--sample-min-reads`` and
    ``--min-merged``.
    """
    p.add_argument(
        "--min-kept",
        type=float,
        default=schema_default("qc.min_kept"),
        help="share of the run's reads each read step must keep (0: no check)",
    )
    p.add_argument(
        "--sample-min-kept",
        type=float,
        default=schema_default("qc.sample_min_kept"),
        help="share of a sample's reads each read step must keep (0: no check)",
    )
    p.add_argument(
        "--sample-min-reads",
        type=int,
        default=schema_default("qc.sample_min_reads"),
        help="reads into a step under which a sample is not checked",
    )
    p.add_argument(
        "--min-merged",
        type=float,
        default=schema_default("qc.min_merged"),
        help="warn of a sample whose pairs merge under this share (0: never)",
    )


def cmd_trim_primers(args) -> None:
    """Run ``gutlung trim-primers``: remove primers with cutadapt."""
    from ..reads import read_encoding, trim_primers

    if args.qc_dir:
        from ..quality import write_sample_qc

        encoding = read_encoding(args.sample, args.fq1, args.fq2)
        write_sample_qc(args.sample, args.fq1, args.fq2, args.qc_dir, encoding)
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
        qc_dir=args.qc_dir,
    )
    _write_stats(args.stats, args.sample, counts)


def add_qc_dir(p) -> None:
    """Declare ``--qc-dir``: where each sample's read QC goes."""
    p.add_argument(
        "--qc-dir",
        help="keep each sample's read QC here: cutadapt's JSON and text reports, "
        "quality profiles and the vsearch --fastq_eestats2 table of the first reads",
    )


def cmd_read_qc(args) -> None:
    """Run ``gutlung read-qc``: gather the samples' read QC into one folder."""
    from ..quality import gather_qc

    n = gather_qc(args.inputs, args.output_dir)
    log.info("read QC of %d samples in %s", n, args.output_dir)


def add_read_qc(sub) -> None:
    """Declare ``gutlung read-qc`` and its options on ``sub``."""
    p = command(
        sub,
        "read-qc",
        cmd_read_qc,
        "gather the samples' read QC: cutadapt reports, quality profiles, "
        "eestats2, MultiQC custom content",
    )
    p.add_argument(
        "--inputs", nargs="+", required=True, help="the jobs' --qc-dir folders"
    )
    p.add_argument(
        "--output-dir",
        required=True,
        help="results/qc: cutadapt/, eestats2/, quality_profiles.tsv, *_mqc.json",
    )


def add_trim_primers(sub) -> None:
    """Declare ``gutlung trim-primers`` and its options on ``sub``."""
    p = command(sub, "trim-primers", cmd_trim_primers, "remove primers with cutadapt")
    p.add_argument("--sample", required=True, help="the sample's ID (named in errors)")
    p.add_argument("--fq1", required=True, help="R1 FASTQ (gzip or not)")
    p.add_argument("--fq2", help="R2 FASTQ of a paired-end sample")
    p.add_argument("--out1", required=True, help="trimmed R1 to write")
    p.add_argument("--out2", help="trimmed R2 to write (paired-end)")
    add_qc_dir(p)
    p.add_argument(
        "--error-rate",
        type=float,
        default=schema_default("primers.error_rate"),
        help="cutadapt's maximum error rate in the primer",
    )
    add_threads(p)
    p.add_argument("--stats", required=True, help="JSON read counts")
    p.add_argument(
        "--primers-not-in-reads",
        action="store_true",
        help="reads start after the primer (EMP): keep all",
    )
    add_primers(p, required=True)


def trunc_lengths(text: str) -> str | tuple[int, int]:
    """Parse ``--trunc-lengths``: ``auto``, ``none`` or ``R1,R2``."""
    if text in ("auto", "none"):
        return text
    try:
        r1, r2 = (int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r}: give auto, none or two lengths as R1,R2 (e.g. 240,160)"
        ) from None
    if min(r1, r2) < 20:
        raise argparse.ArgumentTypeError(f"{text!r}: lengths must be 20 or more")
    return r1, r2


def cmd_sample_reads(args) -> None:
    """Run ``gutlung sample-reads``: a few samples' read steps in one job."""
    import json

    from ..io import write_json
    from ..reads import sample_batch

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
        unoise_search=args.unoise_search,
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
        trunc_lengths=args.trunc_lengths,
        target_overlap=args.target_overlap,
        qc_dir=args.qc_dir,
    )
    for sample in counts:
        log.info("read counts: %s", json.dumps(sample))
    write_json(counts, args.stats)


def add_sample_reads(sub) -> None:
    """Declare ``gutlung sample-reads`` and its options on ``sub``."""
    p = command(
        sub, "sample-reads", cmd_sample_reads, "a few samples' read steps in one job"
    )
    p.add_argument(
        "--samples",
        "--sample",
        dest="sample",
        nargs="+",
        required=True,
        help="the batch's sample IDs, in the order of --fq1",
    )
    p.add_argument("--fq1", nargs="+", required=True, help="one a sample, in order")
    p.add_argument("--fq2", nargs="+", help="paired-end: one a sample, in order")
    p.add_argument("--derep", required=True, help="filtered uniques out")
    add_qc_dir(p)
    p.add_argument("--mapping", required=True, help="all merged uniques out")
    p.add_argument("--candidates", help="the samples' own UNOISE centroids out")
    p.add_argument(
        "--candidate-min-size",
        type=int,
        default=schema_default("denoise.sample_min_size"),
        help="0: none",
    )
    p.add_argument(
        "--alpha",
        type=float,
        default=schema_default("denoise.unoise_alpha"),
        help="UNOISE alpha of the per-sample candidate pass",
    )
    add_unoise_search(p)
    p.add_argument(
        "--stats", required=True, help="JSON of each sample's read counts per step"
    )
    p.add_argument(
        "--forward", required=True, help="forward primer, 5'->3' (IUPAC allowed)"
    )
    p.add_argument(
        "--reverse",
        required=True,
        help="reverse primer, 5'->3' as ordered (IUPAC allowed)",
    )
    p.add_argument(
        "--error-rate",
        type=float,
        default=schema_default("primers.error_rate"),
        help="cutadapt's maximum error rate in the primer",
    )
    p.add_argument(
        "--primers-not-in-reads",
        action="store_true",
        help="the reads start after the primers: do not trim them",
    )
    p.add_argument(
        "--min-overlap",
        type=int,
        default=schema_default("merge.min_overlap"),
        help="least overlap of a merged pair (bases)",
    )
    p.add_argument(
        "--max-diffs",
        type=int,
        default=schema_default("merge.max_diffs"),
        help="most mismatches in the overlap of a merged pair",
    )
    p.add_argument(
        "--max-ee",
        type=float,
        default=schema_default("filter.max_ee"),
        help="most expected errors of a kept read",
    )
    p.add_argument("--min-length", type=int, help="shortest kept read (after merging)")
    p.add_argument("--max-length", type=int, help="longest kept read (after merging)")
    p.add_argument(
        "--max-ns",
        type=int,
        default=schema_default("filter.max_ns"),
        help="most Ns in a kept read",
    )
    p.add_argument("--trunc-length", type=int, help="single-end: cut reads to this")
    p.add_argument(
        "--trunc-lengths",
        type=trunc_lengths,
        default=schema_default("merge.trunc_lengths"),
        help="paired-end cut before the merge: auto, none or R1,R2 (default: "
        "%(default)s)",
    )
    p.add_argument(
        "--target-overlap",
        type=int,
        default=schema_default("merge.target_overlap"),
        help="overlap kept by --trunc-lengths auto (default: %(default)s)",
    )
    add_threads(p, "samples side by side")


def cmd_pool_uniques(args) -> None:
    """Run ``gutlung pool-uniques``: pool per-sample uniques."""
    from ..denoise import pool_uniques, pooled_min_size

    min_size = args.min_size
    if args.stats:
        from ..io import read_json

        reads = sum(
            int(sample["quality_filtered"])
            for path in args.stats
            for sample in read_json(path)
        )
        min_size = pooled_min_size(args.min_size, args.min_per_million, reads)
        log.info(
            "pooled floor: %d reads (%g a million of %d reads within the error "
            "filter; denoise.min_size %d)",
            min_size,
            args.min_per_million,
            reads,
            args.min_size,
        )
    pool_uniques(args.inputs, args.output, min_size=min_size, threads=args.threads)


def add_pool_uniques(sub) -> None:
    """Declare ``gutlung pool-uniques`` and its options on ``sub``."""
    p = command(sub, "pool-uniques", cmd_pool_uniques, "pool per-sample uniques")
    p.add_argument(
        "--inputs",
        nargs="+",
        required=True,
        help="the batches' dereplicated FASTA files",
    )
    add_output(p)
    p.add_argument(
        "--min-size",
        type=int,
        default=schema_default("denoise.min_size"),
        help="least pooled abundance of a kept unique sequence",
    )
    p.add_argument(
        "--min-per-million",
        type=float,
        default=schema_default("denoise.min_per_million"),
        help="with --stats: also at least this many reads a million pooled",
    )
    p.add_argument(
        "--stats",
        nargs="+",
        help="the batches' read counts (sample-reads --stats), for --min-per-million",
    )
    add_threads(p, "files hashed side by side in the first pass")


def cmd_denoise(args) -> None:
    """Run ``gutlung denoise``: UNOISE3 denoising of pooled uniques."""
    from ..denoise import add_candidates, drop_rare_neighbours, unoise
    from ..denoise.records import read_records
    from ..io import write_fasta

    with tempfile.TemporaryDirectory(dir=Path(args.output).parent) as tmp:
        pooled_out = Path(tmp) / "pooled.fasta" if args.candidates else args.output
        counts = unoise(
            args.input,
            pooled_out,
            min_size=args.min_size,
            alpha=args.alpha,
            by_length=not args.all_lengths,
            threads=args.threads,
            search=args.unoise_search,
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
        if args.neighbour_min_size > 1:
            kept, dropped = drop_rare_neighbours(
                read_records(args.output), min_size=args.neighbour_min_size
            )
            write_fasta(kept, args.output)
            log.info(
                "ASVs under %d reads one mismatch from a larger one, dropped: %d",
                args.neighbour_min_size,
                dropped,
            )


def add_unoise_search(p) -> None:
    """Declare ``--unoise-search`` (config ``denoise.unoise_search``) on ``p``."""
    p.add_argument(
        "--unoise-search",
        choices=("exhaustive", "vsearch"),
        default=schema_default("denoise.unoise_search"),
        help="UNOISE within a length: every pair in numpy, or vsearch's "
        "--cluster_unoise (its word search)",
    )


def add_denoise(sub) -> None:
    """Declare ``gutlung denoise`` and its options on ``sub``."""
    p = command(sub, "denoise", cmd_denoise, "UNOISE3 denoising of pooled uniques")
    p.add_argument(
        "--input", required=True, help="pooled unique sequences (FASTA with size=)"
    )
    add_output(p)
    p.add_argument(
        "--min-size",
        type=int,
        default=schema_default("denoise.min_size"),
        help="least abundance of a candidate ASV",
    )
    p.add_argument(
        "--alpha",
        type=float,
        default=schema_default("denoise.unoise_alpha"),
        help="UNOISE alpha (skew threshold steepness)",
    )
    p.add_argument(
        "--all-lengths",
        action="store_true",
        help="one UNOISE over all lengths (vsearch's own; indels not counted)",
    )
    add_unoise_search(p)
    p.add_argument("--candidates", nargs="*", help="per-sample UNOISE centroids")
    p.add_argument(
        "--neighbour-min-size",
        type=int,
        default=schema_default("denoise.neighbour_min_size"),
        help="pooled reads an ASV one mismatch from a larger one needs (0: off)",
    )
    add_threads(p, "lengths denoised side by side, each on one thread")


def cmd_remove_chimeras(args) -> None:
    """Run ``gutlung remove-chimeras``: chimera removal (UCHIME3)."""
    from ..denoise import remove_chimeras

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


def add_remove_chimeras(sub) -> None:
    """Declare ``gutlung remove-chimeras`` and its options on ``sub``."""
    p = command(
        sub, "remove-chimeras", cmd_remove_chimeras, "chimera removal (UCHIME3)"
    )
    p.add_argument(
        "--input", required=True, help="the denoised ASVs (FASTA with size=)"
    )
    add_output(p)
    p.add_argument(
        "--abskew",
        type=float,
        default=schema_default("denoise.chimera_abskew"),
        help="de novo parent skew",
    )
    p.add_argument(
        "--bimera-fold",
        type=float,
        default=schema_default("denoise.bimera_fold"),
        help="exact two-parent chimeras' parent skew (0: off)",
    )
    p.add_argument("--reference", help="also check against this FASTA (uchime_ref)")
    add_threads(p)


def cmd_map_samples(args) -> None:
    """Run ``gutlung map-samples``: count all samples' reads per ASV."""
    from ..denoise import map_samples

    counts = map_samples(
        args.mapping,
        args.asvs,
        args.output,
        identity=args.identity,
        threads=args.threads,
        overhang=args.overhang,
    )
    log.info(
        "unique reads: %d; counted by same-length Hamming distance: %d; "
        "within %s of no ASV by their 8-mers: %d; searched with vsearch: %d",
        counts["uniques"],
        counts["by_hamming"],
        args.identity,
        counts["ruled_out"],
        counts["by_vsearch"],
    )


def add_map_samples(sub) -> None:
    """Declare ``gutlung map-samples`` and its options on ``sub``."""
    p = command(sub, "map-samples", cmd_map_samples, "count all samples' reads per ASV")
    p.add_argument("--mapping", nargs="+", required=True, help="dereplicated reads")
    p.add_argument(
        "--asvs", required=True, help="the non-chimeric ASVs to map the reads to"
    )
    add_output(p)
    p.add_argument(
        "--identity",
        type=float,
        default=schema_default("denoise.map_identity"),
        help="least identity of a read to its ASV",
    )
    p.add_argument(
        "--overhang",
        type=_overhang,
        default=schema_default("denoise.map_overhang"),
        help="read bases beyond the length difference an alignment may leave "
        "out, for the 8-mer count that spares vsearch the reads within "
        "--identity of no ASV ('none': every read to vsearch)",
    )
    add_threads(p)


def _overhang(text: str) -> int | None:
    """``--overhang``: a count of bases, or ``none``."""
    import argparse

    if text.lower() in ("none", "null"):
        return None
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r}: give 0 or more bases, or none")
    return int(text)


def cmd_build_table(args) -> None:
    """Run ``gutlung build-table``: ASV table, sequences and read tracking."""
    from ..denoise import build_table, consensus_bimeras, read_otutab_samples
    from ..io import read_fasta

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
    chimeric = None
    if args.consensus_fold > 0:
        calls = table.index[
            consensus_bimeras(
                [asvs[f] for f in table.index],
                table.to_numpy(),
                fold=args.consensus_fold,
                min_sample_fraction=args.consensus_min_fraction,
            )
        ]
        chimeric = table.loc[calls].sum(axis=0).to_dict()
        removed = (len(calls), int(table.loc[calls].to_numpy().sum()))
        table = table.drop(index=calls)
    _write_asv_outputs(
        table, asvs, _step_stats(args.samples, args.stats), args, chimeric
    )
    if chimeric is not None:
        log.info("bimeras by the consensus test: %d ASVs, %d reads removed", *removed)


def add_build_table(sub) -> None:
    """Declare ``gutlung build-table`` and its options on ``sub``."""
    p = command(
        sub, "build-table", cmd_build_table, "ASV table, sequences and read tracking"
    )
    p.add_argument("--asvs", required=True, help="non-chimeric ASVs (MD5 labels)")
    p.add_argument(
        "--samples",
        nargs="+",
        required=True,
        help="every sample ID of the run, in sheet order",
    )
    p.add_argument("--otutab", required=True, help="all samples' otutab (map-samples)")
    p.add_argument("--stats", nargs="+", required=True, help="per-step JSON counts")
    p.add_argument("--biom", required=True, help="the ASV table to write, HDF5 BIOM")
    p.add_argument("--tsv", required=True, help="the ASV table to write, TSV")
    p.add_argument(
        "--fasta", required=True, help="the ASV sequences to write, labelled by MD5"
    )
    p.add_argument("--tracking", required=True, help="the read tracking to write")
    p.add_argument(
        "--consensus-fold",
        type=float,
        default=schema_default("denoise.consensus_fold"),
        help="per-sample bimeras' parent skew (DADA2's consensus test; 0: off)",
    )
    p.add_argument(
        "--consensus-min-fraction",
        type=float,
        default=schema_default("denoise.consensus_min_fraction"),
        help="share of a sequence's samples that must flag it a bimera",
    )
    add_table_checks(p)


def cmd_dada2_denoise(args) -> None:
    """Run ``gutlung dada2-denoise``: DADA2 on one group of samples."""
    from ..dada2 import denoise_group

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
            random_state=args.seed,
        )


def add_dada2_denoise(sub) -> None:
    """Declare ``gutlung dada2-denoise`` and its options on ``sub``."""
    p = command(
        sub, "dada2-denoise", cmd_dada2_denoise, "DADA2 on one group of samples"
    )
    p.add_argument("--samples", nargs="+", required=True, help="the group's sample IDs")
    p.add_argument("--fq1", nargs="+", required=True, help="primer-trimmed R1")
    p.add_argument("--fq2", nargs="+", help="primer-trimmed R2 (paired-end)")
    p.add_argument("--seqtab", required=True, help="long sequence table out")
    p.add_argument("--track", required=True, help="per-sample counts out")
    p.add_argument(
        "--trunc-len",
        type=int,
        nargs=2,
        default=schema_default("denoise.dada2.trunc_len"),
        help="truncLen of R1 and R2 (0: none)",
    )
    p.add_argument(
        "--max-ee",
        type=float,
        nargs=2,
        default=schema_default("denoise.dada2.max_ee"),
        help="maxEE of R1 and R2",
    )
    p.add_argument(
        "--trunc-q",
        type=int,
        default=schema_default("denoise.dada2.trunc_q"),
        help="truncQ: cut at the first quality this low",
    )
    p.add_argument(
        "--pool",
        choices=["false", "true", "pseudo"],
        default=schema_default("denoise.dada2.pool"),
        help="DADA2's pool: false, true or pseudo",
    )
    p.add_argument(
        "--min-overlap",
        type=int,
        default=schema_default("denoise.dada2.min_overlap"),
        help="mergePairs' minOverlap",
    )
    p.add_argument(
        "--max-mismatch",
        type=int,
        default=schema_default("denoise.dada2.max_mismatch"),
        help="mergePairs' maxMismatch",
    )
    add_threads(p)
    add_seed(p)


def cmd_dada2_table(args) -> None:
    """Run ``gutlung dada2-table``: DADA2 chimera removal and the ASV table."""
    import pandas as pd

    from ..dada2 import check_group, group_stats, read_long, remove_bimeras, wide_table

    if len(args.seqtabs) != len(args.tracks):
        raise ValueError("give one --tracks file a --seqtabs file, in the same order")
    for seqtab, track in zip(args.seqtabs, args.tracks, strict=True):
        check_group(
            read_long(seqtab),
            pd.read_csv(track, sep="\t", dtype={"sample_id": str}),
            source=seqtab,
        )
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


def add_dada2_table(sub) -> None:
    """Declare ``gutlung dada2-table`` and its options on ``sub``."""
    p = command(
        sub, "dada2-table", cmd_dada2_table, "DADA2 chimera removal and the ASV table"
    )
    p.add_argument(
        "--seqtabs", nargs="+", required=True, help="each group's sequence table (RDS)"
    )
    p.add_argument(
        "--tracks", nargs="+", required=True, help="each group's read tracking (TSV)"
    )
    p.add_argument(
        "--samples",
        nargs="+",
        required=True,
        help="every sample ID of the run, in sheet order",
    )
    p.add_argument("--stats", nargs="+", required=True, help="primer-trim JSON counts")
    p.add_argument(
        "--chimera-method",
        choices=["consensus", "pooled", "per-sample"],
        default=schema_default("denoise.dada2.chimera_method"),
        help="removeBimeraDenovo's method: consensus, pooled or per-sample",
    )
    add_threads(p)
    p.add_argument("--biom", required=True, help="the ASV table to write, HDF5 BIOM")
    p.add_argument("--tsv", required=True, help="the ASV table to write, TSV")
    p.add_argument(
        "--fasta", required=True, help="the ASV sequences to write, labelled by MD5"
    )
    p.add_argument("--tracking", required=True, help="the read tracking to write")
    add_table_checks(p)


#: This stage's subcommands, in the order ``gutlung --help`` lists them.
PARSERS = (
    add_trim_primers,
    add_sample_reads,
    add_read_qc,
    add_pool_uniques,
    add_denoise,
    add_remove_chimeras,
    add_map_samples,
    add_build_table,
    add_dada2_denoise,
    add_dada2_table,
)
