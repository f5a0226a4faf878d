"""Load and check the configuration.

The configuration: loading and validating it, and the pre-flight checks of
every analysis against the sample sheet before any job runs.

The config is checked against ``workflow/schemas/config.schema.yaml``
(:mod:`gutlung_pipeline.schema`), then each analysis against the sheet
(:mod:`gutlung_pipeline.inputs.sheet`): columns, levels, designs, blanks.
Every problem becomes one line naming the file, the row or sample, the column
or key, and the fix; all of them are reported at once in a :class:`ConfigError`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from .errors import ConfigError
from .io import read_yaml
from .schema import DEFAULT_SCHEMA_DIR, describe, fill_defaults, load_schema

__all__ = [
    "ConfigError",
    "load_config",
    "validate_config",
    "check_workflow_inputs",
    "maturity_warnings",
    "plan_warnings",
    "load_studies",
]


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
    filled = fill_defaults(config, schema)
    validator = Draft202012Validator(schema)
    problems = []
    for error in sorted(validator.iter_errors(filled), key=lambda e: list(e.path)):
        where, what = describe(error, schema)
        problems.append(f"{source}: key {where}: {what}")
    at_table = (filled.get("feature_table") or {}).get("table")
    if not filled.get("studies") and not at_table and "primers" not in filled:
        problems.append(
            f"{source}: key primers: missing; give primers.forward and "
            "primers.reverse (or list several study configs under studies, or "
            "enter at the table stage with feature_table.table)"
        )
    limits = filled.get("filter", {})
    if not problems and limits.get("min_length", 0) > limits.get("max_length", 1e9):
        problems.append(
            f"{source}: key filter.min_length: {limits['min_length']} is above "
            f"filter.max_length {limits['max_length']}, so no merged read can pass; "
            "lower min_length or raise max_length"
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


def check_workflow_inputs(
    config: dict,
    samples: pd.DataFrame,
    *,
    source: str = "config",
    analyses: bool = True,
    defer_analyses: bool = False,
) -> list[str]:
    """Check the validated config and sample sheet together, before any job.

    The report's ``diversity.group_column`` exists; the taxonomy reference is a file
    or a manifest entry; and, with ``maturity.enabled``, the maturity design
    (columns, reference ages and subjects, folds, reference samples per bin);
    the primers start the first reads of each run's first local sample as
    ``primers.in_reads`` says;
    each stats analysis; and decontam's needs (negative controls, DNA
    concentrations and batches per body site, the mock composition file).
    Used by the workflow and by ``gutlung validate``, so both agree.
    ``analyses=False`` (a study of a combined run, whose diversity runs on the
    merged table) leaves out the checks of ``diversity``.

    ``defer_analyses=True`` (a run that asked for other outputs than the whole
    workflow's) returns the problems of the optional analyses (maturity and
    the stats analyses) instead of raising them, so that an analysis that
    cannot run on this data does not stop a run that did not ask for it.

    Returns
    -------
    list of str
        The deferred problems (empty unless ``defer_analyses``).

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
    problems += _primer_problems(config, samples, source=source)
    reference = config["taxonomy"]["reference"]
    if not Path(reference).is_file():
        # the shipped manifest also when run outside the repository
        manifest = _shipped(config["taxonomy"]["manifest"], DEFAULT_SCHEMA_DIR)
        names = list(read_yaml(manifest)) if Path(manifest).is_file() else []
        if reference not in names:
            problems.append(
                f"{source}: key taxonomy.reference: {reference} is neither a file nor "
                f"an entry of {manifest} ({', '.join(names)}); give a SINTAX FASTA "
                "or an entry name"
            )
    optional: list[str] = []
    if config.get("maturity", {}).get("enabled"):
        optional += _maturity_problems(config, samples, source=source)
    optional += _stats_problems(config, samples, source=source)
    if not defer_analyses:
        problems += optional
        optional = []
    problems += _decontam_problems(config, samples, source=source)
    if analyses:
        problems += _diversity_problems(config, samples, source=source)
        problems += _depth_problems(config, samples, source=source)
    scfa = config.get("scfa") or {}
    if scfa.get("enabled") and scfa.get("producers"):
        from .scfa import load_producers

        if not Path(scfa["producers"]).is_file():
            problems.append(
                f"{source}: key scfa.producers: {scfa['producers']} not found; give "
                "a table in the format of resources/scfa/producers.tsv, or null "
                "for the shipped one"
            )
        else:
            try:
                load_producers(scfa["producers"])
            except ConfigError as err:
                problems += err.problems
    if config.get("claims", {}).get("enabled"):
        from .claims import load_catalogue

        try:
            load_catalogue(config["claims"]["catalogue"] or None)
        except ConfigError as err:
            problems += err.problems
    if problems:
        raise ConfigError(problems)
    return optional


