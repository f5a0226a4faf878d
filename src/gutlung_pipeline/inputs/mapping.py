"""Public metadata into the canonical sample sheet, by a per-study mapping.

A study's sample attributes (ENA's, or a sample-information file such as a
Qiita export) use the submitters' words: ``lung_disease``, ``age_years``,
``UBERON:feces``. A mapping YAML (``workflow/schemas/mapping.schema.yaml``,
explained in config/README.md) says, per canonical column of the sheet, which
attribute it comes from, how its values translate (``values``) and in which
unit its numbers are (``unit``: converted, e.g. years to days). Rows are
joined to the ENA runs, filtered by ``keep`` and mapped; a value the mapping
does not name is **reported, never guessed**: by default it stops the run
(``on_unmapped: error``), otherwise it becomes missing and is listed in the
unmapped-values table. The INSDC missing-value terms (``not collected``,
``not provided``, ``missing: control sample``...) are read as missing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import ConfigError

__all__ = ["MISSING_TERMS", "UNITS", "Harmonised", "load_mapping", "harmonise"]

#: Read as missing in every column (INSDC's missing-value vocabulary and the
#: usual spreadsheet spellings); compared case-insensitively.
MISSING_TERMS = frozenset(
    {
        "",
        "na",
        "n/a",
        "nan",
        "null",
        "not applicable",
        "not collected",
        "not provided",
        "restricted access",
        "unknown",
        "unspecified",
        "missing",
    }
)

#: Numeric canonical columns, their unit, and factors from source units.
_DAYS = {
    "days": 1.0,
    "day": 1.0,
    "d": 1.0,
    "weeks": 7.0,
    "week": 7.0,
    "months": 30.4375,
    "month": 30.4375,
    "years": 365.25,
    "year": 365.25,
    "hours": 1 / 24,
    "hour": 1 / 24,
}
UNITS: dict[str, tuple[str, dict[str, float]]] = {
    "age_days": ("days", _DAYS),
    "asthma_age_days": ("days", _DAYS),
    "dna_conc": (
        "ng/ul",
        {"ng/ul": 1.0, "ng/µl": 1.0, "ug/ml": 1.0, "ng/ml": 1e-3, "pg/ul": 1e-3},
    ),
}


@dataclass
class Harmonised:
    """The result of :func:`harmonise`.

    The canonical sheet (one row per run, not yet validated), the values no
    mapping named (column, attribute, value, n, samples) and the rows left
    out with the reason (sample_id, run_accession, reason).
    """

    sheet: pd.DataFrame
    unmapped: pd.DataFrame
    dropped: pd.DataFrame


#: Columns whose source value is kept (as ``<column>_original``) where the
#: mapping maps it to ``other``: a skin or soil sample stays recognisable.
KEEP_ORIGINAL = ("body_site", "sample_type")


def load_mapping(path: str | os.PathLike, *, schema_dir=None) -> dict:
    """Read and check a mapping YAML; defaults filled in.

    Raises :class:`ConfigError` with one line per problem (file, key, fix).
    """
    from jsonschema import Draft202012Validator

    from ..io import read_yaml
    from ..schema import describe, fill_defaults, load_schema

    try:
        doc = read_yaml(path)
    except FileNotFoundError:
        raise ConfigError(
            [f"{path}: mapping file not found; fix acquire.mapping in the config"]
        ) from None
    schema = load_schema("mapping", schema_dir)
    if not isinstance(doc, dict):
        raise ConfigError([f"{path}: not a YAML mapping; see config/README.md"])
    problems = []
    for name, spec in (doc.get("columns") or {}).items():
        if isinstance(spec, dict) and ("from" in spec) == ("value" in spec):
            problems.append(
                f"{path}: key columns.{name}: give exactly one of 'from' (an "
                "attribute) or 'value' (a constant)"
            )
        unit = spec.get("unit") if isinstance(spec, dict) else None
        if unit is not None:
            if name not in UNITS:
                problems.append(
                    f"{path}: key columns.{name}.unit: {name} has no unit; remove "
                    f"'unit' (columns with units: {', '.join(UNITS)})"
                )
            elif unit.lower() not in UNITS[name][1]:
                known = ", ".join(UNITS[name][1])
                problems.append(
                    f"{path}: key columns.{name}.unit: {unit!r} is not known; use "
                    f"one of: {known}"
                )
    if not problems:
        validator = Draft202012Validator(schema)
        for error in sorted(validator.iter_errors(doc), key=lambda e: list(e.path)):
            where, what = describe(error, schema)
            problems.append(f"{path}: key {where}: {what}")
    if problems:
        raise ConfigError(problems)
    mapping = fill_defaults(doc, schema)
    mapping["source_file"] = str(path)
    return mapping


def _norm(values: pd.Series) -> pd.Series:
    return values.astype(str).str.strip().str.casefold()


def _examples(ids: pd.Series, k: int = 3) -> str:
    shown = ", ".join(ids.iloc[:k])
    return shown + (", ..." if len(ids) > k else "")


def harmonise(
    runs: pd.DataFrame,
    metadata: pd.DataFrame | None,
    mapping: dict,
    *,
    default_study: str = "",
) -> Harmonised:
    """Map ENA runs and their metadata into the canonical sheet columns.

    Map ``runs`` (ENA filereport rows, strings) joined to ``metadata``
    (attributes, strings; ``None`` when the runs' own fields suffice) into the
    canonical sheet columns.

    Raises
    ------
    ConfigError
        With ``on_unmapped: error``, one line per unmapped value (column,
        attribute, value, how many samples, examples, the fix); also for an
        attribute the data lack and for duplicate sample IDs.
    """
    source = mapping.get("source_file", "mapping")
    table = runs.copy()
    if metadata is not None:
        left, right = mapping["join"]["ena"], mapping["join"]["metadata"]
        if right not in metadata.columns:
            raise ConfigError(
                [
                    f"{source}: key join.metadata: the metadata has no column "
                    f"{right!r}; name the column holding the sample's ENA "
                    f"{left} (columns: {', '.join(metadata.columns[:8])}...)"
                ]
            )
        meta = metadata.drop_duplicates(subset=[right]).set_index(right)
        meta = meta.drop(columns=[c for c in meta.columns if c in table.columns])
        unmatched = ~table[left].isin(meta.index)
        table = table.join(meta, on=left)
    else:
        unmatched = pd.Series(False, index=table.index)
    table = table.fillna("").astype(str)
    missing_terms = MISSING_TERMS | {m.strip().casefold() for m in mapping["missing"]}

    needed = set(mapping["keep"]) | set(mapping["passthrough"]) | {mapping["sample_id"]}
    needed |= {s["from"] for s in mapping["columns"].values() if "from" in s}
    absent = sorted(c for c in needed if c not in table.columns)
    if absent:
        raise ConfigError(
            [
                f"{source}: attribute {c!r} is in neither the ENA report nor the "
                "metadata; fix the name in the mapping"
                for c in absent
            ]
        )

    sid = table[mapping["sample_id"]].str.strip()
    # a sample-information file mapped alone (a table's samples) has no runs
    run = table.get("run_accession", pd.Series("", index=table.index))
    dropped = []
    keep = ~np.asarray(unmatched, dtype=bool)
    for i in np.flatnonzero(~keep):
        dropped.append((sid.iloc[i], run.iloc[i], "no metadata row for this sample"))
    for column, allowed in mapping["keep"].items():
        ok = _norm(table[column]).isin({str(v).strip().casefold() for v in allowed})
        for i in np.flatnonzero(keep & ~ok.to_numpy()):
            why = f"{column} = {table[column].iloc[i]!r} not kept"
            dropped.append((sid.iloc[i], run.iloc[i], why))
        keep &= ok.to_numpy()
    table, sid = table[keep], sid[keep]

    out = pd.DataFrame({"sample_id": sid.to_numpy()}, index=table.index)
    if "run_accession" in table.columns:
        out["run_accession"] = table["run_accession"]
    unmapped = []
    for column, spec in mapping["columns"].items():
        if "value" in spec:
            out[column] = str(spec["value"])
            continue
        raw = table[spec["from"]].str.strip()
        lowered = raw.str.casefold()
        is_missing = lowered.isin(missing_terms) | lowered.str.startswith("missing:")
        values = pd.Series("", index=raw.index, dtype=object)
        bad = pd.Series(False, index=raw.index)
        if spec.get("values"):
            lookup = {str(k).strip().casefold(): v for k, v in spec["values"].items()}
            hit = lowered.isin(lookup)
            # an explicit null maps to missing
            values[hit] = [
                "" if lookup[v] is None else str(lookup[v]) for v in lowered[hit]
            ]
            bad = ~hit & ~is_missing
        elif spec.get("unit"):
            factor = UNITS[column][1][spec["unit"].lower()]
            number = pd.to_numeric(raw.where(~is_missing), errors="coerce")
            bad = number.isna() & ~is_missing
            converted = number * factor
            values[number.notna()] = [f"{v:.10g}" for v in converted[number.notna()]]
        else:
            values[~is_missing] = raw[~is_missing]
        out[column] = values
        if column in KEEP_ORIGINAL and (values == "other").any():
            # never silently relabelled: the study's own word stays beside it
            out[f"{column}_original"] = raw.where(values == "other", "")
        for value, idx in raw[bad].groupby(raw[bad]).groups.items():
            unmapped.append(
                {
                    "column": column,
                    "attribute": spec["from"],
                    "value": value,
                    "n": len(idx),
                    "samples": _examples(sid.loc[idx]),
                }
            )
    for column in mapping["passthrough"]:
        if column not in out.columns:
            out[column] = table[column]
    if "study" not in out.columns:
        out["study"] = mapping.get("study") or default_study
    unmapped_df = pd.DataFrame(
        unmapped, columns=["column", "attribute", "value", "n", "samples"]
    )
    if len(unmapped_df) and mapping["on_unmapped"] == "error":
        raise ConfigError(
            [
                f"{source}: column {u.column} (from {u.attribute}): value {u.value!r} "
                f"in {u.n} sample(s) ({u.samples}) is not mapped; add it to "
                f"columns.{u.column}.values (null = missing) or to missing, or set "
                "on_unmapped: missing"
                for u in unmapped_df.itertuples()
            ]
        )
    dup = out["sample_id"][out["sample_id"].duplicated()]
    if len(dup):
        raise ConfigError(
            [
                f"{source}: key sample_id: {mapping['sample_id']} gives the same ID to "
                f"several runs ({_examples(dup.drop_duplicates())}); use run_accession"
            ]
        )
    return Harmonised(
        sheet=out.reset_index(drop=True),
        unmapped=unmapped_df,
        dropped=pd.DataFrame(dropped, columns=["sample_id", "run_accession", "reason"]),
    )
