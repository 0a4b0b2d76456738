"""
Generating digits by running a network in reverse
=================================================

A classifier maps an image to a label. :class:`~sklearn_revnet.ReversibleMLPClassifier`
can also go the other way: given a label, it draws inputs of that class by
Bayes' rule, :math:`p(x \\mid y) \\propto p(y \\mid x) \\, p(x)`, with the
network's :math:`p(y \\mid x)` and an input prior :math:`p(x)` fitted on the
images alone. Put it at the end of a pipeline and :func:`sklearn_revnet.generate`
maps those inputs back through the earlier steps, so the samples come out as
8x8 digit images that we can look at next to real ones.
"""

# %%
# Fit a pipeline
# --------------
# The network sees 20 whitened principal components of the 64 pixels.
# :class:`~sklearn_revnet.Whitener` has an ``inverse_transform``, so anything
# the network produces in that 20-dimensional space can be mapped back to
# pixels, and it records the range of the training pixels (0 to 16), which
# :func:`sklearn_revnet.generate` keeps to.
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.collections import PatchCollection
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

import sklearn_revnet
from sklearn_revnet import ReversibleMLPClassifier, Whitener

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)

pipe = make_pipeline(Whitener(n_components=20), ReversibleMLPClassifier(random_state=0))
pipe.fit(X_train, y_train)
print(f"Test accuracy: {pipe.score(X_test, y_test):.3f}")
print(f"Components of the input prior: {pipe[-1].prior_.n_components}")

# %%
# Generate eight samples per class
# --------------------------------
# The classifier's ``prior_`` is a Gaussian mixture fitted on the whitened
# training digits without their labels. ``generate`` draws from it and keeps
# each draw with the probability the network gives the requested label: exact
# samples of :math:`p(x \mid y)`. The 44 directions that the whitener drops
# are filled by its model of each pixel given the 20 it keeps: a pixel is
# blank (exactly 0), full (16) or in between with probabilities that follow
# the reconstruction, as often as in the training digits, and every pixel is
# kept within the training range. The seed makes the samples reproducible.
classes = np.arange(10)
generated = {
    label: sklearn_revnet.generate(pipe, label, 8, random_state=label) for label in classes
}

all_generated = np.vstack(list(generated.values()))
requested = np.repeat(classes, 8)
agreement = np.mean(pipe.predict(all_generated) == requested)
print(f"Network agrees with the requested label: {agreement:.0%}")
print(f"Pixel range of the samples: [{all_generated.min():.1f}, {all_generated.max():.1f}]")

# %%
# Real digits next to generated ones
# ----------------------------------
# Each row is one class: three real training digits on the left, the eight
# generated samples on the right, all on the 0..16 pixel scale.


def show_digit(ax, pixels):
    """Draw one 64-pixel digit on the 0..16 scale of real digits."""
    ax.imshow(pixels.reshape(8, 8), cmap="gray_r", vmin=0, vmax=16, interpolation="nearest")
    ax.set(xticks=[], yticks=[])


def show_rows(ax, rows, gap=(4, 1)):
    """Draw rows of digits as one tiled image (cheaper than an axes per digit),
    ``gap`` blank pixels apart (down, across), each digit in a thin frame."""
    step = (8 + gap[0], 8 + gap[1])
    shape = (len(rows) * step[0] - gap[0], max(map(len, rows)) * step[1] - gap[1])
    tiles = np.full(shape, np.nan)  # NaN between the digits: not drawn
    frames = []
    for i, row in enumerate(rows):
        for j, pixels in enumerate(row):
            top, left = i * step[0], j * step[1]
            tiles[top : top + 8, left : left + 8] = pixels.reshape(8, 8)
            frames.append(plt.Rectangle((left - 0.5, top - 0.5), 8, 8))
    ax.imshow(tiles, cmap="gray_r", vmin=0, vmax=16, interpolation="nearest")
    ax.add_collection(PatchCollection(frames, facecolor="none", edgecolor="k", clip_on=False))
    ax.set_axis_off()


n_real = 3
fig = plt.figure(figsize=(8, 7.5), layout="constrained")
real_fig, generated_fig = fig.subfigures(1, 2, width_ratios=[n_real, 8], wspace=0.04)
generated_fig.set_facecolor("0.9")
real_fig.suptitle("Real training digits")
generated_fig.suptitle("Generated: sklearn_revnet.generate(pipe, label, 8)")
real_ax = real_fig.subplots()
show_rows(real_ax, [X_train[y_train == label][:n_real] for label in classes])
show_rows(generated_fig.subplots(), [generated[label] for label in classes])
for label in classes:
    real_ax.text(-3, 12 * label + 3.5, str(label), ha="right", va="center", fontsize=12)

# %%
# Most samples read as the requested digit, with the variety of the real ones
# (thin and thick strokes, slanted and upright). Their backgrounds are blank
# where real digits are: the whitener's model of each pixel puts exact zeros
# where the training digits have them, as often (within 0.05 of the real
# share in every class, ``benchmarks/bench_realism.py``). Some strokes are
# broken or rough: the network never sees the 44 dropped directions, so
# nothing there is shaped like a digit.
#
# The most probable digit of each class
# -------------------------------------
# :func:`sklearn_revnet.inverse_transform` returns one deterministic input per
# label: the mode of :math:`p(x \mid y)`, the single most probable input of
# the class, mapped back to pixels within the training range (no noise is
# added). The top row shows the mean of the real training digits of each
# class for comparison.
prototypes = sklearn_revnet.inverse_transform(pipe, classes)
print("Network's prediction for each mode:", pipe.predict(prototypes))
print(f"Pixel range of the modes: [{prototypes.min():.1f}, {prototypes.max():.1f}]")

fig, axes = plt.subplots(2, 10, figsize=(8, 2.2), layout="constrained")
for label in classes:
    show_digit(axes[0, label], X_train[y_train == label].mean(axis=0))
    show_digit(axes[1, label], prototypes[label])
    axes[0, label].set_title(str(label))
axes[0, 0].set_ylabel("class\nmean")
axes[1, 0].set_ylabel("mode")

# %%
# The network recognizes each mode. With no noise added, the modes are clean:
# they look like the class means, a little sharper, because the most probable
# input lies where the real digits of the class are densest.
plt.show()
