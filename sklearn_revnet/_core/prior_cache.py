"""Reuse of a fitted input prior across fits on the same rows.

The prior is a function of three things only: the rows it is fitted on,
its kind (the ``prior`` parameter) and its seed. It never depends on the
labels, the network or its training, so fitting the same rows again with
other network settings (a loop over ``alpha``, the refit of a search, a
second model of the same data) would repeat the same search, seconds each
time on the digits. :func:`prior_for_rows` keeps the last
``MAX_PRIORS`` priors of this process, each under a digest of its rows,
kind and seed, and hands out a copy: classifiers never share one object,
and a prior is reused only for the very same rows (the same bytes), kind and
seed, so the answer is the one a new fit would give.
"""

import copy
import hashlib
import threading
from collections import OrderedDict

import numpy as np

from sklearn_revnet._core.mixed_prior import fit_mixed_prior_on_rows
from sklearn_revnet._core.prior import fit_prior_on_rows

MAX_PRIORS = 8  # priors kept, the least recently used dropped first
MAX_BYTES = 64 * 2**20  # a larger prior (full covariances of many features) is not kept

_priors = OrderedDict()
_lock = threading.Lock()


def prior_for_rows(rows, kind, seed, verbose=0, categories=None):
    """The prior that ``fit_prior_on_rows(rows, kind, seed)`` fits: a copy of a kept one, or new.

    With ``categories`` (a :class:`~sklearn_revnet._core.categories.Categories`
    with blocks), the latent-class prior of mixed data instead. With
    ``verbose``, say which.
    """
    rows = np.ascontiguousarray(rows, dtype=np.float64)
    mixed = categories is not None and bool(categories.blocks)
    key = (_digest(rows), rows.shape, kind, seed, categories.key() if mixed else None)
    with _lock:
        prior = _priors.get(key)
        if prior is not None:
            _priors.move_to_end(key)
    if prior is None:
        if mixed:
            prior = fit_mixed_prior_on_rows(rows, categories, kind, seed, verbose)
        else:
            prior = fit_prior_on_rows(rows, kind, seed, verbose)
        if _nbytes(prior) <= MAX_BYTES:
            with _lock:
                _priors[key] = prior
                while len(_priors) > MAX_PRIORS:
                    _priors.popitem(last=False)
    elif verbose:
        print(f"Input prior: {prior.description_}; reused from a fit on the same rows")
    return copy.deepcopy(prior)


def _digest(rows):
    return hashlib.blake2b(rows.data, digest_size=16).digest()


def _nbytes(prior):
    """The bytes of the prior's arrays (its mixture's and its map's)."""
    parts = [part for part in (prior.mixture_, prior.marginal_) if part is not None]
    arrays = [v for part in parts for v in vars(part).values() if hasattr(v, "nbytes")]
    return sum(v.nbytes for v in arrays + [getattr(prior, "log_probs_", np.empty(0))])
