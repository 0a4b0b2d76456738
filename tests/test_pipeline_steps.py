"""Which pipeline steps generate and inverse_transform can map back through."""

import functools
import warnings

import numpy as np
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_iris
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.feature_selection import SelectKBest
from sklearn.impute import IterativeImputer, KNNImputer, MissingIndicator, SimpleImputer
from sklearn.pipeline import Pipeline, make_pipeline, make_union
from sklearn.preprocessing import (
    FunctionTransformer,
    KBinsDiscretizer,
    MaxAbsScaler,
    MinMaxScaler,
    Normalizer,
    OneHotEncoder,
    OrdinalEncoder,
    PolynomialFeatures,
    QuantileTransformer,
    RobustScaler,
    SplineTransformer,
    StandardScaler,
    TargetEncoder,
)

from sklearn_revnet import (
    ReversibleMLPClassifier,
    Whitener,
    generate,
    inverse_transform,
)
from sklearn_revnet._reverse import functions

X, Y = load_iris(return_X_y=True)
LABELS = [0, 1, 2]


def _fit(*steps, X=X):
    clf = ReversibleMLPClassifier((8,), max_iter=100, random_state=0, prior=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return make_pipeline(*steps, clf).fit(X, Y)


def _columns(*transformers, remainder="drop"):
    return ColumnTransformer(list(transformers), remainder=remainder)


# ------------------------------------------------------------------ unsupported steps

# Each message: what the step lacks, why that matters, what to do instead, and
# which steps work; the advice and the list are checked word for word.
CANNOT = ", so generated samples cannot be mapped back through it to the input space."
SUPPORTED_STEPS = (
    "Steps that can be reversed: StandardScaler, MinMaxScaler, MaxAbsScaler, RobustScaler, "
    "PowerTransformer, PCA, Whitener, feature selection, FunctionTransformer with "
    "inverse_func, and ColumnTransformers of these; OneHotEncoder and OrdinalEncoder as the "
    "first step or as blocks of a first ColumnTransformer; apply any other step to the data "
    "before the pipeline."
)
IMPUTE = (
    "Generated rows have no missing values: fit the imputer outside the pipeline and "
    "pass imputed data."
)
ENCODE = (
    "Categories are reversed where the raw columns are encoded: make the encoder the "
    "first step, or a block of a first ColumnTransformer."
)
EXPAND = (
    "Generated features need not agree with one another (x and x**2): compute them "
    "before the pipeline, or let the network see the raw features."
)
INVERSE_FUNC = "Pass inverse_func, the inverse of func."

UNSUPPORTED = {
    "imputer": (
        SimpleImputer,
        r"'simpleimputer' \(SimpleImputer\) cannot be reversed",
        IMPUTE,
    ),
    "polynomial": (
        lambda: PolynomialFeatures(2),
        r"'polynomialfeatures' \(PolynomialFeatures\) has no inverse_transform",
        EXPAND,
    ),
    # an encoder as the first step, or a first ColumnTransformer's block, is reversed
    # (tests/test_tabular.py); one after another step is not
    "one-hot-after-a-step": (
        lambda: make_pipeline(FunctionTransformer(_same, inverse_func=_same), OneHotEncoder()),
        r"'onehotencoder' \(OneHotEncoder\) does not invert",
        ENCODE,
    ),
    "function-without-inverse": (
        lambda: FunctionTransformer(np.log1p),
        r"'functiontransformer' \(FunctionTransformer\) does not invert",
        INVERSE_FUNC,
    ),
    "spline": (
        SplineTransformer,
        r"'splinetransformer' \(SplineTransformer\) has no inverse_transform",
        EXPAND,
    ),
    "bins": (
        lambda: KBinsDiscretizer(encode="ordinal", strategy="uniform"),
        r"'kbinsdiscretizer' \(KBinsDiscretizer\) does not invert",
        "Generated values fall between its bins: scale the features instead "
        "(StandardScaler, MinMaxScaler), or discretize before the pipeline.",
    ),
    "union": (
        lambda: make_union(StandardScaler(), MinMaxScaler()),
        r"'featureunion' \(FeatureUnion\) has no inverse_transform",
        "Generated samples need not agree between its parts: use one transformer, or a "
        "ColumnTransformer that gives each column to one transformer.",
    ),
    "normalizer": (
        Normalizer,
        r"'normalizer' \(Normalizer\) has no inverse_transform",
        "It loses each row's norm: normalize the data before the pipeline.",
    ),
    "columns-with-a-late-encoder": (
        lambda: _columns(
            ("num", StandardScaler(), [0, 1]),
            ("cat", make_pipeline(StandardScaler(), OneHotEncoder()), [2, 3]),
        ),
        r"'columntransformer' \(ColumnTransformer\), transformer 'cat' \(Pipeline\), "
        r"step 'onehotencoder' \(OneHotEncoder\)",
        ENCODE,
    ),
    "columns-with-imputer": (
        lambda: _columns(
            ("num", make_pipeline(SimpleImputer(), StandardScaler()), [0, 1]),
            remainder="passthrough",
        ),
        r"'columntransformer' \(ColumnTransformer\), transformer 'num' \(Pipeline\), "
        r"step 'simpleimputer' \(SimpleImputer\) cannot be reversed",
        IMPUTE,
    ),
    "columns-shared": (
        lambda: _columns(("a", StandardScaler(), [0, 1, 2]), ("b", MinMaxScaler(), [2, 3])),
        r"'columntransformer' \(ColumnTransformer\) gives input columns \[2\] to more",
        "Give each column to one transformer.",
    ),
    "columns-dropped": (
        lambda: _columns(("a", StandardScaler(), [0, 1])),
        r"'columntransformer' \(ColumnTransformer\) drops input columns \[2, 3\]",
        "Pass remainder='passthrough', or select the columns before the pipeline.",
    ),
    "columns-remainder": (
        lambda: _columns(("a", StandardScaler(), [0, 1]), remainder=PolynomialFeatures()),
        r"'columntransformer' \(ColumnTransformer\), transformer 'remainder' "
        r"\(PolynomialFeatures\) has no inverse_transform",
        EXPAND,
    ),
    "columns-pipeline-ending-without-inverse": (
        lambda: _columns(
            ("a", make_pipeline(StandardScaler(), PolynomialFeatures()), [0, 1]),
            remainder="passthrough",
        ),
        r"'columntransformer' \(ColumnTransformer\), transformer 'a' \(Pipeline\), "
        r"step 'polynomialfeatures' \(PolynomialFeatures\) has no inverse_transform",
        EXPAND,
    ),
    "function-changing-the-shape": (
        lambda: FunctionTransformer(_first_two, inverse_func=_first_one, check_inverse=False),
        r"'functiontransformer' \(FunctionTransformer\) does not invert: "
        r"transform\(inverse_transform\(z\)\) has shape \(\d+, 1\), not \(\d+, 2\)",
        INVERSE_FUNC,
    ),
    "ordinal-after-a-step": (
        lambda: make_pipeline(StandardScaler(), OrdinalEncoder()),
        r"'ordinalencoder' \(OrdinalEncoder\) does not invert",
        ENCODE,
    ),
    "quantile": (
        lambda: QuantileTransformer(n_quantiles=50),
        r"'quantiletransformer' \(QuantileTransformer\) does not invert",
        "Where the training data repeat a value, a range of outputs comes back to that "
        "value: use PowerTransformer or a scaler instead.",
    ),
    "function-refusing-its-inverse": (
        lambda: FunctionTransformer(_one_decimal, inverse_func=_same, check_inverse=False),
        r"'functiontransformer' \(FunctionTransformer\) cannot be reversed: its transform "
        r"raised ValueError",
        INVERSE_FUNC,
    ),
    "function-raising-a-type-error": (
        lambda: FunctionTransformer(inverse_func=_type_error, check_inverse=False),
        r"'functiontransformer' \(FunctionTransformer\) cannot be reversed: its "
        r"inverse_transform raised TypeError",
        INVERSE_FUNC,
    ),
}


def _first_two(X):
    return np.asarray(X)[:, :2]


def _first_one(Z):
    return np.asarray(Z)[:, :1]


def _type_error(Z):
    raise TypeError("no way back")


def _one_decimal(X):
    """Measurements to one decimal, as iris's are (the classifier's inputs are not)."""
    X = np.asarray(X)
    if not np.all(X == np.round(X, 1)):
        raise ValueError("measurements have one decimal")
    return X


def _same(Z):
    return np.asarray(Z)


@functools.cache
def _unsupported(kind):
    return _fit(UNSUPPORTED[kind][0]())


def _unreachable(*args, **kwargs):
    raise AssertionError("the steps must be checked before any work on the samples")


@pytest.mark.parametrize("function", [generate, inverse_transform])
@pytest.mark.parametrize("kind", list(UNSUPPORTED))
def test_unsupported_step_raises_naming_it_and_what_to_do(kind, function, monkeypatch):
    _, names_step, advice = UNSUPPORTED[kind]
    pipe = _unsupported(kind)
    monkeypatch.setattr(functions, "RawSpace", _unreachable)
    with pytest.raises(TypeError, match=f"Pipeline step {names_step}") as error:
        function(pipe, [1] if function is inverse_transform else 1)
    message = str(error.value)
    assert message.endswith(f"{CANNOT} {advice} {SUPPORTED_STEPS}"), message
    if kind == "function-raising-a-type-error":  # the step's own error is chained
        assert str(error.value.__cause__) == "no way back"


@pytest.mark.parametrize(
    "step, advice",
    [(KNNImputer(), IMPUTE), (IterativeImputer(), IMPUTE), (MissingIndicator(), IMPUTE)]
    + [(TargetEncoder(), ENCODE)],
    ids=["knn-imputer", "iterative-imputer", "missing-indicator", "target-encoder"],
)
def test_a_step_without_inverse_is_named_before_the_fit(step, advice):
    name = type(step).__name__
    with pytest.raises(TypeError) as error:
        generate(make_pipeline(step, ReversibleMLPClassifier()), 0)
    assert str(error.value) == (
        f"Pipeline step {name.lower()!r} ({name}) has no inverse_transform{CANNOT} "
        f"{advice} {SUPPORTED_STEPS}"
    )


def test_unfitted_pipeline_is_checked_for_missing_inverses():
    pipe = make_pipeline(
        _columns(("a", StandardScaler(), [0, 1]), ("b", PolynomialFeatures(), [2, 3])),
        ReversibleMLPClassifier(),
    )
    with pytest.raises(TypeError, match=r"transformer 'b' \(PolynomialFeatures\) has no"):
        generate(pipe, 0)


# -------------------------------------------------------------------- supported steps

SUPPORTED = {
    "standard": StandardScaler,
    "min-max": MinMaxScaler,
    "max-abs": MaxAbsScaler,
    "robust": RobustScaler,
    "pca-whiten": lambda: PCA(whiten=True),
    "pca-fewer": lambda: PCA(3),
    "whitener": Whitener,
    "whitener-zca-fewer": lambda: Whitener(n_components=3, method="zca"),
    "nested-pipeline": lambda: make_pipeline(StandardScaler(), PCA()),
    "passthrough": lambda: Pipeline([("skip", "passthrough"), ("scale", MinMaxScaler())]),
    # a block that is a pipeline of steps that do not commute, and the others
    # passed through
    "columns-with-a-pipeline": lambda: _columns(
        (
            "scaled",
            Pipeline(
                [
                    ("skip", "passthrough"),
                    ("standard", StandardScaler()),
                    ("min-max", MinMaxScaler()),
                ]
            ),
            [0, 1],
        ),
        remainder="passthrough",
    ),
    "function-with-inverse": lambda: FunctionTransformer(np.log1p, inverse_func=np.expm1),
}


# PCA is not per-feature and records no input range: no raw bounds apply, and
# its samples may leave the training range (2 of 20 rows do here).
NO_RAW_RANGE = {"pca-whiten", "pca-fewer", "nested-pipeline"}


@pytest.mark.parametrize("kind", list(SUPPORTED))
def test_supported_steps_run_backwards(kind):
    pipe = _fit(SUPPORTED[kind]())
    samples = generate(pipe, 2, n=20, random_state=0)
    assert samples.shape == (20, 4) and np.isfinite(samples).all()
    if kind not in NO_RAW_RANGE:
        assert _in_training_range(samples)
    # measured: 16 of 20 for whitener-zca-fewer, 18 to 20 for the others
    # (16 to 20 at seeds 0-4)
    assert np.mean(pipe.predict(samples) == 2) >= 0.8
    modes = inverse_transform(pipe, LABELS)
    np.testing.assert_array_equal(pipe.predict(modes), LABELS)
    if kind != "whitener-zca-fewer":
        # Without raw bounds, pushed forward through the steps, the raw rows
        # are the classifier's own samples (measured: 4e-15 apart at most).
        # (Not through a ZCA that keeps fewer components than its input: it
        # maps onto a subspace of the classifier's inputs, which the box's
        # censoring can leave.)
        unbounded = generate(pipe, 2, n=20, random_state=0, bounds=None)
        np.testing.assert_allclose(
            pipe[:-1].transform(unbounded),
            pipe[-1].generate(2, 20, random_state=0),
            rtol=0,
            atol=1e-8,
        )


def test_feature_selection_runs_backwards_with_its_warning():
    pipe = _fit(SelectKBest(k=3))
    with pytest.warns(UserWarning, match=r"'selectkbest' \(SelectKBest\) keeps 3 of its 4"):
        samples = generate(pipe, 2, n=20, random_state=0)
    # measured: 20 of 20 (18 to 20 at seeds 0-4); margin 2 samples
    assert np.mean(pipe.predict(samples) == 2) >= 0.9


# --------------------------------------------------------------- column transformers


def _in_training_range(samples, X=X):
    return bool(np.all((samples >= X.min(axis=0) - 1e-9) & (samples <= X.max(axis=0) + 1e-9)))


@pytest.mark.parametrize("bounds", ["auto", (X.min(axis=0), X.max(axis=0))], ids=["auto", "raw"])
def test_column_transformer_of_scalers_runs_backwards(bounds):
    scalers = _columns(("a", StandardScaler(), [0, 1]), ("b", MinMaxScaler(), [2, 3]))
    pipe = _fit(scalers)
    for label in LABELS:
        samples = generate(pipe, label, n=50, random_state=0, bounds=bounds)
        assert _in_training_range(samples)
        # measured: 47 to 50 of 50 (46 to 50 at seeds 0-4); margin one sample
        assert np.mean(pipe.predict(samples) == label) >= 0.92
    modes = inverse_transform(pipe, LABELS, bounds=bounds)
    assert _in_training_range(modes)
    np.testing.assert_array_equal(pipe.predict(modes), LABELS)


def test_column_transformer_inverts_each_block():
    # remainder="passthrough" keeps columns 2 and 3, after the PCA's one output
    pca = _columns(("pca", PCA(1), [0, 1]), remainder="passthrough")
    pipe = _fit(pca)
    with pytest.warns(UserWarning, match="keeps 3 of its 4 input features"):
        modes = inverse_transform(pipe, LABELS, bounds=None)
    np.testing.assert_array_equal(pipe.predict(modes), LABELS)
    Z = pipe[0].transform(modes)
    np.testing.assert_allclose(modes[:, 2:], Z[:, 1:])
    np.testing.assert_allclose(
        modes[:, :2], pipe[0].named_transformers_["pca"].inverse_transform(Z[:, :1])
    )


def test_column_transformer_on_named_columns():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    pipe = _fit(
        _columns(("x", StandardScaler(), ["a", "c"]), ("y", MinMaxScaler(), ["b", "d"])), X=frame
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        samples = generate(pipe, 1, n=20, random_state=0)
        modes = inverse_transform(pipe, LABELS)
    assert list(samples.columns) == ["a", "b", "c", "d"]
    assert _in_training_range(samples.to_numpy())
    np.testing.assert_array_equal(pipe.predict(modes), LABELS)
