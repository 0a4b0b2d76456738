"""generate(): samples for a label from a classifier, a pipeline or a search."""

from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted


def generate(estimator, label, n=1, *, random_state=None):
    """Generate ``n`` inputs for ``label``, in the raw input space.

    Parameters
    ----------
    estimator : estimator
        A fitted :class:`~sklearn_revnet.ReversibleMLPClassifier`; a fitted
        :class:`~sklearn.pipeline.Pipeline` ending in one, whose samples are
        passed back through the ``inverse_transform`` of every earlier step;
        or a fitted search such as :class:`~sklearn.model_selection.GridSearchCV`,
        whose ``best_estimator_`` is used.

    label : object
        A label from the classifier's ``classes_``.

    n : int, default=1
        Number of samples.

    random_state : int, RandomState instance or None, default=None
        Seeds the random starting points; the same seed gives the same samples.

    Returns
    -------
    X : ndarray of shape (n, n_features)
        Samples in the input space of ``estimator``.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn_revnet import ReversibleMLPClassifier, Whitener, generate
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = ReversibleMLPClassifier(hidden_layer_sizes=(10,), random_state=0)
    >>> pipe = make_pipeline(Whitener(), clf).fit(X, y)
    >>> samples = generate(pipe, 2, n=5, random_state=0)
    >>> samples.shape
    (5, 4)
    >>> pipe.predict(samples).tolist()
    [2, 2, 2, 2, 2]
    """
    final, inverse_steps = _unwrap(estimator)
    X = final.generate(label, n, random_state=random_state)
    for step in inverse_steps:
        X = step.inverse_transform(X)
    return X


def _unwrap(estimator):
    """The reversible classifier at the end of ``estimator`` and, in order,
    the steps whose ``inverse_transform`` maps its samples back to the raw
    input space. Checks everything before any sample is generated."""
    if _is_search(estimator):
        if getattr(estimator, "refit", True) is False:
            raise ValueError(
                f"{type(estimator).__name__} was fitted with refit=False, so it has "
                "no best_estimator_ to generate from; fit it with refit=True."
            )
        check_is_fitted(estimator, "best_estimator_")
        return _unwrap(estimator.best_estimator_)
    if isinstance(estimator, Pipeline):
        final, inverse_steps = _unwrap(estimator.steps[-1][1])
        for name, step in reversed(estimator.steps[:-1]):
            if step is None or step == "passthrough":
                continue
            if not hasattr(step, "inverse_transform"):
                raise TypeError(
                    f"Pipeline step {name!r} ({type(step).__name__}) has no "
                    "inverse_transform, so generated samples cannot be mapped back "
                    "through it to the input space."
                )
            inverse_steps.append(step)
        return final, inverse_steps
    if not hasattr(estimator, "generate"):
        raise TypeError(
            f"{type(estimator).__name__} cannot generate samples: pass a fitted "
            "ReversibleMLPClassifier, a Pipeline ending in one, or a fitted search "
            "over such estimators."
        )
    return estimator, []


def _is_search(estimator):
    """A hyperparameter search (GridSearchCV and the like), fitted or not."""
    return hasattr(estimator, "estimator") and hasattr(estimator, "refit")
