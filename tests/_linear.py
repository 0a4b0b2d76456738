"""Classifiers set by hand: linear logits in front of a Gaussian mixture prior of chosen shape.

No fit: the tests of the reverse direction can then say exactly which input
is cheapest, most probable or on a bound.
"""

import numpy as np
from sklearn.mixture import GaussianMixture
from sklearn.preprocessing import LabelBinarizer

from sklearn_revnet import ReversibleMLPClassifier


def mixture(weights, means, variances):
    """A Gaussian mixture with diagonal covariances, set from its parameters."""
    variances = np.asarray(variances, dtype=float)
    gmm = GaussianMixture(len(weights), covariance_type="diag")
    gmm.weights_ = np.asarray(weights, dtype=float) / np.sum(weights)
    gmm.means_ = np.asarray(means, dtype=float)
    gmm.covariances_ = variances
    gmm.precisions_cholesky_ = 1 / np.sqrt(variances)
    gmm.precisions_ = 1 / variances
    return gmm


def linear_classifier(W, b, prior, **params):
    """A classifier whose logits are ``x @ W + b``: one column is binary, more softmax.

    The network is an identity hidden layer of one unit per feature, then
    ``W``; the classes are ``0, 1, ...``; ``params`` go to the constructor
    (``input_bounds`` is None unless given).
    """
    W = np.asarray(W, dtype=float)
    d, k = W.shape
    params = {"input_bounds": None, **params}
    clf = ReversibleMLPClassifier((d,), "identity", **params)
    clf.coefs_ = [np.eye(d), W]
    clf.intercepts_ = [np.zeros(d), np.asarray(b, dtype=float)]
    clf.classes_ = np.arange(max(k, 2))
    clf.out_activation_ = "logistic" if k == 1 else "softmax"
    clf.n_outputs_ = k
    clf.n_layers_ = 3
    clf.n_features_in_ = d
    clf.prior_ = prior
    clf._label_binarizer = LabelBinarizer().fit(clf.classes_)
    return clf
