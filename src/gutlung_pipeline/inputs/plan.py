"""Which samples a run has, before any job.

Which samples a run has, before any job: the sheet's rows and the runs of
the configured ENA accessions, harmonised by the study's mapping.

:func:`plan_samples` is called twice with the same arguments: when the
workflow is parsed (it may then ask ENA, once; answers are kept in the cache)
and by the ``acquisition`` job (offline, from the kept answers), which adds
the downloaded files and leaves failed runs out (:func:`finish_samples`).
So the plan Snakemake builds and the sheet the analysis reads cannot disagree.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import ConfigError
from . import ena
from .mapping import harmonise, load_mapping
from .sheet import read_sample_sheet, validate_samples

__all__ = [
    "Plan",
    "default_cache",
    "plan_samples",
    "plan_from_config",
    "finish_samples",
]


UNMAPPED = ["column", "attribute", "value", "n", "samples", "accession"]
DROPPED = ["sample_id", "run_accession", "reason", "accession"]


def default_cache() -> Path:
    """``$XDG_CACHE_HOME/gutlung-pipeline/ena`` (``~/.cache/...``)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "gutlung-pipeline" / "ena"


@dataclass
class Plan:
    """A run's sample plan.

    The planned sheet (validated, typed; remote rows without fq1), the
    download cache, the filereport holding each run to fetch, each run's ENA
    row, the values no mapping named, the rows left out, and the files the
    plan was built from.
    """

    sheet: pd.DataFrame
    cache: Path = field(default_factory=default_cache)
    reports: dict[str, Path] = field(default_factory=dict)
    runs: dict[str, pd.Series] = field(default_factory=dict)
    unmapped: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=UNMAPPED)
    )
    dropped: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=DROPPED))
    sources: list[str] = field(default_factory=list)

    @property
    def remote(self) -> list[str]:
        """Samples whose reads come from ENA (a run accession and no fq1)."""
        wanted = self.sheet["run_accession"].where(self.sheet["fq1"].isna())
        return [s for s, r in wanted.items() if r in self.runs]

    @property
    def paired(self) -> bool:
        """Whether the planned runs are paired-end."""
        return bool((self.sheet["library_layout"] == "paired").any())


def _read_attributes(path: Path) -> pd.DataFrame:
    sep = "," if path.suffix.lower() == ".csv" else "\t"
    try:
        return pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise ConfigError(
            [f"{path}: metadata file not found; fix acquire.metadata in the config"]
        ) from None


def _report(acc: str, cache: Path, fetch: dict | None) -> Path:
    """Return the saved filereport of ``acc`` (fetched first with ``fetch``)."""
    saved = cache / "filereport" / f"{acc}.tsv"
    if fetch is None:
        if not saved.is_file():
            raise ConfigError(
                [
                    f"{saved}: no saved ENA filereport for {acc}; run the workflow "
                    "(it asks ENA when it plans) or gutlung fetch-runs first"
                ]
            )
        return saved
    try:
        return ena.cached_filereport(acc, cache, **fetch)
    except (ena.DownloadError, ValueError) as err:
        raise ConfigError(
            [
                f"acquire.accessions: {acc}: {err}; check the accession and the "
                "network (or put the filereport in the cache's filereport/ folder)"
            ]
        ) from None


def _mapped_rows(rows: pd.DataFrame, *, run: str) -> pd.DataFrame:
    """Make sheet rows from a mapping.

    Sheet rows from a mapping: ``run`` where the mapping sets none, and a
    sample without a subject (a blank, a mock) is its own subject.
    """
    if "run" not in rows.columns:
        rows["run"] = run
    if "subject_id" not in rows.columns:
        rows["subject_id"] = ""
    rows["subject_id"] = rows["subject_id"].where(
        rows["subject_id"] != "", rows["sample_id"]
    )
    return rows


