"""Hidden-layer activations: values, derivatives and inverses at known points."""

import tracemalloc

import numpy as np
import pytest
from scipy.special import expit

from sklearn_revnet._core.activations import ACTIVATIONS, LEAKY_RELU_SLOPE

Z = np.array([-30.0, -2.0, -0.5, -1e-3, 0.0, 1e-3, 0.5, 2.0, 30.0])

EXPECTED = {
    "identity": (Z, np.ones_like(Z)),
    "logistic": (expit(Z), expit(Z) * expit(-Z)),
    "tanh": (np.tanh(Z), 1 / np.cosh(Z) ** 2),
    "relu": (np.maximum(Z, 0), (Z > 0).astype(float)),
    "leaky_relu": (np.where(Z > 0, Z, LEAKY_RELU_SLOPE * Z), np.where(Z > 0, 1, LEAKY_RELU_SLOPE)),
    "softplus": (np.log1p(np.exp(Z)), expit(Z)),
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_forward_and_derivative_are_the_closed_forms(name):
    act = ACTIVATIONS[name]
    value, slope = EXPECTED[name]
    A = act.forward(Z.copy())
    np.testing.assert_allclose(A, value, rtol=1e-12, atol=1e-300)
    # the derivative scales an arbitrary delta, in place, by f'(z)
    delta = np.linspace(-2, 3, Z.size)
    out = act.derivative(A, delta, None)
    assert out is delta
    # from the output A = f(z), the slope is exact to rounding: 1e-16 absolute
    # where it vanishes (logistic, tanh at +-30), 1e-12 relative elsewhere
    np.testing.assert_allclose(out, np.linspace(-2, 3, Z.size) * slope, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", [n for n, a in ACTIVATIONS.items() if a.inverse is not None])
def test_inverse_recovers_the_pre_activation_on_both_sides(name):
    act = ACTIVATIONS[name]
    z = np.r_[-np.logspace(-6, 0.7, 20), 0.0, np.logspace(-6, 0.7, 20)]
    # relative accuracy near 0 too, where the inverses are stable; up to |z| = 5
    # tanh's inverse loses at most 1e-12 (1 - tanh(5) is 9e-5)
    np.testing.assert_allclose(act.inverse(act.forward(z.copy())), z, rtol=1e-8, atol=1e-15)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_derivative_with_a_workspace_allocates_nothing(name):
    # The training loop hands each layer a preallocated workspace; the
    # derivative must write there instead of allocating a layer-sized array.
    act = ACTIVATIONS[name]
    A = act.forward(np.random.RandomState(0).normal(size=(1000, 500)))
    delta = np.ones_like(A)
    work = np.empty(A.shape, dtype=act.work_dtype or A.dtype)
    act.derivative(A, delta, work)  # warm up
    tracemalloc.start()
    try:
        act.derivative(A, delta, work)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # A layer is 4 MB of float64 or 500 kB of bools; measured peak: under 1 kB,
    # or 66 kB (numpy's casting buffer) where a bool step multiplies delta.
    assert peak < 200_000
