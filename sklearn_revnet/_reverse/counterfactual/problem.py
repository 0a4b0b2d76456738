"""The counterfactual problem: its raw space, and the smooth part of its objective.

For each row ``x0`` and target label ``t`` the solver
(:mod:`~sklearn_revnet._reverse.counterfactual.solver`) minimizes, over the
raw features,

    min_x  sum_j |x_j - x0_j| / s_j
           + w (m - margin_t(x))_+^2 + v (tau - log p(z(x)))_+^2
    within the bounds, with the fixed features equal to x0

where ``s_j`` is feature j's median absolute deviation (Wachter et al.
2017), ``margin_t`` is the network's log-odds of ``t`` (``log p_t - log(1 -
p_t)``), ``m`` the log-odds of ``min_proba`` plus a little room, ``p`` the
input prior and ``tau`` its ``offset_``, the 10th percentile of its
log-density over the training rows (over its own draws for a prior set by
hand), ``z(x) = x A + c`` the classifier's input through the (affine)
pipeline steps. The two hinges are zero where the row is valid and
plausible, so there only distance counts.
"""

import numpy as np
from scipy.special import logsumexp

from sklearn_revnet._core.density import log_prior, sample_prior
from sklearn_revnet._core.evaluator import Evaluator
from sklearn_revnet._core.namespace import weights_dtype
from sklearn_revnet._core.network import class_probabilities
from sklearn_revnet._core.prior import OFFSET_PERCENTILE
from sklearn_revnet._reverse.mode import modes

WEIGHTS = (10.0, 100.0, 1000.0, 10000.0)  # validity weight stages
_N_DRAWS = 2000  # prior draws for tau and the feature scales


class Problem:
    """The smooth part of the objective for a batch of (row, target) pairs.

    Parameters
    ----------
    clf : ReversibleMLPClassifier
        Fitted; binary or multiclass.
    A, c : ndarray
        The classifier's input is ``z = x A + c`` for raw rows ``x``.
    targets : ndarray of shape (m,)
        Index of each pair's target in ``clf.classes_``.
    goal : float
        The log-odds margin aimed at.
    tau : float
        Log-density below which the plausibility hinge acts.
    plausibility : float
        Weight of the plausibility hinge.
    evaluator : Evaluator, default=None
        Where the network and the prior are computed; built from ``clf`` if
        None (a :class:`CounterfactualSpace` has one to share).
    """

    def __init__(self, clf, A, c, targets, goal, tau, plausibility, evaluator=None):
        if evaluator is None:
            evaluator = Evaluator(clf.coefs_, clf.intercepts_, clf.activation, clf.prior_)
        self.evaluator = evaluator
        self.softmax = clf.out_activation_ == "softmax"
        self.A, self.c = A, c
        self.targets = targets
        self.goal, self.tau = goal, tau
        self.weights = np.full(len(targets), WEIGHTS[0])
        self.plausibility = plausibility

    def margin(self, X, rows, gradient=True):
        """The network's log-odds of each pair's target, and its gradient in z."""
        Z = X @ self.A + self.c
        with np.errstate(over="ignore", invalid="ignore"):
            layers, raw_logits = self.forward_logits(Z)
            logits = raw_logits.astype(np.float64)
            t = self.targets[rows]
            if self.softmax:
                others = logits.copy()
                others[np.arange(len(t)), t] = -np.inf
                rest = logsumexp(others, axis=1)
                margin = logits[np.arange(len(t)), t] - rest
                delta = -np.exp(others - rest[:, None])
                delta[np.arange(len(t)), t] = 1.0
            else:
                sign = np.where(t == 1, 1.0, -1.0)
                margin = sign * logits[:, 0]
                delta = sign[:, None]
            if not gradient:
                return Z, margin, None
            delta = np.ascontiguousarray(delta, dtype=raw_logits.dtype)
            grad = self.input_gradient(layers, delta)
        return Z, margin, np.asarray(grad, dtype=np.float64)

    def forward_logits(self, Z):
        """The network's layers for ``Z`` (where it computes) and its logits on the host."""
        ev = self.evaluator
        layers = ev.layers(ev.put(Z))
        return layers, ev.get(layers[-1])

    def input_gradient(self, layers, delta):
        """``d / dZ`` of the output's ``delta``, backpropagated through ``layers``."""
        ev = self.evaluator
        return ev.get(ev.input_gradient(layers, ev.put(delta)))

    def log_prior(self, Z, gradient):
        """The prior's log-density at ``Z`` (and its gradient)."""
        ev = self.evaluator
        log_p, grad = ev.log_prior(ev.put(Z), gradient)
        return ev.get(log_p), None if grad is None else ev.get(grad)

    def __call__(self, X, rows, gradient=True):
        """Smooth objective and its gradient in raw ``x``, for ``X`` = rows ``rows``.

        With ``gradient=False`` only the value (and None): the line search's
        trial points need no backward pass.
        """
        Z, margin, grad_margin = self.margin(X, rows, gradient)
        short = np.maximum(self.goal - margin, 0.0)
        w = self.weights[rows]
        value = w * short**2
        if self.plausibility:
            log_p, grad_p = self.log_prior(Z, gradient)
            gap = np.maximum(self.tau - log_p, 0.0)
            value += self.plausibility * gap**2
        if not gradient:
            value[~np.isfinite(value)] = np.inf
            return value, None
        grad_z = -2 * (w * short)[:, None] * grad_margin
        if self.plausibility:
            grad_z -= 2 * self.plausibility * gap[:, None] * grad_p
        bad = ~(np.isfinite(value) & np.all(np.isfinite(grad_z), axis=1))
        value[bad], grad_z[bad] = np.inf, 0.0
        return value, grad_z @ self.A.T


