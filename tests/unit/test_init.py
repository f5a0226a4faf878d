"""`gutlung init`: a sheet and a minimal config from a folder of FASTQ."""

import gzip
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import FORWARD, REPO, REVERSE

from gutlung_pipeline.errors import ConfigError
from gutlung_pipeline.inputs.init import (
    PRIMER_SETS,
    detect_primers,
    find_fastq,
    first_reads,
    guess_site,
    sample_id_of,
)
from gutlung_pipeline.sequences import IUPAC

REAL = REPO / "tests/data/real"


def _touch(folder, *names):
    for name in names:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"")


def test_mates_are_paired_by_their_names(tmp_path):
    _touch(
        tmp_path,
        "A1_S1_L001_R1_001.fastq.gz",
        "A1_S1_L001_R2_001.fastq.gz",
        "B.2_R1.fq.gz",
        "B.2_R2.fq.gz",
        "run2/C-3_1.fastq",
        "run2/C-3_2.fastq",
        "sam4F.fastq.gz",
        "sam4R.fastq.gz",
        "notes.txt",
    )
    found = find_fastq(tmp_path)
    assert found["sample_id"].tolist() == ["A1", "B.2", "C-3", "sam4"]
    assert all(found["fq2"].str.len() > 0)
    row = found.set_index("sample_id").loc["C-3"]
    assert row["fq1"].endswith("run2/C-3_1.fastq")
    assert row["fq2"].endswith("run2/C-3_2.fastq")


def test_single_end_files_keep_their_sample_name(tmp_path):
    # an R1 without its R2 is single-end; a name ending in R is not a mate
    _touch(tmp_path, "L1S57_13_L001_R1_001.fastq.gz", "ctrlR.fastq.gz", "X_R1.fq")
    found = find_fastq(tmp_path)
    assert found["sample_id"].tolist() == ["L1S57_13", "X", "ctrlR"]
    assert (found["fq2"] == "").all()


def test_bad_folders_stop_with_the_fix(tmp_path):
    with pytest.raises(ConfigError, match="no such folder; give --reads"):
        find_fastq(tmp_path / "nope")
    with pytest.raises(ConfigError, match=r"no FASTQ file \(\*\.fastq\.gz"):
        find_fastq(tmp_path)
    _touch(tmp_path, "a_R1.fq.gz", "a_R2.fq.gz", "b.fq.gz")
    with pytest.raises(
        ConfigError, match="1 have one file .*b.fq.gz.*paired-end or single-end"
    ):
        find_fastq(tmp_path)
    other = tmp_path / "dup"
    _touch(other, "p 1.fq", "p_1.fq.gz")
    with pytest.raises(ConfigError, match="make the same sample ID 'p_1'"):
        find_fastq(other)


def test_sample_ids_and_sites_from_names():
    assert sample_id_of("(P01) gut") == "P01_gut"
    assert guess_site("P03_stool") == ("gut", "stool")
    assert guess_site("P03_lung") == ("lung", "bal")
    assert guess_site("S2-sputum") == ("lung", "sputum")
    assert guess_site("NC02") == ("none", "negative_control")
    assert guess_site("blank3") == ("none", "negative_control")
    assert guess_site("ZymoMock") is None  # one word, not a known one
    assert guess_site("zymo_1") == ("none", "mock")
    assert guess_site("I01_d0007") is None


def _fastq(path, seqs):
    with gzip.open(path, "wt") as fh:
        for k, s in enumerate(seqs):
            fh.write(f"@r{k}\n{s}\n+\n{'I' * len(s)}\n")


def test_primers_are_told_from_the_reads(tmp_path, small_cohort):
    # the simulator's reads start with 515F-Y / 806R-B
    _, sheet, _ = small_cohort
    call = detect_primers(*first_reads(sheet))
    assert (call.primers.forward, call.primers.reverse) == (FORWARD, REVERSE)
    assert call.in_reads and call.share > 0.95
    # real EMP reads (q2-dada2's test data) and DADA2's example start after them
    for folder in ("q2_dada2/sample_seqs_paired", "dada2_extdata"):
        call = detect_primers(*first_reads(find_fastq(REAL / folder)))
        assert call.primers.region == "V4" and not call.in_reads, folder
    # V3-V4 reads behind a 3-nt spacer, with one mismatch each
    rng = np.random.default_rng(1)
    v34 = next(p for p in PRIMER_SETS if p.region == "V3-V4")

    def reads(primer):
        out = []
        for _ in range(200):
            p = "".join(rng.choice(sorted(IUPAC[c])) for c in primer)
            p = p[:5] + ("A" if p[5] != "A" else "C") + p[6:]
            tail = "".join(rng.choice(list("ACGT"), 200))
            out.append("GTA" + p + tail)
        return out

    _fastq(tmp_path / "s_R1.fastq.gz", reads(v34.forward))
    _fastq(tmp_path / "s_R2.fastq.gz", reads(v34.reverse))
    call = detect_primers(*first_reads(find_fastq(tmp_path)))
    assert call.primers is v34 and call.in_reads and call.share == 1.0
    # random reads: nothing known
    _fastq(tmp_path / "s_R1.fastq.gz", ["".join(rng.choice(list("ACGT"), 200))] * 50)
    assert detect_primers(*first_reads(find_fastq(tmp_path))) is None


