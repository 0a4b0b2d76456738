"""
Generating two moons by Bayes' rule
===================================

A classifier gives :math:`p(y \\mid x)`: how likely each class is for an
input. To generate inputs of a class we need the other direction,
:math:`p(x \\mid y)`. Bayes' rule connects the two,

.. math::

    p(x \\mid y) \\propto p(y \\mid x) \\, p(x),

once we also know :math:`p(x)`, how likely an input is at all.
:class:`~sklearn_revnet.ReversibleMLPClassifier` learns both when it is
fitted: the network gives :math:`p(y \\mid x)`, and ``prior_`` is a
:class:`~sklearn.mixture.GaussianMixture` fitted on the inputs alone (without
the labels) that gives :math:`p(x)`. :func:`sklearn_revnet.generate` draws
samples of :math:`p(x \\mid y)`.

On the two moons we compare these samples with real points and with those of
a naive reverse: move random inputs until the network is as confident as it
can be.
"""

# %%
# Fit a pipeline
# --------------
# The classifier sees standardized coordinates. We keep 40% of the points out:
# generated points will be compared with these held-out real ones.
import matplotlib.pyplot as plt
import numpy as np
from scipy.optimize import minimize
from sklearn.datasets import make_moons
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import StratifiedKFold, cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import sklearn_revnet
from sklearn_revnet import ReversibleMLPClassifier
from sklearn_revnet._core.network import backward, forward, log_loss_head

X, y = make_moons(1000, noise=0.15, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.4, stratify=y, random_state=0
)
pipe = make_pipeline(StandardScaler(), ReversibleMLPClassifier(random_state=0))
pipe.fit(X_train, y_train)
clf = pipe[-1]
print(f"Test accuracy: {pipe.score(X_test, y_test):.3f}")
print(f"Components of the input prior p(x): {clf.prior_.n_components}")

# %%
# Two ways to run the network in reverse
# --------------------------------------
# **Bayes' rule.** ``generate`` draws inputs from the prior :math:`p(x)` and
# keeps each one with probability :math:`p(y \mid x)`: exact samples of
# :math:`p(x \mid y)`. We draw, for each class, as many points as the
# held-out set has.
#
# **Maximal confidence.** The naive reverse, which this package used before,
# starts from standard-normal points in the classifier's (standardized) input
# space and runs L-BFGS on the network's log-loss for the requested label,
# with respect to the input. Nothing but the network has a say. It is written
# out here with the network's own forward and backward passes.


def confidence_descent(pipe, label, n, random_state):
    """Inputs the network is confident are ``label``, from random starts."""
    clf = pipe[-1]
    target = np.full((n, 1), float(label == clf.classes_[1]))  # one logistic output
    start = np.random.RandomState(random_state).standard_normal((n, clf.n_features_in_))

    def log_loss(u):
        layers = forward(u.reshape(start.shape), clf.coefs_, clf.intercepts_, clf.activation)
        row_loss, delta = log_loss_head(layers[-1], target, clf.out_activation_)
        grad = backward(layers, clf.coefs_, delta, clf.activation, input_grad=True)
        return row_loss.sum(), grad.ravel()

    result = minimize(
        log_loss,
        start.ravel(),
        method="L-BFGS-B",
        jac=True,
        options={"maxiter": 500, "gtol": 1e-4},
    )
    return pipe[:-1].inverse_transform(result.x.reshape(start.shape))


classes = clf.classes_
counts = {label: int(np.sum(y_test == label)) for label in classes}
samples = {
    "Bayes' rule": {
        label: sklearn_revnet.generate(pipe, label, counts[label], random_state=0)
        for label in classes
    },
    "maximal confidence": {
        label: confidence_descent(pipe, label, counts[label], random_state=0) for label in classes
    },
}

# %%
# How real do they look?
# ----------------------
# A two-sample test: for each class, a random forest tries to tell the
# held-out real points of the class from the generated ones (5-fold
# cross-validated accuracy, averaged over the two classes). 0.5 means it
# cannot tell them apart; 1.0 means they are trivially different. We also
# count the generated coordinates that fall outside the range of the training
# data.


