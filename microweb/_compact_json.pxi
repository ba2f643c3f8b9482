# Compact JSON for session cookies and signed tokens, included into _signing_c.pyx.
#
# PERF: the standard library's C encoder makes a Python str for every piece of
# the text (each key, each escaped string, each number, each separator and
# bracket), collects them in a list and joins it. compact_json writes the whole
# text straight into one buffer of code points, on the stack unless it is
# long, and makes one str of it at the end: no object per piece, no list.
# The output is the standard library's, character for character, because each
# piece is made by the same rule: strings escaped as encode_basestring (and
# encode_basestring_ascii) escape them, floats by the very call float.__repr__
# makes, ints by int.__repr__ (small ones in decimal here, which is what it
# writes), the keys of a dict in insertion order or in code point order, the
# order sorted() gives str keys, and "," and ":" between. What it does not
# know it does not guess: a type other than the exact ones it encodes, a key
# that is not an exact str, nesting deeper than _JSON_MAX_DEPTH (a circular
# reference among them) make it return None, and the caller asks the standard
# library, which encodes them, or raises what it raises.
# Nothing here runs Python code or lets the GIL go: the types are exact, and
# ints too long for int.__repr__ to format in C (it calls the _pylong module on
# 3.12 and later) are left to the library. So the items it holds, borrowed from
# their containers, cannot change or go away while it reads them.

from cpython.dict cimport PyDict_Next, PyDict_Size
from cpython.float cimport PyFloat_AS_DOUBLE
from cpython.list cimport PyList_GET_ITEM, PyList_GET_SIZE
from cpython.long cimport PyLong_AsLongLongAndOverflow
from cpython.mem cimport PyMem_Free
from cpython.object cimport PyObject
from cpython.pyport cimport PY_SSIZE_T_MAX
from cpython.tuple cimport PyTuple_GET_ITEM, PyTuple_GET_SIZE
from cpython.unicode cimport (
    PyUnicode_1BYTE_KIND,
    PyUnicode_2BYTE_KIND,
    PyUnicode_CheckExact,
    PyUnicode_DATA,
    PyUnicode_GET_LENGTH,
    PyUnicode_KIND,
    PyUnicode_New,
    PyUnicode_READ,
    Py_UCS1,
    Py_UCS2,
)
from libc.math cimport INFINITY
from libc.stdint cimport uint32_t
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memcmp, memcpy, strlen

cdef extern from "Python.h":
    bint PyUnicode_IS_ASCII(object text)
    char* PyOS_double_to_string(
        double value, char format_code, int precision, int flags, int* kind
    )
    int Py_DTSF_ADD_DOT_0

cdef extern from "<stdlib.h>":
    # qsort, its comparisons holding the GIL (they read str objects): it calls
    # them before it returns, from the thread that called it.
    void _json_qsort "qsort"(
        void* array,
        size_t count,
        size_t size,
        int (*compare)(const void*, const void*) noexcept,
    )

cdef extern from *:
    """
    /* Make a str of an old C extension canonical before its code points are
       read (PyUnicode_READY): 0 when done, -1 with an exception set. Every str
       is ready from 3.12 on, where the macro is deprecated. */
    static inline int microweb_json_ready(PyObject* text) {
    #if PY_VERSION_HEX < 0x030C0000
        return PyUnicode_READY(text);
    #else
        (void)text;
        return 0;
    #endif
    }
    """
    int microweb_json_ready(object text) except -1

