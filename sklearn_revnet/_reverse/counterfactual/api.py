"""``counterfactual()``: its arguments, the raw space and the best answer per row."""

import warnings
from functools import partial
from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval, validate_params
from sklearn.utils.validation import check_is_fitted, validate_data

from sklearn_revnet._core.caller import warn_at_caller
from sklearn_revnet._core.namespace import weights_dtype
from sklearn_revnet._core.network import check_finite_logits
from sklearn_revnet._core.output import as_frame
from sklearn_revnet._core.threads import single_threaded_blas
from sklearn_revnet._reverse.counterfactual.mixed import (
    MixedRows,
    dtypes_of,
    numbers_to_inputs,
    solve_with_categories,
)
from sklearn_revnet._reverse.counterfactual.problem import CounterfactualSpace, reached
from sklearn_revnet._reverse.counterfactual.solver import counterfactuals, warn_invalid
from sklearn_revnet._reverse.functions import BOUNDS, ESTIMATOR
from sklearn_revnet._reverse.pipeline.fold import RawSpace, affine_map, transform_rows
from sklearn_revnet._reverse.pipeline.unwrap import unwrap
from sklearn_revnet._reverse.targets import check_parameters, classifier_box, explicit_box


@validate_params(
    {
        "estimator": ESTIMATOR,
        "X": ["array-like"],
        "target": "no_validation",  # "other", a label or labels, checked against classes_
        "fixed": ["array-like", None],
        "bounds": BOUNDS,
        "min_proba": [Interval(Real, 0.5, 1, closed="left")],
        "plausibility": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "category_cost": [Interval(Real, 0, None, closed="left")],
    },
    prefer_skip_nested_validation=True,
)
def counterfactual(
    estimator,
    X,
    target="other",
    *,
    fixed=None,
    bounds="auto",
    min_proba=0.5,
    plausibility=1.0,
    max_iter=500,
    category_cost=1.0,
):
    """The nearest plausible inputs that the network assigns to another label.

    For each row of ``X``, the input closest to it in L1 distance, each
    feature scaled by its median absolute deviation, that the network
    assigns to the target with probability at least ``min_proba``, with a
    prior density not below that of the 10% least likely training rows (the
    prior's ``offset_``), within the bounds, and with the ``fixed`` features
    exactly unchanged. Through a pipeline the answer is sought over the raw
    features, through the (affine) earlier steps, so that distances,
    sparsity, bounds and ``fixed`` are all in the user's units; see the user
    guide for the objective and the solver.

    Parameters
    ----------
    estimator : estimator
        A fitted binary or multiclass
        :class:`~sklearn_revnet.ReversibleMLPClassifier`, a fitted
        :class:`~sklearn.pipeline.Pipeline` ending in one whose earlier
        steps are affine (scalers, ``PCA``,
        :class:`~sklearn_revnet.Whitener`), or a fitted search such as
        :class:`~sklearn.model_selection.GridSearchCV`, whose
        ``best_estimator_`` is used.

    X : array-like of shape (n_samples, n_features)
        Rows to explain, in the input space of ``estimator``.

    target : "other", label or array-like of shape (n_samples,), default="other"
        ``"other"``: for each row, whichever label other than its current
        prediction is cheapest to reach; a label: the same target for every
        row; an array: one label per row.

    fixed : array-like of int, bool or str, default=None
        Features that must not change: indices, a boolean mask, or column
        names (for an estimator fitted on a DataFrame). They come back
        exactly as they were.

    bounds : "auto", None or tuple (lo, hi), default="auto"
        Raw-space bounds, as for :func:`generate`. For a bare classifier,
        ``"auto"`` is its own ``input_bounds``, and ``None`` or ``(lo, hi)``
        replace them. ``"auto"`` through a pipeline whose
        first step records no range: with per-feature steps (scalers), the
        classifier's ``input_bounds`` mapped back; otherwise none.

    min_proba : float, default=0.5
        The network's probability of the target at the answer is at least
        this (in [0.5, 1): the target is then the prediction).

    plausibility : float, default=1.0
        Weight of the plausibility term, a squared hinge on the prior's
        log-density below ``offset_``, the 10th percentile of the training
        rows' log-density.
        0 drops it: the answers are then sparser and closer, but may lie
        off the data; larger values pull them further into the data.

    max_iter : int, default=500
        Iterations of each stage of the solver.

    category_cost : float, default=1.0
        The cost of changing one categorical column's category (through a
        pipeline that encodes categories), in the units of the L1/MAD
        distance: 1 costs as much as moving one numeric feature by its
        median absolute deviation. The categories are enumerated: the row's
        own, each single change of a column not ``fixed``, and, for rows no
        single change lets reach the target, each pair of changes; the
        answer is the valid one of least total cost. Answers hold only
        categories seen in training, and fixed categorical columns keep
        theirs.

    Returns
    -------
    X_cf : ndarray or DataFrame of shape (n_samples, n_features)
        The counterfactuals, in the input space of ``estimator`` (a
        DataFrame with its columns when it was fitted on one). A row already
        assigned to its target with probability ``min_proba`` comes back
        unchanged; a row for which no valid answer was found is NaN, with a
        warning. Deterministic.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn_revnet import ReversibleMLPClassifier, counterfactual
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = ReversibleMLPClassifier(hidden_layer_sizes=(10,), random_state=0)
    >>> pipe = make_pipeline(StandardScaler(), clf).fit(X, y)
    >>> X_cf = counterfactual(pipe, X[:3], target=1, fixed=[0])
    >>> pipe.predict(X_cf).tolist()
    [1, 1, 1]
    >>> bool((X_cf[:, 0] == X[:3, 0]).all())
    True
    """
    final, steps = unwrap(estimator)
    check_is_fitted(final)
    check_parameters(final)
    if final.out_activation_ == "logistic" and final.n_outputs_ > 1:
        raise ValueError(
            "counterfactual supports binary and multiclass models; this one is multilabel."
        )
    if len(final.classes_) < 2:
        raise ValueError("counterfactual needs a model of at least two classes.")
    first = steps[0][1] if steps else final
    raw = RawSpace(steps, bounds, final.prior_.means_) if steps else None
    mixed = MixedRows(raw) if raw is not None and raw.encoded.columns else None
    with warnings.catch_warnings():
        # rows given as an array to a model fitted on a DataFrame: their
        # number of columns is checked, and their names are the model's
        warnings.filterwarnings("ignore", message="X does not have valid feature names")
        dtype = None if mixed is not None else np.float64  # categories may be strings
        X0 = validate_data(first, X, reset=False, dtype=dtype, copy=True)
    p = X0.shape[1]
    fixed_mask = _fixed_mask(fixed, first, p)
    with single_threaded_blas():
        if mixed is not None:
            movable = ~fixed_mask[raw.encoded.columns]
            X0, fixed_mask = mixed.numbers(X0), mixed.fixed(fixed_mask)
            numbers = partial(numbers_to_inputs, mixed)
            # the codes are held fixed: only the numeric columns need bounds
            box = classifier_box(final)
            box.lo[mixed.categories.categorical] = -np.inf
            box.hi[mixed.categories.categorical] = np.inf
            lo, hi = _mapped_box(mixed.A, mixed.c, box, numbers)
            space = CounterfactualSpace(final, mixed, mixed.A, mixed.c, lo, hi)
        elif not steps:
            b = explicit_box(final, bounds)
            b = classifier_box(final) if b is None else b
            space = CounterfactualSpace(final, None, None, None, b.lo, b.hi)
        else:
            if raw.lo is not None:
                A, c, lo, hi = raw.A, raw.c, raw.lo, raw.hi
            else:
                unbounded = np.full(p, np.inf)
                try:
                    A, c = affine_map(steps, -unbounded, unbounded)
                except ValueError:
                    names = ", ".join(repr(name) for name, _ in steps)
                    raise ValueError(
                        f"counterfactual needs the pipeline steps before the classifier "
                        f"({names}) to be affine (scalers, PCA, Whitener)."
                    ) from None
                lo, hi = _mapped_box(A, c, classifier_box(final), partial(transform_rows, steps))
            space = CounterfactualSpace(final, raw, A, c, lo, hi)
        proba = space.proba(final, X0)
        check_finite_logits(proba, X0)  # NaN where the network overflowed
        predicted = proba.argmax(axis=1)
        wanted = _target_indices(final, target, len(X0), predicted)
        X_cf = X0.copy()
        valid = np.ones(len(X0), dtype=bool)
        # a row is its own answer only where it already reaches min_proba
        done = reached(proba, predicted, min_proba)
        pairs = [
            (i, t)
            for i, ts in enumerate(wanted)
            if not (done[i] and predicted[i] in ts)
            for t in ts
        ]
        if pairs:
            rows, targets = (np.array(v) for v in zip(*pairs))
            solve = partial(
                counterfactuals,
                final,
                space=space,
                fixed=fixed_mask,
                min_proba=min_proba,
                plausibility=plausibility,
                max_iter=max_iter,
            )
            if mixed is None:
                found, ok = solve(X0[rows], targets)
                distance = np.sum(np.abs(found - X0[rows]) / space.scale, axis=1)
                distance[~ok] = np.inf
            else:
                rows, found, ok, distance = solve_with_categories(
                    solve, mixed, X0, rows, targets, movable, category_cost, space.scale
                )
            for i in np.unique(rows):
                mine = np.flatnonzero(rows == i)
                best = mine[np.argmin(distance[mine])]
                valid[i] = ok[best]
                X_cf[i] = found[best] if ok[best] else np.nan
    warn_invalid(valid)
    if mixed is not None:
        X_cf = dtypes_of(raw.frame(mixed.rows(X_cf)), X, raw.encoded.columns)
    else:
        X_cf = as_frame(X_cf.astype(weights_dtype(final), copy=False), first)
    if hasattr(X_cf, "index") and hasattr(X, "index"):
        X_cf.index = X.index  # row for row with the input
    return X_cf


