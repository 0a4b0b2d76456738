"""The posterior p(x | t) ∝ p(t | x) p(x): exact samples, its gradient and its mode.

The exactness tests use a problem whose posterior is known in closed form:
two Gaussian classes with a shared covariance. Their true ``p(y | x)`` is
logistic in ``x``, so a network fixed to that logistic model, with the
mixture of the two Gaussians as its prior, has the class Gaussian itself as
its posterior: ``p(x | y=1) ∝ sigmoid(w.x + b) (pi0 N0 + pi1 N1) = pi1 N1``.
"""

import warnings

import numpy as np
import pytest
from scipy import integrate, stats
from scipy.optimize import check_grad
from scipy.special import expit, logsumexp
from sklearn.datasets import load_iris
from sklearn.mixture import GaussianMixture
from sklearn.preprocessing import StandardScaler

from sklearn_revnet import ReversibleMLPClassifier
from sklearn_revnet._core.activations import ACTIVATIONS
from sklearn_revnet._core.density import prior_scale, sample_prior
from sklearn_revnet._core.prior import fit_prior
from sklearn_revnet._forward.objective import ParameterLayout
from sklearn_revnet._reverse.mode import heaviest_component, posterior_mode
from sklearn_revnet._reverse.posterior import Box, Posterior, check_bounds
from sklearn_revnet._reverse.sampling import _initial_states, mala, sample_posterior

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
    # The polish runs at a gtol of inverse_tol / 100 (1e-7) with no
    # relative-reduction stop: measured 1.1e-8 (1.0e-6 with scipy's default
    # stop of a relative reduction below 2.2e-9)
    assert np.abs(reached - targets).max() < 1e-7


def _closed_form_posterior(pi1, target=1.0, kind=Posterior):
    clf = _bayes_classifier(pi1)
    network = (clf.coefs_, clf.intercepts_, "identity", "logistic")
    return kind(network, clf.prior_, np.full((1, 1), target))


class _CountingPosterior(Posterior):
    """Counts the rows whose likelihood is evaluated (the prior draws spent)."""

    rows = 0

    def log_likelihood(self, X):
        self.rows += len(X)
        return super().log_likelihood(X)


def test_rejection_stops_once_it_has_the_samples():
    # p(y=1) = 0.3: about n / 0.3 draws deliver n exact samples; measured
    # 3709 draws for n = 1000 (a first batch of 2n, then what the rate says)
    clf = _bayes_classifier(pi1=0.3)
    network = (clf.coefs_, clf.intercepts_, "identity", "logistic")
    posterior = _CountingPosterior(network, clf.prior_, np.ones((1, 1)))
    samples = sample_posterior(posterior, 1000, np.random.RandomState(0), Box(-np.inf, np.inf, 2))
    assert samples.shape == (1000, 2)
    assert 1000 / 0.3 <= posterior.rows <= 1.5 * 1000 / 0.3
    _assert_is_gaussian(samples, MU[1], COV)


def test_rejection_spends_its_budget_before_falling_back_to_mcmc():
    # p(y=1) = 0.001, n = 2000: rejection draws its budget of 200 per sample
    # (400000 draws, about 400 samples), in batches of at most 100000; measured
    # 404000 rows (a first batch of 2n, then four full ones)
    clf = _bayes_classifier(pi1=0.001)
    network = (clf.coefs_, clf.intercepts_, "identity", "logistic")
    posterior = _CountingPosterior(network, clf.prior_, np.ones((1, 1)))
    box = Box(-np.inf, np.inf, 2)
    samples = sample_posterior(posterior, 2000, np.random.RandomState(0), box, n_steps=2)
    assert samples.shape == (2000, 2)
    assert 200 * 2000 <= posterior.rows < 200 * 2000 + 100_000


