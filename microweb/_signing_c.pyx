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
# that none holds more than 32 positions, and then no walk is cut short in
# either table. Short data also stays within the small stream's symbol buffer
# (4095 symbols), so both streams end their one block at the end of the data.
# All this is the deflate of classic zlib 1.2.x and 1.3.x at its default
# memory level; other builds (zlib-ng, forks hashing otherwise) only ever get
# the default stream.
cdef z_stream _small_deflater
cdef bint _small_deflater_ready = False

cdef enum:
    _SMALL_MEM_LEVEL = 6
    _SMALL_HASH_SIZE = 1 << 13  # 13 bits: memory level + 7
    _HASH_SIZE = 1 << 15  # at the default memory level
    #: The most bytes _survey looks at: on longer data counting costs about
    #: what the small stream saves.
    _SHORT_DATA = 350
    #: The fewest entries a level-6 chain walk may visit.
    _MAX_WALK = 32
    # What _survey finds for some data.
    _USE_DEFAULT = 0
    _USE_SMALL = 1
    _NOT_SHORTER = 2

#: Positions in each bucket of the small table while _survey runs, else zero.
cdef unsigned char _bucket_sizes[_SMALL_HASH_SIZE]
#: A bit per bucket of the default table: whether _survey has put a position
#: in it. All zero between calls.
cdef unsigned char _buckets_used[_HASH_SIZE >> 3]
#: f * log2(f) for every count f in short data and its end of block.
cdef double _X_LOG_X[_SHORT_DATA + 2]


cdef void _fill_x_log_x() noexcept:
    cdef int count
    _X_LOG_X[0] = 0.0
    for count in range(1, _SHORT_DATA + 2):
        _X_LOG_X[count] = count * log2(count)


_fill_x_log_x()


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


# PERF: when no 3 bytes of the data occur twice, deflate has nothing to match
# and codes literals only, in one block for short data. A stored or fixed-code
# block then takes at least as many bytes as the data, so only a dynamic block
# could make the zlib stream (6 more bytes of header and checksum) 2 bytes
# shorter than the data, and zlib's takes at least: 3 bits of header, 14 of
# table sizes, 12 for 4 code-length code lengths, 1 for the distance code
# lengths; for the 257 literal code lengths (nonzero exactly for the bytes used
# and the end of block), 1 bit per run of nonzero lengths and min(g, 3) per run
# of g zeros (a code-length symbol stands for one value and costs a bit, and
# one repeating it 3 times or more carries 2 extra bits or more); and for the
# n literals and the end of block, whatever the code, at least
# N*log2(N) - sum(f*log2(f)) bits (N = n + 1, f the counts). When even that
# is not 2 bytes shorter than the data, deflate is not run.
cdef bint _literals_not_shorter(
    const unsigned char* data, Py_ssize_t length
) noexcept nogil:
    """Whether zlib cannot pack *data* (short, no 3 bytes repeated) in fewer
    than ``length - 1`` bytes, by the bound above."""
    cdef unsigned short counts[256]
    cdef Py_ssize_t index
    cdef Py_ssize_t total = length + 1
    cdef int symbol
    cdef int previous = -1
    cdef int gap
    cdef long bits = 3 + 14 + 12 + 1
    cdef double entropy = _X_LOG_X[total]
    memset(counts, 0, sizeof(counts))
    for index in range(length):
        counts[data[index]] += 1
    for symbol in range(257):
        if symbol < 256:
            if counts[symbol] == 0:
                continue
            entropy -= _X_LOG_X[counts[symbol]]
        gap = symbol - previous - 1
        if gap > 0:
            bits += 3 if gap > 3 else gap
        if gap > 0 or previous < 0:
            bits += 1  # a run of nonzero lengths starts
        previous = symbol
    entropy -= 1e-6 * total  # below any rounding error: still a lower bound
    if entropy > 0:
        bits += <long>ceil(entropy)
    return 6 + (bits + 7) // 8 >= length - 1


cdef int _survey(const unsigned char* data, Py_ssize_t length) noexcept nogil:
    """How to pack short *data*: _NOT_SHORTER if deflating cannot pay,
    _USE_SMALL if the small stream deflates it as zlib.compress does, else
    _USE_DEFAULT."""
    cdef Py_ssize_t index
    cdef Py_ssize_t seen = 0
    cdef unsigned int key, bit
    cdef bint repeated = False  # some 3 bytes occur twice, or share a default bucket
    cdef bint crowded = False
    for index in range(length - 2):
        key = ((data[index] << 10) ^ (data[index + 1] << 5) ^ data[index + 2]) & (
            _HASH_SIZE - 1
        )
        bit = 1 << (key & 7)
        if _buckets_used[key >> 3] & bit:
            repeated = True
        _buckets_used[key >> 3] |= bit
        key &= _SMALL_HASH_SIZE - 1
        _bucket_sizes[key] += 1
        seen = index + 1
        if _bucket_sizes[key] > _MAX_WALK:
            crowded = True
            break
    for index in range(seen):
        key = ((data[index] << 10) ^ (data[index + 1] << 5) ^ data[index + 2]) & (
            _HASH_SIZE - 1
        )
        _buckets_used[key >> 3] = 0
        _bucket_sizes[key & (_SMALL_HASH_SIZE - 1)] = 0
    if crowded:
        return _USE_DEFAULT
    if not repeated and _literals_not_shorter(data, length):
        return _NOT_SHORTER
    return _USE_SMALL


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
    # PERF: short data is surveyed first (see _survey), to skip deflate or use
    # the small stream.
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
