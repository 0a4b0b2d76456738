"""The posterior ``p(x | t) ∝ p(t | x) p(x)``: its samples and its mode.

``p(t | x)`` is the network (``log p(t | x)`` is minus the log-loss of its
output against the target row ``t``, from :func:`log_loss_head`, and its
gradient with respect to ``x`` comes from the same backward pass as training)
and ``p(x)`` is the input prior of :mod:`sklearn_revnet._prior`. Inputs
stay in a box ``lo <= x <= hi`` (features with ``lo == hi`` are held there).

**The prior is censored at the box.** A draw ``u`` of the mixture becomes
the input ``x = clip(u, lo, hi)``, the way a measurement with a floor or a
ceiling records it (a Tobit model): draws beyond a bound land on it. Real
data often sit on their bounds (most pixels of a digit are exactly 0, the
smallest petal width of iris is shared by several flowers), so the censored
prior puts probability where the data are. Truncation (rejecting draws
outside the box) would put none there and, in 64 dimensions with most
features at a bound, would reject practically every draw.

- :func:`sample_posterior` draws exact samples of
  ``p(x | t) ∝ p(t | x) p_censored(x)``: rejection from the prior (keep the
  censored draw with probability ``p(t | x)``) while the acceptance rate is
  workable, then the Metropolis-adjusted Langevin algorithm (MALA) for the
  rest. MALA runs on the uncensored draw ``u``, whose density
  ``p(t | clip(u)) p(u)`` is smooth almost everywhere, and returns
  ``clip(u)``: exact for the censored posterior.
- :func:`posterior_mode` minimizes ``-log p(t | x) - log p(x)`` with scipy's
  L-BFGS-B, which takes the box natively, from every component mean of the
  prior.
"""

import numpy as np
from scipy.optimize import Bounds, minimize
from scipy.special import logsumexp

from sklearn_revnet._network import backward, forward, log_loss_head
from sklearn_revnet._prior import log_prior, sample_components, sample_prior

_MIN_DRAWS = 20_000  # prior draws rejection sampling may always spend ...
_DRAWS_PER_SAMPLE = 200  # ... or this many per requested sample, if more
_POLISHED = 4  # end points that posterior_mode(polish=True) polishes
# A continuation's first weight only brings the starts into their basins; the
# later weights run to convergence. (Capping the later ones too, or going on
# from the best few end points only, missed soft iris targets by up to 8e-3.)
_FIRST_WEIGHT_ITER = 100
_TARGET_ACCEPT = 0.574  # the optimal MALA acceptance rate (Roberts & Rosenthal, 1998)


class Posterior:
    """``log p(t | x) + log p(x)`` and its gradient, for target rows ``t``.

    Parameters
    ----------
    network : tuple
        ``(coefs, intercepts, activation, out_activation)``.
    prior : GaussianMixture
        Fitted input prior.
    targets : ndarray of shape (1, n_outputs) or (n_rows, n_outputs)
        Target rows in the space of the output link; one row applies to
        every input.
    weight : float, default=1.0
        Weight of the network's term (1 is Bayes' rule); ``prior_weight``,
        set after construction, is the prior's (1, or 0 to drop it).
    """

    def __init__(self, network, prior, targets, weight=1.0):
        self.coefs, self.intercepts, self.activation, self.out_activation = network
        self.prior = prior
        self.targets = np.asarray(targets, dtype=np.float64)
        self.weight = weight
        self.prior_weight = 1.0

    def _targets_for(self, n):
        return np.broadcast_to(self.targets, (n, self.targets.shape[1]))

    def log_likelihood(self, X):
        """``log p(t | x)`` for each row of ``X`` (minus the log-loss)."""
        if len(X) == 0:
            return np.empty(0)
        with np.errstate(over="ignore", invalid="ignore"):
            logits = forward(X, self.coefs, self.intercepts, self.activation)[-1]
            row_loss, _ = log_loss_head(logits, self._targets_for(len(X)), self.out_activation)
        return np.where(np.isfinite(row_loss), -row_loss, -np.inf)

    def __call__(self, X, box=None):
        """Per-row log-density (up to a constant) and its gradient in ``x``.

        With a ``box``, of the uncensored draws: the network sees
        ``clip(X)``, and its gradient is zero along clipped features.
        """
        seen = X if box is None else box.clip(X)
        with np.errstate(over="ignore", invalid="ignore"):
            layers = forward(seen, self.coefs, self.intercepts, self.activation)
            row_loss, delta = log_loss_head(
                layers[-1], self._targets_for(len(X)), self.out_activation
            )
            grad_loss = backward(layers, self.coefs, delta, self.activation, input_grad=True)
        if box is not None:
            grad_loss[seen != X] = 0.0
        log_p, grad_p = log_prior(self.prior, X)
        value = self.prior_weight * log_p - self.weight * row_loss
        grad = self.prior_weight * grad_p - self.weight * grad_loss
        return impossible_where_not_finite(value, grad)