def plan_samples(
    *,
    sheet: str | os.PathLike | None,
    accessions: list[str],
    mapping: str | os.PathLike | None,
    metadata: str = "ena",
    cache: str | os.PathLike,
    fetch: dict | None = None,
    browser_url: str = ena.ENA_BROWSER,
    check_files: bool = True,
    reads: bool = True,
    schema_dir=None,
) -> Plan:
    """Plan the samples of a run.

    The samples of a run: rows of ``sheet`` (local FASTQ or run_accession)
    plus the runs of ``accessions`` mapped by ``mapping``; without accessions,
    a ``metadata`` file mapped by ``mapping`` gives one row per line (a study
    entering as a table with, for example, its Qiita sample-information file).

    ``fetch`` (keyword options of :func:`ena.fetch_filereport_text`:
    base_url, retries, backoff, timeout) lets it ask ENA for what the cache
    lacks; ``None`` plans offline from the cache. Every row gets
    ``library_layout`` (paired/single, from fq2 or ENA's report).

    Raises :class:`ConfigError` (one line per problem) for a bad sheet or
    mapping, unmapped values, a run ENA does not list, or mixed layouts.
    """
    cache = Path(cache)
    parts, reports, runs, sources = [], {}, {}, []
    unmapped, dropped = [], []

    def remember(report_path: Path) -> pd.DataFrame:
        table = ena.read_filereport(report_path)
        for _, row in table.iterrows():
            reports.setdefault(row["run_accession"], report_path)
            runs.setdefault(row["run_accession"], row)
        sources.append(str(report_path))
        return table

    if accessions:
        if not mapping:
            raise ConfigError(
                [
                    "acquire.mapping: accessions are listed but no mapping; give the "
                    "study's mapping YAML (see config/studies/ and config/README.md)"
                ]
            )
        spec = load_mapping(mapping, schema_dir=schema_dir)
        sources.append(str(mapping))
        for acc in accessions:
            table = remember(_report(acc, cache, fetch)).drop(columns="files")
            if metadata == "ena":
                if fetch is None:
                    attrs = cache / "attributes" / f"{acc}.tsv"
                    if not attrs.is_file():
                        raise ConfigError(
                            [
                                f"{attrs}: no saved ENA sample attributes for "
                                f"{acc}; run the workflow (it asks ENA when it "
                                "plans) first"
                            ]
                        )
                else:
                    try:
                        attrs = ena.cached_sample_attributes(
                            acc,
                            list(table["sample_accession"]),
                            cache,
                            base_url=browser_url,
                            **{k: v for k, v in fetch.items() if k != "base_url"},
                        )
                    except (ena.DownloadError, ValueError) as err:
                        raise ConfigError([f"acquire.metadata: {acc}: {err}"]) from None
            else:
                attrs = Path(metadata)
            sources.append(str(attrs))
            done = harmonise(table, _read_attributes(attrs), spec, default_study=acc)
            parts.append(_mapped_rows(done.sheet, run=acc))
            unmapped.append(done.unmapped.assign(accession=acc))
            dropped.append(done.dropped.assign(accession=acc))
    elif mapping and metadata != "ena":
        # a study entering as a table with its metadata file (a Qiita
        # sample-information file): every row of the file is a sample
        spec = load_mapping(mapping, schema_dir=schema_dir)
        sources += [str(mapping), str(metadata)]
        study = spec.get("study") or Path(metadata).stem
        done = harmonise(
            _read_attributes(Path(metadata)), None, spec, default_study=study
        )
        parts.append(_mapped_rows(done.sheet, run=study))
        unmapped.append(done.unmapped.assign(accession=""))
        dropped.append(done.dropped.assign(accession=""))

    source = str(sheet) if sheet else "acquire"
    if sheet:
        local = read_sample_sheet(sheet)
        sources.append(str(sheet))
        if "run_accession" in local.columns:
            wanted = local["run_accession"]
            fq1 = local["fq1"] if "fq1" in local.columns else ""
            for run in wanted[(wanted != "") & (fq1 == "")]:
                if run not in runs:
                    remember(_report(run, cache, fetch))
        parts.insert(0, local)
    n_sheet = len(parts[0]) if sheet else 0  # the sheet's rows come first
    if not parts:
        raise ConfigError(
            [
                "config: no samples; set 'samples' (a sample sheet) or "
                "acquire.accessions with acquire.mapping"
            ]
        )
    planned = pd.concat(parts, ignore_index=True).fillna("")
    if "run_accession" not in planned.columns:
        planned["run_accession"] = ""
    for col in ("fq1", "fq2"):
        if col not in planned.columns:
            planned[col] = ""
    remote = (planned["fq1"] == "") & (planned["run_accession"] != "")
    layout = pd.Series("single", index=planned.index)
    layout[planned["fq2"] != ""] = "paired"
    for i in planned.index[remote]:
        run = planned.at[i, "run_accession"]
        if run not in runs:
            raise ConfigError(
                [
                    f"{source}: sample {planned.at[i, 'sample_id']}: run {run} is not "
                    "in ENA's report; check the accession"
                ]
            )
        layout[i] = runs[run]["library_layout"]
    planned["library_layout"] = layout
    if layout.nunique() > 1:
        counts = layout.value_counts()
        fewer = counts.index[-1]
        rows = planned.index[layout == fewer]
        names = [
            f"{planned.at[i, 'sample_id']}" + (f" (row {i + 2})" if i < n_sheet else "")
            for i in rows[:5]
        ]
        shown = ", ".join(names) + (", ..." if len(rows) > 5 else "")
        said = ", ".join(f"{n} {kind}-end" for kind, n in counts.items())
        raise ConfigError(
            [
                f"{source}: the samples mix paired-end and single-end runs "
                f"({said}); {fewer}-end: {shown}; "
                + (
                    "give them their R2 file (fq2), or run each layout as its own study"
                    if fewer == "single"
                    else "run each layout as its own study"
                )
            ]
        )
    typed = validate_samples(
        planned,
        source=source,
        check_files=check_files,
        schema_dir=schema_dir,
        reads=reads,
    )
    concat = [d for d in unmapped if len(d)]
    return Plan(
        sheet=typed,
        cache=cache,
        reports=reports,
        runs=runs,
        unmapped=pd.concat(concat) if concat else pd.DataFrame(columns=UNMAPPED),
        dropped=pd.concat(dropped) if dropped else pd.DataFrame(columns=DROPPED),
        sources=list(dict.fromkeys(sources)),
    )


