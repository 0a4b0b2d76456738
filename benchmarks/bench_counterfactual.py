"""Counterfactual yardstick: how small, valid and plausible are the changes?

Three cases, each a pipeline fitted with default settings otherwise:

1. breast cancer: ``load_breast_cancer``, ``make_pipeline(StandardScaler(),
   ReversibleMLPClassifier(random_state=0))``, split by
   ``train_test_split(X, y, random_state=0)``; the first 200 held-out rows
   (the held-out split holds only 143, so all of them), ``target="other"``;
2. breast cancer, fixed: the same pipeline and rows with the first 5 features
   fixed (``fixed=[0, 1, 2, 3, 4]``);
3. digits: ``load_digits``, ``make_pipeline(PCA(20, whiten=True,
   random_state=0), ReversibleMLPClassifier(random_state=0))``, split by
   ``train_test_split(X, y, random_state=0, stratify=y)``; the first 100
   held-out digits, each sent to ``(y + 1) % 10`` with ``y`` the row's true
   label (no row skipped). ``bounds=(0, 16)`` is passed, since the PCA
   records no input range.

The training range of a case is ``[X_train.min(0), X_train.max(0)]`` (for
digits ``[0, 16]``). The distance between two raw rows is L1/MAD:
``sum_j |a_j - b_j| / MAD_j``, with ``MAD_j`` the median absolute deviation
of feature j over the raw training rows (its training standard deviation
where the MAD is 0, and 1 where that is 0 too). A row "reaches its target"
when the pipeline predicts the target for it; for ``"other"``, any label
other than the pipeline's prediction for the original row.

Figures, one table row per case and method:

- rows: the number of held-out rows;
- validity: share of the rows whose counterfactual is not NaN and reaches
  its target (a row already predicted as its target is valid unchanged);
- changed: median over valid rows of the number of features with
  ``cf != x`` (exact comparison);
- L1/MAD: median over valid rows of the distance from ``x`` to ``cf``;
- LOF: share of the valid counterfactuals that a
  ``LocalOutlierFactor(novelty=True)`` (20 neighbours), fitted on the
  standardized training rows, calls inliers; real LOF: the same share for the
  held-out real rows. An independent judge of plausibility: it knows nothing
  of the prior;
- yNN: CARLA's (Pawelczyk et al. 2021): the mean share of a valid
  counterfactual's 5 nearest standardized training rows that the pipeline
  gives the counterfactual's own label (1: deep in its class; near 0: on the
  edge, among the old label's rows);
- plaus: share of the valid counterfactuals whose prior log-density
  ``pipe[-1].prior_.score_samples(pipe[:-1].transform(cf))`` is at least the
  5th percentile of the same log-density over the training rows; real plaus:
  the same share for the held-out real rows themselves, as a reference;
- bounds held: whether every entry of every valid counterfactual lies within
  the training range exactly (no tolerance; an unchanged entry of ``x`` outside
  that range counts too), except the fixed features, which need only equal
  ``x``; otherwise the number of rows that break it;
- fixed held: whether the fixed features equal ``x`` exactly in every valid
  row, otherwise the number of rows that break it ("-" where none is fixed);
- s/cf: wall time of the method's call over the number of rows (the prior,
  fitted at the first reverse call, is fitted before: its time is printed
  apart).

Methods (rows):

- defaults: ``sklearn_revnet.counterfactual(pipe, X_rows, target, fixed=...,
  bounds=...)`` with its defaults (``fixed`` and ``bounds`` as the case says);
- plausibility=0: the same with ``plausibility=0.0``;
- nearest unlike neighbour: for each row, the training row closest to it in
  L1/MAD distance (over all features) that the pipeline assigns to the
  target; with fixed features, the fixed features of ``x`` are copied into it
  and the result is judged as it is (it may no longer reach the target);
- Wachter et al.: the objective of Wachter et al. (2017), L2 variant, with no
  prior and no sparsity term: per row, minimize ``lam * (p_t(x') - 1)**2 +
  sum_j ((x'_j - x_j) / MAD_j)**2`` with ``scipy.optimize.minimize(method=
  "L-BFGS-B")`` from ``x`` (clipped into the bounds), over the raw features
  within the training range, a fixed feature held by the bounds ``(x_j,
  x_j)``. ``p_t`` is the network's probability of the target (for
  ``"other"``: the most probable other label, in a binary problem the other
  class), with its exact gradient through the network; it is a baseline, not
  tuned. ``lam`` runs through (1, 10, 100, 1000), each solve from ``x``, until
  the pipeline predicts the target; rows that never do are invalid (NaN).
  On a confident network ``p_t`` is nearly flat far from the boundary, so the
  solver often stops at or near ``x``: the objective's own weakness, kept.

Goals for the defaults rows (figures that miss are marked ``*``): validity
>= 0.99 in every case; bounds and fixed features held exactly in every row;
breast cancer (both cases): changed <= 5 and L1/MAD <= 0.5 x the nearest
unlike neighbour's of the same case; plaus and LOF >= 0.90; 1000 breast-cancer
counterfactuals (the rows of case 1 repeated in turn up to 1000 rows) in <= 5 s
with the defaults.

``--sweep`` prints, instead, case 1 under other settings of the defaults'
two knobs: the plausibility weight (0, 0.1, 1, 10, 100) and ``max_iter``
(100, 250, 500, 2000). It shows the trade-off between the sparsity goal and
the plausibility goals on these correlated measurements (the six size
features, mean and worst radius, perimeter and area, correlate at 0.97 or
more after a Yeo-Johnson map): fewer changed features come only with less
plausible answers.

To add a method, write a function ``(case, X, target) -> counterfactuals``
(NaN rows where it finds none) and add it to ``METHODS``.

Run: ``python benchmarks/bench_counterfactual.py``
"""

