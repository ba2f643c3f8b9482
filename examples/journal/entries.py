"""The pages of the journal: read, write, edit and delete entries."""

from __future__ import annotations

from typing import Any

from microweb import Blueprint, flash, redirect, render_template, request, url_for

from . import models
from .auth import login_required

bp = Blueprint("entries", __name__)


@bp.get("/")
def index() -> str:
    return render_template("entries/index.html", entries=models.list_entries())


@bp.route("/new", methods=("GET", "POST"))
@login_required
def create() -> Any:
    title = request.form.get("title", "")
    body = request.form.get("body", "")
    errors: dict[str, str] = {}
    if request.method == "POST":
        errors = models.validate_entry(title, body)
        if not errors:
            models.create_entry(title, body)
            flash("Your entry is saved.", "success")
            return redirect(url_for("entries.index"))
    page = render_template(
        "entries/form.html", entry=None, title=title, body=body, errors=errors
    )
    return page, 400 if errors else 200


@bp.route("/<int:entry_id>/edit", methods=("GET", "POST"))
@login_required
def update(entry_id: int) -> Any:
    entry = models.get_entry(entry_id)
    title = request.form.get("title", entry["title"])
    body = request.form.get("body", entry["body"])
    errors: dict[str, str] = {}
    if request.method == "POST":
        errors = models.validate_entry(title, body)
        if not errors:
            models.update_entry(entry_id, title, body)
            flash("Your changes are saved.", "success")
            return redirect(url_for("entries.index"))
    page = render_template(
        "entries/form.html", entry=entry, title=title, body=body, errors=errors
    )
    return page, 400 if errors else 200


@bp.post("/<int:entry_id>/delete")
@login_required
def delete(entry_id: int) -> Any:
    entry = models.get_entry(entry_id)
    models.delete_entry(entry_id)
    flash(f"“{entry['title']}” is deleted.", "info")
    return redirect(url_for("entries.index"))
