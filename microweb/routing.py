"""URL routing with Werkzeug's rules and semantics, matched by a compiled core.

This is the front module of the routing core. It picks the core once, at import:
``microweb._routing_c`` (Cython) unless ``MICROWEB_NO_EXTENSIONS`` is set or the
compiled module is missing, else ``microweb._routing_py``. Everything that is not hot
lives here:
:class:`Map` and :class:`MapAdapter` with Werkzeug's interface, the redirects, the
errors. Rules are parsed in :mod:`microweb.rules`.

The converters, :class:`ValidationError`, :class:`BuildError` and the HTTP errors are
Werkzeug's own classes, so code written for Flask catches and extends them unchanged.
"""

from __future__ import annotations

import threading
import typing as t
import warnings
from pprint import pformat
from types import ModuleType
from urllib.parse import quote, urljoin, urlunsplit

from werkzeug.datastructures import ImmutableDict, MultiDict
from werkzeug.exceptions import BadHost, MethodNotAllowed, NotFound
from werkzeug.routing import (
    AnyConverter,
    BaseConverter,
    BuildError,
    FloatConverter,
    IntegerConverter,
    PathConverter,
    RequestRedirect,
    RuleFactory,
    UnicodeConverter,
    UUIDConverter,
    ValidationError,
    WebsocketMismatch,
)
from werkzeug.routing import Rule as WerkzeugRule
from werkzeug.routing.converters import DEFAULT_CONVERTERS
from werkzeug.wsgi import get_host

from . import _cores
from .rules import SEGMENT_SAFE, Rule, encode_query, identity_to_python

if t.TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

#: The routing core this process uses: ``microweb._routing_c`` or ``_routing_py``.
core: ModuleType = _cores.load("routing")


def without_bad_port(host: str) -> str:
    """*host* (``name`` or ``name:port``), or ``""`` when it names a port that is
    not a number from 1 to 65535, as Werkzeug 3.1.9's ``get_host`` does. Before
    3.1.9 such a host was kept, and every URL built on it failed (a 500)."""
    if not host.endswith("]"):
        _, colon, port = host.rpartition(":")
        if colon and not (port.isascii() and port.isdigit() and 0 < int(port) <= 65535):
            return ""
    return host


__all__ = [
    "AnyConverter",
    "BaseConverter",
    "BuildError",
    "FloatConverter",
    "IntegerConverter",
    "Map",
    "MapAdapter",
    "MethodNotAllowed",
    "NotFound",
    "PathConverter",
    "RequestRedirect",
    "Rule",
    "ShadowedRuleError",
    "UnicodeConverter",
    "UUIDConverter",
    "ValidationError",
    "WebsocketMismatch",
    "core",
    "is_websocket_handshake",
]


def _from_werkzeug(rule: WerkzeugRule) -> Rule:
    """A :class:`Rule` with the arguments of Werkzeug's *rule*."""
    return Rule(
        rule.rule,
        **rule.get_empty_kwargs(),
        merge_slashes=rule.merge_slashes,
        websocket=rule.websocket,
    )


class ShadowedRuleError(ValueError):
    """A rule cannot be reached for a method it was written for: an earlier rule
    with the same pattern takes that method first.

    Werkzeug keeps such a rule silently; microweb refuses it when it is added. The
    ``HEAD`` that ``GET`` implies and the ``OPTIONS`` answered automatically do not
    count, so ``@app.get("/items")`` beside ``@app.post("/items")`` is fine.

    .. versionadded:: 0.1
    """

    def __init__(self, rule: Rule, earlier: Rule) -> None:
        super().__init__(
            f"{rule!r} is shadowed: {earlier!r} has the same pattern and takes"
            " one of its methods first. Remove one, or give them different methods."
        )
        self.rule = rule
        self.earlier = earlier


