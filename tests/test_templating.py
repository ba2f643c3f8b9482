"""Jinja2 templating: the environment, the loaders, rendering and streaming.

Most tests run twice, on Flask (the reference) and on microweb, and state the
expected output once for both. Templates shared by tests live in
``tests/templates`` (the app fixture's template folder); tests that need their own
folders build them under ``tmp_path``.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import os
import typing as t
from pathlib import Path

import jinja2
import pytest
from conftest import both_frameworks, fetch, flask_framework, microweb_framework
from markupsafe import Markup

EXTRA_NAMES = (
    "Blueprint",
    "render_template",
    "render_template_string",
    "stream_template",
    "stream_template_string",
    "get_template_attribute",
    "flash",
    "get_flashed_messages",
    "session",
    "template_rendered",
    "before_render_template",
)

fw = both_frameworks(*EXTRA_NAMES)


def write(folder: Path, name: str, text: str) -> Path:
    """Write the template *name* under *folder*, making the folders it needs."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def folder_app(fw: t.Any, folder: Path, **kwargs: t.Any) -> t.Any:
    """An app in testing mode whose template folder is *folder*."""
    app = fw.Flask(__name__, template_folder=str(folder), **kwargs)
    app.testing = True
    return app


def body(client: t.Any, path: str = "/", **kwargs: t.Any) -> str:
    """The text of the response to GET *path*."""
    return fetch(client, path, **kwargs).get_data(as_text=True)


@contextlib.contextmanager
def recording(
    signal: t.Any, app: t.Any
) -> t.Iterator[list[tuple[t.Any, dict[str, t.Any]]]]:
    """Collect ``(sender, kwargs)`` for each *signal* sent by *app* in the block."""
    calls: list[tuple[t.Any, dict[str, t.Any]]] = []

    def receiver(sender: t.Any, **kwargs: t.Any) -> None:
        calls.append((sender, kwargs))

    with signal.connected_to(receiver, app):
        yield calls


# -- the environment -------------------------------------------------------------


def test_jinja_env_is_made_once_with_flask_globals(fw: t.Any, app: t.Any) -> None:
    env = app.jinja_env
    assert env is app.jinja_env
    assert isinstance(env, app.jinja_environment)
    assert isinstance(env, jinja2.Environment)
    assert env.app is app
    assert env.globals["config"] is app.config
    assert env.globals["url_for"] == app.url_for
    assert env.globals["get_flashed_messages"] is fw.get_flashed_messages
    assert env.globals["request"] is fw.request
    assert env.globals["session"] is fw.session
    assert env.globals["g"] is fw.g
    assert env.policies["json.dumps_function"] == app.json.dumps


def test_jinja_options_and_environment_class(fw: t.Any) -> None:
    class CustomEnvironment(fw.Flask.jinja_environment):
        pass

    class CustomApp(fw.Flask):
        jinja_environment = CustomEnvironment
        jinja_options = {"trim_blocks": True, "autoescape": False}

    app = CustomApp(__name__)
    assert type(app.jinja_env) is CustomEnvironment
    assert app.jinja_env.trim_blocks is True
    with app.app_context():
        assert fw.render_template_string("{{ '<b>' }}") == "<b>"
        assert fw.render_template_string("{% if 1 %}\nx{% endif %}") == "x"


def test_create_jinja_environment_can_be_overridden(fw: t.Any) -> None:
    class CustomApp(fw.Flask):
        def create_jinja_environment(self) -> t.Any:
            env = super().create_jinja_environment()
            env.globals["site"] = "example"
            return env

    app = CustomApp(__name__)
    with app.app_context():
        assert fw.render_template_string("{{ site }}") == "example"


def test_create_global_jinja_loader(fw: t.Any, app: t.Any) -> None:
    loader = app.create_global_jinja_loader()
    assert type(loader).__name__ == "DispatchingJinjaLoader"
    assert isinstance(loader, jinja2.BaseLoader)
    assert type(app.jinja_env.loader) is type(loader)


