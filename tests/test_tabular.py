"""Mixed-type tables through the usual pipeline: encoders, categories and DataFrames.

``ColumnTransformer([("cat", OneHotEncoder(), cat_cols), ("num",
StandardScaler(), num_cols)])`` before the classifier: generate,
inverse_transform and counterfactual answer with the table's own columns,
dtypes and training categories.
"""

import numpy as np
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

from sklearn_revnet import ReversibleMLPClassifier, counterfactual, generate, inverse_transform

pd = pytest.importorskip("pandas")

CATEGORICAL = ["pain", "vessels", "sex"]
NUMERIC = ["age", "pressure"]


def _table(n=500, seed=0):
    """A heart-disease-like table: string, integer and binary categories, two numbers."""
    rng = np.random.RandomState(seed)
    pain = rng.choice(["typical", "atypical", "none", "asymptomatic"], n, p=[0.3, 0.2, 0.2, 0.3])
    vessels = rng.choice([0, 1, 2, 3], n, p=[0.5, 0.25, 0.15, 0.1])
    sex = rng.choice(["f", "m"], n)
    age = rng.normal(55, 9, n) + 5 * (pain == "asymptomatic")
    pressure = rng.normal(130, 15, n)
    score = (age - 55) / 9 + vessels + (pain == "asymptomatic") + 0.5 * (sex == "m")
    y = np.where(score + rng.normal(0, 0.7, n) > 1.2, "disease", "healthy")
    X = pd.DataFrame(
        {"age": age, "pain": pain, "pressure": pressure, "vessels": vessels, "sex": sex}
    )
    return X, y


def _pipeline(encoder=None):
    encoder = OneHotEncoder() if encoder is None else encoder
    columns = ColumnTransformer(
        [("cat", encoder, CATEGORICAL), ("num", StandardScaler(), NUMERIC)]
    )
    clf = ReversibleMLPClassifier((8,), max_iter=300, random_state=0)
    return make_pipeline(columns, clf)


@pytest.fixture(scope="module")
def fitted():
    X, y = _table()
    return _pipeline().fit(X, y), X, y


def _assert_like_table(G, X):
    assert isinstance(G, pd.DataFrame)
    assert list(G.columns) == list(X.columns)
    assert (G.dtypes == X.dtypes).all(), G.dtypes
    for column in CATEGORICAL:
        assert set(G[column]) <= set(X[column])
    assert np.isfinite(G[NUMERIC].to_numpy()).all()


ENCODERS = {
    "one-hot": OneHotEncoder(),
    "one-hot sparse, unknown ignored": OneHotEncoder(handle_unknown="ignore", sparse_output=True),
    "one-hot drop first": OneHotEncoder(drop="first", sparse_output=False),
    "one-hot drop if binary": OneHotEncoder(drop="if_binary", sparse_output=False),
    "one-hot drop named": OneHotEncoder(drop=["none", 3, "m"], handle_unknown="ignore"),
    "ordinal": OrdinalEncoder(),
}


@pytest.mark.parametrize("encoder", ENCODERS.values(), ids=ENCODERS.keys())
def test_generate_answers_in_the_tables_columns_dtypes_and_categories(encoder):
    X, y = _table()
    pipe = _pipeline(encoder).fit(X, y)
    G = generate(pipe, "disease", n=200, random_state=0)
    _assert_like_table(G, X)
    assert np.mean(pipe.predict(G) == "disease") > 0.8
    # every category of the label's rows turns up
    for column in CATEGORICAL:
        assert set(G[column]) == set(X.loc[y == "disease", column])
    again = generate(pipe, "disease", n=200, random_state=0)
    pd.testing.assert_frame_equal(G, again)


def test_generated_categories_follow_the_label(fitted):
    pipe, X, y = fitted
    for label in ("disease", "healthy"):
        G = generate(pipe, label, n=1500, random_state=1)
        real = X.loc[y == label, "pain"].value_counts(normalize=True)
        made = G["pain"].value_counts(normalize=True).reindex(real.index, fill_value=0)
        assert np.abs(made - real).max() < 0.1, (label, made, real)


def test_prior_models_the_categories_after_a_reverse_call(fitted):
    pipe, X, _ = fitted
    generate(pipe, "healthy", n=1, random_state=0)
    prior = pipe[-1].prior_
    assert len(prior.categories_.blocks) == len(CATEGORICAL)
    inputs = pipe[0].transform(X)
    assert np.isfinite(prior.score_samples(inputs)).all()
    off_code = inputs.copy()
    off_code[:, 0] = 0.5  # half a category: no density
    assert np.all(prior.score_samples(off_code[:3]) == -np.inf)