import sys
import time
import warnings
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.optimize
from scipy.special import expit, softmax
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neighbors import LocalOutlierFactor, NearestNeighbors
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

import sklearn_revnet
from sklearn_revnet import ReversibleMLPClassifier
from sklearn_revnet._core.network import backward, forward

RANDOM_STATE = 0
N_BREAST_CANCER = 200
N_DIGITS = 100
WACHTER_LAMBDAS = (1.0, 10.0, 100.0, 1000.0)
PLAUSIBLE_PERCENTILE = 5  # of the training rows' prior log-density
N_SPEED = 1000  # breast-cancer rows timed with the defaults
Y_NN_NEIGHBOURS = 5
PRIORS = []  # (description, seconds) of each fitted pipeline's prior
GOALS = [
    "validity >= 0.99 in every case",
    "bounds held and fixed held: exactly, in every row",
    "breast cancer: changed <= 5",
    "breast cancer: L1/MAD <= 0.5 x the nearest unlike neighbour's",
    "plaus >= 0.90 and LOF >= 0.90",
    "1000 breast-cancer counterfactuals in <= 5 s",
]


# --------------------------------------------------------------------------
# cases


@dataclass
class Case:
    """One yardstick case: a fitted pipeline, its rows and their targets."""

    name: str
    pipe: object
    X_train: np.ndarray
    X_rows: np.ndarray
    target: object  # "other" or one label per row
    fixed: list | None  # feature indices
    bounds: object  # what ``counterfactual`` is passed
    lo: np.ndarray  # the training range, per feature
    hi: np.ndarray

    @property
    def fixed_mask(self):
        mask = np.zeros(self.X_train.shape[1], dtype=bool)
        if self.fixed is not None:
            mask[self.fixed] = True
        return mask

    @property
    def scale(self):
        return mad_scale(self.X_train)

    @cached_property
    def judges(self):
        """The independent judges, fitted on the standardized training rows."""
        scaler = StandardScaler().fit(self.X_train)
        train = scaler.transform(self.X_train)
        lof = LocalOutlierFactor(n_neighbors=20, novelty=True).fit(train)
        neighbours = NearestNeighbors(n_neighbors=Y_NN_NEIGHBOURS).fit(train)
        return scaler, lof, neighbours, self.pipe.predict(self.X_train)

    def lof_inliers(self, X):
        scaler, lof, _, _ = self.judges
        return lof.predict(scaler.transform(X)) == 1

    def y_nn(self, X):
        """CARLA's yNN of each row: its neighbours' share of its own label."""
        scaler, _, neighbours, train_labels = self.judges
        index = neighbours.kneighbors(scaler.transform(X), return_distance=False)
        return np.mean(train_labels[index] == self.pipe.predict(X)[:, None], axis=1)


def fit_pipeline(first_step, X_train, y_train):
    """The fitted pipeline, its prior fitted at once (so that no method's time holds it)."""
    pipe = make_pipeline(first_step, ReversibleMLPClassifier(random_state=RANDOM_STATE))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipe.fit(X_train, y_train)
    start = time.perf_counter()
    prior = pipe[-1].prior_
    PRIORS.append((prior.description_, time.perf_counter() - start))
    return pipe


