"""Whitener: PCA and ZCA whitening of dense data."""

from numbers import Integral, Real

import numpy as np
from scipy import linalg
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils._param_validation import Interval, RealNotInt, StrOptions
from sklearn.utils.extmath import svd_flip
from sklearn.utils.validation import (
    _check_feature_names_in,
    check_array,
    check_is_fitted,
    validate_data,
)

from sklearn_revnet._core.atoms import ResidualFill
from sklearn_revnet._core.checks import finite_check

_FLOAT_DTYPES = (np.float64, np.float32)


class Whitener(ResidualFill, ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    r"""Decorrelate features and scale them to unit variance (PCA or ZCA whitening).

    The data are centered and projected on their principal axes, found by a
    singular value decomposition, and each principal component is divided by
    its standard deviation. With ``method="pca"`` the output is these
    whitened principal components; with ``method="zca"`` they are rotated
    back into the input space, which gives the whitened data closest to the
    input (Mahalanobis or "zero-phase" whitening). float32 data is whitened
    in float32.

    Parameters
    ----------
    n_components : int, float or None, default=None
        Number of principal components to keep:

        - ``None``: all ``min(n_samples, n_features)`` components;
        - int: that many components, between 1 and
          ``min(n_samples, n_features)``;
        - float in (0, 1): the smallest number of components whose
          cumulative explained variance ratio reaches ``n_components``.

    method : {"pca", "zca"}, default="pca"
        Kind of whitening:

        - ``"pca"``: output the whitened principal components, of shape
          ``(n_samples, n_components_)``;
        - ``"zca"``: rotate the whitened components back into the input
          space, output of shape ``(n_samples, n_features)``. With all
          components kept, this multiplies the centered data by the
          symmetric inverse square root of the covariance matrix.

    epsilon : float, default=1e-5
        Regularizer added to the variance of each principal component before
        dividing by its square root. It keeps components of (near-)zero
        variance from being blown up into noise. It is in the units of the
        variance of ``X``: scale the data first if their variance is far from
        one. With ``epsilon=0`` the output covariance is exactly the identity
        (on the kept components).

    Attributes
    ----------
    mean_ : ndarray of shape (n_features,)
        Per-feature mean of the training data.

    components_ : ndarray of shape (`n_components_`, n_features)
        Principal axes (unit vectors), by decreasing explained variance. The
        sign of each axis is fixed so that its entry of largest absolute
        value is positive.

    explained_variance_ : ndarray of shape (`n_components_`,)
        Variance of the training data along each axis of ``components_``
        (with ``n_samples - 1`` degrees of freedom), before ``epsilon`` is
        added.

    explained_variance_ratio_ : ndarray of shape (`n_components_`,)
        Fraction of the total variance explained by each kept component
        (zeros if the training data are constant).

    singular_values_ : ndarray of shape (`n_components_`,)
        Singular values of the centered training data for the kept
        components.

    n_components_ : int
        Number of kept components.

    noise_variance_ : float
        Average variance of the dropped components (0 when none is dropped),
        as in :class:`~sklearn.decomposition.PCA`: the probabilistic PCA
        model's variance of the directions the whitened data leave out.

    noise_scale_ : ndarray of shape (n_features,)
        Per-feature root mean square of what the kept components leave out
        of each feature (0 where nothing is), on the training rows (at most
        1000; computed at the first read or generated row, not by ``fit``).
        :func:`sklearn_revnet.generate` fills the dropped directions with
        per-feature noise rather than the isotropic ``noise_variance_``: a
        pixel that never varies stays blank. As the first step of a
        pipeline with raw bounds, each feature's own model fills them (see
        ``atoms_``).

    atoms_ : ndarray of bool of shape (2, n_features)
        Whether a feature has atoms at ``data_min_`` (row 0) or at
        ``data_max_`` (row 1): generated rows then hold values exactly on
        the bound with a probability that follows the kept components (a
        logistic regression on the reconstruction), about as often as the
        training rows of the same kind do.

    atom_threshold_ : float
        The share of training rows on a bound from which a feature has an
        atom there (``inf``: no atoms), chosen by held-out likelihood (see
        ``sklearn_revnet._core.atoms``).

    data_min_ : ndarray of shape (n_features,)
        Per-feature minimum of the training data.

    data_max_ : ndarray of shape (n_features,)
        Per-feature maximum of the training data. With ``data_min_``, the
        default bounds of :func:`sklearn_revnet.generate` in the raw input
        space.

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    sklearn.decomposition.PCA : Principal component analysis; with
        ``whiten=True`` it matches ``method="pca"`` with ``epsilon=0``.
    sklearn.preprocessing.StandardScaler : Unit variance per feature, without
        decorrelation.

    Notes
    -----
    Let :math:`\mu` be the mean of the training data and
    :math:`X - \mu = U S V^T` the thin SVD of the centered training data,
    with the rows of :math:`V_k^T` (``components_``) the first :math:`k`
    principal axes and :math:`\lambda_j = s_j^2 / (n - 1)`
    (``explained_variance_``) their variances. With
    :math:`D = \mathrm{diag}(\lambda_1 + \epsilon, \ldots, \lambda_k + \epsilon)`,

    .. math::

        \mathrm{PCA}(X) = (X - \mu) V_k D^{-1/2},
        \qquad
        \mathrm{ZCA}(X) = (X - \mu) V_k D^{-1/2} V_k^T .

    With :math:`\epsilon = 0` the PCA output of the training data has identity
    covariance. When all components are kept and
    :math:`n_\text{samples} > n_\text{features}`,
    :math:`V D^{-1/2} V^T = (\Sigma + \epsilon I)^{-1/2}` is the symmetric
    inverse square root of the regularized covariance :math:`\Sigma`, so the
    ZCA output also has identity covariance for :math:`\epsilon = 0`.

    :meth:`inverse_transform` computes
    :math:`Z D^{1/2} V_k^T + \mu` for PCA and
    :math:`Z V_k D^{1/2} V_k^T + \mu` for ZCA. It is the exact inverse of
    :meth:`transform` when no component is dropped; otherwise it returns the
    reconstruction from the kept principal subspace, like
    :meth:`sklearn.decomposition.PCA.inverse_transform`.

    A standard deviation :math:`\sqrt{\lambda_j + \epsilon}` below the
    machine epsilon of the data type is replaced by that machine epsilon, as
    in :class:`~sklearn.decomposition.PCA`, so that a zero-variance component
    with ``epsilon=0`` does not produce infinities.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_revnet import Whitener
    >>> X, _ = load_iris(return_X_y=True)
    >>> Xw = Whitener().fit_transform(X)
    >>> Xw.shape
    (150, 4)
    >>> np.allclose(np.cov(Xw, rowvar=False), np.eye(4), atol=1e-3)
    True
    >>> Whitener(n_components=0.95).fit(X).n_components_
    2
    >>> zca = Whitener(method="zca").fit(X)
    >>> zca.transform(X).shape
    (150, 4)
    >>> np.allclose(zca.inverse_transform(zca.transform(X)), X)
    True
    """

    _parameter_constraints = {
        "n_components": [
            Interval(Integral, 1, None, closed="left"),
            Interval(RealNotInt, 0, 1, closed="neither"),
            None,
        ],
        "method": [StrOptions({"pca", "zca"})],
        "epsilon": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(self, n_components=None, *, method="pca", epsilon=1e-5):
        self.n_components = n_components
        self.method = method
        self.epsilon = epsilon

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Compute the mean and the principal axes of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data, with at least two samples. float32 data is fitted
            in float32.

        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted whitener.
        """
        with finite_check():
            X = validate_data(self, X, dtype=_FLOAT_DTYPES, ensure_min_samples=2)
        n_samples, n_features = X.shape
        max_components = min(n_samples, n_features)
        if isinstance(self.n_components, Integral) and self.n_components > max_components:
            raise ValueError(
                f"n_components={self.n_components} must be at most "
                f"min(n_samples, n_features)={max_components}; got X with "
                f"n_samples={n_samples}, n_features={n_features}."
            )

        self.mean_ = np.mean(X, axis=0)
        self.data_min_ = np.min(X, axis=0)
        self.data_max_ = np.max(X, axis=0)
        _, S, Vt = linalg.svd(X - self.mean_, full_matrices=False, check_finite=False)
        _, Vt = svd_flip(None, Vt, u_based_decision=False)
        # Standard deviations and variance ratios without squaring S itself,
        # which overflows for data around 1e155.
        std = S / S.dtype.type(np.sqrt(n_samples - 1))
        with np.errstate(over="ignore"):  # a variance beyond the float range is inf
            explained_variance = std**2
        relative = S / S[0] if S[0] > 0 else np.zeros_like(S)
        ratio = relative**2 / np.sum(relative**2) if S[0] > 0 else relative

        if self.n_components is None:
            k = max_components
        elif isinstance(self.n_components, Integral):
            k = int(self.n_components)
        else:
            # smallest k with cumsum(ratio)[k - 1] >= n_components
            cumulative = np.cumsum(ratio, dtype=np.float64)
            k = int(np.searchsorted(cumulative, self.n_components, side="left")) + 1
            k = min(k, max_components)

        self.n_components_ = k
        # contiguous, as a pickled copy will be: products then round alike
        self.components_ = np.ascontiguousarray(Vt[:k])
        self.explained_variance_ = explained_variance[:k]
        self.explained_variance_ratio_ = ratio[:k]
        self.singular_values_ = S[:k]
        # the average variance of the dropped components, as in scikit-learn's PCA
        dropped = explained_variance[k:]
        if n_features > k:
            residual = np.sum(dropped, dtype=np.float64) / (n_features - k)
        else:
            residual = 0.0
        self.noise_variance_ = X.dtype.type(residual)
        self._std = std[:k]
        self._fit_residual(X, k)
        return self

    def _scale(self):
        """Standard deviations used for whitening, ``sqrt(explained_variance_ + epsilon)``."""
        # hypot: no overflow for huge data; a float32 fit stays float32
        scale = np.hypot(self._std, self._std.dtype.type(np.sqrt(self.epsilon)))
        min_scale = np.finfo(scale.dtype).eps
        return np.maximum(scale, min_scale)

    def transform(self, X):
        """Whiten ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to whiten.

        Returns
        -------
        X_new : ndarray of shape (n_samples, `n_components_`) or (n_samples, n_features)
            Whitened principal components for ``method="pca"``; whitened data
            in the input space, of shape ``(n_samples, n_features)``, for
            ``method="zca"``.
        """
        check_is_fitted(self)
        with finite_check():
            X = validate_data(self, X, dtype=_FLOAT_DTYPES, reset=False)
        X_new = (X - self.mean_) @ self.components_.T
        X_new /= self._scale()
        if self.method == "zca":
            X_new = X_new @ self.components_
        return X_new

    def inverse_transform(self, X):
        """Map whitened data back to the input space.

        Parameters
        ----------
        X : array-like of shape (n_samples, `n_components_`) or (n_samples, n_features)
            Whitened data: ``n_components_`` columns for ``method="pca"``,
            ``n_features_in_`` columns for ``method="zca"``.

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features)
            Data in the input space. Exactly the data passed to
            :meth:`transform` when no component was dropped; otherwise its
            reconstruction from the kept principal subspace.
        """
        check_is_fitted(self)
        with finite_check():
            X = check_array(X, dtype=_FLOAT_DTYPES)
        if self.method == "zca":
            expected, what = self.n_features_in_, "n_features_in_"
        else:
            expected, what = self.n_components_, "n_components_"
        if X.shape[1] != expected:
            raise ValueError(
                f"X has {X.shape[1]} features, but {self.__class__.__name__}."
                f"inverse_transform with method={self.method!r} expects {expected} "
                f"features ({what}={expected})."
            )
        if self.method == "zca":
            X = X @ self.components_.T
        return (X * self._scale()) @ self.components_ + self.mean_

    @property
    def _n_features_out(self):
        """Number of output columns, used by ``get_feature_names_out``."""
        if self.method == "zca":
            return self.components_.shape[1]
        return self.components_.shape[0]

    def get_feature_names_out(self, input_features=None):
        """Get output feature names for transformation.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input feature names, only checked against ``feature_names_in_``
            (or used for ``method="zca"``) when given.

        Returns
        -------
        feature_names_out : ndarray of str objects
            ``["whitener0", "whitener1", ...]`` for ``method="pca"``; the
            input feature names for ``method="zca"``, whose output columns
            correspond to the input columns.
        """
        if self.method == "zca":
            check_is_fitted(self)
            return _check_feature_names_in(self, input_features)
        return super().get_feature_names_out(input_features)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