def test_initial_states_resample_prior_draws_by_likelihood():
    # Without exact samples, the chains start from prior draws resampled with
    # weights p(t | x): an approximation of the posterior N(MU[1], COV).
    posterior = _closed_form_posterior(pi1=0.3, kind=_CountingPosterior)
    box = Box(-np.inf, np.inf, 2)
    start = _initial_states(
        posterior, 2000, np.random.RandomState(0), box, np.empty((0, 2)), -np.inf
    )
    assert start.shape == (2000, 2)
    # 8n = 16000 candidates for 2000 picks: measured 1710 distinct rows
    assert posterior.rows == 16_000
    assert len(np.unique(start, axis=0)) > 1500
    # for few chains, at least 4096 candidates
    posterior.rows = 0
    _initial_states(posterior, 100, np.random.RandomState(0), box, np.empty((0, 2)), -np.inf)
    assert posterior.rows == 4096
    np.testing.assert_allclose(start.mean(axis=0), MU[1], atol=0.1)  # measured: 0.04
    np.testing.assert_allclose(np.cov(start, rowvar=False), COV, atol=0.1)  # measured: 0.02


def test_initial_states_for_a_target_the_prior_almost_never_reaches():
    # log p(t | x) is about -690 for every draw: the weights must be
    # normalized before exponentiating, or they all underflow
    posterior = _closed_form_posterior(pi1=1e-300)
    box = Box(-np.inf, np.inf, 2)
    start = _initial_states(
        posterior, 200, np.random.RandomState(0), box, np.empty((0, 2)), -np.inf
    )
    assert np.all(np.isfinite(start))
    assert start.mean(axis=0) @ np.linalg.solve(COV, MU[1] - MU[0]) > 0  # toward class 1
    with pytest.raises(ValueError, match=r"^No input drawn from the prior reaches min_proba "):
        _initial_states(posterior, 200, np.random.RandomState(0), box, np.empty((0, 2)), -1.0)
    # exact samples in hand: the chains start from those
    exact = np.array([[5.0, 6.0], [7.0, 8.0]])
    start = _initial_states(posterior, 50, np.random.RandomState(0), box, exact, -np.inf)
    assert {tuple(row) for row in start} == {(5.0, 6.0), (7.0, 8.0)}


def _censored_1d(lo=-0.5, hi=1.0, w=2.0, b=0.5):
    """N(0, 1) prior censored at [lo, hi], p(t=1 | x) = sigmoid(w x + b)."""
    network = ([np.array([[w]]), np.ones((1, 1))], [np.zeros(1), np.array([b])])
    posterior = Posterior(
        (*network, "identity", "logistic"),
        _gaussian_mixture([1.0], [[0.0]], np.eye(1)),
        np.ones((1, 1)),
    )
    sig = stats.logistic.cdf
    at_lo = stats.norm.cdf(lo) * sig(w * lo + b)
    at_hi = stats.norm.sf(hi) * sig(w * hi + b)
    inside = integrate.quad(lambda x: stats.norm.pdf(x) * sig(w * x + b), lo, hi)[0]
    z = at_lo + at_hi + inside
    return posterior, Box(lo, hi, 1), at_lo / z, at_hi / z


def test_mcmc_is_exact_for_the_censored_posterior():
    # The chains run on the uncensored draw u, the network sees clip(u): the
    # mass on each bound is the prior's mass beyond it times p(t | bound).
    posterior, box, at_lo, at_hi = _censored_1d()
    rng = np.random.RandomState(0)
    start = rng.normal(size=(4000, 1))
    x = box.clip(mala(posterior, start, rng, box, -np.inf, n_steps=200))[:, 0]
    se = np.sqrt(0.25 / len(x))
    # 4 standard errors (0.032); measured 0.190 against 0.185, 0.224 against 0.233
    assert abs(np.mean(x == -0.5) - at_lo) < 4 * se
    assert abs(np.mean(x == 1.0) - at_hi) < 4 * se


def test_check_bounds_broadcasts_numbers_and_per_feature_arrays():
    lo, hi = check_bounds((-1, [1, 2, np.inf]), 3)
    assert lo.dtype == hi.dtype == np.float64
    np.testing.assert_array_equal(lo, [-1, -1, -1])
    np.testing.assert_array_equal(hi, [1, 2, np.inf])
    lo, hi = check_bounds(([0.0, 1.0, 2.0], [0.0, 1.0, 2.0]), 3)  # every feature pinned
    np.testing.assert_array_equal(lo, hi)


PAIR = "input_bounds must be 'auto', None or a pair (lo, hi); got "
PER_FEATURE = " must be a number or have one entry per feature (3); got shape "
ORDER = "input_bounds must satisfy lo <= hi for every feature (no NaN)."


