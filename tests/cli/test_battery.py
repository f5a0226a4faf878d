"""The bad-input battery: one careless or hostile change at a time to a small
valid project, each checked by `gutlung validate` (what the workflow runs
before any job) against the exact line it must print: the file, the row or
sample or key, and the fix. No traceback ever reaches the user.

Paths in the lines are written relative to the project folder (``<dir>``),
the repository as ``<repo>``, the table stage's features as ``<feature k>``.
Two projects: reads (3 subjects with stool and BAL, 2 blanks) and the table
stage (the same sheet, a TSV table and its taxonomy, in ``tables/``)."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import FORWARD, REFERENCE, REPO, REVERSE

from gutlung_pipeline.cli import main
from gutlung_pipeline.simulate import load_reference, simulate_cohort


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """A valid project: 3 subjects (gut and lung), 2 blanks, paired reads."""
    import os

    base = tmp_path_factory.mktemp("battery") / "template"
    base.mkdir()
    here = os.getcwd()
    os.chdir(base)  # the sheet names the reads relative to the project
    try:
        sheet, _ = simulate_cohort(
            load_reference(REFERENCE),
            ".",
            forward=FORWARD,
            reverse=REVERSE,
            n_subjects=3,
            n_controls=2,
            reads_per_sample=300,
            random_state=3,
        )
    finally:
        os.chdir(here)
    sheet.to_csv(base / "samples.tsv", sep="\t", index=False)
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    config["samples"] = "samples.tsv"
    config["taxonomy"]["reference"] = str(REFERENCE)
    config["maturity"]["enabled"] = False
    config["decontam"]["mock"]["expected"] = None
    config["diversity"]["rarefaction_depth"] = 200
    config["stats"].update(
        permanova=[], differential=[], longitudinal=[], paired={"enabled": False}
    )
    (base / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    # the table stage beside it: the same sheet without reads, a TSV table
    # whose IDs are sequences, and its taxonomy
    tables = base / "tables"
    tables.mkdir()
    reference = load_reference(REFERENCE)
    seqs = list(reference["sequence"].iloc[:6])
    ids = list(sheet["sample_id"])
    rows = ["#OTU ID\t" + "\t".join(ids)]
    for k, seq in enumerate(seqs):
        rows.append(
            seq + "\t" + "\t".join(str(300 + 7 * k + j) for j in range(len(ids)))
        )
    (tables / "table.tsv").write_text("\n".join(rows) + "\n")
    taxa = ["Feature ID\tTaxon"] + [
        f"{seq}\td__Bacteria; g__{g}"
        for seq, g in zip(seqs, reference["genus"].iloc[:6], strict=True)
    ]
    (tables / "taxonomy.tsv").write_text("\n".join(taxa) + "\n")
    sheet.drop(columns=["fq1", "fq2"]).to_csv(
        tables / "samples.tsv", sep="\t", index=False
    )
    table_config = dict(config, samples="samples.tsv")
    table_config.pop("primers")
    table_config["feature_table"] = {"table": "table.tsv", "taxonomy": "taxonomy.tsv"}
    (tables / "config.yaml").write_text(yaml.safe_dump(table_config, sort_keys=False))
    return base


def validate(project: Path, capsys) -> tuple[int, list[str]]:
    """Run ``gutlung validate`` from the project folder; (code, stderr lines)."""
    import os

    here = os.getcwd()
    os.chdir(project)
    try:
        code = main(["validate", "--config", "config.yaml"])
    finally:
        os.chdir(here)
    err = capsys.readouterr().err
    assert "Traceback" not in err
    for k, feature in enumerate(_features(project), start=1):
        err = err.replace(feature, f"<feature {k}>")
    err = err.replace(str(REPO), "<repo>")
    lines = [ln.replace(str(project), "<dir>") for ln in err.splitlines()]
    return code, [ln for ln in lines if ln.strip()]


def _features(project: Path) -> list[str]:
    """The table stage's feature IDs (sequences), said as <feature k>."""
    table = project / "table.tsv"
    if not table.is_file():
        return []
    return [ln.split("\t")[0] for ln in table.read_text().splitlines()[1:]]


