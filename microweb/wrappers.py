"""The request and response classes: Werkzeug's, with Flask's additions."""

from __future__ import annotations

import codecs
import io
import typing as t
from urllib.parse import parse_qsl

from werkzeug.datastructures import EnvironHeaders, MultiDict
from werkzeug.exceptions import BadRequest, ClientDisconnected, RequestEntityTooLarge
from werkzeug.formparser import FormDataParser as FormDataParserBase
from werkzeug.utils import cached_property
from werkzeug.wrappers import Request as RequestBase
from werkzeug.wrappers import Response as ResponseBase
from werkzeug.wsgi import LimitedStream, get_content_length

from . import json
from .debughelpers import EnctypeHintFiles
from .globals import context_var, current_app
from .routing import without_bad_port

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


def hook_scopes(endpoint: t.Any) -> tuple[str | None, ...]:
    """Whose URL value preprocessors and ``before_request`` hooks a request to
    *endpoint* runs, in Flask's order: the app's (``None``), then each
    blueprint's from the outermost in."""
    return (None, *reversed(blueprint_chain(endpoint)))


#: The most bytes one read of the body asks for, as Werkzeug's ``LimitedStream``
#: reads (64 KiB).
READ_CHUNK = 64 * 1024


#: The ``MAX_JSON_DEPTH`` outside an app context.
DEFAULT_MAX_JSON_DEPTH = 500


