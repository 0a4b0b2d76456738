"""The posterior p(x | t) ∝ p(t | x) p(x): exact samples, its gradient and its mode.

The exactness tests use a problem whose posterior is known in closed form:
two Gaussian classes with a shared covariance. Their true ``p(y | x)`` is
logistic in ``x``, so a network fixed to that logistic model, with the
mixture of the two Gaussians as its prior, has the class Gaussian itself as
its posterior: ``p(x | y=1) ∝ sigmoid(w.x + b) (pi0 N0 + pi1 N1) = pi1 N1``.
"""

import numpy as np
import pytest
from scipy import stats
from scipy.optimize import check_grad
from sklearn.datasets import load_iris
from sklearn.mixture import GaussianMixture
from sklearn.preprocessing import StandardScaler

from sklearn_revnet import ReversibleMLPClassifier
from sklearn_revnet._activations import ACTIVATIONS
from sklearn_revnet._posterior import Box, Posterior, mala
from sklearn_revnet._prior import fit_prior, sample_prior
from sklearn_revnet._training import ParameterLayout

MU = np.array([[-1.0, 0.5], [1.5, 1.0]])
COV = np.array([[1.0, 0.6], [0.6, 0.8]])


def _gaussian_mixture(weights, means, cov):
    gmm = GaussianMixture(len(weights), covariance_type="full")
    gmm.weights_ = np.asarray(weights, dtype=float)
    gmm.means_ = np.asarray(means, dtype=float)
    gmm.covariances_ = np.array([cov] * len(weights))
    chol = np.linalg.cholesky(cov)
    gmm.precisions_cholesky_ = np.array([np.linalg.inv(chol).T] * len(weights))
    gmm.precisions_ = np.array([np.linalg.inv(cov)] * len(weights))
    return gmm


def _bayes_classifier(pi1):
    """A classifier whose network is the exact p(y | x) of the two Gaussians."""
    precision = np.linalg.inv(COV)
    w = precision @ (MU[1] - MU[0])
    b = -0.5 * MU[1] @ precision @ MU[1] + 0.5 * MU[0] @ precision @ MU[0]
    b += np.log(pi1 / (1 - pi1))
    clf = ReversibleMLPClassifier((1,), "identity", input_bounds=None)
    clf.coefs_ = [w[:, None], np.ones((1, 1))]
    clf.intercepts_ = [np.zeros(1), np.array([b])]
    clf.classes_ = np.array([0, 1])
    clf.out_activation_ = "logistic"
    clf.n_outputs_ = 1
    clf.n_layers_ = 3
    clf.n_features_in_ = 2
    clf.prior_ = _gaussian_mixture([1 - pi1, pi1], MU, COV)
    return clf


def _assert_is_gaussian(samples, mean, cov):
    n = len(samples)
    se = np.sqrt(np.diag(cov) / n)
    assert np.all(np.abs(samples.mean(axis=0) - mean) < 4 * se)
    np.testing.assert_allclose(np.cov(samples, rowvar=False), cov, atol=0.08)
    for j in range(len(mean)):
        p = stats.kstest(samples[:, j], stats.norm(mean[j], np.sqrt(cov[j, j])).cdf).pvalue
        assert p > 1e-3


@pytest.mark.parametrize("label", [0, 1])
def test_generate_is_exact_on_a_closed_form_posterior(label):
    clf = _bayes_classifier(pi1=0.3)
    samples = clf.generate(label, n=3000, random_state=0)
    _assert_is_gaussian(samples, MU[label], COV)


def test_mcmc_is_exact_on_a_closed_form_posterior():
    # The fallback for rare labels: chains started far from the posterior
    # (from the other class) must forget their start.
    clf = _bayes_classifier(pi1=0.3)
    posterior = Posterior(
        (clf.coefs_, clf.intercepts_, "identity", "logistic"), clf.prior_, np.ones((1, 1))
    )
    box = Box(-np.inf, np.inf, 2)
    rng = np.random.RandomState(0)
    start = MU[0] + rng.normal(size=(2000, 2))
    samples = mala(posterior, start, rng, box, -np.inf, n_steps=400)
    _assert_is_gaussian(samples, MU[1], COV)


def test_rare_label_falls_back_to_mcmc_and_stays_exact():
    # p(y=1) = 0.001: rejection keeps about 1 draw in 1000, too few within its
    # budget for 400 samples, so MCMC delivers the rest.
    clf = _bayes_classifier(pi1=0.001)
    samples = clf.generate(1, n=400, random_state=0)
    _assert_is_gaussian(samples, MU[1], COV)


def test_prior_is_censored_at_the_bounds():
    # A flat network leaves the prior: N(0, 1) censored at [-0.5, 1] puts
    # Phi(-0.5) of the samples on -0.5 and 1 - Phi(1) on 1.
    clf = _bayes_classifier(pi1=0.5)
    clf.coefs_ = [np.zeros((2, 1)), np.zeros((1, 1))]
    clf.intercepts_ = [np.zeros(1), np.zeros(1)]
    clf.prior_ = _gaussian_mixture([1.0], [[0.0, 0.0]], np.eye(2))
    clf.set_params(input_bounds=([-0.5, -np.inf], [1.0, np.inf]))
    x = clf.generate(1, n=20_000, random_state=0)[:, 0]
    assert x.min() == -0.5 and x.max() == 1.0
    assert abs(np.mean(x == -0.5) - stats.norm.cdf(-0.5)) < 0.012
    assert abs(np.mean(x == 1.0) - stats.norm.sf(1.0)) < 0.008


