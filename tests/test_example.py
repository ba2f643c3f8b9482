"""The example app (``examples/journal``), through the test client.

The journal is a small application written as a Flask app is: accounts, sessions,
flashed messages, blueprints, templates, static files, a JSON API, error pages and
a command. These tests use it as its users do, on a fresh SQLite database each.

Each test runs on microweb, then on Flask: the package imported a second time (as
``journal_on_flask``) with ``microweb`` standing for Flask, which is what changing
the imports does. So the app, and these tests, are the same on both.
"""

from __future__ import annotations

import importlib.util
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from werkzeug.security import check_password_hash, generate_password_hash

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
PACKAGE = EXAMPLES / "journal"
if not (PACKAGE / "__init__.py").is_file():
    pytest.skip(
        f"the example app is not at {PACKAGE} (these tests were copied without the "
        "source tree's examples/ folder)",
        allow_module_level=True,
    )

#: The members every test starts with, and their passwords.
PASSWORDS = {"ada": "analytical-engine", "grace": "compiler-1952"}


def import_journal_on_flask() -> ModuleType:
    """The journal package, imported as ``journal_on_flask`` while ``microweb``
    names a module of Flask's objects (``App`` being ``flask.Flask``)."""
    name = "journal_on_flask"
    if name in sys.modules:
        return sys.modules[name]
    flask = pytest.importorskip("flask")
    framework = ModuleType("microweb")
    framework.__dict__.update(vars(flask))
    framework.App = flask.Flask  # type: ignore[attr-defined]
    spec = importlib.util.spec_from_file_location(
        name, PACKAGE / "__init__.py", submodule_search_locations=[str(PACKAGE)]
    )
    assert spec is not None and spec.loader is not None
    package = importlib.util.module_from_spec(spec)
    microweb = sys.modules.pop("microweb", None)
    sys.modules["microweb"] = framework
    sys.modules[name] = package
    try:
        spec.loader.exec_module(package)
    except BaseException:
        del sys.modules[name]
        raise
    finally:
        if microweb is None:
            del sys.modules["microweb"]
        else:
            sys.modules["microweb"] = microweb
    return package


def import_journal() -> ModuleType:
    """The journal package, on microweb, imported as ``python examples/app.py``
    does."""
    if str(EXAMPLES) not in sys.path:
        sys.path.insert(0, str(EXAMPLES))
    import journal

    return journal


@pytest.fixture(params=["microweb", "flask"])
def journal(request: pytest.FixtureRequest) -> ModuleType:
    """The ``journal`` package on microweb, then on Flask."""
    if request.param == "flask":
        return import_journal_on_flask()
    return import_journal()


def seed(journal: ModuleType, app: Any) -> None:
    """Create the tables, two members and an entry by each."""
    with app.app_context():
        journal.db.init_db()
        db = journal.db.get_db()
        for username, password in PASSWORDS.items():
            # A cheap hash keeps the tests fast; the app makes scrypt ones.
            hashed = generate_password_hash(password, method="pbkdf2:sha256:1000")
            db.execute(
                "INSERT INTO user (username, password) VALUES (?, ?)",
                (username, hashed),
            )
        db.executemany(
            "INSERT INTO entry (author_id, title, body) VALUES (?, ?, ?)",
            [
                (1, "Notes on the engine", "It weaves algebraic patterns."),
                (2, "A moth in relay 70", "First actual case of bug being found."),
            ],
        )
        db.commit()


@pytest.fixture
def app(journal: ModuleType, tmp_path: Path) -> Iterator[Any]:
    application = journal.create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "testing",
            "DATABASE": str(tmp_path / "journal.sqlite"),
        }
    )
    seed(journal, application)
    yield application


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


def log_in(client: Any, username: str = "ada", password: str | None = None) -> Any:
    password = PASSWORDS[username] if password is None else password
    return client.post("/auth/login", data={"username": username, "password": password})


def query(app: Any, sql: str, *args: Any) -> list[sqlite3.Row]:
    """Read the app's database directly, as it is between requests."""
    with closing(sqlite3.connect(app.config["DATABASE"])) as db:
        db.row_factory = sqlite3.Row
        return db.execute(sql, args).fetchall()


# -- pages and static files ------------------------------------------------------------


