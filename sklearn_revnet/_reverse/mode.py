"""The posterior's mode: the most probable input for a target, by L-BFGS-B in the box."""

import numpy as np
from scipy.optimize import Bounds, minimize
from scipy.special import logsumexp

from sklearn_revnet._core.caller import warn_at_caller
from sklearn_revnet._core.density import prior_scale, sample_components, sample_prior
from sklearn_revnet._core.namespace import to_numpy, weights_dtype
from sklearn_revnet._core.threads import single_threaded_blas
from sklearn_revnet._reverse.mixed_mode import mixed_mode, reach_mixed
from sklearn_revnet._reverse.sampling import sample_label, sample_posterior
from sklearn_revnet._reverse.targets import (
    check_parameters,
    classifier_box,
    generate_target,
    posterior_of,
    target_rows,
)

# Weights of the network's term for soft targets (probability rows): Bayes'
# rule (1), then larger, each warm-started from the last; the network's term
# alone then polishes the best point, so that the network's output matches
# a reachable target row.
_SOFT_WEIGHTS = (1.0, 1e2, 1e4)
_SOFT_DRAWS = 8  # prior draws that also start the search for a soft target
_POLISHED = 4  # end points that posterior_mode(polish=True) polishes
# A continuation's first weight only brings the starts into their basins; the
# later weights run to convergence. (Capping the later ones too, or going on
# from the best few end points only, missed soft iris targets by up to 8e-3.)
_FIRST_WEIGHT_ITER = 100
# A label set starts from the best of a few exact posterior samples too.
_LABEL_SET_DRAWS = 64
_LABEL_SET_STARTS = 4
# Weights of the network's term that bring a mode the network does not
# assign to its label into the label's region, if the bounds allow.
_REACH_WEIGHTS = (1e2, 1e4)


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
        best = np.argsort(-value, kind="stable")[:_POLISHED]
        X, box = X[best], box.rows(best)
        posterior.weight, posterior.prior_weight = 1.0, 0.0
        X = _descend(posterior, X, box, scale, max_iter, tol * 1e-2, ftol=0.0)
        # again, with a fresh memory: on a ReLU network's kinks the first run can
        # stop where its line search stalls (an iris row: loss 4.34, then 4.05)
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

    lo, hi = (np.broadcast_to(side / scale, shape).ravel() for side in (box.lo, box.hi))
    bounds = Bounds(lo, hi)
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


def modes(clf, y, raw=None, box=None):
    """The posterior mode for each target row, one L-BFGS-B problem per distinct row.

    The mode in the prior component that holds the most posterior mass: the
    descent starts from that component's mean. (The global maximum of a
    mixture's posterior sits wherever the tightest component peaks: on
    digits, the global mode for the label 0 is a point the network gives a
    0 only 10% to, on a sharp component of 9s.) A label set of a multilabel
    model also starts from the best of a few exact posterior samples: such a
    combination often lives where no component is centred.

    For a label or a label set, the answer is one that the network assigns
    to it: if the mode is not, the network's term is weighted up (by 100,
    then 10,000) from there until it is. If no weight gets there, no input
    within the bounds was found that the network assigns to the target; the
    mode comes back with a warning that says so.

    With ``raw`` (a :class:`~sklearn_revnet._reverse.pipeline.fold.RawSpace` with bounds), the
    mode is sought over the raw features of the pipeline instead. ``box``
    replaces the classifier's own bounds.
    """
    check_parameters(clf)
    y = to_numpy(y)  # targets given in the fit's namespace; the densities stay there
    with single_threaded_blas():  # small products: threads cost more than they save
        X, reached = _modes(clf, target_rows(clf, y), raw, box)
    if not np.all(reached):
        rows = np.flatnonzero(~reached).tolist()
        warn_at_caller(
            f"No input within the bounds was found that the network assigns to the label "
            f"of rows {rows} of y: those rows are the most probable inputs for it within the "
            "bounds, which the network assigns to another label. Widen the bounds."
        )
    return X


