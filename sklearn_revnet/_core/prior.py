"""The input prior ``p(x)``: a Gaussian mixture fitted on X alone, never on y.

The mixture is scikit-learn's :class:`~sklearn.mixture.GaussianMixture`. It is
fitted on standardized features (so that its covariance regularization means
the same for every feature, whatever its unit) and its parameters are then
mapped back, so the fitted object works on the user's inputs as they are
(``prior_.score_samples(X)``, ``prior_.sample(n)``). What the reverse
direction needs beyond scikit-learn's API lives here: the log-density and its
gradient with respect to ``x``, and seeded draws.
"""

import time

import numpy as np
from sklearn import config_context
from sklearn.mixture import GaussianMixture
from sklearn.utils import check_random_state

MAX_ROWS = 2000  # the prior is fitted on at most this many rows
MAX_AUTO_COMPONENTS = 30  # the largest mixture that prior="auto" considers
MIN_ROWS_PER_COMPONENT = 40  # prior="auto" fits no component to fewer distinct rows
_AUTO_SIZES = (1, 2, 3, 4, 6, 8, 11, 16, 22, 30)  # sizes prior="auto" tries, in order
_AUTO_STOP = 2  # stop the search after this many sizes without improvement


def fit_prior(X, sample_weight=None, prior="auto", random_state=None, verbose=0):
    """Fit the input prior on the rows of ``X``.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    sample_weight : ndarray of shape (n_samples,) or None
        Non-uniform weights are honoured by fitting on a systematic resample
        of the rows (each drawn with probability proportional to its
        weight): GaussianMixture takes no weights.
    prior : "auto", "diagonal" or int
        ``"auto"``: the full-covariance mixture, of 1 to 30 components with
        at least 40 distinct rows each, that minimizes the Akaike
        information criterion; an int: that many
        full-covariance components; ``"diagonal"``: one Gaussian with a
        diagonal covariance.
    random_state : int, RandomState instance or None
    verbose : int, default=0
        If positive, print what was fitted and how long it took.

    Returns
    -------
    gmm : GaussianMixture
        Fitted, with its parameters in the coordinates of ``X``.

    Notes
    -----
    The mixture is fitted on at most 2000 rows (``MAX_ROWS``): with more, on
    a systematic resample of that many (every row at most once when the
    weights are equal). A density needs the shape of the data, not every
    row, and fitting mixtures of up to 30 full-covariance components on all
    the rows of a large data set would cost more than training the network
    (on 20000 rows of 100 features, minutes against seconds).
    """
    rng = check_random_state(random_state)
    index = prior_rows(X.shape[0], sample_weight, rng)
    return fit_prior_on_rows(X if index is None else X[index], prior, rng, verbose)


def prior_rows(n_samples, sample_weight, rng):
    """Indices of the rows the prior is fitted on, or None for all of them.

    All the rows when there are at most ``MAX_ROWS`` of equal weight; else a
    systematic resample of ``min(n_samples, MAX_ROWS)``.
    """
    weighted = sample_weight is not None and np.ptp(sample_weight) > 0
    if weighted or n_samples > MAX_ROWS:
        weights = np.ones(n_samples) if sample_weight is None else sample_weight
        return _systematic_resample(weights, min(n_samples, MAX_ROWS), rng)
    return None


def fit_prior_on_rows(X, prior, rng, verbose=0):
    """Fit the input prior on exactly the rows of ``X`` (already resampled).

    With ``verbose``, print the mixture chosen (and, for ``"auto"``, the
    criterion of each size tried) and the seconds the fit took.
    """
    start = time.perf_counter()
    X = X.toarray() if hasattr(X, "toarray") else X
    X = np.asarray(X, dtype=np.float64)
    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    scale[scale == 0] = 1.0  # a constant feature keeps its unit
    U = (X - mean) / scale
    if len(U) == 1:  # GaussianMixture needs two rows; one point is a point either way
        U = np.vstack([U, U])
    seed = rng.randint(np.iinfo(np.int32).max)
    # a numpy mixture, whatever the array API dispatch setting (under it,
    # GaussianMixture refuses its k-means initialization)
    tried = {}  # prior="auto": the AIC of each size tried
    with config_context(array_api_dispatch=False):
        if prior == "diagonal":
            gmm = _diagonal(U)
        elif prior == "auto":
            gmm = _auto_mixture(U, _n_distinct(U), seed, tried)
        else:
            gmm = _fit(U, min(int(prior), _n_distinct(U)), "full", seed)
    gmm = _to_data_coordinates(gmm, mean, scale)
    if verbose:
        _report(gmm, tried, X.shape, time.perf_counter() - start)
    return gmm


