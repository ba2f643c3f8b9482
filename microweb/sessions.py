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
from datetime import datetime, timedelta, timezone
from operator import attrgetter, itemgetter
from types import ModuleType

from itsdangerous import BadData
from werkzeug.datastructures import CallbackDict
from werkzeug.http import dump_cookie, http_date

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


def _mark_modified(session: SecureCookieSession) -> None:
    session.modified = True


_new_dict = dict.__new__
_fill_dict = dict.update


class SecureCookieSession(CallbackDict[str, t.Any], SessionMixin):
    """The session stored in a signed cookie.

    .. versionadded:: 0.1
    """

    modified = False
    accessed = False
    # Every session marks itself modified when changed: the class holds the
    # callback, so that a session need not be given its own.
    on_update = staticmethod(_mark_modified)

    def __init__(
        self,
        initial: t.Mapping[str, t.Any] | t.Iterable[tuple[str, t.Any]] | None = None,
    ) -> None:
        # PERF: what CallbackDict.__init__ does, without its call.
        if initial is None:
            dict.__init__(self)
        else:
            dict.__init__(self, initial)

    def __setitem__(self, key: str, value: t.Any) -> None:
        # PERF: what CallbackDict's does, in one call where it makes two or three
        # (views write to the session more than any other way).
        dict.__setitem__(self, key, value)
        on_update = self.on_update
        if on_update is _mark_modified:
            self.modified = True
        elif on_update is not None:
            on_update(self)


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

#: The config values the stock interface's cookie depends on, in one read.
_stock_config = itemgetter(
    "SECRET_KEY",
    "PERMANENT_SESSION_LIFETIME",
    "SESSION_REFRESH_EACH_REQUEST",
    "SESSION_COOKIE_NAME",
    "SESSION_COOKIE_PATH",
    "APPLICATION_ROOT",
    "SESSION_COOKIE_DOMAIN",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "MAX_COOKIE_SIZE",
    "SESSION_COOKIE_SAMESITE",
    "SESSION_COOKIE_PARTITIONED",
)
#: The stock interface's own settings its cookie depends on, in one read.
_stock_interface = attrgetter(
    "salt", "key_derivation", "digest_method", "serializer", "signing_core"
)

#: The serializer of session cookies (tagged JSON, as Flask's).
session_json_serializer = TaggedJSONSerializer()


