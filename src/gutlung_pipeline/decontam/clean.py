"""The workflow's contamination step: from the denoised table to the analysis table.

1. **Off-target features**: ASVs whose lineage names an organelle
   (``remove_taxa``, default mitochondria and chloroplast, matched to any
   rank's name) or whose domain is unassigned or not Bacteria/Archaea
   (``remove_unassigned``) leave every sample; their reads are counted.
2. **decontam per body site**: each configured body site is scored with the
   negative controls (``control_types``) and its own samples, or with
   ``pool: true`` every biological sample of the sheet (the lung default:
   a reagent contaminant is in most BAL samples, so only stool, which hardly
   carries it, lets the tests see it), batch by batch (``batch_column``;
   one batch by default), with its own method and threshold; with
   ``signature`` (the lung default 0.1) also the features whose proportion
   follows the load of those called (:func:`.scores.signature_scores`, the
   blanks in its fit by default: ``signature_blanks``); with
   ``blank_enriched`` (the default) only features that are a larger mean
   share of the reads of the controls that hold them than of the samples
   they are scored with that hold them are called, the others
   ``held_back`` (a sample taxon leaked into the blanks is not reagent
   DNA). A feature called for a body site is removed from that site's
   samples only.
3. **Signal above background**: per sample, the reads of non-contaminant
   features, and the Bray-Curtis distance of its profile (before contaminant
   removal) to the nearest negative control and to the controls' centroid; a
   flag for samples of ``signal.body_sites`` that cannot be told from blanks,
   optionally excluded.
4. **The analysis table**: biological samples only (controls and mocks leave),
   contaminants and flagged-and-excluded samples out.

Everything here is pure: tables in, tables out (see ``cli.cmd_decontaminate``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

from .mock import MOCK_COLUMNS, MOCK_TAXA_COLUMNS, mock_accuracy
from .scores import call_contaminants, is_contaminant, signature_scores

#: Methods that need negative controls, and those that need DNA concentrations.
NEEDS_CONTROLS = (
    "prevalence",
    "combined",
    "minimum",
    "either",
    "both",
    "not_contaminant",
)
NEEDS_CONCENTRATION = ("frequency", "combined", "minimum", "either", "both")
DOMAINS = ("Bacteria", "Archaea")


@dataclass
class CleanResult:
    """Outputs of :func:`decontaminate`."""

    table: pd.DataFrame  #: analysis table, features x biological samples
    contaminants: pd.DataFrame  #: one row per feature and scored body site
    filtered: pd.DataFrame  #: off-target features: feature_id, taxon, reason, reads
    signal: pd.DataFrame  #: one row per biological sample
    tracking: pd.DataFrame  #: read tracking with the removal columns
    roles: pd.Series  #: sample -> sample / control / mock
    mock: pd.DataFrame  #: one row per mock sample (see :mod:`.mock`)
    mock_taxa: pd.DataFrame  #: expected and observed share per mock and taxon


def _ranks(taxon: str) -> list[tuple[str, str]]:
    """(rank letter, name) pairs of a QIIME 2 taxon string."""
    out = []
    for part in str(taxon).split(";"):
        part = part.strip()
        if "__" in part:
            rank, name = part.split("__", 1)
            out.append((rank.strip(), name.strip()))
    return out


def feature_filter(
    taxonomy: pd.Series,
    features: pd.Index,
    *,
    remove_taxa: list[str] | tuple[str, ...] = ("mitochondria", "chloroplast"),
    remove_unassigned: bool = True,
) -> pd.Series:
    """Why each feature is off-target: ``organelle``, ``unassigned`` or ``""``.

    A feature is an organelle when any rank's name equals (case-insensitive)
    one of ``remove_taxa`` (Greengenes ``c__Chloroplast``/``f__mitochondria``,
    SILVA ``o__Chloroplast``/``f__Mitochondria``). It is unassigned when its
    domain is missing (``Unassigned``, or absent from ``taxonomy``) or is not
    Bacteria or Archaea (host ``d__Eukaryota`` reads).
    """
    wanted = {t.lower() for t in remove_taxa}
    reasons = []
    for feature in features:
        ranks = _ranks(taxonomy.get(feature, "Unassigned"))
        names = {name.lower() for _, name in ranks if name}
        domain = next((name for rank, name in ranks if rank in ("d", "k")), "")
        if names & wanted:
            reasons.append("organelle")
        elif remove_unassigned and domain not in DOMAINS:
            reasons.append("unassigned")
        else:
            reasons.append("")
    return pd.Series(reasons, index=features, dtype=object)


class OffTargetTable(ValueError):
    """Every feature of the table is off-target (:func:`check_on_target`).

    The taxonomy's fault: the CLI names its file.
    """


def check_on_target(reasons: pd.Series) -> None:
    """Stop when every feature of a non-empty table is off-target.

    ``reasons``: :func:`feature_filter`'s. Nothing would be left for decontam
    or the analyses; it happens when the taxonomy is not the table's (no
    feature ID in common: each is then unassigned) or the reference does not
    cover the amplicon (SINTAX assigns no domain).

    Raises
    ------
    OffTargetTable
        One line with the counts by reason and the fix.
    """
    if len(reasons) and (reasons != "").all():
        counts = reasons.value_counts()
        why = ", ".join(f"{int(n)} {reason}" for reason, n in counts.items())
        raise OffTargetTable(
            f"every one of the table's {len(reasons)} features is off-target "
            f"({why}; decontam.remove_taxa, decontam.remove_unassigned): nothing "
            "is left to analyse; check that the taxonomy is this table's (the "
            "same feature IDs) and that its reference covers the amplicon "
            "(a domain for each ASV)"
        )


def sample_roles(samples: pd.DataFrame, control_types, mock_types) -> pd.Series:
    """``control``, ``mock`` or ``sample`` for each row of the sheet."""
    stype = samples["sample_type"].astype(str)
    roles = pd.Series("sample", index=samples.index, dtype=object)
    roles[stype.isin(list(mock_types))] = "mock"
    roles[stype.isin(list(control_types))] = "control"
    return roles


def _positive(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values, errors="coerce") > 0


def resolve_method(method: str, *, has_controls: bool, has_conc: bool) -> str:
    """Decontam's ``auto``: combined with both, else whichever is available."""
    if method != "auto":
        return method
    if has_controls and has_conc:
        return "combined"
    if has_conc:
        return "frequency"
    if has_controls:
        return "prevalence"
    return "auto"  # nothing to score with; callers report it


