r"""What a reduced-rank step leaves out: a per-feature residual, with atoms at the bounds.

A step that keeps ``k`` principal directions (:class:`~sklearn_revnet.Whitener`)
reconstructs a row as ``x_hat``; the rest, ``x - x_hat``, is what the network
never sees, and generated rows fill it with noise. scikit-learn's ``PCA``
models it as isotropic (``noise_variance_``, the probabilistic PCA model), but
real features differ: a blank border pixel of a digit never varies, a central
one varies a lot, and half the pixels of a digit sit exactly at 0. Filled with
isotropic noise and clipped at the bounds, generated digits had 28-39% of
their pixels at 0 against 45-54% for real ones, per class.

Each feature ``j`` gets one of two models of its value given ``x_hat_j``, on
its resolution ``w_j`` (the smallest gap between its distinct values: each
observed value has the probability of its cell, the value plus or minus
``w_j / 2``):

- **censored** (a Tobit model): ``x_j = clip(x_hat_j + sigma_j e, lo_j,
  hi_j)`` with ``e`` standard normal. A bound holds the Gaussian's tail
  beyond it, which ties the share of values on the bound to the spread of
  the others: too few zeros on digits, even for real rows' ``x_hat``.
- **atoms** (a hurdle model): the value is on the lower bound, inside, or on
  the upper bound with probabilities of a multinomial logistic regression on
  ``x_hat_j``; inside, it is ``x_hat_j + sigma_j e`` truncated to the
  interior. The share on a bound then follows ``x_hat_j``, so each class
  gets its own.

``sigma_j`` and the logistic regression are fitted by maximum likelihood.
**Which features get atoms** is decided by held-out likelihood: a third of
the rows is held out, the reduced-rank map and the models are fitted on the
rest, and each candidate threshold (the share of a feature's rows on a bound
from which it gets atoms) is scored by the held-out log-likelihood of every
feature. The best threshold is kept, and the models refitted on all rows.
"""

import hashlib
import threading
from collections import OrderedDict
from functools import partial

import numpy as np
from scipy import linalg
from scipy.optimize import minimize_scalar, nnls
from scipy.special import log_ndtr, logsumexp, ndtr, ndtri
from sklearn.utils.validation import check_is_fitted

from sklearn_revnet._core.density import draw_rows

THRESHOLDS = (0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, np.inf)  # inf: no atoms
MAX_ROWS = 1000  # the model is fitted on at most this many rows (a fixed random subset)
_HELD_OUT = 1 / 3
_FLOOR = 1e-3  # smallest scale scored, relative to the feature's resolution


def resolution(X):
    """Each feature's smallest gap between distinct values (1 where it has one value)."""
    widths = np.ones(X.shape[1])
    for j in range(X.shape[1]):
        values = np.unique(X[:, j])
        if len(values) > 1:
            widths[j] = np.diff(values).min()
    return widths


def log_cell(a, b):
    """``log(Phi(b) - Phi(a))`` for ``a < b``, precise in both tails.

    On the side of 0 where the cell lies (by symmetry), ``log Phi(b) +
    log(1 - Phi(a) / Phi(b))`` from scipy's ``log_ndtr``; a cell so narrow
    that the two are equal takes the density at its middle times its width.
    """
    flip = a > 0
    low, high = np.where(flip, -b, a), np.where(flip, -a, b)
    log_high = log_ndtr(high)
    gap = log_ndtr(low) - log_high  # <= 0; -inf for an infinite low side
    with np.errstate(divide="ignore", invalid="ignore"):  # the branch not taken
        value = log_high + np.log(-np.expm1(gap))
        middle = (a + b) / 2
        narrow = np.log(b - a) - 0.5 * (np.log(2 * np.pi) + middle * middle)
    return np.where(gap < 0, value, narrow)


