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

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .tables import collapse, relative_abundance

log = logging.getLogger("gutlung")

__all__ = [
    "MaturityResult",
    "METHODS",
    "TrajectoryScore",
    "SelectedForest",
    "Ensemble",
    "clr",
    "collapse",
    "relative_abundance",
    "maz_scores",
    "maturity_index_qiime2",
    "maturity_index",
    "check_design",
    "edge_note",
    "bin_ages",
    "scored_samples",
    "join_reference",
    "score_maturity",
]


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
    cv_spearman
        Grouped mode: Spearman correlation of out-of-fold reference
        predictions with age.
    cv_by_bin
        Grouped mode: per age bin of the reference, ``n``, the out-of-fold
        Spearman with age, the median prediction and ``at_ceiling``, the share
        of predictions within 5% of the oldest reference age (a score that
        cannot rank the oldest children piles up there).
    """

    scores: pd.DataFrame
    importances: pd.Series
    training: list[str]
    cv_spearman: float | None = None
    cv_by_bin: pd.DataFrame | None = None


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
    trained = set(training)
    predict_ids = [s for s in samples if s not in trained]
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


# ---------------------------------------------------------------- estimators
#: The grouped mode's models of age (see :func:`maturity_index`).
METHODS = ("ensemble", "trajectory", "forest", "clr_enet")


def clr(table: pd.DataFrame, pseudocount: float = 0.5) -> pd.DataFrame:
    """Compute centred log-ratios of counts, samples x features.

    Centred log-ratio of counts, samples x features (``table`` is features x
    samples): ``log(count + pseudocount)`` minus its mean over the sample's
    features.

    Examples
    --------
    >>> t = pd.DataFrame({"s": [1.5, 0.5, 7.5]}, index=["a", "b", "c"])
    >>> clr(t).round(4).loc["s"].tolist()
    [0.0, -0.6931, 0.6931]
    """
    logs = np.log(table.T.astype(float) + pseudocount)
    return logs.sub(logs.mean(axis=1), axis=0)


class TrajectoryScore:
    """Position along the reference's developmental trajectory.

    Weighted-averaging calibration (ter Braak & Looman 1986), as used for
    environmental reconstructions from assemblages: each feature's optimum is
    the abundance-weighted mean of the target (log age) over the training
    samples, a sample's score is the abundance-weighted mean of its features'
    optima, and the score is deshrunk by inverting the least-squares line of
    score on target in training ("inverse deshrinking"). A sample dominated by
    late taxa scores late whatever the oldest training age, so the ranking of
    the oldest children is kept.

    ``fit(x, y)`` and ``predict(x)`` take relative abundances (samples x
    features); ``optima_`` holds the optima (the training mean for features
    absent from training), ``feature_importances_`` each feature's share of
    the training abundance times its optimum's distance from the mean. A
    sample is scored on the features seen in training only (its abundances
    renormalised over them), so features that appear later in life do not
    pull it toward the training mean; a sample with none of them scores the
    training mean.
    """

    def fit(self, x: np.ndarray, y: np.ndarray) -> TrajectoryScore:
        """Fit the calibration to abundances ``x`` and log ages ``y``."""
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        # element-wise products and numpy's pairwise sums, not BLAS: a
        # threaded matrix product can change the last bits from run to run
        mass = x.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            optima = np.where(mass > 0, (x * y[:, None]).sum(axis=0) / mass, y.mean())
        self.optima_ = optima
        self.seen_ = mass > 0
        self.mean_ = float(y.mean())
        raw = self._raw(x)
        dy = y - y.mean()
        slope = float((dy * (raw - raw.mean())).sum() / (dy * dy).sum())
        intercept = float(raw.mean() - slope * y.mean())
        if not slope > 0:
            raise ValueError(
                "the trajectory score does not rise with age in the reference; "
                "use another maturity.method"
            )
        self.slope_, self.intercept_ = float(slope), float(intercept)
        weight = mass / mass.sum() * np.abs(optima - y.mean())
        self.feature_importances_ = weight / weight.sum() if weight.sum() else weight
        return self

    def _raw(self, x: np.ndarray) -> np.ndarray:
        seen = x[:, self.seen_]
        totals = seen.sum(axis=1)
        weighted = (seen * self.optima_[self.seen_]).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(totals > 0, weighted / totals, self.mean_)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Predict log ages from abundances ``x``."""
        return (self._raw(np.asarray(x, dtype=float)) - self.intercept_) / self.slope_


