"""Tests of the Whitener transformer."""

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import linalg
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_revnet import Whitener


def _correlated_data(n_samples=300, n_features=5, seed=0):
    rng = np.random.RandomState(seed)
    mixing = rng.randn(n_features, n_features)
    return rng.randn(n_samples, n_features) @ mixing + rng.randn(n_features)


@pytest.fixture(scope="module")
def digits():
    return load_digits(return_X_y=True)


@pytest.mark.parametrize("method", ["pca", "zca"])
def test_output_covariance_is_identity(method):
    X = _correlated_data()
    Xw = Whitener(method=method, epsilon=0).fit_transform(X)
    assert Xw.shape == X.shape
    np.testing.assert_allclose(Xw.mean(axis=0), 0, atol=1e-10)
    np.testing.assert_allclose(np.cov(Xw, rowvar=False), np.eye(X.shape[1]), atol=1e-10)


def test_output_covariance_is_identity_digits(digits):
    X, _ = digits
    Xw = Whitener(n_components=20, epsilon=0).fit_transform(X)
    assert Xw.shape == (X.shape[0], 20)
    # measured: 4.5e-15 at most; margin for rounding elsewhere
    np.testing.assert_allclose(np.cov(Xw, rowvar=False), np.eye(20), rtol=0, atol=1e-12)


def test_zca_output_covariance_digits_is_projection(digits):
    # With dropped components, the zca output covariance is the projection on
    # the kept principal subspace.
    X, _ = digits
    whitener = Whitener(n_components=20, method="zca", epsilon=0).fit(X)
    Xw = whitener.transform(X)
    assert Xw.shape == X.shape
    projection = whitener.components_.T @ whitener.components_
    # measured: 1.1e-15 at most; margin for rounding elsewhere
    np.testing.assert_allclose(np.cov(Xw, rowvar=False), projection, rtol=0, atol=1e-12)


def test_default_epsilon_nearly_whitens(digits):
    X, _ = digits
    Xw = Whitener(n_components=20).fit_transform(X)
    # measured: 9.2e-7 from the identity at most; margin 2x
    np.testing.assert_allclose(np.cov(Xw, rowvar=False), np.eye(20), rtol=0, atol=2e-6)


@pytest.mark.parametrize("epsilon", [0.0, 0.5])
def test_zca_is_symmetric_inverse_square_root(epsilon):
    X = _correlated_data(n_samples=50, n_features=4, seed=1)
    cov = np.cov(X, rowvar=False)
    regularized = cov + epsilon * np.eye(4)
    W = linalg.inv(linalg.sqrtm(regularized))
    eigenvalues, eigenvectors = linalg.eigh(regularized)
    W_eigh = (eigenvectors / np.sqrt(eigenvalues)) @ eigenvectors.T
    np.testing.assert_allclose(W, W_eigh, atol=1e-10)

    Xw = Whitener(method="zca", epsilon=epsilon).fit_transform(X)
    np.testing.assert_allclose(Xw, (X - X.mean(axis=0)) @ W, atol=1e-10)


@pytest.mark.parametrize("method", ["pca", "zca"])
@pytest.mark.parametrize("epsilon", [0.0, 1e-5, 10.0])
def test_inverse_transform_exact_when_nothing_dropped(method, epsilon):
    X = _correlated_data()
    whitener = Whitener(method=method, epsilon=epsilon).fit(X)
    assert whitener.n_components_ == X.shape[1]
    np.testing.assert_allclose(
        whitener.inverse_transform(whitener.transform(X)), X, rtol=0, atol=1e-10
    )
    # also exact on data other than the training data
    X_new = _correlated_data(n_samples=20, seed=3)
    np.testing.assert_allclose(
        whitener.inverse_transform(whitener.transform(X_new)), X_new, rtol=0, atol=1e-10
    )


@pytest.mark.parametrize("method", ["pca", "zca"])
@pytest.mark.parametrize("n_components", [1, 3])
def test_inverse_transform_with_dropped_components_matches_pca(method, n_components):
    X = _correlated_data()
    whitener = Whitener(n_components, method=method).fit(X)
    pca = PCA(n_components=n_components, svd_solver="full").fit(X)
    expected = pca.inverse_transform(pca.transform(X))
    np.testing.assert_allclose(
        whitener.inverse_transform(whitener.transform(X)), expected, rtol=0, atol=1e-10
    )


