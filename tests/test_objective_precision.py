"""The training objective's arithmetic: float32 computed in float32, weights
taken as scikit-learn takes them, and buffers reused across evaluations."""

import tracemalloc
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning

from sklearn_revnet import ReversibleMLPClassifier
from sklearn_revnet._forward.objective import TrainingObjective

X_IRIS, Y_IRIS = load_iris(return_X_y=True)
X_IRIS = (X_IRIS - X_IRIS.mean(axis=0)) / X_IRIS.std(axis=0)
UNITS = [4, 6, 3]


def _clf(**params):
    return ReversibleMLPClassifier(
        **{"hidden_layer_sizes": (5,), "random_state": 0, "max_iter": 30, "prior": "diagonal"}
        | params
    )


def _fit(clf, X=X_IRIS, y=Y_IRIS, **fit_params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return clf.fit(X, y, **fit_params)


def _objective(X, n_workers=1, block_rows=2048, sample_weight=None, **kwargs):
    Y = np.eye(3, dtype=X.dtype)[np.arange(len(X)) % 3]
    return TrainingObjective(
        X, Y, sample_weight, UNITS, "tanh", "softmax", 1e-2,
        n_workers=n_workers, block_rows=block_rows, **kwargs,
    )  # fmt: skip


def _theta(seed=0):
    return np.random.RandomState(seed).normal(scale=0.5, size=_objective(X_IRIS).layout.size)


def test_float32_data_takes_its_sample_weights_in_float32():
    # as scikit-learn's MLPClassifier does: float64 weights that float32 cannot
    # hold give the fit of their float32 rounding, bit for bit
    X32 = X_IRIS.astype(np.float32)
    weights = np.random.RandomState(0).uniform(0.1, 1.0, size=len(Y_IRIS))
    given = _fit(_clf(), X32, sample_weight=weights)
    rounded = _fit(_clf(), X32, sample_weight=weights.astype(np.float32))
    for a, b in zip(given.coefs_ + given.intercepts_, rounded.coefs_ + rounded.intercepts_):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_unit_weights_give_the_unweighted_objective_bit_for_bit(dtype):
    X = X_IRIS.astype(dtype)
    theta = _theta()
    loss, grad = _objective(X)(theta)
    loss_w, grad_w = _objective(X, sample_weight=np.ones(len(X), dtype=dtype))(theta)
    assert grad.dtype == dtype
    assert loss == loss_w
    np.testing.assert_array_equal(grad, grad_w)


def test_float32_objective_rounds_the_weights_to_float32_first():
    # the network is evaluated in float32: the parameters L-BFGS proposes (in
    # float64) are rounded before use
    objective = _objective(X_IRIS.astype(np.float32))
    theta = _theta()
    loss, grad = objective(theta)
    grad = grad.copy()
    loss_rounded, grad_rounded = objective(theta.astype(np.float32).astype(np.float64))
    assert loss == loss_rounded
    np.testing.assert_array_equal(grad, grad_rounded)


def test_an_evaluation_allocates_no_layer():
    X = np.tile(X_IRIS, (20, 1))  # 3000 rows: a hidden layer is 144 kB
    objective = _objective(X)
    theta = _theta()
    objective(theta)  # warm up
    tracemalloc.start()
    try:
        objective(theta)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # measured: 74 kB, the softmax head's per-row temporaries (3000 x 3); a
    # layer allocated per evaluation would add 144 kB or more
    assert peak < 120_000


def test_the_l2_term_of_a_diverging_step_is_silent_and_infinite():
    # weights of 1e200: the L2 term overflows too, as silently as the layers
    objective = _objective(X_IRIS)
    theta = np.full(objective.layout.size, 1e200)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss, _ = objective(theta)
    assert not np.isfinite(loss)
