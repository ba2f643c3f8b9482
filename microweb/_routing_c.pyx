# cython: language_level=3, boundscheck=False, wraparound=False
"""Routing kernel, compiled: a translation of ``_routing_py.py``.

Same names, same algorithm, same order as the pure twin, which is the specification;
read the two side by side. ``# PERF:`` marks where the C idiom differs and why.
"""

import re
import sys
from urllib.parse import quote

cimport cython
from cpython.dict cimport PyDict_GetItemWithError, PyDict_SetItem
from cpython.long cimport PyLong_AsSsize_t
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from cpython.object cimport PyObject
from cpython.tuple cimport PyTuple_GET_ITEM
from cpython.unicode cimport PyUnicode_GET_LENGTH
from libc.stdint cimport int32_t, uint16_t, uint32_t, uint64_t
from libc.string cimport memchr, memcmp, memcpy, memset

# A hint to fetch a cache line ahead of its use (nothing where the compiler has none).
cdef extern from *:
    """
    #if defined(__GNUC__) || defined(__clang__)
    #define _mw_prefetch(address) __builtin_prefetch(address)
    #else
    #define _mw_prefetch(address) ((void)0)
    #endif
    """
    void _prefetch "_mw_prefetch"(const void* address) noexcept

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
    cdef public bint websocket

    def __init__(
        self,
        rule,
        methods,
        bint strict_slashes,
        bint merge_slashes,
        tuple names,
        tuple converters,
        defaults,
        bint websocket=False,
    ):
        self.rule = rule
        self.methods = methods
        self.strict_slashes = strict_slashes
        self.merge_slashes = merge_slashes
        self.names = names
        self.converters = converters
        self.defaults = defaults or None
        self.plain = all(converter is None for converter in converters)
        # Whether the rule matches WebSocket requests, and only them.
        self.websocket = websocket

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


cdef class Misses:
    """What the full search passed by: the methods of the rules that refused the
    request's method, and whether a rule that took the method refused the kind of
    request (HTTP or WebSocket)."""

    cdef public set methods
    cdef public bint websocket

    def __init__(self):
        self.methods = set()
        self.websocket = False

    cpdef object outcome(self):
        """What a match answers for a miss: the allowed methods when some rule
        refused the method (a 405), ``None`` when only the kind of request was
        refused (a 400), else an empty set (a 404)."""
        if self.methods or not self.websocket:
            return self.methods
        return None


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


# PERF: the pure twin's ``Node`` is an object with a dict of static edges. Here
# ``Matcher.compile`` lays out the states the optimistic descent can reach in one
# block of memory, depth first, a node per state: a header, the static edges as an
# open-addressing hash table, their keys' code points and, when rules end at the
# state, a pointer to the State and its choices. A segment then reads a line or two
# of the block instead of a Node, a dict and its key table far apart, which keeps a
# lookup fast when a large map no longer fits in the CPU caches.
# Offsets are from the start of the block, in int32: ``_lay_out`` refuses a block
# of 2 GiB or more.
cdef struct Node:
    int32_t fallback  # the node a segment no static edge takes goes to; 0: NOWHERE
    int32_t mask  # the size of the edge table less one; -1 when there is none
    int32_t choices  # where the State pointer and the choices are; 0: no rule ends here
    uint16_t choice_count
    uint16_t plain


cdef struct Edge:
    uint32_t hash
    int32_t child  # where the node it leads to starts; -1 marks an empty slot
    int32_t key  # where the key's code points are
    uint32_t shape  # the key's length in code points * 8 + its bytes per code point


# The pure twin's first HTTP rule copied into the node, and
# ``state.by_method.get(method, state.any_method)`` for the others, unrolled: one
# record per HTTP target, with the methods ``by_method`` gives it after it; the record
# of ``any_method`` comes last, with ``methods`` -1. The rule, names and defaults
# are copied from the target so that a plain match reads nothing else of it.
cdef struct Choice:
    PyObject* rule
    PyObject* names
    PyObject* defaults  # NULL when the target has none
    Py_ssize_t methods  # how many method strings (interned) follow; -1: any method


