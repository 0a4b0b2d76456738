"""The input prior: a Gaussian mixture of per-feature maps of X, fitted on X alone.

Its density in the coordinates of the data (with the map's Jacobian), the
density's gradient and integral, its draws, and how the rows and their
weights shape the fit.
"""

import functools
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from _tolerance import assert_within
from scipy import integrate, stats
from scipy.optimize import check_grad
from sklearn.datasets import load_breast_cancer, make_blobs, make_moons
from sklearn.mixture import GaussianMixture

from sklearn_revnet import ReversibleMLPClassifier
from sklearn_revnet._core.density import (
    log_prior,
    prior_scale,
    sample_components,
    sample_prior,
)
from sklearn_revnet._core.marginal import YeoJohnson
from sklearn_revnet._core.prior import (
    MAX_ROWS,
    InputPrior,
    _systematic_resample,
    fit_prior,
)
from sklearn_revnet._core.prior_search import fit_mixture


def _scaled_blobs(n=600, seed=0):
    """Three blobs whose features live on very different scales."""
    X, _ = make_blobs(n, n_features=3, centers=3, random_state=seed)
    return X * np.array([1e-3, 1.0, 1e3]) + np.array([5.0, -2.0, 1e4])


def _cancer():
    """150 rows of four right-skewed breast cancer features, standardized."""
    X = load_breast_cancer().data[:150, [0, 3, 13, 23]]
    return (X - X.mean(axis=0)) / X.std(axis=0)


def _lognormal(n=200, seed=0):
    """One right-skewed feature: lognormal draws."""
    return np.random.RandomState(seed).lognormal(size=(n, 1))


def _skewed(n=200, seed=0):
    """Two correlated right-skewed features, in units a million apart."""
    A = np.random.RandomState(seed).normal(size=(n, 2)) @ np.array([[0.8, 0.0], [0.5, 0.6]])
    return np.exp(A) * [1e-3, 1e3] + [0.0, 5.0]


_DATA = {"cancer": _cancer, "lognormal": _lognormal, "skewed": _skewed}


@functools.cache
def _auto(name):
    """The data set ``name`` and its ``prior="auto"`` (a search: fitted once per module)."""
    X = _DATA[name]()
    return X, fit_prior(X, random_state=0)


def _fitted(prior):
    """Rows and a fitted prior: ``"auto"`` on skewed breast cancer features, else scaled blobs."""
    if prior == "auto":
        return _auto("cancer")
    X = _scaled_blobs()
    return X, fit_prior(X, prior=prior, random_state=0)


def _yeo_johnson_prior(X, covariance_type, n_components=3):
    """A prior of the Yeo-Johnson features of ``X`` with a given mixture, without a search."""
    marginal = YeoJohnson(X)
    mixture = fit_mixture(marginal.transform(X), n_components, covariance_type, 1e-6, 0)
    return InputPrior(mixture, marginal, covariance_type, "")


def _mixture_moments(mixture):
    """The overall mean and covariance of a GaussianMixture (full or diag)."""
    w = mixture.weights_
    covariances = mixture.covariances_
    if mixture.covariance_type == "diag":
        covariances = np.array([np.diag(c) for c in covariances])
    mean = w @ mixture.means_
    second = np.einsum(
        "k,kij->ij", w, covariances + np.einsum("ki,kj->kij", *[mixture.means_] * 2)
    )
    return mean, second - np.outer(mean, mean)


def test_auto_prior_of_skewed_features_uses_the_yeo_johnson_map():
    _, prior = _auto("cancer")
    assert prior.marginal_.power
    assert np.min(prior.marginal_.lambdas) < 0.5  # a real bend, not the identity
    assert "Yeo-Johnson" in prior.description_


