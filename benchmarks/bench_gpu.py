"""Training speed on a GPU (array API, torch) against scikit-learn's lbfgs MLP on the CPU.

Under ``sklearn.set_config(array_api_dispatch=True)``, ``ReversibleMLPClassifier``
fitted on torch tensors computes the forward and backward passes in torch on
the tensors' device, while scipy's L-BFGS-B runs on the host (one round trip of
the parameter vector and gradient per evaluation). With the same data,
architecture, ``random_state`` and ``max_iter`` it runs the same L-BFGS
iterations as scikit-learn's ``MLPClassifier(solver="lbfgs")``, so the ratio of
the fit times is the speed-up of one loss-and-gradient evaluation.

For each workload the script times scikit-learn on the CPU (numpy float64, all
cores, threads not limited), then ours on ``torch.asarray(X, device=device)``
in float64 and, in a second row, in float32. The host-to-device copy of the
data is made before the clock starts; after a CUDA fit the clock stops after
``torch.cuda.synchronize()``. One small untimed fit of ours on the device comes
first (CUDA context start-up). Each time is the median of ``--repeats`` fits.
Printed: both fit times, the speed-up (sklearn seconds / our seconds), both
``n_iter_``, both final ``loss_`` and their relative difference (the float32
row is compared with scikit-learn's float64 loss). ConvergenceWarning is
silenced: both estimators stop at ``max_iter`` by design.

Our timed fits use ``prior="diagonal"``, whose fit takes milliseconds, so that
the time compared is training the network (our ``fit`` also fits the input
prior that the reverse direction needs, which scikit-learn does not).

Workloads (both standardized with ``StandardScaler``, default ``alpha`` and
``tol``, ``random_state=0``):

(a) ``make_classification(n_samples=20000, n_features=100, n_informative=40,
    n_classes=5, random_state=0)``, hidden (256, 128), relu, ``max_iter=30``;
(b) ``make_classification(n_samples=200000, n_features=784, n_informative=100,
    n_classes=10, random_state=0)`` in float64 (generating it takes a while),
    hidden (512, 256), relu, ``max_iter=10``.

Goals, on a GPU, float64: speed-up >= 20x on (a) and >= 50x on (b).

Without torch, or when ``torch.cuda.is_available()`` is False and no
``--device`` is given, the script says so and exits with status 0.
``--device cpu`` runs the same comparison on CPU torch tensors: a smoke test of
the script; its ratios are not the goal.

Needs scipy >= 1.14 and ``SCIPY_ARRAY_API=1`` before scipy or scikit-learn is
imported (set here unless already set).

Run: ``python benchmarks/bench_gpu.py [--device cuda|cpu] [--workloads a b] [--repeats N]``
"""

import os

os.environ.setdefault("SCIPY_ARRAY_API", "1")

import argparse
import time
import warnings

import numpy as np

# scipy, scikit-learn and sklearn_revnet are imported inside the functions,
# after the torch check in main(): without a GPU the script exits at once, and
# it still exits cleanly when torch is blocked with sys.modules["torch"] = None
# (scipy's array-api-compat then fails on import).

WORKLOADS = {
    "a": {
        "name": "(a) 20000x100, (256, 128) relu",
        "data": {
            "n_samples": 20000,
            "n_features": 100,
            "n_informative": 40,
            "n_classes": 5,
            "random_state": 0,
        },
        "params": {"hidden_layer_sizes": (256, 128), "activation": "relu", "max_iter": 30},
        "goal": 20.0,
    },
    "b": {
        "name": "(b) 200000x784, (512, 256) relu",
        "data": {
            "n_samples": 200000,
            "n_features": 784,
            "n_informative": 100,
            "n_classes": 10,
            "random_state": 0,
        },
        "params": {"hidden_layer_sizes": (512, 256), "activation": "relu", "max_iter": 10},
        "goal": 50.0,
    },
}


def import_torch():
    """The torch module, or None when it cannot be imported."""
    try:
        import torch
    except ImportError:
        return None
    return torch


def load(workload):
    """Standardized float64 ``X`` and ``y`` of a workload."""
    from sklearn.datasets import make_classification
    from sklearn.preprocessing import StandardScaler

    spec = WORKLOADS[workload]
    if spec["data"]["n_samples"] >= 100000:
        n, d = spec["data"]["n_samples"], spec["data"]["n_features"]
        print(f"generating {n} x {d} float64 data for {spec['name']} (takes a while) ...")
    X, y = make_classification(**spec["data"])
    X = StandardScaler().fit_transform(X.astype(np.float64))
    return X, y


def timed_fit(estimator, X, y, synchronize=None):
    """Seconds to fit ``estimator``; ``synchronize`` (if any) is called before the stop."""
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        estimator.fit(X, y)
        if synchronize is not None:
            synchronize()
        return time.perf_counter() - start


def fit_ours(params, X, y, synchronize):
    """Fit ours under array API dispatch; return (seconds, fitted estimator)."""
    import sklearn

    from sklearn_revnet import ReversibleMLPClassifier

    with sklearn.config_context(array_api_dispatch=True):
        clf = ReversibleMLPClassifier(random_state=0, prior="diagonal", **params)
        seconds = timed_fit(clf, X, y, synchronize)
    return seconds, clf


