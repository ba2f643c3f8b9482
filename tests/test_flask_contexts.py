"""``App.flask_contexts``: Flask's context variables set beside microweb's, so that
code written against ``flask`` (an extension using ``flask.current_app``,
``flask.g``, ``flask.request``, ``flask.session``) works on a microweb app.

Every test runs on microweb's compiled cores and on its pure ones.
"""

from __future__ import annotations

import sys
import typing as t

import flask
import flask.globals
import pytest
from conftest import fetch

import microweb
from microweb.flask_contexts import FlaskContexts


class FlaskStyleExtension:
    """What a Flask extension does, written against ``flask`` only: state in
    ``app.extensions``, a resource in ``flask.g`` closed at teardown, the request
    read through ``flask.request``."""

    def __init__(self, app: t.Any) -> None:
        self.closed: list[str] = []
        app.extensions["style"] = self
        app.before_request(self.remember_path)
        app.teardown_appcontext(self.close)

    def remember_path(self) -> None:
        flask.g.resource = f"resource for {flask.request.path}"

    def close(self, exc: BaseException | None) -> None:
        assert flask.current_app.extensions["style"] is self
        resource = flask.g.pop("resource", None)
        if resource is not None:
            self.closed.append(resource)

    @staticmethod
    def resource() -> str:
        return t.cast(str, flask.g.resource)


def bridged_app(app_class: type, **options: t.Any) -> t.Any:
    app = app_class(__name__, **options)
    app.secret_key = "test"
    app.flask_contexts = True
    return app


def test_a_flask_style_extension_works(dispatch_app_class: type) -> None:
    app = bridged_app(dispatch_app_class)
    extension = FlaskStyleExtension(app)

    @app.route("/items/<int:n>")
    def item(n: int) -> dict[str, t.Any]:
        return {
            "same app": flask.current_app._get_current_object() is app,
            "same g": flask.g._get_current_object() is microweb.g._get_current_object(),
            "same request": flask.request._get_current_object()
            is microweb.request._get_current_object(),
            "request_ctx": flask.globals.request_ctx.request.path,
            "view_args": flask.request.view_args,
            "resource": extension.resource(),
        }

    answer = fetch(app.test_client(), "/items/3").json
    assert answer == {
        "same app": True,
        "same g": True,
        "same request": True,
        "request_ctx": "/items/3",
        "view_args": {"n": 3},
        "resource": "resource for /items/3",
    }
    assert extension.closed == ["resource for /items/3"]
    assert not flask.has_app_context()
    assert not flask.has_request_context()


def test_flask_session_is_the_microweb_session(dispatch_app_class: type) -> None:
    app = bridged_app(dispatch_app_class)

    @app.route("/set")
    def set_value() -> str:
        flask.session["user"] = "ann"
        return "set"

    @app.route("/get")
    def get_value() -> str:
        return f"{microweb.session.get('user')} {flask.session.get('user')}"

    client = app.test_client()
    fetch(client, "/set")
    assert fetch(client, "/get").get_data() == b"ann ann"


def test_flask_contexts_in_contexts_pushed_by_hand(dispatch_app_class: type) -> None:
    app = bridged_app(dispatch_app_class)
    app.add_url_rule("/", "index", lambda: flask.current_app.name)
    with app.app_context():
        assert flask.current_app._get_current_object() is app
        assert not flask.has_request_context()
        # A request served inside: Flask's variables are the request's, then the
        # outer context's again.
        assert fetch(app.test_client(), "/").get_data() == app.name.encode()
        assert flask.current_app._get_current_object() is app
        assert not flask.has_request_context()
        with app.test_request_context("/here?x=1"):
            assert flask.request.args["x"] == "1"
            assert flask.url_for("index") == "/"
        assert not flask.has_request_context()
    assert not flask.has_app_context()


def test_flask_contexts_through_errors_and_streams(dispatch_app_class: type) -> None:
    app = bridged_app(dispatch_app_class)
    app.testing = False
    seen: list[t.Any] = []

    @app.route("/fail")
    def fail() -> str:
        raise LookupError("broken")

    @app.errorhandler(LookupError)
    def handled(error: LookupError) -> tuple[str, int]:
        return f"{flask.request.path}: {error}", 500

    @app.teardown_request
    def after(exc: BaseException | None) -> None:
        seen.append((flask.request.path, exc))

    @app.route("/stream")
    def stream() -> t.Any:
        def lines() -> t.Iterator[str]:
            yield flask.request.path
            yield f" {flask.current_app.name}"

        return microweb.stream_with_context(lines())

    client = app.test_client()
    response = fetch(client, "/fail")
    assert (response.status_code, response.get_data()) == (500, b"/fail: broken")
    assert fetch(client, "/stream").get_data() == f"/stream {app.name}".encode()
    # Handled, the error does not reach the teardown functions, as in Flask.
    assert seen[0] == ("/fail", None)
    assert not flask.has_app_context()


