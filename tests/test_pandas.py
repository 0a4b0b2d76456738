"""DataFrame in, DataFrame out: the reverse family of an estimator fitted on a DataFrame."""

import builtins
import functools
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_revnet import (
    ReversibleMLPClassifier,
    Whitener,
    counterfactual,
    generate,
    inverse_transform,
)

pd = pytest.importorskip("pandas")

X_IRIS, Y_IRIS = load_iris(return_X_y=True)
COLUMNS = ["sepal length", "sepal width", "petal length", "petal width"]
LABELS = [0, 1, 2, 1]


def _clf():
    return ReversibleMLPClassifier(hidden_layer_sizes=(8,), max_iter=100, random_state=0)


def _scaled(first=StandardScaler):
    return make_pipeline(first(), _clf())


ESTIMATORS = {
    "classifier": _clf,
    "pipeline": _scaled,
    # Whitener records data_min_ and data_max_: raw bounds, so the raw-space mode
    "bounded pipeline": functools.partial(_scaled, Whitener),
    "pandas output": lambda: _scaled().set_output(transform="pandas"),
    "bounded pandas output": lambda: _scaled(Whitener).set_output(transform="pandas"),
    "search": lambda: GridSearchCV(
        _scaled(), {"reversiblemlpclassifier__alpha": [0.1, 1.0]}, cv=2
    ),
}


@functools.cache
def _fitted(kind, container="frame", dtype=np.float64):
    """``ESTIMATORS[kind]`` fitted on iris as a DataFrame, an array or int-named columns."""
    # column-major, as a DataFrame holds its columns: the array fits then see
    # the same numbers in the same order (a row-major array changes the
    # scaler's sums by rounding, which training and a flat posterior's mode
    # search can amplify to 2e-2)
    X = np.asfortranarray(X_IRIS.astype(dtype))
    if container == "frame":
        X = pd.DataFrame(X, columns=COLUMNS)
    elif container == "int columns":
        X = pd.DataFrame(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return ESTIMATORS[kind]().fit(X, Y_IRIS)


def _forbid_pandas_imports(monkeypatch):
    """Make every ``import pandas`` from here on fail."""
    real_import = builtins.__import__

    def guarded_import(name, *args, **kwargs):
        if name.partition(".")[0] == "pandas":
            raise ImportError("pandas must not be imported here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", guarded_import)


def _predict_quietly(estimator, X):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return estimator.predict(X)


def _assert_frame(out, expected):
    assert isinstance(out, pd.DataFrame)
    assert out.columns.tolist() == COLUMNS
    pd.testing.assert_index_equal(out.index, pd.RangeIndex(len(expected)))
    assert (out.dtypes == expected.dtype).all()
    # the same numbers as the column-major array fit
    np.testing.assert_allclose(out.to_numpy(), expected, rtol=1e-6, atol=1e-9)


def test_classifier_methods_return_frames():
    clf, reference = _fitted("classifier"), _fitted("classifier", "array")
    modes = clf.inverse_transform(LABELS)
    _assert_frame(modes, reference.inverse_transform(LABELS))
    np.testing.assert_array_equal(_predict_quietly(clf, modes), LABELS)
    samples = clf.generate(2, n=5, random_state=0)
    _assert_frame(samples, reference.generate(2, n=5, random_state=0))
    _predict_quietly(clf, samples)


@pytest.mark.parametrize("kind", ESTIMATORS)
def test_functions_return_frames(kind):
    estimator, reference = _fitted(kind), _fitted(kind, "array")
    modes = inverse_transform(estimator, LABELS)
    _assert_frame(modes, inverse_transform(reference, LABELS))
    np.testing.assert_array_equal(_predict_quietly(estimator, modes), LABELS)
    samples = generate(estimator, 2, n=5, random_state=0)
    _assert_frame(samples, generate(reference, 2, n=5, random_state=0))
    _predict_quietly(estimator, samples)


@pytest.mark.parametrize("kind", ["pandas output", "bounded pandas output"])
def test_pandas_output_pipeline_steps_run_backwards(kind):
    # The classifier saw the first step's DataFrames: its own methods name its
    # columns after that step's output, and scikit-learn's inverse_transform
    # passes them back through the step.
    pipe = _fitted(kind)
    modes = pipe[-1].inverse_transform(LABELS)
    assert modes.columns.tolist() == pipe[0].get_feature_names_out().tolist()
    back = pipe.inverse_transform(LABELS)
    np.testing.assert_allclose(back, pipe[0].inverse_transform(modes.to_numpy()))
    if kind == "pandas output":  # no raw bounds: the same as scikit-learn's
        np.testing.assert_allclose(inverse_transform(pipe, LABELS), back)


@pytest.mark.parametrize(
    "kind, container",
    [
        *[(kind, "array") for kind in ["classifier", "pipeline", "bounded pipeline", "search"]],
        # scikit-learn records no feature names for integer column labels
        ("classifier", "int columns"),
        ("bounded pipeline", "int columns"),
    ],
)
def test_no_feature_names_give_arrays_without_pandas(kind, container, monkeypatch):
    estimator = _fitted(kind, container)
    if container == "array":
        _forbid_pandas_imports(monkeypatch)
    outputs = [
        inverse_transform(estimator, LABELS),
        generate(estimator, 2, n=3, random_state=0),
    ]
    if kind == "classifier":
        outputs += [estimator.inverse_transform(LABELS), estimator.generate(2, n=3)]
    assert all(type(X) is np.ndarray for X in outputs)


@pytest.mark.parametrize("kind", ["classifier", "pipeline"])
def test_float32_frames_stay_float32(kind):
    estimator = _fitted(kind, dtype=np.float32)
    outputs = [
        inverse_transform(estimator, LABELS),
        generate(estimator, 2, n=3, random_state=0),
    ]
    if kind == "classifier":
        outputs += [estimator.inverse_transform(LABELS), estimator.generate(2, n=3)]
    for X in outputs:
        assert isinstance(X, pd.DataFrame)
        assert (X.dtypes == np.float32).all()
        _predict_quietly(estimator, X)


@pytest.mark.parametrize("kind", ["pipeline", "bounded pipeline", "bounded pandas output"])
def test_frame_fitted_pipelines_run_backwards_without_warnings(kind):
    estimator = _fitted(kind)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        inverse_transform(estimator, LABELS)
        generate(estimator, 2, n=3, random_state=0)


@pytest.mark.parametrize("kind", ESTIMATORS)
@pytest.mark.parametrize("container", ["frame", "array"])
def test_reverse_calls_on_frame_fitted_models_raise_no_feature_name_warnings(kind, container):
    # The solvers evaluate the network on arrays of their own: a model fitted
    # with feature names must not warn about them, whatever rows it is given.
    estimator = _fitted(kind)
    X = pd.DataFrame(X_IRIS[::30], columns=COLUMNS)
    rows = X if container == "frame" else X.to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        counterfactual(estimator, rows, target=1)
        counterfactual(estimator, rows, target="other", fixed=[0])
        generate(estimator, 2, n=3, random_state=0)
        inverse_transform(estimator, LABELS)
        if kind == "classifier":
            estimator.counterfactual(rows, target=1)