def impossible_where_not_finite(value, grad):
    """Rows whose density or gradient overflowed: density 0 (log -inf), gradient 0."""
    bad = ~(np.isfinite(value) & np.all(np.isfinite(grad), axis=1))
    value[bad] = -np.inf
    grad[bad] = 0.0
    return value, grad


class Box:
    """Per-feature bounds; a feature with ``lo == hi`` is pinned there."""

    def __init__(self, lo, hi, n_features):
        self.lo = np.broadcast_to(np.asarray(lo, dtype=np.float64), (n_features,)).copy()
        self.hi = np.broadcast_to(np.asarray(hi, dtype=np.float64), (n_features,)).copy()
        self.pinned = self.lo == self.hi

    def clip(self, X):
        """The censored inputs: ``X`` clipped into the box (a new array)."""
        return np.clip(X, self.lo, self.hi)


def check_bounds(bounds, n_features, name="input_bounds", feature="feature"):
    """``(lo, hi)`` arrays from a pair of numbers or per-feature arrays."""
    if isinstance(bounds, str) or len(bounds) != 2:
        got = repr(bounds) if isinstance(bounds, str) else f"{len(bounds)} items"
        raise ValueError(f"{name} must be 'auto', None or a pair (lo, hi); got {got}.")
    lo, hi = (np.asarray(b, dtype=np.float64) for b in bounds)
    for side, b in (("lo", lo), ("hi", hi)):
        if b.ndim > 1 or (b.ndim == 1 and b.size != n_features):
            raise ValueError(
                f"{name} {side} must be a number or have one entry per {feature} "
                f"({n_features}); got shape {b.shape}."
            )
    lo, hi = (np.broadcast_to(b, (n_features,)).copy() for b in (lo, hi))
    if np.any(np.isnan(lo) | np.isnan(hi) | (lo > hi)):
        raise ValueError(f"{name} must satisfy lo <= hi for every {feature} (no NaN).")
    return lo, hi


def prior_scale(prior):
    """Per-feature standard deviation of the mixture (its step scale)."""
    w = prior.weights_ / prior.weights_.sum()
    if prior.covariance_type == "full":
        within = np.einsum("k,kii->i", w, prior.covariances_)
    else:
        within = w @ prior.covariances_
    mean = w @ prior.means_
    between = w @ (prior.means_ - mean) ** 2
    return np.sqrt(within + between)


