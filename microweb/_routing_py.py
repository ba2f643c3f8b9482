"""Routing kernel in pure Python: the specification that ``_routing_c.pyx`` translates.

The front module, :mod:`microweb.routing`, parses rules into parts and hands them to a
:class:`Matcher`. Matching is Werkzeug's state machine: one state per path segment,
static transitions tried before dynamic ones, dynamic ones in weight order, depth first.
Two shortcuts give the same answer faster:

* every fully static path is one dict lookup;
* an *optimistic descent* follows, at each segment, the static edge or else the first
  dynamic edge, without looking at the segment; the state it ends in knows which
  segments its dynamic edges took, and checks them once at the end. When they pass,
  this is the first branch of the depth-first search, so its answer is the search's.

Only a miss, a redirect, a 405, an edge that takes the rest of the path, a check
that fails, or a WebSocket request runs the full search. Neither shortcut needs the
path normalised first: no static path starts with ``//``, and the descent cannot
reach a rule from a path that does not start with exactly one slash (see
:meth:`Matcher.compile`), so the leading slashes are only looked at on the way to
the full search.

The shortcuts do not walk the states: they walk :class:`Node` objects, one per state
they can reach, made afresh by :meth:`Matcher.compile` in depth-first order and
holding only what a lookup reads, so that a large map keeps few cache lines per step.

A part, as the front module passes it, is a tuple::

    (static, content, final, suffixed, weight, min_length, max_length,
     pattern, group_indexes)

``min_length >= 0`` marks a *plain segment*: one whole segment of the default string
converter, checked by length alone, with no regular expression.
"""

from __future__ import annotations

import re
import sys
from typing import Any
from urllib.parse import quote

IMPLEMENTATION = "pure"

# Characters that a path segment may carry unquoted, as Werkzeug's converters do.
SEGMENT_SAFE = "!$&'()*+,/:;=@"
_UNQUOTED = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~" + SEGMENT_SAFE
)
_SLASHES = re.compile("/{2,}")
_TRAILING_SLASH = [""]


class SlashRequired(Exception):
    """The path matches a rule once a slash is appended."""


class Target:
    """One rule where a path of states ends: what a match returns and converts."""

    __slots__ = (
        "rule",
        "methods",
        "strict_slashes",
        "merge_slashes",
        "names",
        "converters",
        "defaults",
        "plain",
        "websocket",
    )

    def __init__(
        self,
        rule: Any,
        methods: frozenset[str] | None,
        strict_slashes: bool,
        merge_slashes: bool,
        names: tuple[str, ...],
        converters: tuple[Any, ...],
        defaults: dict[str, Any] | None,
        websocket: bool = False,
    ) -> None:
        self.rule = rule
        self.methods = methods
        self.strict_slashes = strict_slashes
        self.merge_slashes = merge_slashes
        self.names = names
        # ``None`` where the converter's ``to_python`` returns its input unchanged.
        self.converters = converters
        self.defaults = defaults or None
        self.plain = all(converter is None for converter in converters)
        # Whether the rule matches WebSocket requests, and only them.
        self.websocket = websocket

    def accepts(self, method: str) -> bool:
        return self.methods is None or method in self.methods

    def convert(self, values: list[str]) -> dict[str, Any]:
        """Turn the captured strings into the view arguments.

        Raises ``ValueError`` (``ValidationError`` among them) when a converter refuses.
        """
        if self.plain:
            args = dict(zip(self.names, values, strict=True))
        else:
            args = {}
            for name, converter, value in zip(
                self.names, self.converters, values, strict=True
            ):
                args[name] = value if converter is None else converter.to_python(value)
        if self.defaults is not None:
            args.update(self.defaults)
        return args


class Misses:
    """What the full search passed by: the methods of the rules that refused the
    request's method, and whether a rule that took the method refused the kind of
    request (HTTP or WebSocket)."""

    __slots__ = ("methods", "websocket")

    def __init__(self) -> None:
        self.methods: set[str] = set()
        self.websocket = False

    def outcome(self) -> set[str] | None:
        """What a match answers for a miss: the allowed methods when some rule
        refused the method (a 405), ``None`` when only the kind of request was
        refused (a 400), else an empty set (a 404)."""
        if self.methods or not self.websocket:
            return self.methods
        return None


