"""Choose between the compiled and the pure-Python twin of a core.

Each hot path (routing, dispatch, signing) ships twice: a Cython module
``_<name>_c`` and a pure-Python module ``_<name>_py`` with the same names and the same
behaviour. The front module of each core calls :func:`load` once at import time.
"""

from __future__ import annotations

import importlib
import os
import platform
from types import ModuleType

#: Set to any non-empty value to use the pure-Python cores (and to skip the compile
#: when installing).
NO_EXTENSIONS_ENV = "MICROWEB_NO_EXTENSIONS"
#: Set to ``1`` to make a missing compiled core an ImportError instead of a fallback.
REQUIRE_EXTENSIONS_ENV = "MICROWEB_REQUIRE_EXTENSIONS"


def load(name: str) -> ModuleType:
    """Import the twin of core *name* that this process should use.

    :param name: the core's short name, for example ``"routing"``.
    """
    if os.environ.get(NO_EXTENSIONS_ENV):
        return importlib.import_module(f"microweb._{name}_py")
    if platform.python_implementation() == "CPython":
        try:
            return importlib.import_module(f"microweb._{name}_c")
        except ImportError:
            if os.environ.get(REQUIRE_EXTENSIONS_ENV) == "1":
                raise
    elif os.environ.get(REQUIRE_EXTENSIONS_ENV) == "1":
        raise ImportError(
            f"{REQUIRE_EXTENSIONS_ENV}=1 but compiled cores need CPython, "
            f"not {platform.python_implementation()}"
        )
    return importlib.import_module(f"microweb._{name}_py")


def is_native(module: ModuleType) -> bool:
    """Tell whether *module* is a compiled twin."""
    return module.__name__.endswith("_c")
