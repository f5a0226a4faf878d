"""No silent zero: a read step that loses (almost) every read of the run stops
before the ASV table is written, naming the step, the samples and the cause."""

import pandas as pd
import pytest

from gutlung_pipeline.denoise import check_read_losses, read_tracking


def tracking(stats):
    table = pd.DataFrame(
        {s: [c.pop("in_table", 0)] for s, c in stats.items()}, index=["asv1"]
    )
    return read_tracking(stats, table)


def test_wrong_primers_stop_at_primer_removal():
    stats = {
        "S1": {"input": 1000, "primer_trimmed": 3, "merged": 3, "filtered": 3},
        "S2": {"input": 800, "primer_trimmed": 0, "merged": 0, "filtered": 0},
        "blank": {"input": 10, "primer_trimmed": 0, "merged": 0, "filtered": 0},
    }
    with pytest.raises(ValueError) as err:
        check_read_losses(tracking(stats), min_kept=0.05)
    assert str(err.value) == (
        "step primer_trimmed: the run kept 3 of 1810 reads (0.2%, below qc.min_kept "
        "5%; samples losing most: S1 3 of 1000, S2 0 of 800, blank 0 of 10); likely "
        "the primers were not found in the reads; check primers.forward and "
        "primers.reverse (set primers.in_reads: false if the reads start after the "
        "primer); lower qc.min_kept to go on anyway"
    )
    check_read_losses(tracking(stats), min_kept=0)  # 0: no check


def test_single_end_skips_merging_and_limits_name_the_filter():
    """Single-end runs have no merge step: filtered is compared with the
    primer-trimmed reads; a filter excluding everything names its keys."""
    stats = {
        "S1": {"input": 100, "primer_trimmed": 90, "filtered": 1, "in_table": 1},
        "S2": {"input": 100, "primer_trimmed": 95, "filtered": 2, "in_table": 2},
    }
    with pytest.raises(ValueError, match=r"^step filtered: the run kept 3 of 185"):
        check_read_losses(tracking(stats), min_kept=0.05)
    ok = {
        "S1": {"input": 100, "primer_trimmed": 90, "filtered": 80, "in_table": 70},
        "blank": {"input": 5, "primer_trimmed": 0, "filtered": 0, "in_table": 0},
    }
    check_read_losses(tracking(ok), min_kept=0.05)  # a blank at 0 is fine


def test_build_table_writes_nothing_when_a_step_loses_the_run(tmp_path, capsys):
    import json

    from gutlung_pipeline.cli import main

    (tmp_path / "asvs.fa").write_text(">asv1\nACGT\n")
    (tmp_path / "otutab.tsv").write_text("#OTU ID\tS1\nasv1\t2\n")
    (tmp_path / "stats.json").write_text(
        json.dumps(
            [
                {
                    "sample": "S1",
                    "input": 500,
                    "primer_trimmed": 480,
                    "merged": 470,
                    "filtered": 2,
                }
            ]
        )
    )
    out = {k: tmp_path / f"out.{k}" for k in ("biom", "tsv", "fasta", "tracking")}
    args = ["build-table", "--asvs", str(tmp_path / "asvs.fa"), "--samples", "S1"]
    args += ["--otutab", str(tmp_path / "otutab.tsv")]
    args += ["--stats", str(tmp_path / "stats.json")]
    for key, path in out.items():
        args += [f"--{key}", str(path)]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert err.startswith(
        "gutlung build-table: error: step filtered: the run kept 2 of 470 reads"
    )
    assert "check filter.min_length, filter.max_length" in err
    assert not any(p.exists() for p in out.values())
    assert main([*args, "--min-kept", "0"]) == 0
    assert all(p.exists() for p in out.values())
