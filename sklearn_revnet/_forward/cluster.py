"""The training objective of blocks persisted on a dask cluster.

The chunks of ``X``, their encoded targets and weights are persisted on the
workers, spread by rows per thread, each block preferably on the worker that
already holds its chunk. Each L-BFGS evaluation sends the parameter vector,
computes the loss and gradient of every block where it lives (with the
in-memory :class:`~sklearn_revnet._forward.objective.TrainingObjective`), and
sums the partial results in a fixed binary tree; the L2 term is added on the
client, where scipy's L-BFGS-B runs.
"""

import sys

import numpy as np

from sklearn_revnet._core.threads import single_threaded_blas
from sklearn_revnet._forward.objective import ParameterLayout, TrainingObjective, add_l2


def persist(X, blocks, binarizer):
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

    The same function as :class:`~sklearn_revnet._forward.objective.TrainingObjective`
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
