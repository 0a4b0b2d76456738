"""Counterfactuals: the least change to an input that makes the network say another label.

For each row ``x0`` and target label ``t`` it solves, over the raw features,

    min_x  sum_j |x_j - x0_j| / s_j
           + w (m - margin_t(x))_+^2 + v (tau - log p(z(x)))_+^2
    within the bounds, with the fixed features equal to x0

where ``s_j`` is feature j's median absolute deviation (Wachter et al.
2017), ``margin_t`` is the network's log-odds of ``t`` (``log p_t - log(1 -
p_t)``), ``m`` the log-odds of ``min_proba`` plus a little room, ``p`` the
input prior and ``tau`` its 10th percentile of log-density over its own
draws, ``z(x) = x A + c`` the classifier's input through the (affine)
pipeline steps. The two hinges are zero where the row is valid and
plausible, so there only distance counts.

The L1 term, the bounds and the fixed features are handled exactly by their
proximal map (soft-thresholding, then clipping), which gives true zeros: a
feature the answer does not need to change stays exactly as it was. The
smooth part gets gradient steps from the network's backward pass. Each row
is its own problem, with its own step size (backtracking) and stopping test,
all rows advancing together in one vectorized loop: a batch costs one
forward and backward pass per iteration, and no row's answer depends on the
others. (scipy's L-BFGS-B with split variables gives exact zeros too, but it
solves one problem at a time. On breast cancer with ``plausibility=0``, one
call per row took 42 ms a row for a single weight stage, against 10 ms a
row here for 50 rows and 2 ms a row for 1000, every stage included; one call
for all rows would couple them through a shared line search.)

The validity weight ``w`` grows (10, 100, 1000, 10000) for the rows that are
not yet valid, each stage warm-started from the last. Rows still invalid
then start again from the network's prototype of the target (the mode of
``p(x | t)``) with the free features moved there. A row that reaches no
valid answer comes back as NaN.
"""

import warnings

import numpy as np
from scipy.special import logsumexp
from sklearn.utils.validation import check_is_fitted, validate_data

from sklearn_revnet._array_api import OnDevice, to_numpy
from sklearn_revnet._array_api import forward as array_forward
from sklearn_revnet._array_api import input_gradient as array_input_gradient
from sklearn_revnet._fold import RawSpace, _affine_map
from sklearn_revnet._generate import _unwrap
from sklearn_revnet._network import backward, class_probabilities, forward
from sklearn_revnet._output import as_frame
from sklearn_revnet._prior import log_prior, sample_prior
from sklearn_revnet._reverse import box, inverse_transform
from sklearn_revnet._training import single_threaded_blas

_WEIGHTS = (10.0, 100.0, 1000.0, 10000.0)  # validity weight stages
_ROOM = 0.2  # extra log-odds aimed at above the requested min_proba
_PRIOR_QUANTILE = 10  # tau: this percentile of the prior's log-density of its own draws
_N_DRAWS = 2000  # prior draws for tau and the feature scales
_SETTLE_ITER = 100  # iterations of the last pass, on the features still changed
_TOL = 1e-5  # a row stops when no feature moves by more than this (in MAD units)


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
    """

    def __init__(self, clf, A, c, targets, goal, tau, plausibility):
        self.network = (clf.coefs_, clf.intercepts_, clf.activation)
        self.softmax = clf.out_activation_ == "softmax"
        self.prior = clf.prior_
        self.A, self.c = A, c
        self.targets = targets
        self.goal, self.tau = goal, tau
        self.weights = np.full(len(targets), _WEIGHTS[0])
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
        """The network's layers for ``Z`` and its output logits."""
        layers = forward(Z, *self.network[:2], self.network[2])
        return layers, layers[-1]

    def input_gradient(self, layers, delta):
        """``d / dZ`` of the output's ``delta``, backpropagated through ``layers``."""
        return backward(layers, self.network[0], delta, self.network[2], input_grad=True)

    def log_prior(self, Z, gradient):
        """The prior's log-density at ``Z`` (and its gradient)."""
        return log_prior(self.prior, Z, gradient)

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


