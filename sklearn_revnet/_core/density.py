"""The input prior's density, its gradient and its draws.

:class:`PriorDensity` computes ``log p(x)`` and ``d log p(x) / dx`` of a
fitted :class:`~sklearn_revnet._core.prior.InputPrior`: its per-feature map
(:mod:`~sklearn_revnet._core.marginal`) and, through
:class:`MixtureDensity`, its :class:`~sklearn.mixture.GaussianMixture` (full
or diagonal covariances), with the constants computed once, in numpy or in
another array API namespace on a device. A bare ``GaussianMixture`` is a
prior too (without a map). The draws are numpy, seeded by a ``RandomState``.
"""

from functools import partial

import numpy as np
from scipy.special import logsumexp

from sklearn_revnet._core.marginal import forward
from sklearn_revnet._core.namespace import to_numpy


def _parts(prior):
    """``(mixture, marginal)`` of a prior; the marginal map is None for a bare mixture."""
    return getattr(prior, "mixture_", prior), getattr(prior, "marginal_", None)


class PriorDensity:
    """``log p(x)`` and its gradient for a prior: the mixture's at ``u = T(x)``, with the Jacobian.

    ``log p(x) = log q(u) + log |du/dx|`` and, the map acting feature by
    feature, ``d log p / dx = (d log q / du) * du/dx + d log |du/dx| / dx``.

    Parameters
    ----------
    prior : InputPrior or GaussianMixture
    xp : namespace, default=None
        Where to compute: None for numpy, else an array API namespace.
    device : device, default=None
        The device of ``xp`` arrays.
    """

    def __init__(self, prior, xp=None, device=None):
        mixture, marginal = _parts(prior)
        self.xp, self.device = xp, device
        self.categories = getattr(prior, "categories_", None)
        if self.categories is not None:  # a mixed prior: computed on the host
            self.mixed = MixedDensity(prior)
            return
        self.mixture = MixtureDensity(mixture, xp, device)
        self.constants = None if marginal is None else marginal.constants(xp, device)

    def __call__(self, X, gradient=True):
        """``(log_p, grad)`` for the rows of ``X`` (grad None without ``gradient``)."""
        if self.categories is not None:
            if self.xp is None:
                return self.mixed(X, gradient)
            log_p, grad = self.mixed(to_numpy(X), gradient)
            put = partial(self.xp.asarray, device=self.device)
            return put(log_p), None if grad is None else put(grad)
        if self.xp is None:
            X = np.asarray(X, dtype=np.float64)
        if self.constants is None:
            return self.mixture(X, gradient)
        xp = np if self.xp is None else self.xp
        with np.errstate(over="ignore", invalid="ignore"):
            U, du_dx, log_det, grad_log_det = forward(X, self.constants, self.xp, True)
            log_q, grad_q = self.mixture(U, gradient)
            # where the map overflows (inputs far beyond the data) the mixture's
            # density is 0: so is the prior's, whatever the Jacobian's arithmetic
            far = ~xp.isfinite(log_q)
            log_p = xp.where(far, xp.full_like(log_q, -xp.inf), log_q + log_det)
            if not gradient:
                return log_p, None
            return log_p, grad_q * du_dx + grad_log_det


class MixedDensity:
    """``log p(x)`` and its gradient for a latent-class prior (numpy).

    The mixture's terms of the continuous inputs, each component's plus its
    log category probabilities at the row's categories; the gradient is that
    of the continuous inputs (the categorical ones do not vary: 0 there). A
    row whose categorical inputs hold no code has density 0 (log -inf).
    """

    def __init__(self, prior):
        self.categories = prior.categories_
        self.log_probs = prior.log_probs_
        self.log_weights = np.log(prior.weights_)
        self.mixture = None if prior.mixture_ is None else MixtureDensity(prior.mixture_)
        self.constants = None if prior.marginal_ is None else prior.marginal_.constants()

    def __call__(self, X, gradient=True):
        X = np.asarray(X, dtype=np.float64)
        cats = self.categories
        matches = cats.matches(X)
        extra = matches @ self.log_probs.T
        grad = np.zeros_like(X) if gradient else None
        if self.mixture is None:
            log_p = logsumexp(self.log_weights + extra, axis=1)
        else:
            with np.errstate(over="ignore", invalid="ignore"):
                X_c = X[:, cats.continuous]
                if self.constants is None:  # no per-feature map
                    U, du_dx, log_det, grad_log_det = X_c, 1.0, 0.0, 0.0
                else:
                    U, du_dx, log_det, grad_log_det = forward(X_c, self.constants, None, True)
                log_q, grad_q = self.mixture(U, gradient, extra)
                log_p = np.where(np.isfinite(log_q), log_q + log_det, -np.inf)
                if gradient:
                    grad[:, cats.continuous] = grad_q * du_dx + grad_log_det
        # a block without a match: no code there, no density
        log_p[np.add.reduceat(matches, cats.offsets[:-1], axis=1).min(axis=1) == 0] = -np.inf
        return log_p, grad


