"""A scikit-learn multilayer perceptron classifier that runs in reverse."""

from sklearn_revnet._classifier import ReversibleMLPClassifier
from sklearn_revnet._reverse.counterfactual.api import counterfactual
from sklearn_revnet._reverse.functions import generate, inverse_transform
from sklearn_revnet._whitening import Whitener

__version__ = "0.1.0.dev0"

__all__ = [
    "ReversibleMLPClassifier",
    "Whitener",
    "__version__",
    "counterfactual",
    "generate",
    "inverse_transform",
]
