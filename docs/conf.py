"""Sphinx configuration of the sklearn-revnet documentation.

Build from the repository root with::

    sphinx-build -W -b html docs docs/_build/html

The build needs no network: intersphinx reads the small inventories in
``docs/_intersphinx/`` (written by ``docs/_intersphinx/make_inventories.py``)
and links to the real scikit-learn, NumPy, SciPy and Python sites.
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

try:
    import sklearn_revnet
except ImportError:  # not installed: document the checkout this file belongs to
    sys.path.insert(0, str(HERE.parent))
    import sklearn_revnet

# -- Project -----------------------------------------------------------------

project = "sklearn-revnet"
author = "the sklearn-revnet developers"
copyright = "the sklearn-revnet developers"
release = sklearn_revnet.__version__
version = ".".join(release.split(".")[:2])

# -- General -----------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = [
    "_build",
    "_intersphinx",
    "Thumbs.db",
    ".DS_Store",
]
root_doc = "index"
language = "en"

# Every cross-reference must resolve: a missing target is a warning, and the
# build runs with -W. Fix the reference, or add a genuinely external target
# to docs/_intersphinx/make_inventories.py.
nitpicky = True

default_role = "literal"
pygments_style = "sphinx"

# -- autodoc / autosummary ---------------------------------------------------

autosummary_generate = True
# The templates in docs/_templates/autosummary/ list the members explicitly;
# these defaults apply to any other autodoc directive.
autodoc_default_options = {"members": True, "inherited-members": True}
autodoc_typehints = "none"
autodoc_member_order = "groupwise"

# -- numpydoc ----------------------------------------------------------------

# As scikit-learn and the scikit-learn-contrib projects: numpydoc does not add
# its own member tables (autodoc documents the members once, through the
# class template), so no object is described twice.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
# Link the types in "Parameters" and "Returns" to their documentation. Words
# that are neither a Python, NumPy or scikit-learn object nor in the aliases
# below ("of", "shape", "default", ...) stay plain text.
numpydoc_xref_param_type = True
numpydoc_xref_ignore = "all"
numpydoc_xref_aliases = {
    "array-like": ":term:`array-like <sklearn:array-like>`",
    "sparse matrix": ":term:`sparse matrix <sklearn:sparse matrix>`",
    "estimator": ":term:`estimator <sklearn:estimator>`",
    # a term, not :func:`callable`, which would render as "callable()"
    "callable": ":term:`callable <python:callable>`",
    "RandomState": "numpy.random.RandomState",
    "ndarray": "numpy.ndarray",
    "Pipeline": "sklearn.pipeline.Pipeline",
    "MetadataRequest": "sklearn.utils.metadata_routing.MetadataRequest",
    "ReversibleMLPClassifier": "sklearn_revnet.ReversibleMLPClassifier",
    "Whitener": "sklearn_revnet.Whitener",
}

# -- intersphinx (offline) ---------------------------------------------------

# (base URL of the real site, local inventory): links go to the real site,
# the inventory is read from docs/_intersphinx/ and nothing is downloaded.
intersphinx_mapping = {
    "python": ("https://docs.python.org/3/", "_intersphinx/python.inv"),
    "numpy": ("https://numpy.org/doc/stable/", "_intersphinx/numpy.inv"),
    "scipy": ("https://docs.scipy.org/doc/scipy/", "_intersphinx/scipy.inv"),
    "sklearn": ("https://scikit-learn.org/stable/", "_intersphinx/sklearn.inv"),
}

# -- sphinx-gallery ----------------------------------------------------------

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    # Only plot_*.py scripts are executed and shown; demo_digits.py is a
    # command-line demo (see the Getting started page), not a gallery example.
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"demo_",
    "within_subsection_order": "FileNameSortKey",
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    # "Examples using ..." on each API page: the minigallery directive of the
    # autosummary templates reads the backreferences of this package.
    "doc_module": ("sklearn_revnet",),
    "backreferences_dir": "generated",
    # Link the code of the examples to the API pages of this package. Only
    # sphinx-gallery < 0.22 reads it (the docs extra does not pin a version);
    # 0.22 ignores it with an info message and links the code to this
    # documentation and, through the intersphinx inventories above, to
    # scikit-learn, NumPy and SciPy by itself.
    "reference_url": {"sklearn_revnet": None},
    "remove_config_comments": True,
    "show_memory": False,
    "download_all_examples": False,
}

# -- HTML --------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"sklearn-revnet {release}"
html_short_title = "sklearn-revnet"
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "secondary_sidebar_items": ["page-toc", "sourcelink"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
}
html_sidebars = {
    "index": [],
    "getting_started": [],
    "user_guide": [],
}
html_show_sourcelink = True
html_copy_source = True
