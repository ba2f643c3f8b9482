"""The database: one SQLite connection per request, kept on ``g``."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import click

from microweb import App as Flask
from microweb import current_app, g

SCHEMA = Path(__file__).with_name("schema.sql")


def get_db() -> sqlite3.Connection:
    """The connection of this request (or app context), opened on first use."""
    if "db" not in g:
        g.db = sqlite3.connect(current_app.config["DATABASE"])
        # Rows behave like dicts: row["title"], dict(row).
        g.db.row_factory = sqlite3.Row
        g.db.execute("PRAGMA foreign_keys = ON")
    return g.db


def close_db(error: BaseException | None = None) -> None:
    """Close the connection, if this context opened one."""
    db = g.pop("db", None)
    if db is not None:
        db.close()


def init_db() -> None:
    """Create the tables, dropping the old ones and their data."""
    get_db().executescript(SCHEMA.read_text(encoding="utf-8"))


def init_app(app: Flask) -> None:
    """Register the teardown and the ``init-db`` command with *app*."""
    app.teardown_appcontext(close_db)

    @app.cli.command("init-db")
    def init_db_command() -> None:
        """Create the tables (and drop the old data)."""
        init_db()
        click.echo(f"Initialized the database in {current_app.config['DATABASE']}.")
