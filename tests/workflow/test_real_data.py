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


def greengenes_97() -> Path:
    import qiime_default_reference as qdr

    return Path(qdr.get_reference_sequences())


@pytest.fixture(scope="module")
def global_patterns(tmp_path_factory):
    """phyloseq's GlobalPatterns (Caporaso et al. 2011): a published
    closed-reference OTU table (19,216 Greengenes OTUs x 26 samples of soil,
    water, skin, tongue, faeces and mocks) with its tree, as phyloseq ships it,
    written out by R. Sites other than faeces enter as other, mocks as mocks."""
    import subprocess

    out = tmp_path_factory.mktemp("global_patterns")
    script = (
        "suppressMessages(library(phyloseq)); data(GlobalPatterns); gp <- GlobalPatterns;"
        "otu <- as(otu_table(gp), 'matrix');"
        "write.table(data.frame('#OTU ID' = rownames(otu), otu, check.names = FALSE),"
        f" '{out}/table.tsv', sep = '\\t', quote = FALSE, row.names = FALSE);"
        f"ape::write.tree(phy_tree(gp), '{out}/tree.nwk');"
        "sd <- as(sample_data(gp), 'data.frame');"
        "write.table(data.frame(sample = rownames(sd), type = sd$SampleType),"
        f" '{out}/types.tsv', sep = '\\t', quote = FALSE, row.names = FALSE)"
    )
    subprocess.run(["Rscript", "-e", script], check=True, capture_output=True)
    types = pd.read_csv(out / "types.tsv", sep="\t")
    site = types["type"].map({"Feces": "gut", "Mock": "none"}).fillna("other")
    kind = types["type"].map({"Feces": "stool", "Mock": "mock"}).fillna("other")
    sheet = pd.DataFrame(
        {
            "sample_id": types["sample"],
            "subject_id": types["sample"],
            "body_site": site,
            "sample_type": kind,
            "body_site_original": types["type"].where(site == "other", ""),
            "run": "gp",
            "study": "GlobalPatterns",
        }
    )
    return out, sheet


@needs_r("phyloseq")
def test_a_published_otu_table_without_sequences_stops_before_any_job(
    tmp_path, global_patterns
):
    out, sheet = global_patterns
    work = make_workdir(
        tmp_path / "w",
        sheet,
        **{
            "feature_table.table": str(out / "table.tsv"),
            "diversity.group_column": "body_site",
        },
    )
    proc = snakemake(work, "-n")
    assert proc.returncode != 0
    assert (
        "gutlung-pipeline: error: config/config.yaml: key feature_table.sequences: "
        f"feature '549322' of {out / 'table.tsv'} is not a sequence (19216 of 19216 "
        "are not); give the FASTA of the features (for closed-reference OTUs, the "
        "reference's representative sequences)"
    ) in proc.stderr


@needs_r("phyloseq")
def test_a_published_otu_table_enters_with_its_tree(tmp_path, global_patterns):
    """GlobalPatterns with the Greengenes 13_8 97% sequences (its OTU IDs are
    an older Greengenes release: 36% of the reads have a sequence there) and
    the study's own tree: the imported tree carries the study's branch lengths,
    and weighted UniFrac on it equals phyloseq's UniFrac on the same table."""
    import subprocess

    from skbio import TreeNode

    from gutlung_pipeline.diversity import beta
    from gutlung_pipeline.io import read_table

    out, sheet = global_patterns
    work = make_workdir(
        tmp_path / "w",
        sheet,
        **{
            "feature_table.table": str(out / "table.tsv"),
            "feature_table.sequences": str(greengenes_97()),
            "feature_table.tree": str(out / "tree.nwk"),
            "feature_table.min_found": 0.3,
            "diversity.group_column": "body_site",
        },
    )
    proc = snakemake(work, "results/asv/asv_table.tsv", "results/phylogeny/tree.nwk")
    assert proc.returncode == 0, proc.stderr[-3000:]
    log = (work / "logs/import_table.log").read_text()
    assert (
        "features without a sequence in" in log and "36.01% of the sheet's reads" in log
    )
    assert not (work / "logs/build_tree.log").exists()  # no MAFFT, no FastTree
    table = read_table(work / "results/asv/asv_table.tsv")
    tree = TreeNode.read(str(work / "results/phylogeny/tree.nwk"))
    assert sorted(t.name for t in tree.tips()) == sorted(table.index)
    assert len(table) > 9000 and list(table.columns) == list(sheet["sample_id"])
    # the study's branch lengths: two tips as far apart as in the published tree
    study = TreeNode.read(str(out / "tree.nwk"))
    ids = dict(zip(*_original_ids(work), strict=True))
    a, b = list(ids)[:2]
    assert tree.find(ids[a]).distance(tree.find(ids[b])) == pytest.approx(
        study.find(a).distance(study.find(b))
    )
    # weighted UniFrac (unnormalised) on the imported table and tree, against
    # phyloseq::UniFrac on the same OTUs and the same (pruned) tree
    ours = beta(table, metric="weighted_unifrac", tree=tree)
    script = (
        "suppressMessages(library(phyloseq)); data(GlobalPatterns);"
        f"keep <- readLines('{tmp_path}/keep.txt');"
        "gp <- prune_taxa(keep, GlobalPatterns);"
        "d <- as.matrix(UniFrac(gp, weighted = TRUE, normalized = FALSE));"
        f"write.table(d, '{tmp_path}/unifrac.tsv', sep = '\\t', quote = FALSE)"
    )
    (tmp_path / "keep.txt").write_text("\n".join(ids) + "\n")
    subprocess.run(["Rscript", "-e", script], check=True, capture_output=True)
    theirs = pd.read_csv(tmp_path / "unifrac.tsv", sep="\t", index_col=0)
    theirs = theirs.loc[list(table.columns), list(table.columns)]
    assert abs(ours.to_data_frame() - theirs.to_numpy()).to_numpy().max() < 1e-6


def _original_ids(work: Path):
    """The table's OTU IDs with a sequence, and their MD5 IDs, in table order."""
    from gutlung_pipeline.io import read_fasta

    fasta = read_fasta(greengenes_97())
    seqs = read_fasta(work / "results/asv/asv_seqs.fasta")
    by_seq = {s: i for i, s in seqs.items()}
    pairs = [(o, by_seq[s.upper()]) for o, s in fasta.items() if s.upper() in by_seq]
    return [o for o, _ in pairs], [m for _, m in pairs]