def load_cases():
    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, _ = train_test_split(X, y, random_state=RANDOM_STATE)
    pipe = fit_pipeline(StandardScaler(), X_train, y_train)
    X_rows = X_test[:N_BREAST_CANCER]
    lo, hi = X_train.min(axis=0), X_train.max(axis=0)
    common = {"pipe": pipe, "X_train": X_train, "X_rows": X_rows, "lo": lo, "hi": hi}
    cases = [
        Case("breast cancer", **common, target="other", fixed=None, bounds="auto"),
        Case(
            "breast cancer, fixed 0-4",
            **common,
            target="other",
            fixed=[0, 1, 2, 3, 4],
            bounds="auto",
        ),
    ]

    X, y = load_digits(return_X_y=True)
    split = train_test_split(X, y, random_state=RANDOM_STATE, stratify=y)
    X_train, X_test, y_train, y_test = split
    pipe = fit_pipeline(PCA(20, whiten=True, random_state=RANDOM_STATE), X_train, y_train)
    p = X.shape[1]
    cases.append(
        Case(
            "digits, to (y + 1) % 10",
            pipe=pipe,
            X_train=X_train,
            X_rows=X_test[:N_DIGITS],
            target=(y_test[:N_DIGITS] + 1) % 10,
            fixed=None,
            bounds=(0, 16),
            lo=np.zeros(p),
            hi=np.full(p, 16.0),
        )
    )
    return cases


# --------------------------------------------------------------------------
# shared helpers


def mad_scale(X_train):
    """Per-feature MAD of the training rows; the std where it is 0, then 1."""
    mad = np.median(np.abs(X_train - np.median(X_train, axis=0)), axis=0)
    std = X_train.std(axis=0)
    scale = np.where(mad > 0, mad, std)
    return np.where(scale > 0, scale, 1.0)


def l1_mad(X_cf, X, scale):
    return np.sum(np.abs(X_cf - X) / scale, axis=1)


def reaches(pipe, X_cf, X, target):
    """Rows whose counterfactual is not NaN and that the pipeline assigns to the target."""
    ok = ~np.isnan(X_cf).any(axis=1)
    predicted = np.full(len(X_cf), None, dtype=object)
    if ok.any():
        predicted[ok] = pipe.predict(X_cf[ok])
    if isinstance(target, str) and target == "other":
        wanted = pipe.predict(X)
        return ok & np.array([p is not None and p != w for p, w in zip(predicted, wanted)])
    return ok & np.array([p is not None and p == t for p, t in zip(predicted, target)])


def row_targets(case, X, target):
    """``target`` as one label per row (``"other"``: every label but the prediction)."""
    if isinstance(target, str) and target == "other":
        predicted = case.pipe.predict(X)
        return [np.setdiff1d(case.pipe.classes_, [p]) for p in predicted]
    return [np.array([t]) for t in target]


def affine_map(steps, n_features):
    """``(A, c)`` with ``steps.transform(X) == X @ A + c`` (the steps are affine)."""
    c = steps.transform(np.zeros((1, n_features)))
    A = steps.transform(np.eye(n_features)) - c
    return A, c[0]


# --------------------------------------------------------------------------
# methods: (case, X, target) -> counterfactuals (NaN rows where none is found)


def quiet_counterfactual(case, X, target, **params):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "No counterfactual found", UserWarning)
        return sklearn_revnet.counterfactual(
            case.pipe, X, target, fixed=case.fixed, bounds=case.bounds, **params
        )


def defaults(case, X, target):
    return quiet_counterfactual(case, X, target)


def no_plausibility(case, X, target):
    return quiet_counterfactual(case, X, target, plausibility=0.0)


def nearest_unlike_neighbour(case, X, target):
    """The closest training row assigned to the target, fixed features copied from x."""
    predicted_train = case.pipe.predict(case.X_train)
    predicted = case.pipe.predict(X)
    scale, fixed = case.scale, case.fixed_mask
    X_cf = np.empty_like(X)
    for i, (x, labels) in enumerate(zip(X, row_targets(case, X, target))):
        if predicted[i] in labels:  # already there: unchanged
            X_cf[i] = x
            continue
        candidates = case.X_train[np.isin(predicted_train, labels)]
        neighbour = candidates[np.argmin(l1_mad(candidates, x, scale))].copy()
        neighbour[fixed] = x[fixed]
        X_cf[i] = neighbour
    return X_cf


