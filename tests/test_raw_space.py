"""RawSpace on small steps, no classifier fit: the affine map, the mixing rule,
the dropped directions, the raw posterior and its mode."""

import warnings

import numpy as np
import pytest
from _linear import linear_classifier, mixture
from _tolerance import assert_within
from sklearn.cluster import FeatureAgglomeration
from sklearn.datasets import load_iris
from sklearn.decomposition import PCA, TruncatedSVD
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_selection import SelectKBest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    MinMaxScaler,
    PowerTransformer,
    RobustScaler,
    StandardScaler,
)

from sklearn_revnet import ReversibleMLPClassifier, generate, inverse_transform
from sklearn_revnet._reverse.pipeline.fold import (
    RawPosterior,
    RawSpace,
    affine_map,
    project_rows,
)
from sklearn_revnet._reverse.targets import posterior_of


def _fit(pipe, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return pipe.fit(X, y)


def _record(call):
    """The warnings about unknown raw-space bounds that ``call()`` emits."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    return [w for w in caught if "raw-space bounds are unknown" in str(w.message)]


def test_the_raw_mode_stays_near_what_pca_keeps_when_a_bound_cuts_it_off():
    # 2-D data along (1, 1), PCA keeps that direction (noise variance 0.0095
    # across it); the unconstrained mode of label 1 is beyond the bound
    # x_0 <= 0.3. Moving across the kept direction costs the Gaussian of the
    # noise variance, so the mode stays within 3 noise standard deviations of
    # it (measured: 0.8 of one), not at the far end (6 of them, with a weak pull).
    rng = np.random.RandomState(0)
    along, across = np.array([1.0, 1.0]) / np.sqrt(2), np.array([1.0, -1.0]) / np.sqrt(2)
    X = rng.normal(size=(500, 1)) * 1.5 * along + rng.normal(size=(500, 1)) * 0.1 * across
    pca = PCA(1).fit(X)
    clf = linear_classifier([[5.0]], [-2.0], mixture([1.0], [[0.0]], [[1.0]]))
    mode = inverse_transform(make_pipeline(pca, clf), [1], bounds=([-3.0, -3.0], [0.3, 3.0]))
    assert mode[0, 0] <= 0.3 and clf.predict(pca.transform(mode)) == [1]
    assert abs((mode - pca.mean_) @ across) <= 3 * np.sqrt(pca.noise_variance_)


def test_the_projection_reaches_feasible_images_at_the_accelerated_rate():
    # 300 iterations of accelerated projected gradient with restart bring
    # each feasible image to within 1.3e-5 (measured) on this problem of
    # condition number 400; the same iterations leave 1.4e-3 without restart
    # and 3.5e-2 without momentum (other momentum schedules of the same rate
    # reach 1.1e-5 to 1.8e-5).
    rng = np.random.RandomState(1)
    U = np.linalg.qr(rng.normal(size=(4, 4)))[0]
    V = np.linalg.qr(rng.normal(size=(3, 3)))[0]
    A = U[:, :3] @ np.diag([1.0, 0.3, 0.05]) @ V.T
    c = rng.normal(size=3)
    lo, hi = -np.ones(4), np.ones(4)
    Z = rng.uniform(-1, 1, size=(8, 4)) @ A + c  # images of rows in the box
    X0 = rng.uniform(-2, 2, size=(8, 4))  # reconstructions, some outside it
    X = project_rows(X0, Z, A, c, lo, hi, eps=1e-4 * 0.05**2)
    assert np.all((X >= lo) & (X <= hi))
    assert_within(np.abs(X @ A + c - Z), 5e-5, "max |x A + c - z|")


def test_a_reconstruction_inside_the_bounds_comes_back_as_it_is():
    # PCA keeps one of two directions, the data centred at (5, 3): a row on
    # the kept line and inside the bounds is already the nearest preimage
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 2)) * [2.0, 0.3] @ [[0.8, 0.6], [-0.6, 0.8]] + [5.0, 3.0]
    pca = PCA(1).fit(X)
    lo, hi = X.min(axis=0), X.max(axis=0)
    rows = pca.inverse_transform(pca.transform(X[:40]))
    rows = rows[np.all((rows >= lo) & (rows <= hi), axis=1)]
    assert len(rows) >= 30
    back = RawSpace([("pca", pca)], (lo, hi)).back(pca.transform(rows))
    np.testing.assert_allclose(back, rows, rtol=0, atol=1e-12)  # measured: 1.8e-15


def test_a_dropped_feature_comes_back_at_the_bound_nearest_its_reconstruction():
    # SelectKBest drops feature 1 and brings it back as 0: of the raw rows
    # that map to the same kept features, the one nearest that is on the
    # lower bound 1 of feature 1, exactly.
    X = np.random.RandomState(0).uniform(1, 3, size=(60, 3))
    select = SelectKBest(k=2).fit(X, (X[:, 0] > 2).astype(int))
    assert select.get_support().tolist() == [True, False, True]
    with pytest.warns(UserWarning, match="keeps 2 of its 3"):
        raw = RawSpace([("select", select)], (X.min(axis=0), X.max(axis=0)))
    back = raw.back(select.transform(X[:5]))
    np.testing.assert_array_equal(back[:, 1], X[:, 1].min())


def test_the_raw_posterior_is_a_gaussian_along_the_dropped_directions():
    # Along a direction PCA drops, the posterior seen from the raw features
    # is a Gaussian of PCA's noise variance around the reconstruction of the
    # prior's mean: t away from it, the log-density falls by t^2 / (2 var).
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 4)) * [3.0, 2.0, 0.3, 0.2] + [1.0, -2.0, 0.5, 4.0]
    pca = PCA(2).fit(X)
    variance = pca.noise_variance_  # 0.061: its square root would differ
    raw = RawSpace([("pca", pca)], (X.min(axis=0) - 5, X.max(axis=0) + 5))
    prior = mixture([0.3, 0.7], [[-1.0, 0.5], [2.0, -1.0]], [[1.0, 2.0], [0.5, 1.0]])
    clf = linear_classifier([[1.0], [-0.5]], [0.2], prior)
    posterior = RawPosterior(posterior_of(clf, np.ones((1, 1))), raw, variance)
    centre = pca.inverse_transform((prior.weights_ @ prior.means_)[None])[0]
    dropped = np.linalg.svd(pca.components_)[2][2:]  # unit rows, orthogonal to the kept
    t = np.array([0.7, -1.3])
    value = posterior(np.vstack([centre, centre + t[:, None] * dropped]))[0]
    # measured: 3e-16 relative
    np.testing.assert_allclose(value[1:] - value[0], -(t**2) / (2 * variance), rtol=1e-9)
    # the Gaussian is part of the prior: it takes the prior's weight
    posterior.prior_weight = 0.5
    value = posterior(np.vstack([centre, centre + t[:, None] * dropped]))[0]
    np.testing.assert_allclose(value[1:] - value[0], -(t**2) / (4 * variance), rtol=1e-9)
    posterior.prior_weight = 1.0
    # and its gradient, against finite differences, off the centre
    rows = centre + rng.normal(size=(3, 4))
    gradient, numeric, h = posterior(rows)[1], np.empty((3, 4)), 1e-6
    for j, step in enumerate(np.eye(4) * h):
        numeric[:, j] = (posterior(rows + step)[0] - posterior(rows - step)[0]) / (2 * h)
    # measured: 1.2e-9 apart, the gradient up to 11
    np.testing.assert_allclose(gradient, numeric, rtol=1e-6, atol=1e-6)
    # its weights are the posterior's
    posterior.weight = 3.0
    assert posterior.weight == posterior.posterior.weight == 3.0


def test_probability_rows_are_matched_within_raw_bounds():
    # a MinMaxScaler records the range: the raw mode of a probability row
    # (continuation and polish, through the steps) matches a reachable row
    X, y = load_iris(return_X_y=True)
    clf = ReversibleMLPClassifier((10,), random_state=0)
    pipe = _fit(make_pipeline(MinMaxScaler(), clf), X, y)
    draws = np.random.RandomState(0).uniform(X.min(axis=0), X.max(axis=0), size=(2000, 4))
    proba = pipe.predict_proba(draws)
    targets = proba[proba.max(axis=1) < 0.95][:4]
    answers = inverse_transform(pipe, targets)
    assert np.all((answers >= X.min(axis=0)) & (answers <= X.max(axis=0)))
    error = np.abs(pipe.predict_proba(answers) - targets)
    assert_within(error, 5e-5, "max |proba - target|")  # measured: 8.1e-10


@pytest.mark.parametrize("side", ["both", "lower", "upper", "none", "point"])
def test_the_affine_map_of_a_scaler_whatever_its_bounds(side):
    X, _ = load_iris(return_X_y=True)
    scaler = StandardScaler().fit(X)
    lo, hi, inf = X.min(axis=0), X.max(axis=0), np.full(4, np.inf)
    lo, hi = {
        "both": (lo, hi),
        "lower": (lo, inf),
        "upper": (-inf, hi),
        "none": (-inf, inf),
        "point": (lo, lo),
    }[side]
    A, c = affine_map([("scale", scaler)], lo, hi)
    # measured: 2e-16 apart
    np.testing.assert_allclose(A, np.diag(1 / scaler.scale_), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(c, -scaler.mean_ / scaler.scale_, rtol=1e-12)


def test_a_step_affine_on_the_bounds_alone_is_affine_there():
    # MinMaxScaler(clip=True) clips outside the training range: within it,
    # where the raw rows stay, it is affine (one feature spans 0.24)
    X = load_iris().data * [1.0, 1.0, 1.0, 0.1] + 2.0
    scaler = MinMaxScaler(clip=True).fit(X)
    A, c = affine_map([("scale", scaler)], X.min(axis=0), X.max(axis=0))
    np.testing.assert_allclose(X @ A + c, scaler.transform(X), atol=1e-12)  # measured: 4e-16
    # |x| is x where x >= 1, the one bound: the map is probed there
    magnitude = FunctionTransformer(np.abs, inverse_func=np.asarray).fit(X)
    A, c = affine_map([("abs", magnitude)], np.ones(4), np.full(4, np.inf))
    np.testing.assert_array_equal(A, np.eye(4))
    np.testing.assert_array_equal(c, np.zeros(4))


def test_steps_that_are_not_affine_are_named():
    X, _ = load_iris(return_X_y=True)
    steps = [
        ("log", FunctionTransformer(np.log1p, inverse_func=np.expm1).fit(X)),
        ("scale", StandardScaler().fit(np.log1p(X))),
    ]
    with pytest.raises(ValueError) as error:
        affine_map(steps, X.min(axis=0), X.max(axis=0))
    assert str(error.value) == (
        "The pipeline steps before the classifier ('log', 'scale') are not affine, so "
        "raw-space bounds cannot be enforced through them; pass bounds=None."
    )


@pytest.mark.parametrize(
    "step, mixes",
    [
        (StandardScaler(), False),
        (RobustScaler(), False),
        (PowerTransformer(), False),
        (make_pipeline(StandardScaler(), PowerTransformer()), False),
        (PCA(), True),
        (PCA(whiten=True), True),
        (FeatureAgglomeration(n_clusters=3), True),  # outputs: means of 2, 1 and 1 features
    ],
    ids=["standard", "robust", "power", "standard-power", "pca", "pca-whiten", "pooling"],
)
def test_unknown_raw_bounds_warn_for_steps_that_mix_the_features(step, mixes):
    # with no recorded range (bounds="auto", the default), only steps whose
    # outputs each depend on several raw features leave the raw box unknown
    # (per-feature steps keep the classifier's bounds); typical inputs far
    # from 0 too
    X, _ = load_iris(return_X_y=True)
    steps = [("step", step.fit(X))]
    typical = step.transform(X[::30]) + 3.0
    caught = _record(lambda: RawSpace(steps, typical=typical))
    assert len(caught) == mixes


def test_bounds_as_one_array_of_two_rows():
    X, _ = load_iris(return_X_y=True)
    steps = [("scale", StandardScaler().fit(X))]
    pair = RawSpace(steps, (X.min(axis=0), X.max(axis=0)))
    rows = RawSpace(steps, np.array([X.min(axis=0), X.max(axis=0)]))
    np.testing.assert_array_equal(rows.lo, pair.lo)
    np.testing.assert_array_equal(rows.hi, pair.hi)


def test_pca_fills_what_it_drops_with_its_noise_variance_and_no_warning():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 4)) * [3.0, 2.0, 0.3, 0.2]
    pca = PCA(2).fit(X)  # noise variance 0.061: below 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # PCA models what it drops: no warning
        raw = RawSpace([("pca", pca)], None)
    Z = np.zeros((4000, 2))
    residual = raw.back(Z, np.random.RandomState(0)) - pca.inverse_transform(Z)
    variance = np.mean(np.sum(residual**2, axis=1)) / 2  # two dropped directions
    np.testing.assert_allclose(variance, pca.noise_variance_, rtol=0.05)  # 3 standard errors


def test_generated_rows_through_a_pca_have_its_noise_where_it_drops():
    # generate, through the pipeline: the dropped directions of the samples
    # get PCA's noise variance, as a PCA's model of the data has them
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 4)) * [3.0, 2.0, 0.3, 0.2]
    y = (X[:, 0] > 0).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipe = make_pipeline(PCA(2), ReversibleMLPClassifier((4,), random_state=0)).fit(X, y)
    samples = generate(pipe, 1, n=2000, bounds=(-np.inf, np.inf), random_state=0)
    pca = pipe[0]
    dropped = samples - pca.inverse_transform(pca.transform(samples))
    variance = np.mean(np.sum(dropped**2, axis=1)) / 2  # two dropped directions
    # measured 0.976 to 1.018 of it over 5 seeds; 4000 squares: a standard error of 2.2%
    np.testing.assert_allclose(variance, pca.noise_variance_, rtol=0.1)


def test_truncated_svd_has_no_model_of_what_it_drops():
    # it has components_ but no noise_variance_: the dropped directions are
    # named in a warning and left at the reconstruction
    X, _ = load_iris(return_X_y=True)
    svd = TruncatedSVD(2, random_state=0).fit(X)
    with pytest.warns(UserWarning, match="'svd' \\(TruncatedSVD\\) keeps 2 of its 4"):
        raw = RawSpace([("svd", svd)], None)
    Z = svd.transform(X[:5])
    np.testing.assert_array_equal(raw.back(Z, np.random.RandomState(0)), raw.back(Z))


@pytest.mark.parametrize("bounded", [True, False], ids=["bounded", "unbounded"])
def test_the_image_of_raw_rows_is_the_steps_transform(bounded):
    # with raw bounds through the affine map, without them through the
    # steps' transform: the classifier's inputs either way (offset included)
    rng = np.random.RandomState(0)
    X = rng.normal(size=(50, 3)) * [2.0, 0.5, 3.0] + [10.0, -4.0, 1.0]
    scaler = StandardScaler().fit(X)
    pca = PCA(3).fit(scaler.transform(X))
    steps = [("scale", scaler), ("pca", pca)]
    bounds = (X.min(axis=0), X.max(axis=0)) if bounded else None
    raw = RawSpace(steps, bounds)
    assert (raw.lo is not None) == bounded
    expected = pca.transform(scaler.transform(X[:5]))
    np.testing.assert_allclose(raw.image(X[:5]), expected, rtol=1e-10, atol=1e-10)
