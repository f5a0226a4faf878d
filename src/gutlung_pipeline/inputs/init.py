"""Start on your own data: a sample sheet and a minimal config from a folder.

:func:`find_fastq` pairs the FASTQ files of a folder by their names (Illumina's
``<name>_S1_L001_R1_001``, ``_R1``/``_R2``, ``_1``/``_2``, DADA2's ``F``/``R``);
:func:`detect_primers` tells from the first reads which of the common 16S
primer pairs (:data:`PRIMER_SETS`) the reads start with, or that they start
after the primers (the EMP protocol: the sequencing primer is the PCR primer);
:func:`guess_site` reads a body site and specimen type from a sample's name
(``stool``, ``bal``, ``blank``, ``mock``...); :func:`write_start` writes the
sheet and a config that ``gutlung validate`` accepts, with every analysis
that names a column of the sheet left commented out.

Only the first records of a few files are read (:func:`..quality.head_records`).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ..quality import head_records, primer_hits

FASTQ_SUFFIXES = (".fastq.gz", ".fq.gz", ".fastq", ".fq")

#: Mate patterns, strongest first: (pattern of a file's stem, mate codes).
MATE_PATTERNS = (
    # Illumina: <name>_S12_L001_R1_001 (the _S and _L parts optional)
    (re.compile(r"^(?P<s>.+?)(?:_S\d+)?(?:_L\d{3})?_R(?P<m>[12])_\d{3}$"), "12"),
    (re.compile(r"^(?P<s>.+?)[._-]R(?P<m>[12])$"), "12"),
    (re.compile(r"^(?P<s>.+?)[._-](?P<m>[12])$"), "12"),
    # DADA2's example data: sam1F / sam1R
    (re.compile(r"^(?P<s>.+?)(?P<m>[FR])$"), "FR"),
)


@dataclass(frozen=True)
class PrimerSet:
    """A 16S primer pair and the length of what lies between the primers."""

    name: str
    region: str
    forward: str
    reverse: str
    #: merged amplicon without primers: the filter's bounds for this region
    min_length: int
    max_length: int
    #: what R1 and R2 start with when the primers are not in the reads (IUPAC)
    r1_start: str | None = None
    r2_start: str | None = None


#: The primer pairs :func:`detect_primers` knows, most used first.
PRIMER_SETS = (
    PrimerSet(
        "515F-Y/806R-B (Parada 2016, Apprill 2015)",
        "V4",
        "GTGYCAGCMGCCGCGGTAA",
        "GGACTACNVGGGTWTCTAAT",
        200,
        300,
        r1_start="TACGK",
        r2_start="CCYGY",
    ),
    PrimerSet(
        "515F/806R (Caporaso 2011)",
        "V4",
        "GTGCCAGCMGCCGCGGTAA",
        "GGACTACHVGGGTWTCTAAT",
        200,
        300,
    ),
    PrimerSet(
        "341F/805R (Klindworth 2013, Illumina 16S protocol)",
        "V3-V4",
        "CCTACGGGNGGCWGCAG",
        "GACTACHVGGGTATCTAATCC",
        360,
        470,
    ),
    PrimerSet(
        "27F/338R", "V1-V2", "AGAGTTTGATCMTGGCTCAG", "TGCTGCCTCCCGTAGGAGT", 260, 380
    ),
    PrimerSet(
        "515F-Y/926R (Parada 2016)",
        "V4-V5",
        "GTGYCAGCMGCCGCGGTAA",
        "CCGYCAATTYMTTTRAGTTT",
        330,
        420,
    ),
    PrimerSet(
        "799F/1193R (Chelius and Triplett 2001; no chloroplasts, low-biomass lung)",
        "V5-V7",
        "AACMGGATTAGATACCCKG",
        "ACGTCATCCCCACCTTCC",
        330,
        420,
    ),
)
#: Share of reads that must start with a primer (or the region's first bases).
MIN_SHARE = 0.5
#: Bases a primer may be shifted by (heterogeneity spacers).
MAX_SHIFT = 8

#: Words of a sample's name -> (body_site, sample_type), first match wins.
SITE_WORDS = (
    (r"blank|neg|ntc|nc\d*|extraction|kitome|water", ("none", "negative_control")),
    (r"mock|zymo|standard", ("none", "mock")),
    (r"stool|f(a)?ec(es|al)?|gut|rectal", ("gut", "stool")),
    (r"bal|lavage", ("lung", "bal")),
    (r"sputum", ("lung", "sputum")),
    (r"lung", ("lung", "bal")),
    (r"tissue|biopsy", ("lung", "lung_tissue")),
    (r"nasal|nose|np", ("upper_airway", "nasal_swab")),
    (r"oral|saliva|throat|op", ("upper_airway", "oral_swab")),
)


def _stem(path: Path) -> str:
    name = path.name
    for suffix in FASTQ_SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def sample_id_of(name: str) -> str:
    """Make a valid ``sample_id`` of a file name's sample part.

    Characters other than letters, digits, ``_``, ``.`` and ``-`` become
    ``_``; leading ones that are not a letter or digit are dropped.

    Examples
    --------
    >>> sample_id_of("P01 gut (rep 2)")
    'P01_gut_rep_2_'
    """
    out = re.sub(r"_+", "_", re.sub(r"[^A-Za-z0-9_.-]", "_", name))
    return re.sub(r"^[^A-Za-z0-9]+", "", out)[:64]


def find_fastq(folder: str | os.PathLike) -> pd.DataFrame:
    """Pair the FASTQ files of a folder (and its subfolders) by their names.

    Returns
    -------
    DataFrame
        One row per sample, in name order: ``sample_id``, ``fq1`` and ``fq2``
        (empty for single-end files).

    Raises
    ------
    ConfigError
        No FASTQ file, two files that make the same sample ID, or a mix of
        paired and single-end files.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ConfigError([f"{folder}: no such folder; give --reads the FASTQ folder"])
    files = sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and p.name.lower().endswith(FASTQ_SUFFIXES)
    )
    if not files:
        raise ConfigError(
            [
                f"{folder}: no FASTQ file (*.fastq.gz, *.fq.gz, *.fastq, *.fq); "
                "give --reads the folder that holds them"
            ]
        )
    by_stem = {(p.parent, _stem(p)): p for p in files}
    used: set[Path] = set()
    rows = []
    for path in files:
        if path in used:
            continue
        row = None
        for pattern, codes in MATE_PATTERNS:
            match = pattern.match(_stem(path))
            if not match or match["m"] != codes[0]:
                continue
            stem = _stem(path)
            start, end = match.span("m")
            mate = by_stem.get((path.parent, stem[:start] + codes[1] + stem[end:]))
            if mate is not None:
                row = (match["s"], path, mate)
                break
        if row is None:
            match = MATE_PATTERNS[0][0].match(_stem(path)) or MATE_PATTERNS[1][0].match(
                _stem(path)
            )
            name = match["s"] if match and match["m"] == "1" else _stem(path)
            row = (name, path, None)
        used.update(p for p in row[1:] if p is not None)
        rows.append(row)
    out = pd.DataFrame(
        {
            "sample_id": [sample_id_of(r[0]) for r in rows],
            "fq1": [str(r[1]) for r in rows],
            "fq2": [str(r[2]) if r[2] is not None else "" for r in rows],
        }
    )
    dup = out[out["sample_id"].duplicated(keep=False)]
    if len(dup):
        sid = dup["sample_id"].iloc[0]
        names = ", ".join(dup.loc[dup["sample_id"] == sid, "fq1"])
        raise ConfigError(
            [
                f"{folder}: files {names} make the same sample ID {sid!r}; rename them "
                "or write the sheet by hand"
            ]
        )
    paired = out["fq2"] != ""
    if paired.any() and not paired.all():
        single = ", ".join(out.loc[~paired, "fq1"].head(3))
        raise ConfigError(
            [
                f"{folder}: {int(paired.sum())} samples are paired-end but "
                f"{int((~paired).sum())} have one file ({single}); a sheet is "
                "paired-end or single-end throughout: move the odd files out or add "
                "their mates"
            ]
        )
    return out