_MOVES = 64  # trials of a raw bound, moved inward by doubling steps


def _mapped_box(A, c, classifier_box, transform):
    """Raw bounds from the classifier's box, for steps that act feature by feature.

    ``transform`` is the steps' own map, rows to the classifier's inputs: a
    bound mapped back through ``(A, c)`` can land ulps outside the training
    range (``A`` is measured by finite differences), so each finite bound is
    moved inward until ``transform`` puts it strictly inside the box. The
    map is monotone per feature, so the bound is then inside the training
    range exactly, and an answer on it too.
    """
    nonzero = A != 0
    # a scaled permutation: one nonzero per row and per column (so p == q)
    if not (np.all(nonzero.sum(axis=0) == 1) and np.all(nonzero.sum(axis=1) == 1)):
        return np.full(len(A), -np.inf), np.full(len(A), np.inf)
    source = np.argmax(nonzero, axis=0)  # the raw feature behind each input
    a = A[source, np.arange(len(A))]
    bounds = np.empty((2, len(A)))
    # (+-inf - c) / a is infinite: an unbounded side stays unbounded
    bounds[:, source] = np.sort([(classifier_box.lo - c) / a, (classifier_box.hi - c) / a], axis=0)
    # raw lower bounds map to the box's lower side where a > 0, else to its upper
    box = np.array([classifier_box.lo, classifier_box.hi])
    # the k-th trial moves each bound inward by 2**k - 1 of its ulps (doubling
    # steps); all 64 trials go through the steps in one pass, and each bound
    # takes its first trial strictly inside
    moves = 2.0 ** np.arange(_MOVES)[:, None] - 1.0
    for side, inward in ((0, 1.0), (1, -1.0)):
        raw = bounds[side]
        edge = np.where(a > 0, box[side], box[1 - side])
        sign = np.where(a > 0, inward, -inward)  # the inward direction in z
        finite = np.isfinite(raw[source])
        trials = np.tile(raw, (_MOVES, 1))
        trials[:, source] += inward * np.abs(np.spacing(raw[source])) * moves
        z = transform(np.where(np.isfinite(trials), trials, 0.0))
        outside = ~np.isfinite(trials[:, source]) | (sign * (z - edge) <= 0)
        inside = ~outside.all(axis=0)
        chosen = trials[np.argmax(~outside, axis=0), source]
        # a bound that no trial gets inside stays: the map puts it on the box's
        # edge, where 0 (whose ulp is subnormal) can be on the box already
        raw[source] = np.where(finite & inside, chosen, raw[source])
    lo, hi = bounds
    return np.minimum(lo, hi), hi


