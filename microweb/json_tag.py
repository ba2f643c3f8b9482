"""Tagged JSON: the session serializer, compatible with Flask's.

JSON with a few more types, each written as a one-key object whose key is a tag:
``{" t": [...]}`` for a tuple, ``{" b": "..."}`` for bytes (base64), ``{" m": "..."}``
for markup, ``{" u": "..."}`` for a UUID, ``{" d": "..."}`` for a datetime (an HTTP
date). A dict whose only key happens to be a tag is escaped as ``{" di": ...}``.
Cookies written by Flask read here and the other way round.
"""

from __future__ import annotations

import typing as t
from base64 import b64decode, b64encode
from datetime import datetime
from uuid import UUID

from markupsafe import Markup
from werkzeug.http import http_date, parse_date

from . import json
from .globals import context_var


class JSONTag:
    """One tagged type: how to recognise it, write it and read it back.

    .. versionadded:: 0.1
    """

    __slots__ = ("serializer",)
    #: The tag; empty for a type that is only walked into (dicts and lists).
    key: str = ""

    def __init__(self, serializer: TaggedJSONSerializer) -> None:
        self.serializer = serializer

    def check(self, value: t.Any) -> bool:
        """Whether *value* is of this tag's type."""
        raise NotImplementedError

    def to_json(self, value: t.Any) -> t.Any:
        """*value* as JSON types (the tag is added around it)."""
        raise NotImplementedError

    def to_python(self, value: t.Any) -> t.Any:
        """The value back from its JSON form."""
        raise NotImplementedError

    def tag(self, value: t.Any) -> t.Any:
        """*value* as its tagged JSON form."""
        return {self.key: self.to_json(value)}


class TagDict(JSONTag):
    """A dict whose only key is a tag, escaped so it is not read as tagged."""

    __slots__ = ()
    key = " di"

    def check(self, value: t.Any) -> bool:
        return (
            isinstance(value, dict)
            and len(value) == 1
            and next(iter(value)) in self.serializer.tags
        )

    def to_json(self, value: t.Any) -> t.Any:
        key = next(iter(value))
        return {f"{key}__": self.serializer.tag(value[key])}

    def to_python(self, value: t.Any) -> t.Any:
        key = next(iter(value))
        return {key[:-2]: value[key]}


class PassDict(JSONTag):
    """Any other dict: its values are tagged."""

    __slots__ = ()

    def check(self, value: t.Any) -> bool:
        return isinstance(value, dict)

    def tag(self, value: t.Any) -> t.Any:
        return {key: self.serializer.tag(item) for key, item in value.items()}


class TagTuple(JSONTag):
    """A tuple: a list, tagged."""

    __slots__ = ()
    key = " t"

    def check(self, value: t.Any) -> bool:
        return isinstance(value, tuple)

    def to_json(self, value: t.Any) -> t.Any:
        return [self.serializer.tag(item) for item in value]

    def to_python(self, value: t.Any) -> t.Any:
        return tuple(value)


class PassList(JSONTag):
    """A list: its items are tagged."""

    __slots__ = ()

    def check(self, value: t.Any) -> bool:
        return isinstance(value, list)

    def tag(self, value: t.Any) -> t.Any:
        return [self.serializer.tag(item) for item in value]


class TagBytes(JSONTag):
    """Bytes, as standard base64."""

    __slots__ = ()
    key = " b"

    def check(self, value: t.Any) -> bool:
        return isinstance(value, bytes)

    def to_json(self, value: t.Any) -> t.Any:
        return b64encode(value).decode("ascii")

    def to_python(self, value: t.Any) -> t.Any:
        return b64decode(value)


class TagMarkup(JSONTag):
    """Anything with ``__html__``, read back as :class:`~markupsafe.Markup`."""

    __slots__ = ()
    key = " m"

    def check(self, value: t.Any) -> bool:
        return callable(getattr(value, "__html__", None))

    def to_json(self, value: t.Any) -> t.Any:
        return str(value.__html__())

    def to_python(self, value: t.Any) -> t.Any:
        return Markup(value)


class TagUUID(JSONTag):
    """A UUID, as its hex digits."""

    __slots__ = ()
    key = " u"

    def check(self, value: t.Any) -> bool:
        return isinstance(value, UUID)

    def to_json(self, value: t.Any) -> t.Any:
        return value.hex

    def to_python(self, value: t.Any) -> t.Any:
        return UUID(value)