class SecureCookieSessionInterface(SessionInterface):
    """Sessions in a cookie signed with the app's ``SECRET_KEY``.

    .. versionadded:: 0.1
    """

    salt = "cookie-session"
    digest_method = staticmethod(hashlib.sha1)
    _serializers: dict[tuple[t.Any, ...], URLSafeTimedSerializer] | None = None
    #: ``id(app)`` -> the cookie under that app's settings, as last worked out.
    _stock_cookies: dict[int, _StockCookie] | None = None
    key_derivation = "hmac"
    serializer = session_json_serializer
    session_class = SecureCookieSession
    #: The signing core the cookies are signed on (``microweb._signing_c`` or
    #: ``_signing_py``); ``None`` for the one this process picked
    #: (:data:`microweb.signing.core`). Set it on an instance to pin one, as the
    #: tests and ``perf/`` do.
    signing_core: ModuleType | None = None

    def get_signing_serializer(self, app: App) -> URLSafeTimedSerializer | None:
        """The serializer signing the cookie, or ``None`` without a secret key."""
        # The attribute, as Flask reads it: an app class may set its own.
        secret_key = app.secret_key
        if not secret_key:
            return None
        fallbacks = app.config["SECRET_KEY_FALLBACKS"]
        # The serializer depends only on the keys and this interface's settings:
        # build it once per set of keys, not twice per request.
        cache_key = (
            secret_key,
            tuple(fallbacks) if fallbacks else (),
            self.salt,
            self.key_derivation,
            self.digest_method,
            self.serializer,
            self.signing_core,
        )
        if self._serializers is None:
            self._serializers = {}
        cached = self._serializers.get(cache_key)
        if cached is None:
            keys: list[str | bytes] = [*(fallbacks or ()), secret_key]
            cached = URLSafeTimedSerializer(
                keys,
                salt=self.salt,
                serializer=self.serializer,
                signer_kwargs={
                    "key_derivation": self.key_derivation,
                    "digest_method": self.digest_method,
                },
            )
            if self.signing_core is not None:
                cached.core = self.signing_core
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
        stock = self._stock_cookie(app)
        if stock is not None:
            return self._load(stock.serializer, value, stock.max_age)
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        if not value:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        return self._load(serializer, value, max_age)

    def _open_from_header(
        self,
        app: App,
        header: str | None,
        cookie_value: t.Callable[[str | None, str], str | None],
    ) -> SecureCookieSession | None:
        """:meth:`open_session` from the request's ``Cookie`` *header* alone,
        found in it by *cookie_value*."""
        stock = self._stock_cookie(app)
        if stock is None:
            value = cookie_value(header, self.get_cookie_name(app))
            return self.load_cookie(app, value)
        value = cookie_value(header, stock.name)
        return self._load(stock.serializer, value, stock.max_age)

    def _load(
        self,
        serializer: URLSafeTimedSerializer | None,
        value: str | None,
        max_age: int,
    ) -> SecureCookieSession | None:
        """The session in the cookie *value*, read by *serializer* (``None``:
        there is no secret key) within *max_age* seconds of its signing."""
        if serializer is None:
            return None
        if not value:
            return self.session_class()
        try:
            data = serializer.loads(value, max_age=max_age)
        except BadData:
            # BadSignature, and also BadPayload (signed, but not a session), which
            # Flask lets through as a 500.
            return self.session_class()
        if not isinstance(data, dict):
            return self.session_class()
        if self.session_class is SecureCookieSession:
            # PERF: the session made without a call to its __init__.
            session = _new_dict(SecureCookieSession)
            _fill_dict(session, data)
            return session
        return self.session_class(data)

    def _stock_cookie(self, app: App) -> _StockCookie | None:
        """The cookie under *app*'s settings, when this is the stock interface
        and *app* reads the session lifetime from its config; else ``None``: the
        getters are asked."""
        if type(self) is not SecureCookieSessionInterface:
            return None
        # PERF: one read of the config and one of this interface tell whether
        # the cookie worked out last time still holds.
        config = app.config
        snapshot = _stock_config(config)
        cookies = self._stock_cookies
        if cookies is None:
            cookies = self._stock_cookies = {}
        cookie = cookies.get(id(app))
        if (
            cookie is None
            or cookie.config != snapshot
            or cookie.fallbacks != config["SECRET_KEY_FALLBACKS"]
            or cookie.interface != _stock_interface(self)
            or cookie.app_class is not type(app)
        ):
            cookie = _StockCookie(self, app, snapshot)
            if len(cookies) >= 16:
                cookies.clear()
            cookies[id(app)] = cookie
        return cookie if cookie.lifetime is not None else None

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
        cookie: _StockCookie | _InterfaceCookie | None = self._stock_cookie(app)
        if cookie is None:
            cookie = _InterfaceCookie(self, app)
        headers: list[tuple[str, str]] = []
        if session.accessed:
            headers.append(_VARY_COOKIE)
        if not session:
            if session.modified:
                headers.append(cookie.deletion())
                if not session.accessed:
                    headers.append(_VARY_COOKIE)
            return headers
        if not cookie.should_set(session):
            return headers
        headers.append(cookie.setting(session))
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
        """The ``Set-Cookie`` header of the cookie *value*, with the attributes
        the getters give."""
        attributes = (
            self.get_cookie_name(app),
            self.get_cookie_path(app),
            self.get_cookie_domain(app),
            self.get_cookie_secure(app),
            self.get_cookie_httponly(app),
            app.config["MAX_COOKIE_SIZE"],
            self.get_cookie_samesite(app),
            self.get_cookie_partitioned(app),
        )
        return _cookie_header(
            attributes, _cookie_layout(attributes), value, expires, max_age
        )


class _StockCookie:
    """The stock interface's cookie under one snapshot of its settings, with what
    reading and writing it takes worked out once: the serializer, the age limit,
    the ``Set-Cookie`` layout."""

    __slots__ = (
        "config",
        "fallbacks",
        "interface",
        "app_class",
        "serializer",
        "lifetime",
        "max_age",
        "refresh",
        "name",
        "attributes",
        "layout",
    )

    def __init__(
        self,
        interface: SecureCookieSessionInterface,
        app: App,
        snapshot: tuple[t.Any, ...],
    ) -> None:
        from .app import App

        self.config = snapshot
        fallbacks = app.config["SECRET_KEY_FALLBACKS"]
        # A copy, so that a list changed in place is told apart.
        self.fallbacks = list(fallbacks) if isinstance(fallbacks, list) else fallbacks
        self.interface = _stock_interface(interface)
        self.app_class = type(app)
        self.serializer = interface.get_signing_serializer(app)
        # An app class of its own may work the lifetime out otherwise, or give
        # the secret key itself: then the getters are asked.
        self.lifetime: timedelta | None = None
        self.max_age = 0
        app_class = type(app)
        if (
            app_class.permanent_session_lifetime is App.permanent_session_lifetime
            and app_class.secret_key is App.secret_key
        ):
            self.lifetime = app.permanent_session_lifetime
            self.max_age = int(self.lifetime.total_seconds())
        (
            _,
            _,
            self.refresh,
            name,
            path,
            root,
            domain,
            secure,
            httponly,
            max_size,
            samesite,
            partitioned,
        ) = snapshot
        self.name: str = name
        self.attributes = (
            name,
            path or root,
            domain or None,
            secure,
            httponly,
            max_size,
            samesite,
            partitioned,
        )
        self.layout = _cookie_layout(self.attributes)

    def should_set(self, session: SessionMixin) -> bool:
        """:meth:`~SessionInterface.should_set_cookie`."""
        return session.modified or (session.permanent and self.refresh)

    def setting(self, session: SessionMixin) -> tuple[str, str]:
        """The ``Set-Cookie`` header that sets or refreshes the cookie."""
        assert self.serializer is not None and self.lifetime is not None
        value = self.serializer.dumps(dict(session))
        expires = (
            datetime.now(timezone.utc) + self.lifetime if session.permanent else None
        )
        return _cookie_header(self.attributes, self.layout, value, expires)

    def deletion(self) -> tuple[str, str]:
        """The ``Set-Cookie`` header that deletes the cookie."""
        return _cookie_header(self.attributes, self.layout, "", 0, 0)


