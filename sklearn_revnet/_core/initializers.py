"""Weight initializers.

Every initializer has the signature ``init(fan_in, fan_out, random_state,
activation)`` and returns ``(coef, intercept)`` with shapes
``(fan_in, fan_out)`` and ``(fan_out,)``. ``random_state`` is a
:class:`numpy.random.RandomState`; layers are drawn in order, so a fixed seed
gives the same network.
"""

import numpy as np


def glorot_uniform(fan_in, fan_out, random_state, activation):
    """Draw weights and biases exactly as scikit-learn's MLP does.

    ``U(-r, r)`` with ``r = sqrt(c / (fan_in + fan_out))``, ``c = 2`` for the
    logistic activation and ``6`` otherwise; the coefficients are drawn first,
    then the intercepts, from the same stream.
    """
    factor = 2.0 if activation == "logistic" else 6.0
    bound = np.sqrt(factor / (fan_in + fan_out))
    coef = random_state.uniform(-bound, bound, (fan_in, fan_out))
    intercept = random_state.uniform(-bound, bound, fan_out)
    return coef, intercept


def _zero_bias(draw_coef):
    def init(fan_in, fan_out, random_state, activation):
        return draw_coef(fan_in, fan_out, random_state), np.zeros(fan_out)

    init.__doc__ = draw_coef.__doc__
    return init


@_zero_bias
def glorot_normal(fan_in, fan_out, random_state):
    """``N(0, 2 / (fan_in + fan_out))``, zero biases."""
    return random_state.normal(0.0, np.sqrt(2.0 / (fan_in + fan_out)), (fan_in, fan_out))


@_zero_bias
def he_uniform(fan_in, fan_out, random_state):
    """``U(-r, r)`` with ``r = sqrt(6 / fan_in)``, zero biases."""
    bound = np.sqrt(6.0 / fan_in)
    return random_state.uniform(-bound, bound, (fan_in, fan_out))


@_zero_bias
def he_normal(fan_in, fan_out, random_state):
    """``N(0, 2 / fan_in)``, zero biases."""
    return random_state.normal(0.0, np.sqrt(2.0 / fan_in), (fan_in, fan_out))


@_zero_bias
def lecun_normal(fan_in, fan_out, random_state):
    """``N(0, 1 / fan_in)``, zero biases."""
    return random_state.normal(0.0, np.sqrt(1.0 / fan_in), (fan_in, fan_out))


@_zero_bias
def normal(fan_in, fan_out, random_state):
    """``N(0, 0.05^2)``, zero biases."""
    return random_state.normal(0.0, 0.05, (fan_in, fan_out))


INITIALIZERS = {
    "glorot_uniform": glorot_uniform,
    "glorot_normal": glorot_normal,
    "he_uniform": he_uniform,
    "he_normal": he_normal,
    "lecun_normal": lecun_normal,
    "normal": normal,
}


def initialize(init, layer_units, random_state, activation, dtype):
    """Draw ``(coefs, intercepts)`` for every layer of the network.

    ``init`` is a name from :data:`INITIALIZERS` or a callable
    ``init(fan_in, fan_out, random_state) -> (fan_in, fan_out) array``; a
    callable gets zero biases.
    """
    if callable(init):
        draw = _zero_bias(init)
    else:
        draw = INITIALIZERS[init]
    coefs, intercepts = [], []
    for fan_in, fan_out in zip(layer_units[:-1], layer_units[1:]):
        coef, intercept = draw(fan_in, fan_out, random_state, activation)
        coef = np.asarray(coef)
        if coef.shape != (fan_in, fan_out):
            raise ValueError(
                f"init must return an array of shape (fan_in, fan_out) = "
                f"({fan_in}, {fan_out}); got shape {coef.shape}."
            )
        if not np.all(np.isfinite(coef)):
            raise ValueError("init returned non-finite weights (NaN or inf).")
        coefs.append(coef.astype(dtype, copy=False))
        intercepts.append(np.asarray(intercept).astype(dtype, copy=False))
    return coefs, intercepts