def sample_posterior(posterior, n, rng, box, *, min_proba=0.0, n_steps=200):
    """``n`` samples of the posterior under the prior censored at ``box``.

    Parameters
    ----------
    posterior : Posterior
        For a single target row.
    n : int
    rng : RandomState
    box : Box
    min_proba : float, default=0.0
        Only inputs with ``p(t | x) >= min_proba`` are kept: the posterior is
        further truncated to that region.
    n_steps : int, default=200
        MALA steps for the samples that rejection does not deliver.

    Returns
    -------
    X : ndarray of shape (n, n_features)
    """
    log_floor = np.log(min_proba) if min_proba > 0 else -np.inf
    kept, n_kept, drawn = [], 0, 0
    budget = max(_MIN_DRAWS, _DRAWS_PER_SAMPLE * n)
    batch = max(256, 2 * n)
    while n_kept < n and drawn < budget:
        U = sample_prior(posterior.prior, batch, rng)
        log_lik = posterior.log_likelihood(box.clip(U))
        keep = (np.log(rng.uniform(size=batch)) < log_lik) & (log_lik >= log_floor)
        kept.append(U[keep])
        n_kept += int(keep.sum())
        drawn += batch
        rate = max(n_kept, 1) / drawn
        batch = int(min(max(256, 1.2 * (n - n_kept) / rate), 100_000))
    U = np.vstack(kept)[:n]
    if len(U) < n:
        start = _initial_states(posterior, n - len(U), rng, box, U, log_floor)
        U = np.vstack([U, mala(posterior, start, rng, box, log_floor, n_steps)])
    return box.clip(U)


def _initial_states(posterior, n, rng, box, exact, log_floor):
    """Where the MALA chains start.

    Exact samples already found (the chains then stay exact); otherwise a
    sampling-importance-resampling draw: prior draws resampled with weights
    ``p(t | x)``, an approximation that the chains' burn-in corrects.
    """
    if len(exact):
        return exact[rng.randint(len(exact), size=n)]
    U = sample_prior(posterior.prior, max(4096, 8 * n), rng)
    log_lik = posterior.log_likelihood(box.clip(U))
    ok = np.isfinite(log_lik) & (log_lik >= log_floor)
    if not ok.any():
        raise ValueError(
            "No input drawn from the prior reaches min_proba for this target; lower min_proba."
        )
    U, log_lik = U[ok], log_lik[ok]
    w = np.exp(log_lik - log_lik.max())
    return U[rng.choice(len(U), size=n, p=w / w.sum())]


def mala(posterior, U, rng, box, log_floor, n_steps):
    """Run one MALA chain per row of ``U`` (uncensored draws) for ``n_steps`` steps.

    The target is ``p(t | clip(u)) p(u)``. Steps are preconditioned by the
    prior's per-feature scale. During the first half, each chain's step
    size adapts toward the optimal acceptance rate; it is then frozen, so the
    second half is an exact Metropolis-Hastings chain (proposals below
    ``min_proba`` are rejected).
    """
    U = U.copy()
    scale = np.where(box.pinned, 0.0, prior_scale(posterior.prior))
    n, d = U.shape
    free = max(1, int(np.sum(~box.pinned)))
    log_h = np.full(n, np.log(1.0 / free ** (1 / 3)))
    value, grad = posterior(U, box)
    burn_in = n_steps // 2
    for step in range(n_steps):
        h = np.exp(log_h)[:, None]
        proposal = U + 0.5 * h * scale**2 * grad
        proposal += np.sqrt(h) * scale * rng.standard_normal((n, d))
        new_value, new_grad = posterior(proposal, box)
        log_ratio = new_value - value
        log_ratio += _log_q(U, proposal, new_grad, h, scale)
        log_ratio -= _log_q(proposal, U, grad, h, scale)
        move = np.log(rng.uniform(size=n)) < log_ratio
        if np.isfinite(log_floor):
            move[move] = posterior.log_likelihood(box.clip(proposal[move])) >= log_floor
        U[move], value[move], grad[move] = proposal[move], new_value[move], new_grad[move]
        if step < burn_in:
            log_h += (move - _TARGET_ACCEPT) / np.sqrt(step + 1)
    return U


def _log_q(to, frm, grad_frm, h, scale):
    """``log q(to | frm)`` of the preconditioned Langevin proposal, up to a constant."""
    free = scale > 0
    mean = frm + 0.5 * h * scale**2 * grad_frm
    z = (to - mean)[:, free] / scale[free]
    return -np.sum(z * z, axis=1) / (2 * h[:, 0])


