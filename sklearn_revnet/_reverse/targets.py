"""What a reverse call is asked for and how it answers: target rows, boxes, the posterior."""

from numbers import Integral

import numpy as np
from scipy.sparse import issparse
from sklearn.utils._param_validation import Interval, InvalidParameterError

from sklearn_revnet._core.namespace import like, on_host, to_numpy
from sklearn_revnet._core.output import as_frame
from sklearn_revnet._reverse.posterior import Box, Posterior, check_bounds


def posterior_of(clf, targets):
    """The posterior of the fitted ``clf`` for ``targets``, computed where its weights live."""
    network = (clf.coefs_, clf.intercepts_, clf.activation, clf.out_activation_)
    return Posterior(network, clf.prior_, targets)


def check_parameters(clf):
    """Check the estimator's parameters against the constraints ``fit`` checks them by.

    The reverse family reads ``input_bounds``, ``inverse_max_iter``,
    ``inverse_tol`` and ``mcmc_steps`` when it is called, so a value set after
    ``fit`` is checked then. The message says that the parameter is the
    estimator's (scikit-learn's validation of the public functions would
    otherwise name the function).
    """
    try:
        clf._validate_params()
    except InvalidParameterError as error:
        message = str(error).replace(" must be ", " (read by this call) must be ", 1)
        raise InvalidParameterError(message) from None


def classifier_box(clf):
    """The bounds of the classifier's inputs, from ``input_bounds``."""
    n_features = clf.n_features_in_
    bounds = clf.input_bounds
    if isinstance(bounds, str):  # "auto"
        return Box(to_numpy(clf.input_min_), to_numpy(clf.input_max_), n_features)
    if bounds is None:
        return Box(-np.inf, np.inf, n_features)
    return Box(*check_bounds(bounds, n_features), n_features)


def explicit_box(clf, bounds):
    """The box of a function's ``bounds`` for a classifier used without a pipeline.

    None for ``"auto"`` (the classifier's own ``input_bounds`` apply);
    unbounded for None; else the pair, one entry or one per feature.
    """
    n_features = clf.n_features_in_
    if isinstance(bounds, str):
        return None
    if bounds is None:
        return Box(-np.inf, np.inf, n_features)
    return Box(*check_bounds(bounds, n_features, "bounds"), n_features)


def generate_target(clf, label):
    """The target row of ``generate``: a label, or a label set (multilabel)."""
    multilabel = clf.out_activation_ == "logistic" and clf.n_outputs_ > 1
    if multilabel and np.ndim(label) == 1:
        row = np.asarray(label)
        if row.shape != (clf.n_outputs_,) or not np.all((row == 0) | (row == 1)):
            raise ValueError(
                f"A label set must be a 0/1 indicator row of {clf.n_outputs_} entries; "
                f"got {row.tolist()!r}."
            )
        return row.astype(float)[None]
    if np.ndim(label) != 0:
        raise TypeError(
            f"label must be a single label from classes_; got {type(label).__name__} "
            "(use inverse_transform for several targets)."
        )
    return target_rows(clf, [label])


def target_rows(clf, y):
    """Output-space target rows for labels, probability rows or label sets."""
    if issparse(y):
        y = y.toarray()  # target rows are few and short
    try:
        y = np.asarray(y, dtype=object if _is_label_list(y) else None)
    except ValueError:  # rows of different lengths
        raise ValueError("Target rows must all have one entry per class.") from None
    if y.ndim == 1:
        index = {label: i for i, label in enumerate(clf.classes_.tolist())}
        labels = [_scalar(label) for label in y.tolist()]
        unknown = [label for label in labels if label not in index]
        if unknown:
            raise ValueError(
                f"Unknown label {unknown[0]!r}; the model knows the labels "
                f"{clf.classes_.tolist()}."
            )
        rows = np.array([index[label] for label in labels], dtype=int)
        if clf.out_activation_ == "softmax":
            return np.eye(len(clf.classes_))[rows]
        if clf.n_outputs_ == 1:
            return (rows == 1).astype(float)[:, None]
        return np.eye(clf.n_outputs_)[rows]
    if y.ndim != 2:
        raise ValueError(
            f"y must be 1-D labels or 2-D target rows; got an array of shape {y.shape}."
        )
    width = len(clf.classes_)
    if y.shape[1] != width:
        raise ValueError(
            f"Target rows must have one column per class ({width}); got {y.shape[1]}."
        )
    try:
        targets = y.astype(float)
    except (TypeError, ValueError):
        raise ValueError("Target rows must be numeric.") from None
    if not np.all((targets >= 0) & (targets <= 1)):  # NaN fails both
        raise ValueError("Target rows must hold probabilities in [0, 1].")
    if clf.out_activation_ == "logistic" and clf.n_outputs_ > 1:
        return targets  # multilabel: one probability per label
    sums = targets.sum(axis=1)
    if not np.allclose(sums, 1, rtol=0, atol=1e-6):
        bad = int(np.argmax(np.abs(sums - 1)))
        raise ValueError(
            f"Target probability rows must sum to 1; row {bad} sums to {sums[bad]:.6g}."
        )
    if len(clf.classes_) == 1:  # the only class is encoded as 0
        return np.zeros((len(targets), 1))
    return targets[:, 1:] if clf.n_outputs_ == 1 else targets


def _is_label_list(y):
    """True for a flat list of labels that numpy should not coerce (mixed types)."""
    return isinstance(y, list | tuple) and all(np.ndim(v) == 0 for v in y)


def _scalar(label):
    """A label given as a 0-d array, as the scalar it holds."""
    return label.item() if isinstance(label, np.ndarray) else label


class Count(Interval):
    """A positive integer: scikit-learn's ``Interval(Integral, 1, None)``, but no bool."""

    def __init__(self):
        super().__init__(Integral, 1, None, closed="left")

    def is_satisfied_by(self, val):
        return not isinstance(val, bool | np.bool_) and super().is_satisfied_by(val)

    def __str__(self):
        return "a positive integer (not a bool)"


def check_n_samples(n, caller="ReversibleMLPClassifier.generate"):
    """``n`` as an int, or the error scikit-learn's validation gives for ``Count()``."""
    if not Count().is_satisfied_by(n):
        raise InvalidParameterError(
            f"The 'n' parameter of {caller} must be {Count()}. Got {n!r} instead."
        )
    return int(n)


def answered(clf, compute):
    """``compute()``'s rows as the answers of ``clf``.

    Computed on the host (scikit-learn's array API dispatch off), then a
    DataFrame with the columns ``feature_names_in_`` for a classifier fitted
    on one, in the fit's array namespace and on its device.
    """
    with on_host():
        X = compute()
    return like(as_frame(X, clf), clf.coefs_[0])
