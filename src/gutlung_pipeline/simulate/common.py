"""What both simulators share.

What both simulators share: the genera they draw, the reference they draw
from, and the sample sheet they write.
"""

from __future__ import annotations

import os

import pandas as pd

from ..io import read_fasta, write_tsv
from ..taxonomy import parse_sintax_header, qiime_lineage

GUT_GENERA = (
    "Bacteroides",
    "Prevotella",
    "Faecalibacterium",
    "Roseburia",
    "Ruminococcus",
    "Blautia",
    "Bifidobacterium",
    "Escherichia",
    "Akkermansia",
    "Lachnospira",
    "Dorea",
    "Coprococcus",
    "Parabacteroides",
    "Dialister",
    "Sutterella",
    "Lactobacillus",
    "Oscillospira",
    "Megasphaera",
)
LUNG_GENERA = (
    "Streptococcus",
    "Veillonella",
    "Prevotella",
    "Haemophilus",
    "Neisseria",
    "Moraxella",
    "Staphylococcus",
    "Corynebacterium",
    "Rothia",
    "Actinomyces",
    "Porphyromonas",
    "Fusobacterium",
    "Gemella",
    "Granulicatella",
    "Leptotrichia",
)
#: Infant stool succession: genera that dominate early and ones that rise later,
#: with the age (days) at which each peaks in the simulation.
INFANT_SUCCESSION = {
    "Bifidobacterium": 60,
    "Escherichia": 20,
    "Streptococcus": 15,
    "Veillonella": 120,
    "Enterococcus": 10,
    "Lactobacillus": 90,
    "Bacteroides": 400,
    "Faecalibacterium": 900,
    "Roseburia": 1000,
    "Ruminococcus": 900,
    "Lachnospira": 800,
    "Blautia": 600,
    "Coprococcus": 1000,
    "Dorea": 800,
    "Oscillospira": 1200,
    "Akkermansia": 500,
    "Parabacteroides": 700,
}
INFANT_AGES_DAYS = (7, 30, 91, 182, 365, 730)
#: Reagent ("kitome") contaminants: one profile shared by every extraction.
CONTAMINANT_GENERA = (
    "Ralstonia",
    "Bradyrhizobium",
    "Sphingomonas",
    "Pseudomonas",
    "Methylobacterium",
    "Burkholderia",
)
#: A mock community (one strain per genus, equal shares), as the even
#: ZymoBIOMICS standard: genera the reference holds, none of them contaminants.
MOCK_GENERA = (
    "Escherichia",
    "Enterococcus",
    "Lactobacillus",
    "Staphylococcus",
    "Bacteroides",
    "Bifidobacterium",
    "Streptococcus",
    "Akkermansia",
)


def load_reference(path: str | os.PathLike) -> pd.DataFrame:
    """Load the reference sequences with their genus and lineage.

    Reference sequences with their genus and lineage: columns ref_id,
    genus, sequence, taxon (QIIME 2 style, ``d__Bacteria; ...; g__...``).
    """
    rows = []
    for header, seq in read_fasta(path).items():
        ref_id, ranks = parse_sintax_header(header)
        rows.append((ref_id, ranks.get("g"), seq.upper(), qiime_lineage(ranks.items())))
    return pd.DataFrame(rows, columns=["ref_id", "genus", "sequence", "taxon"])


def in_reference_order(table: pd.DataFrame, reference: pd.DataFrame) -> pd.DataFrame:
    """Whole counts (missing = 0), features (sequences) in reference order."""
    order = {seq: i for i, seq in enumerate(reference["sequence"])}
    table = table.fillna(0).astype("int64")
    return table.loc[sorted(table.index, key=order.__getitem__)]


def canonical_sheet(sheet: pd.DataFrame) -> pd.DataFrame:
    """Type whole-number columns as Int64 and order the columns.

    Whole-number columns as Int64 (empty where missing), columns in
    :data:`SHEET_COLUMNS` order.
    """
    for col in ("age_days", "gold_stage", "asthma_age_days"):
        if col in sheet.columns:
            sheet[col] = pd.to_numeric(sheet[col], errors="coerce").astype("Int64")
    return sheet[[c for c in SHEET_COLUMNS if c in sheet.columns]]


def reference_taxonomy(reference: pd.DataFrame) -> pd.DataFrame:
    """Return the taxonomy of each distinct reference sequence.

    ``Feature ID`` (the sequence) and ``Taxon`` of each distinct sequence of
    :func:`load_reference`'s table (the first lineage where one repeats).
    """
    first = reference.drop_duplicates("sequence")
    return pd.DataFrame(
        {"Feature ID": first["sequence"].to_numpy(), "Taxon": first["taxon"].to_numpy()}
    )


SHEET_COLUMNS = (
    "sample_id",
    "subject_id",
    "body_site",
    "sample_type",
    "run",
    "study",
    "fq1",
    "fq2",
    "age_days",
    "sex",
    "asthma",
    "maternal_asthma",
    "copd",
    "gold_stage",
    "respiratory_infection",
    "fev1_pct_pred",
    "smoking",
    "antibiotics",
    "delivery_mode",
    "dna_conc",
    "asthma_age_days",
)


def mock_expected() -> pd.DataFrame:
    """Return the simulated mock's expected composition (taxon, relative_abundance)."""
    return pd.DataFrame(
        {"taxon": MOCK_GENERA, "relative_abundance": 1 / len(MOCK_GENERA)}
    )


def write_cohort(
    sheet: pd.DataFrame,
    truth: pd.DataFrame,
    *,
    sheet_path: str | os.PathLike,
    truth_path: str | os.PathLike,
) -> None:
    """Write the sample sheet and the truth table as TSV."""
    write_tsv(sheet, sheet_path, index=False)
    write_tsv(truth, truth_path, index=False)
