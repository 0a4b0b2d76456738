"""Counterfactuals over mixed rows: categories by enumeration, numbers by the solver.

Through a pipeline that encodes categorical columns, a raw row is written
as numbers for the solver: its numeric columns, then, for each categorical
column, the classifier's inputs of its category (its code). The pipeline is
affine in these numbers (checked), so the solver
(:mod:`~sklearn_revnet._reverse.counterfactual.solver`) runs as for numeric
data, with every code held fixed. The categories are enumerated: each row
is solved with its own categories, and with each single change of one
non-fixed column to another category, and the answer is the valid one of
least cost, where a category change costs ``category_cost`` in the units of
the L1/MAD distance of the numeric columns. A row that no single change
lets reach its target is solved again with every pair of changes.
"""

from itertools import combinations

import numpy as np

from sklearn_revnet._reverse.pipeline.encoders import _run

_MAX_CONFIGURATIONS = 400  # category configurations tried for one row at most


class MixedRows:
    """Raw rows with categorical columns, written as numbers and read back.

    Parameters
    ----------
    raw : RawSpace
        The pipeline's steps before the classifier, with categorical columns.
    """

    def __init__(self, raw):
        self.raw = raw
        encoded = raw.encoded
        self.encoded = encoded
        self.categories = encoded.categories
        self.numeric = encoded.numeric
        # where each categorical column's code sits among the numbers
        start, self.code_columns = len(self.numeric), []
        for columns, _ in self.categories.blocks:
            self.code_columns.append(np.arange(start, start + len(columns)))
            start += len(columns)
        self.n_numbers = start
        self.A, self.c = self._affine_map()
        self.lo = None  # no raw bounds: the classifier's, mapped back

    def numbers(self, X):
        """Raw rows (object or float) as numbers; a category not seen in training raises."""
        Z = _run(self.raw.steps, X)
        index = self.categories.index(Z)
        if np.any(index < 0):
            row, block = np.argwhere(index < 0)[0]
            raise ValueError(
                f"Row {row} of X holds a category of column {self.encoded.columns[block]} "
                "that the pipeline did not see in training; counterfactuals start from "
                "known categories."
            )
        return self._numbers(X, Z)

    def _numbers(self, X, Z):
        """Numbers from raw rows ``X`` (their numeric columns) and their inputs ``Z``
        (their codes)."""
        N = np.empty((len(X), self.n_numbers))
        N[:, : len(self.numeric)] = np.asarray(X[:, self.numeric], dtype=np.float64)
        for (columns, _), code_columns in zip(self.categories.blocks, self.code_columns):
            N[:, code_columns] = Z[:, columns]
        return N

    def rows(self, N):
        """Raw rows (an object array) from numbers; NaN rows stay NaN."""
        X = np.empty((len(N), self.raw.n_features), dtype=object)
        X[:, self.numeric] = N[:, : len(self.numeric)]
        missing = np.any(np.isnan(N), axis=1)
        index = self.index(np.where(missing[:, None], 0.0, N))
        for b, column in enumerate(self.encoded.columns):
            values = self.encoded.values[b]
            X[:, column] = values[np.maximum(index[:, b], 0)]
        X[missing] = np.nan
        return X

    def index(self, N):
        """The category of each column in rows of numbers (-1 where none)."""
        Z = np.zeros((len(N), self.categories.n_features))
        for (columns, _), code_columns in zip(self.categories.blocks, self.code_columns):
            Z[:, columns] = N[:, code_columns]
        return self.categories.index(Z)

    def back(self, Z, rng=None):
        """Numbers for classifier inputs ``Z`` (whose categorical inputs hold codes)."""
        return self._numbers(self.raw.back(Z, rng), Z)

    def fixed(self, raw_mask):
        """The solver's fixed numbers: the raw mask's numeric columns and every code."""
        mask = np.ones(self.n_numbers, dtype=bool)
        mask[: len(self.numeric)] = raw_mask[self.numeric]
        return mask

    def _affine_map(self):
        """``(A, c)`` with ``z = n A + c`` for numbers ``n``, checked to be affine.

        One pass through the steps: the base row, each numeric column nudged
        by 1, and 4 random rows that check the map.
        """
        base = self.encoded.base
        nudged = np.repeat(base, len(self.numeric), axis=0)
        for i, column in enumerate(self.numeric):
            nudged[i, column] = float(base[0, column]) + 1.0
        rng = np.random.RandomState(0)
        probe = np.repeat(base, 4, axis=0)
        probe[:, self.numeric] = (
            np.asarray(base[:, self.numeric], dtype=np.float64) + rng.uniform(-2, 2, (4, 1))
        ).astype(probe.dtype)
        for b, column in enumerate(self.encoded.columns):
            probe[:, column] = self.encoded.values[b][
                rng.randint(self.categories.sizes[b], size=4)
            ]
        Z = _run(self.raw.steps, np.vstack([base, nudged, probe]))
        z0, got = Z[0], Z[1 + len(self.numeric) :]
        n0 = self._numbers(base, Z[:1])[0]
        A = np.zeros((self.n_numbers, len(z0)))
        A[: len(self.numeric)] = Z[1 : 1 + len(self.numeric)] - z0
        for (columns, _), code_columns in zip(self.categories.blocks, self.code_columns):
            A[code_columns, columns] = 1.0
        c = z0 - n0 @ A
        expected = self._numbers(probe, got) @ A + c
        if not np.allclose(got, expected, rtol=1e-6, atol=1e-8 * (1 + np.abs(expected).max())):
            names = ", ".join(repr(name) for name, _ in self.raw.steps)
            raise ValueError(
                f"counterfactual needs the pipeline steps before the classifier ({names}) "
                "to be affine in the numeric columns (scalers, PCA, Whitener) beside the "
                "encoders."
            )
        return A, c