class DeviceProblem(Problem):
    """:class:`Problem` with the network and the prior's density computed on the device
    of a model fitted in another array namespace; the proximal solver runs on the host."""

    def __init__(self, clf, *args):
        super().__init__(clf, *args)
        self.on = OnDevice(clf._device_network, clf.prior_)

    def forward_logits(self, Z):
        on = self.on
        layers = array_forward(on.xp, on.put(Z), on.coefs, on.intercepts, self.network[2])
        return layers, to_numpy(layers[-1])

    def input_gradient(self, layers, delta):
        on = self.on
        grad = array_input_gradient(on.xp, layers, on.coefs, on.put(delta), self.network[2])
        return to_numpy(grad)

    def log_prior(self, Z, gradient):
        log_p, grad = self.on.mixture(self.on.put(Z))
        return to_numpy(log_p), to_numpy(grad) if gradient else None


def solve(problem, X0, start, scale, lo, hi, free, max_iter):
    """Minimize ``L1/scale + smooth`` per row by accelerated proximal gradient.

    FISTA (Beck & Teboulle 2009) with per-row backtracking and adaptive
    restart (O'Donoghue & Candes 2015); the proximal map of the L1 term,
    the box and the fixed features is soft-thresholding toward ``X0``,
    clipping into ``[lo, hi]`` and resetting the fixed features.
    """
    m = len(X0)
    everyone = np.arange(m)

    def prox(V, step, rows):
        D = V - X0[rows]
        D = np.sign(D) * np.maximum(np.abs(D) - step[:, None] / scale, 0.0)
        X = np.clip(X0[rows] + D, lo, hi)
        return np.where(free[rows], X, X0[rows])

    X = prox(start.astype(np.float64), np.zeros(m), everyone)
    Y = X.copy()
    t = np.ones(m)
    step = np.full(m, 1e-2)
    active = np.ones(m, dtype=bool)
    for _ in range(max_iter):
        rows = np.flatnonzero(active)
        if not len(rows):
            break
        fY, gY = problem(Y[rows], rows)
        step[rows] *= 1.2  # try a longer step each time; backtrack below
        todo = np.arange(len(rows))
        X_new = np.empty((len(rows), X.shape[1]))
        for _ in range(40):  # backtracking: halve the steps of rows without decrease
            r = rows[todo]
            candidate = prox(Y[r] - step[r, None] * gY[todo], step[r], r)
            f_new, _ = problem(candidate, r, gradient=False)
            move = candidate - Y[r]
            bound = fY[todo] + np.sum(gY[todo] * move, 1) + np.sum(move**2, 1) / (2 * step[r])
            ok = f_new <= bound + 1e-12 * np.abs(bound)
            X_new[todo[ok]] = candidate[ok]
            todo = todo[~ok]
            if not len(todo):
                break
            step[rows[todo]] /= 2
        X_new[todo] = X[rows[todo]]  # no decrease found: stay
        change = np.max(np.abs(X_new - X[rows]) / scale, axis=1)
        restart = np.sum((Y[rows] - X_new) * (X_new - X[rows]), axis=1) > 0
        t_next = np.where(restart, 1.0, (1 + np.sqrt(1 + 4 * t[rows] ** 2)) / 2)
        momentum = np.where(restart, 0.0, (t[rows] - 1) / t_next)
        Y[rows] = X_new + momentum[:, None] * (X_new - X[rows])
        X[rows], t[rows] = X_new, t_next
        done = (change <= _TOL) & ~restart
        active[rows[done]] = False
    return X


