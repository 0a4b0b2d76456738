"""Extreme but valid input: every public method returns finite numbers, warning-free.

Each test runs with RuntimeWarnings (overflow, invalid value, division by zero)
turned into errors, so that no floating-point trouble inside the package goes
unnoticed. Underflow to zero is harmless and silent under numpy's default error
state, which the tests keep. A ConvergenceWarning is expected (small
``max_iter``) and ignored.
"""

import contextlib
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from sklearn_revnet import ReversibleMLPClassifier, Whitener

ACTIVATIONS = ["identity", "logistic", "tanh", "relu", "leaky_relu", "softplus"]

_X_IRIS, Y_IRIS = load_iris(return_X_y=True)
X_IRIS = StandardScaler().fit_transform(_X_IRIS)


@contextlib.contextmanager
def strict_floats():
    """RuntimeWarnings are errors; ConvergenceWarnings are ignored."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        # numpy's default error state (underflow to 0 is silent): the warnings a
        # user would see
        with np.errstate(divide="warn", over="warn", invalid="warn", under="ignore"):
            yield


def _fit(X, y, **params):
    params = {"hidden_layer_sizes": (5,), "max_iter": 50, "random_state": 0, **params}
    return ReversibleMLPClassifier(**params).fit(X, y)


def _uniform_rows(clf, n_rows=2):
    """Probability rows in the format inverse_transform takes (one column per class)."""
    n_classes = len(clf.classes_)
    rows = np.random.RandomState(0).dirichlet(np.ones(n_classes), size=n_rows)
    rows[0] = 1.0 / n_classes
    return rows


def _assert_all_finite(clf, X_test, unbounded=False):
    """Every public method of a fitted classifier gives finite output on X_test.

    The reverse direction runs within the training range (the default) and,
    with ``unbounded``, also with ``input_bounds=None``, where nothing stops
    the search from going far out.
    """
    assert np.isfinite(clf.loss_), f"loss_ = {clf.loss_}"
    for array in clf.coefs_ + clf.intercepts_:
        assert np.all(np.isfinite(array))
    proba = clf.predict_proba(X_test)
    assert np.all(np.isfinite(proba))
    assert np.all((proba > 0) & (proba < 1))
    assert np.all(np.isfinite(clf.predict_log_proba(X_test)))
    assert np.isfinite(clf.score(X_test, clf.predict(X_test)))
    n_features = clf.n_features_in_
    for bounds in ("auto", None) if unbounded else ("auto",):
        clf.set_params(input_bounds=bounds)
        try:
            outputs = {
                "inverse_transform(labels)": clf.inverse_transform(clf.classes_),
                "inverse_transform(rows)": clf.inverse_transform(_uniform_rows(clf)),
                "generate": clf.generate(clf.classes_[-1], 3, random_state=0),
            }
        finally:
            clf.set_params(input_bounds="auto")
        for name, X_out in outputs.items():
            assert X_out.shape[1] == n_features, (name, bounds)
            assert np.all(np.isfinite(X_out)), (name, bounds)
            assert np.all(np.isfinite(clf.predict_proba(X_out))), (name, bounds)
            if bounds == "auto":  # the training range holds, however extreme
                assert np.all((X_out >= clf.input_min_) & (X_out <= clf.input_max_)), name


# ----------------------------------------------------------------- scale extremes


@pytest.mark.parametrize("scale", [1e150, 1e-150])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_fit_on_extremely_scaled_inputs(activation, scale):
    X = X_IRIS * scale
    with strict_floats():
        clf = _fit(X, Y_IRIS, activation=activation)
        _assert_all_finite(clf, X, unbounded=True)


@pytest.mark.parametrize("scale", [1e150, 1e-150])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_binary_fit_on_extremely_scaled_inputs(activation, scale):
    X = X_IRIS * scale
    with strict_floats():
        clf = _fit(X, Y_IRIS == 2, activation=activation)
        _assert_all_finite(clf, X, unbounded=True)


@pytest.mark.parametrize("scale", [1e15, 1e-15])
@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_float32_fit_on_extremely_scaled_inputs(activation, scale):
    X = (X_IRIS * scale).astype(np.float32)
    with strict_floats():
        clf = _fit(X, Y_IRIS, activation=activation)
        _assert_all_finite(clf, X, unbounded=True)
        assert clf.generate(0, 2, random_state=0).dtype == np.float32


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_saturating_inputs_at_predict_time(activation):
    # A model fitted on unit-scale data, asked about points 1e150 away: every
    # logistic/tanh unit saturates and the logits are huge.
    with strict_floats():
        clf = _fit(X_IRIS, Y_IRIS, activation=activation)
        _assert_all_finite(clf, np.vstack([X_IRIS[:5] * 1e150, -X_IRIS[:5] * 1e150, X_IRIS]))


@pytest.mark.parametrize("activation", ["logistic", "tanh"])
def test_saturated_hidden_units_during_fit_and_inversion(activation):
    # Inputs scaled by 1e3 saturate the hidden units from the first iteration:
    # their derivatives underflow to zero during training and reconstruction.
    with strict_floats():
        clf = _fit(X_IRIS * 1e3, Y_IRIS, activation=activation, alpha=1e-4)
        _assert_all_finite(clf, X_IRIS * 1e6)
        clf.set_params(inverse_tol=0.0, inverse_max_iter=2000)
        _assert_all_finite(clf, X_IRIS * 1e3, unbounded=True)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_mode_search_run_to_the_end(activation):
    # inverse_tol=0: L-BFGS-B only stops at inverse_max_iter or when it cannot
    # improve (and, with input_bounds=None, the box does not stop it either).
    with strict_floats():
        clf = _fit(X_IRIS, Y_IRIS, activation=activation, max_iter=200)
        clf.set_params(inverse_tol=0.0, inverse_max_iter=3000)
        _assert_all_finite(clf, X_IRIS, unbounded=True)


@pytest.mark.parametrize("method", ["pca", "zca"])
@pytest.mark.parametrize("epsilon", [0.0, 1e-5])
@pytest.mark.parametrize("scale", [1e150, 1e-150])
def test_whitener_on_extremely_scaled_inputs(method, epsilon, scale):
    X = _X_IRIS * scale
    with strict_floats():
        whitener = Whitener(method=method, epsilon=epsilon).fit(X)
        Z = whitener.transform(X)
        X_back = whitener.inverse_transform(Z)
    assert np.all(np.isfinite(Z))
    assert np.all(np.isfinite(X_back))
    np.testing.assert_allclose(X_back / scale, _X_IRIS, atol=1e-10)


# ------------------------------------------------------- degenerate training data


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_constant_features(activation):
    X = X_IRIS.copy()
    X[:, 1] = 3.0
    X[:, 3] = 0.0
    with strict_floats():
        clf = _fit(X, Y_IRIS, activation=activation)
        _assert_all_finite(clf, X)
        for X_out in (clf.inverse_transform(clf.classes_), clf.generate(1, 4, random_state=0)):
            np.testing.assert_array_equal(X_out[:, 1], 3.0)
            np.testing.assert_array_equal(X_out[:, 3], 0.0)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("value", [0.0, 7.0])
def test_all_constant_X(activation, value):
    X = np.full((len(Y_IRIS), 4), value)
    with strict_floats():
        clf = _fit(X, Y_IRIS, activation=activation)
        _assert_all_finite(clf, np.vstack([X[:3], X_IRIS[:3]]))
        # nothing can move: every reconstruction is the constant input
        np.testing.assert_array_equal(clf.inverse_transform(clf.classes_), X[:3])
        np.testing.assert_array_equal(clf.generate(2, 3, random_state=0), X[:3])


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_duplicated_rows(activation):
    # three distinct rows, each repeated 50 times
    X = np.repeat(X_IRIS[[0, 50, 100]], 50, axis=0)
    y = np.repeat([0, 1, 2], 50)
    with strict_floats():
        clf = _fit(X, y, activation=activation)
        _assert_all_finite(clf, X_IRIS)


@pytest.mark.parametrize("method", ["pca", "zca"])
@pytest.mark.parametrize("epsilon", [0.0, 1e-5])
@pytest.mark.parametrize(
    "make_X",
    [
        lambda: np.full((20, 4), 7.0),
        lambda: np.repeat(_X_IRIS[[0, 50, 100]], 10, axis=0),
        lambda: np.c_[_X_IRIS, np.zeros(len(_X_IRIS))],
        lambda: _X_IRIS[:3],
    ],
    ids=["all-constant", "duplicated-rows", "constant-feature", "fewer-samples-than-features"],
)
def test_whitener_on_degenerate_data(make_X, method, epsilon):
    X = make_X()
    with strict_floats():
        whitener = Whitener(method=method, epsilon=epsilon).fit(X)
        for X_in in (X, X + 1.0):  # training data and data off its span
            Z = whitener.transform(X_in)
            assert np.all(np.isfinite(Z))
            assert np.all(np.isfinite(whitener.inverse_transform(Z)))
        assert np.all(np.isfinite(whitener.explained_variance_ratio_))


# ----------------------------------------------------------- extreme hyperparameters


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("alpha", [0.0, 1e6])
def test_extreme_alpha(activation, alpha):
    with strict_floats():
        clf = _fit(X_IRIS, Y_IRIS, activation=activation, alpha=alpha, max_iter=200)
        _assert_all_finite(clf, np.vstack([X_IRIS, 1e6 * X_IRIS[:5]]))
    if alpha == 1e6:
        # all weights are pulled to zero: the prediction is (almost) the class
        # prior. Measured: 3.6e-5 from it at most (relu); margin 3x.
        proba = clf.predict_proba(X_IRIS)
        np.testing.assert_allclose(proba, 1 / 3, rtol=0, atol=1e-4)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_single_hidden_unit(activation):
    with strict_floats():
        clf = _fit(X_IRIS, Y_IRIS, hidden_layer_sizes=(1,), activation=activation)
        _assert_all_finite(clf, X_IRIS)


def test_thousand_classes_with_two_samples_each():
    rng = np.random.RandomState(0)
    y = np.repeat(np.arange(1000), 2)
    X = rng.normal(size=(2000, 6)) + rng.normal(size=(1000, 6))[y]
    with strict_floats():
        clf = _fit(X, y, hidden_layer_sizes=(4,), max_iter=8)
        assert clf.predict_proba(X[:5]).shape == (5, 1000)
        proba = clf.predict_proba(X)
        assert np.all(np.isfinite(proba)) and np.all(proba > 0)
        np.testing.assert_allclose(proba.sum(axis=1), 1.0)
        assert np.all(np.isfinite(clf.predict_log_proba(X)))
        labels = clf.classes_[::100]
        rows = rng.dirichlet(np.ones(1000), size=2)
        for X_out in (
            clf.inverse_transform(labels),
            clf.inverse_transform(rows),
            clf.generate(clf.classes_[-1], 3, random_state=0),
        ):
            assert np.all(np.isfinite(X_out))
            assert np.all((X_out >= clf.input_min_) & (X_out <= clf.input_max_))


# ---------------------------------------------------------- one sample, one class


@pytest.mark.parametrize("n_samples", [1, 50])
def test_single_class_fits_like_scikit_learn(n_samples):
    # scikit-learn's MLPClassifier fits data with a single class (and then
    # always predicts it); so does this one, and its reverse direction works
    # with the target formats inverse_transform documents: labels, and
    # probability rows with one column per class.
    X, y = X_IRIS[:n_samples], Y_IRIS[:n_samples]
    assert set(y) == {0}
    with strict_floats():
        clf = _fit(X, y)
        np.testing.assert_array_equal(clf.classes_, [0])
        np.testing.assert_array_equal(clf.predict(X_IRIS), np.zeros(len(X_IRIS)))
        assert np.all(np.isfinite(clf.predict_log_proba(X_IRIS)))
        from_label = clf.inverse_transform([0, 0])
        assert from_label.shape == (2, 4) and np.all(np.isfinite(from_label))
        generated = clf.generate(0, 3, random_state=0)
        assert generated.shape == (3, 4) and np.all(np.isfinite(generated))
        np.testing.assert_array_equal(clf.predict(generated), [0, 0, 0])
        from_rows = clf.inverse_transform(np.ones((2, 1)))
        assert from_rows.shape == (2, 4) and np.all(np.isfinite(from_rows))
        for X_out in (from_label, generated, from_rows):
            assert np.all((X_out >= X.min(axis=0)) & (X_out <= X.max(axis=0)))
        # the only label's mode is the prior's: a label and its one-column
        # row of probabilities ask for the same input
        np.testing.assert_array_equal(from_rows, from_label)


# ------------------------------------------------------------- empty and 0-d targets


@pytest.mark.parametrize(
    "y", [[], np.array([], dtype=int), np.zeros((0, 3))], ids=["list", "labels", "rows"]
)
def test_inverse_transform_of_no_targets_gives_no_rows(y):
    # An empty list of labels gives an empty (0, n_features) result; an empty
    # array of probability rows (of the right width) must give the same, not
    # numpy's "zero-size array to reduction operation minimum".
    with strict_floats():
        clf = _fit(X_IRIS, Y_IRIS)
        X_out = clf.inverse_transform(y)
    assert X_out.shape == (0, 4)


def test_zero_dimensional_array_label_is_a_label():
    # np.ndim(np.array(1)) == 0, so generate's own check takes it for a single
    # label: it must then work like the scalar it holds, not fail with
    # "unhashable type: 'numpy.ndarray'".
    with strict_floats():
        clf = _fit(X_IRIS, Y_IRIS)
        expected = clf.generate(1, 2, random_state=0)
        np.testing.assert_array_equal(clf.generate(np.array(1), 2, random_state=0), expected)
        np.testing.assert_array_equal(
            clf.inverse_transform([np.array(2)]), clf.inverse_transform([2])
        )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("value", [1e17, 1e20, 1e30, -1e30])
def test_huge_finite_inputs_predict_like_scikit_learn(value, dtype):
    # Logits of 1e20 and more: the softmax must still pick the largest, as
    # scikit-learn's argmax does, and stay a distribution. (Raising every
    # logit to 1e4 below the top once made all of them equal from about 1e19
    # on: uniform probabilities, and class 0 predicted.)
    from sklearn.neural_network import MLPClassifier

    X = X_IRIS.astype(dtype)
    params = {"hidden_layer_sizes": (8,), "activation": "identity", "random_state": 0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = ReversibleMLPClassifier(**params).fit(X, Y_IRIS)
        theirs = MLPClassifier(solver="lbfgs", **params).fit(X, Y_IRIS)
    scale = value if dtype == np.float64 else value / 1e4  # float32 logits stay finite
    huge = (scale * np.array([[1.0], [0.5], [-0.2]]) * np.ones(4)).astype(dtype)
    with strict_floats():
        proba = ours.predict_proba(huge)
        predicted = ours.predict(huge)
    assert np.all((proba > 0) & (proba < 1))
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-6)
    np.testing.assert_array_equal(predicted, theirs.predict(huge))
    np.testing.assert_array_equal(predicted, ours.classes_[proba.argmax(axis=1)])
    # one logit dominates by far: measured, the top probability is 1 less
    # the float's epsilon (1.1e-16, 6e-8 in float32)
    assert proba.max(axis=1).min() > 1 - 1e-6


def test_inputs_near_the_float_limit_raise_no_runtime_warning():
    # scikit-learn's NaN check sums X; at 1e308 that sum overflows, and numpy's
    # "invalid value encountered in reduce" must not reach the user.
    X = np.vstack([X_IRIS, [[1e308, -1e308, 1e308, -1e308]]])
    clf = _fit(X_IRIS, Y_IRIS)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(ValueError, match="overflowed"):
            clf.predict_proba(X)
        # finite, but their sum is not: scikit-learn's check overflows
        assert clf.predict(np.vstack([X_IRIS, [[9e307] * 4, [9e307] * 4]]) / 1e306).shape
    with pytest.raises(ValueError, match="NaN"):
        clf.predict_proba(np.where(X > 1e300, np.nan, X))
