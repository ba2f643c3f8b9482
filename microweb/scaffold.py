"""What the app and blueprints share: registration of routes, hooks and error
handlers, and the static folder."""

from __future__ import annotations

import os
import sys
import typing as t
from collections import defaultdict
from datetime import timedelta

from jinja2 import FileSystemLoader
from werkzeug.exceptions import HTTPException, default_exceptions
from werkzeug.utils import cached_property

if t.TYPE_CHECKING:
    from .wrappers import Response

F = t.TypeVar("F", bound=t.Callable[..., t.Any])
ErrorKey = type[BaseException] | int
#: Hook functions by blueprint name (``None`` for the app's own): a missing name
#: reads as an empty list, as in Flask, whose blueprints append to it.
Hooks = defaultdict[str | None, list[t.Callable[..., t.Any]]]
ErrorHandlers = defaultdict[
    str | None, dict[int | None, dict[type[BaseException], t.Callable[..., t.Any]]]
]


def handlers_by_code() -> defaultdict[
    int | None, dict[type[BaseException], t.Callable[..., t.Any]]
]:
    """An empty ``error_handler_spec`` entry: handlers by code, then by class."""
    return defaultdict(dict)


def _endpoint_from_view_func(view_func: t.Callable[..., t.Any] | None) -> str:
    if view_func is None:
        raise TypeError("expected view func if endpoint is not provided.")
    return view_func.__name__


def _get_root_path(import_name: str) -> str:
    module = sys.modules.get(import_name)
    filename = getattr(module, "__file__", None)
    if filename:
        return os.path.dirname(os.path.abspath(str(filename)))
    return os.getcwd()


#: The modes :meth:`Scaffold.open_resource` accepts.
_READ_MODES = frozenset({"r", "rt", "rb"})


def _open(path: str, mode: str, encoding: str | None) -> t.IO[t.Any]:
    """``open(path, mode)``, with *encoding* only in text mode."""
    if "b" in mode:
        return open(path, mode)
    return open(path, mode, encoding=encoding)


