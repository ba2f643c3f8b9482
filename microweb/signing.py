"""Signed, timestamped values in itsdangerous' URL-safe format, on the signing core.

This is the front module of the signing core. It picks the core once, at import
(``microweb._signing_c`` unless ``MICROWEB_NO_EXTENSIONS`` is set or the compiled
module is missing, else ``microweb._signing_py``) and keeps what is not hot: deriving
the keys (once per secret, salt and digest), serializing, and expiry. A value signed
here loads with ``itsdangerous.URLSafeTimedSerializer`` configured alike, and the
other way round; errors are itsdangerous' own exception classes.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import typing as t
from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache
from types import ModuleType

from itsdangerous.exc import (
    BadData,
    BadPayload,
    BadSignature,
    BadTimeSignature,
    SignatureExpired,
)

from . import _cores
from .json import _dumps_unicode_compact, _loads

#: The signing core this process uses: ``microweb._signing_c`` or ``_signing_py``.
core: ModuleType = _cores.load("signing")

__all__ = [
    "BadData",
    "BadPayload",
    "BadSignature",
    "BadTimeSignature",
    "SignatureExpired",
    "URLSafeTimedSerializer",
    "core",
    "derive_key",
]

KeyDerivation = t.Literal["concat", "django-concat", "hmac", "none"]


def _as_bytes(value: str | bytes) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else value


@lru_cache(maxsize=256)
def derive_key(secret: bytes, salt: bytes, key_derivation: str, digest: str) -> bytes:
    """The signing key itsdangerous derives from *secret* and *salt*.

    :param key_derivation: ``"hmac"``, ``"concat"``, ``"django-concat"`` or
        ``"none"``, as itsdangerous' ``Signer``.
    :param digest: a :mod:`hashlib` name, e.g. ``"sha1"``.

    .. versionadded:: 0.1
    """
    if key_derivation == "concat":
        return hashlib.new(digest, salt + secret).digest()
    if key_derivation == "django-concat":
        return hashlib.new(digest, salt + b"signer" + secret).digest()
    if key_derivation == "hmac":
        return hmac.new(secret, salt, digest).digest()
    if key_derivation == "none":
        return secret
    raise TypeError("Unknown key derivation method")


class _CompactJSON:
    """itsdangerous' default serializer: compact JSON, not limited to ASCII."""

    dumps = staticmethod(_dumps_unicode_compact)
    loads = staticmethod(_loads)


class URLSafeTimedSerializer:
    """Serialize, compress when it helps, timestamp and sign, as
    ``itsdangerous.URLSafeTimedSerializer`` does, byte for byte.

    :param secret_key: the secret, or a list of secrets oldest first: the last
        one signs, all of them verify (newest first).
    :param salt: separates values signed for different purposes.
    :param serializer: an object with ``dumps`` (to ``str``) and ``loads``;
        compact JSON by default.
    :param signer_kwargs: ``key_derivation`` (``"django-concat"`` by default) and
        ``digest_method`` (:func:`hashlib.sha1` by default), as itsdangerous takes.

    .. versionadded:: 0.1
    """

    #: The signing core this serializer uses; a subclass may pin one.
    core: ModuleType = core

    def __init__(
        self,
        secret_key: str | bytes | Iterable[str | bytes],
        salt: str | bytes | None = b"itsdangerous",
        serializer: t.Any = None,
        signer_kwargs: dict[str, t.Any] | None = None,
    ) -> None:
        if isinstance(secret_key, (str, bytes)):
            secrets = [_as_bytes(secret_key)]
        else:
            secrets = [_as_bytes(secret) for secret in secret_key]
        if not secrets:
            raise ValueError("The secret key must not be empty.")
        # As itsdangerous: no salt at all means its signer's default salt.
        self.salt = _as_bytes(b"itsdangerous.Signer" if salt is None else salt)
        self.serializer = _CompactJSON if serializer is None else serializer
        options = dict(signer_kwargs or {})
        key_derivation = options.pop("key_derivation", "django-concat")
        digest_method = options.pop("digest_method", hashlib.sha1)
        if options:
            raise TypeError(f"unsupported signer options: {sorted(options)}")
        self.digest = digest_method().name
        keys = [
            derive_key(secret, self.salt, key_derivation, self.digest)
            for secret in secrets
        ]
        self._signing_key = keys[-1]
        self._verifying_keys = tuple(reversed(keys))

    def dumps(self, obj: t.Any) -> str:
        """Serialize and sign *obj*."""
        data = self.serializer.dumps(obj)
        if data.__class__ is str:
            data = data.encode("utf-8")
        return self.core.pack_and_sign(  # type: ignore[no-any-return]
            data, self._signing_key, self.digest, int(time.time())
        )

    def loads(
        self,
        s: str | bytes,
        max_age: int | float | None = None,
        return_timestamp: bool = False,
    ) -> t.Any:
        """Verify and deserialize *s*; with *max_age*, refuse it when older (or
        from the future).

        :raises SignatureExpired: too old or from the future.
        :raises BadSignature: any other reason (a subclass says which).
        """
        try:
            signed = s.encode("utf-8") if isinstance(s, str) else bytes(s)
        except UnicodeEncodeError as error:
            raise BadSignature("The value is not valid text") from error
        core = self.core
        if max_age is not None and not return_timestamp:
            # PERF: a token in date, the usual case, in one call to the core;
            # the steps below tell what is wrong with another.
            data = core.verify_and_unpack(
                signed, self._verifying_keys, self.digest, int(time.time()), max_age
            )
            if data is not None:
                return self._deserialize(data)
        payload, timestamp = core.unsign(signed, self._verifying_keys, self.digest)
        signed_at: datetime | None = None
        if not 0 <= timestamp < core.ALWAYS_DATED:
            # A timestamp no datetime can hold is refused here, whatever is asked
            # (any timestamp below the bound is held on every platform).
            signed_at = core.signed_at(timestamp, payload)
        if max_age is not None:
            age = int(time.time()) - timestamp
            if age > max_age:
                raise SignatureExpired(
                    f"Signature age {age} > {max_age} seconds",
                    payload=payload,
                    date_signed=signed_at or self.core.signed_at(timestamp, payload),
                )
            if age < 0:
                raise SignatureExpired(
                    f"Signature age {age} < 0 seconds",
                    payload=payload,
                    date_signed=signed_at or self.core.signed_at(timestamp, payload),
                )
        value = self._deserialize(core.load_payload(payload))
        if return_timestamp:
            return value, signed_at or self.core.signed_at(timestamp, payload)
        return value

    def _deserialize(self, data: bytes) -> t.Any:
        try:
            return self.serializer.loads(data.decode("utf-8"))
        except Exception as error:
            raise BadPayload(
                "Could not load the payload because an exception"
                " occurred on unserializing the data.",
                original_error=error,
            ) from error
