"""The JSON schemas of the workflow.

The JSON schemas of the workflow: loading them, filling their defaults and
turning their errors into one-line messages.

The schemas in ``workflow/schemas/`` are the one home of every default; the
config, the sample sheet, the claims catalogue and the metadata mappings are
all checked against them here.
"""

from __future__ import annotations

import copy
import difflib
import os
from pathlib import Path

from .io import read_yaml

#: Where the schemas live in a source checkout or an editable install.
DEFAULT_SCHEMA_DIR = Path(__file__).resolve().parents[2] / "workflow" / "schemas"


def load_schema(name: str, schema_dir: str | os.PathLike | None = None) -> dict:
    """Load ``<name>.schema.yaml`` from ``schema_dir`` (default: the workflow's)."""
    return read_yaml(Path(schema_dir or DEFAULT_SCHEMA_DIR) / f"{name}.schema.yaml")


def fill_defaults(instance: dict, schema: dict, root: dict | None = None) -> dict:
    """Return a copy of ``instance`` with the schema's defaults filled in.

    Return a copy of ``instance`` with the schema's defaults filled in
    (local ``$ref``s to ``#/$defs/...`` are followed).
    """
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
            out[key] = fill_defaults(out[key], sub, root)
        items = resolve(sub.get("items", {}))
        if isinstance(out.get(key), list) and "properties" in items:
            out[key] = [
                fill_defaults(v, items, root) if isinstance(v, dict) else v
                for v in out[key]
            ]
    return out


def schema_at(schema: dict, path) -> dict:
    """Return the sub-schema at a path of keys and list indices."""
    node = schema
    for part in path:
        if isinstance(part, int):
            node = node.get("items", {})
        else:
            node = node.get("properties", {}).get(part, {})
    return node


def describe(error, schema: dict) -> tuple[str, str]:
    """Turn a jsonschema error into (where, what and fix)."""
    where = ".".join(str(p) for p in error.absolute_path) or "top level"
    if error.validator == "additionalProperties":
        parent = schema_at(schema, error.absolute_path)
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
    hint = error.schema.get("x-hint") if isinstance(error.schema, dict) else None
    if error.validator == "pattern":
        fix = hint or f"it must match {error.validator_value}"
        return where, f"{error.instance!r} is not allowed; {fix}"
    if error.validator == "type":
        kinds = error.validator_value
        kinds = [kinds] if isinstance(kinds, str) else kinds
        wanted = " or ".join(TYPE_WORDS.get(k, k) for k in kinds)
        return where, f"{error.instance!r} is not {wanted}; give {wanted}"
    if error.validator in ("oneOf", "anyOf") and hint:
        return where, f"{error.instance!r} is not allowed; {hint}"
    return where, f"{error.message}; fix the value"


#: How a schema type is said to the user.
TYPE_WORDS = {
    "integer": "a whole number",
    "number": "a number",
    "string": "text",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping of keys",
    "null": "null",
}
