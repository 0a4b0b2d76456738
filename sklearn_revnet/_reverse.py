"""The classifier's reverse family: target rows, bounds, the mode and samples.

:class:`ReverseMixin` gives the estimator (:mod:`sklearn_revnet._classifier`)
its ``inverse_transform`` and ``generate``; the functions below turn their
arguments into target rows and a box, and call the posterior's sampler and
mode finder (:mod:`sklearn_revnet._posterior`). ``fit`` calls
:func:`fit_prior_and_range`.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from sklearn_revnet._array_api import host_model, like, namespace, on_host, to_numpy
from sklearn_revnet._array_api import posterior as device_posterior
from sklearn_revnet._output import as_frame
from sklearn_revnet._posterior import (
    Box,
    check_bounds,
    heaviest_component,
    posterior_mode,
    sample_posterior,
)
from sklearn_revnet._prior import fit_prior, sample_prior
from sklearn_revnet._training import single_threaded_blas

# Weights of the network's term for soft targets (probability rows): Bayes'
# rule (1), then larger, each warm-started from the last; the network's term
# alone then polishes the best point, so that the network's output matches
# a reachable target row.
_SOFT_WEIGHTS = (1.0, 1e2, 1e4)
_SOFT_DRAWS = 8  # prior draws that also start the search for a soft target


class ReverseMixin:
    """The reverse family of :class:`~sklearn_revnet.ReversibleMLPClassifier`."""

    def inverse_transform(self, y):
        """The most probable input for each label or target row.

        The mode of the posterior :math:`p(x \\mid t)` within ``input_bounds``,
        by scipy's L-BFGS-B from the mean of the prior component that holds
        most of the posterior's mass. For rows of probabilities the network's
        term is then weighted up and finally polished alone, so that the network
        assigns the answer these probabilities where it can. Deterministic;
        each row depends on its own target only.

        Parameters
        ----------
        y : array-like of shape (n_rows,) or (n_rows, n_classes)
            Labels from ``classes_``; or, for a binary or multiclass model,
            rows of target probabilities (non-negative, summing to 1); or,
            for a multilabel model, rows of a 0/1 label indicator.

        Returns
        -------
        X : ndarray or DataFrame of shape (n_rows, `n_features_in_`)
            Inputs, in the space of the training data: a DataFrame with the
            columns ``feature_names_in_`` when the classifier was fitted on
            one, else an ndarray.
        """
        check_is_fitted(self)
        host = host_model(self)  # numpy copies; the densities stay on the fit's device
        y = to_numpy(y) if namespace(y) is not None else y
        with on_host():
            X = inverse_transform(host, y)
        return like(as_frame(X, self), self.coefs_[0])

    def generate(self, label, n=1, *, random_state=None, min_proba=0.0):
        """Draw ``n`` samples of :math:`p(x \\mid \\text{label})`.

        Exact samples of the posterior within ``input_bounds``: draws from
        ``prior_`` kept with probability :math:`p(\\text{label} \\mid x)`, and
        Metropolis-adjusted Langevin chains of ``mcmc_steps`` steps for what
        that does not deliver (rare labels). Near a class boundary the
        samples are as ambiguous as real data there.

        Parameters
        ----------
        label : object
            A label from ``classes_``; for a multilabel model also a 0/1
            indicator row (a label set: exactly these labels on).

        n : int, default=1
            Number of samples.

        random_state : int, RandomState instance or None, default=None
            Seeds the sampler. The same seed and ``n`` give the same samples.

        min_proba : float, default=0.0
            Keep only inputs that the network assigns to ``label`` with at
            least this probability (for unambiguous samples); the posterior
            is truncated to that region.

        Returns
        -------
        X : ndarray or DataFrame of shape (n, `n_features_in_`)
            Samples, in the space of the training data: a DataFrame with the
            columns ``feature_names_in_`` when the classifier was fitted on
            one, else an ndarray.
        """
        check_is_fitted(self)
        host = host_model(self)
        with on_host():
            samples = generate(host, label, n, random_state, min_proba)
        return like(as_frame(samples, self), self.coefs_[0])

    def counterfactual(
        self, X, target="other", *, fixed=None, min_proba=0.5, plausibility=1.0, max_iter=500
    ):
        """The nearest plausible inputs that the network assigns to another label.

        For each row, the input nearest to it (L1 distance, each feature
        scaled by its median absolute deviation) that the network assigns to
        ``target`` with probability at least ``min_proba``, plausible under
        ``prior_``, within ``input_bounds``, with the ``fixed`` features
        exactly unchanged. See :func:`sklearn_revnet.counterfactual`, which
        does the same through a pipeline, in the raw input space.

        Parameters
        ----------
        X : array-like of shape (n_samples, `n_features_in_`)
            Rows to explain.

        target : "other", label or array-like of shape (n_samples,), default="other"
            ``"other"``: for each row, whichever label other than its
            prediction is cheapest to reach; a label for every row; or one
            label per row.

        fixed : array-like of int, bool or str, default=None
            Features that must not change: indices, a boolean mask, or
            column names (when fitted on a DataFrame).

        min_proba : float, default=0.5
            The network's probability of the target at the answer is at
            least this, in [0.5, 1).

        plausibility : float, default=1.0
            Weight of the pull into the data (a hinge on the prior's
            log-density); 0 drops it, for sparser and closer answers.

        max_iter : int, default=500
            Iterations of each stage of the solver.

        Returns
        -------
        X_cf : ndarray or DataFrame of shape (n_samples, `n_features_in_`)
            The counterfactuals (a DataFrame with the columns
            ``feature_names_in_`` when fitted on one). Rows already predicted
            as their target come back unchanged; rows without a valid answer
            are NaN, with a warning. Deterministic.
        """
        from sklearn_revnet._counterfactual import counterfactual

        X = to_numpy(X) if namespace(X) is not None else X
        with on_host():
            answers = counterfactual(
                host_model(self),
                X,
                target,
                fixed=fixed,
                min_proba=min_proba,
                plausibility=plausibility,
                max_iter=max_iter,
            )
        return like(answers, self.coefs_[0])


def fit_prior_and_range(clf, X, sample_weight, rng):
    """Fit ``prior_`` and record the training range, from ``X`` alone."""
    rows = X if sample_weight is None else X[sample_weight > 0]
    low, high = rows.min(axis=0), rows.max(axis=0)
    clf.input_min_ = np.ravel(low.toarray() if hasattr(low, "toarray") else low)
    clf.input_max_ = np.ravel(high.toarray() if hasattr(high, "toarray") else high)
    # The mixture's products are small: threads would cost more than they save.
    with single_threaded_blas():
        clf.prior_ = fit_prior(X, sample_weight, clf.prior, rng, clf.verbose)


def network(clf):
    return (clf.coefs_, clf.intercepts_, clf.activation, clf.out_activation_)


def box(clf):
    """The bounds of the classifier's inputs, from ``input_bounds``."""
    n_features = clf.n_features_in_
    bounds = clf.input_bounds
    if isinstance(bounds, str):  # "auto"
        return Box(clf.input_min_, clf.input_max_, n_features)
    if bounds is None:
        return Box(-np.inf, np.inf, n_features)
    return Box(*check_bounds(bounds, n_features), n_features)


