"""The input prior: a Gaussian mixture fitted on X alone, its density and gradient."""

import warnings

import numpy as np
import pytest
from scipy.optimize import check_grad
from sklearn.datasets import load_iris, make_blobs, make_moons
from sklearn.mixture import GaussianMixture

from sklearn_revnet import ReversibleMLPClassifier
from sklearn_revnet._core import prior as prior_module
from sklearn_revnet._core.density import (
    log_prior,
    prior_scale,
    sample_components,
    sample_prior,
)
from sklearn_revnet._core.prior import (
    MAX_ROWS,
    MIN_ROWS_PER_COMPONENT,
    _systematic_resample,
    fit_prior,
)


def _scaled_blobs(n=600, seed=0):
    """Three blobs whose features live on very different scales."""
    X, _ = make_blobs(n, n_features=3, centers=3, random_state=seed)
    return X * np.array([1e-3, 1.0, 1e3]) + np.array([5.0, -2.0, 1e4])


@pytest.mark.parametrize("prior", [3, "diagonal"])
def test_log_prior_gradient_matches_finite_differences(prior):
    X = _scaled_blobs()
    gmm = fit_prior(X, prior=prior, random_state=0)
    scale = X.std(axis=0)
    rng = np.random.RandomState(1)
    for x in X[:3] + scale * rng.normal(size=(3, 3)):
        # in standardized coordinates, so that every feature's step is alike
        grad = log_prior(gmm, x[None])[1][0] * scale
        err = check_grad(
            lambda u: log_prior(gmm, (u * scale)[None])[0][0],
            lambda u: log_prior(gmm, (u * scale)[None])[1][0] * scale,
            x / scale,
            epsilon=1e-6,
        )
        assert err < 1e-6 * (1 + np.linalg.norm(grad))  # relative to the gradient


@pytest.mark.parametrize("prior", [3, "diagonal"])
def test_log_prior_is_the_mixtures_log_density(prior):
    X = _scaled_blobs()
    gmm = fit_prior(X, prior=prior, random_state=0)
    np.testing.assert_allclose(log_prior(gmm, X[:50])[0], gmm.score_samples(X[:50]), rtol=1e-8)


