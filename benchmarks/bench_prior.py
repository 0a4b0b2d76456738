"""Input prior ``p(x)``: held-out log-likelihood of the package's density and of three anchors.

The classifier fits a density over its inputs (``fit_prior``), which the
reverse direction samples from and scores against. This script measures how
well that density generalizes: the mean log-likelihood per held-out row (nats,
higher is better) and the seconds its fit takes, next to three anchors fitted
on the same rows.

Data sets, each in the space a classifier would see it, split by
``train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)``:

- iris, wine, breast cancer: ``StandardScaler`` fitted on the training rows;
- digits (64 pixels): ``StandardScaler`` fitted on the training rows (a pixel
  constant on them keeps scale 1);
- digits through ``Whitener(n_components=20)`` fitted on the training rows;
- ``make_moons(n_samples=1000, noise=0.3, random_state=0)``, as generated;
- ``make_classification(n_samples=1000, n_features=10, n_informative=5,
  random_state=0)``, as generated.

The densities see the training rows only, never ``y``; each is scored with
``score_samples`` on the held-out rows. Rows of the table:

- ours: ``sklearn_revnet._core.prior.fit_prior(X_train, random_state=0)``,
  with what its search chose (its ``description_`` when it has one, else
  the size and covariance type of the Gaussian mixture it returned);
- AIC (previous default): re-implemented here, so that it stays measurable
  when the package changes: the rows are standardized (zero std -> 1) and
  full-covariance ``GaussianMixture(k, reg_covar=1e-6)`` are fitted for k in
  (1, 2, 3, 4, 6, 8, 11, 16, 22, 30) below ``largest = max(1, min(30,
  n_distinct_rows // 40))``, and ``largest``, in increasing order; the one of
  smallest AIC is kept, and the search stops after 2 sizes in a row without
  improvement. Its seed is the package's: the first
  ``randint(np.iinfo(np.int32).max)`` of ``check_random_state(0)``. The
  held-out log-likelihood adds the Jacobian of the standardization, ``-sum(log
  std)``. (The package also fitted on a resample of at most 2000 rows; every
  training set here is smaller.) While ``fit_prior`` returns a Gaussian
  mixture, the per-row held-out log-likelihoods of the two are compared on
  iris and wine (to 1e-8) and one line says whether they match;
- GMM CV: ``GridSearchCV(GaussianMixture(random_state=0), {"n_components":
  [1, 2, 3, 4, 6, 8, 11, 16], "covariance_type": ["full", "tied", "diag"]},
  cv=5)`` (``GaussianMixture.score`` is the mean log-likelihood per row), less
  the sizes larger than the smallest training fold;
- KDE CV: ``GridSearchCV(KernelDensity(), {"bandwidth": s * np.logspace(-1.5,
  1, 20)}, cv=5)``, where ``s`` is the mean per-feature std of the training
  rows (about 1 on standardized or whitened rows; moons and
  make_classification are not standardized), scored by the mean
  log-likelihood per row (``KernelDensity.score`` is the sum, which would
  weigh the folds by their sizes).

Fit seconds are wall time on one BLAS thread; for the CV anchors they cover
the whole search and the refit on all the training rows.

Goal, per data set: ours >= the best anchor (AIC, GMM CV, KDE CV) - 0.1 nats
per row.

Run: ``python benchmarks/bench_prior.py``
"""

import time
import warnings

import numpy as np
from sklearn.datasets import (
    load_breast_cancer,
    load_digits,
    load_iris,
    load_wine,
    make_classification,
    make_moons,
)
from sklearn.exceptions import ConvergenceWarning, FitFailedWarning
from sklearn.mixture import GaussianMixture
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.neighbors import KernelDensity
from sklearn.preprocessing import StandardScaler
from sklearn.utils import check_random_state
from threadpoolctl import threadpool_limits

from sklearn_revnet import Whitener
from sklearn_revnet._core.prior import fit_prior

RANDOM_STATE = 0
GOAL_MARGIN = 0.1  # nats per row: ours may trail the best anchor by this much
MATCH_TOLERANCE = 1e-8  # AIC re-implementation against the package, per row
MATCH_DATASETS = ("iris", "wine")

