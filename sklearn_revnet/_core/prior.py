"""The input prior ``p(x)``: a Gaussian mixture after a per-feature map, fitted on X alone.

:class:`InputPrior` is the fitted density, in the coordinates of the
classifier's inputs: a per-feature monotone map ``u = T(x)``
(:mod:`~sklearn_revnet._core.marginal`: a Yeo-Johnson transform or a plain
standardization) and scikit-learn's
:class:`~sklearn.mixture.GaussianMixture` of ``u``, with the Jacobian of the
map in the density. ``prior="auto"`` chooses the map, the mixture's
covariance type, size and regularization by held-out log-likelihood
(:mod:`~sklearn_revnet._core.prior_search`). The density's gradient and
its draws, which the reverse direction needs beyond scikit-learn's API,
live in :mod:`~sklearn_revnet._core.density`.
"""

import time
from functools import partial

import numpy as np
from sklearn import config_context
from sklearn.utils import check_random_state

from sklearn_revnet._core.density import log_prior, sample_prior
from sklearn_revnet._core.marginal import YeoJohnson
from sklearn_revnet._core.prior_search import N_FOLDS, Search, fit_mixture

MAX_ROWS = 2000  # the prior is fitted on at most this many rows
OFFSET_PERCENTILE = 10  # offset_: this percentile of the training rows' log-density
_MIN_SEARCH_ROWS = 4 * N_FOLDS  # fewer rows than this: one Gaussian, no search


class InputPrior:
    r"""The input prior :math:`p(x)`: a Gaussian mixture of ``u = T(x)``.

    A density with scikit-learn's API (that of
    :class:`~sklearn.neighbors.KernelDensity`) in the coordinates of the
    classifier's inputs. :math:`\log p(x) = \log q(T(x)) + \log |T'(x)|`,
    where ``q`` is the mixture ``mixture_`` and ``T`` the per-feature map
    ``marginal_``.

    Attributes
    ----------
    mixture_ : GaussianMixture
        The mixture of ``u`` (a ``"tied"`` one written as ``"full"``).
    marginal_ : YeoJohnson
        The per-feature map ``x -> u``.
    covariance_type : {"full", "tied", "diag"}
        The covariance type chosen.
    description_ : str
        What was fitted and how it was chosen.
    search_scores_ : dict
        ``{(yeo_johnson, covariance_type, n_components, reg_covar):
        held-out log-likelihood per row}`` of every candidate scored
        (``prior="auto"``; else empty).
    search_best_ : tuple or None
        The key of the best of ``search_scores_``, None without a search. Its
        size is on a fold's training rows; the mixture has as many rows per
        component on all the rows, so more components (about 1.5 times).
    offset_ : float or None
        The 10th percentile of :math:`\log p(x)` over the rows the prior was
        fitted on (as :class:`~sklearn.covariance.EllipticEnvelope`'s
        ``offset_``, at a contamination of 0.1): a row below it is less
        likely than 90% of the training rows. A counterfactual's
        plausibility is judged against it. None where unknown.
    """

    def __init__(
        self, mixture, marginal, covariance_type, description, search_scores=None, search_best=None
    ):
        self.mixture_ = mixture
        self.marginal_ = marginal
        self.covariance_type = covariance_type
        self.description_ = description
        self.search_scores_ = {} if search_scores is None else search_scores
        self.search_best_ = search_best
        self.offset_ = None  # set by fit_prior_on_rows, which has the rows

    @property
    def n_components(self):
        return self.mixture_.n_components

    @property
    def weights_(self):
        """The components' weights."""
        return self.mixture_.weights_

    @property
    def means_(self):
        """The components' centres, mapped back to the inputs: ``T^-1`` of the means."""
        return self.marginal_.inverse_transform(self.mixture_.means_)

    def score_samples(self, X):
        r"""The log-density :math:`\log p(x)` of each row of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        log_density : ndarray of shape (n_samples,)
        """
        return log_prior(self, np.asarray(X, dtype=np.float64), gradient=False)[0]

    def score(self, X, y=None):
        """The mean log-density of the rows of ``X`` (``y`` is ignored)."""
        return float(np.mean(self.score_samples(X)))

    def sample(self, n_samples=1, random_state=None):
        """``n_samples`` independent draws, as rows of an ndarray.

        Parameters
        ----------
        n_samples : int, default=1
        random_state : int, RandomState instance or None, default=None

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        """
        return sample_prior(self, n_samples, check_random_state(random_state))


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
        ``"auto"``: the marginal map (Yeo-Johnson or a standardization),
        covariance type, size and ``reg_covar`` of the mixture with the best
        held-out log-likelihood (:mod:`~sklearn_revnet._core.prior_search`);
        an int: that many full-covariance components of the standardized
        features; ``"diagonal"``: one Gaussian with a diagonal covariance.
    random_state : int, RandomState instance or None
    verbose : int, default=0
        If positive, print what was fitted and how long it took.

    Returns
    -------
    prior : InputPrior
        Fitted, a density in the coordinates of ``X``.

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
    return fit_prior_on_rows(X if index is None else X[index], prior, prior_seed(rng), verbose)