def plan_from_config(
    config: dict, *, offline: bool = False, check_files: bool = True, schema_dir=None
) -> Plan:
    """Plan the samples of a validated config.

    :func:`plan_samples` with a validated config's ``samples`` and
    ``acquire`` keys (the workflow and ``gutlung validate`` both use this).
    """
    acq = config["acquire"]
    table = config.get("feature_table", {}).get("table")
    if table and acq["accessions"]:
        raise ConfigError(
            [
                "config: feature_table.table and acquire.accessions are both set; a "
                "study enters as reads or as a table: run them as separate studies"
            ]
        )
    fetch = {
        "base_url": acq["portal_url"],
        "retries": acq["retries"],
        "backoff": acq["backoff"],
        "timeout": acq["timeout"],
    }
    return plan_samples(
        sheet=config["samples"],
        accessions=acq["accessions"],
        mapping=acq["mapping"],
        metadata=acq["metadata"],
        cache=acq["cache"] or default_cache(),
        fetch=None if offline else fetch,
        browser_url=acq["browser_url"],
        check_files=check_files,
        reads=not table,
        schema_dir=schema_dir,
    )


def writes_sheet(config: dict, plan: Plan) -> bool:
    """Tell whether the workflow writes the analysis sheet.

    Whether the workflow writes the analysis sheet (results/acquire/
    samples.tsv) instead of reading the configured one: runs come from ENA, or
    a table's samples come from its metadata file through a mapping.
    """
    table = config["feature_table"]["table"]
    return bool(plan.remote) or bool(table and config["acquire"]["mapping"])


def finish_samples(
    plan: Plan, statuses: list[dict]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Make the analysis sheet and the per-run table after the downloads.

    The analysis sheet (downloaded files in fq1/fq2, failed runs left out;
    empty when every run failed) and the per-run table (sample_id,
    run_accession, status, reason, files).
    """
    by_run = {s["run_accession"]: s for s in statuses}
    sheet = plan.sheet.copy()
    sheet[["fq1", "fq2"]] = sheet[["fq1", "fq2"]].astype(object)
    rows, drop = [], []
    for sample in plan.remote:
        run = sheet.at[sample, "run_accession"]
        status = by_run.get(run)
        if status is None:
            raise ValueError(f"no download status for run {run} (sample {sample})")
        rows.append({"sample_id": sample, **status})
        if status["status"] != "ok":
            drop.append(sample)
            continue
        sheet.at[sample, "fq1"] = status["fq1"]
        sheet.at[sample, "fq2"] = status["fq2"] or None
    sheet = sheet.drop(index=drop)
    columns = [
        "sample_id",
        "run_accession",
        "status",
        "reason",
        "library_layout",
        "instrument_model",
        "sample_accession",
        "fq1",
        "fq2",
    ]
    return sheet, pd.DataFrame(rows).reindex(columns=columns)
