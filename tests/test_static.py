"""Static files: the routes, caching, conditional and range requests, and what
``send_from_directory`` refuses.

Three kinds of tests:

- behaviour stated once for both frameworks (``fw`` is Flask, then microweb);
- side by side: the same request sent to a Flask app and a microweb app serving
  the same files must get the same status, headers (``Date`` and ``Expires``
  aside) and body (``same_answer``);
- microweb only: the paths it refuses beyond Werkzeug (``..`` anywhere,
  backslashes, NUL bytes, Windows device names, symlinks out of the folder).
"""

from __future__ import annotations

import datetime
import gzip
import os
import sys
import typing as t
from pathlib import Path

import pytest
from conftest import (
    FRAMEWORKS,
    both_frameworks,
    fetch,
    microweb_framework,
    wrap_in_validator,
)
from werkzeug.exceptions import NotFound
from werkzeug.http import parse_date
from werkzeug.routing import BuildError

EXTRA_NAMES = ("Blueprint", "send_file", "send_from_directory")

#: Flask, then microweb, each with ``Blueprint`` and the file senders.
fw = both_frameworks(*EXTRA_NAMES)

HELLO = b"hello, static world\n"
#: 1 KiB of every byte value, for the range requests.
DATA = bytes(range(256)) * 4
SECRET = b"top secret\n"

#: Headers that carry the time of the request, not the file: compared apart.
TIMED_HEADERS = ("Date", "Expires")


def write(path: Path, content: bytes) -> Path:
    """Write *content* to *path*, creating its folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A root path: ``static/`` and ``assets/`` folders, an ``uploads/`` folder,
    and ``secret.txt`` beside them, which no request may read."""
    write(tmp_path / "static" / "hello.txt", HELLO)
    write(tmp_path / "static" / "data.bin", DATA)
    write(tmp_path / "static" / "css" / "site.css", b"body { color: red }\n")
    write(tmp_path / "static" / "archive.txt.gz", gzip.compress(HELLO, mtime=0))
    write(tmp_path / "static" / "caf\u00e9.txt", "caf\u00e9\n".encode())
    write(tmp_path / "assets" / "bp.txt", b"blueprint file\n")
    write(tmp_path / "uploads" / "report.csv", b"a,b\n1,2\n")
    write(tmp_path / "secret.txt", SECRET)
    return tmp_path


def new_app(framework: t.Any, site: Path, **kwargs: t.Any) -> t.Any:
    """A testing app on *framework* rooted at *site*, behind the validator."""
    app = framework.Flask(__name__, root_path=str(site), **kwargs)
    app.testing = True
    return wrap_in_validator(app)


def add_file_views(framework: t.Any, app: t.Any, site: Path) -> None:
    """Views that call ``send_file`` and ``send_from_directory`` themselves."""

    @app.route("/uploads/<path:name>")
    def uploads(name: str) -> t.Any:
        return framework.send_from_directory("uploads", name)

    @app.route("/download/<path:name>")
    def download(name: str) -> t.Any:
        return framework.send_from_directory(
            str(site / "static"),
            name,
            as_attachment=True,
            download_name="r\u00e9sum\u00e9.bin",
        )

    @app.route("/typed")
    def typed() -> t.Any:
        return framework.send_file("static/data.bin", mimetype="application/x-demo")

    @app.route("/cached")
    def cached() -> t.Any:
        return framework.send_file(str(site / "static" / "hello.txt"), max_age=30)


AppPair = dict[str, t.Any]


@pytest.fixture
def make_apps(site: Path) -> t.Callable[..., AppPair]:
    """``make_apps(config=None, **app_kwargs)``: a Flask app and a microweb app
    serving *site* the same way, by framework name, each with the views of
    :func:`add_file_views`."""

    def make(config: dict[str, t.Any] | None = None, **kwargs: t.Any) -> AppPair:
        apps = {}
        for name, framework_of in FRAMEWORKS.items():
            framework = framework_of(*EXTRA_NAMES)
            app = new_app(framework, site, **kwargs)
            app.config.update(config or {})
            add_file_views(framework, app, site)
            apps[name] = app
        return apps

    return make


@pytest.fixture
def apps(make_apps: t.Callable[..., AppPair]) -> AppPair:
    """The default pair of :func:`make_apps`."""
    return make_apps()