def _percent_escape(error: UnicodeError) -> tuple[str, int]:
    """A codec error handler: the bytes that do not decode, percent-escaped
    (``b"\\xff"`` becomes ``%FF``), as Werkzeug leaves a bad percent-escape."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    undecodable = error.object[error.start : error.end]
    return "".join(f"%{byte:02X}" for byte in undecodable), error.end


#: The name of :func:`_percent_escape` for ``bytes.decode`` and ``unquote``.
PERCENT_ESCAPE = "microweb.percent_escape"
codecs.register_error(PERCENT_ESCAPE, _percent_escape)


class _CappedStream(LimitedStream):
    """A body the server ends itself (``wsgi.input_terminated``: chunked), held to
    *max_length* bytes. Werkzeug's ``LimitedStream(is_max=True)`` stops reading at
    the limit, so a longer body is cut there without a word; this one reads as
    it does, and on reaching the limit asks for one byte more: 413 if it comes,
    the end of the body if not."""

    #: Whether the input was found to end at the limit.
    _ended = False

    def __init__(self, stream: t.IO[bytes], max_length: int) -> None:
        super().__init__(stream, max_length, is_max=True)

    def _check_end(self) -> None:
        try:
            more = self._stream.read(1)
        except (OSError, ValueError):
            raise ClientDisconnected()  # noqa: B904 (as LimitedStream)
        if more:
            raise RequestEntityTooLarge()
        self._ended = True

    def readinto(self, buffer: bytearray) -> int | None:  # type: ignore[override]
        size = super().readinto(buffer)
        if size and self._pos >= self.limit:
            self._check_end()
        return size

    def on_exhausted(self) -> None:
        # Reading on at the limit: the end of a body that ended there (a 413 in
        # Werkzeug, which never looked).
        if not self._ended:
            self._check_end()


class FormDataParser(FormDataParserBase):
    """Werkzeug's form parser, with two changes.

    An urlencoded body is held to the limits Werkzeug applies to multipart bodies
    only: the whole body to ``max_form_memory_size`` bytes (checked from
    ``Content-Length`` before reading, and while reading a body without one), and
    its fields to ``max_form_parts``; 413 above either.

    A multipart body that fails half way (truncated, too large, too many parts)
    closes the temporary files of the uploads it had read, which Werkzeug leaves
    to the garbage collector.

    .. versionadded:: 0.1
    """

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        # The files the uploads are written to, as the parser opens them (the
        # recording function holds the list, not the parser: no cycle).
        containers: list[t.IO[bytes]] = []
        make_container = self.stream_factory

        def record_container(*args: t.Any, **kwargs: t.Any) -> t.IO[bytes]:
            container = make_container(*args, **kwargs)
            containers.append(container)
            return container

        self._containers = containers
        self.stream_factory = record_container

    def parse(
        self,
        stream: t.IO[bytes],
        mimetype: str,
        content_length: int | None,
        options: dict[str, str] | None = None,
    ) -> tuple[t.IO[bytes], MultiDict[str, t.Any], MultiDict[str, t.Any]]:
        """The stream, the form and the files of the body in *stream*, as
        Werkzeug's ``parse``, with the changes above."""
        if mimetype == "application/x-www-form-urlencoded":
            body = self._urlencoded_body(stream, content_length)
            _, form, files = super().parse(
                io.BytesIO(body), mimetype, len(body), options
            )
            return stream, form, files
        containers = self._containers
        containers.clear()
        try:
            result = super().parse(stream, mimetype, content_length, options)
        except BaseException:
            for container in containers:
                container.close()
            raise
        if containers:
            # A body that does not parse (ignored: silent) keeps no upload.
            kept = {id(upload.stream) for _, upload in result[2].items(multi=True)}
            for container in containers:
                if id(container) not in kept:
                    container.close()
        return result

    def _urlencoded_body(
        self, stream: t.IO[bytes], content_length: int | None
    ) -> bytes:
        """The urlencoded body read from *stream*; 413 when it is longer than
        ``max_form_memory_size`` or holds more than ``max_form_parts`` fields."""
        max_size = self.max_form_memory_size
        if max_size is None:
            body = stream.read()
        else:
            if content_length is not None and content_length > max_size:
                raise RequestEntityTooLarge()
            # One byte past the limit at most: a body without a length (or with
            # a wrong one, from a server that ends the input itself) is not read
            # to its end to be refused.
            chunks = []
            remaining = max_size + 1
            while remaining > 0:
                chunk = stream.read(min(remaining, READ_CHUNK))
                if not chunk:
                    break
                chunks.append(chunk)
                remaining -= len(chunk)
            if remaining <= 0:
                raise RequestEntityTooLarge()
            body = b"".join(chunks)
        max_parts = self.max_form_parts
        # PERF: a body with fewer separators than the limit has few enough
        # fields; the exact count (the fields are the pieces that are not
        # empty, as parse_qsl keeps them) is only made past that.
        if max_parts is not None and body.count(b"&") >= max_parts:
            pieces = body.split(b"&")
            if len(pieces) - pieces.count(b"") > max_parts:
                raise RequestEntityTooLarge()
        return body


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
    form_data_parser_class = FormDataParser
    #: The rule that matched, or ``None``.
    url_rule: Rule | None = None
    #: The arguments the view is called with, or ``None``.
    view_args: dict[str, t.Any] | None = None
    #: The routing error (404, 405, redirect), raised when the view would run.
    routing_exception: HTTPException | None = None
    _max_content_length: int | None = None
    _max_form_memory_size: int | None = None
    _max_form_parts: int | None = None
    _max_json_depth: int | None = None
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
    def max_json_depth(self) -> int | None:
        """The most levels of arrays and objects nested in a JSON body
        (``MAX_JSON_DEPTH``); :meth:`get_json` fails above (400).

        .. versionadded:: 0.1
        """
        return self._config_limit(  # type: ignore[no-any-return]
            self._max_json_depth, "MAX_JSON_DEPTH", DEFAULT_MAX_JSON_DEPTH
        )

    @max_json_depth.setter
    def max_json_depth(self, value: int | None) -> None:
        self._max_json_depth = value

    @cached_property
    def args(self) -> MultiDict[str, str]:
        """The parameters of the query string, as Werkzeug's; bytes that are not
        UTF-8 stay percent-escaped (``%FF``), whether the query string holds them
        escaped or raw (where Werkzeug fails)."""
        return self.parameter_storage_class(
            parse_qsl(
                self.query_string.decode("utf-8", PERCENT_ESCAPE),
                keep_blank_values=True,
                errors=PERCENT_ESCAPE,
            )
        )

    @cached_property
    def host(self) -> str:
        """The host the client asked for, as Werkzeug's; empty, as from Werkzeug
        3.1.9, when it names a port that is not a number from 1 to 65535 (before
        3.1.9, such a host made :attr:`url` and the URLs built on it fail)."""
        return without_bad_port(RequestBase.host.fget(self))  # type: ignore[attr-defined]

    @cached_property
    def full_path(self) -> str:
        """The path and the query string, as Werkzeug's; bytes of the query string
        that are not UTF-8 are percent-escaped (``%FF``), where Werkzeug fails."""
        return f"{self.path}?{self.query_string.decode('utf-8', PERCENT_ESCAPE)}"

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
            environ = self.environ
            if "wsgi.input_terminated" in environ and not self.shallow:
                # The server ends the input: read to its end, 413 past the limit.
                limit = self.max_content_length
                if limit is not None:
                    content_length = get_content_length(environ)
                    if content_length is not None and content_length > limit:
                        raise RequestEntityTooLarge()
                    capped = _CappedStream(environ["wsgi.input"], limit)
                    return t.cast(t.IO[bytes], capped)
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
        (unless *force*), 400 when the body does not parse or nests deeper than
        :attr:`max_json_depth` (``None`` for both with *silent*); the result (and
        the body) cached unless *cache* is false."""
        if cache and self._cached_json[silent] is not Ellipsis:
            return self._cached_json[silent]
        if not self._fast_json:
            # A subclass that changes get_data or is_json: Werkzeug's steps.
            if not (force or self.is_json):
                if silent:
                    return None
                return self.on_json_loading_failed(None)
            data = self.get_data(cache=cache)
        else:
            # PERF: Werkzeug's get_json with its get_data inlined, and the JSON
            # content type recognized before it is parsed (as is_json does).
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
            cached_data = self._cached_data
            if cached_data is None:
                body = self._read_body()
                data = self.stream.read() if body is None else body
                if cache:
                    self._cached_data = data
            else:
                data = cached_data
        try:
            # PERF: max_json_depth inlined. A body no longer than the limit
            # cannot nest deeper, and nested_deeper counts brackets before it
            # scans.
            limit = self._max_json_depth
            if limit is None:
                context = context_var.get(None)
                if context is None:
                    limit = DEFAULT_MAX_JSON_DEPTH
                else:
                    limit = context.app.config["MAX_JSON_DEPTH"]
            if (
                limit is not None
                and len(data) > limit
                and json.nested_deeper(data, limit)
            ):
                raise ValueError(f"JSON nested more than {limit} levels deep")
            rv = self.json_module.loads(data)
        except (ValueError, RecursionError) as e:
            error = e
            if not isinstance(error, ValueError):
                # The decoder ran out of stack (no limit, or one above it).
                error = ValueError("JSON nested too deeply to decode")
                error.__cause__ = e
            if silent:
                rv = None
                if cache:
                    normal_rv, _ = self._cached_json
                    self._cached_json = (normal_rv, rv)
            else:
                rv = self.on_json_loading_failed(error)
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

    def _load_form_data(self) -> None:
        if "form" in self.__dict__:
            return  # loaded already
        super()._load_form_data()
        if self.files or self.mimetype == "multipart/form-data":
            return
        context = context_var.get(None)
        if context is not None and context.app.debug:
            # The body could not carry files: in debug mode, asking for one that
            # came as a form field explains why it is not there.
            self.__dict__["files"] = EnctypeHintFiles(self)

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