def test_app_never_rendering_never_builds_the_environment() -> None:
    ns = microweb_framework()
    app = ns.Flask(__name__)
    app.add_url_rule("/", "index", lambda: "hi")
    client = app.test_client()
    assert body(client) == "hi"
    app.debug = True
    assert "jinja_env" not in app.__dict__
    assert "jinja_loader" not in app.__dict__


# -- autoescaping ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "escaped"),
    [
        ("page.html", True),
        ("page.htm", True),
        ("feed.xml", True),
        ("page.xhtml", True),
        ("image.svg", True),
        ("notes.txt", False),
        ("script.js", False),
        ("PAGE.HTML", False),
        ("page.html.j2", False),
    ],
)
def test_autoescape_by_extension(
    fw: t.Any, tmp_path: Path, name: str, escaped: bool
) -> None:
    write(tmp_path, name, "{{ value }}")
    app = folder_app(fw, tmp_path)
    with app.app_context():
        rendered = fw.render_template(name, value="<a & b>")
    assert rendered == ("&lt;a &amp; b&gt;" if escaped else "<a & b>")


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        (None, True),
        ("a.html", True),
        ("a.htm", True),
        ("a.xml", True),
        ("a.xhtml", True),
        ("a.svg", True),
        ("a.txt", False),
        ("a.HTML", False),
        ("html", False),
    ],
)
def test_select_jinja_autoescape(
    fw: t.Any, app: t.Any, filename: str | None, expected: bool
) -> None:
    assert app.select_jinja_autoescape(filename) is expected


def test_render_template_string_autoescapes(fw: t.Any, app: t.Any) -> None:
    with app.app_context():
        rendered = fw.render_template_string(
            "{{ value }}|{{ markup }}|{{ value|safe }}",
            value="<i>",
            markup=Markup("<b>"),
        )
    assert rendered == "&lt;i&gt;|<b>|<i>"


def test_render_template_from_the_app_folder(fw: t.Any, app: t.Any) -> None:
    with app.app_context():
        assert fw.render_template("index.html", value="<x>") == "<p>&lt;x&gt;</p>"
        assert fw.render_template("plain.txt", value="<x>") == "<x>"


# -- loaders ---------------------------------------------------------------------


def test_jinja_loader_over_template_folder(fw: t.Any, tmp_path: Path) -> None:
    app = fw.Flask(__name__)
    assert isinstance(app.jinja_loader, jinja2.FileSystemLoader)
    assert app.jinja_loader.searchpath == [
        os.path.join(os.path.dirname(__file__), "templates")
    ]
    assert app.jinja_loader is app.jinja_loader
    assert fw.Flask(__name__, template_folder=None).jinja_loader is None
    assert fw.Blueprint("plain", __name__).jinja_loader is None
    blueprint = fw.Blueprint(
        "bp", __name__, template_folder="bp_templates", root_path=str(tmp_path)
    )
    assert isinstance(blueprint.jinja_loader, jinja2.FileSystemLoader)
    assert blueprint.jinja_loader.searchpath == [str(tmp_path / "bp_templates")]


def blueprint_folders(fw: t.Any, tmp_path: Path) -> t.Any:
    """An app and two blueprints, each with a template folder under *tmp_path*:
    ``shared.html`` everywhere, ``both.html`` in the two blueprints only."""
    for owner in ("app", "first", "second"):
        write(tmp_path / owner, "shared.html", f"{owner} shared")
        write(tmp_path / owner, f"{owner}_only.html", f"{owner} only")
    write(tmp_path / "first", "both.html", "first both")
    write(tmp_path / "second", "both.html", "second both")
    app = folder_app(fw, tmp_path / "app")
    for name in ("first", "second"):
        blueprint = fw.Blueprint(name, __name__, template_folder=str(tmp_path / name))
        app.register_blueprint(blueprint)
    return app


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("shared.html", "app shared"),
        ("both.html", "first both"),
        ("app_only.html", "app only"),
        ("first_only.html", "first only"),
        ("second_only.html", "second only"),
    ],
)
def test_app_folder_first_then_blueprints_in_order(
    fw: t.Any, tmp_path: Path, name: str, expected: str
) -> None:
    app = blueprint_folders(fw, tmp_path)
    with app.app_context():
        assert fw.render_template(name) == expected