cdef enum:
    #: The most containers nested in one another that compact_json encodes.
    _JSON_MAX_DEPTH = 64
    #: The longest int it formats, in bits: int.__repr__ formats ints of
    #: 1000 digits (of 15 or 30 bits) or fewer in C, and longer ones in Python.
    _JSON_MAX_INT_BITS = 10000
    #: The code points of the buffer on the stack: enough for a session.
    _JSON_STACK_CHARS = 1024
    #: The items of a dict sorted on the stack; more are sorted in the heap.
    _JSON_STACK_ITEMS = 32
    #: Dicts of this many items or fewer are sorted by insertion.
    _JSON_FEW_ITEMS = 12
    # What a step of the encoder returns, besides -1 for an exception.
    _JSON_DONE = 0
    _JSON_UNSUPPORTED = 1
    # The code points of the text it writes.
    _JSON_QUOTE = 34  # "
    _JSON_COMMA = 44  # ,
    _JSON_COLON = 58  # :
    _JSON_OPEN_ARRAY = 91  # [
    _JSON_BACKSLASH = 92  # \
    _JSON_CLOSE_ARRAY = 93  # ]
    _JSON_LETTER_U = 117  # u, as in \u00e9
    _JSON_OPEN_OBJECT = 123  # {
    _JSON_CLOSE_OBJECT = 125  # }


cdef struct _JsonText:
    # The JSON text written so far, and how to write the rest. Code points are
    # uint32_t here (Cython's Py_UCS4 would do arithmetic on them as on str).
    uint32_t* chars  # the buffer: the stack's, or one from malloc
    uint32_t* stack_chars  # the stack's buffer, which is not freed
    Py_ssize_t length  # code points written
    Py_ssize_t capacity  # code points the buffer holds
    uint32_t widest  # 0x7F, 0xFF, 0xFFFF or 0x10FFFF: the kind the str needs
    bint ensure_ascii
    bint sort_keys


cdef struct _JsonItem:
    # An item of a dict, both halves borrowed from it.
    PyObject* key
    PyObject* value


#: For each code point below 256, with ensure_ascii false (0) and true (1): 0
#: when a JSON string holds it as it is, else the letter of its escape: ``"``,
#: ``\``, ``b``, ``f``, ``n``, ``r``, ``t``, or ``u`` for ``\u00XX``.
cdef Py_UCS1 _JSON_ESCAPES[2][256]
cdef const char* _JSON_HEX_DIGITS = b"0123456789abcdef"


cdef void _fill_json_escapes() noexcept:
    """Lay out :data:`_JSON_ESCAPES` as encode_basestring and
    encode_basestring_ascii escape: control characters, the quote and the
    backslash always; from DEL (0x7F) up, every code point for ASCII output."""
    cdef int ascii_only, code
    for ascii_only in range(2):
        for code in range(256):
            if code < 0x20 or (ascii_only and code >= 0x7F):
                _JSON_ESCAPES[ascii_only][code] = _JSON_LETTER_U
            else:
                _JSON_ESCAPES[ascii_only][code] = 0
        _JSON_ESCAPES[ascii_only][8] = 98  # b
        _JSON_ESCAPES[ascii_only][9] = 116  # t
        _JSON_ESCAPES[ascii_only][10] = 110  # n
        _JSON_ESCAPES[ascii_only][12] = 102  # f
        _JSON_ESCAPES[ascii_only][13] = 114  # r
        _JSON_ESCAPES[ascii_only][_JSON_QUOTE] = _JSON_QUOTE
        _JSON_ESCAPES[ascii_only][_JSON_BACKSLASH] = _JSON_BACKSLASH


_fill_json_escapes()


cdef int _json_grow(_JsonText* text, Py_ssize_t room) except -1:
    """Give the buffer of *text* room for *room* more code points, moving it to
    the heap (or a bigger block there)."""
    cdef Py_ssize_t needed = text.length + room
    cdef Py_ssize_t capacity = text.capacity * 2
    cdef uint32_t* chars
    if room > PY_SSIZE_T_MAX // 4 - text.length:
        raise MemoryError()
    if capacity < needed or capacity > PY_SSIZE_T_MAX // 4:
        capacity = needed
    if text.chars == text.stack_chars:
        chars = <uint32_t*>malloc(capacity * sizeof(uint32_t))
        if chars != NULL:
            memcpy(chars, text.chars, text.length * sizeof(uint32_t))
    else:
        chars = <uint32_t*>realloc(text.chars, capacity * sizeof(uint32_t))
    if chars == NULL:
        raise MemoryError()
    text.chars = chars
    text.capacity = capacity
    return 0


