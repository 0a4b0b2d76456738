"""Running the network in reverse: the objective, inverse_transform and generate."""

import warnings

import numpy as np
import pytest
from scipy.optimize import check_grad
from sklearn.datasets import load_digits, load_iris, make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from sklearn_revnet import ReversibleMLPClassifier
from sklearn_revnet._activations import ACTIVATIONS
from sklearn_revnet._inversion import InputPrior, InversionObjective
from sklearn_revnet._training import ParameterLayout


def _fit(clf, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return clf.fit(X, y)


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def iris_clf(iris):
    return _fit(ReversibleMLPClassifier((10,), random_state=0), *iris)


# ------------------------------------------------------------- the objective


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("output", ["binary", "multiclass", "multilabel"])
def test_input_gradient_of_objective_matches_finite_differences(activation, output):
    rng = np.random.RandomState(0)
    n_rows, n_features, n_outputs = 3, 5, {"binary": 1, "multiclass": 4, "multilabel": 3}[output]
    layout = ParameterLayout([n_features, 6, 4, n_outputs])
    coefs, intercepts = layout.views(rng.normal(scale=0.7, size=layout.size))
    if output == "multiclass":
        targets = rng.dirichlet(np.ones(n_outputs), size=n_rows)  # probability rows
        out_activation = "softmax"
    else:
        targets = rng.randint(0, 2, size=(n_rows, n_outputs)).astype(float)
        out_activation = "logistic"
    scale = rng.uniform(0.5, 2.0, size=n_features)
    scale[0] = 0.0  # a constant feature
    prior = InputPrior(rng.normal(size=n_features), scale)
    anchor = rng.normal(size=(n_rows, n_features))
    objective = InversionObjective(
        (coefs, intercepts, activation, out_activation), targets, prior, anchor, alpha=0.3
    )
    u = rng.normal(size=n_rows * n_features)
    err = check_grad(lambda v: objective(v)[0], lambda v: objective(v)[1], u, epsilon=1e-6)
    assert err < 1e-5 * max(1.0, np.linalg.norm(objective(u)[1]))
    np.testing.assert_allclose(objective.row_objective(u).sum(), objective(u)[0])


def test_prior_records_weighted_mean_and_scale():
    X = np.array([[0.0, 1.0], [2.0, 1.0], [100.0, 1.0]])
    prior = InputPrior.from_data(X, sample_weight=np.array([1.0, 1.0, 0.0]))
    np.testing.assert_allclose(prior.mean, [1.0, 1.0])
    np.testing.assert_allclose(prior.scale, [1.0, 0.0])


# -------------------------------------------------------------- inverse_transform


def test_inverse_transform_reaches_every_label_deterministically(iris_clf):
    labels = np.array([0, 1, 2, 2, 1])
    X = iris_clf.inverse_transform(labels)
    assert X.shape == (5, 4)
    np.testing.assert_array_equal(iris_clf.predict(X), labels)
    np.testing.assert_array_equal(X, iris_clf.inverse_transform(labels))
    # identical targets give identical rows
    np.testing.assert_allclose(X[2], X[3])


@pytest.mark.parametrize(
    "labels",
    [np.array(["setosa", "versicolor", "virginica"]), np.array([10, 20, 30])],
)
def test_inverse_transform_with_any_label_type(iris, labels):
    X, y = iris
    clf = _fit(ReversibleMLPClassifier((10,), random_state=0), X, labels[y])
    np.testing.assert_array_equal(clf.predict(clf.inverse_transform(labels)), labels)
    assert clf.inverse_transform(list(labels[:1])).shape == (1, 4)


def test_inverse_transform_binary_and_boolean_labels(iris):
    X, y = iris
    clf = _fit(ReversibleMLPClassifier((10,), random_state=0), X, y == 2)
    targets = np.array([True, False])
    np.testing.assert_array_equal(clf.predict(clf.inverse_transform(targets)), targets)


def test_inverse_transform_probability_rows(iris_clf):
    targets = np.array(
        [
            [0.9, 0.1, 0.0],
            [0.05, 0.9, 0.05],
            [0.0, 0.3, 0.7],
            [0.0, 0.5, 0.5],
            [1 / 3, 1 / 3, 1 / 3],
        ]
    )
    X = iris_clf.inverse_transform(targets)
    assert np.max(np.abs(iris_clf.predict_proba(X) - targets)) <= 0.1


def test_inverse_transform_binary_probability_rows(iris):
    X, y = iris
    clf = _fit(ReversibleMLPClassifier((10,), random_state=0), X, y == 0)
    targets = np.array([[0.8, 0.2], [0.3, 0.7], [0.5, 0.5]])
    assert np.max(np.abs(clf.predict_proba(clf.inverse_transform(targets)) - targets)) <= 0.1


def test_inverse_transform_multilabel_indicator_rows():
    X, Y = make_multilabel_classification(n_samples=200, n_features=6, n_classes=3, random_state=0)
    X = StandardScaler().fit_transform(X)
    clf = _fit(ReversibleMLPClassifier((20,), random_state=0), X, Y)
    wanted = np.array([[1, 0, 0], [0, 1, 1], [1, 1, 0]])
    np.testing.assert_array_equal(clf.predict(clf.inverse_transform(wanted)), wanted)
    # a single label index asks for that label alone
    np.testing.assert_array_equal(clf.predict(clf.inverse_transform([1])), [[0, 1, 0]])


def test_constant_features_stay_constant():
    X, y = load_digits(return_X_y=True)
    constant = np.flatnonzero(X.std(axis=0) == 0)
    assert constant.size > 0
    clf = _fit(ReversibleMLPClassifier((20,), random_state=0), X / 16, y)
    for reconstruction in (clf.inverse_transform([3, 8]), clf.generate(5, 4, random_state=0)):
        assert np.all(reconstruction[:, constant] == (X / 16)[0, constant])


def test_inverse_settings_take_effect_without_refit(iris_clf):
    clf = iris_clf
    reference = clf.inverse_transform([0, 1, 2])
    coefs = [c.copy() for c in clf.coefs_]
    try:
        clf.set_params(inverse_alpha=5.0)
        pulled = clf.inverse_transform([0, 1, 2])
        # a strong prior keeps reconstructions nearer the training mean
        distance = np.linalg.norm((pulled - clf.input_mean_) / clf.input_scale_, axis=1)
        reference_distance = np.linalg.norm(
            (reference - clf.input_mean_) / clf.input_scale_, axis=1
        )
        assert np.all(distance < reference_distance)
        clf.set_params(inverse_alpha=0.0, inverse_max_iter=1)
        assert not np.allclose(clf.inverse_transform([0, 1, 2]), reference)
        clf.set_params(inverse_max_iter=500, inverse_tol=1e-8)
        confident = clf.predict_proba(clf.inverse_transform([0, 1, 2]))
        assert np.all(confident.max(axis=1) >= clf.predict_proba(reference).max(axis=1))
    finally:
        clf.set_params(inverse_alpha=0.0, inverse_max_iter=500, inverse_tol=1e-4)
    for before, after in zip(coefs, clf.coefs_):
        np.testing.assert_array_equal(before, after)
    np.testing.assert_array_equal(clf.inverse_transform([0, 1, 2]), reference)


def test_float32_model_reconstructs_in_float32(iris):
    X, y = iris
    clf = _fit(ReversibleMLPClassifier((10,), random_state=0), X.astype(np.float32), y)
    for reconstruction in (clf.inverse_transform([0, 2]), clf.generate(1, 3, random_state=0)):
        assert reconstruction.dtype == np.float32
        assert np.all(np.isfinite(reconstruction))


# --------------------------------------------------------------------- generate


def test_generate_is_reproducible_diverse_and_on_label(iris_clf):
    samples = iris_clf.generate(1, n=20, random_state=0)
    assert samples.shape == (20, 4)
    np.testing.assert_array_equal(iris_clf.predict(samples), np.ones(20))
    np.testing.assert_array_equal(samples, iris_clf.generate(1, n=20, random_state=0))
    assert not np.allclose(samples, iris_clf.generate(1, n=20, random_state=1))
    distances = np.linalg.norm(samples[:, None] - samples[None], axis=-1)
    assert distances[np.triu_indices(20, 1)].min() > 1e-3


def test_generated_digits_are_recognized_by_an_independent_classifier():
    # A small version of benchmarks/bench_inversion.py: samples must look like
    # their label to a classifier that never saw the network.
    X, y = load_digits(return_X_y=True)
    X = X / 16
    oracle = LogisticRegression(max_iter=2000).fit(X, y)
    clf = _fit(ReversibleMLPClassifier((32,), random_state=0), X, y)
    samples = np.vstack([clf.generate(c, 10, random_state=c) for c in range(10)])
    requested = np.repeat(np.arange(10), 10)
    assert np.mean(clf.predict(samples) == requested) >= 0.99
    assert np.mean(oracle.predict(samples) == requested) >= 0.9


# ----------------------------------------------------------------------- errors


def test_unknown_label_is_named(iris_clf):
    with pytest.raises(ValueError, match=r"Unknown label 7"):
        iris_clf.inverse_transform([0, 7])
    with pytest.raises(ValueError, match=r"Unknown label 'cat'"):
        iris_clf.generate("cat")


@pytest.mark.parametrize(
    "targets, match",
    [
        (np.full((1, 4), 0.25), r"one column per class \(3\); got 4"),
        (np.array([[1.2, -0.2, 0.0]]), r"probabilities in \[0, 1\]"),
        (np.array([[0.5, 0.4, 0.0]]), r"must sum to 1; row 0 sums to 0.9"),
        (np.array([[np.nan, 0.5, 0.5]]), r"probabilities in \[0, 1\]"),
        (np.zeros((1, 3, 1)), r"1-D labels or 2-D target rows"),
    ],
)
def test_malformed_probability_rows(iris_clf, targets, match):
    with pytest.raises(ValueError, match=match):
        iris_clf.inverse_transform(targets)


@pytest.mark.parametrize(
    "n, error", [(0, ValueError), (-3, ValueError), (2.5, TypeError), (True, TypeError)]
)
def test_generate_rejects_bad_n(iris_clf, n, error):
    with pytest.raises(error, match="n must be a positive integer"):
        iris_clf.generate(0, n)


def test_generate_rejects_several_labels(iris_clf):
    with pytest.raises(TypeError, match="single label"):
        iris_clf.generate([0, 1])


@pytest.mark.parametrize("call", ["inverse_transform", "generate"])
def test_reverse_before_fit_raises(call):
    with pytest.raises(NotFittedError):
        getattr(ReversibleMLPClassifier(), call)([0] if call == "inverse_transform" else 0)


def test_inverse_transform_does_not_mutate_targets(iris_clf):
    targets = np.array([[0.2, 0.8, 0.0]])
    labels = np.array([2, 0])
    copies = targets.copy(), labels.copy()
    iris_clf.inverse_transform(targets)
    iris_clf.inverse_transform(labels)
    np.testing.assert_array_equal(targets, copies[0])
    np.testing.assert_array_equal(labels, copies[1])
