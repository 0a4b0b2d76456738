"""The choice of ``prior="auto"`` by held-out log-likelihood, and the rows the prior sees."""

import functools

import numpy as np
import pytest
from _tolerance import assert_within
from sklearn.cluster import KMeans, kmeans_plusplus
from sklearn.datasets import make_blobs
from sklearn.mixture import GaussianMixture
from sklearn.model_selection import KFold

from sklearn_revnet._core.marginal import YeoJohnson
from sklearn_revnet._core.prior import MAX_ROWS, InputPrior, fit_prior, fit_prior_on_rows
from sklearn_revnet._core.prior_search import (
    N_FOLDS,
    Search,
    _kmeans_start,
    fit_mixture,
    held_out_score,
    one_gaussian_score,
)


def _blobs(n_per_blob=300, seed=0):
    """Two elongated, well-separated Gaussian blobs in 2-d, in units far from 1."""
    rng = np.random.RandomState(seed)
    cov = np.array([[4.0, 1.5], [1.5, 1.0]])
    a = rng.multivariate_normal([0.0, 0.0], cov, n_per_blob)
    b = rng.multivariate_normal([12.0, -6.0], cov, n_per_blob)
    return np.vstack([a, b]) * [100.0, 0.01] + [5.0, 3.0]


def _lognormal(n, seed=0):
    """Two independent right-skewed features: lognormal draws, on different scales."""
    return np.random.RandomState(seed).lognormal(size=(n, 2)) * [1.0, 50.0]


@functools.cache
def _skewed_prior():
    """200 rows of two lognormal features and their ``prior="auto"`` (fitted once)."""
    X = _lognormal(200)
    return X, fit_prior(X, random_state=0)


def _standardized_split(X):
    """Standardized rows, halved into rows to fit on and rows held out."""
    U = (X - X.mean(axis=0)) / X.std(axis=0)
    return U[::2], U[1::2]


def test_one_gaussian_is_chosen_for_gaussian_data():
    # 200 draws of one correlated Gaussian. Held-out scores are noisy: over
    # seeds 0 to 9 of the draws and the search, one (seed 2) chose more
    # components, by 0.03 nats per row.
    cov = [[2.0, 0.8, 0.0], [0.8, 1.0, 0.3], [0.0, 0.3, 0.5]]
    X = np.random.RandomState(0).multivariate_normal([1.0, -2.0, 3.0], cov, 200)
    prior = fit_prior(X, random_state=0)
    assert prior.n_components == 1


def test_separated_blobs_get_about_their_number_of_components():
    # Four round blobs, 12 standard deviations apart. Measured over seeds 0
    # to 9: 4 or 6 components, but 22 diagonal ones for seed 2.
    centres = [[0, 0], [12, 0], [0, 12], [12, 12]]
    X, _ = make_blobs(240, n_features=2, centers=centres, random_state=0)
    prior = fit_prior(X, random_state=0)
    assert 4 <= prior.n_components <= 6
    # every blob holds a component's centre (within 0.27 of a standard
    # deviation, measured)
    nearest = np.linalg.norm(prior.means_[:, None] - np.array(centres)[None], axis=2).min(axis=0)
    assert np.all(nearest < 1.0)


def test_yeo_johnson_is_chosen_for_skewed_data_and_beats_standardization():
    X, prior = _skewed_prior()
    assert prior.marginal_.power
    scores = prior.search_scores_
    best = {power: max(v for k, v in scores.items() if k[0] == power) for power in (False, True)}
    assert best[True] > best[False] + 0.05  # measured: 0.19 nats per row
    # on new rows of the same law, against the best standardized candidate
    _, covariance_type, k, reg_covar = max(
        (k for k in scores if not k[0]), key=lambda key: scores[key]
    )
    marginal = YeoJohnson(X, power=False)
    mixture = fit_mixture(marginal.transform(X), k, covariance_type, reg_covar, 0)
    plain = InputPrior(mixture, marginal, covariance_type, "")
    new = _lognormal(5000, seed=1)
    assert prior.score(new) > plain.score(new) + 0.3  # measured: 1.55 nats per row


def test_search_scores_hold_the_chosen_candidate_as_the_best():
    _, prior = _skewed_prior()
    scores = prior.search_scores_
    assert len(scores) > 10
    assert all(not np.isnan(v) for v in scores.values())
    assert scores[prior.search_best_] == max(scores.values())
    assert f"({scores[prior.search_best_]:.4g} nats per row, " in prior.description_


def test_the_chosen_size_is_refitted_with_as_many_rows_per_component():
    # A fold trains on two thirds of the rows; the size chosen there grows
    # by the ratio of the rows when the mixture is refitted on all of them.
    X, prior = _skewed_prior()
    fold_size = prior.search_best_[2]
    assert fold_size > 1
    assert f"for {fold_size} components on a fold's 133 training rows" in prior.description_
    assert prior.n_components == int(fold_size * 200 / 133)
    assert prior.mixture_.means_.shape == (prior.n_components, X.shape[1])


