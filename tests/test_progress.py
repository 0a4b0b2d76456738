"""Progress reporting: scikit-learn's callback API follows the L-BFGS iterations."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.preprocessing import StandardScaler

from sklearn_revnet import ReversibleMLPClassifier

callback = pytest.importorskip("sklearn.callback")  # scikit-learn >= 1.9


class Recorder:
    """A FitCallback that records its hooks and can ask to stop."""

    def __init__(self, stop_after=None):
        self.stop_after = stop_after
        self.events = []
        self.accuracies = []

    def setup(self, estimator, context):
        self.events.append("setup")

    def teardown(self, estimator, context):
        self.events.append("teardown")

    def on_fit_task_begin(self, estimator, context, *, X=None, y=None, fitted_estimator=None):
        self.events.append(("begin", context.task_name))

    def on_fit_task_end(self, estimator, context, *, X=None, y=None, fitted_estimator=None):
        self.events.append(("end", context.task_name))
        if context.task_name == "lbfgs iteration" and fitted_estimator is not None:
            self.accuracies.append(fitted_estimator.score(X, y))
        iterations = self.events.count(("end", "lbfgs iteration"))
        return self.stop_after is not None and iterations >= self.stop_after


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def test_callbacks_follow_every_iteration(iris):
    recorder = Recorder()
    clf = ReversibleMLPClassifier((10,), random_state=0).set_callbacks(recorder)
    clf.fit(*iris)
    assert recorder.events[0] == "setup" and recorder.events[-1] == "teardown"
    assert recorder.events[1] == ("begin", "fit") and recorder.events[-2] == ("end", "fit")
    # one task per iteration, plus the empty one begun after the last iteration
    assert recorder.events.count(("begin", "lbfgs iteration")) == clf.n_iter_ + 1
    assert recorder.events.count(("end", "lbfgs iteration")) == clf.n_iter_ + 1
    # each iteration's end hook sees a usable model with that iteration's weights
    assert len(recorder.accuracies) == clf.n_iter_
    assert recorder.accuracies[-1] == pytest.approx(clf.score(*iris))
    assert recorder.accuracies[-1] > recorder.accuracies[0]


def test_a_callback_can_stop_the_fit(iris):
    clf = ReversibleMLPClassifier((10,), random_state=0).set_callbacks(Recorder(stop_after=3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # stopping on request is not a convergence failure
        clf.fit(*iris)
    assert clf.n_iter_ == 3
    assert len(clf.loss_curve_) == 3


def test_progress_bar(iris, capsys):
    pytest.importorskip("rich")
    clf = ReversibleMLPClassifier((10,), random_state=0)
    clf.set_callbacks(callback.ProgressBar())
    clf.fit(*iris)
    reference = ReversibleMLPClassifier((10,), random_state=0).fit(*iris)
    np.testing.assert_array_equal(clf.predict_proba(iris[0]), reference.predict_proba(iris[0]))


def test_progress_bar_in_a_pipeline_goes_on_the_pipeline():
    # The README's advice: scikit-learn refuses an auto-propagated callback on
    # a step, and takes it on the outermost estimator.
    pytest.importorskip("rich")
    from sklearn.pipeline import make_pipeline

    X, y = load_iris(return_X_y=True)
    step = ReversibleMLPClassifier((8,), random_state=0).set_callbacks(callback.ProgressBar())
    with pytest.raises(TypeError, match="auto-propagated"):
        make_pipeline(StandardScaler(), step).fit(X, y)
    pipe = make_pipeline(StandardScaler(), ReversibleMLPClassifier((8,), random_state=0))
    pipe.set_callbacks(callback.ProgressBar())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pipe.fit(X, y)
    plain = make_pipeline(StandardScaler(), ReversibleMLPClassifier((8,), random_state=0))
    np.testing.assert_array_equal(pipe.predict_proba(X), plain.fit(X, y).predict_proba(X))