def summary(response: t.Any) -> tuple[int, list[tuple[str, str]], bytes, bool]:
    """What must be equal between the two frameworks: status, headers but the
    timed ones, body, and whether ``Expires`` is set."""
    headers = sorted(
        (key, value) for key, value in response.headers if key not in TIMED_HEADERS
    )
    return response.status_code, headers, response.data, "Expires" in response.headers


def same_answer(
    apps: AppPair, path: str, method: str = "GET", **kwargs: t.Any
) -> t.Any:
    """Send the request to both apps, check that the answers are the same, and
    return microweb's."""
    answers = {
        name: fetch(app.test_client(), path, method=method, **kwargs)
        for name, app in apps.items()
    }
    flask_answer, microweb_answer = answers["flask"], answers["microweb"]
    assert summary(microweb_answer) == summary(flask_answer), path
    if "Expires" in flask_answer.headers:
        flask_expires = parse_date(flask_answer.headers["Expires"])
        microweb_expires = parse_date(microweb_answer.headers["Expires"])
        assert flask_expires is not None and microweb_expires is not None
        assert abs((microweb_expires - flask_expires).total_seconds()) <= 2
    return microweb_answer


def make_symlink(target: Path, link: Path) -> None:
    """Create *link* pointing at *target*, or skip where symlinks are unavailable."""
    if not hasattr(os, "symlink"):
        pytest.skip("os.symlink is unavailable")
    try:
        link.symlink_to(target, target_is_directory=target.is_dir())
    except (OSError, NotImplementedError) as exc:
        pytest.skip(f"cannot create a symlink here: {exc}")


# -- routes and url_for, on both frameworks -----------------------------------


def test_app_static_route_and_url_for(fw: t.Any, site: Path) -> None:
    app = new_app(fw, site)
    response = fetch(app.test_client(), "/static/css/site.css")
    assert (response.status_code, response.data) == (200, b"body { color: red }\n")
    with app.test_request_context():
        assert fw.url_for("static", filename="css/site.css") == "/static/css/site.css"
        assert fw.url_for("static", filename="caf\u00e9.txt") == "/static/caf%C3%A9.txt"
        assert (
            fw.url_for("static", filename="hello.txt", _external=True)
            == "http://localhost/static/hello.txt"
        )


def test_app_static_url_path_and_absolute_folder(fw: t.Any, site: Path) -> None:
    app = new_app(
        fw, site, static_folder=str(site / "assets"), static_url_path="/media"
    )
    response = fetch(app.test_client(), "/media/bp.txt")
    assert (response.status_code, response.data) == (200, b"blueprint file\n")
    assert fetch(app.test_client(), "/static/hello.txt").status_code == 404
    with app.test_request_context():
        assert fw.url_for("static", filename="bp.txt") == "/media/bp.txt"


def test_static_folder_none_has_no_route(fw: t.Any, site: Path) -> None:
    app = new_app(fw, site, static_folder=None)
    assert not app.has_static_folder
    assert "static" not in {rule.endpoint for rule in app.url_map.iter_rules()}
    assert fetch(app.test_client(), "/static/hello.txt").status_code == 404
    with app.test_request_context(), pytest.raises(BuildError):
        fw.url_for("static", filename="hello.txt")


def test_static_host(fw: t.Any, site: Path) -> None:
    app = new_app(fw, site, static_host="cdn.example.com", host_matching=True)

    @app.route("/", host="example.com")
    def index() -> str:
        return fw.url_for("static", filename="hello.txt")

    client = app.test_client()
    response = fetch(client, "/", base_url="http://example.com")
    assert response.data == b"http://cdn.example.com/static/hello.txt"
    response = fetch(client, "/static/hello.txt", base_url="http://cdn.example.com")
    assert (response.status_code, response.data) == (200, HELLO)
    response = fetch(client, "/static/hello.txt", base_url="http://example.com")
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("static_host", "host_matching"), [("cdn.example.com", False), (None, True)]
)
def test_static_host_needs_host_matching(
    fw: t.Any, site: Path, static_host: str | None, host_matching: bool
) -> None:
    with pytest.raises(AssertionError, match="static_host"):
        fw.Flask(
            __name__,
            root_path=str(site),
            static_host=static_host,
            host_matching=host_matching,
        )


def test_host_matching_without_static_folder(fw: t.Any, site: Path) -> None:
    app = new_app(fw, site, static_folder=None, host_matching=True)
    assert not app.has_static_folder


