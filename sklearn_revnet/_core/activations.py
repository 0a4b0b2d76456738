"""Hidden-layer activation functions, for numpy and any array API namespace.

Each activation is a small record with three functions:

``forward(Z, xp=None)``
    The activation of the pre-activations ``Z``. With ``xp=None`` (numpy)
    ``Z`` is overwritten and returned; in another namespace ``xp`` (which
    has no ``out=``) a new array is returned.
``derivative(A, delta, work=None, xp=None)``
    ``delta`` times the derivative of the activation, written as a function
    of the layer *output* ``A = f(Z)`` so that the backward pass never needs
    to keep the pre-activations. With numpy, ``delta`` is overwritten and
    returned, and ``work`` is a preallocated buffer of ``A``'s shape (of
    dtype ``work_dtype``, or ``A``'s dtype when that is None) or None to
    allocate one; in another namespace a new array is returned.
``inverse(A)``
    ``f^{-1}(A)`` for a bijective activation (numpy), or ``None`` when the
    activation is not invertible (``relu``).

The numpy branch of each function works in place, for the training loop's
speed; the array API branch beside it computes the same values.
"""

from typing import NamedTuple

import numpy as np
from scipy.special import expit

LEAKY_RELU_SLOPE = 0.01


class Activation(NamedTuple):
    forward: object
    derivative: object
    inverse: object  # callable or None
    work_dtype: object = None  # dtype of the derivative's workspace; None: A's dtype


def sigmoid(Z, xp=None):
    """``1 / (1 + exp(-Z))``; numpy's in place."""
    if xp is None:
        return expit(Z, out=Z)
    return 1 / (1 + xp.exp(-Z))


def _identity(Z, xp=None):
    return Z


def _identity_derivative(A, delta, work=None, xp=None):
    return delta


def _logistic_derivative(A, delta, work=None, xp=None):
    # delta * A * (1 - A)
    if xp is not None:
        return delta * (A * (1 - A))
    work = np.subtract(1, A, out=work)
    work *= A
    return np.multiply(delta, work, out=delta)


def _logit(A):
    return np.log(A) - np.log1p(-A)


def _tanh(Z, xp=None):
    if xp is not None:
        return xp.tanh(Z)
    return np.tanh(Z, out=Z)


def _tanh_derivative(A, delta, work=None, xp=None):
    # delta * (1 - A^2)
    if xp is not None:
        return delta * (1 - A * A)
    work = np.multiply(A, A, out=work)
    np.subtract(1, work, out=work)
    return np.multiply(delta, work, out=delta)


def _relu(Z, xp=None):
    if xp is not None:
        return xp.where(Z > 0, Z, xp.zeros_like(Z))
    return np.maximum(Z, 0, out=Z)


def _relu_derivative(A, delta, work=None, xp=None):
    # multiply by the 0/1 step instead of a masked assignment
    if xp is not None:
        return delta * xp.astype(A > 0, delta.dtype)
    work = np.greater(A, 0, out=work)
    return np.multiply(delta, work, out=delta)


def _leaky_relu(Z, xp=None):
    if xp is not None:
        return xp.where(Z < 0, Z * LEAKY_RELU_SLOPE, Z)
    # max(z, slope * z) in place: only a mask of the negative entries is allocated
    return np.multiply(Z, LEAKY_RELU_SLOPE, out=Z, where=np.signbit(Z))


def _leaky_relu_derivative(A, delta, work=None, xp=None):
    if xp is not None:
        return xp.where(A <= 0, delta * LEAKY_RELU_SLOPE, delta)
    # the mask of the negative side, so that no negated copy is allocated
    work = np.less_equal(A, 0, out=work)
    return np.multiply(delta, LEAKY_RELU_SLOPE, out=delta, where=work)


def _leaky_relu_inverse(A):
    return np.where(A > 0, A, A / LEAKY_RELU_SLOPE)


def _softplus(Z, xp=None):
    # log(1 + exp(z)) without overflow
    if xp is not None:
        return xp.logaddexp(xp.zeros_like(Z), Z)
    return np.logaddexp(0, Z, out=Z)


def _softplus_derivative(A, delta, work=None, xp=None):
    # f'(z) = sigmoid(z) = 1 - exp(-f(z)) = -expm1(-A)
    if xp is not None:
        return delta * -xp.expm1(-A)
    work = np.negative(A, out=work)
    np.expm1(work, out=work)
    np.negative(work, out=work)
    return np.multiply(delta, work, out=delta)


def _softplus_inverse(A):
    # z = a + log(1 - exp(-a)), stable for small and large a
    return A + np.log(-np.expm1(-A))


ACTIVATIONS = {
    "identity": Activation(_identity, _identity_derivative, _identity),
    "logistic": Activation(sigmoid, _logistic_derivative, _logit),
    "tanh": Activation(_tanh, _tanh_derivative, np.arctanh),
    "relu": Activation(_relu, _relu_derivative, None, work_dtype=bool),
    "leaky_relu": Activation(
        _leaky_relu, _leaky_relu_derivative, _leaky_relu_inverse, work_dtype=bool
    ),
    "softplus": Activation(_softplus, _softplus_derivative, _softplus_inverse),
}