def test_off_by_default(dispatch_app_class: type) -> None:
    app = dispatch_app_class(__name__)
    app.add_url_rule("/", "index", lambda: str(flask.has_app_context()))
    client = app.test_client()
    assert fetch(client, "/").get_data() == b"False"
    # Switched on after the first request, it holds from the next one.
    app.flask_contexts = True
    assert fetch(client, "/").get_data() == b"True"
    app.flask_contexts = False
    assert fetch(client, "/").get_data() == b"False"


def test_without_flask_the_switch_says_what_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "flask", None)
    monkeypatch.setitem(sys.modules, "flask.globals", None)
    with pytest.raises(RuntimeError, match="needs Flask installed"):
        FlaskContexts()


FLASK_SIGNAL_NAMES = list(microweb.signals.NAMES)


def record_flask_signals(app: t.Any, fw: t.Any) -> list[t.Any]:
    """Serve a page that flashes and renders, and an unhandled error, to *app*
    (whose views use *fw*'s ``flash`` and ``render_template_string``); return
    what Flask's signals were sent, in order: name, whether the sender is *app*,
    keywords."""
    import flask.signals

    sent: list[t.Any] = []

    def receiver_for(name: str) -> t.Callable[..., None]:
        def receive(sender: t.Any, **kwargs: t.Any) -> None:
            sent.append((name, sender is app, sorted(kwargs)))

        return receive

    receivers = [receiver_for(name) for name in FLASK_SIGNAL_NAMES]
    for name, receiver in zip(FLASK_SIGNAL_NAMES, receivers, strict=True):
        getattr(flask.signals, name).connect(receiver)

    @app.route("/")
    def page() -> str:
        fw.flash("saved")
        return t.cast(str, fw.render_template_string("{{ 6 * 7 }}"))

    @app.route("/fail")
    def fail() -> str:
        raise LookupError("broken")

    client = app.test_client()
    try:
        assert fetch(client, "/").get_data() == b"42"
        sent.append("next")
        assert fetch(client, "/fail").status_code == 500
        sent.append("next")
        with app.app_context():
            pass
    finally:
        for name, receiver in zip(FLASK_SIGNAL_NAMES, receivers, strict=True):
            getattr(flask.signals, name).disconnect(receiver)
    return sent


def test_flask_signals_are_sent_as_flask_sends_them(dispatch_app_class: type) -> None:
    reference = flask.Flask(__name__)
    reference.secret_key = "test"
    expected = record_flask_signals(reference, flask)
    assert {entry[0] for entry in expected if entry != "next"} == set(
        FLASK_SIGNAL_NAMES
    )
    app = bridged_app(dispatch_app_class)
    assert record_flask_signals(app, microweb) == expected
    # Nobody listens any more: the dispatch core sends no signal again.
    assert not microweb.signals.watch.active


def test_flask_signals_not_sent_for_an_app_without_the_switch(
    dispatch_app_class: type,
) -> None:
    with bridged_app(dispatch_app_class).app_context():
        pass  # Flask's signals are relayed from now on
    app = dispatch_app_class(__name__)
    app.secret_key = "test"
    assert record_flask_signals(app, microweb) == ["next", "next"]


def test_signal_relay_listens_only_while_flask_signal_has_receivers() -> None:
    from blinker import Signal

    from microweb.flask_contexts import SignalRelay

    ours, theirs = Signal(), Signal()
    heard: list[t.Any] = []

    def receive(sender: t.Any, **kwargs: t.Any) -> None:
        heard.append((sender.name, kwargs))

    theirs.connect(receive)  # before the relay: it listens from the start
    relay = SignalRelay(ours, theirs)
    assert list(ours.receivers.values()) == [relay]
    bridged, plain = microweb.App("bridged"), microweb.App("plain")
    bridged.flask_contexts = True
    ours.send(bridged, exc=None)
    ours.send(plain, exc=None)
    assert heard == [("bridged", {"exc": None})]
    theirs.disconnect(receive)
    assert not ours.receivers
    theirs.connect(receive)
    theirs.connect(print)
    assert list(ours.receivers.values()) == [relay]


