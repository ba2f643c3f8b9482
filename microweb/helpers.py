"""Helpers that work on the current app and request: ``url_for``, ``abort``,
``redirect``, ``make_response``."""

from __future__ import annotations

import os
import posixpath
import re
import typing as t
from functools import update_wrapper
from urllib.parse import urlsplit

from werkzeug.exceptions import Forbidden, NotFound
from werkzeug.exceptions import abort as _abort
from werkzeug.utils import redirect as _redirect
from werkzeug.utils import send_file as _wz_send_file

from .globals import context_var, current_app, request, session
from .signals import message_flashed

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
    else *Response* (Werkzeug's by default). Control characters in *location*
    are percent-encoded (see :meth:`App.redirect <microweb.App.redirect>`).

    .. versionadded:: 0.1
    """
    if current_app:
        return current_app.redirect(location, code=code)
    if isinstance(location, str):
        location = escape_control_characters(location)
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


def _send_file_options(**kwargs: t.Any) -> dict[str, t.Any]:
    if kwargs.get("max_age") is None:
        kwargs["max_age"] = current_app.get_send_file_max_age
    kwargs.update(
        environ=request.environ,
        use_x_sendfile=current_app.config["USE_X_SENDFILE"],
        response_class=current_app.response_class,
        _root_path=current_app.root_path,
    )
    return kwargs


def send_file(
    path_or_file: t.Any,
    mimetype: str | None = None,
    as_attachment: bool = False,
    download_name: str | None = None,
    conditional: bool = True,
    etag: bool | str = True,
    last_modified: t.Any = None,
    max_age: t.Any = None,
) -> Response:
    """Send a file (a path relative to the app's root, or a binary file object),
    with conditional and range requests, as Werkzeug's ``send_file`` does.

    .. versionadded:: 0.1
    """
    return _wz_send_file(  # type: ignore[return-value]
        **_send_file_options(
            path_or_file=path_or_file,
            mimetype=mimetype,
            as_attachment=as_attachment,
            download_name=download_name,
            conditional=conditional,
            etag=etag,
            last_modified=last_modified,
            max_age=max_age,
        )
    )


#: The names Windows gives to devices. Windows opens the device for such a name in
#: any folder and with any extension (``static/nul.txt`` is the NUL device), so a
#: path segment whose stem is one of them is refused on every OS: an app answers
#: the same wherever it runs.
_WINDOWS_DEVICE_NAMES = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
    + [
        f"{port}{number}"
        for port in ("COM", "LPT")
        for number in "0123456789\u00b9\u00b2\u00b3"
    ]
)

#: Where Windows ends the stem of a file name: at the first dot or colon.
_STEM_END = re.compile(r"[.:]")


def _is_refused_segment(segment: str) -> bool:
    """Whether *segment*, one ``/``-separated part of a requested path, is refused
    whatever the folder holds: ``..``, a backslash or NUL byte, a device name."""
    if segment == ".." or "\\" in segment or "\x00" in segment:
        return True
    stem = _STEM_END.split(segment, maxsplit=1)[0].strip().upper()
    if stem in _WINDOWS_DEVICE_NAMES:
        return True
    # On Windows a colon names a drive ("C:x") or an NTFS data stream ("x::$DATA").
    return os.name == "nt" and ":" in segment


def _file_inside(
    directory: str | os.PathLike[str], path: str | os.PathLike[str], root_path: str
) -> str | None:
    """The path of the regular file that *path* names inside *directory*, or
    ``None`` when there is no such file or the path would lead out of the folder.

    *path* comes from the client. It is refused when it is absolute or when one of
    its segments is refused (:func:`_is_refused_segment`). What is left is joined
    to *directory* (relative to *root_path*), and the folder and the file are both
    resolved with :func:`os.path.realpath`: the file must still be inside the
    folder once every symlink on the way has been followed.
    """
    requested = os.fspath(path)
    if not requested or requested.startswith("/") or os.path.isabs(requested):
        return None
    if any(_is_refused_segment(segment) for segment in requested.split("/")):
        return None
    folder = os.fspath(directory) or "."
    # Joined as Werkzeug joins it: the ETag is a checksum of this string, and must
    # be the one Flask sends for the same file.
    file_path = os.path.join(
        root_path, posixpath.join(folder, posixpath.normpath(requested))
    )
    real_folder = os.path.realpath(os.path.join(root_path, folder))
    real_file = os.path.realpath(file_path)
    try:
        inside = os.path.commonpath([real_folder, real_file]) == real_folder
    except ValueError:  # on another drive
        return None
    if not inside or not os.path.isfile(real_file):
        return None
    return file_path


def send_from_directory(
    directory: str | os.PathLike[str], path: str | os.PathLike[str], **kwargs: t.Any
) -> Response:
    """Send the file *path* names inside *directory*, and never a file outside it.

    *directory* is chosen by the app (relative to its root path); *path* comes from
    the client, ``/``-separated as in the URL. Besides what Werkzeug refuses, a
    ``..`` segment, a backslash, a NUL byte or a Windows device name (``CON``,
    ``nul.txt``...) anywhere in *path* is refused on every OS, and so is a file
    that a symlink places outside the folder. See :doc:`/static`.

    :param directory: the folder to serve from; never a value from the client.
    :param path: the file's path relative to *directory*.
    :param kwargs: the other arguments of :func:`send_file`.
    :raises ~werkzeug.exceptions.NotFound: when *path* is refused or names no
        regular file inside *directory*.
    :raises ~werkzeug.exceptions.Forbidden: when the file cannot be read.

    .. versionadded:: 0.1
    """
    options = _send_file_options(**kwargs)
    file_path = _file_inside(directory, path, options["_root_path"])
    if file_path is None:
        raise NotFound()
    try:
        return _wz_send_file(file_path, **options)  # type: ignore[return-value]
    except PermissionError as error:
        raise Forbidden() from error
    except FileNotFoundError as error:  # removed since it was found
        raise NotFound() from error


def stream_with_context(
    generator_or_function: t.Any,
) -> t.Any:
    """Keep the request context pushed while a streamed response is generated.

    Wrap a generator (or decorate a generator function) that a view returns; its
    code can then use ``request`` after the view has returned.

    .. versionadded:: 0.1
    """
    try:
        generator = iter(generator_or_function)
    except TypeError:

        def decorator(*args: t.Any, **kwargs: t.Any) -> t.Any:
            return stream_with_context(generator_or_function(*args, **kwargs))

        return update_wrapper(decorator, generator_or_function)

    def in_context() -> t.Iterator[t.Any]:
        context = context_var.get(None)
        if context is None or context.request_context is None:
            raise RuntimeError(
                "'stream_with_context' can only be used when a request"
                " context is active, such as in a view function."
            )
        request_context = context.request_context
        # The app context the request shares, if it shares one: Flask pushes it
        # again with the request. Only its signals are sent: the request context
        # serves its ``g``, and one context variable serves both, so making it
        # current too would bring it back in the request's place when the two
        # are popped out of order (as when the test client keeps the request's
        # context pushed while the body is read).
        shared = request_context.app_context
        # Stop here, in the view; the context is pushed again when the server
        # starts reading the body, after the request itself has ended.
        yield None
        if shared is not None:
            shared.push_shared()
        try:
            with request_context:
                try:
                    yield from generator
                finally:
                    close = getattr(generator, "close", None)
                    if close is not None:
                        close()
        finally:
            if shared is not None:
                shared.pop_shared()

    wrapped = in_context()
    next(wrapped)
    return wrapped


def flash(message: str, category: str = "message") -> None:
    """Keep *message* in the session for the next request to show.

    .. versionadded:: 0.1
    """
    flashes = session.get("_flashes", [])
    flashes.append((category, message))
    session["_flashes"] = flashes
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    message_flashed.send(
        app, _async_wrapper=app.ensure_sync, message=message, category=category
    )


def get_flashed_messages(
    with_categories: bool = False, category_filter: t.Iterable[str] = ()
) -> list[str] | list[tuple[str, str]]:
    """The messages flashed for this request (taken from the session once per
    request).

    :param with_categories: give ``(category, message)`` pairs.
    :param category_filter: only these categories.

    .. versionadded:: 0.1
    """
    context = context_var.get().request_context
    assert context is not None
    flashes = context.flashes
    if flashes is None:
        flashes = session.pop("_flashes") if "_flashes" in session else []
        context.flashes = flashes
    if category_filter:
        flashes = [item for item in flashes if item[0] in category_filter]
    if not with_categories:
        return [item[1] for item in flashes]
    return flashes


def get_template_attribute(template_name: str, attribute: str) -> t.Any:
    """An attribute a template exports, such as a macro, to call from Python:
    ``get_template_attribute("_forms.html", "field")(name="q")``.

    :param template_name: the template to load.
    :param attribute: the name of the macro or variable it defines.

    .. versionadded:: 0.1
    """
    template = current_app.jinja_env.get_template(template_name)
    return getattr(template.module, attribute)


#: Characters a browser drops from a URL before reading it (tab and line
#: breaks anywhere), or that have no place in one (the other C0 controls, DEL).
_UNSAFE_URL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def escape_control_characters(location: str) -> str:
    """*location* with its control characters percent-encoded (``\r\n`` becomes
    ``%0D%0A``): a ``Location`` header cannot hold a line break, and a redirect to
    a URL from the client must neither fail on one nor carry it."""
    if _UNSAFE_URL_CHARACTERS.search(location) is None:
        return location
    return _UNSAFE_URL_CHARACTERS.sub(
        lambda match: f"%{ord(match.group()):02X}", location
    )


def url_is_safe(
    target: str | None,
    allowed_hosts: t.Iterable[str] | None = None,
    require_https: bool = False,
) -> bool:
    """Whether redirecting to *target* keeps the user on an allowed host: a path
    on this site, or an ``http``/``https`` URL whose host is allowed.

    Use it on a redirect target that comes from the client (a ``next`` parameter)
    before passing it to :func:`redirect`. Refused: other schemes
    (``javascript:``, ``data:``), scheme-relative URLs to another host
    (``//evil.example``, ``/\\evil.example``, which browsers read as
    ``//evil.example``), a scheme without a host (``https:evil.example``), and any
    control character (browsers drop tabs and line breaks, so
    ``/\\t/evil.example`` would lead away).

    :param target: the URL to check; empty or ``None`` is not safe.
    :param allowed_hosts: the hosts (``host`` or ``host:port``, compared without
        regard to case) an absolute URL may lead to; by default the current
        request's host, or none outside a request.
    :param require_https: refuse absolute ``http`` URLs too.

    .. versionadded:: 0.1
    """
    if not target or _UNSAFE_URL_CHARACTERS.search(target):
        return False
    # Browsers read a backslash as a slash in http(s) URLs.
    normalized = target.strip().replace("\\", "/")
    try:
        parts = urlsplit(normalized)
        port = parts.port  # a malformed port raises ValueError here
    except ValueError:
        return False
    del port
    scheme = parts.scheme.lower()
    if scheme and scheme not in ("http", "https"):
        return False
    if not parts.netloc:
        # A path on this site; "https:evil.example" (a scheme and no host) is not.
        return not scheme and not normalized.startswith("//")
    if parts.username is not None or parts.password is not None:
        return False
    if require_https and scheme != "https":
        return False
    if allowed_hosts is None:
        allowed_hosts = (request.host,) if request else ()
    allowed = {host.lower() for host in allowed_hosts}
    return parts.netloc.lower() in allowed