class SelectedForest:
    """A random forest of age on its most important features.

    A random forest of age on the ``n_selected`` most important features of
    a first forest (None keeps all), as R's randomForest regression
    (``max_features`` 1/3). ``feature_importances_`` covers every feature (0
    for those not selected).
    """

    def __init__(self, *, n_estimators, max_features, n_selected, random_state, n_jobs):
        self.params = dict(
            n_estimators=n_estimators,
            max_features=max_features,
            random_state=random_state,
            n_jobs=n_jobs,
        )
        self.n_selected = n_selected

    def _forest(self):
        from sklearn.ensemble import RandomForestRegressor

        return RandomForestRegressor(**self.params)

    def fit(self, x: np.ndarray, y: np.ndarray) -> SelectedForest:
        """Fit the selection forest, then the forest on the selected features."""
        cols = np.arange(x.shape[1])
        if self.n_selected is not None and self.n_selected < x.shape[1]:
            first = self._forest().fit(x, y)
            order = np.argsort(-first.feature_importances_, kind="stable")
            cols = np.sort(order[: self.n_selected])
        self.cols_ = cols
        self.model_ = self._forest().fit(x[:, cols], y)
        self.feature_importances_ = np.zeros(x.shape[1])
        self.feature_importances_[cols] = self.model_.feature_importances_
        return self

    def predict(self, x: np.ndarray) -> np.ndarray:
        # on one thread the trees' predictions are summed in a fixed order
        # (several threads add them as they finish, which moves the last bits)
        """Predict ages from abundances ``x``."""
        self.model_.set_params(n_jobs=1)
        return self.model_.predict(np.asarray(x)[:, self.cols_])


class Ensemble:
    """The geometric mean of a forest's and a trajectory score's ages.

    The geometric mean of a forest's and a trajectory score's microbiota
    ages: fitted on log age, the forest learns age in days and its
    predictions are logged. In the interior of the reference the two err
    partly independently; at its edge the trajectory keeps the ranking that
    the forest loses. ``feature_importances_`` is the mean of the two
    models' normalised importances.
    """

    def __init__(self, forest: SelectedForest, trajectory: TrajectoryScore):
        self.forest, self.trajectory = forest, trajectory

    def fit(self, x: np.ndarray, log_age: np.ndarray) -> Ensemble:
        """Fit both models to abundances ``x`` and log ages."""
        self.forest.fit(x, np.exp(log_age))
        self.trajectory.fit(x, log_age)
        parts = [self.forest.feature_importances_, self.trajectory.feature_importances_]
        self.feature_importances_ = np.mean(
            [p / p.sum() if p.sum() else p for p in parts], axis=0
        )
        return self

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Predict log ages: the mean of the two models' log ages."""
        forest = np.log(np.maximum(self.forest.predict(x), 0.5))
        return (forest + self.trajectory.predict(x)) / 2


def _clr_enet(random_state: int, n_jobs: int, groups: np.ndarray):
    """Build the elastic net of log age on standardised CLR abundances.

    Elastic net of log age on standardised CLR abundances, its penalty and
    mix chosen by subject-grouped inner cross-validation.
    """
    from sklearn.linear_model import ElasticNetCV
    from sklearn.model_selection import GroupKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    inner = GroupKFold(
        n_splits=min(5, len(np.unique(groups))), shuffle=True, random_state=random_state
    )
    return make_pipeline(
        StandardScaler(),
        ElasticNetCV(
            l1_ratio=[0.1, 0.5, 0.9, 1.0],
            cv=list(inner.split(np.zeros(len(groups)), groups=groups)),
            n_jobs=n_jobs,
            max_iter=20_000,
        ),
    )


