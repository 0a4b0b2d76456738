"""scikit-learn's estimator checks for every public estimator, with no expected failures."""

import os

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_revnet import ReversibleMLPClassifier, Whitener

# Two of the networks use scikit-learn's small alpha=1e-4. The sample-weight
# equivalence checks compare a weighted fit with a fit on repeated rows to a
# relative tolerance of 1e-7. The two objectives are the same function, but
# summing a repeated row and weighting it round differently; when L-BFGS needs
# a hundred or more iterations (as these two architectures do on the check's
# 15-sample problem with the default alpha=0.5) the difference grows to 1e-3
# and the runs stop at different iterations. With alpha=1e-4 both runs stop
# after the same ~15 iterations and agree to 1e-13.
ESTIMATORS = [
    ReversibleMLPClassifier(random_state=0),
    ReversibleMLPClassifier((16,), activation="identity", random_state=0),
    ReversibleMLPClassifier((16,), activation="logistic", max_iter=300, random_state=0),
    ReversibleMLPClassifier((16, 8), activation="tanh", alpha=1e-4, random_state=0),
    ReversibleMLPClassifier((16,), activation="leaky_relu", init="he_normal", random_state=0),
    ReversibleMLPClassifier(
        (16,), activation="softplus", init="lecun_normal", alpha=1e-4, random_state=0
    ),
    Whitener(),
    Whitener(n_components=2),
    Whitener(method="zca"),
    Whitener(n_components=0.9, method="zca"),
]


# tests/conftest.py sets SCIPY_ARRAY_API=1 where scipy supports array API
# dispatch (>= 1.14); with an older scipy, scikit-learn cannot dispatch at all.
ARRAY_API_DISPATCH = os.environ.get("SCIPY_ARRAY_API") == "1"


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    name = getattr(check, "func", check).__name__
    if name.startswith("check_array_api") and not ARRAY_API_DISPATCH:
        pytest.skip("array API dispatch needs scipy >= 1.14")
    check(estimator)
