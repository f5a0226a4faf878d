"""Several studies in one run.

Each study keeps its own config (primers, read layout, lengths, decontam
settings, accessions or table) and is processed on its own up to its
decontaminated table; the tables are then merged at one taxonomic rank
(genus by default), where amplicons of different regions, lengths and
pipelines can meet, and every later step runs on the merged table with the
``study`` column of the merged sheet as covariate or stratum.

The workflow loads each study's Snakefile as a Snakemake module under
``results/studies/<study>/`` (the rule names and paths are the workflow's:
``workflow/rules/common.smk``); :func:`gutlung_pipeline.config.load_studies`
checks and plans each study before any job, and this module stacks their
sheets (:func:`combined_sheet`) and merges their outputs
(:func:`combine_tables`, :func:`stack_tables`).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

import pandas as pd

#: Study names become rule-name prefixes and folder names.
STUDY_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,39}$")
#: Per-study decontam outputs stacked (with a ``study`` column) for the report.
STACKED = [
    "read_tracking",
    "contaminants",
    "filtered_features",
    "signal",
    "mock",
    "mock_taxa",
]


@dataclass
class Study:
    """One study of a combined run.

    One study of a combined run: its name, config file, validated config
    and sample plan (:class:`gutlung_pipeline.inputs.plan.Plan`).
    """

    name: str
    source: str
    config: dict
    plan: object

    @property
    def remote(self) -> bool:
        """Whether some of its runs are downloaded from ENA."""
        return bool(self.plan.remote)


def combined_sheet(studies: dict[str, Study]) -> pd.DataFrame:
    """Stack the studies' planned sheets with their ``study``.

    The studies' planned sheets stacked, ``study`` set to each study's
    name (the value in a study's own sheet, if any, is replaced).
    """
    parts = [s.plan.sheet.assign(study=name) for name, s in studies.items()]
    return pd.concat(parts, axis=0, sort=False)


def combine_tables(
    tables: dict[str, pd.DataFrame],
    taxonomies: dict[str, pd.Series],
    *,
    rank: str = "g",
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Merge studies' feature tables at ``rank``.

    Each study's features are summed per lineage down to ``rank``
    (:func:`gutlung_pipeline.maturity.collapse`: a feature unassigned at
    ``rank`` keeps its deepest assigned lineage, so no read is lost); the
    collapsed tables are joined on the lineage (absent = 0). A sample may
    belong to one study only.

    Returns
    -------
    table
        Lineages x samples, integer counts; samples in study order, lineages
        sorted.
    taxonomy
        QIIME 2 columns: ``Feature ID`` (the lineage) and ``Taxon``.
    summary
        One row per study: samples, reads, features before the merge, taxa
        after it, the share of reads assigned at ``rank``, and the taxa and
        share of reads shared with every other study.
    """
    from ..tables import collapse
    from ..taxonomy import RANKS

    if rank not in RANKS:
        raise ValueError(f"rank must be one of {', '.join(RANKS)}, got {rank!r}")
    collapsed: dict[str, pd.DataFrame] = {}
    seen: dict[str, str] = {}
    for name, table in tables.items():
        for sample in table.columns:
            if sample in seen:
                raise ValueError(
                    f"sample {sample} is in both studies {seen[sample]} and {name}; "
                    "rename it in one of them"
                )
            seen[sample] = name
        collapsed[name] = collapse(table, taxonomies[name], rank=rank)
    merged = pd.concat(collapsed.values(), axis=1, sort=True).fillna(0)
    merged = merged.astype("int64").rename_axis("#OTU ID")
    merged = merged.loc[merged.sum(axis=1) > 0]
    taxonomy = pd.DataFrame({"Feature ID": merged.index, "Taxon": merged.index})
    prefix = f"{rank}__"
    present = {n: set(c.index[c.sum(axis=1) > 0]) for n, c in collapsed.items()}
    shared = set.intersection(*present.values()) if present else set()
    rows = []
    for name, c in collapsed.items():
        reads = int(c.to_numpy().sum())
        at_rank = c.index.map(lambda t: t.split(";")[-1].strip().startswith(prefix))
        assigned = int(c.loc[at_rank].to_numpy().sum())
        in_shared = int(c.loc[c.index.isin(shared)].to_numpy().sum())
        rows.append(
            {
                "study": name,
                "samples": c.shape[1],
                "reads": reads,
                "features": len(tables[name]),
                "taxa": len(present[name]),
                "reads_assigned_at_rank": _share(assigned, reads),
                "taxa_shared_by_all": len(shared),
                "reads_in_shared_taxa": _share(in_shared, reads),
            }
        )
    return merged, taxonomy, pd.DataFrame(rows)


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else float("nan")


def stack_tables(paths: dict[str, str | os.PathLike]) -> pd.DataFrame:
    """Stack per-study tables of one kind, with a ``study`` column.

    Per-study tables of one kind stacked, ``study`` after the first (ID)
    column, so sample-keyed tables stay keyed by sample; columns a study lacks
    (``merged`` for single-end reads) are left empty.
    """
    from ..io import read_tsv

    parts = []
    for name, path in paths.items():
        df = read_tsv(path).reset_index()
        df.insert(1, "study", name)
        parts.append(df)
    return pd.concat(parts, axis=0, ignore_index=True, sort=False)