def configurations(index, sizes, movable, changes):
    """Category configurations with ``changes`` (0, 1 or 2) columns changed from ``index``.

    Only the ``movable`` columns change; at most ``_MAX_CONFIGURATIONS``.
    """
    if changes == 0:
        return index[None].copy()
    singles = [(b, j) for b in np.flatnonzero(movable) for j in range(sizes[b]) if j != index[b]]
    found = []
    for chosen in combinations(singles, changes):
        if len({b for b, _ in chosen}) == changes:  # each change in another column
            config = index.copy()
            for b, j in chosen:
                config[b] = j
            found.append(config)
            if len(found) == _MAX_CONFIGURATIONS:
                break
    return np.array(found, dtype=np.intp).reshape(-1, len(index))


def with_categories(mixed, X0, rows, movable, changes):
    """Each row of ``X0[rows]`` once per configuration of ``changes`` category changes.

    Returns, per configuration, the position of its row in ``rows`` and its
    start: the row with the configuration's codes.
    """
    index = mixed.index(X0[rows])
    positions, starts = [], []
    for p, i in enumerate(rows):
        configs = configurations(index[p], mixed.categories.sizes, movable, changes)
        start = np.repeat(X0[i][None], len(configs), axis=0)
        for b, code_columns in enumerate(mixed.code_columns):
            start[:, code_columns] = mixed.categories.blocks[b][1][configs[:, b]]
        positions.append(np.full(len(configs), p))
        starts.append(start)
    if not positions:
        return np.empty(0, dtype=int), np.empty((0, X0.shape[1]))
    return np.concatenate(positions), np.vstack(starts)


def solve_with_categories(solve, mixed, X0, rows, targets, movable, category_cost, scale):
    """Counterfactuals of (row, target) pairs over their categories, in stages.

    First with each row's own categories. A pair whose answer costs more
    than ``category_cost`` (or that has none) is solved again with each
    single change, which may be cheaper; a pair with no valid answer yet,
    with each pair of changes. Skipping the single changes of the other
    pairs loses nothing (a change costs at least ``category_cost``).

    Returns ``(rows, answers, valid, cost)``, one entry per configuration
    solved: the pair's row, the answer, whether it is valid and its total
    cost (L1/MAD plus ``category_cost`` per change; inf where not valid).
    """
    results = []
    best = np.full(len(rows), np.inf)
    todo = np.arange(len(rows))
    for changes in (0, 1, 2):
        positions, starts = with_categories(mixed, X0, rows[todo], movable, changes)
        if len(positions):
            pair = todo[positions]
            found, ok = solve(starts, targets[pair])
            cost = np.sum(np.abs(found - starts) / scale, axis=1) + changes * category_cost
            cost = np.where(ok, cost, np.inf)
            results.append((rows[pair], found, ok, cost))
            np.minimum.at(best, pair, cost)
        todo = np.flatnonzero(best > category_cost if changes == 0 else np.isinf(best))
        if not len(todo):
            break
    if not results:
        return np.empty(0, dtype=int), np.empty((0, X0.shape[1])), np.empty(0, bool), np.empty(0)
    return tuple(np.concatenate(part) for part in zip(*results))


def dtypes_of(X_cf, X, columns):
    """``X_cf`` with the categorical columns in the dtypes of the DataFrame ``X``, if it is one."""
    if not (hasattr(X_cf, "columns") and hasattr(X, "dtypes")):
        return X_cf
    for j in columns:
        name = X_cf.columns[j]
        try:
            X_cf[name] = X_cf[name].astype(X.dtypes[name])
        except (TypeError, ValueError):  # NaN rows in an integer column
            pass
    return X_cf


def numbers_to_inputs(mixed, N):
    """The classifier's inputs of rows of numbers, through the pipeline's own steps."""
    return _run(mixed.raw.steps, mixed.rows(N))
