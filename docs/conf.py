"""Sphinx configuration for microweb's docs (built with ``-W``: warnings fail)."""

from __future__ import annotations

import microweb

project = "microweb"
author = "the microweb developers"
copyright = "the microweb developers"
release = microweb.__version__
version = ".".join(release.split(".")[:2])

# No intersphinx: the docs must build offline.
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.doctest",
]

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {
    "no-inherited-members": True,
}
# References to Werkzeug or standard-library classes in docstrings have no target
# here (no intersphinx); do not fail the build on them.
nitpicky = False

exclude_patterns = ["_build"]
html_theme = "alabaster"
html_title = f"microweb {release}"
