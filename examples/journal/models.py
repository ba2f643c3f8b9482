"""The entries: queries and validation, shared by the pages and the JSON API."""

from __future__ import annotations

import sqlite3
from typing import Any

from microweb import abort, g

from .db import get_db

TITLE_MAX_LENGTH = 120
BODY_MAX_LENGTH = 10_000

# Times are stored in UTC, as SQLite's CURRENT_TIMESTAMP gives them, and shown in
# ISO 8601.
SELECT_ENTRIES = """
    SELECT entry.id, title, body, author_id, username AS author,
        strftime('%Y-%m-%dT%H:%M:%SZ', created) AS created,
        strftime('%Y-%m-%dT%H:%M:%SZ', updated) AS updated
    FROM entry JOIN user ON user.id = entry.author_id
"""


def list_entries() -> list[sqlite3.Row]:
    """Every entry, newest first."""
    query = SELECT_ENTRIES + " ORDER BY entry.id DESC"
    return get_db().execute(query).fetchall()


def get_entry(entry_id: int, check_author: bool = True) -> sqlite3.Row:
    """The entry *entry_id*: 404 when there is none, 403 when *check_author* is
    true and the logged-in user did not write it."""
    entry = get_db().execute(SELECT_ENTRIES + " WHERE entry.id = ?", (entry_id,))
    row = entry.fetchone()
    if row is None:
        abort(404, f"There is no entry {entry_id}.")
    if check_author and (g.user is None or row["author_id"] != g.user["id"]):
        abort(403, "Only its author can change an entry.")
    return row


def validate_entry(title: Any, body: Any) -> dict[str, str]:
    """The problems with this title and body, by field (empty when there are none)."""
    errors = {}
    if not isinstance(title, str) or not title.strip():
        errors["title"] = "Give the entry a title."
    elif len(title) > TITLE_MAX_LENGTH:
        errors["title"] = f"A title has at most {TITLE_MAX_LENGTH} characters."
    if not isinstance(body, str):
        errors["body"] = "The text must be a string."
    elif len(body) > BODY_MAX_LENGTH:
        errors["body"] = f"The text has at most {BODY_MAX_LENGTH} characters."
    return errors


def create_entry(title: str, body: str) -> int:
    """Store a new entry by the logged-in user; return its id."""
    db = get_db()
    cursor = db.execute(
        "INSERT INTO entry (title, body, author_id) VALUES (?, ?, ?)",
        (title.strip(), body.strip(), g.user["id"]),
    )
    db.commit()
    return int(cursor.lastrowid or 0)


def update_entry(entry_id: int, title: str, body: str) -> None:
    db = get_db()
    db.execute(
        "UPDATE entry SET title = ?, body = ?, updated = CURRENT_TIMESTAMP"
        " WHERE id = ?",
        (title.strip(), body.strip(), entry_id),
    )
    db.commit()


def delete_entry(entry_id: int) -> None:
    db = get_db()
    db.execute("DELETE FROM entry WHERE id = ?", (entry_id,))
    db.commit()


def as_json(entry: sqlite3.Row) -> dict[str, Any]:
    """The entry as the API shows it."""
    return {
        "id": entry["id"],
        "title": entry["title"],
        "body": entry["body"],
        "author": entry["author"],
        "created": entry["created"],
        "updated": entry["updated"],
    }
