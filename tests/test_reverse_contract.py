"""Reverse calls check what they are given when they are called, and say what is accepted."""

import copy
import functools
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

import sklearn_revnet
from sklearn_revnet import ReversibleMLPClassifier

X, Y = load_iris(return_X_y=True)


@functools.cache
def _pipe():
    clf = ReversibleMLPClassifier((6,), max_iter=100, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return make_pipeline(StandardScaler(), clf).fit(X, Y)


def _calls(estimator):
    """Every reverse call, through the functions and, for a classifier, its methods."""
    calls = {
        "generate": lambda: sklearn_revnet.generate(estimator, 1, n=2, random_state=0),
        "inverse_transform": lambda: sklearn_revnet.inverse_transform(estimator, [0, 2]),
        "counterfactual": lambda: sklearn_revnet.counterfactual(estimator, X[:2], target=2),
    }
    if isinstance(estimator, ReversibleMLPClassifier):
        calls["method generate"] = lambda: estimator.generate(1, n=2, random_state=0)
        calls["method inverse_transform"] = lambda: estimator.inverse_transform([0, 2])
        calls["method counterfactual"] = lambda: estimator.counterfactual(X[:2], target=2)
    return calls


@pytest.mark.parametrize(
    "param, value, accepted",
    [
        ("input_bounds", "foo", r"a str among \{'auto'\}, None"),
        ("mcmc_steps", 0, r"an int in the range \[2, inf\)"),
        ("mcmc_steps", 1, r"an int in the range \[2, inf\)"),
        ("mcmc_steps", -5, r"an int in the range \[2, inf\)"),
        ("mcmc_steps", "x", r"an int in the range \[2, inf\)"),
        ("inverse_max_iter", 0, r"an int in the range \[1, inf\)"),
        ("inverse_max_iter", "x", r"an int in the range \[1, inf\)"),
    ],
)
@pytest.mark.parametrize("where", ["pipeline", "classifier"])
def test_parameters_set_after_fit_are_checked_at_the_call(param, value, accepted, where):
    # fit refuses these; set after fit, the reverse calls refused none of them
    pipe = copy.deepcopy(_pipe())
    pipe[-1].set_params(**{param: value})
    estimator = pipe if where == "pipeline" else pipe[-1]
    match = (
        rf"The '{param}' parameter of ReversibleMLPClassifier \(read by this call\) "
        rf"must be {accepted}"
    )
    for name, call in _calls(estimator).items():
        if name.endswith("counterfactual") and param == "mcmc_steps":
            continue  # counterfactual does not sample
        with pytest.raises(InvalidParameterError, match=match):
            call()


@pytest.mark.parametrize("value", [np.inf, float("inf")])
def test_infinite_plausibility_is_refused(value):
    accepted = r"'plausibility' parameter of counterfactual must be a float in the range"
    with pytest.raises(InvalidParameterError, match=rf"{accepted} \[0.0, inf\)"):
        sklearn_revnet.counterfactual(_pipe(), X[:2], plausibility=value)


@pytest.mark.parametrize("fixed", [[], (), np.array([], dtype=int), set()])
def test_an_empty_fixed_fixes_nothing(fixed):
    expected = sklearn_revnet.counterfactual(_pipe(), X[:3], target=2)
    got = sklearn_revnet.counterfactual(_pipe(), X[:3], target=2, fixed=fixed)
    np.testing.assert_array_equal(got, expected)


def test_a_set_of_indices_is_indices():
    got = sklearn_revnet.counterfactual(_pipe(), X[:3], target=2, fixed={0, 1})
    np.testing.assert_array_equal(
        got, sklearn_revnet.counterfactual(_pipe(), X[:3], target=2, fixed=[0, 1])
    )
    np.testing.assert_array_equal(got[:, :2], X[:3, :2])


@pytest.mark.parametrize("bounds", [(None, 10.0), (0.0, None)])
def test_none_as_a_bound_says_to_use_infinity(bounds):
    with pytest.raises(ValueError, match=r"not None: use -np.inf or np.inf"):
        sklearn_revnet.generate(_pipe(), 1, n=2, bounds=bounds)


def test_counterfactual_of_an_unfitted_classifier_is_not_fitted():
    clf = ReversibleMLPClassifier()
    for call in (
        lambda: clf.counterfactual(X[:2]),
        lambda: sklearn_revnet.counterfactual(clf, X[:2]),
    ):
        with pytest.raises(NotFittedError):
            call()


def test_explicit_bounds_hold_for_a_classifier_without_a_pipeline():
    # They were ignored: the classifier's own input_bounds applied instead.
    clf = _pipe()[-1]
    Z = _pipe()[0].transform(X)
    lo = np.percentile(Z, 25, axis=0)
    hi = np.percentile(Z, 75, axis=0)
    answers = {
        "generate": sklearn_revnet.generate(clf, 1, n=50, random_state=0, bounds=(lo, hi)),
        "inverse_transform": sklearn_revnet.inverse_transform(clf, [0, 1, 2], bounds=(lo, hi)),
        "counterfactual": sklearn_revnet.counterfactual(clf, Z[:5], target=2, bounds=(lo, hi)),
    }
    for name, rows in answers.items():
        rows = rows[~np.isnan(rows).any(axis=1)]
        assert len(rows), name
        assert np.all((rows >= lo) & (rows <= hi)), name
    # "auto" is the classifier's own bounds, as its methods have them
    np.testing.assert_array_equal(
        sklearn_revnet.generate(clf, 1, n=5, random_state=0),
        clf.generate(1, n=5, random_state=0),
    )
    np.testing.assert_array_equal(
        sklearn_revnet.inverse_transform(clf, [0, 2]), clf.inverse_transform([0, 2])
    )
    # None lifts them
    unbounded = sklearn_revnet.generate(clf, 1, n=200, random_state=0, bounds=None)
    assert np.any((unbounded < clf.input_min_) | (unbounded > clf.input_max_))
