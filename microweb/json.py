"""JSON for responses and requests, with Flask's defaults.

:class:`JSONProvider` serializes like Flask's default provider: sorted keys, ASCII
output, dates as HTTP dates, :class:`~decimal.Decimal` and :class:`~uuid.UUID` as
strings, dataclasses as dicts, objects with ``__html__`` as their markup. Responses are
compact with a trailing newline, indented in debug mode.
"""

from __future__ import annotations

import dataclasses
import decimal
import json as _json
import re
import typing as t
import uuid
import weakref
from datetime import date
from json import decoder as _json_decoder
from json import encoder as _json_encoder

from werkzeug.http import http_date

from . import _cores
from .globals import context_var, current_app

if t.TYPE_CHECKING:
    from .app import App
    from .wrappers import Response


def _default(value: t.Any) -> t.Any:
    if isinstance(value, date):
        return http_date(value)
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if hasattr(value, "__html__"):
        return str(value.__html__())
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


#: The standard library's decoder with its default settings: ``json.loads`` uses one.
_decoder = _json.JSONDecoder()
_scan_once: t.Any = _decoder.scan_once  # type: ignore[attr-defined]
_skip_whitespace: t.Any = _json_decoder.WHITESPACE.match  # type: ignore[attr-defined]
#: The C encoder ``JSONEncoder`` uses when it can, or ``None``.
_c_make_encoder: t.Any = getattr(_json_encoder, "c_make_encoder", None)
#: ``compact_json(obj, ensure_ascii, sort_keys)`` of the compiled signing core:
#: ``json.dumps`` of plain values with those settings and compact separators,
#: or ``None`` for anything else. ``None`` with the pure core, which leaves JSON
#: to the standard library's C encoder (Python would not be faster).
_compact_json: t.Any = getattr(_cores.load("signing"), "compact_json", None)


def _loads(s: str | bytes) -> t.Any:
    """``json.loads(s)``, faster for the usual document: an object or an array,
    UTF-8 bytes or text, from the first character to the last (or to trailing
    whitespace)."""
    # PERF: json.loads spends about as much in its Python steps (detect the
    # encoding, decode, skip whitespace) as in the C scanner for a small body.
    # Anything else, errors included, goes the standard way: same result, same
    # exception.
    text = None
    if type(s) is bytes:
        # json.detect_encoding finds UTF-8 for these first two bytes.
        if s[:1] in (b"{", b"[") and s[1:2] != b"\x00":
            try:
                text = s.decode("utf-8", "surrogatepass")
            except UnicodeDecodeError:
                pass
    elif type(s) is str and s[:1] in ("{", "["):
        text = s
    if text is not None:
        try:
            document, end = _scan_once(text, 0)
        except Exception:
            pass
        else:
            if end == len(text) or _skip_whitespace(text, end).end() == len(text):
                return document
    return _json.loads(s)


#: A JSON string, to the closing quote or, unterminated, to the end. Every part
#: is greedy and the last quote optional, so a match never backtracks: scanning
#: a hostile body (``"\\"\\"...`` without its end) takes linear time.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
#: Every byte but the four that open and close arrays and objects.
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))


def nested_deeper(document: str | bytes, limit: int) -> bool:
    """Whether the arrays and objects of the JSON *document* nest more than
    *limit* levels deep (``[[1]]`` is two levels), brackets in strings left out.

    Cheap when they cannot: a document with no more than *limit* opening brackets
    is never scanned. A document that is not JSON may get either answer; the
    decoder refuses it anyway.

    .. versionadded:: 0.1
    """
    if isinstance(document, str):
        if document.count("[") + document.count("{") <= limit:
            return False
        document = document.encode("utf-8", "surrogatepass")
    elif document.count(b"[") + document.count(b"{") <= limit:
        return False
    brackets = _STRING.sub(b"", document).translate(None, _NOT_BRACKETS)
    depth = 0
    for bracket in brackets:
        if bracket == 0x5B or bracket == 0x7B:  # [ or {
            depth += 1
            if depth > limit:
                return True
        elif depth:
            depth -= 1
    return False


