"""Journal: a small shared journal, written as a Flask app is.

Everyone can read the entries; members write them, and only an entry's author can
change or delete it. The same data is served as JSON under ``/api``.

It is a Flask app in all but its imports: write ``flask`` for ``microweb`` in them
(and ``from flask import Flask`` for ``from microweb import App as Flask``) and it
runs on Flask, unchanged otherwise.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from microweb import App as Flask

from . import api, auth, db, entries, errors


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: its configuration, database, blueprints and error pages.

    :param test_config: settings that replace the instance configuration, for the
        tests (for instance ``{"TESTING": True, "DATABASE": ...}``).
    """
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(
        # Replace it in production: in instance/config.py, or with the
        # JOURNAL_SECRET_KEY environment variable.
        SECRET_KEY="dev",
        DATABASE=os.path.join(app.instance_path, "journal.sqlite"),
        SESSION_COOKIE_SAMESITE="Lax",
    )
    if test_config is None:
        # The instance folder holds the database and the local configuration.
        os.makedirs(app.instance_path, exist_ok=True)
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("JOURNAL")
    else:
        app.config.from_mapping(test_config)

    db.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(entries.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(errors.bp)
    return app