def test_blueprint_static_and_url_for(fw: t.Any, site: Path) -> None:
    app = new_app(fw, site)
    blueprint = fw.Blueprint(
        "admin",
        __name__,
        url_prefix="/admin",
        static_folder="assets",
        static_url_path="/files",
        root_path=str(site),
    )

    @blueprint.route("/urls")
    def urls() -> str:
        own = fw.url_for(".static", filename="bp.txt")
        app_wide = fw.url_for("static", filename="hello.txt")
        return f"{own} {app_wide}"

    app.register_blueprint(blueprint)
    client = app.test_client()
    response = fetch(client, "/admin/files/bp.txt")
    assert (response.status_code, response.data) == (200, b"blueprint file\n")
    assert fetch(client, "/admin/urls").data == b"/admin/files/bp.txt /static/hello.txt"
    assert fetch(client, "/admin/files/../static/hello.txt").status_code == 404
    with app.test_request_context():
        assert fw.url_for("admin.static", filename="bp.txt") == "/admin/files/bp.txt"


def test_nested_blueprint_static(fw: t.Any, site: Path) -> None:
    app = new_app(fw, site, static_folder=None)
    parent = fw.Blueprint("parent", __name__, url_prefix="/parent")
    child = fw.Blueprint(
        "child",
        __name__,
        url_prefix="/child",
        static_folder="assets",
        root_path=str(site),
    )
    parent.register_blueprint(child)
    app.register_blueprint(parent)
    response = fetch(app.test_client(), "/parent/child/assets/bp.txt")
    assert (response.status_code, response.data) == (200, b"blueprint file\n")
    with app.test_request_context():
        assert (
            fw.url_for("parent.child.static", filename="bp.txt")
            == "/parent/child/assets/bp.txt"
        )


def test_blueprint_get_send_file_max_age_override(fw: t.Any, site: Path) -> None:
    class LongCacheBlueprint(fw.Blueprint):  # type: ignore[misc, name-defined]
        def get_send_file_max_age(self, filename: str | None) -> int | None:
            return 86400 if filename and filename.endswith(".txt") else None

    app = new_app(fw, site)
    app.register_blueprint(
        LongCacheBlueprint("bp", __name__, static_folder="assets", root_path=str(site))
    )
    client = app.test_client()
    response = fetch(client, "/assets/bp.txt")
    assert response.headers["Cache-Control"] == "public, max-age=86400"
    assert fetch(client, "/static/hello.txt").headers["Cache-Control"] == "no-cache"


def test_app_get_send_file_max_age_override(fw: t.Any, site: Path) -> None:
    class CssCacheApp(fw.Flask):  # type: ignore[misc, name-defined]
        def get_send_file_max_age(self, filename: str | None) -> int | None:
            if filename and filename.endswith(".css"):
                return 600
            return super().get_send_file_max_age(filename)  # type: ignore[no-any-return]

    app = CssCacheApp(__name__, root_path=str(site))
    client = app.test_client()
    response = fetch(client, "/static/css/site.css")
    assert response.headers["Cache-Control"] == "public, max-age=600"
    assert fetch(client, "/static/hello.txt").headers["Cache-Control"] == "no-cache"


# -- side by side with Flask ------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/static/hello.txt",
        "/static/data.bin",
        "/static/css/site.css",
        "/static/archive.txt.gz",
        "/static/caf%C3%A9.txt",
        "/static/missing.txt",
        "/static/css",
        "/static/css/",
        "/uploads/report.csv",
        "/download/data.bin",
        "/typed",
        "/cached",
    ],
)
def test_files_same_as_flask(apps: AppPair, path: str) -> None:
    same_answer(apps, path)


@pytest.mark.parametrize(
    ("max_age", "cache_control"),
    [
        (None, "no-cache"),
        (0, "no-cache, max-age=0"),
        (60, "public, max-age=60"),
        (datetime.timedelta(hours=1), "public, max-age=3600"),
    ],
)
def test_send_file_max_age_default_same_as_flask(
    make_apps: t.Callable[..., AppPair], max_age: t.Any, cache_control: str
) -> None:
    apps = make_apps({"SEND_FILE_MAX_AGE_DEFAULT": max_age})
    response = same_answer(apps, "/static/hello.txt")
    assert response.headers["Cache-Control"] == cache_control
    assert ("Expires" in response.headers) == (max_age is not None)
    response = same_answer(apps, "/uploads/report.csv")
    assert response.headers["Cache-Control"] == cache_control


