"""Short-chain-fatty-acid producers: per-sample indices of the fibre -> SCFA link.

Both source articles explain the gut-lung axis through gut microbes that
ferment dietary fibre into short-chain fatty acids (acetate, propionate,
butyrate). 16S reads cannot measure the acids; what they can give is how much
of a sample is made of genera known to carry the pathways
(``resources/scfa/producers.tsv``, cited there). Per sample:

- ``butyrate_share``, ``propionate_share``: the share of its reads in genera
  with a butyrate (propionate) pathway, of those at or above
  ``min_confidence``;
- ``unplaced_share``: the share of its reads whose genus is unknown, which
  the two shares cannot count (read them together);
- ``butyrate_balance``, ``propionate_balance``: the balance of the producer
  genera against the other placed genera (the isometric log-ratio of two
  groups of parts: sqrt(r s / (r + s)) times the log of the ratio of their
  geometric means), from genus counts with a pseudocount; unchanged when the
  sample's depth changes or one unrelated taxon blooms and dilutes the rest,
  so it is robust to composition where the shares are not. Every genus of
  the table takes part, an absent one at the pseudocount: in a table that
  holds gut and lung samples together a stool sample lacks most lung genera,
  and the balance then follows how many genera the sample lacks as much as
  its producers;
- ``butyrate_log_ratio``, ``propionate_log_ratio``: the natural log of the
  producers' reads over the other placed genera's reads (each plus the
  pseudocount), the log-odds of a placed read being a producer's (a
  summed log-ratio, or amalgamation log-ratio): unchanged by depth, by
  unplaced reads and by genera the sample lacks; a bloom of another genus
  moves it by the log of the others' total. The claims use it.

References
----------
Louis P, Flint HJ (2017). Formation of propionate and butyrate by the human
colonic microbiota. Environ Microbiol 19:29-41. doi:10.1111/1462-2920.13589

Greenacre M (2020). Amalgamations are valid in compositional data analysis,
can be used in agglomerative clustering, and their logratios have an inverse
transformation. Applied Computing and Geosciences 5:100017.
doi:10.1016/j.acags.2019.100017
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import ConfigError

ACIDS = ("butyrate", "propionate")
CONFIDENCE = ("low", "medium", "high")
COLUMNS = (
    "genus",
    "synonyms",
    "butyrate",
    "propionate",
    "acetate",
    "confidence",
    "references",
    "note",
)


#: The shipped producer table, beside the claims catalogue in resources/.
SHIPPED = Path(__file__).resolve().parents[2] / "resources" / "scfa" / "producers.tsv"


def genus_name(taxon: str) -> str:
    """Return the genus of a taxon string, or "" when it has none.

    Examples
    --------
    >>> genus_name("d__Bacteria; p__Firmicutes; g__Roseburia")
    'Roseburia'
    >>> genus_name("d__Bacteria; p__Firmicutes")
    ''
    """
    for part in str(taxon).split(";"):
        part = part.strip()
        if part.startswith("g__"):
            return part[3:].strip()
    return ""


def normalise_genus(name: str) -> str:
    """Match key of a genus name: brackets and GTDB suffixes gone, case folded.

    Examples
    --------
    >>> normalise_genus("[Eubacterium]")
    'eubacterium'
    >>> normalise_genus("Prevotella_A")
    'prevotella'
    """
    name = str(name).strip().strip("[]").strip()
    return re.sub(r"_[A-Z]+$", "", name).casefold()


def load_producers(path: str | os.PathLike | None = None) -> pd.DataFrame:
    """Read and check a producer table (default: the shipped one).

    Raises
    ------
    ConfigError
        A missing column, an unknown confidence, a row with no pathway, or a
        name (genus or synonym) given to two rows: one line each, naming the
        file and the row.
    """
    path = Path(path) if path else SHIPPED
    table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        raise ConfigError(
            [
                f"{path}: missing column {c}; see resources/scfa/README.md"
                for c in missing
            ]
        )
    problems, seen = [], {}
    for i, row in table.iterrows():
        where = f"{path}: row {i + 2} ({row['genus']})"
        if row["confidence"] not in CONFIDENCE:
            problems.append(
                f"{where}: confidence {row['confidence']!r}; use one of "
                f"{', '.join(CONFIDENCE)}"
            )
        if not (row["butyrate"] or row["propionate"] or row["acetate"]):
            problems.append(
                f"{where}: no pathway; give butyrate, propionate or acetate"
            )
        for name in [row["genus"], *filter(None, row["synonyms"].split(";"))]:
            key = normalise_genus(name)
            if key in seen and seen[key] != row["genus"]:
                problems.append(
                    f"{where}: {name} is also a name of {seen[key]}; give each name "
                    "to one row"
                )
            seen[key] = row["genus"]
    if problems:
        raise ConfigError(problems)
    return table


def producer_genera(
    producers: pd.DataFrame, acid: str, *, min_confidence: str = "medium"
) -> set[str]:
    """Return the match keys of the genera carrying ``acid``'s pathway."""
    rank = CONFIDENCE.index(min_confidence)
    keep = producers[
        (producers[acid] != "") & producers["confidence"].map(CONFIDENCE.index).ge(rank)
    ]
    keys = set()
    for _, row in keep.iterrows():
        names = [row["genus"], *filter(None, row["synonyms"].split(";"))]
        keys |= {normalise_genus(n) for n in names}
    return keys