def counterfactuals(clf, X0, targets, space, fixed, min_proba, plausibility, max_iter):
    """Counterfactual raw rows for ``X0`` and target indices, NaN where none is found.

    Parameters
    ----------
    clf : ReversibleMLPClassifier
    X0 : ndarray of shape (m, p)
        Raw rows.
    targets : ndarray of shape (m,)
        Index in ``classes_`` of each row's target.
    space : CounterfactualSpace
    fixed : ndarray of bool, shape (p,)
    min_proba : float
    plausibility : float
    max_iter : int

    Returns
    -------
    X : ndarray of shape (m, p)
    valid : ndarray of bool, shape (m,)
    """
    goal = np.log(min_proba) - np.log1p(-min_proba) + _ROOM
    kind = Problem if getattr(clf, "_device_network", None) is None else DeviceProblem
    problem = kind(clf, space.A, space.c, targets, goal, space.tau, plausibility)
    free = np.broadcast_to(~fixed, X0.shape)
    X = X0.copy()
    todo = np.arange(len(X0))
    for weight in _WEIGHTS:
        if not len(todo):
            break
        problem.weights[todo] = weight
        sub = _subproblem(problem, todo)
        X[todo] = solve(
            sub, X0[todo], X[todo], space.scale, space.lo, space.hi, free[todo], max_iter
        )
        todo = todo[~space.reaches(clf, X[todo], targets[todo], min_proba)]
    if len(todo):  # start again from the target's prototype
        start = X0[todo].copy()
        start[:, ~fixed] = space.prototypes(clf)[targets[todo]][:, ~fixed]
        problem.weights[todo] = _WEIGHTS[-1]
        sub = _subproblem(problem, todo)
        X[todo] = solve(
            sub, X0[todo], start, space.scale, space.lo, space.hi, free[todo], max_iter
        )
    valid = space.reaches(clf, X, targets, min_proba)
    # The proximal steps reach the sparse answer slowly: put back, smallest
    # change first, every feature the answer stays valid without, then let the
    # features still changed settle again on their own.
    rows = np.flatnonzero(valid)
    X[rows] = _prune(space, clf, X0[rows], X[rows], targets[rows], min_proba, problem.plausibility)
    support = (X[rows] != X0[rows]) & free[rows]
    sub = _subproblem(problem, rows)
    settled = solve(sub, X0[rows], X[rows], space.scale, space.lo, space.hi, support, _SETTLE_ITER)
    keep = space.reaches(clf, settled, targets[rows], min_proba)
    X[rows[keep]] = settled[keep]
    return X, valid


def _prune(space, clf, X0, X, targets, min_proba, plausibility):
    """Reset changed features to ``X0``, smallest change first, while the rows stay
    valid (and, with a plausibility weight, no less plausible than the threshold)."""
    X = X.copy()

    def density(X):
        return log_prior(clf.prior_, X @ space.A + space.c, gradient=False)[0]

    inside = (X0 >= space.lo) & (X0 <= space.hi)
    change = np.where((X != X0) & inside, np.abs(X - X0) / space.scale, np.inf)
    order = np.argsort(change, axis=1, kind="stable")
    everyone = np.arange(len(X))
    for k in range(X.shape[1]):
        j = order[:, k]
        rows = everyone[np.isfinite(change[everyone, j])]
        if not len(rows):
            break
        trial = X[rows].copy()
        trial[np.arange(len(rows)), j[rows]] = X0[rows, j[rows]]
        ok = space.reaches(clf, trial, targets[rows], min_proba)
        if plausibility:
            ok &= density(trial) >= np.minimum(space.tau, density(X[rows]))
        X[rows[ok]] = trial[ok]
    return X


