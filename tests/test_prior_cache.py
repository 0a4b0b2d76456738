"""A prior fitted on the same rows, kind and seed is reused, as a copy, and only then."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from sklearn_revnet import ReversibleMLPClassifier
from sklearn_revnet._core import prior_cache
from sklearn_revnet._core.prior import fit_prior_on_rows
from sklearn_revnet._core.prior_cache import prior_for_rows


@pytest.fixture
def rows():
    X = StandardScaler().fit_transform(load_wine().data)
    return X[:, :5]


@pytest.fixture(autouse=True)
def _empty_cache(monkeypatch):
    monkeypatch.setattr(prior_cache, "_priors", type(prior_cache._priors)())


def _same_prior(a, b):
    for name in ("weights_", "means_", "covariances_"):
        assert_array_equal(getattr(a.mixture_, name), getattr(b.mixture_, name))
    assert a.description_ == b.description_
    assert a.offset_ == b.offset_


def test_a_reused_prior_is_the_fitted_one_and_a_copy(rows, capsys):
    first = prior_for_rows(rows, "auto", 3, verbose=1)
    assert "reused" not in capsys.readouterr().out
    second = prior_for_rows(rows.copy(), "auto", 3, verbose=1)
    assert "reused from a fit on the same rows" in capsys.readouterr().out
    _same_prior(first, fit_prior_on_rows(rows, "auto", 3))
    _same_prior(second, first)
    assert second is not first and second.mixture_ is not first.mixture_
    second.mixture_.means_[:] = 0.0  # one model's prior changed by hand
    assert not np.all(prior_for_rows(rows, "auto", 3).means_ == 0.0)


@pytest.mark.parametrize("change", ["rows", "kind", "seed"])
def test_other_rows_kind_or_seed_fit_anew(rows, change, capsys):
    prior_for_rows(rows, 2, 3)
    other = {"rows": (rows[:-1], 2, 3), "kind": (rows, "diagonal", 3), "seed": (rows, 2, 4)}
    prior = prior_for_rows(*other[change], verbose=1)
    assert "reused" not in capsys.readouterr().out
    _same_prior(prior, fit_prior_on_rows(*other[change]))


def test_the_least_recently_used_prior_goes_first(rows, monkeypatch, capsys):
    monkeypatch.setattr(prior_cache, "MAX_PRIORS", 2)
    for seed in (0, 1, 0, 2):  # 0 used again after 1: 1 goes when 2 comes
        prior_for_rows(rows, "diagonal", seed)
    capsys.readouterr()
    prior_for_rows(rows, "diagonal", 0, verbose=1)
    assert "reused" in capsys.readouterr().out
    prior_for_rows(rows, "diagonal", 1, verbose=1)
    assert "reused" not in capsys.readouterr().out


def test_a_refit_with_other_network_settings_reuses_the_prior(rows, capsys):
    y = load_wine().target
    params = {"hidden_layer_sizes": (8,), "max_iter": 30, "random_state": 0, "verbose": 1}
    with pytest.warns(ConvergenceWarning):  # the fits are cut short
        first = ReversibleMLPClassifier(alpha=1e-4, **params).fit(rows, y)
        second = ReversibleMLPClassifier(alpha=1.0, **params).fit(rows, y)
    capsys.readouterr()
    _ = first.prior_
    assert "reused" not in capsys.readouterr().out
    _ = second.prior_
    assert "reused" in capsys.readouterr().out
    _same_prior(first.prior_, second.prior_)
    assert not np.allclose(first.coefs_[0], second.coefs_[0])


def test_a_prior_larger_than_the_limit_is_not_kept(rows, monkeypatch, capsys):
    # 2 full components of 5 features: the mixture's arrays (its start
    # included: four of 2 x 5 x 5, two of 2 x 5, two of 2, one number) and
    # the map's five of 5 take 2000 bytes
    monkeypatch.setattr(prior_cache, "MAX_BYTES", 1999)
    prior_for_rows(rows, 2, 0)
    prior_for_rows(rows, 2, 0, verbose=1)
    assert "reused" not in capsys.readouterr().out
    monkeypatch.setattr(prior_cache, "MAX_BYTES", 2000)
    prior_for_rows(rows, 2, 0)
    prior_for_rows(rows, 2, 0, verbose=1)
    assert "reused" in capsys.readouterr().out


def test_rows_of_the_same_shape_with_other_values_fit_anew(rows, capsys):
    prior_for_rows(rows, 2, 3)
    other = rows.copy()
    other[0, 0] += 1e-9  # one value, a hair away
    prior = prior_for_rows(other, 2, 3, verbose=1)
    assert "reused" not in capsys.readouterr().out
    _same_prior(prior, fit_prior_on_rows(other, 2, 3))


def test_rows_are_keyed_by_their_float64_values(rows, capsys):
    # the prior is fitted on float64 rows: float32 rows and their float64
    # copy are the same rows
    single = rows.astype(np.float32)
    prior_for_rows(single, 2, 3)
    prior_for_rows(single.astype(np.float64), 2, 3, verbose=1)
    assert "reused from a fit on the same rows" in capsys.readouterr().out


def test_a_new_fit_says_what_it_fitted_when_verbose(rows, capsys):
    prior_for_rows(rows, 2, 3, verbose=1)
    line = capsys.readouterr().out
    assert line.startswith("Input prior: a Gaussian mixture of 2 full-covariance components")
    assert "fitted in" in line
