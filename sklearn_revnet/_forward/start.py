"""What a fit starts from: the encoded targets, the layer sizes and the first weights."""

from numbers import Integral

import numpy as np
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state, column_or_1d
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight

from sklearn_revnet._core.initializers import initialize
from sklearn_revnet._core.namespace import to_numpy


def network_start(estimator, hidden, n_outputs, dtype, warm):
    """The output layer's attributes; ``(layer_units, coefs, intercepts, rng)``."""
    estimator.n_outputs_ = n_outputs
    layer_units = [estimator.n_features_in_, *hidden, n_outputs]
    estimator.n_layers_ = len(layer_units)
    multiclass = estimator._label_binarizer.y_type_ == "multiclass"
    estimator.out_activation_ = "softmax" if multiclass else "logistic"
    rng = check_random_state(estimator.random_state)
    # the weights first, so that they are drawn exactly as scikit-learn draws them
    coefs, intercepts = initial_weights(estimator, layer_units, rng, dtype, warm)
    return layer_units, coefs, intercepts, rng


def encode_targets(estimator, X, y, sample_weight, warm):
    """Check ``y`` and ``sample_weight``; ``(Y, y, sample_weight)`` for training.

    Sets ``classes_`` (kept from the previous fit on a warm start, which must
    see the same classes).
    """
    if y.ndim == 2 and y.shape[1] == 1:
        y = column_or_1d(y, warn=True)
    check_classification_targets(y)
    if warm:
        classes = LabelBinarizer().fit(y).classes_
        if not np.array_equal(classes, estimator.classes_):
            raise ValueError(
                "warm_start needs y to have the classes of the previous fit "
                f"{estimator.classes_.tolist()}; got {classes.tolist()}."
            )
    else:
        estimator._label_binarizer = LabelBinarizer().fit(y)
        estimator.classes_ = estimator._label_binarizer.classes_
    Y = estimator._label_binarizer.transform(y)
    if sample_weight is not None:
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=X.dtype, ensure_non_negative=True
        )
        if not sample_weight.sum() > 0:
            raise ValueError("sample_weight must have at least one positive entry.")
    return Y, y, sample_weight


def initial_weights(estimator, layer_units, rng, dtype, warm):
    """The weights L-BFGS starts from: drawn by ``init``, or the last fit's."""
    if not warm:
        estimator.loss_curve_ = []
        return initialize(estimator.init, layer_units, rng, estimator.activation, dtype)
    coefs = [to_numpy(W) for W in estimator.coefs_]  # L-BFGS runs on the host
    intercepts = [to_numpy(b) for b in estimator.intercepts_]
    fitted_units = [coefs[0].shape[0]] + [b.size for b in intercepts]
    if fitted_units != layer_units:
        raise ValueError(
            f"warm_start needs the layer sizes of the previous fit {fitted_units}; "
            f"got {layer_units}. Set warm_start=False to start afresh."
        )
    return coefs, intercepts


def hidden_units(hidden_layer_sizes):
    sizes = hidden_layer_sizes
    if isinstance(sizes, Integral):
        sizes = [sizes]
    sizes = list(np.ravel(np.asarray(sizes, dtype=object)))
    if not all(isinstance(s, Integral) and not isinstance(s, bool) and s > 0 for s in sizes):
        raise ValueError(
            f"hidden_layer_sizes must hold positive integers; got {hidden_layer_sizes!r}."
        )
    return [int(s) for s in sizes]
