"""The app's logger: named after the app, writing to the WSGI error stream."""

from __future__ import annotations

import logging
import sys
import typing as t

from werkzeug.local import LocalProxy

from .globals import request

if t.TYPE_CHECKING:
    from .app import App


@LocalProxy
def wsgi_errors_stream() -> t.TextIO:
    """The request's ``wsgi.errors`` stream, or ``sys.stderr`` outside a request."""
    if request:
        return request.environ["wsgi.errors"]  # type: ignore[no-any-return]
    return sys.stderr


def has_level_handler(logger: logging.Logger) -> bool:
    """Whether a handler on *logger* or its ancestors takes its effective level."""
    level = logger.getEffectiveLevel()
    current: logging.Logger | None = logger
    while current is not None:
        if any(handler.level <= level for handler in current.handlers):
            return True
        if not current.propagate:
            break
        current = current.parent
    return False


#: The handler added to an app's logger that has none.
default_handler = logging.StreamHandler(t.cast(t.TextIO, wsgi_errors_stream))
default_handler.setFormatter(
    logging.Formatter("[%(asctime)s] %(levelname)s in %(module)s: %(message)s")
)


def create_logger(app: App) -> logging.Logger:
    """The logger named after *app*; debug level in debug mode; a stream handler
    when no handler would take its records."""
    logger = logging.getLogger(app.name)
    if app.debug and not logger.level:
        logger.setLevel(logging.DEBUG)
    if not has_level_handler(logger):
        logger.addHandler(default_handler)
    return logger