# ---------------------------------------------------------------- grouped mode
def _check_reference(
    metadata: pd.DataFrame, reference: pd.Series, *, age: str, subject: str
) -> None:
    ref = metadata.loc[reference[reference].index]
    ages = pd.to_numeric(ref[age], errors="coerce")
    bad = list(ages.index[ages.isna() | (ages < 0)])
    if bad:
        raise ValueError(
            f"column {age}: reference samples {', '.join(map(str, bad[:5]))} have a "
            "missing or negative age; fix or drop them"
        )
    if ref[subject].isna().any() or (ref[subject].astype(str) == "").any():
        raise ValueError(f"column {subject}: some reference samples have no subject ID")


def check_design(
    metadata: pd.DataFrame,
    reference: pd.Series,
    *,
    age_column: str,
    bin_column: str,
    subject_column: str,
    n_folds: int,
    min_per_bin: int,
) -> None:
    """Check a maturity design before training; raise ValueError naming the fix.

    Reference samples need a non-negative age and a subject ID; the reference
    needs at least 5 distinct ages (for the spline) and ``n_folds`` subjects;
    every bin of the samples to score needs ``min_per_bin`` reference samples.
    """
    for col in (age_column, bin_column, subject_column):
        if col not in metadata.columns:
            raise ValueError(f"metadata has no column {col!r}")
    ref_mask = reference.reindex(metadata.index).fillna(False).astype(bool)
    ref_ids = list(ref_mask.index[ref_mask])
    if not ref_ids:
        raise ValueError("the reference group is empty; check the reference selection")
    _check_reference(metadata, ref_mask, age=age_column, subject=subject_column)
    n_ages = pd.to_numeric(metadata.loc[ref_ids, age_column]).nunique()
    if n_ages < 5:
        raise ValueError(
            f"column {age_column}: the reference has {n_ages} distinct ages; the "
            "relative-maturity spline needs at least 5"
        )
    subjects = metadata.loc[ref_ids, subject_column].astype(str)
    if subjects.nunique() < n_folds:
        raise ValueError(
            f"the reference has {subjects.nunique()} subjects, fewer than the "
            f"{n_folds} folds; add reference subjects or lower the folds"
        )
    bins = metadata[bin_column]
    per_bin = bins.loc[ref_ids].value_counts()
    thin = [b for b in sorted(set(bins.dropna())) if per_bin.get(b, 0) < min_per_bin]
    if thin:
        listed = ", ".join(
            f"{b:g} ({per_bin.get(b, 0)})"
            if isinstance(b, float)
            else f"{b} ({per_bin.get(b, 0)})"
            for b in thin
        )
        raise ValueError(
            f"age bins with fewer than {min_per_bin} reference samples: {listed}; "
            "widen the bins, add reference samples or drop those samples"
        )