class Feature:
    """The model of one feature's value given its reconstruction ``x_hat``.

    Parameters
    ----------
    x, x_hat : ndarray of shape (n_rows,)
        Training values and their reconstructions.
    width, lo, hi : float
        The feature's resolution and training range.
    atoms : bool
        The hurdle model (else the censored one).
    """

    def __init__(self, x, x_hat, width, lo, hi, atoms):
        self.width, self.lo, self.hi = width, lo, hi
        kind = np.where(x <= lo, 0, np.where(x >= hi, 2, 1))
        self.kinds = np.unique(kind)
        self.atoms = bool(atoms and len(self.kinds) > 1)
        # the logistic regression's (intercept, slope) per kind; -inf: a kind never seen
        self.logits = np.array([[-np.inf, 0.0], [0.0, 0.0], [-np.inf, 0.0]])
        # a kind unseen in training keeps a probability of about half a row's
        self.floor = 0.5 / (len(x) + 1)
        if self.atoms:
            mean, spread = x_hat.mean(), x_hat.std() or 1.0
            intercept, slope = _multinomial_logistic((x_hat - mean) / spread, kind, self.kinds)
            for k, a, b in zip(self.kinds, intercept, slope / spread):
                self.logits[k] = (a - b * mean, b)
        inside = kind == 1 if self.atoms else np.ones(len(x), dtype=bool)
        self.sigma = self._fit_sigma(x[inside], x_hat[inside])

    def _fit_sigma(self, x, x_hat):
        r = x - x_hat
        plain = float(np.sqrt(np.mean(r * r))) if len(r) else 0.0
        if plain <= _FLOOR * self.width:
            return 0.0
        centre = np.log(plain)

        def loss(log_sigma):
            return -float(np.sum(self._log_value(x, x_hat, np.exp(log_sigma))))

        found = minimize_scalar(loss, bounds=(centre - 7.0, centre + 3.0), method="bounded")
        return float(np.exp(found.x))

    def _log_value(self, x, x_hat, sigma):
        """The log-probability of values ``x``: of the censored model, or, with
        atoms, of an inside value given that it is inside."""
        sigma, half = max(sigma, _FLOOR * self.width), self.width / 2
        a, b = (x - half - x_hat) / sigma, (x + half - x_hat) / sigma
        if not self.atoms:  # the bounds hold the tails
            a = np.where(x <= self.lo, -np.inf, a)
            b = np.where(x >= self.hi, np.inf, b)
            return log_cell(a, b)
        inside = log_cell((self.lo + half - x_hat) / sigma, (self.hi - half - x_hat) / sigma)
        return log_cell(a, b) - inside

    def log_kinds(self, x_hat):
        """Log-probabilities of (lower bound, inside, upper bound): shape ``(n, 3)``."""
        logits = self.logits[:, 0] + self.logits[:, 1] * x_hat[:, None]
        log_p = logits - logsumexp(logits, axis=1, keepdims=True)
        return np.logaddexp(np.log1p(-self.floor) + log_p, np.log(self.floor / 3))

    def log_probability(self, x, x_hat):
        """The log-probability of each observed value ``x`` given its ``x_hat``."""
        value = self._log_value(x, x_hat, self.sigma)
        if not self.atoms:
            return value
        kinds = self.log_kinds(x_hat)
        on_lo, on_hi = x <= self.lo, x >= self.hi
        inside = kinds[:, 1] + np.where(on_lo | on_hi, 0.0, value)
        return np.where(on_lo, kinds[:, 0], np.where(on_hi, kinds[:, 2], inside))

    def draw(self, x_hat, rng):
        """Values given ``x_hat``, and whether each is on a bound (an atom drawn)."""
        noise = rng.standard_normal(len(x_hat))
        if not self.atoms:
            return x_hat + self.sigma * noise, np.zeros(len(x_hat), dtype=bool)
        kind = draw_rows(np.exp(self.log_kinds(x_hat)), rng)
        # inside: the Gaussian truncated to the interior, by its inverse CDF
        sigma = max(self.sigma, _FLOOR * self.width)
        low = ndtr((self.lo + self.width / 2 - x_hat) / sigma)
        high = ndtr((self.hi - self.width / 2 - x_hat) / sigma)
        quantile = np.clip(low + ndtr(noise) * (high - low), 1e-300, 1 - 1e-16)
        inside = x_hat + sigma * ndtri(quantile)
        inside = np.clip(inside, self.lo + self.width / 2, self.hi - self.width / 2)
        value = np.where(kind == 0, self.lo, np.where(kind == 2, self.hi, inside))
        return value, kind != 1


