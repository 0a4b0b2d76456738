"""A scikit-learn multilayer perceptron classifier that runs in reverse."""

from sklearn_revnet._classifier import ReversibleMLPClassifier

__version__ = "0.1.0.dev0"

__all__ = ["ReversibleMLPClassifier", "__version__"]