def plan_warnings(config: dict, samples: pd.DataFrame) -> list[str]:
    """Return every warning of the plan.

    :func:`maturity_warnings`, too few negative controls for a site's
    prevalence test (:func:`gutlung_pipeline.decontam.decontam_warnings`),
    and organelle or unassigned features removed while decontam is off.
    """
    out = maturity_warnings(config, samples)
    d = config.get("decontam") or {}
    if d.get("enabled"):  # imported only then: scipy takes 1.6 s
        from .decontam import decontam_warnings

        out += decontam_warnings(samples, d)
    if (
        d
        and not d.get("enabled")
        and (d.get("remove_taxa") or d.get("remove_unassigned"))
    ):
        what = (
            [f"features of {', '.join(d['remove_taxa'])}"]
            if d.get("remove_taxa")
            else []
        )
        if d.get("remove_unassigned"):
            what.append("features of no bacterial or archaeal domain")
        out.append(
            f"decontam.enabled is false, but {' and '.join(what)} are still removed "
            "from the analysis table (decontam.remove_taxa, "
            "decontam.remove_unassigned); set those to [] and false to keep them"
        )
    return out


def maturity_warnings(config: dict, samples: pd.DataFrame) -> list[str]:
    """Return the plan's warnings (not errors).

    Warnings of the plan (not errors): claims on maturity scores whose
    target age is in the oldest reference age bin
    (:func:`gutlung_pipeline.maturity.edge_note`), naming the method.
    """
    m = config.get("maturity") or {}
    if not (m.get("enabled") and (config.get("claims") or {}).get("enabled")):
        return []
    from .claims import load_catalogue
    from .maturity import edge_note

    try:
        claims = load_catalogue(config["claims"]["catalogue"] or None)
        md, reference = _maturity_design(m, samples)
    except (ConfigError, ValueError):
        return []  # reported as problems
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
    """Check the feature table entry's files against the sheet.

    The table, sequences, taxonomy and tree files exist; the table has a
    column for every sample of the sheet (read from its header only); its
    feature IDs are sequences unless a FASTA is given; every feature is a tip
    of the study's tree when one is given.
    """
    from .inputs.feature_table import SEQUENCE
    from .io import table_feature_ids, table_sample_ids

    entry = config.get("feature_table", {})
    if not entry.get("table"):
        return []
    problems = []
    for key in ("table", "sequences", "taxonomy", "tree"):
        path = entry.get(key)
        if path and not Path(path).is_file():
            problems.append(
                f"{source}: key feature_table.{key}: file {path} not found; fix the "
                "path (relative to the directory Snakemake runs in)"
            )
    if problems:
        return problems
    if entry.get("taxonomy"):
        from .io import read_taxonomy

        try:
            read_taxonomy(entry["taxonomy"])
        except ValueError as err:
            problems.append(f"{source}: key feature_table.taxonomy: {err}")
    ids = table_sample_ids(entry["table"])
    if ids is not None:
        lacking = [s for s in samples.index if s not in set(ids)]
        if lacking:
            shown = ", ".join(lacking[:5]) + (", ..." if len(lacking) > 5 else "")
            problems.append(
                f"{entry['table']}: no column for sample(s) {shown} of the sheet; "
                "fix the sample IDs or drop those rows"
            )
    features = table_feature_ids(entry["table"])
    if features is None:
        return problems
    if not entry.get("sequences"):
        bad = [f for f in features if not SEQUENCE.match(f.upper())]
        if bad:
            problems.append(
                f"{source}: key feature_table.sequences: feature {bad[0]!r} of "
                f"{entry['table']} is not a sequence ({len(bad)} of {len(features)} "
                "are not); give the FASTA of the features (for closed-reference "
                "OTUs, the reference's representative sequences)"
            )
    if entry.get("tree"):
        from skbio import TreeNode

        tips = {t.name for t in TreeNode.read(entry["tree"]).tips()}
        absent = [f for f in features if f not in tips]
        if absent:
            problems.append(
                f"{source}: key feature_table.tree: feature {absent[0]} of "
                f"{entry['table']} is not a tip of {entry['tree']} ({len(absent)} "
                f"of {len(features)} are not); give the tree the table was made "
                "with, or leave feature_table.tree empty (a tree is then built)"
            )
    return problems


