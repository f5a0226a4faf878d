"""Validation of the configuration and the sample sheet.

Both are checked against the JSON Schemas in ``workflow/schemas/`` and then by
the checks a schema cannot express (unique IDs, readable files, paired reads).
Every problem becomes one line naming the file, the row or sample, the column or
key, and the fix; all of them are reported at once in a :class:`ConfigError`.
"""

from __future__ import annotations

import copy
import difflib
import os
from pathlib import Path

import pandas as pd

from .errors import ConfigError
from .io import read_yaml

#: Where the schemas live in a source checkout or an editable install.
DEFAULT_SCHEMA_DIR = Path(__file__).resolve().parents[2] / "workflow" / "schemas"

__all__ = [
    "ConfigError",
    "load_config",
    "load_samples",
    "validate_config",
    "validate_samples",
    "is_paired",
    "read_sample_sheet",
    "check_workflow_inputs",
]


def load_schema(name: str, schema_dir: str | os.PathLike | None = None) -> dict:
    """Load ``<name>.schema.yaml`` from ``schema_dir`` (default: the workflow's)."""
    return read_yaml(Path(schema_dir or DEFAULT_SCHEMA_DIR) / f"{name}.schema.yaml")


def _fill_defaults(instance: dict, schema: dict, root: dict | None = None) -> dict:
    """Return a copy of ``instance`` with the schema's defaults filled in
    (local ``$ref``s to ``#/$defs/...`` are followed)."""
    root = schema if root is None else root

    def resolve(sub: dict) -> dict:
        ref = sub.get("$ref", "")
        if ref.startswith("#/$defs/"):
            return {**root["$defs"][ref.rsplit("/", 1)[1]], **sub}
        return sub

    out = copy.deepcopy(instance)
    for key, sub in schema.get("properties", {}).items():
        sub = resolve(sub)
        if key not in out and "default" in sub:
            out[key] = copy.deepcopy(sub["default"])
        if isinstance(out.get(key), dict) and sub.get("type") == "object":
            out[key] = _fill_defaults(out[key], sub, root)
        items = resolve(sub.get("items", {}))
        if isinstance(out.get(key), list) and "properties" in items:
            out[key] = [
                _fill_defaults(v, items, root) if isinstance(v, dict) else v
                for v in out[key]
            ]
    return out


def _schema_at(schema: dict, path) -> dict:
    node = schema
    for part in path:
        if isinstance(part, int):
            node = node.get("items", {})
        else:
            node = node.get("properties", {}).get(part, {})
    return node


def _describe(error, schema: dict) -> tuple[str, str]:
    """Turn a jsonschema error into (where, what and fix)."""
    where = ".".join(str(p) for p in error.absolute_path) or "top level"
    if error.validator == "additionalProperties":
        parent = _schema_at(schema, error.absolute_path)
        allowed = sorted(parent.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed))
        bad = extra[0] if extra else "?"
        close = difflib.get_close_matches(bad, allowed, n=1)
        hint = (
            f"did you mean '{close[0]}'?" if close else f"allowed: {', '.join(allowed)}"
        )
        prefix = f"{where}." if error.absolute_path else ""
        return f"{prefix}{bad}", f"unknown key; {hint}"
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        prefix = f"{where}." if error.absolute_path else ""
        return f"{prefix}{missing}", "required key is missing; add it"
    if error.validator == "enum":
        allowed = ", ".join(str(v) for v in error.validator_value)
        return where, f"{error.instance!r} is not allowed; use one of: {allowed}"
    if error.validator == "pattern":
        return where, f"{error.instance!r} does not match {error.validator_value}"
    if error.validator == "type":
        return where, f"{error.instance!r} is not of type {error.validator_value}"
    return where, f"{error.message}; fix the value"


def validate_config(
    config: dict,
    *,
    source: str = "config",
    schema_dir: str | os.PathLike | None = None,
) -> dict:
    """Validate a configuration dictionary; return it with defaults filled in.

    Parameters
    ----------
    config
        The configuration as loaded from YAML (plus any command-line overrides).
    source
        Name of the file it came from, for the messages.
    schema_dir
        Folder holding ``config.schema.yaml``.

    Raises
    ------
    ConfigError
        One line per problem: ``<source>: key <a.b>: <problem>; <fix>``.
    """
    from jsonschema import Draft202012Validator

    schema = load_schema("config", schema_dir)
    if not isinstance(config, dict):
        raise ConfigError([f"{source}: not a YAML mapping; see config/README.md"])
    filled = _fill_defaults(config, schema)
    validator = Draft202012Validator(schema)
    problems = []
    for error in sorted(validator.iter_errors(filled), key=lambda e: list(e.path)):
        where, what = _describe(error, schema)
        problems.append(f"{source}: key {where}: {what}")
    if not filled.get("studies") and "primers" not in filled:
        problems.append(
            f"{source}: key primers: missing; give primers.forward and "
            "primers.reverse (or list several study configs under studies)"
        )
    if problems:
        raise ConfigError(problems)
    return filled


