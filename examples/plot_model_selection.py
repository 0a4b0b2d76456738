"""
Model selection, then reverse
=============================

:class:`~sklearn_revnet.ReversibleMLPClassifier` is an ordinary scikit-learn
classifier, so its pipeline can be tuned with
:class:`~sklearn.model_selection.GridSearchCV`. The fitted search can then be
run in reverse directly: :func:`sklearn_revnet.inverse_transform` and
:func:`sklearn_revnet.generate` both use the refitted best pipeline.
"""

# %%
# Search over the whitening and the penalty
# -----------------------------------------
# We tune the number of whitened components the network sees and the strength
# ``alpha`` of its L2 penalty (the default, 1e-4, and a much stronger one),
# with 3-fold cross-validation on the training set.
#
# Every fit also fits the classifier's input prior, a Gaussian mixture of the
# whitened inputs. With ``prior="auto"`` it chooses the number of components
# by AIC, fitting many mixtures, which takes a few seconds; the search fits
# 13 pipelines, so we fix the prior at 10 components to keep it quick.
#
# The candidates with the stronger penalty need far more than the default
# ``max_iter=200`` L-BFGS iterations to bring the gradient below ``tol``, while
# their loss barely moves after 200. We deliberately keep that cap, to keep
# the search fast, and silence the ``ConvergenceWarning`` it raises.
import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline

import sklearn_revnet
from sklearn_revnet import ReversibleMLPClassifier, Whitener

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)

pipe = make_pipeline(Whitener(), ReversibleMLPClassifier(prior=10, random_state=0))
param_grid = {
    "whitener__n_components": [10, 20],
    "reversiblemlpclassifier__alpha": [1e-4, 1.0],
}
search = GridSearchCV(pipe, param_grid, cv=3)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    search.fit(X_train, y_train)

for params, score in zip(search.cv_results_["params"], search.cv_results_["mean_test_score"]):
    print(f"{params}: mean CV accuracy {score:.3f}")
print(f"Best parameters: {search.best_params_}")
print(f"Test accuracy of the refitted best pipeline: {search.score(X_test, y_test):.3f}")

# %%
# The search picks the candidate with the best cross-validated *accuracy*. It
# knows nothing about the reverse direction. But how real generated digits
# look rests mostly on the input prior, fitted on the images alone; the
# network's part is to say which class an input belongs to, the very thing the
# search tunes it for. Here the stronger penalty and the 20 components are
# slightly more accurate.
#
# Run the best pipeline in reverse
# --------------------------------
# :func:`sklearn_revnet.inverse_transform` gives one deterministic input per
# label, the most probable one, and :func:`sklearn_revnet.generate` draws
# samples; both accept the fitted search itself. The digits come back as 64
# pixels, through the best pipeline's whitener, within the 0..16 range of the
# training pixels that the whitener recorded. (``search.inverse_transform``
# also works, but it knows nothing of that range.)
prototypes = sklearn_revnet.inverse_transform(search, range(10))
fives = sklearn_revnet.generate(search, 5, n=8, random_state=0)
print("Predicted labels of the prototypes:", search.predict(prototypes))
print("Predicted labels of the generated 5s:", search.predict(fives))


def show_digit(ax, pixels):
    """Draw one 64-pixel digit on the 0..16 scale of real digits."""
    ax.imshow(pixels.reshape(8, 8), cmap="gray_r", vmin=0, vmax=16, interpolation="nearest")
    ax.set(xticks=[], yticks=[])


fig = plt.figure(figsize=(8, 2.8), layout="constrained")
top_fig, bottom_fig = fig.subfigures(2, 1)
top_fig.suptitle("sklearn_revnet.inverse_transform(search, range(10))")
for label, ax in enumerate(top_fig.subplots(1, 10)):
    show_digit(ax, prototypes[label])
    ax.set_xlabel(str(label))
bottom_fig.suptitle("sklearn_revnet.generate(search, 5, n=8, random_state=0)")
bottom_axes = bottom_fig.subplots(1, 10)  # same image size as the top row
bottom_axes[0].remove()
bottom_axes[-1].remove()
for ax, pixels in zip(bottom_axes[1:-1], fives):
    show_digit(ax, pixels)

# %%
# The network recognizes every prototype. The generated 5s vary in style,
# roughened by the noise put into the directions that the whitener drops, and
# a sample may be one that the network itself finds ambiguous: drawn
# by Bayes' rule, samples near the border of a class are as ambiguous as real
# digits there. Pass ``min_proba`` to ``generate`` to keep only clear ones.
plt.show()
