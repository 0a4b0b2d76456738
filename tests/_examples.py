"""What tests/test_examples.py and tests/test_examples_digits.py share: each
example runs once per test process, in a subprocess, and its printed figures
are read back."""

import functools
import re
import tempfile
from pathlib import Path

import numpy as np
from _scripts import run_script

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SCRIPTS = sorted(EXAMPLES.glob("plot_*.py"))
# The three slowest examples, run by tests/test_examples_digits.py: each test
# file goes to one test process whole (--dist loadfile), and one file of all
# the examples, a sixth of the suite's time and started late (xdist sends the
# files with the most tests first), kept one process busy long after the other.
DIGIT_IMAGE_SCRIPTS = ["plot_counterfactual_digits", "plot_generated_digits", "plot_soft_targets"]


@functools.cache
def example(name):
    """Run ``examples/<name>.py`` in an empty directory, once per session.

    Returns the completed process and the files it left in that directory.
    """
    with tempfile.TemporaryDirectory() as cwd:
        result = run_script(EXAMPLES / f"{name}.py", cwd=cwd)
        left = sorted(p.name for p in Path(cwd).iterdir())
    return result, left


def assert_runs_cleanly(name):
    """``examples/<name>.py`` exits with 0 and leaves no file behind."""
    result, left = example(name)
    assert result.returncode == 0, result.stderr
    assert left == [], f"{name}.py wrote files: {left}"


def output(name):
    result, _ = example(name)
    assert result.returncode == 0, result.stderr
    return result.stdout


def number(pattern, text):
    match = re.search(pattern, text)
    assert match, f"{pattern!r} not found in:\n{text}"
    return float(match.group(1))


def array(pattern, text):
    """The numbers of a printed array or list that ``pattern``'s group captures."""
    match = re.search(pattern, text)
    assert match, f"{pattern!r} not found in:\n{text}"
    return np.array([float(v) for v in re.findall(r"-?[\d.]+", match.group(1))])


def flag(pattern, text):
    """A printed True or False."""
    match = re.search(pattern + r" (True|False)", text)
    assert match, f"{pattern!r} not found in:\n{text}"
    return match.group(1) == "True"