def load_config(path: str | os.PathLike, *, schema_dir=None) -> dict:
    """Read and validate a YAML configuration file."""
    try:
        data = read_yaml(path)
    except FileNotFoundError:
        raise ConfigError(
            [f"{path}: config file not found; pass an existing file"]
        ) from None
    except Exception as err:  # yaml errors carry their own position
        one_line = " ".join(str(err).split())
        raise ConfigError(
            [f"{path}: not valid YAML ({one_line}); fix the syntax"]
        ) from None
    return validate_config(data, source=str(path), schema_dir=schema_dir)


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


def read_sample_sheet(path: str | os.PathLike) -> pd.DataFrame:
    """Read a sample sheet as strings (empty cells stay empty strings)."""
    try:
        df = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, comment=None)
    except FileNotFoundError:
        raise ConfigError(
            [f"{path}: sample sheet not found; set 'samples' in the config"]
        ) from None
    except pd.errors.EmptyDataError:
        raise ConfigError(
            [f"{path}: sample sheet is empty; add a header and rows"]
        ) from None
    df.columns = [c.strip() for c in df.columns]
    return df.apply(lambda col: col.str.strip())


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
    rows of one ``run`` are either paired (``fq2`` given) or single-end; and the
    sheet does not mix the two layouts.

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
                    f"{where}: column {col}: {value!r} is not {prop.get('type')}; "
                    "fix the value or leave the cell empty"
                )
        for error in validator.iter_errors(record):
            col, what = _describe(error, schema)
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
    ids = sheet["sample_id"]
    for sid in sorted(set(ids[ids.duplicated()])):
        rows = ", ".join(str(i + 2) for i in ids.index[ids == sid])
        problems.append(
            f"{source}: rows {rows} (sample {sid}): column sample_id: duplicate ID; "
            "make every sample_id unique"
        )
    problems.extend(_check_layouts(sheet, source))
    if problems:
        raise ConfigError(problems)
    typed = pd.DataFrame(typed_rows, columns=list(sheet.columns))
    return typed.set_index("sample_id", drop=False)


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
        sheet, source=str(path), check_files=check_files, schema_dir=schema_dir,
        reads=reads,
    )  # fmt: skip


def is_paired(samples: pd.DataFrame) -> bool:
    """Whether the (validated, single-layout) sheet is paired-end."""
    return "fq2" in samples.columns and samples["fq2"].notna().any()


def check_workflow_inputs(
    config: dict, samples: pd.DataFrame, *, source: str = "config"
) -> None:
    """Checks across the validated config and sample sheet, before any job.

    The report's ``diversity.group_column`` exists; the taxonomy reference is a file
    or a manifest entry; and, with ``maturity.enabled``, the maturity design
    (columns, reference ages and subjects, folds, reference samples per bin);
    each stats analysis; and decontam's needs (negative controls, DNA
    concentrations and batches per body site, the mock composition file).
    Used by the workflow and by ``gutlung validate``, so both agree.

    Raises
    ------
    ConfigError
        One line per problem, naming the file, the key or sample, and the fix.
    """
    sheet_path = config["samples"] or "the acquired samples"
    problems: list[str] = []
    group = config["diversity"]["group_column"]
    if group not in samples.columns:
        problems.append(
            f"{source}: key diversity.group_column: {sheet_path} has no column "
            f"{group!r}; name one of its columns"
        )
    problems += _feature_table_problems(config, samples, source=source)
    reference = config["taxonomy"]["reference"]
    if not Path(reference).is_file():
        manifest = config["taxonomy"]["manifest"]
        names = list(read_yaml(manifest)) if Path(manifest).is_file() else []
        if reference not in names:
            problems.append(
                f"{source}: key taxonomy.reference: {reference} is neither a file nor "
                f"an entry of {manifest} ({', '.join(names)}); give a SINTAX FASTA "
                "or an entry name"
            )
    if config.get("maturity", {}).get("enabled"):
        problems += _maturity_problems(config, samples, source=source)
    problems += _stats_problems(config, samples, source=source)
    problems += _decontam_problems(config, samples, source=source)
    if config.get("claims", {}).get("enabled"):
        from .claims import load_catalogue

        try:
            load_catalogue(config["claims"]["catalogue"] or None)
        except ConfigError as err:
            problems += err.problems
    if problems:
        raise ConfigError(problems)


