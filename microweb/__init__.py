"""microweb: Flask's API at close to the speed of a bare WSGI callable."""

from __future__ import annotations

from . import dispatch, routing, signing
from ._cores import is_native
from .app import App
from .blueprints import Blueprint
from .config import Config
from .ctx import (
    after_this_request,
    copy_current_request_context,
    has_app_context,
    has_request_context,
)
from .globals import current_app, g, request, session
from .helpers import (
    abort,
    flash,
    get_flashed_messages,
    get_template_attribute,
    make_response,
    redirect,
    send_file,
    send_from_directory,
    stream_with_context,
    url_for,
    url_is_safe,
)
from .json import jsonify
from .signals import (
    appcontext_popped,
    appcontext_pushed,
    appcontext_tearing_down,
    before_render_template,
    got_request_exception,
    message_flashed,
    request_finished,
    request_started,
    request_tearing_down,
    template_rendered,
)
from .templating import (
    render_template,
    render_template_string,
    stream_template,
    stream_template_string,
)
from .views import MethodView, View
from .wrappers import Request, Response

__version__ = "0.1.0"

#: ``"native"`` when the compiled cores are loaded, ``"pure"`` otherwise.
IMPLEMENTATION: str = (
    "native"
    if all(is_native(core) for core in (routing.core, dispatch.core, signing.core))
    else "pure"
)

__all__ = [
    "IMPLEMENTATION",
    "appcontext_popped",
    "appcontext_pushed",
    "appcontext_tearing_down",
    "before_render_template",
    "got_request_exception",
    "message_flashed",
    "request_finished",
    "request_started",
    "request_tearing_down",
    "template_rendered",
    "App",
    "Blueprint",
    "Config",
    "MethodView",
    "Request",
    "Response",
    "View",
    "__version__",
    "abort",
    "after_this_request",
    "copy_current_request_context",
    "current_app",
    "flash",
    "g",
    "get_flashed_messages",
    "get_template_attribute",
    "has_app_context",
    "has_request_context",
    "jsonify",
    "make_response",
    "redirect",
    "render_template",
    "render_template_string",
    "request",
    "send_file",
    "session",
    "send_from_directory",
    "stream_template",
    "stream_template_string",
    "stream_with_context",
    "url_for",
    "url_is_safe",
]
