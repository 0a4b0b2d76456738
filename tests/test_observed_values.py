"""Samples take the values seen in training where these repeat.

The exactness tests use a posterior known in closed form: one input whose
training values are five numbers with known counts, a Gaussian prior and a
logistic network. The prior pushed onto the training values gives each value
its share of the rows, so ``p(x = v | y = 1)`` is proportional to
``count(v) * sigmoid(w v + b)``.
"""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits, load_iris, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import sklearn_revnet
from sklearn_revnet import ReversibleMLPClassifier
from sklearn_revnet._core.values import ObservedValues, quantile, quantile_knots, short_decimals
from sklearn_revnet._reverse.posterior import Box, MappedBox, Posterior
from sklearn_revnet._reverse.sampling import mala, sample_posterior

VALUES = np.array([-1.5, -0.5, 0.0, 0.5, 2.0])
COUNTS = np.array([10, 30, 20, 25, 15])
W, B = 2.0, -0.5


def _gaussian_prior():
    prior = GaussianMixture(1).fit(np.random.RandomState(0).standard_normal((2000, 1)))
    prior.means_, prior.covariances_ = np.zeros((1, 1)), np.ones((1, 1, 1))
    prior.precisions_cholesky_ = np.ones((1, 1, 1))
    return prior


def _closed_form():
    prior = _gaussian_prior()
    rows = np.repeat(VALUES, COUNTS)[:, None]
    box = MappedBox(Box(-np.inf, np.inf, 1), ObservedValues(rows, prior, [0]))
    network = ([np.array([[W]])], [np.array([B])], "identity", "logistic")
    posterior = Posterior(network, prior, np.ones((1, 1)))
    expected = COUNTS / (1 + np.exp(-(W * VALUES + B)))
    return posterior, box, expected / expected.sum()


def _assert_shares(samples, expected):
    index = np.searchsorted(VALUES, samples[:, 0])
    np.testing.assert_array_equal(VALUES[index], samples[:, 0])  # training values only
    shares = np.bincount(index, minlength=len(VALUES)) / len(samples)
    se = np.sqrt(expected * (1 - expected) / len(samples))
    # 4 standard errors, plus the map's own error (its distribution
    # function comes from 10000 prior draws: about 0.005 per share)
    assert np.all(np.abs(shares - expected) < 4 * se + 0.01), (shares, expected)


def test_rejection_samples_are_exact_on_training_values():
    posterior, box, expected = _closed_form()
    samples = sample_posterior(posterior, 4000, np.random.RandomState(0), box)
    _assert_shares(samples, expected)


def test_mala_chains_are_exact_on_training_values():
    # chains started on one value must forget it: the network's term is a
    # step function of the draw, seen by the Metropolis-Hastings ratio only
    posterior, box, expected = _closed_form()
    start = np.full((3000, 1), 2.5)
    rng = np.random.RandomState(0)
    samples = box.clip(mala(posterior, start, rng, box, -np.inf, n_steps=300))
    _assert_shares(samples, expected)


def test_map_gives_atoms_their_share_and_interpolates_between_single_values():
    rng = np.random.RandomState(0)
    # 40% of the rows at 0, the rest distinct: the 0s are an atom
    column = np.r_[np.zeros(400), rng.uniform(1, 5, 600)]
    knots = quantile_knots(column)
    p = rng.uniform(size=100_000)
    x = quantile(knots, p)
    assert abs(np.mean(x == 0) - 0.4) < 0.01
    inside = x[x > 0]
    assert inside.min() >= column[column > 0].min() and inside.max() <= column.max()
    assert len(np.unique(inside)) > 0.9 * len(inside)  # interpolated, not snapped
    order = np.argsort(p)
    assert np.all(np.diff(x[order]) >= 0)  # monotone
    # a column of few values: every value an atom with its share
    knots = quantile_knots(np.repeat(VALUES, COUNTS))
    shares = np.bincount(np.searchsorted(VALUES, quantile(knots, p)), minlength=5) / len(p)
    np.testing.assert_allclose(shares, COUNTS / COUNTS.sum(), atol=0.005)
    assert quantile_knots(rng.standard_normal(50)) is None  # nothing repeats: no map


def test_generate_takes_the_training_values_of_discrete_columns():
    X, y = load_iris(return_X_y=True)  # measurements to 0.1 cm: few values each
    noise = np.random.RandomState(0).standard_normal((len(X), 1))
    X = np.hstack([X, noise])  # a continuous column, no value repeated
    clf = ReversibleMLPClassifier((8,), max_iter=300, random_state=0).fit(X, y)
    samples = clf.generate(1, n=300, random_state=0)
    for j in range(4):
        assert np.all(np.isin(samples[:, j], X[:, j])), j
    assert np.mean(np.isin(samples[:, 4], X[:, 4])) < 0.05  # left continuous
    again = clf.generate(1, n=300, random_state=0)
    np.testing.assert_array_equal(samples, again)


@pytest.mark.parametrize("bounds", ["auto", (-1.0, 1.0)])
def test_generate_on_training_values_stays_within_bounds(bounds):
    X, y = make_classification(200, 3, n_informative=2, n_redundant=0, random_state=0)
    X = np.round(X, 1)  # a lattice of 0.1
    clf = ReversibleMLPClassifier((8,), max_iter=200, input_bounds=bounds, random_state=0)
    clf.fit(X, y)
    samples = clf.generate(0, n=200, random_state=0)
    lo, hi = (X.min(axis=0), X.max(axis=0)) if bounds == "auto" else bounds
    assert np.all((samples >= lo) & (samples <= hi))
    on_values = np.isin(samples, X) | (samples == lo) | (samples == hi)
    assert np.all(on_values)


def test_generate_through_a_scaler_gives_the_training_values_exactly():
    # The way back (z * scale + mean) puts a value a few ulps off: without
    # tidying, 2 to 2.5% of the samples of 3 of these 8 pixels missed their
    # training value (0 to 16) by an ulp.
    X, y = load_digits(return_X_y=True)
    X, y = X[:400, 20:28], y[:400] % 2
    clf = ReversibleMLPClassifier((8,), max_iter=300, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipe = make_pipeline(StandardScaler(), clf).fit(X, y)
    samples = sklearn_revnet.generate(pipe, 1, n=200, random_state=0)
    for j in range(X.shape[1]):
        assert np.all(np.isin(samples[:, j], X[:, j])), j


def test_short_decimals_are_the_literals_and_other_values_stay():
    got = short_decimals(
        [36 + 4e-14, 5.1 + 2e-15, -1e-17, 0.25 - 1e-16, 1e5 + 1e-8, 12345.6 + 1e-12]
    )
    np.testing.assert_array_equal(got, [36.0, 5.1, 0.0, 0.25, 1e5, 12345.6])
    assert not np.signbit(got[2])  # no negative zero
    # more digits; and near 1000, 4 places would move a value with more
    # digits too often (2e-5 of them): 2 at most are tried
    values = np.array([np.pi, -np.e, 1e-9, 123.4567891, 1000.1234 + 1e-10, np.inf, -np.inf])
    np.testing.assert_array_equal(short_decimals(values), values)
    assert np.isnan(short_decimals([np.nan])[0])
