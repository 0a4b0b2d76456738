"""Running a script as a user would, in a subprocess, on one BLAS thread."""

import os
import subprocess
import sys

# One BLAS/OpenMP thread, as in the test process itself (conftest.py): the
# scripts' small matrices gain nothing from more, and on two shared cores
# extra threads slow them down many times over. The limit is set with
# threadpoolctl once numpy, scipy and scikit-learn have loaded their
# libraries, not through environment variables, which the tests leave alone.
_RUNNER = """\
import runpy, sys
import numpy, scipy.linalg, sklearn.utils
from threadpoolctl import threadpool_limits
threadpool_limits(limits=1)
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def run_script(path, cwd, timeout=120):
    """Run ``python path`` in ``cwd`` without a display; return the completed process."""
    env = {**os.environ, "MPLBACKEND": "Agg"}
    return subprocess.run(
        [sys.executable, "-c", _RUNNER, str(path)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
