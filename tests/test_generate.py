"""Tests for sklearn_revnet.generate and inverse_transform through pipelines and searches."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits, load_iris
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import Normalizer, PolynomialFeatures, StandardScaler

from sklearn_revnet import ReversibleMLPClassifier, Whitener, generate, inverse_transform

DIGIT_NAMES = np.array(
    ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
)
ALPHA_GRID = {"reversiblemlpclassifier__alpha": [0.1, 1.0]}
# These tests are about pipelines and searches, not the prior: a mixture of 15
# components fits digits in 0.5 s and samples like the default ("auto", 29
# components, 6 s a fit): 97.7% and 98.3% of 5000 samples predicted as asked.
# (Iris has 150 rows: its default prior has at most 3 components, and is cheap.)
PRIOR = 15


def _clf(hidden=(32,), prior=PRIOR, **params):
    return ReversibleMLPClassifier(
        hidden_layer_sizes=hidden, random_state=0, prior=prior, **params
    )


def _fit(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y)


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def digits():
    return load_digits(return_X_y=True)


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)


@pytest.fixture(scope="module")
def bare_clf(iris):
    X, y = iris
    X = StandardScaler().fit_transform(X)
    return _fit(_clf((20,), prior="auto"), X, y)


@pytest.fixture(scope="module")
def whitener_pipe(digits):
    return _fit(make_pipeline(Whitener(n_components=20), _clf()), *digits)


@pytest.fixture(scope="module")
def pca_pipe(digits):
    return _fit(make_pipeline(PCA(n_components=20, whiten=True), _clf()), *digits)


@pytest.fixture(scope="module")
def string_pipe(digits):
    X, y = digits
    return _fit(make_pipeline(Whitener(n_components=20), _clf()), X, DIGIT_NAMES[y])


@pytest.fixture(scope="module", params=["whitener", "pca"])
def raw_space_pipe(request, whitener_pipe, pca_pipe):
    return {"whitener": whitener_pipe, "pca": pca_pipe}[request.param]


@pytest.fixture(scope="module")
def grid_search(digits):
    pipe = make_pipeline(Whitener(n_components=20), _clf((20,)))
    return _fit(GridSearchCV(pipe, ALPHA_GRID, cv=2), *digits)


def _inverse_pipes(prior=2):
    """Pipelines for Pipeline.inverse_transform, by id. The modes of labels need
    no fine prior (a 15-component prior on the 64 ZCA features takes 2 s)."""
    return {
        "whitener": lambda: make_pipeline(Whitener(n_components=20), _clf(prior=prior)),
        "pca": lambda: make_pipeline(PCA(n_components=20, whiten=True), _clf(prior=prior)),
        "zca": lambda: make_pipeline(Whitener(method="zca"), _clf(prior=prior)),
        "zca_20": lambda: make_pipeline(
            Whitener(n_components=20, method="zca"), _clf(prior=prior)
        ),
        "scaler_whitener": lambda: make_pipeline(
            StandardScaler(), Whitener(n_components=20), _clf(prior=prior)
        ),
        "passthrough": lambda: Pipeline(
            [
                ("scale", StandardScaler()),
                ("nothing", "passthrough"),
                ("whiten", Whitener(n_components=20)),
                ("clf", _clf(prior=prior)),
            ]
        ),
    }


@pytest.fixture(scope="module", params=list(_inverse_pipes()))
def inverse_pipe(request, digits):
    return _fit(_inverse_pipes()[request.param](), *digits)


# --------------------------------------------------------------- bare classifier


def test_generate_bare_classifier_shape_and_matches_method(bare_clf):
    samples = generate(bare_clf, 1, 7, random_state=0)
    assert samples.shape == (7, bare_clf.n_features_in_)
    np.testing.assert_array_equal(samples, bare_clf.generate(1, 7, random_state=0))
    # measured: 7 of 7, at seeds 0-4 alike (not guaranteed: samples near a
    # boundary may be ambiguous); margin one sample
    assert np.mean(bare_clf.predict(samples) == 1) >= 6 / 7


def test_generate_default_n_is_one(bare_clf):
    assert generate(bare_clf, 2, random_state=0).shape == (1, bare_clf.n_features_in_)


# ------------------------------------------------------------------ pipelines


def test_generate_pipeline_returns_raw_space_samples(raw_space_pipe, digits):
    X, _ = digits
    samples = generate(raw_space_pipe, 3, 12, random_state=0)
    assert samples.shape == (12, 64)
    assert np.all(np.isfinite(samples))
    # measured: 11 of 12 for both pipelines; margin one sample
    assert np.sum(raw_space_pipe.predict(samples) == 3) >= 10
    if isinstance(raw_space_pipe[0], Whitener):
        # the Whitener records the training range: raw bounds by default
        assert np.all((samples >= X.min(axis=0)) & (samples <= X.max(axis=0)))
    else:
        # PCA records none
        np.testing.assert_array_equal(
            samples, generate(raw_space_pipe, 3, 12, random_state=0, bounds=None)
        )
    # Without raw bounds the samples are the classifier's own, mapped back (the
    # dropped directions, filled with noise, are invisible to it).
    unbounded = generate(raw_space_pipe, 3, 12, random_state=0, bounds=None)
    np.testing.assert_allclose(
        raw_space_pipe[0].transform(unbounded),
        raw_space_pipe[-1].generate(3, 12, random_state=0),
        atol=1e-8,
    )


def test_generate_pipeline_samples_are_predicted_as_label(raw_space_pipe):
    agreement = np.array(
        [
            np.mean(
                raw_space_pipe.predict(generate(raw_space_pipe, label, 10, random_state=0))
                == label
            )
            for label in range(10)
        ]
    )
    # measured: 0.98 overall, no label below 0.9, for both pipelines (at
    # seeds 0-4: 0.96 to 1.0 overall, no label below 0.8); margin 0.03
    assert agreement.mean() >= 0.95, agreement
    assert agreement.min() >= 0.8, agreement


def _spread(X):
    """Mean distance between two rows of X."""
    return np.mean(np.linalg.norm(X[:, None] - X[None], axis=-1)[np.triu_indices(len(X), 1)])


def test_generate_pipeline_samples_are_diverse(whitener_pipe, digits):
    X, y = digits
    samples = generate(whitener_pipe, 5, 10, random_state=0)
    assert np.all((samples >= X.min(axis=0)) & (samples <= X.max(axis=0)))
    # measured: 10 of 10, at seeds 0-4 alike; margin one sample
    assert np.sum(whitener_pipe.predict(samples) == 5) >= 9
    # As spread out as real fives: measured 1.13 times their mean distance
    # (0.99 to 1.18 at seeds 0-4); margin 0.2. No two samples alike: the
    # closest two are 22 apart (21.7 to 24.5 at seeds 0-4; pixels 0 to 16).
    assert 0.8 <= _spread(samples) / _spread(X[y == 5]) <= 1.4
    distances = np.linalg.norm(samples[:, None] - samples[None], axis=-1)
    assert distances[np.triu_indices(10, 1)].min() > 10


@pytest.mark.parametrize("label", ["zero", "three", "nine"])
def test_generate_pipeline_with_string_labels(string_pipe, label):
    samples = generate(string_pipe, label, 10, random_state=0)
    assert samples.shape == (10, 64)
    # measured: 10 of 10 (9 or 10 at seeds 0-4); margin one sample
    assert np.mean(string_pipe.predict(samples) == label) >= 0.9
    # the same samples as the classifier's own, mapped back
    without_bounds = generate(string_pipe, label, 10, random_state=0, bounds=None)
    np.testing.assert_allclose(
        string_pipe[0].transform(without_bounds),
        string_pipe[-1].generate(label, 10, random_state=0),
        atol=1e-8,
    )


def test_generate_accepts_numpy_string_label(string_pipe):
    label = string_pipe.classes_[4]  # a numpy.str_
    samples = generate(string_pipe, label, 5, random_state=0)
    np.testing.assert_array_equal(samples, generate(string_pipe, str(label), 5, random_state=0))
    # measured: 5 of 5 (4 or 5 at seeds 0-4); margin one sample
    assert np.mean(string_pipe.predict(samples) == label) >= 0.8


def test_generate_pipeline_with_passthrough_step(digits):
    pipe = _fit(_inverse_pipes(prior=PRIOR)["passthrough"](), *digits)
    samples = generate(pipe, 7, 8, random_state=0)
    assert samples.shape == (8, 64)
    # StandardScaler records no range: no raw bounds, so the classifier sees
    # exactly its own samples
    np.testing.assert_allclose(
        pipe[:-1].transform(samples), pipe["clf"].generate(7, 8, random_state=0), atol=1e-8
    )
    # measured: 8 of 8 (7 or 8 at seeds 0-4); margin one sample
    assert np.mean(pipe.predict(samples) == 7) >= 0.85


# ---------------------------------------------------- Pipeline.inverse_transform


def test_pipeline_inverse_transform_gives_raw_inputs_for_labels(inverse_pipe):
    labels = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 3, 3])
    X = inverse_pipe.inverse_transform(labels)
    assert X.shape == (len(labels), 64)
    assert np.all(np.isfinite(X))
    np.testing.assert_array_equal(X, inverse_pipe.inverse_transform(labels))
    np.testing.assert_array_equal(inverse_pipe.predict(X), labels)


def test_pipeline_inverse_transform_with_string_labels(string_pipe):
    labels = DIGIT_NAMES[[9, 0, 4, 4]]
    X = string_pipe.inverse_transform(labels)
    assert X.shape == (4, 64)
    np.testing.assert_array_equal(string_pipe.predict(X), labels)


# ------------------------------------------------------------- nested pipelines


def test_generate_nested_pipeline(digits):
    inner = make_pipeline(Whitener(n_components=20), _clf())
    outer = _fit(make_pipeline(StandardScaler(), inner), *digits)
    samples = generate(outer, 2, 8, random_state=0)
    assert samples.shape == (8, 64)
    fitted_inner = outer[-1]
    # the scaler records no range (no raw bounds): the classifier sees its own samples
    np.testing.assert_allclose(
        fitted_inner[0].transform(outer[0].transform(samples)),
        fitted_inner[-1].generate(2, 8, random_state=0),
        atol=1e-8,
    )
    # The 44 directions the inner Whitener drops are filled with per-feature
    # noise: in the scaler's units, what the Whitener cannot reconstruct has
    # in total its noise_variance_ per dropped direction, and per feature the
    # training rows' residual (noise_scale_). Measured on 200 samples at seeds
    # 0-4: 0.975 to 1.009 of the total, and per feature at most 0.064 from
    # noise_scale_; on these 8 samples 0.96 of the total. Margins 0.2 and 0.5.
    whitener = fitted_inner[0]
    scaled = outer[0].transform(samples)
    residual = scaled - whitener.inverse_transform(whitener.transform(scaled))
    dropped = scaled.shape[1] - whitener.n_components_
    ratio = np.sum(residual**2) / (len(samples) * dropped) / whitener.noise_variance_
    assert 0.8 <= ratio <= 1.25, ratio
    per_feature = np.sqrt(np.mean(residual**2, axis=0))
    assert np.abs(per_feature - whitener.noise_scale_).max() < 0.5
    # pixels the training digits never ink stay blank
    assert np.all(residual[:, whitener.noise_scale_ == 0] == 0)
    # measured: 8 of 8, at seeds 0-4 alike; margin one sample
    assert np.mean(outer.predict(samples) == 2) >= 0.85
    # scikit-learn's own inverse_transform goes through the nested pipeline too
    np.testing.assert_array_equal(outer.predict(outer.inverse_transform([1, 8])), [1, 8])


def test_generate_pipeline_ending_in_search(iris):
    X, y = iris
    search = GridSearchCV(make_pipeline(Whitener(), _clf((10,), prior="auto")), ALPHA_GRID, cv=2)
    pipe = _fit(make_pipeline(StandardScaler(), search), X, y)
    samples = generate(pipe, 1, 5, random_state=0)
    # The scaler in front records no range, so no raw bounds apply: pushed
    # forward through the scaler and the best pipeline's Whitener (which keeps
    # every direction), the samples are the best classifier's own.
    best = pipe[-1].best_estimator_
    np.testing.assert_allclose(
        best[:-1].transform(pipe[0].transform(samples)),
        best[-1].generate(1, 5, random_state=0),
        rtol=0,
        atol=1e-8,
    )
    # measured: 4 of 5 (4 or 5 at seeds 0-4)
    assert np.mean(pipe.predict(samples) == 1) >= 0.8


# -------------------------------------------------------------------- searches


def test_generate_search_uses_best_estimator(grid_search):
    samples = generate(grid_search, 6, 20, random_state=0)
    assert samples.shape == (20, 64)
    np.testing.assert_array_equal(
        samples, generate(grid_search.best_estimator_, 6, 20, random_state=0)
    )
    # measured: 19 of 20 (19 or 20 at seeds 0-4); margin one sample
    assert np.mean(grid_search.predict(samples) == 6) >= 0.9


def test_search_inverse_transform_gives_raw_inputs(grid_search):
    labels = np.array([0, 4, 9])
    X = grid_search.inverse_transform(labels)
    assert X.shape == (3, 64)
    np.testing.assert_array_equal(X, grid_search.best_estimator_.inverse_transform(labels))
    np.testing.assert_array_equal(grid_search.predict(X), labels)


def test_generate_search_over_search(iris):
    # A search whose best estimator is itself a search: generate should
    # unwrap it like generate unwraps a search at the end of a pipeline.
    X, y = iris
    # 15 fits: the cheapest prior will do for unwrapping
    inner = GridSearchCV(
        make_pipeline(Whitener(), _clf((10,), prior="diagonal")), ALPHA_GRID, cv=2
    )
    outer = _fit(GridSearchCV(inner, {"cv": [2]}, cv=2), X, y)
    samples = generate(outer, 2, 4, random_state=0)
    assert samples.shape == (4, 4)
    np.testing.assert_array_equal(
        samples, generate(outer.best_estimator_.best_estimator_, 2, 4, random_state=0)
    )
    # measured: 4 of 4 (3 or 4 at seeds 0-4); margin one sample
    assert np.sum(outer.predict(samples) == 2) >= 3


# ------------------------------------------------------------- reproducibility


def test_same_random_state_gives_same_samples(whitener_pipe):
    a = generate(whitener_pipe, 8, 6, random_state=42)
    b = generate(whitener_pipe, 8, 6, random_state=42)
    np.testing.assert_array_equal(a, b)


def test_different_random_state_gives_different_samples(whitener_pipe):
    a = generate(whitener_pipe, 8, 6, random_state=0)
    b = generate(whitener_pipe, 8, 6, random_state=1)
    assert not np.allclose(a, b)
    assert not np.any(np.all(np.isclose(a, b), axis=1))  # no row is shared


def test_random_state_instance_is_accepted(whitener_pipe):
    from_int = generate(whitener_pipe, 1, 4, random_state=0)
    from_instance = generate(whitener_pipe, 1, 4, random_state=np.random.RandomState(0))
    np.testing.assert_array_equal(from_int, from_instance)
    rng = np.random.RandomState(0)
    first = generate(whitener_pipe, 1, 4, random_state=rng)
    second = generate(whitener_pipe, 1, 4, random_state=rng)
    assert not np.allclose(first, second)  # the instance is consumed, not reseeded


# ---------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "make_step",
    [Normalizer, lambda: PolynomialFeatures(degree=1, include_bias=False)],
    ids=["normalizer", "polynomialfeatures"],
)
def test_step_without_inverse_transform_raises(digits, make_step):
    step = make_step()
    assert not hasattr(step, "inverse_transform")
    # the steps are checked before anything else: any fitted classifier does
    classifier = _clf((5,), prior="diagonal", max_iter=5)
    pipe = _fit(make_pipeline(step, Whitener(n_components=20), classifier), *digits)
    name = pipe.steps[0][0]
    with pytest.raises(TypeError, match=f"'{name}'.*no inverse_transform"):
        generate(pipe, 0, 2, random_state=0)


def test_unfitted_search_raises(digits):
    search = GridSearchCV(make_pipeline(Whitener(n_components=20), _clf()), ALPHA_GRID, cv=2)
    with pytest.raises(NotFittedError, match="not fitted"):
        generate(search, 0, 2)


def test_non_reversible_estimator_raises(iris):
    X, y = iris
    logreg = LogisticRegression(max_iter=500).fit(X, y)
    with pytest.raises(TypeError, match="LogisticRegression cannot generate"):
        generate(logreg, 0, 2)
    pipe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(X, y)
    with pytest.raises(TypeError, match="cannot generate"):
        generate(pipe, 0, 2)


@pytest.mark.parametrize(
    "make",
    [
        lambda: _clf(),
        lambda: make_pipeline(Whitener(n_components=20), _clf()),
    ],
    ids=["classifier", "pipeline"],
)
def test_unfitted_estimator_raises(make):
    with pytest.raises(NotFittedError, match="not fitted"):
        generate(make(), 0, 2)


@pytest.mark.parametrize(
    "estimator, label, shown",
    [
        ("whitener_pipe", 10, "10"),
        ("whitener_pipe", "three", "'three'"),
        ("string_pipe", "ten", "'ten'"),
        ("string_pipe", 3, "3"),
        ("bare_clf", -1, "-1"),
        ("grid_search", 11, "11"),
    ],
)
def test_unknown_label_raises(request, estimator, label, shown):
    estimator = request.getfixturevalue(estimator)
    with pytest.raises(ValueError, match=f"Unknown label {shown}"):
        generate(estimator, label, 2, random_state=0)


def test_non_scalar_label_raises(whitener_pipe):
    with pytest.raises(TypeError, match="single label"):
        generate(whitener_pipe, [1, 2], 2)


@pytest.mark.parametrize("estimator", ["bare_clf", "whitener_pipe", "grid_search"])
@pytest.mark.parametrize(
    "n, error",
    [
        (0, ValueError),
        (-1, ValueError),
        (np.int64(0), ValueError),
        (2.5, ValueError),
        (2.0, ValueError),
        (True, ValueError),  # an int to scikit-learn's Interval, refused by ours
        (np.bool_(True), ValueError),
        (None, ValueError),
        ("3", ValueError),
    ],
)
def test_invalid_n_raises(request, estimator, n, error):
    estimator = request.getfixturevalue(estimator)
    accepted = r"'n' parameter of generate must be a positive integer \(not a bool\)"
    with pytest.raises(error, match=accepted):
        generate(estimator, 1, n)


def test_numpy_integer_n_is_accepted(whitener_pipe):
    samples = generate(whitener_pipe, 1, np.int64(3), random_state=0)
    np.testing.assert_array_equal(samples, generate(whitener_pipe, 1, 3, random_state=0))


# ------------------------------------------------------------ dtype and mutation


@pytest.mark.parametrize(
    "transformer",
    [Whitener(n_components=20), PCA(n_components=20, whiten=True)],
    ids=["whitener", "pca"],
)
def test_generate_float32_pipeline_stays_finite(digits, transformer):
    X, y = digits
    pipe = _fit(make_pipeline(transformer, _clf((20,))), X.astype(np.float32), y)
    samples = generate(pipe, 5, 8, random_state=0)
    assert samples.shape == (8, 64)
    assert np.all(np.isfinite(samples))
    # measured: 8 of 8, at seeds 0-4 alike, for both; margin one sample
    assert np.mean(pipe.predict(samples) == 5) >= 0.85
    X_inv = pipe.inverse_transform(np.arange(10))
    assert X_inv.dtype == np.float32
    assert np.all(np.isfinite(X_inv))
    np.testing.assert_array_equal(pipe.predict(X_inv), np.arange(10))
    # the model's dtype, like the classifier's own generate and Pipeline.inverse_transform
    assert samples.dtype == np.float32


def test_generate_and_inverse_transform_do_not_mutate_inputs(digits):
    X, y = digits
    X, y = X.copy(), y.copy()
    X_before, y_before = X.copy(), y.copy()
    pipe = _fit(
        make_pipeline(StandardScaler(), Whitener(n_components=20), _clf((20,), prior=2)), X, y
    )
    clf, whitener = pipe[-1], pipe[1]
    state = {
        "input_min_": clf.input_min_.copy(),
        "input_max_": clf.input_max_.copy(),
        "prior_.weights_": clf.prior_.weights_.copy(),
        "prior_.means_": clf.prior_.means_.copy(),
        "prior_.mixture_.covariances_": clf.prior_.mixture_.covariances_.copy(),
        "prior_.mixture_.precisions_cholesky_": clf.prior_.mixture_.precisions_cholesky_.copy(),
        "coef0": clf.coefs_[0].copy(),
        "classes_": clf.classes_.copy(),
        "mean_": whitener.mean_.copy(),
        "components_": whitener.components_.copy(),
        "scale_": pipe[0].scale_.copy(),
        "data_min_": whitener.data_min_.copy(),
        "data_max_": whitener.data_max_.copy(),
    }
    labels = np.array([3, 1, 4])
    labels_before = labels.copy()

    raw_bounds = (X.min(axis=0), X.max(axis=0))
    generate(pipe, 3, 5, random_state=0)
    generate(pipe, 3, 5, random_state=0, bounds=raw_bounds)
    pipe.inverse_transform(labels)
    inverse_transform(pipe, labels, bounds=raw_bounds)
    generate(pipe, labels[0], 2, random_state=0)

    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(y, y_before)
    np.testing.assert_array_equal(labels, labels_before)
    after = {
        "input_min_": clf.input_min_,
        "input_max_": clf.input_max_,
        "prior_.weights_": clf.prior_.weights_,
        "prior_.means_": clf.prior_.means_,
        "prior_.mixture_.covariances_": clf.prior_.mixture_.covariances_,
        "prior_.mixture_.precisions_cholesky_": clf.prior_.mixture_.precisions_cholesky_,
        "coef0": clf.coefs_[0],
        "classes_": clf.classes_,
        "mean_": whitener.mean_,
        "components_": whitener.components_,
        "scale_": pipe[0].scale_,
        "data_min_": whitener.data_min_,
        "data_max_": whitener.data_max_,
    }
    for key, value in state.items():
        np.testing.assert_array_equal(after[key], value, err_msg=key)


def test_pipeline_steps_are_checked_before_generating():
    # The step check needs no fitted model: it fails before any L-BFGS work.
    pipe = make_pipeline(Normalizer(), Whitener(n_components=20), _clf())
    with pytest.raises(TypeError, match="'normalizer' \\(Normalizer\\) has no inverse_transform"):
        generate(pipe, 0, 2)


def test_search_without_refit_explains(iris):
    X, y = iris
    search = GridSearchCV(_clf(prior="diagonal"), {"alpha": [0.1, 1.0]}, cv=2, refit=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X, y)
    with pytest.raises(ValueError, match="refit=False"):
        generate(search, 0, 2)