def wachter(case, X, target):
    """Wachter et al.'s L2 objective, no prior and no sparsity, lam increased until valid."""
    pipe, clf = case.pipe, case.pipe[-1]
    A, c = affine_map(pipe[:-1], X.shape[1])
    scale2 = case.scale**2
    predicted = pipe.predict(X)
    proba = pipe.predict_proba(X)
    X_cf = np.full_like(X, np.nan)
    for i, (x, labels) in enumerate(zip(X, row_targets(case, X, target))):
        if predicted[i] in labels:  # already there: unchanged
            X_cf[i] = x
            continue
        # "other": the most probable other label (in a binary problem, the other class)
        index = np.flatnonzero(np.isin(clf.classes_, labels))
        t = index[np.argmax(proba[i, index])]
        bounds = list(zip(case.lo, case.hi))
        for j in np.flatnonzero(case.fixed_mask):
            bounds[j] = (x[j], x[j])
        x0 = np.clip(x, *np.array(bounds).T)
        for lam in WACHTER_LAMBDAS:
            objective = wachter_objective(clf, A, c, x, scale2, t, lam)
            result = scipy.optimize.minimize(
                objective, x0, jac=True, method="L-BFGS-B", bounds=bounds
            )
            if pipe.predict(result.x[None])[0] == clf.classes_[t]:
                X_cf[i] = result.x
                break
    return X_cf


def wachter_objective(clf, A, c, x, scale2, t, lam):
    """``lam * (p_t(x') - 1)**2 + sum_j (x'_j - x_j)**2 / MAD_j**2`` and its gradient."""
    network = (clf.coefs_, clf.intercepts_, clf.activation)

    def objective(x_new):
        layers = forward((x_new @ A + c)[None], *network)
        logits = layers[-1][0]
        if clf.n_outputs_ == 1:  # one logistic output: the probability of classes_[1]
            p1 = expit(logits[0])
            p_t = p1 if t == 1 else 1.0 - p1
            dp_dlogits = np.array([p1 * (1.0 - p1) * (1.0 if t == 1 else -1.0)])
        else:
            p = softmax(logits)
            p_t = p[t]
            dp_dlogits = -p_t * p
            dp_dlogits[t] += p_t
        dp_dz = backward(layers, network[0], dp_dlogits[None], clf.activation, input_grad=True)
        step = x_new - x
        value = lam * (p_t - 1.0) ** 2 + np.sum(step**2 / scale2)
        grad = 2.0 * lam * (p_t - 1.0) * (dp_dz[0] @ A.T) + 2.0 * step / scale2
        return value, grad

    return objective


METHODS = [
    ("defaults", defaults),
    ("plausibility=0", no_plausibility),
    ("nearest unlike neighbour", nearest_unlike_neighbour),
    ("Wachter et al.", wachter),
]


# --------------------------------------------------------------------------
# metrics


def log_density(pipe, X):
    return pipe[-1].prior_.score_samples(pipe[:-1].transform(X))


def broken_rows(X_cf, X, lo, hi, fixed):
    """Per row: (entries out of bounds, fixed entries changed), exactly."""
    free = ~fixed
    out = ((X_cf < lo) | (X_cf > hi)) & free
    moved = (X_cf != X) & fixed
    return out.any(axis=1), moved.any(axis=1)


def evaluate(case, method):
    X, target, n = case.X_rows, case.target, len(case.X_rows)
    start = time.perf_counter()
    X_cf = np.asarray(method(case, X, target), dtype=float)
    seconds = time.perf_counter() - start

    valid = reaches(case.pipe, X_cf, X, target)
    X_cf, X_valid = X_cf[valid], X[valid]
    threshold = np.percentile(log_density(case.pipe, case.X_train), PLAUSIBLE_PERCENTILE)
    out, moved = broken_rows(X_cf, X_valid, case.lo, case.hi, case.fixed_mask)
    any_valid = bool(valid.any())
    return {
        "rows": n,
        "validity": float(valid.mean()),
        "changed": float(np.median((X_cf != X_valid).sum(axis=1))) if any_valid else None,
        "L1/MAD": float(np.median(l1_mad(X_cf, X_valid, case.scale))) if any_valid else None,
        "plaus": (
            float(np.mean(log_density(case.pipe, X_cf) >= threshold)) if any_valid else None
        ),
        "real plaus": float(np.mean(log_density(case.pipe, X) >= threshold)),
        "LOF": float(np.mean(case.lof_inliers(X_cf))) if any_valid else None,
        "real LOF": float(np.mean(case.lof_inliers(X))),
        "yNN": float(np.mean(case.y_nn(X_cf))) if any_valid else None,
        "bounds held": int(out.sum()),
        "fixed held": None if case.fixed is None else int(moved.sum()),
        "s/cf": seconds / n,
    }


