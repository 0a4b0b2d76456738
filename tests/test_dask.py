"""Fitting and predicting on dask arrays: the in-memory fit, with the rows left on the cluster.

The distributed tests run on a LocalCluster of 2 worker processes (1 thread
each) that a fixture starts and stops; a few run on dask's local threaded
scheduler, without a client.
"""

import os
import signal
import sys
import tracemalloc
import warnings

import numpy as np
import pytest
from _fitting import digits, fit_quietly
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_iris, make_classification
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import LabelBinarizer

from sklearn_revnet import ReversibleMLPClassifier
from sklearn_revnet._forward import cluster as _cluster
from sklearn_revnet._forward import dask as _dask

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")

# Set by benchmarks/mutation.py: the workers are threads of the test process,
# where mutation testing sees the code they run. The tests of a worker's
# process and of the client's memory need worker processes.
IN_PROCESS = os.environ.get("SKLEARN_REVNET_TEST_IN_PROCESS_CLUSTER") == "1"
needs_worker_processes = pytest.mark.skipif(IN_PROCESS, reason="workers in the test process")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=not IN_PROCESS, dashboard_address=None
    ) as cluster:
        yield cluster


@pytest.fixture
def client(cluster):
    with distributed.Client(cluster) as client:
        yield client


def _fit(X, y, sample_weight=None, **params):
    return fit_quietly(X, y, sample_weight, **params)


def _digits(n=600):
    return digits(n)


def _chunked(a, chunks=137):
    """Uneven row chunks (the last one shorter), one chunk across the columns."""
    return da.from_array(a, chunks=(chunks,) + a.shape[1:])


def _assert_same_fit(a, b, rtol=1e-9):
    """``b`` is the fit ``a``: iterations, loss, weights, probabilities, prior, range."""
    assert a.n_iter_ == b.n_iter_
    assert_allclose(b.loss_, a.loss_, rtol=rtol)
    assert_allclose(b.loss_curve_, a.loss_curve_, rtol=rtol)
    assert_array_equal(b.classes_, a.classes_)
    assert (b.n_outputs_, b.out_activation_) == (a.n_outputs_, a.out_activation_)
    for wa, wb in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        assert wb.dtype == wa.dtype
    assert_array_equal(b.input_min_, a.input_min_)
    assert_array_equal(b.input_max_, a.input_max_)
    _assert_same_prior(a, b)


def _assert_same_prior(a, b):
    """``b``'s prior is ``a``'s: fitted on the same rows."""
    assert_allclose(b.prior_.means_, a.prior_.means_, rtol=0, atol=1e-12)
    assert_allclose(
        b.prior_.mixture_.covariances_, a.prior_.mixture_.covariances_, rtol=0, atol=1e-12
    )


def _targets(kind, y):
    rng = np.random.RandomState(0)
    if kind == "binary":
        return (y >= 5).astype(int), None
    if kind == "strings":
        return np.array(["even", "odd"])[y % 2], None
    if kind == "multilabel":
        return np.column_stack([y % 2, y >= 5, y % 3 == 0]).astype(int), None
    if kind == "weighted":
        return y, rng.uniform(0, 2, len(y)) * (rng.uniform(size=len(y)) > 0.1)
    return y, None


@pytest.mark.parametrize("kind", ["multiclass", "binary", "strings", "multilabel", "weighted"])
def test_cluster_fit_is_the_in_memory_fit(client, kind):
    X, y = _digits()
    y, w = _targets(kind, y)
    reference = _fit(X, y, w)
    fitted = _fit(_chunked(X), _chunked(y), None if w is None else _chunked(w))
    # measured (multiclass, weighted): loss relative difference 1e-15,
    # probabilities 2e-14
    _assert_same_fit(reference, fitted, rtol=1e-9)
    assert_allclose(fitted.predict_proba(X), reference.predict_proba(X), rtol=0, atol=1e-9)
    assert_array_equal(fitted.predict(X), reference.predict(X))