def inverse_transform(clf, y, raw=None):
    """The posterior mode for each target row, one L-BFGS-B problem per distinct row.

    The mode in the prior component that holds the most posterior mass: the
    descent starts from that component's mean. (The global maximum of a
    mixture's posterior sits wherever the tightest component peaks: on
    digits, the global mode for the label 0 is a point the network gives a
    0 only 10% to, on a sharp component of 9s.)

    With ``raw`` (a :class:`~sklearn_revnet._fold.RawSpace` with bounds), the
    mode is sought over the raw features of the pipeline instead.
    """
    with single_threaded_blas():  # small products: threads cost more than they save
        return _modes(clf, target_rows(clf, y), raw)


def _modes(clf, targets, raw):
    bounds = box(clf)
    unique, inverse = np.unique(targets, axis=0, return_inverse=True)
    n_features = clf.n_features_in_ if raw is None else raw.n_features
    dtype = clf.coefs_[0].dtype if raw is None else np.float64
    X = np.empty((len(unique), n_features), dtype=dtype)
    for i, target in enumerate(unique):
        posterior = device_posterior(clf, target[None])
        hard = np.all((target == 0) | (target == 1))
        settings = {
            "max_iter": clf.inverse_max_iter,
            "tol": clf.inverse_tol,
            "weights": (1.0,) if hard else _SOFT_WEIGHTS,
            "polish": not hard,
        }
        start = clf.prior_.means_[[heaviest_component(posterior, bounds)]]
        if not hard:
            # A row of probabilities may be reachable from one basin only:
            # every component mean starts, the heaviest first, and fixed
            # draws of the prior.
            draws = sample_prior(clf.prior_, _SOFT_DRAWS, np.random.RandomState(0))
            start = np.vstack([start, clf.prior_.means_, draws])
        if raw is None:
            X[i] = posterior_mode(posterior, start, bounds, **settings)
        else:
            X[i] = raw.mode(posterior, start, **settings)
    return X[inverse.ravel()]


