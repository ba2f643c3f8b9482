# cython: language_level=3, boundscheck=False, wraparound=False
"""Signing kernel, compiled: a translation of ``_signing_py.py``.

Same names, same algorithm, same order as the pure twin, which is the specification;
read the two side by side. ``# PERF:`` marks where the C idiom differs and why.
"""

import base64
import hashlib
import hmac
import zlib
from datetime import datetime, timezone

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.unicode cimport PyUnicode_DecodeASCII
from libc.math cimport ceil, log2
from libc.stdlib cimport free, malloc, realloc
from libc.stdint cimport uint32_t
from libc.string cimport memcpy, memset, strncmp

from itsdangerous.exc import BadPayload, BadSignature, BadTimeSignature

cdef extern from "zlib.h":
    ctypedef struct z_stream:
        unsigned char* next_in
        unsigned int avail_in
        unsigned char* next_out
        unsigned int avail_out
        void* zalloc
        void* zfree
        void* opaque
    int Z_OK
    int Z_STREAM_END
    int Z_FINISH
    int Z_DEFAULT_COMPRESSION
    int Z_NO_FLUSH
    int Z_BUF_ERROR
    int Z_DEFLATED
    int MAX_WBITS
    int Z_DEFAULT_STRATEGY
    int deflateInit2(
        z_stream* strm,
        int level,
        int method,
        int window_bits,
        int mem_level,
        int strategy,
    )
    int deflate(z_stream* strm, int flush)
    int deflateReset(z_stream* strm)
    unsigned long deflateBound(z_stream* strm, unsigned long source_len)
    int inflateInit(z_stream* strm)
    int inflate(z_stream* strm, int flush)
    int inflateReset(z_stream* strm)
    const char* zlibVersion()

cdef extern from *:
    """
    #ifndef DEF_MEM_LEVEL
    #  if MAX_MEM_LEVEL >= 8
    #    define DEF_MEM_LEVEL 8
    #  else
    #    define DEF_MEM_LEVEL MAX_MEM_LEVEL
    #  endif
    #endif
    """
    int DEF_MEM_LEVEL

IMPLEMENTATION = "native"

SEPARATOR = b"."
#: The most bytes a compressed payload may expand to; more is a zlib bomb.
MAX_DECOMPRESSED = 1 << 20
#: Timestamps from 0 up to this bound (the year 2106) are dates on every platform.
ALWAYS_DATED = 1 << 32
cdef Py_ssize_t _MAX_DECOMPRESSED = MAX_DECOMPRESSED

cdef const char* _ALPHABET = (
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
)
_compare_digest = hmac.compare_digest
_new_hash = hashlib.new


cdef void _b64_into(const unsigned char* source, Py_ssize_t length, char* target) noexcept:
    """Write URL-safe base64 of *source* without padding to *target*."""
    cdef Py_ssize_t index = 0
    cdef Py_ssize_t out = 0
    cdef unsigned int block
    while index + 2 < length:
        block = (source[index] << 16) | (source[index + 1] << 8) | source[index + 2]
        target[out] = _ALPHABET[(block >> 18) & 63]
        target[out + 1] = _ALPHABET[(block >> 12) & 63]
        target[out + 2] = _ALPHABET[(block >> 6) & 63]
        target[out + 3] = _ALPHABET[block & 63]
        index += 3
        out += 4
    if length - index == 1:
        block = source[index] << 16
        target[out] = _ALPHABET[(block >> 18) & 63]
        target[out + 1] = _ALPHABET[(block >> 12) & 63]
    elif length - index == 2:
        block = (source[index] << 16) | (source[index + 1] << 8)
        target[out] = _ALPHABET[(block >> 18) & 63]
        target[out + 1] = _ALPHABET[(block >> 12) & 63]
        target[out + 2] = _ALPHABET[(block >> 6) & 63]


