"""Arrays follow X: fits and predictions in X's array namespace equal the numpy ones.

array-api-strict always; torch on the CPU where it is installed. scikit-learn's
array API dispatch needs scipy >= 1.14 with SCIPY_ARRAY_API=1, which
tests/conftest.py sets before scipy is imported; with an older scipy these
tests are skipped.
"""

import os
import sys

import numpy as np
import pytest
import sklearn
from _fitting import digits, fit_quietly
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import check_array_api_input

from sklearn_revnet import ReversibleMLPClassifier
from sklearn_revnet._core.activations import ACTIVATIONS
from sklearn_revnet._core.density import log_prior
from sklearn_revnet._core.evaluator import Evaluator
from sklearn_revnet._core.namespace import to_numpy
from sklearn_revnet._core.network import predict_proba_from_logits
from sklearn_revnet._forward import array_api as _array_api
from sklearn_revnet._forward.objective import TrainingObjective
from sklearn_revnet._reverse.counterfactual.problem import Problem
from sklearn_revnet._reverse.posterior import Box, Posterior

if os.environ.get("SCIPY_ARRAY_API") != "1":
    pytest.skip("array API dispatch needs scipy >= 1.14", allow_module_level=True)

xps = pytest.importorskip("array_api_strict")
pytest.importorskip("array_api_compat")


def _torch():
    return pytest.importorskip("torch")


NAMESPACES = ["array_api_strict", "torch"]


def _xp(name):
    return _torch() if name == "torch" else xps


def _to(name, a, dtype=None):
    a = np.asarray(a) if dtype is None else np.asarray(a, dtype=dtype)
    return _xp(name).asarray(a)


def _fit(X, y, sample_weight=None, **params):
    return fit_quietly(X, y, sample_weight, **{"max_iter": 40, **params})


def _digits(n=400):
    return digits(n)


def network(clf):
    return (clf.coefs_, clf.intercepts_, clf.activation, clf.out_activation_)


@pytest.mark.parametrize("name", NAMESPACES)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_scikit_learn_s_array_api_check(name, dtype):
    device = "cpu" if name == "torch" else None
    check_array_api_input(
        "ReversibleMLPClassifier",
        ReversibleMLPClassifier((8,), random_state=0),
        name if name == "torch" else "array_api_strict",
        device_name=device,
        dtype_name=dtype,
        check_values=dtype == "float64",
        check_sample_weight=True,
    )


@pytest.mark.parametrize("name", NAMESPACES)
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_the_fit_is_the_numpy_fit(name, activation):
    X, y = _digits()
    reference = _fit(X, y, activation=activation)
    with sklearn.config_context(array_api_dispatch=True):
        fitted = _fit(_to(name, X), _to(name, y), activation=activation)
        proba = fitted.predict_proba(_to(name, X))
        labels = fitted.predict(_to(name, X))
    assert fitted.n_iter_ == reference.n_iter_
    # measured: loss 3e-11 relative, probabilities 4e-11 (logistic, the worst)
    assert_allclose(fitted.loss_, reference.loss_, rtol=1e-9)
    assert_allclose(to_numpy(proba), reference.predict_proba(X), rtol=0, atol=1e-10)
    assert_array_equal(to_numpy(labels), reference.predict(X))


