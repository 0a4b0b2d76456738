"""counterfactual(): the least change to an input that makes the network say another label."""

import functools
import warnings

import numpy as np
import pytest
from _tolerance import assert_within
from sklearn.base import clone
from sklearn.datasets import load_digits, load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import sklearn_revnet
from sklearn_revnet import ReversibleMLPClassifier, Whitener
from sklearn_revnet._reverse.counterfactual.problem import CounterfactualSpace, Problem

X_IRIS, Y_IRIS = load_iris(return_X_y=True)
ROWS = X_IRIS[::25]  # six rows, two of each class


def _quiet_fit(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y)


@functools.cache
def iris_pipe():
    clf = ReversibleMLPClassifier((10,), random_state=0)
    return _quiet_fit(make_pipeline(StandardScaler(), clf), X_IRIS, Y_IRIS)


@functools.cache
def iris_clf():
    X = StandardScaler().fit_transform(X_IRIS)
    return _quiet_fit(ReversibleMLPClassifier((10,), random_state=0), X, Y_IRIS), X


@functools.cache
def binary_clf():
    X = StandardScaler().fit_transform(X_IRIS)
    y = (Y_IRIS == 2).astype(int)
    return _quiet_fit(ReversibleMLPClassifier((6,), random_state=0), X, y), X


# ------------------------------------------------------------------- objective


@pytest.mark.parametrize("model", ["multiclass", "binary"])
@pytest.mark.parametrize("plausibility", [0.0, 1.0])
def test_objective_gradient_matches_finite_differences(model, plausibility):
    clf, X = iris_clf() if model == "multiclass" else binary_clf()
    rng = np.random.RandomState(0)
    A = rng.normal(size=(4, 4))  # any affine map in front of the classifier
    c = rng.normal(size=4)
    raw = rng.normal(size=(8, 4))
    targets = clf.predict_proba(raw @ A + c).argmin(axis=1)  # the hinge acts on every row
    problem = Problem(clf, A, c, targets, goal=3.0, tau=0.0, plausibility=plausibility)
    problem.weights[:] = 7.0
    rows = np.arange(8)
    value, grad = problem(raw, rows)
    assert np.all(value > 0)  # the hinges act: a real test of their gradient
    h = 1e-6
    numeric = np.empty_like(raw)
    for j in range(4):
        step = np.zeros(4)
        step[j] = h
        numeric[:, j] = (problem(raw + step, rows)[0] - problem(raw - step, rows)[0]) / (2 * h)
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-6 * np.abs(numeric).max())


def test_margin_is_the_log_odds_of_the_target():
    clf, X = iris_clf()
    space = CounterfactualSpace(clf, None, None, None, np.full(4, -np.inf), np.full(4, np.inf))
    targets = np.array([0, 1, 2, 1])
    problem = Problem(clf, space.A, space.c, targets, 0.0, 0.0, 0.0)
    _, margin, _ = problem.margin(X[:4], np.arange(4))
    p = clf.predict_proba(X[:4])[np.arange(4), targets]
    np.testing.assert_allclose(margin, np.log(p) - np.log1p(-p), rtol=1e-9, atol=1e-9)


# ----------------------------------------------------------------- the answers


def test_answers_are_valid_in_bounds_and_unchanged_where_already_at_the_target():
    pipe = iris_pipe()
    X_cf = sklearn_revnet.counterfactual(pipe, ROWS, target=1)
    assert np.all(pipe.predict(X_cf) == 1)
    assert np.all((X_cf >= X_IRIS.min(axis=0)) & (X_cf <= X_IRIS.max(axis=0)))
    already = pipe.predict(ROWS) == 1
    assert already.any()
    np.testing.assert_array_equal(X_cf[already], ROWS[already])
    assert np.all(np.any(X_cf[~already] != ROWS[~already], axis=1))


def test_other_picks_the_cheapest_other_label():
    clf, X = iris_clf()
    rows = X[::25]
    before = clf.predict(rows)
    X_cf = clf.counterfactual(rows)
    assert np.all(clf.predict(X_cf) != before)
    scale = CounterfactualSpace(clf, None, None, None, clf.input_min_, clf.input_max_).scale
    single = np.stack([clf.counterfactual(rows, target=label) for label in range(3)])
    cost = (np.abs(single - rows) / scale).sum(axis=2)
    cost[before, np.arange(len(rows))] = np.inf  # a row's own prediction is no answer
    cheapest = single[cost.argmin(axis=0), np.arange(len(rows))]
    np.testing.assert_allclose(X_cf, cheapest, rtol=1e-7, atol=1e-9)