cpdef bytes b64encode(bytes data):
    """URL-safe base64 without padding."""
    # PERF: encoded straight into the result, with no padding to strip.
    cdef Py_ssize_t length = PyBytes_GET_SIZE(data)
    cdef bytes result = PyBytes_FromStringAndSize(NULL, (length * 4 + 2) // 3)
    _b64_into(
        <const unsigned char*>PyBytes_AS_STRING(data), length, PyBytes_AS_STRING(result)
    )
    return result


cdef signed char _DECODE[256]
for _code in range(256):
    _DECODE[_code] = -1
for _code in range(64):
    _DECODE[<unsigned char>_ALPHABET[_code]] = _code


cdef bint _b64_decode_into(
    const unsigned char* source, Py_ssize_t length, unsigned char* target
) noexcept:
    """Decode *length* characters of the URL-safe alphabet to ``length * 3 // 4``
    bytes at *target* (left-over bits dropped); false, with nothing written, when
    one of them is not of the alphabet."""
    cdef Py_ssize_t index
    cdef Py_ssize_t out = 0
    cdef unsigned int block = 0
    cdef int bits = 0
    for index in range(length):
        if _DECODE[source[index]] < 0:
            return False
    for index in range(length):
        block = (block << 6) | <unsigned int>_DECODE[source[index]]
        bits += 6
        if bits >= 8:
            bits -= 8
            target[out] = <unsigned char>((block >> bits) & 0xFF)
            out += 1
    return True


cpdef bytes b64decode(bytes data):
    """Decode URL-safe base64 as leniently as itsdangerous (padding optional,
    stray characters ignored); ``ValueError`` when it cannot."""
    # PERF: text of the URL-safe alphabet alone (what a signer writes) is decoded
    # here; anything else takes the lenient library path, whose answer is the rule.
    cdef Py_ssize_t length = PyBytes_GET_SIZE(data)
    cdef bytes result
    if length % 4 != 1:
        result = PyBytes_FromStringAndSize(NULL, length * 3 // 4)
        if _b64_decode_into(
            <const unsigned char*>PyBytes_AS_STRING(data),
            length,
            <unsigned char*>PyBytes_AS_STRING(result),
        ):
            return result
    return base64.urlsafe_b64decode(data + b"=" * (-length % 4))


# PERF: one deflate stream for the process, reset between payloads: the same
# output as ``zlib.compress`` (same level, window and memory settings) without
# allocating and initialising a new stream each time.
cdef z_stream _deflater
cdef bint _deflater_ready = False
# PERF: and one with a smaller hash table (memory level 6: 16 KiB) for short
# data, since a reset clears the table, and clearing the default one (64 KiB)
# costs more than deflating a session. The two streams write the same output
# if they find the same matches and end blocks alike. A match is sought along
# the chain of earlier positions in the hash bucket of the current one: an
# entry whose 3 bytes differ is passed over (with equal hashes, 2 equal bytes
# imply the third) and changes nothing, and the true ones come in the same
# order, newest first, in either table (a walk meeting none leaves things as
# no walk does). So the matches can only differ if a walk is cut short:
# compression level 6 gives up after 128 entries, 32 once a match of 8 is
# found. Memory level 6 hashes as memory level 8 does but keeps 13 of the 15
# bits, so a bucket of the small table holds 4 default ones: _survey checks
# (in _link_positions) that none holds more than 32 positions, and then no
# walk is cut short in either table. Short data also stays within the small
# stream's symbol buffer (4095 symbols), so both streams end their one block
# at the end of the data.
# All this is the deflate of classic zlib 1.2.x and 1.3.x at its default
# memory level; other builds (zlib-ng, forks hashing otherwise) only ever get
# the default stream.
cdef z_stream _small_deflater
cdef bint _small_deflater_ready = False

cdef enum:
    _SMALL_MEM_LEVEL = 6
    _SMALL_HASH_SIZE = 1 << 13  # 13 bits: memory level + 7
    #: The most bytes _survey looks at: on longer data counting costs about
    #: what the small stream saves.
    _SHORT_DATA = 350
    #: The fewest entries a level-6 chain walk may visit.
    _MAX_WALK = 32
    # What _survey finds for some data.
    _USE_DEFAULT = 0
    _USE_SMALL = 1
    _NOT_SHORTER = 2
    # Deflate's format (RFC 1951) and zlib's level 6, as _survey reckons them.
    _MIN_MATCH = 3
    _MAX_MATCH = 258
    #: No match is sought after one this long (level 6's max_lazy)...
    _MAX_LAZY = 16
    #: ...and a walk ends at one this long (its nice_length).
    _NICE_MATCH = 128
    _END_OF_BLOCK = 256
    _FIRST_LENGTH_SYMBOL = 257
    #: Literal/length symbols, distance codes, code-length symbols.
    _LITERAL_SYMBOLS = 286
    _DISTANCE_CODES = 30
    _CODE_LENGTH_SYMBOLS = 19
    #: The code-length symbols that repeat: the last length 3 to 6 times,
    #: a zero 3 to 10 times, a zero 11 to 138 times.
    _REPEAT_LENGTH = 16
    _REPEAT_ZERO = 17
    _REPEAT_ZEROS = 18
    _MAX_CODE_BITS = 15
    _MAX_CODE_LENGTH_BITS = 7
    #: Room for the leaves and inner nodes of a tree (zlib's HEAP_SIZE).
    _HEAP_SIZE = 2 * _LITERAL_SYMBOLS + 1
    #: Words of a set of literal/length symbols, one bit each.
    _LITERAL_WORDS = (_LITERAL_SYMBOLS + 63) >> 6
    #: A heap entry is a node's count, its depth (6 bits) and the node (10
    #: bits): entry >> _NODE_BITS orders nodes as zlib's heap does.
    _NODE_BITS = 10
    _NODE_MASK = (1 << _NODE_BITS) - 1
    _COUNT_SHIFT = _NODE_BITS + 6

ctypedef unsigned long long _Word

cdef extern from *:
    """
    /* The index of the lowest bit set in a word that is not zero. */
    static inline int microweb_lowest_bit(unsigned long long word) {
    #if defined(__GNUC__)
        return __builtin_ctzll(word);
    #else
        int index = 0;
        while (!(word & 1)) {
            word >>= 1;
            index++;
        }
        return index;
    #endif
    }
    """
    int microweb_lowest_bit(_Word word) noexcept nogil


cdef struct _Bucket:
    unsigned short newest  # the last position put in it; 0 for none
    unsigned short size  # how many positions it holds

#: The buckets of the small table while _link_positions runs, else all zero.
cdef _Bucket _buckets[_SMALL_HASH_SIZE]

#: The literal/length symbol of each match length, from 3.
cdef unsigned short _LENGTH_SYMBOL[_MAX_MATCH - _MIN_MATCH + 1]
#: The distance code of each distance within short data, from 1.
cdef unsigned char _DISTANCE_CODE[_SHORT_DATA]
#: The extra bits after each symbol of the three codes.
cdef unsigned char _LITERAL_EXTRA[_LITERAL_SYMBOLS]
cdef unsigned char _DISTANCE_EXTRA[_DISTANCE_CODES]
cdef unsigned char[19] _CODE_LENGTH_EXTRA = [
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 3, 7
]
#: The bits of each symbol in the fixed codes.
cdef unsigned char _FIXED_LITERAL_BITS[_LITERAL_SYMBOLS]
cdef unsigned char _FIXED_DISTANCE_BITS[_DISTANCE_CODES]
#: f * log2(f) for every count f of a symbol in short data.
cdef double _X_LOG_X[_SHORT_DATA + 2]
#: The order in which a dynamic block's header gives the code-length code.
cdef unsigned char[19] _CODE_LENGTH_ORDER = [
    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15
]


cdef void _fill_code_tables() noexcept:
    """Lay out the tables above, the codes' as RFC 1951 (3.2.5 and 3.2.6) gives
    them."""
    cdef int code, extra, index, count
    cdef int length = _MIN_MATCH
    cdef int distance = 1
    # Literals and the end of block have no extra bits; then come 8 length
    # symbols of one length each, 4 each of 2, 4, ... 32 lengths, and one of
    # its own for the last length, 258.
    for code in range(_LITERAL_SYMBOLS):
        if code < 144:
            _FIXED_LITERAL_BITS[code] = 8
        elif code < 256:
            _FIXED_LITERAL_BITS[code] = 9
        elif code < 280:
            _FIXED_LITERAL_BITS[code] = 7
        else:
            _FIXED_LITERAL_BITS[code] = 8
        _LITERAL_EXTRA[code] = 0
    for code in range(_LITERAL_SYMBOLS - _FIRST_LENGTH_SYMBOL - 1):
        extra = 0 if code < 8 else code // 4 - 1
        _LITERAL_EXTRA[_FIRST_LENGTH_SYMBOL + code] = extra
        for index in range(1 << extra):
            _LENGTH_SYMBOL[length - _MIN_MATCH] = _FIRST_LENGTH_SYMBOL + code
            length += 1
    _LENGTH_SYMBOL[_MAX_MATCH - _MIN_MATCH] = _LITERAL_SYMBOLS - 1
    # 4 distance codes of one distance each, then 2 each of 2, 4, 8...
    for code in range(_DISTANCE_CODES):
        extra = 0 if code < 4 else code // 2 - 1
        _DISTANCE_EXTRA[code] = extra
        _FIXED_DISTANCE_BITS[code] = 5
        for index in range(1 << extra):
            if distance <= _SHORT_DATA:
                _DISTANCE_CODE[distance - 1] = code
            distance += 1
    _X_LOG_X[0] = 0.0
    for count in range(1, _SHORT_DATA + 2):
        _X_LOG_X[count] = count * log2(count)


_fill_code_tables()


cdef bint _classic_zlib() noexcept:
    """Whether the zlib linked is classic zlib 1.2.x or 1.3.x at its default
    memory level, whose deflate the PERF arguments here are about."""
    cdef const char* version = zlibVersion()
    cdef Py_ssize_t index = 0
    if strncmp(version, "1.2.", 4) != 0 and strncmp(version, "1.3.", 4) != 0:
        return False
    while version[index] != 0:  # not "1.3.0.zlib-ng", "1.3.0.1-motley"...
        if not (48 <= version[index] <= 57 or version[index] == 46):
            return False
        index += 1
    return DEF_MEM_LEVEL == 8


cdef bint _survey_short_data = _classic_zlib()


# PERF: deflate is run on short data only when zlib.compress makes it 2 bytes
# shorter, which _survey tells from the data alone, exactly, in a fraction of
# deflate's time. The output of level 6 is a function of the data: when no
# chain walk is cut short (_count_symbols checks it, as for the small stream),
# a search meets the earlier positions whose 3 bytes are those of the current
# one (zlib never matches at 0) newest first, keeps the first of each longer
# match, and stops at one of 128 bytes or reaching the end of the data; so
# _count_symbols replays the lazy parse of deflate_slow symbol for symbol.
# Short data makes one block, whose size follows from the counts of its
# symbols: the fixed-code block's directly, the dynamic block's once its
# Huffman trees are built exactly as zlib's trees.c builds them (the same heap
# and tie-breaks, by count then depth, the same length limiting), because the
# code lengths decide the size of the header, which is coded in turn. zlib's
# own sums then pick the smallest of a dynamic, a fixed and a stored block; 2
# bytes of header and 4 of checksum make the length of zlib.compress(data).
# Building the trees costs most of that (a heap's steps are dependent loads
# and hard-to-predict branches), so they are built only when cheaper bounds
# leave the answer open: zlib's block is the smaller of the fixed-code one,
# whose size is known at once, and the dynamic one, which _bound_dynamic_bits
# bounds both ways.
cdef struct _Symbols:
    # The symbols level 6 codes short data in (see _count_symbols), and the
    # tables to build their Huffman trees in: room for the inner nodes, sets
    # of the symbols coded.
    unsigned short literal_counts[2 * _LITERAL_SYMBOLS + 1]
    unsigned short literal_bits[2 * _LITERAL_SYMBOLS + 1]
    _Word literals_coded[_LITERAL_WORDS]
    unsigned short distance_counts[2 * _DISTANCE_CODES + 1]
    unsigned short distance_bits[2 * _DISTANCE_CODES + 1]
    _Word distances_coded


cdef bint _link_positions(
    const unsigned char* data, Py_ssize_t length, unsigned short* earlier
) noexcept nogil:
    """Set ``earlier[p]``, for each position *p* of short *data* 3 bytes from
    its end or more, to the one before it in its bucket of the small table (0
    for none, as in zlib); false, with *earlier* partly set, as soon as a
    bucket holds more than _MAX_WALK positions."""
    cdef unsigned short keys[_SHORT_DATA]
    cdef Py_ssize_t index
    cdef Py_ssize_t linked = 0
    cdef unsigned int key
    cdef bint crowded = False
    for index in range(length - 2):
        key = ((data[index] << 10) ^ (data[index + 1] << 5) ^ data[index + 2]) & (
            _SMALL_HASH_SIZE - 1
        )
        keys[index] = key
        earlier[index] = _buckets[key].newest
        _buckets[key].newest = <unsigned short>index
        _buckets[key].size += 1
        linked = index + 1
        if _buckets[key].size > _MAX_WALK:
            crowded = True
            break
    for index in range(linked):
        _buckets[keys[index]].newest = 0
        _buckets[keys[index]].size = 0
    return not crowded


cdef inline void _add_symbol(
    unsigned short* counts, _Word* coded, unsigned int symbol
) noexcept nogil:
    """Count *symbol* once more, and put it in the set *coded*."""
    counts[symbol] += 1
    coded[symbol >> 6] |= (<_Word>1) << (symbol & 63)


cdef bint _count_symbols(
    const unsigned char* data, Py_ssize_t length, _Symbols* symbols
) noexcept nogil:
    """Count the literals, lengths and distances in which level 6 codes short
    *data* (zlib's deflate_slow), and the end of block; false, with nothing
    counted, when a bucket is crowded."""
    cdef unsigned short earlier[_SHORT_DATA]
    cdef Py_ssize_t position = 0
    cdef Py_ssize_t candidate
    cdef Py_ssize_t match_start = 0
    cdef Py_ssize_t previous_start
    cdef int match_length = _MIN_MATCH - 1
    cdef int previous_length
    cdef int best, limit, nice, common
    cdef bint literal_waits = False  # the byte before *position* is not coded yet
    if not _link_positions(data, length, earlier):
        return False
    memset(symbols.literal_counts, 0, _LITERAL_SYMBOLS * sizeof(unsigned short))
    memset(symbols.literals_coded, 0, sizeof(symbols.literals_coded))
    memset(symbols.distance_counts, 0, _DISTANCE_CODES * sizeof(unsigned short))
    symbols.distances_coded = 0
    _add_symbol(symbols.literal_counts, symbols.literals_coded, _END_OF_BLOCK)
    while position < length:
        previous_length = match_length
        previous_start = match_start
        match_length = _MIN_MATCH - 1
        if position <= length - _MIN_MATCH and previous_length < _MAX_LAZY:
            # A match longer than the one found a byte earlier, if any.
            limit = <int>min(length - position, _MAX_MATCH)
            nice = min(limit, _NICE_MATCH)
            best = previous_length
            candidate = earlier[position] if best < limit else 0
            while candidate != 0:
                # Newest first; only a longer match counts, and one of nice
                # length ends the walk.
                if data[candidate + best] == data[position + best]:
                    common = 0
                    while (
                        common < limit
                        and data[candidate + common] == data[position + common]
                    ):
                        common += 1
                    if common > best:
                        best = match_length = common
                        match_start = candidate
                        if common >= nice:
                            break
                candidate = earlier[candidate]
        if previous_length >= _MIN_MATCH and match_length <= previous_length:
            # The match found a byte earlier is coded; the next search is
            # after it.
            _add_symbol(
                symbols.literal_counts,
                symbols.literals_coded,
                _LENGTH_SYMBOL[previous_length - _MIN_MATCH],
            )
            _add_symbol(
                symbols.distance_counts,
                &symbols.distances_coded,
                _DISTANCE_CODE[position - 2 - previous_start],
            )
            position += previous_length - 1
            literal_waits = False
            match_length = _MIN_MATCH - 1
        elif literal_waits:
            _add_symbol(
                symbols.literal_counts, symbols.literals_coded, data[position - 1]
            )
            position += 1
        else:
            literal_waits = True
            position += 1
    if literal_waits:
        _add_symbol(symbols.literal_counts, symbols.literals_coded, data[length - 1])
    return True


cdef long _fixed_bits(const _Symbols* symbols) noexcept nogil:
    """The bits of the symbols in the fixed codes (zlib's static_len)."""
    cdef long bits = 0
    cdef int word_index, symbol
    cdef _Word word
    for word_index in range(_LITERAL_WORDS):
        word = symbols.literals_coded[word_index]
        while word != 0:
            symbol = word_index * 64 + microweb_lowest_bit(word)
            word &= word - 1
            bits += symbols.literal_counts[symbol] * (
                _FIXED_LITERAL_BITS[symbol] + _LITERAL_EXTRA[symbol]
            )
    word = symbols.distances_coded
    while word != 0:
        symbol = microweb_lowest_bit(word)
        word &= word - 1
        bits += symbols.distance_counts[symbol] * (
            _FIXED_DISTANCE_BITS[symbol] + _DISTANCE_EXTRA[symbol]
        )
    return bits


cdef inline void _bound_run_bits(
    int coded, int zeros, long* fewest, long* most
) noexcept nogil:
    """Add to *fewest* and *most* the bits a dynamic header can take for a run
    of *coded* nonzero code lengths then one of *zeros* zeros, in zlib's
    code-length symbols of 1 to 7 bits each: lengths one by one, or a length
    then repeats of it (3 to 6 at a time, 2 extra bits), so at least
    min(coded, 4) bits and at most 7 each; zeros one by one under 3, else in
    repeats of up to 10 (3 extra bits) or 138 (7) at a time."""
    cdef int part
    fewest[0] += min(coded, 4)
    most[0] += 7 * coded
    while zeros > 0:
        part = min(zeros, 138)
        if part < 3:
            fewest[0] += part
            most[0] += 7 * part
        elif part <= 10:
            fewest[0] += 1 + 3
            most[0] += 7 + 3
        else:
            fewest[0] += 1 + 7
            most[0] += 7 + 7
        zeros -= part


cdef long _bound_dynamic_bits(const _Symbols* symbols, long* most) noexcept nogil:
    """The fewest bits a dynamic block can take for the symbols (zlib's
    opt_len), whatever its codes; the most in *most*. The symbols of a code
    take at least the information in them, N*log2(N) - sum(f*log2(f)) bits (N
    symbols, f the count of each), and at most N bits more (a Huffman code
    takes no more than code lengths of ceil(log2(N/f)), or 1); then their extra
    bits. The header takes 14 bits of counts, 3 for each of 4 to 19 code
    lengths of the code-length code, and the code lengths of the two codes: of
    the literal/length code, whose zeros are known, as _bound_run_bits says;
    of the distance code, 1 bit at least and 7 for each at most (with 3 for
    the codes zlib makes up when it has fewer than 2)."""
    cdef long fewest = 5 + 5 + 4 + 3 * 4 + 1
    cdef long extra = 0
    cdef long literals = 0
    cdef long distances = 0
    cdef double information = 0.0
    cdef int word_index, symbol, count
    cdef int following = 0  # after the last symbol coded so far
    cdef int coded = 0  # in a run up to it
    cdef int last_distance = 2
    cdef _Word word
    most[0] = 5 + 5 + 4 + 3 * 19
    for word_index in range(_LITERAL_WORDS):
        word = symbols.literals_coded[word_index]
        while word != 0:
            symbol = word_index * 64 + microweb_lowest_bit(word)
            word &= word - 1
            count = symbols.literal_counts[symbol]
            literals += count
            information -= _X_LOG_X[count]
            extra += count * _LITERAL_EXTRA[symbol]
            if symbol > following:
                _bound_run_bits(coded, symbol - following, &fewest, most)
                coded = 0
            coded += 1
            following = symbol + 1
    _bound_run_bits(coded, 0, &fewest, most)
    word = symbols.distances_coded
    while word != 0:
        symbol = microweb_lowest_bit(word)
        word &= word - 1
        count = symbols.distance_counts[symbol]
        distances += count
        information -= _X_LOG_X[count]
        extra += count * _DISTANCE_EXTRA[symbol]
        last_distance = max(last_distance, symbol)
    most[0] += 7 * (last_distance + 1)
    information += _X_LOG_X[literals] + _X_LOG_X[distances]
    # Past any rounding error, either way.
    most[0] += extra + <long>ceil(information + literals + distances + 1e-6)
    information -= 1e-6 * (literals + distances)
    fewest += extra
    if information > 0:
        fewest += <long>ceil(information)
    return fewest


cdef struct _TreeBuilder:
    # Room for building the Huffman trees of a block, one at a time.
    unsigned int heap[_HEAP_SIZE + 1]  # heap[1], heap[2]...: zlib's heap
    unsigned short taken[_HEAP_SIZE]  # taken out of it, from the end down
    unsigned short parent[_HEAP_SIZE]
    long dynamic_bits  # of the block in these codes, and most of its header


cdef inline void _sift_down(
    unsigned int* heap, int heap_length, int index
) noexcept nogil:
    """Move the entry at heap[index] down to its place (zlib's pqdownheap: an
    entry goes below the lighter child, the right one on a tie, unless it is
    not heavier; a sentinel entry, heavier than all, follows the heap)."""
    cdef unsigned int entry = heap[index]
    cdef unsigned int lightest = entry & ~(<unsigned int>_NODE_MASK)  # of its key
    cdef unsigned int left, right
    cdef int child = index * 2
    cdef bint take_right
    while child <= heap_length:
        left = heap[child]
        right = heap[child + 1]
        # Compared without the nodes (as entry >> _NODE_BITS), branch-free.
        take_right = right <= (left | _NODE_MASK)
        child += take_right
        left = right if take_right else left
        if left >= lightest:
            break
        heap[index] = left
        index = child
        child *= 2
    heap[index] = entry


cdef int _build_tree(
    _TreeBuilder* builder,
    unsigned short* counts,
    _Word* coded,
    unsigned short* bits,
    int symbols,
    int max_bits,
    const unsigned char* extra_bits,
) noexcept nogil:
    """Give the symbols of the set *coded* their code lengths in *bits* (with
    room for the inner nodes, from *symbols* on; the other symbols get 0) as
    zlib's build_tree does, from their *counts*, and add to the builder the
    bits they take in that code with their *extra_bits*. Return the last
    symbol coded."""
    cdef unsigned int* heap = builder.heap
    cdef unsigned short* taken = builder.taken
    cdef unsigned short* parent = builder.parent
    cdef int length_counts[_MAX_CODE_BITS + 1]
    cdef int heap_length = 0
    cdef int taken_from = _HEAP_SIZE
    cdef int last = -1
    cdef int overflow = 0
    cdef int word_index, symbol, node, index, code_bits, depth, left
    cdef unsigned int first, second
    cdef _Word word
    memset(bits, 0, symbols * sizeof(unsigned short))
    for word_index in range((symbols + 63) >> 6):
        word = coded[word_index]
        while word != 0:
            last = word_index * 64 + microweb_lowest_bit(word)
            word &= word - 1
            heap_length += 1
            heap[heap_length] = (<unsigned int>counts[last] << _COUNT_SHIFT) | last
    while heap_length < 2:
        # A code of one symbol or none still gets two, counted once.
        if last < 2:
            last += 1
            node = last
        else:
            node = 0
        heap_length += 1
        heap[heap_length] = (1 << _COUNT_SHIFT) | node
        counts[node] = 1
        coded[node >> 6] |= (<_Word>1) << (node & 63)
        builder.dynamic_bits -= 1
    heap[heap_length + 1] = 0xFFFFFFFF
    for index in range(heap_length // 2, 0, -1):
        _sift_down(heap, heap_length, index)
    # Join the two lightest nodes until one is left, the root.
    node = symbols
    while True:
        first = heap[1]
        heap[1] = heap[heap_length]
        heap[heap_length] = 0xFFFFFFFF
        heap_length -= 1
        _sift_down(heap, heap_length, 1)
        second = heap[1]
        taken_from -= 2
        taken[taken_from + 1] = first & _NODE_MASK
        taken[taken_from] = second & _NODE_MASK
        parent[first & _NODE_MASK] = parent[second & _NODE_MASK] = node
        depth = max((first >> _NODE_BITS) & 63, (second >> _NODE_BITS) & 63) + 1
        heap[1] = (
            ((first >> _COUNT_SHIFT) + (second >> _COUNT_SHIFT)) << _COUNT_SHIFT
            | depth << _NODE_BITS
            | node
        )
        node += 1
        _sift_down(heap, heap_length, 1)
        if heap_length < 2:
            break
    taken_from -= 1
    taken[taken_from] = heap[1] & _NODE_MASK
    # Each node a bit deeper than its parent, at most max_bits (gen_bitlen).
    bits[taken[taken_from]] = 0
    for index in range(taken_from + 1, _HEAP_SIZE):
        node = taken[index]
        code_bits = bits[parent[node]] + 1
        if code_bits > max_bits:
            code_bits = max_bits
            overflow += 1  # inner nodes too, as zlib counts
        bits[node] = code_bits
    memset(length_counts, 0, sizeof(length_counts))
    for word_index in range((symbols + 63) >> 6):
        word = coded[word_index]
        while word != 0:
            symbol = word_index * 64 + microweb_lowest_bit(word)
            word &= word - 1
            length_counts[bits[symbol]] += 1
            builder.dynamic_bits += counts[symbol] * (bits[symbol] + extra_bits[symbol])
    if overflow == 0:
        return last
    # Too deep: move leaves up from max_bits, 2 at a time, as zlib does, then
    # give the lengths out again, the longest to the first taken out.
    while overflow > 0:
        code_bits = max_bits - 1
        while length_counts[code_bits] == 0:
            code_bits -= 1
        length_counts[code_bits] -= 1
        length_counts[code_bits + 1] += 2
        length_counts[max_bits] -= 1
        overflow -= 2
    index = _HEAP_SIZE
    for code_bits in range(max_bits, 0, -1):
        left = length_counts[code_bits]
        while left != 0:
            index -= 1
            node = taken[index]
            if node > last:
                continue  # an inner node
            if bits[node] != code_bits:
                builder.dynamic_bits += (code_bits - bits[node]) * counts[node]
                bits[node] = code_bits
            left -= 1
    return last


cdef void _count_run(int code_bits, int run, unsigned short* counts) noexcept nogil:
    """Count the code-length symbols of a run of *run* equal code lengths, the
    whole run, as zlib's scan_tree does: a zero repeated 11 to 138 times, or 3
    to 10; a length then repeats of it 3 to 6 times; fewer one by one."""
    cdef int part
    if code_bits == 0:
        while run > 0:
            part = min(run, 138)
            if part < 3:
                counts[0] += part
            elif part <= 10:
                counts[_REPEAT_ZERO] += 1
            else:
                counts[_REPEAT_ZEROS] += 1
            run -= part
        return
    part = min(run, 7)  # the length itself, then repeats
    if part < 4:
        counts[code_bits] += part
    else:
        counts[code_bits] += 1
        counts[_REPEAT_LENGTH] += 1
    run -= part
    while run > 0:
        part = min(run, 6)
        if part < 3:
            counts[code_bits] += part
        else:
            counts[_REPEAT_LENGTH] += 1
        run -= part


cdef void _count_code_lengths(
    const unsigned short* bits,
    const _Word* coded,
    int symbols,
    unsigned short* counts,
) noexcept nogil:
    """Count in *counts* the code-length symbols that give the code lengths
    *bits* of a code up to its last symbol coded (in the set *coded*): its
    runs of zeros and of equal lengths, each as zlib's scan_tree counts it."""
    cdef int word_index, symbol
    cdef int following = 0  # the first symbol not counted
    cdef int run_bits = 0  # a run of lengths not counted yet, if run > 0
    cdef int run = 0
    cdef _Word word
    for word_index in range((symbols + 63) >> 6):
        word = coded[word_index]
        while word != 0:
            symbol = word_index * 64 + microweb_lowest_bit(word)
            word &= word - 1
            if symbol == following and bits[symbol] == run_bits:
                run += 1
            else:
                if run > 0:
                    _count_run(run_bits, run, counts)
                if symbol > following:
                    _count_run(0, symbol - following, counts)
                run_bits = bits[symbol]
                run = 1
            following = symbol + 1
    if run > 0:
        _count_run(run_bits, run, counts)


cdef long _dynamic_bits(_Symbols* symbols) noexcept nogil:
    """The bits the dynamic block takes for the symbols, but for its first 3
    (zlib's opt_len), its trees built as zlib builds them (which adds to the
    symbols those zlib makes up for a code of fewer than 2: count the others
    first)."""
    cdef unsigned short code_length_counts[2 * _CODE_LENGTH_SYMBOLS + 1]
    cdef unsigned short code_length_bits[2 * _CODE_LENGTH_SYMBOLS + 1]
    cdef _Word code_lengths_coded = 0
    cdef _TreeBuilder builder
    cdef int symbol, sent
    builder.dynamic_bits = 0
    _build_tree(
        &builder,
        symbols.literal_counts,
        symbols.literals_coded,
        symbols.literal_bits,
        _LITERAL_SYMBOLS,
        _MAX_CODE_BITS,
        _LITERAL_EXTRA,
    )
    _build_tree(
        &builder,
        symbols.distance_counts,
        &symbols.distances_coded,
        symbols.distance_bits,
        _DISTANCE_CODES,
        _MAX_CODE_BITS,
        _DISTANCE_EXTRA,
    )
    memset(code_length_counts, 0, _CODE_LENGTH_SYMBOLS * sizeof(unsigned short))
    _count_code_lengths(
        symbols.literal_bits,
        symbols.literals_coded,
        _LITERAL_SYMBOLS,
        code_length_counts,
    )
    _count_code_lengths(
        symbols.distance_bits,
        &symbols.distances_coded,
        _DISTANCE_CODES,
        code_length_counts,
    )
    for symbol in range(_CODE_LENGTH_SYMBOLS):
        code_lengths_coded |= (<_Word>(code_length_counts[symbol] != 0)) << symbol
    _build_tree(
        &builder,
        code_length_counts,
        &code_lengths_coded,
        code_length_bits,
        _CODE_LENGTH_SYMBOLS,
        _MAX_CODE_LENGTH_BITS,
        _CODE_LENGTH_EXTRA,
    )
    # The header gives the code-length code's lengths (3 bits each, at least
    # 4, in their order up to the last used) and three counts (5, 5, 4 bits).
    sent = _CODE_LENGTH_SYMBOLS
    while sent > 4 and code_length_bits[_CODE_LENGTH_ORDER[sent - 1]] == 0:
        sent -= 1
    return builder.dynamic_bits + 3 * sent + 5 + 5 + 4


cdef Py_ssize_t _block_bytes(
    Py_ssize_t length, long dynamic_bits, long fixed_bits
) noexcept nogil:
    """The bytes of zlib's block for short data of *length* bytes whose
    dynamic and fixed blocks take these bits but for their first 3: the
    fewer, or a stored block (a byte of header, 4 of lengths, the data) when
    that is not 4 bytes shorter than the data. It grows with *dynamic_bits*."""
    cdef Py_ssize_t block = min((dynamic_bits + 3 + 7) >> 3, (fixed_bits + 3 + 7) >> 3)
    if length + 4 <= block:
        return length + 5
    return block


cdef int _survey(const unsigned char* data, Py_ssize_t length) noexcept nogil:
    """How to pack short *data*: _NOT_SHORTER if zlib.compress does not make it
    2 bytes shorter, else _USE_SMALL if the small stream deflates it as
    zlib.compress does, else _USE_DEFAULT."""
    cdef _Symbols symbols
    cdef long fixed_bits, fewest_bits, most_bits
    # zlib.compress makes the data 2 bytes shorter when its block takes this
    # many bytes at most (6 more are its header and checksum).
    cdef Py_ssize_t gainful = length - 8
    if not _count_symbols(data, length, &symbols):
        return _USE_DEFAULT
    fixed_bits = _fixed_bits(&symbols)
    fewest_bits = _bound_dynamic_bits(&symbols, &most_bits)
    if _block_bytes(length, most_bits, fixed_bits) <= gainful:
        return _USE_SMALL
    if _block_bytes(length, fewest_bits, fixed_bits) > gainful:
        return _NOT_SHORTER
    if _block_bytes(length, _dynamic_bits(&symbols), fixed_bits) > gainful:
        return _NOT_SHORTER
    return _USE_SMALL


def _zlib_length_model(bytes data):
    """``len(zlib.compress(data))`` as _survey reckons it: the bounds it tries
    first and the exact length, as ``(at_least, length, at_most)``; None where
    it does not (zlib not classic, data longer than _SHORT_DATA, a crowded
    bucket). For the tests."""
    cdef _Symbols symbols
    cdef long fixed_bits, fewest_bits, most_bits
    cdef Py_ssize_t length = PyBytes_GET_SIZE(data)
    if not _survey_short_data or length > _SHORT_DATA:
        return None
    if not _count_symbols(
        <const unsigned char*>PyBytes_AS_STRING(data), length, &symbols
    ):
        return None
    fixed_bits = _fixed_bits(&symbols)
    fewest_bits = _bound_dynamic_bits(&symbols, &most_bits)
    return (
        6 + _block_bytes(length, fewest_bits, fixed_bits),
        6 + _block_bytes(length, _dynamic_bits(&symbols), fixed_bits),
        6 + _block_bytes(length, most_bits, fixed_bits),
    )


cdef z_stream* _deflate_stream(bint small) except NULL:
    """The process's deflate stream for short data or for any, reset."""
    global _deflater_ready, _small_deflater_ready
    cdef z_stream* stream = &_small_deflater if small else &_deflater
    cdef bint* ready = &_small_deflater_ready if small else &_deflater_ready
    if ready[0]:
        deflateReset(stream)
        return stream
    stream.zalloc = NULL
    stream.zfree = NULL
    stream.opaque = NULL
    if deflateInit2(
        stream,
        Z_DEFAULT_COMPRESSION,
        Z_DEFLATED,
        MAX_WBITS,
        _SMALL_MEM_LEVEL if small else DEF_MEM_LEVEL,
        Z_DEFAULT_STRATEGY,
    ) != Z_OK:
        raise MemoryError("deflateInit2 failed")
    ready[0] = True
    return stream


cdef bytes _compress(bytes data, bint small):
    cdef unsigned long bound
    cdef unsigned char* buffer
    cdef int status
    cdef bytes result
    cdef z_stream* stream = _deflate_stream(small)
    bound = deflateBound(stream, PyBytes_GET_SIZE(data))
    buffer = <unsigned char*>malloc(bound)
    if buffer == NULL:
        raise MemoryError()
    try:
        stream.next_in = <unsigned char*>PyBytes_AS_STRING(data)
        stream.avail_in = <unsigned int>PyBytes_GET_SIZE(data)
        stream.next_out = buffer
        stream.avail_out = <unsigned int>bound
        status = deflate(stream, Z_FINISH)
        if status != Z_STREAM_END:
            deflateReset(stream)
            return zlib.compress(data)
        result = PyBytes_FromStringAndSize(<char*>buffer, bound - stream.avail_out)
    finally:
        free(buffer)
    return result


# PERF: likewise one inflate stream, reset between payloads; its output goes into
# a buffer that grows up to MAX_DECOMPRESSED.
cdef z_stream _inflater
cdef bint _inflater_ready = False


cdef bytes _inflate(bytes data):
    global _inflater_ready
    cdef Py_ssize_t capacity = 256
    cdef Py_ssize_t produced = 0
    cdef unsigned char* buffer
    cdef unsigned char* grown
    cdef int status
    if not _inflater_ready:
        _inflater.zalloc = NULL
        _inflater.zfree = NULL
        _inflater.opaque = NULL
        _inflater.next_in = NULL
        _inflater.avail_in = 0
        if inflateInit(&_inflater) != Z_OK:
            raise MemoryError("inflateInit failed")
        _inflater_ready = True
    else:
        inflateReset(&_inflater)
    buffer = <unsigned char*>malloc(capacity)
    if buffer == NULL:
        raise MemoryError()
    try:
        _inflater.next_in = <unsigned char*>PyBytes_AS_STRING(data)
        _inflater.avail_in = <unsigned int>PyBytes_GET_SIZE(data)
        while True:
            _inflater.next_out = buffer + produced
            _inflater.avail_out = <unsigned int>(capacity - produced)
            status = inflate(&_inflater, Z_NO_FLUSH)
            produced = capacity - _inflater.avail_out
            if status == Z_STREAM_END:
                break
            if status != Z_OK and status != Z_BUF_ERROR:
                raise ValueError("the payload is not a valid zlib stream")
            if _inflater.avail_out == 0:
                if capacity >= _MAX_DECOMPRESSED:
                    raise ValueError(
                        "the payload does not inflate within the size limit"
                    )
                capacity = min(capacity * 4, _MAX_DECOMPRESSED)
                grown = <unsigned char*>realloc(buffer, capacity)
                if grown == NULL:
                    raise MemoryError()
                buffer = grown
            elif _inflater.avail_in == 0:
                raise ValueError("the payload ends before the zlib stream does")
        return PyBytes_FromStringAndSize(<char*>buffer, produced)
    finally:
        free(buffer)


cpdef bytes dump_payload(bytes data):
    """Pack serialized *data*: compressed when that is shorter, then base64."""
    # PERF: short data is surveyed first (see _survey), which tells whether
    # deflating pays, to skip deflate or use the small stream.
    cdef int use = _USE_DEFAULT
    cdef bytes compressed
    if _survey_short_data and PyBytes_GET_SIZE(data) <= _SHORT_DATA:
        use = _survey(
            <const unsigned char*>PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data)
        )
        if use == _NOT_SHORTER:
            return b64encode(data)
    compressed = _compress(data, use == _USE_SMALL)
    if len(compressed) < len(data) - 1:
        return b"." + b64encode(compressed)
    return b64encode(data)


cpdef bytes load_payload(bytes payload):
    """Unpack a payload made by :func:`dump_payload`; ``BadPayload`` if it is not
    one."""
    cdef bint compressed = payload[:1] == b"."
    if compressed:
        payload = payload[1:]
    try:
        data = b64decode(payload)
    except Exception as error:
        raise BadPayload(
            "Could not base64 decode the payload because of an exception",
            original_error=error,
        ) from error
    if not compressed:
        return data
    try:
        data = _inflate(data)
    except Exception as error:
        raise BadPayload(
            "Could not zlib decompress the payload before decoding the payload",
            original_error=error,
        ) from error
    return data


cpdef bytes timestamp_bytes(unsigned long long timestamp):
    """*timestamp* as base64 of its big-endian bytes, leading zeros stripped."""
    # PERF: the bytes are laid out here rather than through int.to_bytes and strip.
    cdef unsigned char octets[8]
    cdef int index
    cdef int first = 8
    cdef unsigned long long remaining = timestamp
    for index in range(7, -1, -1):
        octets[index] = remaining & 0xFF
        remaining >>= 8
    for index in range(8):
        if octets[index] != 0:
            first = index
            break
    return b64encode(PyBytes_FromStringAndSize(<char*>octets + first, 8 - first))


cpdef object read_timestamp(bytes octets):
    """The timestamp in *octets* (big-endian, at most eight bytes), or ``None``."""
    # PERF: the number is read here rather than through int.from_bytes.
    cdef const unsigned char* data = <const unsigned char*>PyBytes_AS_STRING(octets)
    cdef Py_ssize_t index
    cdef unsigned long long timestamp = 0
    if PyBytes_GET_SIZE(octets) > 8:
        return None
    for index in range(PyBytes_GET_SIZE(octets)):
        timestamp = (timestamp << 8) | data[index]
    return timestamp


# PERF: HMAC-SHA1 (Flask's session signature) is hashed here, on the processor's
# SHA instructions, when it has them: a message's HMAC is then two blocks of
# work with no Python object but the result. Elsewhere, and for every other
# digest, hashlib does it.
cdef extern from *:
    """
    #if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
    #include <cpuid.h>
    #include <immintrin.h>

    /* Whether the processor has the SHA extensions (CPUID leaf 7, EBX bit 29)
       and SSE4.1 (leaf 1, ECX bit 19), which sha1_block_x86 uses. */
    static int sha1_extensions_present(void) {
        unsigned int eax, ebx, ecx, edx;
        if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & (1u << 19))) return 0;
        if (__get_cpuid_max(0, 0) < 7) return 0;
        __cpuid_count(7, 0, eax, ebx, ecx, edx);
        return (ebx >> 29) & 1;
    }

    /* Rounds 4*index to 4*index+3, with the round function of their fifth of the
       80: the schedule makes words 16 on from the four vectors of the last 16,
       E comes from the A of four rounds back. */
    #define SHA1_FOUR_ROUNDS(function, index) \\
        do { \\
            if ((index) >= 4) \\
                words[(index) & 3] = _mm_sha1msg2_epu32( \\
                    _mm_xor_si128( \\
                        _mm_sha1msg1_epu32(words[(index) & 3], words[((index) + 1) & 3]), \\
                        words[((index) + 2) & 3]), \\
                    words[((index) + 3) & 3]); \\
            e_words = (index) == 0 ? _mm_add_epi32(e, words[0]) \\
                                   : _mm_sha1nexte_epu32(previous, words[(index) & 3]); \\
            previous = abcd; \\
            abcd = _mm_sha1rnds4_epu32(abcd, e_words, function); \\
        } while (0)

    /* Hash one 64-byte block into state (A to E). */
    __attribute__((target("sha,sse4.1")))
    static void sha1_block_x86(unsigned int *state, const unsigned char *block) {
        const __m128i big_endian = _mm_set_epi64x(0x0001020304050607LL, 0x08090a0b0c0d0e0fLL);
        const __m128i abcd_before = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)state), 0x1B);
        const __m128i e_before = _mm_set_epi32((int)state[4], 0, 0, 0);
        __m128i abcd = abcd_before, e = e_before, previous = abcd_before, e_words, words[4];
        int index;
        for (index = 0; index < 4; index++)
            words[index] = _mm_shuffle_epi8(
                _mm_loadu_si128((const __m128i *)(block + 16 * index)), big_endian);
        SHA1_FOUR_ROUNDS(0, 0); SHA1_FOUR_ROUNDS(0, 1); SHA1_FOUR_ROUNDS(0, 2);
        SHA1_FOUR_ROUNDS(0, 3); SHA1_FOUR_ROUNDS(0, 4); SHA1_FOUR_ROUNDS(1, 5);
        SHA1_FOUR_ROUNDS(1, 6); SHA1_FOUR_ROUNDS(1, 7); SHA1_FOUR_ROUNDS(1, 8);
        SHA1_FOUR_ROUNDS(1, 9); SHA1_FOUR_ROUNDS(2, 10); SHA1_FOUR_ROUNDS(2, 11);
        SHA1_FOUR_ROUNDS(2, 12); SHA1_FOUR_ROUNDS(2, 13); SHA1_FOUR_ROUNDS(2, 14);
        SHA1_FOUR_ROUNDS(3, 15); SHA1_FOUR_ROUNDS(3, 16); SHA1_FOUR_ROUNDS(3, 17);
        SHA1_FOUR_ROUNDS(3, 18); SHA1_FOUR_ROUNDS(3, 19);
        e = _mm_sha1nexte_epu32(previous, e_before);
        _mm_storeu_si128((__m128i *)state, _mm_shuffle_epi32(_mm_add_epi32(abcd, abcd_before), 0x1B));
        state[4] = (unsigned int)_mm_extract_epi32(e, 3);
    }
    #else
    static int sha1_extensions_present(void) { return 0; }
    static void sha1_block_x86(unsigned int *state, const unsigned char *block) {
        (void)state; (void)block;
    }
    #endif
    """
    int sha1_extensions_present() noexcept nogil
    void sha1_block_x86(uint32_t* state, const unsigned char* block) noexcept nogil

#: Whether HMAC-SHA1 runs on the SHA instructions here.
cdef bint _sha1_extensions = sha1_extensions_present()


# The bytes of a key XORed with HMAC's inner and outer pads, as translation tables.
cdef bytes _INNER_PAD = bytes([octet ^ 0x36 for octet in range(256)])
cdef bytes _OUTER_PAD = bytes([octet ^ 0x5C for octet in range(256)])
#: (key, digest) -> HMAC with that key, started (its padded key hashed): the
#: inner and outer hashes, whose copies a message's HMAC continues; for SHA-1 on
#: the SHA instructions, their two states (A to E) in 40 bytes.
cdef dict _HMAC_STARTS = {}
cdef Py_ssize_t _MAX_HMAC_STARTS = 64
#: SHA-1's initial state.
cdef uint32_t[5] _SHA1_START = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0]


cdef object _hmac_start(bytes key, str digest):
    """HMAC's inner and outer hashes for *key* (RFC 2104), each fed its padded key."""
    inner = _new_hash(digest)
    cdef Py_ssize_t block_size = inner.block_size
    cdef bytes states
    cdef uint32_t* state
    if PyBytes_GET_SIZE(key) > block_size:
        key = _new_hash(digest, key).digest()
    key = key.ljust(block_size, b"\x00")
    if _sha1_extensions and digest == "sha1":
        states = PyBytes_FromStringAndSize(NULL, 40)
        state = <uint32_t*>PyBytes_AS_STRING(states)
        memcpy(state, _SHA1_START, 20)
        memcpy(state + 5, _SHA1_START, 20)
        sha1_block_x86(state, <const unsigned char*>PyBytes_AS_STRING(key.translate(_INNER_PAD)))
        sha1_block_x86(state + 5, <const unsigned char*>PyBytes_AS_STRING(key.translate(_OUTER_PAD)))
        return states
    inner.update(key.translate(_INNER_PAD))
    outer = _new_hash(digest, key.translate(_OUTER_PAD))
    return inner, outer


cdef void _sha1_after_block(
    const uint32_t* start, const unsigned char* data, Py_ssize_t length, unsigned char* digest
) noexcept nogil:
    """SHA-1 of one 64-byte block (hashed into *start*) followed by *data*."""
    cdef uint32_t state[5]
    cdef unsigned char last[128]
    cdef Py_ssize_t rest
    cdef Py_ssize_t padded
    cdef unsigned long long bits = (64 + <unsigned long long>length) * 8
    cdef int index
    memcpy(state, start, 20)
    while length >= 64:
        sha1_block_x86(state, data)
        data += 64
        length -= 64
    # The last bytes, a 1 bit, zeros and the length in bits end the message.
    rest = length
    padded = 64 if rest < 56 else 128
    memcpy(last, data, rest)
    last[rest] = 0x80
    memset(last + rest + 1, 0, padded - rest - 9)
    for index in range(8):
        last[padded - 1 - index] = <unsigned char>(bits >> (8 * index))
    sha1_block_x86(state, last)
    if padded == 128:
        sha1_block_x86(state, last + 64)
    for index in range(5):
        digest[4 * index] = <unsigned char>(state[index] >> 24)
        digest[4 * index + 1] = <unsigned char>(state[index] >> 16)
        digest[4 * index + 2] = <unsigned char>(state[index] >> 8)
        digest[4 * index + 3] = <unsigned char>state[index]


cdef object _started(bytes key, str digest):
    """HMAC with *key* and *digest*, started (see _HMAC_STARTS)."""
    start = _HMAC_STARTS.get((key, digest))
    if start is None:
        if len(_HMAC_STARTS) >= _MAX_HMAC_STARTS:
            _HMAC_STARTS.clear()
        start = _HMAC_STARTS[key, digest] = _hmac_start(key, digest)
    return start


cdef void _sha1_hmac(
    bytes states, const unsigned char* data, Py_ssize_t length, unsigned char* digest
) noexcept:
    """HMAC-SHA1 of *data* from its started *states*, into *digest* (20 bytes)."""
    cdef const uint32_t* start = <const uint32_t*>PyBytes_AS_STRING(states)
    cdef unsigned char inner_digest[20]
    _sha1_after_block(start, data, length, inner_digest)
    _sha1_after_block(start + 5, inner_digest, 20, digest)


cpdef bytes mac(bytes key, bytes value, str digest):
    """``hmac.digest(key, value, digest)``, the key's padded hashes made once per
    key rather than once per message."""
    cdef bytes result
    start = _started(key, digest)
    if type(start) is bytes:
        result = PyBytes_FromStringAndSize(NULL, 20)
        _sha1_hmac(
            start,
            <const unsigned char*>PyBytes_AS_STRING(value),
            PyBytes_GET_SIZE(value),
            <unsigned char*>PyBytes_AS_STRING(result),
        )
        return result
    inner = start[0].copy()
    inner.update(value)
    outer = start[1].copy()
    outer.update(inner.digest())
    return outer.digest()


cpdef bytes sign(bytes value, bytes key, str digest, unsigned long long timestamp):
    """``value.timestamp.signature``, the signature made with *key*."""
    cdef bytes stamp
    cdef bytes signed
    cdef char* target
    cdef Py_ssize_t length
    cdef unsigned char signature[20]
    start = _started(key, digest)
    if type(start) is not bytes:
        value = value + SEPARATOR + timestamp_bytes(timestamp)
        return value + SEPARATOR + b64encode(mac(key, value, digest))
    # PERF: for HMAC-SHA1 on the SHA instructions, the token is laid out in one
    # buffer and its signature taken over the start of it, in place.
    stamp = timestamp_bytes(timestamp)
    length = PyBytes_GET_SIZE(value) + 1 + PyBytes_GET_SIZE(stamp)
    signed = PyBytes_FromStringAndSize(NULL, length + 1 + 27)
    target = PyBytes_AS_STRING(signed)
    memcpy(target, PyBytes_AS_STRING(value), PyBytes_GET_SIZE(value))
    target[PyBytes_GET_SIZE(value)] = 46  # .
    memcpy(
        target + PyBytes_GET_SIZE(value) + 1,
        PyBytes_AS_STRING(stamp),
        PyBytes_GET_SIZE(stamp),
    )
    target[length] = 46
    _sha1_hmac(start, <const unsigned char*>target, length, signature)
    _b64_into(signature, 20, target + length + 1)
    return signed


cdef bint _verify(bytes value, bytes signature, tuple keys, str digest) except -1:
    try:
        expected = b64decode(signature)
    except Exception:
        return False
    for key in keys:
        if _compare_digest(expected, mac(key, value, digest)):
            return True
    return False


cdef int _verify_sha1(bytes signed, Py_ssize_t cut, tuple keys) except -2:
    """Whether what follows ``signed[cut]`` is the HMAC-SHA1 of what precedes it
    under one of *keys*: 1 or 0; -1 when this cannot tell (a signature that is not
    27 characters of the alphabet, a key not hashed on the SHA instructions)."""
    # PERF: the signature is decoded and the MAC taken in place, with no slices.
    cdef const unsigned char* data = <const unsigned char*>PyBytes_AS_STRING(signed)
    cdef unsigned char expected[20]
    cdef unsigned char computed[20]
    cdef int index
    cdef unsigned char difference
    if PyBytes_GET_SIZE(signed) - cut - 1 != 27:
        return -1
    if not _b64_decode_into(data + cut + 1, 27, expected):
        return -1
    for key in keys:
        start = _started(key, "sha1")
        if type(start) is not bytes:
            return -1
        _sha1_hmac(start, data, cut, computed)
        difference = 0
        for index in range(20):
            difference |= computed[index] ^ expected[index]
        if difference == 0:
            return 1
    return 0


def signed_at(timestamp, bytes value):
    """*timestamp* as an aware UTC datetime; ``BadTimeSignature`` when no datetime
    can hold it."""
    try:
        return datetime.fromtimestamp(timestamp, tz=timezone.utc)
    except (ValueError, OSError, OverflowError) as error:
        raise BadTimeSignature("Malformed timestamp", payload=value) from error


cdef Py_ssize_t _last_separator(bytes data, Py_ssize_t end) noexcept:
    """Where the last ``.`` of ``data[:end]`` is, or -1."""
    cdef const char* octets = PyBytes_AS_STRING(data)
    cdef Py_ssize_t index = end - 1
    while index >= 0:
        if octets[index] == 46:  # .
            return index
        index -= 1
    return -1


cpdef tuple unsign(bytes signed, tuple keys, str digest):
    """Verify *signed* against *keys* (newest first); return the value and its
    timestamp. ``BadTimeSignature`` (or ``BadSignature``) when it does not hold."""
    # PERF: each part is cut out where the last separator is, found from the end,
    # rather than by a separator test and an rsplit (and its list); the signed
    # value (before the signature) is cut out only for an error.
    cdef Py_ssize_t cut = _last_separator(signed, PyBytes_GET_SIZE(signed))
    cdef Py_ssize_t end = 0  # where the signed value ends
    cdef int verified = -1
    error = None
    if cut < 0:
        error = BadSignature(f"No {SEPARATOR!r} found in value")
    else:
        end = cut
        if _sha1_extensions and digest == "sha1":
            verified = _verify_sha1(signed, cut, keys)
        if verified < 0:
            verified = _verify(signed[:cut], signed[cut + 1:], keys, digest)
        if not verified:
            signature = signed[cut + 1:]
            error = BadSignature(
                f"Signature {signature!r} does not match", payload=signed[:cut]
            )
    cut = _last_separator(signed, end)
    if cut < 0:
        if error is not None:
            raise error
        raise BadTimeSignature("timestamp missing", payload=signed[:end])
    value = signed[:cut]
    timestamp_part = signed[cut + 1:end]
    try:
        timestamp = read_timestamp(b64decode(timestamp_part))
    except Exception:
        timestamp = None
    if error is not None:
        date_signed = None if timestamp is None else signed_at(timestamp, value)
        raise BadTimeSignature(str(error), payload=value, date_signed=date_signed)
    if timestamp is None:
        raise BadTimeSignature("Malformed timestamp", payload=value)
    return value, timestamp


cpdef str pack_and_sign(
    bytes data, bytes key, str digest, unsigned long long timestamp
):
    """``sign(dump_payload(data), key, digest, timestamp)`` as text: the token of
    serialized *data*."""
    cdef bytes signed = sign(dump_payload(data), key, digest, timestamp)
    return PyUnicode_DecodeASCII(
        PyBytes_AS_STRING(signed), PyBytes_GET_SIZE(signed), NULL
    )


cpdef bytes verify_and_unpack(
    bytes signed, tuple keys, str digest, long long now, max_age
):
    """The data of the token *signed*, verified and unpacked, when it was signed
    at most *max_age* seconds before *now*, not after, and at a date every
    platform holds; ``None`` when it was not (the caller tells which). Raises as
    :func:`unsign` and :func:`load_payload` do."""
    value, timestamp = unsign(signed, keys, digest)
    age = now - timestamp
    if timestamp >= ALWAYS_DATED or age > max_age or age < 0:
        return None
    return load_payload(value)


include "_compact_json.pxi"