def dequantized(X, seed):
    """``X`` with uniform noise over the rounding cell of each feature that has ties.

    A feature recorded to a resolution (pixel intensities, measurements to a
    millimetre, counts) repeats its values, and a continuous density can
    then buy held-out likelihood without limit by putting spikes on the
    repeated values (on half the digits, two diagonal components of
    variance 1e-8 scored +163 nats per held-out row, and drew unrecognizable
    digits). The standard remedy for continuous densities of discrete data
    (Theis, van den Oord and Bethge, 2016) is to spread each value uniformly
    over its cell: here, for each feature with repeated values, a width of
    the smallest gap between its distinct values. A feature without ties is
    left as it is.
    """
    X = np.array(X, dtype=np.float64)
    rng = np.random.RandomState(seed)
    for j in range(X.shape[1]):
        values = np.unique(X[:, j])
        if 1 < len(values) < len(X):
            width = np.diff(values).min()
            X[:, j] += width * (rng.uniform(size=len(X)) - 0.5)
    return X


def prior_seed(rng):
    """The seed of the prior's mixtures and folds, drawn from ``rng``."""
    return rng.randint(np.iinfo(np.int32).max)


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


def fit_prior_on_rows(X, prior, seed, verbose=0):
    """Fit the input prior on exactly the rows of ``X`` (already resampled).

    With ``verbose``, print what was fitted, how it was chosen and the
    seconds the fit took.
    """
    start = time.perf_counter()
    X = X.toarray() if hasattr(X, "toarray") else X
    X = np.asarray(X, dtype=np.float64)
    if len(X) == 1:  # GaussianMixture needs two rows; one point is a point either way
        X = np.vstack([X, X])
    # a numpy mixture, whatever the array API dispatch setting (under it,
    # GaussianMixture refuses its k-means initialization)
    with config_context(array_api_dispatch=False):
        config, how, scores, best, X = choose(
            prior, X, seed, partial(Search, seed=seed), partial(_distinct, X)
        )
        power, covariance_type, k, reg_covar = config
        marginal = YeoJohnson(X, power=power)
        mixture = fit_mixture(marginal.transform(X), k, covariance_type, reg_covar, seed)
        if mixture is None:  # the chosen regularization fails on all the rows
            mixture = fit_mixture(marginal.transform(X), k, covariance_type, 1e-3, seed)
    kind = "Yeo-Johnson" if power else "standardized"
    description = (
        f"a Gaussian mixture of {k} {covariance_type}-covariance "
        f"component{'s' if k > 1 else ''} (reg_covar={reg_covar:g}) of the {kind} "
        f"features{how}"
    )
    if verbose:
        print(
            f"Input prior: {description}; on {X.shape[0]} rows of {X.shape[1]} features, "
            f"fitted in {time.perf_counter() - start:.2f} s"
        )
    prior = InputPrior(mixture, marginal, covariance_type, description, scores, best)
    prior.offset_ = float(np.percentile(prior.score_samples(X), OFFSET_PERCENTILE))
    return prior


def choose(prior, X, seed, search_for, distinct):
    """The mixture's ``(power, covariance_type, n_components, reg_covar)`` for ``prior``.

    ``"diagonal"`` and an int are fixed choices (an int capped at the
    ``distinct()`` rows); ``"auto"`` searches, with ``search_for(X)`` (a
    :class:`~sklearn_revnet._core.prior_search.Search`), on ``X`` dequantized,
    unless there are too few rows. Returns ``(config, how, scores, best, X)``:
    ``how`` says how it was chosen (for ``description_``), ``scores`` and
    ``best`` are the search's (None without one), and ``X`` the rows the
    mixture is to be fitted on.
    """
    how, scores, best = "", None, None  # what a search says, where there is one
    if prior == "diagonal":
        config = (False, "diag", 1, 1e-6)
    elif prior != "auto":
        config = (False, "full", min(int(prior), distinct()), 1e-6)
    elif len(X) < _MIN_SEARCH_ROWS:
        config = (False, "full", 1, 1e-6)
        how = f" (too few rows to choose by {N_FOLDS}-fold cross-validation)"
    else:
        X = dequantized(X, seed)
        search = search_for(X)
        score, best = search.best()
        scores = search.scores
        config = (*best[:2], search.size_on_all_rows(best[2]), best[3])
        how = (
            f", chosen among {len(scores)} candidates by {N_FOLDS}-fold held-out "
            f"log-likelihood ({score:.4g} nats per row, for {best[2]} "
            f"component{'s' if best[2] > 1 else ''} on a fold's "
            f"{search.fold_rows} training rows)"
        )
    return config, how, scores, best, X


def _distinct(X):
    return len(np.unique(X, axis=0))


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
