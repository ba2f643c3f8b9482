"""Signing kernel in pure Python: the specification that ``_signing_c.pyx`` translates.

itsdangerous 2.2's wire format, byte for byte: URL-safe base64 without padding, ``.``
separators, a big-endian timestamp with its leading zero bytes stripped, and a
payload compressed with zlib (marked by a leading ``.``) only when that makes it
shorter. The front module, :mod:`microweb.signing`, derives and caches the keys and
handles expiry; the kernel signs, verifies and packs payloads, and raises
itsdangerous' own exceptions for anything it refuses.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import zlib
from datetime import datetime, timezone
from typing import Any

from itsdangerous.exc import BadPayload, BadSignature, BadTimeSignature

IMPLEMENTATION = "pure"

SEPARATOR = b"."
#: The most bytes a compressed payload may expand to; more is a zlib bomb.
MAX_DECOMPRESSED = 1 << 20
#: Timestamps from 0 up to this bound (the year 2106) are dates on every platform.
ALWAYS_DATED = 1 << 32


# PERF: what base64.urlsafe_b64encode and urlsafe_b64decode do, without their
# three Python calls each: binascii, and the alphabets swapped by translation.
_TO_URL_SAFE = bytes.maketrans(b"+/", b"-_")
_FROM_URL_SAFE = bytes.maketrans(b"-_", b"+/")


def b64encode(data: bytes) -> bytes:
    """URL-safe base64 without padding."""
    return binascii.b2a_base64(data, newline=False).translate(_TO_URL_SAFE).rstrip(b"=")


def b64decode(data: bytes) -> bytes:
    """Decode URL-safe base64 as leniently as itsdangerous (padding optional,
    stray characters ignored); ``ValueError`` when it cannot."""
    return binascii.a2b_base64(data.translate(_FROM_URL_SAFE) + b"=" * (-len(data) % 4))


def dump_payload(data: bytes) -> bytes:
    """Pack serialized *data*: compressed when that is shorter, then base64."""
    compressed = zlib.compress(data)
    if len(compressed) < len(data) - 1:
        return b"." + b64encode(compressed)
    return b64encode(data)


def load_payload(payload: bytes) -> bytes:
    """Unpack a payload made by :func:`dump_payload`; ``BadPayload`` if it is not
    one."""
    compressed = payload[:1] == b"."
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
        inflater = zlib.decompressobj()
        data = inflater.decompress(data, MAX_DECOMPRESSED)
        if inflater.unconsumed_tail or not inflater.eof:
            raise ValueError("the payload does not inflate within the size limit")
    except Exception as error:
        raise BadPayload(
            "Could not zlib decompress the payload before decoding the payload",
            original_error=error,
        ) from error
    return data


def timestamp_bytes(timestamp: int) -> bytes:
    """*timestamp* as base64 of its big-endian bytes, leading zeros stripped."""
    return b64encode(timestamp.to_bytes(8, "big").lstrip(b"\x00"))


def read_timestamp(octets: bytes) -> int | None:
    """The timestamp in *octets* (big-endian, at most eight bytes), or ``None``."""
    if len(octets) > 8:
        return None
    return int.from_bytes(octets, "big")


# The bytes of a key XORed with HMAC's inner and outer pads, as translation tables.
_INNER_PAD = bytes(octet ^ 0x36 for octet in range(256))
_OUTER_PAD = bytes(octet ^ 0x5C for octet in range(256))
#: (key, digest) -> the inner and outer hashes of HMAC with that key, started (the
#: padded key hashed); a message's HMAC continues copies of them.
_HMAC_STARTS: dict[tuple[bytes, str], tuple[Any, Any]] = {}
_MAX_HMAC_STARTS = 64


def _hmac_start(key: bytes, digest: str) -> tuple[Any, Any]:
    """HMAC's inner and outer hashes for *key* (RFC 2104), each fed its padded key."""
    inner = hashlib.new(digest)
    block_size = inner.block_size
    if len(key) > block_size:
        key = hashlib.new(digest, key).digest()
    key = key.ljust(block_size, b"\x00")
    inner.update(key.translate(_INNER_PAD))
    outer = hashlib.new(digest, key.translate(_OUTER_PAD))
    return inner, outer


