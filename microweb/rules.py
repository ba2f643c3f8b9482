"""URL rules: Werkzeug's rule syntax parsed into the parts a routing core matches.

A rule string such as ``/user/<int(min=1):id>/posts/`` is read once, when the rule is
bound to its map. Reading it gives the converters, the parts the matcher walks (one per
path segment, or one for the rest of the path after a converter that takes slashes),
the weights that order dynamic parts, and the templates that build URLs.
"""

from __future__ import annotations

import re
import typing as t
from urllib.parse import quote, urlencode

from werkzeug.datastructures import iter_multi_items
from werkzeug.routing import BaseConverter, RuleFactory, parse_converter_args
from werkzeug.routing import ValidationError as ValidationError

if t.TYPE_CHECKING:
    from .routing import Map

SEGMENT_SAFE = "!$&'()*+,/:;=@"
QUERY_SAFE = "!$'()*,/:;?@"

_TOKEN = re.compile(
    r"""
    (?P<slash>/)
    | (?P<static>[^</]+)
    | <(?:(?P<converter>[a-zA-Z_][a-zA-Z0-9_]*)(?:\((?P<arguments>.*?)\))?:)?
       (?P<variable>[a-zA-Z_][a-zA-Z0-9_]*)>
    """,
    re.VERBOSE,
)
_PLACEHOLDER = re.compile(r"<([^>]+)>")
_SLASHES = re.compile("/{2,}")
_PLAIN_SEGMENT = re.compile(r"\[\^/\](?:(\+)|\{(\d+)\}|\{(\d+),(\d*)\})")
_EMPTY_WEIGHT: tuple[t.Any, ...] = (0, (), 0, ())


def identity_to_python(converter: BaseConverter) -> bool:
    """Whether *converter* hands the matched text to the view unchanged."""
    return type(converter).to_python is BaseConverter.to_python


def _default_to_url(converter: BaseConverter) -> bool:
    return type(converter).to_url is BaseConverter.to_url


class _PartBuilder:
    """Collects one part of a rule while its tokens are read."""

    def __init__(self) -> None:
        self.content = ""
        self.static = True
        self.final = False
        self.static_weights: list[tuple[int, int]] = []
        self.argument_weights: list[int] = []
        self.converters: list[BaseConverter] = []

    def add_static(self, text: str) -> None:
        self.static_weights.append((len(self.static_weights), -len(text)))
        self.content += text if self.static else re.escape(text)

    def add_variable(self, converter: BaseConverter) -> None:
        if self.static:
            self.content = re.escape(self.content)
            self.static = False
        if not converter.part_isolating:
            self.final = True
        self.content += f"(?P<__mw{len(self.converters)}>{converter.regex})"
        self.converters.append(converter)
        self.argument_weights.append(converter.weight)

    def finish(self, suffixed: bool = False) -> tuple[t.Any, ...]:
        content = self.content
        if suffixed:
            content = content[:-1] + "(?<!/)(/?)"
        if not self.static:
            content += r"\Z"
        weight = (
            -len(self.static_weights),
            tuple(self.static_weights),
            -len(self.argument_weights),
            tuple(self.argument_weights),
        )
        min_length = max_length = -1
        pattern = None
        group_indexes: tuple[int, ...] = ()
        if not self.static:
            plain = None
            if (
                len(self.converters) == 1
                and self.content.startswith("(?P<__mw0>")
                and identity_to_python(self.converters[0])
                and not self.final
            ):
                plain = _PLAIN_SEGMENT.fullmatch(self.converters[0].regex)
            if plain is not None and self.content == (
                f"(?P<__mw0>{self.converters[0].regex})"
            ):
                plus, exact, low, high = plain.groups()
                if plus:
                    min_length = 1
                elif exact is not None:
                    min_length = max_length = int(exact)
                else:
                    min_length = int(low)
                    max_length = int(high) if high else -1
            else:
                pattern = re.compile(content)
                group_indexes = tuple(
                    pattern.groupindex[f"__mw{index}"]
                    for index in range(len(self.converters))
                )
                if suffixed:
                    group_indexes += (pattern.groups,)
        return (
            self.static,
            content,
            self.final,
            suffixed,
            weight,
            min_length,
            max_length,
            pattern,
            group_indexes,
        )