def edit_config(project: Path, change) -> None:
    path = project / "config.yaml"
    config = yaml.safe_load(path.read_text())
    change(config)
    path.write_text(yaml.safe_dump(config, sort_keys=False))


def edit_sheet(project: Path, change) -> None:
    path = project / "samples.tsv"
    lines = path.read_text().splitlines()
    path.write_text("\n".join(change(lines)) + "\n")


def set_cell(lines, row: int, column: str, value: str):
    header = lines[0].split("\t")
    cells = lines[row].split("\t")
    cells[header.index(column)] = value
    lines[row] = "\t".join(cells)
    return lines


def cfg(**changes):
    """A config change: dotted keys to values (None deletes the key)."""

    def change(config):
        for key, value in changes.items():
            *parents, last = key.split(".")
            node = config
            for part in parents:
                node = node.setdefault(part, {})
            if value is None:
                node.pop(last)
            else:
                node[last] = value

    return lambda project: edit_config(project, change)


def sheet(change):
    return lambda project: edit_sheet(project, change)


def write(name: str, data: bytes):
    return lambda project: (project / name).write_bytes(data)


def gz(text: str) -> bytes:
    return gzip.compress(text.encode())


def drop_col(name):
    def f(lines):
        h = lines[0].split("\t")
        i = h.index(name)
        return [
            "\t".join(c for j, c in enumerate(row.split("\t")) if j != i)
            for row in lines
        ]

    return sheet(f)


def dup_col(name):
    def f(lines):
        h = lines[0].split("\t")
        i = h.index(name)
        return ["\t".join(row.split("\t") + [row.split("\t")[i]]) for row in lines]

    return sheet(f)


def latin1(project):
    p = project / "samples.tsv"
    t = p.read_text().replace("cesarean", "césarienne", 1)
    p.write_bytes(t.encode("latin-1"))


def truncate_gzip(name, keep):
    def f(project):
        p = project / "reads" / name
        data = p.read_bytes()
        p.write_bytes(data[:keep])

    return f


def damage_gzip(name, at, size=8):
    """Overwrite ``size`` bytes of a gzip file's deflate stream at ``at``."""

    def f(project):
        p = project / "reads" / name
        data = bytearray(p.read_bytes())
        data[at : at + size] = b"\xff" * size
        p.write_bytes(bytes(data))

    return f


def replace_fastq(name, text):
    return lambda project: (project / "reads" / name).write_bytes(gz(text))


def tab(f):
    """A change to the table-stage project."""
    f.folder = "tables"
    return f


def table_lines(f):
    def change(project):
        p = project / "table.tsv"
        lines = p.read_text().splitlines()
        p.write_text("\n".join(f(lines)) + "\n")

    return tab(change)


def cell_tab(row, col, value):
    def f(lines):
        cells = lines[row].split("\t")
        cells[col] = value
        lines[row] = "\t".join(cells)
        return lines

    return table_lines(f)


