"""The default engine's denoising, chimera removal and the ASV table.

The default engine's denoising (UNOISE3 through vsearch), chimera removal,
and the ASV table.

The ASVs are the centroids of UNOISE3 on all samples' uniques together
(:func:`pool_uniques`, :func:`unoise`), run within each read length with
indels counted across lengths, plus each sample's own centroids
(:func:`sample_unoise`, the same rule in numpy, and :func:`add_candidates`);
chimeras are removed de novo (UCHIME3 and an exact
two-parent test) and against the taxonomy reference (:func:`remove_chimeras`);
every sample's merged reads are then counted against them
(:func:`map_samples`: Hamming distance in numpy where the lengths agree,
vsearch for the rest). Each choice was measured on simulated cohorts with
known truth (``benchmarks/bench_denoise.py``).

References
----------
Edgar RC (2016). UNOISE2: improved error-correction for Illumina 16S and ITS
amplicon sequencing. bioRxiv 081257. doi:10.1101/081257
Edgar RC (2016). UCHIME2: improved chimera prediction for amplicon sequencing.
bioRxiv 074252. doi:10.1101/074252
"""

from .chimeras import consensus_bimeras, exact_bimeras, remove_chimeras
from .mapping import map_samples, nearest_same_length, read_otutab_samples
from .table import (
    TRACKING_COLUMNS,
    build_table,
    check_read_losses,
    low_merge_warnings,
    read_tracking,
)
from .unoise import (
    absorb_indel_errors,
    add_candidates,
    drop_rare_neighbours,
    pool_uniques,
    pooled_min_size,
    sample_unoise,
    unoise,
)

__all__ = [
    "TRACKING_COLUMNS",
    "low_merge_warnings",
    "absorb_indel_errors",
    "drop_rare_neighbours",
    "add_candidates",
    "build_table",
    "check_read_losses",
    "consensus_bimeras",
    "exact_bimeras",
    "map_samples",
    "nearest_same_length",
    "pool_uniques",
    "pooled_min_size",
    "read_otutab_samples",
    "read_tracking",
    "remove_chimeras",
    "sample_unoise",
    "unoise",
]
