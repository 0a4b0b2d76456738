"""The posterior ``p(x | t) ∝ p(t | x) p(x)``: its log-density and gradient, and the box.

``p(t | x)`` is the network (``log p(t | x)`` is minus the log-loss of its
output against the target row ``t``, from
:func:`~sklearn_revnet._core.network.log_loss_head`, and its gradient with
respect to ``x`` comes from the same backward pass as training) and ``p(x)``
is the input prior. Both are computed by an
:class:`~sklearn_revnet._core.evaluator.Evaluator`: in numpy, or on the
device of a model fitted in another array namespace. Inputs stay in a box
``lo <= x <= hi`` (features with ``lo == hi`` are held there).

**The prior is censored at the box.** A draw ``u`` of the mixture becomes
the input ``x = clip(u, lo, hi)``, the way a measurement with a floor or a
ceiling records it (a Tobit model): draws beyond a bound land on it. Real
data often sit on their bounds (most pixels of a digit are exactly 0, the
smallest petal width of iris is shared by several flowers), so the censored
prior puts probability where the data are. Truncation (rejecting draws
outside the box) would put none there and, in 64 dimensions with most
features at a bound, would reject practically every draw. Its samples
(:mod:`~sklearn_revnet._reverse.sampling`) and its mode
(:mod:`~sklearn_revnet._reverse.mode`) live beside this module.
"""

import numpy as np

from sklearn_revnet._core.evaluator import Evaluator
from sklearn_revnet._core.network import log_loss_head


class Posterior:
    """``log p(t | x) + log p(x)`` and its gradient, for target rows ``t``.

    Parameters
    ----------
    network : tuple
        ``(coefs, intercepts, activation, out_activation)``; the weights in
        any array namespace (the densities are computed there).
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
        coefs, intercepts, activation, self.out_activation = network
        self.evaluator = Evaluator(coefs, intercepts, activation, prior)
        self.prior = prior
        self.targets = np.asarray(targets, dtype=np.float64)
        self._targets = self.evaluator.put(self.targets)
        self.weight = weight
        self.prior_weight = 1.0

    def _targets_for(self, n):
        xp = self.evaluator.xp
        shape = (n, self.targets.shape[1])
        return (
            np.broadcast_to(self._targets, shape)
            if xp is None
            else xp.broadcast_to(self._targets, shape)
        )

    def log_likelihood(self, X):
        """``log p(t | x)`` for each row of ``X`` (minus the log-loss)."""
        if len(X) == 0:
            return np.empty(0)
        ev = self.evaluator
        with np.errstate(over="ignore", invalid="ignore"):
            logits = ev.layers(ev.put(X))[-1]
            row_loss, _ = log_loss_head(logits, self._targets_for(len(X)), self.out_activation)
            row_loss = ev.get(row_loss)
        return np.where(np.isfinite(row_loss), -row_loss, -np.inf)

    def assigns(self, X):
        """Whether the network assigns each row of ``X`` to the target, a 0/1 row.

        The label the network predicts (the largest output of a softmax),
        or the label set (every logistic output on the target's side of
        1/2), is the target's.
        """
        ev = self.evaluator
        with np.errstate(over="ignore", invalid="ignore"):
            logits = ev.get(ev.layers(ev.put(X))[-1])
        target = self.targets[0]
        if self.out_activation == "softmax":
            return np.argmax(logits, axis=1) == np.argmax(target)
        return np.all((logits > 0) == (target > 0.5), axis=1)

    def __call__(self, X, box=None):
        """Per-row log-density (up to a constant) and its gradient in ``x``.

        With a ``box``, of the uncensored draws: the network sees
        ``box.clip(X)``, and its gradient is zero along the features that
        this moves.
        """
        ev = self.evaluator
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            U = ev.put(X)
            seen = U if box is None else box.see(ev, U)
            layers = ev.layers(seen)
            row_loss, delta = log_loss_head(
                layers[-1], self._targets_for(len(X)), self.out_activation
            )
            grad_loss = ev.input_gradient(layers, delta)
            if box is not None:
                grad_loss = ev.zero_where(seen != U, grad_loss)
        value, grad = -self.weight * row_loss, -self.weight * grad_loss
        if self.prior_weight:  # 0 drops the prior (and 0 * -inf far from the data)
            log_p, grad_p = ev.log_prior(U)
            value = value + self.prior_weight * log_p
            grad = grad + self.prior_weight * grad_p
        return impossible_where_not_finite(ev.get(value), ev.get(grad))


def impossible_where_not_finite(value, grad):
    """Rows whose density or gradient overflowed: density 0 (log -inf), gradient 0."""
    bad = ~(np.isfinite(value) & np.all(np.isfinite(grad), axis=1))
    # new arrays: a view of another namespace's array may be read-only
    return np.where(bad, -np.inf, value), np.where(bad[:, None], 0.0, grad)


class Box:
    """Per-feature bounds; a feature with ``lo == hi`` is pinned there."""

    def __init__(self, lo, hi, n_features):
        self.lo = np.broadcast_to(np.asarray(lo, dtype=np.float64), (n_features,)).copy()
        self.hi = np.broadcast_to(np.asarray(hi, dtype=np.float64), (n_features,)).copy()
        self.pinned = self.lo == self.hi

    def clip(self, X):
        """The censored inputs: ``X`` clipped into the box (a new array)."""
        return np.clip(X, self.lo, self.hi)

    def see(self, ev, U):
        """:meth:`clip` of ``U``, an array of the evaluator ``ev``, computed there."""
        return ev.clip(U, self.lo, self.hi)

    def rows(self, index):
        """The box of the rows ``index`` (the same for every row)."""
        return self


class MappedBox(Box):
    """A box whose inputs are draws mapped onto the training values, then clipped.

    Parameters
    ----------
    box : Box
        The bounds.
    values : ObservedValues
        The map of :mod:`~sklearn_revnet._core.values`.
    """

    def __init__(self, box, values):
        self.lo, self.hi, self.pinned = box.lo, box.hi, box.pinned
        self.values = values

    def clip(self, X):
        return np.clip(self.values(X), self.lo, self.hi)

    def see(self, ev, U):
        return ev.put(self.clip(ev.get(U)))


class RowBox(Box):
    """Bounds for each row: ``lo`` and ``hi`` of shape ``(n_rows, n_features)``.

    The categorical inputs of a mixed prior's mode search are pinned at each
    row's own categories.
    """

    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi
        self.pinned = lo == hi

    def rows(self, index):
        return RowBox(self.lo[index], self.hi[index])

    @classmethod
    def pinning(cls, box, X, columns):
        """``box`` for each row of ``X``, with ``columns`` pinned at the row's values."""
        lo = np.tile(box.lo, (len(X), 1))
        hi = np.tile(box.hi, (len(X), 1))
        lo[:, columns] = hi[:, columns] = X[:, columns]
        return cls(lo, hi)


def check_bounds(bounds, n_features, name="input_bounds", feature="feature"):
    """``(lo, hi)`` arrays from a pair of numbers or per-feature arrays."""
    if isinstance(bounds, str) or len(bounds) != 2:
        got = repr(bounds) if isinstance(bounds, str) else f"{len(bounds)} items"
        raise ValueError(f"{name} must be 'auto', None or a pair (lo, hi); got {got}.")
    if any(b is None for b in bounds):
        raise ValueError(
            f"{name} takes numbers or arrays for lo and hi, not None: use -np.inf or "
            "np.inf for a side without a bound."
        )
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