class MixtureDensity:
    """``log p(x)`` and its gradient for a fitted GaussianMixture.

    The gradient is ``-sum_k r_k(x) P_k (x - mu_k)``, with ``P_k = L_k L_k^T``
    the precision of component ``k`` (``L_k`` its Cholesky factor,
    ``precisions_cholesky_``) and ``r_k`` its responsibility for ``x``. With
    ``y_k = (x - mu_k) L_k``, all components take two products: ``X`` times
    the factors side by side, and the responsibility-weighted ``y_k`` times
    their transposes stacked (the reverse direction evaluates this thousands
    of times; a product per component cost several times more).

    Parameters
    ----------
    gmm : GaussianMixture
        Fitted, with ``covariance_type`` "full" or "diag".
    xp : namespace, default=None
        Where to compute: None for numpy, else an array API namespace.
    device : device, default=None
        The device of ``xp`` arrays.
    """

    def __init__(self, gmm, xp=None, device=None):
        self.xp = xp
        k, d = gmm.means_.shape
        chol = gmm.precisions_cholesky_
        self.full = gmm.covariance_type == "full"
        if self.full:
            side_by_side = np.transpose(chol, (1, 0, 2)).reshape(d, k * d)
            offsets = np.einsum("kd,kde->ke", gmm.means_, chol).reshape(k * d)
            stacked = np.transpose(chol, (0, 2, 1)).reshape(k * d, d)
            log_det = np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1)
            arrays = {"side_by_side": side_by_side, "offsets": offsets, "stacked": stacked}
        else:
            log_det = np.log(chol).sum(axis=1)
            arrays = {"means": gmm.means_, "chol": chol}
        arrays["lead"] = np.log(gmm.weights_) + log_det
        for name, value in arrays.items():
            value = np.ascontiguousarray(value)
            setattr(self, name, value if xp is None else xp.asarray(value, device=device))
        self.constant = float(d * np.log(2 * np.pi))  # a Python float: any namespace takes it
        self.k, self.d = k, d

    def __call__(self, X, gradient=True, extra=None):
        """``(log_p, grad)`` for the rows of ``X`` (grad None without ``gradient``).

        Far beyond the data the squares overflow: the density is then 0 (its
        log -inf), which the callers treat as an impossible input. ``extra``
        (numpy only), of shape ``(n_rows, n_components)``, is added to each
        component's log-density (a latent-class prior's categories).
        """
        if self.xp is not None:
            return self._array_api(X, gradient)
        X = np.asarray(X, dtype=np.float64)
        n = X.shape[0]
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            if self.full:
                Y = X @ self.side_by_side - self.offsets
            else:
                Y = (X[:, None, :] - self.means[None]) * self.chol[None]
            Y = Y.reshape(n, self.k, self.d)
            squares = np.einsum("nkd,nkd->nk", Y, Y)
            log_terms = self.lead - 0.5 * (self.constant + squares)
            if extra is not None:
                log_terms = log_terms + extra
            # logsumexp over the components (scipy's costs more than the rest here)
            top = log_terms.max(axis=1)
            top[~np.isfinite(top)] = 0.0
            log_p = np.log(np.exp(log_terms - top[:, None]).sum(axis=1)) + top
            if not gradient:
                return log_p, None
            weighted = np.exp(log_terms - log_p[:, None])[:, :, None] * Y
            if self.full:
                grad = -(weighted.reshape(n, self.k * self.d) @ self.stacked)
            else:
                grad = -(weighted * self.chol[None]).sum(axis=1)
            return log_p, grad

    def _array_api(self, X, gradient):
        """:meth:`__call__` in the namespace ``xp``, the same formulas."""
        xp, n = self.xp, X.shape[0]
        if self.full:
            Y = xp.reshape(X @ self.side_by_side - self.offsets, (n, self.k, self.d))
        else:
            Y = (X[:, None, :] - self.means[None, ...]) * self.chol[None, ...]
        log_terms = self.lead - 0.5 * (self.constant + xp.sum(Y * Y, axis=2))
        top = xp.max(log_terms, axis=1)
        top = xp.where(xp.isfinite(top), top, xp.zeros_like(top))
        log_p = xp.log(xp.sum(xp.exp(log_terms - top[:, None]), axis=1)) + top
        if not gradient:
            return log_p, None
        weighted = xp.exp(log_terms - log_p[:, None])[:, :, None] * Y
        if self.full:
            grad = -(xp.reshape(weighted, (n, self.k * self.d)) @ self.stacked)
        else:
            grad = -xp.sum(weighted * self.chol[None, ...], axis=1)
        return log_p, grad


