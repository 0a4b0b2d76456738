"""The values an input takes in training, where they repeat: samples take them too.

Real columns are often discrete or partly so: counts, ages in whole years,
loan terms of 12, 24 or 36 months, amounts heaped on round numbers, a debt
of exactly 0 for most applicants. A continuous prior puts no mass on any of
these values, so its samples are told from real rows at a glance (the values
between the lattice points), and its mass at a bound is whatever its tail
holds, not the data's share there.

:class:`ObservedValues` maps a draw ``u`` of the prior, column by column,
onto the values seen in training, by quantiles: ``x_j = Q_j(F_j(u_j))``,
where ``F_j`` is the prior's marginal distribution function of column ``j``
(estimated from 10000 draws with a fixed seed, once per prior object) and
``Q_j`` the quantile function of the training values. A value held by two
or more training rows is an atom: the map is flat at it over its share of
the quantiles, so it gets the share of the rows that hold it. Between
values held by one row each, ``Q_j`` interpolates linearly (not across an
atom: the values between an atom and its neighbour are not the data's). A
column whose distinct values are at most half its rows is discrete: every
value is an atom. A column none of whose values repeats is left alone. The
map is monotone, so the prior's dependence between columns (its copula) is
kept, and the marginal of each mapped column is the training one.

Samples of ``p(x | t)`` are then exact for the prior pushed through the map
(:mod:`~sklearn_revnet._reverse.sampling`): rejection keeps ``T(u)`` with
probability ``p(t | T(u))``, and MCMC runs on ``u`` with target
``p(t | T(u)) p(u)``. The mode and counterfactuals search the continuous
inputs and do not use the map.
"""

import weakref

import numpy as np

from sklearn_revnet._core.density import sample_prior

_N_DRAWS = 10_000  # prior draws that estimate each column's distribution function ...
_N_LEVELS = 2001  # ... kept as this many of their order statistics
_SEED = 0
_TABLES = weakref.WeakKeyDictionary()  # prior -> (levels, order statistics of each column)
DISCRETE_SHARE = 0.5  # at most this many distinct values per row: every value is an atom


class ObservedValues:
    """Per-column monotone maps from prior draws onto the training values.

    Parameters
    ----------
    rows : ndarray of shape (n_rows, n_features)
        Training inputs (the rows the prior was fitted on).
    prior : estimator
        The fitted input prior; its draws give each column's distribution
        function.
    columns : array-like of int
        The columns that may be mapped (continuous and not pinned); those
        with no repeated value are left alone.

    Attributes
    ----------
    columns_ : ndarray of int
        The mapped columns.
    """

    def __init__(self, rows, prior, columns):
        rows = np.asarray(rows, dtype=np.float64)
        mapped, knots = [], []
        for j in columns:
            knot = quantile_knots(rows[:, j])
            if knot is not None:
                mapped.append(j)
                knots.append(knot)
        self.columns_ = np.asarray(mapped, dtype=np.intp)
        self._knots = knots
        if mapped:
            self._levels, self._quantiles = _quantile_table(prior)

    def __call__(self, U):
        """The draws ``U`` with their mapped columns on the training values (a new array)."""
        X = np.array(U, dtype=np.float64)
        for i, j in enumerate(self.columns_):
            p = self._cdf(i, X[:, j])
            X[:, j] = quantile(self._knots[i], p)
        return X

    def _cdf(self, i, u):
        """The prior's distribution function of mapped column ``i`` at ``u``, in (0, 1).

        Linear between the quantiles of the draws, constant beyond the
        outermost ones.
        """
        return np.interp(u, self._quantiles[:, self.columns_[i]], self._levels)