def producer_indices(
    table: pd.DataFrame,
    taxonomy: pd.Series,
    producers: pd.DataFrame,
    *,
    min_confidence: str = "medium",
    pseudocount: float = 0.5,
) -> pd.DataFrame:
    """Compute each sample's SCFA-producer shares and balances.

    Parameters
    ----------
    table
        Features x samples, read counts.
    taxonomy
        Feature ID -> taxon string (``d__...; g__...``).
    producers
        :func:`load_producers`' table.
    min_confidence
        The lowest ``confidence`` of a producer that counts.
    pseudocount
        Added to every genus count of a sample before the balances' logs.

    Returns
    -------
    pandas.DataFrame
        Indexed by sample: ``reads``, ``butyrate_share``,
        ``propionate_share``, ``unplaced_share``, ``butyrate_balance``,
        ``propionate_balance``, ``butyrate_log_ratio``,
        ``propionate_log_ratio`` (NaN for a sample without reads; a balance
        is NaN when no genus of the table is on one of its sides).
    """
    if min_confidence not in CONFIDENCE:
        raise ValueError(
            f"min_confidence {min_confidence!r}: use one of {', '.join(CONFIDENCE)}"
        )
    genus = pd.Series(
        [genus_name(taxonomy.get(f, "")) for f in table.index], index=table.index
    )
    placed = genus != ""
    keys = genus.map(normalise_genus)
    by_genus = table[placed].groupby(keys[placed]).sum()
    reads = table.sum(axis=0).astype(float)
    out = pd.DataFrame({"reads": table.sum(axis=0).astype("int64")})
    with np.errstate(divide="ignore", invalid="ignore"):
        out["unplaced_share"] = table[~placed].sum(axis=0) / reads
        logs = np.log(by_genus + pseudocount)
        for acid in ACIDS:
            mine = by_genus.index.isin(
                producer_genera(producers, acid, min_confidence=min_confidence)
            )
            out[f"{acid}_share"] = by_genus[mine].sum(axis=0) / reads
            out[f"{acid}_log_ratio"] = np.log(
                (by_genus[mine].sum(axis=0) + pseudocount)
                / (by_genus[~mine].sum(axis=0) + pseudocount)
            )
            if mine.any() and (~mine).any():
                balance = logs[mine].mean(axis=0) - logs[~mine].mean(axis=0)
                # the normalising constant of an isometric balance
                r, s = int(mine.sum()), int((~mine).sum())
                out[f"{acid}_balance"] = np.sqrt(r * s / (r + s)) * balance
            else:
                out[f"{acid}_balance"] = np.nan
    empty = out["reads"] == 0
    out.loc[empty, [c for c in out.columns if c != "reads"]] = np.nan
    out.index.name = "sample_id"
    return out[
        [
            "reads",
            "butyrate_share",
            "propionate_share",
            "unplaced_share",
            "butyrate_balance",
            "propionate_balance",
            "butyrate_log_ratio",
            "propionate_log_ratio",
        ]
    ]
