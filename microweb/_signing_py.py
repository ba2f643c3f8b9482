"""Signing kernel in pure Python: the specification that ``_signing_c.pyx`` translates.

itsdangerous 2.2's wire format, byte for byte: URL-safe base64 without padding, ``.``
separators, a big-endian timestamp with its leading zero bytes stripped, and a
payload compressed with zlib (marked by a leading ``.``) only when that makes it
shorter. The front module, :mod:`microweb.signing`, derives and caches the keys and
handles expiry; the kernel signs, verifies and packs payloads, and raises
itsdangerous' own exceptions for anything it refuses.
"""

from __future__ import annotations

import base64
import hmac
import zlib
from datetime import datetime, timezone

from itsdangerous.exc import BadPayload, BadSignature, BadTimeSignature

IMPLEMENTATION = "pure"

SEPARATOR = b"."
#: The most bytes a compressed payload may expand to; more is a zlib bomb.
MAX_DECOMPRESSED = 1 << 20


def b64encode(data: bytes) -> bytes:
    """URL-safe base64 without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def b64decode(data: bytes) -> bytes:
    """Decode URL-safe base64 as leniently as itsdangerous (padding optional,
    stray characters ignored); ``ValueError`` when it cannot."""
    return base64.urlsafe_b64decode(data + b"=" * (-len(data) % 4))


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


def sign(value: bytes, key: bytes, digest: str, timestamp: int) -> bytes:
    """``value.timestamp.signature``, the signature made with *key*."""
    value = value + SEPARATOR + timestamp_bytes(timestamp)
    return value + SEPARATOR + b64encode(hmac.digest(key, value, digest))


def _verify(
    value: bytes, signature: bytes, keys: tuple[bytes, ...], digest: str
) -> bool:
    try:
        expected = b64decode(signature)
    except Exception:
        return False
    for key in keys:
        if hmac.compare_digest(expected, hmac.digest(key, value, digest)):
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
