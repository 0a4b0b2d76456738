"""
Generating digits by running a network in reverse
=================================================

A classifier maps an image to a label. :class:`~sklearn_revnet.ReversibleMLPClassifier`
can also go the other way: given a label, it searches for inputs that the network
maps to that label. Put it at the end of a pipeline and
:func:`sklearn_revnet.generate` maps those inputs back through the earlier steps,
so the samples come out as 8x8 digit images that we can look at next to real ones.
"""

# %%
# Fit a pipeline
# --------------
# The network sees 20 whitened principal components of the 64 pixels.
# :class:`~sklearn.decomposition.PCA` has an ``inverse_transform``, so anything
# the network produces in that 20-dimensional space can be mapped back to pixels.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

import sklearn_revnet
from sklearn_revnet import ReversibleMLPClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)

pipe = make_pipeline(PCA(n_components=20, whiten=True), ReversibleMLPClassifier(random_state=0))
pipe.fit(X_train, y_train)
print(f"Test accuracy: {pipe.score(X_test, y_test):.3f}")

# %%
# Generate eight samples per class
# --------------------------------
# Each sample starts from its own random draw of the network's input prior (a
# Gaussian with the mean and spread of the training inputs) and is moved until
# the network is confident it shows the requested digit. The seed makes the
# samples reproducible.
classes = np.arange(10)
generated = {
    label: sklearn_revnet.generate(pipe, label, 8, random_state=label) for label in classes
}

all_generated = np.vstack(list(generated.values()))
requested = np.repeat(classes, 8)
agreement = np.mean(pipe.predict(all_generated) == requested)
print(f"Network agrees with the requested label: {agreement:.0%}")

# %%
# The network knows nothing about the 0..16 range of the pixels, so generated
# pixels can fall outside it. Real digits squeezed through the 20 principal
# components leave that range a little too; for comparison, we count the pixels
# that miss it by more than 2.
real_through_pca = pipe[0].inverse_transform(pipe[0].transform(X_test))
for name, pixels in [
    ("real test digits through PCA", real_through_pca),
    ("generated samples", all_generated),
]:
    outside = np.mean((pixels < -2) | (pixels > 18))
    print(f"Pixels outside [-2, 18], {name}: {outside:.1%}")

# %%
# Real digits next to generated ones
# ----------------------------------
# Generated samples have more contrast than real digits. Every image below is
# clipped to [0, 16] for display only. Each row is one class: three real
# training digits on the left, the eight generated samples on the right.


def show_digit(ax, pixels):
    """Draw one 64-pixel digit, clipped to the 0..16 range of real digits."""
    ax.imshow(
        np.clip(pixels, 0, 16).reshape(8, 8),
        cmap="gray_r",
        vmin=0,
        vmax=16,
        interpolation="nearest",
    )
    ax.set(xticks=[], yticks=[])


n_real = 3
fig = plt.figure(figsize=(8, 7.5), layout="constrained")
real_fig, generated_fig = fig.subfigures(1, 2, width_ratios=[n_real, 8], wspace=0.04)
generated_fig.set_facecolor("0.9")
real_fig.suptitle("Real training digits")
generated_fig.suptitle("Generated: sklearn_revnet.generate(pipe, label, 8)")
real_axes = real_fig.subplots(10, n_real)
generated_axes = generated_fig.subplots(10, 8)

for label in classes:
    for ax, pixels in zip(real_axes[label], X_train[y_train == label]):
        show_digit(ax, pixels)
    for ax, pixels in zip(generated_axes[label], generated[label]):
        show_digit(ax, pixels)
    real_axes[label, 0].set_ylabel(str(label), rotation=0, labelpad=10, fontsize=12)

# %%
# Most samples read as the requested digit, with the variety of the real ones:
# each starts from a different random point. They tend to have more contrast
# than real digits, and some have stray pixels: the network only needs them to
# be unambiguous *to it*.
#
# One deterministic input per class
# ---------------------------------
# ``pipe.inverse_transform(labels)`` reconstructs one input per label. Instead
# of random draws it uses the mean of the training inputs and a few fixed
# starting points, so it always gives the same image. The top row shows the
# mean of the real training digits of each class for comparison.
prototypes = pipe.inverse_transform(range(10))
print("Network's prediction for each reconstruction:", pipe.predict(prototypes))
print(f"Pixel range of the reconstructions: [{prototypes.min():.1f}, {prototypes.max():.1f}]")

fig, axes = plt.subplots(2, 10, figsize=(8, 2.2), layout="constrained")
for label in classes:
    show_digit(axes[0, label], X_train[y_train == label].mean(axis=0))
    show_digit(axes[1, label], prototypes[label])
    axes[0, label].set_title(str(label))
axes[0, 0].set_ylabel("class\nmean")
axes[1, 0].set_ylabel("inverse_\ntransform")

# %%
# The network recognizes each reconstruction, and most are legible, but they
# are harsher than the class means: like the generated samples, they carry
# pixels well beyond the 0..16 range that the clipping hides.
plt.show()
