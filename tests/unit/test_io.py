import gzip

import pandas as pd
import pytest

from gutlung_pipeline.io import (
    atomic_path,
    read_fasta,
    read_table,
    write_biom,
    write_fasta,
    write_gzip_bytes,
    write_table_tsv,
)


def test_fasta_round_trip_plain_and_gzip(tmp_path):
    records = [("a", "ACGT"), ("b;size=3", "GGGTTT")]
    for name in ("x.fasta", "x.fasta.gz"):
        write_fasta(records, tmp_path / name)
        assert read_fasta(tmp_path / name) == dict(records)
    with gzip.open(tmp_path / "x.fasta.gz", "rt") as handle:
        assert handle.read() == ">a\nACGT\n>b;size=3\nGGGTTT\n"


def test_read_fasta_joins_wrapped_lines_and_rejects_duplicates(tmp_path):
    (tmp_path / "w.fa").write_text(">s1 desc\nAC\nGT\n>s2\nTT\n")
    assert read_fasta(tmp_path / "w.fa") == {"s1 desc": "ACGT", "s2": "TT"}
    (tmp_path / "d.fa").write_text(">s1\nAC\n>s1\nGT\n")
    with pytest.raises(ValueError, match="duplicate FASTA label 's1'"):
        read_fasta(tmp_path / "d.fa")


def test_atomic_path_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out.tsv"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("boom")
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_atomic_path_removes_a_killed_writers_temporary_file(tmp_path):
    """kill -9 mid-write leaves ``.<name>.<random>.tmp``; the next writer of
    that path removes it, and leaves another file's temporaries alone."""
    target = tmp_path / "a[1].tsv"  # glob characters in the name
    stale = tmp_path / ".a[1].tsv.k2j4x_9q.tmp"
    others = [".b.tsv.k2j4x_9q.tmp", ".a[1].tsv.x.k2j4x_9q.tmp"]  # other files'
    stale.write_text("half")
    for name in others:
        (tmp_path / name).write_text("half")
    with atomic_path(target) as tmp:
        assert len(tmp.name) == len(stale.name)  # mkstemp's 8 random characters
        tmp.write_text("whole")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*others, "a[1].tsv"])
    assert target.read_text() == "whole"


def test_gzip_output_is_byte_identical(tmp_path):
    write_gzip_bytes(b"@r\nACGT\n+\nIIII\n", tmp_path / "a.gz")
    write_gzip_bytes(b"@r\nACGT\n+\nIIII\n", tmp_path / "b.gz")
    assert (tmp_path / "a.gz").read_bytes() == (tmp_path / "b.gz").read_bytes()


def test_biom_and_tsv_round_trip_and_biom_is_reproducible(tmp_path):
    df = pd.DataFrame(
        [[1, 0], [5, 7]], index=["f1", "f2"], columns=["S1", "S.2"], dtype="int64"
    )
    write_biom(df, tmp_path / "t.biom")
    write_biom(df, tmp_path / "u.biom")
    write_table_tsv(df, tmp_path / "t.tsv")
    pd.testing.assert_frame_equal(
        read_table(tmp_path / "t.biom"), df, check_names=False
    )
    pd.testing.assert_frame_equal(read_table(tmp_path / "t.tsv"), df, check_names=False)
    assert (tmp_path / "t.tsv").read_text().startswith("#OTU ID\tS1\tS.2\nf1\t1\t0\n")
    import h5py

    with h5py.File(tmp_path / "t.biom") as h:
        assert h.attrs["format-version"].tolist() == [2, 1]
        assert h.attrs["creation-date"] == "2000-01-01T00:00:00"


def test_read_tsv_keeps_ids_as_text(tmp_path):
    from gutlung_pipeline.io import read_taxonomy, read_tsv

    (tmp_path / "a.tsv").write_text("sample_id\tshannon\n0012\t1.5\n12\t2.0\n")
    df = read_tsv(tmp_path / "a.tsv")
    assert df.index.tolist() == ["0012", "12"] and df["shannon"].tolist() == [1.5, 2.0]
    (tmp_path / "t.tsv").write_text("Feature ID\tTaxon\tConfidence\n007\td__B\t1\n")
    assert read_taxonomy(tmp_path / "t.tsv").to_dict() == {"007": "d__B"}
    with pytest.raises(ValueError, match="no Taxon column; give a taxonomy.tsv"):
        read_taxonomy(tmp_path / "a.tsv")


