"""The suite's numerical tolerances under every OpenBLAS kernel and thread count.

OpenBLAS chooses its matrix-product kernels by processor, and the kernels
round differently, so a tolerance tuned on one machine can fail on another.
This script runs selected tests once per (kernel, threads) pair, with the
kernel forced by ``OPENBLAS_CORETYPE`` and the tests' BLAS threads set by
``REVNET_TEST_BLAS_THREADS`` (the suite runs BLAS on one thread otherwise),
and prints, for every tolerance checked with ``tests/_tolerance.assert_within``,
the worst value measured under each pair, the limit and the margin
(limit / worst), then every failed test. Set each tolerance from these figures
with a stated margin. ``OPENBLAS_CORETYPE`` is set here, by hand, for one
measurement: the tests and CI keep the machine's own kernel.

A kernel the processor cannot run (SkylakeX without AVX-512, for example)
crashes at start; it is reported and skipped.

Run from the repository root::

    pip install -e ".[test]"
    python benchmarks/kernel_sweep.py                  # the default selection
    python benchmarks/kernel_sweep.py --threads 1      # one thread only
    python benchmarks/kernel_sweep.py tests/test_x.py  # other tests (pytest arguments)

The default selection (the comparisons with scikit-learn and the reverse
direction's precision tests) takes about 2 minutes per pair on 2 cores.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KERNELS = ("Prescott", "Nehalem", "Sandybridge", "Haswell", "SkylakeX", "Zen")
SELECTION = (
    "tests/test_classifier.py",
    "tests/test_differential.py",
    "tests/test_properties.py",
    "tests/test_objective_precision.py",
)
_PROBE = (
    "import numpy as np, threadpoolctl\n"
    "a = np.random.RandomState(0).rand(300, 300)\n"
    "assert np.isfinite((a @ a).sum())\n"
    "print(threadpoolctl.threadpool_info()[0].get('architecture'))\n"
)


def kernel_runs(kernel):
    """The architecture OpenBLAS reports under ``kernel``, or None if it crashes."""
    env = {**os.environ, "OPENBLAS_CORETYPE": kernel}
    result = subprocess.run(
        [sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, timeout=120
    )
    return result.stdout.strip() if result.returncode == 0 else None


def run(kernel, threads, tests):
    """Run ``tests`` under the pair; ``(records, failures, summary line)``."""
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "tolerances.jsonl"
        env = {
            **os.environ,
            "OPENBLAS_CORETYPE": kernel,
            "REVNET_TEST_BLAS_THREADS": str(threads),
            "REVNET_TOLERANCE_LOG": str(log),
        }
        command = [sys.executable, "-m", "pytest", "-q", "-rf", "-p", "no:cacheprovider", *tests]
        result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        records = (
            [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
        )
    lines = result.stdout.splitlines()
    failures = [line for line in lines if line.startswith("FAILED")]
    summary = next((line for line in reversed(lines) if " in " in line), "(no summary)")
    return records, failures, summary


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tests", nargs="*", default=list(SELECTION))
    parser.add_argument("--kernels", nargs="+", default=list(KERNELS))
    parser.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    args = parser.parse_args()

    pairs = []
    for kernel in args.kernels:
        architecture = kernel_runs(kernel)
        if architecture is None:
            print(f"{kernel}: does not start on this processor; skipped")
            continue
        print(f"{kernel}: runs as OpenBLAS's {architecture} kernel")
        pairs += [(kernel, threads) for threads in args.threads]

    worst = defaultdict(dict)  # (test, name) -> {pair: value}
    limits, all_failures = {}, {}
    for kernel, threads in pairs:
        records, failures, summary = run(kernel, threads, args.tests)
        print(f"{kernel}, {threads} thread(s): {summary}", flush=True)
        for record in records:
            key = (record["test"], record["name"])
            pair = (kernel, threads)
            worst[key][pair] = max(worst[key].get(pair, -float("inf")), record["value"])
            limits[key] = record["limit"]
        if failures:
            all_failures[(kernel, threads)] = failures

    columns = [f"{k[:5]}/{t}" for k, t in pairs]
    print()
    print("| test | measured | " + " | ".join(columns) + " | worst | limit | margin |")
    print("|---|---|" + "---:|" * (len(columns) + 3))
    for (test, name), values in sorted(worst.items()):
        cells = [f"{values[p]:.2g}" if p in values else "-" for p in pairs]
        top = max(values.values())
        margin = limits[(test, name)] / top if top > 0 else float("inf")
        print(
            f"| {test} | {name} | "
            + " | ".join(cells)
            + f" | {top:.2g} | {limits[(test, name)]:.2g} | {margin:.1f}x |"
        )
    print()
    if not all_failures:
        print("No test failed under any pair.")
    for (kernel, threads), failures in all_failures.items():
        print(f"Failed under {kernel}, {threads} thread(s):")
        for line in failures:
            print("   ", line)


if __name__ == "__main__":
    main()