def generate_rows(clf, label, n, random_state, min_proba, box=None, raw=None):
    """``generate``'s samples (:func:`~sklearn_revnet._reverse.sampling.sample_label`).

    With a warning when the network assigns none of them to ``label`` and
    the mode search (as :func:`modes`, within the same bounds) finds no
    input that it does assign to the label either.
    """
    X, assigned = sample_label(clf, label, n, random_state, min_proba, box, raw)
    if not assigned:
        search = raw if raw is not None and raw.lo is not None else None
        with single_threaded_blas():
            _, reached = _modes(clf, generate_target(clf, label), search, box)
        if not reached[0]:
            warn_at_caller(
                f"No input within the bounds was found that the network assigns to "
                f"{label!r}: the {len(X)} rows are samples of p(x | label) within the "
                "bounds, which the network assigns to another label. Widen the bounds."
            )
    return X


def _modes(clf, targets, raw, box):
    bounds = classifier_box(clf) if box is None else box
    unique, inverse = np.unique(targets, axis=0, return_inverse=True)
    n_features = clf.n_features_in_ if raw is None else raw.n_features
    dtype = weights_dtype(clf) if raw is None else np.float64
    X = np.empty((len(unique), n_features), dtype=dtype)
    reached = np.ones(len(unique), dtype=bool)
    label_sets = clf.out_activation_ == "logistic" and clf.n_outputs_ > 1
    for i, target in enumerate(unique):
        posterior = posterior_of(clf, target[None])
        hard = np.all((target == 0) | (target == 1))
        settings = {
            "max_iter": clf.inverse_max_iter,
            "tol": clf.inverse_tol,
            "weights": (1.0,) if hard else _SOFT_WEIGHTS,
            "polish": not hard,
        }
        if raw is None and getattr(clf.prior_, "categories_", None) is not None:
            x = mixed_mode(posterior, bounds, settings, posterior_mode)
            if hard:
                x, reached[i] = reach_mixed(
                    posterior, x, bounds, settings, posterior_mode, _REACH_WEIGHTS
                )
            X[i] = x
            continue
        start = clf.prior_.means_[[heaviest_component(posterior, bounds)]]
        if not hard:
            # A row of probabilities may be reachable from one basin only:
            # every component mean starts, the heaviest first, and fixed
            # draws of the prior.
            draws = sample_prior(clf.prior_, _SOFT_DRAWS, np.random.RandomState(0))
            start = np.vstack([start, clf.prior_.means_, draws])
        elif label_sets:
            start = np.vstack([start, _best_samples(posterior, bounds, clf.mcmc_steps)])
        if raw is None:
            searched, search_box, scale, to_search = posterior, bounds, None, np.asarray
        else:
            searched, search_box, scale = raw.search(posterior)
            to_search = raw.back
        x = posterior_mode(searched, to_search(start), search_box, scale=scale, **settings)
        if hard:
            x, reached[i] = _assigned(searched, x, search_box, scale, settings)
        X[i] = x
    inverse = inverse.ravel()
    return X[inverse], reached[inverse]


def _best_samples(posterior, box, n_steps):
    """The most probable of a few exact posterior samples (a fixed seed)."""
    draws = sample_posterior(
        posterior, _LABEL_SET_DRAWS, np.random.RandomState(0), box, n_steps=n_steps
    )
    value, _ = posterior(draws)
    return draws[np.argsort(-value, kind="stable")[:_LABEL_SET_STARTS]]


def _assigned(posterior, x, box, scale, settings):
    """``x``, or a point the network assigns to the target, by weighting the network up.

    Returns the point and whether the network assigns it to the target
    (else ``x`` itself comes back).
    """
    if posterior.assigns(x[None])[0]:
        return x, True
    y = x
    for weight in _REACH_WEIGHTS:
        y = posterior_mode(
            posterior,
            y[None],
            box,
            max_iter=settings["max_iter"],
            tol=settings["tol"],
            weights=(weight,),
            scale=scale,
        )
        if posterior.assigns(y[None])[0]:
            return y, True
    return x, False
