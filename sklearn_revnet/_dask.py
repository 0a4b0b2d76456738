"""Fitting and predicting on dask arrays: the rows stay where they are.

When ``X`` is a :class:`dask.array.Array`, :meth:`ReversibleMLPClassifier.fit
<sklearn_revnet.ReversibleMLPClassifier.fit>` comes here. The data never
travel to the client:

1. One pass over the chunks gathers what the model needs besides the weights:
   the labels present, each feature's range, the sample-weight totals, and
   whether every value is finite.
2. A second pass fetches the rows the input prior is fitted on: the same
   systematic resample of at most ``MAX_ROWS`` rows that an in-memory fit
   takes, with the same random numbers, so both fits get the same prior.
3. The chunks, their encoded targets and weights are persisted on the workers
   (one block per row chunk). Each L-BFGS evaluation sends the parameter
   vector, computes the loss and gradient of every block where it lives (with
   the in-memory code, :class:`~sklearn_revnet._training.TrainingObjective`),
   and sums the partial results in a fixed binary tree; scipy's L-BFGS-B and
   the L2 term run on the client.

The loss is the in-memory one, summed in another order, so the two fits
follow the same L-BFGS iterations to rounding. dask is imported only here, and
this module only when a dask array is passed.
"""

import sys
import warnings

import numpy as np
from sklearn.utils.validation import check_is_fitted

from sklearn_revnet._prior import MAX_ROWS, fit_prior_on_rows, resample_positions
from sklearn_revnet._training import (
    ParameterLayout,
    TrainingObjective,
    add_l2,
    encode_targets,
    fit_weights,
    single_threaded_blas,
)

_FLOAT_DTYPES = (np.float64, np.float32)


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


def fit(clf, X, y, sample_weight, hidden, warm):
    """Fit ``clf`` on a dask array ``X`` (``y``, ``sample_weight``: dask or in memory)."""
    X = _check_array(clf, X, reset=not warm)
    blocks = _Blocks(X, y, sample_weight)
    summary = _first_pass(blocks, X.shape[1], X.dtype)
    Y = encode_targets(clf, None, summary["y_standin"], None, warm)[0]
    layer_units, coefs, intercepts, rng = clf._network_start(hidden, Y.shape[1], X.dtype, warm)
    clf.input_min_, clf.input_max_ = summary["low"], summary["high"]
    prior_rows = _prior_rows(blocks, summary, rng)
    with single_threaded_blas():  # the mixture's products are small
        clf.prior_ = fit_prior_on_rows(prior_rows, clf.prior, rng, clf.verbose)
    objective = ClusterObjective(
        _persist(X, blocks, clf._label_binarizer),
        layer_units,
        clf.activation,
        clf.out_activation_,
        clf.alpha,
        summary["w_total"] if blocks.weighted else float(X.shape[0]),
        X.dtype,
    )
    clf.coefs_, clf.intercepts_, clf.n_iter_, clf.loss_ = fit_weights(
        clf, X, None, y, sample_weight, layer_units, coefs, intercepts, objective, depth=1
    )
    return clf


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
    :func:`~sklearn_revnet._prior.fit_prior`).
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


