"""Warnings that point at the caller's line, however deep inside they are raised."""

import sys
import warnings

# Frames of these modules are passed over: the package's own, and the
# scikit-learn wrappers of its public functions (parameter validation) and of
# fit (the fit context).
_INSIDE = ("sklearn_revnet", "sklearn.utils._param_validation", "sklearn.base")


def warn_at_caller(message, category=UserWarning):
    """``warnings.warn`` attributed to the first frame outside this package.

    A public function and the estimator's method that calls it reach the
    same code at different depths; the warning names the user's line either
    way.
    """
    frame, level = sys._getframe(1), 2
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if not any(module == name or module.startswith(name + ".") for name in _INSIDE):
            break
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)