class SitePlan(NamedTuple):
    """How one body site is scored (:func:`site_plan`)."""

    members: pd.Index  #: the site's biological samples: calls remove from these
    method: str  #: after resolving ``auto``
    conc_ok: pd.Series  #: scored sample -> has a positive concentration
    scored: pd.Index  #: the biological samples scored with the controls


def site_plan(samples: pd.DataFrame, settings: dict) -> dict[str, SitePlan]:
    """Plan decontam per scored body site.

    Per scored body site, a :class:`SitePlan`: its biological samples, the
    method after resolving ``auto``, which scored samples have a positive
    concentration, and the samples scored: the site's own, or with
    ``pool: true`` every biological sample of the sheet (all body sites; the
    calls still remove features from the site's samples only). Sites with
    method ``none`` or no samples are left out.
    """
    roles = sample_roles(samples, settings["control_types"], settings["mock_types"])
    has_controls = bool((roles == "control").any())
    conc_col = settings["conc_column"]
    biological = samples.index[roles == "sample"]
    plan = {}
    for site, opts in settings["sites"].items():
        members = samples.index[(roles == "sample") & (samples["body_site"] == site)]
        if opts["method"] == "none" or len(members) == 0:
            continue
        scored = biological if opts.get("pool", False) else members
        conc_ok = (
            _positive(samples.loc[scored, conc_col])
            if conc_col in samples.columns
            else pd.Series(False, index=scored)
        )
        method = resolve_method(
            opts["method"], has_controls=has_controls, has_conc=bool(conc_ok.all())
        )
        plan[site] = SitePlan(members, method, conc_ok, scored)
    return plan