def maturity_index(
    table: pd.DataFrame,
    metadata: pd.DataFrame,
    *,
    age_column: str,
    bin_column: str,
    subject_column: str,
    reference: pd.Series,
    method: str = "ensemble",
    n_estimators: int = 500,
    max_features: float = 1 / 3,
    n_selected: int | None = 50,
    n_folds: int = 5,
    min_per_bin: int = 5,
    random_state: int = 0,
    n_jobs: int = 1,
) -> MaturityResult:
    """Microbiota age, relative maturity and MAZ for cohort studies.

    What it fixes in QIIME 2's recipe (:func:`maturity_index_qiime2`):
    relative abundances instead of raw counts; reference predictions are
    out-of-fold, with folds grouped by subject (a child's samples are never in
    training and test at once); feature selection (the ``n_selected`` most
    important features of a forest fitted on the fold's training part) is
    nested inside each fold; bins with fewer than ``min_per_bin`` reference
    samples stop the run; ``max_features=1/3`` as R's randomForest regression.

    Parameters
    ----------
    table
        Counts, features x samples (collapse to a rank first if wanted).
    metadata
        Indexed by sample ID, with the age, bin and subject columns.
    age_column
        Chronological age (numeric; the spline's x).
    bin_column
        Age bin of each sample (MAZ compares within a bin).
    subject_column
        Subject ID: folds never split a subject.
    reference
        Boolean by sample: the healthy reference group the model learns from.
    method
        The model of age: ``forest`` (a random forest of age in days on
        relative abundances, with the nested selection; its predictions
        cannot exceed the oldest reference age, so at the last visit of a
        design they pile up there and stop ranking the children),
        ``trajectory`` (:class:`TrajectoryScore` of log age on relative
        abundances: keeps ranking at the edge), ``ensemble`` (the default:
        :class:`Ensemble`, the geometric mean of the two) or ``clr_enet`` (an
        elastic net of log age on standardised CLR abundances, penalty by
        subject-grouped inner folds). ``benchmarks/bench_claims.py`` measures
        them on replicate birth cohorts.
    n_estimators, max_features, n_selected, n_folds, min_per_bin, random_state, n_jobs
        Forest size, features tried per split, features kept by the nested
        selection (None keeps all), folds, the smallest reference bin, the
        seed of every random step, and parallel jobs (results do not depend
        on it).

    Returns
    -------
    MaturityResult
        ``scores`` for every sample of ``table`` with metadata: ``age``,
        ``state`` (bin), ``prediction`` (microbiota age; out-of-fold for
        reference samples), ``relative_maturity`` (prediction minus the
        GCV smoothing spline of reference predictions on age, at the sample's
        age), ``maturity`` and ``maz`` (against the reference bin's median and
        SD, ddof 1, QIIME 2's zero rule), ``reference`` and ``fold``;
        ``importances`` of the final model; ``training`` = the reference IDs.
        ``cv_spearman`` holds the Spearman correlation of out-of-fold
        predictions with age in the reference, ``cv_by_bin`` the same per
        age bin with the share of predictions at the ceiling.

    Raises
    ------
    ValueError
        Before any training: missing columns, missing or negative reference ages,
        missing subject IDs, fewer reference subjects than folds, age bins with
        too few reference samples (all named).
    """
    from scipy.interpolate import make_smoothing_spline
    from scipy.stats import spearmanr
    from sklearn.model_selection import GroupKFold

    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    samples = [s for s in table.columns if s in metadata.index]
    md = metadata.loc[samples]
    check_design(
        md,
        reference,
        age_column=age_column,
        bin_column=bin_column,
        subject_column=subject_column,
        n_folds=n_folds,
        min_per_bin=min_per_bin,
    )
    ref_mask = reference.reindex(samples).fillna(False).astype(bool)
    ref_ids = list(ref_mask.index[ref_mask])
    subjects = md.loc[ref_ids, subject_column].astype(str)
    bins = md[bin_column]
    rel = relative_abundance(table[samples]).T  # samples x features
    features = clr(table[samples]) if method == "clr_enet" else rel
    age_ref = pd.to_numeric(md.loc[ref_ids, age_column]).to_numpy(dtype=float)
    # the linear models learn log age (ages of 0 days count as half a day)
    log_age = method != "forest"
    y = np.log(np.maximum(age_ref, 0.5)) if log_age else age_ref
    x_all = features.to_numpy()
    x_ref = features.loc[ref_ids].to_numpy()
    groups_ref = subjects.to_numpy()

    def fit(x, target, groups):
        if method == "trajectory":
            return TrajectoryScore().fit(x, target)
        if method == "clr_enet":
            return _clr_enet(random_state, n_jobs, groups).fit(x, target)
        forest = SelectedForest(
            n_estimators=n_estimators,
            max_features=max_features,
            n_selected=n_selected,
            random_state=random_state,
            n_jobs=n_jobs,
        )
        if method == "forest":
            return forest.fit(x, target)
        return Ensemble(forest, TrajectoryScore()).fit(x, target)

    folds = GroupKFold(n_splits=n_folds, shuffle=True, random_state=random_state)
    oof = np.empty(len(ref_ids))
    fold_of = np.empty(len(ref_ids), dtype=int)
    for k, (train, test) in enumerate(folds.split(x_ref, y, groups=groups_ref)):
        model = fit(x_ref[train], y[train], groups_ref[train])
        oof[test] = model.predict(x_ref[test])
        fold_of[test] = k
    final = fit(x_ref, y, groups_ref)
    if log_age:
        oof = np.exp(oof)
    others = list(ref_mask.index[~ref_mask])
    pred = pd.Series(np.nan, index=samples, dtype=float)
    pred.loc[ref_ids] = oof
    if others:
        rows = features.index.get_indexer(others)
        out = final.predict(x_all[rows])
        pred.loc[others] = np.exp(out) if log_age else out

    scores = maz_scores(pred, bins, ref_mask)
    age = pd.to_numeric(md[age_column], errors="coerce")
    ref_curve = pd.DataFrame({"age": age_ref, "pred": oof}).groupby("age")["pred"]
    grid = ref_curve.mean()
    spline = make_smoothing_spline(
        grid.index.to_numpy(), grid.to_numpy(), w=ref_curve.size().to_numpy()
    )
    scores.insert(0, "age", age)
    scores.insert(3, "relative_maturity", pred - spline(age.to_numpy()))
    scores["reference"] = ref_mask.to_numpy()
    fold = pd.Series(pd.NA, index=samples, dtype="Int64")
    fold.loc[ref_ids] = fold_of
    scores["fold"] = fold
    # a forest lists the features it selected, the other models every one
    used = getattr(final, "cols_", np.arange(features.shape[1]))
    importances = pd.Series(
        _importances(final)[used], index=features.columns[used], name="importance"
    ).sort_values(ascending=False, kind="stable")
    return MaturityResult(
        scores=scores,
        importances=importances,
        training=ref_ids,
        cv_spearman=float(spearmanr(oof, age_ref).statistic),
        cv_by_bin=_by_bin(oof, age_ref, bins.loc[ref_ids].to_numpy()),
    )


