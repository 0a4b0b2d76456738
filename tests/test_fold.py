"""Back through a pipeline: raw-space bounds, dropped directions, affine checks."""

import sys
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_selection import SelectKBest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    MinMaxScaler,
    StandardScaler,
)

from sklearn_revnet import (
    ReversibleMLPClassifier,
    Whitener,
    counterfactual,
    generate,
    inverse_transform,
)
from sklearn_revnet._reverse.pipeline.fold import RawSpace


def _fit(pipe, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return pipe.fit(X, y)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:900], y[:900]


@pytest.fixture(scope="module")
def whitener_pipe(digits):
    clf = ReversibleMLPClassifier((32,), max_iter=100, random_state=0)
    return _fit(make_pipeline(Whitener(n_components=20), clf), *digits)


@pytest.fixture(scope="module")
def pca_pipe(digits):
    clf = ReversibleMLPClassifier((32,), max_iter=100, random_state=0)
    return _fit(make_pipeline(PCA(20, whiten=True, random_state=0), clf), *digits)


def test_whitener_pipeline_generates_pixels_in_the_training_range(whitener_pipe, digits):
    X, _ = digits
    samples = generate(whitener_pipe, 3, n=200, random_state=0)
    assert np.all((samples >= X.min(axis=0)) & (samples <= X.max(axis=0)))
    assert np.mean(whitener_pipe.predict(samples) == 3) >= 0.95
    # without raw bounds, the whitened space leaves the pixel range
    unbounded = generate(whitener_pipe, 3, n=200, random_state=0, bounds=None)
    assert np.mean((unbounded < 0) | (unbounded > 16)) > 0.05


def test_pca_records_no_range_so_bounds_are_passed(pca_pipe, digits):
    X, _ = digits
    samples = generate(pca_pipe, 5, n=100, random_state=0, bounds=(0, 16))
    assert samples.min() >= 0 and samples.max() <= 16
    assert np.mean(pca_pipe.predict(samples) == 5) >= 0.95


def test_projection_leaves_the_network_view_alone_where_it_can(pca_pipe, digits):
    # A real digit's whitened coordinates have an in-range preimage (the digit),
    # so they come back to raw pixels that map to exactly those coordinates.
    X, _ = digits
    raw = RawSpace(pca_pipe.steps[:-1], (X.min(axis=0), X.max(axis=0)))
    Z = pca_pipe[0].transform(X[:50])
    back = raw.back(Z)
    assert np.all((back >= X.min(axis=0)) & (back <= X.max(axis=0)))
    # measured: within 2.3e-3 in whitened units, where the data spread 1
    np.testing.assert_allclose(pca_pipe[0].transform(back), Z, atol=5e-3)


def test_projection_moves_infeasible_samples_the_least(pca_pipe, digits):
    # Far outside what any in-range image maps to, a sample moves to the
    # nearest point the bounds allow: nearer than any training digit is.
    X, _ = digits
    raw = RawSpace(pca_pipe.steps[:-1], (X.min(axis=0), X.max(axis=0)))
    Z = pca_pipe[0].transform(X[:20]) * 3
    moved = pca_pipe[0].transform(raw.back(Z))
    train = pca_pipe[0].transform(X)
    nearest = np.min(np.linalg.norm(Z[:, None] - train[None], axis=2), axis=1)
    assert np.all(np.linalg.norm(moved - Z, axis=1) <= nearest)


def test_dropped_directions_are_filled_with_the_pca_noise(pca_pipe, digits):
    X, _ = digits
    pca = pca_pipe[0]
    samples = generate(pca_pipe, 0, n=300, random_state=0, bounds=None)
    residual = (samples - pca.mean_) - (samples - pca.mean_) @ pca.components_.T @ pca.components_
    variance = np.sum(residual**2, axis=1).mean() / (X.shape[1] - pca.n_components_)
    np.testing.assert_allclose(variance, pca.noise_variance_, rtol=0.1)


def test_minmax_scaler_records_the_range(digits):
    X, y = digits
    pipe = _fit(make_pipeline(MinMaxScaler(), ReversibleMLPClassifier((16,), max_iter=50)), X, y)
    samples = generate(pipe, 1, n=50, random_state=0)
    assert np.all((samples >= X.min(axis=0)) & (samples <= X.max(axis=0)))


def test_standard_scaler_bounds_through_the_classifier():
    # A per-feature scaler records no range, but the classifier's own bounds
    # are the same box, up to the rounding of the scaler's inverse (about
    # 1e-16 relative): breast-cancer areas stay positive.
    X, y = load_breast_cancer(return_X_y=True)
    clf = ReversibleMLPClassifier((16,), max_iter=200, random_state=0)
    pipe = _fit(make_pipeline(StandardScaler(), clf), X, y)
    for label in (0, 1):
        samples = generate(pipe, label, n=200, random_state=0)
        lo, hi = X.min(axis=0), X.max(axis=0)
        slack = 1e-12 * np.maximum(np.abs(lo), np.abs(hi))
        assert np.all((samples >= lo - slack) & (samples <= hi + slack))


