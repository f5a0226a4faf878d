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


def test_one_sample_that_loses_almost_every_read_stops_the_table():
    """The run keeps most reads, but S3 loses 99.6% at the merge: the line
    names the sample, the step, its reads, the run's share and the fix; a
    blank under qc.sample_min_reads may lose everything."""
    stats = {
        "S1": {"input": 5000, "primer_trimmed": 4900, "merged": 4700, "filtered": 4600},
        "S2": {"input": 4000, "primer_trimmed": 3900, "merged": 3800, "filtered": 3700},
        "S3": {"input": 3000, "primer_trimmed": 2950, "merged": 12, "filtered": 12},
        "blank": {"input": 300, "primer_trimmed": 290, "merged": 0, "filtered": 0},
    }
    for s, n in (("S1", 4500), ("S2", 3600), ("S3", 12)):
        stats[s]["in_table"] = n
    table = tracking(stats)
    check_read_losses(table, min_kept=0.05)  # the run alone is fine
    # the run merged 8,512 of 12,040 (4,700 + 3,800 + 12 + 0 of 4,900 + 3,900
    # + 2,950 + 290): 70.7%
    with pytest.raises(ValueError) as err:
        check_read_losses(table, min_kept=0.05, sample_min_kept=0.01)
    assert str(err.value) == (
        "sample S3: step merged kept 12 of 2950 reads (0.4%, below "
        "qc.sample_min_kept 1%), while the run kept 70.7%; likely the read pairs "
        "did not merge; check merge.min_overlap and merge.max_diffs against the "
        "read and amplicon lengths, for this sample alone (another amplicon or a "
        "mislabelled file?); remove the sample from the sheet, or set "
        "qc.sample_min_kept: 0 to keep it"
    )
    # the blank (290 reads into the merge) is under qc.sample_min_reads 500
    without = table.drop(index="S3")
    check_read_losses(without, min_kept=0.05, sample_min_kept=0.01)
    # with sample_min_reads 0 the blank is held to it too
    with pytest.raises(ValueError, match=r"^sample blank: step merged kept 0 of 290"):
        check_read_losses(
            without, min_kept=0.05, sample_min_kept=0.01, sample_min_reads=0
        )


def test_several_samples_losing_their_reads_are_all_named():
    stats = {
        f"S{i}": {"input": 1000, "primer_trimmed": 1000, "merged": m, "filtered": m}
        for i, m in enumerate([900, 900, 900, 900, 900, 900, 3, 1, 5, 2, 4], start=1)
    }
    for c in stats.values():
        c["in_table"] = c["filtered"]
    with pytest.raises(ValueError) as err:
        check_read_losses(tracking(stats), min_kept=0.05, sample_min_kept=0.01)
    # worst first; three more named, the fifth elided
    assert str(err.value).startswith(
        "sample S8: step merged kept 1 of 1000 reads (0.1%, below qc.sample_min_kept "
        "1%) (also S10 2 of 1000, S7 3 of 1000, S11 4 of 1000, ...), while the run "
        "kept 49.2%"
    )
