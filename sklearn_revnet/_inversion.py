"""Running the network in reverse: inputs for given targets, by L-BFGS.

For target rows ``t_i`` (one-hot labels, probability rows or label sets) we
look for inputs ``x_i = mean + scale * u_i`` that minimize::

    sum_i  logloss(t_i, z(x_i)) + inverse_alpha / 2 * ||u_i - a_i||^2

where ``z`` are the network's output logits, ``mean`` and ``scale`` describe
the training inputs (recorded at fit time, with no label information) and
``a_i`` is the anchor of row ``i``: the prior mean (``u = 0``) for
``inverse_transform``, a random draw from the prior for ``generate``. The
first term pulls the input toward the target, the second keeps it where
training inputs live. The gradient with respect to ``x`` comes from the same
backward pass as training.
"""

import numpy as np

from sklearn_revnet._network import backward, forward, log_loss_head
from sklearn_revnet._training import minimize_lbfgs, single_threaded_blas


class InputPrior:
    """Per-feature mean and scale of the training inputs.

    A feature with zero variance gets scale 0, so reconstructions keep it
    at its (constant) training value.
    """

    def __init__(self, mean, scale):
        self.mean = mean
        self.scale = scale

    @classmethod
    def from_data(cls, X, sample_weight=None):
        if hasattr(X, "toarray"):  # sparse: the prior is small and dense
            from sklearn.utils.sparsefuncs import mean_variance_axis

            mean, var = mean_variance_axis(X.tocsr(), axis=0, weights=sample_weight)
            scale = np.sqrt(var)
        else:
            mean = np.average(X, axis=0, weights=sample_weight)
            # the standard deviation without squaring huge values: scale each
            # column by its largest deviation first
            centered = X - mean
            peak = np.max(np.abs(centered), axis=0)
            peak[peak == 0] = 1
            scale = peak * np.sqrt(
                np.average((centered / peak) ** 2, axis=0, weights=sample_weight)
            )
        return cls(np.asarray(mean, dtype=X.dtype), np.asarray(scale, dtype=X.dtype))


class InversionObjective:
    """``u -> (loss, gradient)`` for a batch of rows, flattened for L-BFGS."""

    def __init__(self, network, targets, prior, anchor, alpha):
        self.coefs, self.intercepts, self.activation, self.out_activation = network
        self.targets = targets
        self.prior = prior
        self.anchor = anchor
        self.alpha = alpha
        self.shape = anchor.shape

    def inputs(self, u):
        return self.prior.mean + self.prior.scale * u.reshape(self.shape)

    def _evaluate(self, u):
        """Per-row loss and the gradient with respect to ``u``."""
        X = self.inputs(u).astype(self.prior.mean.dtype, copy=False)
        # A step so long that the network overflows gives a non-finite loss,
        # which minimize_lbfgs treats as an infinite one: no warning needed.
        with np.errstate(over="ignore", invalid="ignore"):
            layers = forward(X, self.coefs, self.intercepts, self.activation)
            row_loss, delta = log_loss_head(layers[-1], self.targets, self.out_activation)
            grad_x = backward(layers, self.coefs, delta, self.activation, input_grad=True)
        diff = u.reshape(self.shape) - self.anchor
        row_objective = row_loss + 0.5 * self.alpha * np.einsum("ij,ij->i", diff, diff)
        return row_objective, grad_x * self.prior.scale + self.alpha * diff

    def row_objective(self, u):
        return self._evaluate(u)[0]

    def __call__(self, u):
        row_objective, grad = self._evaluate(u)
        return float(np.sum(row_objective, dtype=np.float64)), grad.ravel()


def reconstruct(
    network, targets, prior, anchor, start=None, *, alpha, max_iter, tol, chunk_size=256
):
    """Inputs whose network outputs match ``targets``, one row per target.

    Parameters
    ----------
    network : tuple
        ``(coefs, intercepts, activation, out_activation)``.
    targets : ndarray of shape (n_rows, n_outputs)
        Target rows in the space of the output link (probabilities).
    prior : InputPrior
    anchor : ndarray of shape (n_rows, n_features)
        Standardized anchor of each row.
    start : ndarray of shape (n_rows, n_features), default=None
        Standardized starting point of each row; the anchor if None.
    alpha, max_iter, tol : float, int, float
        Weight of the prior term and L-BFGS limits (``maxiter``, ``gtol``).
    chunk_size : int, default=256
        Rows solved together in one L-BFGS problem (the objective is a sum
        of independent rows). One problem over many rows is much faster than
        one problem per row (see ``benchmarks/bench_inversion.py``), but the
        rows then share the line search, the curvature memory and the
        stopping test, so where a row stops depends on the other rows of its
        chunk: ``inverse_transform`` therefore gives each distinct target a
        problem of its own, while ``generate`` solves its samples together.

    Returns
    -------
    X : ndarray of shape (n_rows, n_features)
        Reconstructed inputs.
    row_objective : ndarray of shape (n_rows,)
        Final value of each row's objective, to compare restarts.
    """
    start = anchor if start is None else start
    X = np.empty(anchor.shape, dtype=prior.mean.dtype)
    row_objective = np.empty(anchor.shape[0])
    # The products are small: BLAS threads would cost more than they save.
    with single_threaded_blas():
        for first in range(0, anchor.shape[0], chunk_size):
            rows = slice(first, first + chunk_size)
            objective = InversionObjective(network, targets[rows], prior, anchor[rows], alpha)
            result = minimize_lbfgs(
                objective,
                start[rows].ravel(),
                max_iter=max_iter,
                max_fun=max(15000, 20 * max_iter),
                tol=tol,
            )
            X[rows] = objective.inputs(result.x)
            row_objective[rows] = objective.row_objective(result.x)
    return X, row_objective