def test_inverse_transform_function_is_bounded_and_deterministic(whitener_pipe, digits):
    X, _ = digits
    a = inverse_transform(whitener_pipe, [0, 1, 2, 7])
    np.testing.assert_array_equal(a, inverse_transform(whitener_pipe, [0, 1, 2, 7]))
    assert np.all((a >= X.min(axis=0)) & (a <= X.max(axis=0)))
    np.testing.assert_array_equal(whitener_pipe.predict(a), [0, 1, 2, 7])


def test_non_affine_step_with_bounds_raises_and_works_without(digits):
    X, y = digits
    log = FunctionTransformer(np.log1p, inverse_func=np.expm1)
    pipe = _fit(make_pipeline(log, ReversibleMLPClassifier((8,), max_iter=30)), X, y)
    with pytest.raises(ValueError, match="not affine"):
        generate(pipe, 1, n=5, random_state=0, bounds=(0, 16))
    assert generate(pipe, 1, n=5, random_state=0).shape == (5, 64)


def test_feature_selection_warns_that_dropped_features_are_unknown(digits):
    X, y = digits
    pipe = make_pipeline(SelectKBest(k=20), ReversibleMLPClassifier((8,), max_iter=30))
    _fit(pipe, X, y)
    with pytest.warns(UserWarning, match="selectkbest.*keeps 20 of its 64") as record:
        generate(pipe, 1, n=5, random_state=0)
    assert str(record[0].message) == (
        "Pipeline step 'selectkbest' (SelectKBest) keeps 20 of its 64 input features: the "
        "network never sees the others, so the samples hold whatever that step's "
        "inverse_transform puts there (a constant). Treat those columns as unknown."
    )


@pytest.mark.parametrize(
    "bounds, message",
    [
        ((16, 0), "bounds must satisfy lo <= hi for every raw feature (no NaN)."),
        ((0, 8, 16), "bounds must be 'auto', None or a pair (lo, hi); got 3 items."),
        (
            ([0, 0], 16),
            "bounds lo must be a number or have one entry per raw feature (64); got shape (2,).",
        ),
    ],
    ids=["order", "pair", "length"],
)
def test_bad_raw_bounds_raise(whitener_pipe, bounds, message):
    with pytest.raises(ValueError) as error:
        generate(whitener_pipe, 1, bounds=bounds)
    assert str(error.value) == message


def _record(call):
    """The warnings about unknown raw-space bounds that ``call()`` emits."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    return [w for w in caught if "raw-space bounds are unknown" in str(w.message)]


def test_unknown_raw_bounds_warn_once_per_call(pca_pipe, digits):
    # scikit-learn's PCA records no input range and mixes the pixels: the
    # rows that come back may leave [0, 16], and each call says so once,
    # pointing at the caller and naming the two fixes.
    X, _ = digits
    calls = {
        "generate": lambda: generate(pca_pipe, 3, n=50, random_state=0),
        "inverse_transform": lambda: inverse_transform(pca_pipe, [0, 1]),
        "counterfactual": lambda: counterfactual(pca_pipe, X[:3], target=8),
    }
    for name, call in calls.items():
        caught = _record(call)
        assert len(caught) == 1, (name, [str(w.message) for w in caught])
        assert str(caught[0].message) == (
            "The raw-space bounds are unknown: the first pipeline step 'pca' (PCA) records "
            "no range of its inputs and mixes the features, so the returned rows may leave "
            "the data's range. Pass bounds=(lo, hi) (for example X_train.min(axis=0), "
            "X_train.max(axis=0)), or make sklearn_revnet.Whitener the first step: it "
            "records the training range."
        )
        if "mutmut" not in sys.modules:  # mutation testing adds a frame
            assert caught[0].filename == __file__, (name, caught[0].filename)
    # they do leave it: this is what the warning is for
    samples = generate(pca_pipe, 3, n=50, random_state=0, bounds=None)
    assert np.mean((samples < 0) | (samples > 16)) > 0.05


def test_known_raw_bounds_do_not_warn(pca_pipe, whitener_pipe, digits):
    X, y = digits
    # The warning is about the first step, not the prior: the cheapest prior
    # (the default one's search on these 64 features took 5 of the test's 12 s)
    clf = ReversibleMLPClassifier((8,), max_iter=30, prior="diagonal")
    scaled = _fit(make_pipeline(StandardScaler(), clf), X, y)
    cases = [
        (pca_pipe, {"bounds": (0, 16)}),  # given
        (pca_pipe, {"bounds": None}),  # no bounds, asked for
        (whitener_pipe, {}),  # recorded by the first step
        (scaled, {}),  # feature by feature: the classifier's bounds hold
    ]
    for pipe, kwargs in cases:
        calls = [
            lambda: generate(pipe, 3, n=20, random_state=0, **kwargs),
            lambda: inverse_transform(pipe, [0, 1], **kwargs),
            lambda: counterfactual(pipe, X[:2], target=8, **kwargs),
        ]
        for call in calls:
            assert _record(call) == [], kwargs
