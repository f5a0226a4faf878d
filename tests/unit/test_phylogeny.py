import os
import subprocess

import pytest
from conftest import needs_tools

from gutlung_pipeline.diversity import alpha
from gutlung_pipeline.errors import ToolError
from gutlung_pipeline.phylogeny import build_tree, midpoint_root, to_newick

#: Six aligned 16S-like sequences (gaps included), FastTree's input.
ALIGNMENT = """>a1
TACGGAGGGTGCAAGCGTTAATCGGAATTACTGGGCGTAAAGCGCACGCAGGCGG-TTTGTTAAG
>a2
TACGGAGGGTGCAAGCGTTAATCGGAATTACTGGGCGTAAAGCGCACGCAGGCGGTTTTGTTAAG
>b1
TACGTAGGGTGCGAGCGTTAATCGGAATTACTGGGCGTAAAGCGTGCGCAGGCGG-TTTGTCAAG
>b2
TACGTAGGGTGCGAGCGTTGATCGGAATTACTGGGCGTAAAGGGTGCGCAGGCGGATTTGTCAAG
>c1
TACGTAGGTGGCAAGCGTTATCCGGATTTATTGGGCGTAAAGCGAGCGCAGGCGG-TTTTTTAAG
>c2
TACGTAGGTGGCAAGCGTTGTCCGGATTTATTGGGCGTAAAGGGAGCGCAGGCGG-TTCTTTAAG
"""


@needs_tools
def test_build_tree_is_fasttree_then_the_midpoint_root(tmp_path):
    """One job gives what FastTree and then root-tree gave as two."""
    aln = tmp_path / "aln.fasta"
    aln.write_text(ALIGNMENT)
    build_tree(aln, tmp_path / "out" / "tree.nwk", seed=0)
    unrooted = subprocess.run(
        ["FastTree", "-nt", "-gtr", "-seed", "1", str(aln)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    want = to_newick(midpoint_root(unrooted))
    got = (tmp_path / "out" / "tree.nwk").read_text()
    assert got == want
    assert sorted(t.split(":")[0] for t in got.replace("(", "").split(",")) == [
        "a1",
        "a2",
        "b1",
        "b2",
        "c1",
        "c2",
    ]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["tree.nwk"]


@needs_tools
def test_build_tree_names_the_alignment_fasttree_refused(tmp_path):
    aln = tmp_path / "bad.fasta"
    aln.write_text(">a\nACGTACGT\n>b\nACGTAC\n>c\nACGTACGA\n")  # unequal lengths
    with pytest.raises(ToolError, match=r"FastTree failed on alignment .*bad\.fasta"):
        build_tree(aln, tmp_path / "tree.nwk", seed=0)
    assert not (tmp_path / "tree.nwk").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["bad.fasta"]


def test_midpoint_root_known_answer_from_methods():
    tree = midpoint_root("(A:1,B:2,(C:3,D:4):5);")
    assert to_newick(tree) == "((C:3.0,D:4.0):1.5,(A:1.0,B:2.0):3.5);\n"


def test_faith_pd_counts_the_path_to_the_root():
    import pandas as pd

    tree = midpoint_root("(A:1,B:2,(C:3,D:4):5);")
    table = pd.DataFrame({"s1": [1, 0, 0, 0], "s2": [1, 1, 1, 1]}, index=list("ABCD"))
    pd_values = alpha(table, tree=tree)["faith_pd"]
    assert pd_values["s1"] == pytest.approx(4.5)  # A:1 + 3.5 to the root
    assert pd_values["s2"] == pytest.approx(1 + 2 + 3.5 + 3 + 4 + 1.5)


def test_midpoint_root_rejects_tiny_or_duplicated_trees():
    with pytest.raises(ValueError, match="at least 2"):
        midpoint_root("(A:1);")
    with pytest.raises(ValueError, match="duplicate tip"):
        midpoint_root("(A:1,A:2,B:1);")


@needs_tools
def test_build_tree_refuses_a_tree_cut_short(tmp_path, monkeypatch):
    """A FastTree whose output was cut short (a full disk) but which exited
    0: one line naming the alignment and the fix, nothing written."""
    import shutil

    real = shutil.which("FastTree")
    fake = tmp_path / "bin" / "FastTree"
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\n"{real}" "$@" | head -c 40\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}:{os.environ['PATH']}")
    aln = tmp_path / "aln.fasta"
    aln.write_text(ALIGNMENT)
    with pytest.raises(
        ToolError,
        match=r"FastTree wrote no complete tree for alignment .*aln\.fasta \(cut "
        r"short: a full disk\?\); free space and run the step again",
    ):
        build_tree(aln, tmp_path / "tree.nwk", seed=0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["aln.fasta", "bin"]


def test_midpoint_root_names_a_broken_newick():
    with pytest.raises(ValueError, match="not a Newick tree"):
        midpoint_root("((A:1,B:2),(C:3")