@pytest.mark.parametrize("n_components", [None, 2, 4])
def test_pca_method_matches_sklearn_pca_whiten(n_components):
    X = _correlated_data()
    whitener = Whitener(n_components, epsilon=0).fit(X)
    pca = PCA(n_components=n_components, whiten=True, svd_solver="full").fit(X)
    Xw, Xp = whitener.transform(X), pca.transform(X)
    assert Xw.shape == Xp.shape
    signs = np.sign(np.sum(Xw * Xp, axis=0))
    assert np.all(signs != 0)
    np.testing.assert_allclose(Xw, Xp * signs, atol=1e-10)
    np.testing.assert_allclose(whitener.components_, pca.components_ * signs[:, None], atol=1e-10)
    np.testing.assert_allclose(whitener.explained_variance_, pca.explained_variance_)
    np.testing.assert_allclose(
        whitener.explained_variance_ratio_, pca.explained_variance_ratio_, atol=1e-12
    )
    np.testing.assert_allclose(whitener.singular_values_, pca.singular_values_)
    np.testing.assert_allclose(whitener.mean_, X.mean(axis=0))


def test_components_sign_convention():
    X = _correlated_data()
    components = Whitener().fit(X).components_
    largest = components[np.arange(len(components)), np.argmax(np.abs(components), axis=1)]
    assert np.all(largest > 0)
    np.testing.assert_allclose(components @ components.T, np.eye(len(components)), atol=1e-12)
    # sign convention makes the output deterministic under a row shuffle
    perm = np.random.RandomState(0).permutation(len(X))
    np.testing.assert_allclose(Whitener().fit(X[perm]).components_, components, atol=1e-10)


@pytest.mark.parametrize("fraction", [0.3, 0.5, 0.8, 0.9, 0.95, 0.99, 0.999])
def test_float_n_components_smallest_k_reaching_fraction(digits, fraction):
    X, _ = digits
    cumulative = np.cumsum(Whitener().fit(X).explained_variance_ratio_)
    expected = int(np.argmax(cumulative >= fraction)) + 1
    whitener = Whitener(n_components=fraction).fit(X)
    assert whitener.n_components_ == expected
    assert whitener.components_.shape == (expected, X.shape[1])
    assert whitener.explained_variance_ratio_.sum() >= fraction
    assert whitener.explained_variance_ratio_[:-1].sum() < fraction
    assert whitener.transform(X).shape == (X.shape[0], expected)


def test_none_keeps_min_samples_features():
    X = _correlated_data(n_samples=4, n_features=6)
    whitener = Whitener().fit(X)
    assert whitener.n_components_ == 4
    assert whitener.transform(X).shape == (4, 4)
    assert Whitener(method="zca").fit_transform(X).shape == (4, 6)


@pytest.mark.parametrize("n_components", [6, 10])
def test_n_components_too_large(n_components):
    X = _correlated_data(n_features=5)
    with pytest.raises(ValueError, match=f"n_components={n_components} must be at most"):
        Whitener(n_components=n_components).fit(X)


def test_n_components_larger_than_n_samples():
    X = _correlated_data(n_samples=3, n_features=5)
    with pytest.raises(ValueError, match=r"min\(n_samples, n_features\)=3"):
        Whitener(n_components=4).fit(X)


@pytest.mark.parametrize(
    "params",
    [
        {"method": "pcaa"},
        {"method": None},
        {"n_components": 0},
        {"n_components": 1.0},
        {"n_components": 1.5},
        {"n_components": "mle"},
        {"epsilon": -1e-3},
    ],
)
def test_invalid_parameters(params):
    X = _correlated_data()
    with pytest.raises(InvalidParameterError):
        Whitener(**params).fit(X)
    assert issubclass(InvalidParameterError, ValueError)


@pytest.mark.parametrize(
    "method, n_components, expected_width",
    [("pca", 3, 3), ("pca", None, 5), ("zca", 3, 5)],
)
def test_inverse_transform_wrong_width(method, n_components, expected_width):
    X = _correlated_data()
    whitener = Whitener(n_components, method=method).fit(X)
    for width in (expected_width - 1, expected_width + 1):
        with pytest.raises(ValueError, match=f"expects {expected_width} features"):
            whitener.inverse_transform(np.zeros((2, width)))


def test_transform_wrong_width():
    whitener = Whitener().fit(_correlated_data(n_features=5))
    with pytest.raises(ValueError, match="expecting 5 features"):
        whitener.transform(np.zeros((2, 4)))


@pytest.mark.parametrize(
    "method_name", ["transform", "inverse_transform", "get_feature_names_out"]
)
@pytest.mark.parametrize("method", ["pca", "zca"])
def test_not_fitted(method_name, method):
    whitener = Whitener(method=method)
    args = () if method_name == "get_feature_names_out" else (np.zeros((2, 3)),)
    with pytest.raises(NotFittedError):
        getattr(whitener, method_name)(*args)


def test_get_feature_names_out_pca():
    X = _correlated_data()
    whitener = Whitener(n_components=3).fit(X)
    names = whitener.get_feature_names_out()
    assert names.tolist() == ["whitener0", "whitener1", "whitener2"]


