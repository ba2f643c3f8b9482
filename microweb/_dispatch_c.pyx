# cython: language_level=3, boundscheck=False, wraparound=False
"""Dispatch kernel, compiled: a translation of ``_dispatch_py.py``.

Same names, same algorithm, same order as the pure twin, which is the specification;
read the two side by side. ``# PERF:`` marks where the C idiom differs and why.
"""

cimport cython
from cpython.contextvars cimport PyContextVar_Reset, PyContextVar_Set, get_value
from cpython.unicode cimport PyUnicode_GET_LENGTH, PyUnicode_Substring
from libc.string cimport memcmp

import weakref

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import WebsocketMismatch
from werkzeug.sansio.http import parse_cookie

cdef extern from "Python.h":
    int PyUnicode_IS_ASCII(object text)
    void *PyUnicode_DATA(object text)
    bytes PyUnicode_AsUTF8String(object text)
    str PyUnicode_DecodeASCII(const char *text, Py_ssize_t size, const char *errors)

IMPLEMENTATION = "native"

TEXT_HTML = "text/html; charset=utf-8"
APPLICATION_JSON = "application/json"
_PRESERVE_CONTEXT = "werkzeug.debug.preserve_context"
# The Content-Type headers of the direct answers, made once.
cdef tuple _HTML_HEADER = ("Content-Type", TEXT_HTML)
cdef tuple _JSON_HEADER = ("Content-Type", APPLICATION_JSON)

cdef object _HTTPException_get_response = HTTPException.get_response
cdef object _HTTPException_get_body = HTTPException.get_body
cdef object _HTTPException_get_headers = HTTPException.get_headers


cdef str _decimal(Py_ssize_t number):
    """``str(number)`` for a length (not negative)."""
    # PERF: str() of an int goes through the general conversion of any size of
    # int; a length fits in a few digits written here.
    cdef char digits[24]
    cdef Py_ssize_t start = 24
    while True:
        start -= 1
        digits[start] = <char>(48 + number % 10)
        number //= 10
        if number == 0:
            break
    return PyUnicode_DecodeASCII(digits + start, 24 - start, NULL)


cdef inline object _get(environ, key, default):
    """``environ.get(key, default)``."""
    # PERF: a plain dict (what PEP 3333 asks of the environ) is read without a
    # method call; any other mapping through its own ``get``.
    if type(environ) is dict:
        return (<dict>environ).get(key, default)
    return environ.get(key, default)


cdef bint _has_lower_case(str text):
    """``not text.isupper()``, except for ASCII text without letters (its upper
    case is itself): whether the method is to be upper-cased."""
    cdef const unsigned char *data
    cdef Py_ssize_t index
    if not PyUnicode_IS_ASCII(text):
        return not text.isupper()
    data = <const unsigned char *>PyUnicode_DATA(text)
    for index in range(PyUnicode_GET_LENGTH(text)):
        if 97 <= data[index] <= 122:  # a-z
            return True
    return False


cdef class Endpoint:
    """What one endpoint runs, resolved once: its view and its hooks in call order."""

    cdef public object view
    cdef public bint automatic_options
    cdef public bint redirects
    cdef public tuple preprocessors
    cdef public tuple before
    cdef public bint fast

    def __init__(
        self,
        view,
        bint automatic_options,
        bint redirects,
        tuple preprocessors,
        tuple before,
        bint fast,
    ):
        self.view = view
        self.automatic_options = automatic_options
        # Whether a match may still redirect (an alias, defaults, ``redirect_to``).
        self.redirects = redirects
        self.preprocessors = preprocessors
        self.before = before
        # Whether a plain return value may skip the response object: no
        # ``after_request`` hook can want to see one.
        self.fast = fast


