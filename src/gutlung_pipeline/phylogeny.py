"""The ASVs' tree: FastTree on the alignment, midpoint-rooted with scikit-bio.

References
----------
Price MN, Dehal PS, Arkin AP (2010). FastTree 2 - approximately maximum-likelihood
trees for large alignments. PLoS ONE 5:e9490. doi:10.1371/journal.pone.0009490
Katoh K, Standley DM (2013). MAFFT multiple sequence alignment software version 7.
Mol Biol Evol 30:772-780. doi:10.1093/molbev/mst010
"""

from __future__ import annotations

import io
import logging
import os
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from skbio import TreeNode

log = logging.getLogger(__name__)


def build_tree(
    alignment: str | os.PathLike, output: str | os.PathLike, *, seed: int
) -> None:
    """Write the midpoint-rooted FastTree tree of ``alignment`` to ``output``.

    ``FastTree -nt -gtr -seed <seed + 1>`` (FastTree's seed must be
    positive), QIIME 2's ``align-to-tree-mafft-fasttree`` model, then
    :func:`midpoint_root`. scikit-bio is imported while FastTree runs (about
    a second at 250 ASVs, most of the rooting's cost), so the rooting needs
    no job of its own. FastTree's own messages are logged. A FastTree that
    fails, or writes no tree, stops the step naming the alignment; nothing
    is written then.
    """
    from .io import atomic_path
    from .tools import check_result, require_tool

    exe = require_tool("FastTree")
    folder = Path(output).parent
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        unrooted, messages = Path(tmp) / "unrooted.nwk", Path(tmp) / "fasttree.log"
        args = [exe, "-nt", "-gtr", "-seed", str(seed + 1), str(alignment)]
        log.info("running: %s", " ".join(args))
        with open(unrooted, "wb") as out, open(messages, "wb") as err:
            proc = subprocess.Popen(
                args, stdin=subprocess.DEVNULL, stdout=out, stderr=err
            )
        try:
            import skbio  # noqa: F401  (the rooting's import, while FastTree runs)
        finally:
            returncode = proc.wait()
        err_text = messages.read_text(errors="replace")
        if err_text:
            log.info("FastTree stderr:\n%s", err_text.rstrip())
        context = f"alignment {alignment}"
        check_result("FastTree", returncode, "", err_text, context=context)
        newick = unrooted.read_text()
        if not newick.rstrip().endswith(";"):  # FastTree ends its tree with ';'
            from .errors import ToolError

            raise ToolError(
                f"FastTree wrote no complete tree for {context} (cut short: a full "
                "disk?); free space and run the step again"
            )
        try:
            tree = midpoint_root(newick)
        except ValueError as err:
            raise ValueError(f"FastTree's tree for {context}: {err}") from None
    with atomic_path(output) as path:
        path.write_text(to_newick(tree))


def midpoint_root(newick: str) -> TreeNode:
    """Root a Newick tree at the midpoint of its longest tip-to-tip path.

    This is exactly QIIME 2's ``phylogeny midpoint-root``
    (``TreeNode.root_at_midpoint``). Faith PD and UniFrac need the rooted tree.

    Examples
    --------
    >>> str(midpoint_root("(A:1,B:2,(C:3,D:4):5);")).strip()
    '((C:3.0,D:4.0):1.5,(A:1.0,B:2.0):3.5);'
    """
    from skbio import TreeNode
    from skbio.io import FileFormatError

    try:
        tree = TreeNode.read(io.StringIO(newick), format="newick")
    except FileFormatError:
        raise ValueError(
            "not a Newick tree (unbalanced parentheses, or cut short)"
        ) from None
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
