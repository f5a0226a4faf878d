"""The claims catalogue: ``resources/claims/*.yaml``, checked by its schema."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import ConfigError
from ..io import read_yaml

DEFAULT_CATALOGUE = Path(__file__).resolve().parents[3] / "resources" / "claims"


def load_catalogue(
    paths: list[str | os.PathLike] | None = None, *, schema_dir=None
) -> list[dict]:
    """Every claim of the catalogue files (or folders of ``*.yaml``), checked.

    Defaults are filled from the schema. Raises :class:`ConfigError` with one
    line per problem (file, claim and key, the fix); IDs must be unique.
    """
    from jsonschema import Draft202012Validator

    from ..schema import describe, fill_defaults, load_schema

    files: list[Path] = []
    missing = []
    for p in paths or [DEFAULT_CATALOGUE]:
        p = Path(p)
        if not p.exists():
            missing.append(
                f"{p}: claims catalogue not found; fix claims.catalogue in the "
                "config (a YAML file or a folder of them; [] for the shipped one)"
            )
        files += sorted(p.glob("*.yaml")) if p.is_dir() else [p] if p.exists() else []
    if missing:
        raise ConfigError(missing)
    schema = load_schema("claims", schema_dir)
    validator = Draft202012Validator(schema)
    claims, problems, seen = [], [], {}
    for path in files:
        doc = read_yaml(path)
        if not isinstance(doc, dict):
            problems.append(f"{path}: not a YAML mapping with a claims: list")
            continue
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
        for error in errors:
            where, what = describe(error, schema)
            path_parts = list(error.absolute_path)
            cid = ""
            if len(path_parts) > 1 and isinstance(path_parts[1], int):
                item = doc["claims"][path_parts[1]]
                cid = f" (claim {item.get('id', path_parts[1])})"
            problems.append(f"{path}{cid}: key {where}: {what}")
        if errors:
            continue
        for item in doc["claims"]:
            claim = fill_defaults(item, schema["properties"]["claims"]["items"], schema)
            if claim["id"] in seen:
                problems.append(
                    f"{path}: claim {claim['id']}: the ID is also used in "
                    f"{seen[claim['id']]}; give each claim its own ID"
                )
            seen[claim["id"]] = path
            problems += _consistency(claim, path)
            claim["source_file"] = str(path)
            claims.append(claim)
    if problems:
        raise ConfigError(problems)
    return claims


def _consistency(claim: dict, path) -> list[str]:
    """Check what the schema cannot say: the fields each model needs."""
    out = []
    where = f"{path}: claim {claim['id']}"
    model, exposure = claim["model"], claim["exposure"]
    if model == "logistic_interaction" and "modifier" not in claim:
        out.append(f"{where}: model logistic_interaction needs a modifier")
    if model in ("differential",) and exposure["source"] != "taxa":
        out.append(f"{where}: model differential needs exposure.source: taxa")
    if model == "permanova" and exposure["source"] != "beta":
        out.append(f"{where}: model permanova needs exposure.source: beta")
    if exposure["source"] in (
        "maturity",
        "alpha",
        "column",
        "scfa",
    ) and not exposure.get("variable"):
        out.append(f"{where}: exposure.variable is needed for {exposure['source']}")
    if model == "mixed" and claim["population"]["unit"] != "sample":
        out.append(
            f"{where}: model mixed uses every sample of a subject; set "
            "population.unit: sample"
        )
    if model == "cox" and "time_column" not in claim["outcome"]:
        out.append(f"{where}: model cox needs outcome.time_column")
    pub = claim["published"]
    if not pub.get("direction_only") and "value" not in pub:
        out.append(f"{where}: published needs a value (or direction_only: true)")
    return out
