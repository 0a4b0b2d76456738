"""Bad input is rejected with the right exception and a message that says what is wrong.

One table, one test: every case is ``(call, exception type, message fragment)``,
where ``call`` takes no argument and works on the small module-level data and
the models below (fitted once, on first use).
"""

import copy
import functools
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import Normalizer, StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

import sklearn_revnet
from sklearn_revnet import ReversibleMLPClassifier, Whitener

# ------------------------------------------------------------------ data and models

_X_RAW, Y = load_iris(return_X_y=True)
X = StandardScaler().fit_transform(_X_RAW)
X_NAN = X.copy()
X_NAN[3, 1] = np.nan
X_INF = X.copy()
X_INF[5, 2] = np.inf
X_NEG_INF = X.copy()
X_NEG_INF[0, 0] = -np.inf
Y_NAN = Y.astype(float)
Y_NAN[7] = np.nan
X_STR = np.array([["a", "b", "c", "d"]] * len(Y))
ROWS_OK = np.array([[0.2, 0.3, 0.5]])


def _quiet_fit(estimator, X, y=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y)


def _small(**params):
    return ReversibleMLPClassifier(**{"hidden_layer_sizes": (5,), "max_iter": 5, **params})


@functools.cache
def clf():
    """A fitted 3-class model."""
    return _quiet_fit(ReversibleMLPClassifier((5,), max_iter=50, random_state=0), X, Y)


@functools.cache
def binary_clf():
    return _quiet_fit(ReversibleMLPClassifier((5,), max_iter=50, random_state=0), X, Y == 0)


@functools.cache
def whitener():
    return Whitener().fit(_X_RAW)


@functools.cache
def pipe():
    """Whitener -> classifier, fitted on raw iris."""
    return _quiet_fit(
        make_pipeline(Whitener(), ReversibleMLPClassifier((5,), max_iter=50, random_state=0)),
        _X_RAW,
        Y,
    )


@functools.cache
def normalizer_pipe():
    return _quiet_fit(
        make_pipeline(Normalizer(), ReversibleMLPClassifier((5,), max_iter=50, random_state=0)),
        _X_RAW,
        Y,
    )


def _fit(X_, y_=Y, sample_weight=None, **params):
    return lambda: _small(**params).fit(X_, y_, sample_weight=sample_weight)


def _fit_params(**params):
    return _fit(X, **params)


def _wrong_shape_init(fan_in, fan_out, random_state):
    return random_state.normal(size=(fan_out, fan_in))


def _nan_init(fan_in, fan_out, random_state):
    return np.full((fan_in, fan_out), np.nan)


def _inf_init(fan_in, fan_out, random_state):
    coef = random_state.normal(size=(fan_in, fan_out))
    coef[0, 0] = np.inf
    return coef


def _sample_weight(value):
    sample_weight = np.ones(len(Y))
    sample_weight[4] = value
    return sample_weight


# Messages of scikit-learn's own checks, reused by the table.
NAN_X = "Input X contains NaN"
INF_X = "Input X contains infinity"
N_FEATURES = "X has 3 features, but ReversibleMLPClassifier is expecting 4 features"
NOT_FITTED_CLF = "This ReversibleMLPClassifier instance is not fitted yet"
NOT_FITTED_WHITENER = "This Whitener instance is not fitted yet"
PROBABILITIES = r"Target rows must hold probabilities in \[0, 1\]"
COUNT = r"a positive integer \(not a bool\)\."
HIDDEN = "hidden_layer_sizes must hold positive integers; got "


def _param(name, accepted):
    return rf"'{name}' parameter of \w+ must be {accepted}"


def _fn_param(name, function, accepted):
    return rf"The '{name}' parameter of {function} must be {accepted}"


NON_NEGATIVE_FLOAT = r"a float in the range \[0\.0, inf\)"
POSITIVE_INT = r"an int in the range \[1, inf\)"


def _generate(n):
    return lambda: clf().generate(1, n)


