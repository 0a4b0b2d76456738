"""Training speed against scikit-learn's lbfgs MLP, measured in the same run.

Both estimators get the same data, architecture, ``random_state`` and
``max_iter``, so they run the same L-BFGS iterations (the differential test
proves the fits agree); the difference is the cost of one loss-and-gradient
evaluation. Fits are interleaved (sklearn, ours, sklearn, ours, ...) and the
median of the pairs is reported.

For each workload the script prints both fit times, the ratio ours/sklearn,
both test accuracies, and our time per loss-and-gradient evaluation against
the "floor": the matrix products of one forward and backward pass, timed
alone on the same shapes with preallocated outputs.

Workloads:

(a) ``make_classification(n_samples=20000, n_features=100, n_informative=40,
    n_classes=5, random_state=0)``, hidden (256, 128), relu, ``max_iter=30``;
(b) digits, standardized, hidden (64,), tanh, ``alpha=1e-2``, ``max_iter=200``;
(c) workload (a) in float32, against scikit-learn on the same float32 input.

The timed fits use ``prior="diagonal"``, so that the ratio compares the same
work: training the network. A default fit (``prior="auto"``) is timed too
("default s"): the input prior is fitted at its first use, so it costs
nothing here.

Goals: ratio (a) <= 0.5, (b) <= 0.8, (c) <= 0.3; test accuracy within 0.01 of
scikit-learn's; on (a), time per evaluation <= 1.3x the floor.

Then, on workload (b), what a forward-only user pays, interleaved pairs
against scikit-learn again (median):

- a default ``fit`` then ``predict`` against scikit-learn's ``fit`` (goal:
  ratio <= 1.5);
- ``GridSearchCV`` over ``alpha`` in (1e-4, 1e-3, 1e-2, 1e-1), 5 folds, with
  the default estimator, against the same search of scikit-learn's (goal:
  ratio <= 1.3).

Last, the time to fit the input prior of ``bench_inversion.py``'s pipeline
(its first use; printed) and then to generate its 500 digit samples (goal <=
0.5 s).

Run: ``python benchmarks/bench_training.py [--pairs N]``
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.datasets import load_digits, make_classification
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import LabelBinarizer, StandardScaler

from sklearn_revnet import ReversibleMLPClassifier, generate
from sklearn_revnet._core.initializers import initialize
from sklearn_revnet._core.threads import blas_threads
from sklearn_revnet._forward.objective import TrainingObjective


def workload_a(dtype=np.float64):
    X, y = make_classification(
        n_samples=20000, n_features=100, n_informative=40, n_classes=5, random_state=0
    )
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    params = {"hidden_layer_sizes": (256, 128), "activation": "relu", "max_iter": 30}
    return X_train.astype(dtype), X_test.astype(dtype), y_train, y_test, params


def workload_b():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)
    scaler = StandardScaler().fit(X_train)
    params = {"hidden_layer_sizes": (64,), "activation": "tanh", "alpha": 1e-2, "max_iter": 200}
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test, params


WORKLOADS = {
    "(a) 20000x100, (256, 128) relu": (workload_a, 0.5),
    "(b) digits, (64,) tanh": (workload_b, 0.8),
    "(c) (a) in float32": (lambda: workload_a(np.float32), 0.3),
}


def timed_fit(estimator, X, y):
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator.fit(X, y)
    return time.perf_counter() - start


def median_time(function, repeats=7):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def evaluation_and_floor(X, y, params):
    """Median seconds of one loss-and-gradient evaluation, and of its matmuls alone."""
    units = [X.shape[1], *params["hidden_layer_sizes"], len(np.unique(y))]
    Y = LabelBinarizer().fit_transform(y)
    objective = TrainingObjective(
        X,
        Y,
        None,
        units,
        params["activation"],
        "softmax",
        params.get("alpha", 1e-4),
        n_workers=blas_threads(),
    )
    coefs, intercepts = initialize(
        "glorot_uniform", units, np.random.RandomState(0), params["activation"], X.dtype
    )
    theta = objective.layout.pack(coefs, intercepts)
    with objective:  # as in fit: its worker threads, single-threaded BLAS
        objective(theta)  # warm up
        per_evaluation = median_time(lambda: objective(theta))

    # The floor: the products of one forward and backward pass, outputs
    # preallocated, with BLAS's own threads.
    n = X.shape[0]
    acts = [X] + [np.ones((n, u), dtype=X.dtype) for u in units[1:]]
    deltas = [np.ones((n, u), dtype=X.dtype) for u in units[1:]]
    grads = [np.empty_like(c) for c in coefs]

    def matmuls():
        for i, W in enumerate(coefs):
            np.matmul(acts[i], W, out=acts[i + 1])
        for i in range(len(coefs) - 1, -1, -1):
            np.matmul(acts[i].T, deltas[i], out=grads[i])
            if i > 0:
                np.matmul(deltas[i], coefs[i].T, out=deltas[i - 1])

    matmuls()
    return per_evaluation, median_time(matmuls)


def generation_seconds():
    """Seconds to fit the prior (its first use), then to generate 500 digit samples."""
    X, y = load_digits(return_X_y=True)
    X_train, _, y_train, _ = train_test_split(X, y, random_state=0, stratify=y)
    pipe = make_pipeline(
        PCA(n_components=20, whiten=True), ReversibleMLPClassifier(random_state=0)
    )
    pipe.fit(X_train, y_train)
    start = time.perf_counter()
    _ = pipe[-1].prior_  # fitted at its first use
    prior_seconds = time.perf_counter() - start
    start = time.perf_counter()
    with warnings.catch_warnings():  # the PCA records no raw range: timed as it is
        warnings.filterwarnings("ignore", "The raw-space bounds are unknown", UserWarning)
        for label in range(10):
            generate(pipe, label, 50, random_state=label)
    return prior_seconds, time.perf_counter() - start


def forward_only(pairs):
    """Workload (b): a default fit and predict, and a grid search, against scikit-learn's."""
    X_train, X_test, y_train, _, params = workload_b()
    grid = {"alpha": [1e-4, 1e-3, 1e-2, 1e-1]}
    rows = {"default fit + predict": ([], []), "GridSearchCV, 4 alphas x 5 folds": ([], [])}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for _ in range(pairs):
            theirs, ours = rows["default fit + predict"]
            ref = MLPClassifier(solver="lbfgs", random_state=0, **params)
            theirs.append(timed_fit(ref, X_train, y_train))
            start = time.perf_counter()
            ReversibleMLPClassifier(random_state=0, **params).fit(X_train, y_train).predict(X_test)
            ours.append(time.perf_counter() - start)
            theirs, ours = rows["GridSearchCV, 4 alphas x 5 folds"]
            ref = MLPClassifier(solver="lbfgs", random_state=0, **params)
            theirs.append(timed_fit(GridSearchCV(ref, grid, cv=5), X_train, y_train))
            clf = ReversibleMLPClassifier(random_state=0, **params)
            ours.append(timed_fit(GridSearchCV(clf, grid, cv=5), X_train, y_train))
    return {name: (np.median(t), np.median(o)) for name, (t, o) in rows.items()}


