"""Mutation testing with mutmut (not run in CI), group by group.

Each group mutates some modules and runs the fast tests that exercise them
against every mutant, then this script prints, module by module, how many
mutants the tests kill (a timeout counts as killed), then every survivor by
name (``--diffs``: with its diff). A survivor is either a gap in the tests or
an equivalent mutant (one that changes no observable result, such as ``<``
against ``<=`` on a float that is never equal); the equivalent ones are
listed, with the reason, in ``benchmarks/mutation_survivors.md``.

The groups (``pyproject.toml``):

- ``core``, the table ``[tool.mutmut]`` itself: the numerical core
  (activations, network, density, prior, objective, L-BFGS driver,
  posterior, sampling, mode) and the array API branches of the network.
- ``pipeline``: the way back through a pipeline's steps (fold, steps).
- ``reverse``: the target rows and boxes of a reverse call, and the
  counterfactual problem, solver and function.
- ``forward``: fitting on dask arrays (and a dask cluster) and in another
  array API namespace.
- ``prior``: how the input prior is chosen and kept (the search by held-out
  likelihood, the per-feature map, the cache of fitted priors). Not yet
  run to the end: a first run, stopped after 363 of its 1115 mutants,
  found the order of the search untested
  (``tests/test_prior_search_order.py`` now pins it).

``[tool.sklearn-revnet.mutation.GROUP]`` replaces ``only_mutate`` and the
test selection of ``[tool.mutmut]`` for the other groups. Groups keep the
cost down: mutmut runs, for each mutant, every selected test that reaches
its function, and every counterfactual, pipeline or dask test reaches the
core's functions; so each group selects its modules' own tests, and a
survivor of the core runs seconds of tests rather than minutes. Each group
runs in its own copy of the package and the tests, ``build/mutation/GROUP``,
so the tree can be edited during a run. mutmut's fork server
(``process_isolation``) starts the workers from a process that has run no
test: the dask tests' LocalCluster and its threads do not survive a fork.

Run from the repository root::

    pip install -e ".[test,mutation]"
    python benchmarks/mutation.py                    # every group, afresh
    python benchmarks/mutation.py --group reverse    # one group (repeatable)
    python benchmarks/mutation.py --rerun-survivors  # after adding tests
    python benchmarks/mutation.py --report --diffs   # the last run's results

``--rerun-survivors`` keeps the killed mutants' results and tests the others
again with the current tests (new tests can only kill more); mutmut itself
starts afresh if the group's test selection changed. To check a few
mutants::

    cd build/mutation/GROUP && mutmut run NAME [NAME ...]

Costs on 2 shared cores (``--max-children 2``, the default), for about
2080 + 1900 + 1030 mutants: core 14 minutes, reverse and forward about an
hour each from scratch, mostly the survivors, each of which runs every
selected test that reaches its function; pipeline (732 mutants) 51 minutes.
A single slow test multiplies a group's cost: mutmut runs it for every
mutant of every function it reaches, and the instrumentation slows it down
(one pipeline test took 5 s alone and 184 s under mutmut, and is left out).
mutmut traces the test process only, so the dask tests run their cluster's
workers as threads of the test process here
(``SKLEARN_REVNET_TEST_IN_PROCESS_CLUSTER=1``): mutmut then sees the code
they run. The two tests that need worker processes (a worker killed mid-fit,
the client's memory) are skipped there; the survivors they would kill are
checked by hand (see ``mutation_survivors.md``).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build" / "mutation"
KILLED = {1, 3, 24, -24, 36, 37, 152, 255, -9, -11}  # failed, crashed or timed out
STATUS = {0: "survived", 5: "no tests", 33: "no tests", 34: "skipped", None: "not checked"}


def mutmut():
    """The mutmut executable next to this Python, or on the PATH."""
    local = Path(sys.executable).with_name("mutmut")
    return str(local) if local.exists() else "mutmut"


def groups():
    """``{group: its [tool.mutmut] settings}``, the core first."""
    tool = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]
    core = tool["mutmut"]
    others = tool.get("sklearn-revnet", {}).get("mutation", {})
    return {"core": core, **{name: {**core, **extra} for name, extra in others.items()}}


def _toml_table(name, settings):
    # strings, numbers, booleans and lists of them: JSON writes them as TOML does
    lines = [f"[tool.{name}]"] + [f"{key} = {json.dumps(v)}" for key, v in settings.items()]
    return "\n".join(lines) + "\n"


def prepare(group, settings, fresh):
    """The group's working copy: the package, the tests and a pyproject of its own."""
    where = BUILD / group
    if fresh:
        shutil.rmtree(where, ignore_errors=True)
    where.mkdir(parents=True, exist_ok=True)
    for folder in ("sklearn_revnet", "tests"):
        shutil.rmtree(where / folder, ignore_errors=True)
        skip = shutil.ignore_patterns("__pycache__")
        shutil.copytree(ROOT / folder, where / folder, ignore=skip)
    # pytest's settings too: the tests run with its warning filters
    pytest = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]
    text = _toml_table("pytest.ini_options", pytest["ini_options"])
    text += "\n" + _toml_table("mutmut", settings)
    (where / "pyproject.toml").write_text(text)
    return where


