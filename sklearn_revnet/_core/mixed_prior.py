r"""The input prior of mixed data: a latent-class mixture of Gaussians and categories.

Where some of the classifier's inputs encode categories
(:class:`~sklearn_revnet._core.categories.Categories`), the prior is a
mixture whose components each hold a Gaussian of the continuous inputs (in
the per-feature map's coordinates ``u = T(x)``, as
:mod:`~sklearn_revnet._core.prior` has it) times an independent categorical
distribution of each categorical column:

.. math::

    p(x) = \sum_k w_k \, N(T(x_c) \mid \mu_k, \Sigma_k) \, |T'(x_c)|
    \prod_b \pi_{k b}(c_b),

where ``x_c`` are the continuous inputs and ``c_b`` the category of column
``b``. It is a density with respect to the counting measure on the
categories times Lebesgue measure on the continuous inputs: a row whose
categorical inputs hold no code has density 0. Within a component the
columns are independent; across components they are not (the latent-class
model of categorical data, with Gaussians beside it). It is fitted by
expectation-maximization, without labels, and its map, covariance type,
size and regularization are chosen by held-out log-likelihood as for
continuous data (:mod:`~sklearn_revnet._core.prior_search`). Each
component's category probabilities are smoothed by one row's worth of
counts, spread over each column's categories in the shares of all the rows
(themselves smoothed by half a count per category, Jeffreys' prior, so that
a category no row holds keeps some probability). Half a count per category
and component, the uniform alternative, gives the rare categories of a
column to every small component: on the credit data of
``benchmarks/bench_tabular.py`` it scored -3.72 nats per held-out row
against -3.39 (and -3.45 and -3.57 for a quarter and four rows' worth).
"""

import time

import numpy as np
from sklearn.mixture import GaussianMixture
from sklearn.model_selection import KFold

from sklearn_revnet._core.marginal import YeoJohnson
from sklearn_revnet._core.prior import OFFSET_PERCENTILE, InputPrior, choose
from sklearn_revnet._core.prior_search import (
    N_FOLDS,
    SIZES,
    Search,
    _log_terms,
    _m_step,
    kmeans_labels,
    logsumexp,
)

PSEUDO_COUNT = 0.5  # per category: Jeffreys' prior on the rows' overall category shares
PSEUDO_ROWS = 1.0  # each component's categories hold this many rows at those shares


def _log_terms_mixed(U, C, weights, means, covariances, log_probs, covariance_type):
    """``log w_k + log N(u | mu_k, Sigma_k) + sum_b log pi_kb(c_b)`` per row and component."""
    if U.shape[1]:
        terms = _log_terms(U, weights, means, covariances, covariance_type)
    else:
        terms = np.tile(np.log(weights), (len(U), 1))
    return terms + C @ log_probs.T


def _m_step_mixed(U, C, pseudo, offsets, resp, covariance_type, reg_covar):
    """Weights, means, covariances and log category probabilities of ``resp``
    (each component's category counts start from ``pseudo``, :func:`_pseudo_counts`)."""
    if U.shape[1]:
        weights, means, covariances = _m_step(U, resp, covariance_type, reg_covar)
    else:
        counts = resp.sum(axis=0) + 10 * np.finfo(float).eps
        weights, means, covariances = counts / counts.sum(), np.zeros((resp.shape[1], 0)), None
    counts = resp.T @ C + pseudo
    log_probs = np.empty_like(counts)
    for start, stop in zip(offsets[:-1], offsets[1:]):
        block = counts[:, start:stop]
        log_probs[:, start:stop] = np.log(block / block.sum(axis=1, keepdims=True))
    return weights, means, covariances, log_probs


def _pseudo_counts(C, offsets):
    """Each component's prior counts of the categories: ``PSEUDO_ROWS`` rows spread
    over each column's categories in the shares of all the rows (Jeffreys-smoothed,
    so that a category the rows miss keeps some probability).

    A component of few rows then leans toward the overall shares, rather than
    toward uniform ones, which would add the rare categories of a column to
    every small component and bias the mixture's own shares.
    """
    shares = C.sum(axis=0) + PSEUDO_COUNT
    for start, stop in zip(offsets[:-1], offsets[1:]):
        shares[start:stop] *= PSEUDO_ROWS / shares[start:stop].sum()
    return shares