class ResidualModel:
    """Per-feature models of a reduced-rank map's residual, atoms chosen on held-out rows.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The training rows.
    reconstruct : callable
        ``reconstruct(X_fit)``: the reduced-rank map fitted on ``X_fit``, as
        a function of rows ``X`` that returns their reconstructions.
    lo, hi : ndarray of shape (n_features,)
        The training range.
    seed : int, default=0
        Seeds the subset and the held-out rows.

    Attributes
    ----------
    features : list of Feature
        Fitted on all the rows (at most ``MAX_ROWS``).
    threshold : float
        The chosen share of rows on a bound from which a feature has atoms
        (``inf``: none).
    scores : dict
        ``{threshold: held-out log-likelihood per row}``.
    """

    def __init__(self, X, reconstruct, lo, hi, seed=0):
        X = np.asarray(X, dtype=np.float64)
        rng = np.random.RandomState(seed)
        if len(X) > MAX_ROWS:
            X = X[np.sort(rng.permutation(len(X))[:MAX_ROWS])]
        width = resolution(X)
        shares = np.maximum(np.mean(X <= lo, axis=0), np.mean(X >= hi, axis=0))
        held = rng.permutation(len(X))[: max(1, int(_HELD_OUT * len(X)))]
        fit = np.setdiff1d(np.arange(len(X)), held)
        reconstruction = reconstruct(X[fit])
        hat_fit, hat_held = reconstruction(X[fit]), reconstruction(X[held])
        self.scores, cache = {}, {}
        for threshold in THRESHOLDS:
            total = 0.0
            for j in range(X.shape[1]):
                key = (j, bool(shares[j] >= threshold and lo[j] < hi[j]))
                if key not in cache:
                    model = Feature(X[fit, j], hat_fit[:, j], width[j], lo[j], hi[j], key[1])
                    cache[key] = np.sum(model.log_probability(X[held, j], hat_held[:, j]))
                total += cache[key]
            self.scores[threshold] = float(total / len(held))
        self.threshold = max(THRESHOLDS, key=lambda t: self.scores[t])
        X_hat = reconstruct(X)(X)
        self.rms = np.sqrt(np.mean((X - X_hat) ** 2, axis=0))
        self.features = [
            Feature(X[:, j], X_hat[:, j], width[j], lo[j], hi[j], shares[j] >= self.threshold)
            for j in range(X.shape[1])
        ]

    @property
    def scale(self):
        """Each feature's root mean square residual ``x - x_hat`` (0 where it has none).

        The scale of a plain Gaussian fill, where atoms cannot be held (no
        raw bounds); ``sigma`` of a feature with atoms is that of its inside
        values, truncated, and of a censored one that of the latent value.
        """
        return self.rms

    @property
    def atoms(self):
        """Whether each feature has atoms at its lower bound (row 0) and upper (row 1)."""
        return np.array([[f.atoms and k in f.kinds for f in self.features] for k in (0, 2)])

    def draw(self, X_hat, rng):
        """Rows given their reconstructions ``X_hat``, and where an atom was drawn."""
        X, on_atom = np.empty_like(X_hat), np.zeros(X_hat.shape, dtype=bool)
        for j, feature in enumerate(self.features):
            X[:, j], on_atom[:, j] = feature.draw(X_hat[:, j], rng)
        return X, on_atom


def _multinomial_logistic(t, kind, kinds, penalty=1.0, n_iter=50):
    """``(intercepts, slopes)`` of a multinomial logistic regression of ``kind`` on ``t``.

    One logit per kind in ``kinds`` (the first fixed at 0), fitted by
    Newton's method with an L2 penalty on the slopes (scikit-learn's
    ``LogisticRegression`` with ``C=1``; Newton's steps on these few numbers
    cost far less than that estimator's set-up).
    """
    m = len(kinds)
    Y = (kind[:, None] == kinds[None]).astype(float)[:, 1:]
    features = np.column_stack([np.ones_like(t), t])  # (n, 2): intercept, slope
    theta = np.zeros((2, m - 1))
    ridge = np.diag(np.tile([0.0, penalty], m - 1))  # ordered (kind, parameter)

    pairs = (features[:, :, None] * features[:, None, :]).reshape(len(t), 4)  # f_i f_j

    def objective(theta):
        logits = np.column_stack([np.zeros(len(t)), features @ theta])
        top = logits.max(axis=1, keepdims=True)  # logsumexp, without scipy's overhead
        log_p = logits - top - np.log(np.exp(logits - top).sum(axis=1, keepdims=True))
        value = -np.sum(Y * log_p[:, 1:]) - np.sum((1 - Y.sum(axis=1)) * log_p[:, 0])
        return value + 0.5 * penalty * np.sum(theta[1] ** 2), np.exp(log_p[:, 1:])

    value, P = objective(theta)
    for _ in range(n_iter):
        gradient = (features.T @ (P - Y)).T.ravel() + ridge @ theta.T.ravel()
        # the Hessian's (kind, kind') blocks: X^T diag(p_k (delta_kk' - p_k')) X
        weights = P[:, :, None] * (np.eye(m - 1)[None] - P[:, None, :])
        # sum_n w_nkl f_ni f_nj, as one product, ordered (k, i, l, j)
        blocks = (weights.reshape(len(t), -1).T @ pairs).reshape(m - 1, m - 1, 2, 2)
        hessian = blocks.transpose(0, 2, 1, 3).reshape(2 * (m - 1), 2 * (m - 1))
        hessian = hessian + ridge + 1e-10 * np.eye(2 * (m - 1))
        step = np.linalg.solve(hessian, gradient).reshape(m - 1, 2).T
        for _ in range(30):  # halve the step until the objective does not rise
            new_value, new_P = objective(theta - step)
            if new_value <= value:
                break
            step = step / 2
        else:
            break
        done = value - new_value < 1e-10 * max(1.0, abs(value))
        theta, value, P = theta - step, new_value, new_P
        if done:
            break
    return np.r_[0.0, theta[0]], np.r_[0.0, theta[1]]


