"""
Generating tabular rows: breast cancer
======================================

The breast cancer data set describes 569 tumours by 30 measurements of their
cell nuclei (radius, texture, area, concavity, ...), each tumour labelled
malignant or benign. A :class:`~sklearn_revnet.ReversibleMLPClassifier` fitted
on it can also generate new rows for a class: samples of
:math:`p(x \\mid y) \\propto p(y \\mid x) \\, p(x)`, with the network's
:math:`p(y \\mid x)` and a Gaussian mixture ``prior_`` for :math:`p(x)`,
fitted on the rows without their labels.

Measurements have physical limits: an area is never negative, and some
nuclei have no concavity at all (exactly 0). Generated rows respect them.
"""

# %%
# Fit a pipeline
# --------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import sklearn_revnet
from sklearn_revnet import ReversibleMLPClassifier

data = load_breast_cancer()
X, y = data.data, data.target
feature_names = list(data.feature_names)
class_names = list(data.target_names)  # 0: malignant, 1: benign

pipe = make_pipeline(StandardScaler(), ReversibleMLPClassifier(random_state=0))
pipe.fit(X, y)
clf = pipe[-1]
print(f"Training accuracy: {pipe.score(X, y):.3f}")
print(f"Components of the input prior p(x): {clf.prior_.n_components}")

# %%
# Generate as many rows per class as there are real ones
# ------------------------------------------------------
# The classifier keeps what it generates inside ``input_bounds``, by default
# the range of its training inputs (``input_min_``, ``input_max_``), and its
# prior is *censored* at these bounds: a draw of the mixture beyond a bound
# lands on it, as a measurement with a floor does. So generated rows can sit
# exactly on a bound, as real rows do (a concavity of 0), but never beyond.
#
# The classifier sees standardized features, so its bounds are the training
# range in standardized units: the same box as the raw training range.
# :class:`~sklearn.preprocessing.StandardScaler` does not record that range
# itself, so we pass it as ``bounds``; mapping back through the scaler could
# otherwise round a value that sits on its bound to a hair (1e-17) past it.
lo, hi = X.min(axis=0), X.max(axis=0)
print(
    "Classifier's bounds are the training range:",
    np.allclose(pipe[0].inverse_transform([clf.input_min_, clf.input_max_]), [lo, hi]),
)

generated = {
    label: sklearn_revnet.generate(
        pipe, label, int(np.sum(y == label)), random_state=0, bounds=(lo, hi)
    )
    for label in clf.classes_
}
all_generated = np.vstack(list(generated.values()))
requested = np.repeat(clf.classes_, [len(g) for g in generated.values()])
agreement = np.mean(pipe.predict(all_generated) == requested)
print(f"Network agrees with the requested class: {agreement:.1%}")
outside = np.mean((all_generated < lo) | (all_generated > hi))
print(f"Generated values outside the training range: {outside:.1%}")

# %%
# A few rows, real and generated
# ------------------------------
# The first three real and three generated rows of each class, for a handful
# of the 30 features.
shown = ["mean radius", "mean texture", "mean area", "mean concavity"]
columns = [feature_names.index(name) for name in shown]

try:
    import pandas as pd
except ImportError:  # pandas is optional: print the bare numbers
    pd = None

rows, index = [], []
for label in clf.classes_:
    for source, values in [("real", X[y == label]), ("generated", generated[label])]:
        rows.extend(values[:3, columns])
        index.extend([(class_names[label], source)] * 3)
if pd is not None:
    table = pd.DataFrame(rows, columns=shown, index=pd.MultiIndex.from_tuples(index))
    print(table.round(3).to_string())
else:
    print(shown)
    for (name, source), row in zip(index, rows):
        print(f"{name:>9s} {source:>9s}", np.round(row, 3))

# %%
# Distributions, real and generated
# ---------------------------------
# Histograms of four features for each class, real rows in gray and generated
# ones in colour. The dashed lines mark the training range (over both
# classes), which no generated value leaves.
fig, axes = plt.subplots(2, len(shown), figsize=(10, 4.8), layout="constrained")
for row, label in enumerate(clf.classes_):
    for ax, name, j in zip(axes[row], shown, columns):
        bins = np.linspace(lo[j], hi[j], 30)
        ax.hist(X[y == label, j], bins=bins, color="0.7", label="real")
        ax.hist(
            generated[label][:, j],
            bins=bins,
            histtype="step",
            linewidth=1.5,
            color=f"C{row}",
            label="generated",
        )
        for bound in (lo[j], hi[j]):
            ax.axvline(bound, color="k", linestyle="--", linewidth=0.8)
        ax.set_yticks([])
        if row == 1:
            ax.set_xlabel(name)
    axes[row, 0].set_ylabel(class_names[label])
    axes[row, -1].legend(fontsize=8)

# %%
# The generated values follow the real ones, class by class: malignant
# tumours are larger and more concave. Some nuclei, all benign, have a
# concavity of exactly 0, the smallest value in the data; generated benign
# rows put a similar share there, and none below. No generated area is
# negative, nor smaller than the smallest in the training data (143.5, a
# benign nucleus). The prior knows nothing of the labels, so a generated
# malignant row may be smaller than every real malignant one, where the
# network still calls such a nucleus malignant.
area, concavity = feature_names.index("mean area"), feature_names.index("mean concavity")
for label in clf.classes_:
    real, fake = X[y == label], generated[label]
    print(
        f"{class_names[label]:>9s}: smallest mean area {fake[:, area].min():.1f} generated, "
        f"{real[:, area].min():.1f} real, {lo[area]:.1f} in training; concavity exactly 0: "
        f"{np.mean(fake[:, concavity] == 0):.1%} generated, "
        f"{np.mean(real[:, concavity] == 0):.1%} real"
    )

# %%
# The most probable row of each class
# -----------------------------------
# ``clf.inverse_transform(labels)`` returns the mode of :math:`p(x \mid y)`,
# the single most probable input for each class, in the classifier's
# standardized units; the scaler maps it back to measurements (this is what
# ``pipe.inverse_transform`` does). It is deterministic. The mode is not the
# class average: it sits where real rows are densest, which for the malignant
# class is among its smaller tumours.
modes = pipe[0].inverse_transform(clf.inverse_transform([0, 1]))
print("Network's probabilities for the modes:", pipe.predict_proba(modes).round(3).tolist())
class_means = np.array([X[y == label].mean(axis=0) for label in clf.classes_])
if pd is not None:
    summary = pd.DataFrame(
        np.vstack([modes[:, columns], class_means[:, columns]]),
        columns=shown,
        index=pd.MultiIndex.from_product([["mode", "class mean"], class_names]),
    )
    print(summary.round(3).to_string())
else:
    print("modes:\n", modes[:, columns].round(3))
    print("class means:\n", class_means[:, columns].round(3))
plt.show()