def _subproblem(problem, todo):
    """``problem`` restricted to the pairs ``todo`` (rows renumbered from 0)."""

    def call(X, rows, gradient=True):
        return problem(X, todo[rows], gradient)

    return call


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
        rng = np.random.RandomState(0)
        draws = sample_prior(clf.prior_, _N_DRAWS, rng)
        log_p = log_prior(clf.prior_, draws, gradient=False)[0]
        self.tau = float(np.percentile(log_p, _PRIOR_QUANTILE))
        raw_draws = draws if raw is None else raw.back(draws, rng)
        self.scale = _mad(np.clip(raw_draws, lo, hi))
        self._prototypes = None

    def reaches(self, clf, X, targets, min_proba):
        """Rows of ``X`` that the network assigns to their target with ``min_proba``."""
        if not len(X):
            return np.zeros(0, dtype=bool)
        proba = self.proba(clf, X)
        p = proba[np.arange(len(X)), targets]
        return (proba.argmax(axis=1) == targets) & (p >= min_proba) & np.isfinite(p)

    def proba(self, clf, X):
        """The network's probabilities for raw rows ``X`` (NaN where it overflows).

        The values of ``clf.predict_proba``, without its input checks: the
        rows are the solver's own, and a classifier fitted on a DataFrame
        would warn about arrays without feature names.
        """
        Z = (X @ self.A + self.c).astype(clf.coefs_[0].dtype, copy=False)
        with np.errstate(over="ignore", invalid="ignore"):
            logits = forward(Z, clf.coefs_, clf.intercepts_, clf.activation)[-1]
            return class_probabilities(logits, clf.out_activation_)

    def prototypes(self, clf):
        """The most probable raw input of each class, one row per class."""
        if self._prototypes is None:
            if self.raw is not None and self.raw.lo is not None:
                self._prototypes = inverse_transform(clf, clf.classes_, self.raw)
            else:
                Z = inverse_transform(clf, clf.classes_)
                self._prototypes = Z if self.raw is None else self.raw.back(Z)
            self._prototypes = np.clip(self._prototypes, self.lo, self.hi)
        return self._prototypes


def _mad(X):
    """Per-feature median absolute deviation; the standard deviation where it is 0."""
    mad = np.median(np.abs(X - np.median(X, axis=0)), axis=0)
    std = X.std(axis=0)
    scale = np.where(mad > 0, mad, std)
    return np.where(scale > 0, scale, 1.0)


def warn_invalid(valid):
    n_invalid = int(np.sum(~valid))
    if n_invalid:
        warnings.warn(
            f"No counterfactual found for {n_invalid} of {len(valid)} rows within the "
            "bounds and fixed features: they are NaN.",
            UserWarning,
            stacklevel=3,
        )


