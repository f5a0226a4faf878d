"""Diversity: rarefaction, alpha, curves, beta, ordination.

``rarefy``, ``alpha-diversity``, ``rarefaction-curves`` and
``beta-diversity`` take the config's ``diversity`` section as ``--settings``.
"""

from __future__ import annotations

import functools
import logging

from .options import add_output, add_seed, add_settings, add_threads, command

log = logging.getLogger("gutlung")


def _read_tree(path):
    from skbio import TreeNode

    return TreeNode.read(str(path), format="newick")


def _rarefied(table, path, settings: dict, seed: int):
    """Rarefy ``table`` as ``gutlung rarefy`` does; return it and its summary.

    Stops when no sample reaches the depth, naming the table ``path``.
    """
    from ..diversity import rarefy

    depth = settings["rarefaction_depth"]
    rarefied, summary = rarefy(table, depth=depth, random_state=seed)
    if rarefied.shape[1] == 0:
        raise ValueError(
            f"{path}: no sample reaches the rarefaction depth {depth} "
            f"(largest has {int(summary['reads'].max())} reads); lower "
            "diversity.rarefaction_depth in the config"
        )
    return rarefied, summary


def cmd_rarefy(args) -> None:
    """Run ``gutlung rarefy``: seeded rarefaction; lists excluded samples."""
    from ..io import read_table, write_biom, write_tsv

    rarefied, summary = _rarefied(
        read_table(args.table), args.table, args.settings, args.seed
    )
    write_biom(rarefied, args.output)
    write_tsv(summary, args.summary)


def add_rarefy(sub) -> None:
    """Declare ``gutlung rarefy`` and its options on ``sub``."""
    p = command(sub, "rarefy", cmd_rarefy, "seeded rarefaction; lists excluded samples")
    p.add_argument("--table", required=True, help="the analysis table")
    add_settings(p, "diversity")
    add_seed(p)
    add_output(p)
    p.add_argument(
        "--summary",
        required=True,
        help="each sample's reads and whether it was rarefied, and why not",
    )


def cmd_alpha(args) -> None:
    """Run ``gutlung alpha-diversity``.

    Alpha diversity, mean over seeded rarefactions. With
    ``--rarefied-output`` and ``--rarefied-summary`` it also writes what
    ``gutlung rarefy`` writes, and with ``--curves-output``,
    ``--curves-groups-output`` and ``--samples`` what ``gutlung
    rarefaction-curves`` writes: the same files, each drawn from its own
    Generator seeded with ``--seed``, from one reading of the table and the
    tree and one start of Python and scikit-bio (the workflow's
    ``alpha_diversity`` job; three jobs spent about 0.9 s each starting them
    at 48 samples). The rarefaction is checked first.
    """
    from ..diversity import alpha_table
    from ..io import read_table, write_biom, write_tsv

    rarefy_outputs = (args.rarefied_output, args.rarefied_summary)
    curve_outputs = (args.curves_output, args.curves_groups_output, args.samples)
    for given, names in (
        (rarefy_outputs, "--rarefied-output and --rarefied-summary"),
        (curve_outputs, "--curves-output, --curves-groups-output and --samples"),
    ):
        if any(given) and not all(given):
            raise ValueError(f"give {names} together, or none of them")
    s = args.settings
    table = read_table(args.table)
    tree = _read_tree(args.tree) if args.tree else None
    rarefied = (
        _rarefied(table, args.table, s, args.seed) if all(rarefy_outputs) else None
    )
    mean, sd = alpha_table(
        table,
        depth=s["rarefaction_depth"],
        iterations=s["rarefactions"] if s["rarefy_alpha"] else 0,
        random_state=args.seed,
        tree=tree,
        metrics=tuple(s["alpha_metrics"]),
    )
    if all(curve_outputs):
        _write_curves(
            table,
            tree,
            s,
            args.seed,
            samples=args.samples,
            site_column=args.site_column,
            output=args.curves_output,
            groups_output=args.curves_groups_output,
            threads=args.threads,
        )
    if rarefied is not None:
        write_biom(rarefied[0], args.rarefied_output)
        write_tsv(rarefied[1], args.rarefied_summary)
    if args.sd_output:
        write_tsv(sd, args.sd_output)
    write_tsv(mean, args.output)


