"""Gradient checks of the one forward/backward pass against finite differences."""

import numpy as np
import pytest
from scipy.optimize import check_grad

from sklearn_revnet._activations import ACTIVATIONS
from sklearn_revnet._network import backward, forward, log_loss_head
from sklearn_revnet._training import ParameterLayout, TrainingObjective

N_FEATURES, HIDDEN = 5, (4, 3)


def _problem(output, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(12, N_FEATURES))
    if output == "binary":
        Y = rng.randint(0, 2, size=(12, 1)).astype(float)
    elif output == "multiclass":
        Y = np.eye(4)[rng.randint(0, 4, size=12)]
    else:  # multilabel
        Y = rng.randint(0, 2, size=(12, 3)).astype(float)
    out_activation = "softmax" if output == "multiclass" else "logistic"
    return X, Y, out_activation


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("output", ["binary", "multiclass", "multilabel"])
@pytest.mark.parametrize("weighted", [False, True])
def test_weight_gradient_matches_finite_differences(activation, output, weighted):
    X, Y, out_activation = _problem(output)
    rng = np.random.RandomState(1)
    sample_weight = rng.uniform(0, 3, size=X.shape[0]) if weighted else None
    units = [N_FEATURES, *HIDDEN, Y.shape[1]]
    objective = TrainingObjective(
        X, Y, sample_weight, units, activation, out_activation, alpha=0.3
    )
    theta = rng.normal(scale=0.5, size=objective.layout.size)
    if activation == "relu":
        # keep pre-activations away from the kink, where the derivative jumps
        theta[objective.layout.intercept_slices[0]] += 0.1

    def loss(t):
        return objective(t)[0]

    def grad(t):
        return objective(t)[1].copy()

    err = check_grad(loss, grad, theta, epsilon=1e-6)
    assert err < 1e-5 * max(1.0, np.linalg.norm(grad(theta)))


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("output", ["binary", "multiclass", "multilabel"])
def test_input_gradient_matches_finite_differences(activation, output):
    X, Y, out_activation = _problem(output)
    units = [N_FEATURES, *HIDDEN, Y.shape[1]]
    layout = ParameterLayout(units)
    rng = np.random.RandomState(2)
    coefs, intercepts = layout.views(rng.normal(scale=0.7, size=layout.size))
    x0, y0 = X[:1], Y[:1]

    def loss_and_grad(x):
        layers = forward(x.reshape(1, -1), coefs, intercepts, activation)
        row_loss, delta = log_loss_head(layers[-1], y0, out_activation)
        grad = backward(layers, coefs, delta, activation, input_grad=True)
        return row_loss.sum(), grad.ravel()

    err = check_grad(
        lambda x: loss_and_grad(x)[0], lambda x: loss_and_grad(x)[1], x0.ravel(), epsilon=1e-6
    )
    assert err < 1e-6 * max(1.0, np.linalg.norm(loss_and_grad(x0.ravel())[1]))


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_derivative_from_output(name):
    act = ACTIVATIONS[name]
    z = np.linspace(-3, 3, 41) + 0.013  # avoid relu's kink at 0
    h = 1e-6
    numeric = (act.forward(z + h) - act.forward(z - h)) / (2 * h)
    delta = act.derivative(act.forward(z.copy()), np.ones_like(z))
    np.testing.assert_allclose(delta, numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", [n for n, a in ACTIVATIONS.items() if a.inverse is not None])
def test_activation_inverse_round_trip(name):
    act = ACTIVATIONS[name]
    z = np.linspace(-4, 4, 33)
    np.testing.assert_allclose(act.inverse(act.forward(z.copy())), z, rtol=1e-9, atol=1e-9)


def test_log_loss_head_is_stable_for_huge_logits():
    Z = np.array([[1000.0, -1000.0, 0.0]])
    row_loss, delta = log_loss_head(Z.copy(), np.array([[0.0, 1.0, 0.0]]), "softmax")
    assert np.isfinite(row_loss).all() and np.isfinite(delta).all()
    np.testing.assert_allclose(row_loss, [2000.0])
    row_loss, delta = log_loss_head(Z.copy(), np.array([[0.0, 1.0, 1.0]]), "logistic")
    np.testing.assert_allclose(row_loss, [1000.0 + 1000.0 + np.log(2)])