def test_loader_lists_every_folder_once(fw: t.Any, tmp_path: Path) -> None:
    app = blueprint_folders(fw, tmp_path)
    assert sorted(app.jinja_env.list_templates()) == [
        "app_only.html",
        "both.html",
        "first_only.html",
        "second_only.html",
        "shared.html",
    ]


def test_template_not_found(fw: t.Any, app: t.Any) -> None:
    with app.app_context():
        with pytest.raises(jinja2.TemplateNotFound) as info:
            fw.render_template("missing.html")
        assert info.value.name == "missing.html"
        with pytest.raises(jinja2.TemplatesNotFound):
            fw.render_template(["missing.html", "gone.html"])


def test_render_first_existing_or_a_template_object(fw: t.Any, app: t.Any) -> None:
    with app.app_context():
        assert fw.render_template(["missing.html", "plain.txt"], value=1) == "1"
        template = app.jinja_env.from_string("{{ value * 2 }}")
        assert fw.render_template(template, value=21) == "42"
        assert fw.render_template(["missing.html", template], value=2) == "4"


# -- context -----------------------------------------------------------------------


def test_request_session_g_config_url_for_in_templates(fw: t.Any, app: t.Any) -> None:
    app.secret_key = "secret"

    @app.route("/show/<name>")
    def show(name: str) -> str:
        return name

    @app.route("/login")
    def login() -> str:
        fw.session["user"] = "ada"
        return "ok"

    @app.route("/page")
    def page() -> str:
        fw.g.answer = 42
        return fw.render_template("context.html")

    client = app.test_client()
    fetch(client, "/login")
    expected = "/page|&lt;x&gt;|ada|42|True|/show/a%20b"
    assert body(client, "/page?q=<x>") == expected


def test_app_context_without_request(fw: t.Any, app: t.Any) -> None:
    with recording(fw.template_rendered, app) as contexts, app.app_context():
        fw.g.answer = 42
        rendered = fw.render_template_string(
            "{{ g.answer }}|{% if request %}request{% else %}none{% endif %}"
            "|{% if session %}session{% else %}none{% endif %}"
        )
    assert rendered == "42|none|none"
    context = contexts[0][1]["context"]
    assert "g" in context
    assert "request" not in context
    assert "session" not in context


def test_rendering_needs_an_app_context(fw: t.Any) -> None:
    with pytest.raises(RuntimeError, match="application context"):
        fw.render_template_string("x")


def test_reading_session_in_a_template_varies_on_cookie(fw: t.Any, app: t.Any) -> None:
    app.secret_key = "secret"
    app.add_url_rule("/quiet", "quiet", lambda: fw.render_template_string("quiet"))
    app.add_url_rule(
        "/reads",
        "reads",
        lambda: fw.render_template_string("{{ session.get('user') }}"),
    )
    client = app.test_client()
    assert "Cookie" not in fetch(client, "/quiet").headers.get("Vary", "")
    assert "Cookie" in fetch(client, "/reads").headers.get("Vary", "")


def test_given_values_win_over_context_processors(fw: t.Any, app: t.Any) -> None:
    @app.context_processor
    def values() -> dict[str, t.Any]:
        return {"title": "processor", "extra": "added"}

    with app.test_request_context():
        rendered = fw.render_template_string("{{ title }} {{ extra }}", title="given")
        assert rendered == "given added"
        context: dict[str, t.Any] = {"title": "given"}
        app.update_template_context(context)
        assert context["request"] is fw.request._get_current_object()
        assert context["g"] is fw.g._get_current_object()
    assert context["title"] == "given"
    assert context["extra"] == "added"
    assert "session" not in context