def counterfactual(
    estimator,
    X,
    target="other",
    *,
    fixed=None,
    bounds="auto",
    min_proba=0.5,
    plausibility=1.0,
    max_iter=500,
):
    """The nearest plausible inputs that the network assigns to another label.

    For each row of ``X``, the input closest to it in L1 distance, each
    feature scaled by its median absolute deviation, that the network
    assigns to the target with probability at least ``min_proba``, with a
    prior density not below the prior's typical range (its 10th percentile
    over its own draws), within the bounds, and with the ``fixed`` features
    exactly unchanged. Through a pipeline the answer is sought over the raw
    features, through the (affine) earlier steps, so that distances,
    sparsity, bounds and ``fixed`` are all in the user's units; see the user
    guide for the objective and the solver.

    Parameters
    ----------
    estimator : estimator
        A fitted binary or multiclass
        :class:`~sklearn_revnet.ReversibleMLPClassifier`, a fitted
        :class:`~sklearn.pipeline.Pipeline` ending in one whose earlier
        steps are affine (scalers, ``PCA``,
        :class:`~sklearn_revnet.Whitener`), or a fitted search such as
        :class:`~sklearn.model_selection.GridSearchCV`, whose
        ``best_estimator_`` is used.

    X : array-like of shape (n_samples, n_features)
        Rows to explain, in the input space of ``estimator``.

    target : "other", label or array-like of shape (n_samples,), default="other"
        ``"other"``: for each row, whichever label other than its current
        prediction is cheapest to reach; a label: the same target for every
        row; an array: one label per row.

    fixed : array-like of int, bool or str, default=None
        Features that must not change: indices, a boolean mask, or column
        names (for an estimator fitted on a DataFrame). They come back
        exactly as they were.

    bounds : "auto", None or tuple (lo, hi), default="auto"
        Raw-space bounds, as for :func:`generate`. For a bare classifier its
        own ``input_bounds`` apply. ``"auto"`` through a pipeline whose
        first step records no range: with per-feature steps (scalers), the
        classifier's ``input_bounds`` mapped back; otherwise none.

    min_proba : float, default=0.5
        The network's probability of the target at the answer is at least
        this (in [0.5, 1): the target is then the prediction).

    plausibility : float, default=1.0
        Weight of the plausibility term, a squared hinge on the prior's
        log-density below its 10th percentile (over the prior's own draws).
        0 drops it: the answers are then sparser and closer, but may lie
        off the data; larger values pull them further into the data.

    max_iter : int, default=500
        Iterations of each stage of the solver.

    Returns
    -------
    X_cf : ndarray or DataFrame of shape (n_samples, n_features)
        The counterfactuals, in the input space of ``estimator`` (a
        DataFrame with its columns when it was fitted on one). A row already
        predicted as its target comes back unchanged; a row for which no
        valid answer was found is NaN, with a warning. Deterministic.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn_revnet import ReversibleMLPClassifier, counterfactual
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = ReversibleMLPClassifier(hidden_layer_sizes=(10,), random_state=0)
    >>> pipe = make_pipeline(StandardScaler(), clf).fit(X, y)
    >>> X_cf = counterfactual(pipe, X[:3], target=1, fixed=[0])
    >>> pipe.predict(X_cf).tolist()
    [1, 1, 1]
    >>> bool((X_cf[:, 0] == X[:3, 0]).all())
    True
    """
    final, steps = _unwrap(estimator)
    check_is_fitted(final)
    if final.out_activation_ == "logistic" and final.n_outputs_ > 1:
        raise ValueError(
            "counterfactual supports binary and multiclass models; this one is multilabel."
        )
    if len(final.classes_) < 2:
        raise ValueError("counterfactual needs a model of at least two classes.")
    if isinstance(min_proba, bool) or not isinstance(min_proba, int | float):
        raise TypeError(f"min_proba must be a number in [0.5, 1); got {min_proba!r}.")
    if not 0.5 <= min_proba < 1:
        raise ValueError(f"min_proba must be in [0.5, 1); got {min_proba!r}.")
    if isinstance(plausibility, bool) or not isinstance(plausibility, int | float):
        raise TypeError(f"plausibility must be a non-negative number; got {plausibility!r}.")
    if not plausibility >= 0:
        raise ValueError(f"plausibility must be a non-negative number; got {plausibility!r}.")
    if isinstance(max_iter, bool) or not isinstance(max_iter, int) or max_iter < 1:
        raise ValueError(f"max_iter must be a positive integer; got {max_iter!r}.")
    first = steps[0][1] if steps else final
    with warnings.catch_warnings():
        # rows given as an array to a model fitted on a DataFrame: their
        # number of columns is checked, and their names are the model's
        warnings.filterwarnings("ignore", message="X does not have valid feature names")
        X0 = validate_data(first, X, reset=False, dtype=np.float64, copy=True)
    p = X0.shape[1]
    fixed_mask = _fixed_mask(fixed, first, p)
    with single_threaded_blas():
        if not steps:
            b = box(final)
            space = CounterfactualSpace(final, None, None, None, b.lo, b.hi)
        else:
            raw = RawSpace(steps, bounds, final.prior_.means_)
            if raw.lo is not None:
                A, c, lo, hi = raw.A, raw.c, raw.lo, raw.hi
            else:
                unbounded = np.full(p, np.inf)
                try:
                    A, c = _affine_map(steps, -unbounded, unbounded)
                except ValueError:
                    names = ", ".join(repr(name) for name, _ in steps)
                    raise ValueError(
                        f"counterfactual needs the pipeline steps before the classifier "
                        f"({names}) to be affine (scalers, PCA, Whitener)."
                    ) from None
                lo, hi = _mapped_box(A, c, box(final))
            space = CounterfactualSpace(final, raw, A, c, lo, hi)
        proba = space.proba(final, X0)
        if not np.all(np.isfinite(proba)):
            raise ValueError(
                "The network's outputs overflowed for some rows of X; X must be on a "
                "scale comparable to the training data."
            )
        predicted = proba.argmax(axis=1)
        wanted = _target_indices(final, target, len(X0), predicted)
        X_cf = X0.copy()
        valid = np.ones(len(X0), dtype=bool)
        pairs = [(i, t) for i, ts in enumerate(wanted) if predicted[i] not in ts for t in ts]
        if pairs:
            rows, targets = (np.array(v) for v in zip(*pairs))
            found, ok = counterfactuals(
                final, X0[rows], targets, space, fixed_mask, min_proba, plausibility, max_iter
            )
            distance = np.sum(np.abs(found - X0[rows]) / space.scale, axis=1)
            distance[~ok] = np.inf
            for i in np.unique(rows):
                mine = np.flatnonzero(rows == i)
                best = mine[np.argmin(distance[mine])]
                valid[i] = ok[best]
                X_cf[i] = found[best] if ok[best] else np.nan
    warn_invalid(valid)
    X_cf = as_frame(X_cf.astype(final.coefs_[0].dtype, copy=False), first)
    if hasattr(X_cf, "index") and hasattr(X, "index"):
        X_cf.index = X.index  # row for row with the input
    return X_cf


