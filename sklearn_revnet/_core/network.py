"""The network itself: one forward pass and one backward pass.

On a list of weight matrices ``coefs`` (``coefs[i]`` has shape ``(units[i],
units[i + 1])``) and bias vectors ``intercepts``, in numpy or in any array
API namespace (``xp``, found from the arrays). Training and input
reconstruction both call these functions: training asks the backward pass
for the gradient with respect to the weights, reconstruction for the
gradient with respect to the input. The numpy branch of each function works
in preallocated buffers, for the training loop's speed; the array API branch
beside it computes the same values without ``out=``.

Notation: ``A_0 = X``, ``Z_i = A_{i-1} W_i + b_i``, ``A_i = f(Z_i)`` for the
hidden layers and the last layer is left as raw logits ``Z_L``; the output
link (softmax or logistic) lives in :func:`log_loss_head` so that the loss is
computed from logits, never from clipped probabilities.
"""

import numpy as np
import scipy.sparse as sp

from sklearn_revnet._core.activations import ACTIVATIONS, sigmoid
from sklearn_revnet._core.namespace import array_namespace


def _matmul(A, W, out):
    if sp.issparse(A):
        out[...] = A @ W
    else:
        np.matmul(A, W, out=out)
    return out


def allocate_layers(n_samples, layer_units, dtype):
    """Buffers for the outputs of every layer after the input."""
    return [np.empty((n_samples, units), dtype=dtype) for units in layer_units[1:]]


class Workspace:
    """Every buffer one forward and backward pass needs, for up to ``n_rows`` rows.

    Allocated once and reused across evaluations, so that a pass allocates
    nothing: layer outputs, the backpropagated deltas of the hidden layers and
    the activation derivative's scratch buffers.
    """

    def __init__(self, n_rows, layer_units, activation, dtype):
        self.n_rows = n_rows
        self.layers = allocate_layers(n_rows, layer_units, dtype)
        hidden = layer_units[1:-1]
        work_dtype = ACTIVATIONS[activation].work_dtype or dtype
        self.deltas = [np.empty((n_rows, units), dtype=dtype) for units in hidden]
        self.work = [np.empty((n_rows, units), dtype=work_dtype) for units in hidden]

    def rows(self, n):
        """``(layers, (deltas, work))`` views for the first ``n`` rows."""
        if n == self.n_rows:
            return self.layers, (self.deltas, self.work)
        return [b[:n] for b in self.layers], (
            [b[:n] for b in self.deltas],
            [b[:n] for b in self.work],
        )


def forward(X, coefs, intercepts, activation, out=None):
    """Run the network forward.

    Parameters
    ----------
    X : {ndarray, sparse matrix, array} of shape (n_samples, n_features)
        Inputs, in numpy or in the namespace of ``coefs``.
    coefs, intercepts : lists of arrays
    activation : str
        Name of the hidden activation.
    out : list of ndarray, optional
        Preallocated buffers from :func:`allocate_layers` (numpy); allocated
        if None.

    Returns
    -------
    layers : list of arrays
        ``[X, A_1, ..., A_{L-1}, Z_L]``: the input, each hidden layer's output
        and the output logits.
    """
    f = ACTIVATIONS[activation].forward
    last = len(coefs) - 1
    xp = array_namespace(coefs[0])
    if xp is not None:
        layers = [X]
        for i, (W, b) in enumerate(zip(coefs, intercepts)):
            Z = layers[-1] @ W + b
            layers.append(f(Z, xp) if i < last else Z)
        return layers
    if out is None:
        dtype = np.result_type(X.dtype, coefs[0].dtype)
        out = allocate_layers(X.shape[0], [X.shape[1]] + [b.size for b in intercepts], dtype)
    layers = [X]
    for i, (W, b, Z) in enumerate(zip(coefs, intercepts, out)):
        _matmul(layers[-1], W, Z)
        Z += b
        if i < last:
            f(Z)
        layers.append(Z)
    return layers


def log_loss_head(Z, Y, out_activation):
    """Per-row log-loss from logits and its gradient (numpy: in place).

    Parameters
    ----------
    Z : array of shape (n_samples, n_outputs)
        Output logits; a numpy ``Z`` is overwritten by the gradient
        ``dloss_i / dZ_i``, which is ``P - Y`` for both links.
    Y : array of shape (n_samples, n_outputs)
        Targets: one-hot or probability rows for ``"softmax"``, 0/1 (or
        probabilities) per output for ``"logistic"``.
    out_activation : {"softmax", "logistic"}

    Returns
    -------
    row_loss : array of shape (n_samples,)
        ``logsumexp(z) - sum_k y_k z_k`` for softmax (rows of ``Y`` sum to
        one), ``sum_k log(1 + exp(z_k)) - y_k z_k`` for logistic outputs.
    delta : array
        ``P - Y`` (for numpy, ``Z`` itself, now holding it).
    """
    xp = array_namespace(Z)
    if xp is not None:
        if out_activation == "softmax":
            Z = Z - xp.max(Z, axis=1, keepdims=True)
            E = xp.exp(Z)
            norm = xp.sum(E, axis=1)
            row_loss = xp.log(norm) - xp.sum(Z * Y, axis=1)
            P = E / norm[:, None]
        else:
            softplus = xp.logaddexp(xp.zeros_like(Z), Z)
            row_loss = xp.sum(softplus, axis=1) - xp.sum(Z * Y, axis=1)
            P = sigmoid(Z, xp)
        return row_loss, P - Y
    if out_activation == "softmax":
        Z -= _row_max(Z)[:, None]
        row_loss = -np.einsum("ij,ij->i", Z, Y, dtype=Z.dtype)
        np.exp(Z, out=Z)
        norm = Z.sum(axis=1)
        row_loss += np.log(norm)
        Z /= norm[:, None]
    else:
        row_loss = np.logaddexp(0, Z).sum(axis=1) - np.einsum("ij,ij->i", Z, Y, dtype=Z.dtype)
        sigmoid(Z)
    Z -= Y
    return row_loss, Z