def seconds_for_1000(case):
    """Defaults on the case's rows, repeated in turn up to ``N_SPEED`` rows."""
    X = np.resize(case.X_rows, (N_SPEED, case.X_rows.shape[1]))
    start = time.perf_counter()
    defaults(case, X, case.target)
    return len(X), time.perf_counter() - start


def misses(case, r, neighbour):
    """Which figures of a defaults row miss their goal."""
    breast_cancer = case.name.startswith("breast cancer")
    return {
        "validity": r["validity"] < 0.99,
        "bounds held": r["bounds held"] > 0,
        "fixed held": bool(r["fixed held"]),
        "changed": breast_cancer and (r["changed"] is None or r["changed"] > 5),
        "L1/MAD": breast_cancer
        and (r["L1/MAD"] is None or r["L1/MAD"] > 0.5 * neighbour["L1/MAD"]),
        "plaus": r["plaus"] is None or r["plaus"] < 0.90,
        "LOF": r["LOF"] is None or r["LOF"] < 0.90,
    }


# --------------------------------------------------------------------------
# table


def held(broken):
    return "yes" if broken == 0 else f"no ({broken} rows)"


COLUMNS = [
    ("rows", "{:d}".format),
    ("validity", "{:.3f}".format),
    ("changed", "{:.1f}".format),
    ("L1/MAD", "{:.2f}".format),
    ("plaus", "{:.3f}".format),
    ("real plaus", "{:.3f}".format),
    ("LOF", "{:.3f}".format),
    ("real LOF", "{:.3f}".format),
    ("yNN", "{:.3f}".format),
    ("bounds held", held),
    ("fixed held", held),
    ("s/cf", "{:.4f}".format),
]


def table_row(case_name, method_name, r, missed):
    cells = [case_name, method_name]
    for column, fmt in COLUMNS:
        value = r[column]
        cell = "-" if value is None else fmt(value)
        cells.append(cell + ("*" if missed.get(column) else ""))
    return "| " + " | ".join(cells) + " |"


def main():
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    total = time.perf_counter()
    cases = load_cases()
    print("| case | method | " + " | ".join(c for c, _ in COLUMNS) + " |")
    print("|---|---|" + "---:|" * len(COLUMNS))
    for case in cases:
        results = {name: evaluate(case, method) for name, method in METHODS}
        neighbour = results["nearest unlike neighbour"]
        for name, method in METHODS:
            r = results[name]
            missed = misses(case, r, neighbour) if name == "defaults" else {}
            print(table_row(case.name, name, r, missed), flush=True)

    n, seconds = seconds_for_1000(cases[0])
    mark = "*" if seconds > 5.0 else ""
    print(f"\n{n} breast-cancer counterfactuals, defaults: {seconds:.1f} s{mark} (goal <= 5 s)")
    print("\ngoals for the defaults rows (* marks a miss):")
    for goal in GOALS:
        print(f"  {goal}")
    print(
        f"plaus: share with prior log-density >= the training rows' "
        f"{PLAUSIBLE_PERCENTILE}th percentile"
    )
    for description, seconds in PRIORS:
        print(f"prior ({seconds:.1f} s, before the timed calls): {description}")
    print(f"\ntotal run time: {time.perf_counter() - total:.0f} s")


SWEEP = [{"plausibility": v} for v in (0.0, 0.1, 1.0, 10.0, 100.0)] + [
    {"max_iter": n} for n in (100, 250, 500, 2000)
]


def sweep():
    """Case 1 with the defaults but one knob, for each setting of ``SWEEP``."""
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    case = load_cases()[0]
    names = ["validity", "changed", "L1/MAD", "plaus", "LOF", "yNN", "s/cf"]
    print("| breast cancer, setting | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))
    for params in SWEEP:
        r = evaluate(case, lambda c, X, t, p=params: quiet_counterfactual(c, X, t, **p))
        setting = ", ".join(f"{key}={value:g}" for key, value in params.items())
        cells = [f"{r[name]:.3g}" for name in names]
        print(f"| {setting} | " + " | ".join(cells) + " |", flush=True)
    print("(defaults: plausibility=1, max_iter=500)")


if __name__ == "__main__":
    with threadpool_limits(limits=1):
        sweep() if "--sweep" in sys.argv[1:] else main()