class ResidualFill:
    """The residual model of a fitted reduced-rank step (mixed into
    :class:`~sklearn_revnet.Whitener`): kept rows, a lazy fit, its attributes."""

    def _fit_residual(self, X, k):
        """Keep what the residual model needs; it is fitted at its first use."""
        self.__dict__.pop("_residual_model", None)
        self.__dict__.pop("_fill", None)
        if k >= X.shape[1]:  # nothing is left out
            self._residual_state = None
            return
        rng = np.random.RandomState(0)
        rows = np.sort(rng.permutation(len(X))[:MAX_ROWS]) if len(X) > MAX_ROWS else slice(None)
        self._residual_state = (np.array(X[rows], dtype=np.float64), k)

    @property
    def _residual(self):
        """The per-feature residual model (``sklearn_revnet._core.atoms``), or None.

        Fitted at its first use (a generated row's fill, or a read of
        ``noise_scale_``, ``atoms_`` or ``atom_threshold_``) on at most 1000
        training rows kept by ``fit``: a forward-only use of the whitener
        never pays for it. A model fitted on the very same rows is reused
        (the last few of the process, as the input prior's are): it depends
        on the rows, ``k`` and the range only.
        """
        check_is_fitted(self)
        if "_residual_model" not in self.__dict__:
            state = self.__dict__.get("_residual_state")
            model = None
            if state is not None:
                X, k = state
                lo, hi = (
                    np.asarray(v, dtype=np.float64) for v in (self.data_min_, self.data_max_)
                )
                model = _fitted(X, k, lo, hi)
            self._residual_model = model
        return self._residual_model

    @property
    def noise_scale_(self):
        model = self._residual
        return np.zeros(self.n_features_in_) if model is None else model.scale

    def _fill_scale(self):
        """Scales of independent per-feature noise whose part off ``components_`` has
        each feature's residual variance ``noise_scale_**2`` (non-negative least
        squares: the projection moves variance between features)."""
        if "_fill" not in self.__dict__:
            V = np.asarray(self.components_, dtype=np.float64)
            off = np.eye(V.shape[1]) - V.T @ V
            variances, _ = nnls(off * off, self.noise_scale_**2)
            self._fill = np.sqrt(variances)
        return self._fill

    @property
    def atoms_(self):
        model = self._residual
        return np.zeros((2, self.n_features_in_), dtype=bool) if model is None else model.atoms

    @property
    def atom_threshold_(self):
        model = self._residual
        return np.inf if model is None else model.threshold


def _reconstruct(k, X_fit):
    """Rows through ``k`` principal components fitted on ``X_fit`` and back, as a function."""
    mean = X_fit.mean(axis=0)
    _, _, Vt = linalg.svd(X_fit - mean, full_matrices=False, check_finite=False)
    return lambda X: mean + ((X - mean) @ Vt[:k].T) @ Vt[:k]


_models = OrderedDict()  # the last MAX_MODELS residual models, by rows, k and range
_lock = threading.Lock()
MAX_MODELS = 4


def _fitted(X, k, lo, hi):
    """``ResidualModel`` of rows ``X`` through ``k`` components: a kept one, or new.

    Kept models are shared (they are never changed after their fit).
    """
    rows = np.ascontiguousarray(X, dtype=np.float64)
    digest = hashlib.blake2b(rows.data, digest_size=16).digest()
    key = (digest, rows.shape, k, lo.tobytes(), hi.tobytes())
    with _lock:
        model = _models.get(key)
        if model is not None:
            _models.move_to_end(key)
            return model
    model = ResidualModel(rows, partial(_reconstruct, k), lo, hi)
    with _lock:
        _models[key] = model
        while len(_models) > MAX_MODELS:
            _models.popitem(last=False)
    return model