cdef inline int _json_reserve(_JsonText* text, Py_ssize_t room) except -1:
    """Make sure the buffer of *text* has room for *room* more code points."""
    if room > text.capacity - text.length:
        return _json_grow(text, room)
    return 0


cdef int _json_write_ascii(
    _JsonText* text, const char* ascii, Py_ssize_t size
) except -1:
    """Write the *size* ASCII characters at *ascii* (a literal or a number)."""
    cdef Py_ssize_t index
    cdef uint32_t* out
    _json_reserve(text, size)
    out = text.chars + text.length
    for index in range(size):
        out[index] = <Py_UCS1>ascii[index]
    text.length += size
    return 0


cdef inline int _json_write_char(_JsonText* text, uint32_t code) except -1:
    """Write the one code point *code* (a bracket or a separator)."""
    _json_reserve(text, 1)
    text.chars[text.length] = code
    text.length += 1
    return 0


cdef inline void _json_write_hex4(uint32_t* out, uint32_t unit) noexcept:
    """Write ``\\uXXXX``, the escape of the UTF-16 code unit *unit*, in
    lowercase hex: 6 code points at *out*."""
    out[0] = _JSON_BACKSLASH
    out[1] = _JSON_LETTER_U
    out[2] = _JSON_HEX_DIGITS[(unit >> 12) & 0xF]
    out[3] = _JSON_HEX_DIGITS[(unit >> 8) & 0xF]
    out[4] = _JSON_HEX_DIGITS[(unit >> 4) & 0xF]
    out[5] = _JSON_HEX_DIGITS[unit & 0xF]


cdef Py_ssize_t _json_write_escape(
    uint32_t* out, uint32_t code, Py_UCS1 letter
) noexcept:
    """Write the escape of *code*, whose letter is *letter*, at *out* (room for
    12); return how many code points it took: 2 (``\\n``), 6 (``\\u00e9``) or,
    above the BMP, 12 (the two ``\\uXXXX`` of its UTF-16 surrogate pair)."""
    if letter != _JSON_LETTER_U:
        out[0] = _JSON_BACKSLASH
        out[1] = letter
        return 2
    if code >= 0x10000:
        code -= 0x10000
        _json_write_hex4(out, 0xD800 | (code >> 10))
        _json_write_hex4(out + 6, 0xDC00 | (code & 0x3FF))
        return 12
    _json_write_hex4(out, code)
    return 6


cdef inline uint32_t _json_widest_of(object value) noexcept:
    """The widest code point *value* (a ready str) may hold, as its kind tells:
    a canonical str of a kind holds one the narrower kind cannot."""
    cdef int kind = PyUnicode_KIND(value)
    if kind == PyUnicode_1BYTE_KIND:
        return 0x7F if PyUnicode_IS_ASCII(value) else 0xFF
    if kind == PyUnicode_2BYTE_KIND:
        return 0xFFFF
    return 0x10FFFF


cdef int _json_write_str(_JsonText* text, object value) except -1:
    """Write the exact str *value* as a JSON string, escaped as the standard
    library escapes it."""
    cdef Py_ssize_t size, index
    cdef int kind
    cdef void* data
    cdef const Py_UCS1* escapes = _JSON_ESCAPES[text.ensure_ascii]
    cdef Py_UCS1 beyond_latin1 = _JSON_LETTER_U if text.ensure_ascii else 0
    cdef Py_UCS1 letter
    cdef uint32_t code
    cdef uint32_t widest
    cdef uint32_t* out
    microweb_json_ready(value)
    size = PyUnicode_GET_LENGTH(value)
    kind = PyUnicode_KIND(value)
    data = PyUnicode_DATA(value)
    if not text.ensure_ascii:  # else every code point it writes is ASCII
        widest = _json_widest_of(value)
        if widest > text.widest:
            text.widest = widest
    # Room for the quotes and each code point as it is; an escape asks for more.
    _json_reserve(text, size + 2)
    out = text.chars + text.length
    out[0] = _JSON_QUOTE
    out += 1
    for index in range(size):
        code = PyUnicode_READ(kind, data, index)
        letter = escapes[code] if code < 256 else beyond_latin1
        if letter == 0:
            out[0] = code
            out += 1
            continue
        text.length = out - text.chars
        # This escape (12 at most), the code points after it, the quote.
        _json_reserve(text, 12 + size - index)
        out = text.chars + text.length
        out += _json_write_escape(out, code, letter)
    out[0] = _JSON_QUOTE
    text.length = out + 1 - text.chars
    return _JSON_DONE


