"""Training: the regularized log-loss of the weights, and its L-BFGS driver.

All weights live in one flat vector laid out as scikit-learn's MLP lays
them out (every coefficient matrix, row-major, then every intercept), so that
the same ``random_state`` leads L-BFGS through the same iterations.
"""

import contextlib
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from numbers import Integral

import numpy as np
import scipy.optimize
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import column_or_1d
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.parallel import _get_threadpool_controller
from sklearn.utils.validation import _check_sample_weight

from sklearn_revnet._init import initialize
from sklearn_revnet._network import Workspace, backward, forward, log_loss_head
from sklearn_revnet._progress import FitMonitor

# Rows per block of one forward/backward pass. Blocks keep each layer's
# buffers small enough to stay in cache between the matrix product that
# writes them and the element-wise work that reads them.
BLOCK_ROWS = 2048
# Fewer rows than this per worker and a thread costs more than it saves.
MIN_BLOCK_ROWS = 256


class ParameterLayout:
    """Where each layer's weights sit in the flat parameter vector."""

    def __init__(self, layer_units):
        shapes = list(zip(layer_units[:-1], layer_units[1:]))
        self.coef_slices, self.intercept_slices = [], []
        start = 0
        for shape in shapes:
            end = start + shape[0] * shape[1]
            self.coef_slices.append((slice(start, end), shape))
            start = end
        for _, fan_out in shapes:
            self.intercept_slices.append(slice(start, start + fan_out))
            start += fan_out
        self.size = start

    def views(self, flat):
        """Coefficient and intercept views into ``flat`` (no copies)."""
        coefs = [flat[s].reshape(shape) for s, shape in self.coef_slices]
        intercepts = [flat[s] for s in self.intercept_slices]
        return coefs, intercepts

    def pack(self, coefs, intercepts, dtype=np.float64):
        flat = np.empty(self.size, dtype=dtype)
        c, b = self.views(flat)
        for dst, src in zip(c + b, coefs + intercepts):
            dst[...] = src
        return flat


class _Shard:
    """One worker's share of the rows: its blocks, buffers and partial gradient."""

    def __init__(self, blocks, layout, layer_units, activation, dtype):
        self.blocks = blocks  # list of (X, Y, row_scale) per block
        n_rows = max(X.shape[0] for X, _, _ in blocks)
        self.workspace = Workspace(n_rows, layer_units, activation, dtype)
        self.grad = np.empty(layout.size, dtype=dtype)
        self.block_grad = np.empty(layout.size, dtype=dtype) if len(blocks) > 1 else None
        self.grad_views = layout.views(self.grad)
        self.block_grad_views = layout.views(self.block_grad) if len(blocks) > 1 else None