def test_a_flask_blueprint_registers_on_a_microweb_app(
    dispatch_app_class: type,
) -> None:
    # Extensions ship Flask's own blueprints; registering one writes into the
    # app's hook and handler registries by the blueprint's name.
    app = bridged_app(dispatch_app_class)
    blueprint = flask.Blueprint("ext", __name__, url_prefix="/ext")
    calls: list[str] = []

    @blueprint.before_request
    def before() -> None:
        calls.append(f"before {flask.request.endpoint}")

    @blueprint.after_request
    def after(response: t.Any) -> t.Any:
        response.headers["X-Ext"] = "1"
        return response

    @blueprint.app_template_filter()
    def shout(text: str) -> str:
        return text.upper()

    @blueprint.errorhandler(LookupError)
    def missing(error: LookupError) -> tuple[str, int]:
        return f"missing {error}", 404

    @blueprint.route("/hello/<name>")
    def hello(name: str) -> str:
        return t.cast(
            str, flask.render_template_string("{{ name | shout }}", name=name)
        )

    @blueprint.route("/lookup")
    def lookup() -> str:
        raise LookupError("thing")

    app.register_blueprint(blueprint)
    client = app.test_client()
    response = fetch(client, "/ext/hello/ann")
    assert (response.get_data(), response.headers["X-Ext"]) == (b"ANN", "1")
    assert fetch(client, "/ext/lookup").get_data() == b"missing thing"
    assert calls == ["before ext.hello", "before ext.lookup"]
    with app.test_request_context():
        assert flask.url_for("ext.hello", name="bo") == "/ext/hello/bo"


def test_the_cli_runner_runs_commands_written_with_flask_with_appcontext(
    dispatch_app_class: type,
) -> None:
    import click
    import flask.cli

    @click.command("whoami")
    @flask.cli.with_appcontext
    def whoami() -> None:
        click.echo(f"flask sees {flask.current_app.name}")

    @click.command("whoami-here")
    @microweb.cli.with_appcontext
    def whoami_here() -> None:
        click.echo(f"microweb sees {microweb.current_app.name}")

    app = bridged_app(dispatch_app_class)
    app.cli.add_command(whoami)
    runner = app.test_cli_runner()
    assert runner.invoke(whoami).output == f"flask sees {app.name}\n"
    assert runner.invoke(args=["whoami"]).output == f"flask sees {app.name}\n"
    assert runner.invoke(whoami_here).output == f"microweb sees {app.name}\n"


class FlaskResponse(microweb.Response, flask.Response):
    """The recipe in docs/extensions.rst: a response class that is Flask's too."""


def test_a_response_class_that_is_flasks_too(dispatch_app_class: type) -> None:
    app = bridged_app(dispatch_app_class)
    app.response_class = FlaskResponse

    @app.route("/")
    def made() -> t.Any:
        response = flask.make_response("made", 201)
        assert isinstance(response, flask.Response)
        return response

    app.add_url_rule("/json", "json", lambda: {"a": 1})
    app.add_url_rule("/aborted", "aborted", lambda: flask.abort(418))
    client = app.test_client()
    response = fetch(client, "/")
    assert (response.status_code, response.get_data()) == (201, b"made")
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert fetch(client, "/json").json == {"a": 1}
    assert fetch(client, "/aborted").status_code == 418


def test_a_session_interface_that_matches_the_request(dispatch_app_class: type) -> None:
    # Flask opens the session before matching; an interface that needs the
    # endpoint matches through the request context, as Flask's tests show.
    opened: list[t.Any] = []

    class EndpointSessions(flask.sessions.SessionInterface):
        def open_session(self, app: t.Any, request: t.Any) -> t.Any:
            flask.globals.request_ctx.match_request()
            opened.append((request.endpoint, flask.request.view_args))
            return None

        def save_session(self, app: t.Any, session: t.Any, response: t.Any) -> None:
            pass

    app = bridged_app(dispatch_app_class)
    app.session_interface = EndpointSessions()
    app.add_url_rule("/items/<int:n>", "item", lambda n: str(flask.session.get("x")))
    assert fetch(app.test_client(), "/items/4").get_data() == b"None"
    with app.test_request_context("/items/5"):
        flask.session.get("x")
    assert opened == [("item", {"n": 4}), ("item", {"n": 5})]


