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
    got = import_feature_table(table, samples=["b", "a"])
    out, fasta, tax, left = got.table, got.fasta, got.taxonomy, got.left_out
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
    tax = import_feature_table(
        table, samples=["a"], sequences=seqs, taxonomy=taxonomy
    ).taxonomy
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


def test_closed_reference_otus_with_the_references_fasta():
    """OTUs the FASTA lacks: refused by default with how many and their share
    of reads; with min_found below 1 left out and the share reported."""
    table = pd.DataFrame(
        {"a": [90, 8, 2, 0], "b": [50, 0, 0, 5]}, index=["111", "222", "333", "444"]
    )
    reference = {"111": "AAAC", "222": "CCCA", "999": "GGGT"}  # 333, 444 lacking
    with pytest.raises(ValueError) as err:
        import_feature_table(table, samples=["a", "b"], sequences=reference, source="t")
    assert str(err.value) == (
        "t: feature 333 has no sequence in feature_table.sequences (2 features, "
        "4.5% of the reads, have none); give the FASTA the table was made with (for "
        "closed-reference OTUs, the reference's representative sequences)"
    )
    got = import_feature_table(
        table, samples=["a", "b"], sequences=reference, min_found=0.95
    )
    assert list(got.table.index) == [md5("AAAC"), md5("CCCA")]
    assert got.without_sequence == 2
    assert got.reads_found == pytest.approx(148 / 155)
    assert got.ids == {"111": md5("AAAC"), "222": md5("CCCA")}
    with pytest.raises(ValueError, match="2 features, 4.5% of the reads"):
        import_feature_table(
            table, samples=["a", "b"], sequences=reference, min_found=0.99
        )


def test_the_studys_tree_is_renamed_cut_and_rooted():
    from io import StringIO

    from skbio import TreeNode

    from gutlung_pipeline.inputs.feature_table import import_tree

    table = pd.DataFrame({"a": [5, 3, 1, 0]}, index=["o1", "o2", "o3", "o4"])
    seqs = {"o1": "AAAA", "o2": "CCCC", "o3": "GGGG", "o4": "TTTT"}
    got = import_feature_table(table, samples=["a"], sequences=seqs)
    tree = TreeNode.read(StringIO("(o1:1,o2:2,(o3:3,o4:4,o5:1):5);"))
    cut = import_tree(tree, got, source="t.nwk")
    # o4 (no reads) and o5 (not in the table) are gone; the trifurcating root
    # is replaced by the midpoint root
    assert sorted(t.name for t in cut.tips()) == sorted(
        [md5("AAAA"), md5("CCCC"), md5("GGGG")]
    )
    assert len(cut.children) == 2
    distance = cut.find(md5("GGGG")).distance(cut.find(md5("AAAA")))
    assert distance == pytest.approx(3 + 5 + 1)  # branch lengths kept
    small = TreeNode.read(StringIO("(o1:1,o3:2);"))
    with pytest.raises(ValueError) as err:
        import_tree(small, got, source="t.nwk")
    assert str(err.value) == (
        "t.nwk: feature o2 of the table is not a tip of the tree (1 features are "
        "not); give the tree the table was made with, or leave feature_table.tree "
        "empty (a tree is then built)"
    )


def test_split_ranks_and_relative_abundance_by_rank():
    """Hand-built: two Roseburia ASVs and one Bacteroides; an unassigned one."""
    from gutlung_pipeline.tables import relative_by_rank
    from gutlung_pipeline.taxonomy import greengenes_lineage, split_ranks

    taxonomy = pd.Series(
        {
            "a": "d__Bacteria; p__Firmicutes; c__Clostridia; o__Clostridiales; "
            "f__Lachnospiraceae; g__Roseburia",
            "b": "d__Bacteria; p__Firmicutes; c__Clostridia; o__Clostridiales; "
            "f__Lachnospiraceae; g__Roseburia; s__faecis",
            "c": "d__Bacteria; p__Bacteroidetes; c__Bacteroidia; o__Bacteroidales; "
            "f__Bacteroidaceae; g__Bacteroides",
            "d": "Unassigned",
        }
    )
    ranks = split_ranks(taxonomy)
    assert list(ranks.columns) == [
        "Kingdom",
        "Phylum",
        "Class",
        "Order",
        "Family",
        "Genus",
        "Species",
    ]
    assert ranks.loc["b", "Species"] == "faecis" and ranks.loc["a", "Species"] == ""
    assert (ranks.loc["d"] == "").all()
    assert greengenes_lineage(ranks.loc["c"]) == [
        "k__Bacteria",
        "p__Bacteroidetes",
        "c__Bacteroidia",
        "o__Bacteroidales",
        "f__Bacteroidaceae",
        "g__Bacteroides",
        "s__",
    ]
    table = pd.DataFrame(
        {"S1": [10, 30, 40, 20], "S2": [0, 0, 0, 0]}, index=list("abcd")
    )
    shares = relative_by_rank(table, taxonomy)
    assert list(shares) == ["Phylum", "Class", "Order", "Family", "Genus"]
    genus = shares["Genus"]["S1"]
    roseburia = [t for t in genus.index if t.endswith("g__Roseburia")][0]
    assert genus[roseburia] == pytest.approx(0.4)  # (10 + 30) / 100
    assert genus["Unassigned"] == pytest.approx(0.2)
    assert genus.sum() == pytest.approx(1.0)
    assert (shares["Phylum"]["S2"] == 0).all()  # no reads: zeros, not NaN


def test_biom_carries_its_type_and_metadata(tmp_path):
    import biom

    from gutlung_pipeline.io import write_biom

    table = pd.DataFrame({"S1": [1, 2], "S2": [3, 0]}, index=["f1", "f2"])
    write_biom(
        table,
        tmp_path / "t.biom",
        observation_metadata=[{"taxonomy": ["k__A"]}, {"taxonomy": ["k__B"]}],
        sample_metadata=[{"asthma": "yes"}, {"asthma": "no"}],
    )
    back = biom.load_table(str(tmp_path / "t.biom"))
    assert back.type == "OTU table"
    assert back.metadata("f2", axis="observation")["taxonomy"] == ["k__B"]
    assert back.metadata("S1", axis="sample")["asthma"] == "yes"
    assert (
        (back.to_dataframe(dense=True).loc[table.index, table.columns] == table)
        .all()
        .all()
    )