class JSONProvider:
    """The app's JSON operations (``app.json``), as Flask's default provider.

    .. versionadded:: 0.1
    """

    #: Turns objects :func:`json.dumps` does not know into JSON types.
    default: t.Callable[[t.Any], t.Any] = staticmethod(_default)
    ensure_ascii = True
    sort_keys = True
    #: ``True`` for compact output, ``False`` for indented; ``None`` follows debug.
    compact: bool | None = None
    mimetype = "application/json"

    def __init__(self, app: App) -> None:
        # A proxy: the app holds its provider (``app.json``), and an app must be
        # freed without the garbage collector.
        self._app = t.cast("App", weakref.proxy(app))
        self._encoders: dict[tuple[t.Any, ...], t.Any] = {}

    def dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
        """Serialize *obj* to a JSON string."""
        kwargs.setdefault("default", self.default)
        kwargs.setdefault("ensure_ascii", self.ensure_ascii)
        kwargs.setdefault("sort_keys", self.sort_keys)
        return _json.dumps(obj, **kwargs)

    def loads(self, s: str | bytes, **kwargs: t.Any) -> t.Any:
        """Deserialize JSON text or UTF-8 bytes."""
        if kwargs:
            return _json.loads(s, **kwargs)
        return _loads(s)

    def dump(self, obj: t.Any, fp: t.IO[str], **kwargs: t.Any) -> None:
        """Serialize *obj* with :meth:`dumps` and write it to the text file *fp*."""
        fp.write(self.dumps(obj, **kwargs))

    def load(self, fp: t.IO[t.AnyStr], **kwargs: t.Any) -> t.Any:
        """Read the file *fp* (text or binary) and deserialize it with
        :meth:`loads`."""
        return self.loads(fp.read(), **kwargs)

    def response_body(self, obj: t.Any) -> str:
        """The body of a JSON response for *obj*."""
        indented = (self.compact is None and self._app.debug) or self.compact is False
        return self._encode(obj, indented) + "\n"

    def _encode(self, obj: t.Any, indented: bool) -> str:
        """*obj* as JSON text with this provider's settings, compact or indented
        by two: what ``dumps`` gives with them, on an encoder made once."""
        if not indented and _compact_json is not None:
            # PERF: plain values need no encoder, nor ``default``.
            text = _compact_json(obj, self.ensure_ascii, self.sort_keys)
            if text is not None:
                return text  # type: ignore[no-any-return]
        settings = (indented, self.default, self.ensure_ascii, self.sort_keys)
        encoder: t.Any = self._encoders.get(settings)
        if encoder is None:
            encoder = self._encoders[settings] = self._body_encoder(*settings)
        if encoder.__class__ is tuple:
            # PERF: the C encoder JSONEncoder.encode makes, without its two Python
            # calls; the markers (which catch circular references) are new
            # each time, as there.
            return "".join(_c_make_encoder({}, *encoder)(obj, 0))
        return encoder.encode(obj)  # type: ignore[no-any-return]

    def _encode_flat(self, obj: dict[t.Any, t.Any]) -> str:
        """*obj*, an object whose values are all strings, numbers, booleans or
        ``None``, as compact JSON with this provider's settings."""
        if _compact_json is not None:
            text = _compact_json(obj, self.ensure_ascii, self.sort_keys)
            if text is not None:
                return text  # type: ignore[no-any-return]
        if _c_make_encoder is None:
            return self._encode(obj, False)
        settings = (self.ensure_ascii, self.sort_keys)
        encoder = _flat_encoders.get(settings)
        if encoder is None:
            # PERF: no markers: such an object holds no container, so it cannot
            # refer to itself, and one encoder serves every call.
            encoder = _flat_encoders[settings] = _c_make_encoder(
                None, *_compact_arguments(None, *settings)
            )
        return "".join(encoder(obj, 0))

    @staticmethod
    def _body_encoder(
        indented: bool, default: t.Any, ensure_ascii: bool, sort_keys: bool
    ) -> _json.JSONEncoder | tuple[t.Any, ...]:
        """What encodes response bodies with these settings, made once: the same
        output as ``dumps`` with them."""
        if not indented and default is not None and _c_make_encoder is not None:
            return _compact_arguments(default, ensure_ascii, sort_keys)
        return _json.JSONEncoder(
            default=default,
            ensure_ascii=ensure_ascii,
            sort_keys=sort_keys,
            indent=2 if indented else None,
            separators=None if indented else (",", ":"),
        )

    def response(self, *args: t.Any, **kwargs: t.Any) -> Response:
        """A JSON response for one value, several (a list) or keyword arguments."""
        if args and kwargs:
            raise TypeError("app.json.response() takes either args or kwargs, not both")
        obj: t.Any
        if len(args) == 1:
            obj = args[0]
        elif args:
            obj = list(args)
        else:
            obj = kwargs or None
        return self._app.response_class(self.response_body(obj), mimetype=self.mimetype)