def test_the_refitted_size_is_at_most_the_distinct_rows():
    # 60 rows of 4 distinct points: a fold's 40 rows allow 4 components,
    # and all the rows no more.
    X = np.repeat(np.eye(4), 15, axis=0)
    search = Search(X, 0)
    assert max(search.sizes) == 4
    assert [search.size_on_all_rows(k) for k in (1, 2, 3, 4)] == [1, 3, 4, 4]


def test_search_scores_are_cross_validated_held_out_log_likelihoods():
    # A candidate's score is the mean over the folds of the mean
    # log-density, in the coordinates of X (with the Jacobian of the map
    # fitted on the fold's training rows), of the held-out rows: here
    # recomputed with scikit-learn's mixture and the prior's own density.
    X = _lognormal(90)
    seed = 7
    prior = fit_prior_on_rows(X, "auto", seed)
    folds = list(KFold(N_FOLDS, shuffle=True, random_state=seed).split(X))
    scores = prior.search_scores_
    candidates = sorted(scores)[::10] + [prior.search_best_]  # every kind, and the chosen
    assert {key[1] for key in candidates} == {"full", "tied", "diag"}
    for key in candidates:
        power, covariance_type, k, reg_covar = key
        values = []
        for train, held_out in folds:
            marginal = YeoJohnson(X[train], power=power)
            mixture = fit_mixture(
                marginal.transform(X[train]), k, covariance_type, reg_covar, seed
            )
            fold_prior = InputPrior(mixture, marginal, covariance_type, "")
            values.append(fold_prior.score(X[held_out]))
        # the same EM to the same tolerance: measured 3e-15 nats per row
        gap = abs(scores[key] - np.mean(values))
        assert_within(gap, 1e-6, "search score against a scikit-learn fit", key)


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag"])
def test_held_out_score_is_scikit_learns_em_from_the_same_start(covariance_type):
    # The search's own EM against GaussianMixture started at the same
    # weights, means and precisions (the clusters of the same k-means): the
    # same algorithm, so the same held-out log-likelihood.
    data = [make_blobs(300, n_features=3, centers=4, random_state=0)[0]]
    data.append(np.log(_lognormal(300)) ** 2)
    for X in data:
        U, held_out = _standardized_split(X)
        for k, reg_covar, seed in [(2, 1e-6, 0), (3, 1e-3, 1), (5, 1e-6, 2)]:
            weights, means, covariances = _kmeans_start(
                U, k, covariance_type, reg_covar, np.random.RandomState(seed)
            )
            precisions = (
                1 / covariances if covariance_type == "diag" else np.linalg.inv(covariances)
            )
            reference = GaussianMixture(
                k,
                covariance_type=covariance_type,
                reg_covar=reg_covar,
                weights_init=weights,
                means_init=means,
                precisions_init=precisions,
            ).fit(U)
            score = held_out_score(U, held_out, k, covariance_type, reg_covar, seed)
            # measured: 3e-14 nats per row (the EM's stopping rule, at tol=1e-3,
            # could in principle stop one iteration apart: hence 1e-6)
            gap = abs(score - reference.score(held_out))
            assert_within(gap, 1e-6, "held-out score against scikit-learn's EM", (k, seed))


@pytest.mark.parametrize("covariance_type", ["full", "diag"])
def test_one_gaussian_score_is_scikit_learns(covariance_type):
    X = make_blobs(200, n_features=3, centers=2, random_state=0)[0]
    U, held_out = _standardized_split(X)
    for reg_covar in (1e-6, 1e-2):
        reference = GaussianMixture(1, covariance_type=covariance_type, reg_covar=reg_covar)
        expected = reference.fit(U).score_samples(held_out)
        scores = one_gaussian_score(U, held_out, covariance_type, reg_covar)
        # measured: 2e-15
        assert_within(np.abs(scores - expected), 1e-8, "one Gaussian against scikit-learn's")


def test_kmeans_start_is_lloyds_kmeans_from_the_kmeans_plus_plus_seeds():
    # The start's means are the centres of scikit-learn's Lloyd k-means run
    # from the same k-means++ seeds until the clusters stop changing, its
    # weights the clusters' shares of the rows.
    U = _standardized_split(make_blobs(300, n_features=3, centers=5, random_state=1)[0])[0]
    for k, seed in [(2, 0), (4, 1), (7, 2)]:
        weights, means, _ = _kmeans_start(U, k, "full", 1e-6, np.random.RandomState(seed))
        seeds, _ = kmeans_plusplus(U, k, random_state=np.random.RandomState(seed))
        reference = KMeans(k, init=seeds, n_init=1, max_iter=30, tol=0, algorithm="lloyd").fit(U)
        # measured: at most 9e-16 for the means; the weights are counts over rows
        np.testing.assert_allclose(means, reference.cluster_centers_, rtol=0, atol=1e-12)
        shares = np.bincount(reference.labels_, minlength=k) / len(U)
        np.testing.assert_allclose(weights, shares, rtol=1e-12)


