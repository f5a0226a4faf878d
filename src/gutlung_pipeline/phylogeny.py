"""Tree handling: midpoint rooting of the FastTree output with scikit-bio.

References
----------
Price MN, Dehal PS, Arkin AP (2010). FastTree 2 - approximately maximum-likelihood
trees for large alignments. PLoS ONE 5:e9490. doi:10.1371/journal.pone.0009490
Katoh K, Standley DM (2013). MAFFT multiple sequence alignment software version 7.
Mol Biol Evol 30:772-780. doi:10.1093/molbev/mst010
"""

from __future__ import annotations

import io

from skbio import TreeNode


def midpoint_root(newick: str) -> TreeNode:
    """Root a Newick tree at the midpoint of its longest tip-to-tip path.

    This is exactly QIIME 2's ``phylogeny midpoint-root``
    (``TreeNode.root_at_midpoint``). Faith PD and UniFrac need the rooted tree.

    Examples
    --------
    >>> str(midpoint_root("(A:1,B:2,(C:3,D:4):5);")).strip()
    '((C:3.0,D:4.0):1.5,(A:1.0,B:2.0):3.5);'
    """
    tree = TreeNode.read(io.StringIO(newick))
    tips = [t.name for t in tree.tips()]
    if len(tips) < 2:
        raise ValueError(f"tree has {len(tips)} tip(s); rooting needs at least 2")
    if len(set(tips)) != len(tips):
        raise ValueError("tree has duplicate tip names")
    return tree.root_at_midpoint()


def to_newick(tree: TreeNode) -> str:
    """Newick text of a tree (one line, newline-terminated)."""
    buf = io.StringIO()
    tree.write(buf, format="newick")
    return buf.getvalue()