def test_target_per_row():
    pipe = iris_pipe()
    targets = np.array([1, 2, 0, 2, 0, 1])
    X_cf = sklearn_revnet.counterfactual(pipe, ROWS, target=targets)
    np.testing.assert_array_equal(pipe.predict(X_cf), targets)


def test_classifier_method_and_function_agree():
    clf, X = iris_clf()
    rows = X[::25]
    for kwargs in ({}, {"plausibility": 0.0, "min_proba": 0.8, "fixed": [1]}):
        method = clf.counterfactual(rows, target=2, **kwargs)
        function = sklearn_revnet.counterfactual(clf, rows, target=2, **kwargs)
        np.testing.assert_array_equal(method, function)
    assert not np.array_equal(method, clf.counterfactual(rows, target=2))
    assert np.all(clf.predict(method) == 2)
    assert np.all((method >= clf.input_min_) & (method <= clf.input_max_))


def test_min_proba_is_met():
    pipe = iris_pipe()
    X_cf = sklearn_revnet.counterfactual(pipe, ROWS, target=2, min_proba=0.9)
    assert np.all(pipe.predict_proba(X_cf)[:, 2] >= 0.9)


def test_answers_are_sparse_without_the_plausibility_term():
    pipe = iris_pipe()
    X_cf = sklearn_revnet.counterfactual(pipe, ROWS, target=1, plausibility=0.0)
    changed = np.sum(X_cf != ROWS, axis=1)
    moved = pipe.predict(ROWS) != 1
    assert np.all(pipe.predict(X_cf) == 1)
    assert np.median(changed[moved]) <= 2  # measured: 1 or 2 of 4


# ---------------------------------------------------------------------- fixed


@pytest.mark.parametrize(
    "fixed", [[0, 3], np.array([True, False, False, True]), [-4, -1]], ids=["idx", "mask", "neg"]
)
def test_fixed_features_are_exactly_unchanged(fixed):
    pipe = iris_pipe()
    X_cf = sklearn_revnet.counterfactual(pipe, ROWS, target=1, fixed=fixed)
    valid = ~np.isnan(X_cf).any(axis=1)
    assert valid.sum() >= 4
    np.testing.assert_array_equal(X_cf[valid][:, [0, 3]], ROWS[valid][:, [0, 3]])
    assert np.all(pipe.predict(X_cf[valid]) == 1)


def test_fixed_by_column_name_and_dataframes_in_and_out():
    pd = pytest.importorskip("pandas")
    frame = load_iris(as_frame=True).frame
    X = frame.drop(columns="target")
    pipe = _quiet_fit(
        make_pipeline(StandardScaler(), ReversibleMLPClassifier((10,), random_state=0)),
        X,
        frame["target"],
    )
    rows = X.iloc[::25]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        X_cf = sklearn_revnet.counterfactual(pipe, rows, target=1, fixed=["sepal length (cm)"])
        predicted = pipe.predict(X_cf)
    assert isinstance(X_cf, pd.DataFrame)
    assert list(X_cf.columns) == list(X.columns)
    assert X_cf.index.equals(rows.index)
    assert np.all(predicted == 1)
    np.testing.assert_array_equal(X_cf["sepal length (cm)"], rows["sepal length (cm)"])
    with pytest.raises(ValueError, match="Unknown fixed column"):
        sklearn_revnet.counterfactual(pipe, rows, target=1, fixed=["nope"])


def test_rows_that_cannot_reach_the_target_are_nan_with_a_warning():
    pipe = iris_pipe()
    with pytest.warns(UserWarning, match=r"No counterfactual found for \d+ of 6 rows"):
        X_cf = sklearn_revnet.counterfactual(pipe, ROWS, target=1, fixed=[0, 1, 2, 3])
    already = pipe.predict(ROWS) == 1
    np.testing.assert_array_equal(X_cf[already], ROWS[already])
    assert np.all(np.isnan(X_cf[~already]))


# ------------------------------------------------------------ rows, pipelines