@pytest.mark.parametrize("prior", [3, "diagonal", "auto"])
def test_log_prior_gradient_matches_finite_differences(prior):
    X, fitted = _fitted(prior)
    scale = X.std(axis=0)
    rng = np.random.RandomState(1)
    worst = 0.0
    for x in X[:4] + 0.5 * scale * rng.normal(size=(4, X.shape[1])):
        # in standardized coordinates, so that every feature's step is alike
        grad = log_prior(fitted, x[None])[1][0] * scale
        err = check_grad(
            lambda u: log_prior(fitted, (u * scale)[None])[0][0],
            lambda u: log_prior(fitted, (u * scale)[None])[1][0] * scale,
            x / scale,
            epsilon=1e-7,
        )
        worst = max(worst, err / (1 + np.linalg.norm(grad)))
    # forward differences, relative to the gradient; measured: 1.1e-6 to 1.4e-6
    # ("auto", the most curved), 2e-7 (3), 4e-7 ("diagonal")
    assert_within(worst, 5e-6, "gradient against finite differences")


@pytest.mark.parametrize("prior", [3, "diagonal", "auto"])
def test_score_samples_is_log_prior_and_score_its_mean(prior):
    X, fitted = _fitted(prior)
    log_p = fitted.score_samples(X[:50])
    np.testing.assert_array_equal(log_p, log_prior(fitted, X[:50], gradient=False)[0])
    np.testing.assert_array_equal(log_p, log_prior(fitted, X[:50])[0])
    assert fitted.score(X[:50]) == np.mean(log_p)


@pytest.mark.parametrize("prior", [3, "diagonal", "auto"])
def test_log_density_is_the_mixtures_at_the_map_plus_its_log_jacobian(prior):
    # log p(x) = log q(T(x)) + sum_j log dT_j/dx_j, with q scikit-learn's own
    # mixture density (the Jacobian is checked against finite differences in
    # test_marginal.py)
    X, fitted = _fitted(prior)
    U, du_dx, _, _ = fitted.marginal_.forward(X[:50], jacobian=True)
    expected = fitted.mixture_.score_samples(U) + np.log(du_dx).sum(axis=1)
    # measured: 1e-14 ("auto"), 2e-16
    gap = np.abs(fitted.score_samples(X[:50]) - expected) / np.abs(expected)
    assert_within(gap, 1e-10, "log p against the mixture's log q plus log-Jacobian")


def test_density_integrates_to_one_in_1d():
    X, prior = _auto("lognormal")
    assert prior.marginal_.power  # the Jacobian of a real bend is in the density

    def density(x):
        return np.exp(prior.score_samples(np.array([[x]]))[0])

    total, _ = integrate.quad(density, -np.inf, np.inf, limit=200)
    assert_within(abs(total - 1), 1e-7, "1-d integral of the density - 1")  # measured: 6e-11


def _integral_2d(prior, m=401):
    """Simpson's rule on an m x m grid of the inputs holding all but ~1e-17 of the mass.

    The nodes are evenly spaced in ``u`` (9 standard deviations beyond every
    component), so dense where the density is peaked and sparse along the
    long tails.
    """
    mixture = prior.mixture_
    sd = np.sqrt(
        np.einsum("kii->ki", mixture.covariances_)
        if mixture.covariance_type == "full"
        else mixture.covariances_
    )
    u = np.linspace(
        (mixture.means_ - 9 * sd).min(axis=0), (mixture.means_ + 9 * sd).max(axis=0), m
    )
    x = prior.marginal_.inverse_transform(u)
    grid = np.stack(np.meshgrid(x[:, 0], x[:, 1], indexing="ij"), axis=-1).reshape(-1, 2)
    density = np.exp(prior.score_samples(grid)).reshape(m, m)
    return integrate.simpson(integrate.simpson(density, x=x[:, 1], axis=1), x=x[:, 0])


def test_density_integrates_to_one_in_2d():
    X, prior = _auto("skewed")
    assert prior.marginal_.power
    # the rule's error, measured: 1.6e-6 at worst (the full mixture), and it
    # falls with more nodes (7e-6 with 201, 6e-8 with 801, 2e-8 with 1601)
    assert_within(abs(_integral_2d(prior) - 1), 5e-6, "2-d integral - 1, auto")
    for covariance_type in ("full", "tied", "diag"):
        total = _integral_2d(_yeo_johnson_prior(X, covariance_type))
        assert_within(abs(total - 1), 5e-6, f"2-d integral - 1, {covariance_type}")