def _report(gmm, tried, shape, seconds):
    """Print the prior that was fitted, how it was chosen, and how long it took."""
    kind = "full-covariance" if gmm.covariance_type == "full" else "diagonal"
    chosen = ""
    if tried:
        sizes = ", ".join(f"{k}: {aic:.6g}" for k, aic in tried.items())
        chosen = f", chosen by AIC among sizes {{{sizes}}}"
    print(
        f"Input prior: a Gaussian mixture of {gmm.n_components} {kind} "
        f"component{'s' if gmm.n_components > 1 else ''}{chosen}, "
        f"on {shape[0]} rows of {shape[1]} features, fitted in {seconds:.2f} s"
    )


def _n_distinct(U):
    return len(np.unique(U, axis=0))


def _fit(U, n_components, covariance_type, seed):
    return GaussianMixture(
        n_components, covariance_type=covariance_type, reg_covar=1e-6, random_state=seed
    ).fit(U)


def _diagonal(U):
    """One diagonal Gaussian: the mean and variance of each feature.

    These are its maximum-likelihood parameters in closed form; started
    there, scikit-learn's EM only confirms them (one step), so the fit
    skips the k-means initialization and costs next to nothing.
    """
    variance = U.var(axis=0) + 1e-6
    return GaussianMixture(
        1,
        covariance_type="diag",
        reg_covar=1e-6,
        weights_init=[1.0],
        means_init=U.mean(axis=0)[None],
        precisions_init=1.0 / variance[None],
    ).fit(U)


def _auto_mixture(U, n_distinct, seed, tried):
    """The full-covariance mixture with the smallest AIC among a few sizes.

    AIC estimates the expected log-likelihood of new data (the divergence
    from the true density), which is what generated samples need; BIC aims
    at the 'true' number of components and chooses mixtures too coarse to
    sample from (on digits it picks 6 components, and a random forest tells
    their samples from real digits 75% of the time, against 57-61% with the
    20-30 that AIC picks). But AIC alone overfits small data sets: on the 90
    training rows of iris it picks 18 components of 5 rows each, and the
    samples become near-copies of training rows. So each component has at
    least 40 distinct rows. With many features that leaves covariances
    estimated from fewer rows than features, held up only by ``reg_covar``;
    a floor that grows with the features (twice as many rows as features)
    was tried and made things worse: on the 64 raw pixels of half the
    digits it allows 7 components instead of 22, and an independent
    classifier recognizes 80% of the samples instead of 92%.

    Sizes are tried on a roughly geometric grid (AIC changes slowly with
    the size near its minimum), in increasing order, until two in a row fail
    to improve on the best; the best fit is kept as it is. ``tried`` gets the
    AIC of each size tried.
    """
    largest = max(1, min(MAX_AUTO_COMPONENTS, n_distinct // MIN_ROWS_PER_COMPONENT))
    sizes = sorted({k for k in _AUTO_SIZES if k < largest} | {largest})
    best, best_aic, since_best = None, np.inf, 0
    for k in sizes:
        gmm = _fit(U, k, "full", seed)
        aic = tried[k] = gmm.aic(U)
        if aic < best_aic:
            best, best_aic, since_best = gmm, aic, 0
        else:
            since_best += 1
            if since_best == _AUTO_STOP:
                break
    return best


def _to_data_coordinates(gmm, mean, scale):
    """Map a mixture fitted on ``(x - mean) / scale`` back to ``x``."""
    gmm.means_ = mean + scale * gmm.means_
    if gmm.covariance_type == "full":
        gmm.covariances_ = gmm.covariances_ * np.outer(scale, scale)
        gmm.precisions_cholesky_ = gmm.precisions_cholesky_ / scale[:, None]
        gmm.precisions_ = gmm.precisions_ / np.outer(scale, scale)
    else:  # "diag"
        gmm.covariances_ = gmm.covariances_ * scale**2
        gmm.precisions_cholesky_ = gmm.precisions_cholesky_ / scale
        gmm.precisions_ = gmm.precisions_ / scale**2
    return gmm


def _systematic_resample(weights, n, rng):
    """Row indices, each row drawn about ``n * w_i / sum(w)`` times."""
    cumulative = np.cumsum(weights, dtype=np.float64)
    positions = resample_positions(cumulative[-1], n, rng)
    return np.minimum(np.searchsorted(cumulative, positions, side="right"), len(weights) - 1)


def resample_positions(total_weight, n, rng):
    """The ``n`` evenly spaced positions, on the cumulative weight, of a systematic resample.

    Row ``i`` is drawn once for each position in ``[W_{i-1}, W_i)``, where
    ``W_i`` is the cumulative weight of rows ``0..i``.
    """
    return (rng.uniform() + np.arange(n)) * (total_weight / n)
