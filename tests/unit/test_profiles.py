"""The execution profiles: every rule they name exists (Snakemake ignores a
misspelt one silently), threads go only to rules that use them, and every
resource expression gives a positive whole number that grows with the input
and doubles on the retry."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
import yaml
from conftest import REPO

PROFILES = REPO / "workflow" / "profiles"
SLURM = yaml.safe_load((PROFILES / "slurm" / "config.yaml").read_text())


def rules() -> dict[str, str]:
    """Rule name -> its text (up to the next rule), from workflow/rules/*.smk."""
    out = {}
    pattern = re.compile(r"^\s*(?:rule|checkpoint) (\w+):\n", re.M)
    for smk in (REPO / "workflow" / "rules").glob("*.smk"):
        parts = pattern.split(smk.read_text())
        for name, body in zip(parts[1::2], parts[2::2], strict=True):
            out[name] = out.get(name, "") + body
    return out


RULES = rules()


def evaluate(expr, *, size_mb: float, attempt: int, threads: int = 1):
    """As Snakemake evaluates a profile's resource value."""
    if isinstance(expr, int):
        return expr
    # named inputs as a job's: permanova's six distance matrices
    files = SimpleNamespace(size_mb=size_mb, distance=["d.tsv"] * 6)
    namespace = {"input": files, "attempt": attempt, "threads": threads}
    return eval(expr, namespace)  # the profile's own expressions


def test_every_rule_named_exists():
    named = set(SLURM["set-threads"]) | set(SLURM["set-resources"])
    assert named and named <= set(RULES), named - set(RULES)


def test_threads_only_where_the_rule_uses_them():
    for rule in SLURM["set-threads"]:
        assert "threads:" in RULES[rule] and "{threads}" in RULES[rule], rule


@pytest.mark.parametrize("rule", sorted(SLURM["set-resources"]))
def test_resources_are_positive_grow_and_double_on_retry(rule):
    resources = {**SLURM["default-resources"], **SLURM["set-resources"][rule]}
    threads = SLURM["set-threads"].get(rule, 1)
    for key in ("mem_mb", "runtime"):
        small = evaluate(resources[key], size_mb=0.5, attempt=1, threads=threads)
        large = evaluate(resources[key], size_mb=50_000, attempt=1, threads=threads)
        retry = evaluate(resources[key], size_mb=0.5, attempt=2, threads=threads)
        assert isinstance(small, int) and small > 0, (rule, key, small)
        assert large >= small and retry == 2 * small, (rule, key)


def test_account_and_partition_come_from_the_environment(monkeypatch):
    defaults = SLURM["default-resources"]
    monkeypatch.setenv("SBATCH_ACCOUNT", "lab01")
    monkeypatch.delenv("SBATCH_PARTITION", raising=False)
    assert eval(defaults["slurm_account"], {}) == "lab01"
    assert eval(defaults["slurm_partition"], {}) == ""  # the plugin's default


def test_both_profiles_rerun_incomplete_jobs():
    local = yaml.safe_load((PROFILES / "default" / "config.yaml").read_text())
    assert local["rerun-incomplete"] and SLURM["rerun-incomplete"]
    assert SLURM["executor"] == "slurm" and "executor" not in local
