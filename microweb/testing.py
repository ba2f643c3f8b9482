"""The test client and environ builder, with the app's defaults (as Flask's)."""

from __future__ import annotations

import importlib.metadata
import typing as t
from contextlib import ExitStack, contextmanager
from copy import copy
from types import TracebackType
from urllib.parse import urlsplit

import click.testing
import werkzeug.test
from werkzeug.test import Client
from werkzeug.wrappers import Request as BaseRequest

if t.TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment
    from werkzeug.test import TestResponse

    from .app import App


class EnvironBuilder(werkzeug.test.EnvironBuilder):
    """Werkzeug's environ builder, with the host, root and scheme of the app.

    .. versionadded:: 0.1
    """

    def __init__(
        self,
        app: App,
        path: str = "/",
        base_url: str | None = None,
        subdomain: str | None = None,
        url_scheme: str | None = None,
        *args: t.Any,
        **kwargs: t.Any,
    ) -> None:
        if base_url is not None and (subdomain or url_scheme):
            raise ValueError('Cannot pass "subdomain" or "url_scheme" with "base_url".')
        if base_url is None:
            host = app.config.get("SERVER_NAME") or "localhost"
            if subdomain:
                host = f"{subdomain}.{host}"
            if url_scheme is None:
                url_scheme = app.config["PREFERRED_URL_SCHEME"]
            url = urlsplit(path)
            root = app.config["APPLICATION_ROOT"].lstrip("/")
            base_url = f"{url.scheme or url_scheme}://{url.netloc or host}/{root}"
            path = f"{url.path}?{url.query}" if url.query else url.path
        self.app = app
        super().__init__(path, base_url, *args, **kwargs)

    def json_dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
        """Serialize a ``json=`` body with the app's JSON provider."""
        return self.app.json.dumps(obj, **kwargs)


_USER_AGENT = f"Werkzeug/{importlib.metadata.version('werkzeug')}"


class TestClient(Client):
    """Werkzeug's test client for an app; ``with client:`` keeps the last request's
    context pushed until the block ends.

    .. versionadded:: 0.1
    """

    __test__ = False  # not a pytest test class
    application: App

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.preserve_context = False
        self._new_contexts: list[t.ContextManager[t.Any]] = []
        self._context_stack = ExitStack()
        self.environ_base = {"REMOTE_ADDR": "127.0.0.1", "HTTP_USER_AGENT": _USER_AGENT}

    @contextmanager
    def session_transaction(self, *args: t.Any, **kwargs: t.Any) -> t.Iterator[t.Any]:
        """Open the client's session to read or change it; it is saved back to
        the client's cookies when the block ends. The arguments describe the
        request it is opened for, as ``test_request_context``'s."""
        if self._cookies is None:
            raise TypeError(
                "Cookies are disabled. Create a client with 'use_cookies=True'."
            )
        app = self.application
        context = app.test_request_context(*args, **kwargs)
        self._add_cookies_to_wsgi(context.request.environ)
        with context:
            session = app.session_interface.open_session(app, context.request)
        if session is None:
            raise RuntimeError("Session backend did not open a session.")
        yield session
        if app.session_interface.is_null_session(session):
            return
        response = app.response_class()
        with context:
            app.session_interface.save_session(app, session, response)
        self._update_cookies_from_response(
            context.request.host.partition(":")[0],
            context.request.path,
            response.headers.getlist("Set-Cookie"),
        )

    def _copy_environ(self, other: WSGIEnvironment) -> WSGIEnvironment:
        environ = {**self.environ_base, **other}
        if self.preserve_context:
            environ["werkzeug.debug.preserve_context"] = self._new_contexts.append
        return environ

    def _request_from_builder_args(
        self, args: tuple[t.Any, ...], kwargs: dict[str, t.Any]
    ) -> BaseRequest:
        # Flask's name: Flask-SocketIO's test client calls it to share this
        # client's cookies.
        kwargs["environ_base"] = self._copy_environ(kwargs.get("environ_base", {}))
        builder = EnvironBuilder(self.application, *args, **kwargs)
        try:
            return builder.get_request()
        finally:
            builder.close()

    def open(
        self,
        *args: t.Any,
        buffered: bool = False,
        follow_redirects: bool = False,
        **kwargs: t.Any,
    ) -> TestResponse:
        """Send a request to the app; the arguments are Werkzeug's."""
        first = args[0] if args else None
        if isinstance(first, werkzeug.test.EnvironBuilder):
            builder = copy(first)
            builder.environ_base = self._copy_environ(builder.environ_base or {})  # type: ignore[arg-type]
            request = builder.get_request()
        elif isinstance(first, dict):
            request = EnvironBuilder.from_environ(
                first, app=self.application, environ_base=self._copy_environ({})
            ).get_request()
        elif isinstance(first, BaseRequest):
            request = copy(first)
            request.environ = self._copy_environ(request.environ)
        else:
            request = self._request_from_builder_args(args, kwargs)
        self._context_stack.close()
        response = super().open(
            request, buffered=buffered, follow_redirects=follow_redirects
        )
        response.json_module = self.application.json  # type: ignore[assignment]
        for context in self._new_contexts:
            # Flask's client also keeps the app context a request shared pushed,
            # sending its signals; here the request context serves its ``g``.
            shared = getattr(context, "app_context", None)
            if shared is not None:
                shared.push_shared()
                self._context_stack.callback(shared.pop_shared)
            self._context_stack.enter_context(context)
        self._new_contexts.clear()
        return response

    def __enter__(self) -> TestClient:
        if self.preserve_context:
            raise RuntimeError("Cannot nest client invocations")
        self.preserve_context = True
        return self

    def __exit__(
        self,
        exc_type: type | None,
        exc_value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.preserve_context = False
        self._context_stack.close()


class CliRunner(click.testing.CliRunner):
    """click's test runner for an app's commands: :meth:`invoke` runs
    ``app.cli`` by default, with the app loaded. Made by
    :meth:`App.test_cli_runner <microweb.App.test_cli_runner>`.

    :param app: the app the commands run with.
    :param kwargs: passed to :class:`click.testing.CliRunner`.

    .. versionadded:: 0.1
    """

    def __init__(self, app: App, **kwargs: t.Any) -> None:
        self.app = app
        super().__init__(**kwargs)

    def invoke(  # type: ignore[override]
        self, cli: t.Any = None, args: t.Any = None, **kwargs: t.Any
    ) -> click.testing.Result:
        """Invoke *cli* (``app.cli`` by default) with *args*, in isolation; the
        app reaches the commands through the :class:`~microweb.cli.ScriptInfo`
        passed as ``obj`` (for an app with :attr:`~microweb.App.flask_contexts`
        set, an instance of Flask's ``ScriptInfo`` too). The arguments are
        click's."""
        from .cli import ScriptInfo
        from .flask_contexts import script_info_class

        if cli is None:
            cli = self.app.cli
        if "obj" not in kwargs:
            info_class = script_info_class() if self.app.flask_contexts else ScriptInfo
            kwargs["obj"] = info_class(create_app=lambda: self.app)
        return super().invoke(cli, args, **kwargs)