@dataclass(frozen=True)
class PrimerCall:
    """What :func:`detect_primers` found."""

    primers: PrimerSet
    in_reads: bool
    share: float
    """Share of the reads examined that start as the call says."""
    reads: int
    """Reads examined (forward reads)."""


def first_reads(
    samples: pd.DataFrame, *, n_files: int = 4, n_reads: int = 500
) -> tuple[list[bytes], list[bytes]]:
    """Read the first forward and reverse reads of a few samples, upper case.

    ``n_reads`` of each file of the first ``n_files`` samples.
    """
    chosen = samples.head(n_files)

    def seqs(column: str) -> list[bytes]:
        return [
            s.rstrip(b"\r\n").upper()
            for p in chosen[column]
            if p
            for s in head_records(p, n_reads)[1::4]
        ]

    return seqs("fq1"), seqs("fq2")


def detect_primers(fwd: list[bytes], rev: list[bytes]) -> PrimerCall | None:
    """Tell which primer pair the reads start with (:func:`first_reads`).

    The reads are compared with each pair of :data:`PRIMER_SETS` (IUPAC
    codes, 10% mismatches, up to :data:`MAX_SHIFT` bases in): the pair found
    at the start of the most forward (and reverse, for pairs) reads wins if
    it starts at least :data:`MIN_SHARE` of them. Otherwise, reads that begin
    where the V4 amplicon begins after 515F (``TACGK``..., and ``CCYGY``...
    after 806R) are called V4 without primers in the reads (the EMP protocol).

    Returns None when neither is found.
    """

    def share(forward: str, reverse: str, **how) -> float:
        found = primer_hits(fwd, forward, **how).mean() if fwd else 0.0
        if rev:
            found = min(found, primer_hits(rev, reverse, **how).mean())
        return float(found)

    shares = [share(ps.forward, ps.reverse, max_shift=MAX_SHIFT) for ps in PRIMER_SETS]
    best = int(np.argmax(shares))
    if shares[best] >= MIN_SHARE:
        return PrimerCall(PRIMER_SETS[best], True, shares[best], len(fwd))
    for ps in PRIMER_SETS:
        if ps.r1_start is not None:
            found = share(ps.r1_start, ps.r2_start, error_rate=0.0)
            if found >= MIN_SHARE:
                return PrimerCall(ps, False, found, len(fwd))
    return None


