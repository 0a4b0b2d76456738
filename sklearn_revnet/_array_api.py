"""Arrays follow X: fitting and predicting in X's array namespace, on X's device.

Under ``sklearn.set_config(array_api_dispatch=True)``, an ``X`` from another
array API namespace (torch, CuPy, array-api-strict...) is computed in that
namespace, where it lives. The forward and backward passes below are the
network of :mod:`sklearn_revnet._network` written with the array API's
functions (no in-place buffers: the standard has no ``out=``); scipy's
L-BFGS-B runs on the host, and each evaluation moves only the parameter
vector there and the gradient (with the loss) back. The numpy path is not
this one: it keeps its preallocated buffers.

The fitted ``coefs_``, ``intercepts_``, ``input_min_`` and ``input_max_``
live in X's namespace and on its device. The reverse direction
(``inverse_transform``, ``generate``, ``counterfactual``) evaluates its
densities there too: the network, its input gradient and the input prior's
log-density (:class:`DeviceMixture`: the fitted
:class:`~sklearn.mixture.GaussianMixture`'s constants moved to the device
once). Its drivers (L-BFGS-B, the samplers, the proximal steps) run on the
host, as scipy's L-BFGS-B does for training, and its answers come back in X's
namespace and on its device.

Namespaces come from array-api-compat, which is imported only when such an
array is passed.
"""

import copy

import numpy as np
from sklearn import config_context, get_config
from sklearn.utils.validation import validate_data

from sklearn_revnet._activations import LEAKY_RELU_SLOPE
from sklearn_revnet._posterior import Posterior, impossible_where_not_finite
from sklearn_revnet._prior import fit_prior_on_rows, prior_rows
from sklearn_revnet._training import (
    ParameterLayout,
    add_l2,
    encode_targets,
    fit_weights,
    row_scales,
    single_threaded_blas,
)
from sklearn_revnet._validation import finite_check


def namespace(X):
    """X's array namespace, or None for numpy (and everything else the numpy path takes)."""
    if isinstance(X, np.ndarray) or not get_config()["array_api_dispatch"]:
        return None
    import array_api_compat

    if not array_api_compat.is_array_api_obj(X) or array_api_compat.is_numpy_array(X):
        return None
    return array_api_compat.array_namespace(X)


def to_numpy(a):
    """A numpy copy of ``a`` (any namespace, any device); numpy arrays as they are."""
    if isinstance(a, np.ndarray) or a is None:
        return a
    import array_api_compat

    if array_api_compat.is_torch_array(a):
        return a.detach().cpu().numpy()
    if array_api_compat.is_cupy_array(a):
        return a.get()
    if array_api_compat.is_array_api_obj(a):
        return np.from_dlpack(a)
    return np.asarray(a)


def like(a, reference):
    """``a`` (numpy) in the namespace and on the device of ``reference``."""
    if isinstance(reference, np.ndarray) or a is None:
        return a
    import array_api_compat

    xp = array_api_compat.array_namespace(reference)
    return xp.asarray(a, device=array_api_compat.device(reference))


def check_fitted_on_numpy(clf, method):
    """Raise if ``clf`` was fitted in another namespace: its inputs must be there too."""
    if not isinstance(clf.coefs_[0], np.ndarray):
        raise ValueError(
            f"Inputs passed to {type(clf).__name__}.{method}() must use the same namespace "
            f"and the same device as those passed to fit(); it was fitted on "
            f"{type(clf.coefs_[0]).__module__} arrays (with array API dispatch on)."
        )


def on_host():
    """The context for numpy work (the prior, the reverse direction): no dispatch."""
    return config_context(array_api_dispatch=False)


def host_model(clf):
    """``clf`` itself, or a shallow copy whose fitted arrays are numpy copies.

    The copy keeps the fitted weights as ``_device_network``: the reverse
    direction computes the network and the prior's density with them, on the
    fit's device (see :func:`posterior` and :func:`counterfactual_problem`).
    """
    if isinstance(clf.coefs_[0], np.ndarray):
        return clf
    host = copy.copy(clf)
    host.coefs_ = [to_numpy(W) for W in clf.coefs_]
    host.intercepts_ = [to_numpy(b) for b in clf.intercepts_]
    host.input_min_, host.input_max_ = to_numpy(clf.input_min_), to_numpy(clf.input_max_)
    host._device_network = (clf.coefs_, clf.intercepts_)
    return host


# -- the network in any namespace ------------------------------------------------------


def _sigmoid(xp, Z):
    return 1 / (1 + xp.exp(-Z))


