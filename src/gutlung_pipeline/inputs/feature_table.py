"""A study that enters at the table stage.

A study that enters at the table stage: a feature table (BIOM, TSV or a
QIIME 2 artifact, e.g. a Qiita export) with its sequences and, optionally,
its taxonomy, made into the same files the read steps write.

Feature IDs become the MD5 of the upper-case sequence (the QIIME 2
convention of every table here), so tables of different studies join; the
sequences come from a FASTA or, for deblur/DADA2 tables whose IDs are the
sequences, from the IDs themselves. Two features with one sequence are
summed. A Greengenes ``k__`` domain becomes ``d__`` and empty ranks
(``g__``) are dropped, as SINTAX writes them.
"""

from __future__ import annotations

import hashlib
import re

import pandas as pd

__all__ = ["import_feature_table", "normalise_taxon"]

_DNA = re.compile(r"^[ACGTURYSWKMBDHVN]+$")


def normalise_taxon(taxon: str) -> str:
    """``k__Bacteria; p__Firmicutes; g__`` -> ``d__Bacteria; p__Firmicutes``."""
    ranks = [r.strip() for r in str(taxon).split(";")]
    ranks = [r for r in ranks if r and not re.fullmatch(r"[a-z]__", r)]
    if ranks and ranks[0].startswith("k__"):
        ranks[0] = "d__" + ranks[0][3:]
    return "; ".join(ranks) if ranks else "Unassigned"


def import_feature_table(
    table: pd.DataFrame,
    *,
    samples: list[str],
    sequences: dict[str, str] | None = None,
    taxonomy: pd.DataFrame | None = None,
    source: str = "table",
) -> tuple[pd.DataFrame, dict[str, str], pd.DataFrame | None, list[str]]:
    """Re-key the table by sequence MD5 and restrict it to ``samples``.

    Returns (table features x samples, {md5: sequence}, taxonomy with
    ``Feature ID`` index (or None), table samples left out because the sheet
    does not list them). Raises ValueError naming the file and the fix for
    non-integer or negative counts, features without a sequence, samples of
    the sheet the table lacks, no reads in the sheet's samples, a taxonomy
    without a ``Taxon`` column.
    """
    missing = [s for s in samples if s not in table.columns]
    if missing:
        shown = ", ".join(missing[:5]) + (", ..." if len(missing) > 5 else "")
        raise ValueError(
            f"{source}: no column for sample(s) {shown} of the sheet; fix the "
            "sample IDs or drop those rows"
        )
    left_out = [s for s in table.columns if s not in set(samples)]
    counts = table[samples]
    values = counts.to_numpy(dtype=float)
    if (values < 0).any() or (values != values.round()).any():
        raise ValueError(f"{source}: counts must be whole numbers >= 0 (read counts)")
    if sequences is None:
        bad = [f for f in counts.index if not _DNA.match(str(f).upper())]
        if bad:
            raise ValueError(
                f"{source}: feature {bad[0]!r} is not a sequence and no sequences "
                "were given; set feature_table.sequences (for closed-reference OTUs, "
                "the reference's representative sequences)"
            )
        sequences = {f: f for f in counts.index}
    seqs = {}
    for feature in counts.index:
        seq = sequences.get(feature)
        if seq is None:
            raise ValueError(
                f"{source}: feature {feature} has no sequence in "
                "feature_table.sequences; give the FASTA the table was made with"
            )
        seqs[feature] = seq.upper().replace("U", "T")
    md5 = {f: hashlib.md5(s.encode()).hexdigest() for f, s in seqs.items()}  # noqa: S324
    # the table's own feature order is kept (the tree is built in that order)
    out = counts.astype("int64").groupby(counts.index.map(md5), sort=False).sum()
    out = out.loc[out.sum(axis=1) > 0]
    if out.empty:
        raise ValueError(
            f"{source}: no reads in the sheet's {len(samples)} samples (the table "
            f"has {len(table)} features); check that the table and the sheet belong "
            "together"
        )
    out.index.name = "#OTU ID"
    by_md5 = {md5[f]: seqs[f] for f in counts.index}
    fasta = {h: by_md5[h] for h in out.index}
    tax = None
    if taxonomy is not None:
        if "Taxon" not in taxonomy.columns:
            raise ValueError(
                f"{source}: its taxonomy has no Taxon column (columns: "
                f"{', '.join(map(str, taxonomy.columns[:3]))}); give the taxonomy a "
                "header line: Feature ID<tab>Taxon"
            )
        known = taxonomy.reindex(list(md5))
        lacking = known.index[known["Taxon"].isna()]
        if len(lacking):
            raise ValueError(
                f"{source}: feature {lacking[0]} has no taxonomy; give a taxonomy "
                "for every feature or leave feature_table.taxonomy empty (SINTAX "
                "then assigns one)"
            )
        known = known.assign(**{"Feature ID": known.index.map(md5)})
        known["Taxon"] = known["Taxon"].map(normalise_taxon)
        if "Confidence" not in known.columns:
            known["Confidence"] = pd.NA
        tax = (
            known.drop_duplicates("Feature ID")
            .set_index("Feature ID")[["Taxon", "Confidence"]]
            .reindex(out.index)
        )
        tax.index.name = "Feature ID"
    return out, fasta, tax, left_out
