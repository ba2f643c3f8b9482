"""``python -m microweb``: the ``microweb`` command (see :mod:`microweb.cli`).

``python -m microweb --version`` prints ``microweb <version> (<native|pure> core)``.
"""

from __future__ import annotations

from microweb.cli import main

if __name__ == "__main__":
    main()