def test_rows_are_independent_and_answers_deterministic():
    pipe = iris_pipe()
    together = sklearn_revnet.counterfactual(pipe, ROWS, target=2)
    one_by_one = np.vstack(
        [sklearn_revnet.counterfactual(pipe, row[None], target=2) for row in ROWS]
    )
    # Equal up to rounding: a product of one row and of six can round
    # differently in BLAS, and the iterations carry that into the 1e-5s.
    np.testing.assert_allclose(together, one_by_one, rtol=1e-4, atol=1e-6)
    assert np.array_equal(together != ROWS, one_by_one != ROWS)  # the same features change
    np.testing.assert_array_equal(together, sklearn_revnet.counterfactual(pipe, ROWS, target=2))


def test_the_input_is_not_modified():
    pipe = iris_pipe()
    rows = ROWS.copy()
    sklearn_revnet.counterfactual(pipe, rows, target=2)
    np.testing.assert_array_equal(rows, ROWS)


def test_through_a_search():
    search = GridSearchCV(iris_pipe(), {"reversiblemlpclassifier__alpha": [1e-4]}, cv=2)
    search = _quiet_fit(search, X_IRIS, Y_IRIS)
    X_cf = sklearn_revnet.counterfactual(search, ROWS, target=0)
    assert np.all(search.predict(X_cf) == 0)


def test_a_pixel_change_stays_a_pixel_change_through_whitening():
    # Through a whitening step, distance and sparsity are counted in raw
    # pixels: the answer changes some pixels, not all 64 of them.
    X, y = load_digits(return_X_y=True)
    pipe = make_pipeline(
        Whitener(n_components=20), ReversibleMLPClassifier((16,), max_iter=100, random_state=0)
    )
    pipe = _quiet_fit(pipe, X[::3], y[::3])
    rows = X[1::150][:4]
    targets = (pipe.predict(rows) + 1) % 10
    X_cf = sklearn_revnet.counterfactual(pipe, rows, target=targets)
    assert np.all(pipe.predict(X_cf) == targets)
    assert np.all((X_cf >= 0) & (X_cf <= 16))
    changed = np.sum(X_cf != rows, axis=1)
    assert np.all(changed < 48)


# ----------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"target": 7}, ValueError, "Unknown target label 7"),
        ({"target": [0, 1]}, ValueError, "2 labels for 6 rows"),
        ({"min_proba": 0.3}, ValueError, r"'min_proba' parameter .* in the range \[0.5, 1.0\)"),
        ({"min_proba": "high"}, ValueError, r"'min_proba' parameter .* in the range \[0.5, 1.0\)"),
        ({"plausibility": -1.0}, ValueError, r"'plausibility' parameter .* \[0.0, inf\)"),
        ({"max_iter": 0}, ValueError, r"'max_iter' parameter .* an int in the range \[1, inf\)"),
        ({"fixed": [4]}, ValueError, "fixed indices must be in"),
        ({"fixed": [True, False]}, ValueError, "boolean fixed mask needs 4"),
        ({"fixed": ["a"]}, ValueError, "not fitted on a DataFrame"),
        ({"fixed": [0.5]}, TypeError, "fixed must be feature indices"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        sklearn_revnet.counterfactual(iris_pipe(), ROWS, **kwargs)


def test_multilabel_models_are_refused():
    Y = np.c_[Y_IRIS == 0, Y_IRIS == 1].astype(int)
    clf = _quiet_fit(ReversibleMLPClassifier((4,), max_iter=50, random_state=0), X_IRIS, Y)
    with pytest.raises(ValueError, match="multilabel"):
        clf.counterfactual(X_IRIS[:2])


def test_plausibility_threshold_is_the_priors_offset():
    # the hinge's threshold is the prior's offset_ (the training rows' 10th
    # percentile); for a prior set by hand, without one, its own draws' 10th
    clf, _ = iris_clf()
    unbounded = np.full(4, -np.inf), np.full(4, np.inf)
    assert CounterfactualSpace(clf, None, None, None, *unbounded).tau == clf.prior_.offset_
    hand = clone(clf)
    hand.__dict__.update(clf.__dict__)
    hand.prior_ = clf.prior_.mixture_  # a plain GaussianMixture of standardized rows
    tau = CounterfactualSpace(hand, None, None, None, *unbounded).tau
    draws = hand.prior_.sample(20_000)[0]
    # the percentile of 2000 draws: its share's standard error is 0.007; 0.03
    # is 4.5 of them (measured: 0.010)
    share = np.mean(hand.prior_.score_samples(draws) < tau)
    assert_within(abs(share - 0.1), 0.03, "share below the threshold")
