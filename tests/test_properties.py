"""Property-based tests of the reverse direction (inverse_transform, generate).

The models are fitted once per module (cached functions: hypothesis does not
mix with function-scoped fixtures) and only read by the tests.
"""

import functools
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.datasets import load_iris, load_wine, make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import sklearn_revnet
from sklearn_revnet import ReversibleMLPClassifier, Whitener

SETTINGS = settings(
    max_examples=30,
    deadline=None,
    database=None,  # write nothing into the work tree
    # The same examples on every run, so that CI is reproducible; explore
    # further locally with --hypothesis-seed=N.
    derandomize=True,
    # no coverage-traced "explain" phase: it takes longer than the tests
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow],
)


def _quiet_fit(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y)


@functools.cache
def _iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@functools.cache
def multiclass_clf():
    return _quiet_fit(ReversibleMLPClassifier((10,), random_state=0), *_iris())


@functools.cache
def binary_clf():
    X, y = _iris()
    return _quiet_fit(ReversibleMLPClassifier((10,), random_state=0), X, y == 1)


@functools.cache
def _multilabel():
    X, Y = make_multilabel_classification(n_samples=120, n_features=5, n_classes=3, random_state=0)
    return StandardScaler().fit_transform(X), Y


@functools.cache
def multilabel_clf():
    return _quiet_fit(ReversibleMLPClassifier((10,), random_state=0), *_multilabel())


@functools.cache
def _wine():
    return load_wine(return_X_y=True)


@functools.cache
def wine_pipe():
    """Raw wine data (13 features) -> Whitener(5 components) -> classifier."""
    clf = ReversibleMLPClassifier((16,), random_state=0)
    return _quiet_fit(make_pipeline(Whitener(n_components=5), clf), *_wine())


MODELS = {"multiclass": multiclass_clf, "binary": binary_clf, "multilabel": multilabel_clf}
TRAINING_X = {
    "multiclass": lambda: _iris()[0],
    "binary": lambda: _iris()[0],
    "multilabel": lambda: _multilabel()[0],
}


# ---------------------------------------------------------------------- helpers


def _width(clf):
    return len(clf.classes_)


def _cross_entropy(clf, targets, proba):
    """Per-row log-loss of the network's output ``proba`` against ``targets``."""
    if clf.out_activation_ == "logistic" and clf.n_outputs_ > 1:  # multilabel
        return -np.sum(targets * np.log(proba) + (1 - targets) * np.log1p(-proba), axis=1)
    return -np.sum(targets * np.log(proba), axis=1)


@st.composite
def target_rows(draw, clf, max_rows=5):
    """Valid target rows for ``clf``: probability rows summing to one, or, for a
    multilabel model, a probability per label."""
    width = _width(clf)
    n_rows = draw(st.integers(1, max_rows))
    if draw(st.booleans()):
        # a Dirichlet draw, from very peaked (small concentration) to flat
        seed = draw(st.integers(0, 2**32 - 1))
        concentration = draw(st.floats(0.05, 5.0))
        rows = np.random.RandomState(seed).dirichlet(np.full(width, concentration), n_rows)
    else:
        weights = st.floats(0.0, 1.0, allow_subnormal=False)
        row = st.lists(weights, min_size=width, max_size=width).filter(lambda r: sum(r) > 1e-3)
        rows = np.array(draw(st.lists(row, min_size=n_rows, max_size=n_rows)))
        if not (clf.out_activation_ == "logistic" and clf.n_outputs_ > 1):
            rows = rows / rows.sum(axis=1, keepdims=True)
    return rows


# ------------------------------------------------------- inverse_transform of rows


# Each probability row is an L-BFGS-B problem solved three times (weights 1,
# 100, 10000): about 50 ms on iris. 8 examples of up to 5 rows each keep the
# inverse_transform properties at a few seconds per model.
INVERSE_SETTINGS = settings(SETTINGS, max_examples=8)