def decontam_problems(
    samples: pd.DataFrame, settings: dict, *, sheet: str = "sample sheet"
) -> list[str]:
    """List what stops decontamination on this sheet, one line per problem.

    Checked before any job runs (by the workflow's validation) and again by
    :func:`decontaminate`: a method that needs negative controls on a sheet
    without any, missing or non-positive DNA concentrations where a method
    needs them, a batch column the sheet lacks, and batches with a single
    sample (R decontam stops on those too).
    """
    if not settings.get("enabled", True):
        return []
    problems: list[str] = []
    roles = sample_roles(samples, settings["control_types"], settings["mock_types"])
    controls = samples.index[roles == "control"]
    conc_col, batch_col = settings["conc_column"], settings.get("batch_column") or ""
    if batch_col and batch_col not in samples.columns:
        return [
            f"{sheet}: decontam.batch_column: no column {batch_col!r}; name a column "
            "(run or extraction plate) or set it to '' for one batch"
        ]
    for site, (_, method, conc_ok, scored_ids) in site_plan(samples, settings).items():
        key = f"decontam.sites.{site}.method"
        pooled = settings["sites"][site].get("pool", False)
        whose = "biological" if pooled else site
        if method == "auto":
            problems.append(
                f"{sheet}: {site} samples have neither negative controls (sample_type "
                f"{'/'.join(settings['control_types'])}) nor a positive {conc_col} "
                f"for every sample, so {key}: auto has nothing to score with; add "
                f"extraction blanks or {conc_col}, or set {key}: none"
            )
            continue
        if method == "not_contaminant" and settings["sites"][site].get("signature"):
            problems.append(
                f"{sheet}: decontam.sites.{site}.signature: the kit-signature score "
                "follows the contaminants a method calls, and not_contaminant calls "
                f"none; set decontam.sites.{site}.signature: 0 or another method"
            )
        by = settings["sites"][site].get("signature_by") or ""
        if settings["sites"][site].get("signature") and by and by not in samples:
            problems.append(
                f"{sheet}: decontam.sites.{site}.signature_by: no column {by!r}; "
                "name a column (run or extraction plate) or set it to '' for one "
                "group"
            )
        if (
            settings["sites"][site].get("signature")
            and len(controls) == 0
            and method not in NEEDS_CONTROLS  # said below, with the same fix
        ):
            problems.append(
                f"{sheet}: decontam.sites.{site}.signature: the kit-signature score "
                "calls only features a negative control holds, and no sample has "
                f"sample_type {'/'.join(settings['control_types'])}; add the "
                f"extraction blanks or set decontam.sites.{site}.signature: 0"
            )
        if method in NEEDS_CONTROLS and len(controls) == 0:
            problems.append(
                f"{sheet}: {key}: {method} needs negative controls and no sample has "
                f"sample_type {'/'.join(settings['control_types'])}; add the "
                "extraction blanks, use the frequency method, or set "
                "decontam.enabled: false"
            )
        if method in NEEDS_CONCENTRATION and not conc_ok.all():
            bad = list(scored_ids[~conc_ok.to_numpy()])
            scope = (
                f" (decontam.sites.{site}.pool scores {site} with every one)"
                if pooled
                else ""
            )
            problems.append(
                f"{sheet}: {key}: {method} needs a positive {conc_col} for every "
                f"{whose} sample{scope} and {len(bad)} have none "
                f"({', '.join(bad[:5])}{', ...' if len(bad) > 5 else ''}); "
                "measure them or use the prevalence method"
            )
        if batch_col:
            scored = samples.loc[list(scored_ids) + list(controls), batch_col]
            scored = scored.astype(str)
            for batch, ids in scored.groupby(scored, sort=True).groups.items():
                if len(ids) == 1:
                    problems.append(
                        f"{sheet}: decontam ({site}): batch {batch_col}={batch} has "
                        f"a single sample ({ids[0]}); merge it with another batch "
                        "or set decontam.batch_column: ''"
                    )
    return problems


