"""What fit reports after each L-BFGS iteration.

The loss curve, the ``verbose`` lines and, with scikit-learn >= 1.9, the
estimator's callbacks (``set_callbacks``, for example
``sklearn.callback.ProgressBar``): the fit is one task whose subtasks are
the L-BFGS iterations. A callback that asks to stop ends the fit after the
current iteration.
"""

try:
    from sklearn.callback import CallbackSupportMixin
except ImportError:  # scikit-learn < 1.9 has no callback API

    class CallbackSupportMixin:
        """Without scikit-learn's callback API an estimator has no callbacks."""


class FitMonitor:
    """The ``callback`` for ``scipy.optimize.minimize`` during one fit."""

    def __init__(self, estimator, X, y, sample_weight, layout, x0, dtype):
        self.estimator = estimator
        self.n_before = len(estimator.loss_curve_)
        self.stopped = False
        self._fit_args = {
            "X": X,
            "y": y,
            "metadata": None if sample_weight is None else {"sample_weight": sample_weight},
        }
        self._layout = layout
        self._dtype = dtype  # of the weights
        self._context = None
        if hasattr(estimator, "_init_callback_context"):
            # one subtask per iteration, plus the one begun after the last
            self._context = estimator._init_callback_context(max_subtasks=estimator.max_iter + 1)
            self._context.call_on_fit_task_begin(estimator=estimator, **self._fit_args)
            self._iteration = self._begin_iteration(x0)

    def __call__(self, intermediate_result):
        loss = float(intermediate_result.fun)
        self.estimator.loss_curve_.append(loss)
        if self.estimator.verbose:
            print(
                f"Iteration {len(self.estimator.loss_curve_) - self.n_before}, loss = {loss:.8f}"
            )
        if self._context is not None:
            x = intermediate_result.x.copy()  # scipy updates its array in place
            stop = self._iteration.call_on_fit_task_end(
                estimator=self.estimator,
                reconstruction_attributes=self._attributes(x),
                **self._fit_args,
            )
            self._iteration = self._begin_iteration(x)
            if stop:
                self.stopped = True
                raise StopIteration  # scipy ends the minimization

    def close(self):
        """End the last (empty) iteration task and the fit task."""
        if self._context is not None:
            self._iteration.call_on_fit_task_end(estimator=self.estimator)
            self._context.call_on_fit_task_end(
                estimator=self.estimator, reconstruction_attributes={}, **self._fit_args
            )

    def _begin_iteration(self, x):
        context = self._context.subcontext(task_name="lbfgs iteration")
        context.call_on_fit_task_begin(
            estimator=self.estimator,
            reconstruction_attributes=self._attributes(x),
            **self._fit_args,
        )
        return context

    def _attributes(self, x):
        """Weights at ``x``, built only if a callback asks for a fitted estimator."""

        def attributes():
            coefs, intercepts = self._layout.views(x.astype(self._dtype))
            return {"coefs_": coefs, "intercepts_": intercepts}

        return attributes
