"""Write the small intersphinx inventories the documentation reads offline.

The documentation links to scikit-learn, NumPy, SciPy and Python, but the
build must not download their ``objects.inv`` (no network on CI; a failed
download is a warning and the build runs with ``-W``). So ``conf.py`` maps
each project to its real site and to a local inventory written by this
script::

    intersphinx_mapping = {
        "sklearn": ("https://scikit-learn.org/stable/", "_intersphinx/sklearn.inv"),
        ...
    }

Each inventory lists only the objects that the pages and the docstrings
(including the scikit-learn docstrings of inherited methods) reference, with
the URL layout of the real site, relative to the base URL above. The files
use the ``objects.inv`` version 2 format: four header lines, then
zlib-compressed lines ``name domain:role priority uri display-name``, where
a URI ending in ``$`` stands for the URI with ``$`` replaced by the name and
a display name ``-`` for the name itself.

A reference that Sphinx cannot resolve is a warning (``nitpicky = True`` in
``conf.py``): when the docs start referring to a new external object, add it
here and run::

    python docs/_intersphinx/make_inventories.py

which rewrites ``sklearn.inv``, ``numpy.inv``, ``scipy.inv`` and
``python.inv`` next to this script (commit them too).
"""

import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _generated(prefix):
    """Entries of a site where every object has its own page named after it.

    ``prefix`` is the folder of those pages, for example
    ``"modules/generated/"`` (scikit-learn) or ``"reference/generated/"``
    (NumPy, SciPy). Returns a function turning ``(name, role)`` pairs into
    inventory entries; a method or attribute lives on its class's page.
    """

    def entries(objects):
        rows = []
        for name, role in objects:
            if role in ("py:method", "py:attribute", "py:property"):
                page = name.rsplit(".", 1)[0]
            else:
                page = name
            rows.append((name, role, 1, f"{prefix}{page}.html#{name}", "-"))
        return rows

    return entries


def _on_page(page, objects, priority=1):
    """Entries of objects documented together on one page, anchored by name."""
    return [(name, role, priority, f"{page}#{name}", "-") for name, role in objects]


def _label(name, uri, title):
    """A section label (the target of ``:ref:`name```), shown as ``title``."""
    return (name, "std:label", -1, uri, title)


def _term(name, uri):
    """A glossary term (the target of ``:term:`name```)."""
    return (name, "std:term", -1, uri, "-")


# --------------------------------------------------------------- scikit-learn

_sklearn_generated = _generated("modules/generated/")

SKLEARN = [
    *_sklearn_generated(
        [
            ("sklearn.neural_network.MLPClassifier", "py:class"),
            ("sklearn.compose.ColumnTransformer", "py:class"),
            ("sklearn.pipeline.Pipeline", "py:class"),
            ("sklearn.pipeline.Pipeline.inverse_transform", "py:method"),
            ("sklearn.pipeline.make_pipeline", "py:function"),
            ("sklearn.model_selection.GridSearchCV", "py:class"),
            ("sklearn.model_selection.cross_val_score", "py:function"),
            ("sklearn.model_selection.train_test_split", "py:function"),
            ("sklearn.decomposition.PCA", "py:class"),
            ("sklearn.mixture.GaussianMixture", "py:class"),
            ("sklearn.preprocessing.MinMaxScaler", "py:class"),
            ("sklearn.decomposition.PCA.inverse_transform", "py:method"),
            ("sklearn.preprocessing.StandardScaler", "py:class"),
            ("sklearn.svm.SVC", "py:class"),
            ("sklearn.base.clone", "py:function"),
            ("sklearn.datasets.load_digits", "py:function"),
            ("sklearn.set_config", "py:function"),
            ("sklearn.utils.metadata_routing.MetadataRequest", "py:class"),
            ("sklearn.exceptions.ConvergenceWarning", "py:class"),
            # methods called in the gallery examples (sphinx-gallery links them)
            ("sklearn.pipeline.Pipeline.fit", "py:method"),
            ("sklearn.pipeline.Pipeline.predict", "py:method"),
            ("sklearn.pipeline.Pipeline.predict_proba", "py:method"),
            ("sklearn.pipeline.Pipeline.score", "py:method"),
            ("sklearn.pipeline.Pipeline.set_params", "py:method"),
            ("sklearn.model_selection.GridSearchCV.fit", "py:method"),
            ("sklearn.model_selection.GridSearchCV.inverse_transform", "py:method"),
            ("sklearn.model_selection.GridSearchCV.predict", "py:method"),
            ("sklearn.model_selection.GridSearchCV.score", "py:method"),
        ]
    ),
    # Glossary terms (Sphinx anchors a term as "term-" + the term itself).
    *[
        _term(term, f"glossary.html#term-{term.replace(' ', '-')}")
        for term in [
            "array-like",
            "sparse matrix",
            "estimator",
            "meta-estimator",
        ]
    ],
    # Section labels referenced by the docstrings of inherited methods.
    _label("metadata_routing", "metadata_routing.html#metadata-routing", "Metadata Routing"),
    _label("accuracy_score", "modules/model_evaluation.html#accuracy-score", "Accuracy score"),
    _label(
        "df_output_transform",
        "modules/df_output_transform.html#df-output-transform",
        "Pandas/Polars Output for Transformers with set_output API",
    ),
    _label(
        "sphx_glr_auto_examples_miscellaneous_plot_set_output.py",
        "auto_examples/miscellaneous/plot_set_output.html"
        "#sphx-glr-auto-examples-miscellaneous-plot-set-output-py",
        "Introducing the set_output API",
    ),
]

