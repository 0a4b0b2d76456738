"""
Mixed-type tables: categories and numbers through a ColumnTransformer
=====================================================================

Most tables mix categories and numbers, and their scikit-learn pipeline
one-hot encodes the categories and scales the numbers. The classifier then
sees 0/1 columns and standardized numbers; the reverse direction treats each
categorical column as discrete: generated rows, the most probable rows and
counterfactuals hold only categories seen in training, in the table's own
columns.

The table here is a small synthetic one of patients (three categorical
columns, two numeric), so that the example runs offline.
"""

# %%
# A table and its usual pipeline
# -------------------------------
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import sklearn_revnet
from sklearn_revnet import ReversibleMLPClassifier

rng = np.random.RandomState(0)
n = 1200
pain = rng.choice(["typical", "atypical", "none", "asymptomatic"], n, p=[0.3, 0.2, 0.2, 0.3])
vessels = rng.choice([0, 1, 2, 3], n, p=[0.5, 0.25, 0.15, 0.1])
sex = rng.choice(["f", "m"], n)
age = rng.normal(55, 9, n) + 5 * (pain == "asymptomatic")
pressure = rng.normal(130, 15, n)
risk = (age - 55) / 9 + vessels + (pain == "asymptomatic") + 0.5 * (sex == "m")
y = np.where(risk + rng.normal(0, 0.7, n) > 1.2, "disease", "healthy")
X = pd.DataFrame({"age": age, "pain": pain, "pressure": pressure, "vessels": vessels, "sex": sex})
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)

categorical, numeric = ["pain", "vessels", "sex"], ["age", "pressure"]
columns = ColumnTransformer(
    [
        ("cat", OneHotEncoder(handle_unknown="ignore"), categorical),
        ("num", StandardScaler(), numeric),
    ]
)
pipe = make_pipeline(columns, ReversibleMLPClassifier(random_state=0)).fit(X_train, y_train)
print(f"Test accuracy: {pipe.score(X_test, y_test):.3f}")

# %%
# Generated rows
# --------------
# :func:`sklearn_revnet.generate` returns a DataFrame with the table's columns
# in their order. Its first call fits the classifier's input prior with the
# encoded columns as categories: a latent-class mixture whose components hold
# a Gaussian of the numbers times a categorical distribution of each column,
# chosen by held-out likelihood. The samples are exact draws of
# :math:`p(x \mid y)`; the categories come from their exact conditionals.
generated = {
    label: sklearn_revnet.generate(pipe, label, n=500, random_state=0)
    for label in ("disease", "healthy")
}
print(generated["disease"].head())
print(pipe[-1].prior_.description_)

# %%
# The generated rows of each class share out their categories like the real
# rows of that class:
fig, axes = plt.subplots(1, 2, figsize=(8, 3), sharey=True, layout="constrained")
order = ["typical", "atypical", "none", "asymptomatic"]
for ax, label in zip(axes, ("disease", "healthy")):
    real = X_train.loc[y_train == label, "pain"].value_counts(normalize=True)
    made = generated[label]["pain"].value_counts(normalize=True)
    positions = np.arange(len(order))
    ax.bar(positions - 0.2, real.reindex(order, fill_value=0), 0.4, label="real")
    ax.bar(positions + 0.2, made.reindex(order, fill_value=0), 0.4, label="generated")
    ax.set_xticks(positions, order, rotation=20)
    ax.set_title(f"pain, class {label}")
axes[0].set_ylabel("share of rows")
axes[0].legend()
plt.show()

# %%
# The most probable row of each class
# -----------------------------------
# :func:`sklearn_revnet.inverse_transform` searches the categories column by
# column, each choice with its own most probable numbers, and returns the
# best: deterministic, one row per label.
print(sklearn_revnet.inverse_transform(pipe, ["disease", "healthy"]))

# %%
# Counterfactuals with a fixed column
# -----------------------------------
# The least change that makes the network give the other label. Numbers move
# by the L1 distance in units of their median absolute deviation; changing a
# category costs ``category_cost`` (1 by default) in the same units. Here
# ``sex`` may not change, and it comes back exactly as it was.
rows = X_test.iloc[:6]
answers = sklearn_revnet.counterfactual(pipe, rows, fixed=["sex"])
changes = pd.concat({"row": rows, "counterfactual": answers}, axis=1).swaplevel(axis=1)
print(changes[X.columns].round(1).to_string())
print("predictions:", pipe.predict(rows).tolist(), "->", pipe.predict(answers).tolist())
