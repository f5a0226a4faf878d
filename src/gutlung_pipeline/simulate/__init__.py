"""Seeded synthetic data with a known truth.

Seeded synthetic data with a known truth, for the demo, the tests and the
benchmarks.

- :mod:`.reads`: a gut-lung cohort as FASTQ reads (stool, BAL, blanks, mocks,
  an infant series), with the literature's claims planted;
- :mod:`.birth_cohort`: table-stage birth cohorts in a study's design, with a
  planted latent maturity;
- :mod:`.common`: the genera, the reference and the sample sheet they share.
"""

from .birth_cohort import simulate_birth_cohort, simulate_birth_cohorts
from .common import (
    CONTAMINANT_GENERA,
    GUT_GENERA,
    INFANT_AGES_DAYS,
    INFANT_SUCCESSION,
    LUNG_GENERA,
    MOCK_GENERA,
    SHEET_COLUMNS,
    canonical_sheet,
    in_reference_order,
    load_reference,
    mock_expected,
    reference_taxonomy,
    write_cohort,
)
from .reads import ErrorModel, simulate_cohort

__all__ = [
    "CONTAMINANT_GENERA",
    "GUT_GENERA",
    "INFANT_AGES_DAYS",
    "INFANT_SUCCESSION",
    "LUNG_GENERA",
    "MOCK_GENERA",
    "SHEET_COLUMNS",
    "ErrorModel",
    "canonical_sheet",
    "in_reference_order",
    "load_reference",
    "mock_expected",
    "reference_taxonomy",
    "simulate_birth_cohort",
    "simulate_birth_cohorts",
    "simulate_cohort",
    "write_cohort",
]