cdef int _json_write_int(_JsonText* text, object value) except -1:
    """Write the exact int *value* as int.__repr__ does; _JSON_UNSUPPORTED when
    it is too long for that (see _JSON_MAX_INT_BITS and
    sys.get_int_max_str_digits)."""
    cdef int overflow = 0
    cdef long long number = PyLong_AsLongLongAndOverflow(value, &overflow)
    cdef unsigned long long magnitude
    cdef char digits[24]  # 20 digits and a sign at most
    cdef Py_ssize_t start = 24
    if overflow:
        return _json_write_long_int(text, value)
    if number < 0:
        magnitude = <unsigned long long>(-(number + 1)) + 1
    else:
        magnitude = <unsigned long long>number
    while True:
        start -= 1
        digits[start] = <char>(48 + magnitude % 10)
        magnitude //= 10
        if magnitude == 0:
            break
    if number < 0:
        start -= 1
        digits[start] = 45  # -
    return _json_write_ascii(text, digits + start, 24 - start)


cdef int _json_write_long_int(_JsonText* text, object value) except -1:
    """Write the exact int *value*, beyond a long long, with int.__repr__;
    _JSON_UNSUPPORTED when it is too long for that."""
    cdef str digits
    if value.bit_length() > _JSON_MAX_INT_BITS:
        return _JSON_UNSUPPORTED
    try:
        digits = repr(value)
    except ValueError:  # more digits than sys.get_int_max_str_digits()
        return _JSON_UNSUPPORTED
    return _json_write_ascii(
        text, <const char*>PyUnicode_DATA(digits), PyUnicode_GET_LENGTH(digits)
    )


cdef int _json_write_float(_JsonText* text, object value) except -1:
    """Write the exact float *value* as float.__repr__ does (the same call), or
    ``NaN``, ``Infinity``, ``-Infinity`` as the standard library does."""
    cdef double number = PyFloat_AS_DOUBLE(value)
    cdef char* digits
    cdef int status
    if number != number:
        return _json_write_ascii(text, b"NaN", 3)
    if number == INFINITY:
        return _json_write_ascii(text, b"Infinity", 8)
    if number == -INFINITY:
        return _json_write_ascii(text, b"-Infinity", 9)
    digits = PyOS_double_to_string(number, b"r", 0, Py_DTSF_ADD_DOT_0, NULL)
    if digits == NULL:
        raise MemoryError()
    try:
        status = _json_write_ascii(text, digits, strlen(digits))
    finally:
        PyMem_Free(digits)
    return status


cdef int _json_write_array(
    _JsonText* text, object items, bint is_list, int depth
) except -1:
    """Write the exact list or tuple *items*, itself *depth* containers deep,
    as a JSON array."""
    cdef Py_ssize_t index = 0
    cdef PyObject* item
    if depth > _JSON_MAX_DEPTH:
        return _JSON_UNSUPPORTED
    _json_write_char(text, _JSON_OPEN_ARRAY)
    while True:
        # The size is read at each step, which costs no more than keeping it:
        # nothing here changes a list, but if anything did, nothing would be
        # read beyond its end.
        if is_list:
            if index >= PyList_GET_SIZE(items):
                break
            item = PyList_GET_ITEM(items, index)
        else:
            if index >= PyTuple_GET_SIZE(items):
                break
            item = PyTuple_GET_ITEM(items, index)
        if index:
            _json_write_char(text, _JSON_COMMA)
        if _json_write_value(text, <object>item, depth):
            return _JSON_UNSUPPORTED
        index += 1
    _json_write_char(text, _JSON_CLOSE_ARRAY)
    return _JSON_DONE


