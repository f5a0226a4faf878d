"""Feature-table entry: IDs to sequence MD5s, sequences from the IDs or a
FASTA, Greengenes taxonomy normalised, bad tables refused."""

import hashlib

import pandas as pd
import pytest

from gutlung_pipeline.inputs.feature_table import import_feature_table, normalise_taxon


def md5(s):
    return hashlib.md5(s.encode()).hexdigest()


def test_sequence_ids_become_md5_and_duplicates_sum():
    table = pd.DataFrame(
        {"a": [1, 2, 0, 4], "b": [0, 3, 0, 1], "c": [9, 9, 9, 9]},
        index=["ACGT", "acgu", "GGGG", "TTTT"],  # acgu is ACGT in RNA, lower case
    )
    out, fasta, tax, left = import_feature_table(table, samples=["b", "a"])
    assert left == ["c"]
    assert list(out.columns) == ["b", "a"]
    # ACGT + acgu summed; GGGG (no reads in a or b) dropped; order kept
    assert list(out.index) == [md5("ACGT"), md5("TTTT")]
    assert out.loc[md5("ACGT")].tolist() == [3, 3]
    assert fasta == {md5("ACGT"): "ACGT", md5("TTTT"): "TTTT"}
    assert tax is None


def test_fasta_and_taxonomy_by_original_ids():
    table = pd.DataFrame({"a": [5, 1]}, index=["otu1", "otu2"])
    seqs = {"otu1": "AAAC", "otu2": "CCCA"}
    taxonomy = pd.DataFrame(
        {"Taxon": ["k__Bacteria; p__Firmicutes; c__; g__", "Unassigned"]},
        index=pd.Index(["otu1", "otu2"], name="Feature ID"),
    )
    out, fasta, tax, _ = import_feature_table(
        table, samples=["a"], sequences=seqs, taxonomy=taxonomy
    )
    assert list(tax.index) == [md5("AAAC"), md5("CCCA")]
    assert list(tax["Taxon"]) == ["d__Bacteria; p__Firmicutes", "Unassigned"]
    with pytest.raises(ValueError, match="feature otu2 has no sequence"):
        import_feature_table(table, samples=["a"], sequences={"otu1": "A"})
    with pytest.raises(ValueError, match="'otu1' is not a sequence"):
        import_feature_table(table, samples=["a"])
    with pytest.raises(ValueError, match="no column for sample.s. z of the sheet"):
        import_feature_table(table, samples=["a", "z"], sequences=seqs)
    with pytest.raises(ValueError, match="whole numbers"):
        import_feature_table(table * 0.5, samples=["a"], sequences=seqs)
    with pytest.raises(ValueError, match="feature otu2 has no taxonomy"):
        import_feature_table(
            table, samples=["a"], sequences=seqs, taxonomy=taxonomy.iloc[:1]
        )


def test_normalise_taxon():
    assert normalise_taxon("k__Bacteria;p__Bacteroidetes;g__") == (
        "d__Bacteria; p__Bacteroidetes"
    )
    assert normalise_taxon("d__Bacteria; p__Firmicutes") == "d__Bacteria; p__Firmicutes"
    assert normalise_taxon("") == "Unassigned"


def test_an_empty_table_or_a_taxonomy_without_header_stops():
    """No reads in the sheet's samples is refused (it would reach decontam as
    'no blanks'); a taxonomy read without its header names the fix."""
    table = pd.DataFrame({"a": [0, 0], "b": [0, 0]}, index=["ACGT", "TTTT"])
    with pytest.raises(ValueError) as err:
        import_feature_table(table, samples=["a", "b"], source="t.biom")
    assert str(err.value) == (
        "t.biom: no reads in the sheet's 2 samples (the table has 2 features); "
        "check that the table and the sheet belong together"
    )
    headerless = pd.DataFrame(
        {"d__Bacteria; g__Prevotella": ["d__Bacteria; g__Dialister"]},
        index=pd.Index(["ACGT"], name="TTTT"),
    )
    with pytest.raises(ValueError) as err:
        import_feature_table(
            table + 1, samples=["a"], taxonomy=headerless, source="t.biom"
        )
    assert str(err.value) == (
        "t.biom: its taxonomy has no Taxon column (columns: d__Bacteria; "
        "g__Prevotella); give the taxonomy a header line: Feature ID<tab>Taxon"
    )