def add_alpha_diversity(sub) -> None:
    """Declare ``gutlung alpha-diversity`` and its options on ``sub``."""
    p = command(
        sub,
        "alpha-diversity",
        cmd_alpha,
        "alpha diversity, mean over seeded rarefactions",
    )
    p.add_argument("--table", required=True, help="unrarefied counts")
    p.add_argument("--tree", help="rooted Newick tree (for faith_pd)")
    add_settings(p, "diversity")
    add_seed(p)
    add_output(p, "mean per sample")
    p.add_argument("--sd-output", help="SD over the rarefactions")
    p.add_argument(
        "--rarefied-output",
        help="also write the rarefied table here (as gutlung rarefy's --output)",
    )
    p.add_argument(
        "--rarefied-summary", help="and its summary (as gutlung rarefy's --summary)"
    )
    p.add_argument(
        "--curves-output",
        help="also write the rarefaction curves here (as gutlung "
        "rarefaction-curves' --output)",
    )
    p.add_argument("--curves-groups-output", help="and per group (its --groups-output)")
    _add_curve_samples(p, required=False)
    add_threads(p, "rarefaction depths of the curves drawn side by side")


def cmd_curves(args) -> None:
    """Run ``gutlung rarefaction-curves``: alpha rarefaction curves."""
    from ..io import read_table

    _write_curves(
        read_table(args.table),
        _read_tree(args.tree) if args.tree else None,
        args.settings,
        args.seed,
        samples=args.samples,
        site_column=args.site_column,
        output=args.output,
        groups_output=args.groups_output,
        threads=args.threads,
    )


def _write_curves(
    table,
    tree,
    s: dict,
    seed: int,
    *,
    samples,
    site_column,
    output,
    groups_output,
    threads: int = 1,
) -> None:
    """Write the rarefaction curves of ``table`` to ``output``.

    And by group (the ``samples`` sheet's ``site_column``, with the
    settings' ``group_column``) to ``groups_output``. ``threads`` depths are
    drawn at a time (the same curves whatever the number).
    """
    from ..diversity import (
        CURVE_METRICS,
        curve_depths,
        curves_by_group,
        rarefaction_curves,
    )
    from ..io import read_metadata, write_tsv

    metrics = tuple(m for m in CURVE_METRICS if tree is not None or m != "faith_pd")
    reads = table.sum(axis=0)
    max_depth = s["curve_max_depth"] or int(reads[reads > 0].median())
    curves = rarefaction_curves(
        table,
        depths=curve_depths(max_depth, s["curve_steps"]),
        iterations=s["rarefactions"],
        random_state=seed,
        tree=tree,
        metrics=metrics,
        threads=threads,
    )
    md = read_metadata(samples)
    groups = md[site_column].astype(str)
    if s["group_column"] and s["group_column"] in md:
        groups = groups + " / " + md[s["group_column"]].fillna("NA").astype(str)
    write_tsv(curves_by_group(curves, groups), groups_output, index=False)
    write_tsv(curves, output, index=False)


def _add_curve_samples(p, *, required: bool) -> None:
    """Add ``--samples`` and ``--site-column``: the curves' groups."""
    p.add_argument("--samples", required=required, help="sample sheet or metadata")
    p.add_argument(
        "--site-column", default="body_site", help="the sheet's body-site column"
    )


def add_rarefaction_curves(sub) -> None:
    """Declare ``gutlung rarefaction-curves`` and its options on ``sub``."""
    p = command(sub, "rarefaction-curves", cmd_curves, "alpha rarefaction curves")
    p.add_argument("--table", required=True, help="the analysis table")
    p.add_argument("--tree", help="the ASV tree (Newick), for Faith's PD")
    _add_curve_samples(p, required=True)
    add_settings(p, "diversity")
    add_seed(p)
    add_output(p, "per sample and depth")
    p.add_argument("--groups-output", required=True, help="per group and depth")
    add_threads(p, "rarefaction depths drawn side by side")