def _activate(xp, Z, activation):
    if activation == "relu":
        return xp.where(Z > 0, Z, xp.zeros_like(Z))
    if activation == "tanh":
        return xp.tanh(Z)
    if activation == "logistic":
        return _sigmoid(xp, Z)
    if activation == "leaky_relu":
        return xp.where(Z < 0, Z * LEAKY_RELU_SLOPE, Z)
    if activation == "softplus":
        return xp.logaddexp(xp.zeros_like(Z), Z)
    return Z  # identity


def _derivative(xp, A, delta, activation):
    """``delta`` times the activation's derivative, written with its output ``A``."""
    if activation == "relu":
        return delta * xp.astype(A > 0, delta.dtype)
    if activation == "tanh":
        return delta * (1 - A * A)
    if activation == "logistic":
        return delta * (A * (1 - A))
    if activation == "leaky_relu":
        return xp.where(A <= 0, delta * LEAKY_RELU_SLOPE, delta)
    if activation == "softplus":
        return delta * -xp.expm1(-A)
    return delta


def forward(xp, X, coefs, intercepts, activation):
    """``[X, A_1, ..., A_{L-1}, Z_L]``, as :func:`sklearn_revnet._network.forward`."""
    layers = [X]
    for i, (W, b) in enumerate(zip(coefs, intercepts)):
        Z = layers[-1] @ W + b
        layers.append(_activate(xp, Z, activation) if i < len(coefs) - 1 else Z)
    return layers


def log_loss_head(xp, Z, Y, out_activation):
    """Per-row log-loss from logits and ``P - Y``, as the numpy head computes them."""
    if out_activation == "softmax":
        Z = Z - xp.max(Z, axis=1, keepdims=True)
        E = xp.exp(Z)
        norm = xp.sum(E, axis=1)
        row_loss = xp.log(norm) - xp.sum(Z * Y, axis=1)
        P = E / norm[:, None]
    else:
        row_loss = xp.sum(xp.logaddexp(xp.zeros_like(Z), Z), axis=1) - xp.sum(Z * Y, axis=1)
        P = _sigmoid(xp, Z)
    return row_loss, P - Y


def backward(xp, layers, coefs, delta, activation):
    """The weights' gradients ``(coef_grads, intercept_grads)``."""
    coef_grads, intercept_grads = [None] * len(coefs), [None] * len(coefs)
    for i in range(len(coefs) - 1, -1, -1):
        coef_grads[i] = layers[i].T @ delta
        intercept_grads[i] = xp.sum(delta, axis=0)
        if i > 0:
            delta = _derivative(xp, layers[i], delta @ coefs[i].T, activation)
    return coef_grads, intercept_grads


def predict_proba_from_logits(xp, Z, out_activation):
    """Probabilities kept inside ``(0, 1)``, as the numpy function keeps them."""
    if out_activation == "softmax":
        E = xp.exp(Z - xp.max(Z, axis=1, keepdims=True))
        P = E / xp.sum(E, axis=1, keepdims=True)
    else:
        P = _sigmoid(xp, Z)
    info = xp.finfo(Z.dtype)
    return xp.clip(P, info.smallest_normal, 1 - info.eps / 2)


class ArrayObjective:
    """``theta -> (loss, gradient)`` on X's device: the training objective of
    :class:`~sklearn_revnet._training.TrainingObjective`, one host round trip
    per evaluation (the parameters there, the gradient and the loss back)."""

    def __init__(self, xp, X, Y, sample_weight, layer_units, activation, out_activation, alpha):
        self.xp, self.X, self.Y = xp, X, Y
        self.dtype = _numpy_dtype(xp, X)
        self.device = _device(X)
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
        layers = forward(xp, self.X, coefs, intercepts, self.activation)
        row_loss, delta = log_loss_head(xp, layers[-1], self.Y, self.out_activation)
        loss = xp.sum(row_loss * self.row_scale[:, 0])
        coef_grads, intercept_grads = backward(
            xp, layers, coefs, delta * self.row_scale, self.activation
        )
        flat = [xp.reshape(g, (-1,)) for g in coef_grads + intercept_grads]
        host = to_numpy(xp.concat(flat + [xp.reshape(loss, (1,))])).astype(np.float64)
        loss, grad = float(host[-1]), host[:-1]
        host_coefs, _ = self.layout.views(np.asarray(theta, dtype=self.dtype))
        return add_l2(loss, host_coefs, self.layout.views(grad)[0], self.alpha_scaled), grad


def _device(X):
    import array_api_compat

    return array_api_compat.device(X)


def _numpy_dtype(xp, X):
    """The numpy dtype of X's (float32 or float64) dtype."""
    return np.dtype(np.float32 if X.dtype == xp.float32 else np.float64)


# -- the estimator's methods -------------------------------------------------------------


