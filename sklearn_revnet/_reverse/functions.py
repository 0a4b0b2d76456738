"""generate() and inverse_transform() for a classifier, a pipeline or a search."""

from numbers import Real

import numpy as np
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions, validate_params
from sklearn.utils.validation import check_is_fitted

from sklearn_revnet._core.namespace import weights_dtype
from sklearn_revnet._reverse.mode import generate_rows, modes
from sklearn_revnet._reverse.pipeline.fold import RawSpace
from sklearn_revnet._reverse.pipeline.unwrap import unwrap
from sklearn_revnet._reverse.targets import Count, answered, explicit_box

# anything fitted: unwrap says what it must be (a classifier of this package, a
# pipeline ending in one or a search over such)
ESTIMATOR = [HasMethods(["fit"])]
BOUNDS = [StrOptions({"auto"}), None, "array-like"]


@validate_params(
    {
        "estimator": ESTIMATOR,
        "label": "no_validation",  # a label of any type, checked against classes_
        "n": [Count()],
        "random_state": ["random_state"],
        "bounds": BOUNDS,
        "min_proba": [Interval(Real, 0, 1, closed="left")],
    },
    prefer_skip_nested_validation=True,
)
def generate(estimator, label, n=1, *, random_state=None, bounds="auto", min_proba=0.0):
    """Draw ``n`` samples of ``p(x | label)``, in the raw input space.

    The classifier samples its own input space (see
    :meth:`ReversibleMLPClassifier.generate`); the samples are then mapped
    back through the ``inverse_transform`` of every earlier pipeline step.
    Steps that drop directions with a model of them (``PCA``, ``Whitener``)
    have those directions filled with that model's noise. With raw-space
    ``bounds``, each sample becomes the in-bounds raw row whose image in the
    classifier's input space is nearest to it: where some in-bounds row maps
    exactly to the sample (most samples) the network's view is unchanged,
    elsewhere it moves by the least the bounds demand (a projection after
    sampling; the user guide measures what it costs).

    Parameters
    ----------
    estimator : estimator
        A fitted :class:`~sklearn_revnet.ReversibleMLPClassifier`; a fitted
        :class:`~sklearn.pipeline.Pipeline` ending in one, whose earlier
        steps must be affine when raw bounds apply (scalers, ``PCA``,
        :class:`~sklearn_revnet.Whitener`); or a fitted search such as
        :class:`~sklearn.model_selection.GridSearchCV`, whose
        ``best_estimator_`` is used.

    label : object
        A label from the classifier's ``classes_`` (for a multilabel model,
        also a 0/1 indicator row).

    n : int, default=1
        Number of samples.

    random_state : int, RandomState instance or None, default=None
        Seeds the sampler; the same seed and ``n`` give the same samples.

    bounds : "auto", None or tuple (lo, hi), default="auto"
        Bounds of the raw features, for a pipeline. ``"auto"``: the training
        range recorded by the first step (``data_min_`` and ``data_max_``, as
        :class:`~sklearn_revnet.Whitener` and ``MinMaxScaler`` record them);
        scikit-learn's ``PCA`` and ``StandardScaler`` record none, so then
        only the classifier's own ``input_bounds`` apply (for per-feature
        scalers they are the same box). ``None``: no raw bounds. ``(lo,
        hi)``: numbers or arrays with one entry per raw feature. For a
        classifier without a pipeline, ``"auto"`` is its own
        ``input_bounds``, and ``None`` or ``(lo, hi)`` replace them.

    min_proba : float, default=0.0
        Keep only samples that the network assigns to ``label`` with at
        least this probability.

    Returns
    -------
    X : ndarray or DataFrame of shape (n, n_features)
        Samples in the input space of ``estimator`` (for an ``estimator``
        fitted on a DataFrame, a DataFrame of its raw input columns).

    Warns
    -----
    UserWarning
        When the network assigns none of the samples to ``label`` and no
        input within the bounds that it assigns to ``label`` was found.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> X, y = load_iris(return_X_y=True)
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn_revnet import ReversibleMLPClassifier, Whitener, generate
    >>> clf = ReversibleMLPClassifier(hidden_layer_sizes=(10,), random_state=0)
    >>> pipe = make_pipeline(Whitener(), clf).fit(X, y)
    >>> samples = generate(pipe, 2, n=5, random_state=0)
    >>> samples.shape
    (5, 4)
    >>> bool(((samples >= X.min(axis=0)) & (samples <= X.max(axis=0))).all())
    True
    """
    final, steps = unwrap(estimator)
    check_is_fitted(final)
    if not steps:
        box = explicit_box(final, bounds)
        return answered(
            final, lambda: generate_rows(final, label, n, random_state, min_proba, box)
        )
    raw = RawSpace(steps, bounds, final.prior_.means_)
    X = generate_rows(final, label, n, random_state, min_proba, raw=raw)
    # the first step saw the raw inputs, and their names
    return raw.frame(X)