def generate(clf, label, n, random_state, min_proba):
    """``n`` samples of ``p(x | label)``."""
    n = check_n_samples(n)
    if not isinstance(min_proba, Real) or not 0 <= min_proba < 1:
        raise ValueError(f"min_proba must be a number in [0, 1); got {min_proba!r}.")
    target = generate_target(clf, label)
    with single_threaded_blas():  # small products: threads cost more than they save
        X = sample_posterior(
            device_posterior(clf, target),
            n,
            check_random_state(random_state),
            box(clf),
            min_proba=min_proba,
            n_steps=clf.mcmc_steps,
        )
    return X.astype(clf.coefs_[0].dtype, copy=False)


def generate_target(clf, label):
    """The target row of ``generate``: a label, or a label set (multilabel)."""
    multilabel = clf.out_activation_ == "logistic" and clf.n_outputs_ > 1
    if multilabel and np.ndim(label) == 1:
        row = np.asarray(label)
        if row.shape != (clf.n_outputs_,) or not np.all((row == 0) | (row == 1)):
            raise ValueError(
                f"A label set must be a 0/1 indicator row of {clf.n_outputs_} entries; "
                f"got {row.tolist()!r}."
            )
        return row.astype(float)[None]
    if np.ndim(label) != 0:
        raise TypeError(
            f"label must be a single label from classes_; got {type(label).__name__} "
            "(use inverse_transform for several targets)."
        )
    return target_rows(clf, [label])


def target_rows(clf, y):
    """Output-space target rows for labels, probability rows or label sets."""
    y = np.asarray(y, dtype=object if _is_label_list(y) else None)
    if y.ndim == 1:
        index = {label: i for i, label in enumerate(clf.classes_.tolist())}
        labels = [_scalar(label) for label in y.tolist()]
        unknown = [label for label in labels if label not in index]
        if unknown:
            raise ValueError(
                f"Unknown label {unknown[0]!r}; the model knows the labels "
                f"{clf.classes_.tolist()}."
            )
        rows = np.array([index[label] for label in labels], dtype=int)
        if clf.out_activation_ == "softmax":
            return np.eye(len(clf.classes_))[rows]
        if clf.n_outputs_ == 1:
            return (rows == 1).astype(float)[:, None]
        return np.eye(clf.n_outputs_)[rows]
    if y.ndim != 2:
        raise ValueError(
            f"y must be 1-D labels or 2-D target rows; got an array of shape {y.shape}."
        )
    width = len(clf.classes_)
    if y.shape[1] != width:
        raise ValueError(
            f"Target rows must have one column per class ({width}); got {y.shape[1]}."
        )
    try:
        targets = y.astype(float)
    except (TypeError, ValueError):
        raise ValueError("Target rows must be numeric.") from None
    if not np.all((targets >= 0) & (targets <= 1)):  # NaN fails both
        raise ValueError("Target rows must hold probabilities in [0, 1].")
    if clf.out_activation_ == "logistic" and clf.n_outputs_ > 1:
        return targets  # multilabel: one probability per label
    sums = targets.sum(axis=1)
    if not np.allclose(sums, 1, rtol=0, atol=1e-6):
        bad = int(np.argmax(np.abs(sums - 1)))
        raise ValueError(
            f"Target probability rows must sum to 1; row {bad} sums to {sums[bad]:.6g}."
        )
    if len(clf.classes_) == 1:  # the only class is encoded as 0
        return np.zeros((len(targets), 1))
    return targets[:, 1:] if clf.n_outputs_ == 1 else targets


def _is_label_list(y):
    """True for a flat list of labels that numpy should not coerce (mixed types)."""
    return isinstance(y, list | tuple) and all(np.ndim(v) == 0 for v in y)


def _scalar(label):
    """A label given as a 0-d array, as the scalar it holds."""
    return label.item() if isinstance(label, np.ndarray) else label


def check_n_samples(n):
    if isinstance(n, bool) or not isinstance(n, Integral):
        raise TypeError(f"n must be a positive integer; got {n!r}.")
    if n < 1:
        raise ValueError(f"n must be a positive integer; got {n}.")
    return int(n)
