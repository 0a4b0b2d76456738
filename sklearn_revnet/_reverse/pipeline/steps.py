"""Which pipeline steps generated inputs can be mapped back through, and how.

The classifier samples its own input space ``z``; every earlier step must
bring ``z`` back to a raw row ``x`` that it maps to ``z`` again, so that the
network sees the raw row as the sample. Two checks, before any sampling:

- **Statically**, on the pipeline as given (fitted or not): every step needs
  an ``inverse_transform``, except a :class:`~sklearn.compose.ColumnTransformer`,
  which is reversed block by block when its own transformers can be.
- **Numerically**, on the fitted steps: from the classifier's typical inputs
  (the means of its prior) back towards the raw space, each step's
  ``transform(inverse_transform(z))`` must give ``z`` again. This is checked
  in the step's output space, so steps that drop directions (``PCA`` with
  fewer components, feature selection) pass, while an imputer's failing
  inverse, an encoder's categories, a discretizer's bins or a
  ``FunctionTransformer`` without ``inverse_func`` do not.
"""

import numpy as np
from scipy import sparse
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline

from sklearn_revnet._core.output import as_frame

# Largest round-trip error, relative to the largest probe entry, or absolute below 1: a
# prior with one component may have its mean at the origin of a centred space.
_TOLERANCE = 1e-4

_SUPPORTED = (
    "Steps that can be reversed: StandardScaler, MinMaxScaler, MaxAbsScaler, RobustScaler, "
    "PowerTransformer, PCA, Whitener, feature selection, FunctionTransformer with "
    "inverse_func, and ColumnTransformers of these; OneHotEncoder and OrdinalEncoder as the "
    "first step or as blocks of a first ColumnTransformer; apply any other step to the data "
    "before the pipeline."
)

_IMPUTE = (
    "Generated rows have no missing values: fit the imputer outside the pipeline and "
    "pass imputed data."
)
_ENCODE = (
    "Categories are reversed where the raw columns are encoded: make the encoder the "
    "first step, or a block of a first ColumnTransformer."
)
_EXPAND = (
    "Generated features need not agree with one another (x and x**2): compute them before "
    "the pipeline, or let the network see the raw features."
)
_ADVICE = {
    "SimpleImputer": _IMPUTE,
    "IterativeImputer": _IMPUTE,
    "KNNImputer": _IMPUTE,
    "MissingIndicator": _IMPUTE,
    "OneHotEncoder": _ENCODE,
    "OrdinalEncoder": _ENCODE,
    "TargetEncoder": _ENCODE,
    "KBinsDiscretizer": (
        "Generated values fall between its bins: scale the features instead "
        "(StandardScaler, MinMaxScaler), or discretize before the pipeline."
    ),
    "PolynomialFeatures": _EXPAND,
    "SplineTransformer": _EXPAND,
    "FunctionTransformer": "Pass inverse_func, the inverse of func.",
    "QuantileTransformer": (
        "Where the training data repeat a value, a range of outputs comes back to that "
        "value: use PowerTransformer or a scaler instead."
    ),
    "FeatureUnion": (
        "Generated samples need not agree between its parts: use one transformer, or a "
        "ColumnTransformer that gives each column to one transformer."
    ),
    "Normalizer": "It loses each row's norm: normalize the data before the pipeline.",
}


def check_step(name, step):
    """Raise a TypeError for a step with no way back, fitted or not.

    Parameters
    ----------
    name : str
        The step's name in its pipeline.
    step : transformer
        A step before the classifier.
    """
    _check_static(_label(name, step), step)


def check_round_trip(steps, Z):
    """Raise a TypeError for a fitted step whose ``inverse_transform`` does not invert.

    Parameters
    ----------
    steps : list of (name, transformer)
        Fitted steps before the classifier, in pipeline order.
    Z : ndarray of shape (n_rows, n_inputs)
        Typical inputs of the classifier, run back through the steps.
    """
    for name, step in reversed(steps):
        Z = _back(step, np.asarray(Z, dtype=np.float64), _label(name, step))


def inverse(step, Z):
    """``step.inverse_transform(Z)`` as floats, also for a ColumnTransformer.

    Parameters
    ----------
    step : transformer, Pipeline, ColumnTransformer or "passthrough"
        A fitted step.
    Z : ndarray of shape (n_rows, n_outputs)
        Outputs of ``step``.

    Returns
    -------
    X : ndarray of shape (n_rows, n_inputs)
        Inputs of ``step``.
    """
    return _back(step, Z)


