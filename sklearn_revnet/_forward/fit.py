"""One fit skeleton for every place the data live.

``fit`` validates and encodes the data, draws the starting weights, records
the training range and fits the input prior (the same rows and random numbers
wherever the data are), then runs L-BFGS on the backend's objective. A backend
is a small class that knows its data: :class:`InMemory` (numpy arrays and
sparse matrices), :class:`~sklearn_revnet._forward.dask.OnCluster` (dask
arrays) and :class:`~sklearn_revnet._forward.array_api.InNamespace` (arrays
of another array API namespace, on their device).
"""

import numpy as np
from sklearn.utils.validation import validate_data

from sklearn_revnet._core.checks import FLOAT_DTYPES, finite_check
from sklearn_revnet._core.namespace import dispatched_namespace
from sklearn_revnet._core.prior import prior_rows, prior_seed
from sklearn_revnet._core.threads import blas_threads
from sklearn_revnet._forward.array_api import InNamespace
from sklearn_revnet._forward.dask import OnCluster, is_dask_collection
from sklearn_revnet._forward.lbfgs import fit_weights
from sklearn_revnet._forward.objective import TrainingObjective
from sklearn_revnet._forward.start import encode_targets, hidden_units, network_start


def fit(estimator, X, y, sample_weight):
    """Fit ``estimator``'s weights, training range and input prior; return it."""
    hidden = hidden_units(estimator.hidden_layer_sizes)
    warm = estimator.warm_start and hasattr(estimator, "coefs_")
    data = _backend(X)(estimator, X, y, sample_weight, warm)
    layer_units, coefs, intercepts, rng = network_start(
        estimator, hidden, data.n_outputs, data.dtype, warm
    )
    estimator.input_min_, estimator.input_max_ = data.input_range()
    # The prior is fitted at its first use (predictions never need it): here
    # only its rows (a copy, on the host) and its seed are drawn.
    rows = data.prior_rows(rng)
    rows = rows.toarray() if hasattr(rows, "toarray") else np.array(rows, dtype=np.float64)
    estimator._prior_state = (rows, prior_seed(rng), estimator.prior)
    estimator.__dict__.pop("_prior", None)
    coefs, intercepts, estimator.n_iter_, estimator.loss_ = fit_weights(
        estimator,
        data.objective(estimator, layer_units),
        coefs,
        intercepts,
        (data.X, data.y, data.sample_weight),
    )
    estimator.coefs_, estimator.intercepts_ = data.weights(coefs, intercepts)
    return estimator


def _backend(X):
    """The backend class for where ``X`` lives."""
    if is_dask_collection(X):  # the rows stay on the cluster
        return OnCluster
    if dispatched_namespace(X) is not None:  # computed in X's namespace
        return InNamespace
    return InMemory


class InMemory:
    """Numpy arrays or sparse matrices: validated, encoded, fitted in this process.

    Every backend has this interface: ``X``, ``y``, ``sample_weight`` (as
    the fit's callbacks see them), ``dtype`` and ``n_outputs``;
    ``input_range()``, ``prior_rows(rng)``, ``objective(estimator,
    layer_units)`` and ``weights(coefs, intercepts)`` (the fitted weights as
    the estimator keeps them).
    """

    def __init__(self, estimator, X, y, sample_weight, warm):
        with finite_check():
            X, y = validate_data(
                estimator,
                X,
                y,
                accept_sparse=["csr", "csc"],
                multi_output=True,
                dtype=FLOAT_DTYPES,
                reset=not warm,
            )
        self.Y, self.y, self.sample_weight = encode_targets(estimator, X, y, sample_weight, warm)
        self.X, self.dtype, self.n_outputs = X, X.dtype, self.Y.shape[1]

    def input_range(self):
        """Per-feature minimum and maximum over the rows of positive weight."""
        X, w = self.X, self.sample_weight
        rows = X if w is None else X[w > 0]
        low, high = rows.min(axis=0), rows.max(axis=0)
        low = np.ravel(low.toarray() if hasattr(low, "toarray") else low)
        return low, np.ravel(high.toarray() if hasattr(high, "toarray") else high)

    def prior_rows(self, rng):
        """The rows the prior is fitted on (see :func:`~sklearn_revnet._core.prior.prior_rows`)."""
        index = prior_rows(self.X.shape[0], self.sample_weight, rng)
        return self.X if index is None else self.X[index]

    def objective(self, estimator, layer_units):
        return TrainingObjective(
            self.X,
            self.Y,
            self.sample_weight,
            layer_units,
            estimator.activation,
            estimator.out_activation_,
            estimator.alpha,
            n_workers=blas_threads(),
        )

    def weights(self, coefs, intercepts):
        return coefs, intercepts
