"""Contamination control for low-biomass samples.

* :mod:`.scores`: R decontam 1.13.0 (``isContaminant``, ``isNotContaminant``),
  and the project's kit-signature score (``signature_scores``).
* :mod:`.clean`: the workflow step: organelle and unassigned features out,
  decontam calls per body site, signal above background per sample, controls
  out of the analysis table, read tracking.
* :mod:`.mock`: mock-community accuracy against an expected composition.
"""

from .clean import (
    NEEDS_CONCENTRATION,
    NEEDS_CONTROLS,
    CleanResult,
    decontam_problems,
    decontam_warnings,
    decontaminate,
    feature_filter,
    signal_above_background,
)
from .mock import mock_accuracy, read_expected
from .scores import (
    BATCH_COMBINE,
    METHODS,
    call_contaminants,
    decontam_table,
    frequency_score,
    is_contaminant,
    is_not_contaminant,
    prevalence_reach,
    prevalence_score,
    signature_scores,
    split_threshold,
)

__all__ = [
    "BATCH_COMBINE",
    "METHODS",
    "NEEDS_CONCENTRATION",
    "NEEDS_CONTROLS",
    "CleanResult",
    "call_contaminants",
    "decontam_table",
    "decontaminate",
    "decontam_problems",
    "decontam_warnings",
    "feature_filter",
    "frequency_score",
    "is_contaminant",
    "is_not_contaminant",
    "mock_accuracy",
    "prevalence_reach",
    "prevalence_score",
    "read_expected",
    "signal_above_background",
    "signature_scores",
    "split_threshold",
]
