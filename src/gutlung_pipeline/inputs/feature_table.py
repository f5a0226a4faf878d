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

A closed-reference OTU table enters with the reference's representative
sequences as its FASTA: OTUs the FASTA lacks are left out, and the share of
reads whose sequence was found is reported (``min_found`` sets how much must
be). The study's own tree (:func:`import_tree`) replaces the one the
workflow would build.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

import pandas as pd

__all__ = [
    "SEQUENCE",
    "Imported",
    "import_feature_table",
    "import_tree",
    "normalise_taxon",
]

SEQUENCE = re.compile(r"^[ACGTURYSWKMBDHVN]+$")


def normalise_taxon(taxon: str) -> str:
    """``k__Bacteria; p__Firmicutes; g__`` -> ``d__Bacteria; p__Firmicutes``."""
    ranks = [r.strip() for r in str(taxon).split(";")]
    ranks = [r for r in ranks if r and not re.fullmatch(r"[a-z]__", r)]
    if ranks and ranks[0].startswith("k__"):
        ranks[0] = "d__" + ranks[0][3:]
    return "; ".join(ranks) if ranks else "Unassigned"


@dataclass
class Imported:
    """A feature table made into the read steps' outputs."""

    table: pd.DataFrame
    """Features (sequence MD5) x the sheet's samples, read counts."""
    fasta: dict[str, str]
    """MD5 -> sequence."""
    taxonomy: pd.DataFrame | None
    """``Taxon``, ``Confidence`` by ``Feature ID`` (MD5), or None."""
    left_out: list[str]
    """The table's samples that the sheet does not list."""
    ids: dict[str, str] = field(default_factory=dict)
    """The table's feature ID -> MD5, for the features that have a sequence."""
    without_sequence: int = 0
    """Features (with reads in the sheet's samples) left out for lacking one."""
    reads_found: float = 1.0
    """Share of the sheet's reads in features with a sequence."""


def import_feature_table(
    table: pd.DataFrame,
    *,
    samples: list[str],
    sequences: dict[str, str] | None = None,
    taxonomy: pd.DataFrame | None = None,
    source: str = "table",
    min_found: float = 1.0,
) -> Imported:
    """Re-key the table by sequence MD5 and restrict it to ``samples``.

    Parameters
    ----------
    table
        Features x samples, the study's feature IDs.
    samples
        The sheet's samples, in order.
    sequences
        The table's feature ID -> sequence; None when the IDs are sequences.
    taxonomy
        ``Taxon`` (and ``Confidence``) by the table's feature ID, or None.
    source
        The table's file name, for messages.
    min_found
        Share of the sheet's reads whose feature must have a sequence. At 1
        (default) every feature needs one; below it (a closed-reference table
        with the reference's FASTA) features without one are left out and
        counted in :attr:`Imported.without_sequence`.

    Raises
    ------
    ValueError
        Naming the file and the fix: non-integer or negative counts, features
        without a sequence (beyond ``min_found``), samples of the sheet the
        table lacks, no reads in the sheet's samples, a taxonomy without a
        ``Taxon`` column.
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
        bad = [f for f in counts.index if not SEQUENCE.match(str(f).upper())]
        if bad:
            raise ValueError(
                f"{source}: feature {bad[0]!r} is not a sequence and no sequences "
                "were given; set feature_table.sequences (for closed-reference OTUs, "
                "the reference's representative sequences)"
            )
        sequences = {f: f for f in counts.index}
    reads = counts.sum(axis=1)
    lacking = [f for f in counts.index if f not in sequences and reads[f] > 0]
    total = float(reads.sum())
    found = 1 - float(reads[lacking].sum()) / total if total else 1.0
    if lacking and (min_found >= 1 or found < min_found):
        raise ValueError(
            f"{source}: feature {lacking[0]} has no sequence in "
            f"feature_table.sequences ({len(lacking)} features, "
            f"{100 * (1 - found):.1f}% of the reads, have none); give the FASTA the "
            "table was made with (for closed-reference OTUs, the reference's "
            "representative sequences)"
        )
    counts = counts.drop(index=lacking)
    seqs = {}
    for feature in counts.index:
        seq = sequences.get(feature)
        if seq is None:  # no reads in these samples: nothing to keep
            continue
        seqs[feature] = seq.upper().replace("U", "T")
    counts = counts.loc[list(seqs)]
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
    return Imported(out, fasta, tax, left_out, md5, len(lacking), found)


def import_tree(tree, imported: Imported, *, source: str = "tree"):
    """Put the study's own tree on the imported features.

    Tips are renamed from the table's feature IDs to the MD5 IDs (the first
    tip of features summed into one is kept), the tree is cut to the table's
    features, and rooted at its midpoint when its root is not bifurcating.

    Parameters
    ----------
    tree : skbio.TreeNode
        The study's tree, tips named by the table's feature IDs.
    imported
        What :func:`import_feature_table` made of the table.
    source
        The tree's file name, for messages.

    Raises
    ------
    ValueError
        Features of the table that are not tips: the first and how many.
    """
    tips = {t.name: t for t in tree.tips()}
    wanted = set(imported.table.index)
    kept: dict[str, str] = {}
    for original, md5 in imported.ids.items():
        if md5 in wanted and original in tips and md5 not in kept.values():
            kept[original] = md5
    missing = [
        o for o, m in imported.ids.items() if m in wanted and m not in kept.values()
    ]
    if missing:
        raise ValueError(
            f"{source}: feature {missing[0]} of the table is not a tip of the tree "
            f"({len(missing)} features are not); give the tree the table was made "
            "with, or leave feature_table.tree empty (a tree is then built)"
        )
    if len(kept) < 2:
        raise ValueError(
            f"{source}: the table has {len(kept)} feature(s); a tree needs 2"
        )
    cut = tree.shear(list(kept))
    for tip in cut.tips():
        tip.name = kept[tip.name]
    cut.prune()
    return cut if len(cut.children) == 2 else cut.root_at_midpoint()