def log_prior(prior, X, gradient=True):
    """``log p(x)`` and its gradient ``d log p(x) / dx`` for each row of ``X`` (numpy).

    With ``gradient=False`` the gradient is not computed (None). See
    :class:`PriorDensity`, which keeps the constants for repeated calls.
    """
    return PriorDensity(prior)(X, gradient)


def prior_scale(prior):
    """Per-feature standard deviation of the prior's rows or mixture (a step scale)."""
    categories = getattr(prior, "categories_", None)
    if categories is not None:  # the categorical inputs do not move
        scale = np.zeros(categories.n_features)
        if prior.marginal_ is not None:
            scale[categories.continuous] = prior.marginal_.scale
        elif prior.mixture_ is not None:
            scale[categories.continuous] = prior_scale(prior.mixture_)
        return scale
    prior, marginal = _parts(prior)
    if marginal is not None:
        return marginal.scale
    w = prior.weights_ / prior.weights_.sum()
    if prior.covariance_type == "full":
        within = np.einsum("k,kii->i", w, prior.covariances_)
    else:
        within = w @ prior.covariances_
    mean = w @ prior.means_
    between = w @ (prior.means_ - mean) ** 2
    return np.sqrt(within + between)


def sample_components(prior, n, rng):
    """``n`` draws of each component, shape ``(n_components, n, n_features)``."""
    if getattr(prior, "categories_", None) is not None:
        labels = np.repeat(np.arange(prior.n_components), n)
        draws = _sample_mixed(prior, labels, rng)
        return draws.reshape(prior.n_components, n, -1)
    gmm, marginal = _parts(prior)
    draws = _sample_components(gmm, n, rng)
    if marginal is None:
        return draws
    return marginal.inverse_transform(draws.reshape(-1, draws.shape[2])).reshape(draws.shape)


def _sample_components(gmm, n, rng):
    d = gmm.means_.shape[1]
    noise = rng.standard_normal((len(gmm.weights_), n, d))
    if gmm.covariance_type == "full":
        factors = np.linalg.cholesky(gmm.covariances_)
        return gmm.means_[:, None] + noise @ np.transpose(factors, (0, 2, 1))
    return gmm.means_[:, None] + noise * np.sqrt(gmm.covariances_)[:, None]


def sample_prior(prior, n, rng):
    """``n`` independent draws from the prior, from the RandomState ``rng``."""
    if getattr(prior, "categories_", None) is not None:
        counts = rng.multinomial(n, prior.weights_ / prior.weights_.sum())
        labels = np.repeat(np.arange(len(counts)), counts)
        return _sample_mixed(prior, labels, rng)[rng.permutation(n)]
    gmm, marginal = _parts(prior)
    draws = _sample_mixture(gmm, n, rng)
    return draws if marginal is None else marginal.inverse_transform(draws)


def _sample_mixture(gmm, n, rng):
    counts = rng.multinomial(n, gmm.weights_ / gmm.weights_.sum())
    labels = np.repeat(np.arange(len(counts)), counts)
    X = _draw_components(gmm, labels, rng.standard_normal((n, gmm.means_.shape[1])))
    return X[rng.permutation(n)]


def _draw_components(gmm, labels, noise):
    """Row ``i`` of ``noise`` made a draw of the mixture's component ``labels[i]``."""
    X = np.empty_like(noise)
    for j in np.unique(labels):
        rows = labels == j
        if gmm.covariance_type == "full":
            factor = np.linalg.cholesky(gmm.covariances_[j])
            X[rows] = gmm.means_[j] + noise[rows] @ factor.T
        else:
            X[rows] = gmm.means_[j] + noise[rows] * np.sqrt(gmm.covariances_[j])
    return X


def draw_rows(weights, rng):
    """Per row of ``weights`` (non-negative, not all 0), a column drawn in proportion.

    One uniform per row, by the inverse of the row's cumulative weights.
    """
    cumulative = np.cumsum(weights, axis=1)
    drawn = (cumulative < rng.uniform(size=(len(weights), 1)) * cumulative[:, -1:]).sum(axis=1)
    return np.minimum(drawn, weights.shape[1] - 1)


def _sample_mixed(prior, labels, rng):
    """A draw of a latent-class prior's component ``labels[i]`` for each row ``i``."""
    cats = prior.categories_
    n = len(labels)
    index = np.empty((n, len(cats.blocks)), dtype=np.intp)
    for b, (start, stop) in enumerate(zip(cats.offsets[:-1], cats.offsets[1:])):
        index[:, b] = draw_rows(np.exp(prior.log_probs_[:, start:stop])[labels], rng)
    X = cats.codes_of(index)
    gmm = prior.mixture_
    if gmm is not None:
        U = _draw_components(gmm, labels, rng.standard_normal((n, gmm.means_.shape[1])))
        marginal = prior.marginal_
        X[:, cats.continuous] = U if marginal is None else marginal.inverse_transform(U)
    return X
