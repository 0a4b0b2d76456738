"""scikit-learn's estimator checks, with no expected failures."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_revnet import ReversibleMLPClassifier

ESTIMATORS = [
    ReversibleMLPClassifier(random_state=0),
    ReversibleMLPClassifier((16,), activation="identity", random_state=0),
    ReversibleMLPClassifier((16,), activation="logistic", max_iter=300, random_state=0),
    ReversibleMLPClassifier((16, 8), activation="tanh", random_state=0),
    ReversibleMLPClassifier((16,), activation="leaky_relu", init="he_normal", random_state=0),
    ReversibleMLPClassifier((16,), activation="softplus", init="lecun_normal", random_state=0),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