def _depth_problems(config: dict, samples: pd.DataFrame, *, source: str) -> list[str]:
    """At the table stage: some sample of the sheet reaches the rarefaction depth.

    The table's counts are read (only the sheet's samples that are not
    controls or mocks), so a table the import would refuse (a repeated
    feature or sample, a count that is not a whole number) or one without
    reads stops here; with reads, the depth is known only once the ASV table
    exists, and the ``alpha_diversity`` job (its rarefaction) says the same then.
    """
    from .io import read_table_subset

    depth = config.get("diversity", {}).get("rarefaction_depth")
    entry = config.get("feature_table", {})
    if not depth or not entry.get("table") or "sample_type" not in samples:
        return []
    if entry["table"].endswith(".qza") or not Path(entry["table"]).is_file():
        return []
    biological = samples.index[
        ~samples["sample_type"].isin(["negative_control", "mock"])
    ].tolist()
    if not biological:
        return []
    try:
        counts = read_table_subset(entry["table"], biological)
    except ValueError as err:  # duplicates, a count that is not whole: say it now
        return [" ".join(str(err).split())]
    except (KeyError, OSError):
        return []  # the import says what is wrong with the table
    if counts.empty:
        return [
            f"{entry['table']}: holds no features with reads in the sheet's "
            "samples; give the study's table (or check its sample IDs)"
        ]
    totals = counts.sum(axis=0)
    if (totals >= depth).any():
        return []
    return [
        f"{source}: key diversity.rarefaction_depth: no sample of the sheet "
        f"reaches {depth} reads in {entry['table']} (the deepest, "
        f"{totals.idxmax()}, has {int(totals.max())}); lower "
        "diversity.rarefaction_depth"
    ]


