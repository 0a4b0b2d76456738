"""Exact samples of the posterior ``p(x | t)`` under the prior censored at the box.

Rejection from the prior (keep the censored draw with probability
``p(t | x)``) while the acceptance rate is workable, then the
Metropolis-adjusted Langevin algorithm (MALA) for the rest. MALA runs on the
uncensored draw ``u``, whose density ``p(t | clip(u)) p(u)`` is smooth almost
everywhere, and returns ``clip(u)``: exact for the censored posterior.

Where the training values of an input repeat (counts, whole years, amounts
heaped on round numbers, a debt of 0), the box is a
:class:`~sklearn_revnet._reverse.posterior.MappedBox`: each draw is mapped
onto those values by quantiles before it is clipped
(:mod:`~sklearn_revnet._core.values`), and the same two samplers are exact
for the prior pushed through the map.
"""

from numbers import Real

import numpy as np
from sklearn.utils import check_random_state

from sklearn_revnet._core.density import draw_rows, prior_scale, sample_prior
from sklearn_revnet._core.namespace import to_numpy, weights_dtype
from sklearn_revnet._core.threads import single_threaded_blas
from sklearn_revnet._core.values import ObservedValues, short_decimals
from sklearn_revnet._reverse.posterior import MappedBox
from sklearn_revnet._reverse.targets import (
    check_n_samples,
    check_parameters,
    classifier_box,
    generate_target,
    posterior_of,
)

_MIN_DRAWS = 20_000  # prior draws rejection sampling may always spend ...
_DRAWS_PER_SAMPLE = 200  # ... or this many per requested sample, if more
_MAX_BATCH = 100_000  # prior draws at a time
_CHUNK = 10_000  # samples drawn at a time by sample_label
_TARGET_ACCEPT = 0.574  # the optimal MALA acceptance rate (Roberts & Rosenthal, 1998)


def sample_posterior(posterior, n, rng, box, *, min_proba=0.0, n_steps=200):
    """``n`` samples of the posterior under the prior censored at ``box``.

    Parameters
    ----------
    posterior : Posterior
        For a single target row.
    n : int
    rng : RandomState
    box : Box
    min_proba : float, default=0.0
        Only inputs with ``p(t | x) >= min_proba`` are kept: the posterior is
        further truncated to that region.
    n_steps : int, default=200
        MALA steps for the samples that rejection does not deliver.

    Returns
    -------
    X : ndarray of shape (n, n_features)
    """
    log_floor = np.log(min_proba) if min_proba > 0 else -np.inf
    kept, n_kept, drawn = [], 0, 0
    budget = max(_MIN_DRAWS, _DRAWS_PER_SAMPLE * n)
    batch = min(max(256, 2 * n), _MAX_BATCH)
    while n_kept < n and drawn < budget:
        U = sample_prior(posterior.prior, batch, rng)
        log_lik = posterior.log_likelihood(box.clip(U))
        keep = (np.log(rng.uniform(size=batch)) < log_lik) & (log_lik >= log_floor)
        kept.append(U[keep])
        n_kept += int(keep.sum())
        drawn += batch
        rate = max(n_kept, 1) / drawn
        batch = int(min(max(256, 1.2 * (n - n_kept) / rate), _MAX_BATCH))
    U = np.vstack(kept)[:n]
    if len(U) < n:
        start = _initial_states(posterior, n - len(U), rng, box, U, log_floor)
        U = np.vstack([U, mala(posterior, start, rng, box, log_floor, n_steps)])
    return box.clip(U)


def _initial_states(posterior, n, rng, box, exact, log_floor):
    """Where the MALA chains start.

    Exact samples already found (the chains then stay exact); otherwise a
    sampling-importance-resampling draw: prior draws resampled with weights
    ``p(t | x)``, an approximation that the chains' burn-in corrects.
    """
    if len(exact):
        return exact[rng.randint(len(exact), size=n)]
    U = sample_prior(posterior.prior, max(4096, 8 * n), rng)
    log_lik = posterior.log_likelihood(box.clip(U))
    ok = np.isfinite(log_lik) & (log_lik >= log_floor)
    if not ok.any():
        raise ValueError(
            "No input drawn from the prior reaches min_proba for this target; lower min_proba."
        )
    U, log_lik = U[ok], log_lik[ok]
    w = np.exp(log_lik - log_lik.max())
    return U[rng.choice(len(U), size=n, p=w / w.sum())]


def mala(posterior, U, rng, box, log_floor, n_steps):
    """Run one MALA chain per row of ``U`` (uncensored draws) for ``n_steps`` steps.

    The target is ``p(t | clip(u)) p(u)``. Steps are preconditioned by the
    prior's per-feature scale. During the first half, each chain's step
    size adapts toward the optimal acceptance rate; it is then frozen, so the
    second half is an exact Metropolis-Hastings chain (proposals below
    ``min_proba`` are rejected).
    """
    U = U.copy()
    # the categorical columns of a mixed prior: scale 0, moved by Gibbs steps
    categories = getattr(posterior.prior, "categories_", None)
    scale = np.where(box.pinned, 0.0, prior_scale(posterior.prior))
    n, d = U.shape
    moving = ~box.pinned if categories is None else scale > 0
    free = max(1, int(np.sum(moving)))
    log_h = np.full(n, np.log(1.0 / free ** (1 / 3)))
    value, grad = posterior(U, box)
    burn_in = n_steps // 2
    for step in range(n_steps):
        h = np.exp(log_h)[:, None]
        proposal = U + 0.5 * h * scale**2 * grad
        proposal += np.sqrt(h) * scale * rng.standard_normal((n, d))
        new_value, new_grad = posterior(proposal, box)
        log_ratio = new_value - value
        log_ratio += _log_q(U, proposal, new_grad, h, scale)
        log_ratio -= _log_q(proposal, U, grad, h, scale)
        move = np.log(rng.uniform(size=n)) < log_ratio
        if np.isfinite(log_floor):
            move[move] = posterior.log_likelihood(box.clip(proposal[move])) >= log_floor
        U[move], value[move], grad[move] = proposal[move], new_value[move], new_grad[move]
        if step < burn_in:
            log_h += (move - _TARGET_ACCEPT) / np.sqrt(step + 1)
        if categories is not None:
            U, value, grad = gibbs_categories(posterior, categories, U, rng, box, log_floor)
    return U


