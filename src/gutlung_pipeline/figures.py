"""The report's figure names, one SVG each under ``results/report/figures/``.

Kept apart from :mod:`.report` so that the workflow can name its outputs
without importing matplotlib at every start.
"""

FIGURES = (
    "read_tracking",
    "contamination",
    "genus_barplot",
    "rarefaction_curves",
    "alpha_body_site",
    "alpha_group",
    "pcoa",
)
DIFFERENTIAL_FIGURES = ("differential",)
CLAIMS_FIGURES = ("claims_forest",)
MATURITY_FIGURES = ("maturity_age", "maturity_maz", "maturity_taxa")