#: A site is warned of when its controls let the prevalence test call a
#: feature in every control only while it is in fewer than this share of the
#: site's samples.
MIN_PREVALENCE_REACH = 0.5


def decontam_warnings(samples: pd.DataFrame, settings: dict) -> list[str]:
    """Warn, per site scored with the prevalence test, of too few controls.

    The expected power, computed from the numbers alone
    (:func:`gutlung_pipeline.decontam.scores.prevalence_reach`, all batches
    pooled): a contaminant in every control is called by the prevalence test
    only while it is in at most that many of the site's samples. Reagent
    contaminants of low-biomass samples are in most of them
    (``benchmarks/README.md``). A line when that share is under
    :data:`MIN_PREVALENCE_REACH`, with the controls that would lift it there.
    """
    if not settings.get("enabled", True):
        return []
    from .scores import prevalence_reach, split_threshold

    roles = sample_roles(samples, settings["control_types"], settings["mock_types"])
    k = int((roles == "control").sum())
    out = []
    for site, (_, method, _, scored) in site_plan(samples, settings).items():
        if method not in NEEDS_CONTROLS or k == 0:
            continue
        threshold = split_threshold(settings["sites"][site]["threshold"])[1]
        n = len(scored)
        pooled = settings["sites"][site].get("pool", False)
        which = (
            "biological samples (all sites, pooled)" if pooled else f"{site} samples"
        )
        reach = prevalence_reach(k, n, threshold)
        if n < 2 or reach + 1 >= MIN_PREVALENCE_REACH * n:
            continue
        enough = _controls_for(n, threshold, k)
        lift = f" ({enough} would reach half of them)" if enough else ""
        extra = ""
        if method == "combined":
            extra = " (its frequency score can still call it)"
        out.append(
            f"decontam ({site}): {k} negative controls against {n} {which}"
            f": the prevalence test (threshold {threshold:g}) calls a "
            f"contaminant found in every control only while it is in at most "
            f"{max(reach, 0)} of the {n} samples ({max(reach, 0) / n:.0%})"
            f"{extra}, and reagent contaminants of low-biomass samples are in "
            f"most of {'its ' + site + ' samples' if pooled else 'them'}; "
            f"add extraction blanks{lift}"
        )
    return out


def _controls_for(n: int, threshold: float, have: int) -> int | None:
    """Return the fewest controls that reach :data:`MIN_PREVALENCE_REACH` of ``n``.

    The reach grows with the controls: doubling, then halving the interval
    (None past ``4 n`` controls).
    """
    from .scores import prevalence_reach

    def enough(k: int) -> bool:
        return prevalence_reach(k, n, threshold) + 1 >= MIN_PREVALENCE_REACH * n

    low, high = have, max(1, have) * 2
    while not enough(high):
        if high > 4 * n:
            return None
        low, high = high, high * 2
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (low, mid) if enough(mid) else (mid, high)
    return high


