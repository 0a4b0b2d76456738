"""Training on a dask.distributed cluster against the in-memory fit, in the same run.

Workload: 1,000,000 x 50 float64 rows, generated chunk by chunk on the
workers (16 chunks of 62,500 rows; the client never holds them while the
cluster fits), labels from a random linear teacher with noise (5 classes);
hidden (64,), relu, ``max_iter=20``, ``random_state=0``, default prior. The
cluster is a ``LocalCluster`` of 2 worker processes with 1 thread each; the
in-memory fit runs on the same machine with its default 2 threads, on the
same rows gathered to the client after the cluster fits are done.

Both fits run the same L-BFGS iterations, so they are compared per
loss-and-gradient evaluation (the median over the fit's evaluations; fits
interleaved, cluster then memory, ``--pairs`` times, the median of the pairs).

Printed: the time per evaluation and the fit time of each, their ratio; the
client's peak of new memory during a cluster fit (``tracemalloc``: numpy
reports its buffers there) against the size of X; and the agreement of the
two fits (iterations, final loss, probabilities on 20,000 rows, prior).
Then a fault: a worker process is killed (SIGKILL) at the 5th
evaluation of a cluster fit; dask recomputes the lost blocks from their graph
and the fit goes on.

Goals: time per evaluation <= 1.3x the in-memory fit's; client memory < 10%
of X; the same iterations, the loss to a relative 1e-9, and the same
predictions.

Run: ``pip install -e ".[dask]"``, then ``python benchmarks/bench_distributed.py [--pairs N]``
"""

import argparse
import os
import signal
import time
import tracemalloc
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from sklearn_revnet import ReversibleMLPClassifier
from sklearn_revnet._forward import cluster, lbfgs

N_ROWS, N_FEATURES, N_CLASSES, CHUNK = 1_000_000, 50, 5, 62_500
PARAMS = {"hidden_layer_sizes": (64,), "activation": "relu", "max_iter": 20, "random_state": 0}


def make_data():
    """X and y as lazy dask arrays: each chunk is generated where it is computed."""
    import dask.array as da

    X = da.random.RandomState(0).standard_normal((N_ROWS, N_FEATURES), chunks=(CHUNK, -1))
    noise = da.random.RandomState(1).standard_normal((N_ROWS, N_CLASSES), chunks=(CHUNK, -1))
    teacher = np.random.RandomState(2).standard_normal((N_FEATURES, N_CLASSES))
    y = da.argmax(X @ teacher + 2.0 * noise, axis=1)
    return X, y


class EvaluationTimer:
    """Times every loss-and-gradient evaluation of the fits run inside it."""

    def __enter__(self):
        self.times = []
        self._original = lbfgs.minimize_lbfgs

        def timed_minimize(fun, x0, **options):
            def timed(x):
                start = time.perf_counter()
                value = fun(x)
                self.times.append(time.perf_counter() - start)
                return value

            return self._original(timed, x0, **options)

        lbfgs.minimize_lbfgs = timed_minimize
        return self

    def __exit__(self, *exc_info):
        lbfgs.minimize_lbfgs = self._original


def timed_fit(X, y):
    """``(fitted classifier, fit seconds, evaluation seconds (median), evaluations)``."""
    with EvaluationTimer() as timer, warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        clf = ReversibleMLPClassifier(**PARAMS).fit(X, y)
        seconds = time.perf_counter() - start
    return clf, seconds, float(np.median(timer.times)), len(timer.times)


def cluster_fit(X, y):
    tracemalloc.start()
    try:
        result = timed_fit(X, y)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return *result, peak


def fault_run(client, X, y, reference):
    """A cluster fit during which a worker process dies at the 5th evaluation."""
    original = cluster.ClusterObjective.__call__
    calls = {"n": 0}
    victim = sorted(client.nthreads())[0]
    pid = client.run(os.getpid, workers=[victim])[victim]

    def dying(objective, theta):
        calls["n"] += 1
        if calls["n"] == 5:
            os.kill(pid, signal.SIGKILL)
        return original(objective, theta)

    cluster.ClusterObjective.__call__ = dying
    try:
        clf, seconds, _, _ = timed_fit(X, y)
    finally:
        cluster.ClusterObjective.__call__ = original
    same = clf.n_iter_ == reference.n_iter_ and abs(clf.loss_ / reference.loss_ - 1) < 1e-9
    print(
        f"\nfault: worker {victim} killed at evaluation 5 of {calls['n']}; the fit completed "
        f"in {seconds:.1f} s with n_iter {clf.n_iter_}, loss {clf.loss_:.12f} "
        f"(relative difference to the undisturbed fit {abs(clf.loss_ / reference.loss_ - 1):.1e}: "
        f"{'the same fit' if same else 'A DIFFERENT FIT'})"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=2, help="cluster/memory fit pairs")
    args = parser.parse_args()

    import dask
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        X, y = dask.persist(*make_data())
        x_bytes = N_ROWS * N_FEATURES * 8
        cluster_runs, memory_runs, X_local = [], [], None
        for _ in range(args.pairs):
            cluster_runs.append(cluster_fit(X, y))
            if X_local is None:  # only now, after the first cluster fit
                X_local, y_local = dask.compute(X, y)
            memory_runs.append(timed_fit(X_local, y_local))

        c_fit = np.median([r[1] for r in cluster_runs])
        c_eval = np.median([r[2] for r in cluster_runs])
        m_fit = np.median([r[1] for r in memory_runs])
        m_eval = np.median([r[2] for r in memory_runs])
        peak = max(r[4] for r in cluster_runs)
        dask_clf, mem_clf = cluster_runs[0][0], memory_runs[0][0]
        print(
            f"{N_ROWS} x {N_FEATURES} float64 ({x_bytes / 1e6:.0f} MB), {N_CLASSES} classes, "
            f"(64,) relu, 20 iterations; LocalCluster of 2 processes x 1 thread; "
            f"{args.pairs} pairs, medians"
        )
        print(f"{'':>10} {'fit s':>8} {'evals':>6} {'s / eval':>9}")
        print(f"{'memory':>10} {m_fit:8.2f} {memory_runs[0][3]:6d} {m_eval:9.3f}")
        print(f"{'cluster':>10} {c_fit:8.2f} {cluster_runs[0][3]:6d} {c_eval:9.3f}")
        print(
            f"overhead per evaluation: {c_eval / m_eval:.2f}x (goal <= 1.3x); "
            f"whole fit: {c_fit / m_fit:.2f}x"
        )
        print(
            f"client peak of new memory during a cluster fit: {peak / 1e6:.1f} MB = "
            f"{peak / x_bytes:.1%} of X (goal < 10%)"
        )
        rows = X_local[:20_000]
        p_mem, p_dask = mem_clf.predict_proba(rows), dask_clf.predict_proba(rows)
        print(
            f"agreement: n_iter {mem_clf.n_iter_} / {dask_clf.n_iter_}; loss "
            f"{mem_clf.loss_:.12f} / {dask_clf.loss_:.12f} (relative difference "
            f"{abs(dask_clf.loss_ / mem_clf.loss_ - 1):.1e}, goal 1e-9); max |p difference| "
            f"{np.abs(p_mem - p_dask).max():.1e} on 20000 rows; same predictions "
            f"{np.mean(p_mem.argmax(1) == p_dask.argmax(1)):.4f}; prior means equal: "
            f"{np.array_equal(mem_clf.prior_.means_, dask_clf.prior_.means_)}"
        )
        fault_run(client, X, y, dask_clf)


if __name__ == "__main__":
    main()
