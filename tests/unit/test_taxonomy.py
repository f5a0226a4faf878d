import re

import pandas as pd
import pytest
from conftest import needs_tools

from gutlung_pipeline.taxonomy import (
    format_sintax_header,
    genus_of,
    parse_sintax_header,
    parse_sintax_prediction,
    read_sintax_tabbed,
    run_sintax,
    sintax_to_qiime,
)


def test_sintax_header_round_trip_and_cleaning():
    ranks = {"d": "Bacteria", "p": "Firmicutes", "g": "Strepto,coccus", "s": None}
    header = format_sintax_header("id1", ranks)
    assert header == "id1;tax=d:Bacteria,p:Firmicutes,g:Strepto_coccus;"
    assert parse_sintax_header(header) == (
        "id1",
        {"d": "Bacteria", "p": "Firmicutes", "g": "Strepto_coccus"},
    )
    with pytest.raises(ValueError, match="no named rank"):
        format_sintax_header("x", {})
    with pytest.raises(ValueError, match="not a SINTAX header"):
        parse_sintax_header("x;size=3")


def test_cutoff_truncates_at_first_rank_below():
    preds = pd.Series(
        {
            "a": "d:Bacteria(1.00),p:Firmicutes(0.95),c:Bacilli(0.81),o:Lacto(0.79),"
            "f:Strep(0.90)",
            "b": "d:Bacteria(0.50),p:Firmicutes(0.40)",
            "c": "",
        }
    )
    out = sintax_to_qiime(preds, confidence=0.8)
    assert list(out.columns) == ["Taxon", "Confidence"]
    assert out.index.name == "Feature ID"
    # o is below 0.8, so f (0.90) is not kept either: ranks stop at the first miss
    assert out.loc["a", "Taxon"] == "d__Bacteria; p__Firmicutes; c__Bacilli"
    assert out.loc["a", "Confidence"] == 0.81
    assert out.loc["b"].tolist() == ["Unassigned", 0.5]
    assert out.loc["c"].tolist() == ["Unassigned", 0.0]
    assert sintax_to_qiime(preds, confidence=0.0).loc["a", "Taxon"].endswith("f__Strep")
    with pytest.raises(ValueError, match="within"):
        sintax_to_qiime(preds, confidence=2)


def test_parse_prediction_rejects_garbage():
    assert parse_sintax_prediction("g:Name(with)paren(0.50)") == [
        ("g", "Name(with)paren", 0.5)
    ]
    with pytest.raises(ValueError):
        parse_sintax_prediction("x:Foo(0.1)")


def test_genus_of():
    assert (
        genus_of("d__Bacteria; p__Firmicutes; g__Streptococcus; s__x")
        == "Streptococcus"
    )
    assert genus_of("d__Bacteria; p__Firmicutes") == "Unclassified Firmicutes"
    assert genus_of("Unassigned") == "Unassigned"


@needs_tools
def test_run_sintax_on_reference_sequences_is_exact_and_repeatable(tmp_path, reference):
    from gutlung_pipeline.io import write_fasta

    picks = reference.groupby("genus").head(1).head(8)
    write_fasta(zip(picks["ref_id"], picks["sequence"], strict=True), tmp_path / "q.fa")
    from conftest import REFERENCE

    for k in (1, 2):
        run_sintax(tmp_path / "q.fa", REFERENCE, tmp_path / f"o{k}.tsv", random_state=3)
    assert (tmp_path / "o1.tsv").read_bytes() == (tmp_path / "o2.tsv").read_bytes()
    taxa = sintax_to_qiime(read_sintax_tabbed(tmp_path / "o1.tsv"), confidence=0.8)
    for ref_id, genus in zip(picks["ref_id"], picks["genus"], strict=True):
        # a sequence that is itself in the reference gets its own genus
        assert genus_of(taxa.loc[ref_id, "Taxon"]) == genus


@needs_tools
def test_sintax_in_chunks_names_alike_on_any_threads(tmp_path, reference, monkeypatch):
    """SINTAX on fixed chunks of ASVs, one-thread processes side by side: the
    same predictions on 1, 2 and 3 threads, in the ASVs' order, each chunk what
    vsearch writes for it with --randseed seed + 1 (so seed 0 repeats too)."""
    import subprocess

    import numpy as np
    from conftest import REFERENCE

    import gutlung_pipeline.taxonomy as taxonomy
    from gutlung_pipeline.io import write_fasta

    rng = np.random.default_rng(5)
    picks = reference.groupby("genus").head(1).head(10)
    records = []
    for seq in picks["sequence"]:
        # one base in ten changed: bootstrap support below 1, so the seed matters
        bases = np.array(list(seq))
        where = rng.random(len(bases)) < 0.1
        bases[where] = rng.choice(list("ACGT"), where.sum())
        records.append((f"asv{len(records)}", "".join(bases)))
    write_fasta(records, tmp_path / "q.fa")
    monkeypatch.setattr(taxonomy, "SINTAX_CHUNK", 2)
    # 10 ASVs, two chunks for every 4: six, of 1 or 2 in file order
    bounds = taxonomy.sintax_chunks(len(records))
    assert bounds == [(0, 1), (1, 3), (3, 5), (5, 6), (6, 8), (8, 10)]
    for threads in (1, 2, 3):
        run_sintax(
            tmp_path / "q.fa",
            REFERENCE,
            tmp_path / f"t{threads}.tsv",
            random_state=0,
            threads=threads,
        )
    one = (tmp_path / "t1.tsv").read_bytes()
    assert (
        one == (tmp_path / "t2.tsv").read_bytes() == (tmp_path / "t3.tsv").read_bytes()
    )
    lines = one.decode().splitlines()
    assert [line.split("\t")[0] for line in lines] == [r[0] for r in records]
    write_fasta(records[6:8], tmp_path / "chunk.fa")
    for k in (1, 2):
        subprocess.run(
            ["vsearch", "--sintax", str(tmp_path / "chunk.fa"), "--db", str(REFERENCE)]
            + ["--tabbedout", str(tmp_path / f"c{k}.tsv"), "--randseed", "1"]
            + ["--threads", "1", "--strand", "both", "--quiet"],
            check=True,
        )
    chunk = (tmp_path / "c1.tsv").read_text().splitlines()
    assert chunk == lines[6:8] == (tmp_path / "c2.tsv").read_text().splitlines()
    supports = [float(x) for line in lines for x in re.findall(r"\((\d\.\d+)\)", line)]
    assert min(supports) < 1  # the bootstrap was at work


def test_sintax_chunks_even_equal_and_covering():
    from gutlung_pipeline.taxonomy import SINTAX_CHUNK, sintax_chunks

    assert SINTAX_CHUNK == 160
    assert sintax_chunks(0) == [(0, 0)]
    assert sintax_chunks(1) == [(0, 1)]
    assert sintax_chunks(263) == [(0, 131), (131, 263)]
    assert sintax_chunks(400) == [(0, 100), (100, 200), (200, 300), (300, 400)]
    for n in range(2, 2000):
        bounds = sintax_chunks(n)
        sizes = [hi - lo for lo, hi in bounds]
        assert bounds[0][0] == 0 and bounds[-1][1] == n
        assert all(a[1] == b[0] for a, b in zip(bounds[:-1], bounds[1:], strict=True))
        assert len(bounds) % 2 == 0 and max(sizes) <= SINTAX_CHUNK
        assert max(sizes) - min(sizes) <= 1