def mac(key: bytes, value: bytes, digest: str) -> bytes:
    """``hmac.digest(key, value, digest)``, the key's padded hashes made once per
    key rather than once per message."""
    start = _HMAC_STARTS.get((key, digest))
    if start is None:
        if len(_HMAC_STARTS) >= _MAX_HMAC_STARTS:
            _HMAC_STARTS.clear()
        start = _HMAC_STARTS[key, digest] = _hmac_start(key, digest)
    inner = start[0].copy()
    inner.update(value)
    outer = start[1].copy()
    outer.update(inner.digest())
    return outer.digest()  # type: ignore[no-any-return]


def sign(value: bytes, key: bytes, digest: str, timestamp: int) -> bytes:
    """``value.timestamp.signature``, the signature made with *key*."""
    value = value + SEPARATOR + timestamp_bytes(timestamp)
    return value + SEPARATOR + b64encode(mac(key, value, digest))


def _verify(
    value: bytes, signature: bytes, keys: tuple[bytes, ...], digest: str
) -> bool:
    try:
        expected = b64decode(signature)
    except Exception:
        return False
    for key in keys:
        if hmac.compare_digest(expected, mac(key, value, digest)):
            return True
    return False


def signed_at(timestamp: int, value: bytes) -> datetime:
    """*timestamp* as an aware UTC datetime; ``BadTimeSignature`` when no datetime
    can hold it."""
    try:
        return datetime.fromtimestamp(timestamp, tz=timezone.utc)
    except (ValueError, OSError, OverflowError) as error:
        raise BadTimeSignature("Malformed timestamp", payload=value) from error


def unsign(signed: bytes, keys: tuple[bytes, ...], digest: str) -> tuple[bytes, int]:
    """Verify *signed* against *keys* (newest first); return the value and its
    timestamp. ``BadTimeSignature`` (or ``BadSignature``) when it does not hold."""
    error: BadSignature | None = None
    if SEPARATOR not in signed:
        error = BadSignature(f"No {SEPARATOR!r} found in value")
        result = b""
    else:
        result, signature = signed.rsplit(SEPARATOR, 1)
        if not _verify(result, signature, keys, digest):
            error = BadSignature(
                f"Signature {signature!r} does not match", payload=result
            )
    if SEPARATOR not in result:
        if error is not None:
            raise error
        raise BadTimeSignature("timestamp missing", payload=result)
    value, timestamp_part = result.rsplit(SEPARATOR, 1)
    try:
        timestamp: int | None = read_timestamp(b64decode(timestamp_part))
    except Exception:
        timestamp = None
    if error is not None:
        date_signed = None if timestamp is None else signed_at(timestamp, value)
        raise BadTimeSignature(str(error), payload=value, date_signed=date_signed)
    if timestamp is None:
        raise BadTimeSignature("Malformed timestamp", payload=value)
    return value, timestamp


def pack_and_sign(data: bytes, key: bytes, digest: str, timestamp: int) -> str:
    """``sign(dump_payload(data), key, digest, timestamp)`` as text: the token of
    serialized *data*."""
    return sign(dump_payload(data), key, digest, timestamp).decode("ascii")


def verify_and_unpack(
    signed: bytes, keys: tuple[bytes, ...], digest: str, now: int, max_age: float
) -> bytes | None:
    """The data of the token *signed*, verified and unpacked, when it was signed
    at most *max_age* seconds before *now*, not after, and at a date every
    platform holds; ``None`` when it was not (the caller tells which). Raises as
    :func:`unsign` and :func:`load_payload` do."""
    value, timestamp = unsign(signed, keys, digest)
    age = now - timestamp
    if timestamp >= ALWAYS_DATED or age > max_age or age < 0:
        return None
    return load_payload(value)