def _site_scores(
    counts: pd.DataFrame,
    neg: pd.Series,
    conc: pd.Series | None,
    batch: pd.Series | None,
    *,
    method: str,
    threshold,
    batch_combine: str,
    signature: float = 0.0,
    signature_groups: pd.Series | None = None,
    signature_blanks: bool = True,
    enriched: np.ndarray | None = None,
) -> pd.DataFrame:
    """Decontam scores and calls for one site (counts: samples x features).

    ``signature`` > 0: then the kit-signature score
    (:func:`.scores.signature_scores`, over the biological samples and, with
    ``signature_blanks``, the negative controls; one batch)
    of every feature against the load of the features decontam called,
    combined with its prevalence score by Fisher's method (df 4) when the
    method has one; a feature under ``signature`` that a negative control
    holds is called too (``called_by`` ``signature``). Not with
    ``not_contaminant``. ``signature_groups`` (a label a sample, e.g. its
    run; ``decontam.sites.<site>.signature_by``): an intercept a group in
    the score's fit (a kit lot per run). ``signature_blanks``
    (``decontam.sites.<site>.signature_blanks``): the negative controls join
    the score's fit, with the groups' intercepts (a feature still needs 3
    biological samples to be scored).

    ``enriched`` (a flag a feature, ``decontam.sites.<site>.blank_enriched``):
    only flagged features are called, by the method or the score; one that
    either scores as a contaminant but is not flagged is ``held_back``. It is
    applied before the kit-signature score, whose load is then made of the
    calls that stand.
    """
    need_prev = method in NEEDS_CONTROLS
    need_freq = method in NEEDS_CONCENTRATION
    # one pass computes whichever scores the method needs ("minimum" both)
    score_with = (
        "minimum"
        if need_freq and need_prev
        else "frequency"
        if need_freq
        else "prevalence"
    )
    base = is_contaminant(
        counts,
        conc=conc if need_freq else None,
        neg=neg,
        method=score_with,
        batch=batch,
        batch_combine=batch_combine,
    )
    p_freq, p_prev = base["p.freq"].to_numpy(), base["p.prev"].to_numpy()
    if method == "not_contaminant":
        # isNotContaminant: p = 1 - p.prev, not.contaminant = p < threshold;
        # everything scored and not called not-contaminant is removed
        p = 1 - p_prev
        call = ~(p < float(np.atleast_1d(threshold)[0])) & ~np.isnan(p)
    else:
        p, call = call_contaminants(p_freq, p_prev, method=method, threshold=threshold)
    held = np.zeros(len(call), dtype=bool)
    if enriched is not None and method != "not_contaminant":
        held = call & ~enriched
        call = call & enriched
    p_sig = np.full(len(call), np.nan)
    added = np.zeros(len(call), dtype=bool)
    if signature > 0 and method != "not_contaminant" and call.any():
        flags = neg.reindex(counts.index).to_numpy(dtype=object)
        # as is_contaminant reads neg: NaN is neither (left out of both)
        biological = [v is False or v == 0 for v in flags]
        controls = [v is True or v == 1 for v in flags]
        # the blanks join the fit (their load near 1) unless signature_blanks
        fit = np.array(biological) | (np.array(controls) & signature_blanks)
        groups = (
            None
            if signature_groups is None
            else signature_groups.reindex(counts.index)[fit].to_numpy()
        )
        raw = signature_scores(
            counts.loc[fit].to_numpy(),
            call,
            groups=groups,
            blanks=np.array(controls)[fit],
        )
        # with the prevalence score as decontam's "combined" joins two scores
        p_sig, by_signature = call_contaminants(
            raw,
            p_prev,
            method="combined" if need_prev else "frequency",
            threshold=signature,
        )
        added = ~call & by_signature
        # a reagent strain is in the blanks: one no blank holds is left alone
        added &= (counts.loc[controls].to_numpy() > 0).any(axis=0)
        if enriched is not None:
            held |= added & ~enriched
            added &= enriched
    return pd.DataFrame(
        {
            "freq": base["freq"].to_numpy(),
            "p_freq": p_freq,
            "p_prev": p_prev,
            "p": p,
            "contaminant": call | added,
            "p_signature": p_sig,
            "called_by": np.where(call, "method", np.where(added, "signature", "")),
            "held_back": held,
        },
        index=base.index,
    )


