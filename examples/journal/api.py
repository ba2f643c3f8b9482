"""The JSON API: the same entries, for programs.

Reading is open to all. Writing needs a user: the browser's session, or HTTP Basic
credentials (``curl -u name:password``)::

    curl -u ada:password -H 'Content-Type: application/json' \\
        -d '{"title": "Hello", "body": "From curl"}' http://127.0.0.1:5000/api/entries
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from werkzeug.datastructures import WWWAuthenticate

from microweb import Blueprint, abort, g, request, url_for

from . import models
from .auth import find_user

bp = Blueprint("api", __name__, url_prefix="/api")


def unauthorized(message: str) -> Any:
    """Stop here with a 401 that asks for Basic credentials."""
    challenge = WWWAuthenticate("basic", {"realm": "journal"})
    abort(401, description=message, www_authenticate=challenge)


@bp.before_request
def authenticate() -> None:
    """Log in the client that sends Basic credentials."""
    credentials = request.authorization
    if credentials is None or credentials.type != "basic":
        return
    g.user = find_user(credentials.username or "", credentials.password or "")
    if g.user is None:
        unauthorized("Wrong username or password.")


@bp.before_request
def remember_request_id() -> None:
    """Keep the id a client gave its request (``?id=``), for the answer to echo."""
    g.request_id = request.args.get("id")


def user_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Answer 401 to the clients who are not logged in."""

    @functools.wraps(view)
    def wrapped_view(*args: Any, **kwargs: Any) -> Any:
        if g.user is None:
            unauthorized("Log in, or send your credentials with HTTP Basic.")
        return view(*args, **kwargs)

    return wrapped_view


def invalid(errors: dict[str, str]) -> tuple[dict[str, Any], int]:
    """A 400 answer that names the fields in error."""
    message = "The entry is not valid."
    return {"error": "Bad Request", "message": message, "fields": errors}, 400


def json_object() -> dict[str, Any]:
    """The request's JSON body, which must be an object (else 400)."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(400, description="Send a JSON object (Content-Type: application/json).")
    return data


@bp.get("/ping")
def ping() -> dict[str, Any]:
    """Tell a client (a load balancer, a monitor) that the journal answers, and
    who it takes the client for: ``{"ok": true, "id": "7", "user": "ada"}``."""
    user = g.user["username"] if g.user is not None else None
    return {"ok": True, "id": g.request_id, "user": user}


@bp.get("/entries")
def list_entries() -> list[dict[str, Any]]:
    return [models.as_json(entry) for entry in models.list_entries()]


@bp.get("/entries/<int:entry_id>")
def get_entry(entry_id: int) -> dict[str, Any]:
    return models.as_json(models.get_entry(entry_id, check_author=False))


@bp.post("/entries")
@user_required
def create_entry() -> Any:
    data = json_object()
    title, body = data.get("title"), data.get("body", "")
    errors = models.validate_entry(title, body)
    if errors:
        return invalid(errors)
    entry_id = models.create_entry(title, body)
    entry = models.as_json(models.get_entry(entry_id))
    location = url_for("api.get_entry", entry_id=entry_id)
    return entry, 201, {"Location": location}


@bp.patch("/entries/<int:entry_id>")
@user_required
def update_entry(entry_id: int) -> Any:
    entry = models.get_entry(entry_id)
    data = json_object()
    title = data.get("title", entry["title"])
    body = data.get("body", entry["body"])
    errors = models.validate_entry(title, body)
    if errors:
        return invalid(errors)
    models.update_entry(entry_id, title, body)
    return models.as_json(models.get_entry(entry_id))


@bp.delete("/entries/<int:entry_id>")
@user_required
def delete_entry(entry_id: int) -> tuple[str, int]:
    models.get_entry(entry_id)
    models.delete_entry(entry_id)
    return "", 204