def guess_site(sample_id: str) -> tuple[str, str] | None:
    """Read ``(body_site, sample_type)`` from a sample's name, or None.

    Examples
    --------
    >>> guess_site("P01_stool_m3")
    ('gut', 'stool')
    >>> guess_site("NC01")
    ('none', 'negative_control')
    >>> guess_site("S17") is None
    True
    """
    words = [w for w in re.split(r"[^a-z0-9]+", sample_id.lower()) if w]
    for pattern, site in SITE_WORDS:
        regex = re.compile(rf"^(?:{pattern})\d*$")
        if any(regex.match(w) for w in words):
            return site
    return None


@dataclass
class Start:
    """What ``gutlung init`` found and wrote."""

    sheet: pd.DataFrame
    primers: PrimerCall
    unplaced: list[str]
    """Samples whose body site the names did not tell (written as ``other``)."""
    config_text: str


def _relative(path: str, base: Path) -> str:
    """``path`` relative to ``base`` when it is below it, else absolute."""
    full = Path(path).resolve()
    try:
        return full.relative_to(base.resolve()).as_posix()
    except ValueError:
        return str(full)


def plan_start(
    reads: str | os.PathLike,
    *,
    sheet_path: str | os.PathLike,
    study: str | None = None,
    forward: str | None = None,
    reverse: str | None = None,
    in_reads: bool | None = None,
    reference: str = "resources/reference/gg_13_8_97_v4.sintax.fasta.gz",
    seed: int = 42,
    workdir: str | os.PathLike = ".",
) -> Start:
    """Make the sheet and the config text of a folder of FASTQ.

    Paths in both are relative to ``workdir`` (where Snakemake will run)
    when they lie below it. ``forward``/``reverse``/``in_reads`` override the
    detection; without them, reads that start with no known primer stop
    with the fix.
    """
    base = Path(workdir)
    found = find_fastq(reads)
    paired = bool((found["fq2"] != "").all())
    fwd, rev = first_reads(found)
    call = detect_primers(fwd, rev)
    if forward or reverse:
        if not (forward and reverse):
            raise ConfigError(["give both --forward and --reverse, or neither"])
        custom = PrimerSet("given", "given", forward, reverse, 200, 300)
        region = call.primers if call else None
        if region and region.forward == forward and region.reverse == reverse:
            custom = region
        call = PrimerCall(
            custom,
            in_reads if in_reads is not None else bool(call and call.in_reads),
            call.share if call else 0.0,
            call.reads if call else 0,
        )
    elif call is None:
        raise ConfigError(
            [
                f"{reads}: the reads start with none of the primer pairs gutlung init "
                f"knows ({', '.join(f'{p.region} {p.name}' for p in PRIMER_SETS[:4])}"
                ", "
                "...) nor where V4 begins after them; give --forward and --reverse "
                "(and --primers-in-reads no if the reads start after them)"
            ]
        )
    elif in_reads is not None:
        call = PrimerCall(call.primers, in_reads, call.share, call.reads)
    study = study or sample_id_of(Path(reads).resolve().name) or "mystudy"
    sites = [guess_site(s) for s in found["sample_id"]]
    unplaced = [s for s, g in zip(found["sample_id"], sites, strict=True) if g is None]
    sheet = pd.DataFrame(
        {
            "sample_id": found["sample_id"],
            "subject_id": found["sample_id"],
            "body_site": [g[0] if g else "other" for g in sites],
            "sample_type": [g[1] if g else "other" for g in sites],
            "run": "run1",
            "study": study,
            "fq1": [_relative(p, base) for p in found["fq1"]],
        }
    )
    if paired:
        sheet["fq2"] = [_relative(p, base) for p in found["fq2"]]
    lengths = np.array([len(s) for s in fwd])
    text = config_text(
        sheet_path=_relative(str(sheet_path), base),
        call=call,
        paired=paired,
        read_length=int(np.percentile(lengths, 10)) if len(lengths) else 0,
        reference=reference,
        seed=seed,
        has_controls=bool((sheet["sample_type"] == "negative_control").any()),
        sites=sorted(set(sheet["body_site"]) & {"gut", "lung", "upper_airway"}),
        n_biological=int((sheet["body_site"] != "none").sum()),
    )
    return Start(sheet, call, unplaced, text)


