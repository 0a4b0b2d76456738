"""Gradient checks of the one forward/backward pass against finite differences."""

import tracemalloc
import warnings

import numpy as np
import pytest
from scipy.optimize import check_grad

from sklearn_revnet._core.activations import ACTIVATIONS
from sklearn_revnet._core.network import (
    Workspace,
    backward,
    forward,
    log_loss_head,
    predict_proba_from_logits,
)
from sklearn_revnet._forward.objective import ParameterLayout, TrainingObjective

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


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("out_activation", ["softmax", "logistic"])
def test_a_pass_in_a_workspace_allocates_no_layer(activation, out_activation):
    # Training and reconstruction evaluate the network thousands of times in
    # one Workspace: forward, head and backward write into its buffers.
    units = [20, 64, 32, 5]
    rng = np.random.RandomState(0)
    X = rng.normal(size=(2000, 20))
    Y = np.eye(5)[rng.randint(0, 5, size=2000)]
    layout = ParameterLayout(units)
    coefs, intercepts = layout.views(rng.normal(scale=0.3, size=layout.size))
    grad_coefs, grad_intercepts = layout.views(np.empty(layout.size))
    workspace = Workspace(2000, units, activation, np.float64)

    def one_pass():
        layers, work = workspace.rows(2000)
        layers = forward(X, coefs, intercepts, activation, out=layers)
        _, delta = log_loss_head(layers[-1], Y, out_activation)
        backward(layers, coefs, delta, activation, grad_coefs, grad_intercepts, workspace=work)

    one_pass()
    tracemalloc.start()
    try:
        one_pass()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # Hidden layers are 1 MB and 512 kB; measured peak 99 kB (the head's
    # per-row and 2000 x 5 temporaries).
    assert peak < 300_000


def test_probabilities_from_huge_logits_stay_inside_zero_one_in_place():
    info = np.finfo(np.float64)
    Z = np.array([[1e308, -1e308, 0.0], [1.0, 2.0, 3.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the overflow to -inf is expected, and silent
        P = predict_proba_from_logits(Z, "softmax")
    assert P is Z
    np.testing.assert_array_equal(P[0], [1 - info.epsneg, info.tiny, info.tiny])
    np.testing.assert_allclose(P[1], np.exp([1, 2, 3]) / np.exp([1, 2, 3]).sum(), rtol=1e-15)
    Z = np.array([[800.0, -800.0]])
    P = predict_proba_from_logits(Z, "logistic")
    assert P is Z
    np.testing.assert_array_equal(P, [[1 - info.epsneg, info.tiny]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_a_workspace_holds_its_rows_in_the_requested_dtype(dtype, activation):
    # float32 training keeps every buffer in float32 (half the memory and
    # bandwidth); relu's derivative works on a boolean mask
    workspace = Workspace(50, [6, 5, 4, 3], activation, dtype)
    layers, (deltas, work) = workspace.rows(20)
    assert [b.shape for b in layers] == [(20, 5), (20, 4), (20, 3)]
    assert [b.shape for b in deltas] == [b.shape for b in work] == [(20, 5), (20, 4)]
    assert {b.dtype for b in layers + deltas} == {np.dtype(dtype)}
    assert {b.dtype for b in work} == {np.dtype(bool if activation == "relu" else dtype)}


@pytest.mark.parametrize(
    "x_dtype, coef_dtype, expected",
    [
        (np.float32, np.float32, np.float32),
        (np.float32, np.float64, np.float64),
        (np.float64, np.float32, np.float64),
    ],
)
@pytest.mark.parametrize("hidden", [(), (4,)])
def test_forward_computes_in_the_wider_dtype_of_input_and_weights(
    x_dtype, coef_dtype, expected, hidden
):
    # without preallocated buffers (reconstruction), also for a network
    # without hidden layers
    rng = np.random.RandomState(0)
    layout = ParameterLayout([3, *hidden, 2])
    coefs, intercepts = layout.views(rng.normal(size=layout.size).astype(coef_dtype))
    X = rng.normal(size=(5, 3)).astype(x_dtype)
    layers = forward(X, coefs, intercepts, "tanh")
    assert [layer.dtype for layer in layers[1:]] == [np.dtype(expected)] * (len(hidden) + 1)
    reference = X.astype(np.float64)
    for i, (W, b) in enumerate(zip(coefs, intercepts)):
        reference = reference @ W.astype(np.float64) + b
        if i < len(hidden):
            reference = np.tanh(reference)
    np.testing.assert_allclose(layers[-1], reference, rtol=1e-5, atol=1e-6)