def test_in_memory_targets_and_weights_with_a_dask_X(client):
    X, y = _digits(400)
    w = np.random.RandomState(1).uniform(0.5, 1.5, len(y))
    _assert_same_fit(_fit(X, y, w), _fit(_chunked(X, 100), list(y), list(w)))


def test_local_scheduler_without_a_client():
    X, y = _digits(400)
    reference = _fit(X, y)
    with dask.config.set(scheduler="threads"):
        fitted = _fit(_chunked(X, 90), _chunked(y, 90))
    _assert_same_fit(reference, fitted)


class _WholePositions(np.random.RandomState):
    """Random numbers, but a systematic resample's offset of 0: with weights
    summing to the number of rows, its positions are whole numbers, on the
    ends of rows and of blocks."""

    def uniform(self, low=0.0, high=1.0, size=None):
        return 0.0 if size is None else super().uniform(low, high, size)


def test_resample_positions_on_the_ends_of_rows_and_blocks():
    # Weights 1, 2, 0, 1, ... sum to the 400 rows, so the 400 positions are
    # 0, 1, 2, ...: each is the end of some row's span [W_{i-1}, W_i) and the
    # start of the next, and 137 and 274 are the ends of blocks. Each belongs
    # to the later row, and to one block.
    X, y = _digits(400)
    w = np.tile([1.0, 2.0, 0.0, 1.0], 100)
    params = {"max_iter": 3, "prior": 2}
    reference = _fit(X, y, w, random_state=_WholePositions(0), **params)
    with dask.config.set(scheduler="threads"):
        fitted = _fit(*map(_chunked, (X, y, w)), random_state=_WholePositions(0), **params)
    _assert_same_fit(reference, fitted)


@pytest.mark.parametrize("weight", [None, 2.0])
def test_exactly_max_rows_of_equal_weight_are_all_taken_without_a_draw(weight):
    # 2000 rows, unweighted or of one weight: the prior is fitted on all of
    # them, and no random number is spent on a resample (the mixture's seed
    # comes next)
    X, y = make_classification(n_samples=2000, n_features=6, n_informative=4, random_state=0)
    w = None if weight is None else np.full(len(y), weight)
    reference = _fit(X, y, w, max_iter=3, prior=2)
    with dask.config.set(scheduler="threads"):
        w_dask = None if w is None else _chunked(w, 700)
        fitted = _fit(_chunked(X, 700), _chunked(y, 700), w_dask, max_iter=3, prior=2)
    _assert_same_fit(reference, fitted)


def _iris():
    X, y = load_iris(return_X_y=True)
    return (X - X.mean(0)) / X.std(0), y


@pytest.mark.parametrize(
    "case",
    [
        "one chunk",
        "empty and one-row chunks",
        "column y",
        "two labels per row",
        "scalar weight",
        "weights summing below 1",
        "one feature",
    ],
)
def test_shapes_and_weights_the_in_memory_fit_accepts(case):
    X, y = _iris()
    w, chunks = None, 50
    if case == "one chunk":
        chunks = len(y)
    elif case == "empty and one-row chunks":
        chunks = (0, 74, 1, 0, 75)
    elif case == "column y":
        y = y[:, None]
    elif case == "two labels per row":
        y = np.column_stack([y == 0, y == 1]).astype(int)
    elif case == "scalar weight":
        w = 2.0
    elif case == "weights summing below 1":
        w = np.full(len(y), 1e-3)
    elif case == "one feature":
        X = X[:, :1]
    with warnings.catch_warnings(record=True) as in_memory:
        warnings.simplefilter("always", DataConversionWarning)
        reference = _fit(X, y, w, max_iter=5)
    with dask.config.set(scheduler="threads"), warnings.catch_warnings(record=True) as on_dask:
        warnings.simplefilter("always", DataConversionWarning)
        w_dask = w if w is None or np.ndim(w) == 0 else _chunked(w, chunks)
        fitted = _fit(_chunked(X, chunks), _chunked(y, chunks), w_dask, max_iter=5)
    _assert_same_fit(reference, fitted)
    # a column y: one warning, as in memory, and none from the blocks
    assert [str(w.message) for w in on_dask] == [str(w.message) for w in in_memory]