def test_table_faults_name_both_places_or_the_cell(tmp_path):
    """A repeated sample column or feature ID, a count that is not a number
    and a BIOM with a repeated ID stop with one line naming them."""
    import json

    import biom
    import numpy as np

    from gutlung_pipeline.io import read_table

    cases = {
        "cols.tsv": (
            "#OTU ID\ts1\ts2\ts1\nA\t1\t2\t3\n",
            "sample column 's1' appears twice (columns 2 and 4); keep one or give "
            "each its own ID",
        ),
        "rows.tsv": (
            "#OTU ID\ts1\nA\t1\nB\t2\nA\t3\n",
            "feature ID 'A' appears twice (lines 2 and 4); keep one or give each "
            "its own ID",
        ),
        "count.tsv": (
            "# Constructed from biom file\n#OTU ID\ts1\ts2\nA\t1\t2\nB\t1\tseven\n",
            "line 4 (feature B), column s2: 'seven' is not a count; give a whole "
            "number of reads (0 for none)",
        ),
        "negative.tsv": (
            "#OTU ID\ts1\nA\t-1\n",
            "line 2 (feature A), column s1: -1 is not a count; give a whole number "
            "of reads (0 for none)",
        ),
    }
    for name, (text, message) in cases.items():
        (tmp_path / name).write_text(text)
        with pytest.raises(ValueError) as err:
            read_table(tmp_path / name)
        assert str(err.value) == f"{tmp_path / name}: {message}"
    doc = json.loads(
        biom.Table(np.array([[1, 2], [3, 4]]), ["a", "b"], ["s1", "s2"]).to_json("t")
    )
    doc["rows"][1]["id"] = "a"
    (tmp_path / "dup.biom").write_text(json.dumps(doc))
    with pytest.raises(ValueError) as err:
        read_table(tmp_path / "dup.biom")
    assert str(err.value) == (
        f"{tmp_path}/dup.biom: feature ID 'a' appears twice (feature IDs 1 and 2); "
        "keep one or give each its own ID"
    )


def test_feature_data_artifacts_are_read_or_refused_with_the_export_fix(tmp_path):
    """FeatureData[Sequence] and [Taxonomy] .qza give their data/ files; an
    artifact of another type, or a file that is no zip, says how to export."""
    import zipfile

    import pytest

    from gutlung_pipeline.io import read_fasta_or_qza, read_taxonomy

    seqs = tmp_path / "rep-seqs.qza"
    with zipfile.ZipFile(seqs, "w") as z:
        z.writestr("1d2c/metadata.yaml", "type: FeatureData[Sequence]\n")
        z.writestr("1d2c/data/dna-sequences.fasta", ">f1\nACGT\n>f2\nGGCC\n")
    assert read_fasta_or_qza(seqs) == {"f1": "ACGT", "f2": "GGCC"}
    tax = tmp_path / "taxonomy.qza"
    with zipfile.ZipFile(tax, "w") as z:
        z.writestr("9a8b/metadata.yaml", "type: FeatureData[Taxonomy]\n")
        z.writestr(
            "9a8b/data/taxonomy.tsv",
            "Feature ID\tTaxon\tConfidence\nf1\td__Bacteria; g__Dorea\t0.9\n",
        )
    assert read_taxonomy(tax).to_dict() == {"f1": "d__Bacteria; g__Dorea"}
    with pytest.raises(ValueError) as err:
        read_fasta_or_qza(tax)
    assert str(err.value) == (
        f"{tax}: not a FeatureData[Sequence] artifact (no data/dna-sequences.fasta "
        f"inside); export it with qiime tools export --input-path {tax} "
        "--output-path DIR and give DIR's file"
    )
    fake = tmp_path / "fake.qza"
    fake.write_bytes(b"\xf7not a zip")
    with pytest.raises(ValueError, match=r"not a QIIME 2 artifact \(not a zip file\)"):
        read_taxonomy(fake)