def test_get_feature_names_out_zca_dataframe():
    X = _correlated_data(n_features=4)
    columns = ["a", "b", "c", "d"]
    df = pd.DataFrame(X, columns=columns)
    whitener = Whitener(n_components=2, method="zca").fit(df)
    assert whitener.get_feature_names_out().tolist() == columns
    assert whitener.get_feature_names_out(columns).tolist() == columns
    with pytest.raises(ValueError, match="input_features is not equal"):
        whitener.get_feature_names_out(["a", "b", "c", "e"])

    out = whitener.set_output(transform="pandas").transform(df)
    assert isinstance(out, pd.DataFrame)
    assert out.columns.tolist() == columns
    np.testing.assert_allclose(
        out.to_numpy(), whitener.set_output(transform="default").transform(df)
    )


def test_get_feature_names_out_zca_array():
    X = _correlated_data(n_features=3)
    whitener = Whitener(method="zca").fit(X)
    assert whitener.get_feature_names_out().tolist() == ["x0", "x1", "x2"]
    assert whitener.get_feature_names_out(["p", "q", "r"]).tolist() == ["p", "q", "r"]


def test_pandas_output_pca():
    df = pd.DataFrame(_correlated_data(n_features=4), columns=list("abcd"))
    out = Whitener(n_components=2).set_output(transform="pandas").fit_transform(df)
    assert out.columns.tolist() == ["whitener0", "whitener1"]


@pytest.mark.parametrize("method", ["pca", "zca"])
@pytest.mark.parametrize("n_components", [None, 2])
def test_float32_preserved(method, n_components):
    X = _correlated_data()
    X32 = X.astype(np.float32)
    whitener = Whitener(n_components, method=method).fit(X32)
    for attribute in ("mean_", "components_", "explained_variance_", "singular_values_"):
        assert getattr(whitener, attribute).dtype == np.float32
    Xw = whitener.transform(X32)
    assert Xw.dtype == np.float32
    assert whitener.fit_transform(X32).dtype == np.float32
    assert whitener.inverse_transform(Xw).dtype == np.float32

    whitener64 = Whitener(n_components, method=method).fit(X)
    assert whitener64.transform(X).dtype == np.float64
    # measured: 1.6e-5 apart at most (outputs up to 4.1); margin 6x
    np.testing.assert_allclose(Xw, whitener64.transform(X), rtol=0, atol=1e-4)


def test_integer_input_gives_float64():
    X = np.round(_correlated_data() * 10).astype(np.int64)
    assert Whitener().fit_transform(X).dtype == np.float64


@pytest.mark.parametrize("method", ["pca", "zca"])
def test_input_not_mutated(method):
    X = _correlated_data()
    X_new = _correlated_data(n_samples=20, seed=5)
    X_copy, X_new_copy = X.copy(), X_new.copy()
    X.setflags(write=False)
    X_new.setflags(write=False)
    whitener = Whitener(n_components=3, method=method).fit(X)
    Xw = whitener.transform(X_new)
    Xw.setflags(write=False)
    Xw_copy = Xw.copy()
    whitener.inverse_transform(Xw)
    whitener.fit_transform(X)
    np.testing.assert_array_equal(X, X_copy)
    np.testing.assert_array_equal(X_new, X_new_copy)
    np.testing.assert_array_equal(Xw, Xw_copy)


def test_sparse_input_rejected():
    sparse = pytest.importorskip("scipy.sparse")
    with pytest.raises(TypeError, match="dense data is required"):
        Whitener().fit(sparse.csr_matrix(_correlated_data()))


def test_constant_data():
    X = np.ones((10, 3))
    whitener = Whitener(n_components=0.5).fit(X)
    assert whitener.n_components_ == 3
    np.testing.assert_array_equal(whitener.explained_variance_ratio_, 0)
    np.testing.assert_allclose(whitener.transform(X), 0)
    np.testing.assert_allclose(Whitener(epsilon=0).fit_transform(X), 0)


def test_pipeline_on_digits(digits):
    X, y = digits
    model = make_pipeline(Whitener(n_components=10), LogisticRegression(max_iter=1000)).fit(X, y)
    assert model.score(X, y) >= 0.94  # measured: 0.947; margin 13 of 1797 digits


@pytest.mark.parametrize("method", ["pca", "zca"])
def test_huge_data_whitens_without_overflow(method):
    X = _correlated_data() * 1e155
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        whitener = Whitener(method=method).fit(X)
        Xw = whitener.transform(X)
        back = whitener.inverse_transform(Xw)
    assert np.all(np.isfinite(Xw))
    # measured: 8.3e-15 and a relative 5.0e-13 at most; margin for rounding elsewhere
    np.testing.assert_allclose(np.cov(Xw, rowvar=False), np.eye(X.shape[1]), rtol=0, atol=1e-12)
    np.testing.assert_allclose(back, X, rtol=1e-11)
    np.testing.assert_allclose(whitener.explained_variance_ratio_.sum(), 1.0)
