"""Microbiota maturity: microbiota age and maturity-for-age Z-scores (MAZ).

This module has QIIME 2's ``longitudinal maturity-index`` recipe, reproduced
exactly (``maturity_index_qiime2``), for validation against QIIME 2 and for
reviewers who must reproduce a QIIME 2 analysis. The cohort-aware default
method (subject-grouped out-of-fold predictions, spline-based relative
maturity) builds on it.

References
----------
Subramanian S, Huq S, Yatsunenko T, et al. (2014). Persistent gut microbiota
immaturity in malnourished Bangladeshi children. Nature 510:417-421.
doi:10.1038/nature13421
Bokulich NA, Dillon MR, Zhang Y, et al. (2018). q2-longitudinal: longitudinal and
paired-sample analyses of microbiome data. mSystems 3:e00219-18.
doi:10.1128/mSystems.00219-18
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass
class MaturityResult:
    """Outputs of a maturity-index fit.

    Attributes
    ----------
    scores
        One row per predicted sample: ``state`` (the age bin), ``prediction``
        (microbiota age), ``maturity`` (prediction minus the reference median
        of its bin), ``maz`` and ``reference`` (True for held-out reference
        samples).
    importances
        Impurity importance of each feature used by the forest, descending.
    training
        IDs of the samples the forest was trained on, in training order.
    """

    scores: pd.DataFrame
    importances: pd.Series
    training: list[str]


def maz_scores(
    predictions: pd.Series, state: pd.Series, reference: pd.Series
) -> pd.DataFrame:
    """Maturity and MAZ from predictions, as QIIME 2's ``_maz_score``.

    For each state value among the ``reference`` samples: the median and the
    standard deviation (ddof=1) of their predictions. For every sample,
    ``maturity = prediction - median[state]`` and ``MAZ = maturity / sd[state]``,
    except that MAZ is 0 where the maturity or the SD is 0. Bins are exact state
    values; a bin with one reference sample has SD NaN.

    Raises
    ------
    ValueError
        A sample's state value has no reference sample (QIIME 2 raises KeyError).
    """
    ref = predictions[reference.reindex(predictions.index).fillna(False).astype(bool)]
    ref_state = state.reindex(ref.index)
    median = ref.groupby(ref_state).median()
    sd = ref.groupby(ref_state).std(ddof=1)
    s = state.reindex(predictions.index)
    missing = sorted(set(s) - set(median.index))
    if missing:
        bins = ", ".join(str(m) for m in missing)
        raise ValueError(
            f"age bins {bins} have no reference sample; add reference samples in "
            "those bins or drop the samples"
        )
    maturity = predictions - median.reindex(s).to_numpy()
    sd_i = sd.reindex(s).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        maz = np.where((maturity.to_numpy() == 0) | (sd_i == 0), 0.0, maturity / sd_i)
    return pd.DataFrame(
        {"state": s, "prediction": predictions, "maturity": maturity, "maz": maz},
        index=predictions.index,
    )


def maturity_index_qiime2(
    table: pd.DataFrame,
    metadata: pd.DataFrame,
    *,
    state_column: str,
    group_by: str,
    control: str,
    n_estimators: int = 100,
    test_size: float = 0.5,
    stratify: bool = False,
    random_state: int | None = None,
    n_jobs: int = 1,
) -> MaturityResult:
    """QIIME 2's ``maturity-index`` with its defaults, reproduced exactly.

    Parameters
    ----------
    table
        Raw counts, features x samples (QIIME 2 uses counts, not proportions).
        Samples without metadata are ignored (``missing_samples='ignore'``).
    metadata
        Indexed by sample ID; holds ``state_column`` (numeric age bin) and
        ``group_by``.
    state_column, group_by, control
        Age bin column; the reference group is ``metadata[group_by] == control``.
    n_estimators, test_size, stratify, random_state, n_jobs
        As in QIIME 2: ``train_test_split`` of the reference samples' states (in
        table order, split by sample, stratified by state when ``stratify``),
        then ``RandomForestRegressor(n_estimators, random_state, n_jobs)``.

    Returns
    -------
    MaturityResult
        Scores of every sample not used for training (held-out reference
        samples and all others); MAZ relative to the held-out reference.

    Notes
    -----
    The recipe, as read from q2-longitudinal: features are the counts of the
    features non-zero in at least one training sample, columns sorted by
    feature ID (scikit-learn's ``DictVectorizer``); the training rows are in the
    order ``train_test_split`` returns them. Changing any of these moves MAZ by
    several units, so this mode is for validation; it splits by sample, so one
    subject's samples can be on both sides.
    """
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.model_selection import train_test_split

    for col in (state_column, group_by):
        if col not in metadata.columns:
            raise ValueError(f"metadata has no column {col!r}")
    samples = [s for s in table.columns if s in metadata.index]
    md = metadata.loc[samples]
    controls = md.index[md[group_by].astype(str) == str(control)]
    if len(controls) == 0:
        raise ValueError(f"no sample has {group_by} == {control!r}; no reference group")
    targets = pd.to_numeric(md.loc[controls, state_column], errors="coerce").dropna()
    y_train, _ = train_test_split(
        targets,
        test_size=test_size,
        stratify=targets if stratify else None,
        random_state=random_state,
    )
    training = list(y_train.index)
    counts = table[samples]
    used = counts[training].ne(0).any(axis=1)
    features = sorted(counts.index[used.to_numpy()])
    x = counts.loc[features].T.astype("float64")
    forest = RandomForestRegressor(
        n_estimators=n_estimators, random_state=random_state, n_jobs=n_jobs
    )
    forest.fit(x.loc[training].to_numpy(), y_train.to_numpy())
    predict_ids = [s for s in samples if s not in set(training)]
    predictions = pd.Series(
        forest.predict(x.loc[predict_ids].to_numpy()),
        index=predict_ids,
        name="prediction",
    )
    state = pd.to_numeric(md[state_column], errors="coerce")
    reference = md[group_by].astype(str) == str(control)
    scores = maz_scores(predictions, state, reference)
    scores["reference"] = reference.reindex(predict_ids).to_numpy()
    importances = pd.Series(
        forest.feature_importances_, index=features, name="importance"
    ).sort_values(ascending=False, kind="stable")
    return MaturityResult(scores=scores, importances=importances, training=training)