def scoped_processor_app(fw: t.Any, app: t.Any) -> t.Any:
    """An app with a processor of its own, a blueprint with a scoped one and an
    app-wide one, and a blueprint nested in it with another scoped one."""
    template = "{{ where }}|{{ scope|default('-') }}|{{ everywhere|default('-') }}"
    parent = fw.Blueprint("parent", __name__, url_prefix="/parent")
    child = fw.Blueprint("child", __name__, url_prefix="/child")

    @app.context_processor
    def app_values() -> dict[str, str]:
        return {"where": "app", "scope": "app"}

    @parent.context_processor
    def parent_values() -> dict[str, str]:
        return {"where": "parent", "scope": "parent"}

    @parent.app_context_processor
    def everywhere() -> dict[str, str]:
        return {"everywhere": "yes"}

    @child.context_processor
    def child_values() -> dict[str, str]:
        return {"where": "child"}

    for scaffold in (app, parent, child):
        scaffold.add_url_rule("/", "index", lambda: fw.render_template_string(template))
    parent.register_blueprint(child)
    app.register_blueprint(parent)
    return app


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/", "app|app|yes"),
        ("/parent/", "parent|parent|yes"),
        ("/parent/child/", "child|parent|yes"),
    ],
)
def test_context_processors_are_scoped_to_blueprints(
    fw: t.Any, app: t.Any, path: str, expected: str
) -> None:
    client = scoped_processor_app(fw, app).test_client()
    assert body(client, path) == expected


def test_flashed_messages_in_templates(fw: t.Any, app: t.Any) -> None:
    app.secret_key = "secret"

    @app.route("/flash")
    def flash_view() -> t.Any:
        fw.flash("saved")
        fw.flash("<careful>", "warning")
        return fw.redirect("/show")

    @app.route("/show")
    def show() -> str:
        return fw.render_template("flashes.html")

    client = app.test_client()
    assert fetch(client, "/flash").status_code == 302
    assert body(client, "/show") == "[message:saved][warning:&lt;careful&gt;]"
    assert body(client, "/show") == ""


# -- signals -----------------------------------------------------------------------


def test_render_signals(fw: t.Any, app: t.Any) -> None:
    events: list[tuple[str, t.Any, str, dict[str, t.Any]]] = []

    def before(sender: t.Any, template: t.Any, context: dict[str, t.Any]) -> None:
        events.append(("before", sender, template.name, dict(context)))

    def after(sender: t.Any, template: t.Any, context: dict[str, t.Any]) -> None:
        events.append(("after", sender, template.name, dict(context)))

    fw.before_render_template.connect(before, app)
    fw.template_rendered.connect(after, app)
    try:
        with app.test_request_context():
            assert fw.render_template("index.html", value=1) == "<p>1</p>"
    finally:
        fw.before_render_template.disconnect(before)
        fw.template_rendered.disconnect(after)
    assert [event[:3] for event in events] == [
        ("before", app, "index.html"),
        ("after", app, "index.html"),
    ]
    for *_, context in events:
        assert context["value"] == 1
        assert context.keys() == {"g", "request", "value"}


def test_stream_signals_wait_for_the_end(fw: t.Any, app: t.Any) -> None:
    with (
        recording(fw.template_rendered, app) as rendered,
        recording(fw.before_render_template, app) as before,
        app.app_context(),
    ):
        chunks = fw.stream_template_string(
            "{% for i in n %}{{ i }}{% endfor %}", n=[1, 2]
        )
        assert len(before) == 1
        assert rendered == []
        assert "".join(chunks) == "12"
        assert len(rendered) == 1
    assert rendered[0][0] is app
    assert rendered[0][1]["template"].name is None
    assert rendered[0][1]["context"]["n"] == [1, 2]


# -- streaming ---------------------------------------------------------------------


