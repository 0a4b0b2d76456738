"""Input checks shared by the estimators."""

import numpy as np

FLOAT_DTYPES = (np.float64, np.float32)  # what the network computes in; others become float64


def finite_check():
    """The context for scikit-learn's input validation of finite data.

    scikit-learn looks for NaN and infinity by summing ``X`` first; finite
    entries near the float's limit (``1e308``) overflow that sum and numpy
    warns ("invalid value encountered in reduce") although every entry is
    finite. scikit-learn then checks entry by entry, so the overflow is only
    noise: it is silenced, and NaN or infinity in ``X`` still raise.
    """
    return np.errstate(over="ignore", invalid="ignore")