def signal_above_background(
    counts: pd.DataFrame,
    contaminant_reads: pd.Series,
    controls: list[str],
    *,
    min_fraction: float,
    min_distance: float,
    flag_sites: pd.Series,
) -> pd.DataFrame:
    """Per sample: how far it stands from the negative controls.

    Parameters
    ----------
    counts
        Features x samples (biological samples and controls), before
        contaminant removal.
    contaminant_reads
        Per biological sample, reads of the features called for its site.
    controls
        Negative-control sample IDs (columns of ``counts``).
    min_fraction, min_distance
        A sample is flagged when its non-contaminant share of reads is below
        ``min_fraction`` or its Bray-Curtis distance to the nearest control is
        below ``min_distance``.
    flag_sites
        Per biological sample, whether its body site is one that is flagged.
    """
    ids = list(contaminant_reads.index)
    reads = counts[ids].sum(axis=0).astype(int)
    out = pd.DataFrame({"reads": reads, "contaminant_reads": contaminant_reads})
    out["noncontaminant_reads"] = out["reads"] - out["contaminant_reads"]
    with np.errstate(invalid="ignore", divide="ignore"):
        out["noncontaminant_fraction"] = out["noncontaminant_reads"] / out["reads"]
    rel = counts.div(counts.sum(axis=0).replace(0, np.nan), axis=1)
    blanks = [c for c in controls if counts[c].sum() > 0]
    out["nearest_control"] = ""
    out["bc_nearest_control"] = np.nan
    out["bc_control_centroid"] = np.nan
    if blanks:
        from scipy.spatial.distance import cdist  # imported where used (0.3 s)

        x = rel[ids].fillna(0).T.to_numpy()
        b = rel[blanks].T.to_numpy()
        d = cdist(x, b, metric="braycurtis")
        nearest = d.argmin(axis=1)
        out["nearest_control"] = [blanks[k] for k in nearest]
        out["bc_nearest_control"] = d[np.arange(len(ids)), nearest]
        centroid = b.mean(axis=0, keepdims=True)
        out["bc_control_centroid"] = cdist(x, centroid, metric="braycurtis")[:, 0]
        empty = out["reads"].to_numpy() == 0
        out.loc[empty, ["bc_nearest_control", "bc_control_centroid"]] = np.nan
        out.loc[empty, "nearest_control"] = ""
    reasons = []
    for sid, row in out.iterrows():
        why = []
        if row["reads"] == 0:
            why.append("no reads")
        else:
            if row["noncontaminant_fraction"] < min_fraction:
                why.append(
                    f"non-contaminant share {row['noncontaminant_fraction']:.2f} < "
                    f"{min_fraction:g}"
                )
            if row["bc_nearest_control"] < min_distance:
                why.append(
                    f"Bray-Curtis {row['bc_nearest_control']:.2f} to "
                    f"{row['nearest_control']} < {min_distance:g}"
                )
        reasons.append("; ".join(why) if flag_sites[sid] else "")
    out["flagged"] = [bool(r) for r in reasons]
    out["reason"] = reasons
    out = out.rename_axis("sample_id")
    return out


