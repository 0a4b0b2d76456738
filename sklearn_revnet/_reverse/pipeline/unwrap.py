"""The reversible classifier at the end of an estimator, and the fitted steps before it."""

from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from sklearn_revnet._reverse.pipeline.encoders import EncodedColumns
from sklearn_revnet._reverse.pipeline.steps import check_round_trip, check_step


def unwrap(estimator):
    """The reversible classifier at the end of ``estimator`` and the fitted
    steps before it, as ``(name, step)`` in pipeline order. Checks everything
    before any sample is generated."""
    final, steps = _split(estimator)
    fitted = "_prior" in vars(final) or "_prior_state" in vars(final)
    if steps and fitted:  # unfitted, check_is_fitted tells next
        # categorical columns: the prior models them as categories
        prior = final._prior_with(EncodedColumns(steps, final.n_features_in_).categories)
        check_round_trip(steps, prior.means_)
    return final, steps


def _split(estimator):
    """:func:`_unwrap` before the fitted steps are checked numerically."""
    if _is_search(estimator):
        if getattr(estimator, "refit", True) is False:
            raise ValueError(
                f"{type(estimator).__name__} was fitted with refit=False, so it has "
                "no best_estimator_ to generate from; fit it with refit=True."
            )
        check_is_fitted(estimator, "best_estimator_")
        return _split(estimator.best_estimator_)
    if isinstance(estimator, Pipeline):
        final, inner = _split(estimator.steps[-1][1])
        return final, _fitted_steps(estimator.steps[:-1]) + inner
    if not hasattr(estimator, "generate"):
        raise TypeError(
            f"{type(estimator).__name__} cannot generate samples: pass a fitted "
            "ReversibleMLPClassifier, a Pipeline ending in one, or a fitted search "
            "over such estimators."
        )
    return estimator, []


def _fitted_steps(steps):
    """``steps`` without passthroughs, nested pipelines flattened, each checked
    to have a way back (:func:`~sklearn_revnet._reverse.pipeline.steps.check_step`)."""
    flat = []
    for name, step in steps:
        if step is None or (isinstance(step, str) and step == "passthrough"):
            continue
        if isinstance(step, Pipeline):
            flat.extend(_fitted_steps(step.steps))
            continue
        check_step(name, step)
        flat.append((name, step))
    return flat


def _is_search(estimator):
    """A hyperparameter search (GridSearchCV and the like), fitted or not."""
    return hasattr(estimator, "estimator") and hasattr(estimator, "refit")
