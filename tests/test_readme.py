"""The code examples of the README and the user guide run as written, and the
claims of the README and the documentation hold."""

import os
import re
import shutil
import subprocess
import textwrap
import warnings
from pathlib import Path

import pytest
import sklearn
from _scripts import run_script
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_revnet import ReversibleMLPClassifier, Whitener

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
USER_GUIDE = ROOT / "docs" / "user_guide.rst"
GETTING_STARTED = ROOT / "docs" / "getting_started.rst"
TEXT = README.read_text()
GUIDE_TEXT = USER_GUIDE.read_text()
GETTING_STARTED_TEXT = GETTING_STARTED.read_text()


def markdown_blocks(text, language):
    """The fenced code blocks of a Markdown text in ``language``."""
    return re.findall(rf"```{language}\n(.*?)```", text, re.S)


def rst_blocks(text, language):
    """The ``.. code-block:: language`` blocks of an RST text, dedented.

    A block is the indented lines after the directive (its options, such as
    ``:caption:``, left out), up to the first non-blank line indented no
    deeper than the directive.
    """
    lines = text.splitlines()
    blocks = []
    for i, line in enumerate(lines):
        if line.strip() != f".. code-block:: {language}":
            continue
        indent = len(line) - len(line.lstrip())
        body = []
        for following in lines[i + 1 :]:
            if following.strip() and len(following) - len(following.lstrip()) <= indent:
                break
            if not body and following.strip().startswith(":"):
                continue  # an option of the directive
            body.append(following)
        blocks.append(textwrap.dedent("\n".join(body)).strip("\n") + "\n")
    return blocks


# The python examples that run: the README's, and the user guide's (each of
# them a whole script; those of getting_started.rst continue one another).
EXAMPLES = [(README, code) for code in markdown_blocks(TEXT, "python")] + [
    (USER_GUIDE, code) for code in rst_blocks(GUIDE_TEXT, "python")
]
EXAMPLE_IDS = [
    f"{path.stem}-block{sum(p == path for p, _ in EXAMPLES[:i])}"
    for i, (path, _) in enumerate(EXAMPLES)
]
# The first line of the user guide's example under "Arrays on accelerators".
ARRAY_API_BLOCK = "import array_api_strict as xp\n"


NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def _run(code, path):
    """Run an example; return what each of its print calls printed, in order,
    and the names it defined."""
    printed = []

    def record(*args, sep=" ", **kwargs):
        printed.append(sep.join(str(arg) for arg in args))

    namespace = {"print": record}
    # What an example sets with sklearn.set_config stays in the example.
    with sklearn.config_context():
        exec(compile(code, str(path), "exec"), namespace)
    return printed, namespace


def _assert_agrees(printed, stated, line):
    """``printed`` is what the text states, to the digits it states."""

    def skeleton(text):
        return " ".join(NUMBER.sub("#", text).split())

    assert skeleton(printed) == skeleton(stated), (line, printed)
    for got, want in zip(NUMBER.findall(printed), NUMBER.findall(stated)):
        decimals = len(want.partition(".")[2])
        assert abs(float(got) - float(want)) <= 0.5 * 10.0**-decimals + 1e-12, (line, printed)


@pytest.mark.parametrize("path, code", EXAMPLES, ids=EXAMPLE_IDS)
def test_example_runs(path, code):
    if code.startswith(ARRAY_API_BLOCK) and os.environ.get("SCIPY_ARRAY_API") != "1":
        # tests/conftest.py sets it where scipy is recent enough
        pytest.skip(
            "array API dispatch needs scipy >= 1.14 and SCIPY_ARRAY_API=1 set before "
            "scipy is first imported"
        )
    # Its fits, a grid search's included, converge with the defaults.
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        printed, namespace = _run(code, path)
    # What each print shows is what its comment says: the scores to the
    # digits given, the labels and ranges exactly.
    calls = [line for line in code.splitlines() if line.startswith("print(")]
    assert len(printed) == len(calls)
    stated = [(line, output) for line, output in zip(calls, printed) if "#" in line]
    assert stated, "an example states what it prints"
    for line, output in stated:
        _assert_agrees(output, line.partition("#")[2].strip(), line)
    # and the shapes and ranges that the comments give
    for name, shape in re.findall(r"^(\w+) = .*# shape \(([\d, ]+)\)", code, re.M):
        assert namespace[name].shape == tuple(int(n) for n in shape.split(",")), name
    for name, lo, hi in re.findall(r"^(\w+) = .*pixels in \[(\d+), (\d+)\]", code, re.M):
        assert float(lo) <= namespace[name].min() <= namespace[name].max() <= float(hi), name


def test_the_examples_are_found():
    # The README has its usage examples (digits, and a mixed-type table); the user
    # guide has the examples under "When is the fit scikit-learn's?", "Mixed-type
    # data", "Training on a cluster" and "Arrays on accelerators", the last one
    # found by its first line (the skip above).
    examples = {path: [code for p, code in EXAMPLES if p == path] for path in (README, USER_GUIDE)}
    assert len(examples[README]) == 2
    assert sum("OneHotEncoder()" in code for code in examples[README]) == 1
    assert len(examples[USER_GUIDE]) == 4
    assert sum("category_cost=" in code for code in examples[USER_GUIDE]) == 1
    assert sum(code.startswith(ARRAY_API_BLOCK) for code in examples[USER_GUIDE]) == 1
    assert sum("LocalCluster(" in code for code in examples[USER_GUIDE]) == 1
    assert sum("MLPClassifier(solver" in code for code in examples[USER_GUIDE]) == 1


