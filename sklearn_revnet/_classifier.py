"""ReversibleMLPClassifier: a multilayer perceptron trained by scipy's L-BFGS."""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state, column_or_1d
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from sklearn_revnet._activations import ACTIVATIONS
from sklearn_revnet._init import INITIALIZERS, initialize
from sklearn_revnet._inversion import InputPrior, reconstruct
from sklearn_revnet._network import forward, predict_proba_from_logits
from sklearn_revnet._progress import CallbackSupportMixin, FitMonitor
from sklearn_revnet._training import TrainingObjective, blas_threads, minimize_lbfgs

_FLOAT_DTYPES = (np.float64, np.float32)
_N_STARTS = 4  # starts per row in inverse_transform: the prior mean and 3 fixed draws
_MAX_REDRAWS = 3  # new random starts for generated samples that miss their label
_TIE = 1e-3  # objectives this close (relatively) count as equally good starts


class ReversibleMLPClassifier(CallbackSupportMixin, ClassifierMixin, BaseEstimator):
    r"""Multilayer perceptron classifier trained with scipy's L-BFGS.

    The model, its loss and its default initialization are those of
    :class:`sklearn.neural_network.MLPClassifier` with ``solver="lbfgs"``:
    with the same data, hyperparameters and ``random_state`` both fit the
    same network. The network is evaluated in the dtype of ``X`` (float32
    stays float32).

    Parameters
    ----------
    hidden_layer_sizes : array-like of int, default=(100,)
        Number of units in each hidden layer.

    activation : {"identity", "logistic", "tanh", "relu", "leaky_relu", "softplus"}, default="relu"
        Hidden-layer activation :math:`f`:

        - ``"identity"``: :math:`f(z) = z`;
        - ``"logistic"``: :math:`f(z) = 1 / (1 + e^{-z})`;
        - ``"tanh"``: :math:`f(z) = \tanh z`;
        - ``"relu"``: :math:`f(z) = \max(z, 0)`;
        - ``"leaky_relu"``: :math:`f(z) = \max(z, 0.01 z)`;
        - ``"softplus"``: :math:`f(z) = \log(1 + e^{z})`.

    init : str or callable, default="glorot_uniform"
        How the weights :math:`W` of a layer with ``fan_in`` inputs and
        ``fan_out`` outputs are drawn:

        - ``"glorot_uniform"``: :math:`U(-r, r)`,
          :math:`r = \sqrt{c / (\text{fan\_in} + \text{fan\_out})}` with
          :math:`c = 2` for the logistic activation and :math:`c = 6`
          otherwise; the biases are drawn the same way. This is exactly
          scikit-learn's MLP initialization.
        - ``"glorot_normal"``: :math:`N(0, 2 / (\text{fan\_in} + \text{fan\_out}))`;
        - ``"he_uniform"``: :math:`U(-r, r)`, :math:`r = \sqrt{6 / \text{fan\_in}}`;
        - ``"he_normal"``: :math:`N(0, 2 / \text{fan\_in})`;
        - ``"lecun_normal"``: :math:`N(0, 1 / \text{fan\_in})`;
        - ``"normal"``: :math:`N(0, 0.05^2)`;
        - a callable ``init(fan_in, fan_out, random_state)`` returning an
          array of shape ``(fan_in, fan_out)``; ``random_state`` is a
          :class:`numpy.random.RandomState`.

        All but ``"glorot_uniform"`` start the biases at zero.

    alpha : float, default=0.5
        Strength of the L2 penalty on the weights (not the biases). The
        default is larger than :class:`~sklearn.neural_network.MLPClassifier`'s
        ``1e-4``: a smoother network is as accurate on typical data and its
        reverse gives inputs that other classifiers also recognize (see the
        user guide). Pass ``alpha=1e-4`` to reproduce scikit-learn's default.

    max_iter : int, default=200
        Maximum number of L-BFGS iterations.

    tol : float, default=1e-4
        L-BFGS stops when the largest absolute entry of the gradient falls
        below ``tol`` (scipy's ``gtol``).

    max_fun : int, default=15000
        Maximum number of loss evaluations (scipy's ``maxfun``).

    random_state : int, RandomState instance or None, default=None
        Seeds the weight initialization. Pass an int for reproducible fits.

    verbose : int, default=0
        If positive, print ``Iteration k, loss = ...`` after each L-BFGS
        iteration.

    warm_start : bool, default=False
        If True, ``fit`` starts from the weights of the previous fit (the
        classes must be the same).

    inverse_alpha : float, default=0.0
        Weight of the Gaussian pull of the input prior in
        :meth:`inverse_transform` and :meth:`generate` (see Notes). With the
        default 0 the prior still sets where each reconstruction starts and
        the scale of each feature's steps, and the descent stops once the
        network is confident (see ``inverse_tol``); a positive value also
        pulls each reconstruction toward its anchor. Takes effect without
        refitting.

    inverse_max_iter : int, default=500
        Maximum number of L-BFGS iterations of an input reconstruction.

    inverse_tol : float, default=1e-4
        Reconstruction stops when the largest absolute entry of the gradient
        falls below ``inverse_tol``. As the gradient of the log-loss vanishes
        when the network's confidence in the target approaches 1, this is
        the stopping confidence: smaller values push further toward the
        label. Takes effect without refitting.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels (for multilabel ``y``, the label indices).

    coefs_ : list of ndarray
        ``coefs_[i]`` is the weight matrix from layer ``i`` to ``i + 1``.

    intercepts_ : list of ndarray
        ``intercepts_[i]`` is the bias vector of layer ``i + 1``.

    loss_ : float
        Value of the training objective at the end of fit.

    loss_curve_ : list of float
        Training objective after each L-BFGS iteration (appended to on
        warm-started fits).

    n_iter_ : int
        Number of L-BFGS iterations run by the last fit.

    n_layers_ : int
        Number of layers, input and output included.

    n_outputs_ : int
        Number of output units.

    out_activation_ : str
        ``"softmax"`` for multiclass ``y``, ``"logistic"`` for binary and
        multilabel ``y``.

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    input_mean_ : ndarray of shape (`n_features_in_`,)
        Mean of the training inputs (sample-weighted), the centre of the
        input prior.

    input_scale_ : ndarray of shape (`n_features_in_`,)
        Standard deviation of each training input feature, the scale of the
        input prior (0 for a constant feature, which reconstructions then
        keep constant).

    See Also
    --------
    sklearn.neural_network.MLPClassifier : The model this one reproduces.

    Notes
    -----
    With :math:`A_0 = X`, each layer computes
    :math:`A_l = f(A_{l-1} W_l + b_l)` and the last one gives logits
    :math:`Z = A_{L-1} W_L + b_L`. Probabilities are
    :math:`\mathrm{softmax}(Z)` for multiclass targets and
    :math:`\sigma(Z) = 1 / (1 + e^{-Z})` otherwise (one unit for binary
    targets, one per label for multilabel targets).

    Training minimizes, with sample weights :math:`w_i` (all one by
    default),

    .. math::

        \frac{1}{\sum_i w_i} \Big( \sum_i w_i \, \ell(y_i, z_i)
        + \frac{\alpha}{2} \sum_l \lVert W_l \rVert_F^2 \Big)

    where :math:`\ell(y, z) = \log \sum_k e^{z_k} - \sum_k y_k z_k` for
    softmax outputs and
    :math:`\ell(y, z) = \sum_k \log(1 + e^{z_k}) - y_k z_k` for logistic
    outputs, both computed from the logits without clipping. The gradient
    comes from one backward pass and the minimization from
    ``scipy.optimize.minimize(method="L-BFGS-B", jac=True)`` with
    ``maxiter=max_iter, maxfun=max_fun, gtol=tol``.

    **Running in reverse.** The network gives :math:`p(y \mid x)`; to find
    inputs for a target it is combined with a Gaussian prior over inputs
    recorded at fit time from the training inputs alone (no labels):
    :math:`x = \mu + s \odot u` with :math:`\mu` = ``input_mean_``,
    :math:`s` = ``input_scale_`` and :math:`u \sim N(0, I)`. For a target
    row :math:`t` (a one-hot label, a row of probabilities or a label set)
    the reconstruction minimizes over the standardized coordinates
    :math:`u`, with L-BFGS and the gradient from the same backward pass as
    training,

    .. math::

        \ell(t, z(\mu + s \odot u)) + \frac{\lambda}{2} \lVert u - a \rVert^2

    with :math:`\lambda` = ``inverse_alpha``. :meth:`inverse_transform`
    anchors every row at the prior mean (:math:`a = 0`) and starts there, so
    it is deterministic; :meth:`generate` draws each anchor
    :math:`a \sim N(0, I)` from the prior and starts from it, so samples are
    as diverse as the training inputs. Working in :math:`u` means each
    feature moves in proportion to its spread in the training data (a
    constant feature does not move at all). L-BFGS stops when the gradient
    is below ``inverse_tol``, that is once the network is confident in the
    target. All label information comes from the network.

    The defaults (``alpha=0.5``, ``inverse_alpha=0``, ``inverse_tol=1e-4``)
    were chosen on the digits yardstick of ``benchmarks/bench_inversion.py``:
    a smoother network (larger ``alpha``) is what makes reconstructions
    recognizable to other classifiers, and a positive ``inverse_alpha``
    there kept samples closer to their random starts, less typical of the
    label, and took longer.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn_revnet import ReversibleMLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> clf = ReversibleMLPClassifier(hidden_layer_sizes=(10,), random_state=0).fit(X, y)
    >>> clf.predict(X[:3])
    array([0, 0, 0])
    >>> round(clf.score(X, y), 2)
    0.98
    >>> clf.predict(clf.inverse_transform([0, 1, 2]))
    array([0, 1, 2])
    >>> clf.generate(1, n=3, random_state=0).shape
    (3, 4)
    """

    _parameter_constraints = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "init": [StrOptions(set(INITIALIZERS)), callable],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "inverse_alpha": [Interval(Real, 0, None, closed="left")],
        "inverse_max_iter": [Interval(Integral, 1, None, closed="left")],
        "inverse_tol": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        init="glorot_uniform",
        alpha=0.5,
        max_iter=200,
        tol=1e-4,
        max_fun=15000,
        random_state=None,
        verbose=0,
        warm_start=False,
        inverse_alpha=0.0,
        inverse_max_iter=500,
        inverse_tol=1e-4,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.init = init
        self.alpha = alpha
        self.max_iter = max_iter
        self.tol = tol
        self.max_fun = max_fun
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start
        self.inverse_alpha = inverse_alpha
        self.inverse_max_iter = inverse_max_iter
        self.inverse_tol = inverse_tol

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the network to ``X`` and ``y`` with L-BFGS.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data. float32 data is trained in float32.

        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels of any type, or a 0/1 indicator matrix for
            multilabel classification.

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; a zero weight is the same as leaving the
            sample out.

        Returns
        -------
        self : object
            The fitted classifier.
        """
        hidden = _hidden_units(self.hidden_layer_sizes)
        warm = self.warm_start and hasattr(self, "coefs_")
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            dtype=_FLOAT_DTYPES,
            reset=not warm,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if warm:
            classes = LabelBinarizer().fit(y).classes_
            if not np.array_equal(classes, self.classes_):
                raise ValueError(
                    "warm_start needs y to have the classes of the previous fit "
                    f"{self.classes_.tolist()}; got {classes.tolist()}."
                )
        else:
            self._label_binarizer = LabelBinarizer().fit(y)
            self.classes_ = self._label_binarizer.classes_
        Y = self._label_binarizer.transform(y)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=X.dtype, ensure_non_negative=True
            )
            if not sample_weight.sum() > 0:
                raise ValueError("sample_weight must have at least one positive entry.")

        prior = InputPrior.from_data(X, sample_weight)
        self.input_mean_, self.input_scale_ = prior.mean, prior.scale
        self.n_outputs_ = Y.shape[1]
        layer_units = [X.shape[1], *hidden, self.n_outputs_]
        self.n_layers_ = len(layer_units)
        if self._label_binarizer.y_type_ == "multiclass":
            self.out_activation_ = "softmax"
        else:
            self.out_activation_ = "logistic"

        if warm:
            coefs, intercepts = self.coefs_, self.intercepts_
            fitted_units = [coefs[0].shape[0]] + [b.size for b in intercepts]
            if fitted_units != layer_units:
                raise ValueError(
                    f"warm_start needs the layer sizes of the previous fit {fitted_units}; "
                    f"got {layer_units}. Set warm_start=False to start afresh."
                )
        else:
            coefs, intercepts = initialize(
                self.init,
                layer_units,
                check_random_state(self.random_state),
                self.activation,
                X.dtype,
            )
            self.loss_curve_ = []

        objective = TrainingObjective(
            X,
            Y,
            sample_weight,
            layer_units,
            self.activation,
            self.out_activation_,
            self.alpha,
            n_workers=blas_threads(),
        )
        layout = objective.layout

        x0 = layout.pack(coefs, intercepts)
        monitor = FitMonitor(self, X, y, sample_weight, layout, x0)
        with objective:
            result = minimize_lbfgs(
                objective,
                x0,
                max_iter=self.max_iter,
                max_fun=self.max_fun,
                tol=self.tol,
                callback=monitor,
            )
        monitor.close()
        if not monitor.stopped:
            _warn_if_not_converged(result, self.max_iter, self.max_fun)
        if not np.all(np.isfinite(result.x)):
            raise ValueError(
                "L-BFGS produced non-finite weights; scale the input data "
                "(for example with StandardScaler) and fit again."
            )
        self.coefs_, self.intercepts_ = layout.views(result.x.astype(X.dtype))
        self.n_iter_ = min(result.nit, self.max_iter)
        self.loss_ = float(result.fun)
        return self

    def _logits(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=["csr", "csc"], dtype=_FLOAT_DTYPES, reset=False)
        with np.errstate(over="ignore", invalid="ignore"):  # checked just below
            logits = forward(X, self.coefs_, self.intercepts_, self.activation)[-1]
        if not np.all(np.isfinite(logits)):
            raise ValueError(
                "The network's outputs overflowed for some rows of X (largest absolute "
                f"value {np.max(np.abs(X.data if hasattr(X, 'data') else X)):.3g}); "
                "X must be on a scale comparable to the training data."
            )
        return logits

    def predict(self, X):
        """Predict class labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_labels)
            Predicted labels (an indicator matrix for multilabel models).
        """
        proba = predict_proba_from_logits(self._logits(X), self.out_activation_)
        return self._label_binarizer.inverse_transform(proba)

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probability of each class, in the order of ``classes_``. For a
            multilabel model, the probability of each label. Values that
            would round to exactly 0 or 1 are kept one representable step
            inside the interval.
        """
        logits = self._logits(X)
        if self.n_outputs_ == 1:
            # sigmoid(-z) rather than 1 - sigmoid(z): no cancellation to 0
            logits = np.hstack([-logits, logits])
        return predict_proba_from_logits(logits, self.out_activation_)

    def predict_log_proba(self, X):
        """Logarithm of the class probabilities.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            ``log(predict_proba(X))``. Always finite, because
            :meth:`predict_proba` stays inside the open interval (0, 1). (For
            inputs so far out that the network's arithmetic overflows, the
            predict methods raise a ValueError rather than return NaN.)
        """
        proba = self.predict_proba(X)
        return np.log(proba, out=proba)

    def inverse_transform(self, y):
        """Reconstruct one input for each label or target row.

        Each row minimizes the log-loss of the network's output against the
        target plus the input prior centred on the mean of the training
        inputs (see Notes). L-BFGS starts from that mean and from three fixed
        draws of the prior; the solution from the mean is kept unless another
        start reaches a clearly lower objective (a descent from the mean can
        stall in a flat region of a ReLU network). The result is
        deterministic and each row depends on its own target only (one L-BFGS
        problem per distinct target).

        Parameters
        ----------
        y : array-like of shape (n_rows,) or (n_rows, n_classes)
            Labels from ``classes_``; or, for a binary or multiclass model,
            rows of target probabilities (non-negative, summing to 1); or,
            for a multilabel model, rows of a 0/1 label indicator.

        Returns
        -------
        X : ndarray of shape (n_rows, `n_features_in_`)
            Inputs, in the space of the training data.
        """
        check_is_fitted(self)
        targets = self._targets(y)
        n_features = self.n_features_in_
        # A ReLU network's objective has flat regions where a descent from the
        # mean can stall; every target also tries a few fixed starts and keeps
        # its best solution. Fixed starts keep the result deterministic.
        starts = np.vstack(
            [
                np.zeros((1, n_features)),
                np.random.RandomState(0).standard_normal((_N_STARTS - 1, n_features)),
            ]
        )
        # One L-BFGS problem per distinct target (its starts solved together),
        # so that a row's reconstruction depends on its target alone, not on
        # the other rows of the call.
        unique, inverse = np.unique(targets, axis=0, return_inverse=True)
        X = np.empty((len(unique), n_features), dtype=self.input_mean_.dtype)
        for i, target in enumerate(unique):
            candidates, objective = self._reconstruct(
                np.tile(target, (_N_STARTS, 1)), np.zeros_like(starts), start=starts
            )
            # The solution from the mean, unless another start does clearly
            # better: near-ties (every start reached the target) would
            # otherwise pick whichever start ran furthest.
            near_best = objective <= objective.min() + _TIE * max(1.0, abs(objective.min()))
            X[i] = candidates[np.flatnonzero(near_best)[0]]
        return X[inverse.ravel()]

    def generate(self, label, n=1, *, random_state=None):
        """Generate ``n`` diverse inputs that the network maps to ``label``.

        Each sample starts from its own random draw from the input prior and
        is moved by L-BFGS toward ``label`` while anchored to that draw. A
        sample that ends in a flat region of the network without reaching
        ``label`` is redrawn (up to three times).

        Parameters
        ----------
        label : object
            A label from ``classes_``.

        n : int, default=1
            Number of samples.

        random_state : int, RandomState instance or None, default=None
            Seeds the random starting points. The same seed and ``n`` give the
            same samples. (The samples of one call are solved as one L-BFGS
            problem, so a different ``n`` with the same seed starts from the
            same points but may stop at slightly different ones.)

        Returns
        -------
        X : ndarray of shape (n, `n_features_in_`)
            Generated inputs, in the space of the training data.
        """
        check_is_fitted(self)
        n = _check_n_samples(n)
        if np.ndim(label) != 0:
            raise TypeError(
                f"label must be a single label from classes_; got {type(label).__name__} "
                "(use inverse_transform for several targets)."
            )
        targets = np.repeat(self._targets([label]), n, axis=0)
        rng = check_random_state(random_state)
        anchor = rng.standard_normal((n, self.n_features_in_))
        X, _ = self._reconstruct(targets, anchor)
        for _ in range(_MAX_REDRAWS):
            missed = ~self._reaches(X, targets)
            if not missed.any():
                break
            anchor[missed] = rng.standard_normal((missed.sum(), self.n_features_in_))
            X[missed], _ = self._reconstruct(targets[missed], anchor[missed])
        return X

    def _reconstruct(self, targets, anchor, start=None):
        network = (self.coefs_, self.intercepts_, self.activation, self.out_activation_)
        return reconstruct(
            network,
            targets.astype(self.input_mean_.dtype),
            InputPrior(self.input_mean_, self.input_scale_),
            anchor,
            start,
            alpha=self.inverse_alpha,
            max_iter=self.inverse_max_iter,
            tol=self.inverse_tol,
        )

    def _reaches(self, X, targets):
        """Whether the network's decision on each row of X is the target's."""
        logits = forward(X, self.coefs_, self.intercepts_, self.activation)[-1]
        proba = predict_proba_from_logits(logits, self.out_activation_)
        if self.out_activation_ == "softmax":
            return proba.argmax(axis=1) == targets.argmax(axis=1)
        return np.all((proba > 0.5) == (targets > 0.5), axis=1)

    def _targets(self, y):
        """Output-space target rows for labels, probability rows or label sets."""
        y = np.asarray(y, dtype=object if _is_label_list(y) else None)
        if y.ndim == 1:
            index = {label: i for i, label in enumerate(self.classes_.tolist())}
            labels = [_scalar(label) for label in y.tolist()]
            unknown = [label for label in labels if label not in index]
            if unknown:
                raise ValueError(
                    f"Unknown label {unknown[0]!r}; the model knows the labels "
                    f"{self.classes_.tolist()}."
                )
            rows = np.array([index[label] for label in labels], dtype=int)
            if self.out_activation_ == "softmax":
                return np.eye(len(self.classes_))[rows]
            if self.n_outputs_ == 1:
                return (rows == 1).astype(float)[:, None]
            return np.eye(self.n_outputs_)[rows]
        if y.ndim != 2:
            raise ValueError(
                f"y must be 1-D labels or 2-D target rows; got an array of shape {y.shape}."
            )
        width = len(self.classes_)
        if y.shape[1] != width:
            raise ValueError(
                f"Target rows must have one column per class ({width}); got {y.shape[1]}."
            )
        try:
            targets = y.astype(float)
        except (TypeError, ValueError):
            raise ValueError("Target rows must be numeric.") from None
        if not np.all((targets >= 0) & (targets <= 1)):  # NaN fails both
            raise ValueError("Target rows must hold probabilities in [0, 1].")
        if self.out_activation_ == "logistic" and self.n_outputs_ > 1:
            return targets  # multilabel: one probability per label
        sums = targets.sum(axis=1)
        if not np.allclose(sums, 1, rtol=0, atol=1e-6):
            bad = int(np.argmax(np.abs(sums - 1)))
            raise ValueError(
                f"Target probability rows must sum to 1; row {bad} sums to {sums[bad]:.6g}."
            )
        if len(self.classes_) == 1:  # the only class is encoded as 0
            return np.zeros((len(targets), 1))
        return targets[:, 1:] if self.n_outputs_ == 1 else targets

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        tags.input_tags.sparse = True
        return tags


