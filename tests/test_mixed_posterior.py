"""The latent-class prior of mixed inputs, its exact samples and its mode.

The exactness tests use a mixed problem whose posterior is known in closed
form. Two latent classes, each a Gaussian of one continuous input times a
categorical distribution of one column (three categories, one-hot encoded
in three inputs), are also the two labels. Their true ``p(y | x, c)`` is
logistic, linear in ``x`` and in the one-hot code of ``c``; a network fixed
to it, with the two classes as its latent-class prior, has class 1 itself as
its posterior for ``y = 1``: ``x ~ N(mu_1, sigma^2)`` and ``c ~ pi_1``,
independent.
"""

import numpy as np
import pytest
from scipy import integrate, stats
from scipy.optimize import check_grad
from sklearn.preprocessing import LabelBinarizer

from sklearn_revnet import ReversibleMLPClassifier
from sklearn_revnet._core.categories import Categories
from sklearn_revnet._core.density import PriorDensity, sample_prior
from sklearn_revnet._core.mixed_prior import (
    MixedPrior,
    fit_mixed_prior_on_rows,
    gaussian_mixture,
)
from sklearn_revnet._reverse.posterior import Box, Posterior
from sklearn_revnet._reverse.sampling import mala

MU, SIGMA = np.array([-1.0, 1.5]), 0.8
PI = np.array([[0.6, 0.3, 0.1], [0.1, 0.3, 0.6]])  # each class's categories
ONE_HOT = Categories(4, [([1, 2, 3], np.eye(3))])  # inputs: x, then the one-hot c


def _two_class_prior(pi1):
    weights = np.array([1 - pi1, pi1])
    mixture = gaussian_mixture(weights, MU[:, None], np.full((2, 1), SIGMA**2), "diag")
    return MixedPrior(weights, mixture, None, np.log(PI), ONE_HOT, "diag", "by hand")


def _bayes_classifier(pi1):
    """A classifier whose network is the exact p(y | x, c) of the two classes."""
    precision = 1 / SIGMA**2
    w = precision * (MU[1] - MU[0])
    b = -0.5 * precision * (MU[1] ** 2 - MU[0] ** 2) + np.log(pi1 / (1 - pi1))
    v = np.log(PI[1] / PI[0])  # the categories' log odds
    clf = ReversibleMLPClassifier((1,), "identity", input_bounds=None)
    clf.coefs_ = [np.array([[w], *v[:, None]]), np.ones((1, 1))]
    clf.intercepts_ = [np.zeros(1), np.array([b])]
    clf.classes_ = np.array([0, 1])
    clf.out_activation_ = "logistic"
    clf.n_outputs_, clf.n_layers_, clf.n_features_in_ = 1, 3, 4
    clf._label_binarizer = LabelBinarizer().fit(clf.classes_)
    clf.prior_ = _two_class_prior(pi1)
    return clf


def _assert_is_class(samples, label):
    """``samples`` (rows x, one-hot c) are class ``label``: x Gaussian, c ~ pi, independent."""
    c = ONE_HOT.index(samples)[:, 0]
    assert np.all(c >= 0)  # every row holds a category's exact code
    n = len(samples)
    shares = np.bincount(c, minlength=3) / n
    se = np.sqrt(PI[label] * (1 - PI[label]) / n)
    assert np.all(np.abs(shares - PI[label]) < 4 * se), shares
    x = samples[:, 0]
    assert stats.kstest(x, stats.norm(MU[label], SIGMA).cdf).pvalue > 1e-3
    for j in range(3):  # independent of the category
        within = x[c == j]
        assert abs(within.mean() - MU[label]) < 4 * SIGMA / np.sqrt(len(within))


@pytest.mark.parametrize("label", [0, 1])
def test_generate_is_exact_on_a_closed_form_mixed_posterior(label):
    clf = _bayes_classifier(pi1=0.3)
    _assert_is_class(clf.generate(label, n=3000, random_state=0), label)


def test_gibbs_and_mala_are_exact_on_a_closed_form_mixed_posterior():
    # Chains started in the other class, with its categories, must forget
    # their start: the categories move by exact Gibbs steps only.
    clf = _bayes_classifier(pi1=0.3)
    posterior = Posterior(
        (clf.coefs_, clf.intercepts_, "identity", "logistic"), clf.prior_, np.ones((1, 1))
    )
    rng = np.random.RandomState(0)
    start = sample_prior(_two_class_prior(1e-9), 2000, rng)  # class 0's rows
    samples = mala(posterior, start, rng, Box(-np.inf, np.inf, 4), -np.inf, n_steps=200)
    _assert_is_class(samples, 1)


