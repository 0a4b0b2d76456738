"""ReversibleMLPClassifier: a multilayer perceptron trained by scipy's L-BFGS."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from sklearn_revnet._core.activations import ACTIVATIONS
from sklearn_revnet._core.checks import FLOAT_DTYPES, finite_check
from sklearn_revnet._core.initializers import INITIALIZERS
from sklearn_revnet._core.namespace import (
    array_namespace,
    device,
    dispatched_namespace,
    to_numpy,
)
from sklearn_revnet._core.network import (
    check_finite_logits,
    class_probabilities,
    forward,
    predict_proba_from_logits,
)
from sklearn_revnet._forward import dask
from sklearn_revnet._forward.fit import fit as fit_network
from sklearn_revnet._forward.progress import CallbackSupportMixin
from sklearn_revnet._reverse.mixin import ReverseMixin


class ReversibleMLPClassifier(ReverseMixin, CallbackSupportMixin, ClassifierMixin, BaseEstimator):
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
        Hidden-layer activation :math:`f(z)`: :math:`z`, :math:`1 / (1 + e^{-z})`,
        :math:`\tanh z`, :math:`\max(z, 0)`, :math:`\max(z, 0.01 z)` or
        :math:`\log(1 + e^{z})`, in that order.

    init : str or callable, default="glorot_uniform"
        How the weights of a layer with ``fan_in`` inputs and ``fan_out``
        outputs are drawn. ``"glorot_uniform"``: :math:`U(-r, r)` with
        :math:`r = \sqrt{c / (\text{fan\_in} + \text{fan\_out})}`, :math:`c = 2`
        for the logistic activation and 6 otherwise, biases alike: exactly
        scikit-learn's MLP initialization. ``"glorot_normal"``,
        ``"he_uniform"``, ``"he_normal"``, ``"lecun_normal"`` and
        ``"normal"`` (:math:`N(0, 0.05^2)`) as usual, with zero biases; or a
        callable ``init(fan_in, fan_out, random_state)`` returning a
        ``(fan_in, fan_out)`` array (``random_state`` is a
        :class:`numpy.random.RandomState`), with zero biases.

    alpha : float, default=1e-4
        Strength of the L2 penalty on the weights (not the biases), as in
        :class:`~sklearn.neural_network.MLPClassifier`.

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

    prior : "auto", "diagonal" or int, default="auto"
        The density of the inputs :math:`p(x)`, ``prior_``, fitted on ``X``
        (and ``sample_weight``) without the labels, at its first use: a
        Gaussian mixture of the features after a per-feature monotone map.
        ``"auto"`` chooses the map (Yeo-Johnson or a standardization), the
        covariance type (full, tied or diagonal), the number of components
        (1 to 30) and the regularization by held-out log-likelihood; an int
        fixes that many full-covariance components of the standardized
        features; ``"diagonal"`` is one Gaussian with a diagonal
        covariance, the cheapest and crudest.

    input_bounds : "auto", None or tuple (lo, hi), default="auto"
        Box that reconstructed and generated inputs stay in. ``"auto"``: the
        per-feature range of the training inputs (``input_min_``,
        ``input_max_``); ``None``: unbounded; ``(lo, hi)``: numbers or
        arrays with one entry per feature. A feature with ``lo == hi`` is
        held there. Takes effect without refitting.

    inverse_max_iter : int, default=500
        Maximum number of L-BFGS-B iterations of :meth:`inverse_transform`.

    inverse_tol : float, default=1e-5
        :meth:`inverse_transform` stops when the largest entry of the
        projected gradient falls below ``inverse_tol`` (scipy's ``gtol``).

    mcmc_steps : int, default=200
        Langevin steps of each chain when :meth:`generate` has to fall back
        from rejection sampling to MCMC (rare labels, label sets,
        ``min_proba``); half of them adapt the step size. Takes effect without
        refitting.

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

    prior_ : InputPrior
        The input prior :math:`p(x)`, in the coordinates of ``X``, with
        scikit-learn's density API (``prior_.score_samples(X)`` is
        :math:`\log p(x)`; ``score``, ``sample``). Fitted at its first read
        (the first reverse call), from rows that ``fit`` keeps until then:
        read it after ``fit`` to pay for it at once.

    input_min_, input_max_ : ndarray of shape (`n_features_in_`,)
        Per-feature minimum and maximum of the training inputs (rows of
        positive weight): the default ``input_bounds``.

    See Also
    --------
    sklearn.neural_network.MLPClassifier : The model this one reproduces.

    Notes
    -----
    Training minimizes the sample-weighted mean log-loss, computed from the
    logits, plus :math:`\frac{\alpha}{2} \sum_l \lVert W_l \rVert_F^2`
    divided by the total sample weight, with
    ``scipy.optimize.minimize(method="L-BFGS-B", jac=True)`` and
    ``maxiter=max_iter, maxfun=max_fun, gtol=tol``; the user guide writes
    out the model.

    **Running in reverse.** The network gives :math:`p(t \mid x)` for a
    target row :math:`t` (a label, a label set or a row of probabilities)
    and ``prior_`` gives :math:`p(x)`, fitted on the inputs alone, so all
    label information comes from the network. By Bayes' rule
    :math:`p(x \mid t) \propto p(t \mid x) \, p(x)`, with the prior
    censored at ``input_bounds`` (a draw beyond a bound lands on it, as real
    data with a floor or a ceiling do). :meth:`generate` draws exact samples
    (rejection from the prior, or Metropolis-adjusted Langevin MCMC with the
    input gradient of the same backward pass as training) and
    :meth:`inverse_transform` returns the posterior's mode within the prior
    component that holds most of its mass, by scipy's L-BFGS-B.

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
    0.99
    >>> clf.predict(clf.inverse_transform([0, 1, 2]))
    array([0, 1, 2])
    >>> samples = clf.generate(1, n=3, random_state=0)
    >>> samples.shape
    (3, 4)
    >>> bool(((samples >= clf.input_min_) & (samples <= clf.input_max_)).all())
    True
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
        "prior": [StrOptions({"auto", "diagonal"}), Interval(Integral, 1, None, closed="left")],
        "input_bounds": [StrOptions({"auto"}), None, tuple, list],
        "inverse_max_iter": [Interval(Integral, 1, None, closed="left")],
        "inverse_tol": [Interval(Real, 0, None, closed="left")],
        "mcmc_steps": [Interval(Integral, 2, None, closed="left")],
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
        prior="auto",
        input_bounds="auto",
        inverse_max_iter=500,
        inverse_tol=1e-5,
        mcmc_steps=200,
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
        self.prior = prior
        self.input_bounds = input_bounds
        self.inverse_max_iter = inverse_max_iter
        self.inverse_tol = inverse_tol
        self.mcmc_steps = mcmc_steps

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the network to ``X`` and ``y`` with L-BFGS.

        Parameters
        ----------
        X : {array-like, sparse matrix, dask array} of shape (n_samples, n_features)
            Training data. float32 data is trained in float32. A dask array
            stays where its chunks are: each L-BFGS evaluation runs on them
            there (on the workers of a ``distributed`` cluster), and the fit
            is the in-memory fit; ``y`` and ``sample_weight`` may then be dask
            arrays too. Needs the ``dask`` extra.

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
        return fit_network(self, X, y, sample_weight)

    def _logits(self, X, method):
        """The network's output logits for ``X``, in X's namespace."""
        check_is_fitted(self)
        xp = dispatched_namespace(X)
        with finite_check():
            if xp is None:
                X = validate_data(
                    self, X, accept_sparse=["csr", "csc"], dtype=FLOAT_DTYPES, reset=False
                )
            else:
                X = validate_data(self, X, dtype=(xp.float64, xp.float32), reset=False)
        coefs, intercepts = self.coefs_, self.intercepts_
        if xp is not None:  # the weights go where X is
            coefs = [xp.asarray(W, device=device(X)) for W in coefs]
            intercepts = [xp.asarray(b, device=device(X)) for b in intercepts]
        elif array_namespace(coefs[0]) is not None:
            raise ValueError(
                f"Inputs passed to {type(self).__name__}.{method}() must use the same "
                "namespace and the same device as those passed to fit(); it was fitted on "
                f"{type(coefs[0]).__module__} arrays (with array API dispatch on)."
            )
        with np.errstate(over="ignore", invalid="ignore"):  # checked just below
            logits = forward(X, coefs, intercepts, self.activation)[-1]
        check_finite_logits(logits, X)
        return logits

    def predict(self, X):
        """Predict class labels.

        Parameters
        ----------
        X : {array-like, sparse matrix, dask array} of shape (n_samples, n_features)
            Input data: numpy arrays, sparse matrices, dask arrays, or arrays
            of the namespace the model was fitted in.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_labels)
            Predicted labels (an indicator matrix for multilabel models).
            For a dask array ``X``, a lazy dask array.
        """
        if dask.is_dask_collection(X):
            return dask.predict(self, X, "predict")
        logits = self._logits(X, "predict")
        xp = array_namespace(logits)
        if xp is None:
            proba = predict_proba_from_logits(logits, self.out_activation_)
            return self._label_binarizer.inverse_transform(proba)
        if self._label_binarizer.y_type_ == "multilabel-indicator":
            return xp.astype(logits > 0, xp.int64)
        index = xp.argmax(logits, axis=1) if logits.shape[1] > 1 else logits[:, 0] > 0
        index = xp.astype(index, xp.int64)
        if self.classes_.dtype.kind not in "biuf":  # labels no array namespace holds
            return self.classes_[to_numpy(index)]
        return xp.take(xp.asarray(self.classes_, device=device(logits)), index, axis=0)

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : {array-like, sparse matrix, dask array} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probability of each class, in the order of ``classes_``. For a
            multilabel model, the probability of each label. Values that
            would round to exactly 0 or 1 are kept one representable step
            inside the interval. For a dask array ``X``, a lazy dask array.
        """
        if dask.is_dask_collection(X):
            return dask.predict(self, X, "predict_proba")
        return class_probabilities(self._logits(X, "predict_proba"), self.out_activation_)

    def predict_log_proba(self, X):
        """Logarithm of the class probabilities.

        Parameters
        ----------
        X : {array-like, sparse matrix, dask array} of shape (n_samples, n_features)
            Input data, as for :meth:`predict_proba`.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            ``log(predict_proba(X))``. Always finite, because
            :meth:`predict_proba` stays inside the open interval (0, 1). (For
            inputs so far out that the network's arithmetic overflows, the
            predict methods raise a ValueError rather than return NaN.) For a
            dask array ``X``, a lazy dask array.
        """
        if dask.is_dask_collection(X):
            return dask.predict(self, X, "predict_log_proba")
        proba = class_probabilities(self._logits(X, "predict_log_proba"), self.out_activation_)
        xp = array_namespace(proba)
        return np.log(proba, out=proba) if xp is None else xp.log(proba)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.array_api_support = True
        tags.classifier_tags.multi_label = True
        tags.input_tags.sparse = True
        return tags
