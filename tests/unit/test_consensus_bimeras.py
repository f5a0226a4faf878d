"""The table's bimera test (DADA2's consensus): known answers, and DADA2's own
``removeBimeraDenovo(method="consensus")`` run live on a planted table."""

import numpy as np
import pandas as pd
from conftest import REFERENCE, needs_r

from gutlung_pipeline.denoise import consensus_bimeras
from gutlung_pipeline.io import read_fasta


def seqs(n):
    """n distinct reference V4 sequences of 253 nt."""
    out = [s.upper() for s in read_fasta(REFERENCE).values() if len(s) == 253]
    return out[:n]


def test_flagged_where_both_parents_outnumber_it_in_the_sample():
    a, b = seqs(2)
    chimera = a[:120] + b[120:]
    assert chimera not in (a, b)
    # sample 1: parents at 100 and 20 reads, the chimera at 10: 20 >= 1.5 x 10
    table = [[100, 50], [20, 40], [10, 0]]
    assert consensus_bimeras([a, b, chimera], table, fold=1.5) == [2]
    # a parent with 14 reads is under 1.5 x 10: not a bimera in that sample
    table = [[100, 50], [14, 40], [10, 0]]
    assert consensus_bimeras([a, b, chimera], table, fold=1.5) == []
    assert consensus_bimeras([a, b, chimera], table, fold=1.4) == [2]
    # the default: parents at least as abundant as the chimera
    assert consensus_bimeras([a, b, chimera], table) == [2]
    table = [[100, 50], [9, 40], [10, 0]]
    assert consensus_bimeras([a, b, chimera], table) == []


def test_a_join_of_relatives_survives_where_they_are_absent_or_rarer():
    """A true sequence that is exactly a join of two relatives: flagged in the
    one sample where both outnumber it, not in three others: kept (1 < 0.9 x
    (4 - 1)). In two samples, flagged in one: removed, as DADA2 does (one
    unflagged sample is set aside)."""
    a, b = seqs(2)
    join = a[:120] + b[120:]
    four = [[100, 0, 0, 0], [100, 0, 0, 0], [30, 25, 40, 60]]
    assert consensus_bimeras([a, b, join], four) == []
    two = [[100, 0], [100, 0], [30, 25]]
    assert consensus_bimeras([a, b, join], two) == [2]
    # every sample flags it
    every = [[100, 90], [100, 90], [30, 25]]
    assert consensus_bimeras([a, b, join], every) == [2]


def test_a_piece_of_a_parent_is_not_a_bimera():
    a, b = seqs(2)
    short = a[:200]  # a known sequence cut short, covered whole by one parent
    table = [[100], [100], [10]]
    assert consensus_bimeras([a, b, short], table) == []
    # parents of different lengths are compared on their own ends
    longer_b = b[:60] + "ACG" + b[60:]
    chimera = a[:130] + longer_b[130:]
    assert consensus_bimeras([a, longer_b, chimera], table) == [2]


def _planted(seed: int = 3, n_true: int = 40, n_samples: int = 16):
    """Sequence table: true sequences at log-normal counts, and chimeras each
    in one to three samples where both parents are at least 4 times as
    abundant (PCR's yield: far rarer than both)."""
    rng = np.random.default_rng(seed)
    true = seqs(n_true)
    counts = np.where(
        rng.random((n_true, n_samples)) < 0.5,
        np.rint(rng.lognormal(5, 1.2, (n_true, n_samples))),
        0,
    ).astype(int)
    rows, chimeras = [], []
    for _ in range(200):
        s = int(rng.integers(n_samples))
        present = np.flatnonzero(counts[:, s] >= 40)
        if len(present) < 2:
            continue
        i, j = rng.choice(present, 2, replace=False)
        cut = int(rng.integers(60, 190))
        seq = true[i][:cut] + true[j][cut:]
        if seq in true or seq in chimeras or seq in (true[i], true[j]):
            continue
        row = np.zeros(n_samples, int)
        row[s] = max(2, min(counts[i, s], counts[j, s]) // int(rng.integers(4, 20)))
        chimeras.append(seq)
        rows.append(row)
        if len(chimeras) == 25:
            break
    table = np.vstack([counts, np.array(rows)])
    keep = table.sum(axis=1) > 0
    sequences = [s for s, k in zip(true + chimeras, keep, strict=True) if k]
    planted = {k for k, s in enumerate(sequences) if s in set(chimeras)}
    return sequences, table[keep], planted


def test_planted_chimeras_are_called_and_no_true_sequence():
    sequences, table, planted = _planted()
    assert len(planted) == 25
    assert set(consensus_bimeras(sequences, table)) == planted
    assert set(consensus_bimeras(sequences, table, fold=1.5)) == planted


@needs_r("dada2")
def test_dada2_consensus_calls_the_same(tmp_path):
    """DADA2 1.x ``removeBimeraDenovo(method="consensus")``, run live, removes
    the same sequences from the planted table."""
    from gutlung_pipeline.dada2 import read_long, remove_bimeras

    sequences, table, planted = _planted()
    long = pd.DataFrame(table, index=sequences).stack().reset_index()
    long.columns = ["sequence", "sample_id", "count"]
    long["sample_id"] = "s" + long["sample_id"].astype(str)
    long = long.loc[long["count"] > 0, ["sample_id", "sequence", "count"]]
    long.to_csv(tmp_path / "in.tsv", sep="\t", index=False)
    remove_bimeras([tmp_path / "in.tsv"], tmp_path / "out.tsv", method="consensus")
    kept = set(read_long(tmp_path / "out.tsv")["sequence"])
    theirs = {k for k, s in enumerate(sequences) if s not in kept}
    assert theirs == planted
    assert set(consensus_bimeras(sequences, table, fold=1.5)) == theirs