cdef uint16_t _ENDIAN_PROBE = 1
cdef bint _LITTLE_ENDIAN = (<unsigned char*>&_ENDIAN_PROBE)[0] == 1
cdef uint64_t _HASH_SEED = 0x9E3779B97F4A7C15ULL
cdef uint64_t _HASH_PRIME = 0xFF51AFD7ED558CCDULL


cdef inline uint64_t _tail(const unsigned char* octets, Py_ssize_t count) noexcept:
    """The *count* (0 to 7) bytes at *octets* as a little-endian number.

    PERF: two overlapping loads instead of a ``memcpy`` of a variable length, whose
    byte-wise stores the next 8-byte load of the result cannot be forwarded from.
    """
    cdef uint32_t low4, high4
    cdef uint16_t low2, high2
    if count >= 4:
        memcpy(&low4, octets, 4)
        memcpy(&high4, octets + count - 4, 4)
        return <uint64_t>low4 | (<uint64_t>high4 << ((count - 4) * 8))
    if count >= 2:
        memcpy(&low2, octets, 2)
        memcpy(&high2, octets + count - 2, 2)
        return <uint64_t>low2 | (<uint64_t>high2 << ((count - 2) * 8))
    if count == 1:
        return octets[0]
    return 0


cdef inline bint _same_bytes(
    const unsigned char* left, const unsigned char* right, Py_ssize_t size
) noexcept:
    """``memcmp(left, right, size) == 0``, inlined for the short keys of a route."""
    cdef uint64_t left_chunk, right_chunk
    while size >= 8:
        memcpy(&left_chunk, left, 8)
        memcpy(&right_chunk, right, 8)
        if left_chunk != right_chunk:
            return False
        left += 8
        right += 8
        size -= 8
    if _LITTLE_ENDIAN:
        return _tail(left, size) == _tail(right, size)
    return memcmp(left, right, size) == 0


cdef inline uint64_t _mix(uint64_t value, uint64_t chunk) noexcept:
    value = (value ^ chunk) * _HASH_PRIME
    return value ^ (value >> 29)


