"""Behavioural tests for ReversibleMLPClassifier."""

import inspect
import pickle
import re
import subprocess
import sys
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from _tolerance import assert_within
from sklearn.base import clone
from sklearn.datasets import (
    load_breast_cancer,
    load_digits,
    load_iris,
    load_wine,
    make_classification,
    make_multilabel_classification,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_revnet import ReversibleMLPClassifier

ACTIVATIONS = ["identity", "logistic", "tanh", "relu", "leaky_relu", "softplus"]
NAMED_INITS = [
    "glorot_uniform",
    "glorot_normal",
    "he_uniform",
    "he_normal",
    "lecun_normal",
    "normal",
]


# --------------------------------------------------------------------------- data


def _iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _binary(n_samples=120, n_features=8, class_sep=1.0, random_state=0):
    X, y = make_classification(
        n_samples=n_samples,
        n_features=n_features,
        n_informative=5,
        n_redundant=0,
        class_sep=class_sep,
        random_state=random_state,
    )
    return StandardScaler().fit_transform(X), y


def _wine():
    X, y = load_wine(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _digits():
    X, y = load_digits(return_X_y=True)
    X, y = X[:300], y[:300]
    return StandardScaler().fit_transform(X), y


def _multilabel():
    X, Y = make_multilabel_classification(n_samples=60, n_features=6, n_classes=3, random_state=0)
    return StandardScaler().fit_transform(X), Y


DATASETS = {"binary": _binary, "wine": _wine, "digits": _digits}


def _fit_quietly(clf, X, y, **fit_params):
    """Fit, ignoring ConvergenceWarning (the tests cap max_iter on purpose)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return clf.fit(X, y, **fit_params)


# ---------------------------------------------------- 1. differential vs sklearn


# Correctness anchor: with the same data, hyperparameters and random_state,
# ReversibleMLPClassifier must fit the same network as scikit-learn's
# MLPClassifier(solver="lbfgs") (same init, same loss, same L-BFGS run).
# max_iter is kept small so that the two runs' floating-point rounding
# differences cannot be amplified by a long non-convex optimization.
@pytest.mark.parametrize("dataset", sorted(DATASETS))
@pytest.mark.parametrize("activation", ["identity", "logistic", "tanh", "relu"])
def test_matches_sklearn_mlp_lbfgs(dataset, activation):
    X, y = DATASETS[dataset]()
    params = {
        "hidden_layer_sizes": (8,),
        "activation": activation,
        "alpha": 1e-2,
        "max_iter": 40,
        "tol": 1e-5,
        "random_state": 0,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref = MLPClassifier(solver="lbfgs", **params).fit(X, y)
        clf = ReversibleMLPClassifier(**params).fit(X, y)

    np.testing.assert_array_equal(clf.classes_, ref.classes_)
    assert np.mean(clf.predict(X) == ref.predict(X)) >= 0.99
    proba, ref_proba = clf.predict_proba(X), ref.predict_proba(X)
    assert proba.shape == ref_proba.shape
    assert_within(np.max(np.abs(proba - ref_proba)), 1e-3, "max |proba - scikit-learn's|")
    assert clf.n_iter_ == ref.n_iter_
    assert_within(abs(clf.loss_ / ref.loss_ - 1), 1e-6, "loss relative to scikit-learn's")


def _digits_full():
    X, y = load_digits(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _breast_cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X), y


# The same anchor on fits that run to convergence (no iteration cap): both
# optimizers stop at the same iteration on the same network.
@pytest.mark.parametrize(
    "load, activation, alpha",
    [
        (_digits_full, "identity", 1.0),
        (_digits_full, "logistic", 1.0),
        (_digits_full, "tanh", 1.0),
        (_digits_full, "relu", 1.0),
        (_breast_cancer, "identity", 1.0),
        (_breast_cancer, "logistic", 1e-2),
        (_breast_cancer, "tanh", 1e-2),
        (_breast_cancer, "relu", 1e-2),
    ],
)
def test_converged_fit_matches_sklearn_mlp_lbfgs(load, activation, alpha):
    X, y = load()
    params = {
        "hidden_layer_sizes": (32,),
        "activation": activation,
        "alpha": alpha,
        "random_state": 0,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # both must converge
        ref = MLPClassifier(solver="lbfgs", **params).fit(X, y)
        clf = ReversibleMLPClassifier(**params).fit(X, y)
    assert np.mean(clf.predict(X) == ref.predict(X)) >= 0.99
    proba_gap = np.max(np.abs(clf.predict_proba(X) - ref.predict_proba(X)))
    assert_within(proba_gap, 1e-3, "max |proba - scikit-learn's|")
    assert clf.n_iter_ == ref.n_iter_


@pytest.mark.skipif(
    "sample_weight" not in inspect.signature(MLPClassifier.fit).parameters,
    reason="MLPClassifier.fit takes sample_weight from scikit-learn 1.7 on",
)
def test_matches_sklearn_mlp_lbfgs_two_hidden_layers_and_sample_weight():
    X, y = _wine()
    sample_weight = np.random.RandomState(0).uniform(0.1, 3.0, size=len(y))
    params = {
        "hidden_layer_sizes": (6, 4),
        "activation": "tanh",
        "alpha": 1e-2,
        "max_iter": 30,
        "tol": 1e-5,
        "random_state": 0,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref = MLPClassifier(solver="lbfgs", **params).fit(X, y, sample_weight=sample_weight)
        clf = ReversibleMLPClassifier(**params).fit(X, y, sample_weight=sample_weight)
    # 30 iterations short of convergence, two hidden layers and weights: the
    # two fits' rounding differences grow along the run. Worst measured over
    # the OpenBLAS kernels Prescott, Nehalem, Sandybridge and Haswell with one
    # and two threads (benchmarks/kernel_sweep.py): 3.1e-6 in the loss
    # (Nehalem; 3.3e-6 on another processor's Haswell kernel) and 1.7e-6 in a
    # probability; margins 3x and 580x.
    proba_gap = np.max(np.abs(clf.predict_proba(X) - ref.predict_proba(X)))
    assert_within(proba_gap, 1e-3, "max |proba - scikit-learn's|")
    assert clf.n_iter_ == ref.n_iter_
    assert_within(abs(clf.loss_ / ref.loss_ - 1), 1e-5, "loss relative to scikit-learn's")


# ----------------------------------------------------------- 2. fitted attributes


def _check_common_attributes(clf, X, hidden, n_outputs, max_iter):
    n_features = X.shape[1]
    units = [n_features, *hidden, n_outputs]
    assert clf.n_layers_ == len(units)
    assert clf.n_outputs_ == n_outputs
    assert clf.n_features_in_ == n_features
    assert isinstance(clf.coefs_, list) and isinstance(clf.intercepts_, list)
    assert len(clf.coefs_) == len(clf.intercepts_) == len(units) - 1
    for i, (W, b) in enumerate(zip(clf.coefs_, clf.intercepts_)):
        assert W.shape == (units[i], units[i + 1])
        assert b.shape == (units[i + 1],)
        assert np.all(np.isfinite(W)) and np.all(np.isfinite(b))

    assert isinstance(clf.n_iter_, int | np.integer)
    assert 1 <= clf.n_iter_ <= max_iter
    assert isinstance(clf.loss_, float)
    assert np.isfinite(clf.loss_) and clf.loss_ > 0
    assert isinstance(clf.loss_curve_, list)
    assert len(clf.loss_curve_) == clf.n_iter_
    assert all(np.isfinite(v) for v in clf.loss_curve_)
    assert clf.loss_curve_[-1] <= clf.loss_curve_[0]
    # L-BFGS's line search only accepts decreasing steps
    assert np.all(np.diff(clf.loss_curve_) <= 1e-12)
    assert clf.loss_curve_[-1] == pytest.approx(clf.loss_, rel=1e-12)


def test_attributes_binary():
    X, y = _binary()
    clf = _fit_quietly(ReversibleMLPClassifier((7, 4), random_state=0, max_iter=50), X, y)
    np.testing.assert_array_equal(clf.classes_, [0, 1])
    assert clf.out_activation_ == "logistic"
    _check_common_attributes(clf, X, [7, 4], n_outputs=1, max_iter=50)
    assert not hasattr(clf, "feature_names_in_")


def test_attributes_multiclass():
    X, y = _iris()
    clf = _fit_quietly(ReversibleMLPClassifier((5,), random_state=0, max_iter=50), X, y)
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    assert clf.out_activation_ == "softmax"
    _check_common_attributes(clf, X, [5], n_outputs=3, max_iter=50)


def test_attributes_multilabel():
    X, Y = _multilabel()
    clf = _fit_quietly(ReversibleMLPClassifier((5,), random_state=0, max_iter=50), X, Y)
    np.testing.assert_array_equal(clf.classes_, np.arange(Y.shape[1]))
    assert clf.out_activation_ == "logistic"
    _check_common_attributes(clf, X, [5], n_outputs=Y.shape[1], max_iter=50)


def test_feature_names_in_from_dataframe():
    pd = pytest.importorskip("pandas")
    X, y = _iris()
    columns = ["sepal_len", "sepal_wid", "petal_len", "petal_wid"]
    df = pd.DataFrame(X, columns=columns)
    clf = _fit_quietly(ReversibleMLPClassifier((5,), random_state=0, max_iter=50), df, y)
    np.testing.assert_array_equal(clf.feature_names_in_, columns)
    assert clf.n_features_in_ == 4
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "feature names" warning with a matching frame
        proba_df = clf.predict_proba(df)
    with pytest.warns(UserWarning, match="feature names"):
        proba_array = clf.predict_proba(X)
    np.testing.assert_allclose(proba_df, proba_array)

    # refitting on an array forgets the names
    _fit_quietly(clf, X, y)
    assert not hasattr(clf, "feature_names_in_")


# ----------------------------------------------------------------- 3. sparse input


@pytest.mark.parametrize("container", [sp.csr_matrix, sp.csr_array, sp.csc_matrix])
def test_sparse_input_matches_dense(container):
    X, y = _iris()
    X = X.copy()
    X[np.random.RandomState(0).rand(*X.shape) < 0.5] = 0.0  # make it genuinely sparse
    X_sparse = container(X)
    params = {"hidden_layer_sizes": (5,), "random_state": 0, "max_iter": 30}
    dense = _fit_quietly(ReversibleMLPClassifier(**params), X, y)
    sparse = _fit_quietly(ReversibleMLPClassifier(**params), X_sparse, y)

    assert dense.n_iter_ == sparse.n_iter_
    np.testing.assert_allclose(
        sparse.predict_proba(X_sparse), dense.predict_proba(X), rtol=1e-6, atol=1e-9
    )
    # one fitted model gives the same answer for sparse and dense input
    np.testing.assert_allclose(dense.predict_proba(X_sparse), dense.predict_proba(X), rtol=1e-12)
    np.testing.assert_array_equal(sparse.predict(X_sparse), dense.predict(X))


# --------------------------------------------------------------------- 4. dtypes


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_preserved(dtype):
    X, y = _iris()
    X = X.astype(dtype)
    clf = _fit_quietly(ReversibleMLPClassifier((5,), random_state=0, max_iter=30), X, y)
    for array in clf.coefs_ + clf.intercepts_:
        assert array.dtype == dtype
    proba = clf.predict_proba(X)
    assert proba.dtype == dtype
    assert clf.predict_log_proba(X).dtype == dtype
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)


def _easy_binary():
    return _binary(n_samples=100, n_features=5, class_sep=2.0)


@pytest.mark.parametrize("make_data", [_easy_binary, _iris], ids=["binary", "multiclass"])
def test_float32_and_float64_fits_agree(make_data):
    X, y = make_data()
    params = {
        "hidden_layer_sizes": (5,),
        "activation": "tanh",
        "alpha": 3.0,
        "tol": 1e-5,
        "random_state": 0,
    }
    clf64 = _fit_quietly(ReversibleMLPClassifier(**params), X, y)
    clf32 = _fit_quietly(ReversibleMLPClassifier(**params), X.astype(np.float32), y)
    proba64 = clf64.predict_proba(X)
    proba32 = clf32.predict_proba(X.astype(np.float32))
    np.testing.assert_allclose(proba32, proba64, atol=1e-3)


# -------------------------------------------------------------- 5. sample_weight


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_zero_sample_weight_equals_dropping_rows(activation):
    X, y = _iris()
    y = y.copy()
    dropped = np.array([3, 60, 120])
    y[dropped] = (y[dropped] + 1) % 3  # mislabel them, so they matter if not dropped
    sample_weight = np.ones(len(y))
    sample_weight[dropped] = 0.0
    keep = sample_weight > 0
    params = {"hidden_layer_sizes": (5,), "activation": activation, "alpha": 1e-2, "max_iter": 25}

    weighted = _fit_quietly(
        ReversibleMLPClassifier(**params, random_state=0), X, y, sample_weight=sample_weight
    )
    dropped_fit = _fit_quietly(ReversibleMLPClassifier(**params, random_state=0), X[keep], y[keep])
    unweighted = _fit_quietly(ReversibleMLPClassifier(**params, random_state=0), X, y)

    assert weighted.n_iter_ == dropped_fit.n_iter_
    np.testing.assert_allclose(weighted.loss_, dropped_fit.loss_, rtol=1e-6)
    np.testing.assert_allclose(
        weighted.predict_proba(X), dropped_fit.predict_proba(X), rtol=1e-6, atol=1e-10
    )
    # sanity: the mislabelled rows do change the fit when they are kept
    assert not np.allclose(unweighted.predict_proba(X), dropped_fit.predict_proba(X), atol=1e-4)


@pytest.mark.parametrize("activation", ["relu", "logistic"])
def test_integer_sample_weight_equals_repeating_rows(activation):
    X, y = _iris()
    sample_weight = np.random.RandomState(0).randint(1, 4, size=len(y))
    params = {"hidden_layer_sizes": (5,), "activation": activation, "alpha": 1e-2, "max_iter": 25}

    weighted = _fit_quietly(
        ReversibleMLPClassifier(**params, random_state=0), X, y, sample_weight=sample_weight
    )
    repeated = _fit_quietly(
        ReversibleMLPClassifier(**params, random_state=0),
        np.repeat(X, sample_weight, axis=0),
        np.repeat(y, sample_weight),
    )
    assert weighted.n_iter_ == repeated.n_iter_
    np.testing.assert_allclose(weighted.loss_, repeated.loss_, rtol=1e-6)
    np.testing.assert_allclose(
        weighted.predict_proba(X), repeated.predict_proba(X), rtol=1e-6, atol=1e-10
    )


@pytest.mark.parametrize(
    "sample_weight", [np.zeros(150), -np.ones(150)], ids=["all-zero", "negative"]
)
def test_invalid_sample_weight_raises(sample_weight):
    X, y = _iris()
    with pytest.raises(ValueError):
        ReversibleMLPClassifier((3,), max_iter=5).fit(X, y, sample_weight=sample_weight)


# ---------------------------------------------------------------- 6. warm_start


def test_warm_start_continues_from_previous_weights():
    X, y = _iris()
    clf = ReversibleMLPClassifier((5,), random_state=0, max_iter=5, warm_start=True)
    _fit_quietly(clf, X, y)
    first_loss, first_curve = clf.loss_, list(clf.loss_curve_)
    assert len(first_curve) == 5

    _fit_quietly(clf, X, y)
    assert clf.loss_ < first_loss
    assert len(clf.loss_curve_) == len(first_curve) + clf.n_iter_
    assert clf.loss_curve_[: len(first_curve)] == first_curve
    # the second fit starts where the first stopped: no jump back up to the initial loss
    assert clf.loss_curve_[len(first_curve)] <= first_loss

    # a cold fit with the same budget starts over and ends where the first fit did
    cold = _fit_quietly(ReversibleMLPClassifier((5,), random_state=0, max_iter=5), X, y)
    assert cold.loss_ == pytest.approx(first_loss, rel=1e-12)
    assert clf.loss_ < cold.loss_


def test_without_warm_start_refit_starts_over():
    X, y = _iris()
    clf = ReversibleMLPClassifier((5,), random_state=0, max_iter=5)
    _fit_quietly(clf, X, y)
    proba, curve = clf.predict_proba(X), list(clf.loss_curve_)
    _fit_quietly(clf, X, y)
    assert clf.loss_curve_ == curve
    np.testing.assert_array_equal(clf.predict_proba(X), proba)


def test_warm_start_with_different_classes_raises():
    X, y = _iris()
    clf = _fit_quietly(
        ReversibleMLPClassifier((5,), random_state=0, max_iter=5, warm_start=True), X, y
    )
    keep = y > 0
    with pytest.raises(ValueError, match="classes"):
        clf.fit(X[keep], y[keep])


# ------------------------------------------------------- 7. ConvergenceWarning


def test_convergence_warning_names_max_iter():
    X, y = _iris()
    clf = ReversibleMLPClassifier((5,), random_state=0, max_iter=2)
    with pytest.warns(ConvergenceWarning, match="max_iter") as record:
        clf.fit(X, y)
    assert clf.n_iter_ == 2
    messages = [str(w.message) for w in record if issubclass(w.category, ConvergenceWarning)]
    assert not any("max_fun" in m for m in messages)


def test_convergence_warning_names_max_fun():
    X, y = _iris()
    clf = ReversibleMLPClassifier((5,), random_state=0, max_iter=10_000, max_fun=3)
    with pytest.warns(ConvergenceWarning, match="max_fun") as record:
        clf.fit(X, y)
    assert clf.n_iter_ < 10_000
    messages = [str(w.message) for w in record if issubclass(w.category, ConvergenceWarning)]
    assert not any("max_iter" in m for m in messages)


def test_no_convergence_warning_when_converged():
    X, y = _iris()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf = ReversibleMLPClassifier((5,), random_state=0, max_iter=1000).fit(X, y)
    assert clf.n_iter_ < 1000


# ------------------------------------------------------------------- 8. verbose

_ITERATION_LINE = re.compile(r"^Iteration (\d+), loss = (\S+)$")


def test_verbose_prints_one_line_per_iteration(capsys):
    X, y = _iris()
    clf = ReversibleMLPClassifier((5,), random_state=0, max_iter=300, verbose=1).fit(X, y)
    lines = capsys.readouterr().out.splitlines()  # the prior is fitted at its first use
    assert len(lines) == clf.n_iter_
    matches = [_ITERATION_LINE.match(line) for line in lines]
    assert all(matches), lines
    assert [int(m.group(1)) for m in matches] == list(range(1, clf.n_iter_ + 1))
    printed = [float(m.group(2)) for m in matches]
    np.testing.assert_allclose(printed, clf.loss_curve_, rtol=1e-6, atol=1e-8)


_PRIOR_LINE = re.compile(
    r"^Input prior: a Gaussian mixture of (\d+) (full|tied|diag)-covariance components? "
    r"\(reg_covar=(\S+)\) of the (Yeo-Johnson|standardized) features"
    r"(, chosen among (\d+) candidates by 3-fold held-out log-likelihood "
    r"\((\S+) nats per row, for (\d+) components? on a fold's (\d+) training rows\))?; "
    r"on (\d+) rows of (\d+) features, fitted in (\d+\.\d\d) s$"
)


@pytest.mark.parametrize("prior", ["auto", 2, "diagonal"])
def test_verbose_reports_the_prior_it_chose_and_its_time(capsys, prior):
    X, y = _iris()
    clf = _fit_quietly(ReversibleMLPClassifier((5,), max_iter=5, prior=prior, verbose=1), X, y)
    capsys.readouterr()
    fitted = clf.prior_  # fitted at its first use, which prints one line
    line = capsys.readouterr().out.splitlines()[0]
    match = _PRIOR_LINE.match(line)
    assert match, line
    assert int(match.group(1)) == fitted.n_components
    assert match.group(2) == fitted.covariance_type
    assert (match.group(2) == "diag") == (prior == "diagonal")
    assert (int(match.group(10)), int(match.group(11))) == X.shape
    assert float(match.group(12)) >= 0
    if prior == "auto":  # the chosen candidate is the best of those scored
        assert int(match.group(6)) == len(fitted.search_scores_)
        best = max(fitted.search_scores_.values())
        assert float(match.group(7)) == pytest.approx(best, rel=1e-3)
        # refitted on all 150 rows with as many rows per component as on a
        # fold's 100 training rows
        fold_size, fold_rows = int(match.group(8)), int(match.group(9))
        assert fold_size == fitted.search_best_[2]
        assert fold_rows == 100
        assert fitted.n_components == int(fold_size * 150 / 100)
    else:
        assert match.group(5) is None


def test_verbose_zero_prints_nothing(capsys):
    X, y = _iris()
    ReversibleMLPClassifier((5,), random_state=0, max_iter=300, verbose=0).fit(X, y)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == ""


# --------------------------------------------------------------- 9. label types


@pytest.mark.parametrize(
    "labels, expected_kinds",
    [
        (np.array(["setosa", "versicolor", "virginica"]), {"U"}),
        (np.array(["setosa", "versicolor", "virginica"], dtype=object), {"U", "O"}),
        (np.array([3, 7, 11]), {"i"}),
        (np.array([False, True, True]), {"b"}),
    ],
    ids=["str", "object-str", "int-noncontiguous", "bool"],
)
def test_label_types(labels, expected_kinds):
    X, y_index = _iris()
    y = labels[y_index]
    clf = _fit_quietly(ReversibleMLPClassifier((5,), random_state=0, max_iter=200), X, y)

    np.testing.assert_array_equal(clf.classes_, np.unique(y))
    pred = clf.predict(X)
    assert pred.shape == y.shape
    assert pred.dtype.kind == clf.classes_.dtype.kind
    assert pred.dtype.kind in expected_kinds
    assert set(pred.tolist()) <= set(clf.classes_.tolist())
    assert np.mean(pred == y) >= 0.9
    assert clf.predict_proba(X).shape == (len(y), len(clf.classes_))
    # the column order of predict_proba follows classes_
    np.testing.assert_array_equal(clf.classes_[clf.predict_proba(X).argmax(axis=1)], pred)


def test_multilabel_indicator_target():
    X, Y = _multilabel()
    clf = _fit_quietly(ReversibleMLPClassifier((8,), random_state=0, max_iter=200), X, Y)
    pred = clf.predict(X)
    assert pred.shape == Y.shape
    assert set(np.unique(pred).tolist()) <= {0, 1}
    proba = clf.predict_proba(X)
    assert proba.shape == Y.shape
    assert np.all((proba > 0) & (proba < 1))
    np.testing.assert_array_equal(pred, (proba > 0.5).astype(pred.dtype))
    assert np.mean(pred == Y) >= 0.8


# ----------------------------------------------------------------------- 10. init


@pytest.mark.parametrize("init", NAMED_INITS)
def test_named_init_is_reproducible(init):
    X, y = _iris()

    def fit(seed):
        return _fit_quietly(
            ReversibleMLPClassifier((5,), init=init, random_state=seed, max_iter=20), X, y
        )

    a, b, other = fit(0), fit(0), fit(1)
    for Wa, Wb in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        np.testing.assert_array_equal(Wa, Wb)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    assert not np.allclose(a.coefs_[0], other.coefs_[0])
    assert not np.allclose(a.predict_proba(X), other.predict_proba(X))


def test_callable_init():
    X, y = _iris()
    calls = []

    def init(fan_in, fan_out, rs):
        calls.append((fan_in, fan_out, isinstance(rs, np.random.RandomState)))
        return rs.normal(0, 0.1, (fan_in, fan_out))

    clf = _fit_quietly(ReversibleMLPClassifier((5,), init=init, random_state=0), X, y)
    assert calls == [(4, 5, True), (5, 3, True)]
    assert clf.score(X, y) >= 0.9

    lam = ReversibleMLPClassifier(
        (5,), init=lambda fan_in, fan_out, rs: rs.normal(0, 0.1, (fan_in, fan_out)), random_state=0
    )
    _fit_quietly(lam, X, y)
    np.testing.assert_array_equal(lam.predict_proba(X), clf.predict_proba(X))


def test_callable_init_wrong_shape_raises():
    X, y = _iris()
    clf = ReversibleMLPClassifier(
        (5,), init=lambda fan_in, fan_out, rs: rs.normal(0, 0.1, (fan_out, fan_in))
    )
    with pytest.raises(ValueError, match="shape"):
        clf.fit(X, y)


def test_callable_init_non_finite_raises():
    X, y = _iris()
    clf = ReversibleMLPClassifier(
        (5,), init=lambda fan_in, fan_out, rs: np.full((fan_in, fan_out), np.nan)
    )
    with pytest.raises(ValueError, match="non-finite"):
        clf.fit(X, y)


# ---------------------------------------------------------------- 11. activations


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_every_activation_learns_iris(activation):
    X, y = _iris()
    clf = _fit_quietly(
        ReversibleMLPClassifier((10,), activation=activation, random_state=0, max_iter=300),
        X,
        y,
    )
    assert clf.score(X, y) >= 0.9


# ------------------------------------------------ 12. probabilities and validation


@pytest.mark.parametrize("make_data", [_binary, _iris], ids=["binary", "multiclass"])
def test_predict_proba_and_log_proba(make_data):
    X, y = make_data()
    clf = _fit_quietly(ReversibleMLPClassifier((5,), random_state=0, max_iter=200), X, y)
    # include far-out points where the probabilities saturate
    X_test = np.vstack([X, 1000 * X[:10]])
    proba = clf.predict_proba(X_test)
    log_proba = clf.predict_log_proba(X_test)
    assert proba.shape == (len(X_test), len(clf.classes_))
    assert np.all((proba > 0) & (proba < 1))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    assert np.all(np.isfinite(log_proba))
    np.testing.assert_allclose(log_proba, np.log(proba), rtol=1e-12)
    np.testing.assert_array_equal(clf.predict(X_test), clf.classes_[proba.argmax(axis=1)])


@pytest.mark.parametrize(
    "params",
    [
        {"activation": "nope"},
        {"init": "nope"},
        {"alpha": -1},
        {"max_iter": 0},
        {"max_fun": 0},
        {"tol": -1.0},
        {"hidden_layer_sizes": (10, 0)},
        {"hidden_layer_sizes": (10, -3)},
        {"hidden_layer_sizes": (2.5,)},
    ],
    ids=lambda p: "-".join(f"{k}={v}" for k, v in p.items()),
)
def test_invalid_hyperparameters_raise(params):
    X, y = _iris()
    with pytest.raises(ValueError):
        ReversibleMLPClassifier(**params).fit(X, y)


def test_predict_before_fit_raises():
    from sklearn.exceptions import NotFittedError

    X, _ = _iris()
    with pytest.raises(NotFittedError):
        ReversibleMLPClassifier().predict(X)


def test_predict_with_wrong_number_of_features_raises():
    X, y = _iris()
    clf = _fit_quietly(ReversibleMLPClassifier((3,), random_state=0, max_iter=10), X, y)
    with pytest.raises(ValueError):
        clf.predict(X[:, :3])


# ----------------------------------------------------------- 13. no input mutation


@pytest.mark.parametrize("kind", ["float64", "float32", "fortran", "csr"])
def test_inputs_are_not_mutated(kind):
    X, y = _iris()
    if kind == "float32":
        X = X.astype(np.float32)
    elif kind == "fortran":
        X = np.asfortranarray(X)
    elif kind == "csr":
        X = sp.csr_matrix(X)
    sample_weight = np.random.RandomState(0).uniform(0.5, 2.0, size=len(y))
    X_copy, y_copy, sw_copy = X.copy(), y.copy(), sample_weight.copy()

    clf = _fit_quietly(
        ReversibleMLPClassifier((5,), random_state=0, max_iter=20),
        X,
        y,
        sample_weight=sample_weight,
    )

    def assert_X_unchanged():
        if sp.issparse(X):
            assert (X != X_copy).nnz == 0
        else:
            np.testing.assert_array_equal(X, X_copy)
            assert X.dtype == X_copy.dtype

    assert_X_unchanged()
    np.testing.assert_array_equal(y, y_copy)
    np.testing.assert_array_equal(sample_weight, sw_copy)

    clf.predict(X)
    clf.predict_proba(X)
    clf.predict_log_proba(X)
    assert_X_unchanged()


# ------------------------------------------------ 14. scikit-learn API integration


def test_clone_gives_unfitted_copy_with_same_params_and_same_fit():
    X, y = _iris()
    clf = _fit_quietly(
        ReversibleMLPClassifier((5,), alpha=1e-3, random_state=0, max_iter=30), X, y
    )
    twin = clone(clf)
    assert twin.get_params() == clf.get_params()
    assert not hasattr(twin, "coefs_")
    _fit_quietly(twin, X, y)
    np.testing.assert_array_equal(twin.predict_proba(X), clf.predict_proba(X))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_pickle_round_trip(dtype):
    X, y = _iris()
    X = X.astype(dtype)
    clf = _fit_quietly(ReversibleMLPClassifier((5,), random_state=0, max_iter=30), X, y)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    np.testing.assert_array_equal(restored.predict(X), clf.predict(X))
    assert restored.loss_curve_ == clf.loss_curve_


def test_in_pipeline():
    X, y = load_iris(return_X_y=True)  # unscaled: the pipeline scales it
    pipe = make_pipeline(
        StandardScaler(), ReversibleMLPClassifier((5,), random_state=0, max_iter=200)
    )
    _fit_quietly(pipe, X, y)
    assert pipe.score(X, y) >= 0.9
    assert pipe.predict_proba(X).shape == (len(y), 3)


def test_cross_val_score():
    X, y = load_iris(return_X_y=True)
    pipe = make_pipeline(
        StandardScaler(), ReversibleMLPClassifier((5,), random_state=0, max_iter=200)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.shape == (3,)
    assert np.all(scores >= 0.8)


def test_grid_search():
    X, y = _iris()
    search = GridSearchCV(
        ReversibleMLPClassifier((5,), random_state=0, max_iter=50),
        {"alpha": [1e-4, 1e-1]},
        cv=2,
    )
    _fit_quietly(search, X, y)
    assert search.best_params_["alpha"] in (1e-4, 1e-1)
    assert len(search.cv_results_["mean_test_score"]) == 2
    assert isinstance(search.best_estimator_, ReversibleMLPClassifier)
    assert search.best_estimator_.alpha == search.best_params_["alpha"]
    assert search.score(X, y) >= 0.9


def test_warm_start_with_different_layer_sizes_raises():
    X, y = _iris()
    clf = _fit_quietly(ReversibleMLPClassifier((5,), max_iter=3, warm_start=True), X, y)
    clf.set_params(hidden_layer_sizes=(6,))
    with pytest.raises(ValueError, match="layer sizes of the previous fit"):
        clf.fit(X, y)


def test_verbose_numbering_restarts_on_warm_started_fit(capsys):
    X, y = _iris()
    clf = ReversibleMLPClassifier((5,), max_iter=3, warm_start=True, verbose=1)
    _fit_quietly(clf, X, y)
    capsys.readouterr()
    _fit_quietly(clf, X, y)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Iteration 1, loss = ")
    assert len(clf.loss_curve_) == 3 + len(lines)


def test_numpy_input_imports_no_optional_dependency():
    # dask and array-api-compat are imported only for their own arrays
    code = (
        "import sys\n"
        "from sklearn.datasets import load_iris\n"
        "from sklearn_revnet import ReversibleMLPClassifier\n"
        "X, y = load_iris(return_X_y=True)\n"
        "clf = ReversibleMLPClassifier((4,), max_iter=5).fit(X, y)\n"
        "clf.predict_proba(X); clf.generate(1, n=2, random_state=0); clf.inverse_transform([0])\n"
        "optional = ('dask', 'distributed', 'array_api_compat')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in optional))\n"
    )
    out = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