class _InterfaceCookie:
    """The cookie as any interface's getters have it: what
    :meth:`~SecureCookieSessionInterface.cookie_headers` asks of a
    :class:`_StockCookie`, asked of the interface."""

    __slots__ = ("interface", "app")

    def __init__(self, interface: SecureCookieSessionInterface, app: App) -> None:
        self.interface = interface
        self.app = app

    def should_set(self, session: SessionMixin) -> bool:
        return self.interface.should_set_cookie(self.app, session)

    def setting(self, session: SessionMixin) -> tuple[str, str]:
        interface, app = self.interface, self.app
        serializer = interface.get_signing_serializer(app)
        assert serializer is not None
        value = serializer.dumps(dict(session))
        expires = interface.get_expiration_time(app, session)
        return interface._set_cookie(app, value, expires)

    def deletion(self) -> tuple[str, str]:
        return self.interface._set_cookie(self.app, "", expires=0, max_age=0)


def _cookie_header(
    attributes: tuple[t.Any, ...],
    layout: tuple[str, ...],
    value: str,
    expires: datetime | int | None,
    max_age: int | None = None,
) -> tuple[str, str]:
    """The ``Set-Cookie`` header of the session cookie *value*, with *attributes*
    (laid out as *layout*, from :func:`_cookie_layout`), as ``dump_cookie``
    writes it."""
    if (
        layout
        and max_age is None
        and (expires is None or isinstance(expires, datetime))
    ):
        # A signed value (URL-safe base64 and dots) needs no quoting.
        head, before_expires, after_expires = layout
        if expires is None:
            header = head + value + before_expires + after_expires
        else:
            header = (
                f"{head}{value}{before_expires}; Expires="
                f"{http_date(expires)}{after_expires}"
            )
        max_size = attributes[5]
        if not max_size or len(header) <= max_size:
            return ("Set-Cookie", header)
    # Whatever is unusual (a value to quote, a cookie too large to send
    # without a warning, a deletion) is left to Werkzeug.
    return ("Set-Cookie", _dump_cookie(value, expires, max_age, *attributes))


def _dump_cookie(
    value: str,
    expires: datetime | int | None,
    max_age: int | None,
    name: str,
    path: str,
    domain: str | None,
    secure: bool,
    httponly: bool,
    max_size: int,
    samesite: str | None,
    partitioned: bool,
) -> str:
    return dump_cookie(
        name,
        value,
        max_age=max_age,
        expires=expires,
        path=path,
        domain=domain,
        secure=secure,
        httponly=httponly,
        max_size=max_size,
        samesite=samesite,
        partitioned=partitioned,
    )


#: A marker in place of a cookie's expiry date, which splits the header there.
_EXPIRES_MARK = "\x00"
#: The cookie attributes -> how ``dump_cookie`` lays the session cookie out with
#: them: the name and ``=``, what comes before ``Expires`` and what comes after;
#: ``()`` when it cannot be laid out ahead (the name or an attribute would
#: need escaping).
_cookie_layouts: dict[tuple[t.Any, ...], tuple[str, ...]] = {}


def _cookie_layout(attributes: tuple[t.Any, ...]) -> tuple[str, ...]:
    """The layout of the session cookie with *attributes*, as ``dump_cookie``
    writes it around a value that needs no quoting (and an expiry date), made
    once per set of attributes."""
    layout = _cookie_layouts.get(attributes)
    if layout is not None:
        return layout
    name, path, domain, secure, httponly, _, samesite, partitioned = attributes
    head = f"{name.encode().decode('latin1')}="
    layout = ()
    try:
        # No size limit: the sample is not the cookie that is sent.
        sample = dump_cookie(
            name,
            "v",
            expires=_EXPIRES_MARK,
            path=path,
            domain=domain,
            secure=secure,
            httponly=httponly,
            max_size=0,
            samesite=samesite,
            partitioned=partitioned,
        )
    except Exception:
        # Werkzeug refuses these attributes: let it say so for each cookie.
        sample = ""
    parts = sample[len(head) + 1 :].split(f"; Expires={_EXPIRES_MARK}")
    if sample.startswith(head + "v") and len(parts) == 2 and _EXPIRES_MARK not in head:
        layout = (head, *parts)
    if len(_cookie_layouts) >= 32:
        _cookie_layouts.clear()
    _cookie_layouts[attributes] = layout
    return layout
