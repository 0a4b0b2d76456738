"""The input prior's density, its gradient and its draws.

:class:`PriorDensity` computes ``log p(x)`` and ``d log p(x) / dx`` of a
fitted :class:`~sklearn_revnet._core.prior.InputPrior`: its per-feature map
(:mod:`~sklearn_revnet._core.marginal`) and, through
:class:`MixtureDensity`, its :class:`~sklearn.mixture.GaussianMixture` (full
or diagonal covariances), with the constants computed once, in numpy or in
another array API namespace on a device. A bare ``GaussianMixture`` is a
prior too (without a map). The draws are numpy, seeded by a ``RandomState``.
"""

import numpy as np

from sklearn_revnet._core.marginal import forward


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
        self.xp = xp
        self.mixture = MixtureDensity(mixture, xp, device)
        self.constants = None if marginal is None else marginal.constants(xp, device)

    def __call__(self, X, gradient=True):
        """``(log_p, grad)`` for the rows of ``X`` (grad None without ``gradient``)."""
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

    def __call__(self, X, gradient=True):
        """``(log_p, grad)`` for the rows of ``X`` (grad None without ``gradient``).

        Far beyond the data the squares overflow: the density is then 0 (its
        log -inf), which the callers treat as an impossible input.
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
    gmm, marginal = _parts(prior)
    draws = _sample_mixture(gmm, n, rng)
    return draws if marginal is None else marginal.inverse_transform(draws)


def _sample_mixture(gmm, n, rng):
    counts = rng.multinomial(n, gmm.weights_ / gmm.weights_.sum())
    d = gmm.means_.shape[1]
    X = np.empty((n, d))
    labels = np.repeat(np.arange(len(counts)), counts)
    noise = rng.standard_normal((n, d))
    for j in np.flatnonzero(counts):
        rows = labels == j
        if gmm.covariance_type == "full":
            factor = np.linalg.cholesky(gmm.covariances_[j])
            X[rows] = gmm.means_[j] + noise[rows] @ factor.T
        else:
            X[rows] = gmm.means_[j] + noise[rows] * np.sqrt(gmm.covariances_[j])
    return X[rng.permutation(n)]
