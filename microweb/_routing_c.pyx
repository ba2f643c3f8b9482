# cython: language_level=3, boundscheck=False, wraparound=False
"""Routing kernel, compiled: a translation of ``_routing_py.py``.

Same names, same algorithm, same order as the pure twin, which is the specification;
read the two side by side. ``# PERF:`` marks where the C idiom differs and why.
"""

import re
from urllib.parse import quote

from cpython.dict cimport PyDict_GetItemWithError
from cpython.list cimport PyList_GET_ITEM, PyList_GET_SIZE
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from cpython.object cimport PyObject
from cpython.tuple cimport PyTuple_GET_ITEM
from cpython.unicode cimport PyUnicode_GET_LENGTH
from libc.stdint cimport uint16_t, uint64_t
from libc.string cimport memchr, memcmp, memcpy

cdef extern from "Python.h":
    Py_UCS4 PyUnicode_READ_CHAR(object text, Py_ssize_t index)
    int PyUnicode_KIND(object text)
    void* PyUnicode_DATA(object text)
    Py_UCS4 PyUnicode_READ(int kind, void* data, Py_ssize_t index)
    object PyUnicode_Substring(object text, Py_ssize_t start, Py_ssize_t end)

IMPLEMENTATION = "native"

SEGMENT_SAFE = "!$&'()*+,/:;=@"
_UNQUOTED = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~" + SEGMENT_SAFE
)
_SLASHES = re.compile("/{2,}")
_TRAILING_SLASH = [""]

# PERF: the set of unquoted characters as a table indexed by code point, for
# quote_segment's scan.
cdef bint _unquoted_table[128]
for _code in range(128):
    _unquoted_table[_code] = chr(_code) in _UNQUOTED


class SlashRequired(Exception):
    """The path matches a rule once a slash is appended."""


cdef class Target:
    """One rule where a path of states ends: what a match returns and converts."""

    cdef public object rule
    cdef public frozenset methods
    cdef public bint strict_slashes
    cdef public bint merge_slashes
    cdef public tuple names
    cdef public tuple converters
    cdef public dict defaults
    cdef public bint plain

    def __init__(
        self,
        rule,
        methods,
        bint strict_slashes,
        bint merge_slashes,
        tuple names,
        tuple converters,
        defaults,
    ):
        self.rule = rule
        self.methods = methods
        self.strict_slashes = strict_slashes
        self.merge_slashes = merge_slashes
        self.names = names
        self.converters = converters
        self.defaults = defaults or None
        self.plain = all(converter is None for converter in converters)

    cpdef bint accepts(self, str method):
        return self.methods is None or method in self.methods

    cpdef dict convert(self, list values):
        """Turn the captured strings into the view arguments.

        Raises ``ValueError`` (``ValidationError`` among them) when a converter refuses.
        """
        cdef dict args = {}
        cdef Py_ssize_t index
        cdef object converter
        for index in range(len(values)):
            converter = self.converters[index]
            if self.plain or converter is None:
                args[self.names[index]] = values[index]
            else:
                args[self.names[index]] = converter.to_python(values[index])
        if self.defaults is not None:
            args.update(self.defaults)
        return args


cdef class Transition:
    """A dynamic edge: a part with converters, leading to the next state."""

    cdef public tuple key
    cdef public object weight
    cdef public bint final
    cdef public bint suffixed
    cdef public Py_ssize_t min_length
    cdef public Py_ssize_t max_length
    cdef public object match
    cdef public tuple group_indexes
    cdef public State state

    def __init__(self, tuple part, State state):
        pattern = part[7]
        self.final = part[2]
        self.suffixed = part[3]
        self.weight = part[4]
        self.min_length = part[5]
        self.max_length = part[6]
        self.group_indexes = part[8]
        self.key = (part[1], self.final, self.suffixed, self.weight)
        self.match = None if pattern is None else pattern.match
        self.state = state

    cpdef list capture(self, str text):
        """Return the values this edge captures from *text*, or ``None``."""
        cdef Py_ssize_t length
        if self.min_length >= 0:
            length = PyUnicode_GET_LENGTH(text)
            if length < self.min_length or (
                self.max_length >= 0 and length > self.max_length
            ):
                return None
            return [text]
        found = self.match(text)
        if found is None:
            return None
        return [found.group(index) for index in self.group_indexes]


