"""The CLI through main([...]): exit codes, outputs and error text."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import REFERENCE, REPO

from gutlung_pipeline.cli import build_parser, main
from gutlung_pipeline.io import read_table, write_biom


def test_help_lists_every_step(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    for cmd in (
        "validate",
        "simulate",
        "build-reference",
        "trim-primers",
        "sample-reads",
        "pool-uniques",
        "denoise",
        "remove-chimeras",
        "map-samples",
        "dada2-denoise",
        "dada2-table",
        "build-table",
        "assign-taxonomy",
        "build-tree",
        "root-tree",
        "rarefy",
        "alpha-diversity",
        "beta-diversity",
        "pcoa",
        "rarefaction-curves",
        "permanova",
        "differential",
        "alpha-lme",
        "paired",
        "report",
    ):
        assert cmd in text


def test_every_subcommand_has_help():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, p in sub.choices.items():
        assert p.description, name


def test_validate_ok_and_bad(tmp_path, capsys):
    assert (
        main(
            [
                "validate",
                "--config",
                str(REPO / "config/config.yaml"),
                "--no-file-check",
            ]
        )
        == 0
    )
    assert "103 samples, paired-end" in capsys.readouterr().out
    bad = tmp_path / "c.yaml"
    bad.write_text((REPO / "config/config.yaml").read_text().replace("seed:", "sead:"))
    assert main(["validate", "--config", str(bad), "--no-file-check"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"gutlung validate: error: {bad}: key sead: unknown key; did you mean 'seed'?"
    ]


def test_validate_runs_the_workflows_cross_checks(tmp_path, capsys):
    """`gutlung validate` refuses what the workflow would refuse."""
    text = (REPO / "config/config.yaml").read_text()
    bad = tmp_path / "c.yaml"
    bad.write_text(
        text.replace("group_column: asthma", "group_column: asthmaa")
        .replace("min_per_bin: 3", "min_per_bin: 40")
        .replace("samples: config/samples.tsv", f"samples: {REPO}/config/samples.tsv")
        .replace("reference: resources/", f"reference: {REPO}/resources/")
    )
    assert main(["validate", "--config", str(bad), "--no-file-check"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2
    assert err[0].endswith(
        f"key diversity.group_column: {REPO}/config/samples.tsv has no column "
        "'asthmaa'; name one of its columns"
    )
    assert "maturity: age bins with fewer than 40 reference samples" in err[1]


def test_validate_warns_when_a_claim_targets_the_oldest_reference_bin(
    tmp_path, capsys, monkeypatch
):
    """COPSAC2010's design (visits ending at 1 year) with the cohorts config:
    valid, with one warning line per claim on maturity at 1 year on stderr."""
    import yaml

    args = ["simulate-table", "--reference", str(REFERENCE), "--out-dir"]
    args += [str(tmp_path / "data"), "--n-infants", "40", "--ages", "7", "30"]
    args += ["365", "--depth", "300", "--seed", "3"]
    assert main(args) == 0
    config = yaml.safe_load(
        (REPO / "resources/demo/cohorts/config/config.yaml").read_text()
    )
    config["taxonomy"]["reference"] = str(REFERENCE)
    config["diversity"]["rarefaction_depth"] = 200  # the table has 300 a sample
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(config))
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    assert main(["validate", "--config", "c.yaml"]) == 0
    out = capsys.readouterr()
    assert "c.yaml: valid; data/samples.tsv: 120 samples" in out.out
    warned = [ln for ln in out.err.splitlines() if "warning" in ln]
    # the cohorts' config keeps organelle removal with decontam off: said once
    other = [ln for ln in warned if ": claim " not in ln]
    assert len(other) == 1 and "decontam.enabled is false" in other[0]
    warned = [ln for ln in warned if ": claim " in ln]
    assert all(
        ln.startswith("gutlung-pipeline: warning: c.yaml: claim ")
        and "target age 365 d is in the oldest reference age bin" in ln
        for ln in warned
    )
    claims = {ln.split(": claim ")[1].split(":")[0] for ln in warned}
    # every claim on maturity at 1 year: Stokholm's two, Depner's, Hoskinson's
    assert claims == {
        "stokholm2018_maturity_asthma",
        "stokholm2018_maturity_asthma_onset",
        "depner2020_microbiome_age_asthma",
        "hoskinson2023_delayed_maturation_asthma",
    }


def test_simulate_writes_sheet_truth_and_reads(tmp_path):
    out = tmp_path / "demo"
    code = main(
        [
            "simulate",
            "--reference",
            str(REFERENCE),
            "--out-dir",
            str(out),
            "--n-subjects",
            "1",
            "--reads",
            "50",
            "--seed",
            "3",
        ]
    )
    assert code == 0
    sheet = pd.read_csv(out / "samples.tsv", sep="\t")
    assert sheet["sample_id"].tolist() == ["P01_gut", "P01_lung"]
    assert (out / "reads" / "P01_lung_R2.fastq.gz").exists()
    truth = pd.read_csv(out / "truth.tsv", sep="\t")
    assert set(truth["sample_id"]) == {"P01_gut", "P01_lung"}


def test_shipped_sample_sheet_is_what_simulate_writes(tmp_path):
    """config/samples.tsv is the demo sheet that `make demo` regenerates."""
    args = "--n-subjects 12 --n-controls 6 --n-mocks 1 --n-infants 12 --reads 2000 --seed 42"
    assert args in " ".join((REPO / "Makefile").read_text().split())
    out = tmp_path / "demo"
    assert (
        main(
            [
                "simulate",
                "--reference",
                str(REFERENCE),
                "--out-dir",
                str(out),
                *args.split(),
            ]
        )
        == 0
    )
    written = (out / "samples.tsv").read_text().replace(str(out), "resources/demo")
    assert written == (REPO / "config" / "samples.tsv").read_text()


def test_alpha_diversity_writes_what_rarefy_and_the_curves_write(tmp_path, capsys):
    """The workflow's one alpha job gives, byte for byte, the files that
    rarefy, alpha-diversity and rarefaction-curves give one by one."""
    rng = np.random.default_rng(5)
    samples = [f"s{i}" for i in range(6)]
    table = pd.DataFrame(
        rng.poisson(rng.uniform(0, 30, size=(5, 1)), size=(5, 6)),
        index=list("ABCDE"),
        columns=samples,
    )
    write_biom(table, tmp_path / "t.biom")
    (tmp_path / "tree.nwk").write_text("(((A:1,B:2):1,C:3):2,(D:1,E:4):1);\n")
    sheet = tmp_path / "sheet.tsv"
    pd.DataFrame(
        {"sample_id": samples, "body_site": ["gut", "lung"] * 3, "asthma": [0, 1] * 3}
    ).to_csv(sheet, sep="\t", index=False)
    settings = json.dumps(
        {"rarefaction_depth": 20, "rarefactions": 3, "curve_steps": 4}
    )
    common = ["--table", str(tmp_path / "t.biom"), "--settings", settings]
    common += ["--seed", "9"]
    tree = ["--tree", str(tmp_path / "tree.nwk")]
    one, alone = tmp_path / "one", tmp_path / "alone"
    one.mkdir(), alone.mkdir()
    files = ("a.tsv", "sd.tsv", "r.biom", "sum.tsv", "c.tsv", "cg.tsv")
    a, sd, r, summary, c, cg = (str(one / f) for f in files)
    assert (
        main(
            ["alpha-diversity", *common, *tree, "--output", a, "--sd-output", sd]
            + ["--rarefied-output", r, "--rarefied-summary", summary]
            + ["--curves-output", c, "--curves-groups-output", cg]
            + ["--samples", str(sheet)]
        )
        == 0
    )
    a, sd, r, summary, c, cg = (str(alone / f) for f in files)
    assert main(["rarefy", *common, "--output", r, "--summary", summary]) == 0
    assert (
        main(["alpha-diversity", *common, *tree, "--output", a, "--sd-output", sd]) == 0
    )
    assert (
        main(
            ["rarefaction-curves", *common, *tree, "--samples", str(sheet)]
            + ["--output", c, "--groups-output", cg]
        )
        == 0
    )
    for name in files:
        assert (one / name).read_bytes() == (alone / name).read_bytes(), name
    curves = pd.read_csv(one / "c.tsv", sep="\t")
    assert "faith_pd" in set(curves["metric"]) and curves["depth"].nunique() == 4
    # half of a pair: one line naming the options that go together
    assert (
        main(
            ["alpha-diversity", *common, "--output", str(tmp_path / "x.tsv")]
            + ["--rarefied-output", str(tmp_path / "x.biom")]
        )
        != 0
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "gutlung alpha-diversity: error: give --rarefied-output and "
        "--rarefied-summary together, or none of them"
    ]
    assert not (tmp_path / "x.tsv").exists()


def test_rarefy_alpha_beta_pcoa_through_main(tmp_path):
    table = pd.DataFrame(
        {"s1": [10, 0, 5, 5], "s2": [0, 4, 4, 0], "s3": [3, 3, 3, 1]},
        index=["A", "B", "C", "D"],
    )
    write_biom(table, tmp_path / "t.biom")
    (tmp_path / "tree.nwk").write_text("((C:3,D:4):1.5,(A:1,B:2):3.5);\n")
    assert (
        main(
            [
                "rarefy",
                "--table",
                str(tmp_path / "t.biom"),
                "--settings",
                '{"rarefaction_depth": 8}',
                "--seed",
                "1",
                "--output",
                str(tmp_path / "r.biom"),
                "--summary",
                str(tmp_path / "sum.tsv"),
            ]
        )
        == 0
    )
    rare = read_table(tmp_path / "r.biom")
    assert (rare.sum() == 8).all() and list(rare.columns) == ["s1", "s2", "s3"]
    assert (
        main(
            [
                "alpha-diversity",
                "--table",
                str(tmp_path / "r.biom"),
                "--tree",
                str(tmp_path / "tree.nwk"),
                "--settings",
                '{"rarefaction_depth": 8, "rarefy_alpha": false}',
                "--output",
                str(tmp_path / "a.tsv"),
            ]
        )
        == 0
    )
    alpha = pd.read_csv(tmp_path / "a.tsv", sep="\t", index_col=0)
    assert list(alpha.columns) == [
        "observed_features",
        "shannon",
        "simpson",
        "pielou_e",
        "chao1",
        "faith_pd",
    ]
    assert (
        main(
            [
                "beta-diversity",
                "--table",
                str(tmp_path / "r.biom"),
                "--tree",
                str(tmp_path / "tree.nwk"),
                "--metric",
                "weighted_unifrac",
                "--settings",
                '{"rarefaction_depth": 8}',
                "--output",
                str(tmp_path / "b.tsv"),
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "pcoa",
                "--input",
                str(tmp_path / "b.tsv"),
                "--output",
                str(tmp_path / "p.txt"),
            ]
        )
        == 0
    )
    assert (tmp_path / "p.txt").read_text().startswith("Eigvals\t")


def test_beta_metrics_in_one_job_are_each_metric_alone(tmp_path, capsys):
    """Several metrics in one call, one or two at a time in forked workers,
    write what a call a metric writes, byte for byte (each uses the seed);
    a missing output is one clear line and writes nothing."""
    rng = np.random.default_rng(3)
    table = pd.DataFrame(
        rng.poisson(6, size=(4, 7)),
        index=list("ABCD"),
        columns=[f"s{k}" for k in range(7)],
    )
    write_biom(table, tmp_path / "t.biom")
    (tmp_path / "tree.nwk").write_text("((C:3,D:4):1.5,(A:1,B:2):3.5);\n")
    metrics = ["braycurtis", "weighted_unifrac", "jaccard", "aitchison"]
    common = ["--table", str(tmp_path / "t.biom"), "--tree", str(tmp_path / "tree.nwk")]
    common += ["--settings", '{"rarefaction_depth": 20, "rarefactions": 3}']
    common += ["--seed", "7"]

    def files(folder, kind):
        return [str(tmp_path / folder / f"{m}.{kind}") for m in metrics]

    for metric in metrics:
        one = ["--metric", metric, "--output", str(tmp_path / "one" / f"{metric}.tsv")]
        one += ["--pcoa-output", str(tmp_path / "one" / f"{metric}.txt")]
        assert main(["beta-diversity", *common, *one]) == 0
    for threads in ("1", "2"):
        folder = f"all{threads}"
        assert (
            main(
                [
                    "beta-diversity",
                    *common,
                    "--metric",
                    *metrics,
                    "--output",
                    *files(folder, "tsv"),
                    "--pcoa-output",
                    *files(folder, "txt"),
                    "--threads",
                    threads,
                ]
            )
            == 0
        )
        for kind in ("tsv", "txt"):
            pairs = zip(files(folder, kind), files("one", kind), strict=True)
            for mine, alone in pairs:
                assert Path(mine).read_bytes() == Path(alone).read_bytes(), mine
    capsys.readouterr()
    code = main(
        ["beta-diversity", *common, "--metric", *metrics]
        + ["--output", *files("short", "tsv")[:3]]
    )
    assert code == 1
    assert capsys.readouterr().err.strip() == (
        "gutlung beta-diversity: error: 4 --metric, 3 "
        "--output and 4 --pcoa-output; give one output (and one PCoA output) a "
        "metric"
    )
    assert not (tmp_path / "short").exists()


def test_rarefy_too_deep_is_one_clear_line(tmp_path, capsys):
    table = pd.DataFrame({"s1": [1, 2]}, index=["A", "B"])
    write_biom(table, tmp_path / "t.biom")
    code = main(
        [
            "rarefy",
            "--table",
            str(tmp_path / "t.biom"),
            "--settings",
            '{"rarefaction_depth": 50}',
            "--output",
            str(tmp_path / "r.biom"),
            "--summary",
            str(tmp_path / "s.tsv"),
        ]
    )
    assert code == 1
    err = capsys.readouterr().err.strip()
    assert err == (
        f"gutlung rarefy: error: {tmp_path}/t.biom: no sample reaches the rarefaction "
        "depth 50 (largest has 3 reads); lower diversity.rarefaction_depth in the config"
    )
    assert not (tmp_path / "r.biom").exists() and not (tmp_path / "s.tsv").exists()


def test_root_tree_through_main(tmp_path, capsys):
    (tmp_path / "u.nwk").write_text("(A:1,B:2,(C:3,D:4):5);\n")
    assert (
        main(
            [
                "root-tree",
                "--input",
                str(tmp_path / "u.nwk"),
                "--output",
                str(tmp_path / "r.nwk"),
            ]
        )
        == 0
    )
    assert (
        tmp_path / "r.nwk"
    ).read_text() == "((C:3.0,D:4.0):1.5,(A:1.0,B:2.0):3.5);\n"
    (tmp_path / "cut.nwk").write_text("(A:1,B:2,(C:3")
    args = ["root-tree", "--input", str(tmp_path / "cut.nwk"), "--output"]
    assert main([*args, str(tmp_path / "r2.nwk")]) == 1
    assert not (tmp_path / "r2.nwk").exists()
    err = capsys.readouterr().err.strip()
    assert err == (
        f"gutlung root-tree: error: {tmp_path / 'cut.nwk'}: not a Newick tree "
        "(unbalanced parentheses, or cut short); give FastTree's Newick output"
    )


def test_phylogenetic_metric_without_tree_is_one_clear_line(tmp_path, capsys):
    table = pd.DataFrame({"s1": [3, 2], "s2": [1, 4]}, index=["A", "B"])
    write_biom(table, tmp_path / "t.biom")
    out = tmp_path / "b.tsv"
    code = main(
        [
            "beta-diversity",
            "--table",
            str(tmp_path / "t.biom"),
            "--metric",
            "unweighted_unifrac",
            "--settings",
            '{"rarefaction_depth": 4}',
            "--output",
            str(out),
        ]
    )
    assert code == 1
    assert capsys.readouterr().err.strip() == (
        "gutlung beta-diversity: error: unweighted_unifrac needs the rooted tree; "
        "give --tree"
    )
    code = main(
        [
            "alpha-diversity",
            "--table",
            str(tmp_path / "t.biom"),
            "--settings",
            '{"rarefaction_depth": 4}',
            "--output",
            str(out),
        ]
    )
    assert code == 1
    assert "faith_pd needs the rooted tree" in capsys.readouterr().err
    assert not out.exists()


def test_stats_commands_through_main(tmp_path):
    import json

    peer = REPO / "tests" / "data" / "vegan_peer"
    counts = pd.read_csv(peer / "counts.tsv", sep="\t", index_col=0).T
    write_biom(counts, tmp_path / "t.biom")
    md = peer / "metadata.tsv"
    assert (
        main(
            [
                "beta-diversity",
                "--table",
                str(tmp_path / "t.biom"),
                "--metric",
                "aitchison",
                "--settings",
                '{"rarefaction_depth": 1}',
                "--output",
                str(tmp_path / "d.tsv"),
            ]
        )
        == 0
    )
    analyses = json.dumps(
        {
            "permutations": 99,
            "permanova": [{"name": "p", "formula": "group + visit"}],
        }
    )
    assert (
        main(
            [
                "permanova",
                "--distance",
                str(tmp_path / "d.tsv"),
                "--metadata",
                str(md),
                "--settings",
                analyses,
                "--metric",
                "aitchison",
                "--output",
                str(tmp_path / "p.tsv"),
            ]
        )
        == 0
    )
    perm = pd.read_csv(tmp_path / "p.tsv", sep="\t")
    assert list(perm["term"]) == ["group", "visit"] and (perm["n"] == 30).all()
    assert (
        main(
            [
                "alpha-diversity",
                "--table",
                str(tmp_path / "t.biom"),
                "--settings",
                json.dumps(
                    {
                        "rarefaction_depth": 700,
                        "rarefactions": 3,
                        "alpha_metrics": ["shannon", "chao1"],
                    }
                ),
                "--output",
                str(tmp_path / "a.tsv"),
                "--sd-output",
                str(tmp_path / "sd.tsv"),
            ]
        )
        == 0
    )
    lme = json.dumps(
        {
            "longitudinal": [
                {
                    "name": "m",
                    "formula": "visit",
                    "subject": "subject",
                    "metrics": ["shannon"],
                }
            ]
        }
    )
    assert (
        main(
            [
                "alpha-lme",
                "--alpha",
                str(tmp_path / "a.tsv"),
                "--metadata",
                str(md),
                "--settings",
                lme,
                "--output",
                str(tmp_path / "l.tsv"),
            ]
        )
        == 0
    )
    assert set(pd.read_csv(tmp_path / "l.tsv", sep="\t")["term"]) == {
        "Intercept",
        "visit[T.v2]",
        "visit[T.v3]",
    }
    assert (
        main(
            [
                "rarefaction-curves",
                "--table",
                str(tmp_path / "t.biom"),
                "--samples",
                str(md),
                "--site-column",
                "group",
                "--settings",
                json.dumps(
                    {
                        "rarefaction_depth": 1,
                        "curve_steps": 3,
                        "rarefactions": 2,
                    }
                ),
                "--output",
                str(tmp_path / "c.tsv"),
                "--groups-output",
                str(tmp_path / "cg.tsv"),
            ]
        )
        == 0
    )
    groups = pd.read_csv(tmp_path / "cg.tsv", sep="\t")
    assert set(groups["group"]) == {"case", "control"}
    bad = json.dumps({"permanova": [{"name": "p", "formula": "nope"}]})
    assert (
        main(
            [
                "permanova",
                "--distance",
                str(tmp_path / "d.tsv"),
                "--metadata",
                str(md),
                "--settings",
                bad,
                "--metric",
                "aitchison",
                "--output",
                str(tmp_path / "bad.tsv"),
            ]
        )
        == 1
    )
    assert not (tmp_path / "bad.tsv").exists()


def test_decontam_through_main(tmp_path, capsys):
    """Planted: two features sit in the blanks and fall with DNA concentration."""
    import numpy as np

    rng = np.random.default_rng(0)
    n = 12
    conc = np.r_[rng.uniform(1, 20, size=n - 3), [0.05, 0.04, 0.06]]
    true = rng.integers(200, 400, size=(n, 6)) * (conc[:, None] > 0.5)
    contam = np.round(np.outer(200 / conc, [1, 0.5])).astype(int)
    counts = pd.DataFrame(
        np.hstack([true, contam]).T,
        index=[f"t{i}" for i in range(6)] + ["c0", "c1"],
        columns=[f"s{i}" for i in range(n)],
    )
    write_biom(counts, tmp_path / "t.biom")
    md = pd.DataFrame(
        {
            "sample_id": counts.columns,
            "sample_type": ["stool"] * (n - 3) + ["negative_control"] * 3,
            "dna_conc": conc,
        }
    )
    md.to_csv(tmp_path / "m.tsv", sep="\t", index=False)
    args = [
        "decontam",
        "--table",
        str(tmp_path / "t.biom"),
        "--metadata",
        str(tmp_path / "m.tsv"),
        "--neg-column",
        "sample_type",
        "--conc-column",
        "dna_conc",
        "--output",
        str(tmp_path / "c.tsv"),
        "--clean-table",
        str(tmp_path / "clean.biom"),
    ]
    assert main(args) == 0
    calls = pd.read_csv(tmp_path / "c.tsv", sep="\t", index_col=0)
    assert set(calls.index[calls["contaminant"]]) == {"c0", "c1"}
    clean = read_table(tmp_path / "clean.biom")
    assert set(clean.index) == {f"t{i}" for i in range(6)}
    assert list(clean.columns) == [f"s{i}" for i in range(n - 3)]  # blanks leave
    md.loc[2, "dna_conc"] = 0
    md.to_csv(tmp_path / "m.tsv", sep="\t", index=False)
    assert main(args) == 1
    assert (
        "non-positive DNA concentration for 1 samples (s2)" in capsys.readouterr().err
    )
    md["sample_type"] = "stool"
    md.to_csv(tmp_path / "m.tsv", sep="\t", index=False)
    assert main([*args, "--method", "prevalence"]) == 1
    assert "needs negative controls" in capsys.readouterr().err


#: Options whose value is a config key: (subcommand, option) -> the key. Their
#: defaults must be the schema's (written out here, not read from the
#: parser's own table, so that a default typed into a parser is caught).
CONFIG_OPTIONS = {
    ("trim-primers", "--error-rate"): "primers.error_rate",
    ("sample-reads", "--candidate-min-size"): "denoise.sample_min_size",
    ("sample-reads", "--alpha"): "denoise.unoise_alpha",
    ("sample-reads", "--unoise-search"): "denoise.unoise_search",
    ("map-samples", "--overhang"): "denoise.map_overhang",
    ("denoise", "--unoise-search"): "denoise.unoise_search",
    ("sample-reads", "--error-rate"): "primers.error_rate",
    ("sample-reads", "--min-overlap"): "merge.min_overlap",
    ("sample-reads", "--max-diffs"): "merge.max_diffs",
    ("sample-reads", "--trunc-lengths"): "merge.trunc_lengths",
    ("sample-reads", "--target-overlap"): "merge.target_overlap",
    ("build-table", "--min-merged"): "qc.min_merged",
    ("import-table", "--min-found"): "feature_table.min_found",
    ("denoise", "--neighbour-min-size"): "denoise.neighbour_min_size",
    ("dada2-table", "--min-merged"): "qc.min_merged",
    ("sample-reads", "--max-ee"): "filter.max_ee",
    ("sample-reads", "--max-ns"): "filter.max_ns",
    ("pool-uniques", "--min-size"): "denoise.min_size",
    ("pool-uniques", "--min-per-million"): "denoise.min_per_million",
    ("denoise", "--min-size"): "denoise.min_size",
    ("denoise", "--alpha"): "denoise.unoise_alpha",
    ("remove-chimeras", "--abskew"): "denoise.chimera_abskew",
    ("remove-chimeras", "--bimera-fold"): "denoise.bimera_fold",
    ("build-table", "--consensus-fold"): "denoise.consensus_fold",
    ("build-table", "--consensus-min-fraction"): "denoise.consensus_min_fraction",
    ("map-samples", "--identity"): "denoise.map_identity",
    ("dada2-denoise", "--trunc-len"): "denoise.dada2.trunc_len",
    ("dada2-denoise", "--max-ee"): "denoise.dada2.max_ee",
    ("dada2-denoise", "--trunc-q"): "denoise.dada2.trunc_q",
    ("dada2-denoise", "--pool"): "denoise.dada2.pool",
    ("dada2-denoise", "--min-overlap"): "denoise.dada2.min_overlap",
    ("dada2-denoise", "--max-mismatch"): "denoise.dada2.max_mismatch",
    ("dada2-table", "--chimera-method"): "denoise.dada2.chimera_method",
    ("assign-taxonomy", "--confidence"): "taxonomy.confidence",
    ("fetch-runs", "--base-url"): "acquire.portal_url",
    ("fetch-runs", "--scheme"): "acquire.scheme",
    ("fetch-runs", "--retries"): "acquire.retries",
    ("fetch-runs", "--backoff"): "acquire.backoff",
    ("fetch-run", "--scheme"): "acquire.scheme",
    ("fetch-run", "--retries"): "acquire.retries",
    ("fetch-run", "--backoff"): "acquire.backoff",
    ("fetch-run", "--timeout"): "acquire.timeout",
    ("acquisition", "--metadata"): "acquire.metadata",
    ("combine-studies", "--rank"): "combine.rank",
    ("claims", "--permutations"): "stats.permutations",
    ("build-table", "--min-kept"): "qc.min_kept",
    ("dada2-table", "--min-kept"): "qc.min_kept",
    ("build-table", "--sample-min-kept"): "qc.sample_min_kept",
    ("dada2-table", "--sample-min-kept"): "qc.sample_min_kept",
    ("build-table", "--sample-min-reads"): "qc.sample_min_reads",
    ("dada2-table", "--sample-min-reads"): "qc.sample_min_reads",
}
#: Options with a default that are not config keys: the demo-data commands'
#: designs, R decontam's own defaults (``decontam`` mirrors isContaminant),
#: planning inputs of ``power``, QIIME 2's split, a sheet column, threads.
STANDALONE = {
    "simulate": {
        "--n-mocks",
        "--n-infants",
        "--n-controls",
        "--n-subjects",
        "--contaminant-load",
        "--n-contaminants",
        "--contaminant-sd",
        "--conc-noise",
        "--lung-biomass",
        "--cross-talk",
        "--reagent-lots",
        "--reads",
        "--read-length",
        "--chimera-rate",
        "--chimera-model",
        "--layout",
        "--forward",
        "--reverse",
        "--copd-butyrate-fold",
    },
    "simulate-table": {
        "--n-adults",
        "--studies",
        "--n-infants",
        "--ages",
        "--depth",
        "--maternal-odds-ratio",
        "--asthma-butyrate-fold",
    },
    "build-reference": {"--per-genus", "--forward", "--reverse"},
    # the files init writes, and the reference its config names
    "init": {"--sheet", "--config", "--reference"},
    "decontam": {"--method", "--threshold", "--neg-value", "--batch-combine"},
    "power": {
        "--event-rate",
        "--modifier-share",
        "--group-share",
        "--sd",
        "--exposure-sd",
        "--per-subject",
        "--icc",
        "--reps",
    },
    "maturity": {"--test-size"},
    "rarefaction-curves": {"--site-column"},
    "alpha-diversity": {"--site-column"},
}


def test_cli_defaults_are_the_schemas():
    """Every option with a default either is a config key whose default is
    the schema's, or is listed as standalone; ``--seed`` defaults to the
    config's seed and ``--settings`` to the section's schema defaults."""
    from gutlung_pipeline.schema import fill_defaults, load_schema, schema_at

    schema = load_schema("config")
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    seen = set()
    for name, parser in sub.choices.items():
        for action in parser._actions:
            if not action.option_strings or action.required:
                continue
            flag = action.option_strings[0]
            if action.default is None or action.default is False:
                continue
            if action.dest == "help":
                continue
            if flag == "--seed":
                assert action.default == schema["properties"]["seed"]["default"]
            elif flag == "--threads":
                assert action.default == 1, name
            elif flag == "--settings":
                # the section's schema defaults, filled as the config check
                # fills them (diversity has one required key)
                section = action.type.keywords["section"]
                given = {"rarefaction_depth": 1} if section == "diversity" else {}
                filled = fill_defaults({section: given}, schema)[section]
                assert action.type(json.dumps(given)) == filled, name
            elif (name, flag) in CONFIG_OPTIONS:
                key = CONFIG_OPTIONS[name, flag]
                seen.add((name, flag))
                assert action.default == schema_at(schema, key.split("."))["default"], (
                    f"gutlung {name} {flag}: default {action.default!r}, schema {key}"
                )
            else:
                assert flag in STANDALONE.get(name, set()), (
                    f"gutlung {name} {flag} has a default ({action.default!r}) "
                    "that is neither a config key's nor listed as standalone"
                )
    assert seen == set(CONFIG_OPTIONS)


def test_settings_are_checked_against_the_schema(capsys):
    """A wrong key or value in --settings stops the command before any work,
    naming the key (with the closest allowed name)."""
    args = ["rarefy", "--table", "t", "--output", "o", "--summary", "s"]
    for settings, message in (
        ("{}", "diversity.rarefaction_depth: required key is missing; add it"),
        ('{"rarefaction_depth": 10, "rarefactons": 2}', "did you mean 'rarefactions'"),
        (
            '{"rarefaction_depth": "x"}',
            "diversity.rarefaction_depth: 'x' is not a whole number",
        ),
        ("[1]", "give the config's diversity section as a JSON object"),
        ("{bad", "not JSON"),
    ):
        with pytest.raises(SystemExit) as stop:
            main([*args, "--settings", settings])
        assert stop.value.code == 2
        assert message in capsys.readouterr().err


def test_report_manifest_from_text_or_file_and_bad_ones(tmp_path, capsys):
    """--manifest takes JSON text or a JSON file; a file that is not JSON or
    a manifest missing a required file stops with one line."""
    args = ["report", "--output", str(tmp_path / "r.html"), "--figures-dir", "f"]
    (tmp_path / "m.json").write_text("{not json")
    assert main([*args, "--manifest", str(tmp_path / "m.json")]) == 1
    assert f"{tmp_path}/m.json: not JSON" in capsys.readouterr().err
    assert main([*args, "--manifest", '{"files": {"tracking": "t.tsv"}}']) == 1
    assert "report manifest: files.table is missing; add it" in capsys.readouterr().err
    assert not (tmp_path / "r.html").exists()


def test_import_table_logs_the_table_samples_it_left_out(tmp_path, capsys):
    """The log counts the table's samples the sheet does not list (it used to
    count them after the subset, always 0)."""
    (tmp_path / "t.tsv").write_text("#OTU ID\ta\tb\tc\nACGT\t1\t2\t3\nTTTT\t0\t1\t5\n")
    (tmp_path / "s.tsv").write_text("sample_id\na\nb\n")
    args = ["import-table", "--table", str(tmp_path / "t.tsv")]
    args += ["--samples", str(tmp_path / "s.tsv")]
    for key in ("biom", "tsv", "fasta", "tracking"):
        args += [f"--{key}", str(tmp_path / f"out.{key}")]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "2 features x 2 samples imported; 1 samples of the table not in the" in err
    assert read_table(tmp_path / "out.biom").columns.tolist() == ["a", "b"]


def test_validate_outside_the_repository_knows_the_shipped_references(
    tmp_path, monkeypatch, capsys
):
    """A manifest entry (silva-138.2) is found from any folder: the shipped
    manifest is the repository's when the relative path is not here."""
    import yaml

    config = yaml.safe_load((REPO / "config/config.yaml").read_text())
    config["taxonomy"]["reference"] = "silva-138.2"
    config["samples"] = str(REPO / "config/samples.tsv")
    config["decontam"]["mock"]["expected"] = str(
        REPO / "resources/demo/mock_expected.tsv"
    )
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(config))
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "--config", "c.yaml", "--no-file-check"]) == 0, (
        capsys.readouterr().err
    )
    config["taxonomy"]["reference"] = "silva-999"
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(config))
    assert main(["validate", "--config", "c.yaml", "--no-file-check"]) == 2
    assert "silva-999 is neither a file nor an entry of" in capsys.readouterr().err


def test_version(capsys):
    from gutlung_pipeline import __version__

    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"gutlung-pipeline {__version__}"


def test_every_option_has_help():
    """`gutlung COMMAND --help` explains every option."""
    import argparse

    from gutlung_pipeline.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    bare = [
        f"{name} {action.option_strings[0] if action.option_strings else action.dest}"
        for name, command in sub.choices.items()
        for action in command._actions
        if not isinstance(action, argparse._HelpAction) and not action.help
    ]
    assert bare == []