def _mapped_box(A, c, classifier_box):
    """Raw bounds from the classifier's box, for steps that act feature by feature."""
    p, q = A.shape
    nonzero = A != 0
    if p == q and np.all(nonzero.sum(axis=0) == 1) and np.all(nonzero.sum(axis=1) == 1):
        source = np.argmax(nonzero, axis=0)  # the raw feature behind each input
        a = A[source, np.arange(q)]
        with np.errstate(invalid="ignore"):
            ends = np.sort([(classifier_box.lo - c) / a, (classifier_box.hi - c) / a], axis=0)
        lo, hi = np.full(p, -np.inf), np.full(p, np.inf)
        lo[source] = np.nan_to_num(ends[0], nan=-np.inf)
        hi[source] = np.nan_to_num(ends[1], nan=np.inf)
        # Mapped back, a training extreme can come out an ulp or two beyond
        # itself: move the bounds inward by a few ulps, so that an answer on a
        # bound is inside the training range exactly.
        lo += 8 * np.spacing(lo)
        hi -= 8 * np.spacing(hi)
        return np.minimum(lo, hi), hi
    return np.full(p, -np.inf), np.full(p, np.inf)


def _target_indices(clf, target, n, predicted):
    """Per row, the candidate target indices."""
    classes = clf.classes_.tolist()
    if isinstance(target, str) and target == "other":
        every = np.arange(len(classes))
        return [every[every != p] for p in predicted]
    labels = [target] * n if np.ndim(target) == 0 else list(np.asarray(target, dtype=object))
    if len(labels) != n:
        raise ValueError(f"target has {len(labels)} labels for {n} rows of X.")
    unknown = [label for label in labels if label not in classes]
    if unknown:
        raise ValueError(
            f"Unknown target label {unknown[0]!r}; the model knows the labels {classes}."
        )
    return [np.array([classes.index(label)]) for label in labels]


def _fixed_mask(fixed, first, p):
    """``fixed`` (indices, mask or column names) as a boolean mask of the raw features."""
    mask = np.zeros(p, dtype=bool)
    if fixed is None:
        return mask
    values = np.asarray(fixed)
    if values.dtype == bool:
        if values.shape != (p,):
            raise ValueError(f"A boolean fixed mask needs {p} entries; got {values.shape}.")
        return values.copy()
    if values.dtype.kind in "OUS":
        names = getattr(first, "feature_names_in_", None)
        if names is None:
            raise ValueError(
                "fixed holds column names, but the estimator was not fitted on a DataFrame."
            )
        names = list(names)
        missing = [v for v in values.ravel().tolist() if v not in names]
        if missing:
            raise ValueError(f"Unknown fixed column {missing[0]!r}; the columns are {names}.")
        mask[[names.index(v) for v in values.ravel().tolist()]] = True
        return mask
    if values.dtype.kind not in "iu":
        raise TypeError("fixed must be feature indices, a boolean mask or column names.")
    if np.any((values < -p) | (values >= p)):
        raise ValueError(f"fixed indices must be in [-{p}, {p}); got {values.tolist()}.")
    mask[values] = True
    return mask
