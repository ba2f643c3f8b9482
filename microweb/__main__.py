"""``python -m microweb --version``: print the version and the loaded core."""

from __future__ import annotations

import argparse

import microweb


def main(argv: list[str] | None = None) -> int:
    """Run the ``python -m microweb`` command line."""
    parser = argparse.ArgumentParser(prog="python -m microweb")
    parser.add_argument(
        "--version",
        action="version",
        version=f"microweb {microweb.__version__} ({microweb.IMPLEMENTATION} core)",
    )
    parser.parse_args(argv)
    parser.print_help()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
