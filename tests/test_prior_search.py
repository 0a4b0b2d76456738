"""Which rows the prior is fitted on, and which mixture sizes ``prior="auto"`` tries."""

import numpy as np
import pytest

from sklearn_revnet._core import prior as _prior
from sklearn_revnet._core.prior import MAX_ROWS, fit_prior


def _blobs(n_per_blob=300, seed=0):
    """Two elongated, well-separated Gaussian blobs in 2-d, in units far from 1."""
    rng = np.random.RandomState(seed)
    cov = np.array([[4.0, 1.5], [1.5, 1.0]])
    a = rng.multivariate_normal([0.0, 0.0], cov, n_per_blob)
    b = rng.multivariate_normal([12.0, -6.0], cov, n_per_blob)
    return np.vstack([a, b]) * [100.0, 0.01] + [5.0, 3.0]


def _sizes_tried(monkeypatch, rows_seen=None):
    sizes = []
    fit = _prior._fit

    def recording_fit(U, n_components, covariance_type, seed):
        sizes.append(n_components)
        if rows_seen is not None:
            rows_seen.append(len(U))
        return fit(U, n_components, covariance_type, seed)

    monkeypatch.setattr(_prior, "_fit", recording_fit)
    return sizes


def test_auto_stops_after_two_sizes_without_improvement(monkeypatch):
    # two Gaussian blobs: AIC falls from 1 to 2 components and rises after
    sizes = _sizes_tried(monkeypatch)
    prior = fit_prior(_blobs(), prior="auto", random_state=0)
    assert prior.n_components == 2
    assert sizes == [1, 2, 3, 4]


def test_weighted_rows_are_resampled_to_at_most_max_rows(monkeypatch):
    X = _blobs(n_per_blob=1500, seed=1)  # 3000 rows
    rows_seen = []
    _sizes_tried(monkeypatch, rows_seen)
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
    np.testing.assert_array_equal(plain.covariances_, weighted.covariances_)