@pytest.mark.parametrize("model", sorted(MODELS))
@INVERSE_SETTINGS
@given(data=st.data())
def test_inverse_transform_moves_toward_the_target(model, data):
    clf = MODELS[model]()
    targets = data.draw(target_rows(clf), label="targets")
    X = clf.inverse_transform(targets)

    assert X.shape == (len(targets), clf.n_features_in_)
    assert X.dtype == np.float64
    assert np.all(np.isfinite(X))
    assert np.all((X >= clf.input_min_) & (X <= clf.input_max_))
    # For rows of probabilities the network's term outweighs the prior: whether
    # or not the network gives these probabilities anywhere, the answer is no
    # worse a match than the centre of the training data. (Labels and label
    # sets, rows of 0 and 1, get the most probable input of that label: not
    # the most confident one.)
    mean = TRAINING_X[model]().mean(axis=0)
    at_mean = np.repeat(mean[None, :], len(targets), axis=0)
    proba, proba_mean = clf.predict_proba(X), clf.predict_proba(at_mean)
    if clf.n_outputs_ == 1:  # binary: rows are (p(neg), p(pos))
        assert targets.shape[1] == proba.shape[1] == 2
    loss = _cross_entropy(clf, targets, proba)
    loss_mean = _cross_entropy(clf, targets, proba_mean)
    l1 = np.abs(proba - targets).sum(axis=1)
    l1_mean = np.abs(proba_mean - targets).sum(axis=1)
    hard = np.all((targets == 0) | (targets == 1), axis=1)
    closer = (loss <= loss_mean) | (l1 < l1_mean) | hard
    assert np.all(closer), {
        "rows": np.flatnonzero(~closer).tolist(),
        "loss": loss.tolist(),
        "loss at mean": loss_mean.tolist(),
    }
    if not (clf.out_activation_ == "logistic" and clf.n_outputs_ > 1):
        # a label's input is predicted as that label
        np.testing.assert_array_equal(proba[hard].argmax(axis=1), targets[hard].argmax(axis=1))


@pytest.mark.parametrize("model", sorted(MODELS))
def test_inverse_transform_matches_reachable_rows(model):
    # Rows that the network gives somewhere in the box of the training data
    # are matched: the reconstruction is an input that the network assigns
    # these probabilities. Positions drawn in the box, plus two iris
    # positions whose rows [0.378, 0.622, 0] and [0, 0.506, 0.494] an earlier
    # search missed (errors 0.38, 0.03).
    clf = MODELS[model]()
    d = clf.n_features_in_
    n = 12 if model == "multilabel" else 40  # a multilabel soft row costs 0.6 s
    u = np.random.RandomState(1).uniform(0.02, 0.98, size=(n, d))
    if model == "multiclass":
        u = np.vstack([u, [[0.07, 0.25, 0.22, 0.25], [0.55, 0.58, 0.96, 0.29]]])
    targets = clf.predict_proba(clf.input_min_ + u * (clf.input_max_ - clf.input_min_))
    X = clf.inverse_transform(targets)
    assert np.all((X >= clf.input_min_) & (X <= clf.input_max_))
    error = np.abs(clf.predict_proba(X) - targets).max(axis=1)
    report = {"targets": targets[error > 1e-3].tolist(), "error": error[error > 1e-3].tolist()}
    if model == "multilabel":
        # Soft rows of a multilabel model, several labels saturated at once,
        # are harder for a search from a few starts: measured on 150 random
        # positions, 98% within 1e-3 and at most 5.7e-3.
        assert np.mean(error <= 1e-3) >= 0.9 and error.max() <= 1e-2, report
    else:
        # measured on 150 random positions: at most 2.2e-4 (multiclass), 1.6e-9 (binary)
        assert np.all(error <= 1e-3), report


# A batch of eight Dirichlet rows for the iris model: the first row of the batch
# and the same row alone ended up 1.45 apart (standardized iris units).
_IRIS_BATCH = np.random.RandomState(0).dirichlet(np.ones(3), size=8)


@pytest.mark.parametrize("model", sorted(MODELS))
@settings(SETTINGS, max_examples=5)
@given(data=st.data())
@example(data=None)
def test_inverse_transform_is_row_wise(model, data):
    # Like every transform, inverse_transform maps each row on its own: the
    # reconstruction of a target does not depend on which other targets are
    # passed in the same call.
    clf = MODELS[model]()
    if data is None:
        if model != "multiclass":
            return
        targets = _IRIS_BATCH
    else:
        targets = data.draw(target_rows(clf, max_rows=4), label="targets")
    together = clf.inverse_transform(targets)
    one_by_one = np.vstack([clf.inverse_transform(row[None, :]) for row in targets])
    np.testing.assert_allclose(together, one_by_one, rtol=1e-7, atol=1e-7)


@settings(SETTINGS, max_examples=15)
@given(labels=st.lists(st.sampled_from([0, 1, 2]), min_size=2, max_size=6))
@example(labels=[0, 1, 2, 2, 1])
def test_inverse_transform_of_labels_is_row_wise(labels):
    clf = multiclass_clf()
    together = clf.inverse_transform(labels)
    one_by_one = np.vstack([clf.inverse_transform([label]) for label in labels])
    np.testing.assert_allclose(together, one_by_one, rtol=1e-7, atol=1e-7)