def maturity_warnings(config: dict, samples: pd.DataFrame) -> list[str]:
    """Warnings of the plan (not errors): claims on maturity scores whose
    target age is in the oldest reference age bin
    (:func:`gutlung_pipeline.maturity.edge_note`), naming the method."""
    m = config.get("maturity") or {}
    if not (m.get("enabled") and (config.get("claims") or {}).get("enabled")):
        return []
    from .claims import load_catalogue
    from .maturity import edge_note, select_samples

    try:
        claims = load_catalogue(config["claims"]["catalogue"] or None)
        md = select_samples(
            samples,
            age_column=m["age_column"],
            body_site=m["body_site"],
            max_age=m["max_age"],
            bin_edges=m["bin_edges"],
        )
    except (ConfigError, ValueError):
        return []  # reported as problems
    reference = md[m["reference_column"]].astype(str) == m["reference_value"]
    age = pd.to_numeric(md[m["age_column"]], errors="coerce")
    out = []
    for claim in claims:
        target = claim["population"].get("target_age_days")
        if claim["exposure"]["source"] != "maturity" or target is None:
            continue
        note = edge_note(target, age, md["age_bin"], reference)
        if note:
            method = m.get("method", "ensemble")
            fix = (
                "a random forest cannot predict beyond it: use maturity.method "
                "trajectory or add older reference samples"
                if method == "forest"
                else f"maturity.method {method} extrapolates; read the claim with "
                "that in mind"
            )
            out.append(f"claim {claim['id']}: {note}; {fix}")
    return out


def _feature_table_problems(
    config: dict, samples: pd.DataFrame, *, source: str
) -> list[str]:
    """The table, sequences and taxonomy files exist; the table has a column
    for every sample of the sheet (read from its header only)."""
    from .io import table_sample_ids

    entry = config.get("feature_table", {})
    if not entry.get("table"):
        return []
    problems = []
    for key in ("table", "sequences", "taxonomy"):
        path = entry.get(key)
        if path and not Path(path).is_file():
            problems.append(
                f"{source}: key feature_table.{key}: file {path} not found; fix the "
                "path (relative to the directory Snakemake runs in)"
            )
    if problems:
        return problems
    ids = table_sample_ids(entry["table"])
    if ids is not None:
        lacking = [s for s in samples.index if s not in set(ids)]
        if lacking:
            shown = ", ".join(lacking[:5]) + (", ..." if len(lacking) > 5 else "")
            problems.append(
                f"{entry['table']}: no column for sample(s) {shown} of the sheet; "
                "fix the sample IDs or drop those rows"
            )
    return problems