def conditional_headers(etag: str, last_modified: str) -> list[dict[str, str]]:
    """Conditional request headers about a file with *etag* and *last_modified*."""
    return [
        {"If-None-Match": etag},
        {"If-None-Match": f"W/{etag}"},
        {"If-None-Match": f'"other", {etag}'},
        {"If-None-Match": "*"},
        {"If-None-Match": '"other"'},
        {"If-Modified-Since": last_modified},
        {"If-Modified-Since": "Thu, 01 Jan 1970 00:00:00 GMT"},
        {"If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"},
        {"If-Modified-Since": "not a date"},
        {"If-None-Match": '"other"', "If-Modified-Since": last_modified},
        {"If-Match": '"other"'},
        {"If-Match": etag},
        {"If-Unmodified-Since": "Thu, 01 Jan 1970 00:00:00 GMT"},
        {"If-Unmodified-Since": last_modified},
    ]


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_conditional_requests_same_as_flask(apps: AppPair, method: str) -> None:
    first = same_answer(apps, "/static/hello.txt")
    etag, last_modified = first.headers["ETag"], first.headers["Last-Modified"]
    statuses = []
    for headers in conditional_headers(etag, last_modified):
        response = same_answer(apps, "/static/hello.txt", method, headers=headers)
        statuses.append(response.status_code)
        if response.status_code == 304:
            assert response.data == b""
            assert response.headers["ETag"] == etag
    assert 304 in statuses and 200 in statuses


@pytest.mark.parametrize(
    "range_header",
    [
        "bytes=0-0",
        "bytes=10-19",
        "bytes=-16",
        "bytes=1000-",
        "bytes=0-99999",
        "bytes=1023-1023",
        "bytes=1024-",
        "bytes=2000-3000",
        "bytes=-0",
        "bytes=20-10",
        "bytes=0-1,5-6",
        "bytes=0-1, 0-1",
        "bytes=",
        "bytes=abc",
        "items=0-1",
        "bytes=-2000",
    ],
)
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_range_requests_same_as_flask(
    apps: AppPair, range_header: str, method: str
) -> None:
    response = same_answer(
        apps, "/static/data.bin", method, headers={"Range": range_header}
    )
    assert response.status_code in (200, 206, 416)
    assert response.status_code != 500


def test_range_answers(apps: AppPair) -> None:
    response = same_answer(apps, "/static/data.bin", headers={"Range": "bytes=10-19"})
    assert response.status_code == 206
    assert response.data == DATA[10:20]
    assert response.headers["Content-Range"] == "bytes 10-19/1024"
    response = same_answer(apps, "/static/data.bin", headers={"Range": "bytes=-16"})
    assert response.data == DATA[-16:]
    response = same_answer(apps, "/static/data.bin", headers={"Range": "bytes=0-9999"})
    assert (response.status_code, response.data) == (206, DATA)
    assert response.headers["Content-Range"] == "bytes 0-1023/1024"
    response = same_answer(apps, "/static/data.bin", headers={"Range": "bytes=1024-"})
    assert response.status_code == 416
    assert response.headers["Content-Range"] == "bytes */1024"


def test_if_range_same_as_flask(apps: AppPair) -> None:
    first = same_answer(apps, "/static/data.bin")
    for if_range in (
        first.headers["ETag"],
        first.headers["Last-Modified"],
        '"stale"',
        "Thu, 01 Jan 1970 00:00:00 GMT",
    ):
        headers = {"Range": "bytes=0-9", "If-Range": if_range}
        same_answer(apps, "/static/data.bin", headers=headers)


def test_head_same_as_flask(apps: AppPair) -> None:
    for path in ("/static/hello.txt", "/static/data.bin", "/uploads/report.csv"):
        response = same_answer(apps, path, "HEAD")
        assert response.status_code == 200
        assert response.data == b""
        assert int(response.headers["Content-Length"]) > 0