# --------------------------------------------------------------------- generate


@pytest.mark.parametrize("model", sorted(MODELS))
@SETTINGS
@given(data=st.data(), n=st.integers(1, 20), seed=st.integers(0, 2**32 - 1))
def test_generate_is_finite_shaped_and_reproducible(model, data, n, seed):
    clf = MODELS[model]()
    label = data.draw(st.sampled_from(clf.classes_.tolist()), label="label")
    X = clf.generate(label, n, random_state=seed)
    assert X.shape == (n, clf.n_features_in_)
    assert X.dtype == np.float64
    assert np.all(np.isfinite(X))
    np.testing.assert_array_equal(clf.generate(label, n, random_state=seed), X)
    np.testing.assert_array_equal(sklearn_revnet.generate(clf, label, n, random_state=seed), X)


@SETTINGS
@given(label=st.sampled_from([0, 1, 2]), n=st.integers(1, 20), seed=st.integers(0, 2**32 - 1))
def test_generate_through_whitener_pipeline(label, n, seed):
    pipe = wine_pipe()
    X = sklearn_revnet.generate(pipe, label, n, random_state=seed)
    assert X.shape == (n, 13)
    assert np.all(np.isfinite(X))
    np.testing.assert_array_equal(sklearn_revnet.generate(pipe, label, n, random_state=seed), X)
    # the Whitener records the training range: the raw bounds by default
    raw, _ = _wine()
    assert np.all((X >= raw.min(axis=0)) & (X <= raw.max(axis=0)))
    # Without them, the samples are the classifier's mapped back through the
    # whitener, with the 8 dropped directions filled (which it does not see).
    unbounded = sklearn_revnet.generate(pipe, label, n, random_state=seed, bounds=None)
    inner = pipe[-1].generate(label, n, random_state=seed)
    np.testing.assert_allclose(pipe[0].transform(unbounded), inner, rtol=1e-7, atol=1e-7)
    filled = unbounded - pipe[0].inverse_transform(inner)
    np.testing.assert_allclose(filled @ pipe[0].components_.T, 0, atol=1e-9)


# ------------------------------------------------------------------ predict_proba


@pytest.mark.parametrize("model", sorted(MODELS))
@SETTINGS
@given(data=st.data())
@example(data=None)
def test_predict_proba_is_a_distribution_for_any_finite_input(model, data):
    # predict_log_proba is documented as always finite: predict_proba stays
    # inside (0, 1) for every finite input the network can evaluate, however
    # far from the data.
    clf = MODELS[model]()
    if data is None:  # finite, but far enough out that the logits overflow
        X = np.repeat([[1e308], [-1e308], [3e306]], clf.n_features_in_, axis=1)
    else:
        X = data.draw(
            hnp.arrays(
                np.float64,
                st.tuples(st.integers(1, 5), st.just(clf.n_features_in_)),
                elements=st.floats(allow_nan=False, allow_infinity=False),
            ),
            label="X",
        )
    with warnings.catch_warnings():
        # No RuntimeWarning at all, scikit-learn's input check included (it sums
        # X to look for NaN, and +-1e308 overflow that sum)
        warnings.simplefilter("error", RuntimeWarning)
        try:
            proba = clf.predict_proba(X)
            log_proba = clf.predict_log_proba(X)
        except ValueError as error:
            # Far enough out, the network's own arithmetic overflows: then, and
            # only then, a clear error instead of NaN.
            assert "overflowed" in str(error)
            assert np.max(np.abs(X)) > 1e100
            return
    assert np.all((proba > 0) & (proba < 1)), proba
    assert np.all(np.isfinite(log_proba)), log_proba
    if clf.out_activation_ == "softmax" or clf.n_outputs_ == 1:
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)


@pytest.mark.parametrize("model", sorted(MODELS))
def test_predict_proba_with_finite_logits_whose_differences_overflow(model):
    # Found by hypothesis: the logits are finite (about -1e308 and 0), but
    # subtracting the row's largest overflowed inside the softmax.
    clf = MODELS[model]()
    X = np.eye(1, clf.n_features_in_, 1) * 1.04959765e308
    with warnings.catch_warnings():
        warnings.filterwarnings("error", category=RuntimeWarning, module="sklearn_revnet")
        try:
            proba = clf.predict_proba(X)
        except ValueError as error:
            assert "overflowed" in str(error)
            return
    assert np.all((proba > 0) & (proba < 1))
    assert np.all(np.isfinite(clf.predict_log_proba(X)))