def test_rst_blocks_are_read_as_written():
    text = (
        "Text.\n\n.. code-block:: python\n   :caption: an option\n\n"
        "   a = 1\n\n   if a:\n       b = 2\n\nMore text.\n"
    )
    assert rst_blocks(text, "python") == ["a = 1\n\nif a:\n    b = 2\n"]


def test_readme_links_into_the_docs_resolve():
    # Each link of the README into docs/ names a file there and, after "#", a
    # section of it by the id that docutils gives its title.
    links = re.findall(r"\]\((docs/[\w/]+\.rst)(?:#([\w-]+))?\)", TEXT)
    assert len(links) >= 10
    for path, anchor in links:
        text = (ROOT / path).read_text()
        titles = re.findall(r"^(\S.*)\n([=~^-])\2+$", text, re.M)
        ids = {re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") for title, _ in titles}
        assert not anchor or anchor in ids, (path, anchor)


def test_defaults_are_scikit_learns():
    # "the same model, loss, initialization, defaults and L-BFGS run"
    ours = ReversibleMLPClassifier().get_params()
    theirs = MLPClassifier(solver="lbfgs").get_params()
    shared = sorted(set(ours) & set(theirs))
    assert {"alpha", "hidden_layer_sizes", "activation", "max_iter", "tol"} <= set(shared)
    assert {k: ours[k] for k in shared} == {k: theirs[k] for k in shared}


def test_same_random_state_gives_scikit_learns_fit():
    # The user guide, under "When is the fit scikit-learn's?": "both stop after
    # the same N iterations, and their predicted probabilities agree to 1e-K",
    # the figures that its example below prints (test_example_runs runs it).
    section = GUIDE_TEXT.partition("When is the fit scikit-learn's?\n")[2]
    n_iter, exponent = re.search(
        r"both\s+stop\s+after\s+the\s+same\s+(\d+)\s+iterations,\s+and\s+their\s+predicted"
        r"\s+probabilities\s+agree\s+to\s+1e-(\d+)",
        section,
    ).groups()
    example = rst_blocks(section, "python")[0]  # the section's first example
    assert f"print(ours.n_iter_, theirs.n_iter_)  # {n_iter} {n_iter}\n" in example
    assert f"print(difference < 1e-{exponent})  # True\n" in example
    assert "ReversibleMLPClassifier(max_iter=500, random_state=0)" in example
    assert 'MLPClassifier(solver="lbfgs", max_iter=500, random_state=0)' in example


@pytest.mark.parametrize("load", [load_digits, load_iris, load_wine, load_breast_cancer])
@pytest.mark.parametrize("first_step", [Whitener, StandardScaler])
def test_default_pipelines_converge(load, first_step):
    # The documentation's pipelines, with default settings, fit without a warning.
    X, y = load(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pipe = make_pipeline(first_step(), ReversibleMLPClassifier(random_state=0)).fit(X, y)
    assert pipe[-1].n_iter_ < pipe[-1].max_iter


def _quoted_demo_output(source):
    """The demo's output as ``source`` (the README or getting_started.rst) quotes it."""
    if source == README:
        blocks = markdown_blocks(TEXT, "text")
    else:
        blocks = rst_blocks(GETTING_STARTED_TEXT, "text")
    (quoted,) = [block for block in blocks if block.startswith("test accuracy: ")]
    return quoted


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
    result = run_script(command, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert f"wrote {ROOT / picture}" in result.stdout
    assert (ROOT / picture).stat().st_size > 0
    assert status() == before

    # The figures it prints are those that the README and getting_started.rst
    # quote: the test accuracy exactly; the agreements within 4 and 10 of the
    # 500 samples and the diversity within 0.2, for other versions and BLAS.
    def figure(name, text):
        return float(re.search(rf"^{name}:\s+([\d.]+)", text, re.M).group(1))

    out = result.stdout
    for source in (README, GETTING_STARTED):
        quoted = _quoted_demo_output(source)
        *lines, wrote = quoted.splitlines()
        *printed_lines, _ = out.splitlines()
        # the same lines but for the figures, and the picture's path shortened
        assert [NUMBER.sub("#", line) for line in lines] == [
            NUMBER.sub("#", line) for line in printed_lines
        ], source
        assert wrote == f"wrote .../{picture}", source
        assert figure("test accuracy", out) == figure("test accuracy", quoted), source
        assert "generated 500 samples (50 per class)" in quoted
        for name, margin in [
            ("network agrees with the requested label", 0.8),
            ("SVC agrees with the requested label", 2.0),
            (r"diversity \(generated / real spread\)", 0.2),
        ]:
            assert abs(figure(name, out) - figure(name, quoted)) <= margin, (source, name)
