import gzip

import pytest
from conftest import FORWARD, REFERENCE, REPO, REVERSE, needs_tools

from gutlung_pipeline.io import read_fasta
from gutlung_pipeline.reference import (
    build_demo_reference,
    build_full_reference,
    consensus_ranks,
    parse_greengenes_taxonomy,
    select_reference_ids,
)
from gutlung_pipeline.sequences import reverse_complement
from gutlung_pipeline.taxonomy import parse_sintax_header


def test_reverse_complement_iupac():
    assert reverse_complement("ACGTN") == "NACGT"
    assert reverse_complement("GGACTACNVGGGTWTCTAAT") == "ATTAGAWACCCBNGTAGTCC"


def test_parse_greengenes_taxonomy():
    line = (
        "k__Bacteria; p__Firmicutes; c__Bacilli; o__; f__; g__Streptococcus; s__mitis"
    )
    assert parse_greengenes_taxonomy(line) == [
        "Bacteria",
        "Firmicutes",
        "Bacilli",
        None,
        None,
        "Streptococcus",
        "Streptococcus_mitis",
    ]
    assert parse_greengenes_taxonomy("k__B; p__[Thermi]; c__; o__; f__; g__; s__x")[
        1:
    ] == [
        "Thermi",
        None,
        None,
        None,
        None,
        None,
    ]
    with pytest.raises(ValueError, match="7-rank"):
        parse_greengenes_taxonomy("k__Bacteria; p__Firmicutes")


def test_select_reference_ids_caps_per_genus_in_numeric_order():
    tax = {
        "100": [None] * 5 + ["A", None],
        "20": [None] * 5 + ["A", None],
        "3": [None] * 5 + ["A", None],
        "7": [None] * 5 + ["B", None],
        "8": [None] * 5 + ["C", None],
    }
    assert select_reference_ids(tax, genera=("B", "A"), per_genus=2) == ["7", "3", "20"]


@needs_tools
def test_build_demo_reference_known_answer(tmp_path):
    v4a = "TACG" + "A" * 60 + "C" * 60
    v4b = "TACG" + "G" * 60 + "T" * 60
    rc = reverse_complement(
        REVERSE.replace("N", "A").replace("V", "A").replace("W", "A")
    )
    fwd = FORWARD.replace("Y", "C").replace("M", "A")
    (tmp_path / "ref.fa").write_text(
        f">1\nNNNN{fwd}{v4a}{rc}TTTT\n"
        f">2\nAAAA{fwd}{v4b}{rc}\n"
        f">3\n{fwd}{v4a}{rc}\n"  # same amplicon as 1: dropped
        f">4\n{v4b}\n"  # no primers: dropped
    )
    lineage = "k__Bacteria; p__P; c__C; o__O; f__F; g__Gen; s__sp"
    (tmp_path / "tax.txt").write_text(
        "".join(f"{i}\t{lineage}\n" for i in (1, 2, 3, 4))
    )
    n = build_demo_reference(
        tmp_path / "ref.fa",
        tmp_path / "tax.txt",
        tmp_path / "out.fa.gz",
        forward=FORWARD,
        reverse=REVERSE,
        genera=("Gen",),
        per_genus=10,
    )
    assert n == 2
    out = read_fasta(tmp_path / "out.fa.gz")
    assert out == {
        "1;tax=d:Bacteria,p:P,c:C,o:O,f:F,g:Gen,s:Gen_sp;": v4a,
        "2;tax=d:Bacteria,p:P,c:C,o:O,f:F,g:Gen,s:Gen_sp;": v4b,
    }


def test_shipped_reference_is_primer_trimmed_v4():
    seqs = read_fasta(REFERENCE)
    assert len(seqs) > 500
    lengths = sorted(len(s) for s in seqs.values())
    assert 240 <= lengths[len(lengths) // 2] <= 260
    assert all(set(s) <= set("ACGT") for s in seqs.values())
    assert len(set(seqs.values())) == len(seqs)
    with gzip.open(REFERENCE, "rt") as handle:
        assert handle.readline().startswith(">")


@needs_tools
def test_shipped_reference_rebuilds_identically(tmp_path):
    qdr = pytest.importorskip("qiime_default_reference")
    build_demo_reference(
        qdr.get_reference_sequences(),
        qdr.get_reference_taxonomy(),
        tmp_path / "rebuilt.fasta.gz",
        forward=FORWARD,
        reverse=REVERSE,
    )
    assert read_fasta(tmp_path / "rebuilt.fasta.gz") == read_fasta(REFERENCE)


@needs_tools
def test_outside_reference_holds_only_what_the_shipped_one_lacks(tmp_path):
    """--exclude the shipped reference: truth for the simulator that neither
    the chimera check nor the classifier has seen (issue: the denoiser's
    truth was drawn from the reference its chimera check uses)."""
    from gutlung_pipeline.simulate import load_reference

    qdr = pytest.importorskip("qiime_default_reference")
    n = build_demo_reference(
        qdr.get_reference_sequences(),
        qdr.get_reference_taxonomy(),
        tmp_path / "outside.fasta",
        forward=FORWARD,
        reverse=REVERSE,
        exclude=REFERENCE,
    )
    outside, shipped = (
        load_reference(tmp_path / "outside.fasta"),
        load_reference(REFERENCE),
    )
    assert n == len(outside) == 505  # 39 of the 40 genera (no other Escherichia)
    assert not set(outside["ref_id"]) & set(shipped["ref_id"])
    assert not set(outside["sequence"]) & set(shipped["sequence"])
    assert outside["sequence"].is_unique
    assert set(outside["genus"]) == set(shipped["genus"]) - {"Escherichia"}


@needs_tools
def test_full_reference_rebuilds_identically_and_merges_identical_amplicons(tmp_path):
    """The default taxonomy reference: every OTU's V4 amplicon, identical ones
    one record with their shared lineage (Escherichia and Shigella share V4)."""
    qdr = pytest.importorskip("qiime_default_reference")
    n = build_full_reference(
        qdr.get_reference_sequences(),
        qdr.get_reference_taxonomy(),
        tmp_path / "full.fasta.gz",
        forward=FORWARD,
        reverse=REVERSE,
    )
    shipped = REPO / "resources/reference/gg_13_8_97_v4.sintax.fasta.gz"
    assert n == 78963
    assert (tmp_path / "full.fasta.gz").read_bytes() == shipped.read_bytes()
    records = read_fasta(shipped)
    assert len(set(records.values())) == n  # no amplicon twice
    # every sequence of the small reference is in it
    small = {s.upper() for s in read_fasta(REFERENCE).values()}
    assert small <= set(records.values())
    ranks = [parse_sintax_header(h)[1] for h in records]
    assert not any(r.get("g") == "Shigella" for r in ranks)
    assert any(r.get("g") == "Escherichia" for r in ranks)


def test_identical_amplicons_keep_the_lineage_they_share():
    a = ["Bacteria", "Proteobacteria", "Gamma", "Entero", "Enterobacteriaceae"]
    assert consensus_ranks(
        [[*a, "Escherichia", "Escherichia_coli"], [*a, "Shigella", None]]
    ) == [*a, None, None]
    # an unnamed rank takes the name the others agree on
    assert consensus_ranks(
        [[*a, None, None], [*a, "Escherichia", None], [*a, "Escherichia", None]]
    ) == [*a, "Escherichia", None]
    assert consensus_ranks([[*a, "X", "X_y"]]) == [*a, "X", "X_y"]