def test_prior_lives_in_the_coordinates_of_the_data():
    # Fitted on standardized features and mapped back: the mixture's overall
    # mean and standard deviation are the data's, feature by feature, even
    # where a feature's unit is a thousandth or a thousand.
    X = _scaled_blobs()
    clf = ReversibleMLPClassifier((4,), max_iter=20, random_state=0).fit(X, np.arange(600) % 2)
    weights = clf.prior_.weights_
    np.testing.assert_allclose(weights @ clf.prior_.means_, X.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(prior_scale(clf.prior_), X.std(axis=0), rtol=1e-3)
    # and a draw from it is spread like the data (not like its variance)
    draws = sample_prior(clf.prior_, 20_000, np.random.RandomState(0))
    np.testing.assert_allclose(draws.std(axis=0), X.std(axis=0), rtol=0.03)


def test_sample_prior_is_reproducible_and_has_the_mixture_moments():
    X = _scaled_blobs()
    gmm = fit_prior(X, prior=3, random_state=0)
    a = sample_prior(gmm, 30_000, np.random.RandomState(0))
    b = sample_prior(gmm, 30_000, np.random.RandomState(0))
    np.testing.assert_array_equal(a, b)
    w = gmm.weights_
    mean = w @ gmm.means_
    second = np.einsum(
        "k,kij->ij", w, gmm.covariances_ + np.einsum("ki,kj->kij", *[gmm.means_] * 2)
    )
    cov = second - np.outer(mean, mean)
    se = np.sqrt(np.diag(cov) / len(a))
    assert np.all(np.abs(a.mean(axis=0) - mean) < 4 * se)
    np.testing.assert_allclose(
        np.cov(a, rowvar=False), cov, rtol=0.05, atol=0.02 * np.abs(cov).max()
    )


def test_prior_is_fitted_without_labels():
    X, y = make_moons(400, noise=0.1, random_state=0)
    a = ReversibleMLPClassifier((8,), max_iter=30, random_state=0).fit(X, y).prior_
    b = ReversibleMLPClassifier((8,), max_iter=30, random_state=0).fit(X, 1 - y).prior_
    np.testing.assert_array_equal(a.means_, b.means_)
    np.testing.assert_array_equal(a.covariances_, b.covariances_)


def test_sample_weight_zero_drops_rows_and_integers_repeat_them():
    X, _ = make_blobs(300, centers=[[0, 0], [10, 10]], random_state=0)
    far = np.array([[100.0, -100.0]] * 30)
    weights = np.r_[np.ones(300), np.zeros(30)]
    gmm = fit_prior(np.vstack([X, far]), weights, prior=2, random_state=0)
    assert np.all(np.abs(gmm.means_) < 20)  # no component for the zero-weight rows
    # integer weights: like repeating the rows
    repeat = np.r_[np.full(150, 3), np.ones(150)].astype(int)
    order = np.argsort(X[:, 0])
    Xs = X[order]
    weighted = fit_prior(Xs, repeat.astype(float), prior=1, random_state=0)
    repeated = fit_prior(np.repeat(Xs, repeat, axis=0), prior=1, random_state=0)
    np.testing.assert_allclose(weighted.means_, repeated.means_, atol=0.15)


def test_auto_size_follows_the_data_and_keeps_enough_rows_per_component():
    X, _ = make_moons(600, noise=0.1, random_state=0)
    moons = fit_prior(X, random_state=0)
    assert 4 <= moons.n_components <= 600 // MIN_ROWS_PER_COMPONENT  # measured: 10
    iris = fit_prior(load_iris().data[:90], random_state=0)
    assert iris.n_components <= 90 // MIN_ROWS_PER_COMPONENT
    gaussian = fit_prior(np.random.RandomState(0).normal(size=(500, 3)), random_state=0)
    assert gaussian.n_components == 1


def test_diagonal_prior_is_one_diagonal_gaussian():
    X = _scaled_blobs()
    gmm = fit_prior(X, prior="diagonal", random_state=0)
    assert gmm.n_components == 1 and gmm.covariance_type == "diag"
    np.testing.assert_allclose(gmm.means_[0], X.mean(axis=0))
    np.testing.assert_allclose(np.sqrt(gmm.covariances_[0]), X.std(axis=0), rtol=1e-4)


def test_prior_survives_one_row_and_constant_features():
    one = fit_prior(np.array([[1.0, 2.0, 3.0]]), random_state=0)
    np.testing.assert_allclose(one.means_[0], [1, 2, 3])
    X = np.c_[np.random.RandomState(0).normal(size=(100, 2)), np.full(100, 7.0)]
    gmm = fit_prior(X, random_state=0)
    assert np.all(np.isfinite(gmm.score_samples(X)))
    np.testing.assert_allclose(gmm.means_[:, 2], 7.0)


def test_sparse_input_gets_the_same_prior():
    import scipy.sparse as sp

    X = np.abs(_scaled_blobs(200))
    dense = fit_prior(X, prior=2, random_state=0)
    sparse = fit_prior(sp.csr_matrix(X), prior=2, random_state=0)
    np.testing.assert_allclose(sparse.means_, dense.means_)


@pytest.mark.parametrize("prior", [3, "diagonal"])
def test_prior_is_equivariant_under_affine_maps_of_the_data(prior):
    # Fitted on standardized features, the prior of c * X + b is the prior of
    # X mapped by the same affine map: means c * mu + b, covariances c^2 Sigma
    # and log-densities shifted by -d log|c|. Standardizing by anything but
    # the standard deviation (the variance, say) breaks this: the mixture's
    # reg_covar acts in standardized units.
    X = _scaled_blobs()
    ref = fit_prior(X, prior=prior, random_state=0)
    b = np.array([1.0, -3.0, 2.0])
    unit = np.outer(X.std(axis=0), X.std(axis=0))  # covariances in these units
    for c in (1e-3, 1e3):
        gmm = fit_prior(c * X + b, prior=prior, random_state=0)
        np.testing.assert_allclose(gmm.weights_, ref.weights_, rtol=1e-9)
        # measured: 1e-12 of a standard deviation, covariances 2e-10 relative
        np.testing.assert_allclose(
            (gmm.means_ - b) / c / X.std(axis=0), ref.means_ / X.std(axis=0), atol=1e-9
        )
        cov, ref_cov = gmm.covariances_ / c**2, ref.covariances_
        unit_ = np.diag(unit) if prior == "diagonal" else unit
        np.testing.assert_allclose(cov / unit_, ref_cov / unit_, atol=1e-8)
        # measured: 1e-9
        np.testing.assert_allclose(
            log_prior(gmm, c * X + b)[0], log_prior(ref, X)[0] - 3 * np.log(c), atol=1e-6
        )


def test_diagonal_prior_with_a_constant_feature():
    # the constant feature keeps its value and gets the variance floor
    # reg_covar (1e-6 in its own unit), the others their mean and variance
    rng = np.random.RandomState(0)
    X = np.c_[rng.normal(3.0, 2.0, size=200), np.full(200, -4.0)]
    gmm = fit_prior(X, prior="diagonal", random_state=0)
    np.testing.assert_allclose(gmm.means_[0], [X[:, 0].mean(), -4.0], rtol=1e-12)
    np.testing.assert_allclose(gmm.covariances_[0], [X[:, 0].var() * (1 + 1e-6), 1e-6], rtol=1e-9)


def test_systematic_resample_draws_rows_in_proportion_to_their_weight():
    # n * w_i / sum(w) is a whole number for every row here, so every row is
    # drawn exactly that often, whatever the random offset
    weights = np.array([1.0, 0.0, 3.0, 0.0, 0.0, 4.0, 12.0])
    for seed in range(5):
        rows = _systematic_resample(weights, 20, np.random.RandomState(seed))
        np.testing.assert_array_equal(np.bincount(rows, minlength=7), [1, 0, 3, 0, 0, 4, 12])


@pytest.mark.parametrize("prior", [3, "diagonal"])
def test_sample_components_draws_each_component(prior):
    X = _scaled_blobs()
    gmm = fit_prior(X, prior=prior, random_state=0)
    draws = sample_components(gmm, 20_000, np.random.RandomState(0))
    assert draws.shape == (gmm.n_components, 20_000, 3)
    for k, sample in enumerate(draws):
        cov = gmm.covariances_[k] if prior == 3 else np.diag(gmm.covariances_[k])
        sd = np.sqrt(np.diag(cov))
        # means within 4 standard errors, covariances within 5% of the scale
        assert np.all(np.abs(sample.mean(axis=0) - gmm.means_[k]) < 4 * sd / np.sqrt(20_000))
        np.testing.assert_allclose(
            np.cov(sample, rowvar=False) / np.outer(sd, sd), cov / np.outer(sd, sd), atol=0.05
        )


@pytest.mark.parametrize("prior", [3, "diagonal"])
def test_sample_prior_draws_from_each_covariance_type(prior):
    X = _scaled_blobs()
    gmm = fit_prior(X, prior=prior, random_state=0)
    draws = sample_prior(gmm, 30_000, np.random.RandomState(0))
    # the mixture's overall mean and per-feature spread: 4 standard errors,
    # and 3% of the spread (measured: under 1%)
    mean = gmm.weights_ @ gmm.means_
    sd = prior_scale(gmm)
    assert np.all(np.abs(draws.mean(axis=0) - mean) < 4 * sd / np.sqrt(len(draws)))
    np.testing.assert_allclose(draws.std(axis=0), sd, rtol=0.03)


def test_log_prior_far_from_the_data_is_finite_then_minus_infinity():
    X = _scaled_blobs()
    gmm = fit_prior(X, prior=3, random_state=0)
    far = X.mean(axis=0) + 60 * X.std(axis=0)  # log-density about -1e3 to -1e4
    beyond = np.full(3, 1e200)  # squares overflow: density 0
    farther = np.full(3, 1e308)  # the product with the precision overflows too
    for prior in (gmm, fit_prior(X, prior="diagonal", random_state=0)):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # all are expected, and silent
            log_p, grad = log_prior(prior, np.vstack([far, beyond, farther]))
        assert np.isfinite(log_p[0]) and log_p[0] < -500
        np.testing.assert_allclose(log_p[0], prior.score_samples(far[None])[0], rtol=1e-9)
        np.testing.assert_array_equal(log_p[1:], [-np.inf, -np.inf])


def test_log_prior_computes_in_float64_whatever_the_input():
    X = _scaled_blobs()
    gmm = fit_prior(X, prior=3, random_state=0)
    X32 = X[:50].astype(np.float32)
    np.testing.assert_allclose(
        log_prior(gmm, X32)[0], log_prior(gmm, X32.astype(np.float64))[0], rtol=1e-13
    )
    # wider or untyped inputs (object arrays, as from a mixed data frame) too
    expected = log_prior(gmm, X[:50])
    for X_other in (X[:50].astype(np.longdouble), X[:50].astype(object)):
        log_p, grad = log_prior(gmm, X_other)
        assert log_p.dtype == grad.dtype == np.float64
        np.testing.assert_array_equal(log_p, expected[0])
        np.testing.assert_array_equal(grad, expected[1])


def test_systematic_resample_sums_weights_in_float64():
    # a million float32 weights: float32 running sums drift by whole rows
    weights = np.random.RandomState(0).uniform(size=1_000_000).astype(np.float32)
    a = _systematic_resample(weights, 2000, np.random.RandomState(0))
    b = _systematic_resample(weights.astype(np.float64), 2000, np.random.RandomState(0))
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("prior", [2, "diagonal"])
def test_prior_parameters_are_consistent_in_the_coordinates_of_the_data(prior):
    # Two distant blobs of 300 and 100 rows, on scales a million apart: the
    # components sit on the blobs (in the data's units), and every parameter
    # scikit-learn keeps (means, covariances, precisions and their Cholesky
    # factors) is mapped back alike, so that each is the others' counterpart.
    centers = np.array([[0.0, 0.0], [20.0, 20.0]])
    X, labels = make_blobs([300, 100], centers=centers, random_state=0)
    X = X * [1e-3, 1e3] + [2.0, -7.0]
    gmm = fit_prior(X, prior=prior, random_state=0)
    if prior == 2:
        order = np.argsort(gmm.means_[:, 0])
        blob_means = [X[labels == k].mean(axis=0) for k in range(2)]
        np.testing.assert_allclose(gmm.means_[order], blob_means, rtol=1e-6)
        covariances = gmm.covariances_
    else:
        np.testing.assert_allclose(gmm.means_[0], X.mean(axis=0), rtol=1e-12)
        covariances = np.array([np.diag(c) for c in gmm.covariances_])
    precisions = gmm.precisions_ if prior == 2 else [np.diag(p) for p in gmm.precisions_]
    chol = (
        gmm.precisions_cholesky_ if prior == 2 else [np.diag(c) for c in gmm.precisions_cholesky_]
    )
    for cov, precision, factor in zip(covariances, precisions, chol):
        np.testing.assert_allclose(precision @ cov, np.eye(2), atol=1e-9)
        np.testing.assert_allclose(factor @ factor.T, precision, rtol=1e-9)


def test_prior_of_many_rows_is_fitted_on_a_resample_of_them(monkeypatch):
    # 5000 rows: the fit sees 2000 of them, each at most once (equal weights),
    # spread over all the rows, so the prior still has the data's moments
    # (a fit on the first rows only would miss the second half's shift).
    fitted = []

    class Recording(GaussianMixture):
        def fit(self, X, y=None):
            fitted.append(X)
            return super().fit(X, y)

    monkeypatch.setattr(prior_module, "GaussianMixture", Recording)
    rng = np.random.RandomState(0)
    X = np.r_[rng.normal(size=(2500, 2)), rng.normal(size=(2500, 2)) + 3.0]
    gmm = fit_prior(X, prior=1, random_state=0)
    [U] = fitted
    assert len(U) == MAX_ROWS == 2000 and len(np.unique(U, axis=0)) == 2000
    # 3 standard errors of a mean of 2000 of the rows; measured 0.01
    np.testing.assert_allclose(gmm.means_[0], X.mean(axis=0), atol=3 * 1.8 / np.sqrt(2000))
    np.testing.assert_allclose(np.diag(gmm.covariances_[0]), X.var(axis=0), rtol=0.1)


def test_prior_of_float32_data_is_float64():
    X = _scaled_blobs()
    ref = fit_prior(X, prior=2, random_state=0)
    gmm = fit_prior(X.astype(np.float32), prior=2, random_state=0)
    for name in ("means_", "covariances_", "precisions_cholesky_"):
        assert getattr(gmm, name).dtype == np.float64
    np.testing.assert_allclose(gmm.means_, ref.means_, rtol=1e-5)


def test_auto_prior_of_few_rows_is_one_gaussian():
    # 70 rows of two well-separated blobs: fewer than 2 x 40, so one component
    X, _ = make_blobs(70, centers=[[0, 0], [20, 20]], random_state=0)
    assert fit_prior(X, random_state=0).n_components == 1