# PERF: a static edge as the compiled twin looks it up: hashed and compared in place
# in the request path, so that no string is made for a segment that only steers.
cdef struct StaticEdge:
    uint64_t hash
    PyObject* text
    PyObject* state


cdef uint16_t _ENDIAN_PROBE = 1
cdef bint _LITTLE_ENDIAN = (<unsigned char*>&_ENDIAN_PROBE)[0] == 1
cdef uint64_t _HASH_SEED = 0x9E3779B97F4A7C15ULL
cdef uint64_t _HASH_PRIME = 0xFF51AFD7ED558CCDULL


cdef inline uint64_t _mix(uint64_t value, uint64_t chunk) noexcept:
    value = (value ^ chunk) * _HASH_PRIME
    return value ^ (value >> 29)


cdef inline uint64_t _hash_span(
    int kind, void* data, Py_ssize_t start, Py_ssize_t end
) noexcept:
    """Hash the code points of ``text[start:end]``, eight at a time.

    The value depends only on the code points, not on how the string stores them,
    so a key and an equal span of a wider request path hash alike.
    """
    cdef uint64_t value = _HASH_SEED ^ <uint64_t>(end - start)
    cdef uint64_t chunk = 0
    cdef uint64_t high = 0
    cdef const unsigned char* octets
    cdef uint64_t character
    cdef Py_ssize_t index
    cdef int shift = 0
    if kind == 1 and _LITTLE_ENDIAN:
        # PERF: on a little-endian machine eight bytes read at once are the chunk
        # the loop below would assemble.
        octets = <const unsigned char*>data + start
        index = end - start
        while index >= 8:
            memcpy(&chunk, octets, 8)
            value = _mix(value, chunk)
            octets += 8
            index -= 8
        chunk = 0
        if index:
            memcpy(&chunk, octets, index)
            shift = 8
    else:
        for index in range(start, end):
            character = <uint64_t>PyUnicode_READ(kind, data, index)
            chunk |= (character & 0xFF) << shift
            high = high * 31 + (character >> 8)
            shift += 8
            if shift == 64:
                value = _mix(value, chunk)
                chunk = 0
                shift = 0
    if shift:
        value = _mix(value, chunk)
    if high:
        value = _mix(value, high)
    return value


cdef inline Py_ssize_t _segment_end(
    int kind, void* data, Py_ssize_t start, Py_ssize_t length
) noexcept:
    """The index of the next slash at or after *start*, or *length*."""
    cdef const char* octets
    cdef const char* found
    cdef Py_ssize_t index
    if kind == 1:
        octets = <const char*>data
        found = <const char*>memchr(octets + start, 47, length - start)  # "/"
        return length if found == NULL else found - octets
    for index in range(start, length):
        if PyUnicode_READ(kind, data, index) == 47:
            return index
    return length