class Scaffold:
    """The registration API of :class:`~microweb.App` and
    :class:`~microweb.Blueprint`.

    .. versionadded:: 0.1
    """

    def __init__(
        self,
        import_name: str,
        static_folder: str | os.PathLike[str] | None = None,
        static_url_path: str | None = None,
        template_folder: str | os.PathLike[str] | None = None,
        root_path: str | None = None,
    ) -> None:
        self.import_name = import_name
        self.root_path = root_path or _get_root_path(import_name)
        self.static_folder = static_folder
        self.static_url_path = static_url_path
        self.template_folder = template_folder
        #: Endpoint name to view function.
        self.view_functions: dict[str, t.Callable[..., t.Any]] = self._view_registry()
        #: Error handlers: blueprint name (``None`` for this object) -> code -> class.
        self.error_handler_spec: ErrorHandlers = defaultdict(handlers_by_code)
        self.before_request_funcs: Hooks = self._hook_registry()
        self.after_request_funcs: Hooks = self._hook_registry()
        self.teardown_request_funcs: Hooks = self._hook_registry()
        self.url_value_preprocessors: Hooks = self._hook_registry()
        self.url_default_functions: Hooks = self._hook_registry()
        self.template_context_processors: Hooks = self._hook_registry()

    def _view_registry(self) -> dict[str, t.Callable[..., t.Any]]:
        return {}

    def _hook_registry(self) -> Hooks:
        return defaultdict(list)

    def _check_setup_finished(self, f_name: str) -> None:
        raise NotImplementedError

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: t.Callable[..., t.Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: t.Any,
    ) -> None:
        """Register a rule; see :meth:`microweb.App.add_url_rule`."""
        raise NotImplementedError

    @property
    def static_folder(self) -> str | None:
        """The absolute path of the static folder, or ``None``."""
        if self._static_folder is not None:
            return os.path.join(self.root_path, self._static_folder)
        return None

    @static_folder.setter
    def static_folder(self, value: str | os.PathLike[str] | None) -> None:
        if value is not None:
            value = os.fspath(value).rstrip(r"\/")
        self._static_folder = value

    @property
    def has_static_folder(self) -> bool:
        """Whether the app serves a static folder."""
        return self.static_folder is not None

    @property
    def static_url_path(self) -> str | None:
        """The URL path the static folder is served at."""
        if self._static_url_path is not None:
            return self._static_url_path
        if self.static_folder is not None:
            return f"/{os.path.basename(self.static_folder)}".rstrip("/")
        return None

    @static_url_path.setter
    def static_url_path(self, value: str | None) -> None:
        if value is not None:
            value = value.rstrip("/")
        self._static_url_path = value

    def get_send_file_max_age(self, filename: str | None) -> int | None:
        """The ``max_age`` of *filename* sent from the static folder: the current
        app's ``SEND_FILE_MAX_AGE_DEFAULT`` in seconds (``None``: no ``max-age``,
        the client revalidates). Override it to cache some files longer.

        .. versionadded:: 0.1
        """
        from .globals import current_app

        value = current_app.config["SEND_FILE_MAX_AGE_DEFAULT"]
        if value is None:
            return None
        if isinstance(value, timedelta):
            return int(value.total_seconds())
        return value  # type: ignore[no-any-return]

    @cached_property
    def jinja_loader(self) -> FileSystemLoader | None:
        """A loader over :attr:`template_folder`, or ``None`` without one; made
        on first use.

        .. versionadded:: 0.1
        """
        if self.template_folder is None:
            return None
        return FileSystemLoader(os.path.join(self.root_path, self.template_folder))

    def send_static_file(self, filename: str) -> Response:
        """Serve *filename* from the static folder (the view of the ``static``
        endpoint), with :meth:`get_send_file_max_age` as its ``max_age``."""
        from .helpers import send_from_directory

        if not self.has_static_folder:
            raise RuntimeError("'static_folder' must be set to serve static_files.")
        max_age = self.get_send_file_max_age(filename)
        return send_from_directory(
            t.cast(str, self.static_folder), filename, max_age=max_age
        )

    def open_resource(
        self, resource: str, mode: str = "rb", encoding: str | None = "utf-8"
    ) -> t.IO[t.Any]:
        """Open *resource*, a path relative to :attr:`root_path`, for reading.

        :param resource: the file's path under :attr:`root_path`, with ``/``
            between folders.
        :param mode: ``"rb"`` (bytes), ``"r"`` or ``"rt"`` (text); any other mode
            raises :exc:`ValueError`.
        :param encoding: the text encoding, unused for bytes.

        .. versionadded:: 0.1
        """
        if mode not in _READ_MODES:
            raise ValueError("Resources can only be opened for reading.")
        return _open(os.path.join(self.root_path, resource), mode, encoding)

    def route(self, rule: str, **options: t.Any) -> t.Callable[[F], F]:
        """Decorate a view function to register it for *rule*."""

        def decorator(function: F) -> F:
            endpoint = options.pop("endpoint", None)
            self.add_url_rule(rule, endpoint, function, **options)
            return function

        return decorator

    def _method_route(
        self, method: str, rule: str, options: dict[str, t.Any]
    ) -> t.Callable[[F], F]:
        if "methods" in options:
            raise TypeError("Use the 'route' decorator to use the 'methods' argument.")
        return self.route(rule, methods=[method], **options)

    def get(self, rule: str, **options: t.Any) -> t.Callable[[F], F]:
        """``route`` with ``methods=["GET"]``."""
        return self._method_route("GET", rule, options)

    def post(self, rule: str, **options: t.Any) -> t.Callable[[F], F]:
        """``route`` with ``methods=["POST"]``."""
        return self._method_route("POST", rule, options)

    def put(self, rule: str, **options: t.Any) -> t.Callable[[F], F]:
        """``route`` with ``methods=["PUT"]``."""
        return self._method_route("PUT", rule, options)

    def delete(self, rule: str, **options: t.Any) -> t.Callable[[F], F]:
        """``route`` with ``methods=["DELETE"]``."""
        return self._method_route("DELETE", rule, options)

    def patch(self, rule: str, **options: t.Any) -> t.Callable[[F], F]:
        """``route`` with ``methods=["PATCH"]``."""
        return self._method_route("PATCH", rule, options)

    def endpoint(self, endpoint: str) -> t.Callable[[F], F]:
        """Decorate a view function to register it for *endpoint*."""

        def decorator(function: F) -> F:
            self._check_setup_finished("endpoint")
            self.view_functions[endpoint] = function
            return function

        return decorator

    def _register(
        self, registry: dict[str | None, list[t.Any]], name: str, function: F
    ) -> F:
        self._check_setup_finished(name)
        registry.setdefault(None, []).append(function)
        return function

    def before_request(self, function: F) -> F:
        """Run *function* before each request; a value it returns is the response."""
        return self._register(self.before_request_funcs, "before_request", function)

    def after_request(self, function: F) -> F:
        """Run *function* on each response (the last registered runs first)."""
        return self._register(self.after_request_funcs, "after_request", function)

    def teardown_request(self, function: F) -> F:
        """Run *function* when each request ends, with its error or ``None``."""
        return self._register(self.teardown_request_funcs, "teardown_request", function)

    def url_value_preprocessor(self, function: F) -> F:
        """Run ``function(endpoint, values)`` before the ``before_request`` hooks."""
        return self._register(
            self.url_value_preprocessors, "url_value_preprocessor", function
        )

    def url_defaults(self, function: F) -> F:
        """Run ``function(endpoint, values)`` before ``url_for`` builds a URL."""
        return self._register(self.url_default_functions, "url_defaults", function)

    def context_processor(self, function: F) -> F:
        """Register a template context processor."""
        return self._register(
            self.template_context_processors, "context_processor", function
        )

    def errorhandler(self, code_or_exception: ErrorKey) -> t.Callable[[F], F]:
        """Decorate a function that answers an HTTP code or an exception class."""

        def decorator(function: F) -> F:
            self.register_error_handler(code_or_exception, function)
            return function

        return decorator

    def register_error_handler(
        self, code_or_exception: ErrorKey, function: t.Callable[..., t.Any]
    ) -> None:
        """Register *function* for an HTTP code or an exception class."""
        self._check_setup_finished("register_error_handler")
        exc_class, code = self._get_exc_class_and_code(code_or_exception)
        self.error_handler_spec.setdefault(None, {}).setdefault(code, {})[exc_class] = (
            function
        )

    @staticmethod
    def _get_exc_class_and_code(
        exc_class_or_code: ErrorKey,
    ) -> tuple[type[BaseException], int | None]:
        exc_class: type[BaseException]
        if isinstance(exc_class_or_code, int):
            try:
                exc_class = default_exceptions[exc_class_or_code]
            except KeyError:
                raise ValueError(
                    f"'{exc_class_or_code}' is not a recognized HTTP"
                    " error code. Use a subclass of HTTPException with"
                    " that code instead."
                ) from None
        else:
            exc_class = exc_class_or_code
        if isinstance(exc_class, Exception):
            raise TypeError(
                f"{exc_class!r} is an instance, not a class. Handlers"
                " can only be registered for Exception classes or HTTP"
                " error codes."
            )
        if not issubclass(exc_class, Exception):
            raise ValueError(
                f"'{exc_class.__name__}' is not a subclass of Exception."
                " Handlers can only be registered for Exception classes"
                " or HTTP error codes."
            )
        if issubclass(exc_class, HTTPException):
            return exc_class, exc_class.code
        return exc_class, None