def main(pairs):
    results = []
    for name, (load, goal) in WORKLOADS.items():
        X_train, X_test, y_train, y_test, params = load()
        theirs, ours = [], []
        for _ in range(pairs):
            ref = MLPClassifier(solver="lbfgs", random_state=0, **params)
            theirs.append(timed_fit(ref, X_train, y_train))
            clf = ReversibleMLPClassifier(random_state=0, prior="diagonal", **params)
            ours.append(timed_fit(clf, X_train, y_train))
        default = ReversibleMLPClassifier(random_state=0, **params)
        default_seconds = timed_fit(default, X_train, y_train)
        per_evaluation, floor = evaluation_and_floor(X_train, y_train, params)
        results.append(
            {
                "name": name,
                "goal": goal,
                "sklearn": np.median(theirs),
                "ours": np.median(ours),
                "default": default_seconds,
                "acc_sklearn": ref.score(X_test, y_test),
                "acc_ours": clf.score(X_test, y_test),
                "n_iter": (ref.n_iter_, clf.n_iter_),
                "per_evaluation": per_evaluation,
                "floor": floor,
            }
        )

    print(
        f"{'workload':32s}{'sklearn s':>10s}{'ours s':>8s}{'ratio':>7s}{'goal':>6s}"
        f"{'acc sk':>8s}{'acc ours':>9s}{'iters':>9s}{'eval ms':>9s}{'floor ms':>9s}"
        f"{'x floor':>8s}{'default s':>10s}"
    )
    all_met = True
    for r in results:
        ratio = r["ours"] / r["sklearn"]
        x_floor = r["per_evaluation"] / r["floor"]
        met = ratio <= r["goal"] and abs(r["acc_ours"] - r["acc_sklearn"]) <= 0.01
        if r["name"].startswith("(a)"):
            met = met and x_floor <= 1.3
        all_met &= met
        print(
            f"{r['name']:32s}{r['sklearn']:10.3f}{r['ours']:8.3f}{ratio:7.2f}{r['goal']:6.1f}"
            f"{r['acc_sklearn']:8.3f}{r['acc_ours']:9.3f}{'{}/{}'.format(*r['n_iter']):>9s}"
            f"{1e3 * r['per_evaluation']:9.2f}{1e3 * r['floor']:9.2f}{x_floor:8.2f}"
            f"{r['default']:10.3f}"
            f"  {'met' if met else 'MISSED'}"
        )
    print(f"\n{'workload (b), forward only':36s}{'sklearn s':>10s}{'ours s':>8s}{'ratio':>7s}")
    for (name, (theirs, ours)), goal in zip(forward_only(pairs).items(), (1.5, 1.3)):
        met = ours / theirs <= goal
        all_met &= met
        print(
            f"{name:36s}{theirs:10.3f}{ours:8.3f}{ours / theirs:7.2f}  (goal <= {goal}) "
            f"{'met' if met else 'MISSED'}"
        )
    prior_seconds, seconds = generation_seconds()
    print(f"\nfit the input prior of bench_inversion.py's pipeline: {prior_seconds:.3f} s")
    print(f"generate 500 digit samples: {seconds:.3f} s (goal <= 0.5 s)")
    all_met &= seconds <= 0.5
    print("all goals met" if all_met else "some goals MISSED")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=3, help="interleaved fit pairs (>= 3)")
    main(parser.parse_args().pairs)
