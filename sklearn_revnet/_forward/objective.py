"""The training objective: the regularized log-loss of the flat weight vector.

All weights live in one flat vector laid out as scikit-learn's MLP lays
them out (every coefficient matrix, row-major, then every intercept), so that
the same ``random_state`` leads L-BFGS through the same iterations. The
numpy objective evaluates it in row blocks shared out between threads, in
buffers allocated once.
"""

import contextlib
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from sklearn_revnet._core.network import Workspace, backward, forward, log_loss_head
from sklearn_revnet._core.threads import single_threaded_blas

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