def fit(clf, X, y, sample_weight, hidden, warm):
    """Fit ``clf`` on ``X`` of namespace ``xp``, computing there."""
    xp = namespace(X)
    with finite_check():
        X = validate_data(clf, X, dtype=(xp.float64, xp.float32), reset=not warm)
    device = _device(X)
    n_samples = X.shape[0]
    y = to_numpy(y) if namespace(y) is not None else y
    if namespace(sample_weight) is not None:
        sample_weight = to_numpy(sample_weight)
    dtype = _numpy_dtype(xp, X)
    stand_in = np.empty((n_samples, 0), dtype=dtype)  # encode_targets needs only the rows
    Y, y, sample_weight = encode_targets(clf, stand_in, np.asarray(y), sample_weight, warm)
    if len(y) != n_samples:
        raise ValueError(f"y has {len(y)} rows, X has {n_samples}.")
    layer_units, coefs, intercepts, rng = clf._network_start(hidden, Y.shape[1], dtype, warm)
    coefs, intercepts = [to_numpy(W) for W in coefs], [to_numpy(b) for b in intercepts]

    rows = X if sample_weight is None else X[xp.asarray(sample_weight > 0, device=device)]
    clf.input_min_, clf.input_max_ = xp.min(rows, axis=0), xp.max(rows, axis=0)
    index = prior_rows(n_samples, sample_weight, rng)  # the in-memory fit's rows
    if index is None:
        sample = to_numpy(X)
    else:
        sample = to_numpy(xp.take(X, xp.asarray(index, device=device), axis=0))
    with single_threaded_blas():
        clf.prior_ = fit_prior_on_rows(sample, clf.prior, rng, clf.verbose)

    objective = ArrayObjective(
        xp,
        X,
        xp.asarray(Y.astype(dtype), device=device),
        sample_weight,
        layer_units,
        clf.activation,
        clf.out_activation_,
        clf.alpha,
    )
    coefs, intercepts, clf.n_iter_, clf.loss_ = fit_weights(
        clf, X, None, y, sample_weight, layer_units, coefs, intercepts, objective, depth=1
    )
    clf.coefs_ = [xp.asarray(np.array(W), device=device) for W in coefs]
    clf.intercepts_ = [xp.asarray(np.array(b), device=device) for b in intercepts]
    return clf


def predict(clf, X, method):
    """``predict``, ``predict_proba`` or ``predict_log_proba`` in X's namespace."""
    xp = namespace(X)
    with finite_check():
        X = validate_data(clf, X, dtype=(xp.float64, xp.float32), reset=False)
    device = _device(X)
    coefs = [xp.asarray(W, device=device) for W in clf.coefs_]
    intercepts = [xp.asarray(b, device=device) for b in clf.intercepts_]
    logits = forward(xp, X, coefs, intercepts, clf.activation)[-1]
    if not bool(xp.all(xp.isfinite(logits))):
        raise ValueError(
            "The network's outputs overflowed for some rows of X; X must be on a "
            "scale comparable to the training data."
        )
    if method == "predict":
        if clf._label_binarizer.y_type_ == "multilabel-indicator":
            return xp.astype(logits > 0, xp.int64)
        index = xp.argmax(logits, axis=1) if logits.shape[1] > 1 else logits[:, 0] > 0
        classes = clf.classes_
        if classes.dtype.kind not in "biuf":  # labels no array namespace holds
            return classes[to_numpy(xp.astype(index, xp.int64))]
        classes = xp.asarray(classes, device=device)
        return xp.take(classes, xp.astype(index, xp.int64), axis=0)
    if clf.n_outputs_ == 1:
        logits = xp.concat([-logits, logits], axis=1)
    proba = predict_proba_from_logits(xp, logits, clf.out_activation_)
    return xp.log(proba) if method == "predict_log_proba" else proba


# -- the reverse direction's densities on the fit's device -------------------------------


def input_gradient(xp, layers, coefs, delta, activation):
    """``dloss / dX`` for ``delta = dloss / dZ_L``, as the numpy backward pass gives it."""
    for i in range(len(coefs) - 1, 0, -1):
        delta = _derivative(xp, layers[i], delta @ coefs[i].T, activation)
    return delta @ coefs[0].T