def _with_bounds(bounds, method):
    """Call ``method`` of a copy of the fitted model with these input_bounds."""

    def call():
        model = copy.deepcopy(clf()).set_params(input_bounds=bounds)
        if method == "generate":
            return model.generate(1, 2, random_state=0)
        return model.inverse_transform([1])

    return call


BOUNDS_PAIR = r"input_bounds must be 'auto', None or a pair \(lo, hi\); "
BOUNDS_ORDER = r"input_bounds must satisfy lo <= hi for every feature \(no NaN\)"
RAW_BOUNDS_PAIR = r"bounds must be 'auto', None or a pair \(lo, hi\); "
RAW_BOUNDS_ORDER = r"bounds must satisfy lo <= hi for every raw feature \(no NaN\)"
MIN_PROBA = r"min_proba must be a number in \[0, 1\); got "


@functools.cache
def multilabel_clf():
    """A fitted 3-label model (each iris flower has its species and the next one)."""
    label_sets = (Y[:, None] == np.arange(3)) | (Y[:, None] == (np.arange(3) + 1) % 3)
    return _quiet_fit(
        ReversibleMLPClassifier((5,), max_iter=50, random_state=0), X, label_sets.astype(int)
    )


def _raw(function, bounds):
    """sklearn_revnet.generate or inverse_transform of the pipeline with raw bounds."""
    if function == "generate":
        return lambda: sklearn_revnet.generate(pipe(), 1, 2, random_state=0, bounds=bounds)
    return lambda: sklearn_revnet.inverse_transform(pipe(), [1], bounds=bounds)


def _generate_fn(n):
    return lambda: sklearn_revnet.generate(pipe(), 1, n)


# scikit-learn's message for a 3-D X, in its newer wording ("Found array with
# dim 3, while dim <= 2 is required.", 1.9) or its older one ("Found array with
# dim 3. ReversibleMLPClassifier expected <= 2.", 1.6).
_DIM_3 = r"Found array with dim 3(, while dim <= 2 is required|\. \w+ expected <= 2)"

