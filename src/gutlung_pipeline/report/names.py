"""The report's figure names and the keys of its manifest.

The report's figure names (one SVG each under ``results/report/figures/``)
and the keys of its manifest.

Kept apart from the figures so that the workflow can name its outputs and
build the manifest without importing matplotlib at every start.
"""

from __future__ import annotations

FIGURES = (
    "read_tracking",
    "contamination",
    "genus_barplot",
    "rarefaction_curves",
    "alpha_body_site",
    "alpha_group",
    "pcoa",
)
DIFFERENTIAL_FIGURES = ("differential",)
CLAIMS_FIGURES = ("claims_forest",)
MATURITY_FIGURES = ("maturity_age", "maturity_maz", "maturity_taxa")
SCFA_FIGURES = ("scfa",)
QUALITY_FIGURES = ("read_quality",)

#: The files a report manifest names: key -> (several files?, what it is).
#: The first seven are required; each other one adds its section or figure.
MANIFEST_FILES = {
    "tracking": (False, "decontam/read_tracking.tsv"),
    "table": (False, "decontam/table.biom"),
    "taxonomy": (False, "taxonomy/taxonomy.tsv"),
    "samples": (False, "the sample sheet"),
    "alpha": (False, "diversity/alpha.tsv"),
    "rarefaction": (False, "diversity/rarefaction_summary.tsv"),
    "pcoa": (True, "diversity/pcoa/<metric>.txt"),
    "curves": (False, "diversity/rarefaction_curves_by_group.tsv"),
    "maturity": (False, "maturity/maturity.tsv: the maturity figures"),
    "importances": (False, "maturity/importances.tsv (with maturity)"),
    "scfa": (False, "scfa/indices.tsv: the SCFA-producer section"),
    "permanova": (True, "stats/permanova/<metric>.tsv"),
    "differential": (False, "stats/differential_abundance.tsv"),
    "mixed_models": (False, "stats/alpha_mixed_models.tsv"),
    "paired": (False, "stats/paired_gut_lung.tsv"),
    "paired_samples": (False, "stats/paired_lung_samples.tsv (with paired)"),
    "contaminants": (False, "decontam/contaminants.tsv: the contamination section"),
    "filtered": (False, "decontam/filtered_features.tsv (with contaminants)"),
    "signal": (False, "decontam/signal.tsv (with contaminants)"),
    "mock": (False, "decontam/mock.tsv (with contaminants)"),
    "mock_taxa": (False, "decontam/mock_taxa.tsv (with contaminants)"),
    "claims": (False, "associations/claims.tsv: the claims section"),
    "runs": (False, "acquire/runs.tsv: the public-data section"),
    "unmapped": (False, "acquire/unmapped_values.tsv (with runs)"),
    "dropped": (False, "acquire/dropped_samples.tsv (with runs)"),
    "studies": (False, "combined/studies.tsv: the merged studies"),
    "provenance": (False, "provenance/provenance.json: the last section"),
    "quality": (False, "qc/ (read-qc's folder): the read-quality section"),
}
REQUIRED_FILES = ("tracking", "table", "taxonomy", "samples", "alpha", "rarefaction")
#: Files that come together: the first brings the others.
TOGETHER = {
    "maturity": ("importances",),
    "contaminants": ("filtered", "signal", "mock", "mock_taxa"),
    "runs": ("unmapped", "dropped"),
}
#: The manifest's settings and their defaults.
MANIFEST_SETTINGS = {
    "title": "gutlung-pipeline report",
    "group_column": "asthma",
    "rarefactions": 1,
    "maturity_group": "asthma",
    "maturity_rank": "g",
    "age_column": "age_days",
    "primer_lengths": [0, 0],
}


def manifest(files: dict, settings: dict) -> dict:
    """Make a checked report manifest from named files and settings.

    A report manifest from named files (a path or a list of paths each;
    empty lists are left out) and settings; checked (:func:`check_manifest`).
    """
    out = {}
    for key, value in files.items():
        paths = [value] if isinstance(value, str) else [str(v) for v in value]
        if not paths:
            continue
        several = MANIFEST_FILES.get(key, (True, ""))[0]
        out[key] = paths if several else paths[0] if len(paths) == 1 else paths
    return check_manifest({"files": out, "settings": settings})


def check_manifest(doc: dict) -> dict:
    """Check a manifest (``files``, ``settings``); fill the settings' defaults.

    Raises
    ------
    ValueError
        An unknown key, a required file missing, one file where several are
        named or the reverse, or a file given without those that come with it.
    """
    files, settings = doc.get("files", {}), doc.get("settings", {})
    unknown = sorted(set(doc) - {"files", "settings"})
    unknown += sorted(set(files) - set(MANIFEST_FILES))
    unknown += sorted(set(settings) - set(MANIFEST_SETTINGS))
    if unknown:
        raise ValueError(
            f"report manifest: unknown key {unknown[0]!r}; files: "
            f"{', '.join(MANIFEST_FILES)}; settings: {', '.join(MANIFEST_SETTINGS)}"
        )
    for key in REQUIRED_FILES + ("pcoa",):
        if not files.get(key):
            raise ValueError(f"report manifest: files.{key} is missing; add it")
    for key, value in files.items():
        several = MANIFEST_FILES[key][0]
        if several != isinstance(value, list):
            kind = "a list of paths" if several else "one path"
            raise ValueError(f"report manifest: files.{key} must be {kind}")
    for first, rest in TOGETHER.items():
        missing = [k for k in rest if first in files and k not in files]
        if missing:
            raise ValueError(
                f"report manifest: files.{first} needs {', '.join(missing)}; add them"
            )
    return {"files": dict(files), "settings": {**MANIFEST_SETTINGS, **settings}}
