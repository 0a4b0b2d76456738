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
import sklearn
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
# The first line of the example under "Arrays on accelerators (array API)".
ARRAY_API_BLOCK = "import array_api_strict as xp\n"


NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def _run(code):
    """Run a README block; return what each of its print calls printed, in
    order, and the names it defined."""
    printed = []

    def record(*args, sep=" ", **kwargs):
        printed.append(sep.join(str(arg) for arg in args))

    namespace = {"print": record}
    # What a block sets with sklearn.set_config stays in the block.
    with sklearn.config_context():
        exec(compile(code, str(README), "exec"), namespace)
    return printed, namespace


def _assert_agrees(printed, stated, line):
    """``printed`` is what the README states, to the digits it states."""

    def skeleton(text):
        return " ".join(NUMBER.sub("#", text).split())

    assert skeleton(printed) == skeleton(stated), (line, printed)
    for got, want in zip(NUMBER.findall(printed), NUMBER.findall(stated)):
        decimals = len(want.partition(".")[2])
        assert abs(float(got) - float(want)) <= 0.5 * 10.0**-decimals + 1e-12, (line, printed)


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_example_runs(code):
    if code.startswith(ARRAY_API_BLOCK) and os.environ.get("SCIPY_ARRAY_API") != "1":
        # tests/conftest.py sets it where scipy is recent enough
        pytest.skip(
            "array API dispatch needs scipy >= 1.14 and SCIPY_ARRAY_API=1 set before "
            "scipy is first imported"
        )
    # Its fits, the grid search's included, converge with the defaults.
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        printed, namespace = _run(code)
    # What each print shows is what its comment says: the scores to the
    # digits given, the labels and ranges exactly.
    calls = [line for line in code.splitlines() if line.startswith("print(")]
    assert len(printed) == len(calls)
    stated = [(line, output) for line, output in zip(calls, printed) if "#" in line]
    assert len(stated) >= 5
    for line, output in stated:
        _assert_agrees(output, line.partition("#")[2].strip(), line)
    # and the shapes that the comments give
    shapes = re.findall(r"^(\w+) = .*# shape \(([\d, ]+)\)", code, re.M)
    assert len(shapes) >= 4
    for name, shape in shapes:
        assert namespace[name].shape == tuple(int(n) for n in shape.split(",")), name
    for name, lo, hi in re.findall(r"^(\w+) = .*pixels in \[(\d+), (\d+)\]", code, re.M):
        assert float(lo) <= namespace[name].min() <= namespace[name].max() <= float(hi), name


def test_the_array_api_example_is_found():
    # The skip above finds that example by its first line.
    assert sum(code.startswith(ARRAY_API_BLOCK) for code in BLOCKS) == 1


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
    # The figures it prints. The test accuracy is the one the README gives
    # for this pipeline (bench_inversion.py fits the same); the samples are
    # bounded to the pixel range here, so their figures are the demo's own.
    out = result.stdout
    stated = re.search(r"the\s+pipeline's test accuracy is ([\d.]+)", TEXT).group(1)
    assert re.search(r"test accuracy: ([\d.]+)", out).group(1) == stated
    assert "generated 500 samples (50 per class)" in out

    def figure(name):
        return float(re.search(rf"{name}:\s+([\d.]+)", out).group(1))

    # measured: 98.4%, 93.0% and 1.12; margins 4 and 10 samples, and 0.15
    assert figure("network agrees with the requested label") >= 97.6
    assert figure("SVC agrees with the requested label") >= 91.0
    assert 0.9 <= figure(r"diversity \(generated / real spread\)") <= 1.3
