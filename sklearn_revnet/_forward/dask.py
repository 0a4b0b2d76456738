"""Fitting and predicting on dask arrays: the rows stay where they are.

When ``X`` is a :class:`dask.array.Array`, the fit skeleton
(:mod:`sklearn_revnet._forward.fit`) takes :class:`OnCluster` as its backend.
The data never travel to the client:

1. One pass over the chunks gathers what the model needs besides the weights:
   the labels present, each feature's range, the sample-weight totals, and
   whether every value is finite.
2. A second pass fetches the rows the input prior is fitted on: the same
   systematic resample of at most ``MAX_ROWS`` rows that an in-memory fit
   takes, with the same random numbers, so both fits get the same prior.
3. The chunks, their encoded targets and weights are persisted on the workers
   (one block per row chunk), where each L-BFGS evaluation computes their
   loss and gradient (:mod:`~sklearn_revnet._forward.cluster`).

The loss is the in-memory one, summed in another order, so the two fits
follow the same L-BFGS iterations to rounding. dask is imported only here, and
this module only when a dask array is passed.
"""

import sys
import warnings

import numpy as np
from sklearn.utils.validation import check_is_fitted

from sklearn_revnet._core.checks import FLOAT_DTYPES
from sklearn_revnet._core.prior import MAX_ROWS, resample_positions
from sklearn_revnet._forward.cluster import ClusterObjective, persist
from sklearn_revnet._forward.start import encode_targets


def is_dask_collection(X):
    """Whether ``X`` is a dask array, without importing dask.

    Any other dask collection (a DataFrame, a Series, a bag, a delayed
    object) raises a TypeError: the estimator takes arrays.
    """
    module = type(X).__module__
    if not module.startswith("dask.") and module != "dask":
        return False
    array = sys.modules.get("dask.array")
    if array is not None and isinstance(X, array.Array):
        return True
    raise TypeError(
        f"ReversibleMLPClassifier takes dask arrays, not {type(X).__name__}; "
        "convert a dask DataFrame or Series with .to_dask_array(lengths=True)."
    )


class OnCluster:
    """The backend of a dask array ``X`` (see :class:`~sklearn_revnet._forward.fit.InMemory`).

    ``y`` and ``sample_weight`` may be dask arrays or in memory.
    """

    def __init__(self, estimator, X, y, sample_weight, warm):
        self.X = _check_array(estimator, X, reset=not warm)
        self.y, self.sample_weight, self.dtype = y, sample_weight, self.X.dtype
        self.blocks = _Blocks(self.X, y, sample_weight)
        self.summary = _first_pass(self.blocks, self.X.shape[1], self.X.dtype)
        Y = encode_targets(estimator, None, self.summary["y_standin"], None, warm)[0]
        self.n_outputs = Y.shape[1]

    def input_range(self):
        return self.summary["low"], self.summary["high"]

    def prior_rows(self, rng):
        return _prior_rows(self.blocks, self.summary, rng)

    def objective(self, estimator, layer_units):
        summary, weighted = self.summary, self.blocks.weighted
        return ClusterObjective(
            persist(self.X, self.blocks, estimator._label_binarizer),
            layer_units,
            estimator.activation,
            estimator.out_activation_,
            estimator.alpha,
            summary["w_total"] if weighted else float(self.X.shape[0]),
            self.X.dtype,
        )

    def weights(self, coefs, intercepts):
        return coefs, intercepts


