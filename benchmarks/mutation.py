"""Mutation testing of the numerical core with mutmut (not run in CI).

Mutates the modules of the numerical core listed under ``[tool.mutmut]`` in
``pyproject.toml`` (activations, network, density, prior, objective, L-BFGS
driver, posterior, sampling, mode),
runs the fast tests selected there against every mutant, and prints, module by
module, how many mutants the tests kill (a timeout counts as killed), then
every survivor by name (``--diffs``: with its diff; ``mutmut show NAME`` prints
one). A survivor is either a gap in the tests or an equivalent mutant (one
that changes no observable result, such as ``<`` against ``<=`` on a float
that is never equal).

Run from the repository root::

    pip install -e ".[test,mutation]"
    python benchmarks/mutation.py            # a fresh run (deletes mutants/)
    python benchmarks/mutation.py --resume   # keep mutants/ and its results
    python benchmarks/mutation.py --report   # only print the last run's score

About 2080 mutants. A whole run took 13.6 minutes on 2 cores
(``--max-children 2``, the default) with about 100 survivors, while other
work shared the cores; the cost is mostly the survivors, each of which runs
every selected test that reaches its function (with the 395 survivors of
the previous tests, a run took 30.6 minutes). To check a few mutants after
changing the tests::

    mutmut run NAME [NAME ...]
"""

import argparse
import json
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTANTS = ROOT / "mutants"
KILLED = {1, 3, 24, -24, 36, 37, 152, 255, -9, -11}  # failed, crashed or timed out
STATUS = {0: "survived", 5: "no tests", 33: "no tests", 34: "skipped", None: "not checked"}


def mutmut():
    """The mutmut executable next to this Python, or on the PATH."""
    local = Path(sys.executable).with_name("mutmut")
    return str(local) if local.exists() else "mutmut"


def module_results():
    """``{module: {mutant name: exit code}}`` from mutmut's result files."""
    results = {}
    for meta in sorted((MUTANTS / "sklearn_revnet").glob("*.py.meta")):
        module = meta.name[: -len(".py.meta")]
        results[module] = json.loads(meta.read_text())["exit_code_by_key"]
    return results


def report(show_diffs=False):
    results = module_results()
    if not results:
        sys.exit("No results under mutants/: run the script without --report first.")
    print(f"{'module':<14} {'killed':>7} {'total':>6} {'score':>7}")
    survivors = []
    for module, codes in results.items():
        killed = sum(code in KILLED for code in codes.values())
        print(f"{module:<14} {killed:>7} {len(codes):>6} {100 * killed / len(codes):>6.1f}%")
        survivors += [(name, code) for name, code in codes.items() if code not in KILLED]
    total = sum(len(codes) for codes in results.values())
    score = 100 * (1 - len(survivors) / total)
    print(f"{'all':<14} {total - len(survivors):>7} {total:>6} {score:>6.1f}%")
    counts = Counter(STATUS.get(code, f"exit code {code}") for _, code in survivors)
    print(f"\n{len(survivors)} not killed: {dict(counts)}")
    for name, code in survivors:
        print(f"  {STATUS.get(code, code):<12} {name}")
        if show_diffs:
            diff = subprocess.run(
                [mutmut(), "show", name], cwd=ROOT, capture_output=True, text=True
            ).stdout
            changed = [
                line
                for line in diff.splitlines()
                if line[:1] in "+-" and not line.startswith(("+++", "---"))
            ]
            print("\n".join(f"      {line}" for line in changed))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--resume", action="store_true", help="keep mutants/ and its results")
    parser.add_argument("--report", action="store_true", help="only print the last results")
    parser.add_argument("--diffs", action="store_true", help="print each survivor's diff")
    parser.add_argument("--max-children", type=int, default=2, help="parallel workers")
    args = parser.parse_args()
    if not args.report:
        if not args.resume:
            shutil.rmtree(MUTANTS, ignore_errors=True)
        start = time.perf_counter()
        run = subprocess.run(
            [mutmut(), "run", "--max-children", str(args.max_children)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,  # a progress line per mutant
        )
        minutes = (time.perf_counter() - start) / 60
        print(f"mutmut run: exit code {run.returncode}, {minutes:.1f} minutes\n")
    report(show_diffs=args.diffs)


if __name__ == "__main__":
    main()
