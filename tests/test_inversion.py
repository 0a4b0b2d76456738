"""Running the network in reverse: inverse_transform and generate of the classifier."""

import warnings

import numpy as np
import pytest
from _linear import linear_classifier, mixture
from _tolerance import assert_within
from sklearn.datasets import load_digits, load_iris, make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from sklearn_revnet import ReversibleMLPClassifier


def _fit(clf, X, y, sample_weight=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return clf.fit(X, y, sample_weight=sample_weight)


def _reachable_rows(clf, n_rows, seed=0, max_proba=0.95):
    """Probability rows the network gives somewhere in its input box: those of
    uniform draws in [input_min_, input_max_], keeping the ambiguous ones."""
    rng = np.random.RandomState(seed)
    X = rng.uniform(clf.input_min_, clf.input_max_, size=(20_000, clf.n_features_in_))
    proba = clf.predict_proba(X)
    rows = proba[proba.max(axis=1) < max_proba][:n_rows]
    assert len(rows) == n_rows
    return rows


def _in_box(clf, X):
    return bool(np.all((X >= clf.input_min_) & (X <= clf.input_max_)))


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def iris_clf(iris):
    return _fit(ReversibleMLPClassifier((10,), random_state=0), *iris)


@pytest.fixture(scope="module")
def digits():
    # every other digit: the default prior of all 1797 costs 7 times as much to fit
    X, y = load_digits(return_X_y=True)
    return X[::2] / 16, y[::2]


@pytest.fixture(scope="module")
def digits_clf(digits):
    return _fit(ReversibleMLPClassifier((32,), random_state=0), *digits)


@pytest.fixture(scope="module")
def rare_clf():
    """Class 1 is a small disc holding 8 of 1000 points: rejection sampling
    finds too few samples with min_proba=0.999, and MCMC delivers the rest."""
    X = np.random.RandomState(0).normal(size=(1000, 2))
    y = (np.linalg.norm(X - [2.0, 0.0], axis=1) < 0.3).astype(int)
    return _fit(ReversibleMLPClassifier((16,), max_iter=500, random_state=0), X, y)


# ------------------------------------------------------ input range and prior


def test_zero_weight_rows_are_left_out_of_the_input_range_and_prior(iris):
    X, y = iris
    X_out = np.vstack([X, np.full((1, 4), 100.0)])  # an outlier of weight 0
    weights = np.r_[np.ones(len(X)), 0.0]
    clf = _fit(ReversibleMLPClassifier((10,), random_state=0), X_out, np.r_[y, 0], weights)
    np.testing.assert_array_equal(clf.input_min_, X.min(axis=0))
    np.testing.assert_array_equal(clf.input_max_, X.max(axis=0))
    # the mixture's mean is the mean of the rows that count (EM keeps the data
    # mean); the outlier would move it by 100 / 151 = 0.66 per feature.
    # Measured: 0.0069 at most; margin 3x.
    prior_mean = clf.prior_.weights_ @ clf.prior_.means_
    np.testing.assert_allclose(prior_mean, X.mean(axis=0), rtol=0, atol=0.02)
    assert _in_box(clf, clf.generate(0, 50, random_state=0))


# -------------------------------------------------------------- inverse_transform


def test_inverse_transform_reaches_every_label_deterministically(iris_clf):
    labels = np.array([0, 1, 2, 2, 1])
    X = iris_clf.inverse_transform(labels)
    assert X.shape == (5, 4)
    assert _in_box(iris_clf, X)
    np.testing.assert_array_equal(iris_clf.predict(X), labels)
    np.testing.assert_array_equal(X, iris_clf.inverse_transform(labels))
    # identical targets give identical rows
    np.testing.assert_array_equal(X[2], X[3])


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


def test_inverse_transform_matches_reachable_probability_rows(iris_clf):
    targets = _reachable_rows(iris_clf, 8)
    X = iris_clf.inverse_transform(targets)
    assert _in_box(iris_clf, X)
    # Worst measured over the OpenBLAS kernels Prescott, Nehalem, Sandybridge
    # and Haswell with one and two threads (benchmarks/kernel_sweep.py):
    # 1.5e-5 (Nehalem; 1.2e-8 to 1.6e-6 under the others); margin 3.3x.
    error = np.abs(iris_clf.predict_proba(X) - targets)
    assert_within(error, 5e-5, "max |proba - target|")


def test_the_mode_is_sought_in_the_heaviest_prior_component():
    # A flat network (p(t | x) = 1/2 everywhere), so the posterior is the
    # prior: a narrow component of weight 0.1 (first, and the highest peak)
    # and a wide one of weight 0.9, which holds the mass and gives the mode.
    prior = mixture([0.1, 0.9], [[-5.0, 0.0], [5.0, 1.0]], [[0.01, 0.01], [1.0, 1.0]])
    clf = linear_classifier(np.zeros((2, 1)), [0.0], prior)
    np.testing.assert_allclose(clf.inverse_transform([0, 1]), [[5.0, 1.0]] * 2, atol=1e-6)


def test_a_probability_row_with_zeros_is_a_soft_target():
    # p_0 is e^-50 everywhere and p_1 / p_2 = exp(x_0 - x_1): rows that hold
    # a 0 and no 1 are reachable, and matched as probability rows are
    prior = mixture([1.0], np.zeros((1, 2)), np.ones((1, 2)))
    clf = linear_classifier([[0, 1.0, 0], [0, 0, 1.0]], [-50.0, 0, 0], prior)
    targets = np.array([[0.0, 0.4, 0.6], [0.0, 0.9, 0.1]])
    error = np.abs(clf.predict_proba(clf.inverse_transform(targets)) - targets)
    assert_within(error, 1e-6, "max |proba - target|")  # measured: 1.0e-9


def test_inverse_transform_of_unreachable_rows_stays_in_range(iris_clf):
    # No input of this sharp network is a three-way tie: the row is not
    # matched, but the reconstruction is still a finite input in the box, and
    # a better match (smaller cross-entropy against the row) than any of 20000
    # uniform draws in the box. Measured: 2.178 at the answer, 2.455 for the
    # best draw (7.17 for the best training row); margin 0.1.
    target = np.full((1, 3), 1 / 3)
    X = iris_clf.inverse_transform(target)
    assert np.all(np.isfinite(X)) and _in_box(iris_clf, X)
    rng = np.random.RandomState(0)
    draws = rng.uniform(iris_clf.input_min_, iris_clf.input_max_, size=(20_000, 4))

    def cross_entropy(X):
        return -np.log(iris_clf.predict_proba(X)).mean(axis=1)

    assert cross_entropy(X)[0] < cross_entropy(draws).min() - 0.1


def test_inverse_transform_binary_probability_rows(iris):
    X, y = iris
    clf = _fit(ReversibleMLPClassifier((10,), random_state=0), X, y == 0)
    # the one output is continuous on the box and spans (0, 1) there, so every
    # row in between is reachable
    targets = np.array([[0.8, 0.2], [0.3, 0.7], [0.5, 0.5]])
    # measured: at most 1.4e-9; margin 7x
    assert np.max(np.abs(clf.predict_proba(clf.inverse_transform(targets)) - targets)) <= 1e-8


def test_inverse_transform_multilabel_indicator_rows():
    X, Y = make_multilabel_classification(n_samples=200, n_features=6, n_classes=3, random_state=0)
    X = StandardScaler().fit_transform(X)
    clf = _fit(ReversibleMLPClassifier((20,), random_state=0), X, Y)
    wanted = np.array([[1, 0, 0], [0, 1, 1], [1, 1, 0]])
    np.testing.assert_array_equal(clf.predict(clf.inverse_transform(wanted)), wanted)
    # a single label index asks for that label alone
    np.testing.assert_array_equal(clf.predict(clf.inverse_transform([1])), [[0, 1, 0]])


def test_constant_features_stay_constant(digits, digits_clf):
    X, _ = digits
    constant = np.flatnonzero(X.std(axis=0) == 0)
    assert constant.size > 0
    for reconstruction in (
        digits_clf.inverse_transform([3, 8]),
        digits_clf.generate(5, 4, random_state=0),
    ):
        # pinned by the default bounds (input_min_ == input_max_ there)
        assert np.all(reconstruction[:, constant] == X[0, constant])


def test_inverse_settings_take_effect_without_refit(iris_clf):
    clf = iris_clf
    reference = clf.inverse_transform([0, 1, 2])
    samples = clf.generate(1, 20, random_state=0)
    coefs = [c.copy() for c in clf.coefs_]
    means = clf.prior_.means_.copy()
    lo, hi = clf.input_min_ / 2, clf.input_max_ / 2
    try:
        clf.set_params(input_bounds=(lo, hi))
        narrow = clf.inverse_transform([0, 1, 2]), clf.generate(1, 20, random_state=0)
        for X, wide in zip(narrow, (reference, samples)):
            assert np.all((X >= lo) & (X <= hi))
            assert not np.allclose(X, wide)
        clf.set_params(input_bounds=(-1.0, 1.0))  # numbers apply to every feature
        assert np.all(np.abs(clf.inverse_transform([0, 1, 2])) <= 1.0)
        clf.set_params(input_bounds="auto", inverse_max_iter=1)
        assert not np.allclose(clf.inverse_transform([0, 1, 2]), reference)
        clf.set_params(inverse_max_iter=500, inverse_tol=0.1)
        assert not np.allclose(clf.inverse_transform([0, 1, 2]), reference)
    finally:
        clf.set_params(input_bounds="auto", inverse_max_iter=500, inverse_tol=1e-5)
    for before, after in zip(coefs, clf.coefs_):
        np.testing.assert_array_equal(before, after)
    np.testing.assert_array_equal(clf.prior_.means_, means)
    np.testing.assert_array_equal(clf.inverse_transform([0, 1, 2]), reference)
    np.testing.assert_array_equal(clf.generate(1, 20, random_state=0), samples)


def test_mcmc_steps_take_effect_without_refit(rare_clf):
    clf = rare_clf
    reference = clf.generate(1, 100, random_state=0, min_proba=0.999)
    try:
        clf.set_params(mcmc_steps=20)
        fewer_steps = clf.generate(1, 100, random_state=0, min_proba=0.999)
    finally:
        clf.set_params(mcmc_steps=200)
    # the samples that MCMC delivered changed; every sample still reaches min_proba
    assert not np.array_equal(fewer_steps, reference)
    for X in (reference, fewer_steps):
        assert np.all(clf.predict_proba(X)[:, 1] >= 0.999)
        assert _in_box(clf, X)
    np.testing.assert_array_equal(clf.generate(1, 100, random_state=0, min_proba=0.999), reference)


def test_float32_model_reconstructs_in_float32(iris):
    X, y = iris
    clf = _fit(ReversibleMLPClassifier((10,), random_state=0), X.astype(np.float32), y)
    modes, samples = clf.inverse_transform([0, 2]), clf.generate(1, 3, random_state=0)
    for reconstruction in (modes, samples):
        assert reconstruction.dtype == np.float32
        assert np.all(np.isfinite(reconstruction))
        assert _in_box(clf, reconstruction)
    np.testing.assert_array_equal(clf.predict(modes), [0, 2])
    # measured: 3 of 3 (2 or 3 of 3 at seeds 0-4); margin one sample
    assert np.sum(clf.predict(samples) == 1) >= 2


# --------------------------------------------------------------------- generate


def test_generate_is_reproducible_diverse_and_on_label(iris_clf):
    samples = iris_clf.generate(1, n=20, random_state=0)
    assert samples.shape == (20, 4)
    assert _in_box(iris_clf, samples)
    # measured: 18 of 20 (18 to 20 at seeds 0-9, and 96.2% of 2000 samples:
    # near the boundary with label 2 the samples are as ambiguous as the
    # data); margin one sample
    assert np.mean(iris_clf.predict(samples) == 1) >= 0.85
    np.testing.assert_array_equal(samples, iris_clf.generate(1, n=20, random_state=0))
    assert not np.allclose(samples, iris_clf.generate(1, n=20, random_state=1))
    # no two samples nearly alike: measured 0.11 apart at least (0.057 to
    # 0.27 at seeds 0-4, in standardized units; the samples take the
    # measurements' values, 0.1 cm apart)
    distances = np.linalg.norm(samples[:, None] - samples[None], axis=-1)
    assert distances[np.triu_indices(20, 1)].min() > 0.05


def test_generated_digits_are_recognized_by_an_independent_classifier(digits, digits_clf):
    # A small version of benchmarks/bench_inversion.py: samples must look like
    # their label to a classifier that never saw the network.
    X, y = digits
    oracle = LogisticRegression(max_iter=2000).fit(X, y)
    samples = np.vstack([digits_clf.generate(c, 10, random_state=c) for c in range(10)])
    requested = np.repeat(np.arange(10), 10)
    assert _in_box(digits_clf, samples)
    # measured: 0.99 and 0.94 (0.99-1.0 and 0.87-0.94 with seeds shifted by
    # 10, 20, 30, 40); margin 1 and 2 samples
    assert np.mean(digits_clf.predict(samples) == requested) >= 0.98
    assert np.mean(oracle.predict(samples) == requested) >= 0.92


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
    with pytest.raises(error, match="'n' parameter of .* must be a positive integer"):
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