def fit_latent_class(U, C, offsets, k, covariance_type, reg_covar, seed, max_iter=100, tol=1e-3):
    """EM for the latent-class mixture, from the clusters of k-means on ``[U, C]``.

    Returns ``(weights, means, covariances, log_probs)``; raises
    ``LinAlgError`` for an ill-defined covariance. Stops when the mean
    log-likelihood per row changes by less than ``tol``, as scikit-learn's
    ``GaussianMixture`` does.
    """
    labels = kmeans_labels(np.hstack([U, C]), k, np.random.RandomState(seed))
    resp = np.zeros((len(U), k))
    resp[np.arange(len(U)), labels] = 1.0
    pseudo = _pseudo_counts(C, offsets)  # the rows' shares: the same at every step
    params = _m_step_mixed(U, C, pseudo, offsets, resp, covariance_type, reg_covar)
    previous = -np.inf
    for _ in range(max_iter):
        terms = _log_terms_mixed(U, C, *params, covariance_type)
        log_p = logsumexp(terms, axis=1)
        resp = np.exp(terms - log_p[:, None])
        params = _m_step_mixed(U, C, pseudo, offsets, resp, covariance_type, reg_covar)
        current = float(np.mean(log_p))
        if abs(current - previous) < tol:
            break
        previous = current
    return params


