"""Numerical tolerances that hold on every BLAS kernel, and their measurement.

OpenBLAS picks its kernels by processor, and different kernels round matrix
products differently, so a tolerance measured on one machine can fail on
another. Each tolerance checked with :func:`assert_within` is set from the
worst value that ``benchmarks/kernel_sweep.py`` measured under every kernel
the processor runs and with one and two threads, times a stated margin; the
figures stand in a comment beside it.

When the environment variable ``REVNET_TOLERANCE_LOG`` names a file, every
check appends its measured value there (one JSON object a line); the sweep
sets it and reads the file. Nothing is written otherwise.
"""

import json
import os

import numpy as np


def assert_within(value, limit, name="value", report=None):
    """Assert ``max(value) <= limit``, recording the measured maximum for the sweep.

    Parameters
    ----------
    value : float or array-like
        What is measured (an error, a difference); its largest entry counts.
    limit : float
        The tolerance.
    name : str, default="value"
        What is measured, for the sweep's table and the failure message.
    report : object, default=None
        Shown on failure, beside the value.
    """
    worst = float(np.max(value))
    log = os.environ.get("REVNET_TOLERANCE_LOG")
    if log:
        test = os.environ.get("PYTEST_CURRENT_TEST", "?").rsplit(" ", 1)[0]
        record = {"test": test, "name": name, "value": worst, "limit": limit}
        with open(log, "a") as file:
            file.write(json.dumps(record) + "\n")
    assert worst <= limit, f"{name}: {worst:.3g} > {limit:.3g}" + (
        "" if report is None else f"; {report}"
    )