def test_sample_is_reproducible_and_follows_the_density():
    # 50000 draws of a 1-d prior against its density: the moments by
    # quadrature, and the CDF (by the trapezoid rule on a fine grid) by a KS test
    X, prior = _auto("lognormal")
    draws = prior.sample(50_000, random_state=0)
    np.testing.assert_array_equal(draws, prior.sample(50_000, random_state=0))
    assert draws.shape == (50_000, 1)
    assert not np.array_equal(draws, prior.sample(50_000, random_state=1))

    def density(x):
        return np.exp(prior.score_samples(np.array([[x]]))[0])

    mean = integrate.quad(lambda x: x * density(x), -np.inf, np.inf, limit=200)[0]
    second = integrate.quad(lambda x: x * x * density(x), -np.inf, np.inf, limit=200)[0]
    sd = np.sqrt(second - mean**2)
    # sampling error, for these seeds: the mean within 4 standard errors
    # (measured: 0.13), the spread within 3% (measured: 0.5%)
    assert_within(abs(draws.mean() - mean) / (sd / np.sqrt(len(draws))), 4, "mean, in SE")
    assert_within(abs(draws.std() / sd - 1), 0.03, "spread, relative")
    x = prior.marginal_.inverse_transform(np.linspace(-12, 12, 4001)[:, None])[:, 0]
    cdf = integrate.cumulative_trapezoid(np.exp(prior.score_samples(x[:, None])), x=x, initial=0)
    result = stats.kstest(draws[:, 0], lambda v: np.interp(v, x, cdf))
    # the largest gap between the CDFs: measured 0.0041 (p = 0.36)
    assert_within(result.statistic, 0.0125, "KS statistic")


@pytest.mark.parametrize("prior", [3, "diagonal", "auto"])
def test_sample_prior_maps_draws_of_the_mixture(prior):
    # the draws' images u = T(x) have the mixture's mean and covariance
    _, fitted = _fitted(prior)
    draws = sample_prior(fitted, 30_000, np.random.RandomState(0))
    np.testing.assert_array_equal(draws, sample_prior(fitted, 30_000, np.random.RandomState(0)))
    U = fitted.marginal_.transform(draws)
    mean, cov = _mixture_moments(fitted.mixture_)
    se = np.sqrt(np.diag(cov) / len(U))
    # sampling error: means within 4 standard errors (measured: 0.5),
    # covariances within 4% of the largest entry (measured: 1.2%)
    assert_within(np.abs(U.mean(axis=0) - mean) / se, 4, "means of T(draws), in SE")
    gap = np.abs(np.cov(U, rowvar=False) - cov) / np.abs(cov).max()
    assert_within(gap, 0.04, "covariance of T(draws), relative to its largest entry")


@pytest.mark.parametrize("prior", [3, "diagonal"])
def test_sample_prior_has_the_data_moments_for_a_standardization(prior):
    # without a bend the map is affine: the draws' mean is the mixture's mean
    # mapped back (the data's), and their spread prior_scale (the data's)
    X, fitted = _fitted(prior)
    draws = sample_prior(fitted, 30_000, np.random.RandomState(0))
    sd = prior_scale(fitted)
    np.testing.assert_array_equal(sd, X.std(axis=0))
    mean = fitted.weights_ @ fitted.means_
    # measured: 6e-13 of a standard deviation
    assert_within(np.abs(mean - X.mean(axis=0)) / sd, 1e-9, "mixture mean against the data's")
    # sampling error: within 4 standard errors (measured: 0.5), spread within
    # 3% (measured: 0.5%)
    se = sd / np.sqrt(len(draws))
    assert_within(np.abs(draws.mean(axis=0) - mean) / se, 4, "draws' mean, in SE")
    assert_within(np.abs(draws.std(axis=0) / sd - 1), 0.03, "draws' spread, relative")