@pytest.mark.parametrize("metric", ["braycurtis", "aitchison"])
def test_read_ordination_reads_what_scikit_bio_reads(tmp_path, metric):
    """The report's reader of PCoA files against scikit-bio's own, on the
    PCoA of a non-Euclidean matrix (negative eigenvalues) and of a Euclidean
    one, with sample IDs that look like numbers."""
    import numpy as np
    from skbio import OrdinationResults

    from gutlung_pipeline.diversity import beta, ordinate
    from gutlung_pipeline.io import read_ordination

    rng = np.random.default_rng(5)
    table = pd.DataFrame(
        rng.poisson(4, size=(9, 7)) + 1,
        index=[f"f{k}" for k in range(9)],
        columns=["0012", "s 2", "s3", "s4", "s5", "s6", "1e5"],
    )
    ordinate(beta(table, metric=metric)).write(str(tmp_path / "p.txt"))
    mine = read_ordination(tmp_path / "p.txt")
    theirs = OrdinationResults.read(str(tmp_path / "p.txt"))
    pd.testing.assert_frame_equal(mine.samples, theirs.samples)
    pd.testing.assert_series_equal(
        mine.proportion_explained, theirs.proportion_explained
    )
    assert list(mine.samples.index) == list(table.columns)
    (tmp_path / "bad.txt").write_text("Eigvals\t1\n1.0\n")
    with pytest.raises(ValueError, match="no 'Proportion explained' section"):
        read_ordination(tmp_path / "bad.txt")


def test_read_distance_matrix_reads_what_scikit_bio_reads(tmp_path):
    """The PERMANOVA's reader of distance matrices against scikit-bio's own,
    on a matrix scikit-bio wrote, with IDs that look like numbers; filter as
    DistanceMatrix.filter; each fault one line naming the file."""
    import numpy as np
    from skbio import DistanceMatrix

    from gutlung_pipeline.diversity import beta
    from gutlung_pipeline.io import read_distance_matrix

    rng = np.random.default_rng(3)
    table = pd.DataFrame(
        rng.poisson(4, size=(9, 6)) + 1,
        index=[f"f{k}" for k in range(9)],
        columns=["0012", "s 2", "s3", "s4", "1e5", "NA"],
    )
    path = tmp_path / "d.tsv"
    beta(table, metric="braycurtis").write(str(path))
    mine, theirs = read_distance_matrix(path), DistanceMatrix.read(str(path))
    assert mine.ids == tuple(theirs.ids) == tuple(table.columns)
    np.testing.assert_array_equal(mine.data, theirs.data)
    order = ["s4", "0012", "NA"]
    np.testing.assert_array_equal(mine.filter(order).data, theirs.filter(order).data)
    with pytest.raises(ValueError, match="1 IDs are not in the distance matrix"):
        mine.filter(["s3", "nope"])
    text = path.read_text().splitlines()
    faults = {
        "not a square distance matrix": "\n".join(text[:-1]),
        "the rows' IDs are not the header's": "\n".join([text[0], *text[2:], text[1]]),
        "not symmetric": "\n".join(
            [text[0], text[1].replace("\t0.0\t", "\t0.5\t", 1), *text[2:]]
        ),
        "a distance is not a number": "\n".join([text[0], text[1] + "x", *text[2:]]),
        "missing distances": "\n".join(
            [text[0], text[1].rsplit("\t", 1)[0] + "\tnan", *text[2:]]
        ),
    }
    for message, bad in faults.items():
        (tmp_path / "bad.tsv").write_text(bad + "\n")
        with pytest.raises(ValueError, match=f"bad.tsv: {message}"):
            read_distance_matrix(tmp_path / "bad.tsv")
        with pytest.raises(Exception):  # noqa: B017 (scikit-bio's own errors)
            DistanceMatrix.read(str(tmp_path / "bad.tsv"), format="lsmat")
