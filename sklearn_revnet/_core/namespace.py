"""Array namespaces: numpy, or another array API library (torch, CuPy...).

array-api-compat is imported only when an array of another namespace is
passed, so numpy users never need it.
"""

import numpy as np
import scipy.sparse as sp
from sklearn import config_context, get_config


def dispatched_namespace(X):
    """X's array namespace when scikit-learn's array API dispatch is on, else None.

    None for numpy (and everything else the numpy path takes): the
    estimator's fit and predict compute in another namespace only under
    ``sklearn.set_config(array_api_dispatch=True)``, as scikit-learn does.
    """
    if isinstance(X, np.ndarray) or not get_config()["array_api_dispatch"]:
        return None
    return array_namespace(X)


# Libraries whose arrays array-api-compat wraps without an __array_namespace__.
_ARRAY_LIBRARIES = {"torch", "cupy", "jax", "jaxlib", "dpnp", "array_api_strict"}


def array_namespace(a):
    """``a``'s namespace, or None for numpy arrays, sparse matrices and non-arrays.

    Whatever the dispatch setting: a model fitted in another namespace
    keeps computing there. array-api-compat is imported only for an object
    that may be such an array.
    """
    if a is None or isinstance(a, np.ndarray) or sp.issparse(a):
        return None
    library = type(a).__module__.partition(".")[0]
    if not hasattr(a, "__array_namespace__") and library not in _ARRAY_LIBRARIES:
        return None
    import array_api_compat

    if not array_api_compat.is_array_api_obj(a) or array_api_compat.is_numpy_array(a):
        return None
    return array_api_compat.array_namespace(a)


def device(a):
    """The device ``a`` lives on (of a non-numpy array)."""
    import array_api_compat

    return array_api_compat.device(a)


def to_numpy(a):
    """A numpy copy of an array of another namespace (any device); anything else as it is."""
    if array_namespace(a) is None:
        return a
    import array_api_compat

    if array_api_compat.is_torch_array(a):
        return a.detach().cpu().numpy()
    if array_api_compat.is_cupy_array(a):
        return a.get()
    return np.from_dlpack(a)


def like(a, reference):
    """``a`` (numpy) in the namespace and on the device of ``reference``."""
    xp = array_namespace(reference)
    if xp is None or a is None:
        return a
    return xp.asarray(a, device=device(reference))


def numpy_dtype(xp, X):
    """The numpy dtype of X's (float32 or float64) dtype."""
    return np.dtype(np.float32 if X.dtype == xp.float32 else np.float64)


def on_host():
    """The context for numpy work (the prior, the reverse drivers): no dispatch."""
    return config_context(array_api_dispatch=False)


def weights_dtype(estimator):
    """The numpy dtype of a fitted estimator's weights, in whatever namespace they live."""
    W = estimator.coefs_[0]
    xp = array_namespace(W)
    return W.dtype if xp is None else numpy_dtype(xp, W)
