"""The request and response classes: Werkzeug's, with Flask's additions."""

from __future__ import annotations

import typing as t

from werkzeug.exceptions import BadRequest
from werkzeug.wrappers import Request as RequestBase
from werkzeug.wrappers import Response as ResponseBase

from . import json
from .globals import context_var, current_app

if t.TYPE_CHECKING:
    from werkzeug.exceptions import HTTPException

    from .routing import Rule


def blueprint_chain(endpoint: t.Any) -> list[str]:
    """The blueprints an endpoint belongs to, innermost first: ``"a.b.view"`` is in
    ``["a.b", "a"]``."""
    if not isinstance(endpoint, str) or "." not in endpoint:
        return []
    parts = endpoint.rpartition(".")[0].split(".")
    return [".".join(parts[:end]) for end in range(len(parts), 0, -1)]


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
        return self._config_limit(  # type: ignore[no-any-return]
            self._max_content_length,
            "MAX_CONTENT_LENGTH",
            RequestBase.max_content_length,
        )

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