def module_results(group):
    """``{module: {mutant name: exit code}}`` from a group's result files.

    A module is named by its path under the package, such as
    ``_core/network.py``: the modules live in subpackages.
    """
    package = BUILD / group / "mutants" / "sklearn_revnet"
    results = {}
    for meta in sorted(package.rglob("*.py.meta")):
        module = meta.relative_to(package).as_posix()[: -len(".meta")]
        results[module] = json.loads(meta.read_text())["exit_code_by_key"]
    return results


def forget_survivors(group):
    """Reset every result but a kill, so that the next run tests those mutants again."""
    count = 0
    for meta in (BUILD / group / "mutants").rglob("*.py.meta"):
        data = json.loads(meta.read_text())
        codes = data["exit_code_by_key"]
        for name, code in codes.items():
            if code is not None and code not in KILLED:
                codes[name] = None
                count += 1
        meta.write_text(json.dumps(data, indent=4))
    return count


def run(group, max_children):
    start = time.perf_counter()
    result = subprocess.run(
        [mutmut(), "run", "--max-children", str(max_children)],
        cwd=BUILD / group,
        # the dask tests' workers as threads of the test process, where mutmut sees them
        env={**os.environ, "SKLEARN_REVNET_TEST_IN_PROCESS_CLUSTER": "1"},
        stdout=subprocess.DEVNULL,  # a progress line per mutant
    )
    minutes = (time.perf_counter() - start) / 60
    print(f"{group}: mutmut run exit code {result.returncode}, {minutes:.1f} minutes")


def report(group, show_diffs=False):
    """Print the group's table and its survivors; return (killed, total)."""
    results = module_results(group)
    if not results:
        print(f"{group}: no results under {BUILD / group / 'mutants'}\n")
        return 0, 0
    width = max(len(module) for module in results)
    print(f"{group:<{width}} {'killed':>7} {'total':>6} {'score':>7}")
    survivors = []
    for module, codes in results.items():
        killed = sum(code in KILLED for code in codes.values())
        score = 100 * killed / len(codes) if codes else 100.0
        print(f"{module:<{width}} {killed:>7} {len(codes):>6} {score:>6.1f}%")
        survivors += [(name, code) for name, code in codes.items() if code not in KILLED]
    total = sum(len(codes) for codes in results.values())
    killed = total - len(survivors)
    print(f"{'all':<{width}} {killed:>7} {total:>6} {100 * killed / max(total, 1):>6.1f}%")
    counts = Counter(STATUS.get(code, f"exit code {code}") for _, code in survivors)
    print(f"\n{len(survivors)} not killed: {dict(counts)}")
    for name, code in survivors:
        print(f"  {STATUS.get(code, code):<12} {name}")
        if show_diffs:
            diff = subprocess.run(
                [mutmut(), "show", name], cwd=BUILD / group, capture_output=True, text=True
            ).stdout
            changed = [
                line
                for line in diff.splitlines()
                if line[:1] in "+-" and not line.startswith(("+++", "---"))
            ]
            print("\n".join(f"      {line}" for line in changed))
    print()
    return killed, total


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--group", action="append", help="a group to run (default: all)")
    parser.add_argument("--resume", action="store_true", help="keep the last results")
    parser.add_argument(
        "--rerun-survivors", action="store_true", help="keep the kills, test the rest again"
    )
    parser.add_argument("--report", action="store_true", help="only print the last results")
    parser.add_argument("--diffs", action="store_true", help="print each survivor's diff")
    parser.add_argument("--max-children", type=int, default=2, help="parallel workers")
    args = parser.parse_args()
    known = groups()
    chosen = args.group or list(known)
    unknown = sorted(set(chosen) - set(known))
    if unknown:
        sys.exit(f"Unknown group {unknown[0]!r}; the groups are {list(known)}.")
    if not args.report:
        for group in chosen:  # every copy first: the tree as it is now
            prepare(group, known[group], fresh=not (args.resume or args.rerun_survivors))
            if args.rerun_survivors:
                print(f"{group}: {forget_survivors(group)} survivors to test again")
        for group in chosen:
            run(group, args.max_children)
    totals = [report(group, show_diffs=args.diffs) for group in chosen]
    if len(chosen) > 1:
        killed, total = map(sum, zip(*totals))
        print(f"every group: {killed} of {total} killed, {100 * killed / max(total, 1):.1f}%")


if __name__ == "__main__":
    main()