@pytest.mark.parametrize("name", NAMESPACES)
@pytest.mark.parametrize("kind", ["binary", "multilabel", "weighted"])
def test_targets_and_weights(name, kind):
    X, y = _digits()
    w = None
    if kind == "binary":
        y = (y >= 5).astype(int)
    elif kind == "multilabel":
        y = np.column_stack([y % 2, y >= 5, y % 3 == 0]).astype(int)
    else:
        w = np.random.RandomState(0).uniform(0, 2, len(y))
    reference = _fit(X, y, w)
    with sklearn.config_context(array_api_dispatch=True):
        fitted = _fit(_to(name, X), _to(name, y), None if w is None else _to(name, w))
        proba = to_numpy(fitted.predict_proba(_to(name, X)))
        labels = to_numpy(fitted.predict(_to(name, X)))
        log_proba = to_numpy(fitted.predict_log_proba(_to(name, X)))
    assert fitted.n_iter_ == reference.n_iter_
    assert_allclose(fitted.loss_, reference.loss_, rtol=1e-9)
    assert_allclose(proba, reference.predict_proba(X), rtol=0, atol=1e-10)
    assert_allclose(log_proba, reference.predict_log_proba(X), rtol=1e-9, atol=1e-10)
    assert_array_equal(labels, reference.predict(X))
    assert_array_equal(to_numpy(fitted.input_min_), reference.input_min_)
    assert_allclose(fitted.prior_.means_, reference.prior_.means_, rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", NAMESPACES)
def test_float32_stays_float32_and_the_weights_live_with_x(name):
    xp = _xp(name)
    X, y = _digits()
    with sklearn.config_context(array_api_dispatch=True):
        fitted = _fit(_to(name, X, np.float32), _to(name, y), max_iter=10)
        proba = fitted.predict_proba(_to(name, X, np.float32))
    reference = _fit(X.astype(np.float32), y, max_iter=10)
    for array in fitted.coefs_ + fitted.intercepts_ + [fitted.input_min_, proba]:
        assert type(array) is type(xp.asarray([1.0]))
        assert array.dtype == xp.float32
    assert fitted.n_iter_ == reference.n_iter_
    # float32 sums in another order (whole matrices, not blocks): measured
    # loss 1.1e-7 (array-api-strict) and 6.8e-7 (torch) relative after 10 iterations
    assert_allclose(fitted.loss_, reference.loss_, rtol=1e-4)


def test_a_weighted_fit_on_another_device_stays_there():
    # array-api-strict refuses to mix devices: every array the fit makes
    # (weights, targets, the input range, the prior's rows) must be made on
    # X's. Zero weights keep rows out of the input range and the prior;
    # integer pixels train in float64.
    device = xps.Device("device1")
    X, y = _digits(200)
    X = np.rint(X * 16)
    w = np.random.RandomState(0).uniform(0, 2, len(y))
    w[:20] = 0.0
    Xd = xps.asarray(X.astype(np.int64), device=device)
    for weights in (w, None):
        reference = _fit(X, y, weights, max_iter=10)
        with sklearn.config_context(array_api_dispatch=True):
            wd = None if weights is None else xps.asarray(weights, device=device)
            fitted = _fit(Xd, xps.asarray(y, device=device), wd, max_iter=10)
            proba = fitted.predict_proba(Xd)
        for array in fitted.coefs_ + fitted.intercepts_ + [fitted.input_min_, proba]:
            assert array.device == device
            assert array.dtype == xps.float64
        assert fitted.n_iter_ == reference.n_iter_
        # measured: loss 4e-16 relative, probabilities 4e-15
        assert_allclose(fitted.loss_, reference.loss_, rtol=1e-9)
        assert_allclose(to_numpy(proba), reference.predict_proba(X), rtol=0, atol=1e-10)
        assert_array_equal(to_numpy(fitted.input_min_), reference.input_min_)
        assert_allclose(fitted.prior_.means_, reference.prior_.means_, rtol=0, atol=1e-12)


def test_the_objective_is_the_numpy_objective_and_its_gradient_is_right():
    # The two implementations, at random weights, for every activation and
    # both output links; and the array one against finite differences.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(50, 4))
    for activation in sorted(ACTIVATIONS):
        for Y, head in [
            (np.eye(3)[rng.randint(3, size=50)], "softmax"),
            (
                rng.randint(2, size=(50, 2)).astype(float),
                "logistic",
            ),
        ]:
            units = [4, 5, 3, Y.shape[1]]
            w = rng.uniform(0.5, 1.5, 50)
            numpy_objective = TrainingObjective(X, Y, w, units, activation, head, 0.3)
            array_objective = _array_api.ArrayObjective(
                xps.asarray(X), xps.asarray(Y), w, units, activation, head, 0.3
            )
            theta = rng.normal(size=numpy_objective.layout.size)
            loss, grad = numpy_objective(theta)
            grad = grad.copy()
            array_loss, array_grad = array_objective(theta)
            assert_allclose(array_loss, loss, rtol=1e-13)
            assert_allclose(array_grad, grad, rtol=1e-11, atol=1e-14)
            step = 1e-6
            for k in rng.choice(theta.size, 8, replace=False):
                e = np.zeros_like(theta)
                e[k] = step
                numeric = (array_objective(theta + e)[0] - array_objective(theta - e)[0]) / (
                    2 * step
                )
                assert abs(numeric - array_grad[k]) <= 1e-6 * max(1, abs(numeric))


def test_one_host_round_trip_per_evaluation(monkeypatch):
    X, y = _digits(100)
    Y = np.eye(10)[y]
    objective = _array_api.ArrayObjective(
        xps.asarray(X), xps.asarray(Y), None, [64, 8, 10], "relu", "softmax", 1e-4
    )
    to_host, to_device = [], []
    original_to_numpy, original_asarray = _array_api.to_numpy, xps.asarray
    monkeypatch.setattr(
        _array_api, "to_numpy", lambda a: to_host.append(a.shape) or original_to_numpy(a)
    )
    monkeypatch.setattr(
        xps, "asarray", lambda a, **k: to_device.append(np.shape(a)) or original_asarray(a, **k)
    )
    objective(np.zeros(objective.layout.size))
    assert to_device == [(objective.layout.size,)]  # the parameters
    assert to_host == [(objective.layout.size + 1,)]  # the gradient and the loss


@pytest.mark.parametrize("name", NAMESPACES)
def test_the_reverse_direction_answers_in_x_s_namespace(name):
    xp = _xp(name)
    X, y = _digits()
    reference = _fit(X, y)
    with sklearn.config_context(array_api_dispatch=True):
        fitted = _fit(_to(name, X), _to(name, y))
        modes = fitted.inverse_transform([0, 3])
        samples = fitted.generate(4, n=5, random_state=0)
        answers = fitted.counterfactual(_to(name, X[[0, 2]]), target=8)
    for result in (modes, samples, answers):
        assert type(result) is type(xp.asarray([1.0]))
    assert_allclose(to_numpy(modes), reference.inverse_transform([0, 3]), rtol=0, atol=1e-6)
    assert_allclose(to_numpy(samples), reference.generate(4, n=5, random_state=0), atol=1e-6)
    assert_array_equal(reference.predict(to_numpy(answers)), [8, 8])


@pytest.mark.parametrize("covariance", ["full", "diagonal"])
def test_the_reverse_direction_s_densities_on_the_device_are_the_numpy_ones(covariance):
    # The posterior (value and input gradient, with and without the box),
    # the prior's log-density, and the counterfactual objective, computed on
    # the device, against their numpy versions at the same points; and the
    # device ones against finite differences.
    X, y = _digits()
    prior = "diagonal" if covariance == "diagonal" else 3
    reference = _fit(X, y, prior=prior, hidden_layer_sizes=(12, 8), activation="tanh")
    with sklearn.config_context(array_api_dispatch=True):
        fitted = _fit(xps.asarray(X), xps.asarray(y), prior=prior, hidden_layer_sizes=(12, 8))
    fitted.activation = reference.activation = "tanh"
    fitted.coefs_ = [xps.asarray(W) for W in reference.coefs_]
    fitted.intercepts_ = [xps.asarray(b) for b in reference.intercepts_]
    fitted.prior_ = reference.prior_
    targets = np.eye(10)[[3]]
    rng = np.random.RandomState(0)
    U = X[:7] + rng.normal(scale=0.2, size=(7, 64))
    box = Box(reference.input_min_, reference.input_max_, 64)
    on_host = Posterior(network(reference), reference.prior_, targets)
    on_device = Posterior(network(fitted), fitted.prior_, targets)
    assert on_device.evaluator.xp is not None  # computed in the fit's namespace
    for b in (None, box):
        for (v, g), (v_ref, g_ref) in [(on_device(U, b), on_host(U, b))]:
            assert_allclose(v, v_ref, rtol=1e-12)
            assert_allclose(g, g_ref, rtol=1e-10, atol=1e-12)
    assert_allclose(on_device.log_likelihood(U), on_host.log_likelihood(U), rtol=1e-12)
    log_p, grad_p = on_device.evaluator.log_prior(xps.asarray(U))
    expected = log_prior(reference.prior_, U)
    assert_allclose(to_numpy(log_p), expected[0], rtol=1e-12)
    assert_allclose(to_numpy(grad_p), expected[1], rtol=1e-10, atol=1e-12)
    # The network's input gradient on the device against finite differences
    # (the prior's gradient equals the numpy one, checked so in test_prior; the
    # full mixture is too sharp along its near-singular directions for a step).
    on_device.prior_weight = 0.0
    step, e = 1e-6, np.zeros_like(U)
    e[:, 5] = step
    numeric = (on_device(U + e)[0] - on_device(U - e)[0]) / (2 * step)
    assert_allclose(numeric, on_device(U)[1][:, 5], rtol=1e-6, atol=1e-8)

    args = (np.eye(64), np.zeros(64), np.array([1, 4, 8, 0, 2, 5, 7]), 2.0, -50.0, 1.0)
    device_problem = Problem(fitted, *args)
    assert device_problem.evaluator.xp is not None
    host_problem = Problem(reference, *args)
    rows = np.arange(7)
    for (v, g), (v_ref, g_ref) in [(device_problem(U, rows), host_problem(U, rows))]:
        assert_allclose(v, v_ref, rtol=1e-12)
        assert_allclose(g, g_ref, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", NAMESPACES)
def test_the_reverse_direction_computes_on_the_device(name, monkeypatch):
    X, y = _digits()
    with sklearn.config_context(array_api_dispatch=True):
        fitted = _fit(_to(name, X), _to(name, y))
    used = []
    original = Evaluator.layers
    monkeypatch.setattr(
        Evaluator, "layers", lambda self, Z: used.append(type(Z)) or original(self, Z)
    )
    on_device = type(_to(name, [1.0]))
    for call in (
        lambda: fitted.inverse_transform([2]),
        lambda: fitted.generate(2, n=3, random_state=0, min_proba=0.99),
        lambda: fitted.counterfactual(_to(name, X[:1]), target=8),
    ):
        used.clear()
        call()
        assert used and set(used) == {on_device}, set(used)


def test_inputs_from_another_namespace_than_the_fit_s_are_refused():
    X, y = _digits(200)
    with sklearn.config_context(array_api_dispatch=True):
        fitted = _fit(xps.asarray(X), xps.asarray(y))
        for method in ("predict", "predict_proba", "predict_log_proba"):
            with pytest.raises(ValueError, match=rf"\.{method}\(\) must use the same namespace"):
                getattr(fitted, method)(X)


def test_bad_input_in_another_namespace_raises():
    X, y = _digits(200)
    X[3, 5] = np.nan
    with sklearn.config_context(array_api_dispatch=True), pytest.raises(ValueError, match="NaN"):
        _fit(xps.asarray(X), xps.asarray(y))


def test_score_is_a_float():
    X, y = _digits(200)
    with sklearn.config_context(array_api_dispatch=True):
        fitted = _fit(xps.asarray(X), xps.asarray(y))
        score = fitted.score(xps.asarray(X), xps.asarray(y))
    assert isinstance(score, float) and score == _fit(X, y).score(X, y)


def test_numpy_proba_helpers_agree():
    rng = np.random.RandomState(1)
    Z = rng.normal(scale=30, size=(20, 4))
    for head in ("softmax", "logistic"):
        expected = predict_proba_from_logits(Z.copy(), head)
        got = predict_proba_from_logits(xps.asarray(Z), head)
        assert_allclose(to_numpy(got), expected, rtol=1e-13, atol=0)


def test_y_of_another_length_is_refused():
    X, y = _digits(100)
    with sklearn.config_context(array_api_dispatch=True), pytest.raises(ValueError) as error:
        _fit(xps.asarray(X), xps.asarray(y[:-1]))
    assert str(error.value) == "y has 99 rows, X has 100."


def test_zero_weight_rows_are_left_out_of_the_input_range():
    X, y = _digits(200)
    X[:5] = 20.0  # beyond every pixel of weight, and of weight 0
    w = np.r_[np.zeros(5), np.ones(195)]
    reference = _fit(X, y, w, max_iter=5)
    with sklearn.config_context(array_api_dispatch=True):
        fitted = _fit(xps.asarray(X), xps.asarray(y), xps.asarray(w), max_iter=5)
    assert_array_equal(to_numpy(fitted.input_max_), X[5:].max(axis=0))
    assert_array_equal(to_numpy(fitted.input_min_), reference.input_min_)


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_derivatives_in_another_namespace_are_the_numpy_ones(activation):
    # where the activations' sides meet too: a pre-activation of exactly 0
    # (leaky_relu takes the negative side's slope there)
    f = ACTIVATIONS[activation]
    Z = np.array([[-2.0, -0.5, 0.0, 0.0, 0.5, 2.0]])
    A = f.forward(Z.copy())
    delta = np.arange(1.0, 7.0)[None]
    expected = f.derivative(A.copy(), delta.copy())
    got = f.derivative(xps.asarray(A), xps.asarray(delta), xp=xps)
    assert_array_equal(to_numpy(got), expected)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_saturated_probabilities_stay_strictly_inside_0_and_1(dtype):
    # the nearest numbers inside, as numpy's: 1 - eps / 2 and the smallest normal
    Z = np.array([[-1e4], [1e4]], dtype=dtype)
    for head, logits in (("logistic", Z), ("softmax", np.hstack([Z, -Z]))):
        with np.errstate(over="ignore"):  # exp(1e4): the sigmoid is then 0, as it should
            got = to_numpy(predict_proba_from_logits(xps.asarray(logits), head))
        assert_array_equal(got, predict_proba_from_logits(logits.copy(), head))
        info = np.finfo(dtype)
        assert got.max() == 1 - info.eps / 2 and got.min() == info.smallest_normal


def test_the_convergence_warning_points_at_the_caller_of_fit():
    X, y = _digits(200)
    clf = ReversibleMLPClassifier((4,), max_iter=2, random_state=0)
    with sklearn.config_context(array_api_dispatch=True), pytest.warns(ConvergenceWarning) as rec:
        clf.fit(xps.asarray(X), xps.asarray(y))
    assert len(rec) == 1
    if "mutmut" not in sys.modules:  # mutation testing adds a frame
        assert [w.filename for w in rec] == [__file__]
