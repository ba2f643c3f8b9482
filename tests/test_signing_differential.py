"""Differential tests: itsdangerous and both signing twins give one answer.

Hypothesis generates values, secrets, salts, signer options and clock readings; the
token from ``microweb._signing_c``, from ``microweb._signing_py`` and from
``itsdangerous.URLSafeTimedSerializer`` must be the same string. It then generates
garbage and damaged tokens (a character flipped, dropped or inserted, dots added,
junk appended, parts swapped) and tokens signed properly around odd payloads and
timestamps: the three must agree on accepting or refusing each, on the exception
class (with its ``payload`` and ``date_signed``), and on the value when accepted.

Where itsdangerous lets a non-itsdangerous exception escape (``UnicodeEncodeError``,
``ValueError``, ``OverflowError``), microweb must refuse with an itsdangerous
exception (``BadData`` or a subclass) instead; the twins must still agree exactly.
A compressed payload inflating past 1 MiB cannot come out of these strategies (they
stay far below it), so that deliberate difference is tested in ``test_signing.py``.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any
from unittest import mock

import itsdangerous
import pytest
from conftest import diff_settings, pinned_serializer_class
from hypothesis import event, example, given
from hypothesis import strategies as st

from microweb.signing import BadData

# conftest.py imports hypothesis.extra._patching quietly, so that a counterexample
# is reported as one under filterwarnings = error.
DIFF_SETTINGS = diff_settings(300)

#: The last second of 9999-12-31: the largest timestamp a ``datetime`` holds.
LAST_DATETIME_SECOND = 253_402_300_799
B64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


# ----------------------------------------------------------------------- helpers


@contextmanager
def frozen_time(now: float) -> Iterator[None]:
    """``time.time()`` returns *now* for microweb and itsdangerous alike."""
    with mock.patch.object(time, "time", lambda: now):
        yield


@pytest.fixture(scope="module")
def contenders(signing_cores: list[ModuleType]) -> list[tuple[str, type]]:
    """``(name, serializer class)`` for each twin here, then itsdangerous last."""
    named = [(core.__name__, pinned_serializer_class(core)) for core in signing_cores]
    return named + [("itsdangerous", itsdangerous.URLSafeTimedSerializer)]


def reduce_outcome(call: Callable[[], Any]) -> tuple[Any, ...]:
    """A call's outcome as a comparable tuple: the value, or the exception's class,
    payload and date (the message differs in places; ``test_signing.py`` checks
    it apart)."""
    try:
        return ("ok", call())
    except BadData as exc:
        return (
            "refused",
            type(exc),
            getattr(exc, "payload", None),
            getattr(exc, "date_signed", None),
        )
    except Exception as exc:  # noqa: BLE001 - a foreign exception is an outcome too
        return ("foreign", type(exc))


def assert_agree(outcomes: list[tuple[str, tuple[Any, ...]]]) -> None:
    """The twins agree exactly; the twins agree with itsdangerous, except that a
    foreign exception from itsdangerous must be a refusal (any BadData) here."""
    (_, reference), twins = outcomes[-1], outcomes[:-1]
    for name, got in twins:
        assert got == twins[0][1], (name, got, twins[0])
        assert got[0] != "foreign", (name, got)
        if reference[0] == "foreign":
            event(f"itsdangerous raised {reference[1].__name__}")
            assert got[0] == "refused", (name, got, reference)
        else:
            assert got == reference, (name, got, reference)
    event(f"outcome: {reference[0]} {getattr(reference[1], '__name__', '')}")


def load_everywhere(
    contenders: list[tuple[str, type]],
    signed: str | bytes,
    secret: Any,
    salt: Any,
    signer_kwargs: dict[str, Any],
    now: float,
    max_age: int | None = None,
    return_timestamp: bool = False,
) -> list[tuple[str, tuple[Any, ...]]]:
    """Each contender's outcome of ``loads(signed)`` at the clock reading *now*."""
    outcomes = []
    with frozen_time(now):
        for name, serializer_class in contenders:
            serializer = serializer_class(
                secret, salt=salt, signer_kwargs=dict(signer_kwargs)
            )
            outcomes.append(
                (
                    name,
                    reduce_outcome(
                        lambda serializer=serializer: serializer.loads(
                            signed, max_age=max_age, return_timestamp=return_timestamp
                        )
                    ),
                )
            )
    return outcomes


# -------------------------------------------------------------------- strategies