cdef class Dispatcher:
    """The app's WSGI callable."""

    cdef public object app_ref
    cdef public object matcher
    cdef public Endpoint unmatched
    cdef public object context_class
    cdef public object context_var
    cdef public object json_body
    cdef public dict status_lines
    cdef public bint tear_down
    cdef public str domain
    cdef public object websocket_handshake
    cdef public object signals
    cdef public object session_headers
    cdef public object delegate
    cdef public object flask_app_var
    cdef public object flask_request_var
    cdef public bint stale
    cdef public dict error_bodies
    # PERF: the matcher's bound ``match``, looked up once.
    cdef object _match

    def __init__(
        self,
        app,
        matcher,
        Endpoint unmatched,
        context_class,
        context_var,
        json_body,
        dict status_lines,
        bint tear_down,
        str domain,
        websocket_handshake,
        signals,
        session_headers,
        delegate,
        flask_contexts,
    ):
        # Weak: the app holds its dispatcher (as ``wsgi_app``), and an app must be
        # freed without the garbage collector, as Flask's is. Serving, the app is
        # handed to :meth:`serve`; only :meth:`__call__` looks it up here.
        self.app_ref = weakref.ref(app)
        # The routing core's matcher; each rule carries its ``Endpoint`` as
        # ``rule._dispatch_endpoint``.
        self.matcher = matcher
        self.unmatched = unmatched
        self.context_class = context_class
        self.context_var = context_var
        # ``obj -> str`` for a JSON body, or ``None`` when the app's provider
        # must build JSON responses itself.
        self.json_body = json_body
        self.status_lines = status_lines
        # Whether a request's end runs more than closing the request object
        # (teardown functions, or classes that tear down their own way).
        self.tear_down = tear_down
        # The domain part rules are matched on, or ``None`` when it comes from
        # each request's host.
        self.domain = domain
        # ``environ -> bool``: whether a request that sends ``Upgrade`` asks for
        # a WebSocket, which matches WebSocket rules only.
        self.websocket_handshake = websocket_handshake
        # ``signals.active`` says whether anyone listens to a request's signals.
        self.signals = signals
        # ``(app, context) -> headers`` that save the context's session (``Vary``
        # and ``Set-Cookie``) on a direct answer; ``None`` when it takes a
        # response object.
        self.session_headers = session_headers
        # ``app -> response``: the app's ``full_dispatch_request`` when the app
        # overrides a dispatch method: it serves each request once matched.
        # ``None``: the core does.
        self.delegate = delegate
        # The two context variables of ``flask_contexts`` (a
        # ``microweb.flask_contexts.FlaskContexts``, given when the app sets
        # Flask's context variables too, for Flask extensions), which each
        # request sets to its context; ``None`` without it.
        self.flask_app_var = None
        self.flask_request_var = None
        if flask_contexts is not None:
            self.flask_app_var = flask_contexts.app_var
            self.flask_request_var = flask_contexts.request_var
        # Set when the app drops this dispatcher (a dispatch input changed):
        # middleware may still hold it, and it hands each request to the app's
        # current one.
        self.stale = False
        self.error_bodies = {}
        self._match = matcher.match

    def __call__(self, environ, start_response):
        """Serve a request to the app, for a caller that holds the dispatcher
        without the app (middleware that wrapped ``app.wsgi_app`` after the first
        request)."""
        app = self.app_ref()
        if app is None:
            raise RuntimeError("The app this dispatcher served has been freed.")
        if self.stale:
            # Dropped by the app: its current dispatcher serves. Only this way
            # in can reach a stale dispatcher: the app no longer holds it.
            return app._current_dispatcher().serve(app, environ, start_response)
        return self.serve(app, environ, start_response)

    cpdef object serve(self, app, environ, start_response):
        """Serve a request to *app*, the app this dispatcher was built for."""
        context = self.context_class(app, environ)
        # PERF: the C API of context variables, without method calls.
        outer = get_value(self.context_var, None)
        if outer is not None:
            context.enter_within(outer)
        token = PyContextVar_Set(self.context_var, context)
        # Flask's request context is this one; its app context too, unless this
        # one shares the app context it was pushed in (Flask's reuses it).
        flask_app_var = self.flask_app_var
        if flask_app_var is not None:
            app_context = None if outer is None else context.app_context
            flask_app_token = PyContextVar_Set(
                flask_app_var, context if app_context is None else app_context
            )
            flask_request_token = PyContextVar_Set(self.flask_request_var, context)
            # Flask's ``after_this_request`` appends to this list itself.
            context._after_request_functions = []
        signals = self.signals
        if signals.active:
            signals.pushed(context)
        error = None
        try:
            try:
                response = self.dispatch(app, context, environ, start_response)
            except Exception as raised:
                error = raised
                response = app.handle_exception(raised)
            except BaseException as raised:
                error = raised
                raise
            if type(response) is list:
                return response
            return response(environ, start_response)
        finally:
            preserve = _get(environ, _PRESERVE_CONTEXT, None)
            if preserve is not None:
                preserve(context)
            if error is not None and app.should_ignore_error(error):
                error = None
            # Without teardown functions or signals, the context's teardown
            # would only close the request.
            tear_down = self.tear_down or signals.active
            try:
                if tear_down:
                    context.tear_down(error)
            finally:
                request = context._request
                if request is not None:
                    try:
                        if not tear_down:
                            request.close()
                    finally:
                        # As Flask's: the environ lets go of the request, which
                        # ends their reference cycle without the garbage collector.
                        request.environ["werkzeug.request"] = None
                if flask_app_var is not None:
                    PyContextVar_Reset(self.flask_request_var, flask_request_token)
                    PyContextVar_Reset(flask_app_var, flask_app_token)
                PyContextVar_Reset(self.context_var, token)
                if signals.active:
                    signals.popped(context)

    cpdef object dispatch(self, app, context, environ, start_response):
        """Match, run hooks and view; return a body list (``start_response`` done)
        or a response object."""
        cdef Endpoint endpoint
        cdef str domain
        cdef str method = environ["REQUEST_METHOD"]
        cdef str path = _get(environ, "PATH_INFO", "/")
        # The server's string is kept when it is upper case already: its hash is
        # cached, and no new string is made.
        # PERF: an ASCII method is looked over in C for a lower-case letter (a
        # method with no letter at all is kept too: its upper case is itself).
        if _has_lower_case(method):
            method = method.upper()
        if not PyUnicode_IS_ASCII(path):
            # PEP 3333 hands the path over as latin-1; its bytes are UTF-8.
            path = path.encode("latin-1").decode("utf-8", "replace")
        domain = self.domain
        if domain is None:
            # Host or subdomain matching: the app reads the host (and refuses an
            # untrusted one with a routing error).
            domain = app.request_domain(context)
        if domain is None:
            rule, outcome = None, None
        elif "HTTP_UPGRADE" in environ and self.websocket_handshake(environ):
            rule, outcome = self._match(domain, path, method, True)
        else:
            rule, outcome = self._match(domain, path, method)
        if rule is not None:
            endpoint = rule._dispatch_endpoint
            if endpoint.redirects:
                redirect = app.redirect_after_match(context, rule, outcome, method)
                if redirect is not None:
                    context.routing_exception = redirect
                    rule = None
                    endpoint = self.unmatched
        if rule is not None:
            context.url_rule = rule
            context.view_args = outcome
        else:
            if context.routing_exception is None:
                if type(outcome) is str:
                    context.routing_exception = app.routing_redirect(context, outcome)
                elif outcome:
                    context.routing_exception = MethodNotAllowed(
                        valid_methods=list(outcome)
                    )
                elif outcome is None:
                    context.routing_exception = WebsocketMismatch()
                else:
                    context.routing_exception = NotFound()
            endpoint = self.unmatched
        request = context._request
        if request is not None:
            # Built early (to read the host, or for a redirect): it learns the
            # outcome now.
            request.url_rule = context.url_rule
            request.view_args = context.view_args
            request.routing_exception = context.routing_exception
        if self.delegate is not None:
            return self.delegate(app)
        try:
            rv = None
            if self.signals.active:
                self.signals.started(app)
            for function in endpoint.preprocessors:
                function(None if rule is None else rule.endpoint, context.view_args)
            for function in endpoint.before:
                rv = function()
                if rv is not None:
                    break
            if rv is None:
                if rule is None:
                    raise context.routing_exception
                if endpoint.automatic_options and method == "OPTIONS":
                    rv = app.make_default_options_response()
                else:
                    view_args = context.view_args
                    if view_args:
                        rv = endpoint.view(**view_args)
                    else:
                        # No arguments: no keyword dict to unpack (and copy).
                        rv = endpoint.view()
        except Exception as raised:
            rv = app.handle_user_exception(raised)
        if (
            endpoint.fast
            and not context._after_request_functions
            and not self.signals.active
        ):
            # A session used, or perhaps carried (to refresh), is saved on the
            # direct answer too.
            if context._session is not None or self.carries_session(app, environ):
                session_context = context
            else:
                session_context = None
            # The method as the server gave it: Werkzeug's response leaves out
            # the body for exactly "HEAD".
            body = self.fast_body(
                app, rv, environ["REQUEST_METHOD"], start_response, session_context
            )
            if body is not None:
                return body
        return app.finalize_request(rv)

    cpdef bint carries_session(self, app, environ):
        """Whether the request may carry the session cookie, named as the config
        names it now (a substring test: it may say yes wrongly, never no
        wrongly). Such a request may have a session to refresh even when the
        view never touched it."""
        header = _get(environ, "HTTP_COOKIE", None)
        return header is not None and app.config["SESSION_COOKIE_NAME"] in header

    cpdef object fast_body(
        self, app, rv, str method, start_response, session_context
    ):
        """Answer *rv* without a response object when it is a plain value, with
        the headers that save the session of *session_context* (unless ``None``);
        ``None`` when it is not plain."""
        cdef str status = "200 OK"
        cdef bytes body
        cdef tuple type_header
        cdef list headers
        kind = type(rv)
        if kind is tuple:
            if len(rv) != 2 or type(rv[1]) is not int:
                return None
            status = self.status_lines.get(rv[1])
            if status is None:
                return None
            rv = rv[0]
            kind = type(rv)
        if kind is str:
            body = PyUnicode_AsUTF8String(rv)
            type_header = _HTML_HEADER
        elif kind is bytes:
            body = rv
            type_header = _HTML_HEADER
        elif (kind is dict or kind is list) and self.json_body is not None:
            body = PyUnicode_AsUTF8String(self.json_body(rv))
            type_header = _JSON_HEADER
        elif isinstance(rv, HTTPException) and status == "200 OK":
            answer = self.error_answer(rv)
            if answer is None:
                return None
            status, body = answer
            type_header = _HTML_HEADER
        else:
            return None
        # PERF: _decimal for str(len(body)).
        headers = [type_header, ("Content-Length", _decimal(len(body)))]
        if session_context is not None:
            session_headers = self.session_headers(app, session_context)
            if session_headers is None:
                return None
            headers += session_headers
        start_response(status, headers)
        if method == "HEAD":
            return []
        return [body]

    cpdef object error_answer(self, error):
        """The status line and body of an HTTP error that no handler took, when it
        is one of Werkzeug's with its default text and headers (their body is the
        same every time); ``None`` when it is not."""
        kind = type(error)
        if (
            error.response is not None
            or error.description is not kind.description
            or kind.get_response is not _HTTPException_get_response
            or kind.get_body is not _HTTPException_get_body
            or kind.get_headers is not _HTTPException_get_headers
        ):
            return None
        status = self.status_lines.get(error.code)
        if status is None:
            return None
        body = self.error_bodies.get(kind)
        if body is None:
            body = self.error_bodies[kind] = error.get_body().encode()
        return status, body


