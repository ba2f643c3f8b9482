"""Signed cookie sessions, compatible with Flask's, on the signing core.

The cookie is Flask's: tagged JSON, signed with the ``cookie-session`` salt, SHA-1
and HMAC key derivation, so a session set by a Flask process reads here and the
other way round, through ``SECRET_KEY_FALLBACKS`` too. The session is opened only
when a request touches it or carries its cookie: other requests pay nothing for it.
"""

from __future__ import annotations

import hashlib
import typing as t
from collections.abc import MutableMapping
from datetime import datetime, timezone

from itsdangerous import BadData
from werkzeug.datastructures import CallbackDict
from werkzeug.http import dump_cookie

from .json_tag import TaggedJSONSerializer
from .signing import URLSafeTimedSerializer

if t.TYPE_CHECKING:
    from .app import App
    from .wrappers import Request, Response


class SessionMixin(MutableMapping[str, t.Any]):
    """What every session has: ``permanent``, ``new``, ``modified``, ``accessed``.

    .. versionadded:: 0.1
    """

    @property
    def permanent(self) -> bool:
        """Whether the cookie outlives the browser session
        (``PERMANENT_SESSION_LIFETIME``)."""
        return self.get("_permanent", False)  # type: ignore[no-any-return]

    @permanent.setter
    def permanent(self, value: bool) -> None:
        self["_permanent"] = bool(value)

    #: Whether the session was just created (always false for cookie sessions).
    new = False
    #: Whether the session was changed (a mutable value changed in place is not
    #: noticed: set this yourself then).
    modified = True
    #: Whether the session was used in the request (set when the request
    #: context hands it out): such a response varies on ``Cookie``.
    accessed = True


class SecureCookieSession(CallbackDict[str, t.Any], SessionMixin):
    """The session stored in a signed cookie.

    .. versionadded:: 0.1
    """

    modified = False
    accessed = False

    def __init__(
        self,
        initial: t.Mapping[str, t.Any] | t.Iterable[tuple[str, t.Any]] | None = None,
    ) -> None:
        def on_update(session: SecureCookieSession) -> None:
            session.modified = True

        super().__init__(initial, on_update)


class NullSession(SecureCookieSession):
    """The session when there is no secret key: empty, and writing to it raises.

    .. versionadded:: 0.1
    """

    def _fail(self, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
        raise RuntimeError(
            "The session is unavailable because no secret key was set. Set the"
            " secret_key on the application to something unique and secret."
        )

    __setitem__ = __delitem__ = clear = pop = popitem = update = setdefault = _fail


class SessionInterface:
    """How sessions are opened and saved; replace ``app.session_interface`` with a
    subclass to store them elsewhere.

    .. versionadded:: 0.1
    """

    null_session_class = NullSession
    pickle_based = False

    def make_null_session(self, app: App) -> NullSession:
        """The session to use when :meth:`open_session` gives none."""
        return self.null_session_class()

    def is_null_session(self, obj: object) -> bool:
        """Whether *obj* is a null session (not saved)."""
        return isinstance(obj, self.null_session_class)

    def get_cookie_name(self, app: App) -> str:
        """``SESSION_COOKIE_NAME``."""
        return app.config["SESSION_COOKIE_NAME"]  # type: ignore[no-any-return]

    def get_cookie_domain(self, app: App) -> str | None:
        """``SESSION_COOKIE_DOMAIN``, or ``None`` for the request's host only."""
        return app.config["SESSION_COOKIE_DOMAIN"] or None

    def get_cookie_path(self, app: App) -> str:
        """``SESSION_COOKIE_PATH``, else ``APPLICATION_ROOT``."""
        return app.config["SESSION_COOKIE_PATH"] or app.config["APPLICATION_ROOT"]  # type: ignore[no-any-return]

    def get_cookie_httponly(self, app: App) -> bool:
        """``SESSION_COOKIE_HTTPONLY``."""
        return app.config["SESSION_COOKIE_HTTPONLY"]  # type: ignore[no-any-return]

    def get_cookie_secure(self, app: App) -> bool:
        """``SESSION_COOKIE_SECURE``."""
        return app.config["SESSION_COOKIE_SECURE"]  # type: ignore[no-any-return]

    def get_cookie_samesite(self, app: App) -> str | None:
        """``SESSION_COOKIE_SAMESITE``."""
        return app.config["SESSION_COOKIE_SAMESITE"]  # type: ignore[no-any-return]

    def get_cookie_partitioned(self, app: App) -> bool:
        """``SESSION_COOKIE_PARTITIONED``."""
        return app.config["SESSION_COOKIE_PARTITIONED"]  # type: ignore[no-any-return]

    def get_expiration_time(self, app: App, session: SessionMixin) -> datetime | None:
        """When a permanent session's cookie expires; ``None`` for others."""
        if session.permanent:
            return datetime.now(timezone.utc) + app.permanent_session_lifetime
        return None

    def should_set_cookie(self, app: App, session: SessionMixin) -> bool:
        """Whether to send the cookie: when modified, or to refresh a permanent
        session (``SESSION_REFRESH_EACH_REQUEST``)."""
        return session.modified or (
            session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]
        )

    def open_session(self, app: App, request: Request) -> SessionMixin | None:
        """The request's session, or ``None`` for a null session."""
        raise NotImplementedError

    def save_session(self, app: App, session: SessionMixin, response: Response) -> None:
        """Store *session* on *response*."""
        raise NotImplementedError


