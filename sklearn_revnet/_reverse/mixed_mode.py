"""The posterior's mode over mixed inputs: categories by coordinate search, the rest by L-BFGS-B.

With a latent-class prior (:mod:`~sklearn_revnet._core.mixed_prior`), an
input is a category for each categorical column and a point of the
continuous inputs. For a fixed choice of categories the continuous mode is
found by L-BFGS-B, as for continuous data, with the categorical inputs
pinned at their codes. The categories are searched from each prior
component's modal categories (one start per component, each from its
centre); from the best, every change of one column's category is tried
(each with its own continuous mode), and the best change is taken while it
raises the posterior density. Deterministic: the same target gives the same
answer.
"""

import numpy as np

from sklearn_revnet._reverse.posterior import RowBox

_MAX_ROUNDS = 20  # category changes at most


def mixed_mode(posterior, box, settings, search):
    """The mode of ``posterior`` over categories and continuous inputs, within ``box``.

    Parameters
    ----------
    posterior : Posterior
        For one target row, with a latent-class prior.
    box : Box
        The classifier's bounds.
    settings : dict
        ``posterior_mode``'s keyword arguments.
    search : callable
        ``posterior_mode``.

    Returns
    -------
    x : ndarray of shape (n_features,)
    """
    return _coordinate_search(posterior, posterior.prior.means_, box, settings, search)


def _coordinate_search(posterior, starts, box, settings, search):
    columns = posterior.prior.categories_.categorical
    x = search(posterior, starts, RowBox.pinning(box, starts, columns), **settings)
    value = posterior(x[None])[0][0]
    for _ in range(_MAX_ROUNDS):
        neighbours = _neighbours(x, posterior.prior.categories_)
        if not len(neighbours):
            break
        y = search(posterior, neighbours, RowBox.pinning(box, neighbours, columns), **settings)
        new_value = posterior(y[None])[0][0]
        if not new_value > value:
            break
        x, value = y, new_value
    return x


def reach_mixed(posterior, x, box, settings, search, weights):
    """``x``, or a point the network assigns to the target, weighting the network up.

    The categories are searched again at each weight (from ``x``). Returns
    the point and whether the network assigns it to the target.
    """
    if posterior.assigns(x[None])[0]:
        return x, True
    y = x
    for weight in weights:
        y = _coordinate_search(posterior, y[None], box, {**settings, "weights": (weight,)}, search)
        if posterior.assigns(y[None])[0]:
            return y, True
    return x, False


def _neighbours(x, categories):
    """Every row that changes one categorical column of ``x`` to another category."""
    index = categories.index(x[None])[0]
    rows = []
    for block, size in enumerate(categories.sizes):
        for category in range(size):
            if category != index[block]:
                rows.append(categories.put(x[None].copy(), block, category)[0])
    return np.array(rows).reshape(-1, len(x))
