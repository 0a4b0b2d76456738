"""Per-feature monotone maps of the inputs: the prior's marginal transform.

A Gaussian mixture bends slowly to skewed marginals (areas, concavities,
counts): it needs many components, and then overfits. A per-feature
Yeo-Johnson power transform (Yeo & Johnson, 2000; scikit-learn's
:class:`~sklearn.preprocessing.PowerTransformer`) first makes each marginal
nearly Gaussian, and the mixture models what is left. Each feature goes
through

.. math::

   z = (x - m) / s, \\qquad v = \\psi_\\lambda(z), \\qquad u = (v - m') / s',

with the standardizations ``(m, s)`` and ``(m', s')`` fitted on the rows
(zero spreads count as 1). The prior's density in ``x`` is the mixture's at
``u`` times the Jacobian, :math:`\\log p(x) = \\log q(u) + \\sum_j \\log
\\psi'_{\\lambda_j}(z_j) - \\log s_j - \\log s'_j`.

``lambda`` is the maximum-likelihood exponent of each standardized feature
(the criterion of scipy's :func:`~scipy.stats.yeojohnson_llf`, which
``PowerTransformer`` maximizes), **kept in [0, 2]**: only there is
:math:`\\psi_\\lambda` a bijection of the real line (outside, one side maps to
a bounded interval, so mixture draws beyond it would have no input and the
density would integrate to less than 1). With :math:`\\mu = \\lambda` for
:math:`z \\geq 0` and :math:`\\mu = 2 - \\lambda` below,

.. math::

   \\psi_\\lambda(z) = \\operatorname{sign}(z) \\,
   \\frac{(1 + |z|)^\\mu - 1}{\\mu}, \\qquad
   \\log \\psi'_\\lambda(z) = (\\lambda - 1) \\operatorname{sign}(z) \\log(1 + |z|),

(the log where :math:`\\mu = 0`), and the log-derivative's own derivative is
:math:`(\\lambda - 1) / (1 + |z|)`, continuous at 0. The formulas take numpy
or any array API namespace ``xp``, so the density can run where the
network's weights live.
"""

import numpy as np

_SMALL = 1e-10  # |mu| below this takes the logarithm's branch


def _spread(values, centre):
    """Standard deviations, with 1 where a feature is constant (to rounding)."""
    spread = values.std(axis=0)
    return np.where(spread <= 1e-12 * (1.0 + np.abs(centre)), 1.0, spread)


def _exponents(Z, n_grid=21, n_refine=24):
    """The Yeo-Johnson exponent of maximum likelihood of each column of ``Z``, within [0, 2].

    The log-likelihood that scipy's :func:`~scipy.stats.yeojohnson_llf`
    computes (and scikit-learn's ``PowerTransformer`` maximizes),
    ``-n/2 log var(psi(z)) + (lambda - 1) sum sign(z) log(1 + |z|)``, for
    all the columns at once: on a grid of ``n_grid`` exponents, then by
    golden-section search between the best grid point's neighbours (the
    likelihood is concave in the exponent). Constant columns get 1, the
    identity.
    """
    n = len(Z)
    positive, sign, log_size = Z >= 0, np.sign(Z), np.log1p(np.abs(Z))
    signed_log = np.sum(sign * log_size, axis=0)

    def llf(lambdas):
        mu = np.where(positive, lambdas, 2.0 - lambdas)
        small = mu < _SMALL
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            psi = sign * np.where(
                small, log_size, np.expm1(mu * log_size) / np.where(small, 1, mu)
            )
            value = -0.5 * n * np.log(psi.var(axis=0)) + (lambdas - 1.0) * signed_log
        return np.where(np.isfinite(value), value, -np.inf)

    grid = np.linspace(0.0, 2.0, n_grid)
    values = np.array([llf(np.full(Z.shape[1], lam)) for lam in grid])
    best = np.argmax(values, axis=0)
    step = grid[1] - grid[0]
    lo, hi = np.maximum(grid[best] - step, 0.0), np.minimum(grid[best] + step, 2.0)
    ratio = (np.sqrt(5.0) - 1.0) / 2.0
    for _ in range(n_refine):
        a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
        left = llf(a) >= llf(b)
        lo, hi = np.where(left, lo, a), np.where(left, b, hi)
    lambdas = (lo + hi) / 2.0
    for bound in (0.0, 2.0):  # the search stops short of the ends; they may be the best
        at_bound = np.full_like(lambdas, bound)
        lambdas = np.where(llf(at_bound) > llf(lambdas), at_bound, lambdas)
    return np.where(np.ptp(Z, axis=0) == 0, 1.0, lambdas)