class MixedSearch(Search):
    """:class:`~sklearn_revnet._core.prior_search.Search` for the latent-class mixture.

    The same folds, candidates and order; each candidate is scored with the
    rows' categories (one-hot indicators ``C``, blocks at ``offsets``) beside
    their continuous part ``X``.
    """

    def __init__(self, X, C, offsets, seed):
        if X.shape[1]:
            super().__init__(X, seed)
        else:
            self._categories_only(len(X), seed)
        self.C_folds = [(C[train], C[held]) for train, held in self.fold_indices]
        self.offsets = offsets
        self.distinct = len(np.unique(np.hstack([X, C]), axis=0))
        self.sizes = [k for k in SIZES if k <= min(self.fold_rows // 2, self.distinct)] or [1]

    def _categories_only(self, n_rows, seed):
        self.seed, self.scores = seed, {}
        folds = list(KFold(N_FOLDS, shuffle=True, random_state=seed).split(np.zeros(n_rows)))
        empty = [
            (np.empty((len(t), 0)), np.empty((len(h), 0)), np.zeros(len(h))) for t, h in folds
        ]
        self.folds = {False: empty, True: empty}
        self.fold_indices = folds
        self.rows, self.fold_rows = n_rows, min(len(train) for train, _ in folds)

    def score(self, power, covariance_type, n_components, reg_covar):
        """Mean held-out log-likelihood per row of one candidate (-inf if a fit fails)."""
        key = (power, covariance_type, n_components, reg_covar)
        if n_components == 1 and covariance_type == "tied":
            key = (power, "full", n_components, reg_covar)
        if key not in self.scores:
            values = []
            for (U, U_held, log_det), (C, C_held) in zip(self.folds[power], self.C_folds):
                try:
                    params = fit_latent_class(
                        U, C, self.offsets, n_components, key[1], reg_covar, self.seed
                    )
                    terms = _log_terms_mixed(U_held, C_held, *params, key[1])
                except np.linalg.LinAlgError:
                    values.append(-np.inf)
                    continue
                values.append(float(np.mean(logsumexp(terms, axis=1) + log_det)))
            self.scores[key] = float(np.mean(values))
        return self.scores[key]


def gaussian_mixture(weights, means, covariances, covariance_type):
    """A fitted scikit-learn ``GaussianMixture`` holding these parameters.

    A ``"tied"`` covariance is written as a full one per component.
    """
    k, d = means.shape
    if covariance_type == "tied":
        covariances, covariance_type = np.tile(covariances, (k, 1, 1)), "full"
    mixture = GaussianMixture(k, covariance_type=covariance_type)
    mixture.weights_, mixture.means_, mixture.covariances_ = weights, means, covariances
    if covariance_type == "diag":
        mixture.precisions_cholesky_ = 1.0 / np.sqrt(covariances)
        mixture.precisions_ = 1.0 / covariances
    else:
        factors = np.linalg.cholesky(covariances)
        inverse = np.linalg.inv(factors)
        mixture.precisions_cholesky_ = np.transpose(inverse, (0, 2, 1))
        mixture.precisions_ = np.einsum("kji,kjl->kil", inverse, inverse)
    mixture.converged_, mixture.n_iter_, mixture.lower_bound_ = True, 0, -np.inf
    mixture.n_features_in_ = d
    return mixture


class MixedPrior(InputPrior):
    r"""The input prior of mixed data: a latent-class mixture (see the module's text).

    :class:`~sklearn_revnet._core.prior.InputPrior`'s API. ``score_samples``
    is :math:`\log p(x)` with respect to the counting measure on the
    categories times Lebesgue measure on the continuous inputs (-inf for a
    row whose categorical inputs hold no code).

    Attributes
    ----------
    categories_ : Categories
        The categorical blocks of the inputs and their codes.
    mixture_ : GaussianMixture or None
        The Gaussians of the continuous inputs' ``u`` (None without any).
    marginal_ : YeoJohnson or None
        The per-feature map of the continuous inputs.
    log_probs_ : ndarray of shape (n_components, n_categories_total)
        Each component's log category probabilities, block after block.
    """

    def __init__(self, weights, mixture, marginal, log_probs, categories, *args):
        super().__init__(mixture, marginal, *args)
        self._weights = weights
        self.log_probs_ = log_probs
        self.categories_ = categories

    @property
    def n_components(self):
        return len(self._weights)

    @property
    def weights_(self):
        """The components' weights."""
        return self._weights

    @property
    def means_(self):
        """Each component's centre: its modal categories' codes and ``T^-1`` of its mean."""
        cats = self.categories_
        modal = np.column_stack(
            [
                np.argmax(self.log_probs_[:, start:stop], axis=1)
                for start, stop in zip(cats.offsets[:-1], cats.offsets[1:])
            ]
        )
        X = cats.codes_of(modal)
        if self.mixture_ is not None:
            means = self.mixture_.means_
            marginal = self.marginal_
            X[:, cats.continuous] = (
                means if marginal is None else marginal.inverse_transform(means)
            )
        return X


def fit_mixed_prior_on_rows(X, categories, prior, seed, verbose=0):
    """Fit the latent-class prior on exactly the rows of ``X`` (already resampled).

    As :func:`~sklearn_revnet._core.prior.fit_prior_on_rows`, with the
    inputs of ``categories`` as categorical columns.
    """
    start = time.perf_counter()
    X = np.asarray(X.toarray() if hasattr(X, "toarray") else X, dtype=np.float64)
    C = categories.matches(X).astype(np.float64)  # one-hot indicators of the categories
    if np.any(np.add.reduceat(C, categories.offsets[:-1], axis=1) == 0):
        raise ValueError("The prior's rows hold categorical inputs that are no category's code.")
    X_c = X[:, categories.continuous]

    def distinct():
        return len(np.unique(np.hstack([X_c, C]), axis=0))

    def search_for(X_c):
        return MixedSearch(X_c, C, categories.offsets, seed)

    config, how, scores, best, X_c = choose(prior, X_c, seed, search_for, distinct)
    power, covariance_type, k, reg_covar = config
    marginal = YeoJohnson(X_c, power=power) if X_c.shape[1] else None
    U = marginal.transform(X_c) if marginal is not None else X_c
    try:
        params = fit_latent_class(U, C, categories.offsets, k, covariance_type, reg_covar, seed)
    except np.linalg.LinAlgError:  # the chosen regularization fails on all the rows
        params = fit_latent_class(U, C, categories.offsets, k, covariance_type, 1e-3, seed)
    weights, means, covariances, log_probs = params
    mixture = (
        gaussian_mixture(weights, means, covariances, covariance_type) if X_c.shape[1] else None
    )
    kind = "Yeo-Johnson" if power else "standardized"
    n_cat = len(categories.blocks)
    description = (
        f"a latent-class mixture of {k} component{'s' if k > 1 else ''}, each a "
        f"{covariance_type}-covariance Gaussian (reg_covar={reg_covar:g}) of the "
        f"{X_c.shape[1]} {kind} continuous features times the categories of "
        f"{n_cat} categorical column{'s' if n_cat > 1 else ''}{how}"
    )
    if verbose:
        print(
            f"Input prior: {description}; on {X.shape[0]} rows of {X.shape[1]} inputs, "
            f"fitted in {time.perf_counter() - start:.2f} s"
        )
    prior = MixedPrior(
        weights,
        mixture,
        marginal,
        log_probs,
        categories,
        covariance_type,
        description,
        scores,
        best,
    )
    prior.offset_ = float(np.percentile(prior.score_samples(X), OFFSET_PERCENTILE))
    return prior