class Transition:
    """A dynamic edge: a part with converters, leading to the next state."""

    match: Any  # the compiled pattern's ``match``; ``None`` for a plain segment

    __slots__ = (
        "key",
        "weight",
        "final",
        "suffixed",
        "min_length",
        "max_length",
        "match",
        "group_indexes",
        "state",
    )

    def __init__(self, part: tuple[Any, ...], state: State) -> None:
        (
            _static,
            content,
            self.final,
            self.suffixed,
            self.weight,
            self.min_length,
            self.max_length,
            pattern,
            self.group_indexes,
        ) = part
        self.key = (content, self.final, self.suffixed, self.weight)
        self.match = None if pattern is None else pattern.match
        self.state = state

    def capture(self, text: str) -> list[str] | None:
        """Return the values this edge captures from *text*, or ``None``."""
        if self.min_length >= 0:
            length = len(text)
            if length < self.min_length or (
                self.max_length >= 0 and length > self.max_length
            ):
                return None
            return [text]
        found = self.match(text)
        if found is None:
            return None
        return [found.group(index) for index in self.group_indexes]


class Node:
    """What the shortcuts read of a state, laid out by :meth:`Matcher.compile`.

    ``edges`` holds the state's static edges, with ``""`` leading nowhere unless a
    static edge takes it, when the state has a dynamic edge; ``fallback`` is where
    any other segment goes: the first dynamic edge's node, or nowhere. The first
    HTTP rule ending here is copied in: its methods (``None``: all of them; none when
    no such rule ends here), rule, names and defaults, so that a lookup ending at it
    reads nothing else. The other rules are found through ``state``.
    """

    edges: dict[str, Node]
    fallback: Node
    methods: frozenset[str] | None
    rule: Any
    names: tuple[str, ...]
    defaults: dict[str, Any] | None
    plain: bool
    positions: tuple[int, ...]
    arity: int
    state: State

    __slots__ = (
        "edges",
        "fallback",
        "methods",
        "rule",
        "names",
        "defaults",
        "plain",
        "positions",
        "arity",
        "state",
    )


class State:
    """A node of the state machine: the rules ending here and the ways onward."""

    __slots__ = (
        "static",
        "dynamic",
        "targets",
        "by_method",
        "any_method",
        "default",
        "captures",
        "positions",
        "plain",
        "_node",
    )

    def __init__(self) -> None:
        self.static: dict[str, State] = {}
        self.dynamic: list[Transition] = []
        self.targets: list[Target] = []
        # The first HTTP rule here for each method it takes; for any method.
        self.by_method: dict[str, Target] = {}
        self.any_method: Target | None = None
        # Where the optimistic descent goes for a segment no static edge takes.
        self.default: State = self
        # The dynamic edges on the way here, and which segment each one took.
        self.captures: tuple[Transition, ...] = ()
        self.positions: tuple[int, ...] = ()
        self.plain = True
        # This state's node; ``None`` until the matcher lays its nodes out.
        self._node: Node | None = None


# Where the optimistic descent goes when it cannot follow: it stays there.
NOWHERE = State()
NOWHERE_NODE = NOWHERE._node = Node()  # filled in below, once _fill_node is defined
# The edges of every node without static edges: only ``""`` goes anywhere else
# than the fallback, and it goes nowhere.
_NO_STATIC_EDGES = {"": NOWHERE_NODE}
_NO_METHODS: frozenset[str] = frozenset()
_NO_DOMAIN: tuple[dict[str, Node], Node] = ({}, NOWHERE_NODE)
# What a lookup of a static path reads of the split path: nothing.
_NO_PARTS: list[str] = []


