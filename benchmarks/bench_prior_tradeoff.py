"""The prior's held-out likelihood against the realism of generated digits.

``prior="auto"`` chooses the input prior by held-out log-likelihood. On the
digits (``bench_realism.py``'s pipeline: ``PCA(20, whiten=True)``, then the
classifier), its generated digits miss two realism goals of
``bench_realism.py``: the judge (at most 0.60) and the oracle (at least 0.95
on average over 5 classifier seeds). This script asks whether another prior
would meet them, and at what cost in held-out likelihood.

Each row puts one prior into the fitted pipelines of classifier seeds 0-4
(``bench_realism.py``'s split and settings; the prior fitted, for each seed,
on the training rows in the classifier's input space), generates as many
digits per class as the held-out split holds, and reports:

- held-out: the prior's mean log-likelihood per held-out row, in the
  classifier's input space (seed 0's prior), next to the best anchor of
  ``bench_prior.py`` on the same rows (a ``GaussianMixture`` of size and
  covariance type chosen by 3-fold ``GridSearchCV``);
- judge: ``bench_realism.py``'s two-sample judge, on average over the seeds;
- oracle: the share of generated digits that an ``SVC`` fitted on the raw
  training pixels assigns to the requested label, on average over the seeds
  (and its range);
- agree: the same share for the pipeline itself.

The rows: the search's choice (the default, ``prior_`` as fitted); the
previous default (full covariances, size by AIC); and Gaussian mixtures of
the standardized (or Yeo-Johnson mapped) features of fixed covariance type,
size and ``reg_covar``, around the search's usual choice.

Run: ``python benchmarks/bench_prior_tradeoff.py`` (about 30 minutes on 2
shared cores).

Measured (2026-12-03): no prior reaches the oracle goal, not even the
previous default (0.949), which scores 8 nats per held-out row below the
anchor; priors that meet the judge goal and the held-out goal together
exist (22 full components of the standardized features, ``reg_covar``
0.03: judge 0.583, held-out -20.79 against the anchor's -21.82), but the
search's own choice on this split (11 components) gave a judge of 0.625:
its held-out scores on two thirds of the rows do not separate these
candidates.

Measured (2026-12-04), the search's row alone, after the search's size
was refitted with as many rows per component as on a fold: 16 full
components, held-out -21.193, judge 0.596, oracle 0.922 (0.910-0.944),
agree 0.969. The judge goal is met; the oracle goal is still met by no
prior.
"""

import warnings

import numpy as np
from bench_prior import aic_choice, gmm_cv
from bench_realism import (
    defaults_raw_bounds,
    fit_pipeline,
    generate_per_class,
    judge,
    load_datasets,
)
from sklearn.model_selection import train_test_split
from sklearn.svm import SVC
from threadpoolctl import threadpool_limits

from sklearn_revnet._core.marginal import YeoJohnson
from sklearn_revnet._core.prior import OFFSET_PERCENTILE, InputPrior
from sklearn_revnet._core.prior_search import fit_mixture

SEEDS = range(5)
# (Yeo-Johnson?, covariance type, size, reg_covar)
FIXED = [
    (False, "full", 11, 0.1),
    (False, "full", 22, 0.3),
    (False, "full", 22, 0.1),
    (False, "full", 22, 0.03),
    (False, "full", 22, 0.01),
    (False, "full", 30, 0.1),
    (False, "full", 30, 0.03),
    (False, "full", 40, 0.03),
    (False, "full", 40, 0.01),
    (True, "full", 22, 0.1),
]


def mixture_prior(U, power, covariance_type, k, reg_covar, seed):
    """An InputPrior of a fixed mixture, fitted on ``U``."""
    marginal = YeoJohnson(U, power=power)
    mixture = fit_mixture(marginal.transform(U), k, covariance_type, reg_covar, seed)
    kind = "Yeo-Johnson" if power else "standardized"
    prior = InputPrior(mixture, marginal, covariance_type, f"{k} {covariance_type}, {kind}")
    prior.offset_ = float(np.percentile(prior.score_samples(U), OFFSET_PERCENTILE))
    return prior


def aic_prior(U, seed):
    """The previous default: full covariances, size by AIC, >= 40 rows a component."""
    best, _ = aic_choice(YeoJohnson(U, power=False).transform(U), seed)
    return mixture_prior(U, False, "full", best.n_components, 1e-6, seed)


def main():
    X, y, first_step, _ = load_datasets()["digits"]
    split = train_test_split(X, y, test_size=0.4, stratify=y, random_state=0)
    X_train, X_test, y_train, y_test = split
    oracle = SVC().fit(X_train, y_train)
    with threadpool_limits(limits=1):
        pipes = [fit_pipeline(first_step(), X_train, y_train, random_state=s) for s in SEEDS]
        space = pipes[0][:-1]
        anchor, chosen = gmm_cv(space.transform(X_train))
        anchor_score = anchor.score(space.transform(X_test))
        print(f"digits through PCA(20, whiten=True); {len(X_train)} training rows")
        print(f"best anchor (GMM CV, {chosen}): held-out {anchor_score:.3f} nats per row\n")
        searched = [pipe[-1].prior_ for pipe in pipes]
        rows = {"search (default): " + searched[0].description_.split(" (")[0]: searched}
        rows["AIC (previous default)"] = None
        rows.update({f"{'YJ' if c[0] else 'std'} {c[2]} {c[1]}, reg {c[3]:g}": c for c in FIXED})
        header = f"{'held-out':>9} {'judge':>6} {'oracle':>7} {'range':>13} {'agree':>6}"
        print(f"{'prior':<48} {header}")
        for name, how in rows.items():
            judges, oracles, agrees, held_out = [], [], [], None
            for seed, pipe in zip(SEEDS, pipes):
                U = pipe[:-1].transform(X_train)
                if isinstance(how, list):
                    prior = how[seed]
                elif how is None:
                    prior = aic_prior(U, seed)
                else:
                    prior = mixture_prior(U, *how, seed)
                pipe[-1].prior_ = prior
                if held_out is None:
                    held_out = prior.score(pipe[:-1].transform(X_test))
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", UserWarning)  # labels out of reach
                    samples, _ = generate_per_class(defaults_raw_bounds, pipe, X_train, y_test)
                X_gen = np.vstack(list(samples.values()))
                asked = np.concatenate([np.full(len(s), label) for label, s in samples.items()])
                oracles.append(np.mean(oracle.predict(X_gen) == asked))
                agrees.append(np.mean(pipe.predict(X_gen) == asked))
                judges.append(judge(samples, X_test, y_test, pipe[:-1].transform))
            spread = f"{min(oracles):.3f}-{max(oracles):.3f}"
            print(
                f"{name[:48]:<48} {held_out:>9.3f} {np.mean(judges):>6.3f} "
                f"{np.mean(oracles):>7.3f} {spread:>13} {np.mean(agrees):>6.3f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