def _importances(model) -> np.ndarray:
    """Return the model's feature importances.

    Impurity importances of a forest, the deshrunk weights of a trajectory
    score, the absolute standardised coefficients of the elastic net.
    """
    if hasattr(model, "feature_importances_"):
        return model.feature_importances_
    return np.abs(model[-1].coef_)


def _by_bin(oof: np.ndarray, age: np.ndarray, bins: np.ndarray) -> pd.DataFrame:
    """Summarise the out-of-fold predictions per reference bin.

    Per reference bin: n, out-of-fold Spearman with age, median prediction
    and the share of predictions within 5% of the oldest reference age.
    """
    from scipy.stats import spearmanr

    top = age.max()
    rows = []
    for b in sorted(set(bins)):
        inside = bins == b
        rho = (
            float(spearmanr(oof[inside], age[inside]).statistic)
            if inside.sum() > 2 and np.ptp(age[inside]) > 0
            else np.nan
        )
        rows.append(
            {
                "bin": b,
                "n": int(inside.sum()),
                "spearman": rho,
                "median_prediction": float(np.median(oof[inside])),
                "at_ceiling": float(np.mean(oof[inside] >= 0.95 * top)),
            }
        )
    return pd.DataFrame(rows)


def edge_note(
    target: float,
    age: pd.Series,
    state: pd.Series,
    reference: pd.Series,
    prediction: pd.Series | None = None,
) -> str | None:
    """Warn when a claim's target age is in the oldest reference bin.

    There no reference sample is much older than the children scored, so the
    score must extrapolate to rank the most mature of them (a random forest
    cannot: its predictions stop at the oldest training age). Returns None
    when the target age is below that bin. With ``prediction``, the share of
    that bin's predictions within 5% of the oldest reference age is given.

    Examples
    --------
    >>> age = pd.Series([7, 30, 360, 400]); state = pd.Series([0, 14, 180, 180])
    >>> edge_note(90, age, state, pd.Series([True] * 4)) is None
    True
    >>> edge_note(365, age, state, pd.Series([True] * 4))[:52]
    'target age 365 d is in the oldest reference age bin '
    """
    ref = reference.reindex(age.index).fillna(False).astype(bool)
    ref_state = pd.to_numeric(state[ref], errors="coerce").dropna()
    if ref_state.empty:
        return None
    last = float(ref_state.max())
    if target < last:
        return None
    oldest = float(pd.to_numeric(age[ref], errors="coerce").max())
    note = (
        f"target age {target:g} d is in the oldest reference age bin "
        f"(from {last:g} d; oldest reference sample {oldest:g} d): no reference "
        "is older, so the score must extrapolate to rank the most mature children"
    )
    if prediction is not None:
        in_bin = prediction[pd.to_numeric(state, errors="coerce") == last]
        share = float((in_bin >= 0.95 * oldest).mean()) if len(in_bin) else np.nan
        note += (
            f"; {share:.0%} of that bin's predictions are within 5% of the oldest "
            "reference age"
        )
    return note