class _Blocks:
    """The non-empty row chunks of X, y and the sample weights, as delayed objects."""

    def __init__(self, X, y, sample_weight):
        chunks = X.chunks[0]
        y = _as_rows(y, chunks, "y")
        self.y_shape = y.shape
        y_blocks = _delayed_rows(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y_blocks = [block[:, 0] for block in y_blocks]
        self.weighted = sample_weight is not None
        w_blocks = [None] * len(chunks)
        if self.weighted:
            if np.ndim(sample_weight) == 0:
                sample_weight = np.full(X.shape[0], sample_weight, dtype=X.dtype)
            w = _as_rows(sample_weight, chunks, "sample_weight").astype(X.dtype)
            w_blocks = _delayed_rows(w)
        keep = [i for i, n in enumerate(chunks) if n > 0]  # in order
        x_blocks = _delayed_rows(X)
        self.x = [x_blocks[i] for i in keep]
        self.y = [y_blocks[i] for i in keep]
        self.w = [w_blocks[i] for i in keep]
        self.rows = [chunks[i] for i in keep]


def _first_pass(blocks, n_features, dtype):
    """Labels, ranges, weight totals and finiteness of all the blocks, in one pass."""
    import dask

    summaries = dask.compute(*map(dask.delayed(_summarize), blocks.x, blocks.y, blocks.w))
    summary = _combine(summaries, blocks.y_shape, n_features, dtype)
    if not summary["finite"]:
        raise ValueError("Input X contains NaN or infinity.")
    if blocks.weighted:
        if summary["w_min"] < 0 or not np.isfinite(summary["w_total"]):
            raise ValueError("sample_weight must be finite and non-negative.")
        if not summary["w_total"] > 0:
            raise ValueError("sample_weight must have at least one positive entry.")
    return summary


def _prior_rows(blocks, summary, rng):
    """The rows an in-memory fit would fit the prior on, drawn with the same numbers.

    At most ``MAX_ROWS``: all the rows if there are no more and their weights
    are equal, else a systematic resample (see
    :func:`~sklearn_revnet._core.prior.fit_prior`).
    """
    import dask

    n_samples = sum(blocks.rows)
    unequal = blocks.weighted and summary["w_max"] > summary["w_min"]
    if not unequal and n_samples <= MAX_ROWS:
        return np.concatenate(dask.compute(*blocks.x))
    if blocks.weighted:
        ends = np.cumsum(summary["w_cumsum_ends"])
        starts, total = np.concatenate([[0.0], ends[:-1]]), ends[-1]
    else:  # equal weights: row i spans [i, i + 1)
        starts, total = np.cumsum([0, *blocks.rows[:-1]]), float(n_samples)
    positions = resample_positions(total, min(n_samples, MAX_ROWS), rng)
    parts = []
    for k, (x, w) in enumerate(zip(blocks.x, blocks.w)):
        end = starts[k + 1] if k + 1 < len(starts) else np.inf
        mine = positions[(positions >= starts[k]) & (positions < end)]
        if mine.size:
            parts.append(dask.delayed(_draw)(x, w, mine, starts[k]))
    return np.concatenate(dask.compute(*parts))


def predict(clf, X, method):
    """``clf.<method>(X)`` for a dask array ``X``: a lazy dask array, block by block."""
    check_is_fitted(clf)
    X = _check_array(clf, X, reset=False)
    with warnings.catch_warnings():  # a one-row probe for the output's shape and dtype
        warnings.simplefilter("ignore")
        probe = getattr(clf, method)(np.zeros((1, X.shape[1]), dtype=X.dtype))
    if probe.ndim == 1:
        return X.map_blocks(
            _apply, clf, method, drop_axis=1, chunks=(X.chunks[0],), meta=probe[:0]
        )
    return X.map_blocks(
        _apply, clf, method, chunks=(X.chunks[0], (probe.shape[1],)), meta=probe[:0]
    )


def _apply(X, clf, method):
    return getattr(clf, method)(X)


def _check_array(clf, X, reset):
    """A 2-D float dask array of known row chunks, one chunk across the features."""
    if X.ndim != 2:
        raise ValueError(f"Expected a 2-D array; got a {X.ndim}-D dask array.")
    if any(np.isnan(n) for n in X.chunks[0]):
        raise ValueError("X has chunks of unknown size; call X.compute_chunk_sizes() first.")
    if X.shape[0] < 1 or X.shape[1] < 1:
        raise ValueError(f"X must have at least one row and one feature; got shape {X.shape}.")
    if X.dtype not in FLOAT_DTYPES:
        if X.dtype.kind not in "biuf":
            raise ValueError(f"X must hold numbers; got dtype {X.dtype}.")
        X = X.astype(np.float64)
    if X.numblocks[1] > 1:
        X = X.rechunk({1: -1})
    if reset:
        clf.n_features_in_ = X.shape[1]
        if hasattr(clf, "feature_names_in_"):
            del clf.feature_names_in_
    elif X.shape[1] != clf.n_features_in_:
        raise ValueError(
            f"X has {X.shape[1]} features, but {type(clf).__name__} is expecting "
            f"{clf.n_features_in_} features as input."
        )
    return X


def _as_rows(a, rows, name):
    """``a`` as a dask array chunked along its first axis like ``X``'s rows."""
    import dask.array as da

    if not is_dask_collection(a):
        a = np.asarray(a)
    if a.ndim not in (1, 2) or a.shape[0] != sum(rows):
        raise ValueError(
            f"{name} must have one entry per row of X ({sum(rows)}); got shape {a.shape}."
        )
    chunks = (rows,) + tuple((n,) for n in a.shape[1:])
    return a.rechunk(chunks) if is_dask_collection(a) else da.from_array(a, chunks=chunks)


def _delayed_rows(a):
    """The row chunks of ``a`` (one chunk across its columns) as delayed objects."""
    return list(a.to_delayed().reshape(a.numblocks[0], -1)[:, 0])


def _summarize(X, y, w):
    """What pass 1 needs from one block: labels, range, weights, finiteness."""
    summary = {"finite": bool(np.isfinite(X).all()), "labels": np.unique(y)}
    rows = X
    if w is not None:
        cumsum = np.cumsum(w, dtype=np.float64)
        summary.update(
            w_total=float(np.sum(w, dtype=np.float64)),
            w_min=float(w.min()),
            w_max=float(w.max()),
            w_cumsum_end=float(cumsum[-1]),  # the block's end on the cumulative weight
        )
        rows = X[w > 0]
    if len(rows):
        summary["low"], summary["high"] = rows.min(axis=0), rows.max(axis=0)
    return summary


def _combine(summaries, y_shape, n_features, dtype):
    """The blocks' summaries as one; ``y_standin``: a small ``y`` of the same type."""
    labels = np.unique(np.concatenate([s["labels"] for s in summaries]))
    if len(y_shape) == 2 and y_shape[1] > 1:
        y_standin = np.resize(labels, (max(2, labels.size), y_shape[1]))
    elif len(y_shape) == 2:
        y_standin = labels[:, None]
    else:
        y_standin = labels
    low = [s["low"] for s in summaries if "low" in s]
    high = [s["high"] for s in summaries if "high" in s]
    combined = {
        "finite": all(s["finite"] for s in summaries),
        "y_standin": y_standin,
        "low": np.min(low, axis=0) if low else np.full(n_features, np.inf, dtype),
        "high": np.max(high, axis=0) if high else np.full(n_features, -np.inf, dtype),
    }
    if "w_total" in summaries[0]:
        combined.update(
            w_total=float(sum(s["w_total"] for s in summaries)),
            w_min=min(s["w_min"] for s in summaries),
            w_max=max(s["w_max"] for s in summaries),
            w_cumsum_ends=[s["w_cumsum_end"] for s in summaries],
        )
    return combined


def _draw(X, w, positions, start):
    """The rows of one block at the resample's ``positions`` (as in the in-memory fit)."""
    if w is None:  # equal weights: row i spans [i, i + 1)
        index = np.floor(positions - start).astype(np.intp)
    else:
        index = np.searchsorted(start + np.cumsum(w, dtype=np.float64), positions, side="right")
    return X[np.minimum(index, len(X) - 1)]