class TagDateTime(JSONTag):
    """A datetime, as an HTTP date."""

    __slots__ = ()
    key = " d"

    def check(self, value: t.Any) -> bool:
        return isinstance(value, datetime)

    def to_json(self, value: t.Any) -> t.Any:
        return http_date(value)

    def to_python(self, value: t.Any) -> t.Any:
        return parse_date(value)


_PLAIN_TYPES = frozenset({str, int, float, bool, type(None)})


class TaggedJSONSerializer:
    """Serialize with the tags above, in their order; more can be registered.

    .. versionadded:: 0.1
    """

    __slots__ = ("tags", "order", "order_is_default")

    default_tags: list[type[JSONTag]] = [
        TagDict,
        PassDict,
        TagTuple,
        PassList,
        TagBytes,
        TagMarkup,
        TagUUID,
        TagDateTime,
    ]

    def __init__(self) -> None:
        self.tags: dict[str, JSONTag] = {}
        self.order: list[JSONTag] = []
        for tag_class in self.default_tags:
            self.register(tag_class)
        self.order_is_default = True

    def register(
        self, tag_class: type[JSONTag], force: bool = False, index: int | None = None
    ) -> None:
        """Add a tag; *index* puts it before others in the checking order."""
        tag = tag_class(self)
        # A registered tag may claim a plain type too: check everything then.
        self.order_is_default = False
        if tag.key:
            if not force and tag.key in self.tags:
                raise KeyError(f"Tag '{tag.key}' is already registered.")
            self.tags[tag.key] = tag
        if index is None:
            self.order.append(tag)
        else:
            self.order.insert(index, tag)

    def tag(self, value: t.Any) -> t.Any:
        """*value* in its tagged JSON form."""
        if self.order_is_default:
            kind = value.__class__
            if kind in _PLAIN_TYPES:
                # No default tag takes these exact types: they stand for themselves.
                return value
            if kind is dict and (len(value) != 1 or next(iter(value)) not in self.tags):
                # What PassDict does (TagDict takes a dict whose only key is a
                # tag), without asking the tags in turn.
                return {
                    key: item if item.__class__ in _PLAIN_TYPES else self.tag(item)
                    for key, item in value.items()
                }
        for tag in self.order:
            if tag.check(value):
                return tag.tag(value)
        return value

    def untag(self, value: dict[str, t.Any]) -> t.Any:
        """A one-key object whose key is a tag, read back; other objects as is."""
        if len(value) != 1:
            return value
        key = next(iter(value))
        tag = self.tags.get(key)
        if tag is None:
            return value
        return tag.to_python(value[key])

    def _untag_scan(self, value: t.Any) -> t.Any:
        if isinstance(value, dict):
            return self.untag(
                {key: self._untag_scan(item) for key, item in value.items()}
            )
        if isinstance(value, list):
            return [self._untag_scan(item) for item in value]
        return value

    def dumps(self, value: t.Any) -> str:
        """Tag and serialize *value* (with the app's JSON settings in an app)."""
        if (
            self.order_is_default
            and value.__class__ is dict
            and (len(value) != 1 or next(iter(value)) not in self.tags)
        ):
            for item in value.values():
                if item.__class__ not in _PLAIN_TYPES:
                    break
            else:
                # PERF: a flat object of plain values (what most sessions are)
                # is its own tagged form: it need not be copied.
                return _compact_dumps(value, flat=True)
        return _compact_dumps(self.tag(value))

    def loads(self, value: str) -> t.Any:
        """Deserialize and untag."""
        document = json.loads(value)
        if document.__class__ is dict:
            for item in document.values():
                if item.__class__ not in _PLAIN_TYPES:
                    break
            else:
                # PERF: a flat object (what most sessions are) has nothing to
                # untag below it, and is new: it need not be copied.
                return self.untag(document)
        return self._untag_scan(document)


def _compact_dumps(obj: t.Any, flat: bool = False) -> str:
    """``json.dumps(obj, separators=(",", ":"))`` of :mod:`microweb.json`: with the
    current app's provider, and on its cached encoder when that is the stock one
    (*flat*: *obj* is a dict of plain values)."""
    context = context_var.get(None)
    if context is not None and obj.__class__ is dict:
        provider = context.app.json
        if (
            type(provider).dumps is json.JSONProvider.dumps
            and "dumps" not in provider.__dict__
        ):
            if flat:
                return provider._encode_flat(obj)
            return provider._encode(obj, False)
    return json.dumps(obj, separators=(",", ":"))