def test_stream_template_keeps_the_request_context(fw: t.Any, app: t.Any) -> None:
    @app.route("/stream")
    def stream() -> t.Any:
        return app.response_class(fw.stream_template("stream.html", items="abc"))

    @app.route("/stream-string")
    def stream_string() -> t.Any:
        chunks = fw.stream_template_string("{{ request.path }}|{{ request.args.q }}")
        return app.response_class(chunks)

    client = app.test_client()
    assert body(client, "/stream?q=<q>") == "<a:&lt;q&gt;><b:&lt;q&gt;><c:&lt;q&gt;>"
    assert body(client, "/stream-string?q=1") == "/stream-string|1"


def test_stream_template_yields_chunks(fw: t.Any, app: t.Any) -> None:
    with app.test_request_context("/?q=z"):
        chunks = fw.stream_template("stream.html", items=[1, 2])
        assert iter(chunks) is chunks
        pieces = list(chunks)
    assert len(pieces) > 1
    assert "".join(pieces) == "<1:z><2:z>"


def test_stream_template_in_app_context(fw: t.Any, app: t.Any) -> None:
    with app.app_context():
        chunks = fw.stream_template("plain.txt", value="<v>")
        assert "".join(chunks) == "<v>"


# -- reloading and explaining ----------------------------------------------------


def render_after_change(fw: t.Any, app: t.Any, path: Path) -> tuple[str, str]:
    """Render ``page.txt``, rewrite it with a later modification time, and
    render it again."""
    with app.app_context():
        first = fw.render_template("page.txt")
        path.write_text("second")
        stat = path.stat()
        os.utime(path, (stat.st_atime, stat.st_mtime + 10))
        return first, fw.render_template("page.txt")


@pytest.mark.parametrize(
    ("auto_reload", "debug", "expected"),
    [
        (True, False, "second"),
        (False, True, "first"),
        (None, True, "second"),
        (None, False, "first"),
    ],
)
def test_templates_auto_reload(
    fw: t.Any,
    tmp_path: Path,
    auto_reload: bool | None,
    debug: bool,
    expected: str,
) -> None:
    path = write(tmp_path, "page.txt", "first")
    app = folder_app(fw, tmp_path)
    app.config["TEMPLATES_AUTO_RELOAD"] = auto_reload
    app.config["DEBUG"] = debug
    assert render_after_change(fw, app, path) == ("first", expected)


@pytest.mark.parametrize(
    ("auto_reload", "debug", "expected"),
    [(True, False, True), (False, True, False), (None, True, True), (None, 0, False)],
)
def test_templates_auto_reload_property(
    auto_reload: bool | None, debug: bool, expected: bool
) -> None:
    # A microweb extra: Flask 3.1 reads the config key only.
    app = microweb_framework().Flask(__name__)
    app.config.update(TEMPLATES_AUTO_RELOAD=auto_reload, DEBUG=debug)
    assert app.templates_auto_reload is expected
    assert app.jinja_env.auto_reload is expected
    app.templates_auto_reload = not expected
    assert app.config["TEMPLATES_AUTO_RELOAD"] is (not expected)


def test_debug_after_the_environment_turns_reload_on(fw: t.Any, tmp_path: Path) -> None:
    path = write(tmp_path, "page.txt", "first")
    app = folder_app(fw, tmp_path)
    app.config["DEBUG"] = False
    assert app.jinja_env.auto_reload is False
    app.debug = True
    assert app.jinja_env.auto_reload is True
    assert render_after_change(fw, app, path) == ("first", "second")


def explained(
    fw: t.Any, app: t.Any, caplog: pytest.LogCaptureFixture, name: str
) -> str:
    """Load template *name* with ``EXPLAIN_TEMPLATE_LOADING`` on; the log."""
    app.config["EXPLAIN_TEMPLATE_LOADING"] = True
    caplog.set_level(logging.INFO, logger=app.logger.name)
    with app.app_context():
        try:
            app.jinja_env.get_template(name)
        except jinja2.TemplateNotFound:
            pass
    records = [r for r in caplog.records if r.name == app.logger.name]
    assert len(records) == 1
    assert records[0].levelno == logging.INFO
    return records[0].getMessage()