def _check_static(label, step):
    if step is None or isinstance(step, str):
        return
    if isinstance(step, Pipeline):
        for name, sub in step.steps:
            _check_static(f"{label}, step {_label(name, sub)}", sub)
    elif isinstance(step, ColumnTransformer):
        remainder = [("remainder", step.remainder, None)]
        for name, sub, _ in step.transformers + remainder:
            _check_static(f"{label}, transformer {_label(name, sub)}", sub)
    elif not hasattr(step, "inverse_transform"):
        raise TypeError(_message(label, step, "has no inverse_transform"))


def _back(step, Z, label=None):
    """Inputs of ``step`` for its outputs ``Z``, through pipelines and column
    blocks; with a ``label`` (the step's name for messages), each transformer
    is also checked to map its inputs back to ``Z``."""

    def sub_label(kind, name, sub):
        return None if label is None else f"{label}, {kind} {_label(name, sub)}"

    if step is None or isinstance(step, str):
        return Z
    if isinstance(step, Pipeline):
        for name, sub in reversed(step.steps):
            Z = _back(sub, Z, sub_label("step", name, sub))
        return Z
    if isinstance(step, ColumnTransformer):
        if label is not None:
            _check_columns(label, step)
        parts = [
            (
                columns,
                _back(sub, Z[:, step.output_indices_[name]], sub_label("transformer", name, sub)),
            )
            for name, sub, columns in _blocks(step)
        ]
        # an encoder's categories may be strings: then the rows are objects
        mixed = any(part.dtype == object for _, part in parts)
        X = np.empty((len(Z), step.n_features_in_), dtype=object if mixed else np.float64)
        for columns, part in parts:
            X[:, columns] = part
        return X
    if label is None:
        return _dense(step.inverse_transform(Z))
    method = "inverse_transform"
    try:
        X = step.inverse_transform(Z)
        method = "transform"
        back = _dense(step.transform(as_frame(X, step)))
    except NotFittedError:
        raise
    except (ValueError, TypeError) as error:  # the cause is chained
        why = f"cannot be reversed: its {method} raised {type(error).__name__}"
        raise TypeError(_message(label, step, why)) from error
    if back.shape != Z.shape:
        why = f"does not invert: transform(inverse_transform(z)) has shape {back.shape}"
        raise TypeError(_message(label, step, f"{why}, not {Z.shape}"))
    gap = np.abs(back - Z).max()
    if not gap <= _TOLERANCE * max(np.abs(Z).max(), 1.0):
        why = f"does not invert: transform(inverse_transform(z)) differs from z by {gap:.3g}"
        raise TypeError(_message(label, step, f"{why} on the classifier's typical inputs"))
    return _dense(X)


def _check_columns(label, step):
    """Each input column of a fitted ColumnTransformer must go to exactly one transformer."""
    uses = np.zeros(step.n_features_in_, dtype=int)
    for _, _, columns in _blocks(step):
        np.add.at(uses, columns, 1)
    if (uses > 1).any():
        shared = np.flatnonzero(uses > 1).tolist()
        why = f"gives input columns {shared} to more than one transformer"
        advice = "Give each column to one transformer."
    elif (uses == 0).any():
        why = f"drops input columns {np.flatnonzero(uses == 0).tolist()}"
        advice = "Pass remainder='passthrough', or select the columns before the pipeline."
    else:
        return
    raise TypeError(_message(label, step, why, advice))


def _blocks(step):
    """``(name, transformer, input columns)`` of a fitted ColumnTransformer, drops left out.

    Fitted, a ColumnTransformer holds "passthrough" blocks as
    FunctionTransformers; "drop" is its only string.
    """
    indices = step._transformer_to_input_indices  # its columns, resolved to positions
    return [
        (name, sub, indices[name])
        for name, sub, _ in step.transformers_
        if not isinstance(sub, str) and len(indices[name])
    ]


def _label(name, step):
    kind = step if isinstance(step, str) or step is None else type(step).__name__
    return f"{name!r} ({kind})"


def _message(label, step, why, advice=None):
    if advice is None:
        advice = _ADVICE.get(type(step).__name__)
    return " ".join(
        part
        for part in (
            f"Pipeline step {label} {why}, so generated samples cannot be mapped back "
            "through it to the input space.",
            advice,
            _SUPPORTED,
        )
        if part
    )


def _dense(X):
    """``X`` as a dense float64 array, or an object array where it holds categories."""
    X = X.toarray() if sparse.issparse(X) else np.asarray(X)
    return X.astype(object) if X.dtype.kind in "OUS" else X.astype(np.float64, copy=False)
