"""The scipy L-BFGS driver of the fit, with progress and convergence reporting."""

import numpy as np
import scipy.optimize
from sklearn.exceptions import ConvergenceWarning

from sklearn_revnet._core.caller import warn_at_caller
from sklearn_revnet._forward.progress import FitMonitor


def minimize_lbfgs(fun, x0, *, max_iter, max_fun, tol, callback=None):
    """``scipy.optimize.minimize(method="L-BFGS-B", jac=True)`` with our limits.

    A trial point where ``fun`` overflows (a non-finite loss or gradient)
    counts as an infinitely bad point, so the line search backs off from it;
    if L-BFGS nevertheless ends on one, the best finite point seen is
    returned instead.
    """
    best = {"fun": np.inf, "x": np.asarray(x0, dtype=float).copy()}

    def guarded(x):
        loss, grad = fun(x)
        # A float32 gradient (a float32 fit) is cast, exactly, and an unaligned
        # one (received from another process) copied: scipy < 1.15 passes it
        # unconverted to its Fortran L-BFGS-B, which rejects both.
        grad = np.require(grad, np.float64, ["C", "A"])
        if not (np.isfinite(loss) and np.all(np.isfinite(grad))):
            return np.inf, np.zeros_like(grad)
        if loss < best["fun"]:
            best["fun"], best["x"] = loss, x.copy()
        return loss, grad

    result = scipy.optimize.minimize(
        guarded,
        x0,
        method="L-BFGS-B",
        jac=True,
        callback=callback,
        options={"maxiter": max_iter, "maxfun": max_fun, "gtol": tol},
    )
    if not (np.isfinite(result.fun) and np.all(np.isfinite(result.x))):
        result.fun, result.x = best["fun"], best["x"]
    return result


def fit_weights(estimator, objective, coefs, intercepts, fit_args):
    """Run L-BFGS on ``objective`` from ``coefs, intercepts``; ``(coefs, intercepts,
    n_iter, loss)``.

    Reports each iteration to the estimator's loss curve, ``verbose`` output
    and callbacks (which see ``fit_args``: the fit's ``(X, y,
    sample_weight)``), and warns, at the caller of ``fit``, when L-BFGS stops
    before convergence.
    """
    layout = objective.layout
    x0 = layout.pack(coefs, intercepts)
    monitor = FitMonitor(estimator, *fit_args, layout, x0, objective.dtype)
    with objective:
        result = minimize_lbfgs(
            objective,
            x0,
            max_iter=estimator.max_iter,
            max_fun=estimator.max_fun,
            tol=estimator.tol,
            callback=monitor,
        )
    monitor.close()
    if not monitor.stopped:
        _warn_if_not_converged(result, estimator.max_iter, estimator.max_fun)
    if not np.all(np.isfinite(result.x)):
        raise ValueError(
            "L-BFGS produced non-finite weights; scale the input data "
            "(for example with StandardScaler) and fit again."
        )
    coefs, intercepts = layout.views(result.x.astype(objective.dtype))
    return coefs, intercepts, min(result.nit, estimator.max_iter), float(result.fun)


def _warn_if_not_converged(result, max_iter, max_fun):
    if result.status == 0:
        return
    if result.nit >= max_iter:
        reason = f"it reached max_iter={max_iter} iterations; increase max_iter"
    elif result.nfev > max_fun:
        reason = f"it reached max_fun={max_fun} loss evaluations; increase max_fun"
    else:
        reason = f"the line search failed ({result.message}); try scaling the data"
    warn_at_caller(
        f"L-BFGS stopped before convergence after {result.nit} iterations: {reason}.",
        ConvergenceWarning,
    )