def decontaminate(
    table: pd.DataFrame,
    samples: pd.DataFrame,
    taxonomy: pd.Series,
    *,
    settings: dict,
    tracking: pd.DataFrame | None = None,
    expected: pd.Series | None = None,
) -> CleanResult:
    """Make the analysis table from the denoised one (see the module docstring).

    Parameters
    ----------
    table
        Features x samples counts (the denoised ASV table).
    samples
        The sample sheet, indexed by sample ID (``body_site``,
        ``sample_type`` and the configured concentration and batch columns).
    taxonomy
        QIIME 2 taxon string per feature.
    settings
        The config's ``decontam`` section (schema defaults filled).
    tracking
        Read tracking from denoising (``sample_id`` column or index); the
        removal columns are added to it.
    expected
        A mock community's composition (:func:`.mock.read_expected`); mock
        samples are scored against it after off-target removal (decontam calls
        are per body site and mocks have none). Without it their rows have NaN.

    Raises
    ------
    ValueError
        One line per problem of :func:`decontam_problems`.
    """
    problems = decontam_problems(samples, settings)
    if problems:
        raise ValueError("; ".join(problems))
    missing = [s for s in table.columns if s not in samples.index]
    if missing:
        raise ValueError(
            f"{len(missing)} table samples are not in the sample sheet "
            f"({', '.join(missing[:5])}); add them or drop them from the table"
        )
    table = table.reindex(columns=list(samples.index), fill_value=0)
    roles = sample_roles(samples, settings["control_types"], settings["mock_types"])
    reasons = feature_filter(
        taxonomy,
        table.index,
        remove_taxa=settings["remove_taxa"],
        remove_unassigned=settings["remove_unassigned"],
    )
    check_on_target(reasons)
    off = reasons != ""
    filtered = pd.DataFrame(
        {
            "taxon": [taxonomy.get(f, "Unassigned") for f in table.index[off]],
            "reason": reasons[off],
            "reads": table.loc[off].sum(axis=1),
        },
        index=table.index[off],
    )
    filtered.index.name = "feature_id"
    removed = {
        why: table.loc[reasons == why].sum(axis=0)
        for why in ("organelle", "unassigned")
    }
    kept = table.loc[~off]
    controls = list(samples.index[roles == "control"])
    biological = samples.index[roles == "sample"]
    calls = pd.DataFrame(False, index=kept.index, columns=biological)
    rows = []
    batch_col = settings.get("batch_column") or ""
    conc_col = settings["conc_column"]
    plan = site_plan(samples, settings) if settings["enabled"] else {}
    for site, (members, method, _, scored_ids) in plan.items():
        opts = settings["sites"][site]
        members = list(members)
        scored = list(scored_ids) + controls
        counts = kept[scored].T
        conc = (
            pd.to_numeric(samples.loc[scored, conc_col], errors="coerce")
            if conc_col in samples.columns
            else None
        )
        neg = pd.Series([s in controls for s in scored], index=scored, dtype=object)
        batch = samples.loc[scored, batch_col].astype(str) if batch_col else None
        # a larger mean share of the blanks that hold it than of the samples
        # it is scored with that hold it (the site's own; with pool, every
        # biological sample, stool included): a stool taxon leaks from the
        # wells where it is, diluted. Both where present, so that a rare
        # feature's share, inflated where it is seen at all, is compared
        # alike on both sides
        enriched = _mean_share(kept[controls]) > _mean_share(kept[list(scored_ids)])
        # the guard applies with blanks, and to a method that calls
        guard = bool(
            opts.get("blank_enriched") and controls and method != "not_contaminant"
        )
        res = _site_scores(
            counts,
            neg,
            conc,
            batch,
            method=method,
            threshold=opts["threshold"],
            batch_combine=settings["batch_combine"],
            signature=float(opts.get("signature", 0)),
            signature_groups=(
                samples.loc[scored, opts["signature_by"]].astype(str)
                if opts.get("signature") and opts.get("signature_by")
                else None
            ),
            signature_blanks=bool(opts.get("signature_blanks", True)),
            enriched=(
                enriched.reindex(counts.columns).to_numpy(bool) if guard else None
            ),
        )
        res["blank_enriched"] = enriched.reindex(res.index).to_numpy(bool)
        res["enriched_guard"] = guard  # the site's setting, as it applied
        present = (counts > 0).reindex(res.index, axis=1)
        res.insert(0, "body_site", site)
        res.insert(1, "method", method)
        res.insert(2, "threshold", str(opts["threshold"]))
        res.insert(3, "scored_samples", len(scored_ids))
        res.insert(5, "prev_samples", present.loc[members].sum(axis=0).to_numpy())
        res.insert(6, "prev_controls", present.loc[controls].sum(axis=0).to_numpy())
        res["reads_samples"] = counts.loc[members, res.index].sum(axis=0).to_numpy()
        res["reads_controls"] = counts.loc[controls, res.index].sum(axis=0).to_numpy()
        res["taxon"] = [taxonomy.get(f, "Unassigned") for f in res.index]
        # the kit-signature score's settings, beside its calls (0: off)
        res["signature"] = float(opts.get("signature", 0))
        by = opts.get("signature_by", "") if opts.get("signature") else ""
        res["signature_by"] = by
        res["signature_blanks"] = bool(
            opts.get("signature") and opts.get("signature_blanks", True)
        )
        res = res.loc[(res["prev_samples"] + res["prev_controls"]).to_numpy() > 0]
        rows.append(res)
        called = res.index[res["contaminant"].to_numpy(bool)]
        calls.loc[called, members] = True
    contaminants = (
        pd.concat(rows) if rows else pd.DataFrame(columns=CONTAMINANT_COLUMNS)
    )
    contaminants.index.name = "feature_id"
    contaminants = contaminants.reset_index()[["feature_id", *CONTAMINANT_COLUMNS]]
    contaminant_reads = (kept[biological] * calls).sum(axis=0).astype(int)
    sig = settings["signal"]
    signal = signal_above_background(
        kept[list(biological) + controls],
        contaminant_reads,
        controls,
        min_fraction=sig["min_noncontaminant_fraction"],
        min_distance=sig["min_distance_to_nearest_control"],
        flag_sites=samples.loc[biological, "body_site"].isin(sig["body_sites"]),
    )
    signal.insert(0, "body_site", samples.loc[biological, "body_site"])
    signal["excluded"] = signal["flagged"] & bool(sig["exclude"])
    analysed = [s for s in biological if not signal.loc[s, "excluded"]]
    clean = kept[analysed].mask(calls[analysed], 0)
    clean = clean.loc[clean.sum(axis=1) > 0].astype("int64")
    track = _tracking(
        tracking, samples.index, roles, removed, contaminant_reads, clean, signal
    )
    mocks = list(samples.index[roles == "mock"])
    mock, mock_taxa = _mocks(kept[mocks], taxonomy, expected, settings["mock"])
    return CleanResult(
        table=clean,
        contaminants=contaminants,
        filtered=filtered,
        signal=signal,
        tracking=track,
        roles=roles,
        mock=mock,
        mock_taxa=mock_taxa,
    )


