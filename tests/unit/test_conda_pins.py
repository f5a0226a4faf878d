"""The conda environments (workflow/envs/*.yaml, for users off Debian) pin the
versions the tests run: what `make test` installs from Debian and PyPI; they
install the package from the workflow's own checkout with constraints.txt,
the tested set of Python packages."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest
import yaml
from conftest import REPO, needs_r, needs_tools

ENVS = REPO / "workflow" / "envs"


def tool_output(*cmd: str) -> str:
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    return proc.stdout + proc.stderr


def r_value(expr: str) -> str:
    return subprocess.run(
        ["Rscript", "-e", f"cat({expr})"], capture_output=True, text=True, check=True
    ).stdout.strip()


# conda package -> the version installed here, as that tool reports it
INSTALLED = {
    "python": lambda: f"{sys.version_info.major}.{sys.version_info.minor}",
    "vsearch": lambda: re.search(
        r"vsearch v([\d.]+)", tool_output("vsearch", "--version")
    )[1],
    "mafft": lambda: re.search(r"v([\d.]+)", tool_output("mafft", "--version"))[1],
    "fasttree": lambda: re.search(
        r"FastTree Version ([\d.]+)", tool_output("FastTree")
    )[1],
    "cutadapt": lambda: version("cutadapt"),
    "r-base": lambda: r_value('R.version$major, R.version$minor, sep="."'),
    "bioconductor-dada2": lambda: r_value('as.character(packageVersion("dada2"))'),
}
UNPINNED = {"pip"}


def pip_lines(env: Path) -> list[str]:
    """The env's pip requirements, as conda writes them for pip."""
    deps = yaml.safe_load(env.read_text())["dependencies"]
    return [line for dep in deps if isinstance(dep, dict) for line in dep["pip"]]


def pins(env: Path) -> dict[str, str]:
    """Package -> pinned version (conda `=x.y` and pip `==x.y`); pip's options
    (the checkout and its constraints) are not packages."""
    deps = yaml.safe_load(env.read_text())["dependencies"]
    out = {}
    for dep in deps:
        specs = dep["pip"] if isinstance(dep, dict) else [dep]
        for spec in specs:
            if spec.startswith("-"):
                continue
            name, _, pinned = re.match(r"([\w.-]+)\s*(==|=)?\s*(\S*)", spec).groups()
            out[name] = pinned
    return out


def agrees(pinned: str, installed: str) -> bool:
    """conda's `=4.2` is 4.2.*; `=2.22.1` and `==2.22.1` are exact."""
    return installed == pinned or installed.startswith(pinned + ".")


ALL = sorted(ENVS.glob("*.yaml"))


def test_every_package_is_pinned_and_checked():
    assert ALL
    for env in ALL:
        for name, pinned in pins(env).items():
            if name in UNPINNED:
                continue
            assert pinned, f"{env.name}: {name} is not pinned"
            assert name in INSTALLED, f"{env.name}: no check for {name}"


def test_every_env_is_used_by_a_rule_and_every_rule_env_exists():
    used = set()
    for smk in (REPO / "workflow" / "rules").glob("*.smk"):
        used |= set(re.findall(r'conda:\s*\n\s*"\.\./envs/([\w.]+)"', smk.read_text()))
    assert used == {env.name for env in ALL}


@pytest.mark.parametrize(
    "env",
    [
        pytest.param(e, marks=needs_r("dada2") if e.stem == "dada2" else needs_tools)
        for e in ALL
    ],
    ids=lambda e: e.stem,
)
def test_pins_match_what_the_tests_run(env):
    """Each env's pins against the versions the tests run (dada2.yaml needs
    R and DADA2; the others the command-line tools)."""
    for name, pinned in pins(env).items():
        if name not in UNPINNED:
            installed = INSTALLED[name]()
            assert agrees(pinned, installed), (
                f"{env.name}: {name} pinned {pinned}, installed {installed}"
            )


def constraints() -> dict[str, str]:
    """constraints.txt: package -> version."""
    out = {}
    for line in (REPO / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, pinned = line.partition("==")
            out[name.lower().replace("_", "-")] = pinned
    return out


def test_cutadapt_pin_is_the_packages():
    pinned = constraints()["cutadapt"]
    for env in ALL:
        if "cutadapt" in pins(env):
            assert pins(env)["cutadapt"] == pinned, env.name


def test_constraints_are_what_the_tests_run():
    """constraints.txt pins every Python package the tests run, at the version
    installed; pyproject.toml's ranges admit each of them."""
    from packaging.requirements import Requirement

    pinned = constraints()
    assert len(pinned) > 50
    for name, want in pinned.items():
        assert version(name) == want, (
            f"constraints.txt: {name}=={want}, installed {version(name)}"
        )
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    for spec in project["dependencies"]:
        req = Requirement(spec)
        assert "==" not in str(req.specifier), f"pyproject pins {spec}: use a range"
        name = req.name.lower().replace("_", "-")
        assert req.specifier.contains(pinned[name]), (spec, pinned[name])


def test_envs_install_the_checkout_with_the_constraints(tmp_path):
    """pip, given each env's pip lines as conda writes them, expands
    GUTLUNG_CHECKOUT and installs this checkout and nothing else: every
    dependency is already at its constraint (offline: no index, no build
    isolation)."""
    import os

    python_envs = [env for env in ALL if "python" in pins(env)]
    assert [e.stem for e in python_envs] == ["dada2", "gutlung"]
    for env in python_envs:
        lines = pip_lines(env)
        assert lines == [
            "-c ${GUTLUNG_CHECKOUT}/constraints.txt",
            "-e ${GUTLUNG_CHECKOUT}",
        ], env.name
        req = tmp_path / f"{env.stem}.requirements.txt"
        req.write_text("\n".join(lines) + "\n")
        proc = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--dry-run", "--no-index"]
            + ["--no-build-isolation", "-r", str(req)],
            capture_output=True,
            text=True,
            env={**os.environ, "GUTLUNG_CHECKOUT": str(REPO)},
        )
        assert proc.returncode == 0, proc.stdout[-1500:] + proc.stderr[-1500:]
        assert "Would install gutlung-pipeline-" in proc.stdout, proc.stdout[-800:]
        would = proc.stdout.split("Would install")[-1].split()
        assert len(would) == 1, would
    # the workflow sets the variable to its own checkout before any env is made
    common = (REPO / "workflow/rules/common.smk").read_text()
    assert 'os.environ.setdefault("GUTLUNG_CHECKOUT", str(REPO_ROOT.resolve()))' in (
        common
    )


def test_agrees_reads_conda_pins():
    assert agrees("4.2", "4.2.2") and agrees("2.22.1", "2.22.1")
    assert not agrees("4.2", "4.20.1") and not agrees("2.22.1", "2.22.2")