class CounterfactualSpace:
    """The raw space counterfactuals live in: its map to the classifier, bounds and scales.

    Parameters
    ----------
    clf : ReversibleMLPClassifier
    raw : RawSpace or None
        The pipeline's earlier steps, or None for a bare classifier.
    A, c : ndarray or None
        ``z = x A + c`` (None: the identity).
    lo, hi : ndarray of shape (p,)
        Raw bounds (infinite where there are none).
    """

    def __init__(self, clf, raw, A, c, lo, hi):
        p = clf.n_features_in_ if A is None else A.shape[0]
        self.A = np.eye(p) if A is None else A
        self.c = np.zeros(p) if c is None else c
        self.lo, self.hi = lo, hi
        self.raw = raw
        self.evaluator = Evaluator(clf.coefs_, clf.intercepts_, clf.activation, clf.prior_)
        rng = np.random.RandomState(0)
        draws = sample_prior(clf.prior_, _N_DRAWS, rng)
        self.tau = getattr(clf.prior_, "offset_", None)
        if self.tau is None:  # a prior set by hand: the percentile of its own draws
            log_p = log_prior(clf.prior_, draws, gradient=False)[0]
            self.tau = float(np.percentile(log_p, OFFSET_PERCENTILE))
        raw_draws = draws if raw is None else raw.back(draws, rng)
        self.scale = mad(np.clip(raw_draws, lo, hi))
        self._prototypes = None

    def reaches(self, clf, X, targets, min_proba):
        """Rows of ``X`` that the network assigns to their target with ``min_proba``."""
        if not len(X):
            return np.zeros(0, dtype=bool)
        return reached(self.proba(clf, X), targets, min_proba)

    def proba(self, clf, X):
        """The network's probabilities for raw rows ``X`` (NaN where it overflows).

        The values of ``clf.predict_proba``, without its input checks: the
        rows are the solver's own, and a classifier fitted on a DataFrame
        would warn about arrays without feature names.
        """
        Z = (X @ self.A + self.c).astype(weights_dtype(clf), copy=False)
        with np.errstate(over="ignore", invalid="ignore"):
            logits = self.evaluator.get(self.evaluator.layers(self.evaluator.put(Z))[-1])
            return class_probabilities(logits, clf.out_activation_)

    def prototypes(self, clf):
        """The most probable raw input of each class, one row per class."""
        if self._prototypes is None:
            if self.raw is not None and self.raw.lo is not None:
                self._prototypes = modes(clf, clf.classes_, self.raw)
            else:
                Z = modes(clf, clf.classes_)
                self._prototypes = Z if self.raw is None else self.raw.back(Z)
            self._prototypes = np.clip(self._prototypes, self.lo, self.hi)
        return self._prototypes


def reached(proba, targets, min_proba):
    """Rows whose probabilities ``proba`` predict their target with ``min_proba``."""
    p = proba[np.arange(len(proba)), targets]
    return (proba.argmax(axis=1) == targets) & (p >= min_proba) & np.isfinite(p)


def mad(X):
    """Per-feature median absolute deviation; the standard deviation where it is 0."""
    mad = np.median(np.abs(X - np.median(X, axis=0)), axis=0)
    std = X.std(axis=0)
    scale = np.where(mad > 0, mad, std)
    return np.where(scale > 0, scale, 1.0)