class Map:
    """The set of URL rules of an application, with Werkzeug's interface.

    :param rules: rules (or rule factories) to add.
    :param default_subdomain: the subdomain of rules that do not name one.
    :param strict_slashes: redirect ``/a`` to ``/a/`` for rules ending in a slash.
    :param merge_slashes: match repeated slashes as one, with a redirect.
    :param redirect_defaults: redirect to the rule that provides defaults for an
        endpoint when another rule of it matched with the same values.
    :param converters: converters to add to (or replace in) the default ones.
    :param sort_parameters: sort the query string of built URLs.
    :param sort_key: the sort key for that.
    :param host_matching: match rules on the whole host (``Rule(host=...)``) instead
        of the subdomain.

    .. versionadded:: 0.1
    """

    #: The converters every map starts with (Werkzeug's).
    default_converters = ImmutableDict(DEFAULT_CONVERTERS)
    #: The routing core this map matches with; a subclass may pin one.
    core: ModuleType = core
    lock_class = threading.Lock

    def __init__(
        self,
        rules: t.Iterable[RuleFactory] | None = None,
        default_subdomain: str = "",
        strict_slashes: bool = True,
        merge_slashes: bool = True,
        redirect_defaults: bool = True,
        converters: t.Mapping[str, type[BaseConverter]] | None = None,
        sort_parameters: bool = False,
        sort_key: t.Callable[[t.Any], t.Any] | None = None,
        host_matching: bool = False,
    ) -> None:
        self._matcher = self.core.Matcher(merge_slashes)
        self._rules_by_endpoint: dict[t.Any, list[Rule]] = {}
        self._remap = True
        self._remap_lock = self.lock_class()
        self.default_subdomain = default_subdomain
        self.strict_slashes = strict_slashes
        self.redirect_defaults = redirect_defaults
        self.host_matching = host_matching
        self.converters = self.default_converters.copy()
        if converters:
            self.converters.update(converters)
        self.sort_parameters = sort_parameters
        self.sort_key = sort_key
        for rulefactory in rules or ():
            self.add(rulefactory)

    @property
    def merge_slashes(self) -> bool:
        """Whether repeated slashes in a request path match as one."""
        return bool(self._matcher.merge_slashes)

    @merge_slashes.setter
    def merge_slashes(self, value: bool) -> None:
        self._matcher.merge_slashes = value

    @property
    def _rules(self) -> list[Rule]:
        return [rule for rules in self._rules_by_endpoint.values() for rule in rules]

    def is_endpoint_expecting(self, endpoint: t.Any, *arguments: str) -> bool:
        """Whether some rule of *endpoint* takes all of *arguments*."""
        self.update()
        wanted = set(arguments)
        rules = self._rules_by_endpoint[endpoint]
        return any(wanted <= rule.arguments for rule in rules)

    def iter_rules(self, endpoint: t.Any | None = None) -> t.Iterator[Rule]:
        """Iterate over all rules, or over the rules of *endpoint*."""
        self.update()
        if endpoint is not None:
            return iter(self._rules_by_endpoint[endpoint])
        return iter(self._rules)

    def add(self, rulefactory: RuleFactory) -> None:
        """Add a rule (or the rules of a rule factory) to the map.

        A ``werkzeug.routing.Rule`` (that class itself, as ``RuleTemplate`` and
        code written for Werkzeug make) is added as a :class:`Rule` with the same
        arguments.

        :raises ShadowedRuleError: when an earlier rule already takes every request
            the new one would match.
        :raises TypeError: for any other rule that is not a :class:`Rule`, such
            as a subclass of Werkzeug's ``Rule``.
        """
        rules = rulefactory.get_rules(t.cast(t.Any, self))
        for given in t.cast("t.Iterable[t.Any]", rules):
            if type(given) is WerkzeugRule:
                rule = _from_werkzeug(given)
            elif isinstance(given, Rule):
                rule = given
            else:
                kind = type(given)
                raise TypeError(
                    f"{given!r} is a {kind.__module__}.{kind.__qualname__}: a"
                    " microweb Map takes microweb.routing.Rule objects, which take"
                    " the same arguments."
                )
            rule.bind(self)
            if not rule.build_only:
                earlier = self._matcher.add(
                    rule._parts, self._target(rule), _claimed_methods(rule)
                )
                if earlier is not None:
                    raise ShadowedRuleError(rule, earlier)
            self._rules_by_endpoint.setdefault(rule.endpoint, []).append(rule)
        self._remap = True

    def _target(self, rule: Rule) -> t.Any:
        converters = rule._converters
        return self.core.Target(
            rule,
            None if rule.methods is None else frozenset(rule.methods),
            bool(rule.strict_slashes),
            bool(rule.merge_slashes),
            tuple(converters),
            tuple(
                None if identity_to_python(converter) else converter
                for converter in converters.values()
            ),
            dict(rule.defaults) if rule.defaults else None,
            bool(rule.websocket),
        )

    def encode_query(self, values: t.Mapping[str, t.Any]) -> str:
        """Encode *values* as the query string of a built URL."""
        return encode_query(values, self.sort_parameters, self.sort_key)

    def bind(
        self,
        server_name: str,
        script_name: str | None = None,
        subdomain: str | None = None,
        url_scheme: str = "http",
        default_method: str = "GET",
        path_info: str | None = None,
        query_args: t.Mapping[str, t.Any] | str | None = None,
    ) -> MapAdapter:
        """Return an adapter that matches and builds URLs for one server name."""
        server_name = server_name.lower()
        if self.host_matching:
            if subdomain is not None:
                raise RuntimeError("host matching enabled and a subdomain was provided")
        elif subdomain is None:
            subdomain = self.default_subdomain
        host, port_separator, port = server_name.partition(":")
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError as error:
            raise BadHost() from error
        return MapAdapter(
            self,
            f"{host}{port_separator}{port}",
            "/" if script_name is None else script_name,
            subdomain,
            url_scheme,
            "/" if path_info is None else path_info,
            default_method,
            query_args,
        )

    def bind_to_environ(
        self,
        environ: WSGIEnvironment,
        server_name: str | None = None,
        subdomain: str | None = None,
    ) -> MapAdapter:
        """Return an adapter for the request described by a WSGI *environ*.

        Without *server_name*, the request's host is used and subdomains are off.
        Paths are decoded as UTF-8, with replacement characters for bad bytes. A
        WebSocket handshake binds with the scheme ``ws`` (or ``wss``), which
        matches WebSocket rules only.
        """
        environ = getattr(environ, "environ", environ)
        request_host = without_bad_port(get_host(environ)).lower()
        scheme = environ["wsgi.url_scheme"]
        if is_websocket_handshake(environ):
            scheme = "wss" if scheme == "https" else "ws"
        if server_name is None:
            server_name = request_host
        else:
            server_name = server_name.lower()
            if scheme in {"http", "ws"} and server_name.endswith(":80"):
                server_name = server_name[:-3]
            elif scheme in {"https", "wss"} and server_name.endswith(":443"):
                server_name = server_name[:-4]
        if subdomain is None and not self.host_matching:
            request_labels = request_host.split(".")
            server_labels = server_name.split(".")
            offset = -len(server_labels)
            if request_labels[offset:] != server_labels:
                warnings.warn(
                    f"Current server name {request_host!r} doesn't match configured"
                    f" server name {server_name!r}",
                    stacklevel=2,
                )
                subdomain = "<invalid>"
            else:
                subdomain = ".".join(filter(None, request_labels[:offset]))
        return Map.bind(
            self,
            server_name,
            _decoded(environ.get("SCRIPT_NAME")),
            subdomain,
            scheme,
            environ["REQUEST_METHOD"],
            _decoded(environ.get("PATH_INFO")),
            query_args=_decoded(environ.get("QUERY_STRING")),
        )

    def update(self) -> None:
        """Prepare the matcher and the build order after rules were added."""
        if not self._remap:
            return
        with self._remap_lock:
            if not self._remap:
                return
            self._matcher.compile()
            for rules in self._rules_by_endpoint.values():
                rules.sort(key=Rule.build_compare_key)
                for position, rule in enumerate(rules):
                    rule._default_providers = [
                        earlier
                        for earlier in rules[:position]
                        if earlier.provides_defaults_for(rule)
                    ]
                    rule._checked_after_match = bool(
                        rule.redirect_to is not None
                        or (
                            self.redirect_defaults
                            and (rule.alias or rule._default_providers)
                        )
                    )
            self._remap = False

    def __repr__(self) -> str:
        return f"{type(self).__name__}({pformat(list(self.iter_rules()))})"