cdef inline uint64_t _hash_span(
    int kind, const void* data, Py_ssize_t start, Py_ssize_t end
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
        if index:
            chunk = _tail(octets, index)
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
    int kind, const void* data, Py_ssize_t start, Py_ssize_t length
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


cdef inline uint32_t _fold(uint64_t hash) noexcept:
    return <uint32_t>(hash ^ (hash >> 32))


cdef inline Py_ssize_t _static_child(
    const char* block,
    const Node* node,
    int kind,
    const void* data,
    Py_ssize_t start,
    Py_ssize_t end,
) noexcept:
    """Where the node the static edge for ``path[start:end]`` leads to starts, or -1."""
    cdef const Edge* edges
    cdef const char* key
    cdef uint32_t hash
    cdef Py_ssize_t slot, length, index, probes
    cdef int key_kind
    if node.mask < 0:
        return -1
    edges = <const Edge*>(node + 1)
    hash = _fold(_hash_span(kind, data, start, end))
    length = end - start
    slot = hash & <uint32_t>node.mask
    # A table may be full: at most one probe per slot.
    for probes in range(node.mask + 1):
        if edges[slot].child < 0:
            break
        if edges[slot].hash == hash and (edges[slot].shape >> 3) == length:
            key = block + edges[slot].key
            key_kind = edges[slot].shape & 7
            if key_kind == kind:
                if _same_bytes(
                    <const unsigned char*>key,
                    <const unsigned char*>data + start * kind,
                    length * kind,
                ):
                    return edges[slot].child
            else:
                for index in range(length):
                    if PyUnicode_READ(key_kind, key, index) != PyUnicode_READ(
                        kind, data, start + index
                    ):
                        break
                else:
                    return edges[slot].child
        slot = (slot + 1) & node.mask
    return -1


cdef inline bint _same_text(PyObject* known, str text) noexcept:
    """Whether the interned string *known* equals *text*."""
    cdef Py_ssize_t length
    if known == <PyObject*>text:
        return True
    length = PyUnicode_GET_LENGTH(text)
    # Equal strings are stored alike (PEP 393: the narrowest kind that holds them).
    return (
        PyUnicode_GET_LENGTH(<object>known) == length
        and PyUnicode_KIND(<object>known) == PyUnicode_KIND(text)
        and _same_bytes(
            <const unsigned char*>PyUnicode_DATA(<object>known),
            <const unsigned char*>PyUnicode_DATA(text),
            length * PyUnicode_KIND(text),
        )
    )


cdef inline const Choice* _choose(
    const char* block, const Node* node, str method
) noexcept:
    """The choice of *node* for *method*, or NULL."""
    cdef const char* place = block + node.choices + sizeof(PyObject*)
    cdef const Choice* choice
    cdef PyObject** methods
    cdef Py_ssize_t index, position
    if node.choices == 0:
        return NULL
    for index in range(node.choice_count):
        choice = <const Choice*>place
        if choice.methods < 0:
            return choice
        methods = <PyObject**>(choice + 1)
        for position in range(choice.methods):
            if _same_text(methods[position], method):
                return choice
        place += sizeof(Choice) + choice.methods * sizeof(PyObject*)
    return NULL


cdef class State:
    """A node of the state machine: the rules ending here and the ways onward."""

    cdef public dict static
    cdef public list dynamic
    cdef public list targets
    cdef public dict by_method
    cdef public Target any_method
    cdef public State default
    cdef public tuple captures
    cdef public tuple positions
    cdef public bint plain
    # Where this state's node starts in its matcher's block; -1 when it has none.
    cdef Py_ssize_t _node

    def __init__(self):
        self.static = {}
        self.dynamic = []
        self.targets = []
        # The first HTTP rule here for each method it takes; for any method.
        self.by_method = {}
        self.any_method = None
        self.default = self
        self.captures = ()
        self.positions = ()
        self.plain = True
        self._node = -1


# Where the optimistic descent goes when it cannot follow: it stays there. Its node
# is the first of every block.
cdef State NOWHERE = State()
NOWHERE._node = 0
# PERF: the walk notes where each dynamic edge's segment starts and ends; a path that
# takes more dynamic edges than this goes to the full search.
cdef enum:
    MAX_CAPTURES = 32


# Not picklable: Cython's generated pickling would turn the block pointer into bytes
# and back, and free what it did not allocate. (A map does not pickle anyway: its
# lock cannot.)
@cython.auto_pickle(False)
cdef class Matcher:
    """Werkzeug's matching semantics over a segment state machine."""

    cdef public bint merge_slashes
    cdef State _root
    cdef dict _names
    # PERF: per domain, where the node of the state after the leading slash starts,
    # from which the walk sets out; the pure twin keeps the domain's node and its
    # static paths (see ``match``).
    cdef dict _domains
    cdef Py_ssize_t _start  # ``_domains.get("", -1)``
    cdef char* _block
    # What the block points to, held here so that it lives as long as the block.
    cdef list _held

    def __init__(self, bint merge_slashes):
        self.merge_slashes = merge_slashes
        self._root = State()
        self._names = {}
        self._domains = {}
        self._start = -1
        self._held = []

    def __dealloc__(self):
        PyMem_Free(self._block)

    def add(self, list parts, Target target, frozenset claimed):
        """Add a rule's parts; return the earlier rule that shadows it, if any.

        *claimed* are the methods the rule was written for (``None``: all); an
        earlier rule on the same pattern, for the same kind of request (HTTP or
        WebSocket), that takes one of them shadows it.
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

    def compile(self):
        """Order the dynamic edges and build the lookup tables; call after adding.

        The request path is not normalised before the walk; ``match`` sends a path
        that does not start with exactly one slash to the full search, normalised.
        """
        _compile_state(self._root, (), (), -2)
        self._lay_out()

    def match(self, str domain, str path_info, str method, bint websocket=False):
        """Match *path_info* on *domain* for *method*, as a WebSocket request when
        *websocket* is true.

        Returns ``(rule, args)`` on a match, ``(None, new_path)`` when the client must
        be redirected to *new_path*, ``(None, allowed_methods)`` when rules refused
        the method, ``(None, None)`` when the rules that took it are all for the
        other kind of request (HTTP or WebSocket), and ``(None, set())`` when
        nothing matched at all.
        """
        cdef Py_ssize_t length = PyUnicode_GET_LENGTH(path_info)
        cdef PyObject* found
        cdef const char* block
        cdef const Node* node
        cdef const Choice* choice
        cdef Py_ssize_t index, start, end, count, child
        cdef Py_ssize_t starts[MAX_CAPTURES]
        cdef Py_ssize_t ends[MAX_CAPTURES]
        cdef int kind
        cdef const void* data
        cdef object rule
        cdef PyObject* rule_pointer
        cdef tuple names
        cdef object defaults
        cdef dict args
        cdef list values
        cdef State state
        cdef Target target
        if websocket:
            return self._search(domain, _normalised(path_info), method, True)
        # PERF: the pure twin lets the walk turn away a path without exactly one
        # leading slash, through the domain's state and a dead end after "//";
        # here two characters read in place do it, and the walk starts after the
        # slash. PERF: no static-path dict either: walking a static path through
        # the block costs about what hashing the whole path would.
        if (
            length > 0
            and PyUnicode_READ_CHAR(path_info, 0) == 47  # "/"
            and (length == 1 or PyUnicode_READ_CHAR(path_info, 1) != 47)
        ):
            # PERF: a map that matches neither subdomains nor hosts has one domain,
            # "": where its walk starts is at hand, without a dict lookup.
            child = self._start
            if PyUnicode_GET_LENGTH(domain):
                found = PyDict_GetItemWithError(self._domains, domain)
                child = -1 if found is NULL else PyLong_AsSsize_t(<object>found)
            if child >= 0:
                block = self._block
                node = <const Node*>(block + child)
                kind = PyUnicode_KIND(path_info)
                data = PyUnicode_DATA(path_info)
                start = 1
                count = 0
                # PERF: the pure twin splits the path; here the walk reads it in
                # place and notes the spans the dynamic edges take, to slice them
                # once at the end.
                while True:
                    # A dynamic segment leads to the fallback node: ask for it now,
                    # while the segment is scanned and looked up.
                    _prefetch(block + node.fallback)
                    end = _segment_end(kind, data, start, length)
                    child = _static_child(block, node, kind, data, start, end)
                    if child < 0:
                        child = node.fallback
                        if end == start or count == MAX_CAPTURES:
                            child = 0
                        elif child:
                            starts[count] = start
                            ends[count] = end
                            count += 1
                    node = <const Node*>(block + child)
                    # A node may run into a second cache line: ask for it now, while
                    # the first is on its way.
                    _prefetch(<const char*>node + 64)
                    if child == 0 or end == length:
                        break
                    start = end + 1
                choice = _choose(block, node, method)
                if choice != NULL:
                    # Read out of the block before anything allocates: Python code
                    # run by an allocation may recompile the matcher and free the
                    # block (not the objects it points to, which the map holds).
                    # The rule is only asked for here and touched at the end: in a
                    # large map it is rarely in the cache, and the wait then
                    # overlaps building the arguments.
                    rule_pointer = choice.rule
                    _prefetch(rule_pointer)
                    names = <tuple>choice.names
                    defaults = None if choice.defaults == NULL else (
                        <object>choice.defaults
                    )
                    if node.plain:
                        # Every edge on the way takes any non-empty segment, and no
                        # converter changes its value: nothing to check or convert.
                        # PERF: the pure twin spells out dicts of up to three
                        # entries; here one loop is as fast.
                        args = {}
                        for index in range(count):
                            PyDict_SetItem(
                                args,
                                <object>PyTuple_GET_ITEM(names, index),
                                PyUnicode_Substring(
                                    path_info, starts[index], ends[index]
                                ),
                            )
                        if defaults is not None:
                            args.update(defaults)
                        return <object>rule_pointer, args
                    rule = <object>rule_pointer
                    state = <State>(<PyObject**>(block + node.choices))[0]
                    target = state.by_method.get(method, state.any_method)
                    values = _check_captures(
                        state,
                        [
                            PyUnicode_Substring(path_info, starts[index], ends[index])
                            for index in range(count)
                        ],
                    )
                    if values is not None:
                        try:
                            return rule, target.convert(values)
                        except ValueError:
                            # The full search would reach this same target first:
                            # only what it passed by on the way is still to be
                            # learned.
                            return None, self._missed(domain, path_info, method)
        return self._search(domain, _normalised(path_info), method, False)

    def _missed(self, str domain, str path, str method):
        """What the full search of an HTTP request passes by before its first
        match, as :meth:`Misses.outcome` gives it."""
        cdef Misses misses = Misses()
        _search(self._root, [domain, *path.split("/")], 0, [], method, False, misses)
        return misses.outcome()

    def _search(self, str domain, str path, str method, bint websocket):
        """The full depth-first search, with Werkzeug's redirects, 405s and 400s."""
        cdef Misses misses = Misses()
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
            if found is None or not (<Target>found[0]).merge_slashes:
                return None, misses.outcome()
            return None, path
        target, values = found
        try:
            return target.rule, (<Target>target).convert(values)
        except ValueError:
            return None, misses.outcome()

    cdef int _lay_out(self) except -1:
        """Build the block: NOWHERE's node, then each domain's, depth first."""
        cdef list order = [NOWHERE]
        cdef Py_ssize_t total = sizeof(Node)
        cdef State state
        cdef char* block
        cdef char* old_block
        cdef dict domains = {}
        for state in self._root.static.values():
            _reach(state, order)
        for state in order[1:]:
            state._node = total
            total += _node_size(state)
            if total > 0x7FFFFFFF:
                raise MemoryError("the routing table needs 2 GiB or more")
        block = <char*>PyMem_Malloc(total)
        if block == NULL:
            raise MemoryError()
        memset(block, 0, total)
        held = []
        for state in order:
            _fill_node(block, state, held)
        for domain, state in self._root.static.items():
            if "" in state.static:
                domains[domain] = (<State>state.static[""])._node
        # The old tables and the new ones are swapped with no Python code between
        # the assignments (what they replace is released after): a match sees the
        # one or the other, never a mix.
        old_block = self._block
        old_domains = self._domains
        old_held = self._held
        self._block = block
        self._domains = domains
        self._start = domains.get("", -1)
        self._held = held
        PyMem_Free(old_block)
        del old_domains, old_held
        return 0


cdef str _normalised(str path_info):
    """*path_info* with exactly one leading slash, as Werkzeug matches it."""
    if path_info[:1] == "/" and path_info[1:2] != "/":
        return path_info
    return "/" + path_info.lstrip("/") if path_info else ""


cdef void _compile_state(
    State state, tuple captures, tuple positions, Py_ssize_t index
) except *:
    """Prepare *state*, reached by *captures* taking the parts at *positions*.

    *index* is the index, in the split path, of the part that led here: -1 for the
    domain, -2 for the root.
    """
    cdef Target target
    cdef Transition transition
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
    if state.dynamic and not (<Transition>state.dynamic[0]).final:
        state.default = (<Transition>state.dynamic[0]).state
    state.captures = captures
    state.positions = positions
    state.plain = all(
        (<Transition>transition).min_length == 1
        and (<Transition>transition).max_length < 0
        for transition in captures
    )
    state._node = -1
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


# PERF: the pure twin's ``_dead_end`` has no use here: ``match`` reads the leading
# slashes itself.


cdef Target _first_accepting(list targets, str method):
    cdef Target target
    for target in targets:
        if target.accepts(method):
            return target
    raise AssertionError(method)


def _transition_weight(Transition transition):
    return transition.weight


# PERF: the pure twin's ``_reach`` makes Node objects, its ``_fill_node`` fills them
# in and its ``_collect_static_paths`` lists the static paths; here the functions
# below lay the block out.


cdef void _reach(State state, list order) except *:
    """Append *state* and the states the descent reaches from it, depth first."""
    if state._node >= 0:
        return
    state._node = 0  # seen; the real offset comes later
    order.append(state)
    for child in state.static.values():
        _reach(child, order)
    if state.default is not NOWHERE:
        _reach(state.default, order)


cdef inline Py_ssize_t _aligned(Py_ssize_t size, Py_ssize_t alignment) noexcept:
    return (size + alignment - 1) & ~(alignment - 1)


cdef inline Py_ssize_t _table_size(Py_ssize_t count) noexcept:
    """Slots for *count* static edges: a power of two, no fewer."""
    cdef Py_ssize_t size = 1
    if count == 0:
        return 0
    while size < count:
        size *= 2
    return size


cdef list _choices(State state):
    """``[(target, [method, ...]), ...]``: what ``_fill_node`` writes as choices."""
    cdef list choices = []
    cdef dict methods_of = {}
    for method, target in state.by_method.items():
        if target not in methods_of:
            methods_of[target] = []
            choices.append((target, methods_of[target]))
        methods_of[target].append(sys.intern(method))
    if state.any_method is not None:
        choices.append((state.any_method, None))
    return choices


cdef Py_ssize_t _node_size(State state) except -1:
    cdef Py_ssize_t size = sizeof(Node) + _table_size(len(state.static)) * sizeof(Edge)
    cdef str key
    for key in state.static:
        size += PyUnicode_GET_LENGTH(key) * PyUnicode_KIND(key)
        size = _aligned(size, PyUnicode_KIND(key))
    size = _aligned(size, sizeof(PyObject*))
    if state.targets:
        size += sizeof(PyObject*)
        for _target, methods in _choices(state):
            size += sizeof(Choice) + (0 if methods is None else len(methods)) * sizeof(
                PyObject*
            )
    return size


cdef int _fill_node(
    char* block, State state, list held
) except -1:
    """Write *state*'s node where ``state._node`` says."""
    cdef Node* node = <Node*>(block + state._node)
    cdef Edge* edges = <Edge*>(node + 1)
    cdef Py_ssize_t size = _table_size(len(state.static))
    cdef Py_ssize_t place = state._node + sizeof(Node) + size * sizeof(Edge)
    cdef Py_ssize_t slot, length, position
    cdef uint32_t hash
    cdef Choice* choice
    cdef PyObject** methods
    cdef str key
    cdef State child
    cdef Target target
    node.fallback = <int32_t>state.default._node
    node.mask = <int32_t>(size - 1)
    node.plain = state.plain
    for slot in range(size):
        edges[slot].child = -1
    for key, child in state.static.items():
        length = PyUnicode_GET_LENGTH(key)
        hash = _fold(_hash_span(PyUnicode_KIND(key), PyUnicode_DATA(key), 0, length))
        slot = hash & <uint32_t>node.mask
        while edges[slot].child >= 0:
            slot = (slot + 1) & node.mask
        edges[slot].hash = hash
        edges[slot].child = <int32_t>child._node
        edges[slot].key = <int32_t>place
        edges[slot].shape = <uint32_t>(length * 8 + PyUnicode_KIND(key))
        memcpy(block + place, PyUnicode_DATA(key), length * PyUnicode_KIND(key))
        place = _aligned(place + length * PyUnicode_KIND(key), PyUnicode_KIND(key))
    place = _aligned(place, sizeof(PyObject*))
    if not state.targets:
        return 0
    node.choices = <int32_t>place
    held.append(state)
    (<PyObject**>(block + place))[0] = <PyObject*>state
    place += sizeof(PyObject*)
    for target, method_list in _choices(state):
        choice = <Choice*>(block + place)
        _fill_choice(choice, target, held)
        choice.methods = -1
        place += sizeof(Choice)
        if method_list is not None:
            choice.methods = len(method_list)
            methods = <PyObject**>(choice + 1)
            for position, method in enumerate(method_list):
                held.append(method)
                methods[position] = <PyObject*>method
            place += choice.methods * sizeof(PyObject*)
        if node.choice_count == 0xFFFF:
            raise MemoryError("too many rules on one path")
        node.choice_count += 1
    return 0


cdef int _fill_choice(
    Choice* choice, Target target, list held
) except -1:
    held.append(target.rule)
    held.append(target.names)
    choice.rule = <PyObject*>target.rule
    choice.names = <PyObject*>target.names
    choice.defaults = NULL
    if target.defaults is not None:
        held.append(target.defaults)
        choice.defaults = <PyObject*>target.defaults
    return 0


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
    bint websocket,
    Misses misses,
):
    """Werkzeug's depth-first search from *state* over ``parts[index:]``, noting
    in *misses* the rules it passes by."""
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
            if not target.accepts(method):
                misses.methods.update(target.methods)
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
        found = _search(
            following, parts, index + 1, values, method, websocket, misses
        )
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
                misses.methods.update(target.methods)
            elif target.websocket != websocket:
                misses.websocket = True
            else:
                return target, values
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