def test_flask_after_this_request_in_a_microweb_view(dispatch_app_class: type) -> None:
    # Flask's after_this_request appends to the request context's list itself
    # (Flask-Compress's per-view compression does).
    app = bridged_app(dispatch_app_class)

    def tag(response: t.Any) -> t.Any:
        response.headers["X-Tag"] = flask.request.path
        return response

    @app.route("/plain")
    def plain() -> str:
        flask.after_this_request(tag)
        return "plain"

    app.add_url_rule("/untagged", "untagged", lambda: "untagged")
    client = app.test_client()
    response = fetch(client, "/plain")
    assert (response.get_data(), response.headers.get("X-Tag")) == (b"plain", "/plain")
    assert "X-Tag" not in fetch(client, "/untagged").headers
    with app.test_request_context("/by-hand"):
        flask.after_this_request(tag)
        assert (
            app.process_response(app.response_class("x")).headers["X-Tag"] == "/by-hand"
        )


def flask_helpers_app(app: t.Any) -> t.Any:
    """Views that call Flask's own helper functions, as extensions do."""
    app.secret_key = "test"

    @app.route("/file")
    def file() -> t.Any:
        return flask.send_file(f"{app.root_path}/static/a.txt")

    @app.route("/from-directory")
    def from_directory() -> t.Any:
        return flask.send_from_directory(f"{app.root_path}/static", "a.txt")

    @app.route("/flash")
    def flash() -> t.Any:
        flask.flash("hi")
        return flask.render_template("page.html")

    @app.route("/macro")
    def macro() -> t.Any:
        return flask.get_template_attribute("page.html", "tag")("q")

    @app.route("/stream")
    def stream() -> t.Any:
        return flask.stream_template_string(
            "{% for n in range(3) %}{{ n }}{% endfor %}"
        )

    @app.route("/json")
    def json() -> t.Any:
        return flask.json.dumps({"b": 1, "a": [1]}) + flask.jsonify(x=1).get_data(
            as_text=True
        )

    @app.route("/redirect")
    def redirect() -> t.Any:
        return flask.redirect(flask.url_for("json", q=1))

    @app.route("/abort")
    def abort() -> t.Any:
        flask.abort(418)

    return app


def test_flasks_helper_functions_on_a_microweb_app(
    dispatch_app_class: type, tmp_path: t.Any
) -> None:
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "a.txt").write_text("a file")
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "page.html").write_text(
        "{% macro tag(x) %}<{{ x }}>{% endmacro %}"
        "{{ 6 * 7 }}{% for m in get_flashed_messages() %} {{ m }}{% endfor %}"
    )
    answers = []
    for app in (
        flask.Flask(__name__, root_path=str(tmp_path)),
        bridged_app(dispatch_app_class, root_path=str(tmp_path)),
    ):
        client = flask_helpers_app(app).test_client()
        answers.append(
            [
                (path, response.status_code, response.get_data(), response.headers)
                for path in (
                    "/file",
                    "/from-directory",
                    "/flash",
                    "/macro",
                    "/stream",
                    "/json",
                    "/redirect",
                    "/abort",
                    "/static/a.txt",
                )
                for response in [fetch(client, path)]
            ]
        )
    for on_flask, on_microweb in zip(*answers, strict=True):
        path, status, body, headers = on_flask
        assert on_microweb[:3] == (path, status, body)
        for name in ("Content-Type", "Content-Length", "Location", "Cache-Control"):
            assert on_microweb[3].get(name) == headers.get(name), (path, name)


def test_a_request_inside_an_app_context_reuses_it(dispatch_app_class: type) -> None:
    # Flask's request reuses the app context of the same app it is pushed in:
    # flask.globals.app_ctx is that one inside the view (Flask-SQLAlchemy keys
    # its session on it, so a test and the view share one session).
    answers = []
    for app in (flask.Flask(__name__), bridged_app(dispatch_app_class)):
        seen: list[bool] = []

        def view(seen: list[bool] = seen) -> str:
            seen.append(flask.globals.app_ctx._get_current_object() is outer)
            seen.append(flask.g.get("mark") == "outer")
            return ""

        app.add_url_rule("/", "index", view)
        with app.app_context() as outer:
            flask.g.mark = "outer"
            fetch(app.test_client(), "/")
            with app.test_request_context("/"):
                view()
            assert flask.globals.app_ctx._get_current_object() is outer
        fetch(app.test_client(), "/")  # on its own: its own app context
        answers.append(seen)
    assert answers[1] == answers[0] == [True, True, True, True, False, False]
