"""The training objective: blocks of rows, worker threads and BLAS threads."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import check_grad
from sklearn.datasets import load_digits
from threadpoolctl import threadpool_info

from sklearn_revnet import ReversibleMLPClassifier
from sklearn_revnet._training import TrainingObjective, single_threaded_blas

UNITS = [8, 16, 8, 3]


def _problem(n_samples=700, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_samples, UNITS[0]))
    Y = np.eye(UNITS[-1])[rng.randint(0, UNITS[-1], size=n_samples)]
    return X, Y, rng.uniform(0, 2, size=n_samples)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("n_workers, block_rows", [(1, 100), (2, 64), (3, 1000)])
def test_blocks_and_workers_do_not_change_the_objective(weighted, sparse, n_workers, block_rows):
    X, Y, sample_weight = _problem()
    sample_weight = sample_weight if weighted else None
    args = (Y, sample_weight, UNITS, "tanh", "softmax", 0.1)
    whole = TrainingObjective(X, *args, block_rows=len(X))
    Xs = sp.csr_matrix(X) if sparse else X
    split = TrainingObjective(Xs, *args, n_workers=n_workers, block_rows=block_rows)
    theta = np.random.RandomState(1).normal(scale=0.3, size=whole.layout.size)
    loss, grad = whole(theta)
    grad = grad.copy()
    with split:
        split_loss, split_grad = split(theta)
    np.testing.assert_allclose(split_loss, loss, rtol=1e-12)
    np.testing.assert_allclose(split_grad, grad, rtol=1e-10, atol=1e-14)


def test_gradient_of_blocked_objective_matches_finite_differences():
    X, Y, sample_weight = _problem(n_samples=300)
    objective = TrainingObjective(
        X, Y, sample_weight, UNITS, "relu", "softmax", 0.3, n_workers=2, block_rows=64
    )
    theta = np.random.RandomState(2).normal(scale=0.5, size=objective.layout.size)
    with objective:
        err = check_grad(
            lambda t: objective(t)[0], lambda t: objective(t)[1].copy(), theta, epsilon=1e-6
        )
        assert err < 1e-5 * max(1.0, np.linalg.norm(objective(theta)[1]))


def test_evaluation_is_deterministic_across_calls():
    X, Y, _ = _problem()
    objective = TrainingObjective(X, Y, None, UNITS, "relu", "softmax", 0.0, n_workers=2)
    theta = np.random.RandomState(3).normal(size=objective.layout.size)
    with objective:
        first = objective(theta)[1].copy()
        for _ in range(3):
            np.testing.assert_array_equal(objective(theta)[1], first)


def _blas_threads():
    return [module["num_threads"] for module in threadpool_info() if module["user_api"] == "blas"]


def test_fit_and_generate_restore_blas_threads():
    X, y = load_digits(return_X_y=True)
    before = _blas_threads()
    clf = ReversibleMLPClassifier((16,), max_iter=5, random_state=0)
    with pytest.warns(Warning):
        clf.fit(X[:600] / 16, y[:600])
    clf.generate(3, 5, random_state=0)
    assert _blas_threads() == before


def test_nested_single_threaded_blas_restores_once():
    before = _blas_threads()
    with single_threaded_blas():
        with single_threaded_blas():
            assert set(_blas_threads()) == {1}
        assert set(_blas_threads()) == {1}
    assert _blas_threads() == before
