"""The categorical columns of a pipeline: which raw columns its encoders take, and their codes.

A pipeline encodes categories with ``OneHotEncoder`` or ``OrdinalEncoder``,
as its first step or as blocks of a first ``ColumnTransformer`` (alone, or
first in a block's pipeline). Each category of such a column reaches the
classifier as fixed values of some of its inputs, its code. The codes are
found by running rows through the fitted steps, one category at a time,
which also checks that no later step mixes a categorical column's inputs
with other columns' (a ``PCA`` over all the columns would: put it on the
numeric columns alone).
"""

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder

from sklearn_revnet._core.categories import Categories
from sklearn_revnet._core.output import as_frame

ENCODERS = (OneHotEncoder, OrdinalEncoder)


class EncodedColumns:
    """The raw categorical columns of a pipeline and the classifier's view of them.

    Attributes
    ----------
    columns : list of int
        The raw categorical columns, in the order of ``categories.blocks``.
    values : list of ndarray
        The categories of each column (their training values and dtype).
    categories : Categories
        The classifier's inputs of each column and each category's code.
    base : ndarray of shape (1, n_features)
        A valid raw row (object dtype where there are categorical columns):
        each categorical column at its first category, each other column at
        its block's inverse of zero (for a scaler, the training mean).
    """

    def __init__(self, steps, n_inputs):
        from sklearn_revnet._reverse.pipeline.steps import inverse

        first = steps[0][1]
        self.n_features = first.n_features_in_
        self.columns, self.values = [], []
        blocks = _encoder_blocks(first)
        if all(encoder is None for encoder, *_ in blocks):
            self.base, self.categories = None, Categories(n_inputs or 0, [])
            return
        self.base = np.zeros((1, self.n_features), dtype=object)
        for encoder, columns, sub, n_out in blocks:
            if encoder is None:
                try:  # a step with no way back is named by the round trip's check
                    self.base[0, columns] = inverse(sub, np.zeros((1, n_out)))[0]
                except (ValueError, TypeError):
                    pass
                continue
            for i, column in enumerate(columns):
                self.columns.append(int(column))
                self.values.append(np.asarray(encoder.categories_[i]))
        for column, values in zip(self.columns, self.values):
            self.base[0, column] = values[0]
        if n_inputs is None:
            n_inputs = _run(steps, self.base).shape[1]
        self.categories = Categories(n_inputs, self._blocks(steps))

    def _blocks(self, steps):
        """The classifier's inputs and codes of each categorical column, checked unmixed.

        One pass through the steps: the base row, then each category of each
        categorical column, then each other column nudged by 1.
        """
        others = self.numeric
        probes = [self.base]
        for column, values in zip(self.columns, self.values):
            rows = np.repeat(self.base, len(values), axis=0)
            rows[:, column] = values
            probes.append(rows)
        for column in others:
            row = self.base.copy()
            row[0, column] = float(row[0, column]) + 1.0
            probes.append(row)
        Z_all = _run(steps, np.vstack(probes))
        z0, start = Z_all[0], 1
        moved_by = {}  # classifier input -> raw columns that move it
        blocks = []
        for column, values in zip(self.columns, self.values):
            Z = Z_all[start : start + len(values)]
            start += len(values)
            inputs = np.flatnonzero(np.any(np.abs(Z - z0) > 1e-12, axis=0))
            for j in inputs:
                moved_by.setdefault(j, []).append(column)
            blocks.append((inputs, Z[:, inputs]))
            if len(np.unique(Z[:, inputs], axis=0)) < len(values):
                raise TypeError(
                    f"Raw column {column} has categories that reach the classifier as the "
                    "same inputs (an encoder's infrequent categories, or min_frequency, "
                    "max_categories): generated rows could not tell them apart. Encode "
                    "without grouping categories."
                )
        for i, column in enumerate(others):
            for j in np.flatnonzero(np.abs(Z_all[start + i] - z0) > 1e-12):
                moved_by.setdefault(j, []).append(column)
        for j, raw in moved_by.items():
            if len(raw) > 1 and set(raw) & set(self.columns):
                raise TypeError(
                    f"The classifier's input {j} depends on raw columns {sorted(raw)}, "
                    "of which some are categorical: a step after the encoder mixes the "
                    "columns, so categories cannot be reversed through it. Give the "
                    "mixing step (PCA, Whitener) the numeric columns alone, in a "
                    "ColumnTransformer."
                )
        return blocks

    @property
    def numeric(self):
        """The raw columns that are not categorical, in order."""
        return np.setdiff1d(np.arange(self.n_features), self.columns).astype(np.intp)

    def frame(self, X, first):
        """Raw rows ``X`` (an object or float ndarray) in the user's container and dtypes.

        A DataFrame for a step fitted on one, each categorical column in its
        categories' dtype (strings in the dtype pandas infers for them, as a
        table read from a file has) and the others float; else an ndarray,
        float where every category is a number and object otherwise.
        """
        if not self.columns:
            return as_frame(X, first)
        names = getattr(first, "feature_names_in_", None)
        if names is None:
            if all(values.dtype.kind in "biuf" for values in self.values):
                return np.asarray(X, dtype=np.float64)
            return X
        import pandas as pd

        kinds = dict(zip(self.columns, self.values))
        data = {}
        for j, name in enumerate(names):
            if j not in kinds:
                data[name] = pd.Series(X[:, j], dtype=np.float64)
                continue
            column = pd.Series(X[:, j], dtype=object)
            try:  # the categories' own dtype where they have one (int, bool, float)
                data[name] = column.astype(kinds[j].dtype) if kinds[j].dtype != object else None
            except (TypeError, ValueError):  # NaN rows in an int column
                data[name] = None
            if data[name] is None:  # strings: pandas' own string dtype, as a table read has
                data[name] = column.infer_objects()
        return pd.DataFrame(data)


def _encoder_blocks(first):
    """``(encoder or None, raw columns, transformer, n_outputs)`` of the first step's blocks.

    Only the first step's encoders are found (the first step of a
    pipeline, or a block's first step in a first ``ColumnTransformer``);
    other steps are not searched (None for all their columns).
    """
    everything = np.arange(first.n_features_in_)
    if isinstance(first, ENCODERS):
        return [(first, everything, first, None)]
    if not isinstance(first, ColumnTransformer):
        return [(None, everything, None, None)]
    from sklearn_revnet._reverse.pipeline.steps import _blocks

    found = []
    for name, sub, columns in _blocks(first):
        head = sub.steps[0][1] if isinstance(sub, Pipeline) else sub
        encoder = head if isinstance(head, ENCODERS) else None
        width = first.output_indices_[name]
        found.append((encoder, np.asarray(columns), sub, width.stop - width.start))
    return found


def _run(steps, X):
    """Raw rows (object or float) through the fitted steps, as float64 classifier inputs."""
    from sklearn_revnet._reverse.pipeline.steps import _dense

    for _, step in steps:
        X = _dense(step.transform(as_frame(X, step)))
    return X