json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=6)
        | st.dictionaries(st.text(max_size=12), children, max_size=6)
    ),
    max_leaves=25,
)
#: Values zlib shrinks, so that the compressed form is exercised too.
repetitive_values = st.builds(
    lambda word, count: {"items": [word] * count},
    st.text(min_size=1, max_size=12),
    st.integers(2, 60),
)
secret_values = st.binary(max_size=40) | st.text(max_size=20)
secrets = secret_values | st.lists(secret_values, min_size=1, max_size=3)
salts = st.binary(max_size=20) | st.text(max_size=20)
signer_options = st.fixed_dictionaries(
    {
        "key_derivation": st.sampled_from(["hmac", "concat", "django-concat", "none"]),
        "digest_method": st.sampled_from(
            [hashlib.sha1, hashlib.sha256, hashlib.sha512, hashlib.md5]
        ),
    }
)
clock_readings = st.floats(0, LAST_DATETIME_SECOND, allow_nan=False) | st.integers(
    0, 2**31
).map(float)
max_ages = st.none() | st.integers(-5, 10**6)


@st.composite
def settings_and_clock(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "secret": draw(secrets),
        "salt": draw(salts),
        "signer_kwargs": draw(signer_options),
        "now": draw(clock_readings),
    }


def sign_with_itsdangerous(config: dict[str, Any], obj: Any, now: float) -> str:
    with frozen_time(now):
        serializer = itsdangerous.URLSafeTimedSerializer(
            config["secret"],
            salt=config["salt"],
            signer_kwargs=dict(config["signer_kwargs"]),
        )
        return serializer.dumps(obj)


# ------------------------------------------------------------------------- dumps


@DIFF_SETTINGS
@given(obj=json_values | repetitive_values, config=settings_and_clock())
def test_dumps_identical(
    contenders: list[tuple[str, type]], obj: Any, config: dict[str, Any]
) -> None:
    tokens = []
    with frozen_time(config["now"]):
        for name, serializer_class in contenders:
            serializer = serializer_class(
                config["secret"],
                salt=config["salt"],
                signer_kwargs=dict(config["signer_kwargs"]),
            )
            tokens.append((name, serializer.dumps(obj)))
    expected = tokens[-1][1]
    event("compressed" if expected.startswith(".") else "plain")
    for name, token in tokens:
        assert token == expected, (name, token, expected)
    outcomes = load_everywhere(
        contenders,
        expected,
        config["secret"],
        config["salt"],
        config["signer_kwargs"],
        config["now"],
        max_age=60,
        return_timestamp=True,
    )
    assert_agree(outcomes)
    assert outcomes[0][1][0] == "ok"


# ------------------------------------------------------------------------- loads


garbage = (
    st.text(max_size=80)
    | st.binary(max_size=80)
    | st.text(alphabet=B64_ALPHABET + ".", max_size=80)
    | st.lists(st.text(alphabet=B64_ALPHABET, max_size=30), max_size=5).map(".".join)
    # lone surrogates: not encodable, itsdangerous raises UnicodeEncodeError
    | st.text(st.characters(categories=["Cs", "Lu", "Nd"]), max_size=20)
)


@DIFF_SETTINGS
@given(signed=garbage, config=settings_and_clock(), max_age=max_ages)
def test_garbage(
    contenders: list[tuple[str, type]],
    signed: str | bytes,
    config: dict[str, Any],
    max_age: int | None,
) -> None:
    outcomes = load_everywhere(
        contenders,
        signed,
        config["secret"],
        config["salt"],
        config["signer_kwargs"],
        config["now"],
        max_age=max_age,
    )
    assert_agree(outcomes)


MUTATIONS = (
    "flip",
    "drop",
    "insert dot",
    "insert char",
    "insert surrogate",
    "append",
    "truncate",
    "swap",
)


@st.composite
def mutated(draw: st.DrawFn, token: str) -> str:
    """*token* damaged by one to three random edits."""
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(MUTATIONS))
        event(f"mutation: {kind}")
        index = draw(st.integers(0, len(token)))
        if kind == "flip" and index < len(token):
            char = draw(st.sampled_from(B64_ALPHABET + ".=!é"))
            token = token[:index] + char + token[index + 1 :]
        elif kind == "drop" and index < len(token):
            token = token[:index] + token[index + 1 :]
        elif kind == "insert dot":
            token = token[:index] + "." + token[index:]
        elif kind == "insert char":
            token = token[:index] + draw(st.characters()) + token[index:]
        elif kind == "insert surrogate":
            surrogate = draw(st.characters(categories=["Cs"]))
            token = token[:index] + surrogate + token[index:]
        elif kind == "append":
            token = token + draw(st.text(max_size=10))
        elif kind == "truncate":
            token = token[:index]
        elif kind == "swap":
            parts = token.split(".")
            draw(st.randoms(use_true_random=False)).shuffle(parts)
            token = ".".join(parts)
    return token