def test_a_warm_start_on_other_classes_is_refused():
    X, y = _iris()
    with dask.config.set(scheduler="threads"):
        clf = _fit(_chunked(X, 50), _chunked(y, 50), max_iter=5, warm_start=True)
        two = y < 2
        with pytest.raises(ValueError, match=r"warm_start needs y to have the classes"):
            clf.fit(_chunked(X[two], 50), _chunked(y[two], 50))


def test_one_row_is_predicted_and_a_refit_forgets_the_feature_names():
    pd = pytest.importorskip("pandas")
    X, y = _iris()
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    with dask.config.set(scheduler="threads"):
        clf = _fit(frame, y, max_iter=5)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(_chunked(X, 50), _chunked(y, 50))
        assert not hasattr(clf, "feature_names_in_")
        proba = clf.predict_proba(_chunked(X[:1], 1)).compute()
    assert_allclose(proba, clf.predict_proba(X[:1]), rtol=1e-12)


@pytest.mark.parametrize("n_parts", [1, 2, 3, 4, 5, 8])
def test_the_workers_partial_sums_are_each_added_once(n_parts):
    parts = [dask.delayed((float(i), np.full(3, 10.0**i))) for i in range(n_parts)]
    loss, grad = dask.compute(_cluster._tree_sum(parts), scheduler="sync")[0]
    assert loss == sum(range(n_parts))
    assert_array_equal(grad, np.full(3, sum(10.0**i for i in range(n_parts))))


def test_features_in_several_chunks_are_one_block_of_rows():
    X, y = _digits(400)
    X_dask = da.from_array(X, chunks=(137, 32))  # two chunks across the 64 features
    with dask.config.set(scheduler="threads"):
        fitted = _fit(X_dask, _chunked(y))
        proba = fitted.predict_proba(X_dask).compute()
    reference = _fit(X, y)
    _assert_same_fit(reference, fitted)
    assert_allclose(proba, reference.predict_proba(X), rtol=1e-12, atol=0)


def test_the_prior_is_fitted_on_the_in_memory_fit_s_resample(client):
    # more rows than the prior's 2000: both fits draw the same systematic resample
    X, y = make_classification(n_samples=5000, n_features=6, n_informative=4, random_state=0)
    w = np.random.RandomState(0).uniform(0, 3, len(y))
    for weights in (None, w):
        reference = _fit(X, y, weights, max_iter=3, prior=2)
        fitted = _fit(_chunked(X, 700), _chunked(y, 700), weights, max_iter=3, prior=2)
        _assert_same_fit(reference, fitted)


def test_float32_trains_in_float32_to_float32_rounding(client):
    X, y = _digits()
    X = X.astype(np.float32)
    reference = _fit(X, y, max_iter=10)
    fitted = _fit(_chunked(X), y, max_iter=10)
    assert fitted.coefs_[0].dtype == np.float32
    assert fitted.n_iter_ == reference.n_iter_
    # The blocks differ from the in-memory fit's, so float32 sums round
    # differently (the in-memory fit itself changes as much with its thread
    # count). Measured after these 10 iterations: loss relative difference
    # 2.4e-7, probabilities 1.4e-6 (after 15: 1.7e-4 and 1.2e-3).
    assert_allclose(fitted.loss_, reference.loss_, rtol=1e-5)
    assert_allclose(fitted.predict_proba(X), reference.predict_proba(X), atol=1e-4)
    assert fitted.predict_proba(_chunked(X)).dtype == np.float32