CASES = [
    # ------------------------------------------------------------- NaN / inf in X
    pytest.param(_fit(X_NAN), ValueError, NAN_X, id="fit-X-nan"),
    pytest.param(_fit(X_INF), ValueError, INF_X, id="fit-X-inf"),
    pytest.param(_fit(X_NEG_INF), ValueError, INF_X, id="fit-X-neg-inf"),
    pytest.param(lambda: clf().predict(X_NAN), ValueError, NAN_X, id="predict-X-nan"),
    pytest.param(lambda: clf().predict(X_INF), ValueError, INF_X, id="predict-X-inf"),
    pytest.param(lambda: clf().predict_proba(X_NAN), ValueError, NAN_X, id="proba-X-nan"),
    pytest.param(lambda: clf().predict_proba(X_INF), ValueError, INF_X, id="proba-X-inf"),
    pytest.param(lambda: clf().predict_log_proba(X_NAN), ValueError, NAN_X, id="log-proba-nan"),
    pytest.param(lambda: clf().score(X_INF, Y), ValueError, INF_X, id="score-X-inf"),
    pytest.param(
        lambda: clf().predict(np.array([[None, 1.0, 1.0, 1.0]], dtype=object)),
        ValueError,
        NAN_X,
        id="predict-X-none",
    ),
    # --------------------------------------------------- NaN / inf on the way back
    pytest.param(
        lambda: pipe().inverse_transform(np.array([[np.nan, 0.5, 0.5]])),
        ValueError,
        PROBABILITIES,
        id="pipe-inverse-rows-nan",
    ),
    pytest.param(
        lambda: pipe().inverse_transform(np.array([[np.inf, 0.0, 0.0]])),
        ValueError,
        PROBABILITIES,
        id="pipe-inverse-rows-inf",
    ),
    pytest.param(
        lambda: pipe().inverse_transform(np.array([np.nan])),
        ValueError,
        "Unknown label nan",
        id="pipe-inverse-label-nan",
    ),
    pytest.param(
        lambda: whitener().inverse_transform(np.array([[np.nan, 0.0, 0.0, 0.0]])),
        ValueError,
        "Input contains NaN",
        id="whitener-inverse-nan",
    ),
    pytest.param(
        lambda: whitener().inverse_transform(np.array([[0.0, -np.inf, 0.0, 0.0]])),
        ValueError,
        "Input contains infinity",
        id="whitener-inverse-inf",
    ),
    pytest.param(
        lambda: whitener().transform(X_NAN), ValueError, NAN_X, id="whitener-transform-nan"
    ),
    pytest.param(lambda: Whitener().fit(X_INF), ValueError, INF_X, id="whitener-fit-inf"),
    # ------------------------------------------------------------- y, sample_weight
    pytest.param(_fit(X, Y_NAN), ValueError, "Input y contains NaN", id="fit-y-nan"),
    pytest.param(
        _fit(X, Y + 0.5), ValueError, "Unknown label type: continuous", id="fit-y-continuous"
    ),
    pytest.param(_fit(X, None), ValueError, "requires y to be passed", id="fit-y-none"),
    pytest.param(
        _fit(X, Y[:-1]),
        ValueError,
        r"inconsistent numbers of samples: \[150, 149\]",
        id="fit-y-length",
    ),
    pytest.param(
        lambda: clf().score(X, Y[:-1]),
        ValueError,
        "inconsistent numbers of samples",
        id="score-y-length",
    ),
    pytest.param(
        _fit(X, sample_weight=_sample_weight(np.nan)),
        ValueError,
        "Input sample_weight contains NaN",
        id="fit-sample-weight-nan",
    ),
    pytest.param(
        _fit(X, sample_weight=_sample_weight(np.inf)),
        ValueError,
        "Input sample_weight contains infinity",
        id="fit-sample-weight-inf",
    ),
    pytest.param(
        _fit(X, sample_weight=np.ones(10)),
        ValueError,
        r"sample_weight.shape == \(10,\), expected \(150,\)",
        id="fit-sample-weight-length",
    ),
    # --------------------------------------------------------- shapes and dtypes
    pytest.param(
        _fit(X[:0], Y[:0]),
        ValueError,
        r"0 sample\(s\) \(shape=\(0, 4\)\) while a minimum of 1 is required",
        id="fit-empty",
    ),
    pytest.param(
        lambda: clf().predict(X[:0]),
        ValueError,
        r"0 sample\(s\) .* minimum of 1 is required",
        id="predict-empty",
    ),
    pytest.param(
        lambda: Whitener().fit(_X_RAW[:1]),
        ValueError,
        r"1 sample\(s\) .* minimum of 2 is required by Whitener",
        id="whitener-fit-single-sample",
    ),
    pytest.param(_fit(X[:, :, None]), ValueError, _DIM_3, id="fit-3d"),
    pytest.param(
        lambda: clf().predict_proba(X[:, :, None]),
        ValueError,
        _DIM_3,
        id="proba-3d",
    ),
    pytest.param(_fit(X[:, 0]), ValueError, "Expected 2D array, got 1D array", id="fit-1d"),
    pytest.param(
        lambda: clf().predict(X[0]), ValueError, "Expected 2D array, got 1D", id="predict-1d"
    ),
    pytest.param(_fit(X + 1j), ValueError, "Complex data not supported", id="fit-complex"),
    pytest.param(
        lambda: clf().predict(X + 1j), ValueError, "Complex data not supported", id="pred-complex"
    ),
    pytest.param(
        lambda: whitener().inverse_transform(np.zeros((1, 4)) + 1j),
        ValueError,
        "Complex data not supported",
        id="whitener-inverse-complex",
    ),
    pytest.param(_fit(X_STR), ValueError, "could not convert string to float", id="fit-strings"),
    pytest.param(
        lambda: clf().predict(X_STR[:2]),
        ValueError,
        "could not convert string to float",
        id="predict-strings",
    ),
    pytest.param(lambda: clf().predict(X[:, :3]), ValueError, N_FEATURES, id="predict-features"),
    pytest.param(lambda: clf().predict_proba(X[:, :3]), ValueError, N_FEATURES, id="proba-feat"),
    pytest.param(
        lambda: clf().predict_log_proba(X[:, :3]), ValueError, N_FEATURES, id="log-proba-feat"
    ),
    pytest.param(lambda: clf().score(X[:, :3], Y), ValueError, N_FEATURES, id="score-features"),
    pytest.param(
        lambda: whitener().transform(_X_RAW[:, :3]),
        ValueError,
        "X has 3 features, but Whitener is expecting 4 features",
        id="whitener-transform-features",
    ),
    # ----------------------------------------------- classifier hyperparameters
    pytest.param(
        _fit_params(hidden_layer_sizes=(10, 0)), ValueError, HIDDEN + r"\(10, 0\)", id="hidden-0"
    ),
    pytest.param(
        _fit_params(hidden_layer_sizes=(-3,)), ValueError, HIDDEN + r"\(-3,\)", id="hidden-neg"
    ),
    pytest.param(
        _fit_params(hidden_layer_sizes=(2.5,)), ValueError, HIDDEN + r"\(2.5,\)", id="hidden-float"
    ),
    pytest.param(
        _fit_params(hidden_layer_sizes=(True,)),
        ValueError,
        HIDDEN + r"\(True,\)",
        id="hidden-bool",
    ),
    pytest.param(
        _fit_params(hidden_layer_sizes=0),
        InvalidParameterError,
        _param("hidden_layer_sizes", r"an array-like or an int in the range \[1, inf\)"),
        id="hidden-int-0",
    ),
    pytest.param(
        _fit_params(hidden_layer_sizes="5"),
        InvalidParameterError,
        _param("hidden_layer_sizes", "an array-like"),
        id="hidden-str",
    ),
    pytest.param(
        _fit_params(activation="sigmoid"),
        InvalidParameterError,
        _param("activation", "a str among") + ".*Got 'sigmoid'",
        id="activation-unknown",
    ),
    pytest.param(
        _fit_params(init="xavier"),
        InvalidParameterError,
        _param("init", "a str among") + ".*or a callable. Got 'xavier'",
        id="init-unknown",
    ),
    pytest.param(
        _fit_params(init=_wrong_shape_init),
        ValueError,
        r"init must return an array of shape \(fan_in, fan_out\) = \(4, 5\); got shape \(5, 4\)",
        id="init-wrong-shape",
    ),
    pytest.param(
        _fit_params(init=_nan_init),
        ValueError,
        r"init returned non-finite weights \(NaN or inf\)",
        id="init-nan",
    ),
    pytest.param(
        _fit_params(init=_inf_init),
        ValueError,
        r"init returned non-finite weights \(NaN or inf\)",
        id="init-inf",
    ),
    pytest.param(
        _fit_params(alpha=-1.0),
        InvalidParameterError,
        _param("alpha", NON_NEGATIVE_FLOAT),
        id="alpha-negative",
    ),
    pytest.param(
        _fit_params(alpha=np.nan),
        InvalidParameterError,
        _param("alpha", NON_NEGATIVE_FLOAT),
        id="alpha-nan",
    ),
    pytest.param(
        _fit_params(max_iter=0),
        InvalidParameterError,
        _param("max_iter", POSITIVE_INT),
        id="max-iter-0",
    ),
    pytest.param(
        _fit_params(max_iter=2.5),
        InvalidParameterError,
        _param("max_iter", POSITIVE_INT),
        id="max-iter-float",
    ),
    pytest.param(
        _fit_params(tol=-1e-4),
        InvalidParameterError,
        _param("tol", NON_NEGATIVE_FLOAT),
        id="tol-negative",
    ),
    pytest.param(
        _fit_params(max_fun=0),
        InvalidParameterError,
        _param("max_fun", POSITIVE_INT),
        id="max-fun-0",
    ),
    pytest.param(
        _fit_params(prior="gaussian"),
        InvalidParameterError,
        _param("prior", "a str among") + r".*or an int in the range \[1, inf\). Got 'gaussian'",
        id="prior-unknown",
    ),
    pytest.param(
        _fit_params(prior=0),
        InvalidParameterError,
        _param("prior", "a str among") + r".*or an int in the range \[1, inf\). Got 0 ",
        id="prior-0",
    ),
    pytest.param(
        _fit_params(prior=2.5),
        InvalidParameterError,
        _param("prior", "a str among") + ".*Got 2.5 ",
        id="prior-float",
    ),
    pytest.param(
        _fit_params(input_bounds="wide"),
        InvalidParameterError,
        _param("input_bounds", r"a str among \{'auto'\}, None, an instance of 'tuple'")
        + ".*Got 'wide'",
        id="input-bounds-unknown-str",
    ),
    pytest.param(
        _fit_params(input_bounds=5.0),
        InvalidParameterError,
        _param("input_bounds", "a str among") + ".*Got 5.0 ",
        id="input-bounds-number",
    ),
    pytest.param(
        _fit_params(mcmc_steps=1),
        InvalidParameterError,
        _param("mcmc_steps", r"an int in the range \[2, inf\)"),
        id="mcmc-steps-1",
    ),
    pytest.param(
        _fit_params(mcmc_steps=2.5),
        InvalidParameterError,
        _param("mcmc_steps", r"an int in the range \[2, inf\)"),
        id="mcmc-steps-float",
    ),
    pytest.param(
        _fit_params(inverse_max_iter=0),
        InvalidParameterError,
        _param("inverse_max_iter", POSITIVE_INT),
        id="inverse-max-iter-0",
    ),
    pytest.param(
        _fit_params(inverse_max_iter=1.5),
        InvalidParameterError,
        _param("inverse_max_iter", POSITIVE_INT),
        id="inverse-max-iter-float",
    ),
    pytest.param(
        _fit_params(inverse_tol=-1e-4),
        InvalidParameterError,
        _param("inverse_tol", NON_NEGATIVE_FLOAT),
        id="inverse-tol-negative",
    ),
    pytest.param(
        _fit_params(inverse_tol=np.nan),
        InvalidParameterError,
        _param("inverse_tol", NON_NEGATIVE_FLOAT),
        id="inverse-tol-nan",
    ),
    # input_bounds is read when it is used (it takes effect without refitting)
    *[
        pytest.param(
            _with_bounds(bounds, method),
            ValueError,
            fragment,
            id=f"input-bounds-{name}-{method}",
        )
        for name, bounds, fragment in [
            ("3-items", (0.0, 1.0, 2.0), BOUNDS_PAIR + "got 3 items"),
            ("1-item", (0.0,), BOUNDS_PAIR + "got 1 items"),
            ("lo-above-hi", (1.0, 0.0), BOUNDS_ORDER),
            ("lo-above-hi-one-feature", (np.zeros(4), np.r_[1.0, 1.0, -1.0, 1.0]), BOUNDS_ORDER),
            ("nan", (np.zeros(4), np.r_[1.0, np.nan, 1.0, 1.0]), BOUNDS_ORDER),
            (
                "wrong-length",
                (np.zeros(3), 1.0),
                r"input_bounds lo must be a number or have one entry per feature \(4\); "
                r"got shape \(3,\)",
            ),
            (
                "2d",
                (0.0, np.ones((2, 4))),
                r"input_bounds hi must be a number or have one entry per feature \(4\)",
            ),
        ]
        for method in ("inverse_transform", "generate")
    ],
    pytest.param(
        _fit_params(warm_start="yes"),
        InvalidParameterError,
        _param("warm_start", "an instance of 'bool'"),
        id="warm-start-str",
    ),
    pytest.param(
        _fit_params(verbose=-1),
        InvalidParameterError,
        _param("verbose", r"an int in the range \[0, inf\)"),
        id="verbose-negative",
    ),
    pytest.param(
        _fit_params(random_state="seed"),
        InvalidParameterError,
        _param("random_state", "an int in the range"),
        id="random-state-str",
    ),
    # ------------------------------------------------- Whitener hyperparameters
    pytest.param(
        lambda: Whitener(n_components=0).fit(_X_RAW),
        InvalidParameterError,
        _param("n_components", r"an int in the range \[1, inf\), a float in the range \(0"),
        id="whitener-n-components-0",
    ),
    pytest.param(
        lambda: Whitener(n_components=-2).fit(_X_RAW),
        InvalidParameterError,
        _param("n_components", r"an int in the range \[1, inf\)"),
        id="whitener-n-components-negative",
    ),
    pytest.param(
        lambda: Whitener(n_components=1.5).fit(_X_RAW),
        InvalidParameterError,
        _param("n_components", r".*a float in the range \(0\.0, 1\.0\)"),
        id="whitener-n-components-1.5",
    ),
    pytest.param(
        lambda: Whitener(n_components=5).fit(_X_RAW),
        ValueError,
        r"n_components=5 must be at most min\(n_samples, n_features\)=4",
        id="whitener-n-components-too-large",
    ),
    pytest.param(
        lambda: Whitener(method="ica").fit(_X_RAW),
        InvalidParameterError,
        _param("method", "a str among") + ".*Got 'ica'",
        id="whitener-method-unknown",
    ),
    pytest.param(
        lambda: Whitener(epsilon=-1e-6).fit(_X_RAW),
        InvalidParameterError,
        _param("epsilon", NON_NEGATIVE_FLOAT),
        id="whitener-epsilon-negative",
    ),
    pytest.param(
        lambda: whitener().inverse_transform(np.zeros((2, 3))),
        ValueError,
        "X has 3 features, but Whitener.inverse_transform with method='pca' expects 4",
        id="whitener-inverse-features",
    ),
    # ------------------------------------------------------------- unknown labels
    pytest.param(
        lambda: clf().inverse_transform([0, 7]),
        ValueError,
        r"Unknown label 7; the model knows the labels \[0, 1, 2\]",
        id="inverse-unknown-label",
    ),
    pytest.param(
        lambda: pipe().inverse_transform(np.array([2, -1])),
        ValueError,
        r"Unknown label -1; the model knows the labels \[0, 1, 2\]",
        id="pipe-inverse-unknown-label",
    ),
    pytest.param(
        lambda: clf().generate("cat"),
        ValueError,
        r"Unknown label 'cat'; the model knows the labels \[0, 1, 2\]",
        id="generate-unknown-label",
    ),
    pytest.param(
        lambda: sklearn_revnet.generate(pipe(), 3, 2),
        ValueError,
        r"Unknown label 3; the model knows the labels \[0, 1, 2\]",
        id="generate-fn-unknown-label",
    ),
    pytest.param(
        lambda: binary_clf().inverse_transform(["True"]),
        ValueError,
        r"Unknown label 'True'; the model knows the labels \[False, True\]",
        id="binary-inverse-unknown-label",
    ),
    pytest.param(
        lambda: clf().generate([0, 1]),
        TypeError,
        "label must be a single label from classes_; got list",
        id="generate-several-labels",
    ),
    # ----------------------------------------------------------- probability rows
    pytest.param(
        lambda: clf().inverse_transform(np.full((2, 4), 0.25)),
        ValueError,
        r"one column per class \(3\); got 4",
        id="rows-too-wide",
    ),
    pytest.param(
        lambda: binary_clf().inverse_transform(np.array([[1.0]])),
        ValueError,
        r"one column per class \(2\); got 1",
        id="binary-rows-too-narrow",
    ),
    pytest.param(
        lambda: clf().inverse_transform(np.array([[0.6, 0.6, -0.2]])),
        ValueError,
        PROBABILITIES,
        id="rows-negative",
    ),
    pytest.param(
        lambda: clf().inverse_transform(np.array([[2.0, -0.5, -0.5]])),
        ValueError,
        PROBABILITIES,
        id="rows-above-one",
    ),
    pytest.param(
        lambda: clf().inverse_transform(np.vstack([ROWS_OK, [[0.2, 0.2, 0.2]]])),
        ValueError,
        "Target probability rows must sum to 1; row 1 sums to 0.6",
        id="rows-not-summing-to-one",
    ),
    pytest.param(
        lambda: clf().inverse_transform(np.array([[np.nan, 0.5, 0.5]])),
        ValueError,
        PROBABILITIES,
        id="rows-nan",
    ),
    pytest.param(
        lambda: clf().inverse_transform(np.array([["a", "b", "c"]])),
        ValueError,
        "Target rows must be numeric",
        id="rows-strings",
    ),
    pytest.param(
        lambda: clf().inverse_transform(np.zeros((1, 3, 1))),
        ValueError,
        r"y must be 1-D labels or 2-D target rows; got an array of shape \(1, 3, 1\)",
        id="rows-3d",
    ),
    pytest.param(
        lambda: clf().inverse_transform([[0.2, 0.3, 0.5], [1.0]]),
        ValueError,
        "Target rows must all have one entry per class.",
        id="rows-ragged",
    ),
    # -------------------------------------------------------------- n in generate
    # the method and the functions refuse n as scikit-learn's validation does
    *[
        pytest.param(
            call(n),
            InvalidParameterError,
            _fn_param("n", function, COUNT) + f" Got {n!r} instead",
            id=f"{id_}-n-{name}",
        )
        for call, function, id_ in [
            (_generate, r"ReversibleMLPClassifier\.generate", "generate"),
            (_generate_fn, "generate", "generate-fn"),
        ]
        for name, n in [
            ("0", 0),
            ("negative", -2),
            ("float", 2.0),
            ("bool", True),
            ("none", None),
        ]
    ],
    # ------------------------------------------------------ min_proba in generate
    *[
        pytest.param(
            (lambda v: lambda: clf().generate(1, 2, min_proba=v))(value),
            ValueError,
            MIN_PROBA + shown,
            id=f"generate-min-proba-{name}",
        )
        for name, value, shown in [
            ("negative", -0.1, "-0.1"),
            ("one", 1.0, "1.0"),
            ("nan", np.nan, "nan"),
            ("str", "0.5", "'0.5'"),
        ]
    ],
    pytest.param(
        lambda: sklearn_revnet.generate(pipe(), 1, 2, min_proba=1.5),
        InvalidParameterError,
        _fn_param("min_proba", "generate", r"a float in the range \[0.0, 1.0\)"),
        id="generate-fn-min-proba-above-one",
    ),
    # ------------------------------------------------ raw-space bounds of a pipeline
    *[
        pytest.param(
            _raw(function, bounds),
            ValueError,
            fragment,
            id=f"{function}-fn-bounds-{name}",
        )
        for name, bounds, fragment in [
            ("3-items", (0.0, 1.0, 2.0), RAW_BOUNDS_PAIR + "got 3 items"),
            ("lo-above-hi", (_X_RAW.max(axis=0), _X_RAW.min(axis=0)), RAW_BOUNDS_ORDER),
            ("nan", (0.0, np.r_[10.0, 10.0, np.nan, 10.0]), RAW_BOUNDS_ORDER),
            ("wrong-length", (np.zeros(3), 10.0), r"one entry per raw feature \(4\)"),
        ]
        for function in ("generate", "inverse_transform")
    ],
    *[
        pytest.param(
            _raw(function, "wide"),
            InvalidParameterError,
            _fn_param("bounds", function, r"a str among \{'auto'\}, None or an array-like"),
            id=f"{function}-fn-bounds-unknown-str",
        )
        for function in ("generate", "inverse_transform")
    ],
    # ------------------------------------------------------- label sets (multilabel)
    pytest.param(
        lambda: multilabel_clf().generate([1, 0], 2),
        ValueError,
        r"A label set must be a 0/1 indicator row of 3 entries; got \[1, 0\]",
        id="generate-label-set-short",
    ),
    pytest.param(
        lambda: multilabel_clf().generate([1, 2, 0], 2),
        ValueError,
        r"A label set must be a 0/1 indicator row of 3 entries; got \[1, 2, 0\]",
        id="generate-label-set-not-0-1",
    ),
    # ---------------------------------------------------------------- before fit
    pytest.param(
        lambda: ReversibleMLPClassifier().predict(X),
        NotFittedError,
        NOT_FITTED_CLF,
        id="unfitted-predict",
    ),
    pytest.param(
        lambda: ReversibleMLPClassifier().predict_proba(X),
        NotFittedError,
        NOT_FITTED_CLF,
        id="unfitted-predict-proba",
    ),
    pytest.param(
        lambda: ReversibleMLPClassifier().predict_log_proba(X),
        NotFittedError,
        NOT_FITTED_CLF,
        id="unfitted-predict-log-proba",
    ),
    pytest.param(
        lambda: ReversibleMLPClassifier().score(X, Y),
        NotFittedError,
        NOT_FITTED_CLF,
        id="unfitted-score",
    ),
    pytest.param(
        lambda: ReversibleMLPClassifier().inverse_transform([0]),
        NotFittedError,
        NOT_FITTED_CLF,
        id="unfitted-inverse-transform",
    ),
    pytest.param(
        lambda: ReversibleMLPClassifier().generate(0, 2),
        NotFittedError,
        NOT_FITTED_CLF,
        id="unfitted-generate",
    ),
    pytest.param(
        lambda: sklearn_revnet.generate(make_pipeline(Whitener(), ReversibleMLPClassifier()), 0),
        NotFittedError,
        NOT_FITTED_CLF,
        id="unfitted-pipeline-generate-fn",
    ),
    pytest.param(
        lambda: Whitener().transform(_X_RAW),
        NotFittedError,
        NOT_FITTED_WHITENER,
        id="unfitted-whitener-transform",
    ),
    pytest.param(
        lambda: Whitener(method="zca").inverse_transform(_X_RAW),
        NotFittedError,
        NOT_FITTED_WHITENER,
        id="unfitted-whitener-inverse-transform",
    ),
    # ------------------------------------------- generate on what cannot generate
    pytest.param(
        lambda: sklearn_revnet.generate(normalizer_pipe(), 0, 2),
        TypeError,
        r"Pipeline step 'normalizer' \(Normalizer\) has no inverse_transform",
        id="generate-fn-normalizer-step",
    ),
    pytest.param(
        lambda: sklearn_revnet.generate(
            GridSearchCV(ReversibleMLPClassifier(), {"alpha": [0.1, 1.0]}), 0, 2
        ),
        NotFittedError,
        "This GridSearchCV instance is not fitted yet",
        id="generate-fn-unfitted-search",
    ),
    pytest.param(
        lambda: sklearn_revnet.generate(LogisticRegression().fit(X, Y), 0, 2),
        TypeError,
        "LogisticRegression cannot generate samples: pass a fitted ReversibleMLPClassifier",
        id="generate-fn-logistic-regression",
    ),
    pytest.param(
        lambda: sklearn_revnet.generate(whitener(), 0, 2),
        TypeError,
        "Whitener cannot generate samples",
        id="generate-fn-whitener",
    ),
]


@pytest.mark.parametrize("call, exception, fragment", CASES)
def test_bad_input_raises_with_clear_message(call, exception, fragment):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        with pytest.raises(exception, match=fragment):
            call()