def is_websocket_handshake(environ: WSGIEnvironment) -> bool:
    """Whether the request asks to upgrade to a WebSocket, as Werkzeug tells it:
    ``Upgrade: websocket`` and ``upgrade`` among the ``Connection`` tokens."""
    if environ.get("HTTP_UPGRADE", "").lower() != "websocket":
        return False
    tokens = environ.get("HTTP_CONNECTION", "").lower().split(",")
    return any(token.strip() == "upgrade" for token in tokens)


def _claimed_methods(rule: Rule) -> frozenset[str] | None:
    """The methods *rule* was written for: not the ``HEAD`` that ``GET`` implies,
    nor the ``OPTIONS`` the framework answers for it (``None``: every method)."""
    if rule.methods is None:
        return None
    claimed = set(rule.methods)
    if "GET" in claimed:
        claimed.discard("HEAD")
    if getattr(rule, "provide_automatic_options", False):
        claimed.discard("OPTIONS")
    return frozenset(claimed)


def _decoded(value: str | None) -> str | None:
    """Undo PEP 3333's latin-1 string and decode the bytes as UTF-8."""
    if value is None:
        return None
    return value.encode("latin1").decode(errors="replace")


class MapAdapter:
    """A :class:`Map` bound to one server: matches paths and builds URLs.

    Made by :meth:`Map.bind` or :meth:`Map.bind_to_environ`.

    .. versionadded:: 0.1
    """

    def __init__(
        self,
        map: Map,
        server_name: str,
        script_name: str,
        subdomain: str | None,
        url_scheme: str,
        path_info: str,
        default_method: str,
        query_args: t.Mapping[str, t.Any] | str | None = None,
    ) -> None:
        self.map = map
        self.server_name = server_name
        if not script_name.endswith("/"):
            script_name += "/"
        self.script_name = script_name
        self.subdomain = subdomain
        self.url_scheme = url_scheme
        self.path_info = path_info
        self.default_method = default_method
        self.query_args = query_args
        #: Whether :meth:`match` matches WebSocket rules (and only them) by default.
        self.websocket = url_scheme in {"ws", "wss"}
        self._domain = (
            server_name if map.host_matching or subdomain is None else subdomain
        )

    def dispatch(
        self,
        view_func: t.Callable[[t.Any, t.Mapping[str, t.Any]], t.Any],
        path_info: str | None = None,
        method: str | None = None,
        catch_http_exceptions: bool = False,
    ) -> t.Any:
        """Match, then call ``view_func(endpoint, args)``; a redirect is returned."""
        from werkzeug.exceptions import HTTPException

        try:
            try:
                endpoint, args = self.match(path_info, method)
            except RequestRedirect as redirect:
                return redirect
            return view_func(endpoint, args)
        except HTTPException as error:
            if catch_http_exceptions:
                return error
            raise

    def match(
        self,
        path_info: str | None = None,
        method: str | None = None,
        return_rule: bool = False,
        query_args: t.Mapping[str, t.Any] | str | None = None,
        websocket: bool | None = None,
    ) -> tuple[t.Any, dict[str, t.Any]]:
        """Match a path and method to ``(endpoint, args)``.

        *websocket* matches WebSocket rules instead of HTTP ones; it defaults to
        whether the adapter's scheme is ``ws`` or ``wss``.

        :raises NotFound: nothing matches.
        :raises MethodNotAllowed: the path matches, the method does not; it carries
            the allowed methods.
        :raises WebsocketMismatch: the path and method match only rules for the
            other kind of request (HTTP or WebSocket): a 400.
        :raises RequestRedirect: the client should go to ``new_url`` (a trailing
            slash, merged slashes, an alias, defaults or ``redirect_to``).
        """
        map = self.map
        if map._remap:
            map.update()
        if path_info is None:
            path_info = self.path_info
        method = (method or self.default_method).upper()
        if websocket is None:
            websocket = self.websocket
        rule, result = map._matcher.match(self._domain, path_info, method, websocket)
        if rule is None:
            if isinstance(result, str):
                raise RequestRedirect(
                    self.make_redirect_url(
                        # A lone surrogate cannot come from a WSGI server, but a
                        # str can hold one: encode it rather than fail.
                        quote(result, safe=SEGMENT_SAFE, errors="surrogatepass"),
                        query_args,
                    )
                )
            if result is None:
                raise WebsocketMismatch()
            if result:
                raise MethodNotAllowed(valid_methods=list(result))
            raise NotFound()
        if rule._checked_after_match:
            self._redirect_after_match(rule, result, method, query_args, path_info)
        if return_rule:
            return rule, result
        return rule.endpoint, result

    def _redirect_after_match(
        self,
        rule: Rule,
        values: dict[str, t.Any],
        method: str,
        query_args: t.Mapping[str, t.Any] | str | None,
        path: str,
    ) -> None:
        """Raise the redirect a match on *rule* (at *path*) asks for, if any: its
        canonical URL for an alias or for values an earlier rule gives as
        defaults, or its ``redirect_to`` target."""
        if query_args is None:
            query_args = self.query_args or {}
        if self.map.redirect_defaults:
            if rule.alias:
                raise RequestRedirect(
                    self.make_alias_redirect_url(
                        path, rule.endpoint, values, method, query_args
                    )
                )
            url = self.get_default_redirect(rule, method, values, query_args)
            if url is not None:
                raise RequestRedirect(url)
        if rule.redirect_to is not None:
            if isinstance(rule.redirect_to, str):
                target = rule.redirect_target(values)
            else:
                target = rule.redirect_to(self, **values)
            netloc = (
                f"{self.subdomain}.{self.server_name}"
                if self.subdomain
                else self.server_name
            )
            base = f"{self.url_scheme or 'http'}://{netloc}{self.script_name}"
            raise RequestRedirect(urljoin(base, target))

    def get_default_redirect(
        self,
        rule: Rule,
        method: str,
        values: dict[str, t.Any],
        query_args: t.Mapping[str, t.Any] | str,
    ) -> str | None:
        """The URL to redirect a match on *rule* to when an earlier rule of its
        endpoint gives *values* as its defaults (*values* then takes them), or
        ``None``. Called while matching, when the map redirects defaults."""
        for provider in rule._default_providers:
            if not provider.suitable_for(values, method):
                continue
            candidate = dict(values)
            candidate.update(provider.defaults)  # type: ignore[arg-type]
            try:
                built = provider.build(candidate)
            except ValueError:
                # The canonical rule cannot take these values (Werkzeug fails
                # with a 500 here): serve the rule that matched.
                continue
            if built is None:
                continue
            values.update(provider.defaults)  # type: ignore[arg-type]
            domain, path = built
            return self.make_redirect_url(path, query_args, domain_part=domain)
        return None

    def make_alias_redirect_url(
        self,
        path: str,
        endpoint: t.Any,
        values: t.Mapping[str, t.Any],
        method: str,
        query_args: t.Mapping[str, t.Any] | str,
    ) -> str:
        """The canonical URL of a match at *path* on an alias rule of *endpoint*:
        the URL its first rule builds, with *query_args*. Called while matching,
        when the map redirects defaults."""
        url = self.build(
            endpoint, values, method, append_unknown=False, force_external=True
        )
        if query_args:
            url += f"?{self.encode_query_args(query_args)}"
        return url

    def test(self, path_info: str | None = None, method: str | None = None) -> bool:
        """Whether the path matches (a redirect counts as a match)."""
        try:
            self.match(path_info, method)
        except RequestRedirect:
            pass
        except (NotFound, MethodNotAllowed, WebsocketMismatch):
            return False
        return True

    def allowed_methods(self, path_info: str | None = None) -> t.Iterable[str]:
        """The methods the path accepts."""
        try:
            self.match(path_info, method="--")
        except MethodNotAllowed as error:
            return error.valid_methods  # type: ignore[return-value]
        except (NotFound, RequestRedirect, WebsocketMismatch):
            pass
        return []

    def get_host(self, domain_part: str | None) -> str:
        """The host for a built URL whose domain part is *domain_part*."""
        if self.map.host_matching:
            return self.server_name if domain_part is None else domain_part
        subdomain = self.subdomain if domain_part is None else domain_part
        return f"{subdomain}.{self.server_name}" if subdomain else self.server_name

    def encode_query_args(self, query_args: t.Mapping[str, t.Any] | str) -> str:
        """Encode query arguments for a redirect URL.

        A query string is kept as the request sent it, line breaks aside: they are
        percent-encoded, as Werkzeug encodes the ``Location`` header later, since a
        header value cannot hold them (Werkzeug fails with a 500 there).
        """
        if isinstance(query_args, str):
            if "\r" in query_args or "\n" in query_args:
                return query_args.replace("\r", "%0D").replace("\n", "%0A")
            return query_args
        return encode_query(query_args)

    def make_redirect_url(
        self,
        path_info: str,
        query_args: t.Mapping[str, t.Any] | str | None = None,
        domain_part: str | None = None,
    ) -> str:
        """The absolute URL a redirect to *path_info* points at."""
        if query_args is None:
            query_args = self.query_args
        query = self.encode_query_args(query_args) if query_args else None
        path = "/".join((self.script_name.strip("/"), path_info.lstrip("/")))
        return urlunsplit(
            (self.url_scheme or "http", self.get_host(domain_part), path, query, None)
        )

    def build(
        self,
        endpoint: t.Any,
        values: t.Mapping[str, t.Any] | None = None,
        method: str | None = None,
        force_external: bool = False,
        append_unknown: bool = True,
        url_scheme: str | None = None,
    ) -> str:
        """Build the URL of *endpoint* with *values*.

        Values that are not variables of the rule go to the query string (unless
        *append_unknown* is false); ``None`` values are dropped. The URL of a
        WebSocket rule is always absolute, with the scheme ``ws`` (``wss`` when the
        adapter's or the given scheme is secure).

        :raises BuildError: no rule of *endpoint* can take these values and method.
        """
        map = self.map
        if map._remap:
            map.update()
        if not values:
            values = {}
        elif isinstance(values, MultiDict):
            values = {
                key: (items[0] if len(items) == 1 else items)
                for key, items in dict.items(values)
                if len(items) != 0
            }
        else:
            values = {key: value for key, value in values.items() if value is not None}
        built = self._partial_build(endpoint, values, method, append_unknown)
        if built is None:
            raise BuildError(endpoint, values, method, self)  # type: ignore[arg-type]
        domain_part, path, websocket = built
        host = self.get_host(domain_part)
        if url_scheme is None:
            url_scheme = self.url_scheme
        secure = url_scheme in {"https", "wss"}
        if websocket:
            force_external = True
            url_scheme = "wss" if secure else "ws"
        elif url_scheme:
            url_scheme = "https" if secure else "http"
        if not force_external and (
            (map.host_matching and host == self.server_name)
            or (not map.host_matching and domain_part == self.subdomain)
        ):
            return f"{self.script_name.rstrip('/')}/{path.lstrip('/')}"
        scheme = f"{url_scheme}:" if url_scheme else ""
        return f"{scheme}//{host}{self.script_name[:-1]}/{path.lstrip('/')}"

    def _partial_build(
        self,
        endpoint: t.Any,
        values: t.Mapping[str, t.Any],
        method: str | None,
        append_unknown: bool,
    ) -> tuple[str, str, bool] | None:
        """``(domain part, path, websocket)`` of the first rule of *endpoint* that
        takes *values* and *method*, or ``None``."""
        if method is None:
            found = self._partial_build(
                endpoint, values, self.default_method, append_unknown
            )
            if found is not None:
                return found
        first = None
        for rule in self.map._rules_by_endpoint.get(endpoint, ()):
            if rule.suitable_for(values, method):
                built = rule.build(values, append_unknown)
                if built is not None:
                    found = (built[0], built[1], rule.websocket)
                    if not self.map.host_matching or built[0] == self.server_name:
                        return found
                    if first is None:
                        first = found
        return first
