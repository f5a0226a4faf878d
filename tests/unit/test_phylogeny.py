import pytest

from gutlung_pipeline.diversity import alpha
from gutlung_pipeline.phylogeny import midpoint_root, to_newick


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