def test_explain_template_loading_found(
    fw: t.Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = blueprint_folders(fw, tmp_path)
    message = explained(fw, app, caplog, "first_only.html")
    assert "'first_only.html'" in message
    assert f"application {app.import_name!r}" in message
    assert "blueprint 'first'" in message
    assert "blueprint 'second'" in message
    assert str(tmp_path / "first" / "first_only.html") in message
    assert "Error" not in message
    assert "Warning" not in message


def test_explain_template_loading_several(
    fw: t.Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = blueprint_folders(fw, tmp_path)
    message = explained(fw, app, caplog, "shared.html")
    assert "Warning:" in message
    with app.app_context():
        assert fw.render_template("shared.html") == "app shared"


def test_explain_template_loading_missing(
    fw: t.Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Not the shared ``app`` fixture: other test modules disable its logger.
    message = explained(fw, folder_app(fw, tmp_path), caplog, "missing.html")
    assert "'missing.html'" in message
    assert "Error:" in message


def test_no_explaining_by_default(
    fw: t.Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = blueprint_folders(fw, tmp_path)
    caplog.set_level(logging.DEBUG, logger=app.logger.name)
    with app.app_context():
        assert fw.render_template("shared.html") == "app shared"
    assert [r for r in caplog.records if r.name == app.logger.name] == []


def test_explain_template_loading_from_a_blueprint_view(
    fw: t.Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = folder_app(fw, tmp_path)
    blueprint = fw.Blueprint("admin", __name__)
    blueprint.add_url_rule(
        "/admin", "index", lambda: fw.render_template("missing.html")
    )
    app.register_blueprint(blueprint)
    app.config["EXPLAIN_TEMPLATE_LOADING"] = True
    caplog.set_level(logging.INFO, logger=app.logger.name)
    with app.test_request_context("/admin"), pytest.raises(jinja2.TemplateNotFound):
        app.view_functions["admin.index"]()
    messages = [r.getMessage() for r in caplog.records if r.name == app.logger.name]
    assert "'admin'" in messages[0]


# -- filters, tests and globals ----------------------------------------------------


def test_template_filter_test_global_decorators(fw: t.Any, app: t.Any) -> None:
    @app.template_filter()
    def shout(value: str) -> str:
        return value.upper()

    @app.template_filter("twice")
    def double(value: str) -> str:
        return value * 2

    @app.template_test()
    def even(value: int) -> bool:
        return value % 2 == 0

    @app.template_test("big")
    def large(value: int) -> bool:
        return value > 100

    @app.template_global()
    def answer() -> int:
        return 42

    @app.template_global("site")
    def site_name() -> str:
        return "example"

    assert shout("a") == "A"
    assert app.jinja_env.filters["shout"] is shout
    assert app.jinja_env.tests["big"] is large
    assert app.jinja_env.globals["site"] is site_name
    with app.app_context():
        rendered = fw.render_template_string(
            "{{ 'a'|shout }} {{ 'b'|twice }} {{ 2 is even }} {{ 3 is even }}"
            " {{ 200 is big }} {{ answer() }} {{ site() }}"
        )
    assert rendered == "A bb True False True 42 example"


def test_add_template_filter_test_global(fw: t.Any, app: t.Any) -> None:
    app.add_template_filter(str.upper)
    app.add_template_filter(str.lower, "down")
    app.add_template_test(str.isdigit)
    app.add_template_test(str.isalpha, name="letters")
    app.add_template_global(len)
    app.add_template_global(max, name="largest")
    with app.app_context():
        rendered = fw.render_template_string(
            "{{ 'a'|upper }}{{ 'B'|down }} {{ '1' is isdigit }} {{ 'a' is letters }}"
            " {{ len('abc') }} {{ largest(1, 5) }}"
        )
    assert rendered == "Ab True True 3 5"


def test_blueprint_app_template_functions(fw: t.Any, app: t.Any) -> None:
    blueprint = fw.Blueprint("bp", __name__)

    @blueprint.app_template_filter()
    def backwards(value: str) -> str:
        return value[::-1]

    @blueprint.app_template_filter("initial")
    def first_letter(value: str) -> str:
        return value[:1]

    @blueprint.app_template_test()
    def empty(value: str) -> bool:
        return not value

    @blueprint.app_template_test("short")
    def is_short(value: str) -> bool:
        return len(value) < 3

    @blueprint.app_template_global()
    def version() -> str:
        return "1.0"

    @blueprint.app_template_global("name")
    def blueprint_name() -> str:
        return "bp"

    blueprint.add_app_template_filter(str.title, "titled")
    blueprint.add_app_template_test(str.isupper)
    blueprint.add_app_template_global(sum, name="total")
    assert "backwards" not in app.jinja_env.filters
    app.register_blueprint(blueprint)
    assert app.jinja_env.filters["initial"] is first_letter
    assert app.jinja_env.tests["short"] is is_short
    assert app.jinja_env.globals["version"] is version
    app.add_url_rule(
        "/",
        "index",
        lambda: fw.render_template_string(
            "{{ 'abc'|backwards }} {{ 'xyz'|initial }} {{ '' is empty }}"
            " {{ 'ab' is short }} {{ version() }} {{ name() }} {{ 'a b'|titled }}"
            " {{ 'A' is isupper }} {{ total([1, 2]) }}"
        ),
    )
    assert body(app.test_client()) == "cba x True True 1.0 bp A B True 3"


def test_template_functions_after_first_request_fail(fw: t.Any, app: t.Any) -> None:
    app.add_url_rule("/", "index", lambda: "hi")
    fetch(app.test_client())
    for register in (
        app.add_template_filter,
        app.add_template_test,
        app.add_template_global,
    ):
        with pytest.raises(AssertionError, match="already handled its first"):
            register(len)
    with pytest.raises(AssertionError):
        app.template_filter()(len)


# -- macros and JSON --------------------------------------------------------------


def test_get_template_attribute_calls_a_macro(fw: t.Any, app: t.Any) -> None:
    with app.app_context():
        greet = fw.get_template_attribute("macros.html", "greet")
        assert greet("<Ada>") == "Hello &lt;Ada&gt;!"
        assert greet("Bob", punctuation="?") == "Hello Bob?"
        assert fw.get_template_attribute("macros.html", "answer") == 42
        with pytest.raises(AttributeError):
            fw.get_template_attribute("macros.html", "missing")


def test_tojson_uses_the_app_json_provider(fw: t.Any, app: t.Any) -> None:
    value = {"day": datetime.date(2020, 1, 2), "tag": "</script>"}
    with app.app_context():
        rendered = fw.render_template_string("{{ value|tojson }}", value=value)
    assert rendered == (
        '{"day": "Thu, 02 Jan 2020 00:00:00 GMT", "tag": "\\u003c/script\\u003e"}'
    )


# -- side by side -------------------------------------------------------------------


def showcase(ns: t.Any) -> str:
    """Render ``showcase.html`` in a request on the framework *ns*."""
    app = ns.Flask(__name__)
    app.add_url_rule("/show/<name>", "show", lambda name: name)
    context = {
        "title": "a <title>",
        "user": "<Ada & Bob>",
        "items": ["b", "c", "a"],
        "data": {"z": [1, "</script>"], "a": None},
        "markup": Markup("<em>kept</em>"),
    }
    with app.test_request_context("/", base_url="http://example.org/root/"):
        return ns.render_template("showcase.html", **context)


def test_showcase_renders_as_flask_does() -> None:
    flask_ns = flask_framework("render_template")
    microweb_ns = microweb_framework("render_template")
    rendered = showcase(microweb_ns)
    assert rendered == showcase(flask_ns)
    assert 'href="/root/show/%3CAda%20&amp;%20Bob%3E?page=2"' in rendered
    assert "&lt;Ada &amp; Bob&gt;" in rendered
