"""The README's code examples run as written, and its claims hold."""

import os
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_revnet import ReversibleMLPClassifier, Whitener

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
TEXT = README.read_text()
BLOCKS = re.findall(r"```python\n(.*?)```", TEXT, re.S)


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_example_runs(code):
    # Its fits, the grid search's included, converge with the defaults.
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        exec(compile(code, str(README), "exec"), {})


def test_defaults_are_scikit_learns():
    # "the same model, loss, initialization, defaults and scipy L-BFGS run"
    ours = ReversibleMLPClassifier().get_params()
    theirs = MLPClassifier(solver="lbfgs").get_params()
    shared = sorted(set(ours) & set(theirs))
    assert {"alpha", "hidden_layer_sizes", "activation", "max_iter", "tol"} <= set(shared)
    assert {k: ours[k] for k in shared} == {k: theirs[k] for k in shared}


def test_same_random_state_gives_scikit_learns_fit():
    # "on the digits example below both stop after the same N iterations, and
    # their predicted probabilities agree to 1e-K": the numbers the README gives
    n_iter, exponent = re.search(
        r"both stop after the same (\d+) iterations, and their\s+predicted probabilities "
        r"agree to 1e-(\d+)",
        TEXT,
    ).groups()
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, _ = train_test_split(X, y, random_state=0, stratify=y)
    ours = ReversibleMLPClassifier(max_iter=500, random_state=0).fit(X_train / 16, y_train)
    theirs = MLPClassifier(solver="lbfgs", max_iter=500, random_state=0)
    theirs.fit(X_train / 16, y_train)
    assert ours.n_iter_ == theirs.n_iter_ == int(n_iter)
    difference = np.abs(ours.predict_proba(X_test / 16) - theirs.predict_proba(X_test / 16))
    assert difference.max() <= 10.0 ** -int(exponent)


@pytest.mark.parametrize("load", [load_digits, load_iris, load_wine, load_breast_cancer])
@pytest.mark.parametrize("first_step", [Whitener, StandardScaler])
def test_default_pipelines_converge(load, first_step):
    # The README's pipelines, with default settings, fit without a warning.
    X, y = load(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pipe = make_pipeline(first_step(), ReversibleMLPClassifier(random_state=0)).fit(X, y)
    assert pipe[-1].n_iter_ < pipe[-1].max_iter


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_main_job_leaves_the_work_tree_clean():
    # The README's main job writes its picture where the README says, into a
    # folder git ignores, and nothing else.
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    command = re.search(r"&& python (examples/demo_digits\.py)\n", TEXT).group(1)
    picture = re.search(r"`(build/generated_digits\.png)`", TEXT).group(1)

    def status():
        return subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=all"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    before = status()
    env = {**os.environ, "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert f"wrote {ROOT / picture}" in result.stdout
    assert (ROOT / picture).stat().st_size > 0
    assert status() == before
    for figure in ("test accuracy", "svc", "diversity"):
        assert figure in result.stdout.lower()
