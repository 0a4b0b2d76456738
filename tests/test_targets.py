"""What a reverse call is asked for: labels, probability rows, label sets, n and bounds.

On classifiers set by hand (linear logits, a standard normal prior): no fit,
and each answer is known.
"""

import numpy as np
import pytest
from _linear import linear_classifier, mixture
from _tolerance import assert_within
from sklearn.preprocessing import LabelBinarizer

import sklearn_revnet

PRIOR = mixture([1.0], np.zeros((1, 2)), np.ones((1, 2)))


_N_REFUSED = (
    "The 'n' parameter of ReversibleMLPClassifier.generate must be a positive integer "
    "(not a bool). Got {} instead."
)


def _multiclass():
    return linear_classifier([[1.0, 0.0, -1.0], [0.0, 1.0, 0.0]], [0.0, 0.0, 0.0], PRIOR)


def _binary():
    return linear_classifier([[1.0], [1.0]], [0.0], PRIOR)


def _multilabel():
    # two labels, the logit of each one feature
    clf = linear_classifier([[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0], PRIOR)
    clf.out_activation_ = "logistic"
    clf._label_binarizer = LabelBinarizer().fit(np.array([[0, 1], [1, 0]]))
    return clf


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda: _multiclass().inverse_transform([5]),
            ValueError,
            "Unknown label 5; the model knows the labels [0, 1, 2].",
        ),
        (
            lambda: _multiclass().inverse_transform(np.zeros((1, 3, 1))),
            ValueError,
            "y must be 1-D labels or 2-D target rows; got an array of shape (1, 3, 1).",
        ),
        (
            lambda: _multiclass().inverse_transform([[0.5, 0.5]]),
            ValueError,
            "Target rows must have one column per class (3); got 2.",
        ),
        (
            lambda: _multiclass().inverse_transform(np.array([["a", "b", "c"]], dtype=object)),
            ValueError,
            "Target rows must be numeric.",
        ),
        (
            lambda: _multiclass().inverse_transform([[1.5, -0.5, 0.0]]),
            ValueError,
            "Target rows must hold probabilities in [0, 1].",
        ),
        (
            lambda: _multiclass().inverse_transform([[0.5, 0.5, 0.0], [0.2, 0.2, 0.2]]),
            ValueError,
            "Target probability rows must sum to 1; row 1 sums to 0.6.",
        ),
        (
            lambda: _multiclass().generate([0, 1]),
            TypeError,
            "label must be a single label from classes_; got list (use inverse_transform "
            "for several targets).",
        ),
        (
            lambda: _binary().generate([1]),  # one logistic output: a label, not a set
            TypeError,
            "label must be a single label from classes_; got list (use inverse_transform "
            "for several targets).",
        ),
        (
            lambda: _multilabel().generate([1, 2]),
            ValueError,
            "A label set must be a 0/1 indicator row of 2 entries; got [1, 2].",
        ),
        (
            lambda: _multilabel().generate([1]),
            ValueError,
            "A label set must be a 0/1 indicator row of 2 entries; got [1].",
        ),
        (
            lambda: _binary().generate(0, n=0),
            ValueError,
            _N_REFUSED.format("0"),
        ),
        (
            lambda: _binary().generate(0, n=1.5),
            TypeError,
            _N_REFUSED.format("1.5"),
        ),
        (
            lambda: _binary().generate(0, n=True),
            TypeError,
            _N_REFUSED.format("True"),
        ),
        (
            lambda: sklearn_revnet.counterfactual(_binary(), np.zeros((1, 2)), bounds=(1, 0)),
            ValueError,
            "bounds must satisfy lo <= hi for every feature (no NaN).",
        ),
        (
            lambda: linear_classifier([[1.0], [1.0]], [0.0], PRIOR, input_bounds=(1, 0)).generate(
                1
            ),
            ValueError,
            "input_bounds must satisfy lo <= hi for every feature (no NaN).",
        ),
    ],
    ids=[
        "label",
        "3-d",
        "columns",
        "not-numbers",
        "not-probabilities",
        "sum",
        "several-labels",
        "binary-list",
        "label-set-values",
        "label-set-length",
        "n-zero",
        "n-float",
        "n-bool",
        "bounds",
        "input-bounds",
    ],
)
def test_bad_targets_say_what_is_wrong(call, error, message):
    with pytest.raises(error) as raised:
        call()
    assert str(raised.value) == message