def gibbs_categories(posterior, categories, U, rng, box, log_floor=-np.inf):
    """One Gibbs sweep over the categorical columns of the chains ``U``.

    Each column in turn takes a category drawn from its exact conditional
    given the rest of the row: every category's posterior density is
    computed (a few network passes: categories are few) and one is drawn in
    proportion. Categories whose ``p(t | x)`` falls below ``min_proba`` get
    none. Returns the new ``(U, value, grad)``.
    """
    n = len(U)
    rows = np.arange(n)
    for block, size in enumerate(categories.sizes):
        values, grads, options = np.empty((n, size)), [], []
        for category in range(size):
            V = categories.put(U.copy(), block, category)
            values[:, category], grad = posterior(V, box)
            if np.isfinite(log_floor):
                below = posterior.log_likelihood(box.clip(V)) < log_floor
                values[below, category] = -np.inf
            grads.append(grad)
            options.append(V)
        top = values.max(axis=1, keepdims=True)
        drawn = draw_rows(np.exp(values - np.where(np.isfinite(top), top, 0.0)), rng)
        U = np.stack(options, axis=1)[rows, drawn]
        value = values[rows, drawn]
        grad = np.stack(grads, axis=1)[rows, drawn]
    return U, value, grad


def _raw_rows(raw, Z, rng, mapped):
    """Classifier inputs ``Z`` brought back to raw rows; if ``mapped``, their numbers tidied.

    Inputs mapped onto the training values come back a few ulps off them
    (``z * scale + mean``): :func:`~sklearn_revnet._core.values.short_decimals`
    puts them back, so that a generated 0 or 36 is one.
    """
    rows = raw.back(Z, rng)
    if not mapped:
        return rows
    numeric = raw.encoded.numeric
    rows[:, numeric] = short_decimals(rows[:, numeric].astype(np.float64))
    return rows


def observed_box(clf, prior, box):
    """``box``, its draws mapped onto the training values where these repeat.

    The map (:mod:`~sklearn_revnet._core.values`) is built from the rows
    ``fit`` kept for the prior, for the continuous inputs that the box does
    not pin and holds within the training range (wider bounds ask for
    inputs beyond the data, which the map would not give). A prior set by
    hand has no rows: ``box`` then comes back as it is.
    """
    state = clf.__dict__.get("_prior_state")
    if state is None:
        return box
    categories = getattr(prior, "categories_", None)
    columns = np.arange(len(box.lo)) if categories is None else categories.continuous
    within = (box.lo >= to_numpy(clf.input_min_)) & (box.hi <= to_numpy(clf.input_max_))
    columns = [j for j in columns if within[j] and not box.pinned[j]]
    values = ObservedValues(state[0], prior, columns)
    return MappedBox(box, values) if len(values.columns_) else box


def _log_q(to, frm, grad_frm, h, scale):
    """``log q(to | frm)`` of the preconditioned Langevin proposal, up to a constant."""
    free = scale > 0
    mean = frm + 0.5 * h * scale**2 * grad_frm
    z = (to - mean)[:, free] / scale[free]
    return -np.sum(z * z, axis=1) / (2 * h[:, 0])


def sample_label(clf, label, n, random_state, min_proba, box=None, raw=None):
    """``n`` samples of ``p(x | label)`` within ``box`` (the classifier's if None).

    Drawn ``_CHUNK`` samples at a time into the answer, so that memory
    stays near the answer's size at any ``n`` (the same seed and ``n`` give
    the same samples). With ``raw`` (a pipeline's
    :class:`~sklearn_revnet._reverse.pipeline.fold.RawSpace`), each chunk is
    brought back to the raw features.

    Returns
    -------
    X : ndarray of shape (n, n_features)
    assigned : bool
        Whether the network assigns some sample (its image, for ``raw``) to
        ``label``.
    """
    check_parameters(clf)
    n = check_n_samples(n)
    if not isinstance(min_proba, Real) or not 0 <= min_proba < 1:
        raise ValueError(f"min_proba must be a number in [0, 1); got {min_proba!r}.")
    posterior = posterior_of(clf, generate_target(clf, label))
    rng = check_random_state(random_state)
    box = classifier_box(clf) if box is None else box
    box = observed_box(clf, posterior.prior, box)
    n_features = clf.n_features_in_ if raw is None else raw.n_features
    categorical = raw is not None and raw.encoded.columns  # categories may be strings
    X = np.empty((n, n_features), dtype=object if categorical else weights_dtype(clf))
    assigned = False
    with single_threaded_blas():  # small products: threads cost more than they save
        for start in range(0, n, _CHUNK):
            stop = min(start + _CHUNK, n)
            Z = sample_posterior(
                posterior, stop - start, rng, box, min_proba=min_proba, n_steps=clf.mcmc_steps
            )
            rows = Z if raw is None else _raw_rows(raw, Z, rng, isinstance(box, MappedBox))
            X[start:stop] = rows
            if not assigned:  # raw bounds may move the network's view of a row
                image = raw.image(rows) if raw is not None and raw.lo is not None else Z
                assigned = bool(np.any(posterior.assigns(image)))
    return X, assigned
