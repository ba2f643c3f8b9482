"""An app's registries of views and hooks, which say when they change.

Flask reads ``app.view_functions`` and the hook registries on every request, so code
that changes them in place (a test replacing a view, an extension adding a hook from
inside a view) is heard on the next request. microweb reads them once, to build its
dispatcher; these containers call back when changed in place, and the app then builds
the dispatcher again for the next request. Reading them costs what reading a ``dict``
or ``list`` does.
"""

from __future__ import annotations

import typing as t
from collections import defaultdict

#: Called after a registry changed.
OnChange = t.Callable[[], None]


def _ignore() -> None:
    pass


class HookList(list[t.Any]):
    """The hook functions of one scope: a list that calls back when changed."""

    __slots__ = ("on_change",)

    def __init__(self, iterable: t.Iterable[t.Any] = (), on_change: OnChange = _ignore):
        super().__init__(iterable)
        self.on_change = on_change

    def __reduce__(self) -> tuple[t.Any, ...]:
        return list, (list(self),)


def _calling_back(name: str) -> t.Any:
    changes = getattr(list, name)

    def change(self: HookList, *args: t.Any, **kwargs: t.Any) -> t.Any:
        result = changes(self, *args, **kwargs)
        self.on_change()
        return result

    change.__name__ = name
    change.__doc__ = changes.__doc__
    return change


for _name in (
    "append",
    "extend",
    "insert",
    "remove",
    "pop",
    "clear",
    "sort",
    "reverse",
    "__setitem__",
    "__delitem__",
    "__iadd__",
    "__imul__",
):
    setattr(HookList, _name, _calling_back(_name))


class _ReportingDict(dict[t.Any, t.Any]):
    """The ``dict`` changes, each followed by ``self.on_change()``; a value stored
    passes through ``self._held`` first."""

    __slots__ = ()
    on_change: OnChange

    def _held(self, value: t.Any) -> t.Any:
        return value

    def __setitem__(self, key: t.Any, value: t.Any) -> None:
        dict.__setitem__(self, key, self._held(value))
        self.on_change()

    def setdefault(self, key: t.Any, default: t.Any = None) -> t.Any:
        if key not in self:
            self[key] = default
        return self[key]

    def update(self, *args: t.Any, **kwargs: t.Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            dict.__setitem__(self, key, self._held(value))
        self.on_change()

    def __ior__(self, other: t.Any) -> t.Any:  # type: ignore[misc]
        self.update(other)
        return self

    def __delitem__(self, key: t.Any) -> None:
        dict.__delitem__(self, key)
        self.on_change()

    def pop(self, *args: t.Any) -> t.Any:
        value = dict.pop(self, *args)
        self.on_change()
        return value

    def popitem(self) -> tuple[t.Any, t.Any]:
        item = dict.popitem(self)
        self.on_change()
        return item

    def clear(self) -> None:
        dict.clear(self)
        self.on_change()


class HookRegistry(_ReportingDict, defaultdict[t.Any, list[t.Any]]):
    """Hook functions by scope (``None`` for the app, else a blueprint's name): a
    ``defaultdict`` as in Flask, whose missing scope reads as an empty list. Each
    list is a :class:`HookList`, so that a change to it calls back too."""

    def __init__(self, on_change: OnChange = _ignore) -> None:
        super().__init__(list)
        self.on_change = on_change

    def _held(self, value: t.Any) -> t.Any:
        if isinstance(value, list) and not isinstance(value, HookList):
            return HookList(value, self.on_change)
        return value

    def __missing__(self, key: t.Any) -> list[t.Any]:
        # Reading a missing scope changes nothing the dispatcher depends on.
        value = HookList((), self.on_change)
        dict.__setitem__(self, key, value)
        return value

    def __copy__(self) -> HookRegistry:
        copied = HookRegistry(self.on_change)
        dict.update(copied, self)
        return copied

    copy = __copy__

    def __reduce__(self) -> tuple[t.Any, ...]:
        return defaultdict, (list, {key: list(value) for key, value in self.items()})


class ViewFunctions(_ReportingDict):
    """View functions by endpoint: a ``dict`` that calls back when changed."""

    def __init__(self, on_change: OnChange = _ignore) -> None:
        super().__init__()
        self.on_change = on_change

    def __reduce__(self) -> tuple[t.Any, ...]:
        return dict, (dict(self),)
