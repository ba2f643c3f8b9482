"""microweb: Flask's API at close to the speed of a bare WSGI callable."""

from __future__ import annotations

from . import routing
from ._cores import is_native

__version__ = "0.1.0"

#: ``"native"`` when the compiled cores are loaded, ``"pure"`` otherwise.
IMPLEMENTATION: str = "native" if is_native(routing.core) else "pure"

__all__ = ["IMPLEMENTATION", "__version__"]