def test_mode_is_the_class_mode_on_a_closed_form_mixed_posterior():
    clf = _bayes_classifier(pi1=0.3)
    for label in (0, 1):
        x = clf.inverse_transform([label])[0]
        expected = [MU[label], *np.eye(3)[np.argmax(PI[label])]]
        np.testing.assert_allclose(x, expected, atol=1e-4)
        np.testing.assert_array_equal(clf.inverse_transform([label])[0], x)  # deterministic


def test_mixed_density_sums_to_one_over_categories_and_integrates_over_x():
    density = PriorDensity(_two_class_prior(0.3))

    def mass(category):
        row = np.eye(3)[category]
        value = integrate.quad(
            lambda x: np.exp(density(np.array([[x, *row]]), gradient=False)[0][0]), -12, 12
        )
        return value[0]

    assert sum(mass(c) for c in range(3)) == pytest.approx(1.0, abs=1e-8)
    # a row whose categorical inputs hold no code has no density
    assert density(np.array([[0.0, 0.5, 0.5, 0.0]]), gradient=False)[0][0] == -np.inf


def test_mixed_density_gradient_matches_finite_differences():
    rng = np.random.RandomState(0)
    X, C = rng.normal(size=(300, 2)), rng.randint(3, size=300)
    X[:, 0] += 2 * C  # the continuous inputs depend on the category
    categories = Categories(5, [([2, 3, 4], np.eye(3))])
    rows = np.column_stack([X, np.eye(3)[C]])
    prior = fit_mixed_prior_on_rows(rows, categories, "auto", 0)
    density = PriorDensity(prior)
    for row in rows[:5]:
        codes = row[2:]

        def value(x, codes=codes):
            return density(np.r_[x, codes][None], gradient=False)[0][0]

        def grad(x, codes=codes):
            return density(np.r_[x, codes][None])[1][0, :2]

        assert check_grad(value, grad, row[:2], epsilon=1e-6) < 1e-5 * (
            1 + np.abs(grad(row[:2])).max()
        )
        assert np.all(density(row[None])[1][0, 2:] == 0)  # nothing moves the categories


def test_latent_class_prior_learns_what_links_categories_and_numbers():
    # Each category shifts the number: one Gaussian times independent
    # categories would miss it, a mixture chosen on held-out rows does not.
    rng = np.random.RandomState(0)
    n = 900
    C = rng.choice(3, size=n, p=[0.5, 0.3, 0.2])
    x = 3.0 * C + rng.normal(size=n)
    rows = np.column_stack([x, np.eye(3)[C]])
    prior = fit_mixed_prior_on_rows(rows[:600], ONE_HOT.__class__(4, ONE_HOT.blocks), "auto", 0)
    assert prior.n_components >= 3
    single = fit_mixed_prior_on_rows(rows[:600], ONE_HOT, 1, 0)
    held_out = rows[600:]
    assert prior.score(held_out) > single.score(held_out) + 0.5
    draws = sample_prior(prior, 4000, np.random.RandomState(1))
    c = ONE_HOT.index(draws)[:, 0]
    np.testing.assert_allclose(np.bincount(c) / len(c), [0.5, 0.3, 0.2], atol=0.04)
    for j in range(3):
        assert abs(draws[c == j, 0].mean() - 3.0 * j) < 0.2
    assert "latent-class mixture" in prior.description_


def test_categories_find_codes_and_put_them():
    categories = Categories(5, [([0, 1], [[1, 0], [0, 1], [0, 0]]), ([4], [[0.0], [1.0], [2.0]])])
    X = np.array([[0, 1, 7, 8, 2], [0, 0, 7, 8, 0], [0.5, 0.5, 7, 8, 1]], dtype=float)
    np.testing.assert_array_equal(categories.index(X), [[1, 2], [2, 0], [-1, 1]])
    np.testing.assert_array_equal(categories.continuous, [2, 3])
    np.testing.assert_array_equal(categories.put(X.copy(), 1, 2)[:, 4], [2, 2, 2])
    assert categories == Categories(5, [(c, codes.copy()) for c, codes in categories.blocks])
    assert categories != Categories(5, categories.blocks[:1])