def _persist(X, blocks, binarizer):
    """The blocks persisted, in groups evaluated one task each, spread evenly over the workers.

    An evaluation lasts as long as its busiest worker, so each worker gets a
    share of the rows in proportion to its threads. A block stays on the worker
    that already holds its chunk of ``X`` unless that worker has its share; the
    rest go to the least loaded workers.
    """
    import dask

    binarizer = dask.delayed(binarizer, pure=True)
    rows, x_keys = blocks.rows, [x.key for x in blocks.x]
    blocks = [
        dask.delayed(_training_block)(x, y, w, binarizer)
        for x, y, w in zip(blocks.x, blocks.y, blocks.w)
    ]
    client = _distributed_client()
    if client is None:  # dask's local schedulers
        return [[block] for block in dask.persist(*blocks)]
    import distributed

    futures = distributed.futures_of(X)
    holders = {}
    if futures:  # X is persisted: where is each chunk?
        distributed.wait(futures)
        holders = client.who_has(futures)
    threads = client.nthreads()
    share = {w: sum(rows) * n / sum(threads.values()) for w, n in threads.items()}
    load = dict.fromkeys(threads, 0)
    placed = [None] * len(blocks)
    for i, key in enumerate(x_keys):
        for w in holders.get(key, ()):
            if w in load and load[w] + rows[i] <= share[w]:
                placed[i] = w
                load[w] += rows[i]
                break
    for i in range(len(blocks)):
        if placed[i] is None:
            placed[i] = min(load, key=lambda w: load[w] / threads[w])
            load[placed[i]] += rows[i]
    groups = []
    for w in sorted(threads):
        mine = [blocks[i] for i in range(len(blocks)) if placed[i] == w]
        if mine:
            # a preference: if the worker dies, its blocks are recomputed elsewhere
            groups.append(client.persist(mine, workers=[w], allow_other_workers=True))
    return groups


def _distributed_client():
    """The distributed client that ``dask.compute`` uses now, if any."""
    distributed = sys.modules.get("distributed")
    if distributed is None:
        return None
    import dask.base

    try:
        client = distributed.default_client()
    except ValueError:
        return None
    scheduler = dask.base.get_scheduler()
    return client if getattr(scheduler, "__self__", None) is client else None


class ClusterObjective:
    """``theta -> (loss, gradient)`` of the blocks held on the cluster.

    The same function as :class:`~sklearn_revnet._training.TrainingObjective`
    of all the rows: each group of blocks (one group per worker, on that
    worker) computes its share of the data term, scaled by the total weight of
    all the rows; the shares are summed in a fixed binary tree, and the L2
    term is added here, on the client.
    """

    def __init__(
        self,
        groups,
        layer_units,
        activation,
        out_activation,
        alpha,
        weight_sum,
        dtype,
    ):
        self.groups = groups
        self.layout = ParameterLayout(layer_units)
        self.dtype = np.dtype(dtype)
        self.alpha_scaled = alpha / weight_sum
        self._spec = (layer_units, activation, out_activation, weight_sum)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        pass

    def __call__(self, theta):
        import dask

        params = dask.delayed(np.array(theta, dtype=self.dtype), pure=True)
        parts = [dask.delayed(_group_loss)(group, params, self._spec) for group in self.groups]
        loss, grad = dask.compute(_tree_sum(parts))[0]
        coefs, _ = self.layout.views(np.asarray(theta, dtype=self.dtype))
        loss = add_l2(loss, coefs, self.layout.views(grad)[0], self.alpha_scaled)
        return loss, grad


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
    if X.dtype not in _FLOAT_DTYPES:
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


def _training_block(X, y, w, binarizer):
    """One block as the objective needs it: rows, encoded targets, weights."""
    return X, binarizer.transform(y).astype(X.dtype), w


def _group_loss(group, params, spec):
    """The blocks' share of the data term (no L2), and its gradient in float64."""
    layer_units, activation, out_activation, weight_sum = spec
    total_loss, total_grad = 0.0, np.zeros(params.size)
    with single_threaded_blas():  # one task per thread of the worker
        for X, Y, w in group:
            objective = TrainingObjective(
                X, Y, w, layer_units, activation, out_activation, 0.0, weight_sum=weight_sum
            )
            loss, grad = objective(params)
            total_loss += loss
            total_grad += grad
    return total_loss, total_grad


def _add(a, b):
    return a[0] + b[0], a[1] + b[1]


def _tree_sum(parts):
    """Pairwise sums of delayed ``(loss, grad)`` pairs, in a fixed order."""
    import dask

    while len(parts) > 1:
        pairs = [dask.delayed(_add)(a, b) for a, b in zip(parts[::2], parts[1::2])]
        parts = pairs + parts[len(pairs) * 2 :]
    return parts[0]