def _compact_arguments(
    default: t.Any, ensure_ascii: bool, sort_keys: bool
) -> tuple[t.Any, ...]:
    """The arguments after the markers that ``JSONEncoder(default=default,
    ensure_ascii=ensure_ascii, sort_keys=sort_keys, separators=(",", ":"))``
    passes to the C encoder for ``iterencode(obj, _one_shot=True)``."""
    strings = (
        _json_encoder.encode_basestring_ascii
        if ensure_ascii
        else _json_encoder.encode_basestring
    )
    return (default, strings, None, ":", ",", sort_keys, False, True)


_UNICODE_COMPACT = _compact_arguments(_json.JSONEncoder().default, False, False)
_unicode_compact_encoder = _json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _dumps_unicode_compact(obj: t.Any) -> str:
    """``json.dumps(obj, ensure_ascii=False, separators=(",", ":"))``."""
    if _compact_json is not None:
        text = _compact_json(obj, False, False)
        if text is not None:
            return text  # type: ignore[no-any-return]
    if _c_make_encoder is None:
        return _unicode_compact_encoder.encode(obj)
    # PERF: the C encoder that encode makes, without its two Python calls; the
    # markers (which catch circular references) are new each time, as there.
    return "".join(_c_make_encoder({}, *_UNICODE_COMPACT)(obj, 0))


#: (ensure_ascii, sort_keys) -> the C encoder of :meth:`JSONProvider._encode_flat`.
_flat_encoders: dict[tuple[bool, bool], t.Any] = {}


def _provider() -> JSONProvider | None:
    # PERF: the context variable, not the ``current_app`` proxy: request bodies
    # are decoded through here.
    context = context_var.get(None)
    return None if context is None else context.app.json


def dumps(obj: t.Any, **kwargs: t.Any) -> str:
    """Serialize *obj* with the current app's provider, or :func:`json.dumps`."""
    provider = _provider()
    if provider is not None:
        return provider.dumps(obj, **kwargs)
    kwargs.setdefault("default", _default)
    return _json.dumps(obj, **kwargs)


def loads(s: str | bytes, **kwargs: t.Any) -> t.Any:
    """Deserialize with the current app's provider, or :func:`json.loads`."""
    # PERF: request bodies are decoded through here: the default provider's
    # loads is not called, what it does is done here.
    context = context_var.get(None)
    if context is not None:
        provider = context.app.json
        if (
            kwargs
            or type(provider).loads is not JSONProvider.loads
            or "loads" in provider.__dict__
        ):
            return provider.loads(s, **kwargs)
    elif kwargs:
        return _json.loads(s, **kwargs)
    return _loads(s)


def dump(obj: t.Any, fp: t.IO[str], **kwargs: t.Any) -> None:
    """Write *obj* as JSON to the text file *fp*, as :func:`dumps` serializes it."""
    provider = _provider()
    if provider is not None:
        provider.dump(obj, fp, **kwargs)
        return
    fp.write(dumps(obj, **kwargs))


def load(fp: t.IO[t.AnyStr], **kwargs: t.Any) -> t.Any:
    """Read JSON from the file *fp* (text or binary), as :func:`loads` reads it."""
    provider = _provider()
    if provider is not None:
        return provider.load(fp, **kwargs)
    return loads(fp.read(), **kwargs)


def jsonify(*args: t.Any, **kwargs: t.Any) -> Response:
    """A JSON response for the arguments, with the current app's provider.

    .. versionadded:: 0.1
    """
    provider = _provider()
    if provider is None:
        return current_app.json.response(*args, **kwargs)  # raises: no app context
    return provider.response(*args, **kwargs)