class DeviceMixture:
    """``log p(x)`` and its gradient for a fitted GaussianMixture, computed on a device.

    The same formulas as :func:`sklearn_revnet._prior.log_prior`, the
    mixture's constants moved to the device once.
    """

    def __init__(self, xp, gmm, device):
        self.xp = xp
        k, d = gmm.means_.shape
        chol = gmm.precisions_cholesky_
        self.full = gmm.covariance_type == "full"
        if self.full:
            side_by_side = np.transpose(chol, (1, 0, 2)).reshape(d, k * d)
            offsets = np.einsum("kd,kde->ke", gmm.means_, chol).reshape(k * d)
            stacked = np.transpose(chol, (0, 2, 1)).reshape(k * d, d)
            log_det = np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1)
            arrays = {"side_by_side": side_by_side, "offsets": offsets, "stacked": stacked}
        else:
            log_det = np.log(chol).sum(axis=1)
            arrays = {"means": gmm.means_, "chol": chol}
        arrays["base"] = np.log(gmm.weights_) + log_det - 0.5 * d * np.log(2 * np.pi)
        for name, value in arrays.items():
            setattr(self, name, xp.asarray(np.ascontiguousarray(value), device=device))
        self.k, self.d = k, d

    def __call__(self, X):
        xp, n = self.xp, X.shape[0]
        if self.full:
            Y = xp.reshape(X @ self.side_by_side - self.offsets, (n, self.k, self.d))
        else:
            Y = (X[:, None, :] - self.means[None, ...]) * self.chol[None, ...]
        log_terms = self.base - 0.5 * xp.sum(Y * Y, axis=2)
        top = xp.max(log_terms, axis=1)
        top = xp.where(xp.isfinite(top), top, xp.zeros_like(top))
        log_p = xp.log(xp.sum(xp.exp(log_terms - top[:, None]), axis=1)) + top
        weighted = xp.exp(log_terms - log_p[:, None])[:, :, None] * Y
        if self.full:
            grad = -(xp.reshape(weighted, (n, self.k * self.d)) @ self.stacked)
        else:
            grad = -xp.sum(weighted * self.chol[None, ...], axis=1)
        return log_p, grad


class OnDevice:
    """The fit's weights (as float64) and the prior, on the fit's device."""

    def __init__(self, device_network, prior):
        coefs, intercepts = device_network
        import array_api_compat

        self.xp = xp = array_api_compat.array_namespace(coefs[0])
        self.device = array_api_compat.device(coefs[0])
        self.coefs = [xp.astype(W, xp.float64) for W in coefs]
        self.intercepts = [xp.astype(b, xp.float64) for b in intercepts]
        self.mixture = DeviceMixture(xp, prior, self.device)

    def put(self, X):
        return self.xp.asarray(np.ascontiguousarray(X, dtype=np.float64), device=self.device)


class DevicePosterior(Posterior):
    """:class:`~sklearn_revnet._posterior.Posterior` with its densities computed on the
    fit's device: the samplers and L-BFGS-B drive it from the host, one round trip
    (the inputs there, the values and gradients back) per evaluation."""

    def __init__(self, network, device_network, prior, targets, weight=1.0):
        super().__init__(network, prior, targets, weight)
        self.on = OnDevice(device_network, prior)

    def _head(self, X):
        on, xp = self.on, self.on.xp
        layers = forward(xp, X, on.coefs, on.intercepts, self.activation)
        targets = xp.broadcast_to(on.put(self.targets), (X.shape[0], self.targets.shape[1]))
        return layers, *log_loss_head(xp, layers[-1], targets, self.out_activation)

    def log_likelihood(self, X):
        if len(X) == 0:
            return np.empty(0)
        with np.errstate(over="ignore", invalid="ignore"):
            row_loss = to_numpy(self._head(self.on.put(X))[1])
        return np.where(np.isfinite(row_loss), -row_loss, -np.inf)

    def __call__(self, X, box=None):
        on, xp = self.on, self.on.xp
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            U = on.put(X)
            seen = U if box is None else xp.clip(U, on.put(box.lo), on.put(box.hi))
            layers, row_loss, delta = self._head(seen)
            grad_loss = input_gradient(xp, layers, on.coefs, delta, self.activation)
            if box is not None:
                grad_loss = xp.where(seen != U, xp.zeros_like(grad_loss), grad_loss)
            log_p, grad_p = on.mixture(U)
            value = self.prior_weight * log_p - self.weight * row_loss
            grad = self.prior_weight * grad_p - self.weight * grad_loss
            host = to_numpy(xp.concat([value[:, None], grad], axis=1))
        return impossible_where_not_finite(host[:, 0].copy(), host[:, 1:].copy())


def posterior(clf, targets):
    """The posterior of ``clf`` (a host model) for ``targets``, on the fit's device if any."""
    network = (clf.coefs_, clf.intercepts_, clf.activation, clf.out_activation_)
    device_network = getattr(clf, "_device_network", None)
    if device_network is None:
        return Posterior(network, clf.prior_, targets)
    return DevicePosterior(network, device_network, clf.prior_, targets)