def bin_ages(ages: pd.Series, edges: list[float]) -> pd.Series:
    """Return the lower edge of the bin each age falls in (NaN outside the edges).

    Examples
    --------
    >>> bin_ages(pd.Series([0, 13, 14, 400]), [0, 14, 60]).tolist()
    [0.0, 0.0, 14.0, nan]
    """
    edges_arr = np.asarray(sorted(edges), dtype=float)
    values = pd.to_numeric(ages, errors="coerce").to_numpy(dtype=float)
    k = np.searchsorted(edges_arr, values, side="right") - 1
    inside = (k >= 0) & (values < edges_arr[-1]) & ~np.isnan(values)
    out = np.where(inside, edges_arr[np.clip(k, 0, len(edges_arr) - 1)], np.nan)
    return pd.Series(out, index=ages.index, name="age_bin")


def scored_samples(
    metadata: pd.DataFrame,
    *,
    age_column: str,
    body_site: str | None = None,
    max_age: float | None = None,
    bin_edges: list[float] | None = None,
) -> pd.DataFrame:
    """Pick the samples to score: of ``body_site``, with an age at most ``max_age``.

    With ``bin_edges``, an ``age_bin`` column is added (see :func:`bin_ages`).
    Samples without an age are left out (they cannot be placed in a bin).
    """
    if age_column not in metadata.columns:
        raise ValueError(f"metadata has no column {age_column!r}")
    md = metadata
    if body_site is not None and "body_site" not in md.columns:
        raise ValueError("metadata has no column 'body_site' to pick the samples")
    if body_site is not None:
        md = md[md["body_site"] == body_site]
    age = pd.to_numeric(md[age_column], errors="coerce")
    keep = age.notna() & (age >= 0)
    if max_age is not None:
        keep &= age <= max_age
    md = md[keep].copy()
    if bin_edges is not None:
        md["age_bin"] = bin_ages(md[age_column], bin_edges)
        md = md[md["age_bin"].notna()]
    if md.empty:
        raise ValueError(
            f"no sample of body site {body_site} has an age in {age_column} within "
            f"0-{max_age}; check the maturity settings"
        )
    return md