def _hidden_units(hidden_layer_sizes):
    sizes = hidden_layer_sizes
    if isinstance(sizes, Integral):
        sizes = [sizes]
    sizes = list(np.ravel(np.asarray(sizes, dtype=object)))
    if not all(isinstance(s, Integral) and not isinstance(s, bool) and s > 0 for s in sizes):
        raise ValueError(
            f"hidden_layer_sizes must hold positive integers; got {hidden_layer_sizes!r}."
        )
    return [int(s) for s in sizes]


def _is_label_list(y):
    """True for a flat list of labels that numpy should not coerce (mixed types)."""
    return isinstance(y, list | tuple) and all(np.ndim(v) == 0 for v in y)


def _scalar(label):
    """A label given as a 0-d array, as the scalar it holds."""
    return label.item() if isinstance(label, np.ndarray) else label


def _check_n_samples(n):
    if isinstance(n, bool) or not isinstance(n, Integral):
        raise TypeError(f"n must be a positive integer; got {n!r}.")
    if n < 1:
        raise ValueError(f"n must be a positive integer; got {n}.")
    return int(n)


def _warn_if_not_converged(result, max_iter, max_fun):
    if result.status == 0:
        return
    if result.nit >= max_iter:
        reason = f"it reached max_iter={max_iter} iterations; increase max_iter"
    elif result.nfev > max_fun:
        reason = f"it reached max_fun={max_fun} loss evaluations; increase max_fun"
    else:
        reason = f"the line search failed ({result.message}); try scaling the data"
    warnings.warn(
        f"L-BFGS stopped before convergence after {result.nit} iterations: {reason}.",
        ConvergenceWarning,
        stacklevel=4,  # the caller of fit, past the _fit_context wrapper
    )