cdef class State:
    """A node of the state machine: the rules ending here and the ways onward."""

    cdef public dict static
    cdef public list dynamic
    cdef public list targets
    cdef public dict by_method
    cdef public Target any_method
    # PERF: the pure twin's ``steer`` dict is the hash table below plus a test for
    # the empty segment in the walk.
    cdef public State default
    cdef public tuple captures
    cdef public tuple positions
    cdef public bint plain
    cdef StaticEdge* _edges
    cdef Py_ssize_t _mask

    def __init__(self):
        self.static = {}
        self.dynamic = []
        self.targets = []
        self.by_method = {}
        self.any_method = None
        self.default = self
        self.captures = ()
        self.positions = ()
        self.plain = True

    def __dealloc__(self):
        PyMem_Free(self._edges)

    cdef int _index_static(self) except -1:
        """Lay the static edges out as an open-addressing hash table."""
        cdef Py_ssize_t size = 1
        cdef Py_ssize_t slot
        cdef uint64_t hash
        cdef str text
        PyMem_Free(self._edges)
        self._edges = NULL
        self._mask = -1
        if not self.static:
            return 0
        while size < 2 * len(self.static):
            size *= 2
        self._edges = <StaticEdge*>PyMem_Malloc(size * sizeof(StaticEdge))
        if self._edges == NULL:
            raise MemoryError()
        for slot in range(size):
            self._edges[slot].text = NULL
        self._mask = size - 1
        for text, state in self.static.items():
            hash = _hash_span(PyUnicode_KIND(text), PyUnicode_DATA(text), 0, len(text))
            slot = hash & self._mask
            while self._edges[slot].text != NULL:
                slot = (slot + 1) & self._mask
            self._edges[slot].hash = hash
            self._edges[slot].text = <PyObject*>text
            self._edges[slot].state = <PyObject*>state
        return 0

    cdef State _static_span(
        self, int kind, void* data, Py_ssize_t start, Py_ssize_t end, uint64_t hash
    ):
        """The static edge for the path's ``[start:end]`` whose hash is *hash*."""
        cdef Py_ssize_t slot, length, index
        cdef object text
        cdef int text_kind
        if self._mask < 0:
            return None
        slot = hash & self._mask
        length = end - start
        while self._edges[slot].text != NULL:
            if self._edges[slot].hash == hash:
                text = <object>self._edges[slot].text
                if PyUnicode_GET_LENGTH(text) == length:
                    text_kind = PyUnicode_KIND(text)
                    if text_kind == kind:
                        if memcmp(
                            PyUnicode_DATA(text),
                            <char*>data + start * kind,
                            length * kind,
                        ) == 0:
                            return <State>self._edges[slot].state
                    else:
                        for index in range(length):
                            if PyUnicode_READ(
                                text_kind, PyUnicode_DATA(text), index
                            ) != PyUnicode_READ(kind, data, start + index):
                                break
                        else:
                            return <State>self._edges[slot].state
            slot = (slot + 1) & self._mask
        return None


# Where the optimistic descent goes when it cannot follow: it stays there.
cdef State NOWHERE = State()
# PERF: the walk notes where each dynamic edge's segment starts and ends; a path that
# takes more dynamic edges than this goes to the full search.
cdef enum:
    MAX_CAPTURES = 32


