"""The network term, its input gradient and the prior term, where the model lives.

The reverse direction's drivers (scipy's L-BFGS-B, the samplers, the proximal
solver of the counterfactuals) run on the host, in numpy and float64. They
ask an :class:`Evaluator` for the network's layers at some inputs, the input
gradient of a quantity of its logits, and the input prior's log-density and
gradient. A model fitted on numpy computes these in numpy; a model fitted in
another array API namespace (torch, CuPy...) computes them there, on its
device, each call moving the inputs there and the results back.
"""

import numpy as np

from sklearn_revnet._core.density import PriorDensity
from sklearn_revnet._core.namespace import array_namespace, device, to_numpy
from sklearn_revnet._core.network import backward, forward


class Evaluator:
    """A fitted network and input prior, evaluated at inputs given on the host.

    Parameters
    ----------
    coefs, intercepts : lists of arrays
        The fitted weights, in any namespace (float64 is used off numpy).
    activation : str
        The hidden activation.
    prior : GaussianMixture
        The fitted input prior.
    """

    def __init__(self, coefs, intercepts, activation, prior):
        self.activation = activation
        self.xp = xp = array_namespace(coefs[0])
        if xp is None:
            self.coefs, self.intercepts = coefs, intercepts
            self.density = PriorDensity(prior)
        else:
            self.device = device(coefs[0])
            self.coefs = [xp.astype(W, xp.float64) for W in coefs]
            self.intercepts = [xp.astype(b, xp.float64) for b in intercepts]
            self.density = PriorDensity(prior, xp, self.device)

    def put(self, X):
        """Host rows ``X`` where the model computes (numpy: as they are)."""
        if self.xp is None:
            return X
        return self.xp.asarray(np.ascontiguousarray(X, dtype=np.float64), device=self.device)

    def get(self, a):
        """An array computed here, on the host."""
        return a if self.xp is None else to_numpy(a)

    def clip(self, U, lo, hi):
        """``U`` (already :meth:`put`) clipped into the box ``[lo, hi]`` (numpy arrays)."""
        if self.xp is None:
            return np.clip(U, lo, hi)
        return self.xp.clip(U, self.put(lo), self.put(hi))

    def zero_where(self, mask, a):
        """``a`` with its entries under ``mask`` set to 0 (numpy: in place)."""
        if self.xp is None:
            a[mask] = 0.0
            return a
        return self.xp.where(mask, self.xp.zeros_like(a), a)

    def layers(self, Z):
        """The network's layers at inputs ``Z`` (already :meth:`put`), logits last."""
        return forward(Z, self.coefs, self.intercepts, self.activation)

    def input_gradient(self, layers, delta):
        """``d / dZ`` of the logits' ``delta``, backpropagated through ``layers``."""
        return backward(layers, self.coefs, delta, self.activation, input_grad=True)

    def log_prior(self, Z, gradient=True):
        """The prior's ``(log_p, grad)`` at inputs ``Z`` (already :meth:`put`)."""
        return self.density(Z, gradient)
