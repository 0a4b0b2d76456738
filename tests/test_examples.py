"""Every example and the demo run to completion as plain scripts, without a display.

Each script runs once, in a subprocess; the tests below then check what it
printed, where that is cheap to state.
"""

import functools
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SCRIPTS = sorted(EXAMPLES.glob("plot_*.py"))


def _run(args, cwd):
    env = {
        **os.environ,
        "MPLBACKEND": "Agg",
        # One BLAS/OpenMP thread, as in the test process itself (conftest.py):
        # the examples' small matrices gain nothing from more, and on two
        # shared cores extra threads slow them down many times over.
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


@functools.cache
def _example(name):
    """Run ``examples/<name>.py`` in an empty directory, once per session.

    Returns the completed process and the files it left in that directory.
    """
    with tempfile.TemporaryDirectory() as cwd:
        result = _run([str(EXAMPLES / f"{name}.py")], cwd=cwd)
        left = sorted(p.name for p in Path(cwd).iterdir())
    return result, left


def _output(name):
    result, _ = _example(name)
    assert result.returncode == 0, result.stderr
    return result.stdout


def _number(pattern, text):
    match = re.search(pattern, text)
    assert match, f"{pattern!r} not found in:\n{text}"
    return float(match.group(1))


@pytest.mark.slow
@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_example_runs(script):
    result, left = _example(script.stem)
    assert result.returncode == 0, result.stderr
    assert left == [], f"{script.name} wrote files: {left}"


@pytest.mark.slow
def test_moons_bayes_rule_is_realistic_and_confidence_is_not():
    out = _output("plot_moons_bayes")
    bayes = _number(r"Bayes' rule: judge ([\d.]+)", out)
    confidence = _number(r"maximal confidence: judge ([\d.]+)", out)
    # 0.5: the random forest cannot tell generated points from real ones
    assert bayes < 0.6
    assert confidence > bayes + 0.1
    assert _number(r"Bayes' rule: .* training range ([\d.]+)%", out) == 0
    assert _number(r"maximal confidence: .* training range ([\d.]+)%", out) > 0
    lowest = re.findall(r"min_proba=0\.9: lowest p\(y\|x\) of the samples ([\d.]+)", out)
    assert len(lowest) == 2
    assert min(float(p) for p in lowest) >= 0.9


@pytest.mark.slow
def test_breast_cancer_rows_stay_in_range():
    out = _output("plot_breast_cancer")
    assert "Classifier's bounds are the training range: True" in out
    assert _number(r"outside the training range: ([\d.]+)%", out) == 0
    assert _number(r"agrees with the requested class: ([\d.]+)%", out) >= 95
    areas = re.findall(
        r"smallest mean area ([-\d.]+) generated, [-\d.]+ real, ([-\d.]+) in training", out
    )
    assert len(areas) == 2
    for generated, lowest in areas:
        assert float(generated) >= float(lowest) > 0


@pytest.mark.slow
def test_soft_targets_are_met_within_the_pixel_range():
    out = _output("plot_soft_targets")
    assert _number(r"Largest miss of a requested probability: ([\d.]+)", out) < 0.005
    assert _number(r"Pixels in \[([-\d.]+),", out) >= 0
    assert _number(r"Pixels in \[[-\d.]+, ([-\d.]+)\]", out) <= 16


@pytest.mark.slow
def test_generated_digits_stay_in_the_pixel_range():
    out = _output("plot_generated_digits")
    assert _number(r"agrees with the requested label: ([\d.]+)%", out) >= 90
    for what in ("samples", "modes"):
        assert _number(rf"Pixel range of the {what}: \[([-\d.]+),", out) >= 0
        assert _number(rf"Pixel range of the {what}: \[[-\d.]+, ([-\d.]+)\]", out) <= 16
    assert "prediction for each mode: [0 1 2 3 4 5 6 7 8 9]" in out


@pytest.mark.slow
def test_model_selection_prototypes_are_recognized():
    out = _output("plot_model_selection")
    assert "Predicted labels of the prototypes: [0 1 2 3 4 5 6 7 8 9]" in out


@pytest.mark.slow
def test_there_are_examples():
    assert len(SCRIPTS) >= 7
    for script in SCRIPTS:
        title, underline = script.read_text().split('"""')[1].strip().splitlines()[:2]
        assert set(underline) == {"="} and len(underline) == len(title), script.name