def judge(real, generated):
    """Cross-validated accuracy of a random forest at telling the two apart."""
    Z = np.vstack([real, generated])
    is_generated = np.r_[np.zeros(len(real)), np.ones(len(generated))]
    forest = RandomForestClassifier(200, random_state=0, n_jobs=2)
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    return cross_val_score(forest, Z, is_generated, cv=cv).mean()


lo, hi = X_train.min(axis=0), X_train.max(axis=0)
judges, outside = {}, {}
for method, by_class in samples.items():
    judges[method] = np.mean([judge(X_test[y_test == c], by_class[c]) for c in classes])
    generated = np.vstack(list(by_class.values()))
    # up to the rounding of the scaler's inverse, for samples on a bound
    slack = 1e-9 * (hi - lo)
    outside[method] = np.mean((generated < lo - slack) | (generated > hi + slack))
    print(
        f"{method:>18s}: judge {judges[method]:.3f}, "
        f"coordinates outside the training range {outside[method]:.1%}"
    )

# %%
# Real and generated points
# -------------------------
# The black line is the network's decision boundary, :math:`p(y \mid x) = 0.5`.
xx, yy = np.meshgrid(np.linspace(-2, 3, 200), np.linspace(-1.5, 2, 140))
grid_proba = pipe.predict_proba(np.c_[xx.ravel(), yy.ravel()])[:, 1].reshape(xx.shape)
colors = {0: "tab:blue", 1: "tab:orange"}

panels = {"real (held out)": {c: X_test[y_test == c] for c in classes}, **samples}
fig, axes = plt.subplots(1, 3, figsize=(10, 3.6), sharex=True, sharey=True, layout="constrained")
for ax, (title, by_class) in zip(axes, panels.items()):
    ax.contour(xx, yy, grid_proba, levels=[0.5], colors="k", linewidths=1)
    for c in classes:
        ax.scatter(*by_class[c].T, s=6, color=colors[c], alpha=0.6, label=f"class {c}")
    if title in judges:
        title = f"{title}\njudge {judges[title]:.2f}"
    ax.set_title(title)
    ax.set(xlim=(-2, 3), ylim=(-1.5, 2), aspect="equal")
axes[0].legend(loc="lower left", markerscale=2)

# %%
# The samples drawn by Bayes' rule follow the moons, thick and thin parts
# alike, and the forest is close to guessing. The maximally confident points
# do not. The network is confident of class 1 over the whole region right of
# and below the black line, not just on the lower moon: most of that region
# holds no data at all, and :math:`p(y \mid x)` has no way to say so. The
# descent stops as soon as the network is sure, so each point ends wherever
# its random start was, pushed just across the boundary if it started on the
# wrong side: the samples keep the shape of the starting cloud, gather along
# the boundary inside the hollow of the other moon and spill beyond the range
# of the data. The prior :math:`p(x)` is what says which inputs are plausible.
#
# Ambiguous on purpose
# --------------------
# A few samples of Bayes' rule lie near the boundary, where the moons touch
# and real points of both classes mix. That is where real points of a class
# lie too: a real point there could have been of either class, and so can a
# generated one. Pass ``min_proba`` to keep only samples that the network
# assigns to the label with at least that probability (the posterior cut to
# that region).
for c in classes:
    proba = pipe.predict_proba(samples["Bayes' rule"][c])[:, c]
    print(f"class {c}: {np.mean(proba < 0.9):.1%} of the samples have p(y|x) < 0.9")
for c in classes:
    confident = sklearn_revnet.generate(pipe, c, 200, random_state=0, min_proba=0.9)
    lowest = pipe.predict_proba(confident)[:, c].min()
    print(f"class {c}, min_proba=0.9: lowest p(y|x) of the samples {lowest:.3f}")

# %%
# This network is sharp: it is more than 90% sure of a class almost
# everywhere but in a thin band along the boundary, so only a few samples are
# left out. The rest are still spread along the moons, not pushed to their far
# edges.
plt.show()
