"""counterfactual() on classifiers set by hand: linear logits, a prior of chosen shape.

Without a fit, each test knows which answer is right: here, a bound the
answer lies on.
"""

import numpy as np
import pytest
from _linear import linear_classifier, mixture
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import sklearn_revnet

# ----------------------------------------------------- bounds through a scaler


def _scaled(offset, side, input_bounds="auto"):
    """Raw rows in [-3, -1] + offset, a StandardScaler, and logits side * 10 z_0
    + z_1 + b of its output z: feature 0 is the cheap one, and even at its
    bound it needs a little of feature 1; a row that needs them both."""
    X = np.random.RandomState(0).uniform(-3, -1, size=(50, 2)) + offset
    scaler = StandardScaler().fit(X)
    Z = scaler.transform(X)
    far = Z[:, 0].max() if side > 0 else -Z[:, 0].min()
    prior = mixture([1.0], np.zeros((1, 2)), np.ones((1, 2)))
    b = -10 * far - Z[:, 1].min() - 1
    clf = linear_classifier([[10 * side], [1.0]], [b], prior, input_bounds=input_bounds)
    clf.input_min_, clf.input_max_ = Z.min(axis=0), Z.max(axis=0)
    start = X[:, 0].min() if side > 0 else X[:, 0].max()
    return X, make_pipeline(scaler, clf), np.array([[start, X[:, 1].min()]])


@pytest.mark.parametrize("offset", [0.0, 4.0], ids=["negative", "positive"])
@pytest.mark.parametrize("side", [1.0, -1.0], ids=["upper", "lower"])
def test_an_answer_on_a_mapped_bound_is_in_the_training_range(offset, side):
    # The raw bounds are the classifier's, mapped back through the scaler:
    # the answer lies on one, and inside the training range exactly, whatever
    # the signs of the bounds.
    X, pipe, row = _scaled(offset, side)
    X_cf = sklearn_revnet.counterfactual(pipe, row, target=1, plausibility=0.0)
    np.testing.assert_array_equal(pipe.predict(X_cf), [1])
    assert np.all((X_cf >= X.min(axis=0)) & (X_cf <= X.max(axis=0)))
    bound = X[:, 0].max() if side > 0 else X[:, 0].min()
    assert abs(X_cf[0, 0] - bound) <= 1e-12 * abs(bound)  # on it (measured: 2 ulps off)


def test_a_classifier_without_bounds_leaves_the_raw_features_unbounded():
    # input_bounds=None: the cheap feature goes as far as it needs, past the
    # training range, and the other stays as it was
    X, pipe, row = _scaled(0.0, 1.0, input_bounds=None)
    X_cf = sklearn_revnet.counterfactual(pipe, row, target=1, plausibility=0.0)
    np.testing.assert_array_equal(pipe.predict(X_cf), [1])
    assert X_cf[0, 0] > X[:, 0].max()
    assert X_cf[0, 1] == row[0, 1]
