"""The claims catalogue and its re-testing (``gutlung claims``).

* :mod:`.catalogue`: loading and checking ``resources/claims/*.yaml``;
* :mod:`.models`: the models (statsmodels, lifelines, scipy, adonis2, ANCOM-BC);
* :mod:`.verdict`: BH within families, power by simulation, verdicts;
* :mod:`.run`: one row per claim and study (``claims.tsv``).
"""

from .catalogue import load_catalogue
from .models import Estimate, NotTestable
from .run import COLUMNS, evaluate_claim, run_claims

__all__ = [
    "COLUMNS",
    "Estimate",
    "NotTestable",
    "load_catalogue",
    "run_claims",
    "evaluate_claim",
]
