"""The training objective: blocks of rows, worker threads and BLAS threads."""

import sys
import threading
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import check_grad
from sklearn.base import clone
from sklearn.datasets import load_digits, load_iris
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_info, threadpool_limits

from sklearn_revnet import ReversibleMLPClassifier
from sklearn_revnet._core import threads
from sklearn_revnet._core.threads import blas_threads, single_threaded_blas
from sklearn_revnet._forward.lbfgs import _warn_if_not_converged, minimize_lbfgs
from sklearn_revnet._forward.objective import ParameterLayout, TrainingObjective
from sklearn_revnet._forward.start import hidden_units

UNITS = [8, 16, 8, 3]


def _problem(n_samples=700, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_samples, UNITS[0]))
    Y = np.eye(UNITS[-1])[rng.randint(0, UNITS[-1], size=n_samples)]
    return X, Y, rng.uniform(0, 2, size=n_samples)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("sparse", [False, True])
# (2, 175): two blocks in each worker's shard
@pytest.mark.parametrize("n_workers, block_rows", [(1, 100), (2, 64), (2, 175), (3, 1000)])
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


def test_minimize_lbfgs_backs_off_from_points_where_the_gradient_overflows():
    # (x - 3)^2 per coordinate; beyond x = 4 the gradient is infinite although
    # the loss is finite: such points count as infinitely bad. The first trial
    # step from 0 lands at 6.
    def fun(x):
        grad = 2 * (x - 3)
        return float(np.sum((x - 3) ** 2)), np.where(x > 4, np.inf, grad)

    result = minimize_lbfgs(fun, np.zeros(2), max_iter=100, max_fun=1000, tol=1e-10)
    np.testing.assert_allclose(result.x, [3.0, 3.0], atol=1e-6)
    # a float32 gradient is accepted and cast
    result = minimize_lbfgs(
        lambda x: (float(np.sum((x - 3) ** 2)), (2 * (x - 3)).astype(np.float32)),
        np.zeros(2),
        max_iter=100,
        max_fun=1000,
        tol=1e-6,
    )
    np.testing.assert_allclose(result.x, [3.0, 3.0], atol=1e-3)


def test_minimize_lbfgs_returns_the_start_when_no_point_is_finite():
    def fun(x):
        return np.nan, np.zeros_like(x)

    result = minimize_lbfgs(fun, [1, 2], max_iter=10, max_fun=100, tol=1e-6)
    assert result.fun == np.inf
    assert result.x.dtype == np.float64
    np.testing.assert_array_equal(result.x, [1.0, 2.0])


def test_blas_threads_counts_blas_threads_only():
    with (
        threadpool_limits(limits=2, user_api="blas"),
        threadpool_limits(limits=1, user_api="openmp"),
    ):
        assert blas_threads() == 2
    with (
        threadpool_limits(limits=1, user_api="blas"),
        threadpool_limits(limits=2, user_api="openmp"),
    ):
        assert blas_threads() == 1


def test_parameter_layout_packs_in_the_requested_dtype():
    layout = ParameterLayout([3, 4, 2])
    rng = np.random.RandomState(0)
    coefs = [rng.normal(size=(3, 4)), rng.normal(size=(4, 2))]
    intercepts = [rng.normal(size=4), rng.normal(size=2)]
    flat = layout.pack(coefs, intercepts, dtype=np.float32)
    assert flat.dtype == np.float32 and flat.size == 3 * 4 + 4 * 2 + 4 + 2
    # scikit-learn's layout: every coefficient matrix row-major, then intercepts
    expected = np.concatenate([c.ravel() for c in coefs] + intercepts).astype(np.float32)
    np.testing.assert_array_equal(flat, expected)
    back_coefs, back_intercepts = layout.views(layout.pack(coefs, intercepts))
    for a, b in zip(back_coefs + back_intercepts, coefs + intercepts):
        np.testing.assert_array_equal(a, b)