def _primer_problems(config: dict, samples: pd.DataFrame, *, source: str) -> list[str]:
    """Check the primers on the first 500 reads of each run's first sample.

    With ``primers.in_reads`` the primers must start at least ``qc.min_kept``
    of them (else the primer step would lose the run, after every sample had
    been read); without, they must start fewer than half (else the primers
    stay in the ASVs). Local files only; 0 for ``qc.min_kept`` skips the check.
    """
    from .quality import primer_match_rate

    if config.get("feature_table", {}).get("table") or "fq1" not in samples:
        return []
    if "primers" not in config:  # a combined run: each study checked its own
        return []
    primers, min_kept = config["primers"], config["qc"]["min_kept"]
    if min_kept <= 0:
        return []
    problems = []
    local = samples[samples["fq1"].fillna("") != ""]
    for run, rows in local.groupby("run", sort=False):
        row = rows.iloc[0]
        mates = [("fq1", "forward")]
        if str(row.get("fq2") or ""):
            mates.append(("fq2", "reverse"))
        for col, which in mates:
            path = str(row[col])
            if not Path(path).is_file():
                continue
            try:
                hits, seen = primer_match_rate(
                    path, primers[which], error_rate=primers["error_rate"]
                )
            except (EOFError, OSError):  # the sheet's check names the file
                continue
            if not seen:
                continue
            said = (
                f"{source}: run {run}: the {which} primer {primers[which]} starts "
                f"{hits} of the first {seen} reads of sample {row['sample_id']} "
                f"({path}, {100 * hits / seen:.0f}%)"
            )
            if primers["in_reads"] and hits < min_kept * seen:
                problems.append(
                    f"{said}; check primers.{which} (5'->3' as ordered), or set "
                    "primers.in_reads: false if the reads start after the primer"
                )
            elif not primers["in_reads"] and hits >= seen / 2:
                problems.append(
                    f"{said} but primers.in_reads is false, so the primers would "
                    "stay in the ASVs; set primers.in_reads: true"
                )
    return problems


def _diversity_problems(
    config: dict, samples: pd.DataFrame, *, source: str
) -> list[str]:
    """Check that the sheet has the samples the beta metrics need.

    ``robust_aitchison`` completes a rank-3 matrix: it needs 4 samples left
    in the analysis table (controls and mocks leave it).
    """
    metrics = config.get("diversity", {}).get("beta_metrics") or []
    if "robust_aitchison" not in metrics or "sample_type" not in samples:
        return []
    n = int((~samples["sample_type"].isin(["negative_control", "mock"])).sum())
    if n >= 4:
        return []
    return [
        f"{source}: key diversity.beta_metrics: robust_aitchison needs at least 4 "
        f"samples (rank-3 matrix completion) and the sheet has {n} besides "
        "controls and mocks; drop robust_aitchison from diversity.beta_metrics"
    ]


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
        """List the analyses whose ``where:`` can be applied, with their samples.

        (config key, analysis, its samples) for each analysis whose where:
        can be applied; a where: naming a missing column is a problem.
        """
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
            )
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
    """List what decontam needs and lacks: controls, concentrations, batches, mock."""
    settings = config.get("decontam")
    if not settings:
        return []
    problems: list[str] = []
    if settings.get("enabled", True):  # imported only then: scipy takes 1.6 s
        from .decontam import decontam_problems

        problems = decontam_problems(samples, settings, sheet=config["samples"])
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


def _maturity_design(m: dict, samples: pd.DataFrame):
    """Pick the samples the maturity step scores and its reference.

    The samples the maturity step scores (with ``age_bin``) and its
    reference mask, from the config's ``maturity`` section.
    """
    from .maturity import scored_samples

    md = scored_samples(
        samples,
        age_column=m["age_column"],
        body_site=m["body_site"],
        max_age=m["max_age"],
        bin_edges=m["bin_edges"],
    )
    return md, md[m["reference_column"]].astype(str) == m["reference_value"]


def _maturity_problems(
    config: dict, samples: pd.DataFrame, *, source: str
) -> list[str]:
    from .maturity import check_design

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
        md, reference = _maturity_design(m, samples)
        check_design(
            md,
            reference,
            age_column=m["age_column"],
            bin_column="age_bin",
            subject_column=m["subject_column"],
            n_folds=m["folds"],
            min_per_bin=m["min_per_bin"],
        )
    except ValueError as err:
        return [f"{config['samples']}: maturity: {err} (config key maturity)"]
    return []


