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
from sklearn_revnet._network import forward, predict_proba_from_logits
from sklearn_revnet._training import TrainingObjective, minimize_lbfgs

_FLOAT_DTYPES = (np.float64, np.float32)


class ReversibleMLPClassifier(ClassifierMixin, BaseEstimator):
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

    activation : {"identity", "logistic", "tanh", "relu", "leaky_relu", \
            "softplus"}, default="relu"
        Hidden-layer activation :math:`f`:

        - ``"identity"``: :math:`f(z) = z`;
        - ``"logistic"``: :math:`f(z) = 1 / (1 + e^{-z})`;
        - ``"tanh"``: :math:`f(z) = \tanh z`;
        - ``"relu"``: :math:`f(z) = \max(z, 0)`;
        - ``"leaky_relu"``: :math:`f(z) = \max(z, 0.01 z)`;
        - ``"softplus"``: :math:`f(z) = \log(1 + e^{z})`.

    init : {"glorot_uniform", "glorot_normal", "he_uniform", "he_normal", \
            "lecun_normal", "normal"} or callable, default="glorot_uniform"
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

    alpha : float, default=1e-4
        Strength of the L2 penalty on the weights (not the biases).

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

    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when ``X`` has string column names.

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

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_revnet import ReversibleMLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = ReversibleMLPClassifier(hidden_layer_sizes=(10,), max_iter=500,
    ...                               random_state=0).fit(X, y)
    >>> clf.predict(X[:3])
    array([0, 0, 0])
    >>> round(clf.score(X, y), 2)
    0.99
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
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        init="glorot_uniform",
        alpha=1e-4,
        max_iter=200,
        tol=1e-4,
        max_fun=15000,
        random_state=None,
        verbose=0,
        warm_start=False,
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
            X, Y, sample_weight, layer_units, self.activation, self.out_activation_, self.alpha
        )
        layout = objective.layout

        n_curve = len(self.loss_curve_)

        def callback(intermediate_result):
            self.loss_curve_.append(float(intermediate_result.fun))
            if self.verbose:
                iteration = len(self.loss_curve_) - n_curve
                print(f"Iteration {iteration}, loss = {intermediate_result.fun:.8f}")

        result = minimize_lbfgs(
            objective,
            layout.pack(coefs, intercepts),
            max_iter=self.max_iter,
            max_fun=self.max_fun,
            tol=self.tol,
            callback=callback,
        )
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
        return forward(X, self.coefs_, self.intercepts_, self.activation)[-1]

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
            :meth:`predict_proba` stays inside the open interval (0, 1).
        """
        proba = self.predict_proba(X)
        return np.log(proba, out=proba)

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