class Matcher:
    """Werkzeug's matching semantics over a segment state machine."""

    def __init__(self, merge_slashes: bool) -> None:
        self.merge_slashes = merge_slashes
        self._root = State()
        self._names: dict[tuple[str, ...], tuple[str, ...]] = {}
        # Per domain: its static paths, and the node the descent starts from.
        self._domains: dict[str, tuple[dict[str, Node], Node]] = {}
        self._start = _NO_DOMAIN  # ``_domains.get("", _NO_DOMAIN)``

    def add(
        self,
        parts: list[tuple[Any, ...]],
        target: Target,
        claimed: frozenset[str] | None,
    ) -> Any:
        """Add a rule's parts; return the earlier rule that shadows it, if any.

        *claimed* are the methods the rule was written for (``None``: all); an
        earlier rule on the same pattern that takes one of them shadows it.
        """
        state = self._root
        for part in parts:
            if part[0]:
                state = state.static.setdefault(part[1], State())
                continue
            key = (part[1], part[2], part[3], part[4])
            for transition in state.dynamic:
                if transition.key == key:
                    state = transition.state
                    break
            else:
                transition = Transition(part, State())
                state.dynamic.append(transition)
                state = transition.state
        for earlier in state.targets:
            if earlier.websocket == target.websocket and (
                earlier.methods is None
                or claimed is None
                or not earlier.methods.isdisjoint(claimed)
            ):
                return earlier.rule
        # Equal tuples of names are shared, their strings interned: a lookup then
        # reads the same few objects whatever rule it ends at.
        names = tuple([sys.intern(name) for name in target.names])
        target.names = self._names.setdefault(names, names)
        state.targets.append(target)
        return None

    def compile(self) -> None:
        """Order the dynamic edges and build the lookup tables; call after adding.

        The request path is not normalised before the shortcuts. A path that does not
        start with exactly one slash must not reach a rule: the domain's state steers
        only ``""`` onward (every rule starts with a slash), and the state after
        ``//`` is given no way onward, so a path starting ``//`` that is not ``/``
        itself ends nowhere and goes to the full search, normalised.
        """
        _compile_state(self._root, (), (), -2)
        self._lay_out()

    def _lay_out(self) -> None:
        """Make the nodes, depth first from each domain's state, and the tables."""
        order: list[State] = []
        for state in self._root.static.values():
            _reach(state, order)
        shared: dict[Any, Any] = {}
        for state in order:
            _fill_node(state, shared)
        domains = {}
        for domain, state in self._root.static.items():
            paths: dict[str, Node] = {}
            _collect_static_paths(state, [], paths)
            domains[domain] = (paths, _node_of(state))
            slash = state.static.get("")
            if slash is None:
                continue
            empty = slash.static.get("")
            if empty is not None and (empty.static or empty.dynamic):
                _node_of(slash).edges[""] = _dead_end(_node_of(empty))
        # Each attribute is replaced whole: a match reads the old one or the new one.
        self._domains = domains
        self._start = domains.get("", _NO_DOMAIN)

    def match(
        self, domain: str, path_info: str, method: str, websocket: bool = False
    ) -> tuple[Any, Any]:
        """Match *path_info* on *domain* for *method*, as a WebSocket request when
        *websocket* is true.

        Returns ``(rule, args)`` on a match, ``(None, new_path)`` when the client must
        be redirected to *new_path*, ``(None, allowed_methods)`` when rules refused
        the method, ``(None, None)`` when the rules that took it are all for the
        other kind of request (HTTP or WebSocket), and ``(None, set())`` when
        nothing matched at all.
        """
        if websocket:
            return self._search(domain, _normalised(path_info), method, True)
        if domain:
            entry = self._domains.get(domain)
            if entry is None:
                return self._search(domain, _normalised(path_info), method, False)
        else:
            entry = self._start
        paths, node = entry
        found = paths.get(path_info)
        if found is None:
            parts = path_info.split("/")
            for part in parts:
                node = node.edges.get(part, node.fallback)
        else:
            node = found
            parts = _NO_PARTS
        methods = node.methods
        if methods is None or method in methods:
            rule = node.rule
            names = node.names
            defaults = node.defaults
        else:
            # Not the first HTTP rule here, or no such rule at all.
            state = node.state
            target = state.by_method.get(method, state.any_method)
            if target is None:
                return self._search(domain, _normalised(path_info), method, False)
            rule = target.rule
            names = target.names
            defaults = target.defaults
        if node.plain:
            # Every edge on the way takes any non-empty segment, and no converter
            # changes its value: nothing to check or convert.
            # PERF: a dict display is several times faster than dict(zip()) for
            # the zero to three arguments most rules have.
            positions = node.positions
            count = node.arity
            if count == 0:
                args = {}
            elif count == 1:
                args = {names[0]: parts[positions[0]]}
            elif count == 2:
                args = {
                    names[0]: parts[positions[0]],
                    names[1]: parts[positions[1]],
                }
            elif count == 3:
                args = {
                    names[0]: parts[positions[0]],
                    names[1]: parts[positions[1]],
                    names[2]: parts[positions[2]],
                }
            else:
                args = {
                    name: parts[position]
                    for name, position in zip(names, positions, strict=True)
                }
            if defaults is not None:
                args.update(defaults)
            return rule, args
        state = node.state
        target = state.by_method.get(method, state.any_method)
        values = _check_captures(state, parts)
        if values is not None:
            try:
                return rule, target.convert(values)  # type: ignore[union-attr]
            except ValueError:
                # The full search would reach this same target first: only what
                # it passed by on the way is still to be learned.
                return None, self._missed(domain, path_info, method)
        return self._search(domain, _normalised(path_info), method, False)

    def _missed(self, domain: str, path: str, method: str) -> set[str] | None:
        """What the full search of an HTTP request passes by before its first
        match, as :meth:`Misses.outcome` gives it."""
        misses = Misses()
        _search(self._root, [domain, *path.split("/")], 0, [], method, False, misses)
        return misses.outcome()

    def _search(
        self, domain: str, path: str, method: str, websocket: bool
    ) -> tuple[Any, Any]:
        """The full depth-first search, with Werkzeug's redirects, 405s and 400s."""
        misses = Misses()
        try:
            found = _search(
                self._root,
                [domain, *path.split("/")],
                0,
                [],
                method,
                websocket,
                misses,
            )
        except SlashRequired:
            return None, path + "/"
        if found is None:
            if not self.merge_slashes or "//" not in path:
                return None, misses.outcome()
            path = _SLASHES.sub("/", path)
            try:
                found = _search(
                    self._root,
                    [domain, *path.split("/")],
                    0,
                    [],
                    method,
                    websocket,
                    misses,
                )
            except SlashRequired:
                return None, path + "/"
            if found is None or not found[0].merge_slashes:
                return None, misses.outcome()
            return None, path
        target, values = found
        try:
            return target.rule, target.convert(values)
        except ValueError:
            return None, misses.outcome()


