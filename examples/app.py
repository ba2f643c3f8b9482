"""Serve the journal example on http://127.0.0.1:5000: ``python examples/app.py``.

The app is the ``journal`` package beside this file (``create_app`` builds it). On
the first run this creates its SQLite database in the app's instance folder. Pass
``--debug`` (or set ``MICROWEB_DEBUG=1``) for the reloader and Werkzeug's
interactive debugger; never do that where others can reach the server.

The command line does the same from this folder::

    microweb --app journal init-db
    microweb --app journal run --debug
"""

from __future__ import annotations

import argparse
import os
import sys

# Python puts this folder on sys.path when it runs this file as a script; the line
# also covers running it otherwise (runpy, an import from elsewhere).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from journal import create_app  # noqa: E402
from journal.db import init_db  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument(
        "--debug",
        action="store_true",
        default=os.environ.get("MICROWEB_DEBUG") == "1",
        help="reload on changes and show the interactive debugger",
    )
    options = parser.parse_args()

    app = create_app()
    if not os.path.exists(app.config["DATABASE"]):
        with app.app_context():
            init_db()
        print(f" * Created the database {app.config['DATABASE']}")
    app.run(host=options.host, port=options.port, debug=options.debug)


if __name__ == "__main__":
    main()