cdef int _json_write_item(
    _JsonText* text, PyObject* key, PyObject* value, int depth
) except -1:
    """Write ``key:value``, an item of a dict *depth* containers deep."""
    if not PyUnicode_CheckExact(<object>key):
        return _JSON_UNSUPPORTED
    _json_write_str(text, <object>key)
    _json_write_char(text, _JSON_COLON)
    return _json_write_value(text, <object>value, depth)


cdef int _json_write_dict(_JsonText* text, object mapping, int depth) except -1:
    """Write the exact dict *mapping*, itself *depth* containers deep, as a JSON
    object: its items in insertion order, or sorted by key with sort_keys."""
    cdef Py_ssize_t position = 0
    cdef PyObject* key
    cdef PyObject* value
    cdef bint first = True
    if depth > _JSON_MAX_DEPTH:
        return _JSON_UNSUPPORTED
    if text.sort_keys and PyDict_Size(mapping) > 1:
        return _json_write_sorted_dict(text, mapping, depth)
    _json_write_char(text, _JSON_OPEN_OBJECT)
    while PyDict_Next(mapping, &position, &key, &value):
        if not first:
            _json_write_char(text, _JSON_COMMA)
        first = False
        if _json_write_item(text, key, value, depth):
            return _JSON_UNSUPPORTED
    _json_write_char(text, _JSON_CLOSE_OBJECT)
    return _JSON_DONE


cdef int _json_key_order(PyObject* left, PyObject* right) noexcept:
    """Compare two exact str keys code point by code point, as ``<`` on str
    does (so as sorted() orders them): negative, 0 or positive."""
    cdef Py_ssize_t left_size = PyUnicode_GET_LENGTH(<object>left)
    cdef Py_ssize_t right_size = PyUnicode_GET_LENGTH(<object>right)
    cdef Py_ssize_t common = left_size if left_size < right_size else right_size
    cdef int left_kind = PyUnicode_KIND(<object>left)
    cdef int right_kind = PyUnicode_KIND(<object>right)
    cdef void* left_data = PyUnicode_DATA(<object>left)
    cdef void* right_data = PyUnicode_DATA(<object>right)
    cdef Py_ssize_t index
    cdef uint32_t left_code, right_code
    cdef int order
    if left_kind == PyUnicode_1BYTE_KIND and right_kind == PyUnicode_1BYTE_KIND:
        order = memcmp(left_data, right_data, common)  # bytes compare unsigned
        if order:
            return order
    else:
        for index in range(common):
            left_code = PyUnicode_READ(left_kind, left_data, index)
            right_code = PyUnicode_READ(right_kind, right_data, index)
            if left_code != right_code:
                return -1 if left_code < right_code else 1
    return (left_size > right_size) - (left_size < right_size)


cdef int _json_item_order(const void* left, const void* right) noexcept:
    """Compare two :c:type:`_JsonItem` by key, for qsort."""
    return _json_key_order((<_JsonItem*>left).key, (<_JsonItem*>right).key)


cdef void _json_sort_items(_JsonItem* items, Py_ssize_t count) noexcept:
    """Sort *items* by key: by insertion when they are few, else by qsort. The
    keys of a dict are distinct, so the order is total and needs no stability."""
    cdef Py_ssize_t index, place
    cdef _JsonItem item
    if count > _JSON_FEW_ITEMS:
        _json_qsort(items, count, sizeof(_JsonItem), _json_item_order)
        return
    for index in range(1, count):
        item = items[index]
        place = index
        while place > 0 and _json_key_order(item.key, items[place - 1].key) < 0:
            items[place] = items[place - 1]
            place -= 1
        items[place] = item


