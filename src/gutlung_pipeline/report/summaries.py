"""Sentences a reviewer can quote, from the stats tables (test, n, statistic, p).

Each function takes one table written by ``gutlung permanova``,
``differential``, ``alpha-lme`` or ``paired`` and returns plain-text
sentences; the report escapes and shows them above the tables.
"""

from __future__ import annotations

import math

import pandas as pd


def fmt_p(p: float, permutations: int | None = None) -> str:
    """``p = 0.012``; the smallest permutation p is shown as ``p = 0.001``."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "p not computed"
    if p < 0.001 and not permutations:
        return "p < 0.001"
    return f"p = {p:.3g}"


def permanova_sentences(df: pd.DataFrame) -> list[str]:
    """Write one sentence per PERMANOVA term and dispersion test."""
    out = []
    for _, r in df.iterrows():
        perm = int(r["permutations"])
        where = "" if r["permutation"] == "free" else f", {r['permutation']}"
        if str(r["test"]).startswith("PERMANOVA"):
            stat = (
                f"R² = {r['r2']:.3f}, pseudo-F({int(r['df'])}, "
                f"{int(r['df_residual'])}) = {r['statistic']:.2f}"
            )
        else:
            stat = f"F({int(r['df'])}, {int(r['df_residual'])}) = {r['statistic']:.2f}"
        dropped = (
            f"; {int(r['n_dropped'])} below the rarefaction depth left out"
            if r.get("n_dropped", 0)
            else ""
        )
        out.append(
            f"{r['analysis']}, {r['metric']}: {r['test']} of {r['term']}: {stat}, "
            f"{fmt_p(r['p'], perm)} ({perm} permutations{where}; "
            f"n = {int(r['n'])}{dropped})."
        )
    return out


def differential_sentences(df: pd.DataFrame, *, alpha: float = 0.05) -> list[str]:
    """Write one sentence per differential analysis and method.

    One sentence per analysis and method, for the compared group only
    (covariates' coefficients stay in the table).
    """
    out = []
    df = df.loc[df["term"].astype(str).str.contains(r"\[T\.", regex=True)]
    for (analysis, method, term), g in df.groupby(
        ["analysis", "method", "term"], sort=False
    ):
        hits = g.loc[g["q"] < alpha].sort_values("q")
        first = g.iloc[0]
        n = f"n = {int(first['n_treatment'])} vs {int(first['n_reference'])}"
        head = (
            f"{analysis}: {method}, {term} ({first['comparison']}; {n}; "
            f"{len(g)} taxa; {first['adjustment']}): "
        )
        if hits.empty:
            out.append(head + f"no taxon at q < {alpha}.")
            continue
        listed = ", ".join(
            f"{r['genus']} (log fold change {r['log_fc']:+.2f} {r['unit']}, "
            f"q = {r['q']:.2g})"
            for _, r in hits.head(8).iterrows()
        )
        more = f" and {len(hits) - 8} more" if len(hits) > 8 else ""
        out.append(head + f"{len(hits)} taxa at q < {alpha}: {listed}{more}.")
    return out


def mixed_model_sentences(df: pd.DataFrame) -> list[str]:
    """Write one sentence per mixed-model term."""
    out = []
    for _, r in df.loc[df["term"] != "Intercept"].iterrows():
        conv = "" if bool(r["converged"]) else " (did not converge: read with care)"
        note = r.get("note")
        if isinstance(note, str) and note:
            conv += f" ({note})"
        out.append(
            f"{r['analysis']}: {r['formula']}: {r['term']} estimate "
            f"{r['estimate']:.3g} (95% CI {r['ci_low']:.3g} to {r['ci_high']:.3g}), "
            f"z = {r['statistic']:.2f}, {fmt_p(r['p'])}; n = {int(r['n'])} samples "
            f"of {int(r['n_subjects'])} subjects{conv}."
        )
    return out


def paired_sentences(df: pd.DataFrame) -> list[str]:
    """Write the sentences of the paired gut-lung tests."""
    out = []
    for _, r in df.iterrows():
        extra = ""
        if str(r["test"]).startswith("shared"):
            extra = f" (own {r['own']:.3f} vs other {r['other']:.3f})"
        out.append(
            f"{r['test']}: {r['statistic_name']} = {r['statistic']:.3f}{extra}, "
            f"{fmt_p(r['p'], int(r['permutations']))} ({int(r['permutations'])} "
            f"permutations; n = {int(r['n'])} subjects; {r['method']})."
        )
    return out


def decontam_sentences(
    contaminants: pd.DataFrame,
    signal: pd.DataFrame,
    mock: pd.DataFrame,
    tracking: pd.DataFrame,
    filtered: pd.DataFrame,
) -> list[str]:
    """Write the sentences of the contamination section.

    Contaminant calls per body site, flagged samples, off-target features and
    mock accuracy (tables of ``gutlung decontaminate``).
    """
    out = []
    roles = tracking.set_index("sample_id")["role"] if "role" in tracking else None
    n_controls = int((roles == "control").sum()) if roles is not None else 0
    for reason in ("organelle", "unassigned"):
        sub = filtered[filtered["reason"] == reason] if len(filtered) else filtered
        out.append(
            f"{len(sub)} {reason} features removed from every sample "
            f"({int(sub['reads'].sum()) if len(sub) else 0:,} reads)."
        )
    for site, g in contaminants.groupby("body_site", sort=False):
        called = g[g["contaminant"].astype(bool)]
        site_reads = signal.loc[signal["body_site"] == site]
        total = int(site_reads["reads"].sum())
        removed = int(site_reads["contaminant_reads"].sum())
        share = f" ({100 * removed / total:.1f}%)" if total else ""
        scored = ""
        if "scored_samples" in g and int(g["scored_samples"].iloc[0]) != len(
            site_reads
        ):
            scored = (
                f", scored with all {int(g['scored_samples'].iloc[0])} biological "
                "samples,"
            )
        by_signature = (
            int((called["called_by"] == "signature").sum())
            if "called_by" in called
            else 0
        )
        signature = ""
        if by_signature:
            cut = float(g["signature"].iloc[0]) if "signature" in g else None
            by = str(g["signature_by"].iloc[0]) if "signature_by" in g else ""
            how = f", p < {cut:g}" if cut else ""
            how += f", an intercept per {by}" if by and by != "nan" else ""
            fit = "signature_blanks" in g and g["signature_blanks"].astype(bool).any()
            how += ", the blanks in its fit" if fit else ""
            signature = f" ({by_signature} of them by the kit-signature score{how})"
        held = int(g["held_back"].astype(bool).sum()) if "held_back" in g else 0
        out.append(
            f"{site}: decontam {g['method'].iloc[0]} (threshold "
            f"{g['threshold'].iloc[0]}){scored} against {n_controls} negative "
            "controls called "
            f"{len(called)} of {len(g)} features contaminants{signature}; they held "
            f"{removed:,} of {total:,} reads{share} in the {len(site_reads)} {site} "
            "samples and were removed from them."
        )
        guard = "enriched_guard" in g and bool(g["enriched_guard"].astype(bool).any())
        # the guard compares with the samples the site was scored with
        versus = "biological samples'" if scored else f"{site} samples'"
        if guard and not held and len(called):
            out.append(
                f"{site}: no call was held back as a sample taxon leaked into the "
                f"blanks: each is a larger share of the blanks' reads than of the "
                f"{versus} (decontam.sites.{site}.blank_enriched)."
            )
        if held:
            what = (
                "1 more feature that scored as a contaminant was kept, a"
                if held == 1
                else f"{held} more features that scored as contaminants were kept, "
                "each a"
            )
            out.append(
                f"{site}: {what} larger share of the {versus} reads than of the "
                "blanks' (a sample taxon leaked into the blanks, not reagent DNA; "
                f"decontam.sites.{site}.blank_enriched)."
            )
    flagged = signal[signal["flagged"].astype(bool)]
    if len(flagged):
        action = (
            "excluded from the analysis"
            if flagged["excluded"].astype(bool).all()
            else "kept in the analysis (decontam.signal.exclude: false)"
        )
        details = "; ".join(f"{s}: {r['reason']}" for s, r in flagged.iterrows())
        which = (
            "1 sample looks" if len(flagged) == 1 else f"{len(flagged)} samples look"
        )
        out.append(
            f"{which} like the negative controls (flagged), {action}: {details}."
        )
    else:
        out.append("No sample is flagged as indistinguishable from the blanks.")
    for _, r in mock.iterrows():
        if int(r["reads"]) == 0:
            out.append(f"{r['sample_id']}: mock community with no reads; not scored.")
            continue
        if pd.isna(r["recall"]):
            out.append(
                f"{r['sample_id']}: mock community with {int(r['reads']):,} reads; no "
                "expected composition given (decontam.mock.expected)."
            )
            continue
        out.append(
            f"{r['sample_id']}: mock community recall {r['recall']:.2f}, precision "
            f"{r['precision']:.2f} ({int(r['true_positives'])} of "
            f"{int(r['expected_taxa'])} expected taxa, {int(r['observed_taxa'])} "
            f"observed), Bray-Curtis {r['bray_curtis']:.3f} to the expected "
            f"composition, mean absolute error {r['mean_abs_error']:.4f} (largest "
            f"{r['max_abs_error']:.4f})."
        )
    return out


def claims_sentences(claims: pd.DataFrame) -> list[str]:
    """Write one sentence per claim and study.

    One sentence per claim and study: estimate, CI, p, q, n, model and
    covariates, power, verdict, citation and the evidence grade after this run.
    """
    out = []
    for _, r in claims.iterrows():
        head = f"{r['claim_id']} ({r['study']}): {str(r['verdict']).upper()}"
        cite = (
            f" [{r['citation']} doi:{r['doi']}; evidence: "
            f"{str(r['grade']).replace('_', ' ')} ({r['grade_basis']})]"
        )
        if r["verdict"] == "not testable":
            out.append(f"{head}: {r['reason']}.{cite}")
            continue
        ci = (
            f" (95% CI {r['ci_low']:.3g} to {r['ci_high']:.3g})"
            if pd.notna(r["ci_low"])
            else ""
        )
        power = (
            f"; power to detect the published effect at this n {r['power']:.2f}"
            if pd.notna(r["power"])
            else ""
        )
        events = (
            f", {int(r['n_events'])} with the outcome"
            if pd.notna(r["n_events"])
            else ""
        )
        n = f"n = {int(r['n'])}{events}"
        if pd.notna(r.get("n_stratum")):
            # the estimate rests on the stratum: its size first
            n = (
                f"n = {int(r['n_stratum'])} in the stratum {r['stratum']}, "
                f"{int(r['n_events_stratum'])} with the outcome (of {n})"
            )
        q = f"q = {r['q']:.3g} (BH within {r['family']}"
        q = (
            f"random-effects pooled estimate, {q}'s meta-analyses)"
            if str(r["study"]).startswith("meta-analysis")
            else f"{q})"
        )
        out.append(
            f"{head}: {r['scale']} = {r['estimate']:.3g}{ci}, {fmt_p(r['p'])}, "
            f"{q}; {n}{power}; model {r['model']}, "
            f"covariates: {r['covariates']}; {r['reason']}. "
            f"Published: {r['published']}.{cite}"
        )
    return out


def acquisition_sentences(
    runs: pd.DataFrame, unmapped: pd.DataFrame, dropped: pd.DataFrame
) -> list[str]:
    """Write what came from ENA.

    What came from ENA: runs downloaded intact, runs left out and why,
    values and rows the mapping did not take.
    """
    ok = runs[runs["status"] == "ok"]
    lines = [
        f"{len(ok)} of {len(runs)} ENA runs were downloaded and matched their "
        "published size and md5."
    ]
    for r in runs[runs["status"] != "ok"].itertuples():
        lines.append(
            f"{r.sample_id} ({r.run_accession}) was left out of every analysis: "
            f"{r.reason}."
        )
    if len(unmapped):
        n = int(pd.to_numeric(unmapped["n"]).sum())
        lines.append(
            f"{len(unmapped)} attribute values in {n} samples had no entry in the "
            "study's mapping and were set to missing (table below)."
        )
    if len(dropped):
        lines.append(f"{len(dropped)} rows of the study were left out by the mapping.")
    return lines


def studies_sentences(summary: pd.DataFrame) -> list[str]:
    """Write how several studies were merged.

    How several studies were merged: samples and reads of each, and how
    much of each study the taxa every study shares carry.
    """
    shared = int(summary["taxa_shared_by_all"].iloc[0]) if len(summary) else 0
    lines = [
        f"{len(summary)} studies were processed on their own (primers, read "
        "layout, lengths, decontam) and merged at one taxonomic rank; every "
        "analysis below runs on the merged table, with `study` in the sheet."
    ]
    for r in summary.itertuples():
        lines.append(
            f"{r.study}: {r.samples} samples, {r.reads:,} reads, {r.features} "
            f"features into {r.taxa} taxa; {_pct(r.reads_assigned_at_rank)} of "
            f"its reads assigned at the merge rank, {_pct(r.reads_in_shared_taxa)} "
            f"in the {shared} taxa every study has."
        )
    return lines


def read_sentences(tracking: pd.DataFrame) -> list[str]:
    """Say what the read steps found in the reads: qualities, cuts, merging.

    From the read tracking's ``phred_offset``, ``max_quality``,
    ``quality_levels``, ``trunc_r1``, ``trunc_r2`` and ``pct_merged`` where
    they are (the default engine's read steps write them).
    """
    lines = []
    if "phred_offset" in tracking and tracking["phred_offset"].notna().any():
        offsets = tracking["phred_offset"].dropna().astype(int)
        parts = [f"phred+33 in {int((offsets == 33).sum())} samples"]
        if (offsets == 64).any():
            parts.append(
                f"phred+64 (Illumina 1.3-1.7, read as such) in "
                f"{int((offsets == 64).sum())}"
            )
        high = tracking["max_quality"].dropna()
        if (high > 41).any():
            parts.append(
                f"qualities above 41 (up to {int(high.max())}) in "
                f"{int((high > 41).sum())}"
            )
        levels = tracking["quality_levels"].dropna()
        if (levels <= 4).any():
            parts.append(
                f"binned qualities (4 values or fewer) in {int((levels <= 4).sum())}"
            )
        lines.append("Read qualities: " + "; ".join(parts) + ".")
    if "trunc_r1" in tracking and tracking["trunc_r1"].notna().any():
        cut = tracking[tracking["trunc_r1"].fillna(0) > 0]
        if len(cut):
            lines.append(
                f"Read pairs cut before the merge in {len(cut)} of {len(tracking)} "
                f"samples (median R1 {cut['trunc_r1'].median():g} nt, R2 "
                f"{cut['trunc_r2'].median():g} nt; merge.trunc_lengths)."
            )
    if "pct_merged" in tracking and tracking["pct_merged"].notna().any():
        merged = tracking["pct_merged"].dropna()
        low = merged.idxmin()
        name = tracking.loc[low, "sample_id"] if "sample_id" in tracking else low
        lines.append(
            f"Pairs merged: median {merged.median():.1f}% a sample, lowest "
            f"{merged.min():.1f}% ({name})."
        )
    return lines


def scfa_sentences(
    indices: pd.DataFrame,
    sites: pd.Series,
    group: pd.Series | None = None,
    group_label: str = "group",
) -> list[str]:
    """Say what the SCFA-producer indices show, per body site and group."""
    lines = []
    site = sites.reindex(indices.index).astype("string").fillna("NA")
    grp = None
    if group is not None:
        grp = group.reindex(indices.index).astype("string").fillna("NA")
    for lev in sorted(site.unique()):
        part = indices[site == lev]
        if part["reads"].sum() == 0:
            continue
        but = _pct(part["butyrate_share"].median())
        prop = _pct(part["propionate_share"].median())
        unplaced = _pct(part["unplaced_share"].median())
        line = (
            f"{lev} ({len(part)} samples): median {but} of reads in butyrate "
            f"producers, {prop} in propionate producers; {unplaced} without a genus"
        )
        if grp is not None and grp[part.index].nunique() > 1:
            by = [
                f"{g} {_pct(part.loc[grp[part.index] == g, 'butyrate_share'].median())}"
                f" (n = {int((grp[part.index] == g).sum())})"
                for g in sorted(grp[part.index].unique())
            ]
            line += f"; butyrate producers by {group_label}: {', '.join(by)}"
        lines.append(line + ".")
    return lines


def _pct(share) -> str:
    return "n/a" if pd.isna(share) else f"{100 * float(share):.1f}%"
