"""Small fits shared by the tests of where the data live (dask, array API)."""

import warnings

from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning

from sklearn_revnet import ReversibleMLPClassifier


def fit_quietly(X, y, sample_weight=None, **params):
    """A small network, its L-BFGS run cut short without a ConvergenceWarning."""
    params = {"hidden_layer_sizes": (16,), "max_iter": 15, "random_state": 0, **params}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return ReversibleMLPClassifier(**params).fit(X, y, sample_weight=sample_weight)


def digits(n):
    """The first ``n`` digits, pixels scaled to [0, 1]."""
    X, y = load_digits(return_X_y=True)
    return X[:n] / 16, y[:n]
