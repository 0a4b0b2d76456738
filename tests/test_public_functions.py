"""Every public function validates its parameters the scikit-learn way.

As scikit-learn's and imbalanced-learn's ``test_public_functions.py``: each
function declares a constraint for every parameter (``validate_params``), and
a value of the wrong type, or of the right type but outside the constraint,
raises ``InvalidParameterError`` naming the parameter, the function and what
is accepted, before any work is done.
"""

import functools
import warnings
from inspect import signature

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import (
    InvalidParameterError,
    generate_invalid_param_val,
    make_constraint,
)

import sklearn_revnet
from sklearn_revnet import ReversibleMLPClassifier

PUBLIC_FUNCTIONS = ["counterfactual", "generate", "inverse_transform"]


@functools.cache
def _pipe():
    X, y = load_iris(return_X_y=True)
    clf = ReversibleMLPClassifier((4,), max_iter=30, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return make_pipeline(StandardScaler(), clf).fit(X, y), X


def _valid_required(name):
    """Valid values of the function's required parameters."""
    pipe, X = _pipe()
    return {
        "counterfactual": {"estimator": pipe, "X": X[:2]},
        "generate": {"estimator": pipe, "label": 1},
        "inverse_transform": {"estimator": pipe, "y": [0, 1]},
    }[name]


def test_every_public_function_is_listed():
    assert set(PUBLIC_FUNCTIONS) == set(sklearn_revnet.__all__) - {
        "ReversibleMLPClassifier",
        "Whitener",
        "__version__",
    }


@pytest.mark.parametrize("name", PUBLIC_FUNCTIONS)
def test_function_param_validation(name):
    func = getattr(sklearn_revnet, name)
    params = [p.name for p in signature(func).parameters.values()]
    constraints = func._skl_parameter_constraints
    # a constraint for each parameter, and none for a parameter it lacks
    assert set(constraints) == set(params)

    valid = _valid_required(name)
    bad_type = type("BadType", (), {})()
    for param in params:
        if constraints[param] == "no_validation":
            continue
        match = rf"The '{param}' parameter of {name} must be .* Got .* instead."
        with pytest.raises(InvalidParameterError, match=match):
            func(**{**valid, param: bad_type})
        # a value of a valid type that no constraint admits
        for constraint in map(make_constraint, constraints[param]):
            try:
                bad_value = generate_invalid_param_val(constraint)
            except NotImplementedError:
                continue
            with pytest.raises(InvalidParameterError, match=match):
                func(**{**valid, param: bad_value})


@pytest.mark.parametrize(
    "name, param, value, accepted",
    [
        ("generate", "n", 0, r"a positive integer \(not a bool\)"),
        ("generate", "min_proba", 1.0, r"a float in the range \[0.0, 1.0\)"),
        ("generate", "bounds", "raw", r"a str among \{'auto'\}"),
        ("counterfactual", "min_proba", 0.4, r"a float in the range \[0.5, 1.0\)"),
        ("counterfactual", "max_iter", 2.5, r"an int in the range \[1, inf\)"),
        ("inverse_transform", "y", 3, "an array-like"),
    ],
)
def test_errors_say_what_is_accepted(name, param, value, accepted):
    func = getattr(sklearn_revnet, name)
    with pytest.raises(InvalidParameterError, match=accepted):
        func(**{**_valid_required(name), param: value})


def test_valid_calls_pass_validation():
    # the constraints admit what the documentation promises
    pipe, X = _pipe()
    sklearn_revnet.generate(pipe, 1, n=np.int64(2), random_state=0, bounds=None)
    sklearn_revnet.generate(pipe, 1, n=2, bounds=[X.min(axis=0), X.max(axis=0)])
    sklearn_revnet.inverse_transform(pipe, np.array([0, 1]), bounds="auto")
    sklearn_revnet.counterfactual(pipe, X[:1], target="other", fixed=range(2), max_iter=5)
