"""Every example and the demo run to completion as plain scripts, without a display."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SCRIPTS = sorted(EXAMPLES.glob("plot_*.py"))


def _run(args, cwd):
    env = {**os.environ, "MPLBACKEND": "Agg"}
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.slow
@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_example_runs(script, tmp_path):
    result = _run([str(script)], cwd=tmp_path)
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
def test_demo_writes_the_picture(tmp_path):
    output = tmp_path / "digits.png"
    result = _run([str(EXAMPLES / "demo_digits.py"), "--output", str(output)], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert output.stat().st_size > 0
    assert str(output) in result.stdout
    for figure in ("test accuracy", "svc", "diversity"):
        assert figure in result.stdout.lower()


def test_there_are_examples():
    assert len(SCRIPTS) >= 5