class YeoJohnson:
    """A fitted per-feature map ``x -> u`` (standardize, Yeo-Johnson, standardize).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The rows it is fitted on.
    power : bool, default=True
        False fixes every exponent at 1, where the transform is the
        identity: the map is then a plain standardization.
    """

    def __init__(self, X, power=True):
        X = np.asarray(X, dtype=np.float64)
        self.power = power
        self.mean = X.mean(axis=0)
        self.scale = _spread(X, self.mean)
        Z = (X - self.mean) / self.scale
        if power:
            self.lambdas = _exponents(Z)
        else:
            self.lambdas = np.ones(X.shape[1])
        V = _psi(np.sign(Z), np.log1p(np.abs(Z)), Z >= 0, self.lambdas, np)
        self.mean_after = V.mean(axis=0)
        self.scale_after = _spread(V, self.mean_after)
        # log-Jacobian of the two standardizations, a constant
        self.log_scales = float(np.sum(np.log(self.scale) + np.log(self.scale_after)))

    def constants(self, xp=None, device=None):
        """The fitted constants for :func:`forward`, as arrays of ``xp`` on ``device``."""
        values = (self.mean, self.scale, self.lambdas, self.mean_after, self.scale_after)
        if xp is not None:
            values = tuple(xp.asarray(v, device=device) for v in values)
        return values + (self.log_scales,)

    def transform(self, X):
        """``u`` for the rows of ``X`` (numpy)."""
        return self.forward(X)

    def forward(self, X, jacobian=False):
        """:func:`forward` in numpy."""
        return forward(np.asarray(X, dtype=np.float64), self.constants(), jacobian=jacobian)

    def inverse_transform(self, U):
        """The inputs ``x`` of the rows ``U`` (numpy)."""
        V = U * self.scale_after + self.mean_after
        mu = np.where(V >= 0, self.lambdas, 2.0 - self.lambdas)
        size = np.abs(V)
        # both branches are computed for every value: expm1(size) overflows
        # where |v| > 709 even where the other branch is taken (finite)
        with np.errstate(over="ignore"):
            grown = np.where(
                mu < _SMALL, np.expm1(size), np.expm1(np.log1p(mu * size) / np.maximum(mu, _SMALL))
            )
        return np.sign(V) * grown * self.scale + self.mean


def forward(X, constants, xp=None, jacobian=False):
    """``u`` for the rows of ``X``; with ``jacobian``, also its derivatives.

    Parameters
    ----------
    X : array of shape (n_samples, n_features)
    constants : tuple
        :meth:`YeoJohnson.constants`, in the namespace of ``X``.
    xp : namespace, default=None
        The namespace of ``X``; None for numpy.
    jacobian : bool, default=False

    Returns
    -------
    U : array of shape (n_samples, n_features)
    du_dx : array of shape (n_samples, n_features)
        Only with ``jacobian``: ``du_j / dx_j``.
    log_det : array of shape (n_samples,)
        Only with ``jacobian``: ``log |du/dx|``, summed over the features.
    grad_log_det : array of shape (n_samples, n_features)
        Only with ``jacobian``: the gradient of ``log_det`` in ``x``.
    """
    xp = np if xp is None else xp
    mean, scale, lambdas, mean_after, scale_after, log_scales = constants
    Z = (X - mean) / scale
    sign, log_size = xp.sign(Z), xp.log1p(xp.abs(Z))
    U = (_psi(sign, log_size, Z >= 0, lambdas, xp) - mean_after) / scale_after
    if not jacobian:
        return U
    log_growth = (lambdas - 1.0) * sign * log_size
    with np.errstate(over="ignore"):
        du_dx = xp.exp(log_growth) / (scale * scale_after)
    log_det = xp.sum(log_growth, axis=1) - log_scales
    grad_log_det = (lambdas - 1.0) / (1.0 + xp.abs(Z)) / scale
    return U, du_dx, log_det, grad_log_det


def _psi(sign, log_size, positive, lambdas, xp):
    """The Yeo-Johnson transform of each column of ``Z`` with its exponent.

    ``Z`` is given by its sign, ``log1p(|Z|)`` and ``Z >= 0``, which the
    Jacobian shares.
    """
    mu = xp.where(positive, lambdas, 2.0 - lambdas)
    small = mu < _SMALL
    safe = xp.where(small, xp.ones_like(mu), mu)
    with np.errstate(over="ignore", invalid="ignore"):
        grown = xp.where(small, log_size, xp.expm1(mu * log_size) / safe)
    return sign * grown