def _stats_problems(config: dict, samples: pd.DataFrame, *, source: str) -> list[str]:
    """Each stats analysis can run on the sheet's samples (before any job)."""
    st = config.get("stats", {})
    sections = ("permanova", "differential", "longitudinal")
    if not any(st.get(s) for s in sections) and not st.get("paired", {}).get("enabled"):
        return []  # nothing to check: spare every run scipy's import (1.6 s)
    from .stats import design_problems, select_samples

    sheet = config["samples"] or "the acquired samples"
    problems: list[str] = []

    def analyses(section: str):
        """(config key, analysis, its samples) for each analysis whose where:
        can be applied; a where: naming a missing column is a problem."""
        for i, a in enumerate(st.get(section, [])):
            key = f"stats.{section}[{i}] ({a['name']})"
            try:
                yield key, a, select_samples(samples, a.get("where"))
            except ValueError as err:
                problems.append(f"{source}: key {key}: {err}; name a column of {sheet}")

    for key, a, md in analyses("permanova"):
        problems += [
            f"{sheet}: {p} (config key {key})"
            for p in design_problems(
                md,
                formula=a["formula"],
                strata=a.get("strata"),
                plots=a.get("plots"),
                name=a["name"],
            )  # fmt: skip
        ]
        for col in a.get("dispersion", []):
            if col not in samples.columns:
                problems.append(
                    f"{source}: key {key}.dispersion: {sheet} has no column {col!r}"
                )
    for key, a, md in analyses("differential"):
        missing = [c for c in [a["group"], *a.get("covariates", [])] if c not in md]
        if missing:
            problems += [
                f"{source}: key {key}: {sheet} has no column {c!r}" for c in missing
            ]
            continue
        if "reference" not in a:  # a numeric trend
            values = pd.to_numeric(md[a["group"]], errors="coerce")
            bad = md[a["group"]].notna() & (md[a["group"]].astype(str) != "")
            bad &= values.isna()
            if bad.any():
                first = bad.idxmax()
                problems.append(
                    f"{sheet}: {a['name']}: sample {first}: column {a['group']}: "
                    f"{md.at[first, a['group']]!r} is not a number; a trend needs "
                    f"numbers, or give reference and treatment levels (config key "
                    f"{key})"
                )
            elif values.nunique() < 3:
                problems.append(
                    f"{sheet}: {a['name']}: {a['group']} has {values.nunique()} "
                    "distinct values after where:; a trend needs at least 3 (or "
                    f"give reference and treatment levels; config key {key})"
                )
            continue
        for level in (a["reference"], a["treatment"]):
            n = int((md[a["group"]].astype(str) == str(level)).sum())
            if n < 2:
                problems.append(
                    f"{sheet}: {a['name']}: {a['group']}={level!r} has {n} samples "
                    f"after where:, at least 2 are needed (config key {key})"
                )
    alpha_metrics = config["diversity"].get("alpha_metrics", [])
    for key, a, md in analyses("longitudinal"):
        problems += [
            f"{sheet}: {p} (config key {key})"
            for p in design_problems(
                md, formula=a["formula"], plots=a["subject"], name=a["name"]
            )
        ]
        for m in a.get("metrics", []):
            if m not in alpha_metrics:
                problems.append(
                    f"{source}: key {key}.metrics: {m} is not in "
                    "diversity.alpha_metrics; add it there or drop it here"
                )
    paired = st.get("paired", {})
    if paired.get("enabled"):
        cols = [paired["subject_column"], paired["site_column"]]
        missing = [c for c in cols if c not in samples.columns]
        if missing:
            problems += [
                f"{source}: key stats.paired: {sheet} has no column {c!r}"
                for c in missing
            ]
        else:
            sites = samples.groupby(paired["subject_column"])[paired["site_column"]]
            both = sites.agg(lambda v: {paired["gut"], paired["lung"]} <= set(v))
            if int(both.sum()) < 4:
                problems.append(
                    f"{sheet}: stats.paired: {int(both.sum())} subjects have both a "
                    f"{paired['gut']!r} and a {paired['lung']!r} sample, at least 4 "
                    "are needed; set stats.paired.enabled: false"
                )
        if paired["metric"] not in config["diversity"].get("beta_metrics", []):
            problems.append(
                f"{source}: key stats.paired.metric: {paired['metric']} is not in "
                "diversity.beta_metrics; add it there"
            )
    return problems


def _decontam_problems(
    config: dict, samples: pd.DataFrame, *, source: str
) -> list[str]:
    """Controls, concentrations and batches decontam needs; the mock file."""
    settings = config.get("decontam")
    if not settings:
        return []
    problems: list[str] = []
    if settings.get("enabled", True):  # imported only then: scipy takes 1.6 s
        from .decontam import design_problems

        problems = design_problems(samples, settings, sheet=config["samples"])
    expected = settings["mock"]["expected"]
    if expected:
        from .decontam import read_expected

        if not Path(expected).is_file():
            problems.append(
                f"{source}: key decontam.mock.expected: {expected} does not exist; "
                "give the mock's expected composition (taxon, relative_abundance)"
            )
        else:
            try:
                read_expected(expected)
            except ValueError as err:
                problems.append(f"{err} (config key decontam.mock.expected)")
    return problems


def _maturity_problems(
    config: dict, samples: pd.DataFrame, *, source: str
) -> list[str]:
    from .maturity import check_design, select_samples

    m = config["maturity"]
    missing = [
        k
        for k in ("age_column", "subject_column", "reference_column")
        if m[k] not in samples.columns
    ]
    if missing:
        return [
            f"{source}: key maturity.{k}: {config['samples']} has no column "
            f"{m[k]!r}; name one of its columns"
            for k in missing
        ]
    try:
        md = select_samples(
            samples,
            age_column=m["age_column"],
            body_site=m["body_site"],
            max_age=m["max_age"],
            bin_edges=m["bin_edges"],
        )
        check_design(
            md,
            md[m["reference_column"]].astype(str) == m["reference_value"],
            age_column=m["age_column"],
            bin_column="age_bin",
            subject_column=m["subject_column"],
            n_folds=m["folds"],
            min_per_bin=m["min_per_bin"],
        )
    except ValueError as err:
        return [f"{config['samples']}: maturity: {err} (config key maturity)"]
    return []