def test_label_sets_and_their_probability_rows():
    # each label's logit is one feature: a label set is a quadrant, and a row
    # of probabilities one point
    clf = _multilabel()
    samples = clf.generate([1, 0], n=20, random_state=0, min_proba=0.5)
    np.testing.assert_array_equal(clf.predict(samples), [[1, 0]] * 20)
    targets = np.array([[0.3, 0.6], [0.9, 0.2]])
    error = np.abs(clf.predict_proba(clf.inverse_transform(targets)) - targets)
    assert_within(error, 1e-6, "max |proba - target|")  # measured: 7.9e-10
    np.testing.assert_array_equal(
        clf.predict(clf.inverse_transform([[1, 0], [0, 1]])), [[1, 0], [0, 1]]
    )


def test_a_binary_probability_row_names_both_classes():
    clf = _binary()
    targets = np.array([[0.3, 0.7], [0.9, 0.1]])
    error = np.abs(clf.predict_proba(clf.inverse_transform(targets)) - targets)
    assert_within(error, 1e-6, "max |proba - target|")  # measured: 1.0e-9


def test_answers_follow_the_fit_s_feature_names():
    pd = pytest.importorskip("pandas")
    clf = _binary()
    clf.feature_names_in_ = np.array(["a", "b"], dtype=object)
    for answer in (clf.inverse_transform([0, 1]), clf.generate(1, n=3, random_state=0)):
        assert isinstance(answer, pd.DataFrame) and list(answer.columns) == ["a", "b"]


def test_answers_follow_the_namespace_of_the_weights():
    # weights in another array API namespace: the answers are computed the
    # same and come back there
    xps = pytest.importorskip("array_api_strict")
    clf = _binary()
    clf.coefs_ = [xps.asarray(W) for W in clf.coefs_]
    clf.intercepts_ = [xps.asarray(b) for b in clf.intercepts_]
    for answer in (clf.inverse_transform([0, 1]), clf.generate(1, n=3, random_state=0)):
        assert type(answer) is type(xps.asarray([1.0]))
    np.testing.assert_array_equal(
        np.asarray(clf.inverse_transform([0, 1])), _binary().inverse_transform([0, 1])
    )


def test_labels_are_not_coerced_to_the_classes_type():
    # string classes: the int 2 is not the class "2" (numpy would turn the
    # list into strings)
    clf = _multiclass()
    clf.classes_ = np.array(["0", "1", "2"])
    clf._label_binarizer = LabelBinarizer().fit(clf.classes_)
    assert clf.inverse_transform(["0", "2"]).shape == (2, 2)
    with pytest.raises(ValueError) as raised:
        clf.inverse_transform(["0", 2])
    assert str(raised.value) == "Unknown label 2; the model knows the labels ['0', '1', '2']."


def test_ragged_target_rows_are_refused():
    # rows of different lengths are not a list of labels
    with pytest.raises(ValueError) as raised:
        _multiclass().inverse_transform([[0.5, 0.5, 0.0], [1.0]])
    assert str(raised.value) == "Target rows must all have one entry per class."


def test_a_label_set_probability_above_one_is_refused():
    with pytest.raises(ValueError) as raised:
        _multilabel().inverse_transform([[1.5, 0.0]])
    assert str(raised.value) == "Target rows must hold probabilities in [0, 1]."


def test_probability_rows_sum_to_one_within_1e_6():
    # 5e-7 off is rounding; 5e-6 off is a wrong row
    assert _multiclass().inverse_transform([[0.2, 0.3, 0.5000005]]).shape == (1, 2)
    with pytest.raises(ValueError) as raised:
        _multiclass().inverse_transform([[0.5, 0.500005, 0.0]])
    assert str(raised.value) == "Target probability rows must sum to 1; row 0 sums to 1.00001."


def test_the_sum_message_names_the_row_furthest_from_one():
    with pytest.raises(ValueError) as raised:
        _multiclass().inverse_transform([[0.5, 0.5, 0.0], [0.5, 0.5, 0.5]])
    assert str(raised.value) == "Target probability rows must sum to 1; row 1 sums to 1.5."


def test_a_single_class_probability_row_is_its_label():
    # fit on one label: one logistic output, the class encoded as 0
    clf = _binary()
    clf.classes_ = np.array([7])
    clf._label_binarizer = LabelBinarizer().fit(clf.classes_)
    answer = clf.inverse_transform([[1.0]])
    assert answer.shape == (1, 2)
    np.testing.assert_array_equal(answer, clf.inverse_transform([7]))


def test_labels_given_as_0_d_arrays_are_their_values():
    clf = _multiclass()
    np.testing.assert_array_equal(
        clf.inverse_transform([np.array(0), np.array(2)]), clf.inverse_transform([0, 2])
    )
