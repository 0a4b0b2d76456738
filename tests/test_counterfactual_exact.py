"""counterfactual() on classifiers set by hand: linear logits, a prior of chosen shape.

Without a fit, each test knows which answer is right: the cheapest feature
in MAD units, the nearest label, a bound the answer lies on, a probability
exactly at ``min_proba``.
"""

import warnings

import numpy as np
import pytest
from _linear import linear_classifier, mixture
from sklearn.decomposition import PCA
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

import sklearn_revnet
from sklearn_revnet._reverse.counterfactual.api import _mapped_box
from sklearn_revnet._reverse.counterfactual.problem import CounterfactualSpace, mad
from sklearn_revnet._reverse.counterfactual.solver import _prune, solve
from sklearn_revnet._reverse.pipeline.fold import affine_map
from sklearn_revnet._reverse.posterior import Box

# Under this prior feature 0 is heavy-tailed (a narrow and a wide component:
# median absolute deviation 0.42, standard deviation 1.84) and feature 1
# Gaussian (0.67 and 1): a change of feature 1 costs less in MAD units, one
# of feature 0 in raw units or standard deviations.
HEAVY_TAILED = mixture([0.8, 0.2], np.zeros((2, 2)), [[0.25, 1.0], [16.0, 1.0]])


def _prior_mad(n=200_000):
    """The MAD of each feature of HEAVY_TAILED, from draws of its own."""
    rng = np.random.RandomState(0)
    wide = rng.uniform(size=n) < 0.2
    X = rng.normal(size=(n, 2)) * np.c_[np.where(wide, 4.0, 0.5), np.ones(n)]
    return np.median(np.abs(X - np.median(X, axis=0)), axis=0)


def _bare_space(clf):
    """The counterfactual space of a bare classifier without bounds (scales, threshold)."""
    unbounded = np.full(clf.n_features_in_, np.inf)
    return CounterfactualSpace(clf, None, None, None, -unbounded, unbounded)


@pytest.mark.parametrize("side", [1.0, -1.0])
def test_the_feature_of_larger_mad_is_the_one_changed(side):
    # logits x_0 + x_1: either feature moves them alike, and the one of
    # larger MAD costs less, so it alone changes. Toward class 1 (side 1),
    # and the mirror toward class 0 (side -1).
    clf = linear_classifier([[1.0], [1.0]], [0.0], HEAVY_TAILED)
    base = np.array([[-1.0, -1.0], [-0.5, -2.0], [0.5, -1.0]])
    rows, target = side * base, int(side > 0)
    X_cf = sklearn_revnet.counterfactual(clf, rows, target=target, plausibility=0.0)
    np.testing.assert_array_equal(clf.predict(X_cf), target)
    np.testing.assert_array_equal(X_cf[:, 0], rows[:, 0])
    # by as much as the objective says: its minimum over x_1 with the logits
    # (times side) short of the goal log(0.5 / 0.5) + 0.2, at the first
    # weight 10, is where 2 * 10 * (0.2 - x_0 - x_1) = 1 / s_1, s_1 the scale
    # it uses
    s_1 = _bare_space(clf).scale[1]
    expected = side * (0.2 - base[:, 0] - 1 / (20 * s_1))
    np.testing.assert_allclose(X_cf[:, 1], expected, rtol=0, atol=2e-5)  # measured: 2.8e-6


def test_the_mad_is_measured_in_raw_units_through_a_rotation():
    # x = z R + m, R a rotation by about 45 degrees: both raw features mix
    # z_0 and z_1 alike, so their MADs are equal and the feature of the
    # larger raw weight (x_0, logits 1.2 x_0 + x_1) is the cheaper; in the
    # network's units, z_1 has the larger MAD and x_1 would be
    rng = np.random.RandomState(0)
    data = rng.normal(size=(1000, 2)) * [3.0, 1.0] @ (np.array([[1, 1], [-1, 1]]) / np.sqrt(2))
    pca = PCA(2).fit(data - data.mean(axis=0))
    clf = linear_classifier((pca.components_ @ [1.2, 1.0])[:, None], [0.0], HEAVY_TAILED)
    rows = np.array([[-1.0, -1.0], [-0.5, -2.0], [0.5, -1.5]])
    pipe = make_pipeline(pca, clf)
    X_cf = sklearn_revnet.counterfactual(pipe, rows, target=1, plausibility=0.0, bounds=(-50, 50))
    np.testing.assert_array_equal(pipe.predict(X_cf), 1)
    np.testing.assert_array_equal(X_cf[:, 1], rows[:, 1])


