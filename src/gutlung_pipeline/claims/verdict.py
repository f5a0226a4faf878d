"""Turn estimates into verdicts.

From estimates to verdicts: Benjamini-Hochberg within claim families, power
to detect the published effect by simulation, and the verdict.

Verdicts, with alpha = 0.05 on q:

* **consistent**: a directional claim whose estimate lies on the published
  side of no effect with q < alpha; a claim of a difference (PERMANOVA) with
  q < alpha; a claim of no difference with q >= alpha where the test had at
  least 80% power to detect a moderate effect (otherwise inconclusive);
* **contradicts**: a directional claim significant the other way, or a claim
  of no difference that finds one (q < alpha);
* **inconclusive**: everything else (the power column says whether more
  samples could settle it);
* **not testable**: a column, a data source or enough samples is missing;
  the reason names it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

ALPHA = 0.05


def bh_within(families: pd.Series, p: pd.Series) -> pd.Series:
    """Benjamini-Hochberg q within each family (NaN p stay NaN)."""
    from statsmodels.stats.multitest import multipletests

    q = pd.Series(np.nan, index=p.index)
    for _, idx in p.groupby(families).groups.items():
        vals = p.loc[idx].dropna()
        if len(vals):
            q.loc[vals.index] = multipletests(vals.to_numpy(), method="fdr_bh")[1]
    return q


def verdict(
    direction: str, estimate: float, null: float, q: float, power: float
) -> tuple[str, str]:
    """(verdict, why) for one tested claim."""
    if np.isnan(q):
        return "inconclusive", "no p-value"
    significant = q < ALPHA
    if direction in ("increase", "decrease"):
        if not significant:
            return "inconclusive", f"q = {q:.3g} >= {ALPHA}"
        right = estimate > null if direction == "increase" else estimate < null
        if right:
            return "consistent", f"{direction} with q = {q:.3g}"
        return "contradicts", f"significant in the other direction (q = {q:.3g})"
    if direction == "differ":
        if significant:
            return "consistent", f"difference with q = {q:.3g}"
        return "inconclusive", f"q = {q:.3g} >= {ALPHA}"
    # direction none: a claim of no difference
    if significant:
        return "contradicts", f"a difference with q = {q:.3g}"
    if not np.isnan(power) and power >= 0.8:
        return "consistent", f"no difference (q = {q:.3g}) at power {power:.2f}"
    return "inconclusive", (
        f"no difference found (q = {q:.3g}) but power {power:.2f} < 0.80"
        if not np.isnan(power)
        else f"no difference found (q = {q:.3g}); power unknown"
    )


def simulate_power(
    simulate_one, *, reps: int = 200, random_state: int = 0, alpha: float = ALPHA
) -> float:
    """Share of ``reps`` simulated datasets in which the test rejects.

    ``simulate_one(rng)`` draws one dataset, tests it and returns
    (p, estimate_on_published_side) or None where the model cannot run.
    """
    rng = np.random.default_rng(random_state)
    hits = tested = 0
    for _ in range(reps):
        out = simulate_one(rng)
        if out is None:
            continue
        p, right_side = out
        tested += 1
        hits += bool(p < alpha and right_side)
    return hits / tested if tested else np.nan