@DIFF_SETTINGS
@given(
    obj=json_values | repetitive_values,
    config=settings_and_clock(),
    age=st.integers(-100, 100),
    max_age=max_ages,
    data=st.data(),
)
def test_damaged_tokens(
    contenders: list[tuple[str, type]],
    obj: Any,
    config: dict[str, Any],
    age: int,
    max_age: int | None,
    data: st.DataObject,
) -> None:
    token = sign_with_itsdangerous(config, obj, config["now"])
    signed = data.draw(mutated(token))
    as_bytes = data.draw(st.booleans())
    outcomes = load_everywhere(
        contenders,
        signed.encode("utf-8", "surrogatepass") if as_bytes else signed,
        config["secret"],
        config["salt"],
        config["signer_kwargs"],
        config["now"] + age,
        max_age=max_age,
    )
    assert_agree(outcomes)


@DIFF_SETTINGS
@given(obj=json_values, config=settings_and_clock(), data=st.data())
def test_other_keys(
    contenders: list[tuple[str, type]],
    obj: Any,
    config: dict[str, Any],
    data: st.DataObject,
) -> None:
    """A token signed under other settings (secret, salt, derivation or digest) is
    refused alike; one signed by any key of a rotated list loads alike."""
    other = data.draw(settings_and_clock())
    token = sign_with_itsdangerous(other, obj, config["now"])
    outcomes = load_everywhere(
        contenders,
        token,
        config["secret"],
        config["salt"],
        config["signer_kwargs"],
        config["now"],
    )
    assert_agree(outcomes)
    signed_with = other["secret"]
    old_keys = [signed_with] if isinstance(signed_with, (str, bytes)) else signed_with
    rotated = old_keys + data.draw(st.lists(secret_values, max_size=2))
    outcomes = load_everywhere(
        contenders,
        token,
        rotated,
        other["salt"],
        other["signer_kwargs"],
        config["now"],
    )
    assert_agree(outcomes)


# -------------------------------------------------- odd values, signed properly


def b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


#: A payload part: arbitrary bytes, maybe base64'd, maybe marked compressed.
payload_parts = st.one_of(
    st.binary(max_size=40).map(b64),
    st.binary(max_size=40).map(lambda data: b"." + b64(data)),
    st.text(alphabet=B64_ALPHABET + ".=", max_size=40).map(str.encode),
    json_values.map(lambda obj: itsdangerous.URLSafeSerializer("k").dump_payload(obj)),
)
#: A timestamp part: any bytes up to 12 long (itsdangerous reads at most 8), base64'd
#: or not.
timestamp_parts = st.one_of(
    st.integers(0, LAST_DATETIME_SECOND + 10).map(
        lambda timestamp: b64(timestamp.to_bytes(8, "big").lstrip(b"\x00"))
    ),
    st.integers(0, 2**64 - 1).map(
        lambda timestamp: b64(timestamp.to_bytes(8, "big").lstrip(b"\x00"))
    ),
    st.binary(max_size=12).map(b64),
    st.text(alphabet=B64_ALPHABET + "=", max_size=16).map(str.encode),
)


def sign_parts(config: dict[str, Any], payload: bytes, timestamp_part: bytes) -> bytes:
    """``payload.timestamp_part``, signed properly by itsdangerous' ``Signer``."""
    signer = itsdangerous.Signer(
        config["secret"], salt=config["salt"], **config["signer_kwargs"]
    )
    return signer.sign(payload + b"." + timestamp_part)


@DIFF_SETTINGS
@given(
    payload=payload_parts,
    config=settings_and_clock(),
    age=st.integers(-100, 100),
    max_age=max_ages,
    return_timestamp=st.booleans(),
)
def test_signed_odd_payloads(
    contenders: list[tuple[str, type]],
    payload: bytes,
    config: dict[str, Any],
    age: int,
    max_age: int | None,
    return_timestamp: bool,
) -> None:
    """Correctly signed at a sane time: only the payload decides the outcome."""
    timestamp_part = b64(itsdangerous.encoding.int_to_bytes(int(config["now"])))
    outcomes = load_everywhere(
        contenders,
        sign_parts(config, payload, timestamp_part),
        config["secret"],
        config["salt"],
        config["signer_kwargs"],
        config["now"] + age,
        max_age=max_age,
        return_timestamp=return_timestamp,
    )
    assert_agree(outcomes)


FLASK_CONFIG = {
    "secret": "secret",
    "salt": "cookie-session",
    "signer_kwargs": {"key_derivation": "hmac", "digest_method": hashlib.sha1},
    "now": 1_700_000_000.0,
}