def config_text(
    *,
    sheet_path: str,
    call: PrimerCall,
    paired: bool,
    read_length: int,
    reference: str,
    seed: int,
    has_controls: bool,
    sites: list[str],
    n_biological: int,
) -> str:
    """Write the minimal config: what the reads need, the analyses commented out."""
    ps = call.primers
    how = f"{call.share:.0%} of {call.reads} reads " + (
        "start with the primer" if call.in_reads else "start where the amplicon begins"
    )
    if paired:
        lengths = (
            f"  min_length: {ps.min_length}   # the merged {ps.region} amplicon, "
            "primers cut\n"
            f"  max_length: {ps.max_length}\n"
        )
    else:
        cut = ps.forward if call.in_reads else ""
        trunc = max(50, min(250, (read_length - len(cut)) // 10 * 10))
        lengths = (
            f"  trunc_length: {trunc}  # single-end: every read cut to this length "
            f"(10% of reads are {read_length} nt)\n"
            f"  min_length: {trunc}\n"
            f"  max_length: {max(trunc, read_length)}\n"
        )
    v4 = ps.region == "V4"
    ref_note = (
        "# the shipped V4 reference (Greengenes 13_8, 726 sequences): for a real\n"
        "# study use SILVA or GTDB (README, 'Taxonomy reference')"
        if v4
        else f"# the shipped reference covers V4 only: for {ps.region} reads use a\n"
        "# full-length SILVA or GTDB reference (README, 'Taxonomy reference')"
    )
    if has_controls:
        decontam = (
            "decontam:\n"
            "  # prevalence in the blanks against the samples, only features a\n"
            "  # larger share of the blanks than of the samples holding them; lung\n"
            "  # and upper airway against every sample, with the kit-signature\n"
            "  # score (4 blanks: 95-100% of the lung contaminants found in\n"
            "  # benchmarks/README.md). With dna_conc in the sheet, lung and upper\n"
            "  # airway: method: combined (config/README.md)\n"
            "  sites:\n"
            + "".join(
                f"    {site}: {{method: prevalence, threshold: 0.1, "
                + (
                    "pool: true, signature: 0.1, signature_by: run, "
                    if site in ("lung", "upper_airway")
                    else ""
                )
                + "blank_enriched: true}\n"
                for site in sites
            )
        )
    else:
        decontam = (
            "# no negative control was found by name: list your extraction blanks\n"
            "# (sample_type negative_control, body_site none) to remove contaminants\n"
        )
    beta = (
        ""
        if n_biological >= 4
        else "  # robust Aitchison needs 4 samples or more\n"
        "  beta_metrics: [braycurtis, jaccard, unweighted_unifrac, "
        "weighted_unifrac, aitchison]\n"
    )
    return f"""\
# Written by `gutlung init`: the settings your reads need. Check it with
#   gutlung validate --config <this file>
# then run
#   snakemake --cores 8 --configfile <this file>
# Every key is described in config/README.md.
samples: {sheet_path}
seed: {seed}
primers:
  forward: {ps.forward}   # {ps.region}: {ps.name}
  reverse: {ps.reverse}
  in_reads: {"true" if call.in_reads else "false"}  # {how}
filter:
{lengths}taxonomy:
  {ref_note.replace(chr(10), chr(10) + "  ")}
  reference: {reference}
diversity:
  # the depth every sample is rarefied to: after a first run, choose it from
  # results/decontam/read_tracking.tsv (column analysed)
  rarefaction_depth: 1000
  group_column: body_site   # a sheet column to compare alpha diversity by
{beta}{decontam}
# The analyses below name columns of your sheet (asthma, age_days, ...): add the
# columns, then uncomment what you need. config/config.yaml is a full example.
# stats:
#   permanova:
#     - name: by_site
#       formula: body_site
# maturity:
#   enabled: true
#   reference_column: asthma
#   reference_value: "no"
claims:
  enabled: true   # each claim is tested where the sheet has its columns
"""


def write_start(
    start: Start, sheet_path: str | os.PathLike, config_path: str | os.PathLike
) -> None:
    """Write the sheet and the config (each file whole or not at all)."""
    from ..io import atomic_path

    with atomic_path(sheet_path) as tmp:
        start.sheet.to_csv(tmp, sep="\t", index=False)
    with atomic_path(config_path) as tmp:
        Path(tmp).write_text(start.config_text)
