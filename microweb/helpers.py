"""Helpers that work on the current app and request: ``url_for``, ``abort``,
``redirect``, ``make_response``."""

from __future__ import annotations

import typing as t

from werkzeug.exceptions import abort as _abort
from werkzeug.utils import redirect as _redirect

from .globals import current_app, request

if t.TYPE_CHECKING:
    from werkzeug.wrappers import Response as BaseResponse

    from .wrappers import Response


def url_for(
    endpoint: str,
    *,
    _anchor: str | None = None,
    _method: str | None = None,
    _scheme: str | None = None,
    _external: bool | None = None,
    **values: t.Any,
) -> str:
    """Build the URL of *endpoint* with *values*.

    Values that are not variables of the rule go to the query string. Relative to
    the current request by default; absolute with ``_external=True``, or outside a
    request (which needs ``SERVER_NAME``).

    :param endpoint: the endpoint; ``.name`` is relative to the current blueprint.
    :param _anchor: a ``#fragment`` to append.
    :param _method: build with a rule that takes this method.
    :param _scheme: the scheme of an external URL.
    :param _external: an absolute URL, with scheme and host.

    .. versionadded:: 0.1
    """
    return current_app.url_for(
        endpoint,
        _anchor=_anchor,
        _method=_method,
        _scheme=_scheme,
        _external=_external,
        **values,
    )


def abort(code: int | BaseResponse, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
    """Raise the HTTP error for *code*, or a response as an error.

    .. versionadded:: 0.1
    """
    if current_app:
        current_app.aborter(code, *args, **kwargs)
    _abort(code, *args, **kwargs)


def redirect(
    location: str, code: int = 302, Response: type[BaseResponse] | None = None
) -> BaseResponse:
    """A redirect response to *location*: the app's response class inside an app,
    else *Response* (Werkzeug's by default).

    .. versionadded:: 0.1
    """
    if current_app:
        return current_app.redirect(location, code=code)
    return _redirect(location, code=code, Response=Response)


def make_response(*args: t.Any) -> Response:
    """A response object from a view's return value (or arguments like one), to
    add headers before returning it.

    .. versionadded:: 0.1
    """
    if not args:
        return current_app.response_class()
    if len(args) == 1:
        args = args[0]
    return current_app.make_response(args)


def get_current_request_blueprints() -> list[str]:
    """The blueprints of the current request, or ``[]`` outside one."""
    if request:
        return request.blueprints
    return []
