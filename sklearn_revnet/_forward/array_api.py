"""Arrays follow X: the fit's backend for arrays of another array API namespace.

Under ``sklearn.set_config(array_api_dispatch=True)``, an ``X`` from another
array API namespace (torch, CuPy, array-api-strict...) is trained in that
namespace, where it lives: the network of :mod:`sklearn_revnet._core.network`
(its array API branch: no in-place buffers, the standard has no ``out=``).
scipy's L-BFGS-B runs on the host, and each evaluation moves only the
parameter vector there and the gradient (with the loss) back. The fitted
``coefs_``, ``intercepts_``, ``input_min_`` and ``input_max_`` live in X's
namespace and on its device; the input prior is fitted on the host, on at
most ``MAX_ROWS`` rows of X.
"""

import numpy as np
from sklearn.utils.validation import validate_data

from sklearn_revnet._core.checks import finite_check
from sklearn_revnet._core.namespace import (
    array_namespace,
    device,
    dispatched_namespace,
    numpy_dtype,
    to_numpy,
)
from sklearn_revnet._core.network import backward, forward, log_loss_head
from sklearn_revnet._core.prior import prior_rows
from sklearn_revnet._forward.objective import ParameterLayout, add_l2, row_scales
from sklearn_revnet._forward.start import encode_targets


class InNamespace:
    """The backend of an ``X`` of another array API namespace (see
    :class:`~sklearn_revnet._forward.fit.InMemory`)."""

    def __init__(self, estimator, X, y, sample_weight, warm):
        self.xp = xp = dispatched_namespace(X)
        with finite_check():
            X = validate_data(estimator, X, dtype=(xp.float64, xp.float32), reset=not warm)
        self.X, self.device, n_samples = X, device(X), X.shape[0]
        y = to_numpy(y) if array_namespace(y) is not None else y
        if array_namespace(sample_weight) is not None:
            sample_weight = to_numpy(sample_weight)
        self.dtype = numpy_dtype(xp, X)
        stand_in = np.empty((n_samples, 0), dtype=self.dtype)  # encode_targets needs the rows
        self.Y, self.y, self.sample_weight = encode_targets(
            estimator, stand_in, np.asarray(y), sample_weight, warm
        )
        if len(self.y) != n_samples:
            raise ValueError(f"y has {len(self.y)} rows, X has {n_samples}.")
        self.n_outputs = self.Y.shape[1]

    def input_range(self):
        xp, X, w = self.xp, self.X, self.sample_weight
        rows = X if w is None else X[xp.asarray(w > 0, device=self.device)]
        return xp.min(rows, axis=0), xp.max(rows, axis=0)

    def prior_rows(self, rng):
        """The in-memory fit's rows, on the host."""
        index = prior_rows(self.X.shape[0], self.sample_weight, rng)
        if index is None:
            return to_numpy(self.X)
        return to_numpy(self.xp.take(self.X, self.xp.asarray(index, device=self.device), axis=0))

    def objective(self, estimator, layer_units):
        return ArrayObjective(
            self.X,
            self.xp.asarray(self.Y.astype(self.dtype), device=self.device),
            self.sample_weight,
            layer_units,
            estimator.activation,
            estimator.out_activation_,
            estimator.alpha,
        )

    def weights(self, coefs, intercepts):
        """The fitted weights, in X's namespace and on its device."""
        xp = self.xp
        return (
            [xp.asarray(np.array(W), device=self.device) for W in coefs],
            [xp.asarray(np.array(b), device=self.device) for b in intercepts],
        )


class ArrayObjective:
    """``theta -> (loss, gradient)`` on X's device: the training objective of
    :class:`~sklearn_revnet._forward.objective.TrainingObjective`, one host round
    trip per evaluation (the parameters there, the gradient and the loss back)."""

    def __init__(self, X, Y, sample_weight, layer_units, activation, out_activation, alpha):
        self.xp = xp = array_namespace(X)
        self.X, self.Y = X, Y
        self.dtype = numpy_dtype(xp, X)
        self.device = device(X)
        self.layout = ParameterLayout(layer_units)
        self.activation, self.out_activation = activation, out_activation
        weight_sum, row_scale = row_scales(X.shape[0], sample_weight, self.dtype)
        self.row_scale = xp.asarray(row_scale, device=self.device)
        self.alpha_scaled = alpha / weight_sum

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        pass

    def __call__(self, theta):
        xp = self.xp
        params = xp.asarray(np.asarray(theta, dtype=self.dtype), device=self.device)
        coefs = [xp.reshape(params[s], shape) for s, shape in self.layout.coef_slices]
        intercepts = [params[s] for s in self.layout.intercept_slices]
        layers = forward(self.X, coefs, intercepts, self.activation)
        row_loss, delta = log_loss_head(layers[-1], self.Y, self.out_activation)
        loss = xp.sum(row_loss * self.row_scale[:, 0])
        coef_grads, intercept_grads = [None] * len(coefs), [None] * len(coefs)
        backward(
            layers, coefs, delta * self.row_scale, self.activation, coef_grads, intercept_grads
        )
        flat = [xp.reshape(g, (-1,)) for g in coef_grads + intercept_grads]
        host = to_numpy(xp.concat(flat + [xp.reshape(loss, (1,))])).astype(np.float64)
        loss, grad = float(host[-1]), host[:-1]
        host_coefs, _ = self.layout.views(np.asarray(theta, dtype=self.dtype))
        return add_l2(loss, host_coefs, self.layout.views(grad)[0], self.alpha_scaled), grad
