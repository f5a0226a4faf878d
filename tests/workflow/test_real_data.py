"""Real reads that no one here wrote (tests/data/real, provenance in
tests/data/README.md):

- q2-dada2's own test reads and the tables its tests expect: the DADA2 engine
  must give them cell for cell;
- DADA2's example MiSeq 2x250 reads (sam1, sam2; primers not in the reads):
  the default engine, through the workflow, against vsearch UNOISE3 and DADA2
  as their own documentation runs them, within the bounds stated here
  (README "Real data": the figures measured when the bounds were set).
"""

from pathlib import Path

import pandas as pd
import pytest
from conftest import REAL, REFERENCE, needs_r, needs_tools
from real_peers import (
    agreement,
    by_sequence,
    dada2_tutorial,
    genus_table,
    sintax_genera,
    vsearch_unoise3,
)
from test_workflow import make_workdir, snakemake

from gutlung_pipeline import dada2

pytestmark = needs_tools

Q2 = REAL / "q2_dada2"
EXTDATA = REAL / "dada2_extdata"


def q2_manifest(folder: Path) -> dict[str, tuple[str, str | None]]:
    """q2-dada2's MANIFEST: sample -> (forward, reverse or None)."""
    m = pd.read_csv(folder / "MANIFEST", comment="#")
    out = {}
    for sample, rows in m.groupby("sample-id", sort=False):
        files = dict(zip(rows["direction"], rows["filename"], strict=True))
        reverse = files.get("reverse")
        out[sample] = (
            str(folder / files["forward"]),
            str(folder / reverse) if reverse else None,
        )
    return out


def q2_expected(name: str, samples) -> pd.DataFrame:
    """q2-dada2's expected feature table (MD5 IDs x samples)."""
    table = pd.read_csv(Q2 / f"expected/{name}.tsv", sep="\t", skiprows=1, index_col=0)
    return table.reindex(columns=sorted(samples)).fillna(0).astype("int64")


@needs_r("dada2")
@pytest.mark.parametrize(
    ("layout", "trunc_len", "expected"),
    [
        ("sample_seqs_paired", (150, 150), "paired-default"),
        ("sample_seqs_single", (100, 0), "single-default"),
    ],
)
def test_dada2_engine_equals_q2_dada2_cell_for_cell(
    tmp_path, layout, trunc_len, expected
):
    """q2-dada2's test_denoise: denoise-paired 150/150 and denoise-single 100
    with every other setting at its default. The single-end reads are
    Illumina 1.5 (phred+64 qualities up to 'h'); DADA2 reads them as given."""
    fastqs = q2_manifest(Q2 / layout)
    dada2.denoise_group(
        fastqs,
        tmp_path / "w",
        tmp_path / "seqtab.tsv",
        tmp_path / "track.tsv",
        trunc_len=trunc_len,
    )
    dada2.remove_bimeras([tmp_path / "seqtab.tsv"], tmp_path / "nochim.tsv")
    table, seqs = dada2.wide_table(
        dada2.read_long(tmp_path / "nochim.tsv"), sorted(fastqs)
    )
    want = q2_expected(expected, fastqs)
    assert table.shape == want.shape
    pd.testing.assert_frame_equal(
        table.sort_index(), want.sort_index(), check_names=False
    )
    stats = pd.read_csv(
        Q2 / f"expected/{expected}-stats.tsv", sep="\t", skiprows=[1], index_col=0
    )
    track = pd.read_csv(tmp_path / "track.tsv", sep="\t", index_col=0)
    assert track["filtered"].to_dict() == stats["filtered"].to_dict()
    if "merged" in stats:
        assert track["merged"].to_dict() == stats["merged"].to_dict()
    assert table.sum().to_dict() == stats["non-chimeric"].to_dict()


@pytest.fixture(scope="module")
def sam12(tmp_path_factory):
    """DADA2's sam1/sam2 through the workflow (default engine, defaults but
    primers.in_reads false) and through the two peers."""
    pairs = {
        s: (EXTDATA / f"{s}F.fastq.gz", EXTDATA / f"{s}R.fastq.gz")
        for s in ("sam1", "sam2")
    }
    sheet = pd.DataFrame(
        {
            "sample_id": list(pairs),
            "subject_id": list(pairs),
            "body_site": "gut",
            "sample_type": "stool",
            "run": "run1",
            "study": "dada2_extdata",
            "fq1": [str(r1) for r1, _ in pairs.values()],
            "fq2": [str(r2) for _, r2 in pairs.values()],
        }
    )
    base = tmp_path_factory.mktemp("sam12")
    work = make_workdir(
        base / "run",
        sheet,
        **{"primers.in_reads": False, "diversity.group_column": "body_site"},
    )
    proc = snakemake(work, "results/asv/asv_table.tsv")
    assert proc.returncode == 0, proc.stderr[-3000:]
    asv = work / "results/asv"
    ours = by_sequence(
        pd.read_csv(asv / "asv_table.tsv", sep="\t", index_col=0),
        asv / "asv_seqs.fasta",
    )
    tracking = pd.read_csv(asv / "read_tracking.tsv", sep="\t", index_col=0)
    peers = {"vsearch": vsearch_unoise3(pairs, base / "vsearch")}
    return ours, tracking, peers, pairs, base


def test_default_engine_keeps_the_pairs_of_real_miseq_reads(sam12):
    """Whole 250-nt reads merged 65% of these pairs; cut before the merge
    (merge.trunc_lengths auto: 186/115 here) 96%, and 90% reach the table."""
    _, tracking, _, _, _ = sam12
    assert (tracking["pct_merged"] >= 90).all(), tracking
    assert (tracking["pct_in_table"] >= 85).all(), tracking
    assert (tracking["trunc_r1"] > tracking["trunc_r2"]).all()  # R2 wears first
    assert (tracking["trunc_r1"] + tracking["trunc_r2"] == 253 + 48).all()


def test_default_engine_agrees_with_vsearch_unoise3(sam12):
    """Measured: 10 of vsearch's 11 ASVs shared, Bray-Curtis 0.027 (ASVs) and
    0.007 (genera)."""
    ours, _, peers, _, base = sam12
    v = peers["vsearch"]
    got = agreement(ours, v)
    assert got["shared"] >= len(v) - 2 and got["braycurtis"] <= 0.05, got
    genera = sintax_genera(ours.index.union(v.index), REFERENCE, base / "sintax_v")
    got = agreement(genus_table(ours, genera), genus_table(v, genera))
    assert got["braycurtis"] <= 0.02, got


@needs_r("dada2")
def test_default_engine_agrees_with_dada2_as_vsearch_does(sam12):
    """DADA2 as its tutorial runs it (240/160): measured 8 of its 8 ASVs
    shared, Bray-Curtis 0.098 (vsearch UNOISE3 against DADA2: 0.094) and
    0.045 at genus level (0.038)."""
    ours, _, peers, pairs, base = sam12
    d = dada2_tutorial(pairs, base / "dada2")
    got = agreement(ours, d)
    assert got["shared"] >= len(d) - 1, got
    between_peers = agreement(peers["vsearch"], d)["braycurtis"]
    assert got["braycurtis"] <= max(0.12, 1.25 * between_peers), got
    genera = sintax_genera(ours.index.union(d.index), REFERENCE, base / "sintax_d")
    got = agreement(genus_table(ours, genera), genus_table(d, genera))
    assert got["braycurtis"] <= 0.06, got