class Rule(RuleFactory):
    """A URL rule: a pattern, the endpoint it leads to, and how it may be reached.

    The arguments are Werkzeug's, with the same meaning; a Flask user's rules and
    custom converters work unchanged.

    :param string: the rule, starting with a slash, e.g. ``/user/<int:id>``.
    :param defaults: values for the view when the rule has fewer variables.
    :param subdomain: the subdomain this rule matches, when subdomain matching is on.
    :param methods: the HTTP methods; ``HEAD`` is added when ``GET`` is present;
        ``None`` allows every method.
    :param build_only: only build URLs with this rule, never match it.
    :param endpoint: what a match returns.
    :param strict_slashes: redirect ``/a`` to ``/a/`` for a rule ending in a slash;
        defaults to the map's setting.
    :param merge_slashes: match ``//a///b`` as ``/a/b`` (with a redirect); defaults to
        the map's setting.
    :param redirect_to: a rule string or a callable; a match redirects there.
    :param alias: a match redirects to the canonical rule for the endpoint.
    :param host: the host this rule matches, when host matching is on.
    :param websocket: match only WebSocket requests (and HTTP ones never); such a
        rule takes only ``GET``, ``HEAD`` and ``OPTIONS``, and builds ``ws://`` or
        ``wss://`` URLs.

    .. versionadded:: 0.1
    """

    # What ``MapAdapter.match`` reads of the rule a lookup ends at, kept in the
    # object rather than in its attribute dict: in a large map that rule is rarely
    # in the CPU caches, and one memory access then fetches both. The other
    # attributes, and a subclass's, live in the instance dict as usual.
    __slots__ = ("endpoint", "_checked_after_match")

    def __init__(
        self,
        string: str,
        defaults: t.Mapping[str, t.Any] | None = None,
        subdomain: str | None = None,
        methods: t.Iterable[str] | None = None,
        build_only: bool = False,
        endpoint: t.Any | None = None,
        strict_slashes: bool | None = None,
        merge_slashes: bool | None = None,
        redirect_to: str | t.Callable[..., str] | None = None,
        alias: bool = False,
        host: str | None = None,
        websocket: bool = False,
    ) -> None:
        if not string.startswith("/"):
            raise ValueError(f"URL rule {string!r} must start with a slash.")
        self.rule = string
        self.is_leaf = not string.endswith("/")
        self.is_branch = string.endswith("/")
        self.map: Map = None  # type: ignore[assignment]
        self.strict_slashes = strict_slashes
        self.merge_slashes = merge_slashes
        self.subdomain = subdomain
        self.host = host
        self.defaults = defaults
        self.build_only = build_only
        self.alias = alias
        self.websocket = websocket
        if methods is not None:
            if isinstance(methods, str):
                raise TypeError("'methods' should be a list of strings.")
            methods = {method.upper() for method in methods}
            if "GET" in methods:
                methods.add("HEAD")
            if websocket and methods - {"GET", "HEAD", "OPTIONS"}:
                raise ValueError(
                    "WebSocket rules can only take the methods GET, HEAD and OPTIONS."
                )
        self.methods: set[str] | None = methods
        self.endpoint: t.Any = endpoint
        self.redirect_to = redirect_to
        self.arguments: set[str] = set(map(str, defaults)) if defaults else set()
        self._converters: dict[str, BaseConverter] = {}
        self._trace: list[tuple[bool, str]] = []
        self._parts: list[tuple[t.Any, ...]] = []
        self._domain_template: tuple[t.Any, ...] = ()
        self._path_template: tuple[t.Any, ...] = ()
        #: Rules of the same endpoint that a match of this one redirects to.
        self._default_providers: list[Rule] = []
        self._checked_after_match = False

    def empty(self) -> Rule:
        """Return an unbound copy of this rule."""
        return type(self)(self.rule, **self.get_empty_kwargs())

    def get_empty_kwargs(self) -> t.Mapping[str, t.Any]:
        """The keyword arguments :meth:`empty` passes to the new rule."""
        return dict(
            defaults=dict(self.defaults) if self.defaults else None,
            subdomain=self.subdomain,
            methods=self.methods,
            build_only=self.build_only,
            endpoint=self.endpoint,
            strict_slashes=self.strict_slashes,
            redirect_to=self.redirect_to,
            alias=self.alias,
            host=self.host,
            websocket=self.websocket,
        )

    def get_rules(self, map: Map) -> t.Iterator[Rule]:  # type: ignore[override]
        yield self

    def refresh(self) -> None:
        """Parse the rule again after it was changed in place."""
        self.bind(self.map, rebind=True)

    def bind(self, map: Map, rebind: bool = False) -> None:
        """Attach the rule to *map* and parse it with the map's settings."""
        if self.map is not None and not rebind:
            raise RuntimeError(f"url rule {self!r} already bound to map {self.map!r}")
        self.map = map
        if self.strict_slashes is None:
            self.strict_slashes = map.strict_slashes
        if self.merge_slashes is None:
            self.merge_slashes = map.merge_slashes
        if self.subdomain is None:
            self.subdomain = map.default_subdomain
        self.compile()

    def get_converter(
        self,
        variable_name: str,
        converter_name: str,
        args: tuple[t.Any, ...],
        kwargs: t.Mapping[str, t.Any],
    ) -> BaseConverter:
        """Create the converter for one variable of the rule."""
        if converter_name not in self.map.converters:
            raise LookupError(f"the converter {converter_name!r} does not exist")
        converter_class = self.map.converters[converter_name]
        return converter_class(t.cast(t.Any, self.map), *args, **kwargs)

    def compile(self) -> None:
        """Parse the rule into parts, converters and build templates."""
        domain = (self.host if self.map.host_matching else self.subdomain) or ""
        self._converters = {}
        self._trace = []
        if domain:
            self._parts = list(self._parse(domain))
        else:
            self._parts = [(True, "", False, False, _EMPTY_WEIGHT, -1, -1, None, ())]
        self._trace.append((False, "|"))
        string = _SLASHES.sub("/", self.rule) if self.merge_slashes else self.rule
        self._parts.extend(self._parse(string))
        self._domain_template, self._path_template = self._templates()

    def _parse(self, string: str) -> t.Iterator[tuple[t.Any, ...]]:
        part = _PartBuilder()
        position = 0
        while position < len(string):
            token = _TOKEN.match(string, position)
            if token is None:
                raise ValueError(f"malformed url rule: {string!r}")
            slash, static, converter_name, arguments, variable = token.group(
                "slash", "static", "converter", "arguments", "variable"
            )
            if static is not None:
                self._trace.append((False, static))
                part.add_static(static)
            elif variable is not None:
                if variable in self._converters:
                    raise ValueError(
                        f"variable {variable!r} appears twice in rule {string!r}"
                    )
                args, kwargs = parse_converter_args(arguments or "")
                converter = self.get_converter(
                    variable, converter_name or "default", args, kwargs
                )
                self._converters[variable] = converter
                self.arguments.add(variable)
                self._trace.append((True, variable))
                part.add_variable(converter)
            else:
                assert slash is not None
                self._trace.append((False, "/"))
                if part.final:
                    part.content += "/"
                else:
                    yield part.finish()
                    part = _PartBuilder()
            position = token.end()
        suffixed = part.final and part.content.endswith("/")
        yield part.finish(suffixed)
        if suffixed:
            yield (True, "", False, False, _EMPTY_WEIGHT, -1, -1, None, ())

    def _templates(self) -> tuple[tuple[t.Any, ...], tuple[t.Any, ...]]:
        """Build templates for the domain and the path, literal text merged."""
        defaults = self.defaults or {}
        templates: list[list[t.Any]] = [[]]
        for is_dynamic, text in self._trace:
            pieces = templates[-1]
            if text == "|" and len(templates) == 1 and not is_dynamic:
                templates.append([])
                continue
            item: t.Any
            if is_dynamic and text in defaults:
                item = self._converters[text].to_url(defaults[text])
            elif not is_dynamic:
                item = _quote(text)
            else:
                converter = self._converters[text]
                item = (text, None if _default_to_url(converter) else converter)
            if pieces and isinstance(item, str) and isinstance(pieces[-1], str):
                pieces[-1] += item
            else:
                pieces.append(item)
        return tuple(templates[0]), tuple(templates[1])

    def build(
        self, values: t.Mapping[str, t.Any], append_unknown: bool = True
    ) -> tuple[str, str] | None:
        """Build ``(domain, path)`` from *values*; ``None`` if a converter refuses."""
        build = self.map.core.build
        try:
            domain = build(self._domain_template, values)
            path = build(self._path_template, values)
        except ValidationError:
            return None
        if append_unknown:
            defaults = self.defaults or {}
            unknown = {
                key: value
                for key, value in values.items()
                if key not in self._converters and key not in defaults
            }
            if unknown:
                query = self.map.encode_query(unknown)
                if query:
                    path = f"{path}?{query}"
        return domain, path

    def provides_defaults_for(self, rule: Rule) -> bool:
        """Whether a match of *rule* should redirect to this rule."""
        return bool(
            not self.build_only
            and self.defaults
            and self.endpoint == rule.endpoint
            and self != rule
            and self.arguments == rule.arguments
        )

    def suitable_for(
        self, values: t.Mapping[str, t.Any], method: str | None = None
    ) -> bool:
        """Whether *values* (and *method*) are enough to build a URL with this rule."""
        if method is not None and self.methods is not None:
            if method not in self.methods:
                return False
        defaults = self.defaults or ()
        for key in self.arguments:
            if key not in defaults and key not in values:
                return False
        if defaults:
            for key, value in defaults.items():
                if key in values and value != values[key]:
                    return False
        return True

    def build_compare_key(self) -> tuple[int, int, int]:
        """The order in which rules of one endpoint are tried when building."""
        return (1 if self.alias else 0, -len(self.arguments), -len(self.defaults or ()))

    def redirect_target(self, values: t.Mapping[str, t.Any]) -> str:
        """Fill a string ``redirect_to`` with the matched *values*."""
        assert isinstance(self.redirect_to, str)

        def fill(placeholder: re.Match[str]) -> str:
            name = placeholder.group(1)
            return self._converters[name].to_url(values[name])

        return _PLACEHOLDER.sub(fill, self.redirect_to)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, type(self)) and self._trace == other._trace

    __hash__ = None  # type: ignore[assignment]

    def __str__(self) -> str:
        return self.rule

    def __repr__(self) -> str:
        if self.map is None:
            return f"<{type(self).__name__} (unbound)>"
        shown = "".join(
            f"<{text}>" if is_dynamic else text for is_dynamic, text in self._trace
        ).lstrip("|")
        methods = f" ({', '.join(self.methods)})" if self.methods is not None else ""
        return f"<{type(self).__name__} {shown!r}{methods} -> {self.endpoint}>"


def _quote(text: str) -> str:
    return quote(text, safe=SEGMENT_SAFE)


def encode_query(
    values: t.Mapping[str, t.Any],
    sort: bool = False,
    key: t.Callable[[t.Any], t.Any] | None = None,
) -> str:
    """Encode *values* as a query string the way Werkzeug's URL building does."""
    items: t.Iterable[tuple[str, t.Any]] = iter_multi_items(values)
    if sort:
        items = sorted(items, key=key)
    return urlencode([item for item in items if item[1] is not None], safe=QUERY_SAFE)
