"""Outputs in the container of the inputs: a DataFrame for a DataFrame fit.

pandas stays optional: it is imported only for an estimator that has
``feature_names_in_``, which scikit-learn sets only when it was fitted on a
DataFrame with string column names.
"""


def as_frame(X, estimator):
    """``X`` as a DataFrame with the columns ``estimator`` was fitted on, if it has any.

    Parameters
    ----------
    X : ndarray of shape (n_rows, n_features)
        Rows in the input space of ``estimator``.

    estimator : estimator
        A fitted estimator whose inputs ``X`` are.

    Returns
    -------
    X : ndarray or DataFrame of shape (n_rows, n_features)
        ``X`` itself when ``estimator`` has no ``feature_names_in_``;
        otherwise a DataFrame of ``X`` (same dtype, a default index) whose
        columns are ``estimator.feature_names_in_``.
    """
    names = getattr(estimator, "feature_names_in_", None)
    if names is None:
        return X
    import pandas as pd

    return pd.DataFrame(X, columns=names, copy=False)