def test_x_sendfile_same_as_flask(make_apps: t.Callable[..., AppPair]) -> None:
    apps = make_apps({"USE_X_SENDFILE": True})
    response = same_answer(apps, "/static/hello.txt")
    assert response.headers["X-Sendfile"].endswith("hello.txt")
    etag = response.headers["ETag"]
    response = same_answer(apps, "/static/hello.txt", headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert "X-Sendfile" not in response.headers


# -- what microweb refuses ----------------------------------------------------------


@pytest.fixture
def microweb_app(site: Path) -> t.Any:
    """A microweb app serving *site*, with the views of :func:`add_file_views`."""
    framework = microweb_framework(*EXTRA_NAMES)
    app = new_app(framework, site)
    add_file_views(framework, app, site)
    return app


def assert_refused(client: t.Any, path: str) -> None:
    """A GET of *path* is a 404 that shows no secret."""
    response = fetch(client, path)
    assert response.status_code == 404, path
    assert SECRET not in response.data


@pytest.mark.parametrize(
    "path",
    [
        "/static/../secret.txt",
        "/static/css/../../secret.txt",
        "/static/%2e%2e/secret.txt",
        "/static/%2E%2E/secret.txt",
        "/static/.%2e/secret.txt",
        "/static/..%2fsecret.txt",
        "/static/%2e%2e%2fsecret.txt",
        "/static/css%2f..%2f..%2fsecret.txt",
        "/static/..%5csecret.txt",
        "/static/css%5c..%5c..%5csecret.txt",
        "/static/..\\secret.txt",
        "/static/%00",
        "/static/hello.txt%00",
        "/static/hello.txt%00.png",
        "/static/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/uploads/../secret.txt",
        "/uploads/%2e%2e/secret.txt",
        "/uploads/..%2fsecret.txt",
        "/download/..%2f..%2fsecret.txt",
    ],
)
def test_traversal_is_404(microweb_app: t.Any, path: str) -> None:
    assert_refused(microweb_app.test_client(), path)


def test_absolute_url_path_is_not_served(microweb_app: t.Any, site: Path) -> None:
    client = microweb_app.test_client()
    # A doubled slash is merged by the router (a redirect), so the absolute path
    # becomes a relative one under the folder, where there is no such file.
    for path in (f"/static/{site / 'secret.txt'}", "/static/%2fetc%2fpasswd"):
        response = fetch(client, path)
        assert response.status_code in (308, 404), path
        assert SECRET not in response.data
    assert_refused(client, f"/static/{site.relative_to(site.anchor)}/secret.txt")


def test_dot_dot_inside_the_folder_is_refused(microweb_app: t.Any) -> None:
    # Werkzeug (and so Flask) serves static/hello.txt for this; microweb refuses
    # every ".." segment, even one that stays inside the folder.
    assert_refused(microweb_app.test_client(), "/static/css/%2e%2e/hello.txt")


@pytest.mark.parametrize(
    "filename",
    [
        "../secret.txt",
        "css/../../secret.txt",
        "css/../hello.txt",
        "..",
        ".",
        "",
        "/etc/passwd",
        "//etc/passwd",
        "css\\..\\..\\secret.txt",
        "..\\secret.txt",
        "hello.txt\\",
        "hello.txt\x00",
        "\x00/hello.txt",
        "css",
        "css/",
        "missing.txt",
    ],
)
def test_send_from_directory_refuses(
    microweb_app: t.Any, site: Path, filename: str
) -> None:
    from microweb import send_from_directory

    with microweb_app.test_request_context(), pytest.raises(NotFound):
        send_from_directory(str(site / "static"), filename)


def test_send_from_directory_refuses_absolute_path(
    microweb_app: t.Any, site: Path
) -> None:
    from microweb import send_from_directory

    with microweb_app.test_request_context():
        for folder in ("static", str(site / "static")):
            with pytest.raises(NotFound):
                send_from_directory(folder, str(site / "secret.txt"))
            with pytest.raises(NotFound):
                send_from_directory(folder, str(site / "static" / "hello.txt"))


def test_send_from_directory_accepts_path_objects(
    microweb_app: t.Any, site: Path
) -> None:
    from microweb import send_from_directory

    with microweb_app.test_request_context():
        response = send_from_directory(site / "static", Path("css") / "site.css")
        response.close()
    assert response.status_code == 200


@pytest.mark.parametrize(
    "name",
    [
        "CON",
        "con",
        "nul.txt",
        "NUL.tar.gz",
        "aux",
        "Aux.css",
        "prn.js",
        "com1",
        "COM9.log",
        "com0",
        "lpt1",
        "LPT9.txt",
        "com\u00b9",
        "lpt\u00b3.txt",
        "conin$",
        "CONOUT$.txt",
        "con .txt",
        "nul:stream",
        "css/con",
        "css/nul.txt/x",
        "aux/hello.txt",
    ],
)
def test_windows_device_names_are_refused_on_every_os(
    microweb_app: t.Any, site: Path, name: str
) -> None:
    # Where such a file can exist (not on Windows), it exists: refused anyway.
    if os.name != "nt":
        write(site / "static" / name, SECRET)
    assert_refused(microweb_app.test_client(), f"/static/{name}")


@pytest.mark.parametrize(
    "name",
    ["console.log", "content.txt", "nullable.js", "auxiliary.css", "com10", "lpt"],
)
def test_names_like_device_names_are_served(
    microweb_app: t.Any, site: Path, name: str
) -> None:
    write(site / "static" / name, HELLO)
    response = fetch(microweb_app.test_client(), f"/static/{name}")
    assert (response.status_code, response.data) == (200, HELLO)


@pytest.mark.skipif(os.name != "nt", reason="a colon only means something on Windows")
@pytest.mark.parametrize("name", ["hello.txt::$DATA", "C:hello.txt", "c:/x"])
def test_colons_are_refused_on_windows(microweb_app: t.Any, name: str) -> None:
    assert_refused(microweb_app.test_client(), f"/static/{name}")


def test_file_symlink_out_of_folder_is_404(microweb_app: t.Any, site: Path) -> None:
    make_symlink(site / "secret.txt", site / "static" / "leak.txt")
    assert_refused(microweb_app.test_client(), "/static/leak.txt")


def test_directory_symlink_out_of_folder_is_404(
    microweb_app: t.Any, site: Path
) -> None:
    make_symlink(site / "uploads", site / "static" / "linked")
    write(site / "uploads" / "secret.txt", SECRET)
    client = microweb_app.test_client()
    assert_refused(client, "/static/linked/secret.txt")
    assert_refused(client, "/static/linked/report.csv")


def test_symlink_to_root_is_404(microweb_app: t.Any, site: Path) -> None:
    make_symlink(Path(site.anchor), site / "static" / "root")
    relative_secret = (site / "secret.txt").relative_to(site.anchor).as_posix()
    assert_refused(microweb_app.test_client(), f"/static/root/{relative_secret}")


def test_symlink_loop_is_404(microweb_app: t.Any, site: Path) -> None:
    make_symlink(site / "static" / "loop-b", site / "static" / "loop-a")
    make_symlink(site / "static" / "loop-a", site / "static" / "loop-b")
    assert_refused(microweb_app.test_client(), "/static/loop-a")


def test_symlink_inside_folder_is_served(apps: AppPair, site: Path) -> None:
    make_symlink(site / "static" / "hello.txt", site / "static" / "alias.txt")
    make_symlink(site / "static" / "css", site / "static" / "styles")
    response = same_answer(apps, "/static/alias.txt")
    assert (response.status_code, response.data) == (200, HELLO)
    response = same_answer(apps, "/static/styles/site.css")
    assert response.data == b"body { color: red }\n"


def test_symlinked_static_folder_is_served(fw: t.Any, site: Path) -> None:
    make_symlink(site / "assets", site / "public")
    app = new_app(fw, site, static_folder="public")
    response = fetch(app.test_client(), "/public/bp.txt")
    assert (response.status_code, response.data) == (200, b"blueprint file\n")
    assert_refused(app.test_client(), "/public/../secret.txt")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_fifo_is_404_without_blocking(microweb_app: t.Any, site: Path) -> None:
    os.mkfifo(site / "static" / "pipe")
    assert_refused(microweb_app.test_client(), "/static/pipe")


@pytest.mark.skipif(
    sys.platform == "win32" or getattr(os, "geteuid", lambda: 0)() == 0,
    reason="needs POSIX permissions and a user that they apply to",
)
def test_unreadable_file_is_403(microweb_app: t.Any, site: Path) -> None:
    unreadable = write(site / "static" / "private.txt", SECRET)
    unreadable.chmod(0)
    try:
        response = fetch(microweb_app.test_client(), "/static/private.txt")
    finally:
        unreadable.chmod(0o644)
    assert response.status_code == 403
    assert SECRET not in response.data


@pytest.mark.parametrize(
    ("error", "status"), [(PermissionError, 403), (FileNotFoundError, 404)]
)
def test_open_failures_are_4xx(
    microweb_app: t.Any, monkeypatch: pytest.MonkeyPatch, error: type, status: int
) -> None:
    # The file is found, then cannot be opened: unreadable, or removed meanwhile.
    import werkzeug.utils

    def failing_open(*args: t.Any, **kwargs: t.Any) -> t.NoReturn:
        raise error("simulated")

    monkeypatch.setattr(werkzeug.utils, "open", failing_open, raising=False)
    response = fetch(microweb_app.test_client(), "/static/hello.txt")
    assert response.status_code == status