def join_reference(
    table: pd.DataFrame,
    metadata: pd.DataFrame,
    ref_table: pd.DataFrame,
    ref_metadata: pd.DataFrame,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """Add a separate reference study's table and metadata to a study's.

    Features are joined by ID (MD5 feature IDs make ASVs of different runs
    join; collapse both to a rank first otherwise), missing ones count 0.
    Returns the joined table, the joined metadata and the reference mask (the
    reference study's samples).

    Raises
    ------
    ValueError
        A sample ID is in both studies.
    """
    shared = sorted(set(table.columns) & set(ref_table.columns))
    if shared:
        raise ValueError(
            f"sample IDs in both the study and the reference table: "
            f"{', '.join(shared[:5])}; rename them in one of the two"
        )
    joined = pd.concat([table, ref_table], axis=1).fillna(0).astype("int64")
    md = pd.concat([metadata, ref_metadata], axis=0)
    reference = pd.Series(md.index.isin(ref_table.columns), index=md.index)
    return joined, md, reference


def score_maturity(
    table: pd.DataFrame,
    metadata: pd.DataFrame,
    settings: dict,
    *,
    taxonomy: pd.Series | pd.DataFrame | None = None,
    reference_table: pd.DataFrame | None = None,
    reference_metadata: pd.DataFrame | None = None,
    state_column: str | None = None,
    test_size: float = 0.5,
    stratify: bool = False,
    random_state: int = 0,
    n_jobs: int = 1,
) -> MaturityResult:
    """Run the workflow's maturity step.

    The workflow's maturity step: pick the samples, the reference and the
    features the config's ``maturity`` section names, then score them.

    Parameters
    ----------
    table
        Counts, features x samples.
    metadata
        Per-sample metadata indexed by sample ID.
    settings
        The config's ``maturity`` section, defaults filled (``mode``,
        ``method``, ``body_site``, ``age_column``, ``max_age``, ``bin_edges``,
        ``subject_column``, ``reference_column``, ``reference_value``,
        ``rank``, ``n_estimators``, ``n_selected``, ``folds``,
        ``min_per_bin``).
    taxonomy
        Feature taxonomy; with a ``rank`` other than ``asv`` the table is
        collapsed to that rank (grouped mode).
    reference_table, reference_metadata
        A separate reference study (grouped mode): its samples are the
        reference, ``reference_column`` is not used.
    state_column
        Score on this metadata column's states as they are, QIIME 2's state
        column: no body-site or age filter, no age bins.
    test_size, stratify
        QIIME 2 mode's train/test split.
    random_state, n_jobs
        Seed and workers of the models.

    Returns
    -------
    MaturityResult
        Scores per sample, feature importances and, in grouped mode, the
        out-of-fold diagnostics (``cv_spearman``, ``cv_by_bin``).

    Raises
    ------
    ValueError
        A column the settings name is missing, no sample is left, or the
        reference is empty; the message names the setting.
    """
    mode = settings["mode"]
    reference = None
    if reference_table is not None:
        if mode == "qiime2":
            raise ValueError("a separate reference study works with mode grouped only")
        table, metadata, reference = join_reference(
            table, metadata, reference_table, reference_metadata
        )
    if state_column is None:
        metadata = scored_samples(
            metadata,
            age_column=settings["age_column"],
            body_site=settings["body_site"],
            max_age=settings["max_age"],
            bin_edges=settings["bin_edges"],
        )
        state_column = "age_bin"
    elif state_column not in metadata.columns:
        raise ValueError(f"metadata has no state column {state_column!r}")
    table = table[[s for s in table.columns if s in metadata.index]]
    empty = list(table.columns[table.sum(axis=0) == 0])
    if empty:
        log.warning("left out of maturity, no reads: %s", ", ".join(empty))
        table = table.drop(columns=empty)
    group_by, control = settings["reference_column"], settings["reference_value"]
    if reference is None:
        if group_by not in metadata.columns:
            raise ValueError(
                f"metadata has no column {group_by!r} (maturity.reference_column)"
            )
        reference = metadata[group_by].astype(str) == control
    if mode == "qiime2":
        return maturity_index_qiime2(
            table,
            metadata,
            state_column=state_column,
            group_by=group_by,
            control=control,
            n_estimators=settings["n_estimators"],
            test_size=test_size,
            stratify=stratify,
            random_state=random_state,
            n_jobs=n_jobs,
        )
    for key in ("age_column", "subject_column"):
        if settings[key] not in metadata.columns:
            raise ValueError(
                f"metadata has no column {settings[key]!r} (maturity.{key})"
            )
    if taxonomy is not None and settings["rank"] != "asv":
        table = collapse(table, taxonomy, rank=settings["rank"])
    result = maturity_index(
        table,
        metadata,
        age_column=settings["age_column"],
        bin_column=state_column,
        subject_column=settings["subject_column"],
        reference=reference,
        method=settings["method"],
        n_estimators=settings["n_estimators"],
        n_selected=settings["n_selected"] or None,
        n_folds=settings["folds"],
        min_per_bin=settings["min_per_bin"],
        random_state=random_state,
        n_jobs=n_jobs,
    )
    log.info(
        "%s: out-of-fold Spearman(predicted, age) = %.3f over all ages",
        settings["method"],
        result.cv_spearman,
    )
    for _, b in result.cv_by_bin.iterrows():
        rho = f"{b['spearman']:.3f}" if pd.notna(b["spearman"]) else "n/a (one age)"
        log.info(
            "  bin %g: %d reference samples, out-of-fold Spearman with age %s, "
            "median prediction %.0f, %.0f%% within 5%% of the oldest reference age",
            b["bin"],
            b["n"],
            rho,
            b["median_prediction"],
            100 * b["at_ceiling"],
        )
    return result