def test_kmeans_start_survives_an_empty_cluster():
    # Three clusters of two distinct points: k-means++ seeds one of them
    # twice, and one of that point's two clusters gets no row. The start
    # stays finite, with a weight of about 0 there.
    U = np.array([[2.0, 0.0]] * 5 + [[1.0, 1.0]] * 3)
    weights, means, covariances = _kmeans_start(U, 3, "diag", 1e-6, np.random.RandomState(0))
    assert np.all(np.isfinite(means)) and np.all(np.isfinite(covariances))
    assert sorted(np.round(weights, 12)) == [0.0, 0.375, 0.625]
    held = weights > 0.1
    np.testing.assert_allclose(means[held][np.argsort(weights[held])], [[1, 1], [2, 0]])


def test_tied_mixture_is_written_as_full_with_the_same_density():
    X = make_blobs(300, n_features=3, centers=3, random_state=0)[0]
    U, held_out = _standardized_split(X)
    tied = fit_mixture(U, 3, "tied", 1e-6, 0)
    assert tied.covariance_type == "full" and tied.covariances_.shape == (3, 3, 3)
    np.testing.assert_array_equal(tied.covariances_, tied.covariances_[[0, 0, 0]])
    weights, means, covariances = _kmeans_start(U, 3, "tied", 1e-6, np.random.RandomState(0))
    reference = GaussianMixture(
        3,
        covariance_type="tied",
        reg_covar=1e-6,
        weights_init=weights,
        means_init=means,
        precisions_init=np.linalg.inv(covariances),
    ).fit(U)
    # measured: 0
    gap = np.abs(tied.score_samples(held_out) - reference.score_samples(held_out))
    assert_within(gap, 1e-9, "tied written as full against scikit-learn's tied")


def test_search_is_deterministic_for_a_seed():
    X, a = _skewed_prior()  # fitted with random_state=0
    b = fit_prior(X, random_state=np.random.RandomState(0))
    assert a.search_scores_ == b.search_scores_
    assert a.description_ == b.description_
    np.testing.assert_array_equal(a.means_, b.means_)
    np.testing.assert_array_equal(a.score_samples(X), b.score_samples(X))


@pytest.mark.parametrize("n_rows", [2, 5, 11])
def test_too_few_rows_give_one_full_gaussian_without_a_search(n_rows):
    X = np.random.RandomState(0).lognormal(size=(n_rows, 3))
    prior = fit_prior(X, random_state=0)
    assert prior.n_components == 1 and prior.covariance_type == "full"
    assert prior.search_scores_ == {}
    np.testing.assert_allclose(prior.means_[0], X.mean(axis=0), rtol=1e-12)  # measured: 2e-16
    assert np.all(np.isfinite(prior.score_samples(X)))


def test_twelve_rows_are_searched():
    X = np.random.RandomState(0).lognormal(size=(12, 3))
    prior = fit_prior(X, random_state=0)
    assert len(prior.search_scores_) > 0
    assert np.all(np.isfinite(prior.score_samples(X)))


def test_constant_features_and_one_row_give_finite_scores():
    rng = np.random.RandomState(0)
    X = np.c_[rng.lognormal(size=(60, 2)), np.full(60, -3.0), np.full(60, 1e6)]
    prior = fit_prior(X, random_state=0)
    assert all(not np.isnan(v) for v in prior.search_scores_.values())
    assert np.isfinite(max(prior.search_scores_.values()))
    assert np.all(np.isfinite(prior.score_samples(X)))
    # measured: 0
    np.testing.assert_allclose(prior.means_[:, 2:], [[-3.0, 1e6]] * prior.n_components)
    one = fit_prior(X[:1], random_state=0)
    assert np.all(np.isfinite(one.score_samples(X[:1])))


def _rows_seen(monkeypatch):
    """The number of rows of each fit of a GaussianMixture, as they happen."""
    rows = []
    fit = GaussianMixture.fit

    def recording_fit(self, X, y=None):
        rows.append(len(X))
        return fit(self, X, y)

    monkeypatch.setattr(GaussianMixture, "fit", recording_fit)
    return rows


def test_weighted_rows_are_resampled_to_at_most_max_rows(monkeypatch):
    X = _blobs(n_per_blob=1500, seed=1)  # 3000 rows
    rows_seen = _rows_seen(monkeypatch)
    fit_prior(X[:MAX_ROWS], prior=1, random_state=0)
    fit_prior(X, np.arange(len(X)) % 3 + 1.0, prior=1, random_state=0)
    fit_prior(X[:100], np.arange(100) % 3 + 1.0, prior=1, random_state=0)
    assert rows_seen == [MAX_ROWS, MAX_ROWS, 100]


@pytest.mark.parametrize("prior", [1, "diagonal"])
def test_equal_weights_are_no_weights(prior):
    X = _blobs(n_per_blob=100)
    plain = fit_prior(X, prior=prior, random_state=0)
    weighted = fit_prior(X, np.full(len(X), 2.5), prior=prior, random_state=0)
    np.testing.assert_array_equal(plain.means_, weighted.means_)
    np.testing.assert_array_equal(plain.mixture_.covariances_, weighted.mixture_.covariances_)
