"""The input prior: a Gaussian mixture fitted on X alone, its density and gradient."""

import numpy as np
import pytest
from scipy.optimize import check_grad
from sklearn.datasets import load_iris, make_blobs, make_moons

from sklearn_revnet import ReversibleMLPClassifier
from sklearn_revnet._posterior import prior_scale
from sklearn_revnet._prior import MIN_ROWS_PER_COMPONENT, fit_prior, log_prior, sample_prior


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
