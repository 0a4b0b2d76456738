"""
Counterfactuals on tabular data: what must change, with a fixed feature
=======================================================================

For a tumour that the network calls benign, what is the least change to its
30 measurements that makes it say malignant, and the other way round?
:func:`sklearn_revnet.counterfactual` answers row by row: the input nearest to
the row, each feature's change measured in units of its median absolute
deviation, that the network assigns to another label and that the input
prior ``prior_`` still finds plausible. Features named in ``fixed`` come back
exactly as they were; here the size of the nucleus, ``"mean radius"``, may
not change. A DataFrame goes in and a DataFrame with the same columns comes
out.
"""

# %%
# Fit a pipeline on a DataFrame
# -----------------------------
# The classifier sees standardized features; the counterfactual is sought over
# the raw measurements, through the (affine) scaler, so that distances, the
# fixed feature and the bounds are all in the data's own units. The bounds
# are the classifier's ``input_bounds``, the training range, mapped back
# through the scaler: no measurement leaves the range seen in training.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import sklearn_revnet
from sklearn_revnet import ReversibleMLPClassifier

data = load_breast_cancer(as_frame=True)
X, y = data.data, data.target  # a DataFrame of 30 columns; 0: malignant, 1: benign
class_names = data.target_names  # an array: index it with predictions
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)

pipe = make_pipeline(StandardScaler(), ReversibleMLPClassifier(random_state=0))
pipe.fit(X_train, y_train)
print(f"Test accuracy: {pipe.score(X_test, y_test):.3f}")

# %%
# Counterfactuals with the radius fixed
# -------------------------------------
# Six held-out tumours. With the default ``target="other"`` each row goes to
# the label it is not predicted as (with two classes, the other one).
rows = X_test.iloc[:6]
counterfactuals = sklearn_revnet.counterfactual(pipe, rows, fixed=["mean radius"])

before, after = rows.to_numpy(), counterfactuals.to_numpy()
changed = after != before
print(f"Returned a {type(counterfactuals).__name__} of shape {counterfactuals.shape}")
print("Prediction before:", class_names[pipe.predict(rows)])
print("Prediction after: ", class_names[pipe.predict(counterfactuals)])
flipped = bool(np.all(pipe.predict(counterfactuals) != pipe.predict(rows)))
print(f"Every prediction flipped: {flipped}")
unchanged = bool(np.array_equal(counterfactuals["mean radius"], rows["mean radius"]))
print(f"'mean radius' exactly unchanged: {unchanged}")
print("Changed features per row (of 30):", changed.sum(axis=1))
inside = bool(np.all((after >= X_train.min().to_numpy()) & (after <= X_train.max().to_numpy())))
print(f"All values within the training range: {inside}")

# %%
# What changed
# ------------
# The size of a change is measured, as in the objective, in units of the
# feature's median absolute deviation (MAD); the objective estimates it from
# the prior's draws, and the table uses that of the training rows. For each
# row, its four largest changes:
mad = (X_train - X_train.median()).abs().median().to_numpy()
names = X.columns


def largest_changes(found, k=4):
    """Print each row's ``k`` largest changes in MAD units: feature, before, after."""
    size = (found - before) / mad
    print(f"{'row':>4s}  {'feature':<24s} {'before':>9s} {'after':>9s} {'MADs':>6s}")
    for i, label in enumerate(rows.index):
        for j in np.argsort(-np.abs(size[i]))[:k]:
            if size[i, j] != 0:
                print(
                    f"{label:>4d}  {names[j]:<24s} {before[i, j]:9.4g} {found[i, j]:9.4g} "
                    f"{size[i, j]:+6.2f}"
                )


largest_changes(after)

# %%
# Between a quarter and two thirds of the features move, most of them a
# little. The plausibility term, a squared hinge on the prior's log-density
# below ``prior_.offset_`` (that of the 10% least likely training rows),
# pulls each answer toward where real tumours lie: the measurements are
# correlated (the three sizes, the concavity features, the "mean" and
# "worst" version of each), and a row that changed one or two of them alone
# would resemble no real tumour. How much must change varies a lot from row
# to row. A value can end exactly on a bound of the training
# range (its smallest or largest training value), where the clipping holds
# it.
#
# Without the plausibility term
# -----------------------------
# ``plausibility=0`` drops that pull. The answers are sparser and closer, but
# the prior's log-density, ``prior_.score_samples`` of the classifier's
# input, tells how far they may lie from the data.
loose = sklearn_revnet.counterfactual(pipe, rows, fixed=["mean radius"], plausibility=0.0)
loose_after = loose.to_numpy()
print("Prediction, plausibility=0:", class_names[pipe.predict(loose)])
print("Changed features per row, plausibility=0:", (loose_after != before).sum(axis=1))
for name, found in [("1 (default)", after), ("0", loose_after)]:
    distance = np.abs((found - before) / mad).sum(axis=1)
    print(f"L1 distance in MADs, plausibility={name}:", distance.round(1))
prior, scaler = pipe[-1].prior_, pipe[:-1]
for name, found in [
    ("originals", rows),
    ("plausibility=1 (default)", counterfactuals),
    ("plausibility=0", loose),
]:
    density = prior.score_samples(scaler.transform(found))
    print(f"Prior log-density, {name}:", density.round(1))
largest_changes(loose_after)

# %%
# The changes, feature by feature
# -------------------------------
# Each cell is one feature's change in MAD units, red up and blue down,
# blank where the feature is exactly unchanged (always so for the fixed
# ``mean radius``, the first column). Each row is labelled with its index and
# the network's prediction before the change.
fig, axes = plt.subplots(2, 1, figsize=(9, 5.6), layout="constrained", sharex=True)
for ax, found, title in [
    (axes[0], after, "plausibility=1 (default)"),
    (axes[1], loose_after, "plausibility=0"),
]:
    size = np.ma.masked_where(found == before, (found - before) / mad)
    image = ax.imshow(size, cmap="RdBu_r", vmin=-5, vmax=5, aspect="auto")
    ax.set_yticks(
        range(len(rows)),
        [f"{i}: {class_names[k]}" for i, k in zip(rows.index, pipe.predict(rows))],
    )
    ax.set_title(title, fontsize=10)
axes[1].set_xticks(range(len(names)), names, rotation=90, fontsize=8)
fig.colorbar(image, ax=axes, shrink=0.6, label="change in MADs (clipped at 5)")

# %%
# Without the plausibility term the network is flipped by large moves of a
# few features (here mostly the fractal dimensions and the concave points) to
# values far outside where real tumours lie: the prior's log-density of those
# answers falls by tens to thousands, while the default answers stop where
# the hinge lets go, at the threshold, within a few tens of the originals.
# Such an answer tells what the network reacts to, not what a tumour of the
# other class would look like. The hinge is a penalty, not a constraint: an
# answer that cannot be both valid and as likely as the threshold is valid
# first. And the threshold is that of the training rows, which the prior
# fits more closely than new ones, so some held-out rows score below it to
# begin with.
plt.show()