cdef int _json_write_sorted_dict(
    _JsonText* text, object mapping, int depth
) except -1:
    """Write the exact dict *mapping* (two items or more) as a JSON object with
    its items in the order of their keys."""
    cdef _JsonItem stack_items[_JSON_STACK_ITEMS]
    cdef _JsonItem* items = stack_items
    cdef Py_ssize_t count = 0
    cdef Py_ssize_t position = 0
    cdef Py_ssize_t capacity = PyDict_Size(mapping)
    cdef Py_ssize_t index
    cdef PyObject* key
    cdef PyObject* value
    if capacity > _JSON_STACK_ITEMS:
        items = <_JsonItem*>malloc(capacity * sizeof(_JsonItem))
        if items == NULL:
            raise MemoryError()
    try:
        while count < capacity and PyDict_Next(mapping, &position, &key, &value):
            if not PyUnicode_CheckExact(<object>key):
                return _JSON_UNSUPPORTED  # and sorted() might not order it
            items[count].key = key
            items[count].value = value
            count += 1
        _json_sort_items(items, count)
        _json_write_char(text, _JSON_OPEN_OBJECT)
        for index in range(count):
            if index:
                _json_write_char(text, _JSON_COMMA)
            if _json_write_item(text, items[index].key, items[index].value, depth):
                return _JSON_UNSUPPORTED
        _json_write_char(text, _JSON_CLOSE_OBJECT)
        return _JSON_DONE
    finally:
        if items != stack_items:
            free(items)


cdef int _json_write_value(_JsonText* text, object value, int depth) except -1:
    """Write *value*, within *depth* containers, as JSON text; _JSON_UNSUPPORTED
    when it is not (or holds something not) of the types written here."""
    if type(value) is str:
        return _json_write_str(text, value)
    if type(value) is int:
        return _json_write_int(text, value)
    if type(value) is dict:
        return _json_write_dict(text, value, depth + 1)
    if type(value) is list:
        return _json_write_array(text, value, True, depth + 1)
    if value is True:
        return _json_write_ascii(text, b"true", 4)
    if value is False:
        return _json_write_ascii(text, b"false", 5)
    if value is None:
        return _json_write_ascii(text, b"null", 4)
    if type(value) is float:
        return _json_write_float(text, value)
    if type(value) is tuple:
        return _json_write_array(text, value, False, depth + 1)
    return _JSON_UNSUPPORTED


cdef str _json_text_str(_JsonText* text):
    """The str of the code points written to *text*, of the narrowest kind that
    holds them (the kind every str of them has)."""
    cdef str result = PyUnicode_New(text.length, text.widest)
    cdef void* data = PyUnicode_DATA(result)
    cdef int kind = PyUnicode_KIND(result)
    cdef Py_ssize_t index
    if kind == PyUnicode_1BYTE_KIND:
        for index in range(text.length):
            (<Py_UCS1*>data)[index] = <Py_UCS1>text.chars[index]
    elif kind == PyUnicode_2BYTE_KIND:
        for index in range(text.length):
            (<Py_UCS2*>data)[index] = <Py_UCS2>text.chars[index]
    else:
        memcpy(data, text.chars, text.length * sizeof(uint32_t))
    return result


cpdef object compact_json(object obj, bint ensure_ascii, bint sort_keys):
    """``json.dumps(obj, ensure_ascii=ensure_ascii, sort_keys=sort_keys,
    separators=(",", ":"))``, or ``None`` when *obj* is or holds something other
    than an exact dict with str keys, list, tuple, str, int, bool, float or
    ``None``, or nests more than 64 containers deep (then the standard library
    encodes it, or raises). Raises nothing but MemoryError."""
    cdef uint32_t stack_chars[_JSON_STACK_CHARS]
    cdef _JsonText text
    text.chars = stack_chars
    text.stack_chars = stack_chars
    text.length = 0
    text.capacity = _JSON_STACK_CHARS
    text.widest = 0x7F
    text.ensure_ascii = ensure_ascii
    text.sort_keys = sort_keys
    try:
        if _json_write_value(&text, obj, 0):
            return None
        return _json_text_str(&text)
    finally:
        if text.chars != stack_chars:
            free(text.chars)