@pytest.mark.parametrize("prior", [3, "diagonal", "auto"])
def test_sample_components_draws_each_component(prior):
    _, fitted = _fitted(prior)
    draws = sample_components(fitted, 20_000, np.random.RandomState(0))
    assert draws.shape == (fitted.n_components, 20_000, fitted.means_.shape[1])
    mixture = fitted.mixture_
    for k, sample in enumerate(draws):
        U = fitted.marginal_.transform(sample)
        cov = mixture.covariances_[k]
        cov = cov if mixture.covariance_type == "full" else np.diag(cov)
        sd = np.sqrt(np.diag(cov))
        # sampling error: means within 6% of a standard deviation (measured:
        # 2%, 2.8 standard errors), covariances within 6% of the scale
        # (measured: 1.9%)
        gap = np.abs(U.mean(axis=0) - mixture.means_[k]) / sd
        assert_within(gap, 0.06, "means, in standard deviations")
        gap = np.abs(np.cov(U, rowvar=False) - cov) / np.outer(sd, sd)
        assert_within(gap, 0.06, "covariances, relative to the scale")


def test_prior_lives_in_the_coordinates_of_the_data():
    # Fitted on standardized features and mapped back: the mixture's overall
    # mean and standard deviation are the data's, feature by feature, even
    # where a feature's unit is a thousandth or a thousand.
    X = _scaled_blobs()
    clf = ReversibleMLPClassifier((4,), max_iter=20, prior=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 20 iterations: not converged
        clf.fit(X, np.arange(600) % 2)
    prior = clf.prior_
    assert clf.prior_ is prior  # fitted once, at the first read
    # measured: 2e-16 and 0
    np.testing.assert_allclose(prior.weights_ @ prior.means_, X.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(prior_scale(prior), X.std(axis=0), rtol=1e-3)
    # and a draw from it is spread like the data (not like its variance);
    # sampling error, measured: 0.4%
    draws = sample_prior(prior, 20_000, np.random.RandomState(0))
    np.testing.assert_allclose(draws.std(axis=0), X.std(axis=0), rtol=0.03)


def test_prior_is_fitted_without_labels():
    X, y = make_moons(50, noise=0.1, random_state=0)
    priors = []
    for labels in (y, 1 - y):
        clf = ReversibleMLPClassifier((8,), max_iter=30, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # 30 iterations: not converged
            priors.append(clf.fit(X, labels).prior_)
    a, b = priors
    assert a.description_ == b.description_
    np.testing.assert_array_equal(a.means_, b.means_)
    np.testing.assert_array_equal(a.mixture_.covariances_, b.mixture_.covariances_)
    np.testing.assert_array_equal(a.score_samples(X), b.score_samples(X))


def test_sample_weight_zero_drops_rows_and_integers_repeat_them():
    X, _ = make_blobs(300, centers=[[0, 0], [10, 10]], random_state=0)
    far = np.array([[100.0, -100.0]] * 30)
    weights = np.r_[np.ones(300), np.zeros(30)]
    prior = fit_prior(np.vstack([X, far]), weights, prior=2, random_state=0)
    assert np.all(np.abs(prior.means_) < 20)  # no component for the zero-weight rows
    # integer weights: like repeating the rows
    repeat = np.r_[np.full(150, 3), np.ones(150)].astype(int)
    order = np.argsort(X[:, 0])
    Xs = X[order]
    weighted = fit_prior(Xs, repeat.astype(float), prior=1, random_state=0)
    repeated = fit_prior(np.repeat(Xs, repeat, axis=0), prior=1, random_state=0)
    # a resample of the rows, not the rows: measured 0.034 (of a spread of 5)
    np.testing.assert_allclose(weighted.means_, repeated.means_, atol=0.15)


def test_diagonal_prior_is_one_diagonal_gaussian_of_the_data():
    X = _scaled_blobs()
    prior = fit_prior(X, prior="diagonal", random_state=0)
    assert prior.n_components == 1 and prior.covariance_type == "diag"
    assert not prior.marginal_.power
    np.testing.assert_allclose(prior.means_[0], X.mean(axis=0), rtol=1e-12)  # measured: 2e-16
    # the data's mean and variance, plus reg_covar = 1e-6 of it; measured: 9e-14
    expected = stats.norm.logpdf(X[:50], X.mean(axis=0), X.std(axis=0) * np.sqrt(1 + 1e-6))
    expected = expected.sum(axis=1)
    gap = np.abs(prior.score_samples(X[:50]) - expected) / np.abs(expected)
    assert_within(gap, 1e-10, "log-density against scipy's normal, relative")


def test_diagonal_prior_with_a_constant_feature():
    # the constant feature keeps its value and gets the variance floor
    # reg_covar (1e-6 in its own unit), the others their mean and variance
    rng = np.random.RandomState(0)
    X = np.c_[rng.normal(3.0, 2.0, size=200), np.full(200, -4.0)]
    prior = fit_prior(X, prior="diagonal", random_state=0)
    np.testing.assert_allclose(prior.means_[0], [X[:, 0].mean(), -4.0], rtol=1e-12)  # measured: 0
    sd = np.sqrt([X[:, 0].var() * (1 + 1e-6), 1e-6])
    expected = stats.norm.logpdf(X[:20], prior.means_[0], sd).sum(axis=1)
    gap = np.abs(prior.score_samples(X[:20]) - expected) / np.abs(expected)
    assert_within(gap, 1e-10, "log-density against scipy's normal, relative")  # measured: 4e-16


def test_prior_survives_one_row_and_constant_features():
    one = fit_prior(np.array([[1.0, 2.0, 3.0]]), random_state=0)
    np.testing.assert_allclose(one.means_[0], [1, 2, 3])
    assert np.isfinite(one.score_samples([[1.0, 2.0, 3.0]])[0])
    X = np.c_[np.random.RandomState(0).normal(size=(100, 2)), np.full(100, 7.0)]
    prior = fit_prior(X, random_state=0)
    assert np.all(np.isfinite(prior.score_samples(X)))
    np.testing.assert_allclose(prior.means_[:, 2], 7.0)


def test_sparse_input_gets_the_same_prior():
    X = np.abs(_scaled_blobs(200))
    dense = fit_prior(X, prior=2, random_state=0)
    sparse = fit_prior(sp.csr_matrix(X), prior=2, random_state=0)
    np.testing.assert_array_equal(sparse.means_, dense.means_)  # the same rows, densified
    np.testing.assert_array_equal(sparse.score_samples(X), dense.score_samples(X))


@pytest.mark.parametrize("prior", [3, "diagonal"])
def test_prior_is_equivariant_under_affine_maps_of_the_data(prior):
    # Fitted on standardized features, the prior of c * X + b is the prior of
    # X mapped by the same affine map: means c * mu + b, the same mixture of
    # the standardized features, and log-densities shifted by -d log|c|.
    # Standardizing by anything but the standard deviation (the variance,
    # say) breaks this: the mixture's reg_covar acts in standardized units.
    X = _scaled_blobs()
    ref = fit_prior(X, prior=prior, random_state=0)
    b = np.array([1.0, -3.0, 2.0])
    for c in (1e-3, 1e3):
        fitted = fit_prior(c * X + b, prior=prior, random_state=0)
        # measured: weights 1e-15, means 7e-11 of a standard deviation,
        # covariances (of standardized features) 1e-11, log-densities 3e-10
        gap = np.abs(fitted.weights_ - ref.weights_)
        assert_within(gap, 1e-9, "weights")
        gap = np.abs((fitted.means_ - b) / c - ref.means_) / X.std(axis=0)
        assert_within(gap, 1e-9, "means, in standard deviations")
        gap = np.abs(fitted.mixture_.covariances_ - ref.mixture_.covariances_)
        assert_within(gap, 1e-8, "mixture covariances")
        gap = np.abs(log_prior(fitted, c * X + b)[0] - (log_prior(ref, X)[0] - 3 * np.log(c)))
        assert_within(gap, 1e-6, "log-densities, shifted")


def test_auto_prior_log_density_shifts_by_the_log_det_of_a_rescaling():
    # Rescaling and shifting the features changes nothing the search sees
    # (each map standardizes first): the same candidate wins, and
    # log p'(a x + b) = log p(x) - sum_j log a_j.
    X, ref = _auto("skewed")
    a, b = np.array([1e3, 1e-2]), np.array([5.0, -7.0])
    fitted = fit_prior(a * X + b, random_state=0)
    assert fitted.marginal_.power and fitted.n_components == ref.n_components
    # measured: 5e-15
    gap = np.abs(fitted.score_samples(a * X + b) - (ref.score_samples(X) - np.log(a).sum()))
    assert_within(gap, 1e-9, "log-densities, shifted")
    # the components' centres move with the data; measured: 2e-15
    gap = np.abs((fitted.means_ - b) / a - ref.means_) / X.std(axis=0)
    assert_within(gap, 1e-9, "means, in standard deviations")


def test_systematic_resample_draws_rows_in_proportion_to_their_weight():
    # n * w_i / sum(w) is a whole number for every row here, so every row is
    # drawn exactly that often, whatever the random offset
    weights = np.array([1.0, 0.0, 3.0, 0.0, 0.0, 4.0, 12.0])
    for seed in range(5):
        rows = _systematic_resample(weights, 20, np.random.RandomState(seed))
        np.testing.assert_array_equal(np.bincount(rows, minlength=7), [1, 0, 3, 0, 0, 4, 12])


def test_systematic_resample_sums_weights_in_float64():
    # a million float32 weights: float32 running sums drift by whole rows
    weights = np.random.RandomState(0).uniform(size=1_000_000).astype(np.float32)
    a = _systematic_resample(weights, 2000, np.random.RandomState(0))
    b = _systematic_resample(weights.astype(np.float64), 2000, np.random.RandomState(0))
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("prior", [3, "diagonal"])
def test_log_prior_far_from_the_data_is_finite_then_minus_infinity(prior):
    X, fitted = _fitted(prior)
    far = X.mean(axis=0) + 60 * X.std(axis=0)  # log-density about -1e3 to -1e4
    beyond = np.full(3, 1e200)  # squares overflow: density 0
    farther = np.full(3, 1e308)  # the standardized feature overflows too
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # all are expected, and silent
        log_p, grad = log_prior(fitted, np.vstack([far, beyond, farther]))
    assert np.isfinite(log_p[0]) and log_p[0] < -500
    # one row or three (another product order): measured 3e-16
    np.testing.assert_allclose(log_p[0], fitted.score_samples(far[None])[0], rtol=1e-9)
    np.testing.assert_array_equal(log_p[1:], [-np.inf, -np.inf])


def test_log_prior_of_a_yeo_johnson_prior_far_from_the_data():
    # A right-skewed feature has a heavy right tail (log-normal-like) and a
    # light left one; where the input overflows in the feature's unit
    # (1e308 / 1e-3), the density is 0 on either side.
    X, fitted = _auto("skewed")
    centre, spread = X.mean(axis=0), X.std(axis=0)
    rows = np.array(
        [
            centre,
            centre + 60 * spread,
            [1e308, centre[1]],
            [-1e308, centre[1]],
            [centre[0], -1e308],
        ]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        log_p, _ = log_prior(fitted, rows)
    assert np.isfinite(log_p[1]) and log_p[1] < log_p[0]
    np.testing.assert_array_equal(log_p[2:], [-np.inf, -np.inf, -np.inf])


@pytest.mark.parametrize("prior", [3, "auto"])
def test_log_prior_computes_in_float64_whatever_the_input(prior):
    X, fitted = _fitted(prior)
    X32 = X[:50].astype(np.float32)
    np.testing.assert_array_equal(
        log_prior(fitted, X32)[0], log_prior(fitted, X32.astype(np.float64))[0]
    )
    # wider or untyped inputs (object arrays, as from a mixed data frame) too
    expected = log_prior(fitted, X[:50])
    for X_other in (X[:50].astype(np.longdouble), X[:50].astype(object)):
        log_p, grad = log_prior(fitted, X_other)
        assert log_p.dtype == grad.dtype == np.float64
        np.testing.assert_array_equal(log_p, expected[0])
        np.testing.assert_array_equal(grad, expected[1])


@pytest.mark.parametrize("prior", [2, "diagonal"])
def test_prior_parameters_are_consistent(prior):
    # Two distant blobs of 300 and 100 rows, on scales a million apart: the
    # components' centres sit on the blobs (in the data's units), and every
    # parameter scikit-learn keeps of the mixture of the standardized features
    # (covariances, precisions and their Cholesky factors) is the others'
    # counterpart.
    centers = np.array([[0.0, 0.0], [20.0, 20.0]])
    X, labels = make_blobs([300, 100], centers=centers, random_state=0)
    X = X * [1e-3, 1e3] + [2.0, -7.0]
    fitted = fit_prior(X, prior=prior, random_state=0)
    mixture = fitted.mixture_
    if prior == 2:
        order = np.argsort(fitted.means_[:, 0])
        blob_means = [X[labels == k].mean(axis=0) for k in range(2)]
        np.testing.assert_allclose(fitted.means_[order], blob_means, rtol=1e-6)  # measured: 2e-14
        covariances, precisions = mixture.covariances_, mixture.precisions_
        chol = mixture.precisions_cholesky_
    else:
        np.testing.assert_allclose(fitted.means_[0], X.mean(axis=0), rtol=1e-12)  # measured: 7e-16
        covariances, precisions, chol = (
            [np.diag(c) for c in values]
            for values in (mixture.covariances_, mixture.precisions_, mixture.precisions_cholesky_)
        )
    for cov, precision, factor in zip(covariances, precisions, chol):
        # measured: 2e-16 and 0
        np.testing.assert_allclose(precision @ cov, np.eye(2), atol=1e-9)
        np.testing.assert_allclose(factor @ factor.T, precision, rtol=1e-9)


def test_prior_of_many_rows_is_fitted_on_a_resample_of_them(monkeypatch):
    # 5000 rows: the fit sees 2000 of them, each at most once (equal weights),
    # spread over all the rows, so the prior still has the data's moments
    # (a fit on the first rows only would miss the second half's shift).
    fitted = []
    fit = GaussianMixture.fit

    def recording_fit(self, X, y=None):
        fitted.append(X)
        return fit(self, X, y)

    monkeypatch.setattr(GaussianMixture, "fit", recording_fit)
    rng = np.random.RandomState(0)
    X = np.r_[rng.normal(size=(2500, 2)), rng.normal(size=(2500, 2)) + 3.0]
    prior = fit_prior(X, prior=1, random_state=0)
    [U] = fitted
    assert len(U) == MAX_ROWS == 2000 and len(np.unique(U, axis=0)) == 2000
    # sampling error of 2000 of the rows: means within 3 standard errors
    # (measured: 0.9), variances within 15% (measured: 4%, 1.6 standard errors)
    se = X.std(axis=0) / np.sqrt(2000)
    assert_within(np.abs(prior.means_[0] - X.mean(axis=0)) / se, 3, "means, in SE")
    gap = np.abs(prior_scale(prior) ** 2 / X.var(axis=0) - 1)
    assert_within(gap, 0.15, "variances, relative")


def test_prior_of_float32_data_is_float64():
    X = _scaled_blobs()
    ref = fit_prior(X, prior=2, random_state=0)
    prior = fit_prior(X.astype(np.float32), prior=2, random_state=0)
    for name in ("means_", "covariances_", "precisions_cholesky_", "weights_"):
        assert getattr(prior.mixture_, name).dtype == np.float64
    assert prior.means_.dtype == np.float64
    assert prior.score_samples(X.astype(np.float32)).dtype == np.float64
    # the float32 rounding of the data: measured 4e-9
    np.testing.assert_allclose(prior.means_, ref.means_, rtol=1e-5)


@pytest.mark.parametrize("prior", [3, "diagonal", "auto"])
def test_offset_is_the_tenth_percentile_of_the_training_rows(prior):
    # one training row in ten is less likely than offset_ (rows without ties,
    # fewer than MAX_ROWS: the prior is fitted on them as they are)
    X, fitted = _auto("skewed") if prior == "auto" else _fitted(prior)
    assert len(np.unique(X, axis=0)) == len(X)
    log_p = fitted.score_samples(X)
    assert fitted.offset_ == pytest.approx(np.percentile(log_p, 10), rel=1e-12)
    assert_within(abs(np.mean(log_p < fitted.offset_) - 0.1), 1 / len(X), "share below")