#: (case, change to the project, the exact lines `validate` must print)
CASES = [
    (
        "misspelled key",
        cfg(**{"filter.max_eee": 1.0, "filter.max_ee": None}),
        [
            "gutlung validate: error: config.yaml: key filter.max_eee: unknown key; did you mean 'max_ee'?",
        ],
    ),
    (
        "top-level typo",
        cfg(threds=4),
        [
            "gutlung validate: error: config.yaml: key threds: unknown key; did you mean 'threads'?",
        ],
    ),
    (
        "threads not a number",
        cfg(threads="two"),
        [
            "gutlung validate: error: config.yaml: key threads: 'two' is not a whole number; give a whole number",
        ],
    ),
    (
        "bad IUPAC primer",
        cfg(**{"primers.forward": "GTGZZCAGC"}),
        [
            "gutlung validate: error: config.yaml: key primers.forward: 'GTGZZCAGC' is not allowed; use IUPAC nucleotide codes only (A C G T U R Y S W K M B D H V N)",
        ],
    ),
    (
        "no primers",
        cfg(primers=None),
        [
            "gutlung validate: error: config.yaml: key primers: missing; give primers.forward and primers.reverse (or list several study configs under studies, or enter at the table stage with feature_table.table)",
        ],
    ),
    (
        "confidence above 1",
        cfg(**{"taxonomy.confidence": 1.5}),
        [
            "gutlung validate: error: config.yaml: key taxonomy.confidence: 1.5 is greater than the maximum of 1; fix the value",
        ],
    ),
    (
        "no rarefaction depth",
        cfg(**{"diversity.rarefaction_depth": None}),
        [
            "gutlung validate: error: config.yaml: key diversity.rarefaction_depth: required key is missing; add it",
        ],
    ),
    (
        "negative depth",
        cfg(**{"diversity.rarefaction_depth": -5}),
        [
            "gutlung validate: error: config.yaml: key diversity.rarefaction_depth: -5 is less than the minimum of 1; fix the value",
        ],
    ),
    (
        "min_length above max_length",
        cfg(**{"filter.min_length": 400}),
        [
            "gutlung validate: error: config.yaml: key filter.min_length: 400 is above filter.max_length 300, so no merged read can pass; lower min_length or raise max_length",
        ],
    ),
    (
        "unknown engine",
        cfg(**{"denoise.engine": "deblur"}),
        [
            "gutlung validate: error: config.yaml: key denoise.engine: 'deblur' is not allowed; use one of: unoise, dada2",
        ],
    ),
    (
        "unknown beta metric",
        cfg(**{"diversity.beta_metrics": ["braycurtis", "bray"]}),
        [
            "gutlung validate: error: config.yaml: key diversity.beta_metrics.1: 'bray' is not allowed; use one of: braycurtis, jaccard, unweighted_unifrac, weighted_unifrac, aitchison, robust_aitchison",
        ],
    ),
    (
        "sheet path missing",
        cfg(samples="nosuch.tsv"),
        [
            "gutlung validate: error: nosuch.tsv: sample sheet not found; set 'samples' in the config",
        ],
    ),
    (
        "reference missing",
        cfg(**{"taxonomy.reference": "nosuch.fasta"}),
        [
            "gutlung validate: error: config.yaml: key taxonomy.reference: nosuch.fasta is neither a file nor an entry of <repo>/resources/reference/manifest.yaml (silva-138.2, gtdb-r220); give a SINTAX FASTA or an entry name",
        ],
    ),
    (
        "unknown reference name",
        cfg(**{"taxonomy.reference": "silva-999"}),
        [
            "gutlung validate: error: config.yaml: key taxonomy.reference: silva-999 is neither a file nor an entry of <repo>/resources/reference/manifest.yaml (silva-138.2, gtdb-r220); give a SINTAX FASTA or an entry name",
        ],
    ),
    (
        "claims catalogue missing",
        cfg(**{"claims.catalogue": ["nosuch.yaml"]}),
        [
            "gutlung validate: error: nosuch.yaml: claims catalogue not found; fix claims.catalogue in the config (a YAML file or a folder of them; [] for the shipped one)",
        ],
    ),
    (
        "scfa producers missing",
        cfg(**{"scfa.producers": "nosuch.tsv"}),
        [
            "gutlung validate: error: config.yaml: key scfa.producers: nosuch.tsv not found; give a table in the format of resources/scfa/producers.tsv, or null for the shipped one",
        ],
    ),
    (
        "group column not in sheet",
        cfg(**{"diversity.group_column": "wheeze"}),
        [
            "gutlung validate: error: config.yaml: key diversity.group_column: samples.tsv has no column 'wheeze'; name one of its columns",
        ],
    ),
    (
        "qc.min_kept above 1",
        cfg(**{"qc.min_kept": 2}),
        [
            "gutlung validate: error: config.yaml: key qc.min_kept: 2 is greater than the maximum of 1; fix the value",
        ],
    ),
    (
        "sample_min_kept negative",
        cfg(**{"qc.sample_min_kept": -0.1}),
        [
            "gutlung validate: error: config.yaml: key qc.sample_min_kept: -0.1 is less than the minimum of 0; fix the value",
        ],
    ),
    (
        "trunc lengths one value",
        cfg(**{"merge.trunc_lengths": [200]}),
        [
            "gutlung validate: error: config.yaml: key merge.trunc_lengths: [200] is not allowed; use auto, none or [R1 length, R2 length] (two whole numbers of 20 or more)",
        ],
    ),
    (
        "permanova unknown column",
        cfg(**{"stats.permanova": [{"name": "x", "formula": "wheeze"}]}),
        [
            "gutlung validate: error: samples.tsv: x: column 'wheeze' is not in the sample sheet; add it or fix the analysis's formula (config key stats.permanova[0] (x))",
        ],
    ),
    (
        "differential group one level",
        cfg(
            **{
                "stats.differential": [
                    {
                        "name": "d",
                        "group": "study",
                        "reference": "demo",
                        "treatment": "other",
                    }
                ]
            }
        ),
        [
            "gutlung validate: error: samples.tsv: d: study='other' has 0 samples after where:, at least 2 are needed (config key stats.differential[0] (d))",
        ],
    ),
    (
        "maturity without infants",
        cfg(**{"maturity.enabled": True}),
        [
            "gutlung validate: error: samples.tsv: maturity: no sample of body site gut has an age in age_days within 0-1095; check the maturity settings (config key maturity)",
        ],
    ),
    (
        "missing column body_site",
        drop_col("body_site"),
        [
            "gutlung validate: error: samples.tsv: missing column body_site; add it (see config/README.md)",
        ],
    ),
    (
        "missing column sample_id",
        drop_col("sample_id"),
        [
            "gutlung validate: error: samples.tsv: missing column sample_id; add it (see config/README.md)",
        ],
    ),
    (
        "bad body site",
        sheet(lambda rows: set_cell(rows, 2, "body_site", "gutt")),
        [
            "gutlung validate: error: samples.tsv: row 3 (sample P01_lung): column body_site: 'gutt' is not allowed; use one of: gut, lung, upper_airway, other, none",
        ],
    ),
    (
        "bad sample type",
        sheet(lambda rows: set_cell(rows, 2, "sample_type", "poop")),
        [
            "gutlung validate: error: samples.tsv: row 3 (sample P01_lung): column sample_type: 'poop' is not allowed; use one of: stool, rectal_swab, bal, sputum, lung_tissue, nasal_swab, oral_swab, other, negative_control, mock",
        ],
    ),
    (
        "duplicate sample id",
        sheet(lambda rows: set_cell(rows, 2, "sample_id", "P01_gut")),
        [
            "gutlung validate: error: samples.tsv: rows 2, 3 (sample P01_gut): column sample_id: duplicate ID; make every sample_id unique",
        ],
    ),
    (
        "duplicate column",
        dup_col("asthma"),
        [
            "gutlung validate: error: samples.tsv: line 1: column asthma appears twice (columns 11 and 21); keep one",
        ],
    ),
    (
        "row too short",
        sheet(lambda rows: rows[:3] + ["\t".join(rows[3].split("\t")[:5])] + rows[4:]),
        [
            "gutlung validate: error: samples.tsv: line 4: 5 fields, the header has 20; separate the columns by one tab each",
        ],
    ),
    (
        "row too long",
        sheet(lambda rows: rows[:3] + [rows[3] + "\textra"] + rows[4:]),
        [
            "gutlung validate: error: samples.tsv: line 4: 21 fields, the header has 20; separate the columns by one tab each",
        ],
    ),
    (
        "latin-1 sheet",
        latin1,
        [
            "gutlung validate: error: samples.tsv: line 2: byte 0xe9 is not UTF-8; save the sheet as UTF-8 (e.g. iconv -f latin1 -t utf-8)",
        ],
    ),
    (
        "same fastq twice",
        sheet(
            lambda rows: set_cell(
                set_cell(rows, 2, "fq1", rows[1].split("\t")[6]),
                2,
                "fq2",
                rows[1].split("\t")[7],
            )
        ),
        [
            "gutlung validate: error: samples.tsv: row 2 (sample P01_gut, fq1) and row 3 (sample P01_lung, fq1): the same file reads/P01_gut_R1.fastq.gz; give each sample its own reads",
            "gutlung validate: error: samples.tsv: row 2 (sample P01_gut, fq2) and row 3 (sample P01_lung, fq2): the same file reads/P01_gut_R2.fastq.gz; give each sample its own reads",
        ],
    ),
    (
        "fq2 equals fq1",
        sheet(lambda rows: set_cell(rows, 2, "fq2", rows[2].split("\t")[6])),
        [
            "gutlung validate: error: samples.tsv: row 3 (sample P01_lung): column fq2: same file as fq1; give the R2 file",
        ],
    ),
    (
        "missing fastq",
        sheet(lambda rows: set_cell(rows, 2, "fq1", "reads/nosuch_R1.fastq.gz")),
        [
            "gutlung validate: error: samples.tsv: row 3 (sample P01_lung): column fq1: file reads/nosuch_R1.fastq.gz not found; fix the path (relative paths start from the directory Snakemake runs in)",
        ],
    ),
    (
        "empty fq2 in a paired sheet",
        sheet(lambda rows: set_cell(rows, 2, "fq2", "")),
        [
            "gutlung validate: error: samples.tsv: the samples mix paired-end and single-end runs (7 paired-end, 1 single-end); single-end: P01_lung (row 3); give them their R2 file (fq2), or run each layout as its own study",
        ],
    ),
    (
        "sample id with a space",
        sheet(lambda rows: set_cell(rows, 2, "sample_id", "P01 lung")),
        [
            "gutlung validate: error: samples.tsv: row 3 (sample P01 lung): column sample_id: 'P01 lung' is not allowed; use letters, digits, '_', '.' and '-', starting with a letter or digit (IDs become file names)",
        ],
    ),
    (
        "sample id with shell characters",
        sheet(lambda rows: set_cell(rows, 2, "sample_id", "P01;rm -rf ~")),
        [
            "gutlung validate: error: samples.tsv: row 3 (sample P01;rm -rf ~): column sample_id: 'P01;rm -rf ~' is not allowed; use letters, digits, '_', '.' and '-', starting with a letter or digit (IDs become file names)",
        ],
    ),
    (
        "non-numeric age",
        sheet(lambda rows: set_cell(rows, 2, "age_days", "ten")),
        [
            "gutlung validate: error: samples.tsv: row 3 (sample P01_lung): column age_days: 'ten' is not a number; fix the value or leave the cell empty",
        ],
    ),
    (
        "negative dna_conc",
        sheet(lambda rows: set_cell(rows, 2, "dna_conc", "-1")),
        [
            "gutlung validate: error: samples.tsv: row 3 (sample P01_lung): column dna_conc: -1.0 is less than the minimum of 0; fix the value",
        ],
    ),
    (
        "unknown yes/no value",
        sheet(lambda rows: set_cell(rows, 2, "asthma", "maybe")),
        [
            "gutlung validate: error: samples.tsv: row 3 (sample P01_lung): column asthma: 'maybe' is not allowed; use one of: yes, no",
        ],
    ),
    (
        "empty sheet",
        sheet(lambda rows: rows[:1]),
        [
            "gutlung validate: error: samples.tsv: no samples; add at least one row",
        ],
    ),
    (
        "empty fastq file",
        write("reads/P01_lung_R1.fastq.gz", gz("")),
        [
            "gutlung validate: error: samples.tsv: row 3 (sample P01_lung): column fq1: reads/P01_lung_R1.fastq.gz holds no reads; give the sample's reads, or remove the row",
        ],
    ),
    (
        "gzip broken early",
        truncate_gzip("P01_lung_R1.fastq.gz", 300),
        [
            "gutlung validate: error: samples.tsv: row 3 (sample P01_lung): column fq1: reads/P01_lung_R1.fastq.gz cannot be read to its 200th read (Compressed file ended before the end-of-stream marker was reached); the file is truncated or damaged: download or copy it again",
        ],
    ),
    (
        "gzip damaged early",
        damage_gzip("P01_lung_R1.fastq.gz", 30),
        [
            "gutlung validate: error: samples.tsv: row 3 (sample P01_lung): column fq1: reads/P01_lung_R1.fastq.gz cannot be read to its 200th read (damaged gzip data (Error -1 Invalid deflate block found)); the file is truncated or damaged: download or copy it again",
        ],
    ),
    (
        "fastq not fastq",
        replace_fastq("P01_lung_R1.fastq.gz", ">r1\nACGT\n>r2\nACGT\n"),
        [
            "gutlung validate: error: samples.tsv: row 3 (sample P01_lung): column fq1: reads/P01_lung_R1.fastq.gz is not FASTQ: line 1 starts with '>', not '@' (a FASTA file?); give the sample's reads, or remove the row",
        ],
    ),
    (
        "mixed encodings in a run",
        replace_fastq(
            "P01_lung_R1.fastq.gz",
            "".join(
                f"@r{i}\n{'GTGCCAGCAGCCGCGGTAA' + 'A' * 200}\n+\n{'h' * 219}\n"
                for i in range(300)
            ),
        ),
        [
            "gutlung validate: error: samples.tsv: run run2: row 2 (sample P01_gut) has phred+33 qualities (reads/P01_gut_R1.fastq.gz) but row 3 (sample P01_lung) phred+64 (reads/P01_lung_R1.fastq.gz); one run has one encoding: fix the file paths, or give the phred+64 samples their own run",
        ],
    ),
    (
        "wrong primers",
        cfg(
            **{
                "primers.forward": "AGAGTTTGATCMTGGCTCAG",
                "primers.reverse": "ATTACCGCGGCKGCTGG",
            }
        ),
        [
            "gutlung validate: error: config.yaml: run run2: the forward primer AGAGTTTGATCMTGGCTCAG starts 0 of the first 300 reads of sample P01_gut (reads/P01_gut_R1.fastq.gz, 0%); check primers.forward (5'->3' as ordered), or set primers.in_reads: false if the reads start after the primer",
            "gutlung validate: error: config.yaml: run run2: the reverse primer ATTACCGCGGCKGCTGG starts 0 of the first 300 reads of sample P01_gut (reads/P01_gut_R2.fastq.gz, 0%); check primers.reverse (5'->3' as ordered), or set primers.in_reads: false if the reads start after the primer",
            "gutlung validate: error: config.yaml: run run1: the forward primer AGAGTTTGATCMTGGCTCAG starts 0 of the first 300 reads of sample P02_gut (reads/P02_gut_R1.fastq.gz, 0%); check primers.forward (5'->3' as ordered), or set primers.in_reads: false if the reads start after the primer",
            "gutlung validate: error: config.yaml: run run1: the reverse primer ATTACCGCGGCKGCTGG starts 0 of the first 300 reads of sample P02_gut (reads/P02_gut_R2.fastq.gz, 0%); check primers.reverse (5'->3' as ordered), or set primers.in_reads: false if the reads start after the primer",
        ],
    ),
    (
        "primers said absent but present",
        cfg(**{"primers.in_reads": False}),
        [
            "gutlung validate: error: config.yaml: run run2: the forward primer GTGYCAGCMGCCGCGGTAA starts 300 of the first 300 reads of sample P01_gut (reads/P01_gut_R1.fastq.gz, 100%) but primers.in_reads is false, so the primers would stay in the ASVs; set primers.in_reads: true",
            "gutlung validate: error: config.yaml: run run2: the reverse primer GGACTACNVGGGTWTCTAAT starts 300 of the first 300 reads of sample P01_gut (reads/P01_gut_R2.fastq.gz, 100%) but primers.in_reads is false, so the primers would stay in the ASVs; set primers.in_reads: true",
            "gutlung validate: error: config.yaml: run run1: the forward primer GTGYCAGCMGCCGCGGTAA starts 300 of the first 300 reads of sample P02_gut (reads/P02_gut_R1.fastq.gz, 100%) but primers.in_reads is false, so the primers would stay in the ASVs; set primers.in_reads: true",
            "gutlung validate: error: config.yaml: run run1: the reverse primer GGACTACNVGGGTWTCTAAT starts 300 of the first 300 reads of sample P02_gut (reads/P02_gut_R2.fastq.gz, 100%) but primers.in_reads is false, so the primers would stay in the ASVs; set primers.in_reads: true",
        ],
    ),
    (
        "decontam without blanks",
        sheet(lambda rows: [x for x in rows if not x.startswith("NC")]),
        [
            "gutlung validate: error: samples.tsv: decontam.sites.gut.method: prevalence needs negative controls and no sample has sample_type negative_control; add the extraction blanks, use the frequency method, or set decontam.enabled: false",
            "gutlung validate: error: samples.tsv: decontam.sites.lung.method: combined needs negative controls and no sample has sample_type negative_control; add the extraction blanks, use the frequency method, or set decontam.enabled: false",
        ],
    ),
    (
        "table missing",
        tab(cfg(**{"feature_table.table": "nosuch.tsv"})),
        [
            "gutlung validate: error: config.yaml: key feature_table.table: file nosuch.tsv not found; fix the path (relative to the directory Snakemake runs in)",
        ],
    ),
    (
        "table duplicate feature",
        table_lines(lambda rows: rows + [rows[1]]),
        [
            "gutlung validate: error: table.tsv: feature ID '<feature 1>' appears twice (lines 2 and 8); keep one or give each its own ID",
        ],
    ),
    (
        "table duplicate sample column",
        table_lines(lambda rows: [x + "\t" + x.split("\t")[1] for x in rows]),
        [
            "gutlung validate: error: table.tsv: sample column 'P01_gut' appears twice (columns 2 and 10); keep one or give each its own ID",
        ],
    ),
    (
        "table non-numeric count",
        cell_tab(2, 3, "many"),
        [
            "gutlung validate: error: table.tsv: line 3 (feature <feature 2>), column P02_gut: 'many' is not a count; give a whole number of reads (0 for none)",
        ],
    ),
    (
        "table fractional count",
        cell_tab(2, 3, "2.5"),
        [
            "gutlung validate: error: table.tsv: line 3 (feature <feature 2>), column P02_gut: 2.5 is not a count; give a whole number of reads (0 for none)",
        ],
    ),
    (
        "table negative count",
        cell_tab(2, 3, "-4"),
        [
            "gutlung validate: error: table.tsv: line 3 (feature <feature 2>), column P02_gut: -4 is not a count; give a whole number of reads (0 for none)",
        ],
    ),
    (
        "table empty",
        table_lines(lambda rows: rows[:1]),
        [
            "gutlung validate: error: table.tsv: holds no features with reads in the sheet's samples; give the study's table (or check its sample IDs)",
        ],
    ),
    (
        "table without the sheet's samples",
        table_lines(
            lambda rows: [rows[0].replace("P0", "Q0").replace("NC0", "XC0")] + rows[1:]
        ),
        [
            "gutlung validate: error: table.tsv: no column for sample(s) P01_gut, P01_lung, P02_gut, P02_lung, P03_gut, ... of the sheet; fix the sample IDs or drop those rows",
            "gutlung validate: error: table.tsv: holds no features with reads in the sheet's samples; give the study's table (or check its sample IDs)",
        ],
    ),
    (
        "taxonomy without header",
        tab(
            lambda project: (project / "taxonomy.tsv").write_text(
                "\n".join((project / "taxonomy.tsv").read_text().splitlines()[1:])
                + "\n"
            )
        ),
        [
            "gutlung validate: error: config.yaml: key feature_table.taxonomy: taxonomy.tsv: no Taxon column; give a taxonomy.tsv (Feature ID, Taxon)",
        ],
    ),
    (
        "taxonomy missing",
        tab(cfg(**{"feature_table.taxonomy": "nosuch.tsv"})),
        [
            "gutlung validate: error: config.yaml: key feature_table.taxonomy: file nosuch.tsv not found; fix the path (relative to the directory Snakemake runs in)",
        ],
    ),
]


@pytest.mark.parametrize(
    ("case", "change", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_each_bad_input_stops_with_its_line(
    template, tmp_path, capsys, case, change, expected
):
    project = tmp_path / "p"
    shutil.copytree(template, project)
    folder = project / getattr(change, "folder", "")
    change(folder)
    code, lines = validate(folder, capsys)
    assert code == 2, case
    assert lines == expected


@pytest.mark.parametrize("folder", ["", "tables"])
def test_the_templates_are_valid(template, tmp_path, capsys, folder):
    """Reads, and the table stage (which needs no primers)."""
    project = tmp_path / "p"
    shutil.copytree(template, project)
    code, lines = validate(project / folder, capsys)
    assert code == 0, lines