# ---------------------------------------------------------------------- NumPy

NUMPY = [
    *_generated("reference/generated/")(
        [
            ("numpy.ndarray", "py:class"),
            # used by the code of the gallery examples (sphinx-gallery links
            # every object it can find in an inventory)
            ("numpy.allclose", "py:function"),
            ("numpy.arange", "py:function"),
            ("numpy.clip", "py:function"),
            ("numpy.cov", "py:function"),
            ("numpy.eye", "py:function"),
            ("numpy.linspace", "py:function"),
            ("numpy.mean", "py:function"),
            ("numpy.repeat", "py:function"),
            ("numpy.vstack", "py:function"),
            ("numpy.zeros", "py:function"),
        ]
    ),
    *_on_page(
        "reference/random/legacy.html",
        [
            ("numpy.random.RandomState", "py:class"),
        ],
    ),
]

# ---------------------------------------------------------------------- SciPy

SCIPY = [
    *_generated("reference/generated/")(
        [
            ("scipy.optimize.minimize", "py:function"),
        ]
    ),
]

# --------------------------------------------------------------------- Python

PYTHON = [
    *_on_page(
        "library/functions.html",
        [
            ("float", "py:class"),
            ("int", "py:class"),
        ],
    ),
    *_on_page(
        "library/stdtypes.html",
        [
            ("list", "py:class"),
            ("tuple", "py:class"),
            ("dict", "py:class"),
            ("str", "py:class"),
        ],
    ),
    *_on_page(
        "library/constants.html",
        [("None", "py:data"), ("True", "py:data"), ("False", "py:data")],
    ),
    _term("callable", "glossary.html#term-callable"),
    *_on_page("library/exceptions.html", [("TypeError", "py:exception")]),
    ("pickle", "py:module", 0, "library/pickle.html#module-pickle", "-"),
    _label(
        "bltin-boolean-values", "library/stdtypes.html#bltin-boolean-values", "Boolean Type - bool"
    ),
]

INVENTORIES = {
    "sklearn.inv": ("scikit-learn", "stable", SKLEARN),
    "numpy.inv": ("NumPy", "stable", NUMPY),
    "scipy.inv": ("SciPy", "stable", SCIPY),
    "python.inv": ("Python", "3", PYTHON),
}


def inventory_bytes(project, version, entries):
    """The ``objects.inv`` (version 2) bytes for ``entries``."""
    header = (
        "# Sphinx inventory version 2\n"
        f"# Project: {project}\n"
        f"# Version: {version}\n"
        "# The remainder of this file is compressed using zlib.\n"
    )
    lines = []
    for name, role, priority, uri, display in sorted(set(entries)):
        if uri.endswith("#" + name):  # the usual shorthand for "anchor = name"
            uri = uri[: -len(name)] + "$"
        lines.append(f"{name} {role} {priority} {uri} {display}\n")
    return header.encode() + zlib.compress("".join(lines).encode(), 9)


def check(data, n_entries):
    """Read ``data`` back with Sphinx's own loader, when Sphinx is installed."""
    try:
        from sphinx.util.inventory import InventoryFile
    except ImportError:
        return
    inventory = InventoryFile.loads(data, uri="https://example.org/")
    n_loaded = sum(len(objects) for objects in inventory.data.values())
    if n_loaded != n_entries:
        raise RuntimeError(f"Sphinx read {n_loaded} objects back, expected {n_entries}")


def main():
    for filename, (project, version, entries) in INVENTORIES.items():
        data = inventory_bytes(project, version, entries)
        check(data, len(set(entries)))
        path = HERE / filename
        path.write_bytes(data)
        print(f"wrote {path.name}: {len(set(entries))} objects")


if __name__ == "__main__":
    main()