# ------------------------------------------------------- several studies
def load_studies(
    config: dict, *, source: str, schema_dir=None, offline: bool = False
) -> dict:
    """Validate each study's config and plan its samples, before any job.

    ``config["studies"]`` maps a study name to its config file. A study config
    is an ordinary single-study config; it may not list studies itself. The
    combined config's ``seed`` replaces each study's, so one seed reaches
    every random step.

    Raises
    ------
    ConfigError
        One line per problem, naming the file, the study and the fix.
    """
    from .inputs.plan import plan_from_config
    from .inputs.studies import STUDY_NAME, Study

    problems: list[str] = []
    studies: dict[str, Study] = {}
    for name, path in config["studies"].items():
        where = f"{source}: key studies.{name}"
        if not STUDY_NAME.match(name):
            problems.append(
                f"{where}: the study name must start with a letter and hold only "
                "letters, digits and _ (at most 40); rename it"
            )
            continue
        try:
            study_config = load_config(path, schema_dir=schema_dir)
            if study_config.get("studies"):
                raise ConfigError(
                    [
                        f"{path}: key studies: a study config lists studies itself; "
                        "list every study in the combined config instead"
                    ]
                )
            taxonomy = study_config["taxonomy"]
            taxonomy["manifest"] = _shipped(taxonomy["manifest"], schema_dir)
            # one seed reaches every random step of the run
            study_config["seed"] = config["seed"]
            plan = plan_from_config(
                study_config, schema_dir=schema_dir, offline=offline
            )
            check_workflow_inputs(
                study_config, plan.sheet, source=str(path), analyses=False
            )
        except ConfigError as err:
            problems += [f"{where}: {p}" for p in err.problems]
            continue
        studies[name] = Study(name, str(path), study_config, plan)
    if not problems:
        manifest = _shipped(config["taxonomy"]["manifest"], schema_dir)
        problems += _shared_problems(studies, config, manifest, source=source)
    if problems:
        raise ConfigError(problems)
    return studies


def _shipped(manifest: str, schema_dir) -> str:
    """Return the manifest as given, or the repository's.

    The manifest as given, or the repository's (next to the schemas) when
    the relative path does not exist from here.
    """
    root = Path(schema_dir).parents[1] if schema_dir else None
    if not Path(manifest).is_file() and root and (root / manifest).is_file():
        return str(root / manifest)
    return manifest


def _shared_problems(studies: dict, config: dict, manifest: str, *, source: str):
    """List what the studies may not share and what they must.

    What the studies may not share (sample IDs, runs) and what they must
    (the taxonomy manifest of the one reference download rule).
    """
    problems = []
    owner: dict[str, str] = {}
    runs: dict[str, str] = {}
    for name, study in studies.items():
        sheet = study.plan.sheet
        for sample in sheet.index:
            if sample in owner:
                problems.append(
                    f"{source}: sample {sample} is in both studies {owner[sample]} "
                    f"and {name}; sample IDs must be unique across studies: rename "
                    "it in one sheet (or map another sample_id in its mapping)"
                )
            owner.setdefault(sample, name)
        for run in sheet.loc[study.plan.remote, "run_accession"]:
            if run in runs:
                problems.append(
                    f"{source}: run {run} is in both studies {runs[run]} and {name}; "
                    "list each run in one study only"
                )
            runs.setdefault(run, name)
        if not study.config["feature_table"]["taxonomy"]:
            mine = Path(study.config["taxonomy"]["manifest"]).resolve()
            if mine != Path(manifest).resolve():
                problems.append(
                    f"{source}: key studies.{name}: its taxonomy.manifest "
                    f"({study.config['taxonomy']['manifest']}) differs from the "
                    f"combined config's ({config['taxonomy']['manifest']}); one "
                    "manifest serves every study: set the same file in both"
                )
    # metrics that need one tree over all features: none spans the studies
    from .diversity import PHYLOGENETIC

    for key in ("alpha_metrics", "beta_metrics"):
        tree = sorted(PHYLOGENETIC.intersection(config["diversity"][key]))
        if tree:
            problems.append(
                f"{source}: key diversity.{key}: {', '.join(tree)} need(s) one tree "
                "over all features, and studies merged at a taxonomic rank have "
                "none; drop them (each study's own tree is in its results)"
            )
    return problems