@pytest.mark.parametrize(
    "bounds, message",
    [
        ("auto!", PAIR + "'auto!'."),
        ("ab", PAIR + "'ab'."),
        ((0, 1, 2), PAIR + "3 items."),
        (([0, 0], 1), "input_bounds lo" + PER_FEATURE + "(2,)."),
        ((0, [[1, 1, 1]]), "input_bounds hi" + PER_FEATURE + "(1, 3)."),
        ((1, 0), ORDER),
        ((np.nan, 1), ORDER),
        ((0, [1, np.nan, 1]), ORDER),
    ],
)
def test_check_bounds_messages(bounds, message):
    with pytest.raises(ValueError) as error:
        check_bounds(bounds, 3)
    assert str(error.value) == message


def test_check_bounds_messages_name_the_caller_and_its_features():
    with pytest.raises(ValueError) as error:
        check_bounds(([0, 0], 1), 3, "bounds", "raw feature")
    assert str(error.value) == (
        "bounds lo must be a number or have one entry per raw feature (3); got shape (2,)."
    )
    with pytest.raises(ValueError) as error:
        check_bounds((1, 0), 3, "bounds", "raw feature")
    assert str(error.value) == "bounds must satisfy lo <= hi for every raw feature (no NaN)."


def test_heaviest_component_holds_the_most_posterior_mass():
    # each class is one component of the prior: the posterior of a label is
    # its own component, whatever the weights (0.9 for the other class here)
    for label, pi1 in ((1, 0.1), (0, 0.9)):
        posterior = _closed_form_posterior(pi1, target=float(label))
        assert heaviest_component(posterior, Box(-np.inf, np.inf, 2)) == label


def test_mode_is_the_best_end_point_of_several_starts():
    # A flat network and a prior of two well-separated components: each start
    # descends to its own component's peak, and the taller peak wins.
    flat = ([np.zeros((2, 1)), np.zeros((1, 1))], [np.zeros(1), np.zeros(1)])
    prior = _gaussian_mixture([0.3, 0.7], [[-5.0, 0.0], [5.0, 1.0]], np.eye(2))
    posterior = Posterior((*flat, "identity", "logistic"), prior, np.ones((1, 1)))
    box = Box(-np.inf, np.inf, 2)
    starts = np.array([[-4.0, 0.5], [4.0, 0.5], [-6.0, -1.0]])
    for polish in (False, True):
        x = posterior_mode(posterior, starts, box, max_iter=200, tol=1e-8, polish=polish)
        np.testing.assert_allclose(x, [5.0, 1.0], atol=1e-5)
        # the posterior is left as Bayes' rule
        assert posterior.weight == 1.0 and posterior.prior_weight == 1.0
    # a zero scale (a feature whose prior does not vary) is replaced by 1
    x = posterior_mode(posterior, starts, box, max_iter=200, tol=1e-8, scale=np.array([2.0, 0.0]))
    np.testing.assert_allclose(x, [5.0, 1.0], atol=1e-5)


def test_mode_without_polish_is_the_posterior_mode():
    # the defaults: one weight, no polish; the closed-form mode is the class mean
    clf = _bayes_classifier(pi1=0.3)
    network = (clf.coefs_, clf.intercepts_, "identity", "logistic")
    posterior = Posterior(network, clf.prior_, np.ones((1, 1)))
    x = posterior_mode(posterior, MU[[0]], Box(-np.inf, np.inf, 2), max_iter=200, tol=1e-9)
    np.testing.assert_allclose(x, MU[1], atol=1e-4)


def test_mode_in_a_box_is_the_constrained_maximum():
    # The posterior is N(MU[1], COV); with x_0 <= 0.5 (below MU[1][0] = 1.5)
    # its maximum is on the bound, at x_1 = mu_1 + COV_10 / COV_00 (0.5 - mu_0).
    # A step scale far from 1 checks that bounds and gradient are rescaled.
    posterior = _closed_form_posterior(pi1=0.3)
    box = Box([-np.inf, -np.inf], [0.5, np.inf], 2)
    expected = [0.5, MU[1][1] + COV[1, 0] / COV[0, 0] * (0.5 - MU[1][0])]
    for scale in (None, np.array([10.0, 0.1])):
        x = posterior_mode(posterior, MU[[0]], box, max_iter=500, tol=1e-10, scale=scale)
        np.testing.assert_allclose(x, expected, atol=1e-5)
    # and from below: x_1 >= 0.9 (above the unconstrained mode's 1.0 - 0.1)
    box = Box([-np.inf, 1.5], [np.inf, np.inf], 2)
    expected = [MU[1][0] + COV[0, 1] / COV[1, 1] * (1.5 - MU[1][1]), 1.5]
    x = posterior_mode(posterior, MU[[0]], box, max_iter=500, tol=1e-10)
    np.testing.assert_allclose(x, expected, atol=1e-5)


