"""What a run was made of: tool and package versions, config, seed, inputs.

``results/provenance/`` lets a reviewer say which code, tools and files made
a run's results: the versions of every external tool the workflow calls and
of the Python (and, with the DADA2 engine, R) packages that do the science,
the resolved config and its seed, the sha256 of the sample sheet, the config
files, the reference and every local input file, the project's version and
git commit, and when the run started. The report's last section shows it all
but the start time, so that the report of a rerun stays byte-identical.
"""

from __future__ import annotations

import datetime
import hashlib
import importlib.metadata
import os
import re
import shutil
import subprocess
from pathlib import Path

#: External tools and how each says its version.
TOOLS = {
    "vsearch": ["vsearch", "--version"],
    "cutadapt": ["cutadapt", "--version"],
    "mafft": ["mafft", "--version"],
    "FastTree": ["FastTree", "-help"],
    "snakemake": ["snakemake", "--version"],
}
#: Python packages whose versions make the results.
PACKAGES = (
    "gutlung-pipeline",
    "snakemake",
    "numpy",
    "pandas",
    "scipy",
    "scikit-bio",
    "scikit-learn",
    "statsmodels",
    "lifelines",
    "biom-format",
    "cutadapt",
    "matplotlib",
    "jsonschema",
)
#: R packages of the DADA2 engine.
R_PACKAGES = ("dada2",)
VERSION = re.compile(r"v?\d+(\.\d+)+\S*")


def tool_version(command: list[str]) -> str:
    """Return the first version-like word a tool prints, or why there is none."""
    if shutil.which(command[0]) is None:
        return "not found"
    try:
        # stdin closed: a tool that reads it (FastTree without a file) must
        # not wait on a batch system's open stdin
        proc = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"not run ({err})"
    lines = (proc.stdout + "\n" + proc.stderr).splitlines()
    # the line naming the tool first (vsearch also prints its paper's DOI)
    named = [ln for ln in lines if command[0].lower() in ln.lower()]
    for line in named + lines:
        match = VERSION.search(line)
        if match:
            return match.group(0).lstrip("v").split("_")[0].rstrip(",;")
    return "unknown"


def r_versions(packages: tuple[str, ...] = R_PACKAGES) -> dict[str, str]:
    """Return R's version and its packages' (empty when Rscript is absent)."""
    if shutil.which("Rscript") is None:
        return {}
    code = (
        "cat('R', paste(R.version$major, R.version$minor, sep='.'), '\\n');"
        "for (p in commandArgs(TRUE)) cat(p, tryCatch(as.character("
        "packageVersion(p)), error=function(e) 'not installed'), '\\n')"
    )
    proc = subprocess.run(
        ["Rscript", "-e", code, *packages],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    out = {}
    for line in proc.stdout.splitlines():
        name, _, version = line.strip().partition(" ")
        if name:
            out[name if name != "R" else "R"] = version.strip()
    return out


def package_version(name: str) -> str:
    """Return an installed Python package's version, or ``not installed``."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def sha256(path: str | os.PathLike) -> str:
    """Return the sha256 of a file, read in blocks."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def git_state(repo: str | os.PathLike) -> dict[str, str]:
    """Return the checkout's commit and whether tracked files differ from it."""
    if shutil.which("git") is None or not (Path(repo) / ".git").exists():
        return {"commit": "", "state": "not a git checkout"}
    head = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True
    )
    changed = subprocess.run(
        ["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
    )
    return {
        "commit": head.stdout.strip(),
        "state": "with local changes" if changed.stdout.strip() else "clean",
    }


def collect(
    config: dict,
    files: dict[str, list[str]],
    *,
    repo: str | os.PathLike,
    dada2: bool = False,
    known: dict[str, str] | None = None,
) -> dict:
    """Gather a run's provenance.

    Parameters
    ----------
    config
        The resolved config (defaults filled).
    files
        Input files by role (``sheet``, ``config``, ``reference``, ``reads``,
        ...); each existing file gets its size and sha256, a missing one (a
        download not yet made) is listed as such.
    repo
        The workflow's checkout, for its git commit.
    dada2
        Also the R and DADA2 versions.
    known
        Tool versions already known, by :data:`TOOLS` name, used instead of
        running the tool: the workflow passes the Snakemake that runs it
        (``snakemake --version`` takes a second to start).
    """
    inputs = []
    for role, paths in files.items():
        for path in paths:
            entry = {"role": role, "path": str(path)}
            if Path(path).is_file():
                entry.update(bytes=Path(path).stat().st_size, sha256=sha256(path))
            else:
                entry.update(bytes="", sha256="not a local file")
            inputs.append(entry)
    versions = [
        {
            "kind": "tool",
            "name": name,
            "version": (known or {}).get(name) or tool_version(command),
        }
        for name, command in TOOLS.items()
    ]
    versions += [
        {"kind": "python", "name": name, "version": package_version(name)}
        for name in PACKAGES
    ]
    if dada2:
        versions += [
            {"kind": "R", "name": name, "version": version}
            for name, version in r_versions().items()
        ]
    return {
        "project": {
            "name": "gutlung-pipeline",
            "version": package_version("gutlung-pipeline"),
            **git_state(repo),
        },
        "started": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "seed": config.get("seed"),
        "versions": versions,
        "inputs": inputs,
        "config": config,
    }