def heaviest_component(posterior, box, n_draws=256):
    """The prior component that holds the most posterior mass for the target.

    ``weight_k * E[p(t | clip(x))]`` over ``x`` drawn from component ``k``,
    estimated from ``n_draws`` draws of each with a fixed seed (so the
    choice is deterministic).
    """
    prior = posterior.prior
    draws = sample_components(prior, n_draws, np.random.RandomState(0))
    k, n, d = draws.shape
    log_lik = posterior.log_likelihood(box.clip(draws.reshape(k * n, d))).reshape(k, n)
    mass = np.log(prior.weights_) + logsumexp(log_lik, axis=1)
    return int(np.argmax(mass))


def posterior_mode(
    posterior, starts, box, *, max_iter, tol, weights=(1.0,), scale=None, polish=False
):
    """The most probable input for one target row, by L-BFGS-B in the box.

    Every start is descended (all in one L-BFGS-B problem: the objective is
    a sum over them) and the best end point is kept. With several
    ``weights`` (a continuation for soft targets), the end points of one
    weight start the next, and the first weight runs at most 100
    iterations: it only brings the starts into their basins.

    Parameters
    ----------
    posterior : callable
        ``posterior(X) -> (log_density, gradient)`` with a settable
        ``weight`` (a :class:`Posterior`, or one seen through a pipeline).
    starts : ndarray of shape (n_starts, n_features)
    box : Box
    max_iter, tol : int, float
        L-BFGS-B's ``maxiter`` and ``gtol``.
    weights : tuple of float, default=(1.0,)
    scale : ndarray of shape (n_features,), default=None
        Per-feature step scale (L-BFGS-B runs on ``x / scale``); the prior's
        standard deviations if None.
    polish : bool, default=False
        Finally descend the network's term alone from the four best end
        points and keep the best match, so that the network's output matches a
        reachable soft target as closely as L-BFGS-B can bring it (the prior
        then only chose where the search went).

    Returns
    -------
    x : ndarray of shape (n_features,)
    """
    if scale is None:
        scale = prior_scale(posterior.prior)
    scale = np.where(scale > 0, scale, 1.0)
    X = box.clip(starts)
    for i, weight in enumerate(weights):
        posterior.weight = weight
        first = len(weights) > 1 and i == 0
        n_iter = min(max_iter, _FIRST_WEIGHT_ITER) if first else max_iter
        X = _descend(posterior, X, box, scale, n_iter, tol)
    if polish:
        # the best few end points, the network's term alone: the best match wins
        value, _ = posterior(X)
        X = X[np.argsort(-value, kind="stable")[:_POLISHED]]
        posterior.weight, posterior.prior_weight = 1.0, 0.0
        X = _descend(posterior, X, box, scale, max_iter, tol * 1e-2, ftol=0.0)
        value, _ = posterior(X)
        posterior.prior_weight = 1.0
    else:
        value, _ = posterior(X)
    return X[int(np.argmax(value))]


def _descend(posterior, X, box, scale, max_iter, tol, ftol=2.2e-9):
    shape = X.shape

    def objective(u):
        value, grad = posterior(u.reshape(shape) * scale)
        if not np.all(np.isfinite(value)):
            return np.inf, np.zeros_like(u)
        return -float(np.sum(value)), -(grad * scale).ravel()

    bounds = Bounds(np.tile(box.lo / scale, shape[0]), np.tile(box.hi / scale, shape[0]))
    result = minimize(
        objective,
        (X / scale).ravel(),
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={
            "maxiter": max_iter,
            "maxfun": max(15000, 20 * max_iter),
            "gtol": tol,
            "ftol": ftol,  # scipy's default unless polishing
        },
    )
    with np.errstate(over="ignore", invalid="ignore"):
        X_new = box.clip(result.x.reshape(shape) * scale)
    # Where the search overflowed (inputs so large that the network's
    # arithmetic does), keep the row where it started.
    lost = ~np.all(np.isfinite(X_new), axis=1)
    X_new[lost] = X[lost]
    return X_new