cdef class Matcher:
    """Werkzeug's matching semantics over a segment state machine."""

    cdef public bint merge_slashes
    cdef State _root
    cdef dict _static_paths

    def __init__(self, bint merge_slashes):
        self.merge_slashes = merge_slashes
        self._root = State()
        self._static_paths = {}

    def add(self, list parts, Target target, frozenset claimed):
        """Add a rule's parts; return the earlier rule that shadows it, if any.

        *claimed* are the methods the rule was written for (``None``: all); an
        earlier rule on the same pattern that takes one of them shadows it.
        """
        cdef State state = self._root
        cdef Transition transition
        cdef Target earlier
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
            if (
                earlier.methods is None
                or claimed is None
                or not earlier.methods.isdisjoint(claimed)
            ):
                return earlier.rule
        state.targets.append(target)
        return None

    def compile(self):
        """Order the dynamic edges and build the lookup tables; call after adding."""
        self._static_paths = {}
        _compile_state(self._root, (), (), -2)
        for domain, state in self._root.static.items():
            paths = self._static_paths.setdefault(domain, {})
            _collect_static_paths(state, [], paths)

    def match(self, str domain, str path_info, str method):
        """Match *path_info* on *domain* for *method*.

        Returns ``(rule, args)`` on a match, ``(None, new_path)`` when the client must
        be redirected to *new_path*, and ``(None, allowed_methods)`` otherwise (an
        empty set means nothing matched at all).
        """
        cdef str path
        cdef Py_ssize_t length = PyUnicode_GET_LENGTH(path_info)
        cdef State state
        cdef State following
        cdef Target target
        cdef PyObject* found
        cdef list values
        cdef Py_ssize_t index, start, end, count
        cdef Py_ssize_t starts[MAX_CAPTURES]
        cdef Py_ssize_t ends[MAX_CAPTURES]
        cdef int kind
        cdef void* data
        cdef dict args
        cdef tuple names
        if length > 0 and PyUnicode_READ_CHAR(path_info, 0) == u"/" and (
            length == 1 or PyUnicode_READ_CHAR(path_info, 1) != u"/"
        ):
            path = path_info
        else:
            path = "/" + path_info.lstrip("/") if length else ""
        # PERF: borrowed references from PyDict_GetItem: no reference counting and no
        # default object on the miss path.
        found = PyDict_GetItemWithError(self._static_paths, domain)
        if found is not NULL:
            found = PyDict_GetItemWithError(<dict>found, path)
            if found is not NULL:
                state = <State>found
                target = _target_for(state, method)
                if target is not None:
                    if target.defaults is None:
                        return target.rule, {}
                    return target.rule, dict(target.defaults)
        found = PyDict_GetItemWithError(self._root.static, domain)
        if found is not NULL:
            state = <State>found
            # PERF: the pure twin splits the path; here the walk reads it in place and
            # notes the spans the dynamic edges take, to slice them once at the end.
            kind = PyUnicode_KIND(path)
            data = PyUnicode_DATA(path)
            length = PyUnicode_GET_LENGTH(path)
            start = 0
            count = 0
            while True:
                end = _segment_end(kind, data, start, length)
                following = state._static_span(
                    kind, data, start, end, _hash_span(kind, data, start, end)
                )
                if following is None:
                    following = state.default
                    if end == start or following is NOWHERE or count == MAX_CAPTURES:
                        state = NOWHERE
                        break
                    starts[count] = start
                    ends[count] = end
                    count += 1
                state = following
                if end == length:
                    break
                start = end + 1
            target = _target_for(state, method)
            if target is not None:
                if state.plain:
                    # Every edge on the way takes any non-empty segment, and no
                    # converter changes its value: nothing to check or convert.
                    # PERF: the pure twin spells out dicts of up to three entries;
                    # here one loop is as fast.
                    args = {}
                    names = target.names
                    for index in range(count):
                        args[<object>PyTuple_GET_ITEM(names, index)] = (
                            PyUnicode_Substring(path, starts[index], ends[index])
                        )
                    if target.defaults is not None:
                        args.update(target.defaults)
                    return target.rule, args
                values = _check_captures(
                    state,
                    [
                        PyUnicode_Substring(path, starts[index], ends[index])
                        for index in range(count)
                    ],
                )
                if values is not None:
                    try:
                        return target.rule, target.convert(values)
                    except ValueError:
                        # The full search would reach this same target first: only
                        # the methods it saw on the way are still to be learned.
                        return None, self._allowed(domain, path, method)
        return self._search(domain, path, method)

    def _allowed(self, str domain, str path, str method):
        """The methods the full search sees before its first match."""
        cdef set allowed = set()
        _search(self._root, [domain, *path.split("/")], 0, [], method, allowed)
        return allowed

    def _search(self, str domain, str path, str method):
        """The full depth-first search, with Werkzeug's redirects and 405s."""
        cdef set allowed = set()
        try:
            found = _search(self._root, [domain, *path.split("/")], 0, [], method, allowed)
        except SlashRequired:
            return None, path + "/"
        if found is None:
            if not self.merge_slashes or "//" not in path:
                return None, allowed
            path = _SLASHES.sub("/", path)
            try:
                found = _search(
                    self._root, [domain, *path.split("/")], 0, [], method, allowed
                )
            except SlashRequired:
                return None, path + "/"
            if found is None or not (<Target>found[0]).merge_slashes:
                return None, allowed
            return None, path
        target, values = found
        try:
            return target.rule, (<Target>target).convert(values)
        except ValueError:
            return None, allowed


# PERF: the pure twin reads ``state.by_method.get(method, state.any_method)`` inline.
cdef inline Target _target_for(State state, str method):
    cdef PyObject* found = PyDict_GetItemWithError(state.by_method, method)
    if found is not NULL:
        return <Target>found
    return state.any_method


