"""Accounts: register, log in, log out; ``g.user`` on every request."""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable
from typing import Any

from werkzeug.security import check_password_hash, generate_password_hash

from microweb import (
    Blueprint,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from .db import get_db

bp = Blueprint("auth", __name__, url_prefix="/auth")

USERNAME_LENGTH = (3, 32)
PASSWORD_MIN_LENGTH = 8


@bp.before_app_request
def load_logged_in_user() -> None:
    """Put the logged-in user (a row, or ``None``) on ``g.user``."""
    user_id = session.get("user_id")
    g.user = None
    if user_id is not None:
        g.user = (
            get_db().execute("SELECT * FROM user WHERE id = ?", (user_id,)).fetchone()
        )


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Send visitors who are not logged in to the login page, and back after."""

    @functools.wraps(view)
    def wrapped_view(*args: Any, **kwargs: Any) -> Any:
        if g.user is None:
            flash("Please log in first.", "info")
            return redirect(url_for("auth.login", next=request.path))
        return view(*args, **kwargs)

    return wrapped_view


def find_user(username: str, password: str) -> Any:
    """The user with these credentials, or ``None``."""
    user = (
        get_db()
        .execute("SELECT * FROM user WHERE username = ?", (username,))
        .fetchone()
    )
    if user is None or not check_password_hash(user["password"], password):
        return None
    return user


def is_local(target: str) -> bool:
    """Tell whether *target* is a path on this site (and so safe to go back to)."""
    return target.startswith("/") and not target.startswith(("//", "/\\"))


@bp.route("/register", methods=("GET", "POST"))
def register() -> Any:
    errors: dict[str, str] = {}
    username = request.form.get("username", "").strip()
    if request.method == "POST":
        password = request.form.get("password", "")
        shortest, longest = USERNAME_LENGTH
        if not username:
            errors["username"] = "Choose a username."
        elif not shortest <= len(username) <= longest:
            errors["username"] = f"A username has {shortest} to {longest} characters."
        if len(password) < PASSWORD_MIN_LENGTH:
            errors["password"] = (
                f"A password has at least {PASSWORD_MIN_LENGTH} characters."
            )
        if not errors:
            db = get_db()
            try:
                db.execute(
                    "INSERT INTO user (username, password) VALUES (?, ?)",
                    (username, generate_password_hash(password)),
                )
                db.commit()
            except sqlite3.IntegrityError:
                errors["username"] = f"The name {username} is already taken."
            else:
                flash(f"Welcome, {username}! You can log in now.", "success")
                return redirect(url_for("auth.login"))
    status = 400 if errors else 200
    return render_template(
        "auth/register.html", errors=errors, username=username
    ), status


@bp.route("/login", methods=("GET", "POST"))
def login() -> Any:
    error = None
    username = request.form.get("username", "").strip()
    if request.method == "POST":
        user = find_user(username, request.form.get("password", ""))
        if user is None:
            error = "Wrong username or password."
        else:
            session.clear()
            session["user_id"] = user["id"]
            flash(f"Hello again, {user['username']}.", "success")
            target = request.args.get("next", "")
            return redirect(target if is_local(target) else url_for("entries.index"))
    status = 400 if error else 200
    return render_template("auth/login.html", error=error, username=username), status


@bp.post("/logout")
def logout() -> Any:
    session.clear()
    flash("You have logged out. See you soon!", "info")
    return redirect(url_for("entries.index"))