def _quantile_table(prior):
    """Levels and order statistics of every column of the prior's draws (cached per prior)."""
    table = _TABLES.get(prior)
    if table is None:
        draws = np.sort(sample_prior(prior, _N_DRAWS, np.random.RandomState(_SEED)), axis=0)
        index = np.unique(np.round(np.linspace(0, _N_DRAWS - 1, _N_LEVELS)).astype(np.intp))
        table = ((index + 0.5) / _N_DRAWS, draws[index])
        _TABLES[prior] = table
    return table


def quantile_knots(values):
    """The knots of the quantile function of ``values``, or None if no value repeats.

    Returns ``(starts, stops, values, atom)``: value ``k`` holds the
    quantiles from ``starts[k]`` to ``stops[k]``; an atom holds all of them,
    another value only their midpoint, and the quantiles between the
    midpoints of two such values are interpolated between them.
    """
    distinct, counts = np.unique(values, return_counts=True)
    n = len(values)
    if len(distinct) == n:
        return None
    atom = counts >= 2
    if len(distinct) <= DISCRETE_SHARE * n:
        atom[:] = True
    stops = np.cumsum(counts) / n
    starts = stops - counts / n
    return starts, stops, distinct, atom


def quantile(knots, p):
    """The quantile function of :func:`quantile_knots` at ``p`` (in (0, 1))."""
    starts, stops, values, atom = knots
    # the value whose quantiles hold p
    k = np.minimum(np.searchsorted(stops, p, side="left"), len(values) - 1)
    x = values[k].copy()
    # a value that is not an atom: linear from its midpoint to the midpoint
    # of the neighbour on p's side, where that is not an atom either (an atom
    # is a point: the values between it and the next one are not the data's)
    single = ~atom[k]
    if np.any(single):
        ks, ps = k[single], p[single]
        mid = 0.5 * (starts + stops)
        nb = np.where(ps >= mid[ks], ks + 1, ks - 1)
        inside = (nb >= 0) & (nb < len(values))
        nb = np.clip(nb, 0, len(values) - 1)
        inside &= ~atom[nb]
        t = np.where(inside, (ps - mid[ks]) / np.where(inside, mid[nb] - mid[ks], 1.0), 0.0)
        x[single] = values[ks] + t * (values[nb] - values[ks])
    return x


_MAX_DECIMALS = 5  # decimal places tried at most (values below 5 reach them)
_ROUNDOFF = 1e-12  # relative (absolute below 1): a way back's error is a few ulps
_FALSE_HITS = 1e-6  # the largest chance that a value with more digits is moved


def short_decimals(X):
    """``X`` (floats) with each value within roundoff of a short decimal made that decimal.

    A pipeline's way back to the raw features (``z * scale + mean``) puts a
    training value of 0 or 36 a few ulps off. Each value within ``1e-12``
    (relative, or absolute below 1) of a decimal of at most 5 places becomes
    that decimal's float, the same as the literal's (``rint(x * 10**d) /
    10**d`` divides two exact integers, which rounds correctly). A value
    with more digits than that lies so close to a decimal of ``d`` places
    with a chance of ``2e-12 max(1, |x|) 10**d``: only the places that keep
    this chance under ``1e-6`` are tried (5 below 5, 2 for values near
    1000, none beyond 500000), and a value moved by mistake moves by
    ``1e-12`` of itself at most.
    """
    X = np.array(X, dtype=np.float64)
    done = ~np.isfinite(X)
    magnitude = np.maximum(1.0, np.abs(np.where(done, 0.0, X)))
    tolerance = _ROUNDOFF * magnitude
    # the most places for each value: 2 * tolerance * 10**d <= _FALSE_HITS
    places = np.floor(np.log10(_FALSE_HITS / (2 * tolerance)))
    with np.errstate(over="ignore", invalid="ignore"):
        for decimals in range(_MAX_DECIMALS + 1):
            power = 10.0**decimals
            Y = np.rint(X * power) / power + 0.0  # + 0.0: no negative zero
            hit = ~done & (decimals <= places) & (np.abs(Y - X) <= tolerance)
            X[hit] = Y[hit]
            done |= hit
    return X
