"""Sphinx configuration for microweb's docs (built with ``-W``: warnings fail).

The build needs no network. ``MICROWEB_DOCS_INTERSPHINX=1`` adds links to the Python,
Werkzeug, Flask, itsdangerous and blinker docs; it fetches their inventories, so set
it only where the network is there (a failed fetch is a warning, and ``-W`` makes
it an error).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import microweb

# Local extensions: perf_results draws the Performance page's tables and plots from
# docs/perf-results/*.json at build time (the plots go to docs/_generated/).
sys.path.insert(0, str(Path(__file__).resolve().parent / "_ext"))

project = "microweb"
author = "the microweb developers"
copyright = "the microweb developers"
release = microweb.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.doctest",
    "perf_results",
]

if os.environ.get("MICROWEB_DOCS_INTERSPHINX") == "1":
    extensions.append("sphinx.ext.intersphinx")
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3/", None),
        "werkzeug": ("https://werkzeug.palletsprojects.com/en/stable/", None),
        "flask": ("https://flask.palletsprojects.com/en/stable/", None),
        "itsdangerous": ("https://itsdangerous.palletsprojects.com/en/stable/", None),
        "blinker": ("https://blinker.readthedocs.io/en/stable/", None),
    }

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {
    "no-inherited-members": True,
}
# References to Werkzeug or standard-library classes in docstrings have no target
# without intersphinx; do not fail the build on them.
nitpicky = False

# Code examples run under ``sphinx-build -b doctest``; each page is its own
# namespace. Only ``>>>`` blocks and ``testcode`` blocks run; ``code-block``s are
# shell commands, config files or snippets that need a server.
doctest_test_doctest_blocks = "default"

exclude_patterns = ["_build", "_generated"]
html_theme = "furo"
html_title = f"microweb {release}"
