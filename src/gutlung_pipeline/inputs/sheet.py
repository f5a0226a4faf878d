"""The sample sheet: read it and check it.

The sample sheet: read it, check it against ``samples.schema.yaml`` and
what a schema cannot say (unique IDs, readable files, one layout per run).

Every problem becomes one line naming the file, the row and sample, the
column and the fix; all of them are reported at once in a
:class:`~gutlung_pipeline.errors.ConfigError`.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pandas as pd

from ..errors import ConfigError
from ..schema import TYPE_WORDS, describe, load_schema

__all__ = [
    "read_sample_sheet",
    "validate_samples",
    "load_samples",
    "is_paired",
]


#: Cells read as missing, as R and spreadsheets write it (compared exactly).
MISSING = frozenset({"NA", "N/A", "NaN", "nan", "na", "n/a"})


def _coerce(value: str, prop: dict):
    """Convert a sample-sheet cell to the type the schema declares."""
    kind = prop.get("type")
    if kind == "integer":
        number = float(value)
        if not number.is_integer():
            raise ValueError
        return int(number)
    if kind == "number":
        return float(value)
    return value


#: The ID headers QIIME 2 metadata accepts for samples (case-insensitive):
#: a sheet whose first column is one of them is read with it as sample_id.
QIIME2_ID_HEADERS = (
    "id",
    "sampleid",
    "sample id",
    "sample-id",
    "#sampleid",
    "#sample id",
    "sample_name",
)


def read_sample_sheet(path: str | os.PathLike) -> pd.DataFrame:
    """Read a sample sheet as strings (empty cells stay empty strings).

    ``NA``, ``N/A``, ``NaN`` (and lower case) are read as empty cells: what R
    and spreadsheets write for a missing value. A QIIME 2 metadata file reads
    as a sheet: its ID header (:data:`QIIME2_ID_HEADERS`, as the first
    column) becomes ``sample_id``, and its ``#q2:`` directives and ``#``
    comment lines are skipped; the rows keep their line numbers (the index is
    the line number minus 2, as for any sheet).

    Raises
    ------
    ConfigError
        The file is missing, empty or not UTF-8, a column name repeats, or a
        row has more or fewer fields than the header; one line naming the
        file, the line and the fix.
    """
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            [f"{path}: sample sheet not found; set 'samples' in the config"]
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise ConfigError(
            [
                f"{path}: line {line}: byte 0x{raw[err.start]:02x} is not UTF-8; "
                "save the sheet as UTF-8 (e.g. iconv -f latin1 -t utf-8)"
            ]
        ) from None
    all_lines = text.splitlines()
    # the header: the first line that is not blank nor a comment (QIIME 2's
    # #SampleID header is one of its ID headers, not a comment)
    first = next(
        (
            k
            for k, ln in enumerate(all_lines)
            if ln.strip()
            and (
                not ln.startswith("#")
                or ln.split("\t")[0].strip().lower() in QIIME2_ID_HEADERS
            )
        ),
        None,
    )
    if first is None:
        raise ConfigError([f"{path}: sample sheet is empty; add a header and rows"])
    header = [c.strip() for c in all_lines[first].split("\t")]
    if header[0].lower() in QIIME2_ID_HEADERS and "sample_id" not in header:
        header[0] = "sample_id"
    problems = []
    for name in dict.fromkeys(c for c in header if header.count(c) > 1):
        at = " and ".join(str(k + 1) for k, c in enumerate(header) if c == name)
        problems.append(
            f"{path}: line {first + 1}: column {name} appears twice (columns {at}); "
            "keep one"
        )
    kept = []  # (line number, line) of the rows
    for number, line in enumerate(all_lines, start=1):
        if number <= first + 1 or not line.strip() or line.startswith("#"):
            continue  # QIIME 2's #q2:types and comment lines are no samples
        kept.append((number, line))
        fields = len(line.split("\t"))
        if fields != len(header):
            problems.append(
                f"{path}: line {number}: {fields} fields, the header has "
                f"{len(header)}; separate the columns by one tab each"
            )
    if problems:
        raise ConfigError(problems)
    body = "\n".join(["\t".join(header), *(line for _, line in kept)]) + "\n"
    df = pd.read_csv(
        io.StringIO(body), sep="\t", dtype=str, keep_default_na=False, comment=None
    )
    df.columns = [c.strip() for c in df.columns]
    df.index = pd.Index([number - 2 for number, _ in kept])
    df = df.apply(lambda col: col.str.strip())
    # NA, N/A, NaN as R and spreadsheets write a missing value: an empty cell
    return df.mask(df.isin(MISSING), "")


def validate_samples(
    sheet: pd.DataFrame,
    *,
    source: str = "samples.tsv",
    check_files: bool = True,
    schema_dir: str | os.PathLike | None = None,
    reads: bool = True,
) -> pd.DataFrame:
    """Validate a sample sheet; return it indexed by ``sample_id``, typed.

    ``reads=False`` (a study entering at the table stage) does not ask for
    fq1 or run_accession.

    Checks, on top of the schema (required columns, ID pattern, vocabularies,
    numeric ranges): unique ``sample_id``; each row has ``fq1`` or
    ``run_accession``; the FASTQ files exist and are readable and differ; all
    rows of one ``run`` are either paired (``fq2`` given) or single-end; the
    sheet does not mix the two layouts; and the quality encoding of the first
    reads of each local file (:func:`gutlung_pipeline.quality.detect_encoding`)
    is the same within a sample and within a run.

    Raises
    ------
    ConfigError
        One line per problem: ``<source>: row <n> (sample <id>): column <c>: ...``.
        Rows are numbered as in a spreadsheet (header = row 1).
    """
    from jsonschema import Draft202012Validator

    schema = load_schema("samples", schema_dir)
    props = schema["properties"]
    problems: list[str] = []
    missing = [c for c in schema["required"] if c not in sheet.columns]
    if missing:
        raise ConfigError(
            [
                f"{source}: missing column {c}; add it (see config/README.md)"
                for c in missing
            ]
        )
    if sheet.empty:
        raise ConfigError([f"{source}: no samples; add at least one row"])
    validator = Draft202012Validator(schema)
    typed_rows = []
    for i, row in enumerate(sheet.to_dict(orient="records")):
        line = i + 2
        sid = row.get("sample_id") or "?"
        where = f"{source}: row {line} (sample {sid})"
        record = {}
        for col, value in row.items():
            if value == "":
                continue
            prop = props.get(col, {})
            try:
                record[col] = _coerce(value, prop)
            except ValueError:
                problems.append(
                    f"{where}: column {col}: {value!r} is not "
                    f"{TYPE_WORDS.get(prop.get('type'), prop.get('type'))}; "
                    "fix the value or leave the cell empty"
                )
        for error in validator.iter_errors(record):
            col, what = describe(error, schema)
            if error.validator == "required":  # the column exists: the cell is empty
                what = "empty; fill it in"
            problems.append(f"{where}: column {col}: {what}")
        if reads and "fq1" not in record and "run_accession" not in record:
            problems.append(
                f"{where}: column fq1: no fq1 and no run_accession; give one"
            )
        if "fq2" in record and "fq1" not in record:
            problems.append(f"{where}: column fq1: fq2 given without fq1; add fq1")
        if check_files:
            for col in ("fq1", "fq2"):
                if col in record:
                    problems.extend(_check_file(record[col], f"{where}: column {col}"))
        if record.get("fq1") and record.get("fq1") == record.get("fq2"):
            problems.append(f"{where}: column fq2: same file as fq1; give the R2 file")
        typed_rows.append(record)
    problems.extend(_shared_files(sheet, source))
    ids = sheet["sample_id"]
    for sid in sorted(set(ids[ids.duplicated()])):
        rows = ", ".join(str(i + 2) for i in ids.index[ids == sid])
        problems.append(
            f"{source}: rows {rows} (sample {sid}): column sample_id: duplicate ID; "
            "make every sample_id unique"
        )
    problems.extend(_check_layouts(sheet, source))
    if check_files and not problems:
        problems.extend(_check_encodings(sheet, source))
    if problems:
        raise ConfigError(problems)
    typed = pd.DataFrame(typed_rows, columns=list(sheet.columns))
    return typed.set_index("sample_id", drop=False)


def _shared_files(sheet: pd.DataFrame, source: str) -> list[str]:
    """One line per FASTQ file that two rows name (fq1 or fq2 of either)."""
    rows: dict[str, list[tuple[int, str, str]]] = {}
    for col in ("fq1", "fq2"):
        if col not in sheet.columns:
            continue
        for i, (value, sid) in enumerate(
            zip(sheet[col], sheet["sample_id"], strict=True)
        ):
            if value:
                rows.setdefault(str(Path(value)), []).append((i + 2, sid, col))
    problems = []
    for path, places in rows.items():
        if len({line for line, _, _ in places}) > 1:
            where = " and ".join(
                f"row {n} (sample {s}, {c})" for n, s, c in sorted(places)
            )
            problems.append(
                f"{source}: {where}: the same file {path}; give each sample its own "
                "reads"
            )
    return problems


def _check_file(path: str, where: str) -> list[str]:
    p = Path(path)
    if not p.is_file():
        return [
            f"{where}: file {path} not found; fix the path (relative paths start "
            "from the directory Snakemake runs in)"
        ]
    if not os.access(p, os.R_OK):
        return [f"{where}: file {path} is not readable; fix its permissions"]
    if p.stat().st_size == 0:
        return [f"{where}: file {path} is empty; give a FASTQ with reads"]
    return []


def _check_layouts(sheet: pd.DataFrame, source: str) -> list[str]:
    """Paired-end exactly when fq2 is present, one layout per run and per sheet."""
    if "fq1" not in sheet.columns:
        return []
    local = sheet[sheet["fq1"] != ""]
    if local.empty:
        return []
    paired = (
        local["fq2"] != "" if "fq2" in local.columns else pd.Series(False, local.index)
    )
    problems = []
    for run, idx in local.groupby("run").groups.items():
        flags = paired.loc[idx]
        if flags.nunique() > 1:
            single = ", ".join(local.loc[idx[~flags.to_numpy()], "sample_id"])
            problems.append(
                f"{source}: run {run} (samples {single}): column fq2: missing while "
                "other samples of the run are paired; give fq2 or split the run"
            )
    if not problems and paired.nunique() > 1:
        problems.append(
            f"{source}: column fq2: the sheet mixes paired-end and single-end runs, "
            "whose ASVs are not comparable; process them as separate studies"
        )
    return problems


def _check_encodings(sheet: pd.DataFrame, source: str) -> list[str]:
    """One line per run whose local FASTQ files disagree on quality encoding.

    The first 200 records of each file are read: phred+64 or qualities above
    41 are fine (the read steps read them as they are), but a run that mixes
    encodings, or a sample whose R1 and R2 differ, is a mix-up of files; a
    file that ends (or breaks) before its 200th record is named too.
    """
    from ..quality import fastq_problem, file_encoding, head_records

    if "fq1" not in sheet.columns:
        return []
    problems = []
    for run, rows in sheet[sheet["fq1"] != ""].groupby("run", sort=False):
        seen: dict[int, tuple[int, str, str]] = {}
        for i, row in rows.iterrows():
            for col in ("fq1", "fq2"):
                path = row.get(col, "")
                if not path:
                    continue
                try:
                    problem = fastq_problem(head_records(path, 200))
                    if problem:
                        problems.append(
                            f"{source}: row {i + 2} (sample {row['sample_id']}): "
                            f"column {col}: {path} {problem}; give the sample's "
                            "reads, or remove the row"
                        )
                        continue
                    offset = file_encoding(path, 200).offset
                except (EOFError, OSError) as err:
                    problems.append(
                        f"{source}: row {i + 2} (sample {row['sample_id']}): column "
                        f"{col}: {path} cannot be read to its 200th read ({err}); "
                        "the file is truncated or damaged: download or copy it again"
                    )
                    continue
                seen.setdefault(offset, (i + 2, row["sample_id"], path))
        if len(seen) > 1:
            (n33, s33, f33), (n64, s64, f64) = seen[33], seen[64]
            problems.append(
                f"{source}: run {run}: row {n33} (sample {s33}) has phred+33 "
                f"qualities ({f33}) but row {n64} (sample {s64}) phred+64 "
                f"({f64}); one run has one encoding: fix the file paths, or give "
                "the phred+64 samples their own run"
            )
    return problems


def load_samples(
    path: str | os.PathLike,
    *,
    check_files: bool = True,
    schema_dir=None,
    reads: bool = True,
) -> pd.DataFrame:
    """Read and validate a sample sheet file; see :func:`validate_samples`."""
    sheet = read_sample_sheet(path)
    return validate_samples(
        sheet,
        source=str(path),
        check_files=check_files,
        schema_dir=schema_dir,
        reads=reads,
    )


def is_paired(samples: pd.DataFrame) -> bool:
    """Whether the (validated, single-layout) sheet is paired-end."""
    return "fq2" in samples.columns and samples["fq2"].notna().any()


def qiime2_metadata(sheet: pd.DataFrame, *, schema_dir=None) -> str:
    """Write a sheet as QIIME 2 metadata text (``sample-id`` first).

    The second line is the ``#q2:types`` directive: ``numeric`` for the
    columns the sample schema types as numbers, and for other columns whose
    every filled cell is a number; ``categorical`` otherwise. The FASTQ paths
    (fq1, fq2) are left out: local paths mean nothing to another tool.
    """
    props = load_schema("samples", schema_dir).get("properties", {})
    ids = sheet["sample_id"] if "sample_id" in sheet.columns else sheet.index
    table = sheet.drop(columns=["sample_id", "fq1", "fq2"], errors="ignore")
    table = table.fillna("").astype(str)
    kinds = []
    for col in table.columns:
        declared = props.get(col, {}).get("type")
        if declared in ("number", "integer"):
            kinds.append("numeric")
            continue
        filled = table[col][table[col] != ""]
        numeric = (
            not filled.empty and pd.to_numeric(filled, errors="coerce").notna().all()
        )
        kinds.append("numeric" if numeric else "categorical")
    lines = ["\t".join(["sample-id", *table.columns])]
    lines.append("\t".join(["#q2:types", *kinds]))
    for sid, (_, row) in zip(ids, table.iterrows(), strict=True):
        lines.append("\t".join([str(sid), *row.tolist()]))
    return "\n".join(lines) + "\n"
