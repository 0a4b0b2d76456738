"""Training: the regularized log-loss of the weights, and its L-BFGS driver.

All weights live in one flat vector laid out as scikit-learn's MLP lays
them out (every coefficient matrix, row-major, then every intercept), so that
the same ``random_state`` leads L-BFGS through the same iterations.
"""

import numpy as np
import scipy.optimize

from sklearn_revnet._network import allocate_layers, backward, forward, log_loss_head


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


class TrainingObjective:
    """``theta -> (loss, gradient)`` for L-BFGS, with buffers allocated once.

    The loss is::

        sum_i w_i * logloss(y_i, z_i(theta)) / sum_i w_i
        + 0.5 * alpha * sum_l ||W_l||_F^2 / sum_i w_i

    with ``w_i = 1`` when no sample weights are given. It is evaluated in the
    dtype of ``X`` (float32 or float64).
    """

    def __init__(self, X, Y, sample_weight, layer_units, activation, out_activation, alpha):
        self.dtype = X.dtype
        self.X = X
        self.Y = np.asarray(Y, dtype=self.dtype)
        self.activation = activation
        self.out_activation = out_activation
        self.layout = ParameterLayout(layer_units)
        n_samples = X.shape[0]
        if sample_weight is None:
            self.weight_sum = float(n_samples)
            self.row_scale = None
        else:
            self.weight_sum = float(np.sum(sample_weight, dtype=np.float64))
            self.row_scale = (sample_weight / self.weight_sum).astype(self.dtype)[:, None]
        self.alpha_scaled = alpha / self.weight_sum
        self._layers = allocate_layers(n_samples, layer_units, self.dtype)
        self._grad = np.empty(self.layout.size, dtype=self.dtype)
        self._grad_coefs, self._grad_intercepts = self.layout.views(self._grad)
        self._params = None if self.dtype == np.float64 else np.empty_like(self._grad)

    def __call__(self, theta):
        if self._params is None:
            params = theta
        else:
            params = self._params
            params[...] = theta
        coefs, intercepts = self.layout.views(params)
        layers = forward(self.X, coefs, intercepts, self.activation, out=self._layers)
        row_loss, delta = log_loss_head(layers[-1], self.Y, self.out_activation)
        if self.row_scale is None:
            loss = np.sum(row_loss, dtype=np.float64) / self.weight_sum
            delta *= self.dtype.type(1.0 / self.weight_sum)
        else:
            loss = float(np.dot(row_loss.astype(np.float64), self.row_scale[:, 0]))
            delta *= self.row_scale
        backward(
            layers,
            coefs,
            delta,
            self.activation,
            coef_grads=self._grad_coefs,
            intercept_grads=self._grad_intercepts,
        )
        if self.alpha_scaled:
            penalty = 0.0
            for W, gW in zip(coefs, self._grad_coefs):
                w = W.ravel()
                penalty += float(np.dot(w, w))
                gW += self.dtype.type(self.alpha_scaled) * W
            loss += 0.5 * self.alpha_scaled * penalty
        # The buffer is reused across calls; scipy's L-BFGS-B copies it before use.
        return loss, self._grad


def minimize_lbfgs(fun, x0, *, max_iter, max_fun, tol, callback=None):
    """``scipy.optimize.minimize(method="L-BFGS-B", jac=True)`` with our limits."""
    return scipy.optimize.minimize(
        fun,
        x0,
        method="L-BFGS-B",
        jac=True,
        callback=callback,
        options={"maxiter": max_iter, "maxfun": max_fun, "gtol": tol},
    )
