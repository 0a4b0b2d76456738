"""
Whitening: PCA and ZCA
======================

:class:`~sklearn_revnet.Whitener` decorrelates the features and scales them to
unit variance. With ``method="pca"`` its output is the whitened principal
components; with ``method="zca"`` these are rotated back into the input space,
so whitened digits are still 8x8 images. Both have an exact
``inverse_transform``, which is what lets a pipeline map generated samples back
to pixels. This example shows what whitening does to digits, then how the
number of kept components limits what the network run in reverse can produce.
"""

# %%
# Whitening a few digits
# ----------------------
# We whiten all 1797 digits, keeping every component for ZCA and the first 20
# for PCA.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

import sklearn_revnet
from sklearn_revnet import ReversibleMLPClassifier, Whitener

X, y = load_digits(return_X_y=True)

zca = Whitener(method="zca").fit(X)
pca = Whitener(n_components=20).fit(X)
X_zca = zca.transform(X)
X_pca = pca.transform(X)
print(f"ZCA output shape: {X_zca.shape}, PCA output shape: {X_pca.shape}")
print(f"Variance kept by 20 components: {pca.explained_variance_ratio_.sum():.1%}")

# %%
# The whitened training data have unit variance along each kept component and
# no correlation between them, and ``inverse_transform`` undoes ``transform``
# exactly when no component is dropped (ZCA here). With 20 components, PCA's
# inverse gives the digit as seen through those components.
print(
    "PCA output covariance is the identity:",
    np.allclose(np.cov(X_pca, rowvar=False), np.eye(20), atol=1e-3),
)
print("ZCA round trip is exact:", np.allclose(zca.inverse_transform(X_zca), X))
X_pca_back = pca.inverse_transform(X_pca)


def show_digit(ax, pixels):
    """Draw one 64-pixel digit on the 0..16 scale of real digits."""
    # PCA reconstructions of real digits leave that range a little: clip them.
    ax.imshow(
        np.clip(pixels, 0, 16).reshape(8, 8),
        cmap="gray_r",
        vmin=0,
        vmax=16,
        interpolation="nearest",
    )
    ax.set(xticks=[], yticks=[])


# %%
# ZCA-whitened digits are images on their own scale (negative and positive
# values around zero, so we use a diverging colormap). PCA-whitened digits are
# 20 numbers, one per principal component, not pixels: we draw them as bars.
examples = [0, 1, 2, 3, 4]
zca_limit = np.abs(X_zca[examples]).max()
pca_limit = np.abs(X_pca[examples]).max()

fig, axes = plt.subplots(
    4,
    len(examples),
    figsize=(8, 6.5),
    height_ratios=[1, 1, 0.8, 1],
    layout="constrained",
)
for column, i in enumerate(examples):
    show_digit(axes[0, column], X[i])
    axes[0, column].set_title(f"digit {y[i]}")
    image = axes[1, column].imshow(
        X_zca[i].reshape(8, 8),
        cmap="RdBu_r",
        vmin=-zca_limit,
        vmax=zca_limit,
        interpolation="nearest",
    )
    axes[1, column].set(xticks=[], yticks=[])
    axes[2, column].bar(np.arange(20), X_pca[i], color="tab:gray")
    axes[2, column].set(ylim=(-pca_limit, pca_limit), xticks=[0, 10, 19])
    if column > 0:
        axes[2, column].set_yticklabels([])
    show_digit(axes[3, column], X_pca_back[i])

axes[0, 0].set_ylabel("original")
axes[1, 0].set_ylabel("ZCA-whitened")
axes[2, 0].set_ylabel("PCA-whitened")
axes[2, len(examples) // 2].set_xlabel("principal component")
axes[3, 0].set_ylabel("PCA inverse\n(20 comp.)")
fig.colorbar(image, ax=axes[1], shrink=0.8, label="ZCA value")

# %%
# ZCA whitening keeps each pixel in its place, but the broad patterns that
# most digits share (the strongest principal components) are scaled down and
# the rare, fine ones scaled up: only a faint, speckled trace of each digit is
# left. The bars show the same whitening in the principal-component
# coordinates, where every component has unit variance over the data set.
#
# How many components should the network see?
# -------------------------------------------
# In a pipeline ``Whitener(n_components=k)`` followed by the classifier, the
# network only sees ``k`` numbers, and anything it generates is mapped back to
# pixels through those ``k`` principal axes. :func:`sklearn_revnet.generate`
# fills the other ``64 - k`` directions, which the whitener drops, from its
# model of each pixel given the ``k`` kept (``noise_scale_``, what the kept
# components leave out of each pixel, with atoms at 0 and 16, ``atoms_``), and
# keeps the pixels within the training range that the whitener recorded
# (``data_min_``, ``data_max_``).
#
# Every fit also fits the classifier's input prior, a Gaussian mixture of the
# whitened inputs. With ``prior="auto"`` it chooses its number of components
# by AIC, fitting many mixtures, which takes a few seconds; for four fits we
# fix it at 10 components to keep the example quick.
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)
n_components_list = [5, 10, 20, 40]
labels = [4, 7]
n_samples = 6

generated, accuracy = {}, {}
for k in n_components_list:
    clf = ReversibleMLPClassifier(prior=10, random_state=0)
    pipe = make_pipeline(Whitener(n_components=k), clf).fit(X_train, y_train)
    accuracy[k] = pipe.score(X_test, y_test)
    print(
        f"n_components={k:2d}: test accuracy {accuracy[k]:.3f}, left out of a pixel: "
        f"{np.sqrt(np.mean(pipe[0].noise_scale_ ** 2)):.2f} (root mean square)"
    )
    generated[k] = {
        label: sklearn_revnet.generate(pipe, label, n_samples, random_state=0) for label in labels
    }

fig = plt.figure(figsize=(8, 4.2), layout="constrained")
label_figs = fig.subfigures(1, len(labels), wspace=0.05)
for label_fig, label in zip(label_figs, labels):
    label_fig.suptitle(f"Generated {label}s")
    axes = label_fig.subplots(len(n_components_list), n_samples)
    for row, k in enumerate(n_components_list):
        for ax, pixels in zip(axes[row], generated[k][label]):
            show_digit(ax, pixels)
        axes[row, 0].set_ylabel(f"k={k}\nacc {accuracy[k]:.2f}")

# %%
# The network decides which class a sample belongs to from the ``k`` numbers
# it sees; the rest of each image is filled in. With 5 components most of the
# image is filled in, and the digit is a rough shape; the classifier is also
# the least accurate. With more components less is left to the noise and the
# strokes get finer. Each sample is one random draw, though, and at every
# ``k`` a few are blotchy.
plt.show()