def _normalised(path_info: str) -> str:
    """*path_info* with exactly one leading slash, as Werkzeug matches it."""
    if path_info[:1] == "/" and path_info[1:2] != "/":
        return path_info
    return "/" + path_info.lstrip("/") if path_info else ""


def _compile_state(
    state: State,
    captures: tuple[Transition, ...],
    positions: tuple[int, ...],
    index: int,
) -> None:
    """Prepare *state*, reached by *captures* taking the parts at *positions*.

    *index* is the index, in the split path, of the part that led here: -1 for the
    domain, -2 for the root.
    """
    state.dynamic.sort(key=_transition_weight)
    state.by_method = {}
    state.any_method = None
    http_targets = [target for target in state.targets if not target.websocket]
    for target in http_targets:
        if target.methods is None:
            state.any_method = target
            break
    for target in http_targets:
        for method in target.methods or ():
            if method not in state.by_method:
                state.by_method[method] = _first_accepting(http_targets, method)
    state.default = NOWHERE
    if state.dynamic and not state.dynamic[0].final:
        state.default = state.dynamic[0].state
    state.captures = captures
    state.positions = positions
    state.plain = all(
        transition.min_length == 1 and transition.max_length < 0
        for transition in captures
    )
    state._node = None
    for child in state.static.values():
        _compile_state(child, captures, positions, index + 1)
    for transition in state.dynamic:
        if transition.final:
            _compile_state(transition.state, (), (), -1)
        else:
            _compile_state(
                transition.state,
                (*captures, transition),
                (*positions, index + 1),
                index + 1,
            )


def _dead_end(node: Node) -> Node:
    """A copy of *node* that matches what *node* matches, but leads nowhere."""
    dead_end = Node()
    for name in Node.__slots__:
        setattr(dead_end, name, getattr(node, name))
    dead_end.edges = _NO_STATIC_EDGES
    dead_end.fallback = NOWHERE_NODE
    return dead_end


def _first_accepting(targets: list[Target], method: str) -> Target:
    for target in targets:
        if target.accepts(method):
            return target
    raise AssertionError(method)  # pragma: no cover - a listed method is accepted


def _transition_weight(transition: Transition) -> Any:
    return transition.weight


def _reach(state: State, order: list[State]) -> None:
    """Give *state* and the states the descent reaches from it a node, depth first.

    PERF: the nodes are made in the order a descent reads them, so that a subtree's
    nodes lie close together in memory.
    """
    if state._node is not None:
        return
    state._node = Node()
    order.append(state)
    for child in state.static.values():
        _reach(child, order)
    if state.default is not NOWHERE:
        _reach(state.default, order)


def _node_of(state: State) -> Node:
    """*state*'s node, once :func:`_reach` has made it."""
    assert state._node is not None, "the matcher's nodes are not laid out"
    return state._node