def test_mode_is_the_class_mean_on_a_closed_form_posterior():
    clf = _bayes_classifier(pi1=0.3)
    np.testing.assert_allclose(clf.inverse_transform([0, 1]), MU, atol=1e-4)


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("output", ["binary", "multiclass", "multilabel"])
def test_posterior_gradient_matches_finite_differences(activation, output):
    rng = np.random.RandomState(0)
    n_features, n_outputs = 4, {"binary": 1, "multiclass": 3, "multilabel": 2}[output]
    layout = ParameterLayout([n_features, 6, 5, n_outputs])
    coefs, intercepts = layout.views(rng.normal(scale=0.7, size=layout.size))
    if output == "multiclass":
        target = rng.dirichlet(np.ones(n_outputs))[None]
        out_activation = "softmax"
    else:
        target = rng.randint(0, 2, size=(1, n_outputs)).astype(float)
        out_activation = "logistic"
    prior = fit_prior(rng.normal(size=(200, n_features)) * [1, 2, 0.5, 3], prior=2, random_state=0)
    posterior = Posterior((coefs, intercepts, activation, out_activation), prior, target)
    box = Box([-5, -9, -5, -0.5], [5, 9, 5, 0.5], n_features)
    for x in sample_prior(prior, 3, rng):
        x[3] = 0.2  # inside the box: away from the clip's kinks
        for b in (None, box):
            err = check_grad(
                lambda v, b=b: posterior(v[None], b)[0][0],
                lambda v, b=b: posterior(v[None], b)[1][0],
                x,
                epsilon=1e-6,
            )
            assert err < 1e-5 * (1 + np.linalg.norm(posterior(x[None], b)[1]))
    # beyond a bound the network sees the bound: its gradient there is zero
    x = np.array([[0.0, 0.0, 0.0, 2.0]])
    grad_prior = Posterior(
        (coefs, intercepts, activation, out_activation), prior, target, weight=0.0
    )(x)[1]
    np.testing.assert_allclose(posterior(x, box)[1][0, 3], grad_prior[0, 3])


@pytest.fixture(scope="module")
def iris_clf():
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    return ReversibleMLPClassifier((10,), max_iter=500, random_state=0).fit(X, y), X


def test_samples_are_reproducible_in_range_and_mostly_on_label(iris_clf):
    clf, X = iris_clf
    a = clf.generate(2, n=200, random_state=0)
    np.testing.assert_array_equal(a, clf.generate(2, n=200, random_state=0))
    assert not np.array_equal(a, clf.generate(2, n=200, random_state=1))
    assert np.all((a >= X.min(axis=0)) & (a <= X.max(axis=0)))
    assert np.mean(clf.predict(a) == 2) >= 0.95  # ambiguous near versicolor, as real flowers


def test_min_proba_truncates_the_posterior(iris_clf):
    clf, _ = iris_clf
    samples = clf.generate(1, n=200, random_state=0, min_proba=0.9)
    assert clf.predict_proba(samples)[:, 1].min() >= 0.9
    with pytest.raises(ValueError, match="min_proba"):
        clf.generate(1, n=2, min_proba=1.0)


def test_samples_spread_like_the_class(iris_clf):
    # Posterior samples of a class are spread like its real members: neither
    # collapsed onto a prototype nor scattered beyond them.
    clf, X = iris_clf
    y = load_iris().target
    for label in range(3):
        samples = clf.generate(label, n=500, random_state=0)
        ratio = samples.std(axis=0) / X[y == label].std(axis=0)
        assert np.all((ratio > 0.6) & (ratio < 1.6)), ratio


def test_mode_is_a_probable_input_of_its_label(iris_clf):
    clf, X = iris_clf
    modes = clf.inverse_transform([0, 1, 2])
    np.testing.assert_array_equal(clf.predict(modes), [0, 1, 2])
    # the mode is more probable, for its label, than every training input
    for label, x in enumerate(modes):
        posterior = Posterior(
            (clf.coefs_, clf.intercepts_, clf.activation, "softmax"),
            clf.prior_,
            np.eye(3)[[label]],
        )
        assert posterior(x[None])[0][0] >= posterior(X)[0].max() - 1e-6


def test_reachable_probability_rows_are_matched(iris_clf):
    clf, X = iris_clf
    rng = np.random.RandomState(0)
    pairs = rng.randint(len(X), size=(10, 2))
    t = rng.uniform(size=(10, 1))
    targets = clf.predict_proba(t * X[pairs[:, 0]] + (1 - t) * X[pairs[:, 1]])
    targets /= targets.sum(axis=1, keepdims=True)
    reached = clf.predict_proba(clf.inverse_transform(targets))
    assert np.abs(reached - targets).max() < 1e-3  # measured: 1.5e-4
