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
import typing as t
import uuid
from datetime import date

from werkzeug.http import http_date

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
        self._app = app
        self._encoders: dict[tuple[t.Any, ...], _json.JSONEncoder] = {}

    def dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
        """Serialize *obj* to a JSON string."""
        kwargs.setdefault("default", self.default)
        kwargs.setdefault("ensure_ascii", self.ensure_ascii)
        kwargs.setdefault("sort_keys", self.sort_keys)
        return _json.dumps(obj, **kwargs)

    def loads(self, s: str | bytes, **kwargs: t.Any) -> t.Any:
        """Deserialize JSON text or UTF-8 bytes."""
        return _json.loads(s, **kwargs)

    def response_body(self, obj: t.Any) -> str:
        """The body of a JSON response for *obj*."""
        indented = (self.compact is None and self._app.debug) or self.compact is False
        settings = (indented, self.default, self.ensure_ascii, self.sort_keys)
        encoder = self._encoders.get(settings)
        if encoder is None:
            # The same output as ``dumps`` with these settings; one encoder per
            # settings saves building one per response.
            encoder = self._encoders[settings] = _json.JSONEncoder(
                default=self.default,
                ensure_ascii=self.ensure_ascii,
                sort_keys=self.sort_keys,
                indent=2 if indented else None,
                separators=None if indented else (",", ":"),
            )
        return encoder.encode(obj) + "\n"

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
    provider = _provider()
    if provider is not None:
        return provider.loads(s, **kwargs)
    return _json.loads(s, **kwargs)


def jsonify(*args: t.Any, **kwargs: t.Any) -> Response:
    """A JSON response for the arguments, with the current app's provider.

    .. versionadded:: 0.1
    """
    provider = _provider()
    if provider is None:
        return current_app.json.response(*args, **kwargs)  # raises: no app context
    return provider.response(*args, **kwargs)