def _fill_node(state: State, shared: dict[Any, Any]) -> None:
    """Fill in *state*'s node from the state and its neighbours' nodes.

    PERF: equal keys, method sets and positions are one object in every node
    (*shared* maps each to it), which a lookup then finds in the CPU caches.
    """
    node = _node_of(state)
    if state.static:
        edges = {
            sys.intern(key): _node_of(child) for key, child in state.static.items()
        }
        if state.default is not NOWHERE:
            edges.setdefault("", NOWHERE_NODE)
        node.edges = edges
    else:
        # PERF: one dict shared by every node without static edges.
        node.edges = _NO_STATIC_EDGES
    node.fallback = _node_of(state.default)
    node.methods = _NO_METHODS
    node.rule = None
    node.names = ()
    node.defaults = None
    for first in state.targets:
        if first.websocket:
            continue
        node.methods = (
            None
            if first.methods is None
            else shared.setdefault(first.methods, first.methods)
        )
        node.rule = first.rule
        node.names = first.names
        node.defaults = first.defaults
        break
    node.plain = state.plain
    node.positions = shared.setdefault(state.positions, state.positions)
    node.arity = len(state.positions)
    node.state = state


_fill_node(NOWHERE, {})


def _collect_static_paths(
    state: State, segments: list[str], paths: dict[str, Node]
) -> None:
    # A path starting with "//" is left to the search, which normalises it first.
    if state.targets and not (len(segments) > 2 and segments[1] == ""):
        paths["/".join(segments)] = _node_of(state)
    for segment, child in state.static.items():
        segments.append(segment)
        _collect_static_paths(child, segments, paths)
        segments.pop()


def _check_captures(state: State, parts: list[str]) -> list[str] | None:
    """The values the optimistic descent took on the way to *state*, or ``None``
    when an edge it took does not accept its segment."""
    values: list[str] = []
    for transition, position in zip(state.captures, state.positions, strict=True):
        captured = transition.capture(parts[position])
        if captured is None:
            return None
        values += captured
    return values


def _search(
    state: State,
    parts: list[str],
    index: int,
    values: list[str],
    method: str,
    websocket: bool,
    misses: Misses,
) -> tuple[Target, list[str]] | None:
    """Werkzeug's depth-first search from *state* over ``parts[index:]``, noting
    in *misses* the rules it passes by."""
    if index == len(parts):
        for target in state.targets:
            if not target.accepts(method):
                misses.methods.update(target.methods)  # type: ignore[arg-type]
            elif target.websocket != websocket:
                misses.websocket = True
            else:
                return target, values
        slashed = state.static.get("")
        if slashed is not None:
            for target in slashed.targets:
                if target.websocket == websocket and target.accepts(method):
                    if target.strict_slashes:
                        raise SlashRequired
                    return target, values
        return None
    part = parts[index]
    following = state.static.get(part)
    if following is not None:
        found = _search(following, parts, index + 1, values, method, websocket, misses)
        if found is not None:
            return found
    for transition in state.dynamic:
        remaining, start = parts, index + 1
        text = part
        if transition.final:
            text = "/".join(parts[index:])
            start = len(parts)
        captured = transition.capture(text)
        if captured is None:
            continue
        if transition.suffixed:
            if captured.pop() == "/":
                remaining, start = _TRAILING_SLASH, 0
        found = _search(
            transition.state,
            remaining,
            start,
            values + captured,
            method,
            websocket,
            misses,
        )
        if found is not None:
            return found
    if index == len(parts) - 1 and part == "":
        for target in state.targets:
            if target.strict_slashes:
                continue
            if not target.accepts(method):
                misses.methods.update(target.methods)  # type: ignore[arg-type]
            elif target.websocket != websocket:
                misses.websocket = True
            else:
                return target, values
    return None


def quote_segment(value: str) -> str:
    """Percent-encode *value* for a URL path as Werkzeug's converters do."""
    for character in value:
        if character not in _UNQUOTED:
            return quote(value, safe=SEGMENT_SAFE)
    return value


def build(template: tuple[Any, ...], values: dict[str, Any]) -> str:
    """Join a rule's build template with *values*.

    Each item of *template* is either literal text, or a ``(name, converter)`` pair
    whose value is ``converter.to_url(value)``, or ``quote_segment(str(value))`` when
    the converter is ``None`` (the default string converter).
    """
    pieces = []
    for item in template:
        if item.__class__ is str:
            pieces.append(item)
            continue
        name, converter = item
        value = values[name]
        if converter is None:
            text = value if value.__class__ is str else str(value)
            pieces.append(quote_segment(text))
        else:
            pieces.append(converter.to_url(value))
    return "".join(pieces)