def test_the_mad_counts_the_spread_a_pca_drops():
    # PCA(1) of 2-D data: the raw rows behind a component value spread along
    # the dropped direction with the PCA's noise variance, and the raw MADs
    # include that spread. Feature 0 alone changes, and the logit stops
    # 1 / (20 c_0 s_0) short of the goal 0.2, s_0 its raw MAD.
    rng = np.random.RandomState(0)
    angle = np.deg2rad(40)
    rotation = np.array([[np.cos(angle), np.sin(angle)], [-np.sin(angle), np.cos(angle)]])
    pca = PCA(1).fit(rng.normal(size=(5000, 2)) * [2.0, 1.0] @ rotation)
    c, variance = pca.components_[0], pca.explained_variance_[0]
    clf = linear_classifier([[1.0]], [0.0], mixture([1.0], np.zeros((1, 1)), [[variance]]))
    pipe = make_pipeline(pca, clf)
    rows = pca.inverse_transform(np.array([[-1.0], [-2.0], [-0.5]]))
    X_cf = sklearn_revnet.counterfactual(pipe, rows, target=1, plausibility=0.0, bounds=(-50, 50))
    np.testing.assert_array_equal(X_cf[:, 1], rows[:, 1])
    n = 400_000
    spread = np.sqrt(variance) * rng.normal(size=n)
    noise = np.sqrt(pca.noise_variance_) * rng.normal(size=n)
    x_0 = c[0] * spread - c[1] * noise  # the dropped direction is (-c_1, c_0)
    s_0 = np.median(np.abs(x_0 - np.median(x_0)))
    # measured: 0.14199 against 0.14148 (the answer's scale is from 2000
    # draws); without the dropped spread, 0.13673
    expected = 0.2 - 1 / (20 * c[0] * s_0)
    np.testing.assert_allclose(pca.transform(X_cf)[:, 0], expected, rtol=0, atol=0.002)


@pytest.mark.parametrize("side", [-1.0, 1.0])
def test_the_mad_is_measured_within_the_box(side):
    # A box that cuts feature 1 at 0.3 from the mean piles 38% of its values
    # there: its MAD falls from 0.67 to 0.3, under feature 0's 0.42, so
    # feature 0 is the one changed. Without the box, feature 1 is.
    clf = linear_classifier([[side], [side]], [0.0], HEAVY_TAILED)
    rows = side * np.array([[-1.0, -0.2], [-0.5, -0.1]])
    cut = np.array([np.inf, 0.3])
    box = (-cut, np.full(2, np.inf)) if side > 0 else (np.full(2, -np.inf), cut)
    boxed = sklearn_revnet.counterfactual(clf, rows, target=1, plausibility=0.0, bounds=box)
    free = sklearn_revnet.counterfactual(clf, rows, target=1, plausibility=0.0)
    np.testing.assert_array_equal(clf.predict(boxed), 1)
    np.testing.assert_array_equal(boxed[:, 1], rows[:, 1])
    np.testing.assert_array_equal(free[:, 0], rows[:, 0])


def test_other_picks_the_label_nearest_in_mad_units():
    # From the origin, label 1 needs x_0 >= 0.5 and label 2 needs x_1 >= 0.63:
    # label 1 is nearer in raw units and in standard deviations, label 2 in
    # MAD units (0.96 against 1.24).
    clf = linear_classifier([[0, 20.0, 0], [0, 0, 20.0]], [0, -10.0, -12.6], HEAVY_TAILED)
    origin = np.zeros((1, 2))
    answers = [
        sklearn_revnet.counterfactual(clf, origin, target=t, plausibility=0.0) for t in (1, 2)
    ]
    cost = [np.sum(np.abs(answer - origin) / _prior_mad()) for answer in answers]
    assert cost[1] < 0.85 * cost[0]  # measured: 0.96 and 1.24
    X_cf = sklearn_revnet.counterfactual(clf, origin, plausibility=0.0)
    np.testing.assert_array_equal(X_cf, answers[1])
    np.testing.assert_array_equal(clf.predict(X_cf), [2])