def warm_up(torch, device, synchronize):
    """One small untimed fit of ours on the device (CUDA context, kernels)."""
    from sklearn.datasets import make_classification
    from sklearn.preprocessing import StandardScaler

    X, y = make_classification(
        n_samples=500, n_features=20, n_informative=10, n_classes=3, random_state=0
    )
    X = StandardScaler().fit_transform(X)
    params = {"hidden_layer_sizes": (32,), "activation": "relu", "max_iter": 5}
    fit_ours(params, torch.asarray(X, device=device), torch.asarray(y, device=device), synchronize)


def relative_difference(a, b):
    return abs(a - b) / max(abs(b), np.finfo(np.float64).tiny)


def run_workload(torch, workload, device, synchronize, repeats):
    from sklearn.neural_network import MLPClassifier

    spec = WORKLOADS[workload]
    params = spec["params"]
    X, y = load(workload)
    y_device = torch.asarray(y, device=device)
    X_device = {
        "float64": torch.asarray(X, dtype=torch.float64, device=device),
        "float32": torch.asarray(X, dtype=torch.float32, device=device),
    }

    theirs = []
    ours = {"float64": [], "float32": []}
    for _ in range(repeats):
        ref = MLPClassifier(solver="lbfgs", random_state=0, **params)
        theirs.append(timed_fit(ref, X, y))
        fitted = {}
        for dtype in ("float64", "float32"):
            seconds, fitted[dtype] = fit_ours(params, X_device[dtype], y_device, synchronize)
            ours[dtype].append(seconds)

    sklearn_seconds = float(np.median(theirs))
    sklearn_loss = float(ref.loss_)
    rows = []
    for dtype in ("float64", "float32"):
        clf = fitted[dtype]
        ours_seconds = float(np.median(ours[dtype]))
        loss = float(clf.loss_)
        rows.append(
            {
                "name": spec["name"] if dtype == "float64" else "    ours in float32",
                "dtype": dtype,
                "goal": spec["goal"] if dtype == "float64" else None,
                "sklearn": sklearn_seconds,
                "ours": ours_seconds,
                "speed_up": sklearn_seconds / ours_seconds,
                "n_iter": (int(ref.n_iter_), int(clf.n_iter_)),
                "loss": (sklearn_loss, loss),
                "rel_diff": relative_difference(loss, sklearn_loss),
            }
        )
    return rows


def describe(torch, device):
    if torch.device(device).type == "cuda":
        name = torch.cuda.get_device_name(torch.device(device))
        return f"device {device} ({name}), torch {torch.__version__}"
    return f"device {device}, torch {torch.__version__}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--device",
        default=None,
        help='torch device for our fits (default "cuda"); "cpu" is a smoke test of the script',
    )
    parser.add_argument(
        "--workloads",
        nargs="+",
        choices=sorted(WORKLOADS),
        default=sorted(WORKLOADS),
        help="workloads to run (default: all)",
    )
    parser.add_argument(
        "--repeats", type=int, default=1, help="timed fits per estimator (median reported)"
    )
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be >= 1")

    torch = import_torch()
    if torch is None:
        print(
            "torch is not installed: nothing to measure; install torch (with CUDA) "
            "and run this script on a machine with an NVIDIA GPU."
        )
        return 0
    if args.device is None:
        if not torch.cuda.is_available():
            print(
                "No CUDA device (torch.cuda.is_available() is False): nothing to measure; "
                "run this script on a machine with an NVIDIA GPU and torch with CUDA."
            )
            return 0
        args.device = "cuda"
    device = torch.device(args.device)
    on_gpu = device.type == "cuda"
    synchronize = (lambda: torch.cuda.synchronize(device)) if on_gpu else None

    print(f"ours: {describe(torch, args.device)}; sklearn: numpy float64 on {os.cpu_count()} CPUs")
    if not on_gpu:
        print(f"device {args.device} is not a GPU: smoke test only, the ratios are not the goal")

    warm_up(torch, device, synchronize)

    results = []
    for workload in args.workloads:
        results.extend(run_workload(torch, workload, device, synchronize, args.repeats))

    print(f"\nmedian of {args.repeats} fit(s) each; speed-up = sklearn s / ours s")
    print(
        f"{'workload':34s}{'sklearn s':>10s}{'ours s':>9s}{'speed-up':>10s}{'goal':>7s}"
        f"{'iters sk/ours':>15s}{'loss sklearn':>14s}{'loss ours':>14s}{'rel diff':>10s}"
    )
    all_met = True
    for r in results:
        goal = "" if r["goal"] is None else f"{r['goal']:.0f}x"
        if r["goal"] is None:
            verdict = "(float32; loss vs sklearn float64)"
        elif on_gpu:
            met = r["speed_up"] >= r["goal"]
            all_met &= met
            verdict = "met" if met else "MISSED"
        else:
            verdict = "(CPU: not the goal)"
        print(
            f"{r['name']:34s}{r['sklearn']:10.3f}{r['ours']:9.3f}{r['speed_up']:9.1f}x{goal:>7s}"
            f"{'{}/{}'.format(*r['n_iter']):>15s}{r['loss'][0]:14.6g}{r['loss'][1]:14.6g}"
            f"{r['rel_diff']:10.2e}  {verdict}"
        )
    if on_gpu:
        print("all speed-up goals met" if all_met else "some speed-up goals MISSED")
    else:
        print("CPU smoke test: the goals (>= 20x on (a), >= 50x on (b)) apply on a GPU only")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