def _row_max(Z):
    """``Z.max(axis=1)``, a column at a time: much faster for a few columns."""
    top = Z[:, 0].copy()
    for k in range(1, Z.shape[1]):
        np.maximum(top, Z[:, k], out=top)
    return top


def predict_proba_from_logits(Z, out_activation):
    """Probabilities from output logits (numpy: in place).

    The result is kept inside the open interval ``(0, 1)``: an entry that
    would round to exactly 0 or 1 is moved to the nearest representable
    number inside, so that its logarithm stays finite.
    """
    xp = array_namespace(Z)
    if xp is not None:
        if out_activation == "softmax":
            E = xp.exp(Z - xp.max(Z, axis=1, keepdims=True))
            P = E / xp.sum(E, axis=1, keepdims=True)
        else:
            P = sigmoid(Z, xp)
        info = xp.finfo(Z.dtype)
        return xp.clip(P, info.smallest_normal, 1 - info.eps / 2)
    if out_activation == "softmax":
        top = _row_max(Z)[:, None]
        # Huge logits of opposite signs can overflow Z - top to -inf, whose
        # exponential is the right 0; the row's top entry becomes exactly 0,
        # so every row keeps a 1 and sums to at least that.
        with np.errstate(over="ignore"):
            Z -= top
        np.exp(Z, out=Z)
        Z /= Z.sum(axis=1, keepdims=True)
    else:
        sigmoid(Z)
    info = np.finfo(Z.dtype)
    return np.clip(Z, info.tiny, 1 - info.epsneg, out=Z)


def class_probabilities(logits, out_activation):
    """``predict_proba``'s rows from output logits (numpy: in place where it can).

    A binary model's single logit ``z`` gives the two columns
    ``(sigmoid(-z), sigmoid(z))`` (not ``1 - sigmoid(z)``: no cancellation to
    0); other models' probabilities are :func:`predict_proba_from_logits`'s.
    """
    if logits.shape[1] == 1:
        xp = array_namespace(logits)
        logits = (
            np.hstack([-logits, logits]) if xp is None else xp.concat([-logits, logits], axis=1)
        )
    return predict_proba_from_logits(logits, out_activation)


def check_finite_logits(logits, X):
    """Raise a ValueError where the network's outputs overflowed for rows ``X``."""
    xp = array_namespace(logits)
    finite = np.all(np.isfinite(logits)) if xp is None else bool(xp.all(xp.isfinite(logits)))
    if not finite:
        values = X.data if sp.issparse(X) else X
        largest = float(np.max(np.abs(values))) if xp is None else float(xp.max(xp.abs(X)))
        raise ValueError(
            "The network's outputs overflowed for some rows of X (largest absolute "
            f"value {largest:.3g}); X must be on a scale comparable to the training data."
        )


def backward(
    layers,
    coefs,
    delta,
    activation,
    coef_grads=None,
    intercept_grads=None,
    input_grad=False,
    workspace=None,
):
    """Backpropagate ``delta = dloss / dZ_L`` through the network.

    Parameters
    ----------
    layers : list of arrays
        Output of :func:`forward`. Hidden outputs are read, not modified.
    coefs : list of arrays
    delta : array of shape (n_samples, n_outputs)
        Gradient of the loss with respect to the output logits (already
        scaled by sample weights).
    activation : str
    coef_grads, intercept_grads : lists, optional
        If given, filled with ``dloss / dW_i = A_{i-1}^T delta_i`` and
        ``dloss / db_i = sum_rows delta_i``: numpy entries are written in
        place, the entries of another namespace's lists are replaced.
    input_grad : bool, default=False
        If True, also return ``dloss / dX = delta_1 W_1^T``.
    workspace : tuple, optional
        ``(deltas, work)`` from :meth:`Workspace.rows` (numpy); allocated if
        None.

    Returns
    -------
    grad_X : array of shape (n_samples, n_features) or None
    """
    derivative = ACTIVATIONS[activation].derivative
    xp = array_namespace(coefs[0])
    deltas, work = workspace or ([None] * (len(coefs) - 1),) * 2
    for i in range(len(coefs) - 1, -1, -1):
        if coef_grads is not None:
            A = layers[i]
            if xp is not None:
                coef_grads[i] = A.T @ delta
                intercept_grads[i] = xp.sum(delta, axis=0)
            else:
                if sp.issparse(A):
                    coef_grads[i][...] = A.T @ delta
                else:
                    np.matmul(A.T, delta, out=coef_grads[i])
                np.sum(delta, axis=0, out=intercept_grads[i])
        if i == 0:
            return delta @ coefs[0].T if input_grad else None
        if xp is not None:
            delta = derivative(layers[i], delta @ coefs[i].T, xp=xp)
        else:
            delta = np.matmul(delta, coefs[i].T, out=deltas[i - 1])
            derivative(layers[i], delta, work[i - 1])