AIC_SIZES = (1, 2, 3, 4, 6, 8, 11, 16, 22, 30)
AIC_LARGEST = 30
AIC_ROWS_PER_COMPONENT = 40
AIC_STOP = 2

CV_FOLDS = 5
GMM_SIZES = (1, 2, 3, 4, 6, 8, 11, 16)
GMM_COVARIANCES = ("full", "tied", "diag")
KDE_BANDWIDTHS = np.logspace(-1.5, 1, 20)  # in units of the rows' mean std


# --------------------------------------------------------------------------
# data sets, in the classifier's input space


def standardized(X_train, X_test):
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test)


def whitened(X_train, X_test):
    whitener = Whitener(n_components=20).fit(X_train)
    return whitener.transform(X_train), whitener.transform(X_test)


def as_is(X_train, X_test):
    return X_train, X_test


def load_datasets():
    """name -> (X, y, map of the training and held-out rows into the input space)"""
    return {
        "iris": (*load_iris(return_X_y=True), standardized),
        "wine": (*load_wine(return_X_y=True), standardized),
        "breast cancer": (*load_breast_cancer(return_X_y=True), standardized),
        "digits, standardized": (*load_digits(return_X_y=True), standardized),
        "digits, Whitener(20)": (*load_digits(return_X_y=True), whitened),
        "moons": (*make_moons(n_samples=1000, noise=0.3, random_state=0), as_is),
        "classification": (
            *make_classification(n_samples=1000, n_features=10, n_informative=5, random_state=0),
            as_is,
        ),
    }


def split(X, y, to_input_space):
    X_train, X_test = train_test_split(X, test_size=0.3, stratify=y, random_state=RANDOM_STATE)
    X_train, X_test = to_input_space(X_train, X_test)
    return np.asarray(X_train, dtype=np.float64), np.asarray(X_test, dtype=np.float64)


# --------------------------------------------------------------------------
# densities: X_train -> (object with score_samples, what was chosen)


def ours(X_train):
    prior = fit_prior(X_train, random_state=RANDOM_STATE)
    description = getattr(prior, "description_", None)
    if isinstance(description, str):
        return prior, description
    if isinstance(prior, GaussianMixture):
        return prior, gmm_summary(prior)
    return prior, type(prior).__name__


def gmm_summary(gmm):
    return f"{gmm.n_components} {gmm.covariance_type}"


class StandardizedDensity:
    """A density fitted on ``(x - mean) / scale``, scored on ``x``."""

    def __init__(self, density, mean, scale):
        self.density, self.mean, self.scale = density, mean, scale

    def score_samples(self, X):
        U = (X - self.mean) / self.scale
        return self.density.score_samples(U) - np.log(self.scale).sum()


def aic_previous_default(X_train):
    seed = check_random_state(RANDOM_STATE).randint(np.iinfo(np.int32).max)
    mean = X_train.mean(axis=0)
    scale = X_train.std(axis=0)
    scale[scale == 0] = 1.0
    best, tried = aic_choice((X_train - mean) / scale, seed)
    chosen = f"{gmm_summary(best)} (sizes tried {','.join(map(str, tried))})"
    return StandardizedDensity(best, mean, scale), chosen