def _mocks(counts, taxonomy, expected, opts):
    """Mock accuracy at the expected rank (NaN rows without an expected file)."""
    from ..tables import collapse

    if expected is None:
        summary = pd.DataFrame({"sample_id": counts.columns}, columns=MOCK_COLUMNS)
        summary["reads"] = counts.sum(axis=0).to_numpy(int)
        return summary, pd.DataFrame(columns=MOCK_TAXA_COLUMNS)
    collapsed = collapse(counts, taxonomy, rank=opts["rank"])
    return mock_accuracy(collapsed, expected, detection_limit=opts["detection_limit"])


CONTAMINANT_COLUMNS = [
    "body_site",
    "method",
    "threshold",
    "scored_samples",
    "freq",
    "prev_samples",
    "prev_controls",
    "p_freq",
    "p_prev",
    "p",
    "contaminant",
    "reads_samples",
    "reads_controls",
    "taxon",
    "p_signature",
    "called_by",
    "signature",
    "signature_by",
    "signature_blanks",
    "blank_enriched",
    "enriched_guard",
    "held_back",
]


def _mean_share(counts: pd.DataFrame) -> pd.Series:
    """Each feature's mean proportion over the samples (columns) that hold it.

    0 where no sample does.
    """
    totals = counts.sum(axis=0)
    with_reads = counts.loc[:, totals > 0]
    if with_reads.shape[1] == 0:
        return pd.Series(0.0, index=counts.index)
    share = with_reads / totals[totals > 0]
    return share.where(share > 0).mean(axis=1).fillna(0.0)


def _tracking(tracking, ids, roles, removed, contaminant_reads, clean, signal):
    """Extend the read tracking with the reads decontamination removed.

    Read tracking plus organelle, unassigned and contaminant reads removed and
    the reads left in the analysis table (0 for controls, mocks, exclusions).
    """
    if tracking is None:
        track = pd.DataFrame(index=pd.Index(ids, name="sample_id"))
    else:
        track = tracking.set_index("sample_id") if "sample_id" in tracking else tracking
        track = track.reindex(ids)
        track = track.rename_axis("sample_id")
    track["role"] = roles.reindex(track.index)
    track.loc[signal.index[signal["excluded"]], "role"] = "excluded"
    for why, reads in removed.items():
        track[f"{why}_removed"] = reads.reindex(track.index).fillna(0).astype(int)
    track["contaminant_removed"] = (
        contaminant_reads.reindex(track.index).fillna(0).astype(int)
    )
    track["analysed"] = clean.sum(axis=0).reindex(track.index).fillna(0).astype(int)
    return track.reset_index()
