"""Leak test for the signing twins: sign and verify by the hundred thousand, refuse
as many bad tokens; memory stays flat.

Each core (``_signing_c``, then ``_signing_py``, in one process) serves a mix of calls
through a serializer pinned to it (conftest's ``pinned_serializer_class``) and
straight into the kernel: values signed and loaded (a small one, and one that
compresses), a token signed with a fallback key, and refusals of every kind (a
tampered signature, garbage, a lone surrogate, an expired token, a payload that is
no base64 and one that is no zlib, a zlib bomb). A reference kept per call (a
buffer, an exception with its traceback, a cache keyed by token) shows as growth of
the resident set or of the memory tracemalloc sees; a reference leaked on a shared
object (the key, the digest name) shows in its reference count.

The resident-set test makes over 400,000 calls per core, in a few seconds.
"""

from __future__ import annotations

import gc
import hashlib
import os
import sys
import zlib
from types import ModuleType
from typing import Any

import pytest
from conftest import STATM, pinned_serializer_class, resident_bytes, traced_growth

from microweb.signing import (
    BadData,
    BadPayload,
    BadSignature,
    SignatureExpired,
)

SECRET = "leak test secret"
OLD_SECRET = "the secret before"
SALT = "cookie-session"
#: Iterations per round; each makes 14 serializer and kernel calls.
ITERATIONS_PER_ROUND = 6_000
ROUNDS = 4
#: Allowed growth of the resident set between the first and the last round.
RSS_SLACK_BYTES = 3 * 1024 * 1024


class Signers:
    """The serializers and kernel inputs one core is exercised with."""

    def __init__(self, core: ModuleType) -> None:
        serializer_class = pinned_serializer_class(core)
        kwargs = {"key_derivation": "hmac", "digest_method": hashlib.sha1}
        self.core = core
        self.current = serializer_class(SECRET, salt=SALT, signer_kwargs=kwargs)
        self.old = serializer_class(OLD_SECRET, salt=SALT, signer_kwargs=kwargs)
        # Verifies with both secrets, signs with the newest (key rotation).
        self.rotated = serializer_class(
            [OLD_SECRET, SECRET], salt=SALT, signer_kwargs=kwargs
        )
        self.key = b"k" * 20
        self.digest = "sha1"
        self.timestamp = 1_700_000_000
        # Tokens signed properly around payloads that do not unpack.
        self.not_base64 = core.sign(b"AAAAA", self.key, self.digest, self.timestamp)
        self.not_zlib = core.sign(
            b"." + core.b64encode(b"not zlib at all"),
            self.key,
            self.digest,
            self.timestamp,
        )
        bomb = zlib.compress(b"\x00" * (2 << 20))
        self.bomb = core.sign(
            b"." + core.b64encode(bomb), self.key, self.digest, self.timestamp
        )
        self.old_token = self.old.dumps({"user": "from the old key"})
        self.expired_token = self.current.dumps({"user": "expired"})


def expect(error: type[BaseException], call: Any, *args: Any, **kwargs: Any) -> None:
    try:
        call(*args, **kwargs)
    except error:
        return
    raise AssertionError(f"{call!r}{args!r} did not raise {error.__name__}")


def exercise(signers: Signers, start: int, count: int) -> None:
    """Run *count* iterations of every kind of call, accepted and refused."""
    core = signers.core
    current, rotated = signers.current, signers.rotated
    keys = (signers.key,)
    for number in range(start, start + count):
        value = {"user": number, "items": [number, "x"]}
        token = current.dumps(value)
        assert current.loads(token, max_age=3600) == value
        compressible = {"text": "repeat " * 40, "n": number}
        assert rotated.loads(rotated.dumps(compressible)) == compressible
        assert rotated.loads(signers.old_token) == {"user": "from the old key"}
        expect(BadSignature, current.loads, token.rpartition(".")[0] + ".AAAA")
        expect(BadSignature, current.loads, f"garbage.{number}")
        expect(BadSignature, current.loads, "\udcff" + token)
        expect(SignatureExpired, current.loads, signers.expired_token, max_age=-1)
        expect(BadData, current.loads, b"\xff\xfe.\x00")
        # The kernel on its own.
        payload, timestamp = core.unsign(signers.not_base64, keys, signers.digest)
        expect(BadPayload, core.load_payload, payload)
        payload, _ = core.unsign(signers.not_zlib, keys, signers.digest)
        expect(BadPayload, core.load_payload, payload)
        if number % 200 == 0:
            # Inflating it stops at the 1 MiB limit: costly, so not every time.
            payload, _ = core.unsign(signers.bomb, keys, signers.digest)
            expect(BadPayload, core.load_payload, payload)
        signed = core.sign(
            core.dump_payload(b"%d" % number), signers.key, signers.digest, timestamp
        )
        payload, _ = core.unsign(signed, keys, signers.digest)
        assert core.load_payload(payload) == b"%d" % number
        expect(BadSignature, core.unsign, signed + b"x", keys, signers.digest)


@pytest.fixture(scope="module")
def signers(signing_core: ModuleType) -> Signers:
    return Signers(signing_core)


@pytest.mark.skipif(not os.path.exists(STATM), reason="needs /proc/self/statm")
def test_signing_rss_flat(signers: Signers) -> None:
    exercise(signers, 0, ITERATIONS_PER_ROUND)  # warm-up: caches, interned objects
    gc.collect()
    sizes = []
    start = ITERATIONS_PER_ROUND
    for _ in range(ROUNDS):
        exercise(signers, start, ITERATIONS_PER_ROUND)
        start += ITERATIONS_PER_ROUND
        gc.collect()
        sizes.append(resident_bytes())
    growth = sizes[-1] - sizes[0]
    assert growth < RSS_SLACK_BYTES, f"resident set grew by {growth} bytes: {sizes}"


def test_signing_traced_memory_flat(signers: Signers) -> None:
    # Python objects that outlive their call show in tracemalloc even where the
    # resident set hides them (freed pages reused by the allocator).
    exercise(signers, 0, 1_000)
    gc.collect()
    growth = traced_growth(
        lambda: exercise(signers, 1_000, 500), lambda: exercise(signers, 1_500, 2_500)
    )
    # 2,500 iterations of 14 calls: even 8 bytes kept per call would be 280 KB.
    assert growth < 128 * 1024, growth


def test_refcounts_stable(signers: Signers) -> None:
    # A reference leaked on a shared object (the key, the digest name, the value
    # signed) shows as a reference count that grows with the number of calls.
    if not hasattr(sys, "getrefcount"):
        pytest.skip("needs sys.getrefcount")
    core = signers.core
    # Objects of their own, not constants the code object shares.
    key = bytes(bytearray(b"shared key"))
    digest = "".join(["sha", "1"])
    value = bytes(bytearray(b"shared value"))
    keys = (key,)
    shared = [key, digest, value]
    signed = core.sign(value, key, digest, 1)
    for _ in range(100):
        core.unsign(core.sign(value, key, digest, 1), keys, digest)
    before = [sys.getrefcount(obj) for obj in shared]
    for number in range(5_000):
        signed = core.sign(value, key, digest, number)
        assert core.unsign(signed, keys, digest) == (value, number)
        expect(BadSignature, core.unsign, signed + b"x", keys, digest)
        expect(BadSignature, core.unsign, value, keys, digest)
    gc.collect()
    after = [sys.getrefcount(obj) for obj in shared]
    for count_before, count_after in zip(before, after, strict=True):
        assert count_after - count_before < 50, (before, after)