cdef void _compile_state(
    State state, tuple captures, tuple positions, Py_ssize_t index
) except *:
    """Prepare *state*, reached by *captures* taking the parts at *positions*.

    *index* is the index, in the split path, of the part that led here: -1 for the
    domain, -2 for the root.
    """
    cdef Target target
    cdef Transition transition
    state._index_static()
    state.dynamic.sort(key=_transition_weight)
    state.by_method = {}
    state.any_method = None
    for target in state.targets:
        if target.methods is None:
            state.any_method = target
            break
    for target in state.targets:
        for method in target.methods or ():
            if method not in state.by_method:
                state.by_method[method] = _first_accepting(state.targets, method)
    state.default = NOWHERE
    if state.dynamic and not (<Transition>state.dynamic[0]).final:
        state.default = (<Transition>state.dynamic[0]).state
    state.captures = captures
    state.positions = positions
    state.plain = all(
        (<Transition>transition).min_length == 1
        and (<Transition>transition).max_length < 0
        for transition in captures
    )
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


cdef Target _first_accepting(list targets, str method):
    cdef Target target
    for target in targets:
        if target.accepts(method):
            return target
    raise AssertionError(method)


def _transition_weight(Transition transition):
    return transition.weight


cdef void _collect_static_paths(State state, list segments, dict paths) except *:
    if state.targets:
        paths["/".join(segments)] = state
    for segment, child in state.static.items():
        segments.append(segment)
        _collect_static_paths(child, segments, paths)
        segments.pop()


# PERF: the pure twin picks the segments out of the split path by position; here
# they come already sliced, one per dynamic edge.
cdef list _check_captures(State state, list segments):
    """The values the optimistic descent took on the way to *state*, or ``None``
    when an edge it took does not accept its segment."""
    cdef list values = []
    cdef list captured
    cdef Py_ssize_t index
    for index in range(len(state.captures)):
        captured = (<Transition>state.captures[index]).capture(segments[index])
        if captured is None:
            return None
        values += captured
    return values


cdef tuple _search(
    State state,
    list parts,
    Py_ssize_t index,
    list values,
    str method,
    set allowed,
):
    """Werkzeug's depth-first search from *state* over ``parts[index:]``."""
    cdef Target target
    cdef Transition transition
    cdef State following
    cdef State slashed
    cdef tuple found
    cdef list remaining
    cdef list captured
    cdef Py_ssize_t start
    cdef str part
    cdef str text
    if index == len(parts):
        for target in state.targets:
            if target.accepts(method):
                return target, values
            allowed.update(target.methods)
        slashed = state.static.get("")
        if slashed is not None:
            for target in slashed.targets:
                if target.accepts(method):
                    if target.strict_slashes:
                        raise SlashRequired
                    return target, values
        return None
    part = parts[index]
    following = state.static.get(part)
    if following is not None:
        found = _search(following, parts, index + 1, values, method, allowed)
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
            transition.state, remaining, start, values + captured, method, allowed
        )
        if found is not None:
            return found
    if index == len(parts) - 1 and part == "":
        for target in state.targets:
            if target.strict_slashes:
                continue
            if target.accepts(method):
                return target, values
            allowed.update(target.methods)
    return None


cpdef str quote_segment(str value):
    """Percent-encode *value* for a URL path as Werkzeug's converters do."""
    cdef Py_ssize_t index
    cdef Py_UCS4 character
    # PERF: one scan over the code points against a C table instead of a set lookup
    # per character.
    for index in range(PyUnicode_GET_LENGTH(value)):
        character = PyUnicode_READ_CHAR(value, index)
        if character >= 128 or not _unquoted_table[character]:
            return quote(value, safe=SEGMENT_SAFE)
    return value


def build(tuple template, values):
    """Join a rule's build template with *values*.

    Each item of *template* is either literal text, or a ``(name, converter)`` pair
    whose value is ``converter.to_url(value)``, or ``quote_segment(str(value))`` when
    the converter is ``None`` (the default string converter).
    """
    cdef list pieces = []
    for item in template:
        if type(item) is str:
            pieces.append(item)
            continue
        name, converter = <tuple>item
        value = values[name]
        if converter is None:
            pieces.append(quote_segment(value if type(value) is str else str(value)))
        else:
            pieces.append(converter.to_url(value))
    return "".join(pieces)
