"""The claims catalogue and its re-testing (``gutlung claims``).

* :mod:`.catalogue`: loading and checking ``resources/claims/*.yaml``;
* :mod:`.models`: the models (statsmodels, lifelines, scipy, adonis2, ANCOM-BC);
* :mod:`.verdict`: BH within families, power by simulation, verdicts;
* :mod:`.run`: one row per claim and study (``claims.tsv``).
"""

import importlib

# loaded on first use (PEP 562): the workflow checks the catalogue at every
# start, and the models' scipy and statsmodels take a second to import
_HOME = {
    "load_catalogue": ".catalogue",
    "Estimate": ".models",
    "NotTestable": ".models",
    "COLUMNS": ".run",
    "evaluate_claim": ".run",
    "run_claims": ".run",
}


def __getattr__(name: str):
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_HOME[name], __name__), name)


__all__ = [
    "COLUMNS",
    "Estimate",
    "NotTestable",
    "load_catalogue",
    "run_claims",
    "evaluate_claim",
]