class TrainingObjective:
    """``theta -> (loss, gradient)`` for L-BFGS, with buffers allocated once.

    The loss is::

        sum_i w_i * logloss(y_i, z_i(theta)) / sum_i w_i
        + 0.5 * alpha * sum_l ||W_l||_F^2 / sum_i w_i

    with ``w_i = 1`` when no sample weights are given. It is evaluated in the
    dtype of ``X`` (float32 or float64), in equal blocks of rows that are
    shared out between ``n_workers`` threads; used as a context manager, the
    objective starts those threads and keeps BLAS single-threaded meanwhile,
    so that the element-wise work runs in parallel too and the buffers of a
    block stay in cache. Partial gradients are summed in a fixed order, so the
    result does not depend on thread timing.
    """

    def __init__(
        self,
        X,
        Y,
        sample_weight,
        layer_units,
        activation,
        out_activation,
        alpha,
        *,
        n_workers=1,
        block_rows=BLOCK_ROWS,
        weight_sum=None,
    ):
        self.dtype = X.dtype
        self.activation = activation
        self.out_activation = out_activation
        self.layout = ParameterLayout(layer_units)
        n_samples = X.shape[0]
        Y = np.asarray(Y, dtype=self.dtype)
        self.weight_sum, row_scale = row_scales(n_samples, sample_weight, self.dtype, weight_sum)
        self.alpha_scaled = alpha / self.weight_sum
        # Equal blocks, as many per worker, so that the workers finish together;
        # a worker gets at least MIN_BLOCK_ROWS rows.
        self.n_workers = max(1, min(n_workers, n_samples // MIN_BLOCK_ROWS))
        per_worker = -(-n_samples // (self.n_workers * block_rows))  # ceil
        bounds = np.linspace(0, n_samples, self.n_workers * per_worker + 1).astype(int)
        blocks = [
            (X[start:stop], Y[start:stop], row_scale[start:stop])
            for start, stop in zip(bounds[:-1], bounds[1:])
        ]
        self._shards = [
            _Shard(blocks[w :: self.n_workers], self.layout, layer_units, activation, self.dtype)
            for w in range(self.n_workers)
        ]
        self._grad = self._shards[0].grad
        self._params = None if self.dtype == np.float64 else np.empty_like(self._grad)
        self._pool = None

    def __enter__(self):
        # BLAS threads would only compete with the workers (and, on blocks
        # this small, cost more in synchronization than they save).
        self._exit_stack = contextlib.ExitStack()
        self._exit_stack.enter_context(single_threaded_blas())
        if self.n_workers > 1:
            self._pool = self._exit_stack.enter_context(
                ThreadPoolExecutor(max_workers=self.n_workers - 1)
            )
        return self

    def __exit__(self, *exc_info):
        self._pool = None
        self._exit_stack.close()

    def __call__(self, theta):
        if self._params is None:
            params = theta
        else:
            params = self._params
            params[...] = theta
        coefs, intercepts = self.layout.views(params)
        if self._pool is None:
            losses = [self._run(shard, coefs, intercepts) for shard in self._shards]
        else:
            futures = [
                self._pool.submit(self._run, shard, coefs, intercepts)
                for shard in self._shards[1:]
            ]
            losses = [self._run(self._shards[0], coefs, intercepts)]
            losses += [future.result() for future in futures]
        loss = float(sum(losses))
        for shard in self._shards[1:]:
            self._grad += shard.grad
        loss = add_l2(loss, coefs, self._shards[0].grad_views[0], self.alpha_scaled)
        # The buffer is reused across calls; scipy's L-BFGS-B copies it before use.
        return loss, self._grad

    def _run(self, shard, coefs, intercepts):
        """Loss and gradient of one shard's rows, the gradient into ``shard.grad``."""
        loss = 0.0
        # An overflow (a diverging trial step) makes the loss non-finite, which
        # minimize_lbfgs treats as an infinite loss: no warning needed.
        with np.errstate(over="ignore", invalid="ignore"):
            for k, (X, Y, row_scale) in enumerate(shard.blocks):
                layer_buffers, workspace = shard.workspace.rows(X.shape[0])
                layers = forward(X, coefs, intercepts, self.activation, out=layer_buffers)
                row_loss, delta = log_loss_head(layers[-1], Y, self.out_activation)
                loss += float(np.dot(row_loss, row_scale[:, 0]))
                delta *= row_scale
                grad_coefs, grad_intercepts = (
                    shard.grad_views if k == 0 else shard.block_grad_views
                )
                backward(
                    layers,
                    coefs,
                    delta,
                    self.activation,
                    coef_grads=grad_coefs,
                    intercept_grads=grad_intercepts,
                    workspace=workspace,
                )
                if k > 0:
                    shard.grad += shard.block_grad
        return loss


def row_scales(n_samples, sample_weight, dtype, weight_sum=None):
    """``(weight_sum, row_scale)``: the total weight and each row's share of the mean loss.

    ``row_scale`` has shape ``(n_samples, 1)`` and the given dtype. A
    ``weight_sum`` given is the total of a larger set these rows belong to.
    """
    if weight_sum is not None:
        weight_sum = float(weight_sum)
    elif sample_weight is None:
        weight_sum = float(n_samples)
    else:
        weight_sum = float(np.sum(sample_weight, dtype=np.float64))
    if sample_weight is None:
        return weight_sum, np.full((n_samples, 1), 1.0 / weight_sum, dtype=dtype)
    return weight_sum, (sample_weight / weight_sum).astype(dtype)[:, None]


def add_l2(loss, coefs, coef_grads, alpha_scaled):
    """``loss`` plus the L2 term ``0.5 * alpha_scaled * sum ||W||^2``; adds its gradient."""
    if not alpha_scaled:
        return loss
    alpha = coef_grads[0].dtype.type(alpha_scaled)
    # weights of a diverging trial step overflow here too: silently, as in the data term
    with np.errstate(over="ignore", invalid="ignore"):
        for W, grad_W in zip(coefs, coef_grads):
            w = W.ravel()
            loss += 0.5 * alpha_scaled * float(np.dot(w, w))
            grad_W += alpha * W
    return loss


_blas_lock = threading.Lock()
_blas_users = 0
_blas_limit = None


@contextlib.contextmanager
def single_threaded_blas():
    """BLAS runs on the calling thread only, until the last user leaves.

    The limit is process-wide, so concurrent users (fits or reconstructions
    in several threads) share one limit: the first sets it and the last
    restores the original thread counts.
    """
    global _blas_users, _blas_limit
    with _blas_lock:
        if _blas_users == 0:
            _blas_limit = _get_threadpool_controller().limit(limits=1, user_api="blas")
        _blas_users += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_users -= 1
            if _blas_users == 0:
                _blas_limit.restore_original_limits()
                _blas_limit = None


def blas_threads():
    """How many threads BLAS may use now (1 if it cannot be told)."""
    info = _get_threadpool_controller().select(user_api="blas").info()
    return max([module["num_threads"] for module in info], default=1)


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


def encode_targets(estimator, X, y, sample_weight, warm):
    """Check ``y`` and ``sample_weight``; ``(Y, y, sample_weight)`` for training.

    Sets ``classes_`` (kept from the previous fit on a warm start, which must
    see the same classes).
    """
    if y.ndim == 2 and y.shape[1] == 1:
        y = column_or_1d(y, warn=True)
    check_classification_targets(y)
    if warm:
        classes = LabelBinarizer().fit(y).classes_
        if not np.array_equal(classes, estimator.classes_):
            raise ValueError(
                "warm_start needs y to have the classes of the previous fit "
                f"{estimator.classes_.tolist()}; got {classes.tolist()}."
            )
    else:
        estimator._label_binarizer = LabelBinarizer().fit(y)
        estimator.classes_ = estimator._label_binarizer.classes_
    Y = estimator._label_binarizer.transform(y)
    if sample_weight is not None:
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=X.dtype, ensure_non_negative=True
        )
        if not sample_weight.sum() > 0:
            raise ValueError("sample_weight must have at least one positive entry.")
    return Y, y, sample_weight


def initial_weights(estimator, layer_units, rng, dtype, warm):
    """The weights L-BFGS starts from: drawn by ``init``, or the last fit's."""
    if not warm:
        estimator.loss_curve_ = []
        return initialize(estimator.init, layer_units, rng, estimator.activation, dtype)
    coefs, intercepts = estimator.coefs_, estimator.intercepts_
    fitted_units = [coefs[0].shape[0]] + [b.size for b in intercepts]
    if fitted_units != layer_units:
        raise ValueError(
            f"warm_start needs the layer sizes of the previous fit {fitted_units}; "
            f"got {layer_units}. Set warm_start=False to start afresh."
        )
    return coefs, intercepts


def fit_weights(
    estimator, X, Y, y, sample_weight, layer_units, coefs, intercepts, objective=None, depth=0
):
    """Run L-BFGS from ``coefs, intercepts``; ``(coefs, intercepts, n_iter, loss)``.

    Reports each iteration to the estimator's loss curve, ``verbose`` output
    and callbacks, and warns when L-BFGS stops before convergence. The
    objective is a :class:`TrainingObjective` of ``X, Y, sample_weight``
    unless one is given (for rows held elsewhere), and ``depth`` counts the
    frames between ``fit`` and this call, for the warning's caller.
    """
    if objective is None:
        objective = TrainingObjective(
            X,
            Y,
            sample_weight,
            layer_units,
            estimator.activation,
            estimator.out_activation_,
            estimator.alpha,
            n_workers=blas_threads(),
        )
    layout = objective.layout
    x0 = layout.pack(coefs, intercepts)
    monitor = FitMonitor(estimator, X, y, sample_weight, layout, x0, objective.dtype)
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
        _warn_if_not_converged(result, estimator.max_iter, estimator.max_fun, 5 + depth)
    if not np.all(np.isfinite(result.x)):
        raise ValueError(
            "L-BFGS produced non-finite weights; scale the input data "
            "(for example with StandardScaler) and fit again."
        )
    coefs, intercepts = layout.views(result.x.astype(objective.dtype))
    return coefs, intercepts, min(result.nit, estimator.max_iter), float(result.fun)


def hidden_units(hidden_layer_sizes):
    sizes = hidden_layer_sizes
    if isinstance(sizes, Integral):
        sizes = [sizes]
    sizes = list(np.ravel(np.asarray(sizes, dtype=object)))
    if not all(isinstance(s, Integral) and not isinstance(s, bool) and s > 0 for s in sizes):
        raise ValueError(
            f"hidden_layer_sizes must hold positive integers; got {hidden_layer_sizes!r}."
        )
    return [int(s) for s in sizes]


def _warn_if_not_converged(result, max_iter, max_fun, stacklevel):
    if result.status == 0:
        return
    if result.nit >= max_iter:
        reason = f"it reached max_iter={max_iter} iterations; increase max_iter"
    elif result.nfev > max_fun:
        reason = f"it reached max_fun={max_fun} loss evaluations; increase max_fun"
    else:
        reason = f"the line search failed ({result.message}); try scaling the data"
    warnings.warn(
        f"L-BFGS stopped before convergence after {result.nit} iterations: {reason}.",
        ConvergenceWarning,
        # the caller of fit, past fit_weights and the _fit_context wrapper (5)
        stacklevel=stacklevel,
    )