def _init(cwd, *args):
    return subprocess.run(
        [str(Path(sys.executable).parent / "gutlung"), "init", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
    )


def _validate(cwd, config):
    return subprocess.run(
        [str(Path(sys.executable).parent / "gutlung"), "validate", "--config", config],
        cwd=cwd,
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize(
    "folder, layout, n",
    [
        ("q2_dada2/sample_seqs_paired", "paired-end", 10),
        ("q2_dada2/sample_seqs_single", "single-end", 16),
    ],
)
def test_init_writes_a_sheet_and_config_that_validate(tmp_path, folder, layout, n):
    """On real reads of another project, in the folder Snakemake will run in:
    the config validates as written, names the detected primers and leaves
    the analyses that name sheet columns commented out."""
    reference = str(REPO / "resources/reference/gg_13_8_v4.sintax.fasta.gz")
    proc = _init(tmp_path, "--reads", str(REAL / folder), "--reference", reference)
    assert proc.returncode == 0, proc.stderr
    assert f"samples.tsv: {n} samples, {layout}; config.yaml: primers V4" in proc.stdout
    assert f"{n} samples (" in proc.stderr  # names say no body site
    sheet = pd.read_csv(tmp_path / "samples.tsv", sep="\t")
    assert len(sheet) == n and set(sheet["body_site"]) == {"other"}
    assert ("fq2" in sheet) == (layout == "paired-end")
    text = (tmp_path / "config.yaml").read_text()
    assert "in_reads: false" in text and "\n# stats:" in text
    if layout == "single-end":
        # 151-nt reads: every read cut to 150
        assert "trunc_length: 150" in text
    proc = _validate(tmp_path, "config.yaml")
    assert proc.returncode == 0, proc.stderr
    assert f"config.yaml: valid; samples.tsv: {n} samples, {layout}" in proc.stdout
    # a second init does not replace them
    again = _init(tmp_path, "--reads", str(REAL / folder))
    assert again.returncode != 0
    assert "samples.tsv: exists; give another --sheet/--config or --force" in (
        again.stderr
    )


def test_init_scores_lung_with_every_sample_and_the_kit_signature(tmp_path):
    """Real reads named as BAL, stool and blanks: the config scores the gut
    by prevalence on its own samples, the lung against every sample with the
    kit-signature score (no dna_conc is needed), and it validates."""
    src = sorted((REAL / "q2_dada2/sample_seqs_paired").glob("*_R1_001.fastq.gz"))
    names = ["P01_bal", "P02_bal", "P03_bal", "P01_stool", "P02_stool", "NC01"]
    reads = tmp_path / "reads"
    reads.mkdir()
    for name, r1 in zip(names, src, strict=False):
        (reads / f"{name}_R1.fastq.gz").write_bytes(r1.read_bytes())
        r2 = r1.with_name(r1.name.replace("_R1_", "_R2_"))
        (reads / f"{name}_R2.fastq.gz").write_bytes(r2.read_bytes())
    reference = str(REPO / "resources/reference/gg_13_8_v4.sintax.fasta.gz")
    proc = _init(tmp_path, "--reads", str(reads), "--reference", reference)
    assert proc.returncode == 0, proc.stderr
    text = (tmp_path / "config.yaml").read_text()
    assert "    gut: {method: prevalence, threshold: 0.1, blank_enriched: true}" in text
    assert (
        "    lung: {method: prevalence, threshold: 0.1, pool: true, signature: 0.1, "
        "signature_by: run, blank_enriched: true}"
    ) in text
    proc = _validate(tmp_path, "config.yaml")
    assert proc.returncode == 0, proc.stderr