def test_other_passes_over_labels_that_the_fixed_features_put_out_of_reach():
    # each label is moved by one feature: fix it, and "other" takes the
    # other label, with no warning
    clf = linear_classifier([[0, 20.0, 0], [0, 0, 20.0]], [0, -10.0, -12.6], HEAVY_TAILED)
    origin = np.zeros((1, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for fixed, label in (([1], 1), ([0], 2)):
            X_cf = sklearn_revnet.counterfactual(clf, origin, plausibility=0.0, fixed=fixed)
            np.testing.assert_array_equal(clf.predict(X_cf), [label])
            np.testing.assert_array_equal(X_cf[:, fixed], origin[:, fixed])


def test_a_float32_model_answers_in_float32():
    clf = linear_classifier([[1.0], [1.0]], [0.0], HEAVY_TAILED)
    clf.coefs_ = [W.astype(np.float32) for W in clf.coefs_]
    clf.intercepts_ = [b.astype(np.float32) for b in clf.intercepts_]
    X_cf = sklearn_revnet.counterfactual(clf, np.array([[-1.0, -1.0]]), target=1)
    assert X_cf.dtype == np.float32 and clf.predict(X_cf) == [1]


def _bounded_clf():
    # logits x_0 / 4 + 8 x_1 with x_1 >= 0.25: x_1 is the cheap feature, down to
    # its bound, and -8 / 4 + 8 * 0.25 = 0 exactly (a tie, so label 0)
    prior = mixture([1.0], np.zeros((1, 2)), np.ones((1, 2)))
    return linear_classifier(
        [[0.25], [8.0]], [0.0], prior, input_bounds=([-np.inf, 0.25], [np.inf, np.inf])
    )


def test_an_answer_exactly_at_min_proba_is_valid():
    # x_1 on its bound leaves the logit at exactly 0 from x_0 = -8: the answer
    # that changes x_1 alone has p = 0.5 = min_proba exactly, and is valid
    clf = _bounded_clf()
    row = np.array([[-8.0, 0.3125]])
    X_cf = sklearn_revnet.counterfactual(clf, row, target=0, plausibility=0.0)
    np.testing.assert_array_equal(X_cf, [[-8.0, 0.25]])
    np.testing.assert_array_equal(clf.predict_proba(X_cf), [[0.5, 0.5]])


def test_each_row_is_pruned_on_its_own():
    # Two iterations a stage leave changes that pruning puts back, more in
    # some rows than others; features outside the bounds (-2, 2) are moved in
    # and never put back. The rows' answers are those of each row alone.
    prior = mixture([1.0], np.zeros((1, 3)), np.ones((1, 3)))
    clf = linear_classifier([[-0.18], [0.71], [0.79]], [0.0], prior, input_bounds=(-2.0, 2.0))
    rows = np.array([[2.1, -2.4, 2.0], [-0.5, 1.9, 1.0], [2.4, 1.3, -0.7], [0.0, -0.6, -0.7]])
    together = sklearn_revnet.counterfactual(clf, rows, plausibility=0.0, max_iter=2)
    alone = np.vstack(
        [
            sklearn_revnet.counterfactual(clf, row[None], plausibility=0.0, max_iter=2)
            for row in rows
        ]
    )
    np.testing.assert_array_equal(clf.predict(together), 1 - clf.predict(rows))
    np.testing.assert_array_equal(together != rows, alone != rows)


def _pruned(W, b, variances, X0, X, c=None, lo=-np.inf, hi=np.inf, plausibility=0.0):
    """``_prune`` on rows ``X`` found for ``X0``, target 1, min_proba 0.5.

    The logits are ``z @ W + b`` for ``z = x + c``, the prior a standard
    normal stretched by ``variances``; the box ``(lo, hi)`` holds every feature.
    """
    prior = mixture([1.0], np.zeros((1, 3)), [variances])
    clf = linear_classifier(W, [b], prior)
    A = None if c is None else np.eye(3)
    space = CounterfactualSpace(clf, None, A, c, np.full(3, lo), np.full(3, hi))
    X0, X = np.atleast_2d(X0).astype(float), np.atleast_2d(X).astype(float)
    return _prune(space, clf, X0, X, np.ones(len(X), dtype=int), 0.5, plausibility)


def test_pruning_puts_back_the_smallest_change_in_mad_units_first():
    # logits x_0 + x_1 + x_2 - 3, feature 1 twice as spread as the others:
    # its change of 0.5 is the smallest in MAD units (0.37, against 0.89 and
    # 0.67; in raw units, 0.45 of feature 2 is). Once it is put back, putting
    # back either other change leaves the label.
    X0, X = [0.0, 3.0, -1.0], [0.6, 3.5, -0.55]
    np.testing.assert_array_equal(
        _pruned(np.ones((3, 1)), -3.0, [1.0, 4.0, 1.0], X0, X), [[0.6, 3.0, -0.55]]
    )


def test_pruning_never_puts_back_a_value_outside_the_box():
    # Box (-5, 5). Row 0's feature 2 starts outside it, and putting it back
    # would be the smallest change and keep the label: it stays moved in.
    # Rows 1 and 2 start on the lower and the upper bound, which are inside.
    X0 = [[4.0, 3.0, -5.2], [4.0, 3.0, -5.0], [1.0, 5.0, -2.0]]
    X = [[4.6, 3.5, -5.0], [4.6, 3.0, -4.8], [1.6, 4.9, -2.0]]
    pruned = _pruned(np.ones((3, 1)), -2.5, [1.0, 4.0, 1.0], X0, X, lo=-5.0, hi=5.0)
    np.testing.assert_array_equal(pruned, [[4.6, 3.0, -5.0], [4.6, 3.0, -5.0], X0[2]])


def test_with_a_plausibility_weight_pruning_keeps_the_row_plausible():
    # Putting back feature 0 keeps the label but takes the row 3.5 standard
    # deviations out, below the prior's threshold: only without the weight.
    W, X0, X = [[0.1], [1.0], [1.0]], [-4.5, 0.0, 0.0], [-1.0, 1.0, 0.0]
    np.testing.assert_array_equal(_pruned(W, -0.5, np.ones(3), X0, X, plausibility=1.0), [X])
    np.testing.assert_array_equal(_pruned(W, -0.5, np.ones(3), X0, X), [[-4.5, 1.0, 0.0]])


def test_pruning_judges_plausibility_where_the_network_sees_the_row():
    # z = x + (2, 0, 0): putting back feature 0 takes z_0 from 1 to 0, more
    # plausible, and keeps the label; then feature 1 would lose it.
    X0, X = [-2.0, 0.0, 0.0], [-1.0, 1.2, 0.0]
    pruned = _pruned(np.ones((3, 1)), -0.6, np.ones(3), X0, X, c=[2.0, 0, 0], plausibility=1.0)
    np.testing.assert_array_equal(pruned, [[-2.0, 1.2, 0.0]])


def test_answers_keep_the_plausibility_their_weight_bought():
    # Feature 0 barely moves the logits: the plausibility weight alone moves
    # it in from 4 to 5 standard deviations out. Putting it back keeps the
    # label, so only the plausibility test keeps the answers near the
    # threshold (measured -6.04 against -5.75; without it -10.9 to -15.4).
    prior = mixture([1.0], np.zeros((1, 3)), np.ones((1, 3)))
    clf = linear_classifier([[0.01], [1.0], [1.0]], [-0.5], prior)
    rows = np.array([[-4.5, 0.0, 0.0], [-4.0, -0.5, 0.2], [-5.0, 0.3, 0.0]])
    X_cf = sklearn_revnet.counterfactual(clf, rows, plausibility=1.0)
    tau = _bare_space(clf).tau
    np.testing.assert_array_equal(clf.predict(X_cf), 1)
    assert np.all(clf.prior_.score_samples(X_cf) > tau - 0.5)


@pytest.mark.parametrize("min_proba", [0.5, 0.9])
def test_multiclass_answers_reach_min_proba_by_the_softmax(min_proba):
    # three classes of logits (x_0, x_1, -x_0): the target's probability is
    # its softmax, not the sigmoid of its logit alone
    prior = mixture([1.0], np.zeros((1, 2)), np.ones((1, 2)))
    clf = linear_classifier([[1.0, 0.0, -1.0], [0.0, 1.0, 0.0]], [0.0, 0.0, 0.0], prior)
    rows = np.random.RandomState(0).normal(size=(20, 2))
    for target in (0, 1, 2):
        X_cf = sklearn_revnet.counterfactual(
            clf, rows, target=target, min_proba=min_proba, plausibility=0.0
        )
        assert np.all(clf.predict_proba(X_cf)[:, target] >= min_proba)


def test_the_feature_scale_is_the_median_absolute_deviation():
    # the standard deviation where the MAD is 0, and 1 where both are
    X = np.c_[[0.0, 1, 2, 3, 100], [5.0, 5, 5, 5, 10], np.full(5, 7.0)]
    np.testing.assert_array_equal(mad(X), [1.0, 2.0, 1.0])


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


def test_mapped_bounds_lie_inside_the_training_range_far_from_the_mean():
    # 2000 features like breast cancer's "worst texture" (training minimum
    # 12.02, mean 25.7): the classifier's box, mapped back through the
    # scaler's measured (A, c), lands up to 22 ulps outside the training
    # range; moving it 8 ulps inward let 434 of the 4000 bounds out
    rng = np.random.RandomState(0)
    X = 12.0 + rng.gamma(2.0, 6.0, size=(400, 2000)).round(2)
    scaler = StandardScaler().fit(X)
    Z = scaler.transform(X)
    unbounded = np.full(X.shape[1], np.inf)
    A, c = affine_map([("scaler", scaler)], -unbounded, unbounded)
    box = Box(Z.min(axis=0), Z.max(axis=0), X.shape[1])
    lo, hi = _mapped_box(A, c, box, scaler.transform)
    assert np.all(lo >= X.min(axis=0)) and np.all(hi <= X.max(axis=0))
    # and inside by no more than a few ulps (measured: at most 5e-15 relative)
    np.testing.assert_allclose(lo, X.min(axis=0), rtol=1e-12)
    np.testing.assert_allclose(hi, X.max(axis=0), rtol=1e-12)


def test_a_training_minimum_of_zero_stays_the_bound():
    # counts and amounts with many zeros: the box's edge maps back to 0 exactly, and
    # no inward move of an ulp of 0 (subnormal) reaches inside; moved anyway, the
    # bound was 9e-305 and every row at 0 counted as changed
    rng = np.random.RandomState(0)
    X = np.where(rng.uniform(size=(300, 3)) < 0.6, 0.0, rng.gamma(2.0, 500.0, (300, 3)))
    scaler = StandardScaler().fit(X)
    Z = scaler.transform(X)
    unbounded = np.full(3, np.inf)
    A, c = affine_map([("scaler", scaler)], -unbounded, unbounded)
    lo, hi = _mapped_box(A, c, Box(Z.min(axis=0), Z.max(axis=0), 3), scaler.transform)
    np.testing.assert_array_equal(lo, [0.0, 0.0, 0.0])
    assert np.all(hi <= X.max(axis=0))


def test_the_cheaper_feature_stops_on_its_upper_bound_and_the_other_goes_on():
    # logits 20 (x_0 + x_1) - 10: label 1 needs x_0 + x_1 > 0.5. Feature 1
    # (standard deviation 1) costs a tenth of feature 0 (0.1) in MAD units,
    # so it moves first, up to its bound 0.3, and feature 0 does the rest
    prior = mixture([1.0], np.zeros((1, 2)), [[0.01, 1.0]])
    clf = linear_classifier([[20.0], [20.0]], [-10.0], prior)
    rows = np.array([[0.0, 0.0], [-0.1, -0.5]])
    bounds = ([-np.inf, -np.inf], [np.inf, 0.3])
    X_cf = sklearn_revnet.counterfactual(clf, rows, target=1, plausibility=0.0, bounds=bounds)
    np.testing.assert_array_equal(clf.predict(X_cf), [1, 1])
    np.testing.assert_array_equal(X_cf[:, 1], [0.3, 0.3])
    # just across: measured 0.508 for both rows
    assert np.all((X_cf.sum(axis=1) > 0.5) & (X_cf.sum(axis=1) < 0.52))


def _flat_below_one():
    """Label 1 where ``x_0 > 1.5``, through a ReLU unit that is off for ``x_0 < 1``.

    Below 1 the network's gradient is 0: descent from a row there cannot
    move. The prior's mean, ``x_0 = 2``, is in label 1.
    """
    prior = mixture([1.0], [[2.0, 0.0]], [[1.0, 1.0]])
    clf = linear_classifier([[20.0], [0.0]], [-10.0], prior, input_bounds="auto")
    clf.activation = "relu"
    clf.coefs_ = [np.array([[1.0], [0.0]]), np.array([[20.0]])]
    clf.intercepts_ = [np.array([-1.0]), np.array([-10.0])]
    clf.input_min_, clf.input_max_ = np.full(2, -4.0), np.full(2, 4.0)
    return clf


def test_where_the_network_is_flat_the_answer_starts_from_the_label_s_mode():
    # the solver starts again from label 1's most probable input and pulls
    # back toward the row: just across x_0 = 1.5, x_1 untouched
    clf = _flat_below_one()
    rows = np.array([[-1.0, 0.5], [0.0, -0.5]])
    X_cf = sklearn_revnet.counterfactual(clf, rows, target=1, plausibility=0.0)
    np.testing.assert_array_equal(clf.predict(X_cf), [1, 1])
    np.testing.assert_array_equal(X_cf[:, 1], rows[:, 1])
    assert np.all((X_cf[:, 0] > 1.5) & (X_cf[:, 0] < 1.52))  # measured: 1.51


def test_through_a_scaler_the_label_s_mode_is_a_raw_row():
    # the same in raw units, x = 100 + 10 z, within explicit raw bounds: the
    # restart's start is label 1's mode in raw space, not in the network's
    rng = np.random.RandomState(0)
    scaler = StandardScaler().fit(100 + 10 * rng.normal(size=(500, 2)))
    pipe = make_pipeline(scaler, _flat_below_one())
    rows = scaler.inverse_transform(np.array([[-1.0, 0.5], [0.0, -0.5]]))
    X_cf = sklearn_revnet.counterfactual(
        pipe, rows, target=1, plausibility=0.0, bounds=(50.0, 150.0)
    )
    np.testing.assert_array_equal(pipe.predict(X_cf), [1, 1])
    np.testing.assert_allclose(X_cf[:, 1], rows[:, 1], rtol=1e-12)
    z = scaler.transform(X_cf)[:, 0]
    assert np.all((z > 1.5) & (z < 1.52))  # measured: 1.51


def test_answers_on_a_lower_bound_hold_it_exactly():
    # the mirror image: label 1 needs x_0 + x_1 < -0.5, and feature 1 stops
    # on its lower bound -0.3. Mapped back from the solver's units, x0 + u s
    # can round an ulp below the bound; the answer is clipped into the box
    prior = mixture([1.0], np.zeros((1, 2)), [[0.01, 1.0]])
    clf = linear_classifier([[-20.0], [-20.0]], [-10.0], prior)
    rows = np.array([[0.0, 0.0], [0.1, 0.5], [0.03, 0.7], [0.07, 0.9], [0.01, 0.123]])
    bounds = ([-np.inf, -0.3], [np.inf, np.inf])
    X_cf = sklearn_revnet.counterfactual(clf, rows, target=1, plausibility=0.0, bounds=bounds)
    np.testing.assert_array_equal(clf.predict(X_cf), np.ones(5))
    assert np.all(X_cf[:, 1] >= -0.3)  # never below it
    np.testing.assert_allclose(X_cf[:, 1], -0.3, rtol=4 * np.finfo(float).eps)  # on it


def test_the_plausibility_weight_pulls_answers_up_to_the_threshold():
    # label 1 needs x_1 > 0.3; the prior puts x_1 around 1 (sd 0.2). Just
    # across the boundary (x_1 = 0.31) is 3.5 sd out, far less likely than
    # the threshold (the 10th percentile of the prior's draws); the hinge
    # pays for going further in, the more so the larger its weight
    prior = mixture([1.0], [[0.0, 1.0]], [[1.0, 0.04]])
    clf = linear_classifier([[0.0], [20.0]], [-6.0], prior)
    rows = np.array([[0.0, 0.2], [1.0, 0.1]])
    tau = _bare_space(clf).tau
    log_p = {}
    for weight in (0.0, 1.0, 10.0):
        X_cf = sklearn_revnet.counterfactual(clf, rows, target=1, plausibility=weight)
        np.testing.assert_array_equal(clf.predict(X_cf), [1, 1])
        log_p[weight] = prior.score_samples(X_cf)
    # measured: tau -2.38; log p -6.2 and -6.7, -2.72 and -2.75, -2.42 twice
    assert np.all(log_p[0.0] < tau - 3)
    assert np.all(log_p[1.0] > tau - 0.5)
    assert np.all(log_p[10.0] > np.maximum(log_p[1.0], tau - 0.2))


class _Quadratic:
    """``sum_j w_j (x_j - c_j)^2`` for each row, in the solver's interface; counts its calls."""

    def __init__(self, w, c):
        self.w, self.c, self.calls = np.asarray(w, float), np.asarray(c, float), 0

    def __call__(self, X, rows, gradient=True):
        self.calls += 1
        D = X - self.c[rows]
        return np.sum(self.w * D**2, axis=1), (2 * self.w * D if gradient else None)


def _solve_quadratic(w, c, max_iter):
    """The solver on ``w (x - c)^2 + |x|`` from 0, unit scales, no bounds."""
    problem = _Quadratic(w, c)
    X0 = np.zeros_like(problem.c)
    free = np.ones(X0.shape, dtype=bool)
    unbounded = np.full(X0.shape[1], np.inf)
    X = solve(problem, X0, X0, np.ones(X0.shape[1]), -unbounded, unbounded, free, max_iter)
    return X, problem.calls


def test_the_solver_stops_once_the_rows_stop_moving():
    # (x - 3)^2 + |x| is least at 2.5: reached, the row stops long before
    # max_iter (measured: 53 evaluations, each iteration one or two)
    X, calls = _solve_quadratic([1.0, 1.0], [[3.0, 3.0]], max_iter=500)
    np.testing.assert_allclose(X, 2.5, atol=1e-5)
    assert calls <= 100


def test_the_solver_converges_at_an_accelerated_rate():
    # w (x - 3)^2 + |x| with w from 1 to 1000: the minimum is 3 - 1 / (2 w).
    # Accelerated proximal gradient with restarts is within 0.025 after 200
    # iterations (plain proximal gradient would need thousands); momentum
    # schedules that are not accelerated, or that restart wrongly, stay
    # 0.1 to 1.5 away. Two evaluations per iteration or so: the step grows
    # by a factor each iteration and backtracks (measured: 457).
    w = np.logspace(0, 3, 10)
    X, calls = _solve_quadratic(w, np.full((1, 10), 3.0), max_iter=200)
    assert np.max(np.abs(X - (3 - 1 / (2 * w)))) <= 0.05
    assert calls <= 4 * 200


def _affine(A, c):
    return lambda X: X @ A + c


def test_mapped_bounds_of_a_scaled_permutation():
    # raw features 0, 1, 2 feed inputs 1, 2, 0: z1 = 2 x0 - 3, z2 = -4 x1 + 1
    # (decreasing) and z0 = x2 / 2 + 1/4. The box z0 in [-1, 3], z1 in
    # [-2, 5], z2 in [-1, 3] is x0 in [0.5, 4], x1 in [-0.5, 0.5], x2 in
    # [-2.5, 5.5]; each bound is then moved inward by a few ulps, until the
    # map puts it strictly inside the box
    A = np.zeros((3, 3))
    A[0, 1], A[1, 2], A[2, 0] = 2.0, -4.0, 0.5
    c = np.array([0.25, -3.0, 1.0])
    box = Box([-1.0, -2.0, -1.0], [3.0, 5.0, 3.0], 3)
    lo, hi = _mapped_box(A, c, box, _affine(A, c))
    for bound, exact, inward in (
        (lo, [0.5, -0.5, -2.5], 1.0),
        (hi, [4.0, 0.5, 5.5], -1.0),
    ):
        assert np.all(np.abs(bound - exact) <= 4 * np.spacing(np.abs(exact)))
        assert np.all((bound - exact) * inward >= 0)  # never outward
        z = _affine(A, c)(bound[None])[0]
        assert np.all((z > box.lo) & (z < box.hi))


def test_an_unbounded_side_maps_to_an_unbounded_raw_side():
    # z0 = -4 x1 + 1 >= -1 with no upper bound: x1 <= 0.5, with no lower one;
    # z1 = 2 x0 - 3 <= 5 with no lower bound: x0 <= 4
    A, c = np.array([[0.0, 2.0], [-4.0, 0.0]]), np.array([1.0, -3.0])
    box = Box([-1.0, -np.inf], [np.inf, 5.0], 2)
    lo, hi = _mapped_box(A, c, box, _affine(A, c))
    np.testing.assert_array_equal(lo, [-np.inf, -np.inf])
    assert np.all((hi <= [4.0, 0.5]) & (hi >= [4.0, 0.5] - 4 * np.spacing([4.0, 0.5])))


@pytest.mark.parametrize(
    "A",
    [
        [[1.0, 1.0], [0.0, 0.0]],  # one column per raw feature, but a row with two
        [[1.0, 0.0], [1.0, 0.0]],  # one per row, but a column with two
        [[0.6, -0.8], [0.8, 0.6]],  # a rotation
        [[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]],  # a raw feature dropped
    ],
    ids=["row of two", "column of two", "rotation", "dropped"],
)
def test_a_map_that_mixes_or_drops_features_leaves_the_raw_features_unbounded(A):
    A = np.array(A)
    box = Box(-1.0, 1.0, A.shape[1])
    lo, hi = _mapped_box(A, np.zeros(A.shape[1]), box, _affine(A, 0.0))
    np.testing.assert_array_equal(lo, np.full(len(A), -np.inf))
    np.testing.assert_array_equal(hi, np.full(len(A), np.inf))


def test_a_classifier_without_bounds_leaves_the_raw_features_unbounded():
    # input_bounds=None: the cheap feature goes as far as it needs, past the
    # training range, and the other stays as it was
    X, pipe, row = _scaled(0.0, 1.0, input_bounds=None)
    X_cf = sklearn_revnet.counterfactual(pipe, row, target=1, plausibility=0.0)
    np.testing.assert_array_equal(pipe.predict(X_cf), [1])
    assert X_cf[0, 0] > X[:, 0].max()
    assert X_cf[0, 1] == row[0, 1]


# ------------------------------------------------------------------- messages


def _flat(**attributes):
    prior = mixture([1.0], np.zeros((1, 2)), np.ones((1, 2)))
    clf = linear_classifier([[1.0], [1.0]], [0.0], prior)
    for name, value in attributes.items():
        setattr(clf, name, value)
    return clf


@pytest.mark.parametrize(
    "estimator, kwargs, error, message",
    [
        (
            _flat(),
            {"target": 7},
            ValueError,
            "Unknown target label 7; the model knows the labels [0, 1].",
        ),
        (
            _flat(),
            {"target": [0, 7]},
            ValueError,
            "Unknown target label 7; the model knows the labels [0, 1].",
        ),
        (
            _flat(classes_=np.array(["0", "1"])),  # the int 0 is not the class "0"
            {"target": ["1", 0]},
            ValueError,
            "Unknown target label 0; the model knows the labels ['0', '1'].",
        ),
        (_flat(), {"target": [0, 1, 1]}, ValueError, "target has 3 labels for 2 rows of X."),
        (_flat(), {"fixed": [2]}, ValueError, "fixed indices must be in [-2, 2); got [2]."),
        (_flat(), {"fixed": [-3]}, ValueError, "fixed indices must be in [-2, 2); got [-3]."),
        (
            _flat(),
            {"fixed": [True]},
            ValueError,
            "A boolean fixed mask needs 2 entries; got (1,).",
        ),
        (
            _flat(),
            {"fixed": ["a"]},
            ValueError,
            "fixed holds column names, but the estimator was not fitted on a DataFrame.",
        ),
        (
            _flat(feature_names_in_=np.array(["a", "b"], dtype=object)),
            {"fixed": ["c"]},
            ValueError,
            "Unknown fixed column 'c'; the columns are ['a', 'b'].",
        ),
        (
            _flat(feature_names_in_=np.array(["a", "b"], dtype=object)),
            {"fixed": "cd"},  # a list of names, not one name
            InvalidParameterError,
            "The 'fixed' parameter of counterfactual must be an array-like or None. "
            "Got 'cd' instead.",
        ),
        (
            _flat(),
            {"fixed": [0.5]},
            TypeError,
            "fixed must be feature indices, a boolean mask or column names.",
        ),
        (
            _flat(out_activation_="logistic", n_outputs_=2),
            {},
            ValueError,
            "counterfactual supports binary and multiclass models; this one is multilabel.",
        ),
        (
            _flat(classes_=np.array([3])),
            {},
            ValueError,
            "counterfactual needs a model of at least two classes.",
        ),
        (
            make_pipeline(
                FunctionTransformer(np.log1p, inverse_func=np.expm1).fit(np.ones((2, 2))), _flat()
            ),
            {},
            ValueError,
            "counterfactual needs the pipeline steps before the classifier "
            "('functiontransformer') to be affine (scalers, PCA, Whitener).",
        ),
    ],
    ids=[
        "label",
        "label-in-a-list",
        "label-type",
        "labels",
        "index",
        "negative-index",
        "mask",
        "names",
        "name",
        "one-name",
        "float",
        "multilabel",
        "one-class",
        "not-affine",
    ],
)
def test_bad_calls_say_what_is_wrong(estimator, kwargs, error, message):
    with pytest.raises(error) as raised:
        sklearn_revnet.counterfactual(estimator, np.ones((2, 2)), **kwargs)
    assert str(raised.value) == message


def test_rows_without_an_answer_are_counted_in_the_warning():
    clf = _flat()
    rows = np.array([[-1.0, -1.0], [1.0, 1.0], [-2.0, 0.5]])
    with pytest.warns(UserWarning) as record:
        X_cf = sklearn_revnet.counterfactual(clf, rows, target=1, fixed=[0, 1])
    assert [str(w.message) for w in record] == [
        "No counterfactual found for 2 of 3 rows within the bounds and fixed features: "
        "they are NaN."
    ]
    assert np.isnan(X_cf[[0, 2]]).all() and np.array_equal(X_cf[1], rows[1])
