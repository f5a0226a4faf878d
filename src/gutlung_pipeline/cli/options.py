"""Declare once what the subcommands share.

What the subcommands share, declared once: the subparser itself, ``--seed``,
``--threads``, the primers, ``--settings``, and the defaults of options that
are config keys, read from the config schema (the one home of every default).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json

#: The demo's primers (515F/806R, EMP V4); the workflow always passes the
#: config's ``primers``.
PRIMER_515F = "GTGYCAGCMGCCGCGGTAA"
PRIMER_806R = "GGACTACNVGGGTWTCTAAT"


def command(sub, name: str, func, help_: str) -> argparse.ArgumentParser:
    """Add subcommand ``name`` (handled by ``func``) to the subparsers ``sub``."""
    p = sub.add_parser(name, help=help_, description=help_)
    p.set_defaults(func=func)
    return p


@functools.cache
def config_schema() -> dict:
    """Read the config schema (once a process)."""
    from ..schema import load_schema

    return load_schema("config")


def section_schema(section: str) -> dict:
    """Return the config schema of one top-level section, its ``$defs`` kept."""
    schema = config_schema()
    return {**schema["properties"][section], "$defs": schema.get("$defs", {})}


def schema_default(key: str):
    """Return the schema's default of a config key, spelled ``section.key``."""
    from ..schema import schema_at

    node = schema_at(config_schema(), key.split("."))
    if "default" not in node:
        raise KeyError(f"config key {key} has no default in the schema")
    return node["default"]


def add_seed(p: argparse.ArgumentParser) -> None:
    """``--seed``: the config's seed; every random step of the command uses it."""
    p.add_argument(
        "--seed",
        type=int,
        default=schema_default("seed"),
        help="the config's seed (default: %(default)s)",
    )


def add_output(p: argparse.ArgumentParser, help_: str = "the file written") -> None:
    """Add ``--output``, the command's main file (written whole or not at all)."""
    p.add_argument("--output", required=True, help=help_)


def add_threads(p: argparse.ArgumentParser, help_: str = "threads") -> None:
    """``--threads``, one by default (the workflow passes the rule's)."""
    p.add_argument("--threads", type=int, default=1, help=f"{help_} (default: 1)")


def add_primers(p: argparse.ArgumentParser, *, required: bool = False) -> None:
    """Add ``--forward`` and ``--reverse``.

    ``--forward`` and ``--reverse``: required for a read step, the demo's
    515F/806R for the commands that make demo data.
    """
    demo = {"forward": PRIMER_515F, "reverse": PRIMER_806R}
    for mate, name in (("forward", "515F"), ("reverse", "806R")):
        if required:
            p.add_argument(f"--{mate}", required=True, help=f"{mate} primer")
        else:
            p.add_argument(
                f"--{mate}", default=demo[mate], help=f"{mate} primer ({name})"
            )


def add_settings(p: argparse.ArgumentParser, section: str) -> None:
    """Add ``--settings``, the config's ``section`` as JSON.

    ``--settings``: the config's ``section`` as JSON (what the workflow
    passes); left-out keys take the schema's defaults.
    """
    p.add_argument(
        "--settings",
        default="{}",
        type=functools.partial(parse_settings, section=section),
        help=f"the config's {section} section as JSON; left-out keys take the "
        "schema's defaults (config/README.md)",
    )


def parse_settings(text: str, section: str) -> dict:
    """Parse ``--settings`` against the section's schema.

    Parse ``--settings``: JSON of the config's ``section``, checked against
    that section's schema and filled with its defaults.
    """
    import jsonschema

    from ..schema import describe, fill_defaults

    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise argparse.ArgumentTypeError(f"not JSON ({err})") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(
            f"give the config's {section} section as a JSON object"
        )
    schema = section_schema(section)
    value = fill_defaults(value, schema)
    validator = jsonschema.Draft202012Validator(schema)
    for error in validator.iter_errors(value):
        where, what = describe(error, schema)
        raise argparse.ArgumentTypeError(f"{section}.{where}: {what}")
    return value


@contextlib.contextmanager
def naming(path):
    """Prefix a ValueError raised inside with the file it is about."""
    try:
        yield
    except ValueError as err:
        raise ValueError(f"{path}: {err}") from None