def test_index_lists_entries_newest_first(client: Any) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.text
    assert "<title>Entries · Journal</title>" in page
    assert page.index("A moth in relay 70") < page.index("Notes on the engine")
    assert "by grace on" in page and "by ada on" in page
    # Visitors are offered an account, and cannot edit.
    assert 'href="/auth/register"' in page and 'href="/auth/login"' in page
    assert "/edit" not in page


def test_index_when_empty_invites_to_write(app: Any, client: Any) -> None:
    with closing(sqlite3.connect(app.config["DATABASE"])) as db:
        db.execute("DELETE FROM entry")
        db.commit()
    assert "Nothing here yet." in client.get("/").text


def test_static_stylesheet_is_served_and_linked(client: Any) -> None:
    assert 'href="/static/style.css"' in client.get("/").text
    response = client.get("/static/style.css")
    assert response.status_code == 200
    assert response.mimetype == "text/css"
    assert ":root" in response.text
    response.close()


# -- accounts --------------------------------------------------------------------------


def test_register_stores_a_hash_and_sends_to_login(app: Any, client: Any) -> None:
    response = client.post(
        "/auth/register", data={"username": "alan", "password": "turing-1936"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login"
    page = client.get("/auth/login").text
    assert "Welcome, alan! You can log in now." in page
    (user,) = query(app, "SELECT * FROM user WHERE username = ?", "alan")
    assert user["password"] != "turing-1936"
    assert check_password_hash(user["password"], "turing-1936")


@pytest.mark.parametrize(
    ("username", "password", "message"),
    [
        ("", "long-enough", "Choose a username."),
        ("  ", "long-enough", "Choose a username."),
        ("al", "long-enough", "A username has 3 to 32 characters."),
        ("ada", "long-enough", "The name ada is already taken."),
        ("alan", "short", "A password has at least 8 characters."),
    ],
)
def test_register_shows_what_is_wrong(
    app: Any, client: Any, username: str, password: str, message: str
) -> None:
    response = client.post(
        "/auth/register", data={"username": username, "password": password}
    )
    assert response.status_code == 400
    assert message in response.text
    # The form comes back filled in, with the field marked.
    assert f'value="{username.strip()}"' in response.text
    assert 'class="field invalid"' in response.text
    assert len(query(app, "SELECT * FROM user")) == len(PASSWORDS)


def test_register_escapes_what_it_shows(client: Any) -> None:
    response = client.post(
        "/auth/register", data={"username": "<b>x</b>", "password": "x"}
    )
    assert "<b>x</b>" not in response.text
    assert 'value="&lt;b&gt;x&lt;/b&gt;"' in response.text


def test_login_and_logout(client: Any) -> None:
    response = log_in(client)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    page = client.get("/").text
    assert "Hello again, ada." in page
    assert '<span class="user">ada</span>' in page
    assert "Log out" in page
    # Flashed messages are shown once.
    assert "Hello again" not in client.get("/").text
    with client.session_transaction() as session:
        assert session["user_id"] == 1

    response = client.post("/auth/logout")
    assert response.status_code == 302
    page = client.get("/").text
    assert "You have logged out." in page
    assert 'href="/auth/login"' in page and "Log out" not in page
    with client.session_transaction() as session:
        assert "user_id" not in session


@pytest.mark.parametrize(
    ("username", "password"), [("ada", "wrong-password"), ("nobody", "anything")]
)
def test_login_refuses_wrong_credentials(
    client: Any, username: str, password: str
) -> None:
    response = log_in(client, username, password)
    assert response.status_code == 400
    assert "Wrong username or password." in response.text
    assert f'value="{username}"' in response.text
    with client.session_transaction() as session:
        assert "user_id" not in session


def test_logout_needs_post(client: Any) -> None:
    response = client.get("/auth/logout")
    assert response.status_code == 405
    assert "That is not something this page does." in response.text


def test_pages_for_members_send_visitors_to_login_and_back(client: Any) -> None:
    response = client.get("/new")
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/auth/login"
    assert parse_qs(location.query) == {"next": ["/new"]}
    assert "Please log in first." in client.get("/auth/login").text
    response = client.post(
        "/auth/login?next=%2Fnew",
        data={"username": "ada", "password": PASSWORDS["ada"]},
    )
    assert response.headers["Location"] == "/new"


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/"])
def test_login_never_sends_elsewhere(client: Any, target: str) -> None:
    response = client.post(
        "/auth/login",
        query_string={"next": target},
        data={"username": "ada", "password": PASSWORDS["ada"]},
    )
    assert response.headers["Location"] == "/"


# -- entries ---------------------------------------------------------------------------


def test_create_entry(app: Any, client: Any) -> None:
    log_in(client)
    assert client.get("/new").status_code == 200
    response = client.post(
        "/new", data={"title": "  Difference engine  ", "body": "Line one\nLine two"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    page = client.get("/").text
    assert "Your entry is saved." in page
    assert "<h2>Difference engine</h2>" in page
    assert page.index("Difference engine") < page.index("A moth in relay 70")
    (entry,) = query(app, "SELECT * FROM entry WHERE title = 'Difference engine'")
    assert entry["author_id"] == 1
    assert entry["body"] == "Line one\nLine two"


@pytest.mark.parametrize(
    ("title", "message"),
    [
        ("", "Give the entry a title."),
        ("   ", "Give the entry a title."),
        ("x" * 121, "A title has at most 120 characters."),
    ],
)
def test_create_entry_shows_what_is_wrong(
    app: Any, client: Any, title: str, message: str
) -> None:
    log_in(client)
    response = client.post("/new", data={"title": title, "body": "Kept <as typed>"})
    assert response.status_code == 400
    assert message in response.text
    assert "Kept &lt;as typed&gt;</textarea>" in response.text
    assert len(query(app, "SELECT * FROM entry")) == 2


def test_entries_are_escaped(client: Any) -> None:
    log_in(client)
    client.post("/new", data={"title": "<script>alert(1)</script>", "body": ""})
    page = client.get("/").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_only_the_author_sees_edit_links(client: Any) -> None:
    log_in(client, "ada")
    page = client.get("/").text
    assert 'href="/1/edit"' in page
    assert 'href="/2/edit"' not in page


def test_edit_entry(app: Any, client: Any) -> None:
    log_in(client)
    page = client.get("/1/edit").text
    assert "Edit “Notes on the engine”" in page
    assert 'value="Notes on the engine"' in page
    assert "Delete this entry" in page

    response = client.post("/1/edit", data={"title": "Note G", "body": "Bernoulli"})
    assert response.status_code == 302
    page = client.get("/").text
    assert "Your changes are saved." in page
    assert "<h2>Note G</h2>" in page and "Notes on the engine" not in page
    assert "· edited" in page
    (entry,) = query(app, "SELECT * FROM entry WHERE id = 1")
    assert (entry["title"], entry["body"]) == ("Note G", "Bernoulli")
    assert entry["updated"] is not None


def test_edit_entry_shows_what_is_wrong(app: Any, client: Any) -> None:
    log_in(client)
    response = client.post("/1/edit", data={"title": "", "body": "New text"})
    assert response.status_code == 400
    assert "Give the entry a title." in response.text
    assert "New text</textarea>" in response.text
    (entry,) = query(app, "SELECT * FROM entry WHERE id = 1")
    assert entry["title"] == "Notes on the engine"


def test_delete_entry(app: Any, client: Any) -> None:
    log_in(client)
    response = client.post("/1/delete")
    assert response.status_code == 302
    page = client.get("/").text
    assert "“Notes on the engine” is deleted." in page
    assert "<h2>Notes on the engine</h2>" not in page
    assert query(app, "SELECT * FROM entry WHERE id = 1") == []


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/2/edit"), ("POST", "/2/edit"), ("POST", "/2/delete")]
)
def test_others_cannot_change_an_entry(
    app: Any, client: Any, method: str, path: str
) -> None:
    log_in(client, "ada")
    response = client.open(path, method=method, data={"title": "Mine now"})
    assert response.status_code == 403
    assert "That is not yours to change." in response.text
    assert "Only its author can change an entry." in response.text
    (entry,) = query(app, "SELECT * FROM entry WHERE id = 2")
    assert entry["title"] == "A moth in relay 70"


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/9/edit"), ("POST", "/9/delete")]
)
def test_missing_entry_is_404(client: Any, method: str, path: str) -> None:
    log_in(client)
    response = client.open(path, method=method)
    assert response.status_code == 404
    assert "There is no entry 9." in response.text


# -- error pages -----------------------------------------------------------------------


def test_custom_404_page(client: Any) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    page = response.text
    assert "<title>404 Not Found · Journal</title>" in page
    assert "This page is not in the journal." in page
    # The page keeps the site's layout: stylesheet and navigation.
    assert 'href="/static/style.css"' in page and 'href="/auth/login"' in page


def test_custom_500_page(app: Any) -> None:
    def crash() -> str:
        raise RuntimeError("the engine jammed")

    app.add_url_rule("/crash", view_func=crash)
    app.add_url_rule("/api/crash", "api_crash", view_func=crash)
    # The test client lets errors through in testing mode; serve them as in production.
    app.config["PROPAGATE_EXCEPTIONS"] = False
    client = app.test_client()

    response = client.get("/crash")
    assert response.status_code == 500
    assert "Something broke on our side." in response.text
    assert "the engine jammed" not in response.text

    response = client.get("/api/crash")
    assert response.status_code == 500
    assert response.json["error"] == "Internal Server Error"


# -- the JSON API ----------------------------------------------------------------------


def basic(username: str = "ada") -> tuple[str, str]:
    """HTTP Basic credentials for the test client's ``auth=``."""
    return (username, PASSWORDS[username])


def test_api_ping_echoes_the_request_id(client: Any) -> None:
    response = client.get("/api/ping", query_string={"id": "41"})
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.json == {"ok": True, "id": "41", "user": None}
    assert client.get("/api/ping").json == {"ok": True, "id": None, "user": None}
    # No session was touched into being: a visitor gets no cookie.
    assert "Set-Cookie" not in response.headers


def test_api_ping_names_the_user(client: Any) -> None:
    log_in(client, "grace")
    assert client.get("/api/ping?id=7").json == {"ok": True, "id": "7", "user": "grace"}
    response = client.get("/api/ping?id=8", auth=basic("ada"))
    assert response.json == {"ok": True, "id": "8", "user": "ada"}
    client.post("/auth/logout")
    assert client.get("/api/ping?id=9").json["user"] is None


def test_api_lists_entries(client: Any) -> None:
    response = client.get("/api/entries")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    entries = response.json
    assert [entry["title"] for entry in entries] == [
        "A moth in relay 70",
        "Notes on the engine",
    ]
    assert set(entries[0]) == {"id", "title", "body", "author", "created", "updated"}
    assert entries[0]["author"] == "grace"
    assert entries[0]["created"].endswith("Z") and entries[0]["updated"] is None


def test_api_gets_one_entry(client: Any) -> None:
    response = client.get("/api/entries/1")
    assert response.status_code == 200
    assert response.json["title"] == "Notes on the engine"
    assert response.json["author"] == "ada"


def test_api_missing_entry_is_json_404(client: Any) -> None:
    response = client.get("/api/entries/9")
    assert response.status_code == 404
    assert response.json == {"error": "Not Found", "message": "There is no entry 9."}


def test_api_unknown_path_is_json_404(client: Any) -> None:
    response = client.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.mimetype == "application/json"
    assert response.json["error"] == "Not Found"


def test_api_wrong_method_is_json_405(client: Any) -> None:
    response = client.put("/api/entries/1", json={})
    assert response.status_code == 405
    assert response.json["error"] == "Method Not Allowed"
    assert "PATCH" in response.headers["Allow"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/entries"),
        ("PATCH", "/api/entries/1"),
        ("DELETE", "/api/entries/1"),
    ],
)
def test_api_writes_need_a_user(client: Any, method: str, path: str) -> None:
    response = client.open(path, method=method, json={"title": "Anonymous"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert response.json["error"] == "Unauthorized"


def test_api_refuses_wrong_credentials(client: Any) -> None:
    response = client.get("/api/entries", auth=("ada", "not-her-password"))
    assert response.status_code == 401
    assert response.json["message"] == "Wrong username or password."


def test_api_creates_with_basic_credentials(app: Any, client: Any) -> None:
    response = client.post(
        "/api/entries", json={"title": "From a program", "body": "Hi"}, auth=basic()
    )
    assert response.status_code == 201
    entry = response.json
    assert (entry["title"], entry["body"], entry["author"]) == (
        "From a program",
        "Hi",
        "ada",
    )
    assert response.headers["Location"] == f"/api/entries/{entry['id']}"
    assert client.get(response.headers["Location"]).json == entry
    # Basic credentials are checked per request: they log no one in.
    with client.session_transaction() as session:
        assert "user_id" not in session


def test_api_creates_with_the_session(client: Any) -> None:
    log_in(client, "grace")
    response = client.post("/api/entries", json={"title": "Nanoseconds"})
    assert response.status_code == 201
    assert response.json["author"] == "grace"
    assert response.json["body"] == ""


@pytest.mark.parametrize(
    ("kwargs", "fields"),
    [
        ({"json": {"body": "no title"}}, {"title": "Give the entry a title."}),
        ({"json": {"title": 7}}, {"title": "Give the entry a title."}),
        ({"json": {"title": "ok", "body": []}}, {"body": "The text must be a string."}),
    ],
)
def test_api_create_names_invalid_fields(
    client: Any, kwargs: dict[str, Any], fields: dict[str, str]
) -> None:
    response = client.post("/api/entries", auth=basic(), **kwargs)
    assert response.status_code == 400
    assert response.json["error"] == "Bad Request"
    assert response.json["fields"] == fields


@pytest.mark.parametrize(
    "kwargs",
    [
        {"data": "title=form-encoded"},
        {"data": "{not json", "content_type": "application/json"},
        {"json": ["a", "list"]},
    ],
)
def test_api_create_needs_a_json_object(client: Any, kwargs: dict[str, Any]) -> None:
    response = client.post("/api/entries", auth=basic(), **kwargs)
    assert response.status_code == 400
    assert response.mimetype == "application/json"
    assert "JSON object" in response.json["message"]


def test_api_updates_the_authors_entry(client: Any) -> None:
    response = client.patch("/api/entries/1", json={"title": "Note G"}, auth=basic())
    assert response.status_code == 200
    assert response.json["title"] == "Note G"
    assert response.json["body"] == "It weaves algebraic patterns."
    assert response.json["updated"] is not None
    assert client.get("/api/entries/1").json["title"] == "Note G"


def test_api_update_answers(client: Any) -> None:
    response = client.patch("/api/entries/2", json={"title": "x"}, auth=basic())
    assert response.status_code == 403
    assert response.json["message"] == "Only its author can change an entry."
    response = client.patch("/api/entries/9", json={"title": "x"}, auth=basic())
    assert response.status_code == 404
    response = client.patch("/api/entries/1", json={"title": ""}, auth=basic())
    assert response.status_code == 400
    assert response.json["fields"] == {"title": "Give the entry a title."}


def test_api_deletes_the_authors_entry(client: Any) -> None:
    response = client.delete("/api/entries/2", auth=basic("ada"))
    assert response.status_code == 403
    response = client.delete("/api/entries/2", auth=basic("grace"))
    assert response.status_code == 204
    assert response.data == b""
    assert client.get("/api/entries/2").status_code == 404
    assert client.delete("/api/entries/2", auth=basic("grace")).status_code == 404


# -- database and command --------------------------------------------------------------


def test_connection_is_shared_in_a_context_and_closed_after(
    journal: ModuleType, app: Any
) -> None:
    with app.app_context():
        db = journal.db.get_db()
        assert journal.db.get_db() is db
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        db.execute("SELECT 1")


def test_instance_folder_is_beside_the_package(app: Any) -> None:
    """Flask's place for the instance folder of a package that is not installed:
    ``examples/instance`` (where examples/.gitignore expects it)."""
    assert os.path.realpath(app.instance_path) == str(EXAMPLES / "instance")


def test_init_db_command(app: Any) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "Initialized the database" in result.output
    assert query(app, "SELECT * FROM entry") == []
    assert query(app, "SELECT * FROM user") == []


def test_init_db_command_is_listed(app: Any) -> None:
    result = app.test_cli_runner().invoke(args=["--help"])
    assert result.exit_code == 0, result.output
    assert "init-db" in result.output


def test_entry_point_script_runs(tmp_path: Path) -> None:
    """``python examples/app.py`` finds its package from any directory."""
    # The script imports the microweb these tests import.
    framework_dir = Path(sys.modules["microweb"].__file__ or "").parent.parent
    python_path = os.pathsep.join(
        filter(None, [str(framework_dir), os.environ.get("PYTHONPATH")])
    )
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "app.py"), "--help"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": python_path},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "--debug" in result.stdout
