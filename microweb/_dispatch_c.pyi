"""Type stubs for the compiled dispatch kernel; the pure twin has the same names."""

from typing import Any

from typing_extensions import disjoint_base

IMPLEMENTATION: str
TEXT_HTML: str
APPLICATION_JSON: str

@disjoint_base
class Endpoint:
    view: Any
    automatic_options: bool
    redirects: bool
    preprocessors: tuple[Any, ...]
    before: tuple[Any, ...]
    fast: bool
    def __init__(
        self,
        view: Any,
        automatic_options: bool,
        redirects: bool,
        preprocessors: tuple[Any, ...],
        before: tuple[Any, ...],
        fast: bool,
    ) -> None: ...

@disjoint_base
class Dispatcher:
    app_ref: Any
    matcher: Any
    unmatched: Endpoint
    context_class: Any
    context_var: Any
    json_body: Any
    status_lines: dict[int, str]
    tear_down: bool
    domain: str | None
    websocket_handshake: Any
    signals: Any
    session_headers: Any
    delegate: Any
    flask_app_var: Any
    flask_request_var: Any
    stale: bool
    error_bodies: dict[type, bytes]
    def __init__(
        self,
        app: Any,
        matcher: Any,
        unmatched: Endpoint,
        context_class: Any,
        context_var: Any,
        json_body: Any,
        status_lines: dict[int, str],
        tear_down: bool,
        domain: str | None,
        websocket_handshake: Any,
        signals: Any,
        session_headers: Any,
        delegate: Any,
        flask_contexts: Any,
    ) -> None: ...
    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any: ...
    def serve(self, app: Any, environ: dict[str, Any], start_response: Any) -> Any: ...
    def dispatch(
        self, app: Any, context: Any, environ: dict[str, Any], start_response: Any
    ) -> Any: ...
    def carries_session(self, app: Any, environ: dict[str, Any]) -> bool: ...
    def fast_body(
        self,
        app: Any,
        rv: Any,
        method: str,
        start_response: Any,
        session_context: Any,
    ) -> list[bytes] | None: ...
    def error_answer(self, error: Any) -> tuple[str, bytes] | None: ...

def cookie_value(header: str | None, name: str) -> str | None: ...
def call_app(app: Any, environ: dict[str, Any], start_response: Any) -> Any: ...
