"""The request and response classes: Werkzeug's, with Flask's additions."""

from __future__ import annotations

import typing as t

from werkzeug.datastructures import EnvironHeaders
from werkzeug.exceptions import BadRequest, ClientDisconnected, RequestEntityTooLarge
from werkzeug.utils import cached_property
from werkzeug.wrappers import Request as RequestBase
from werkzeug.wrappers import Response as ResponseBase
from werkzeug.wsgi import LimitedStream

from . import json
from .globals import context_var, current_app

if t.TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment
    from werkzeug.exceptions import HTTPException

    from .routing import Rule


def blueprint_chain(endpoint: t.Any) -> list[str]:
    """The blueprints an endpoint belongs to, innermost first: ``"a.b.view"`` is in
    ``["a.b", "a"]``."""
    if not isinstance(endpoint, str) or "." not in endpoint:
        return []
    parts = endpoint.rpartition(".")[0].split(".")
    return [".".join(parts[:end]) for end in range(len(parts), 0, -1)]


#: The most bytes one read of the body asks for, as Werkzeug's ``LimitedStream``
#: reads (64 KiB).
READ_CHUNK = 64 * 1024


class _StreamProperty(cached_property[t.IO[bytes]]):
    """Werkzeug's cached property, for ``Request.stream``: setting the stream also
    marks ``wsgi.input`` as spoken for."""

    def __set__(self, obj: t.Any, value: t.IO[bytes]) -> None:
        obj._input_used = True
        super().__set__(obj, value)