def aic_choice(U, seed):
    """The previous default's mixture of the standardized rows ``U``, and the sizes it tried."""
    n_distinct = len(np.unique(U, axis=0))
    largest = max(1, min(AIC_LARGEST, n_distinct // AIC_ROWS_PER_COMPONENT))
    sizes = sorted({k for k in AIC_SIZES if k < largest} | {largest})
    best, best_aic, since_best, tried = None, np.inf, 0, []
    for k in sizes:
        gmm = GaussianMixture(k, covariance_type="full", reg_covar=1e-6, random_state=seed).fit(U)
        aic = gmm.aic(U)
        tried.append(k)
        if aic < best_aic:
            best, best_aic, since_best = gmm, aic, 0
        else:
            since_best += 1
            if since_best == AIC_STOP:
                break
    return best, tried


def smallest_training_fold(n_samples, n_folds=CV_FOLDS):
    return n_samples - -(-n_samples // n_folds)  # KFold's largest test fold is ceil(n / k)


def gmm_cv(X_train):
    sizes = [k for k in GMM_SIZES if k <= smallest_training_fold(len(X_train))]
    grid = {"n_components": sizes, "covariance_type": list(GMM_COVARIANCES)}
    search = GridSearchCV(GaussianMixture(random_state=RANDOM_STATE), grid, cv=CV_FOLDS)
    search.fit(X_train)
    failed = int(np.isnan(search.cv_results_["mean_test_score"]).sum())
    chosen = gmm_summary(search.best_estimator_)
    if failed:
        chosen += f" ({failed} of {len(search.cv_results_['params'])} settings failed)"
    return search.best_estimator_, chosen


def mean_log_likelihood(estimator, X, y=None):
    return estimator.score_samples(X).mean()


def kde_cv(X_train):
    unit = X_train.std(axis=0).mean()
    grid = {"bandwidth": unit * KDE_BANDWIDTHS}
    search = GridSearchCV(KernelDensity(), grid, cv=CV_FOLDS, scoring=mean_log_likelihood)
    search.fit(X_train)
    bandwidth = search.best_params_["bandwidth"]
    chosen = f"bandwidth {bandwidth:.3g} ({bandwidth / unit:.3g} x mean std {unit:.3g})"
    return search.best_estimator_, chosen


DENSITIES = {
    "ours": ours,
    "AIC (previous default)": aic_previous_default,
    "GMM CV": gmm_cv,
    "KDE CV": kde_cv,
}
ANCHORS = ("AIC (previous default)", "GMM CV", "KDE CV")


# --------------------------------------------------------------------------


def evaluate(fit, X_train, X_test):
    start = time.perf_counter()
    density, chosen = fit(X_train)
    seconds = time.perf_counter() - start
    per_row = density.score_samples(X_test)
    return {"density": density, "chosen": chosen, "seconds": seconds, "per_row": per_row}


def aic_matches_package(results):
    """True, False, or None when the package's prior is no longer a Gaussian mixture."""
    compared = [results[name] for name in MATCH_DATASETS]
    if not all(isinstance(r["ours"]["density"], GaussianMixture) for r in compared):
        return None
    return all(
        np.allclose(r["ours"]["per_row"], r[ANCHORS[0]]["per_row"], rtol=0, atol=MATCH_TOLERANCE)
        for r in compared
    )


def main():
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    warnings.filterwarnings("ignore", category=FitFailedWarning)
    warnings.filterwarnings("ignore", message="One or more of the test scores are non-finite")
    total = time.perf_counter()
    results, all_met = {}, True
    for name, (X, y, to_input_space) in load_datasets().items():
        X_train, X_test = split(X, y, to_input_space)
        print(
            f"\n{name}: {len(X_train)} training rows, {len(X_test)} held-out rows, "
            f"{X_train.shape[1]} features"
        )
        print(f"  {'density':24s}{'log-lik/row':>12s}{'fit s':>8s}  chosen")
        results[name] = {}
        for method, fit in DENSITIES.items():
            r = results[name][method] = evaluate(fit, X_train, X_test)
            print(
                f"  {method:24s}{r['per_row'].mean():12.3f}{r['seconds']:8.2f}  {r['chosen']}",
                flush=True,
            )
        score = {method: r["per_row"].mean() for method, r in results[name].items()}
        best = max(ANCHORS, key=lambda method: score[method])
        met = score["ours"] >= score[best] - GOAL_MARGIN
        all_met &= bool(met)
        print(
            f"  ours >= best anchor - {GOAL_MARGIN} nats per row: {'met' if met else 'MISSED'} "
            f"(ours {score['ours']:.3f}, best anchor {best} {score[best]:.3f})"
        )

    print()
    matches = aic_matches_package(results)
    if matches is not None:
        print(f"AIC reimplementation matches the package: {'yes' if matches else 'no'}")
    print("all goals met" if all_met else "some goals MISSED")
    print(f"total run time: {time.perf_counter() - total:.0f} s")


if __name__ == "__main__":
    with threadpool_limits(limits=1):
        main()