def test_float32_weights_draw_the_in_memory_fit_s_resample():
    # the weights' running sums are float64 on either side: blocks of 10000
    # float32 weights summed in float32 would move the resample's rows
    X, y = make_classification(n_samples=20_000, n_features=6, n_informative=4, random_state=0)
    X = X.astype(np.float32)
    w = np.random.RandomState(0).uniform(0, 3, len(y)).astype(np.float32)
    reference = _fit(X, y, w, max_iter=3, prior=2)
    with dask.config.set(scheduler="threads"):
        X_dask, y_dask, w_dask = (_chunked(a, 10_000) for a in (X, y, w))
        fitted = _fit(X_dask, y_dask, w_dask, max_iter=3, prior=2)
    _assert_same_prior(reference, fitted)


def test_warm_start_continues_on_the_cluster(client):
    X, y = _digits(400)
    reference = _fit(X, y, max_iter=5, warm_start=True)
    fitted = _fit(_chunked(X), _chunked(y), max_iter=5, warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reference.fit(X, y)
        fitted.fit(_chunked(X), _chunked(y))
    assert len(fitted.loss_curve_) == 10
    _assert_same_fit(reference, fitted)


def test_predictions_are_lazy_dask_arrays(client):
    X, y = _digits()
    clf = _fit(X, y)
    X_dask = _chunked(X)
    for method in ("predict", "predict_proba", "predict_log_proba"):
        lazy = getattr(clf, method)(X_dask)
        assert isinstance(lazy, da.Array)
        assert lazy.chunks[0] == X_dask.chunks[0]
        expected = getattr(clf, method)(X)
        assert lazy.dtype == expected.dtype and lazy.shape == expected.shape
        # BLAS rounds a row differently in blocks of other sizes (measured 4e-14)
        assert_allclose(lazy.compute(), expected, rtol=1e-12, atol=0)
    multilabel = _fit(X, _targets("multilabel", y)[0])
    assert_array_equal(multilabel.predict(X_dask).compute(), multilabel.predict(X))


def test_reverse_methods_of_a_cluster_fitted_model(client):
    X, y = _digits()
    reference = _fit(X, y)
    fitted = _fit(_chunked(X), _chunked(y))
    assert_allclose(
        fitted.inverse_transform([0, 3]), reference.inverse_transform([0, 3]), atol=1e-6
    )
    assert_allclose(
        fitted.generate(4, n=5, random_state=0),
        reference.generate(4, n=5, random_state=0),
        atol=1e-6,
    )
    # A counterfactual search is sensitive to its start and stages (weights
    # 1e-12 apart move some features of its answers by up to 0.014): checked
    # for what it promises rather than against the in-memory model's answers.
    answers = fitted.counterfactual(X[[0, 2, 3]], target=8)  # rows with an answer
    assert (fitted.predict(answers) == 8).all()
    assert ((answers >= fitted.input_min_) & (answers <= fitted.input_max_)).all()


@needs_worker_processes
def test_the_data_stay_on_the_workers(client):
    # X (32 MB) is generated chunk by chunk on the workers; the client's new
    # memory during the fit stays below a tenth of it (measured 1.7 MB: the
    # prior's 2000 rows, the task graphs and the parameter vectors).
    n, d = 200_000, 20
    X = da.random.RandomState(0).standard_normal((n, d), chunks=(25_000, d))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    X, y = dask.persist(X, y)
    distributed.wait([X, y])
    tracemalloc.start()
    try:
        clf = _fit(X, y, max_iter=3, hidden_layer_sizes=(8,), prior="diagonal")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 0.1 * n * d * 8
    assert clf.n_iter_ == 3


@pytest.fixture(scope="module")
def uneven_cluster():
    """Two in-process workers, of 1 and 3 threads."""
    workers = {
        name: {"cls": distributed.Worker, "options": {"nthreads": n}}
        for name, n in (("one", 1), ("three", 3))
    }
    scheduler = {"cls": distributed.Scheduler, "options": {"dashboard_address": ":0"}}
    with distributed.SpecCluster(workers=workers, scheduler=scheduler) as cluster:
        with distributed.Client(cluster) as client:
            yield client


def _rows_per_worker(client, X):
    """``{worker's thread count: the row numbers of the blocks it holds}`` after ``persist``."""
    y = np.arange(X.shape[0]) % 2
    groups = _cluster.persist(X, _dask._Blocks(X, y, None), LabelBinarizer().fit(y))
    threads = client.nthreads()
    rows = {}
    for group in groups:
        futures = distributed.futures_of(group)
        distributed.wait(futures)
        (holder,) = {w for workers in client.who_has(futures).values() for w in workers}
        blocks = client.gather(futures)
        rows[threads[holder]] = np.concatenate([x[:, 0] for x, _, _ in blocks]).astype(int)
    return rows


def test_blocks_are_shared_by_threads_and_stay_with_their_chunks(uneven_cluster):
    # 600 rows in chunks of 150 over workers of 1 and 3 threads: shares of 150
    # and 450 rows. X's chunks all live on the 3-thread worker: the first
    # three blocks stay there (450 rows, its whole share), the fourth moves.
    client = uneven_cluster
    X = np.repeat(np.arange(600.0)[:, None], 3, axis=1)
    three = next(w for w, n in client.nthreads().items() if n == 3)
    on_three = client.persist(da.from_array(X, chunks=(150, 3)), workers=[three])
    distributed.wait(on_three)
    rows = _rows_per_worker(client, on_three)
    assert_array_equal(rows[3], np.arange(450))
    assert_array_equal(rows[1], np.arange(450, 600))
    # not persisted: each block goes to the least loaded worker per thread
    rows = _rows_per_worker(client, da.from_array(X, chunks=(50, 3)))
    assert (len(rows[1]), len(rows[3])) == (150, 450)
    assert_array_equal(np.sort(np.concatenate([rows[1], rows[3]])), np.arange(600))


def test_grid_search_runs_on_the_cluster(client):
    joblib = pytest.importorskip("joblib")
    X, y = _iris()
    grid = {"alpha": [1e-4, 1.0]}
    search = GridSearchCV(_fit(X, y, hidden_layer_sizes=(4,)), grid, cv=3, n_jobs=-1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sequential = search.fit(X, y).cv_results_["mean_test_score"]
        with distributed.get_task_stream(client) as stream, joblib.parallel_backend("dask"):
            on_cluster = search.fit(X, y).cv_results_["mean_test_score"]
    assert_array_equal(on_cluster, sequential)
    # joblib sends the 6 fits of the search in batches
    assert stream.data
    assert {task["worker"] for task in stream.data} <= set(client.nthreads())


@needs_worker_processes
def test_a_worker_killed_mid_fit_leaves_the_fit_unchanged(client, monkeypatch):
    # The worker's process dies (SIGKILL) at the 4th evaluation, with its
    # blocks; dask recomputes them from their graph on the other worker (the
    # nanny restarts the dead one) and the fit goes on to the same result.
    X, y = _digits()
    reference = _fit(X, y)
    victim = sorted(client.nthreads())[0]
    pid = client.run(os.getpid, workers=[victim])[victim]
    evaluations = []
    original = _dask.ClusterObjective.__call__

    def dying(objective, theta):
        evaluations.append(len(evaluations))
        if len(evaluations) == 4:
            os.kill(pid, signal.SIGKILL)
        return original(objective, theta)

    monkeypatch.setattr(_dask.ClusterObjective, "__call__", dying)
    fitted = _fit(*dask.persist(_chunked(X, 100), _chunked(y, 100)))
    assert len(evaluations) > 4
    assert pid not in client.run(os.getpid).values()  # the worker did die
    _assert_same_fit(reference, fitted)


@pytest.mark.parametrize(
    "change, message",
    [
        (
            lambda X, y, w: (X.map_blocks(lambda b: b * np.nan), y, w),
            "Input X contains NaN or infinity.",
        ),
        (lambda X, y, w: (X, y, -w), "sample_weight must be finite and non-negative."),
        (lambda X, y, w: (X, y, w * np.inf), "sample_weight must be finite and non-negative."),
        (lambda X, y, w: (X, y, w * 0), "sample_weight must have at least one positive entry."),
        (
            lambda X, y, w: (X, y[:-1], w),
            "y must have one entry per row of X (200); got shape (199,).",
        ),
        (
            lambda X, y, w: (X, y, w[:-1]),
            "sample_weight must have one entry per row of X (200); got shape (199,).",
        ),
        (
            lambda X, y, w: (X[X[:, 0] > 0], y, w),
            "X has chunks of unknown size; call X.compute_chunk_sizes() first.",
        ),
        (lambda X, y, w: (X.astype(str), y, w), "X must hold numbers; got dtype <U32."),
        (
            lambda X, y, w: (da.zeros((10, 2, 2), chunks=5), y, w),
            "Expected a 2-D array; got a 3-D dask array.",
        ),
        (
            lambda X, y, w: (X[:0], y[:0], None),
            "X must have at least one row and one feature; got shape (0, 64).",
        ),
        (
            lambda X, y, w: (X[:, :0], y, w),
            "X must have at least one row and one feature; got shape (200, 0).",
        ),
    ],
    ids=[
        "nan",
        "negative-weight",
        "infinite-weight",
        "zero-weights",
        "short-y",
        "short-weights",
        "unknown-chunks",
        "strings",
        "3-d",
        "no-rows",
        "no-features",
    ],
)
def test_bad_input_raises_clear_errors(change, message):
    X, y = _digits(200)
    X, y, w = change(_chunked(X, 50), y, np.ones(len(y)))
    with dask.config.set(scheduler="sync"), pytest.raises(ValueError) as error:
        _fit(X, y, w)
    assert str(error.value) == message


def test_labels_that_are_not_classes_are_refused():
    X, y = _digits(200)
    with dask.config.set(scheduler="sync"), pytest.raises(ValueError, match="Unknown label type"):
        _fit(_chunked(X, 50), y + 0.5)


def test_integers_and_booleans_train_in_float64():
    X, y = _digits(200)
    for X_numbers in ((X * 16).astype(int), X > 0.5):
        with dask.config.set(scheduler="sync"):
            fitted = _fit(_chunked(X_numbers), y)
        assert fitted.coefs_[0].dtype == np.float64
        _assert_same_fit(_fit(X_numbers.astype(float), y), fitted)


def test_predict_checks_the_features():
    X, y = _digits(200)
    clf = _fit(X, y)
    with pytest.raises(ValueError) as error:
        clf.predict(_chunked(X[:, :10]))
    assert str(error.value) == (
        "X has 10 features, but ReversibleMLPClassifier is expecting 64 features as input."
    )
    with pytest.raises(ValueError, match=r"^Expected a 2-D array; got a 1-D dask array\.$"):
        clf.predict(_chunked(X[:, 0]))


def test_other_dask_collections_are_refused():
    import dask.bag

    X, y = _digits(100)
    for collection in (dask.bag.from_sequence(X), dask.delayed(X)):
        with pytest.raises(TypeError) as error:
            _fit(collection, y)
        assert str(error.value) == (
            f"ReversibleMLPClassifier takes dask arrays, not {type(collection).__name__}; "
            "convert a dask DataFrame or Series with .to_dask_array(lengths=True)."
        )
    with pytest.raises(TypeError, match="takes dask arrays"):
        _fit(_chunked(X), dask.bag.from_sequence(y))


def test_the_convergence_warning_points_at_the_caller_of_fit():
    X, y = _digits(200)
    clf = ReversibleMLPClassifier((4,), max_iter=2, random_state=0)
    with dask.config.set(scheduler="sync"), pytest.warns(ConvergenceWarning) as record:
        clf.fit(_chunked(X, 50), y)
    assert len(record) == 1
    if "mutmut" not in sys.modules:  # mutation testing adds a frame
        assert [w.filename for w in record] == [__file__]