@DIFF_SETTINGS
@example(b64((2**70).to_bytes(9, "big")), FLASK_CONFIG, None, False)
@example(b64((253_402_300_800).to_bytes(8, "big")), FLASK_CONFIG, None, False)
@example(b64((1_700_000_000).to_bytes(10, "big")), FLASK_CONFIG, 60, False)
@given(
    timestamp_part=timestamp_parts,
    config=settings_and_clock(),
    max_age=max_ages,
    return_timestamp=st.booleans(),
)
def test_signed_odd_timestamps(
    contenders: list[tuple[str, type]],
    timestamp_part: bytes,
    config: dict[str, Any],
    max_age: int | None,
    return_timestamp: bool,
) -> None:
    """Correctly signed around a valid payload: only the timestamp decides."""
    payload = itsdangerous.URLSafeSerializer("k").dump_payload({"user_id": 42})
    outcomes = load_everywhere(
        contenders,
        sign_parts(config, payload, timestamp_part),
        config["secret"],
        config["salt"],
        config["signer_kwargs"],
        config["now"],
        max_age=max_age,
        return_timestamp=return_timestamp,
    )
    assert_agree(outcomes)


# ----------------------------------------------------------------- the kernels


@DIFF_SETTINGS
@given(data=st.binary(max_size=300))
def test_kernel_base64(signing_cores: list[ModuleType], data: bytes) -> None:
    for core in signing_cores:
        encoded = core.b64encode(data)
        assert encoded == itsdangerous.encoding.base64_encode(data)
        assert core.b64decode(encoded) == data


@DIFF_SETTINGS
@given(
    data=st.binary(max_size=120)
    | st.text(alphabet=B64_ALPHABET + "=+/ .", max_size=120).map(str.encode)
)
def test_kernel_b64decode_agrees(signing_cores: list[ModuleType], data: bytes) -> None:
    try:
        expected: Any = itsdangerous.encoding.base64_decode(data)
    except BadData:
        expected = ValueError
    for core in signing_cores:
        try:
            got: Any = core.b64decode(data)
        except ValueError:
            got = ValueError
        assert got == expected, core.__name__


@DIFF_SETTINGS
@given(data=st.binary(max_size=2000) | st.text(max_size=500).map(str.encode))
def test_kernel_payload(signing_cores: list[ModuleType], data: bytes) -> None:
    results = {core.__name__: core.dump_payload(data) for core in signing_cores}
    assert len(set(results.values())) == 1, results
    for core in signing_cores:
        assert core.load_payload(results[core.__name__]) == data


@DIFF_SETTINGS
@given(timestamp=st.integers(0, 2**63 - 1))
def test_kernel_timestamp(signing_cores: list[ModuleType], timestamp: int) -> None:
    expected = b64(itsdangerous.encoding.int_to_bytes(timestamp))
    for core in signing_cores:
        assert core.timestamp_bytes(timestamp) == expected


@DIFF_SETTINGS
@given(
    data=st.binary(max_size=200) | st.text(max_size=100).map(str.encode),
    timestamp=st.integers(0, 2**40),
    age=st.integers(-3, 3) | st.integers(-(2**40), 2**40),
    max_age=st.integers(-3, 2**34) | st.floats(-10.0, 1e12, allow_nan=False),
    damaged=st.booleans(),
)
def test_kernel_pack_and_sign_then_verify_and_unpack(
    signing_cores: list[ModuleType],
    data: bytes,
    timestamp: int,
    age: int,
    max_age: float,
    damaged: bool,
) -> None:
    # The one-call paths of the serializer: what sign(dump_payload(...)) gives,
    # and what unsign and load_payload give for a token in date (None for
    # another), on each twin.
    keys = (b"retired key", b"signing key")
    now = timestamp + age
    outcomes = []
    for core in signing_cores:
        token = core.pack_and_sign(data, keys[1], "sha1", timestamp)
        signed = core.sign(core.dump_payload(data), keys[1], "sha1", timestamp)
        assert token == signed.decode("ascii")
        if damaged:  # a character of the signature changed (not the last)
            signed = (
                signed[:-5] + (b"A" if signed[-5:-4] != b"A" else b"B") + signed[-4:]
            )

        def by_definition(core: ModuleType = core, signed: bytes = signed) -> Any:
            value, stamp = core.unsign(signed, keys, "sha1")
            if stamp >= 1 << 32 or not 0 <= now - stamp <= max_age:
                return None
            return core.load_payload(value)

        outcome = reduce_outcome(
            lambda core=core, signed=signed: core.verify_and_unpack(
                signed, keys, "sha1", now, max_age
            )
        )
        assert outcome == reduce_outcome(by_definition), core.__name__
        assert outcome[0] == ("refused" if damaged else "ok")
        assert outcome[1] in (None, data) or damaged
        outcomes.append(outcome)
    assert all(outcome == outcomes[0] for outcome in outcomes)
