"""The container recipe (Dockerfile): checked as far as it can be here.

Container registries cannot be reached, so the image is not built. What can
be checked is: its base is the Debian release the tests run on, apt can
install every package it names (apt-get -s: a simulation from this machine's
package lists), its build step is the `make install` the README's set-up
runs, its entry point is the repository's Snakefile, and the build context
leaves out the virtual environments and results.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import REPO

DOCKERFILE = (REPO / "Dockerfile").read_text()


def apt_packages() -> list[str]:
    """Every package the recipe's apt-get install lines name."""
    text = DOCKERFILE.replace("\\\n", " ")
    names = []
    for line in re.findall(r"apt-get install ([^;&]+)", text):
        names += [w for w in line.split() if not w.startswith("-")]
    return names


def test_base_image_is_the_release_the_tests_run_on():
    base = re.search(r"^FROM debian:(\w+)", DOCKERFILE, re.M)
    assert base, "the recipe starts from a Debian image"
    release = Path("/etc/os-release")
    if not release.exists() or "debian" not in release.read_text().lower():
        pytest.skip("not a Debian machine: the base cannot be compared")
    codename = re.search(r"VERSION_CODENAME=(\w+)", release.read_text())[1]
    assert base[1] == codename


@pytest.mark.skipif(shutil.which("apt-get") is None, reason="no apt-get here")
def test_apt_can_install_every_package_the_recipe_names():
    packages = apt_packages()
    for tool in ("vsearch", "mafft", "fasttree", "python3-venv", "r-bioc-dada2"):
        assert tool in packages
    proc = subprocess.run(
        ["apt-get", "-s", "install", "-y", "--no-install-recommends", *packages],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr[-1500:]


def test_the_build_runs_the_readmes_install_and_enters_the_workflow():
    assert re.search(r"^RUN make install\b", DOCKERFILE, re.M)
    proc = subprocess.run(
        ["make", "-n", "install"], cwd=REPO, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    entry = re.search(
        r'^ENTRYPOINT \["snakemake", "--snakefile", "([^"]+)"\]', DOCKERFILE, re.M
    )
    workdir = re.search(r"^WORKDIR (/opt/\S+)", DOCKERFILE, re.M)[1]
    assert entry and entry[1] == f"{workdir}/Snakefile"
    assert (REPO / "Snakefile").is_file()
    shipped = "/opt/gutlung-pipeline/resources/reference/gg_13_8_97_v4.sintax.fasta.gz"
    assert shipped in DOCKERFILE
    assert (REPO / shipped.removeprefix(f"{workdir}/")).is_file()


def test_the_build_context_leaves_out_local_state():
    ignored = (REPO / ".dockerignore").read_text().split()
    for path in (".venv", ".venv-multiqc", "results", "logs", ".snakemake"):
        assert path in ignored