def test_mode_search_stops_at_max_iter():
    posterior = _closed_form_posterior(pi1=0.3)
    box = Box(-np.inf, np.inf, 2)
    start = np.array([[-20.0, 15.0]])
    near = posterior_mode(posterior, start, box, max_iter=200, tol=1e-10)
    one_step = posterior_mode(posterior, start, box, max_iter=1, tol=1e-10)
    assert np.abs(near - MU[1]).max() < 1e-5
    assert np.abs(one_step - MU[1]).max() > 1.0  # one iteration is one line search


def test_log_likelihood_of_no_rows_one_row_and_overflowing_rows():
    posterior = _closed_form_posterior(pi1=0.3)
    assert posterior.log_likelihood(np.empty((0, 2))).shape == (0,)
    X = np.array([[0.3, -0.2], [1e300, -1e300], [2.0, 1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # overflow is expected, and silent
        batch = posterior.log_likelihood(X)
    assert batch[1] == -np.inf or np.isfinite(batch[1])
    for i in (0, 2):
        np.testing.assert_allclose(posterior.log_likelihood(X[[i]]), batch[[i]], rtol=1e-15)
    clf = _bayes_classifier(pi1=0.3)
    logit = X[0] @ clf.coefs_[0][:, 0] + clf.intercepts_[1][0]
    np.testing.assert_allclose(batch[0], -np.logaddexp(0, -logit), rtol=1e-12)


def test_chains_start_from_resampled_draws_when_rejection_finds_nothing():
    # p(y=1) = 1e-6: 20000 prior draws keep none, so every sample comes from
    # chains started by resampling; they must still be the posterior's.
    clf = _bayes_classifier(pi1=1e-6)
    samples = clf.generate(1, n=300, random_state=0)
    assert samples.shape == (300, 2)
    assert np.abs(samples.mean(axis=0) - MU[1]).max() < 0.3  # measured: 0.07


def test_mcmc_with_min_proba_moves_and_respects_the_floor():
    # the fallback chains of a rare label keep p(t | x) >= min_proba and move
    clf = _bayes_classifier(pi1=0.001)
    samples = clf.generate(1, n=300, random_state=0, min_proba=0.5)
    assert samples.shape == (300, 2)
    assert clf.predict_proba(samples)[:, 1].min() >= 0.5
    assert len(np.unique(samples, axis=0)) == 300  # no chain stuck at its start


def _flat_posterior(scales, lo, hi):
    """Both terms weighted 0: every MALA proposal is accepted."""
    d = len(scales)
    prior = _gaussian_mixture([1.0], [np.zeros(d)], np.diag(np.square(scales)))
    flat = ([np.zeros((d, 1)), np.zeros((1, 1))], [np.zeros(1), np.zeros(1)])
    posterior = Posterior((*flat, "identity", "logistic"), prior, np.ones((1, 1)), weight=0.0)
    posterior.prior_weight = 0.0
    return posterior, Box(lo, hi, d)


def _step_sizes(n_steps, n_free):
    """The tuning rule's step sizes: h_0 = d^(-1/3) for d free features, then
    log h grows by (accepted - 0.574) / sqrt(t + 1) after each of the first
    n_steps // 2 steps (every step accepted here) and is frozen after."""
    log_h, steps = -np.log(n_free) / 3, []
    for t in range(n_steps):
        steps.append(np.exp(log_h))
        if t < n_steps // 2:
            log_h += (1 - 0.574) / np.sqrt(t + 1)
    return np.array(steps)


@pytest.mark.parametrize(
    "lo, hi",
    [(-np.inf, np.inf), ([-np.inf, 0.5, -1.0], [np.inf, 0.5, -1.0])],
    ids=["3-free", "1-free-2-pinned"],
)
@pytest.mark.parametrize("n_steps", [1, 7])
def test_mala_step_size_follows_its_tuning_rule(lo, hi, n_steps):
    # On a flat target every proposal is accepted, so a chain moves by
    # sqrt(h_t) * scale * N(0, 1) at step t: after n steps the displacement
    # over the prior's scale has variance sum_t h_t, whatever the scale
    # (0.1, 10 and 1 here); a pinned feature (lo == hi) never moves.
    scales = np.array([0.1, 10.0, 1.0])
    posterior, box = _flat_posterior(scales, lo, hi)
    rng = np.random.RandomState(0)
    start = rng.normal(size=(20_000, 3))
    start[:, box.pinned] = box.lo[box.pinned]
    end = mala(posterior, start, rng, box, -np.inf, n_steps=n_steps)
    np.testing.assert_array_equal(end[:, box.pinned], start[:, box.pinned])
    free = ~box.pinned
    variance = np.mean(((end - start)[:, free] / scales[free]) ** 2)
    # 4 standard errors of 1% (one free feature; 0.6% with three); measured
    # within 0.4%. A rule off by 10% in h_0 or by one adaptation step is 9%
    # to 20% off.
    assert abs(variance / _step_sizes(n_steps, free.sum()).sum() - 1) < 0.04


def _posterior_in_units(clf, c):
    """The posterior of label 1 for ``clf`` and its prior, in units ``c`` times smaller:
    the prior's means and spreads times ``c``, the network's weights over ``c``."""
    coefs = [clf.coefs_[0] / c, clf.coefs_[1]]
    prior = _gaussian_mixture([0.7, 0.3], MU * c, COV * c**2)
    return Posterior((coefs, clf.intercepts_, "identity", "logistic"), prior, np.ones((1, 1)))


def test_mala_is_equivariant_to_the_units_of_the_features():
    # The same problem in units 100 times smaller (x -> 100 x: the prior's
    # means and spreads times 100, the network's weights over 100): the
    # preconditioned chains take the same steps in the new units, so from the
    # same seed they end 100 times farther out, draw for draw.
    clf = _bayes_classifier(pi1=0.3)
    rng = np.random.RandomState(0)
    start = MU[0] + rng.normal(size=(500, 2))
    ends = []
    for c in (1.0, 100.0):
        posterior = _posterior_in_units(clf, c)
        box = Box(-np.inf, np.inf, 2)
        ends.append(mala(posterior, start * c, np.random.RandomState(1), box, -np.inf, 60))
    assert not np.allclose(ends[0], start)  # the chains moved
    # measured: 9e-10 apart (rounding); one differing step would be about 0.1
    np.testing.assert_allclose(ends[1] / 100, ends[0], rtol=0, atol=1e-7)


def test_mala_step_adapts_to_a_posterior_much_narrower_than_the_prior():
    # The two classes of the closed-form problem with 100 times smaller
    # spreads: the posterior of class 1 is N(MU[1], COV / 1e4), 0.01 wide
    # where the prior (the steps' preconditioner) is 1.1 and 0.23 wide.
    # Started at the first step size (0.79), a chain would reject every
    # proposal; the tuning shrinks it during the first half, after which
    # chains started from exact samples end exact and forget where they
    # started.
    cov = COV * 1e-4
    precision = np.linalg.inv(cov)
    w = precision @ (MU[1] - MU[0])
    b = -0.5 * MU[1] @ precision @ MU[1] + 0.5 * MU[0] @ precision @ MU[0] + np.log(0.3 / 0.7)
    network = ([w[:, None], np.ones((1, 1))], [np.zeros(1), np.array([b])])
    prior = _gaussian_mixture([0.7, 0.3], MU, cov)
    posterior = Posterior((*network, "identity", "logistic"), prior, np.ones((1, 1)))
    rng = np.random.RandomState(0)
    start = rng.multivariate_normal(MU[1], cov, size=2000)
    end = mala(posterior, start, rng, Box(-np.inf, np.inf, 2), -np.inf, n_steps=200)
    # correlation with the start: standard error 0.022; measured -0.017 and -0.001
    for j in range(2):
        assert abs(np.corrcoef(start[:, j], end[:, j])[0, 1]) < 0.1
    sd = np.sqrt(np.diag(cov))
    # 4 standard errors; measured 0.03 of a standard deviation
    assert np.all(np.abs(end.mean(axis=0) - MU[1]) < 4 * sd / np.sqrt(len(end)))
    # measured: within 7% (the standard error of a variance is 3%)
    np.testing.assert_allclose(
        np.cov(end, rowvar=False) / np.outer(sd, sd), cov / np.outer(sd, sd), atol=0.15
    )


class _ThinnedPosterior(Posterior):
    """The closed-form posterior, except that ``p(t | x)`` is 1 for every k-th
    prior draw (counted across batches) and 0 for the others: rejection keeps
    exactly one draw in k, whatever the seed. Records the batch sizes."""

    def __init__(self, k):
        clf = _bayes_classifier(pi1=0.3)
        network = (clf.coefs_, clf.intercepts_, "identity", "logistic")
        super().__init__(network, clf.prior_, np.ones((1, 1)))
        self.k, self.batches = k, []

    def log_likelihood(self, X):
        index = sum(self.batches) + np.arange(len(X))
        self.batches.append(len(X))
        return np.where(index % self.k == 0, 0.0, -np.inf)


@pytest.mark.parametrize(
    "n, k, batches",
    [
        # a first batch of 2n; then 1.2 times the draws that the acceptance
        # rate so far says the missing samples need (500 missing at 1/4)
        (1000, 4, [2000, 2400]),
        # batches of at least 256 draws
        (100, 4, [256, 256]),
        # no further batch once it has exactly n samples
        (128, 2, [256]),
        # one sample in the first batch: the rate is 1/256, then 4/3020, ...
        (10, 1000, [256, 2764, 5435, 1127]),
        # batches of at most 100000 draws, until the budget of 200 draws per
        # sample (200000) is spent; MCMC delivers the other 798 samples
        (1000, 1000, [2000, 100_000, 100_000]),
        # the budget (33400) is spent exactly, with 166 samples: no more draws
        (167, 202, [334, 33066]),
    ],
)
def test_rejection_sizes_its_batches_from_the_acceptance_rate(n, k, batches):
    posterior = _ThinnedPosterior(k)
    box = Box(-np.inf, np.inf, 2)
    samples = sample_posterior(posterior, n, np.random.RandomState(0), box, n_steps=1)
    assert samples.shape == (n, 2)
    assert posterior.batches == batches


def test_min_proba_is_inclusive():
    # A flat network gives p(t | x) = 1/2 exactly, for every input: with
    # min_proba = 1/2 every input qualifies and the posterior is the prior.
    flat = ([np.zeros((2, 1)), np.zeros((1, 1))], [np.zeros(1), np.zeros(1)])
    prior = _gaussian_mixture([1.0], [[0.0, 0.0]], np.eye(2))
    posterior = _CountingPosterior((*flat, "identity", "logistic"), prior, np.ones((1, 1)))
    box = Box(-np.inf, np.inf, 2)
    rng = np.random.RandomState(0)
    # rejection keeps about half the draws: it needs about 2000 draws for
    # 1000 samples (measured 2256: a first batch of 2000, then one of 256),
    # not its budget of 200000 and the chains
    samples = sample_posterior(posterior, 1000, rng, box, min_proba=0.5)
    assert posterior.rows < 3000
    _assert_is_gaussian(samples, [0.0, 0.0], np.eye(2))
    # the chains' starts and moves too
    start = _initial_states(posterior, 1000, rng, box, np.empty((0, 2)), np.log(0.5))
    _assert_is_gaussian(start, [0.0, 0.0], np.eye(2))
    end = mala(posterior, start, rng, box, np.log(0.5), n_steps=20)
    assert np.all(np.any(end != start, axis=1))


def test_mode_search_steps_in_units_of_the_scale():
    # L-BFGS-B runs on x / scale: the same problem in units 100 times smaller,
    # whose prior's spreads (the default scale) are 100 times larger, takes
    # the same steps in the new units, so even three iterations, far from the
    # mode, end at the same point (measured: 5e-15 apart).
    clf = _bayes_classifier(pi1=0.3)
    box = Box(-np.inf, np.inf, 2)
    starts = np.array([[-20.0, 15.0], [3.0, -4.0]])
    ends = []
    for c in (1.0, 100.0):
        posterior = _posterior_in_units(clf, c)
        ends.append(posterior_mode(posterior, starts * c, box, max_iter=3, tol=1e-10))
    assert np.abs(ends[0] - MU[1]).max() > 1.0  # measured: 2.0 from the mode
    np.testing.assert_allclose(ends[1] / 100, ends[0], rtol=0, atol=1e-12)
    # a zero scale (a feature whose prior does not vary) counts as 1, step
    # for step
    posterior = _closed_form_posterior(pi1=0.3)
    ends = [
        posterior_mode(posterior, starts, box, max_iter=3, tol=1e-10, scale=np.array([1.5, s]))
        for s in (0.0, 1.0, 2.0)
    ]
    np.testing.assert_array_equal(ends[0], ends[1])
    assert np.abs(ends[2] - ends[1]).max() > 0.1  # measured: 1.6


def test_mode_search_stops_once_the_scaled_gradient_is_below_tol():
    # tol is L-BFGS-B's gtol, on the gradient with respect to x / scale
    posterior = _closed_form_posterior(pi1=0.3)
    box = Box(-np.inf, np.inf, 2)
    start = np.array([[-20.0, 15.0]])
    scale = prior_scale(posterior.prior)
    for tol, near, far in ((1e-3, 1e-5, 1e-3), (1e-8, 0.0, 1e-9)):
        x = posterior_mode(posterior, start, box, max_iter=200, tol=tol)
        assert np.abs(posterior(x[None])[1][0] * scale).max() <= tol
        # measured: 2.5e-4 from the mode with tol 1e-3 (it stopped as soon as
        # the gradient, 7.9e-4, fell below tol) and 1.8e-12 with tol 1e-8
        assert near <= np.abs(x - MU[1]).max() < far


class _RecordingPosterior(Posterior):
    """Counts its evaluations under each network weight."""

    def __call__(self, X, box=None):
        self.calls[self.weight] = self.calls.get(self.weight, 0) + 1
        return super().__call__(X, box)


def test_continuation_caps_its_first_weight_at_100_iterations():
    # A 50-dimensional prior of condition number 1e8 (a flat network): far
    # more than 200 iterations from the mode. A lone weight, and the last of
    # a continuation, run all max_iter = 200 iterations (measured: 217
    # evaluations); the first weight of a continuation at most 100 (106).
    d = 50
    rotation, _ = np.linalg.qr(np.random.RandomState(0).normal(size=(d, d)))
    cov = rotation @ np.diag(np.logspace(0, 8, d)) @ rotation.T
    prior = _gaussian_mixture([1.0], [np.zeros(d)], cov)
    flat = ([np.zeros((d, 1)), np.zeros((1, 1))], [np.zeros(1), np.zeros(1)])
    box = Box(-np.inf, np.inf, d)
    for weights in ((1.0,), (0.5, 1.0)):
        posterior = _RecordingPosterior((*flat, "identity", "logistic"), prior, np.ones((1, 1)))
        posterior.calls = {}
        posterior_mode(
            posterior, np.full((1, d), 100.0), box, max_iter=200, tol=1e-12, weights=weights
        )
        assert posterior.calls[1.0] > 200
        if len(weights) > 1:
            assert 100 < posterior.calls[0.5] < 150


def test_polish_matches_a_reachable_soft_target_beyond_tol():
    # p(t | x) = sigmoid(w.x + b) and the soft target 0.8: the mode of the
    # posterior misses it (by 0.047, the prior pulls), the polish on the
    # network's term alone, at a gtol of tol / 100, hits it (measured 1.7e-7
    # with tol = 0.01; 5e-5 at a gtol of tol, 0.016 with a relative-reduction
    # stop of 1)
    posterior = _closed_form_posterior(pi1=0.3, target=0.8)
    clf = _bayes_classifier(pi1=0.3)
    w, b = clf.coefs_[0][:, 0], clf.intercepts_[1][0]
    box = Box(-np.inf, np.inf, 2)
    starts = np.array([[-20.0, 15.0], [0.0, 0.0], [3.0, 3.0]])
    for polish, low, high in ((False, 0.04, 0.05), (True, 0.0, 2e-6)):
        x = posterior_mode(posterior, starts, box, max_iter=200, tol=1e-2, polish=polish)
        assert low <= abs(expit(x @ w + b) - 0.8) < high


def test_rows_that_overflow_are_impossible_inputs_silently():
    # p(t=1 | x) = sigmoid(1e200 x) under a N(0, 1) prior: the logit
    # overflows to +inf at x = 1e110 (its loss is inf - inf), to -inf at
    # x = -1e110 (an infinite loss, a finite gradient), and the prior's
    # gradient too at x = 1e200. Each such row is an impossible input
    # (log-density -inf, gradient 0) without a warning, and the finite row
    # in the same batch is as it is alone.
    network = ([np.array([[1e200]]), np.ones((1, 1))], [np.zeros(1), np.zeros(1)])
    prior = _gaussian_mixture([1.0], [[0.0]], np.eye(1))
    posterior = Posterior((*network, "identity", "logistic"), prior, np.ones((1, 1)))
    X = np.array([[1e-200], [1e110], [-1e110], [1e200]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value, grad = posterior(X)
        log_lik = posterior.log_likelihood(X)
    alone_value, alone_grad = posterior(X[:1])
    assert np.isfinite(alone_value[0]) and np.isfinite(alone_grad[0, 0])
    np.testing.assert_array_equal(value, [alone_value[0], -np.inf, -np.inf, -np.inf])
    np.testing.assert_array_equal(grad, [alone_grad[0], [0.0], [0.0], [0.0]])
    np.testing.assert_array_equal(log_lik[1:], [-np.inf, -np.inf, -np.inf])
    np.testing.assert_allclose(log_lik[0], -np.logaddexp(0, -1.0), rtol=1e-15)


def test_log_likelihood_of_a_softmax_network():
    # log p(t | x) is minus the cross-entropy of the softmax of the logits
    rng = np.random.RandomState(0)
    coefs = [rng.normal(size=(2, 3)), rng.normal(size=(3, 3))]
    intercepts = [rng.normal(size=3), rng.normal(size=3)]
    target = np.array([[0.2, 0.5, 0.3]])
    prior = _gaussian_mixture([1.0], [[0.0, 0.0]], np.eye(2))
    posterior = Posterior((coefs, intercepts, "tanh", "softmax"), prior, target)
    X = rng.normal(size=(5, 2))
    logits = np.tanh(X @ coefs[0] + intercepts[0]) @ coefs[1] + intercepts[1]
    expected = (target * (logits - logsumexp(logits, axis=1, keepdims=True))).sum(axis=1)
    np.testing.assert_allclose(posterior.log_likelihood(X), expected, rtol=1e-12)


def test_one_mcmc_step_from_exact_censored_samples_stays_exact():
    # Exact draws (u censored by rejection) moved by one MALA step stay exact:
    # a chain beyond a bound starts with the density the network gives the
    # bound, not u. (Given u instead, one step takes the mass on -0.5 from
    # 0.185 to 0.129: 20 standard errors; measured within 1 here.)
    posterior, box, at_lo, at_hi = _censored_1d()
    rng = np.random.RandomState(0)
    U = rng.normal(size=(80_000, 1))
    U = U[np.log(rng.uniform(size=len(U))) < posterior.log_likelihood(box.clip(U))][:20_000]
    x = box.clip(mala(posterior, U, rng, box, -np.inf, n_steps=1))[:, 0]
    for value, mass in ((-0.5, at_lo), (1.0, at_hi)):
        se = np.sqrt(mass * (1 - mass) / len(x))
        assert abs(np.mean(x == value) - mass) < 4 * se


def test_heaviest_component_is_deterministic_even_for_a_tie():
    # Two mirror-image components under p(t | x) = sigmoid(|x_0| - 1) (two
    # relu units): equal posterior masses, so only the estimate's draws
    # decide, and they are the same at every call.
    network = (
        [np.array([[1.0, -1.0], [0.0, 0.0]]), np.ones((2, 1))],
        [np.zeros(2), np.array([-1.0])],
    )
    prior = _gaussian_mixture([0.5, 0.5], [[-1.0, -1.0], [1.0, 1.0]], np.eye(2))
    posterior = Posterior((*network, "relu", "logistic"), prior, np.ones((1, 1)))
    box = Box(-np.inf, np.inf, 2)
    assert len({heaviest_component(posterior, box) for _ in range(20)}) == 1
