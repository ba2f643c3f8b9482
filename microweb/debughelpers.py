"""Errors that explain a common mistake, raised instead of a bare one in debug mode."""

from __future__ import annotations

import typing as t
import weakref

from werkzeug.datastructures import ImmutableMultiDict

if t.TYPE_CHECKING:
    from werkzeug.datastructures import FileStorage
    from werkzeug.wrappers import Request


class DebugFilesKeyError(KeyError, AssertionError):
    """``request.files[key]`` in debug mode, when *key* came as a plain form field
    because the form was not sent as ``multipart/form-data``: the browser sent the
    file's name and not its contents. As an ``AssertionError`` it is not a 400:
    the debugger shows it.

    .. versionadded:: 0.1
    """

    def __init__(self, request: Request, key: str) -> None:
        submitted = ", ".join(repr(value) for value in request.form.getlist(key))
        self.msg = (
            f"request.files has no file {key!r}: the request body is"
            f" {request.mimetype!r}, and only a 'multipart/form-data' body carries"
            " files, so the browser sent the file's name as an ordinary form field"
            f" instead ({key!r}: {submitted}). Add"
            ' enctype="multipart/form-data" to the <form> tag.'
        )

    def __str__(self) -> str:
        return self.msg


class EnctypeHintFiles(ImmutableMultiDict[str, "FileStorage"]):
    """The empty ``request.files`` of a body that could not carry files, in debug
    mode: a missing key that the form has raises :class:`DebugFilesKeyError`."""

    def __init__(self, request: Request) -> None:
        super().__init__()
        # Weak: the request holds its files, and is freed without the collector.
        self.request_ref = weakref.ref(request)

    def __getitem__(self, key: str) -> FileStorage:
        try:
            return super().__getitem__(key)
        except KeyError as error:
            request = self.request_ref()
            if request is None or key not in request.form:
                raise
            raise DebugFilesKeyError(request, key).with_traceback(
                error.__traceback__
            ) from None