class Request(RequestBase):
    """The request object behind :data:`microweb.request`.

    Werkzeug's request, plus what the dispatcher learned: the matched rule, the view
    arguments, the routing error, and limits read from the app's config.

    .. versionadded:: 0.1
    """

    json_module: t.Any = json
    #: The rule that matched, or ``None``.
    url_rule: Rule | None = None
    #: The arguments the view is called with, or ``None``.
    view_args: dict[str, t.Any] | None = None
    #: The routing error (404, 405, redirect), raised when the view would run.
    routing_exception: HTTPException | None = None
    _max_content_length: int | None = None
    _max_form_memory_size: int | None = None
    _max_form_parts: int | None = None
    # The body as read, once read and cached (Werkzeug's attribute, its default).
    _cached_data: bytes | None = None  # type: ignore[assignment]
    # Whether ``wsgi.input`` is spoken for: read by get_data, or wrapped by the
    # stream (made or set). Kept as a flag so that no hot path looks into the
    # instance ``__dict__`` (looking makes CPython build it, and slows every
    # attribute access after).
    _input_used = False
    # When get_data reads the body straight from ``wsgi.input``: its length, and
    # how much of it was read (less when the input ended early).
    _body_length: int | None = None
    _body_position = 0
    #: Whether :meth:`get_json` may take its fast path: this class reads and
    #: decodes the body as microweb's does (worked out for each subclass).
    _fast_json = True

    def __init__(
        self,
        environ: WSGIEnvironment,
        populate_request: bool = True,
        shallow: bool = False,
    ) -> None:
        # PERF: Werkzeug's two constructors (WSGI, then sans-IO) in one call, with
        # the same attributes and values; tests/test_request_json.py compares
        # them. The WSGI decoding (latin-1 to UTF-8) is skipped for ASCII, where
        # it changes nothing.
        self.method = environ.get("REQUEST_METHOD", "GET").upper()
        self.scheme = environ.get("wsgi.url_scheme", "http")
        name = environ.get("SERVER_NAME")
        if name is None:
            self.server = None
        else:
            try:
                port: int | None = int(environ.get("SERVER_PORT", None))  # type: ignore[arg-type]
            except (TypeError, ValueError):
                port = None  # a unix socket
            self.server = (name, port)
        root_path = environ.get("SCRIPT_NAME") or ""
        if root_path.__class__ is not str or not root_path.isascii():
            root_path = root_path.encode("latin1").decode(errors="replace")
        self.root_path = root_path.rstrip("/")
        path = environ.get("PATH_INFO") or ""
        if path.__class__ is not str or not path.isascii():
            path = path.encode("latin1").decode(errors="replace")
        self.path = "/" + path.lstrip("/")
        self.query_string = environ.get("QUERY_STRING", "").encode("latin1")
        self.headers = EnvironHeaders(environ)
        self.remote_addr = environ.get("REMOTE_ADDR")
        self.environ = environ
        self.shallow = shallow
        if populate_request and not shallow:
            environ["werkzeug.request"] = self

    def _config_limit(self, override: int | None, key: str, fallback: t.Any) -> t.Any:
        if override is not None:
            return override
        # PERF: the context variable, not the ``current_app`` proxy: this runs
        # whenever the body is read.
        context = context_var.get(None)
        if context is None:
            return fallback
        return context.app.config[key]

    @property
    def max_content_length(self) -> int | None:
        """The most bytes read from the body (``MAX_CONTENT_LENGTH``); 413 above."""
        # PERF: _config_limit inlined: this runs whenever the body is read.
        if self._max_content_length is not None:
            return self._max_content_length
        context = context_var.get(None)
        if context is None:
            return RequestBase.max_content_length
        return context.app.config["MAX_CONTENT_LENGTH"]  # type: ignore[no-any-return]

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value

    @property
    def max_form_memory_size(self) -> int | None:
        """The largest non-file form field (``MAX_FORM_MEMORY_SIZE``); 413 above."""
        return self._config_limit(  # type: ignore[no-any-return]
            self._max_form_memory_size,
            "MAX_FORM_MEMORY_SIZE",
            RequestBase.max_form_memory_size,
        )

    @max_form_memory_size.setter
    def max_form_memory_size(self, value: int | None) -> None:
        self._max_form_memory_size = value

    @property  # type: ignore[override]
    def max_form_parts(self) -> int | None:
        """The most fields in a multipart body (``MAX_FORM_PARTS``); 413 above."""
        return self._config_limit(  # type: ignore[no-any-return]
            self._max_form_parts, "MAX_FORM_PARTS", RequestBase.max_form_parts
        )

    @max_form_parts.setter
    def max_form_parts(self, value: int | None) -> None:
        self._max_form_parts = value

    @property
    def endpoint(self) -> str | None:
        """The endpoint of the matched rule, or ``None``."""
        if self.url_rule is not None:
            return self.url_rule.endpoint  # type: ignore[no-any-return]
        return None

    @property
    def blueprint(self) -> str | None:
        """The registered name of the current blueprint, or ``None``."""
        endpoint = self.endpoint
        if endpoint is not None and "." in endpoint:
            return endpoint.rpartition(".")[0]
        return None

    @property
    def blueprints(self) -> list[str]:
        """The current blueprint and its parents, innermost first."""
        return blueprint_chain(self.endpoint)

    @property
    def is_json(self) -> bool:
        """Whether the mimetype is :mimetype:`application/json` or
        :mimetype:`application/*+json`."""
        # PERF: the usual content type is recognized as the server gives it,
        # without parsing it into ``mimetype`` and its parameters.
        environ = self.environ
        headers = self.headers
        if (
            environ.get("CONTENT_TYPE") == "application/json"
            and headers.__class__ is EnvironHeaders
            and headers.environ is environ
            and getattr(self, "_parsed_content_type", None) is None
        ):
            return True
        return super().is_json

    @_StreamProperty
    def stream(self) -> t.IO[bytes]:
        """The WSGI input stream, with Werkzeug's safety checks: it is read once,
        never past ``Content-Length`` or :attr:`max_content_length`."""
        self._input_used = True
        length = self._body_length
        if length is None:
            return RequestBase.stream.fget(self)  # type: ignore[attr-defined, no-any-return]
        # get_data() read the body itself: this is the stream Werkzeug would
        # have read it through, where that reading stopped.
        stream = LimitedStream(self.environ["wsgi.input"], length)
        stream._pos = self._body_position
        return t.cast(t.IO[bytes], stream)

    def __init_subclass__(cls, **kwargs: t.Any) -> None:
        super().__init_subclass__(**kwargs)
        # get_json's fast path does what these two do: a subclass that changes
        # either takes Werkzeug's steps.
        cls._fast_json = (
            cls.get_data is Request.get_data and cls.is_json is Request.is_json
        )

    def get_json(
        self, force: bool = False, silent: bool = False, cache: bool = True
    ) -> t.Any | None:
        """The body parsed as JSON, as Werkzeug's: 415 when the mimetype is not JSON
        (unless *force*), 400 when the body does not parse (``None`` for both with
        *silent*); the result (and the body) cached unless *cache* is false."""
        if not self._fast_json:
            return super().get_json(force=force, silent=silent, cache=cache)
        # PERF: Werkzeug's get_json with its get_data inlined, and the JSON
        # content type recognized before it is parsed (as is_json does).
        if cache and self._cached_json[silent] is not Ellipsis:
            return self._cached_json[silent]
        if not force:
            environ = self.environ
            headers = self.headers
            if not (
                (
                    environ.get("CONTENT_TYPE") == "application/json"
                    and headers.__class__ is EnvironHeaders
                    and headers.environ is environ
                    and getattr(self, "_parsed_content_type", None) is None
                )
                or RequestBase.is_json.fget(self)  # type: ignore[attr-defined]
            ):
                if silent:
                    return None
                return self.on_json_loading_failed(None)
        data = self._cached_data
        if data is None:
            data = self._read_body()
            if data is None:
                data = self.stream.read()
            if cache:
                self._cached_data = data
        try:
            rv = self.json_module.loads(data)
        except ValueError as e:
            if silent:
                rv = None
                if cache:
                    normal_rv, _ = self._cached_json
                    self._cached_json = (normal_rv, rv)
            else:
                rv = self.on_json_loading_failed(e)
                if cache:
                    _, silent_rv = self._cached_json
                    self._cached_json = (rv, silent_rv)
        else:
            if cache:
                self._cached_json = (rv, rv)
        return rv

    @t.overload
    def get_data(
        self,
        cache: bool = True,
        as_text: t.Literal[False] = False,
        parse_form_data: bool = False,
    ) -> bytes: ...

    @t.overload
    def get_data(
        self,
        cache: bool = True,
        as_text: t.Literal[True] = ...,
        parse_form_data: bool = False,
    ) -> str: ...

    def get_data(
        self, cache: bool = True, as_text: bool = False, parse_form_data: bool = False
    ) -> bytes | str:
        """The body as bytes (or text with *as_text*), read once and cached unless
        *cache* is false; as Werkzeug's."""
        data = self._cached_data
        if data is None:
            if parse_form_data:
                self._load_form_data()
            data = self._read_body()
            if data is None:
                data = self.stream.read()
            if cache:
                self._cached_data = data
        if as_text:
            return data.decode(errors="replace")
        return data

    def _read_body(self) -> bytes | None:
        """The body read straight from ``wsgi.input`` when ``Content-Length`` gives
        its size; ``None`` when Werkzeug's stream must read it (no length, chunked,
        a server that ends the input itself, a stream already made)."""
        # PERF: what ``self.stream.read()`` does, without the stream object:
        # same 413, same reads (64 KiB at most, never past Content-Length), same
        # error when the input ends early.
        if self._input_used or self.shallow:
            return None
        environ = self.environ
        length = environ.get("CONTENT_LENGTH")
        if (
            length.__class__ is not str
            or not length.isdigit()
            or not length.isascii()
            or "HTTP_TRANSFER_ENCODING" in environ
            or "wsgi.input_terminated" in environ
        ):
            return None
        size = int(length)
        limit = self.max_content_length
        if limit is not None and size > limit:
            raise RequestEntityTooLarge()
        self._input_used = True
        self._body_length = size
        if not size:
            return b""
        stream = environ["wsgi.input"]
        try:
            data: bytes = stream.read(min(size, READ_CHUNK))
        except (OSError, ValueError):
            raise ClientDisconnected()  # noqa: B904 (Werkzeug's exception context)
        if len(data) != size:
            return self._read_rest(stream, data, size)
        self._body_position = size
        return data

    def _read_rest(self, stream: t.IO[bytes], data: bytes, size: int) -> bytes:
        """*data*, the first read of a *size*-byte body, and the rest read from
        *stream* in as many reads as it takes; 400 (as Werkzeug's
        ``LimitedStream``) when the input ends or fails first."""
        chunks = []
        position = 0
        try:
            while True:
                if not data:
                    raise ClientDisconnected()
                chunks.append(data)
                position += len(data)
                if position >= size:
                    return b"".join(chunks)
                try:
                    data = stream.read(min(size - position, READ_CHUNK))
                except (OSError, ValueError):
                    raise ClientDisconnected()  # noqa: B904 (as above)
        finally:
            self._body_position = position

    def close(self) -> None:
        """Close the uploaded files, if the form was parsed."""
        # PERF: most requests parse no form; Werkzeug's walks an empty one.
        if "files" in self.__dict__:
            super().close()

    def on_json_loading_failed(self, e: ValueError | None) -> t.Any:
        """415 for a body that is not JSON; 400, without details unless debugging,
        for JSON that does not parse."""
        try:
            return super().on_json_loading_failed(e)
        except BadRequest as error:
            if current_app and current_app.debug:
                raise
            raise BadRequest() from error


class Response(ResponseBase):
    """The response class: Werkzeug's, with ``text/html`` as the default mimetype.

    .. versionadded:: 0.1
    """

    default_mimetype: str | None = "text/html"
    json_module = json
    autocorrect_location_header = False

    @property
    def max_cookie_size(self) -> int:  # type: ignore[override]
        """``MAX_COOKIE_SIZE`` from the app's config (Werkzeug's default outside)."""
        if current_app:
            return current_app.config["MAX_COOKIE_SIZE"]  # type: ignore[no-any-return]
        return super().max_cookie_size