def carries_cookie(environ: t.Mapping[str, t.Any], name: str) -> bool:
    """Whether the request may carry cookie *name* (a cheap test that can say yes
    wrongly, never no wrongly)."""
    header = environ.get("HTTP_COOKIE")
    return header is not None and name in header


_VARY_COOKIE = ("Vary", "Cookie")

#: The serializer of session cookies (tagged JSON, as Flask's).
session_json_serializer = TaggedJSONSerializer()


class SecureCookieSessionInterface(SessionInterface):
    """Sessions in a cookie signed with the app's ``SECRET_KEY``.

    .. versionadded:: 0.1
    """

    salt = "cookie-session"
    digest_method = staticmethod(hashlib.sha1)
    _serializers: dict[tuple[t.Any, ...], URLSafeTimedSerializer] | None = None
    key_derivation = "hmac"
    serializer = session_json_serializer
    session_class = SecureCookieSession

    def get_signing_serializer(self, app: App) -> URLSafeTimedSerializer | None:
        """The serializer signing the cookie, or ``None`` without a secret key."""
        if not app.secret_key:
            return None
        keys: list[str | bytes] = list(app.config["SECRET_KEY_FALLBACKS"] or ())
        keys.append(app.secret_key)
        # The serializer depends only on the keys and this interface's settings:
        # build it once per set of keys, not twice per request.
        cache_key = (tuple(keys), self.salt, self.key_derivation, self.digest_method)
        if self._serializers is None:
            self._serializers = {}
        cached = self._serializers.get(cache_key)
        if cached is None:
            cached = URLSafeTimedSerializer(
                keys,
                salt=self.salt,
                serializer=self.serializer,
                signer_kwargs={
                    "key_derivation": self.key_derivation,
                    "digest_method": self.digest_method,
                },
            )
            if len(self._serializers) >= 8:
                self._serializers.clear()
            self._serializers[cache_key] = cached
        return cached

    def open_session(self, app: App, request: Request) -> SecureCookieSession | None:
        """Load the cookie; a missing or bad one gives an empty session."""
        return self.load_cookie(app, request.cookies.get(self.get_cookie_name(app)))

    def load_cookie(self, app: App, value: str | None) -> SecureCookieSession | None:
        """The session in the cookie *value*: empty when it is missing or bad;
        ``None`` (a null session) without a secret key.

        .. versionadded:: 0.1
        """
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        if not value:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        try:
            data = serializer.loads(value, max_age=max_age)
        except BadData:
            # BadSignature, and also BadPayload (signed, but not a session), which
            # Flask lets through as a 500.
            return self.session_class()
        if not isinstance(data, dict):
            return self.session_class()
        return self.session_class(data)

    def save_session(self, app: App, session: SessionMixin, response: Response) -> None:
        """Set, refresh or delete the cookie, and add ``Vary: Cookie`` when the
        session was used."""
        for name, value in self.cookie_headers(app, session):
            if name == "Vary":
                response.vary.add(value)
            else:
                response.headers.add(name, value)

    def cookie_headers(self, app: App, session: SessionMixin) -> list[tuple[str, str]]:
        """The headers that save *session*, in the order :meth:`save_session` adds
        them: ``Vary: Cookie`` and the ``Set-Cookie`` that sets, refreshes or
        deletes the cookie. A response without headers of its own can take them
        as they are.

        .. versionadded:: 0.1
        """
        headers: list[tuple[str, str]] = []
        if session.accessed:
            headers.append(_VARY_COOKIE)
        if not session:
            if session.modified:
                headers.append(self._set_cookie(app, "", expires=0, max_age=0))
                if not session.accessed:
                    headers.append(_VARY_COOKIE)
            return headers
        if not self.should_set_cookie(app, session):
            return headers
        serializer = self.get_signing_serializer(app)
        assert serializer is not None
        value = serializer.dumps(dict(session))
        headers.append(
            self._set_cookie(app, value, expires=self.get_expiration_time(app, session))
        )
        if not session.accessed:
            headers.append(_VARY_COOKIE)
        return headers

    def _set_cookie(
        self,
        app: App,
        value: str,
        expires: datetime | int | None,
        max_age: int | None = None,
    ) -> tuple[str, str]:
        return (
            "Set-Cookie",
            dump_cookie(
                self.get_cookie_name(app),
                value,
                max_age=max_age,
                expires=expires,
                path=self.get_cookie_path(app),
                domain=self.get_cookie_domain(app),
                secure=self.get_cookie_secure(app),
                httponly=self.get_cookie_httponly(app),
                max_size=app.config["MAX_COOKIE_SIZE"],
                samesite=self.get_cookie_samesite(app),
                partitioned=self.get_cookie_partitioned(app),
            ),
        )