# Cookie headers made of plain cookies: name=value pairs of visible ASCII
# characters but quotes, backslashes and semicolons, separated by semicolons and
# spaces. Werkzeug's parse_cookie (each version's) reads such a header as split
# here; anything else is left to it.
cdef inline bint _plain_character(unsigned char character) noexcept:
    return (
        0x21 <= character <= 0x7E
        and character != 0x22  # "
        and character != 0x3B  # ;
        and character != 0x5C  # \
    )


cpdef object cookie_value(header, str name):
    """``parse_cookie(header).get(name)``: the value of the first cookie *name*,
    found in place when the header holds only plain cookies."""
    # PERF: one pass over the characters, which stops at the cookie (the cookies
    # after it cannot change its value), where the pure twin checks the whole
    # header with a regular expression, then splits it.
    cdef const unsigned char *data
    cdef const unsigned char *name_data
    cdef Py_ssize_t length, name_length, index, start, equals, key_end
    if not header:
        return None
    if type(header) is not str or not PyUnicode_IS_ASCII(header):
        return parse_cookie(header).get(name)
    name_length = PyUnicode_GET_LENGTH(name)
    if name_length == 0 or not PyUnicode_IS_ASCII(name):
        return parse_cookie(header).get(name)
    name_data = <const unsigned char *>PyUnicode_DATA(name)
    for index in range(name_length):
        if not _plain_character(name_data[index]) or name_data[index] == 0x3D:
            return parse_cookie(header).get(name)
    data = <const unsigned char *>PyUnicode_DATA(header)
    length = PyUnicode_GET_LENGTH(header)
    index = 0
    while index < length and data[index] == 0x20:
        index += 1
    while True:
        start = index
        equals = -1
        while index < length and data[index] != 0x3B:
            if not _plain_character(data[index]):
                return parse_cookie(header).get(name)
            if data[index] == 0x3D and equals < 0:
                equals = index
            index += 1
        key_end = index if equals < 0 else equals
        if (
            key_end - start == name_length
            and memcmp(data + start, name_data, name_length) == 0
        ):
            if equals < 0:
                return ""
            return PyUnicode_Substring(header, equals + 1, index)
        if index >= length:
            return None
        index += 1
        while index < length and data[index] == 0x20:
            index += 1


@cython.binding(True)
def call_app(app, environ, start_response):
    """``app(environ, start_response)``: the app's ``__call__``, which calls
    ``app.wsgi_app`` (the ``Dispatcher`` after the first request)."""
    # PERF: as the app class's ``__call__``, a compiled function: a server's
    # call reaches the dispatcher without a Python frame. Binding, so that it
    # is a method there, as the pure function is.
    wsgi_app = app.wsgi_app
    if type(wsgi_app) is Dispatcher:
        # The app in hand: the dispatcher holds it only weakly.
        # PERF: a C call of serve, without __call__'s argument tuple.
        return (<Dispatcher>wsgi_app).serve(app, environ, start_response)
    return wsgi_app(environ, start_response)
