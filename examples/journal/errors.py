"""Error pages: HTML for people, JSON under ``/api/`` for programs."""

from __future__ import annotations

from typing import Any

from werkzeug.exceptions import HTTPException

from microweb import Blueprint, current_app, render_template, request

bp = Blueprint("errors", __name__)

#: What the page says first, by status code.
HEADLINES = {
    400: "That request did not make sense to us.",
    401: "Who are you?",
    403: "That is not yours to change.",
    404: "This page is not in the journal.",
    405: "That is not something this page does.",
    500: "Something broke on our side.",
}


@bp.app_errorhandler(400)
@bp.app_errorhandler(401)
@bp.app_errorhandler(403)
@bp.app_errorhandler(404)
@bp.app_errorhandler(405)
@bp.app_errorhandler(500)
def show_error(error: HTTPException) -> Any:
    if request.path.startswith("/api/"):
        # Werkzeug's response keeps the error's headers (Allow, WWW-Authenticate).
        response = error.get_response()
        body = {"error": error.name, "message": error.description}
        response.data = current_app.json.dumps(body)
        response.content_type = "application/json"
        return response
    headline = HEADLINES.get(error.code or 500, error.name)
    page = render_template("error.html", error=error, headline=headline)
    return page, error.code