def _target_indices(clf, target, n, predicted):
    """Per row, the candidate target indices."""
    classes = clf.classes_.tolist()
    if isinstance(target, str) and target == "other":
        if "other" in classes:
            warn_at_caller(
                "target='other' means, for each row, the cheapest label other than its "
                "prediction, not the model's class named 'other'; to target that class for "
                "every row, pass target=['other'] * n_rows."
            )
        every = np.arange(len(classes))
        return [every[every != p] for p in predicted]
    labels = [target] * n if np.ndim(target) == 0 else list(np.asarray(target, dtype=object))
    if len(labels) != n:
        raise ValueError(f"target has {len(labels)} labels for {n} rows of X.")
    unknown = [label for label in labels if label not in classes]
    if unknown:
        raise ValueError(
            f"Unknown target label {unknown[0]!r}; the model knows the labels {classes}."
        )
    return [np.array([classes.index(label)]) for label in labels]


def _fixed_mask(fixed, first, p):
    """``fixed`` (indices, mask or column names) as a boolean mask of the raw features."""
    mask = np.zeros(p, dtype=bool)
    if fixed is None:
        return mask
    values = np.asarray(list(fixed) if isinstance(fixed, set | frozenset) else fixed)
    if values.size == 0:  # nothing fixed
        return mask
    if values.dtype == bool:
        if values.shape != (p,):
            raise ValueError(f"A boolean fixed mask needs {p} entries; got {values.shape}.")
        return values.copy()
    if values.dtype.kind in "OUS":
        names = getattr(first, "feature_names_in_", None)
        if names is None:
            raise ValueError(
                "fixed holds column names, but the estimator was not fitted on a DataFrame."
            )
        names = list(names)
        missing = [v for v in values.ravel().tolist() if v not in names]
        if missing:
            raise ValueError(f"Unknown fixed column {missing[0]!r}; the columns are {names}.")
        mask[[names.index(v) for v in values.ravel().tolist()]] = True
        return mask
    if values.dtype.kind not in "iu":
        raise TypeError("fixed must be feature indices, a boolean mask or column names.")
    if np.any((values < -p) | (values >= p)):
        raise ValueError(f"fixed indices must be in [-{p}, {p}); got {values.tolist()}.")
    mask[values] = True
    return mask
