"""The classifier's reverse family: ``inverse_transform``, ``generate``, ``counterfactual``.

:class:`ReverseMixin` gives the estimator (:mod:`sklearn_revnet._classifier`)
these methods; each turns its arguments into target rows and a box and calls
the posterior's mode finder (:mod:`~sklearn_revnet._reverse.mode`), its
sampler (:mod:`~sklearn_revnet._reverse.sampling`) or the counterfactual
solver. The drivers run on the host; the densities are computed where the
fitted weights live, and the answers come back there.
"""

from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from sklearn_revnet._core.namespace import like, on_host, to_numpy
from sklearn_revnet._core.prior_cache import prior_for_rows
from sklearn_revnet._core.threads import single_threaded_blas
from sklearn_revnet._reverse.counterfactual.api import counterfactual
from sklearn_revnet._reverse.mode import generate_rows, modes
from sklearn_revnet._reverse.targets import answered


class ReverseMixin:
    """The reverse family of :class:`~sklearn_revnet.ReversibleMLPClassifier`."""

    @property
    def prior_(self):
        """The input prior :math:`p(x)`, fitted at its first use.

        ``fit`` keeps the rows it is fitted on (at most 2000, a copy) and
        its seed; the first reverse call, or the first read of ``prior_``,
        fits it. (The rows stay: through a pipeline that encodes categories,
        the first reverse call refits the prior with those inputs as
        categorical columns, a latent-class mixture, and ``prior_`` is then
        that one.) Predictions never need it, so a
        forward-only fit (cross-validation, a grid search) costs what the
        network costs. Read ``prior_`` after ``fit`` to fit it at once.

        The prior depends on its rows, ``prior`` and a seed, never on the
        labels or the trained weights. The seed is drawn from
        ``random_state`` after the network's initial weights, so a model
        refitted on the same rows with the same ``prior``, ``random_state``
        and layer sizes (another ``alpha`` or ``max_iter``, a search's refit)
        reuses a copy of the prior fitted before, if it is among the last 8
        of the process.
        """
        prior = self.__dict__.get("_prior")
        if prior is None:
            state = self.__dict__.get("_prior_state")
            if state is None:
                raise NotFittedError(
                    f"This {type(self).__name__} instance is not fitted yet: it has no "
                    "input prior. Call 'fit' first."
                )
            prior = self._fit_prior(state, None)
        return prior

    def _fit_prior(self, state, categories):
        """Fit the prior from ``fit``'s rows, seed and kind, with these categorical inputs."""
        rows, seed, kind = state
        # the mixtures' products are small: threads would cost more than they save
        with single_threaded_blas():
            prior = prior_for_rows(rows, kind, seed, self.verbose, categories)
        # the rows are kept: a pipeline may ask for the prior with its categories
        self._prior = prior
        return prior

    def _prior_with(self, categories):
        """The input prior, with the inputs of ``categories`` as categorical columns.

        A pipeline whose steps encode categories asks for it before any
        reverse call: the first such call refits the prior from ``fit``'s
        rows (or reuses the one fitted on them before), and ``prior_`` is
        then that prior. Without categorical blocks, ``prior_``.
        """
        prior = self.__dict__.get("_prior")
        if not categories.blocks:
            return self.prior_
        if prior is not None and getattr(prior, "categories_", None) == categories:
            return prior
        state = self.__dict__.get("_prior_state")
        if state is None:
            raise ValueError(
                "The input prior was set by hand, without the pipeline's categorical "
                "columns; refit the pipeline."
            )
        return self._fit_prior(state, categories)

    @prior_.setter
    def prior_(self, prior):
        self._prior, self._prior_state = prior, None

    def inverse_transform(self, y):
        """The most probable input for each label or target row.

        The mode of the posterior :math:`p(x \\mid t)` within ``input_bounds``,
        by scipy's L-BFGS-B from the mean of the prior component that holds
        most of the posterior's mass. For rows of probabilities the network's
        term is then weighted up and finally polished alone, so that the network
        assigns the answer these probabilities where it can. Deterministic;
        each row depends on its own target only.

        Parameters
        ----------
        y : array-like of shape (n_rows,) or (n_rows, n_classes)
            Labels from ``classes_``; or, for a binary or multiclass model,
            rows of target probabilities (non-negative, summing to 1); or,
            for a multilabel model, rows of a 0/1 label indicator.

        Returns
        -------
        X : ndarray or DataFrame of shape (n_rows, `n_features_in_`)
            Inputs, in the space of the training data: a DataFrame with the
            columns ``feature_names_in_`` when the classifier was fitted on
            one, else an ndarray.

        Warns
        -----
        UserWarning
            When no input within ``input_bounds`` was found that the network
            assigns to a label: that row is the mode within the bounds.
        """
        check_is_fitted(self)
        return answered(self, lambda: modes(self, y))

    def generate(self, label, n=1, *, random_state=None, min_proba=0.0):
        """Draw ``n`` samples of :math:`p(x \\mid \\text{label})`.

        Exact samples of the posterior within ``input_bounds``: draws from
        ``prior_`` kept with probability :math:`p(\\text{label} \\mid x)`, and
        Metropolis-adjusted Langevin chains of ``mcmc_steps`` steps for what
        that does not deliver (rare labels). Near a class boundary the
        samples are as ambiguous as real data there.

        Parameters
        ----------
        label : object
            A label from ``classes_``; for a multilabel model also a 0/1
            indicator row (a label set: exactly these labels on).

        n : int, default=1
            Number of samples.

        random_state : int, RandomState instance or None, default=None
            Seeds the sampler. The same seed and ``n`` give the same samples.

        min_proba : float, default=0.0
            Keep only inputs that the network assigns to ``label`` with at
            least this probability (for unambiguous samples); the posterior
            is truncated to that region.

        Returns
        -------
        X : ndarray or DataFrame of shape (n, `n_features_in_`)
            The samples, in the training data's space (a DataFrame with the
            columns ``feature_names_in_`` for a classifier fitted on one).

        Warns
        -----
        UserWarning
            When the network assigns none of the samples to ``label`` and no
            input within ``input_bounds`` that it assigns to ``label`` was
            found.
        """
        check_is_fitted(self)
        return answered(self, lambda: generate_rows(self, label, n, random_state, min_proba))

    def counterfactual(
        self, X, target="other", *, fixed=None, min_proba=0.5, plausibility=1.0, max_iter=500
    ):
        """The nearest plausible inputs that the network assigns to another label.

        For each row, the input nearest to it (L1 distance, each feature
        scaled by its median absolute deviation) that the network assigns to
        ``target`` with probability at least ``min_proba``, plausible under
        ``prior_``, within ``input_bounds``, with the ``fixed`` features
        exactly unchanged. See :func:`sklearn_revnet.counterfactual`, which
        does the same through a pipeline, in the raw input space.

        Parameters
        ----------
        X : array-like of shape (n_samples, `n_features_in_`)
            Rows to explain.

        target : "other", label or array-like of shape (n_samples,), default="other"
            ``"other"``: for each row, whichever label other than its
            prediction is cheapest to reach; a label for every row; or one
            label per row.

        fixed : array-like of int, bool or str, default=None
            Features that must not change: indices, a boolean mask, or
            column names (when fitted on a DataFrame).

        min_proba : float, default=0.5
            The network's probability of the target at the answer is at
            least this, in [0.5, 1).

        plausibility : float, default=1.0
            Weight of the pull into the data (a hinge on the prior's
            log-density); 0 drops it, for sparser and closer answers.

        max_iter : int, default=500
            Iterations of each stage of the solver.

        Returns
        -------
        X_cf : ndarray or DataFrame of shape (n_samples, `n_features_in_`)
            The counterfactuals (a DataFrame with the columns
            ``feature_names_in_`` when fitted on one). Rows already predicted
            as their target come back unchanged; rows without a valid answer
            are NaN, with a warning. Deterministic.
        """
        X = to_numpy(X)
        with on_host():
            answers = counterfactual(
                self,
                X,
                target,
                fixed=fixed,
                min_proba=min_proba,
                plausibility=plausibility,
                max_iter=max_iter,
            )
        return like(answers, self.coefs_[0])