def _iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _fit_quietly(clf, X, y, **fit_params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return clf.fit(X, y, **fit_params)


def _record_threads(monkeypatch):
    """The threads that evaluate a shard of rows, from now on."""
    threads = set()
    run = TrainingObjective._run

    def recording(self, shard, coefs, intercepts):
        threads.add(threading.get_ident())
        return run(self, shard, coefs, intercepts)

    monkeypatch.setattr(TrainingObjective, "_run", recording)
    return threads


@pytest.mark.parametrize("n_workers", [None, 1, 2, 3])
def test_workers_are_threads_only_inside_the_context(monkeypatch, n_workers):
    # 800 rows: up to 3 workers of 256 rows. Used as a context manager the
    # objective shares its shards out between n_workers threads (the
    # calling one and a pool); outside it, before or after, the calling
    # thread runs them all, to the same result. One worker by default.
    X, Y, _ = _problem(n_samples=800)
    args = (X, Y, None, UNITS, "tanh", "softmax", 0.1)
    objective = TrainingObjective(
        *args, block_rows=100, **({} if n_workers is None else {"n_workers": n_workers})
    )
    theta = np.random.RandomState(1).normal(scale=0.3, size=objective.layout.size)
    threads = _record_threads(monkeypatch)
    loss, grad = objective(theta)
    grad = grad.copy()
    assert threads == {threading.get_ident()}
    with objective:
        for _ in range(5):
            assert objective(theta)[0] == loss
    expected = 1 if n_workers is None else n_workers
    assert threading.get_ident() in threads and len(threads) <= expected
    if expected > 1:
        assert len(threads) > 1  # measured: all n_workers of them
    threads.clear()
    after, after_grad = objective(theta)
    assert threads == {threading.get_ident()}
    assert after == loss
    np.testing.assert_array_equal(after_grad, grad)


def test_fit_has_as_many_workers_as_blas_has_threads(monkeypatch):
    # 600 rows allow two workers; BLAS, allowed two threads, is held to one
    # during the fit and the fit runs on two threads instead
    X, Y, _ = _problem(n_samples=600)
    threads = _record_threads(monkeypatch)
    clf = ReversibleMLPClassifier((8,), max_iter=2, prior="diagonal", random_state=0)
    with threadpool_limits(limits=2, user_api="blas"):
        _fit_quietly(clf, X, Y.argmax(axis=1))
    assert len(threads) == 2


def test_blas_threads_is_one_when_blas_cannot_be_told(monkeypatch):
    class NoBlas:
        def select(self, user_api):
            return self

        def info(self):
            return []

    monkeypatch.setattr(threads, "_get_threadpool_controller", lambda: NoBlas())
    assert blas_threads() == 1


def test_overflowing_weights_give_a_non_finite_loss_silently():
    # A diverging trial step of L-BFGS: the layers overflow (inf - inf in the
    # head), the loss is not finite and minimize_lbfgs takes it as infinite;
    # no warning on the way.
    X, Y, _ = _problem(n_samples=300)
    objective = TrainingObjective(X, Y, None, UNITS, "identity", "softmax", 0.0)
    theta = np.full(objective.layout.size, 1e300)
    theta[::2] *= -1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss, _ = objective(theta)
    assert not np.isfinite(loss)


def test_minimize_lbfgs_never_ends_where_the_gradient_is_nan():
    # (x - 3)^2 whose gradient is NaN within 0.5 of the minimum: such points
    # are infinitely bad, so the search stops outside that region (measured
    # at 0.71 on both coordinates), at a finite loss and gradient.
    def fun(x):
        return float(np.sum((x - 3) ** 2)), np.where(np.abs(x - 3) < 0.5, np.nan, 2 * (x - 3))

    result = minimize_lbfgs(fun, np.zeros(2), max_iter=100, max_fun=1000, tol=1e-10)
    loss, grad = fun(result.x)
    assert np.isfinite(loss) and np.all(np.isfinite(grad))
    assert result.fun == loss


def test_warning_when_the_line_search_fails():
    # a gradient of the wrong sign: no step decreases the loss
    result = minimize_lbfgs(
        lambda x: (float(np.sum((x - 3) ** 2)), -2 * (x - 3)),
        np.zeros(2),
        max_iter=100,
        max_fun=1000,
        tol=1e-8,
    )
    assert result.status == 2 and result.nit == 0
    message = (
        "L-BFGS stopped before convergence after 0 iterations: the line search failed "
        f"({result.message}); try scaling the data."
    )
    with pytest.warns(ConvergenceWarning) as record:
        _warn_if_not_converged(result, 100, 1000)
    assert [str(w.message) for w in record] == [message]


@pytest.mark.parametrize(
    "params, reason",
    [
        ({"max_iter": 2}, "it reached max_iter=2 iterations; increase max_iter"),
        ({"max_fun": 3}, "it reached max_fun=3 loss evaluations; increase max_fun"),
    ],
)
def test_convergence_warning_points_at_the_caller_of_fit(params, reason):
    X, y = _iris()
    clf = ReversibleMLPClassifier((5,), random_state=0, **params)
    with pytest.warns(ConvergenceWarning) as record:
        clf.fit(X, y)
    [warning] = [w for w in record if issubclass(w.category, ConvergenceWarning)]
    assert str(warning.message) == (
        f"L-BFGS stopped before convergence after {clf.n_iter_} iterations: {reason}."
    )
    if "mutmut" not in sys.modules:  # mutation testing adds a frame
        assert warning.filename == __file__


def test_column_vector_y_is_raveled_with_a_warning():
    X, y = _iris()
    clf = ReversibleMLPClassifier((5,), random_state=0, max_iter=5)
    flat = _fit_quietly(clone(clf), X, y)
    with pytest.warns(DataConversionWarning, match="A column-vector y was passed"):
        column = _fit_quietly(clone(clf), X, y[:, None])
    np.testing.assert_array_equal(column.classes_, [0, 1, 2])
    np.testing.assert_array_equal(column.coefs_[0], flat.coefs_[0])


def test_warm_start_with_other_classes_names_them():
    X, y = _iris()
    clf = _fit_quietly(ReversibleMLPClassifier((5,), max_iter=3, warm_start=True), X, y)
    with pytest.raises(ValueError) as error:
        clf.fit(X[y > 0], y[y > 0])
    assert str(error.value) == (
        "warm_start needs y to have the classes of the previous fit [0, 1, 2]; got [1, 2]."
    )


def test_sample_weight_must_be_non_negative_with_a_positive_entry():
    X, y = _iris()
    clf = ReversibleMLPClassifier((3,), max_iter=3, random_state=0)
    with pytest.raises(ValueError, match="Negative values in data passed to `sample_weight`"):
        clf.fit(X, y, sample_weight=np.r_[-1.0, np.ones(len(y) - 1)])
    # scikit-learn 1.9 checks this itself, older versions leave it to us
    all_zero = (
        "^(Sample weights must contain at least one non-zero number|"
        "sample_weight must have at least one positive entry)[.]$"
    )
    with pytest.raises(ValueError, match=all_zero):
        clf.fit(X, y, sample_weight=np.zeros(len(y)))
    # any positive total will do, however small: without alpha (which is
    # divided by the total), only the proportions count
    clf.set_params(alpha=0.0)
    small = _fit_quietly(clone(clf), X, y, sample_weight=np.full(len(y), 1e-3))
    unit = _fit_quietly(clone(clf), X, y)
    np.testing.assert_allclose(small.coefs_[0], unit.coefs_[0], rtol=1e-6)


def test_hidden_units_takes_an_int_or_a_sequence_of_positive_ints():
    assert hidden_units(5) == [5]
    assert hidden_units((1,)) == [1]
    assert hidden_units(np.array([3, 4])) == [3, 4]
    for bad in (0, (3, True), (3, 2.0), (3, -1), ("3",)):
        with pytest.raises(ValueError) as error:
            hidden_units(bad)
        assert str(error.value) == (
            f"hidden_layer_sizes must hold positive integers; got {bad!r}."
        )


def test_non_finite_weights_after_fit_raise():
    # warm-started from weights that are NaN, L-BFGS can only stay there
    X, y = _iris()
    clf = _fit_quietly(ReversibleMLPClassifier((5,), max_iter=3, warm_start=True), X, y)
    clf.coefs_[0][0, 0] = np.nan
    with pytest.raises(ValueError) as error:
        _fit_quietly(clf, X, y)
    assert str(error.value) == (
        "L-BFGS produced non-finite weights; scale the input data "
        "(for example with StandardScaler) and fit again."
    )


@pytest.mark.parametrize("n_workers, block_rows", [(1, 700), (2, 175)])
def test_float32_objective_stays_in_float32(n_workers, block_rows):
    # float32 data: the loss and gradient are computed in float32, equal to
    # the float64 ones to float32 precision (measured: the loss within 2e-8,
    # the gradient within 4.4e-7 of its largest entry)
    X, Y, sample_weight = _problem()
    args = (Y, sample_weight, UNITS, "tanh", "softmax", 0.1)
    theta = np.random.RandomState(1).normal(scale=0.3, size=ParameterLayout(UNITS).size)
    loss64, grad64 = TrainingObjective(X, *args)(theta)
    objective = TrainingObjective(
        X.astype(np.float32), *args, n_workers=n_workers, block_rows=block_rows
    )
    with objective:
        loss32, grad32 = objective(theta)
    assert grad32.dtype == np.float32
    np.testing.assert_allclose(loss32, loss64, rtol=1e-6)
    np.testing.assert_allclose(grad32, grad64, rtol=0, atol=1e-5 * np.abs(grad64).max())