def cmd_beta(args) -> None:
    """Run ``gutlung beta-diversity``: distance matrices, and their PCoA.

    One metric, or several (``--metric`` and ``--output``, and
    ``--pcoa-output`` when given, once a metric, in the same order) in one
    job, ``--threads`` metrics at a time in worker processes forked from one
    that imported scikit-bio (:func:`gutlung_pipeline.workers.forked_pool`):
    a job a metric spent about a second starting Python and scikit-bio for a
    fraction of a second of work at 48 samples. Each metric's matrix (and
    PCoA) is written whole once it is done; each metric uses ``--seed``, so
    a matrix does not depend on the metrics beside it.
    """
    from ..diversity import PHYLOGENETIC
    from ..workers import forked_pool, results

    metrics, outputs = args.metric, args.output
    pcoas = args.pcoa_output or [None] * len(metrics)
    if not len(metrics) == len(outputs) == len(pcoas):
        raise ValueError(
            f"{len(metrics)} --metric, {len(outputs)} --output and {len(pcoas)} "
            "--pcoa-output; give one output (and one PCoA output) a metric"
        )
    if len(set(metrics)) != len(metrics):
        raise ValueError("a --metric is given twice; give each metric once")
    for metric in metrics:
        if metric in PHYLOGENETIC and not args.tree:
            raise ValueError(f"{metric} needs the rooted tree; give --tree")
    workers = max(1, min(args.threads, len(metrics)))
    # read once a call, not once a metric; a new call reads the files again
    _table_once.cache_clear()
    _tree_once.cache_clear()
    job = {"table": args.table, "tree": args.tree, "settings": args.settings}
    job["seed"] = args.seed
    with forked_pool(workers, preload=["gutlung_pipeline.diversity"]) as pool:
        futures = [
            pool.submit(_one_beta, job, metric, output, pcoa)
            for metric, output, pcoa in zip(metrics, outputs, pcoas, strict=True)
        ]
        results(futures)


def _one_beta(job: dict, metric: str, output: str, pcoa: str | None) -> None:
    """One metric of :func:`cmd_beta`: its matrix, and its PCoA when asked.

    ``job``: the paths of the table and tree, the settings and the seed.
    """
    from ..diversity import PHYLOGENETIC, beta_rarefied
    from ..io import atomic_path

    s = job["settings"]
    dm = beta_rarefied(
        _table_once(job["table"]),
        metric=metric,
        depth=s["rarefaction_depth"],
        iterations=s["rarefactions"],
        random_state=job["seed"],
        tree=_tree_once(job["tree"]) if metric in PHYLOGENETIC else None,
        pseudocount=s["pseudocount"],
    )
    with atomic_path(output) as tmp:
        dm.write(str(tmp))
    if pcoa:
        from ..diversity import ordinate

        with atomic_path(pcoa) as tmp:
            ordinate(dm).write(str(tmp))
    log.info("%s: %d samples", metric, dm.shape[0])


@functools.lru_cache(maxsize=1)
def _table_once(path: str):
    """Read the table of :func:`_one_beta` once a call (the metrics only read it)."""
    from ..io import read_table

    return read_table(path)


@functools.lru_cache(maxsize=1)
def _tree_once(path: str):
    """Read the tree of :func:`_one_beta` once a call."""
    return _read_tree(path)


def add_beta_diversity(sub) -> None:
    """Declare ``gutlung beta-diversity`` and its options on ``sub``."""
    p = command(sub, "beta-diversity", cmd_beta, "distance matrices, and their PCoA")
    p.add_argument("--table", required=True, help="unrarefied counts")
    p.add_argument("--tree", help="the ASV tree (Newick), for UniFrac")
    p.add_argument(
        "--metric",
        required=True,
        nargs="+",
        help="the distances to compute (diversity.beta_metrics values)",
    )
    add_settings(p, "diversity")
    add_seed(p)
    p.add_argument(
        "--output", required=True, nargs="+", help="each metric's matrix (TSV)"
    )
    p.add_argument(
        "--pcoa-output",
        nargs="+",
        help="also write each matrix's principal coordinates here (as gutlung pcoa)",
    )
    add_threads(p, "metrics computed side by side")


def cmd_pcoa(args) -> None:
    """Run ``gutlung pcoa``: principal coordinates of a distance matrix."""
    from skbio import DistanceMatrix

    from ..diversity import ordinate
    from ..io import atomic_path

    ordination = ordinate(DistanceMatrix.read(args.input))
    with atomic_path(args.output) as tmp:
        ordination.write(str(tmp))


def add_pcoa(sub) -> None:
    """Declare ``gutlung pcoa`` and its options on ``sub``."""
    p = command(sub, "pcoa", cmd_pcoa, "principal coordinates of a distance matrix")
    p.add_argument("--input", required=True, help="a distance matrix (TSV)")
    add_output(p)


#: This stage's subcommands, in the order ``gutlung --help`` lists them.
PARSERS = (
    add_rarefy,
    add_alpha_diversity,
    add_rarefaction_curves,
    add_beta_diversity,
    add_pcoa,
)