@validate_params(
    {"estimator": ESTIMATOR, "y": ["array-like"], "bounds": BOUNDS},
    prefer_skip_nested_validation=True,
)
def inverse_transform(estimator, y, *, bounds="auto"):
    """The most probable input for each label or target row, in the raw input space.

    Like ``Pipeline.inverse_transform``, which passes the classifier's
    :meth:`~ReversibleMLPClassifier.inverse_transform` back through every
    earlier step, but with raw-space ``bounds``: then the mode is sought over
    the raw features themselves, through the (affine) steps, by L-BFGS-B
    within the bounds. Along raw directions the network never sees, the
    prior is the step's model of them (``noise_variance_`` of ``PCA`` and
    :class:`~sklearn_revnet.Whitener`, around the reconstruction of the
    prior's mean). Without raw bounds it is ``Pipeline.inverse_transform``.

    Parameters
    ----------
    estimator : estimator
        A fitted :class:`~sklearn_revnet.ReversibleMLPClassifier`, a fitted
        :class:`~sklearn.pipeline.Pipeline` ending in one, or a fitted search.

    y : array-like of shape (n_rows,) or (n_rows, n_classes)
        Labels, probability rows or label sets, as for
        :meth:`ReversibleMLPClassifier.inverse_transform`.

    bounds : "auto", None or tuple (lo, hi), default="auto"
        Bounds of the raw features, as for :func:`generate`.

    Returns
    -------
    X : ndarray or DataFrame of shape (n_rows, n_features)
        Deterministic reconstructions in the input space of ``estimator``:
        a DataFrame whose columns are the raw input features
        (``feature_names_in_``) when ``estimator`` was fitted on a
        DataFrame, else an ndarray.

    Warns
    -----
    UserWarning
        When no input within the bounds was found that the network assigns
        to a label: that row is the mode within the bounds.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.pipeline import Pipeline
    >>> from sklearn_revnet import ReversibleMLPClassifier, Whitener, inverse_transform
    >>> X, y = load_digits(return_X_y=True)
    >>> pipe = Pipeline([
    ...     ("whiten", Whitener(n_components=10)),
    ...     ("mlp", ReversibleMLPClassifier((20,), max_iter=50, random_state=0)),
    ... ]).fit(X, y)
    >>> prototypes = inverse_transform(pipe, [0, 1, 2])
    >>> prototypes.shape
    (3, 64)
    >>> bool(prototypes.min() >= 0 and prototypes.max() <= 16)
    True
    """
    final, steps = unwrap(estimator)
    check_is_fitted(final)
    if not steps:
        return answered(final, lambda: modes(final, y, box=explicit_box(final, bounds)))
    raw = RawSpace(steps, bounds, final.prior_.means_)
    if raw.lo is None:
        Z = modes(final, y)
        # no targets, no rows (the steps' inverse_transform refuses 0 rows)
        X = raw.back(Z) if len(Z) else np.empty((0, raw.n_features))
    else:
        X = modes(final, y, raw)
    if X.dtype != object:
        X = X.astype(weights_dtype(final), copy=False)
    return raw.frame(X)