def test_inverse_transform_is_a_valid_deterministic_row_of_its_label(fitted):
    pipe, X, _ = fitted
    modes = inverse_transform(pipe, ["disease", "healthy"])
    _assert_like_table(modes, X)
    assert pipe.predict(modes).tolist() == ["disease", "healthy"]
    pd.testing.assert_frame_equal(modes, inverse_transform(pipe, ["disease", "healthy"]))


def test_counterfactuals_keep_fixed_categories_and_reach_the_target(fitted):
    pipe, X, _ = fitted
    rows = X.iloc[:30]
    cf = counterfactual(pipe, rows, fixed=["sex", "age"])
    valid = cf.notna().all(axis=1)
    assert valid.mean() > 0.8
    _assert_like_table(cf[valid], X)
    assert (cf.loc[valid, "sex"] == rows.loc[valid, "sex"]).all()
    assert (cf.loc[valid, "age"] == rows.loc[valid, "age"]).all()
    assert (pipe.predict(cf[valid]) != pipe.predict(rows[valid])).all()
    assert cf.index.equals(rows.index)


def test_category_cost_trades_category_changes_for_numeric_ones(fitted):
    pipe, X, _ = fitted
    rows = X.iloc[:10]

    def category_changes(cost):
        cf = counterfactual(pipe, rows, category_cost=cost)
        valid = cf.notna().all(axis=1)
        changed = (cf.loc[valid, CATEGORICAL] != rows.loc[valid, CATEGORICAL]).sum(axis=1)
        return changed.sum()

    assert category_changes(0.0) > category_changes(1e6)
    # a row that can reach its target with its own categories keeps them at a high cost
    own = counterfactual(pipe, rows, fixed=CATEGORICAL).notna().all(axis=1)
    cf = counterfactual(pipe, rows, category_cost=1e6)
    assert (cf.loc[own, CATEGORICAL] == rows.loc[own, CATEGORICAL]).all(axis=None)


def test_encoder_as_first_step_on_an_object_array():
    X, y = _table()
    raw = X[CATEGORICAL].to_numpy(dtype=object)
    clf = ReversibleMLPClassifier((8,), max_iter=200, random_state=0)
    pipe = make_pipeline(OrdinalEncoder(), clf).fit(raw, y)
    G = generate(pipe, "disease", n=50, random_state=0)
    assert isinstance(G, np.ndarray) and G.dtype == object and G.shape == (50, 3)
    for j in range(3):
        assert set(G[:, j]) <= set(raw[:, j])


def test_numeric_categories_of_a_float_array_come_back_as_floats():
    X, y = _table()
    raw = np.column_stack([X["vessels"], X["age"]]).astype(float)
    columns = ColumnTransformer([("cat", OneHotEncoder(), [0]), ("num", StandardScaler(), [1])])
    clf = ReversibleMLPClassifier((8,), max_iter=200, random_state=0)
    pipe = make_pipeline(columns, clf).fit(raw, y)
    G = generate(pipe, "disease", n=50, random_state=0)
    assert G.dtype == np.float64
    assert set(G[:, 0]) <= {0.0, 1.0, 2.0, 3.0}


def test_a_step_that_mixes_categories_with_other_columns_is_refused():
    X, y = _table()
    columns = ColumnTransformer(
        [("cat", OneHotEncoder(sparse_output=False), CATEGORICAL), ("num", "passthrough", NUMERIC)]
    )
    clf = ReversibleMLPClassifier((4,), max_iter=50, random_state=0)
    pipe = make_pipeline(columns, PCA(4), clf).fit(X, y)
    with pytest.raises(TypeError, match="mixes the columns"):
        generate(pipe, "disease", n=2, random_state=0)


def test_grouped_categories_are_refused():
    X, y = _table()
    pipe = _pipeline(OneHotEncoder(min_frequency=100)).fit(X, y)
    with pytest.raises(TypeError, match="same inputs"):
        generate(pipe, "disease", n=2, random_state=0)


def test_a_category_unseen_in_training_is_refused_by_counterfactual():
    X, y = _table()
    pipe = _pipeline(OneHotEncoder(handle_unknown="ignore")).fit(X, y)
    rows = X.iloc[:2].copy()
    rows.loc[rows.index[0], "pain"] = "new"
    with pytest.raises(ValueError, match="did not see in training"):
        counterfactual(pipe, rows)


def test_raw_bounds_are_refused_with_categories(fitted):
    pipe, _, _ = fitted
    with pytest.raises(ValueError, match="categorical"):
        generate(pipe, "disease", n=2, bounds=(0, 1))


def test_a_search_over_the_pipeline_reverses_its_best_estimator():
    X, y = _table(300)
    search = GridSearchCV(_pipeline(), {"reversiblemlpclassifier__alpha": [1e-4, 1e-2]}, cv=2)
    search.fit(X, y)
    G = generate(search, "healthy", n=20, random_state=0)
    _assert_like_table(G, X)
